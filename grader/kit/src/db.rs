//! The child's side of the PostgreSQL fixture: each database check works
//! in a scratch schema of its own, dropped when the check ends.

use std::time::Duration;

use grader_core::protocol::{DATABASE_URL_VAR, SCRATCH_PREFIX_VAR};

/// How long a first connection may take.
pub const CONNECT: Duration = Duration::from_secs(10);

/// A single-threaded runtime for the fixture's own async calls.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start an async runtime: {e}"))
}

/// The URL the launcher handed this child, or the reason it gave none.
pub fn child_url() -> Result<String, String> {
    std::env::var(DATABASE_URL_VAR).map_err(|_| "no database was handed to this check".to_owned())
}

/// A scratch schema for one check, dropped (with everything in it) when
/// the check ends.
pub struct Scratch {
    /// The schema's name.
    pub schema: String,
    /// A connection whose `search_path` is the scratch schema.
    pub conn: sqlx::PgConnection,
}

impl Scratch {
    /// Creates a scratch schema in the database at `url`.
    pub async fn create(url: &str) -> Result<Self, String> {
        use sqlx::Connection;
        let prefix = std::env::var(SCRATCH_PREFIX_VAR).unwrap_or_else(|_| "grader".to_owned());
        let schema = format!("{prefix}_{}_{}", std::process::id(), unique());
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}"
        )))
        .execute(&mut conn)
        .await
        .map_err(|e| {
            format!(
                "cannot create a scratch schema (does the user have CREATE on the database?): {e}"
            )
        })?;
        Ok(Self { schema, conn })
    }

    /// Drops the schema and everything in it.
    pub async fn drop_all(self, url: &str) -> Result<(), String> {
        use sqlx::Connection;
        let _ = self.conn.close().await;
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        )))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("cannot drop scratch schema {}: {e}", self.schema))?;
        conn.close().await.map_err(|e| e.to_string())
    }
}

fn unique() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}
