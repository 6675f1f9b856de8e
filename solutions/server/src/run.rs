//! Start-up and shutdown: from a parsed [`Config`] to a serving process.
//!
//! Start-up fails fast and says why: a database that does not answer, a
//! log root that does not exist, an audit log that cannot be opened. Once
//! serving, SIGINT or SIGTERM starts a graceful shutdown: the HTTP
//! listener closes, calls in flight get up to [`DRAIN_TIMEOUT`] to finish,
//! then the sessions end and the audit log is synced to disk before the
//! process exits.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use errors::ToolError;
use performance::cache::{MonotonicClock, TtlCache};
use rmcp::ServiceExt;
use security::audit::AuditLog;
use security::paths::PathPolicy;
use security::permissions::PermissionTable;
use security::rate_limit::{Clock, RateLimit, RateLimiter};
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use crate::cli::{self, Command, Config, Transport};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::service::McpServer;
use crate::settings::Settings;
use crate::tools::{self, AppState};

/// How long calls in flight may take to finish once shutdown starts.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How many `get_metrics` answers are cached.
const METRICS_CACHE_CAPACITY: usize = 64;

/// Runs the server with the process's arguments and environment.
pub fn main() -> ExitCode {
    ExitCode::from(main_with(std::env::args().skip(1)))
}

/// Runs the server with `args` (without the program name) and the
/// process's environment, and returns the exit code: 2 for a bad command
/// line, 1 for a failed start, 0 after a clean shutdown.
pub fn main_with(args: impl IntoIterator<Item = String>) -> u8 {
    let config = match cli::parse(args, |name| std::env::var(name).ok()) {
        Ok(Command::Serve(config)) => config,
        Ok(Command::Help) => {
            println!("{}", cli::usage());
            return 0;
        }
        Ok(Command::Version) => {
            println!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
            return 0;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return 2;
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return 1;
        }
    };
    let served = runtime.block_on(serve(*config));
    // A thread blocked reading stdin never returns while the client keeps
    // the pipe open: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(500));
    match served {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error}");
            1
        }
    }
}

// ANCHOR: logging
/// Logs to stderr: stdout belongs to the protocol over stdio.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rmcp=warn,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
// ANCHOR_END: logging

/// Why the server could not start or stopped with an error.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Everything built from a configuration, before any transport runs.
pub struct Built {
    /// The pipeline every call goes through.
    pub pipeline: Arc<Pipeline>,
    /// What the tools share.
    pub state: Arc<AppState>,
    /// The audit file, kept to sync it at shutdown.
    pub audit_file: File,
}

/// Connects to the database, opens the audit log, builds the tools and the
/// pipeline.
pub async fn build(config: &Config) -> Result<Built, StartError> {
    let backend = match &config.database_url {
        Some(url) => Backend::postgres(url, config.call_timeout, config.db_connections)
            .await
            .map_err(|e| {
                StartError(format!(
                    "cannot connect to the database given by --database-url/DATABASE_URL: {}{}",
                    e.message(),
                    e.log_detail()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ))
            })?,
        None => Backend::sqlite_demo(&config.demo_db, config.db_connections)
            .await
            .map_err(|e| {
                StartError(format!(
                    "cannot open the demo database {}: {e}",
                    config.demo_db.display()
                ))
            })?,
    };
    tracing::info!("queries go to the {}", backend.describe());

    let logs = if config.log_roots.is_empty() {
        tracing::warn!("no --log-root given: read_log will refuse every path");
        None
    } else {
        Some(PathPolicy::new(&config.log_roots).map_err(|e| {
            StartError(format!(
                "a log root cannot be used: {e}; fix --log-root or MCP_LOG_ROOTS"
            ))
        })?)
    };

    if let Some(dir) = config
        .audit_log
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StartError(format!(
                "cannot create {} for the audit log: {e}",
                dir.display()
            ))
        })?;
    }
    let audit_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.audit_log)
        .map_err(|e| {
            StartError(format!(
                "cannot open the audit log {}: {e}; set --audit-log to a writable file",
                config.audit_log.display()
            ))
        })?;
    let sink: Box<dyn Write + Send> =
        Box::new(BufWriter::new(audit_file.try_clone().map_err(|e| {
            StartError(format!("cannot open the audit log: {e}"))
        })?));
    tracing::info!("audit log: {}", config.audit_log.display());

    let metrics = Arc::new(Metrics::new());
    let settings = Arc::new(Settings::new(config.call_timeout));
    let state = Arc::new(AppState {
        backend,
        logs,
        metrics: Arc::clone(&metrics),
        settings: Arc::clone(&settings),
        metrics_cache: TtlCache::new(
            METRICS_CACHE_CAPACITY,
            config.metrics_ttl,
            MonotonicClock::new(),
        ),
    });
    let registry = tools::registry(&state)
        .map_err(|e| StartError(format!("a tool cannot be registered: {e}")))?;
    let limit = RateLimit::new(config.rate_burst, config.rate_per_second)
        .map_err(|e| StartError(format!("the rate limit is not valid: {e}")))?;
    let clock: Arc<dyn Clock> = Arc::new(MonotonicClock::new());
    let pipeline = Arc::new(Pipeline {
        registry,
        permissions: PermissionTable::course_defaults(),
        granted: config.grant.clone(),
        limiter: RateLimiter::new(limit, clock),
        settings,
        audit: Mutex::new(AuditLog::new(sink)),
        metrics,
    });
    Ok(Built {
        pipeline,
        state,
        audit_file,
    })
}

// ANCHOR: serve
/// Serves until the client goes away (stdio) or a signal arrives.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let built = build(&config).await?;
    let stop = CancellationToken::new();
    let signals = tokio::spawn(wait_for_signal(stop.clone()));
    let served = match config.transport {
        Transport::Stdio => serve_stdio(&built, stop.clone()).await,
        Transport::Http { listen } => serve_http(&config, listen, &built, stop.clone()).await,
    };
    signals.abort();
    drain(&built.pipeline.metrics).await;
    if let Err(e) = built.audit_file.sync_all() {
        tracing::error!("the audit log could not be synced: {e}");
    }
    tracing::info!("stopped");
    served
}
// ANCHOR_END: serve

async fn serve_stdio(built: &Built, stop: CancellationToken) -> Result<(), StartError> {
    let server = McpServer::new(Arc::clone(&built.pipeline), "stdio");
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| StartError(format!("the MCP handshake over stdio failed: {e}")))?;
    tracing::info!("serving MCP over stdio");
    let cancel = running.cancellation_token();
    // Pinned and polled by reference: if `select!` owned the session, it
    // would drop it (and so cancel it) the moment the signal branch won,
    // cutting off the calls in flight before `drain` could wait for them.
    let waiting = running.waiting();
    tokio::pin!(waiting);
    let finished = tokio::select! {
        _ = stop.cancelled() => {
            drain(&built.pipeline.metrics).await;
            cancel.cancel();
            waiting.await
        }
        finished = &mut waiting => finished,
    };
    match finished {
        Err(e) if !e.is_cancelled() => Err(StartError(format!(
            "the stdio session ended with an error: {e}"
        ))),
        _ => Ok(()),
    }
}

async fn serve_http(
    config: &Config,
    listen: std::net::SocketAddr,
    built: &Built,
    stop: CancellationToken,
) -> Result<(), StartError> {
    let server = McpServer::new(Arc::clone(&built.pipeline), "http");
    let sessions = CancellationToken::new();
    let app = crate::http::router(config, server, Arc::clone(&built.state), sessions.clone());
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        StartError(format!(
            "cannot listen on {listen}: {e}; choose another --listen address"
        ))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    tracing::info!("serving MCP at http://{bound}/mcp");
    // ANCHOR: shutdown
    let metrics = Arc::clone(&built.pipeline.metrics);
    let shutdown = async move {
        stop.cancelled().await;
        tracing::info!("shutting down: finishing calls in flight");
        drain(&metrics).await;
        sessions.cancel();
    };
    // Small JSON-RPC replies must leave at once: without TCP_NODELAY, Nagle's
    // algorithm and delayed ACKs hold each one back for tens of milliseconds.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| StartError(format!("the HTTP server failed: {e}")))
    // ANCHOR_END: shutdown
}

// ANCHOR: drain
/// Waits until no call is in flight, or [`DRAIN_TIMEOUT`] has passed.
async fn drain(metrics: &Metrics) {
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while metrics.in_flight() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if metrics.in_flight() > 0 {
        tracing::warn!(
            "{} calls still running after {:?}; stopping anyway",
            metrics.in_flight(),
            DRAIN_TIMEOUT
        );
    }
}
// ANCHOR_END: drain

/// Cancels `stop` on SIGINT or SIGTERM.
async fn wait_for_signal(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for signals; stop the server by closing its input");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    stop.cancel();
}

/// Keeps a [`ToolError`]'s text for start-up messages.
impl From<ToolError> for StartError {
    fn from(e: ToolError) -> Self {
        StartError(e.to_string())
    }
}
