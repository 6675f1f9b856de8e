//! The PostgreSQL fixture: where database checks get their database.
//!
//! In order: `DATABASE_URL` if it is set; else a throwaway container
//! started through testcontainers (when the grader is built with the
//! `testcontainers` feature and Docker answers); else the database checks
//! are reported as skipped, with the reason and how to fix it. Never a
//! silent pass.
//!
//! Each check then works in a scratch schema of its own (see
//! `grader_kit::db`), dropped when the check ends; what a crashed check
//! left behind is dropped here, after the lab's run.

use std::time::Duration;

/// The environment variable a learner or CI sets.
pub const DATABASE_URL: &str = "DATABASE_URL";

/// How long a container may take to start before the checks are skipped.
#[cfg(feature = "testcontainers")]
const CONTAINER_START: Duration = Duration::from_secs(120);

/// How long a first connection may take.
pub const CONNECT: Duration = Duration::from_secs(10);

/// A database for the checks, or the reason there is none.
pub enum Database {
    /// A reachable PostgreSQL.
    Ready {
        /// Its connection URL.
        url: String,
        /// Where it came from, for the report.
        source: &'static str,
        /// The container, kept alive while grading runs.
        #[cfg(feature = "testcontainers")]
        container: Option<Box<container::Running>>,
    },
    /// No database: database checks are skipped with this reason.
    Unavailable(String),
}

impl Database {
    /// Finds a database as the module documentation says.
    pub fn provide() -> Database {
        match std::env::var(DATABASE_URL) {
            Ok(url) if !url.trim().is_empty() => match check_connection(&url) {
                Ok(()) => Database::Ready {
                    url,
                    source: "DATABASE_URL",
                    #[cfg(feature = "testcontainers")]
                    container: None,
                },
                Err(e) => Database::Unavailable(format!(
                    "DATABASE_URL is set but PostgreSQL does not answer there ({e}); start PostgreSQL or fix the URL"
                )),
            },
            _ => from_docker(),
        }
    }

    /// The skip reason, if there is no database.
    pub fn unavailable(&self) -> Option<&str> {
        match self {
            Database::Ready { .. } => None,
            Database::Unavailable(reason) => Some(reason),
        }
    }
}

#[cfg(not(feature = "testcontainers"))]
fn from_docker() -> Database {
    Database::Unavailable(
        "no PostgreSQL: DATABASE_URL is not set, and this grader was built without Docker support. \
         Set DATABASE_URL=postgres://USER@HOST/DB, or start Docker and add `--features grader/testcontainers`"
            .to_owned(),
    )
}

#[cfg(feature = "testcontainers")]
fn from_docker() -> Database {
    match container::start() {
        Ok(running) => {
            let url = running.url.clone();
            match check_connection(&url) {
                Ok(()) => Database::Ready {
                    url,
                    source: "a testcontainers PostgreSQL",
                    container: Some(Box::new(running)),
                },
                Err(e) => Database::Unavailable(format!(
                    "the PostgreSQL container started but does not answer: {e}"
                )),
            }
        }
        Err(reason) => Database::Unavailable(format!(
            "no PostgreSQL: DATABASE_URL is not set and {reason}. Start Docker, or set DATABASE_URL=postgres://USER@HOST/DB"
        )),
    }
}

/// A single-threaded runtime for the fixture's own async calls.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start an async runtime: {e}"))
}

/// Connects once and runs `SELECT 1`.
fn check_connection(url: &str) -> Result<(), String> {
    use sqlx::Connection;
    runtime()?.block_on(async {
        let connect = sqlx::PgConnection::connect(url);
        let mut conn = tokio::time::timeout(CONNECT, connect)
            .await
            .map_err(|_| format!("no answer within {} s", CONNECT.as_secs()))?
            .map_err(|e| e.to_string())?;
        sqlx::query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        conn.close().await.map_err(|e| e.to_string())
    })
}

#[cfg(feature = "testcontainers")]
mod container {
    //! A PostgreSQL container through testcontainers.

    use testcontainers_modules::postgres::Postgres;
    use testcontainers_modules::testcontainers::core::client::docker_client_instance;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};

    use super::{CONTAINER_START, runtime};

    /// A running container and the runtime that must outlive it (its drop
    /// removes the container through that runtime).
    pub struct Running {
        /// The connection URL.
        pub url: String,
        container: Option<ContainerAsync<Postgres>>,
        runtime: tokio::runtime::Runtime,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            let container = self.container.take();
            self.runtime.block_on(async move { drop(container) });
        }
    }

    /// Starts PostgreSQL, or says why it could not.
    pub fn start() -> Result<Running, String> {
        let runtime = runtime()?;
        let started = runtime.block_on(async {
            let docker = docker_client_instance()
                .await
                .map_err(|e| format!("Docker is not reachable ({e})"))?;
            match tokio::time::timeout(std::time::Duration::from_secs(3), docker.ping()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(format!("Docker is not reachable ({e})")),
                Err(_) => return Err("Docker does not answer".to_owned()),
            }
            let start = Postgres::default().with_tag("16-alpine").start();
            let container = tokio::time::timeout(CONTAINER_START, start)
                .await
                .map_err(|_| {
                    format!(
                        "the PostgreSQL container did not start within {} s",
                        CONTAINER_START.as_secs()
                    )
                })?
                .map_err(|e| format!("the PostgreSQL container did not start ({e})"))?;
            let host = container.get_host().await.map_err(|e| e.to_string())?;
            let port = container
                .get_host_port_ipv4(5432)
                .await
                .map_err(|e| e.to_string())?;
            Ok((
                container,
                format!("postgres://postgres:postgres@{host}:{port}/postgres"),
            ))
        });
        let (container, url) = started?;
        Ok(Running {
            url,
            container: Some(container),
            runtime,
        })
    }
}

fn unique() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000
}

/// A prefix for the scratch schemas of one grading run: letters, digits and
/// underscores only, unique to this process.
pub fn scratch_prefix() -> String {
    format!("grader_{}_{}", std::process::id(), unique())
}

/// The schemas whose name starts with `prefix_`.
pub fn schemas_like(url: &str, prefix: &str) -> Result<Vec<String>, String> {
    use sqlx::Connection;
    runtime()?.block_on(async {
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| e.to_string())?;
        let pattern = format!("{prefix}\\_%");
        let names: Vec<(String,)> =
            sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
                .bind(&pattern)
                .fetch_all(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
        conn.close().await.map_err(|e| e.to_string())?;
        Ok(names.into_iter().map(|(n,)| n).collect())
    })
}

/// Drops every schema whose name starts with `prefix_`: what a grading
/// left behind when it was killed before it could clean up.
pub fn drop_scratch_schemas(url: &str, prefix: &str) -> Result<usize, String> {
    use sqlx::Connection;
    let names = schemas_like(url, prefix)?;
    runtime()?.block_on(async {
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| e.to_string())?;
        for name in &names {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
            )))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("cannot drop scratch schema {name}: {e}"))?;
        }
        conn.close().await.map_err(|e| e.to_string())?;
        Ok(names.len())
    })
}
