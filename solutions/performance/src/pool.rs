//! A PostgreSQL pool for read-only queries from a model.
//!
//! Opening a connection costs a TCP handshake, authentication and backend
//! start-up: far more than a simple query. A pool keeps connections open
//! and lends them out. Each query here also gets the database's own
//! guarantees: it runs inside a `READ ONLY` transaction with a statement
//! timeout set for that transaction only, and through the extended
//! (prepared) protocol, which refuses a second statement.

use std::time::Duration;

use errors::{ErrorCode, ToolError};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Column, Connection, Executor, SqlSafeStr, Statement, TypeInfo};

use crate::json_rows;

// ANCHOR: types
/// How big the pool is and how long things may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Connections kept open even when idle.
    pub min_connections: u32,
    /// Connections open at most.
    pub max_connections: u32,
    /// How long a query may wait for a free connection.
    pub acquire_timeout: Duration,
    /// How long one query may run.
    pub statement_timeout: Duration,
}

/// One column of a result: its name and its PostgreSQL type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// The column's name.
    pub name: String,
    /// Its type as PostgreSQL names it: `INT4`, `TEXT`, `TIMESTAMPTZ`, ...
    pub type_name: String,
}

/// A query's result: the columns, and each row's values as JSON, in column
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRows {
    /// The columns, in order.
    pub columns: Vec<ColumnInfo>,
    /// The rows; each holds one JSON value per column.
    pub rows: Vec<Vec<Value>>,
}

/// A pool of connections for read-only queries.
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
    statement_timeout: Duration,
}

impl Database {
    /// The pool itself, for callers (and tests) that need a connection.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Parses a connection URL, with a clear error when it is malformed.
pub fn connect_options(url: &str) -> Result<PgConnectOptions, ToolError> {
    url.parse::<PgConnectOptions>().map_err(|e| {
        ToolError::new(ErrorCode::Validation, "the database URL is not valid")
            .with_log_detail(e.to_string())
    })
}
// ANCHOR_END: types

impl Database {
    // ANCHOR: connect
    /// Opens a pool with `config`: its size, its acquire timeout, and the
    /// statement timeout its queries will use.
    pub async fn connect(url: &str, config: PoolConfig) -> Result<Self, ToolError> {
        // LAB: todo("Database::connect")
        // TODO: Build the pool with `PgPoolOptions` (min and max connections, acquire timeout) and
        //       `connect_with(connect_options(url)?)`.
        // TODO: Keep `config.statement_timeout` for the queries. Errors convert with `?` (lab 2's
        //       `From<sqlx::Error>`).
        let pool = PgPoolOptions::new()
            .min_connections(config.min_connections)
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(config.acquire_timeout)
            .connect_with(connect_options(url)?)
            .await?;
        Ok(Self {
            pool,
            statement_timeout: config.statement_timeout,
        })
        // LAB: end
    }
    // ANCHOR_END: connect

    // ANCHOR: query_read_only
    /// Runs `sql`, one read-only statement, and returns its rows as JSON.
    ///
    /// Inside `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, through
    /// the prepared protocol; the transaction is rolled back at the end, so
    /// the connection goes back to the pool with nothing left over. A
    /// write fails with `PERMISSION_DENIED` (SQLSTATE 25006), a query past
    /// the timeout with `TIMEOUT` (57014), a second statement with
    /// `VALIDATION`.
    pub async fn query_read_only(&self, sql: &str) -> Result<QueryRows, ToolError> {
        // LAB: todo("Database::query_read_only")
        // TODO: Begin a transaction, make it `READ ONLY`, and set `statement_timeout` for this
        //       transaction only (`SET LOCAL`). Each statement sent alone costs a round trip
        //       to the server; `Pool::begin_with` can send several in one.
        // TODO: Run the statement with `rows_as_json` (it uses the prepared protocol), then roll
        //       back, so nothing is left on the connection.

        // Both statements in one simple query: one round trip, not two.
        let ms = self.statement_timeout.as_millis().max(1);
        let mut tx = self
            .pool
            .begin_with(sqlx::AssertSqlSafe(format!(
                "BEGIN READ ONLY; SET LOCAL statement_timeout = {ms}"
            )))
            .await?;
        let result = rows_as_json(&mut tx, sql).await;
        tx.rollback().await?;
        result
        // LAB: end
    }
    // ANCHOR_END: query_read_only
}

/// Runs `sql` as written through the prepared protocol, and turns each
/// row into JSON by column type ([`crate::json_rows`]).
async fn rows_as_json(conn: &mut sqlx::PgConnection, sql: &str) -> Result<QueryRows, ToolError> {
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
        .map(|row| {
            (0..columns.len())
                .map(|i| json_rows::value(row, i))
                .collect()
        })
        .collect();
    Ok(QueryRows { columns, rows })
}

// ANCHOR: query_once
/// The naive way: a new connection for every query, closed after it. Kept
/// so the difference can be measured (see the lab's benchmarks).
pub async fn query_once(
    url: &str,
    statement_timeout: Duration,
    sql: &str,
) -> Result<QueryRows, ToolError> {
    // LAB: todo("query_once")
    // TODO: Connect a single `PgConnection`, run the query as `query_read_only` does, then close
    //       the connection.
    let mut conn = sqlx::PgConnection::connect_with(&connect_options(url)?).await?;
    let mut tx = conn.begin().await?;
    tx.execute("SET TRANSACTION READ ONLY").await?;
    let ms = statement_timeout.as_millis().max(1);
    tx.execute(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = {ms}"
    )))
    .await?;
    let result = rows_as_json(&mut tx, sql).await;
    tx.rollback().await?;
    conn.close().await?;
    result
    // LAB: end
}
// ANCHOR_END: query_once
