//! Load generator: measures `solution-server` and the Python peer
//! (`interop/fastmcp_peer.py`, the official MCP Python SDK) in one run.
//!
//! It starts the Rust server over streamable HTTP and the Python peer on two
//! free loopback ports, then, for each server and each of two tools, opens N
//! concurrent MCP sessions (each its own rmcp client) that call the tool in a
//! closed loop: one call at a time per session, the next as soon as the last
//! answer is checked. After a warm-up, each call's latency is recorded with
//! [`Instant`]. The tools are `get_metrics` (the same metric every call, so
//! the answer comes from the servers' 60-second cache) and `query_database`
//! with `SELECT 1` (one PostgreSQL round trip through each server's pool).
//! A final run spawns `solution-server stdio` and drives it from one session.
//! While the Rust server is under the HTTP load its resident memory is
//! sampled from `/proc/PID/status`.
//!
//! Every answer is checked: a transport error, a protocol error or a tool
//! result flagged `isError` counts as an error, is listed, and is never
//! counted as throughput. The output is Markdown on stdout: the machine and
//! versions, the table, the memory, and the targets with PASS or MISSED. The
//! exit code is 0 even when a target is missed: this is a measurement.
//!
//! Run from the repository root, after building the server and setting up
//! the Python side (`bash interop/setup.sh`):
//!
//! ```text
//! cargo build --release -p solution-server --example load --bin solution-server
//! cargo run --release -p solution-server --example load -- --sessions 16 --duration 10
//! ```
//!
//! `--help` lists the options. Both servers are killed on every exit path:
//! a normal end, an error, a panic, Ctrl-C or SIGTERM.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::{Peer, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;

/// The database both servers query unless told otherwise.
const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The metric every `get_metrics` call asks for; both servers know it.
const METRIC: &str = "connections";
/// The statement every `query_database` call runs.
const QUERY: &str = "SELECT 1";
/// The `limit` passed with every `query_database` call.
const QUERY_LIMIT: u64 = 10;
/// The rate-limit flags given to the Rust server: far above any rate this
/// machine reaches, so the limiter is on the path but never refuses.
const RATE_UNLIMITED: &str = "1000000";
/// Target (a): Rust calls/s on cached `get_metrics` over the Python peer's.
const TARGET_SPEEDUP: f64 = 10.0;
/// Target (b): the Rust server's p99 over HTTP at 16 sessions.
const TARGET_P99: Duration = Duration::from_millis(5);
/// The session count target (b) is stated for.
const TARGET_SESSIONS: usize = 16;
/// Target (c): the Rust server's resident memory under the HTTP load, in KiB.
const TARGET_RSS_KIB: u64 = 64 * 1024;
/// How often resident memory is sampled.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// How long a server has to answer its first `initialize`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one call may take before it counts as an error.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A session stops calling after this many failures in a row (the server
/// is most likely gone), rather than spinning on instant errors.
const MAX_CONSECUTIVE_FAILURES: u32 = 1000;
/// Median latencies in this range over a keep-alive connection point to a
/// Nagle / delayed-ACK stall (Linux delays an ACK by up to 40 ms).
const NAGLE_STALL: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(36)..=Duration::from_millis(50);
/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// The usage text.
const USAGE: &str = "\
Measures solution-server and the Python peer under MCP load.

usage: cargo run --release -p solution-server --example load -- [OPTIONS]

options:
  --server BIN          the Rust server, default target/release/solution-server
  --python PATH         the Python with the MCP SDK, default target/interop/venv/bin/python
  --peer FILE           the Python peer, default interop/fastmcp_peer.py
  --sessions N          concurrent HTTP sessions per run, default 16
  --duration SECS       measured seconds per run, default 10
  --warmup SECS         unmeasured seconds before each run, default 2
  --database-url URL    PostgreSQL for both servers, default $DATABASE_URL or
                        postgres://postgres@127.0.0.1:5432/test
  --no-peer             skip the Python peer
  --fresh-connections   use rmcp's default HTTP client (a new TCP connection per
                        call) instead of one keep-alive connection per session
  -h, --help            this text";

/// What the command line asks for.
#[derive(Debug, Clone)]
struct Options {
    /// The Rust server binary.
    server: PathBuf,
    /// The Python interpreter of the interop venv.
    python: PathBuf,
    /// The Python peer script.
    peer: PathBuf,
    /// Concurrent sessions per HTTP run.
    sessions: usize,
    /// The measured part of each run.
    duration: Duration,
    /// The unmeasured start of each run.
    warmup: Duration,
    /// PostgreSQL for both servers.
    database_url: String,
    /// Skip the Python peer.
    no_peer: bool,
    /// A new TCP connection per call instead of keep-alive.
    fresh_connections: bool,
}

impl Options {
    /// The options as a command line, for the report.
    fn command_line(&self) -> String {
        let mut line = format!(
            "--server {} --python {} --peer {} --sessions {} --duration {} --warmup {} \
             --database-url {}",
            self.server.display(),
            self.python.display(),
            self.peer.display(),
            self.sessions,
            self.duration.as_secs_f64(),
            self.warmup.as_secs_f64(),
            self.database_url
        );
        if self.no_peer {
            line.push_str(" --no-peer");
        }
        if self.fresh_connections {
            line.push_str(" --fresh-connections");
        }
        line
    }
}

/// Parses the command line; `Ok(None)` means `--help` was asked for.
fn parse_options(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        server: PathBuf::from("target/release/solution-server"),
        python: PathBuf::from("target/interop/venv/bin/python"),
        peer: PathBuf::from("interop/fastmcp_peer.py"),
        sessions: 16,
        duration: Duration::from_secs(10),
        warmup: Duration::from_secs(2),
        database_url: std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
        no_peer: false,
        fresh_connections: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(value) => Ok(value.to_string()),
                None => args.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--server" => options.server = value("--server")?.into(),
            "--python" => options.python = value("--python")?.into(),
            "--peer" => options.peer = value("--peer")?.into(),
            "--database-url" => options.database_url = value("--database-url")?,
            "--sessions" => {
                let text = value("--sessions")?;
                options.sessions =
                    text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("--sessions wants a whole number >= 1, not {text:?}")
                    })?;
            }
            "--duration" => options.duration = seconds("--duration", &value("--duration")?)?,
            "--warmup" => options.warmup = seconds("--warmup", &value("--warmup")?)?,
            "--no-peer" => options.no_peer = true,
            "--fresh-connections" => options.fresh_connections = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.duration.is_zero() {
        return Err("--duration must be more than 0".to_string());
    }
    Ok(Some(options))
}

/// Parses a number of seconds (fractions allowed).
fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{flag} wants seconds, like 10 or 0.5, not {text:?}"))
}

/// The two tools under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// `get_metrics {metric}`: a cached answer.
    GetMetrics,
    /// `query_database {query, limit}`: one database round trip.
    QueryDatabase,
}

impl Tool {
    /// Both tools, in report order.
    const ALL: [Tool; 2] = [Tool::GetMetrics, Tool::QueryDatabase];

    /// The tool's MCP name (the same on both servers).
    fn name(self) -> &'static str {
        match self {
            Tool::GetMetrics => "get_metrics",
            Tool::QueryDatabase => "query_database",
        }
    }

    /// The request every call of this tool sends.
    fn params(self) -> CallToolRequestParams {
        let arguments = match self {
            Tool::GetMetrics => json!({ "metric": METRIC }),
            Tool::QueryDatabase => json!({ "query": QUERY, "limit": QUERY_LIMIT }),
        };
        let arguments: JsonObject = match arguments {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("the arguments are written as an object above"),
        };
        CallToolRequestParams::new(self.name()).with_arguments(arguments)
    }

    /// Whether an answer is a success with the content this tool returns.
    fn check(self, result: &CallToolResult) -> Result<(), String> {
        let text = result_text(result);
        if result.is_error == Some(true) {
            return Err(format!("tool error: {}", one_line(&text)));
        }
        let expected = match self {
            Tool::GetMetrics => !text.trim().is_empty(),
            // Rust: {"columns":[...],"rows":[[1]],...}; Python: [{"?column?": 1}].
            Tool::QueryDatabase => text.contains('1'),
        };
        if expected {
            Ok(())
        } else {
            Err(format!("unexpected answer: {}", one_line(&text)))
        }
    }
}

/// The text blocks of a tool result, joined.
fn result_text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text())
        .map(|text| text.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of a message, at most 160 characters: for the error list.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(160).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// A server process the run started. Dropping it kills the process, so it
/// cannot outlive the run whichever way the run ends.
struct ServerProcess {
    /// For messages.
    name: &'static str,
    /// The process (spawned with `kill_on_drop` as well).
    child: tokio::process::Child,
    /// Its process id, for `/proc`.
    pid: u32,
    /// Where its stderr goes.
    stderr_log: PathBuf,
}

impl ServerProcess {
    /// Spawns `command` with stdout discarded and stderr to `stderr_log`.
    fn spawn(
        name: &'static str,
        mut command: tokio::process::Command,
        stderr_log: PathBuf,
    ) -> Result<Self, String> {
        let stderr = File::create(&stderr_log)
            .map_err(|e| format!("cannot create {}: {e}", stderr_log.display()))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start the {name}: {e}"))?;
        let pid = child
            .id()
            .ok_or_else(|| format!("the {name} exited at once"))?;
        Ok(Self {
            name,
            child,
            pid,
            stderr_log,
        })
    }

    /// Fails if the process has exited, with the end of its stderr.
    fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "the {} exited ({status}); the end of its stderr:\n{}",
                self.name,
                tail(&self.stderr_log)
            )),
            Err(e) => Err(format!("cannot watch the {}: {e}", self.name)),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.start_kill();
            // Reap it, briefly, so no zombie is left behind.
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// An MCP client session.
type Client = RunningService<RoleClient, ()>;

/// Opens one MCP session over streamable HTTP (initialize included).
async fn connect_http(url: &str, fresh_connections: bool) -> Result<Client, String> {
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    let transport = if fresh_connections {
        StreamableHttpClientTransport::from_config(config)
    } else {
        // One keep-alive connection per session. rmcp's default client
        // turns pooling off, which costs a TCP handshake on every call.
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(4)
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        StreamableHttpClientTransport::with_client(http, config)
    };
    ().serve(transport)
        .await
        .map_err(|e| format!("initialize failed: {e}"))
}

/// What a server said about itself when it first answered.
struct ServerInfo {
    /// `name version` from `serverInfo`.
    implementation: String,
    /// The negotiated protocol version.
    protocol: String,
}

/// The identity a session's server gave at initialize.
fn server_info(client: &Client) -> ServerInfo {
    let info = client.peer_info();
    let implementation = info
        .as_ref()
        .and_then(|info| info.server_info.as_ref())
        .map(|i| format!("{} {}", i.name, i.version))
        .unwrap_or_else(|| "unnamed".to_string());
    let protocol = info
        .as_ref()
        .map(|info| info.protocol_version.to_string())
        .unwrap_or_else(|| "unknown".to_string());
    ServerInfo {
        implementation,
        protocol,
    }
}

/// Waits until the server answers an MCP initialize at `url`.
async fn wait_ready(
    server: &mut ServerProcess,
    url: &str,
    fresh_connections: bool,
) -> Result<ServerInfo, String> {
    let started = Instant::now();
    let mut last_error = String::from("no answer yet");
    while started.elapsed() < READY_TIMEOUT {
        server.check_alive()?;
        match tokio::time::timeout(Duration::from_secs(5), connect_http(url, fresh_connections))
            .await
        {
            Ok(Ok(client)) => {
                let info = server_info(&client);
                let _ = client.cancel().await;
                return Ok(info);
            }
            Ok(Err(e)) => last_error = e,
            Err(_) => last_error = "initialize timed out".to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the {} did not answer initialize at {url} within {READY_TIMEOUT:?} (last: {last_error}); \
         the end of its stderr:\n{}",
        server.name,
        tail(&server.stderr_log)
    ))
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields start after its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (utime + stime) / CLOCK_TICKS_PER_SECOND,
    ))
}

/// A `kB` field (`VmRSS`, `VmHWM`) of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    status_line(&format!("/proc/{pid}/status"), field)
}

/// Samples a process's `VmRSS` in the background and keeps the peak.
struct RssSampler {
    /// The highest `VmRSS` seen, in KiB.
    peak_kib: Arc<AtomicU64>,
    /// Tells the sampler to stop.
    stop: Arc<AtomicBool>,
    /// The sampling task.
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    /// Starts sampling `pid` every [`RSS_SAMPLE_EVERY`].
    fn start(pid: u32) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(status_kib(pid, "VmRSS").unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let peak_kib = Arc::clone(&peak_kib);
            let stop = Arc::clone(&stop);
            async move {
                let mut every = tokio::time::interval(RSS_SAMPLE_EVERY);
                while !stop.load(Ordering::Relaxed) {
                    every.tick().await;
                    if let Some(kib) = status_kib(pid, "VmRSS") {
                        peak_kib.fetch_max(kib, Ordering::Relaxed);
                    }
                }
            }
        });
        Self {
            peak_kib,
            stop,
            task,
        }
    }

    /// Stops sampling and returns the peak, in KiB.
    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak_kib.load(Ordering::Relaxed)
    }
}

/// Which server a run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `solution-server`.
    Rust,
    /// `interop/fastmcp_peer.py`.
    Python,
}

impl Side {
    /// The name in the table.
    fn label(self) -> &'static str {
        match self {
            Side::Rust => "Rust (solution-server)",
            Side::Python => "Python (MCPServer peer)",
        }
    }
}

/// What one session measured.
#[derive(Default)]
struct SessionStats {
    /// Latencies of the successful calls started inside the window, in ns.
    latencies_ns: Vec<u64>,
    /// Failed calls started inside the window.
    errors: u64,
    /// Failed calls during the warm-up.
    warmup_errors: u64,
    /// Failure messages and how often each came, from any phase.
    messages: BTreeMap<String, u64>,
    /// When this session's last measured call ended.
    last_end: Option<Instant>,
    /// Why the session stopped early, if it did.
    stopped: Option<String>,
}

/// One session's closed loop: call, check, record, repeat, from now until
/// the first call that would start at or after `end`. Calls that start
/// before `measure_from` are the warm-up and are not recorded.
async fn session_loop(
    peer: Peer<RoleClient>,
    tool: Tool,
    measure_from: Instant,
    end: Instant,
) -> SessionStats {
    let params = tool.params();
    let mut stats = SessionStats::default();
    let mut failures_in_a_row = 0u32;
    loop {
        let started = Instant::now();
        if started >= end {
            break;
        }
        let outcome = tokio::time::timeout(CALL_TIMEOUT, peer.call_tool(params.clone())).await;
        let ended = Instant::now();
        let verdict = match outcome {
            Ok(Ok(result)) => tool.check(&result),
            Ok(Err(e)) => Err(format!("call failed: {}", one_line(&e.to_string()))),
            Err(_) => Err(format!("no answer within {CALL_TIMEOUT:?}")),
        };
        let measured = started >= measure_from;
        match verdict {
            Ok(()) => {
                failures_in_a_row = 0;
                if measured {
                    let ns = u64::try_from((ended - started).as_nanos()).unwrap_or(u64::MAX);
                    stats.latencies_ns.push(ns);
                }
            }
            Err(message) => {
                failures_in_a_row += 1;
                if measured {
                    stats.errors += 1;
                } else {
                    stats.warmup_errors += 1;
                }
                *stats.messages.entry(message).or_default() += 1;
                if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES {
                    stats.stopped = Some(format!(
                        "stopped after {MAX_CONSECUTIVE_FAILURES} failed calls in a row"
                    ));
                    break;
                }
            }
        }
        if measured {
            stats.last_end = Some(ended);
        }
    }
    stats
}

/// One row of the table.
struct RunResult {
    /// Which server.
    side: Side,
    /// `HTTP` or `stdio`.
    transport: &'static str,
    /// Concurrent sessions.
    sessions: usize,
    /// Which tool.
    tool: Tool,
    /// Successful measured calls.
    ok_calls: u64,
    /// From the start of the window to the end of the last measured call.
    elapsed: Duration,
    /// Sorted latencies of the successful measured calls, in ns.
    sorted_ns: Vec<u64>,
    /// Failed measured calls.
    errors: u64,
    /// Failed warm-up calls.
    warmup_errors: u64,
    /// Failure messages with counts, from all sessions and phases.
    messages: BTreeMap<String, u64>,
    /// Sessions that stopped early, and why.
    stopped: Vec<String>,
    /// The server's CPU time during the window, if known.
    server_cpu: Option<Duration>,
    /// The load generator's CPU time during the window, if known.
    loadgen_cpu: Option<Duration>,
    /// The server's peak `VmRSS` during the run, in KiB.
    rss_peak_kib: Option<u64>,
}

impl RunResult {
    /// Successful calls per second over the window.
    fn calls_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok_calls as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency at quantile `q` (nearest rank), if any call succeeded.
    fn percentile(&self, q: f64) -> Option<Duration> {
        let n = self.sorted_ns.len();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(Duration::from_nanos(self.sorted_ns[rank - 1]))
    }

    /// Whether any call failed, in the warm-up or the window.
    fn had_errors(&self) -> bool {
        self.errors > 0 || self.warmup_errors > 0 || !self.stopped.is_empty()
    }
}

/// Drives `clients` (already initialized) with `tool` for the warm-up and
/// the window, `server_pid` being the process to sample.
async fn run_load(
    side: Side,
    transport: &'static str,
    clients: &[Client],
    tool: Tool,
    options: &Options,
    server_pid: u32,
) -> RunResult {
    let sampler = RssSampler::start(server_pid);
    let begin = Instant::now();
    let measure_from = begin + options.warmup;
    let end = measure_from + options.duration;
    let tasks: Vec<_> = clients
        .iter()
        .map(|client| tokio::spawn(session_loop(client.peer().clone(), tool, measure_from, end)))
        .collect();
    // CPU time over the window: read both ends at the window's edges.
    tokio::time::sleep_until(measure_from.into()).await;
    let pid = server_pid.to_string();
    let cpu_start = (cpu_time(&pid), cpu_time("self"));
    tokio::time::sleep_until(end.into()).await;
    let cpu_end = (cpu_time(&pid), cpu_time("self"));
    let mut result = RunResult {
        side,
        transport,
        sessions: clients.len(),
        tool,
        ok_calls: 0,
        elapsed: options.duration,
        sorted_ns: Vec::new(),
        errors: 0,
        warmup_errors: 0,
        messages: BTreeMap::new(),
        stopped: Vec::new(),
        server_cpu: cpu_end.0.zip(cpu_start.0).map(|(b, a)| b.saturating_sub(a)),
        loadgen_cpu: cpu_end.1.zip(cpu_start.1).map(|(b, a)| b.saturating_sub(a)),
        rss_peak_kib: None,
    };
    let mut last_end = end;
    for task in tasks {
        match task.await {
            Ok(stats) => {
                result.sorted_ns.extend(stats.latencies_ns);
                result.errors += stats.errors;
                result.warmup_errors += stats.warmup_errors;
                for (message, count) in stats.messages {
                    *result.messages.entry(message).or_default() += count;
                }
                if let Some(why) = stats.stopped {
                    result.stopped.push(why);
                }
                if let Some(t) = stats.last_end {
                    last_end = last_end.max(t);
                }
            }
            Err(e) => result.stopped.push(format!("session task failed: {e}")),
        }
    }
    result.rss_peak_kib = Some(sampler.finish().await).filter(|kib| *kib > 0);
    result.sorted_ns.sort_unstable();
    result.ok_calls = result.sorted_ns.len() as u64;
    result.elapsed = last_end.saturating_duration_since(measure_from);
    result
}

/// Opens `sessions` HTTP sessions to `url`, runs both tools, closes them.
async fn run_http_side(
    side: Side,
    url: &str,
    server_pid: u32,
    options: &Options,
    results: &mut Vec<RunResult>,
) -> Result<(), String> {
    for tool in Tool::ALL {
        let mut clients = Vec::with_capacity(options.sessions);
        for _ in 0..options.sessions {
            clients.push(connect_http(url, options.fresh_connections).await?);
        }
        eprintln!(
            "load: {} over HTTP, {} sessions, {}: {:?} warm-up + {:?}",
            side.label(),
            options.sessions,
            tool.name(),
            options.warmup,
            options.duration
        );
        results.push(run_load(side, "HTTP", &clients, tool, options, server_pid).await);
        for client in clients {
            let _ = client.cancel().await;
        }
    }
    Ok(())
}

/// The Rust server's command line, without the transport.
fn rust_server_args(options: &Options, dir: &Path, tag: &str) -> Vec<String> {
    vec![
        "--database-url".to_string(),
        options.database_url.clone(),
        "--rate-burst".to_string(),
        RATE_UNLIMITED.to_string(),
        "--rate-per-second".to_string(),
        RATE_UNLIMITED.to_string(),
        "--audit-log".to_string(),
        dir.join(format!("audit-{tag}.jsonl")).display().to_string(),
        "--demo-db".to_string(),
        dir.join("demo.db").display().to_string(),
    ]
}

/// A command with the environment the servers should see: no `MCP_*`
/// settings from the caller's shell, warnings-only logs, this database.
fn server_command(program: &Path, options: &Options) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MCP_") {
            command.env_remove(key);
        }
    }
    command
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", &options.database_url);
    command
}

/// The first line a program prints for `args`, or `unknown`.
fn program_output(program: &Path, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(|line| line.trim().to_string())
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The `rmcp` version in the workspace's Cargo.lock, or `unknown`.
fn rmcp_version() -> String {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"rmcp\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return version.to_string();
        }
    }
    "unknown".to_string()
}

/// "PostgreSQL 15.20" from a `SELECT version()` answer, or `unknown`.
async fn postgres_version(client: &Client) -> String {
    let params = CallToolRequestParams::new("query_database").with_arguments(
        match json!({ "query": "SELECT version()", "limit": 1 }) {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object"),
        },
    );
    let text = match client.peer().call_tool(params).await {
        Ok(result) if result.is_error != Some(true) => result_text(&result),
        _ => return "unknown".to_string(),
    };
    text.find("PostgreSQL ")
        .and_then(|at| text[at..].split_whitespace().nth(1))
        .map(|v| format!("PostgreSQL {}", v.trim_end_matches([',', '"'])))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The machine, in one line.
fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    let memory = status_line("/proc/meminfo", "MemTotal")
        .map(|kib| format!(", {:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cpus} CPUs ({model}){memory}, Linux {kernel}")
}

/// The 1-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// A `kB` line of a `/proc` file such as `/proc/meminfo`.
fn status_line(path: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Everything the report needs beyond the rows.
struct Report {
    /// The options as given.
    options: Options,
    /// The Rust server's identity and protocol.
    rust: ServerInfo,
    /// `solution-server --version`.
    rust_version: String,
    /// The Python peer's identity and protocol, when it ran.
    python: Option<ServerInfo>,
    /// Python and package versions, when the peer ran.
    python_versions: Option<String>,
    /// The database server.
    postgres: String,
    /// The 1-minute load average before the servers started.
    load_at_start: String,
    /// The rows.
    results: Vec<RunResult>,
    /// The Rust server's `VmHWM` right after its HTTP runs, in KiB.
    rust_hwm_kib: Option<u64>,
}

/// Formats a latency in milliseconds.
fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{:.3} ms", d.as_secs_f64() * 1000.0),
        None => "–".to_string(),
    }
}

/// Formats KiB as MiB.
fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A CPU time over the window as a share of one core.
fn cores(cpu: Option<Duration>, window: Duration) -> String {
    match cpu {
        Some(cpu) if !window.is_zero() => {
            format!("{:.2}", cpu.as_secs_f64() / window.as_secs_f64())
        }
        _ => "–".to_string(),
    }
}

/// PASS or MISSED.
fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISSED" }
}

impl Report {
    /// The row for this server, transport and tool, if it ran.
    fn row(&self, side: Side, transport: &str, tool: Tool) -> Option<&RunResult> {
        self.results
            .iter()
            .find(|r| r.side == side && r.transport == transport && r.tool == tool)
    }

    /// The whole report, as Markdown.
    fn render(&self) -> String {
        let o = &self.options;
        let mut out = String::new();
        let _ = writeln!(out, "# MCP load benchmark\n");
        let _ = writeln!(
            out,
            "- machine: {}; the load generator and the server under test share these cores \
             (1-minute load average {} before the servers started)",
            machine(),
            self.load_at_start
        );
        let _ = writeln!(
            out,
            "- load generator: rmcp {} client, tokio multi-thread runtime, one rmcp session per \
             simulated client, {}; closed loop (each session waits for its answer before the \
             next call); latencies from `Instant`, percentiles by nearest rank over every \
             measured call",
            rmcp_version(),
            if o.fresh_connections {
                "a new TCP connection per HTTP call (rmcp's default client)"
            } else {
                "one keep-alive HTTP/1.1 connection per session (reqwest, no TLS)"
            }
        );
        let _ = writeln!(
            out,
            "- Rust server: {} ({}), protocol {}; rate limit set to --rate-burst {RATE_UNLIMITED} \
             --rate-per-second {RATE_UNLIMITED} so it never refuses during the load",
            self.rust_version, self.rust.implementation, self.rust.protocol
        );
        match (&self.python, &self.python_versions) {
            (Some(info), Some(versions)) => {
                let _ = writeln!(
                    out,
                    "- Python peer: {} ({}), protocol {}; {versions}; uvicorn, one process",
                    o.peer.display(),
                    info.implementation,
                    info.protocol
                );
            }
            _ => {
                let _ = writeln!(out, "- Python peer: not run (--no-peer)");
            }
        }
        let _ = writeln!(out, "- database: {} at {}", self.postgres, o.database_url);
        let _ = writeln!(
            out,
            "- calls: `get_metrics {{\"metric\": \"{METRIC}\"}}` (the same metric every call: \
             cached answers), `query_database {{\"query\": \"{QUERY}\", \"limit\": {QUERY_LIMIT}}}`"
        );
        let _ = writeln!(out, "- options: {}\n", o.command_line());

        let _ = writeln!(
            out,
            "| server | transport | sessions | tool | calls/s | p50 | p99 | max | errors |"
        );
        let _ = writeln!(out, "|---|---|--:|---|--:|--:|--:|--:|--:|");
        for r in &self.results {
            let errors = if r.had_errors() {
                format!(
                    "**{}** (+{} in warm-up){}",
                    r.errors,
                    r.warmup_errors,
                    if r.stopped.is_empty() {
                        ""
                    } else {
                        ", sessions stopped"
                    }
                )
            } else {
                "0".to_string()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
                r.side.label(),
                r.transport,
                r.sessions,
                r.tool.name(),
                r.calls_per_second(),
                ms(r.percentile(0.50)),
                ms(r.percentile(0.99)),
                ms(r.sorted_ns.last().map(|ns| Duration::from_nanos(*ns))),
                errors
            );
        }
        let _ = writeln!(
            out,
            "\ncalls/s counts successful calls only, over the measured window ({:?} after a {:?} \
             warm-up, until the last call started in it had answered).\n",
            o.duration, o.warmup
        );

        let stalled: Vec<String> = self
            .results
            .iter()
            .filter(|r| r.transport == "HTTP")
            .filter(|r| r.percentile(0.50).is_some_and(|p| NAGLE_STALL.contains(&p)))
            .map(|r| format!("{} {}", r.side.label(), r.tool.name()))
            .collect();
        if !stalled.is_empty() && !o.fresh_connections {
            let _ = writeln!(
                out,
                "Note: the median HTTP call of {} takes about 40 ms. On a keep-alive connection \
                 that is the signature of Nagle's algorithm meeting the client's delayed ACK: the \
                 server writes its response in more than one piece without TCP_NODELAY on the \
                 accepted socket. Compare with --fresh-connections.\n",
                stalled.join(", ")
            );
        }

        let _ = writeln!(
            out,
            "CPU used during each measured window, in cores ({} available in all):\n",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        let _ = writeln!(
            out,
            "| server | transport | tool | server CPU | load generator CPU |"
        );
        let _ = writeln!(out, "|---|---|---|--:|--:|");
        for r in &self.results {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.side.label(),
                r.transport,
                r.tool.name(),
                cores(r.server_cpu, o.duration),
                cores(r.loadgen_cpu, o.duration)
            );
        }

        let failed: Vec<&RunResult> = self.results.iter().filter(|r| r.had_errors()).collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\n## ERRORS\n");
            for r in failed {
                let _ = writeln!(
                    out,
                    "- {} {} {}: {} failed in the window, {} in the warm-up",
                    r.side.label(),
                    r.transport,
                    r.tool.name(),
                    r.errors,
                    r.warmup_errors
                );
                for (message, count) in &r.messages {
                    let _ = writeln!(out, "  - {count}× {message}");
                }
                for why in &r.stopped {
                    let _ = writeln!(out, "  - a session {why}");
                }
            }
        }

        let rust_peak = self
            .results
            .iter()
            .filter(|r| r.side == Side::Rust && r.transport == "HTTP")
            .filter_map(|r| r.rss_peak_kib)
            .max();
        let python_peak = self
            .results
            .iter()
            .filter(|r| r.side == Side::Python)
            .filter_map(|r| r.rss_peak_kib)
            .max();
        let _ = writeln!(out, "\n## Memory\n");
        let _ = writeln!(
            out,
            "RSS: Rust server under the HTTP load ({} sessions): peak VmRSS {} (sampled every \
             {RSS_SAMPLE_EVERY:?}), VmHWM {} after its HTTP runs{}",
            o.sessions,
            rust_peak.map(mib).unwrap_or_else(|| "unknown".to_string()),
            self.rust_hwm_kib
                .map(mib)
                .unwrap_or_else(|| "unknown".to_string()),
            python_peak
                .map(|kib| format!("; Python peer for comparison: peak VmRSS {}", mib(kib)))
                .unwrap_or_default()
        );

        let _ = writeln!(out, "\n## Targets\n");
        let rust_cached = self.row(Side::Rust, "HTTP", Tool::GetMetrics);
        let python_cached = self.row(Side::Python, "HTTP", Tool::GetMetrics);
        let line = match (rust_cached, python_cached) {
            (Some(rust), Some(python)) if rust.had_errors() || python.had_errors() => {
                "MISSED: a run had errors, so its throughput does not count (see ERRORS)"
                    .to_string()
            }
            (Some(rust), Some(python)) => {
                let ratio = if python.calls_per_second() > 0.0 {
                    rust.calls_per_second() / python.calls_per_second()
                } else {
                    f64::INFINITY
                };
                format!(
                    "{}: {:.0} / {:.0} calls/s = {ratio:.1}×",
                    verdict(ratio >= TARGET_SPEEDUP),
                    rust.calls_per_second(),
                    python.calls_per_second()
                )
            }
            _ => "not measured (the Python peer did not run)".to_string(),
        };
        let _ = writeln!(
            out,
            "- (a) Rust calls/s on cached get_metrics over HTTP ≥ {TARGET_SPEEDUP}× the Python \
             peer's: {line}"
        );

        let mut parts = Vec::new();
        let mut all_pass = true;
        for tool in Tool::ALL {
            match self.row(Side::Rust, "HTTP", tool) {
                Some(r) => {
                    let p99 = r.percentile(0.99);
                    let pass = !r.had_errors() && p99.is_some_and(|p| p < TARGET_P99);
                    all_pass &= pass;
                    parts.push(format!(
                        "{} {}{} {}",
                        tool.name(),
                        ms(p99),
                        if r.had_errors() { " with errors" } else { "" },
                        verdict(pass)
                    ));
                }
                None => {
                    all_pass = false;
                    parts.push(format!("{} not measured", tool.name()));
                }
            }
        }
        let caveat = if o.sessions == TARGET_SESSIONS {
            String::new()
        } else {
            format!(
                " (the target is stated for {TARGET_SESSIONS} sessions; this run used {})",
                o.sessions
            )
        };
        let _ = writeln!(
            out,
            "- (b) Rust p99 < {} over HTTP at {TARGET_SESSIONS} sessions, both tools: {}: {}{caveat}",
            ms(Some(TARGET_P99)),
            verdict(all_pass),
            parts.join(", ")
        );

        let worst = rust_peak.max(self.rust_hwm_kib);
        let line = match worst {
            Some(kib) => format!(
                "{}: {} (the larger of the peak VmRSS and VmHWM)",
                verdict(kib < TARGET_RSS_KIB),
                mib(kib)
            ),
            None => "MISSED: not measured (no /proc?)".to_string(),
        };
        let _ = writeln!(
            out,
            "- (c) Rust RSS < {} under the HTTP load: {line}",
            mib(TARGET_RSS_KIB)
        );
        out
    }
}

/// Starts both servers, measures everything, prints the report.
async fn run(options: Options) -> Result<(), String> {
    for (what, path) in [("--server", &options.server)]
        .into_iter()
        .chain((!options.no_peer).then_some(("--python", &options.python)))
        .chain((!options.no_peer).then_some(("--peer", &options.peer)))
    {
        if !path.exists() {
            return Err(format!(
                "{what} {} does not exist (build with `cargo build --release -p solution-server \
                 --example load --bin solution-server`; set up Python with `bash interop/setup.sh`; \
                 run from the repository root, or pass --no-peer)",
                path.display()
            ));
        }
    }
    let load_at_start = load_average();
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temp dir: {e}"))?;

    // Start both, then wait for both: the Python start-up overlaps Rust's.
    let rust_port = free_port()?;
    let mut command = server_command(&options.server, &options);
    command
        .arg("http")
        .arg("--listen")
        .arg(format!("127.0.0.1:{rust_port}"))
        .args(rust_server_args(&options, dir.path(), "http"));
    let mut rust =
        ServerProcess::spawn("Rust server", command, dir.path().join("rust-http.stderr"))?;
    let mut python = if options.no_peer {
        None
    } else {
        let port = free_port()?;
        let mut command = server_command(&options.python, &options);
        command
            .arg(&options.peer)
            .arg("--port")
            .arg(port.to_string());
        let process =
            ServerProcess::spawn("Python peer", command, dir.path().join("python.stderr"))?;
        Some((process, format!("http://127.0.0.1:{port}/mcp")))
    };
    let rust_url = format!("http://127.0.0.1:{rust_port}/mcp");
    let rust_info = wait_ready(&mut rust, &rust_url, options.fresh_connections).await?;
    let python_info = match &mut python {
        Some((process, url)) => Some(wait_ready(process, url, options.fresh_connections).await?),
        None => None,
    };
    eprintln!(
        "load: both servers answer initialize; temp dir {}",
        dir.path().display()
    );

    let probe = connect_http(&rust_url, options.fresh_connections).await?;
    let postgres = postgres_version(&probe).await;
    let _ = probe.cancel().await;

    let mut results = Vec::new();
    run_http_side(Side::Rust, &rust_url, rust.pid, &options, &mut results).await?;
    rust.check_alive()?;
    let rust_hwm_kib = status_kib(rust.pid, "VmHWM");
    if let Some((process, url)) = &mut python {
        run_http_side(Side::Python, url, process.pid, &options, &mut results).await?;
        process.check_alive()?;
    }
    // The HTTP servers are done: stop them before the stdio run so they
    // take no CPU from it.
    drop(rust);
    drop(python);

    // stdio: one client, one session, the server as its child process.
    let mut command = server_command(&options.server, &options);
    command
        .arg("stdio")
        .args(rust_server_args(&options, dir.path(), "stdio"))
        .kill_on_drop(true);
    let stderr_log = dir.path().join("rust-stdio.stderr");
    let stderr = File::create(&stderr_log)
        .map_err(|e| format!("cannot create {}: {e}", stderr_log.display()))?;
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start the stdio server: {e}"))?;
    let stdio_pid = transport.id().unwrap_or(0);
    let client = tokio::time::timeout(READY_TIMEOUT, ().serve(transport))
        .await
        .map_err(|_| "the stdio server did not answer initialize".to_string())?
        .map_err(|e| {
            format!(
                "stdio initialize failed: {e}; the end of its stderr:\n{}",
                tail(&stderr_log)
            )
        })?;
    let clients = [client];
    for tool in Tool::ALL {
        eprintln!(
            "load: Rust over stdio, 1 session, {}: {:?} warm-up + {:?}",
            tool.name(),
            options.warmup,
            options.duration
        );
        results.push(run_load(Side::Rust, "stdio", &clients, tool, &options, stdio_pid).await);
    }
    let [client] = clients;
    let _ = tokio::time::timeout(Duration::from_secs(5), client.cancel()).await;

    let python_versions = (!options.no_peer).then(|| {
        program_output(
            &options.python,
            &[
                "-c",
                "import sys, importlib.metadata as m; print(f\"Python {sys.version.split()[0]}, \
                 mcp {m.version('mcp')}, uvicorn {m.version('uvicorn')}, asyncpg \
                 {m.version('asyncpg')}\")",
            ],
        )
    });
    let report = Report {
        rust_version: program_output(&options.server, &["--version"]),
        options,
        rust: rust_info,
        python: python_info,
        python_versions,
        postgres,
        load_at_start,
        results,
        rust_hwm_kib,
    };
    print!("{}", report.render());
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = term.recv() => "SIGTERM",
    }
}

/// Parses the options, runs everything on a multi-thread runtime, and
/// stops early (servers killed) on Ctrl-C or SIGTERM.
fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("load: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Whichever branch ends first, the other is dropped, and with it the
    // server guards: the servers die with the run.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(options) => outcome,
            signal = interrupted() => Err(format!("interrupted by {signal}; servers stopped")),
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}
