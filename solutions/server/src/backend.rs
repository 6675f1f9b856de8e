//! The database behind `query_database`: PostgreSQL, or the SQLite demo.
//!
//! Both run only queries the security lab's [`check_query`] accepted, and
//! both add the database's own guard on top, so a check that misses
//! something still cannot write:
//!
//! - PostgreSQL goes through the performance lab's pool: a `READ ONLY`
//!   transaction, a statement timeout, the prepared protocol.
//! - SQLite is opened read-only with `query_only` set, and a progress
//!   handler interrupts a query past its deadline: the SQLite counterpart of
//!   `statement_timeout`, since dropping a future does not stop SQLite.
//!
//! Each query is wrapped as `SELECT * FROM (<checked query>) LIMIT n + 1`,
//! so a `SELECT *` over a million rows fetches `n + 1` of them: enough to
//! return `n` and to know that more were cut.
//!
//! [`check_query`]: security::sql::check_query

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use errors::{ErrorCode, ToolError};
use performance::pool::{ColumnInfo, Database, PoolConfig, QueryRows};
use security::sql::ReadOnlyQuery;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column, Executor, Row, SqlSafeStr, Statement, TypeInfo, ValueRef};

/// Where queries go.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A PostgreSQL server, through the performance lab's pool.
    Postgres(Database),
    /// The demo database, read-only.
    Sqlite {
        /// Read-only connections to the file.
        pool: SqlitePool,
        /// The file.
        path: PathBuf,
    },
}

/// The size of the pool, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Open connections.
    pub open: u32,
    /// Open and idle.
    pub idle: u32,
    /// The most the pool may open.
    pub max: u32,
}

impl Backend {
    /// Connects to PostgreSQL at `url`, with `statement_timeout` per query
    /// and at most `connections` connections.
    pub async fn postgres(
        url: &str,
        statement_timeout: Duration,
        connections: u32,
    ) -> Result<Self, ToolError> {
        let config = PoolConfig {
            min_connections: 1,
            max_connections: connections,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout,
        };
        Database::connect(url, config).await.map(Backend::Postgres)
    }

    /// Opens the demo database at `path` read-only, with at most
    /// `connections` connections, creating it first if it does not exist.
    pub async fn sqlite_demo(path: &Path, connections: u32) -> Result<Self, ToolError> {
        crate::demo_db::ensure(path).await?;
        // ANCHOR: sqlite_open
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .pragma("query_only", "ON");
        // ANCHOR_END: sqlite_open
        let pool = SqlitePoolOptions::new()
            .max_connections(connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Backend::Sqlite {
            pool,
            path: path.to_owned(),
        })
    }

    /// Which database this is, for logs and reports (never a password).
    pub fn describe(&self) -> String {
        match self {
            Backend::Postgres(db) => {
                let o = db.pool().connect_options();
                format!(
                    "PostgreSQL database {} on {}:{}",
                    o.get_database().unwrap_or("(default)"),
                    o.get_host(),
                    o.get_port()
                )
            }
            Backend::Sqlite { path, .. } => format!("SQLite demo database {}", path.display()),
        }
    }

    // ANCHOR: wrap
    /// Runs `query` and returns at most `limit + 1` rows, within `timeout`.
    pub async fn query(
        &self,
        query: &ReadOnlyQuery,
        limit: u32,
        timeout: Duration,
    ) -> Result<QueryRows, ToolError> {
        let sql = format!(
            "SELECT * FROM ({}) AS mcp_rows LIMIT {}",
            query.sql(),
            u64::from(limit) + 1
        );
        match self {
            Backend::Postgres(db) => db.query_read_only(&sql).await,
            Backend::Sqlite { pool, .. } => sqlite_query(pool, &sql, timeout).await,
        }
    }
    // ANCHOR_END: wrap

    /// Answers when the database answers `SELECT 1`.
    pub async fn ping(&self) -> Result<(), ToolError> {
        match self {
            Backend::Postgres(db) => db.pool().execute("SELECT 1").await.map(drop)?,
            Backend::Sqlite { pool, .. } => pool.execute("SELECT 1").await.map(drop)?,
        }
        Ok(())
    }

    /// The pool's connections now.
    pub fn connections(&self) -> Connections {
        let (open, idle, max) = match self {
            Backend::Postgres(db) => {
                let pool = db.pool();
                let max = pool.options().get_max_connections();
                (pool.size(), pool.num_idle() as u32, max)
            }
            Backend::Sqlite { pool, .. } => {
                let max = pool.options().get_max_connections();
                (pool.size(), pool.num_idle() as u32, max)
            }
        };
        Connections { open, idle, max }
    }

    /// The database's own statistics, as JSON.
    pub async fn statistics(&self) -> Result<Value, ToolError> {
        match self {
            Backend::Postgres(db) => {
                let row = sqlx::query(
                    "SELECT numbackends::int8, xact_commit::int8, xact_rollback::int8, \
                     blks_read::int8, blks_hit::int8, pg_database_size(current_database())::int8 \
                     FROM pg_stat_database WHERE datname = current_database()",
                )
                .fetch_one(db.pool())
                .await?;
                let read: i64 = row.try_get(3)?;
                let hit: i64 = row.try_get(4)?;
                let total = (read + hit).max(1) as f64;
                Ok(json!({
                    "database": "postgresql",
                    "backends": row.try_get::<i64, _>(0)?,
                    "commits": row.try_get::<i64, _>(1)?,
                    "rollbacks": row.try_get::<i64, _>(2)?,
                    "buffer_hit_ratio": hit as f64 / total,
                    "size_bytes": row.try_get::<i64, _>(5)?,
                }))
            }
            Backend::Sqlite { pool, .. } => {
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(pool)
                    .await?;
                let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
                    .fetch_one(pool)
                    .await?;
                let tables: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                        .fetch_one(pool)
                        .await?;
                Ok(json!({
                    "database": "sqlite",
                    "tables": tables,
                    "size_bytes": pages * page_size,
                }))
            }
        }
    }
}

// ANCHOR: sqlite_query
/// SQLite's result codes for an interrupted query and a write refused on a
/// read-only connection.
const SQLITE_INTERRUPT: &str = "9";
const SQLITE_READONLY_CODES: [&str; 2] = ["8", "1032"];

async fn sqlite_query(
    pool: &SqlitePool,
    sql: &str,
    timeout: Duration,
) -> Result<QueryRows, ToolError> {
    let mut conn = pool.acquire().await?;
    let deadline = Instant::now() + timeout;
    conn.lock_handle()
        .await?
        .set_progress_handler(1000, move || Instant::now() < deadline);
    let result = sqlite_rows(&mut conn, sql).await;
    conn.lock_handle().await?.remove_progress_handler();
    result.map_err(|e| {
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        match code.as_deref() {
            Some(SQLITE_INTERRUPT) => ToolError::new(
                ErrorCode::Timeout,
                format!(
                    "the query ran past {} and was stopped; narrow it or add a LIMIT",
                    humantime::format_duration(timeout)
                ),
            ),
            Some(c) if SQLITE_READONLY_CODES.contains(&c) => ToolError::new(
                ErrorCode::PermissionDenied,
                "the database is read-only: only queries that read are allowed",
            ),
            Some(_) => ToolError::new(
                ErrorCode::Validation,
                format!(
                    "the database refused the query: {}",
                    e.as_database_error()
                        .map(|d| d.message().to_owned())
                        .unwrap_or_default()
                ),
            ),
            None => ToolError::from(e),
        }
    })
}
// ANCHOR_END: sqlite_query

async fn sqlite_rows(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
) -> Result<QueryRows, sqlx::Error> {
    let statement = conn
        .prepare(sqlx::AssertSqlSafe(sql).into_sql_str())
        .await?;
    let columns: Vec<ColumnInfo> = statement
        .columns()
        .iter()
        .map(|c| ColumnInfo {
            name: c.name().to_owned(),
            type_name: c.type_info().name().to_owned(),
        })
        .collect();
    let found = statement.query().fetch_all(&mut *conn).await?;
    let rows = found
        .iter()
        .map(|row| (0..columns.len()).map(|i| sqlite_value(row, i)).collect())
        .collect();
    Ok(QueryRows { columns, rows })
}

/// One SQLite value as JSON, by its storage class.
fn sqlite_value(row: &SqliteRow, i: usize) -> Value {
    let Ok(raw) = row.try_get_raw(i) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    let class = raw.type_info().name().to_owned();
    match class.as_str() {
        "INTEGER" | "BOOLEAN" => row
            .try_get::<i64, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "REAL" => row
            .try_get::<f64, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
        "BLOB" => row
            .try_get::<Vec<u8>, _>(i)
            .map(|b| Value::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
            .unwrap_or(Value::Null),
        _ => row
            .try_get::<String, _>(i)
            .map(Value::from)
            .unwrap_or(Value::Null),
    }
}
