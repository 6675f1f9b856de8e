//! The hidden suite of lab 5 (the capstone server).
//!
//! Two halves. In process: the four modules the learner writes, against
//! models (the tail, the row cap, the bearer check, the pipeline). Out of
//! process: the learner's whole server, started as its own process and
//! driven over stdio by an rmcp client, or over HTTP: what a real client
//! sees, generated attacks included.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use crate::server_proc::{
    HttpServer, Human, Sandbox, Session, error_code, expect_error, expect_ok, text,
};
use grader_kit::db;
use grader_kit::prop::{ensure, property};
use grader_kit::{Check, Outcome, unit};
use grader_kit::{Side, runtime, security_gen as generate};

/// What the suite needs from one side's crate, in process.
pub trait Api {
    /// Which side this is, to start its server binary.
    const SIDE: Side;
    /// `tail::last_lines`.
    fn last_lines(file: &mut Lazy, n: usize) -> io::Result<Vec<String>>;
    /// `tail::last_lines` on bytes.
    fn tail_bytes(bytes: &[u8], n: usize) -> io::Result<Vec<String>>;
    /// `tail::BLOCK`.
    const BLOCK: u64;
    /// `rows::render` of `n` rows of two columns.
    fn render(n: usize, limit: u32) -> String;
    /// `auth::check_bearer`, its error as its `Debug` name.
    fn check_bearer(expected: &str, header: Option<&[u8]>) -> Result<(), String>;
    /// The in-process pipeline scenario.
    fn pipeline() -> Result<String, String>;
}

/// A large file that is never stored: byte `i` is computed, and the bytes
/// read are counted.
pub struct Lazy {
    len: u64,
    pos: u64,
    /// Bytes handed out by `read`.
    pub read: Arc<AtomicU64>,
}

impl Lazy {
    /// `len` bytes of 99-character lines, each ending in `\n`.
    pub fn new(len: u64) -> Self {
        Self {
            len,
            pos: 0,
            read: Arc::new(AtomicU64::new(0)),
        }
    }

    fn byte(i: u64) -> u8 {
        if i % 100 == 99 {
            b'\n'
        } else {
            b'a' + (i / 100 % 26) as u8
        }
    }
}

impl Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len.saturating_sub(self.pos) as usize).min(buf.len());
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = Self::byte(self.pos + k as u64);
        }
        self.pos += n as u64;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Lazy {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if at < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        }
        self.pos = at as u64;
        Ok(self.pos)
    }
}

macro_rules! adapter {
    ($name:ident, $server:ident) => {
        /// The suite's view of one side's `server` crate.
        pub struct $name;

        impl Api for $name {
            const SIDE: Side = side_named(stringify!($name));
            const BLOCK: u64 = $server::tail::BLOCK;

            fn last_lines(file: &mut Lazy, n: usize) -> io::Result<Vec<String>> {
                $server::tail::last_lines(file, n)
            }

            fn tail_bytes(bytes: &[u8], n: usize) -> io::Result<Vec<String>> {
                $server::tail::last_lines(&mut Cursor::new(bytes), n)
            }

            fn render(n: usize, limit: u32) -> String {
                use $server::performance::pool::{ColumnInfo, QueryRows};
                let rows = QueryRows {
                    columns: vec![
                        ColumnInfo {
                            name: "id".into(),
                            type_name: "INT8".into(),
                        },
                        ColumnInfo {
                            name: "label".into(),
                            type_name: "TEXT".into(),
                        },
                    ],
                    rows: (0..n)
                        .map(|i| vec![json!(i), json!(format!("r{i}"))])
                        .collect(),
                };
                $server::rows::render(&rows, limit)
            }

            fn check_bearer(expected: &str, header: Option<&[u8]>) -> Result<(), String> {
                $server::auth::check_bearer(expected, header).map_err(|e| format!("{e:?}"))
            }

            fn pipeline() -> Result<String, String> {
                pipeline_scenario!($server)
            }
        }
    };
}

/// The pipeline, in process: a scripted series of calls whose every
/// outcome, audit entry and count is known.
macro_rules! pipeline_scenario {
    ($server:ident) => {{
        use std::sync::Mutex;
        use $server::approval::{Approval, ApprovalFuture, ApprovalRequest, Approver, NoApprover};
        use $server::design::plugin::ToolPlugin;
        use $server::design::registry::PluginRegistry;
        use $server::errors::ToolError;
        use $server::metrics::Metrics;
        use $server::pipeline::{Caller, Pipeline};
        use $server::security::audit::AuditLog;
        use $server::security::permissions::{Permission, PermissionTable};
        use $server::security::rate_limit::{Clock, ManualClock, RateLimit, RateLimiter};
        use $server::settings::Settings;

        #[derive(serde::Deserialize, schemars::JsonSchema)]
        struct Args {
            mode: String,
        }

        struct Tool(&'static str, Arc<AtomicU64>);

        impl ToolPlugin for Tool {
            type Args = Args;
            fn name(&self) -> &str {
                self.0
            }
            fn description(&self) -> &str {
                "grader tool"
            }
            async fn execute(&self, args: Args) -> Result<String, ToolError> {
                self.1.fetch_add(1, Ordering::SeqCst);
                match args.mode.as_str() {
                    "slow" => tokio::time::sleep(Duration::from_secs(600)).await,
                    "panic" => panic!("grader-panic-detail"),
                    _ => {}
                }
                Ok(format!("ran {}", args.mode))
            }
        }

        struct Answer(Approval, Mutex<Vec<ApprovalRequest>>);

        impl Approver for Answer {
            fn ask<'a>(&'a self, request: &'a ApprovalRequest) -> ApprovalFuture<'a> {
                self.1.lock().unwrap().push(request.clone());
                Box::pin(std::future::ready(self.0.clone()))
            }
        }

        let runs = Arc::new(AtomicU64::new(0));
        let mut registry = PluginRegistry::new();
        for name in ["read_log", "get_metrics", "update_config", "query_database"] {
            registry.register(Tool(name, Arc::clone(&runs))).map_err(|e| format!("registering a tool failed: {e}"))?;
        }
        let sink = Sink::default();
        let metrics = Arc::new(Metrics::new());
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
        let pipeline = Arc::new(Pipeline {
            registry,
            permissions: PermissionTable::course_defaults(),
            granted: vec![Permission::ReadLogs, Permission::ModifyConfig, Permission::ExecuteQuery],
            limiter: RateLimiter::new(RateLimit::new(2, 0.5).map_err(|e| e.to_string())?, clock),
            settings: Arc::new(Settings::new(Duration::from_secs(5))),
            audit: Mutex::new(AuditLog::new(Box::new(sink.clone()))),
            metrics: Arc::clone(&metrics),
        });
        let yes = Answer(Approval::Approved, Mutex::new(Vec::new()));
        let no = Answer(Approval::Declined, Mutex::new(Vec::new()));
        let failing = Answer(Approval::Failed("no answer".into()), Mutex::new(Vec::new()));

        let rt = grader_kit::paused_runtime();
        let call = |client: &str, approver: &dyn Approver, tool: &str, args: Value| {
            let caller = Caller { client, approver };
            rt.block_on(pipeline.call(&caller, tool, args))
        };
        let code = |r: &rmcp::model::CallToolResult| error_code_of(r.is_error, &content_text(r));

        // (client, approver, tool, args, expected code or None, should run)
        let script: Vec<(&str, &dyn Approver, &str, Value, Option<&str>, bool)> = vec![
            ("a", &NoApprover, "read_log", json!({"mode": "plain"}), None, true),
            ("a", &NoApprover, "get_metrics", json!({"mode": "plain"}), Some("PERMISSION_DENIED"), false),
            ("a", &NoApprover, "no_such_tool", json!({"mode": "plain"}), Some("PERMISSION_DENIED"), false),
            ("a", &NoApprover, "read_log", json!({"mode": "plain"}), None, true),
            ("a", &NoApprover, "read_log", json!({"mode": "plain"}), Some("RATE_LIMITED"), false),
            ("b", &NoApprover, "read_log", json!({"mode": "plain"}), None, true),
            ("c", &NoApprover, "update_config", json!({"mode": "plain"}), Some("PERMISSION_DENIED"), false),
            ("d", &no, "update_config", json!({"mode": "plain", "password": "pw-123456"}), Some("PERMISSION_DENIED"), false),
            ("e", &failing, "update_config", json!({"mode": "plain"}), Some("PERMISSION_DENIED"), false),
            ("f", &yes, "update_config", json!({"mode": "approved", "token": "Bearer abcdefghijkl"}), None, true),
            ("f", &yes, "read_log", json!({"mode": "plain"}), None, true),
            ("g", &NoApprover, "query_database", json!({"mode": "slow"}), Some("TIMEOUT"), true),
            ("h", &NoApprover, "query_database", json!({"mode": "panic"}), Some("INTERNAL"), true),
            ("h", &NoApprover, "query_database", json!({"mode": "after"}), None, true),
            ("i", &NoApprover, "read_log", json!({"wrong": 1}), Some("VALIDATION"), false),
        ];
        let total = script.len();
        for (i, (client, approver, tool, args, want, runs_tool)) in script.into_iter().enumerate() {
            let before = runs.load(Ordering::SeqCst);
            let result = call(client, approver, tool, args.clone());
            let got = code(&result);
            if got.as_deref() != want {
                return Err(format!(
                    "call {} ({tool} {args} from client {client:?}): expected {}, got {}",
                    i + 1,
                    want.map(|c| format!("Error [{c}]")).unwrap_or("a result".into()),
                    got.map(|c| format!("Error [{c}]: {}", content_text(&result))).unwrap_or_else(|| format!("the result {:?}", content_text(&result)))
                ));
            }
            let ran = runs.load(Ordering::SeqCst) > before;
            if ran != runs_tool {
                return Err(format!(
                    "call {} ({tool} {args}): the tool {} but should {}",
                    i + 1,
                    if ran { "ran" } else { "did not run" },
                    if runs_tool { "have run" } else { "not have (a refused call never reaches the tool)" }
                ));
            }
            if want == Some("INTERNAL") && content_text(&result).contains("grader-panic-detail") {
                return Err("a panic's message reached the client: it belongs in the log only".into());
            }
        }
        if metrics.in_flight() != 0 {
            return Err(format!("{} calls still counted in flight after all returned", metrics.in_flight()));
        }
        let shown = no.1.lock().unwrap().clone();
        if shown.len() != 1 || shown[0].tool != "update_config" {
            return Err(format!("the declining human should have been asked once about update_config, was asked {shown:?}"));
        }
        if shown[0].arguments.to_string().contains("pw-123456") {
            return Err(format!("the human was shown a password: approval requests carry redacted arguments ({})", shown[0].arguments));
        }
        let entries = sink.entries()?;
        if entries.len() != total {
            return Err(format!("{total} calls but {} audit entries: every call, refused or not, gets one", entries.len()));
        }
        for entry in &entries {
            if ["pw-123456", "abcdefghijkl"].iter().any(|s| entry.to_string().contains(s)) {
                return Err(format!("an audit entry holds a secret: {entry}"));
            }
        }
        let stats = metrics.tools();
        let count = |tool: &str, outcome: &str| stats.get(tool).and_then(|s| s.outcomes.get(outcome).copied()).unwrap_or(0);
        let counted = [
            ("read_log", "ok", 4),
            ("read_log", "RATE_LIMITED", 1),
            ("read_log", "VALIDATION", 1),
            ("update_config", "PERMISSION_DENIED", 3),
            ("query_database", "TIMEOUT", 1),
            ("query_database", "INTERNAL", 1),
        ];
        for (tool, outcome, n) in counted {
            if count(tool, outcome) != n {
                return Err(format!("metrics: expected {n} {tool} calls ending {outcome}, counted {}", count(tool, outcome)));
            }
        }
        Ok(format!("{total} scripted calls: every step in order, audited, counted"))
    }};
}

grader_kit::both_sides!(adapter, [lab_server], [solution_server]);

/// The side an adapter named `Learner` or `Reference` stands for.
const fn side_named(name: &str) -> Side {
    if name.len() == 7 && name.as_bytes()[0] == b'L' {
        Side::Lab
    } else {
        Side::Solution
    }
}

/// An audit sink the suite reads back.
#[derive(Clone, Default)]
pub struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn entries(&self) -> Result<Vec<Value>, String> {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| {
                serde_json::from_str(l).map_err(|e| format!("an audit line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

fn content_text(result: &rmcp::model::CallToolResult) -> String {
    text(result)
}

fn error_code_of(is_error: Option<bool>, text: &str) -> Option<String> {
    if is_error != Some(true) {
        return None;
    }
    Some(text.strip_prefix("Error [")?.split(']').next()?.to_owned())
}

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
pub fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "server",
        &[
            ("tail_matches_a_model", tail_against_model::<S>),
            ("tail_reads_only_the_end", tail_cost::<S>),
            ("rows_are_capped_with_a_note", rows_cap::<S>),
            ("bearer_tokens_are_checked", bearer::<S>),
            ("pipeline_runs_every_step_in_order", || unit(S::pipeline())),
            ("tools_are_listed_with_their_schemas", tool_list::<S>),
            (
                "injections_leave_the_demo_database_unchanged",
                injections_sqlite::<S>,
            ),
            (
                "injections_leave_postgresql_unchanged",
                injections_postgres::<S>,
            ),
            ("traversals_stay_inside_the_log_roots", traversals::<S>),
            ("every_call_is_audited_without_secrets", audit::<S>),
            ("bursts_are_rate_limited", burst::<S>),
            (
                "slow_queries_time_out_and_the_server_goes_on",
                slow_query::<S>,
            ),
            ("approval_goes_through_elicitation", approval::<S>),
            ("http_endpoints_and_guards", http::<S>),
            ("shutdown_finishes_calls_in_flight", shutdown::<S>),
        ],
    )
}

// ----------------------------------------------------------------- tail ----

/// What `last_lines` must return for `text`.
fn tail_model(text: &[u8], n: usize) -> Vec<String> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() || n == 0 {
        return Vec::new();
    }
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect()
}

fn tail_input(block: u64) -> impl Strategy<Value = (Vec<u8>, usize)> {
    let piece = prop_oneof![
        8 => "[a-z ]{0,12}".prop_map(String::into_bytes),
        2 => Just(b"\r".to_vec()),
        1 => Just(vec![0xff, 0xfe]),
        1 => (block - 8..block + 8).prop_map(|n| vec![b'x'; n as usize]),
    ];
    let line = prop::collection::vec(piece, 0..3).prop_map(|p| p.concat());
    (
        prop::collection::vec(line, 0..40),
        any::<bool>(),
        0usize..50,
    )
        .prop_map(|(lines, trailing, n)| {
            let mut text = lines.join(&b'\n');
            if trailing && !text.is_empty() {
                text.push(b'\n');
            }
            (text, n)
        })
}

fn tail_against_model<S: Api>() -> Outcome {
    property(96, tail_input(S::BLOCK), |(text, n)| {
        let got = S::tail_bytes(&text, n)
            .map_err(|e| TestCaseError::fail(format!("an I/O error: {e}")))?;
        let want = tail_model(&text, n);
        ensure(got == want, || {
            format!("last {n} lines: expected {want:?}, got {got:?}")
        })
    })
}

fn tail_cost<S: Api>() -> Outcome {
    unit((|| {
        let size = 50 << 20;
        let mut file = Lazy::new(size);
        let read = Arc::clone(&file.read);
        let lines = S::last_lines(&mut file, 10).map_err(|e| format!("an I/O error: {e}"))?;
        if lines.len() != 10 || lines.iter().any(|l| l.len() != 99) {
            return Err(format!(
                "the last 10 lines of a 50 MB file of 99-character lines came back as {} lines: {:?}",
                lines.len(),
                lines.first()
            ));
        }
        let bytes = read.load(Ordering::Relaxed);
        if bytes > 4 * S::BLOCK.max(4096) {
            return Err(format!(
                "reading the last 10 lines of a 50 MB file read {bytes} bytes: read backwards from the end, a block at a time"
            ));
        }
        Ok(format!(
            "10 lines from the end of 50 MB for {bytes} bytes read"
        ))
    })())
}

// ----------------------------------------------------------------- rows ----

fn rows_cap<S: Api>() -> Outcome {
    property(128, (0usize..1100, 1u32..1100), |(n, limit)| {
        let text = S::render(n, limit);
        let out: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {text}")))?;
        let cap = limit.min(1000) as usize;
        let shown = n.min(cap);
        let rows = out["rows"].as_array().map(Vec::len);
        ensure(
            rows == Some(shown) && out["row_count"] == json!(shown),
            || format!("{n} rows at limit {limit}: expected {shown} rows, got {out}"),
        )?;
        let cut = n > cap;
        ensure(out["truncated"] == json!(cut), || {
            format!("{n} rows at limit {limit}: truncated should be {cut}: {out}")
        })?;
        ensure(out.get("note").is_some() == cut, || {
            format!("{n} rows at limit {limit}: a note exactly when rows were cut: {out}")
        })?;
        if shown > 0 {
            ensure(
                out["rows"][shown - 1] == json!([shown - 1, format!("r{}", shown - 1)]),
                || "the first rows are kept, in order".into(),
            )?;
        }
        ensure(
            out["columns"]
                == json!([{"name": "id", "type": "INT8"}, {"name": "label", "type": "TEXT"}]),
            || format!("columns: {}", out["columns"]),
        )
    })
}

// ---------------------------------------------------------------- bearer ----

fn bearer<S: Api>() -> Outcome {
    type Case<'a> = (Option<&'a [u8]>, Result<(), &'a str>);
    let cases: [Case; 10] = [
        (Some(b"Bearer tok-123"), Ok(())),
        (Some(b"bEaReR tok-123"), Ok(())),
        (Some(b"Bearer    tok-123 "), Ok(())),
        (None, Err("Missing")),
        (Some(b"Basic dG9rLTEyMw=="), Err("NotBearer")),
        (Some(b"tok-123"), Err("NotBearer")),
        (Some(b"Bearer "), Err("NotBearer")),
        (Some(b"Bearer tok-12"), Err("WrongToken")),
        (Some(b"Bearer tok-1234"), Err("WrongToken")),
        (Some(b"Bearer TOK-123"), Err("WrongToken")),
    ];
    unit((|| {
        for (header, want) in cases {
            let got = S::check_bearer("tok-123", header);
            if got.as_ref().map(|_| ()).map_err(String::as_str) != want {
                return Err(format!(
                    "header {:?}: expected {want:?}, got {got:?}",
                    header.map(String::from_utf8_lossy)
                ));
            }
        }
        Ok("10 Authorization headers".into())
    })())
}

// ------------------------------------------------------------ processes ----

/// Runs `body` with a stdio session on the server of side `S`.
fn with_session<S: Api>(
    args: &[&str],
    human: Human,
    body: impl AsyncFnOnce(&Sandbox, &Session) -> Result<String, String>,
) -> Outcome {
    unit((|| {
        let sandbox = Sandbox::new()?;
        let rt = runtime();
        rt.block_on(async {
            let session = Session::start(sandbox.command(S::SIDE, "stdio", args)?, human).await?;
            let result = body(&sandbox, &session).await;
            session.close().await;
            result
        })
    })())
}

/// The tool list a client must see: names, argument names, required ones,
/// and which tools only read.
const TOOLS: [(&str, &[&str], &[&str], bool); 5] = [
    ("query_database", &["query", "limit"], &["query"], true),
    ("read_log", &["path", "lines"], &["path"], true),
    ("get_metrics", &["metric"], &["metric"], true),
    ("health_check", &[], &[], true),
    ("update_config", &["key", "value"], &["key", "value"], false),
];

fn tool_list<S: Api>() -> Outcome {
    with_session::<S>(&[], Human::Absent, async |_, session| {
        let tools = session
            .client
            .list_all_tools()
            .await
            .map_err(|e| format!("tools/list failed: {e}"))?;
        if tools.len() != TOOLS.len() {
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
            return Err(format!("expected the five tools, got {names:?}"));
        }
        for (name, props, required, read_only) in TOOLS {
            let tool = tools
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| format!("no tool named {name}"))?;
            if tool.description.as_deref().is_none_or(|d| d.len() < 40) {
                return Err(format!(
                    "{name} needs a description saying what it does and refuses"
                ));
            }
            let schema = Value::Object((*tool.input_schema).clone());
            let mut got: Vec<&str> = schema["properties"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            got.sort_unstable();
            let mut want = props.to_vec();
            want.sort_unstable();
            if got != want {
                return Err(format!("{name} takes {want:?}, its schema lists {got:?}"));
            }
            let mut req: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            req.sort_unstable();
            let mut want_req = required.to_vec();
            want_req.sort_unstable();
            if req != want_req {
                return Err(format!(
                    "{name} requires {want_req:?}, its schema requires {req:?}"
                ));
            }
            let hint = tool.annotations.as_ref().and_then(|a| a.read_only_hint);
            if hint != Some(read_only) {
                return Err(format!(
                    "{name}: readOnlyHint should be {read_only}, is {hint:?}"
                ));
            }
        }
        Ok("five tools with their arguments, descriptions and read-only hints".into())
    })
}

/// Rate limits out of the way, for checks that make many calls.
const UNLIMITED: &[&str] = &["--rate-burst", "1000000", "--rate-per-second", "1000000"];

/// A refusal by the server's own checks: an error, and not the rate limit
/// (which would refuse a harmless query too).
fn refused(result: &rmcp::model::CallToolResult) -> bool {
    error_code(result).is_some_and(|code| code != "RATE_LIMITED")
}

/// Writes and other escapes for SQLite, in the demo database's own tables.
fn sqlite_attack(attached: String) -> impl Strategy<Value = String> {
    let table = select(vec!["customers", "orders", "products"]);
    let fixed = prop_oneof![
        table.clone().prop_map(|t| format!("DELETE FROM {t}")),
        table.clone().prop_map(|t| format!("DROP TABLE {t}")),
        table
            .clone()
            .prop_map(|t| format!("SELECT 1; DELETE FROM {t}")),
        table
            .clone()
            .prop_map(|t| format!("SELECT * FROM {t}; DROP TABLE {t} --")),
        table
            .clone()
            .prop_map(|t| format!("UPDATE {t} SET id = id + 1000")),
        table
            .clone()
            .prop_map(|t| format!("INSERT INTO {t} SELECT * FROM {t}")),
        table.clone().prop_map(|t| format!(
            "WITH gone AS (DELETE FROM {t} RETURNING id) SELECT * FROM gone"
        )),
        table.prop_map(|t| format!("CREATE TABLE copy_of AS SELECT * FROM {t}")),
        Just("PRAGMA query_only = OFF".to_owned()),
        Just("PRAGMA writable_schema = ON".to_owned()),
        Just("VACUUM".to_owned()),
        Just(format!("ATTACH DATABASE '{attached}' AS side")),
        Just(format!("VACUUM INTO '{attached}'")),
        Just("SELECT load_extension('/tmp/evil.so')".to_owned()),
        Just("BEGIN; DELETE FROM orders; COMMIT".to_owned()),
    ];
    prop_oneof![3 => fixed, 2 => generate::sql(generate::disguised_write())]
}

fn injections_sqlite<S: Api>() -> Outcome {
    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let attached = sandbox.path().join("attached.db").display().to_string();
    let rt = runtime();
    let session = match rt.block_on(async {
        Session::start(sandbox.command(S::SIDE, "stdio", UNLIMITED)?, Human::Absent).await
    }) {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let db = sandbox.path().join("data/demo.sqlite3");
    let before = match std::fs::read(&db) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Outcome::fail(format!(
                "the demo database was not created at {}: {e}",
                db.display()
            ));
        }
    };
    let outcome = property(64, sqlite_attack(attached.clone()), |query| {
        let result = rt
            .block_on(session.call("query_database", json!({"query": query})))
            .map_err(TestCaseError::fail)?;
        ensure(refused(&result), || {
            format!(
                "a write or escape was not refused: {query:?} gave {:?}",
                text(&result)
            )
        })?;
        let after = std::fs::read(&db).map_err(|e| TestCaseError::fail(e.to_string()))?;
        ensure(after == before, || {
            format!("the demo database changed after {query:?}")
        })?;
        ensure(!std::path::Path::new(&attached).exists(), || {
            format!("{query:?} created a file outside the database")
        })
    });
    let alive = rt.block_on(session.call(
        "query_database",
        json!({"query": "SELECT count(*) FROM orders"}),
    ));
    rt.block_on(session.close());
    match (outcome.status, alive) {
        (grader_kit::Status::Passed, Ok(r)) if r.is_error != Some(true) => outcome,
        (grader_kit::Status::Passed, other) => Outcome::fail(format!(
            "after the attacks a plain SELECT failed: {other:?}"
        )),
        _ => outcome,
    }
}

fn injections_postgres<S: Api>() -> Outcome {
    let url = match db::child_url() {
        Ok(url) => url,
        Err(reason) => return Outcome::skip(reason),
    };
    let rt = runtime();
    let mut scratch = match rt.block_on(db::Scratch::create(&url)) {
        Ok(s) => s,
        Err(e) => return Outcome::skip(format!("no scratch schema for this check: {e}")),
    };
    let setup = "CREATE TABLE users (id serial PRIMARY KEY, name text); INSERT INTO users (name) VALUES ('a'), ('b');
                 CREATE TABLE orders (id serial PRIMARY KEY, total int); INSERT INTO orders (total) VALUES (1), (2);
                 CREATE TABLE products (id serial PRIMARY KEY); CREATE TABLE events (id serial PRIMARY KEY);
                 CREATE TABLE \"Line Items\" (id serial PRIMARY KEY)";
    if let Err(e) = rt.block_on(sqlx::raw_sql(setup).execute(&mut scratch.conn)) {
        let _ = rt.block_on(scratch.drop_all(&url));
        return Outcome::fail(format!("cannot set up the scratch tables: {e}"));
    }
    // The role's default search_path is the scratch schema.
    let server_url = url.clone();
    let fingerprint = "SELECT (SELECT string_agg(id || ':' || coalesce(name, ''), ',' ORDER BY id) FROM users) || '/' || \
                       (SELECT string_agg(id || ':' || total, ',' ORDER BY id) FROM orders) || '/' || \
                       (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())";
    let outcome = (|| {
        let before: String = rt
            .block_on(sqlx::query_scalar(fingerprint).fetch_one(&mut scratch.conn))
            .map_err(|e| e.to_string())?;
        let sandbox = Sandbox::new()?;
        let session = rt.block_on(async {
            let args = [UNLIMITED, &["--database-url", &server_url]].concat();
            Session::start(sandbox.command(S::SIDE, "stdio", &args)?, Human::Absent).await
        })?;
        let attacks = prop_oneof![
            generate::sql(generate::disguised_write()),
            generate::sql(generate::forbidden_call())
        ];
        let conn = std::cell::RefCell::new(&mut scratch.conn);
        let outcome = property(48, attacks, |query| {
            let result = rt
                .block_on(session.call("query_database", json!({"query": query})))
                .map_err(TestCaseError::fail)?;
            ensure(refused(&result), || {
                format!(
                    "a write was not refused: {query:?} gave {:?}",
                    text(&result)
                )
            })?;
            let mut conn = conn.borrow_mut();
            let now: String = rt
                .block_on(sqlx::query_scalar(fingerprint).fetch_one(&mut **conn))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            ensure(now == before, || {
                format!("the database changed after {query:?}: {before} became {now}")
            })
        });
        rt.block_on(session.close());
        Ok::<_, String>(outcome)
    })();
    let _ = rt.block_on(scratch.drop_all(&url));
    outcome.unwrap_or_else(Outcome::fail)
}

/// A log root with neighbours that must stay out of reach.
fn traversal_tree(sandbox: &Sandbox, marker: &str) -> Result<(), String> {
    let root = sandbox.logs();
    let outside = sandbox.path().join("outside");
    let evil = sandbox.path().join("logs_evil");
    for dir in [&outside, &evil, &root.join("sub")] {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    for file in [
        outside.join("secret.txt"),
        evil.join("secret.txt"),
        sandbox.path().join("secret.txt"),
    ] {
        std::fs::write(file, format!("{marker}\n")).map_err(|e| e.to_string())?;
    }
    std::fs::write(root.join("sub/inner.log"), "inner line\n").map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("link_out")).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link_file.log"))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(root.join("app.log"), root.join("sub/link_in.log"))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn traversal_path(base: String) -> impl Strategy<Value = String> {
    let part = select(vec![
        "..",
        ".",
        "",
        "sub",
        "link_out",
        "link_file.log",
        "link_in.log",
        "secret.txt",
        "app.log",
        "logs_evil",
        "outside",
        "logs",
        "%2e%2e",
        "..\\..",
        "inner.log",
        "...",
    ]);
    let lead = select(vec!["", "/", "./"]).prop_map(str::to_owned);
    let prefix =
        prop_oneof![3 => lead, 1 => Just(format!("{base}/")), 1 => Just(format!("{base}/logs/"))];
    (prefix, prop::collection::vec(part, 1..7))
        .prop_map(|(p, parts)| format!("{p}{}", parts.join("/")))
}

fn traversals<S: Api>() -> Outcome {
    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let marker = "GRADER-SECRET-7f3a";
    if let Err(e) = traversal_tree(&sandbox, marker) {
        return Outcome::fail(format!("cannot build the test tree: {e}"));
    }
    let rt = runtime();
    let session = match rt.block_on(async {
        Session::start(sandbox.command(S::SIDE, "stdio", UNLIMITED)?, Human::Absent).await
    }) {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let good = (|| {
        for path in ["app.log", "sub/inner.log", "sub/link_in.log"] {
            let result =
                rt.block_on(session.call("read_log", json!({"path": path, "lines": 1})))?;
            expect_ok(&format!("read_log {path} (inside the root)"), &result)?;
        }
        Ok::<(), String>(())
    })();
    let base = sandbox.path().display().to_string();
    let outcome = match good {
        Err(e) => Outcome::fail(e),
        Ok(()) => property(96, traversal_path(base), |path| {
            let result = rt
                .block_on(session.call("read_log", json!({"path": path})))
                .map_err(TestCaseError::fail)?;
            ensure(!text(&result).contains(marker), || {
                format!("read_log {path:?} read a file outside the log root")
            })?;
            ensure(
                error_code(&result).as_deref() != Some("RATE_LIMITED"),
                || "rate limited: this check runs with --rate-burst 1000000".into(),
            )
        }),
    };
    rt.block_on(session.close());
    outcome
}

fn audit<S: Api>() -> Outcome {
    with_session::<S>(&[], Human::Absent, async |sandbox, session| {
        let secrets = [
            "hunter2pass",
            "AKIAIOSFODNN7EXAMPLE",
            "sk_live_abcdef123456",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
        ];
        let calls = [
            (
                "query_database",
                json!({"query": "SELECT 'postgres://admin:hunter2pass@db.internal/prod' AS dsn"}),
            ),
            ("read_log", json!({"path": "AKIAIOSFODNN7EXAMPLE.log"})),
            (
                "update_config",
                json!({"key": "api_token", "value": "Bearer sk_live_abcdef123456"}),
            ),
            (
                "get_metrics",
                json!({"metric": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"}),
            ),
            ("health_check", json!({})),
            ("get_metrics", json!({"metric": "uptime"})),
        ];
        for (tool, args) in &calls {
            session.call(tool, args.clone()).await?;
        }
        let entries = sandbox.audit_entries()?;
        if entries.len() != calls.len() {
            return Err(format!(
                "{} calls, {} audit lines: each call, refused ones too, gets exactly one",
                calls.len(),
                entries.len()
            ));
        }
        for ((tool, _), entry) in calls.iter().zip(&entries) {
            if entry["tool"] != *tool {
                return Err(format!(
                    "audit entries out of order or misnamed: expected {tool}, got {entry}"
                ));
            }
            for secret in secrets {
                if entry.to_string().contains(secret) {
                    return Err(format!("an audit line holds a secret: {entry}"));
                }
            }
        }
        Ok(format!(
            "{} calls, {} redacted audit lines",
            calls.len(),
            entries.len()
        ))
    })
}

fn burst<S: Api>() -> Outcome {
    with_session::<S>(
        &["--rate-burst", "3", "--rate-per-second", "0.01"],
        Human::Absent,
        async |_, session| {
            for i in 1..=3 {
                let result = session
                    .call("get_metrics", json!({"metric": "uptime"}))
                    .await?;
                expect_ok(&format!("call {i} of a burst of 3"), &result)?;
            }
            for i in 4..=5 {
                let result = session
                    .call("get_metrics", json!({"metric": "uptime"}))
                    .await?;
                expect_error(
                    &format!("call {i} past a burst of 3"),
                    &result,
                    "RATE_LIMITED",
                )?;
            }
            let other = session.call("health_check", json!({})).await?;
            expect_ok("another tool has its own bucket", &other)?;
            Ok("3 calls pass, the 4th and 5th are RATE_LIMITED".into())
        },
    )
}

fn slow_query<S: Api>() -> Outcome {
    with_session::<S>(
        &["--timeout", "400ms"],
        Human::Absent,
        async |_, session| {
            let endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
            let started = std::time::Instant::now();
            let result = session
                .call("query_database", json!({"query": endless}))
                .await?;
            expect_error(
                "an endless query under a 400 ms timeout",
                &result,
                "TIMEOUT",
            )?;
            let took = started.elapsed();
            if took > Duration::from_secs(5) {
                return Err(format!("the timeout was 400 ms but the call took {took:?}"));
            }
            for _ in 0..3 {
                let after = session
                    .call(
                        "query_database",
                        json!({"query": "SELECT count(*) FROM customers"}),
                    )
                    .await?;
                expect_ok("a query after the timeout", &after)?;
            }
            Ok(format!(
                "TIMEOUT after {took:?}, and the server answers after it"
            ))
        },
    )
}

fn approval<S: Api>() -> Outcome {
    unit((|| {
        let rt = runtime();
        let mut said = Vec::new();
        for (human, want) in [
            (Human::Absent, Some("PERMISSION_DENIED")),
            (Human::Declines, Some("PERMISSION_DENIED")),
            (Human::Approves, None),
        ] {
            let sandbox = Sandbox::new()?;
            rt.block_on(async {
                let session = Session::start(sandbox.command(S::SIDE, "stdio", &[])?, human).await?;
                let result = session.call("update_config", json!({"key": "default_row_limit", "value": "3"})).await?;
                let outcome = match want {
                    Some(code) => expect_error(&format!("update_config with a client whose human is {human:?}"), &result, code),
                    None => expect_ok("update_config approved by the human", &result).map(drop),
                };
                if outcome.is_ok() && want.is_none() {
                    let rows = session.call("query_database", json!({"query": "SELECT id FROM orders"})).await?;
                    let rows: Value = serde_json::from_str(&text(&rows)).map_err(|e| format!("query_database did not return JSON: {e}"))?;
                    if rows["row_count"] != 3 {
                        return Err(format!("after default_row_limit was set to 3, a query without limit returned {}", rows["row_count"]));
                    }
                }
                session.close().await;
                outcome
            })?;
            said.push(format!("{human:?}"));
        }
        Ok(format!("approval asked of the human: {}", said.join(", ")))
    })())
}

fn http<S: Api>() -> Outcome {
    unit((|| {
        let sandbox = Sandbox::new()?;
        let server =
            HttpServer::start(&sandbox, S::SIDE, &[], &[("MCP_TOKEN", "grader-token-42")])?;
        let auth = ("Authorization", "Bearer grader-token-42");
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"grader","version":"1"}}}"#;
        let mcp_headers = [
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
        ];
        let expect = |what: &str, got: (u16, String), status: u16| {
            if got.0 == status {
                Ok(got.1)
            } else {
                Err(format!(
                    "{what}: expected HTTP {status}, got {} {:?}",
                    got.0,
                    got.1.chars().take(200).collect::<String>()
                ))
            }
        };
        expect(
            "GET /healthz",
            server.request("GET", "/healthz", &[], "")?,
            200,
        )?;
        expect(
            "GET /readyz",
            server.request("GET", "/readyz", &[], "")?,
            200,
        )?;
        expect(
            "GET /metrics without the token",
            server.request("GET", "/metrics", &[], "")?,
            401,
        )?;
        expect(
            "POST /mcp without the token",
            server.request("POST", "/mcp", &mcp_headers, init)?,
            401,
        )?;
        let mut wrong = mcp_headers.to_vec();
        wrong.push(("Authorization", "Bearer not-the-token"));
        expect(
            "POST /mcp with a wrong token",
            server.request("POST", "/mcp", &wrong, init)?,
            401,
        )?;
        let mut good = mcp_headers.to_vec();
        good.push(auth);
        let mut foreign = good.clone();
        foreign.push(("Host", "attacker.example"));
        expect(
            "POST /mcp for a foreign Host (DNS rebinding)",
            server.request("POST", "/mcp", &foreign, init)?,
            403,
        )?;
        let mut origin = good.clone();
        origin.push(("Origin", "http://attacker.example"));
        expect(
            "POST /mcp from a foreign browser Origin",
            server.request("POST", "/mcp", &origin, init)?,
            403,
        )?;
        let body = expect(
            "POST /mcp initialize with the token",
            server.request("POST", "/mcp", &good, init)?,
            200,
        )?;
        if !body.contains("\"protocolVersion\"") {
            return Err(format!(
                "initialize over HTTP did not return a result: {body:?}"
            ));
        }
        let metrics = expect(
            "GET /metrics with the token",
            server.request("GET", "/metrics", &[auth], "")?,
            200,
        )?;
        if !metrics.contains("# TYPE") {
            return Err("GET /metrics is not in the Prometheus text format".into());
        }
        Ok(
            "healthz, readyz, metrics, 401 without the token, 403 for a foreign Host or Origin"
                .into(),
        )
    })())
}

fn shutdown<S: Api>() -> Outcome {
    with_session::<S>(
        &["--timeout", "4s"],
        Human::Absent,
        async |sandbox, session| {
            let endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
            let pid = session.pid.ok_or("the server has no process id")?;
            let call = session.call("query_database", json!({"query": endless}));
            // Late enough that the server has the call under any load, well
            // before its 4 s timeout.
            let signal = async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                // SAFETY: kill(2) with a pid the suite started.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            };
            let (result, ()) = tokio::join!(call, signal);
            let result =
                result.map_err(|e| format!("a call in flight at SIGTERM got no answer: {e}"))?;
            if error_code(&result).as_deref() != Some("TIMEOUT") {
                return Err(format!(
                    "the call in flight should have finished (with TIMEOUT at 4 s), got {:?}",
                    text(&result)
                ));
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut audited = false;
            while std::time::Instant::now() < deadline {
                if sandbox
                    .audit_entries()
                    .map(|e| e.len() == 1)
                    .unwrap_or(false)
                {
                    audited = true;
                }
                let alive = !has_exited(pid);
                if !alive && audited {
                    return Ok(
                        "the call in flight finished, was audited, and the server exited".into(),
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(format!(
                "after SIGTERM and its last call, the server {}",
                if audited {
                    "did not exit within 10 s"
                } else {
                    "left no audit line for the call"
                }
            ))
        },
    )
}

/// Whether the server process, a child of this one, has exited. Asked
/// with `waitpid` (which also reaps it), not through `/proc`, which the
/// sandbox does not show.
fn has_exited(pid: u32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG on a pid this process started; it
    // returns 0 while the child runs, and never blocks.
    unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_agrees_with_itself_on_examples() {
        assert_eq!(tail_model(b"a\nb\n", 1), ["b"]);
        assert_eq!(tail_model(b"a\r\n\nb", 5), ["a", "", "b"]);
        assert!(tail_model(b"", 3).is_empty());
    }

    #[test]
    fn the_reference_passes_the_in_process_checks() {
        grader_kit::assert_all_pass(
            suite::<Reference>()
                .into_iter()
                .filter(|c| {
                    matches!(
                        c.info.name,
                        "tail_matches_a_model"
                            | "tail_reads_only_the_end"
                            | "rows_are_capped_with_a_note"
                            | "bearer_tokens_are_checked"
                            | "pipeline_runs_every_step_in_order"
                    )
                })
                .collect(),
        );
    }
}
