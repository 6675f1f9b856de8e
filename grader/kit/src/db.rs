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

/// The scratch schema of the check running now: created by the launcher
/// and owned by the role learner code connects as (see the grader's
/// `db_access`), dropped with everything in it when the check ends.
pub struct Scratch {
    /// The schema's name.
    pub schema: String,
    /// A connection whose `search_path` is the scratch schema.
    pub conn: sqlx::PgConnection,
}

impl Scratch {
    /// Opens the current check's scratch schema in the database at `url`
    /// and makes it the role's default `search_path`, so every connection
    /// learner code opens with `url` works in it.
    pub async fn create(url: &str) -> Result<Self, String> {
        use sqlx::Connection;
        let prefix = std::env::var(SCRATCH_PREFIX_VAR)
            .map_err(|_| "the launcher gave no scratch schemas to this run".to_owned())?;
        let index = crate::child::current_check()
            .ok_or_else(|| "no check is running, so there is no scratch schema".to_owned())?;
        let schema = format!("{prefix}_c{index}");
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET search_path TO {schema}; ALTER ROLE CURRENT_USER SET search_path TO {schema}"
        )))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("cannot open the scratch schema {schema}: {e}"))?;
        Ok(Self { schema, conn })
    }

    /// Drops the schema and everything in it.
    pub async fn drop_all(mut self, _url: &str) -> Result<(), String> {
        use sqlx::Connection;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        )))
        .execute(&mut self.conn)
        .await
        .map_err(|e| format!("cannot drop scratch schema {}: {e}", self.schema))?;
        self.conn.close().await.map_err(|e| e.to_string())
    }
}
