//! A scratch PostgreSQL schema for the visible tests, created from
//! `DATABASE_URL` and dropped when the test ends, pass or fail.

use sqlx::Connection;

/// A schema holding an `items` table, and a URL whose connections use it.
pub struct TestDb {
    /// Connects with `search_path` set to the scratch schema.
    pub url: String,
    admin_url: String,
    schema: String,
}

impl TestDb {
    /// Creates the schema and its table; fails with what to do when there
    /// is no database.
    pub async fn new() -> Self {
        let admin_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
            panic!("these tests need PostgreSQL: set DATABASE_URL=postgres://USER@HOST/DB (see the README)")
        });
        let schema = format!("perf_test_{}_{}", std::process::id(), rand_suffix());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at DATABASE_URL does not answer ({e}); start it or fix the URL")
            });
        let setup = format!(
            "CREATE SCHEMA {schema};
             CREATE TABLE {schema}.items (
                 id int PRIMARY KEY, name text, flag bool, created timestamptz,
                 tags text[], meta jsonb, price numeric(10, 2), note text);
             INSERT INTO {schema}.items VALUES
                 (1, 'alpha', true, '2026-01-02T03:04:05Z', ARRAY['a', 'b'], '{{\"k\": 1}}', 9.50, NULL),
                 (2, 'beta', false, '2026-02-03T04:05:06Z', ARRAY[]::text[], '[1, 2]', 120.00, 'x');"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
            .execute(&mut conn)
            .await
            .expect("create the scratch schema");
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-csearch_path%3D{schema}");
        Self {
            url,
            admin_url,
            schema,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        // A thread of its own: drop may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}
