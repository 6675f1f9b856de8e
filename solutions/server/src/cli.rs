//! The command line and the environment: what the server is told to do.
//!
//! Every setting is a flag with an environment variable behind it, so the
//! same binary runs from a terminal (`--log-root /var/log/app`) and from an
//! MCP client's config, which usually passes only `env`. A flag wins over
//! its variable. A wrong value is refused at start-up with what was wrong
//! and what to type instead: a server that starts with a half-read
//! configuration fails later, further from the cause.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use security::permissions::Permission;

/// How the server talks to its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// JSON-RPC over stdin and stdout: the client spawned this process.
    Stdio,
    /// Streamable HTTP at `/mcp` on this address, beside `/healthz`,
    /// `/readyz` and `/metrics`.
    Http {
        /// Where to listen.
        listen: SocketAddr,
    },
}

// ANCHOR: config
/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// stdio or HTTP.
    pub transport: Transport,
    /// A PostgreSQL URL; `None` serves the SQLite demo database.
    pub database_url: Option<String>,
    /// Where the SQLite demo database lives (created on first run).
    pub demo_db: PathBuf,
    /// The folders `read_log` may read under.
    pub log_roots: Vec<PathBuf>,
    /// The audit log file (JSON lines, appended).
    pub audit_log: PathBuf,
    /// The bearer token HTTP clients must send; `None` disables the check.
    pub token: Option<String>,
    /// Calls a client may make at once before the rate limit applies.
    pub rate_burst: u32,
    /// Calls per second a client may sustain.
    pub rate_per_second: f64,
    /// How long one tool call may take.
    pub call_timeout: Duration,
    /// The most database connections the pool opens.
    pub db_connections: u32,
    /// How long `get_metrics` answers are cached.
    pub metrics_ttl: Duration,
    /// The permissions granted to clients of this server.
    pub grant: Vec<Permission>,
    /// Host names (or `host:port`) HTTP requests may be addressed to.
    pub allowed_hosts: Vec<String>,
    /// Browser origins HTTP requests may come from.
    pub allowed_origins: Vec<String>,
}
// ANCHOR_END: config

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Serve with this configuration.
    Serve(Box<Config>),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// A command line or environment the server cannot start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\nrun `{} --help` for the options",
            self.0,
            env!("CARGO_PKG_NAME")
        )
    }
}

impl std::error::Error for CliError {}

/// The database pool's size when `--db-connections` is not given. Small on
/// purpose: the database does the work of every query, and connections
/// beyond its cores only queue inside it, where waiting is less fair than
/// in the pool's own queue.
pub const DEFAULT_DB_CONNECTIONS: u32 = 4;

/// The permission names `--grant` accepts, in [`Permission::ALL`] order.
pub const PERMISSION_NAMES: [&str; 4] = [
    "read_logs",
    "read_metrics",
    "execute_query",
    "modify_config",
];

/// The usage text.
pub fn usage() -> String {
    let bin = env!("CARGO_PKG_NAME");
    format!(
        "\
A production MCP server: query_database, read_log, get_metrics, health_check
and update_config, each behind permissions, a rate limit, a timeout and an
audit log.

usage: {bin} stdio [OPTIONS]
       {bin} http [--listen ADDR] [OPTIONS]

options (each falls back to the environment variable in brackets):
  --listen ADDR            HTTP address, default 127.0.0.1:8000 [MCP_LISTEN]
  --database-url URL       PostgreSQL to query; without it a SQLite demo
                           database is served [DATABASE_URL]
  --demo-db FILE           where the demo database is created [MCP_DEMO_DB]
  --log-root DIR           a folder read_log may read, repeatable
                           [MCP_LOG_ROOTS, colon-separated]
  --audit-log FILE         the audit log, JSON lines [MCP_AUDIT_LOG]
  --token-file FILE        HTTP clients must send this bearer token [MCP_TOKEN
                           holds the token itself]
  --rate-burst N           calls a client may make at once, default 20 [MCP_RATE_BURST]
  --rate-per-second X      calls per second after the burst, default 10
                           [MCP_RATE_PER_SECOND]
  --timeout DURATION       per call, default 30s [MCP_TIMEOUT]
  --db-connections N       the database pool's size, default {DEFAULT_DB_CONNECTIONS}
                           [MCP_DB_CONNECTIONS]
  --metrics-ttl DURATION   how long get_metrics answers are cached, default 60s
                           [MCP_METRICS_TTL]
  --grant LIST             permissions clients get, comma-separated, default all:
                           {} [MCP_GRANT]
  --allowed-host HOST      accept HTTP requests for this Host, repeatable;
                           loopback names are always accepted [MCP_ALLOWED_HOSTS]
  --allowed-origin ORIGIN  accept browser requests from this Origin, repeatable;
                           http://localhost and http://127.0.0.1 on any port are
                           always accepted [MCP_ALLOWED_ORIGINS]
  -h, --help               this text
  -V, --version            the version

Logs go to stderr (RUST_LOG sets the level); stdout carries only the protocol.",
        PERMISSION_NAMES.join(",")
    )
}

/// Parses `args` (without the program name), reading fallbacks from `env`.
pub fn parse<I, E>(args: I, env: E) -> Result<Command, CliError>
where
    I: IntoIterator<Item = String>,
    E: Fn(&str) -> Option<String>,
{
    let mut args = args.into_iter();
    let transport = match args.next().as_deref() {
        Some("stdio") => "stdio",
        Some("http") => "http",
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some(other) => {
            return Err(CliError(format!(
                "unknown command {other:?}: the first argument is `stdio` or `http`"
            )));
        }
        None => {
            return Err(CliError(
                "no command given: start the server with `stdio` or `http`".into(),
            ));
        }
    };

    let mut flags = Flags::default();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (flag.clone(), None),
        };
        let mut value = || -> Result<String, CliError> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| CliError(format!("{name} needs a value")))
        };
        match name.as_str() {
            "--listen" => flags.listen = Some(value()?),
            "--database-url" => flags.database_url = Some(value()?),
            "--demo-db" => flags.demo_db = Some(value()?),
            "--log-root" => flags.log_roots.push(value()?),
            "--audit-log" => flags.audit_log = Some(value()?),
            "--token-file" => flags.token_file = Some(value()?),
            "--rate-burst" => flags.rate_burst = Some(value()?),
            "--rate-per-second" => flags.rate_per_second = Some(value()?),
            "--timeout" => flags.timeout = Some(value()?),
            "--db-connections" => flags.db_connections = Some(value()?),
            "--metrics-ttl" => flags.metrics_ttl = Some(value()?),
            "--grant" => flags.grant = Some(value()?),
            "--allowed-host" => flags.allowed_hosts.push(value()?),
            "--allowed-origin" => flags.allowed_origins.push(value()?),
            other => {
                return Err(CliError(format!("unknown option {other:?}")));
            }
        }
    }
    if transport == "stdio" && flags.listen.is_some() {
        return Err(CliError(
            "--listen applies to `http` only: stdio has no address".into(),
        ));
    }
    flags
        .resolve(transport, &env)
        .map(|c| Command::Serve(Box::new(c)))
}

/// Flags as typed, before the environment fills the gaps.
#[derive(Default)]
struct Flags {
    listen: Option<String>,
    database_url: Option<String>,
    demo_db: Option<String>,
    log_roots: Vec<String>,
    audit_log: Option<String>,
    token_file: Option<String>,
    rate_burst: Option<String>,
    rate_per_second: Option<String>,
    timeout: Option<String>,
    db_connections: Option<String>,
    metrics_ttl: Option<String>,
    grant: Option<String>,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
}

impl Flags {
    fn resolve(
        self,
        transport: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, CliError> {
        let pick =
            |flag: Option<String>, var: &str| flag.or_else(|| env(var).filter(|v| !v.is_empty()));
        let list = |flags: Vec<String>, var: &str, sep: char| -> Vec<String> {
            if flags.is_empty() {
                env(var)
                    .map(|v| {
                        v.split(sep)
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                flags
            }
        };

        let transport = if transport == "http" {
            let text = pick(self.listen, "MCP_LISTEN").unwrap_or_else(|| "127.0.0.1:8000".into());
            let listen = text.parse().map_err(|_| {
                CliError(format!(
                    "--listen {text:?} is not an address: write it as 127.0.0.1:8000"
                ))
            })?;
            Transport::Http { listen }
        } else {
            Transport::Stdio
        };

        let data_dir = data_dir(env);
        let token = match self.token_file {
            Some(file) => Some(read_token(&file)?),
            None => env("MCP_TOKEN")
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        };
        let grant = match pick(self.grant, "MCP_GRANT") {
            Some(text) => parse_grant(&text)?,
            None => Permission::ALL.to_vec(),
        };

        Ok(Config {
            transport,
            database_url: pick(self.database_url, "DATABASE_URL"),
            demo_db: pick(self.demo_db, "MCP_DEMO_DB")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("demo.sqlite3")),
            log_roots: list(self.log_roots, "MCP_LOG_ROOTS", ':')
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            audit_log: pick(self.audit_log, "MCP_AUDIT_LOG")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("audit.jsonl")),
            token,
            rate_burst: number(pick(self.rate_burst, "MCP_RATE_BURST"), "--rate-burst", 20)?,
            rate_per_second: number(
                pick(self.rate_per_second, "MCP_RATE_PER_SECOND"),
                "--rate-per-second",
                10.0,
            )?,
            call_timeout: duration(
                pick(self.timeout, "MCP_TIMEOUT"),
                "--timeout",
                Duration::from_secs(30),
            )?,
            db_connections: number(
                pick(self.db_connections, "MCP_DB_CONNECTIONS"),
                "--db-connections",
                DEFAULT_DB_CONNECTIONS,
            )?,
            metrics_ttl: duration(
                pick(self.metrics_ttl, "MCP_METRICS_TTL"),
                "--metrics-ttl",
                Duration::from_secs(60),
            )?,
            grant,
            allowed_hosts: list(self.allowed_hosts, "MCP_ALLOWED_HOSTS", ','),
            allowed_origins: list(self.allowed_origins, "MCP_ALLOWED_ORIGINS", ','),
        })
    }
}

/// Where the demo database and the default audit log go:
/// `$MCP_DATA_DIR`, else `$XDG_DATA_HOME/mcp-patterns-labs`, else
/// `~/.local/share/mcp-patterns-labs`, else the temporary folder.
fn data_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = env("MCP_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let base = env("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("mcp-patterns-labs")
}

fn read_token(file: &str) -> Result<String, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError(format!("cannot read the token file {file}: {e}")))?;
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(CliError(format!(
            "the token file {file} is empty: put the bearer token on its first line"
        )));
    }
    Ok(token)
}

fn parse_grant(text: &str) -> Result<Vec<Permission>, CliError> {
    let mut granted = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let at = PERMISSION_NAMES
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| {
                CliError(format!(
                    "--grant: unknown permission {name:?}; the permissions are {}",
                    PERMISSION_NAMES.join(", ")
                ))
            })?;
        granted.push(Permission::ALL[at]);
    }
    Ok(granted)
}

fn number<T: std::str::FromStr + PartialOrd + Default>(
    text: Option<String>,
    flag: &str,
    default: T,
) -> Result<T, CliError> {
    let Some(text) = text else { return Ok(default) };
    match text.trim().parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err(CliError(format!(
            "{flag} {text:?} is not a positive number"
        ))),
    }
}

fn duration(text: Option<String>, flag: &str, default: Duration) -> Result<Duration, CliError> {
    let Some(text) = text else { return Ok(default) };
    humantime::parse_duration(text.trim()).map_err(|e| {
        CliError(format!(
            "{flag} {text:?} is not a duration ({e}): write it as 500ms, 30s or 2m"
        ))
    })
}
