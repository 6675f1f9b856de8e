//! What learner code may do in the database: one role per lab run, which
//! owns that run's scratch schemas and nothing else, reached only through
//! a gate that admits that role alone.
//!
//! The grader's own `DATABASE_URL` is usually a superuser (trust auth on a
//! laptop, `postgres` in a container). Handed to learner code, it could
//! create tables anywhere, drop another student's schemas, read
//! `pg_authid`, or run shell commands with `COPY ... TO PROGRAM`. So the
//! launcher, with its own URL, creates a role with no special right
//! (`NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`, no
//! membership, a connection limit), creates one scratch schema per database
//! check owned by that role, and starts a [`PgGate`] whose socket is the
//! only way the sandboxed child reaches PostgreSQL. The child gets the
//! gate's URL for the role; the grader's URL is never in its environment.
//! After the run (a crash included: this is the parent) the role, its
//! schemas and its sessions are removed.

use std::path::Path;

use grader_sandbox::{PgGate, Upstream};
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

use crate::db::{CONNECT, runtime};

/// Most sessions learner code may open at once.
const CONNECTION_LIMIT: u32 = 24;

/// A role and its scratch schemas for one lab run, and the gate in front
/// of them. Dropping it removes all three.
pub struct Access {
    admin_url: String,
    role: String,
    /// The scratch schemas, one per database check, in check order.
    pub schemas: Vec<String>,
    /// The URL learner code and the checks use: the gate's, for the role.
    pub url: String,
    gate: Option<PgGate>,
}

/// A role name unique to this process and call.
fn role_name(prefix: &str) -> String {
    format!("{prefix}_role")
}

/// 128 random bits, hex, for the role's password.
fn password() -> String {
    let mut bytes = [0u8; 16];
    use std::io::Read;
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_err()
    {
        use std::hash::{BuildHasher, RandomState};
        let a = RandomState::new().hash_one(std::time::SystemTime::now());
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&RandomState::new().hash_one(a).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Access {
    /// Creates the role and a scratch schema for each check index in
    /// `checks` (named `PREFIX_cN`, as `grader_kit::db::Scratch` expects),
    /// and starts the gate in `gate_dir`.
    pub fn create(
        admin_url: &str,
        prefix: &str,
        checks: &[usize],
        gate_dir: &Path,
    ) -> Result<Access, String> {
        let options: PgConnectOptions = admin_url
            .parse()
            .map_err(|e| format!("DATABASE_URL cannot be read ({e})"))?;
        let database = options
            .get_database()
            .unwrap_or(options.get_username())
            .to_owned();
        let role = role_name(prefix);
        let names: Vec<String> = checks.iter().map(|i| format!("{prefix}_c{i}")).collect();
        let secret = password();
        let mut statements = vec![
            format!(
                "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT CONNECTION LIMIT {CONNECTION_LIMIT} PASSWORD '{secret}'"
            ),
            format!("GRANT CONNECT ON DATABASE \"{database}\" TO {role}"),
        ];
        for name in &names {
            statements.push(format!("CREATE SCHEMA {name} AUTHORIZATION {role}"));
        }
        let mut access = Access {
            admin_url: admin_url.to_owned(),
            role: role.clone(),
            schemas: names,
            url: String::new(),
            gate: None,
        };
        execute(admin_url, &statements).map_err(|e| {
            format!(
                "the grader could not create a database role for learner code ({e}); give the user of DATABASE_URL the CREATEROLE right, or use a superuser URL"
            )
        })?;
        let upstream = match options.get_socket() {
            Some(dir) => Upstream::Unix(dir.join(format!(".s.PGSQL.{}", options.get_port()))),
            None => Upstream::Tcp(format!("{}:{}", options.get_host(), options.get_port())),
        };
        std::fs::create_dir_all(gate_dir)
            .map_err(|e| format!("cannot create {}: {e}", gate_dir.display()))?;
        let gate = PgGate::start(gate_dir, upstream, &role, &database)
            .map_err(|e| format!("cannot start the database gate: {e}"))?;
        access.url = gate.url(&role, Some(&secret), &database);
        access.gate = Some(gate);
        Ok(access)
    }

    /// The role's name, for the report.
    pub fn role(&self) -> &str {
        &self.role
    }
}

impl Drop for Access {
    fn drop(&mut self) {
        drop(self.gate.take());
        if let Err(e) = remove(&self.admin_url, &self.role, &self.schemas) {
            eprintln!(
                "warning: the database role {} or its schemas may be left behind: {e}",
                self.role
            );
        }
    }
}

/// Ends the role's sessions, then drops its schemas and the role.
fn remove(admin_url: &str, role: &str, schemas: &[String]) -> Result<(), String> {
    let mut statements = vec![format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
    )];
    for schema in schemas {
        statements.push(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    statements.push(format!("DROP OWNED BY {role} CASCADE"));
    statements.push(format!("DROP ROLE IF EXISTS {role}"));
    execute(admin_url, &statements)
}

/// Runs `statements` one by one with the grader's own URL.
fn execute(url: &str, statements: &[String]) -> Result<(), String> {
    runtime()?.block_on(async {
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| e.to_string())?;
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
        }
        conn.close().await.map_err(|e| e.to_string())
    })
}

/// Removes roles (and their schemas) that gradings of this machine left
/// behind when they were killed: roles named `grader_PID_..._role` whose
/// process is gone.
pub fn sweep_stale(admin_url: &str) -> Result<usize, String> {
    let names: Vec<String> = runtime()?.block_on(async {
        let mut conn = tokio::time::timeout(CONNECT, sqlx::PgConnection::connect(admin_url))
            .await
            .map_err(|_| "the database did not answer".to_owned())?
            .map_err(|e| e.to_string())?;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'grader\\_%\\_role'",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
        let _ = conn.close().await;
        Ok::<_, String>(rows.into_iter().map(|(n,)| n).collect())
    })?;
    let mut swept = 0;
    for role in names {
        let pid = role.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if alive {
            continue;
        }
        let prefix = role.trim_end_matches("_role");
        let schemas = crate::db::schemas_like(admin_url, prefix)?;
        remove(admin_url, &role, &schemas)?;
        swept += 1;
    }
    Ok(swept)
}
