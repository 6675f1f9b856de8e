//! The five tools, each a plugin of the design lab's registry.
//!
//! A tool is a type: its arguments are a struct whose JSON schema the
//! client sees, with a description that says what the tool does and what
//! it refuses. The registry checks arguments against that schema before a
//! tool runs, so each `execute` below starts from valid input. Every tool
//! shares one [`AppState`]: the database, the log roots, the counters.

use std::fmt::Write as _;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use design::compose::{HealthSources, health_report};
use design::plugin::ToolPlugin;
use design::registry::{PluginRegistry, RegisterError};
use errors::{ErrorCode, ToolError};
use performance::cache::TtlCache;
use rmcp::model::ToolAnnotations;
use schemars::JsonSchema;
use security::audit::rfc3339;
use security::paths::PathPolicy;
use security::sql::check_query;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::metrics::Metrics;
use crate::settings::{KEYS, Settings};
use crate::{rows, tail};

/// What every tool shares.
pub struct AppState {
    /// The database.
    pub backend: Backend,
    /// The folders `read_log` may read; `None` when none were configured.
    pub logs: Option<PathPolicy>,
    /// The server's counters.
    pub metrics: Arc<Metrics>,
    /// Settings `update_config` may change.
    pub settings: Arc<Settings>,
    /// `get_metrics` answers, by metric name.
    pub metrics_cache: TtlCache<String, String>,
}

/// The metrics `get_metrics` knows, with what each holds.
pub const METRICS: [(&str, &str); 6] = [
    (
        "calls_per_tool",
        "calls, errors and p50/p99 latency of each tool",
    ),
    ("errors_per_code", "failed calls counted by error code"),
    (
        "connections",
        "database pool connections: open, idle and the maximum",
    ),
    (
        "cache_hit_ratio",
        "share of get_metrics answers served from this cache",
    ),
    (
        "database",
        "the database's own statistics (size, commits, buffer hits)",
    ),
    (
        "uptime",
        "seconds since the server started, and calls running now",
    ),
];

/// The most lines `read_log` returns.
pub const MAX_LOG_LINES: u32 = 10_000;

// ANCHOR: registry
/// The registry holding the five tools, all sharing `state`.
pub fn registry(state: &Arc<AppState>) -> Result<PluginRegistry, RegisterError> {
    let mut registry = PluginRegistry::new();
    registry.register(QueryDatabase(Arc::clone(state)))?;
    registry.register(ReadLog(Arc::clone(state)))?;
    registry.register(GetMetrics(Arc::clone(state)))?;
    registry.register(HealthCheck(Arc::clone(state)))?;
    registry.register(UpdateConfig(Arc::clone(state)))?;
    Ok(registry)
}
// ANCHOR_END: registry

/// Hints a client may show or act on: which tools only read, which change
/// something, which reach outside the server.
pub fn annotations(tool: &str) -> ToolAnnotations {
    let (title, read_only, idempotent) = match tool {
        "query_database" => ("Query the database (read-only)", true, true),
        "read_log" => ("Read the end of a log file", true, true),
        "get_metrics" => ("Read server and database metrics", true, true),
        "health_check" => ("Check the server's health", true, true),
        _ => ("Change a server setting (asks for approval)", false, true),
    };
    ToolAnnotations::with_title(title)
        .read_only(read_only)
        .destructive(false)
        .idempotent(idempotent)
        .open_world(false)
}

// ANCHOR: query_args
/// Arguments of `query_database`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    /// One read-only SQL query: SELECT, WITH ... SELECT, or VALUES. A
    /// second statement, any write, DDL, or a function with side effects is
    /// refused.
    pub query: String,
    /// The most rows to return, 1 to 1000 (default 100). When more rows
    /// match, the result says it was cut.
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}
// ANCHOR_END: query_args

/// `query_database`: the security lab's SQL check, then the read-only pool.
pub struct QueryDatabase(pub Arc<AppState>);

impl ToolPlugin for QueryDatabase {
    type Args = QueryArgs;

    fn name(&self) -> &str {
        "query_database"
    }

    fn description(&self) -> &str {
        "Runs one read-only SQL query and returns the rows as JSON: {columns, rows, row_count, \
         truncated}. Refuses more than one statement, any write or schema change, and functions \
         with side effects; the query runs in a read-only transaction with a time limit. At most \
         `limit` rows (default 100, max 1000) are returned, with a note when more matched."
    }

    // ANCHOR: query_execute
    async fn execute(&self, args: QueryArgs) -> Result<String, ToolError> {
        let state = &self.0;
        let checked = check_query(&args.query)?;
        let limit = args
            .limit
            .unwrap_or_else(|| state.settings.default_row_limit());
        let found = state
            .backend
            .query(&checked, limit, state.settings.call_timeout())
            .await?;
        Ok(rows::render(&found, limit))
    }
    // ANCHOR_END: query_execute
}

// ANCHOR: read_log_args
/// Arguments of `read_log`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadLogArgs {
    /// The log file, relative to a log root (or absolute inside one).
    /// Paths that leave the roots, through `..` or a symlink, are refused.
    pub path: String,
    /// How many lines from the end, 1 to 10000 (default 100).
    #[schemars(range(min = 1, max = 10000))]
    pub lines: Option<u32>,
}
// ANCHOR_END: read_log_args

/// `read_log`: the path policy, then the last lines of the file.
pub struct ReadLog(pub Arc<AppState>);

impl ToolPlugin for ReadLog {
    type Args = ReadLogArgs;

    fn name(&self) -> &str {
        "read_log"
    }

    fn description(&self) -> &str {
        "Returns the last lines of a log file under the server's log folders (default 100, max \
         10000), oldest first. Refuses paths outside those folders, including through `..` or \
         symlinks, and reads only the end of the file."
    }

    // ANCHOR: read_log_execute
    async fn execute(&self, args: ReadLogArgs) -> Result<String, ToolError> {
        let policy = self.0.logs.as_ref().ok_or_else(|| {
            ToolError::new(
                ErrorCode::Unavailable,
                "no log folders are configured: start the server with --log-root DIR (or MCP_LOG_ROOTS)",
            )
        })?;
        let path = policy.resolve(&args.path)?;
        // Only regular files: a folder cannot be tailed, and a FIFO or a
        // device under a log root would block the read forever.
        let is_file = std::fs::metadata(&path)
            .map(|m| m.is_file())
            .unwrap_or(true);
        if !is_file {
            return Err(ToolError::new(
                ErrorCode::Validation,
                format!(
                    "{} is not a regular file; give the path of a log file",
                    args.path
                ),
            ));
        }
        let lines = args.lines.unwrap_or(100).clamp(1, MAX_LOG_LINES) as usize;
        let found = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<String>> {
            let mut file = File::open(path)?;
            tail::last_lines(&mut file, lines)
        })
        .await
        .map_err(|e| ToolError::internal(format!("reading the log failed: {e}")))??;
        Ok(found.join("\n"))
    }
    // ANCHOR_END: read_log_execute
}

/// Arguments of `get_metrics`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsArgs {
    /// Which metric: calls_per_tool, errors_per_code, connections,
    /// cache_hit_ratio, database or uptime.
    pub metric: String,
}

/// `get_metrics`: one metric as JSON, cached for the metrics TTL.
pub struct GetMetrics(pub Arc<AppState>);

impl ToolPlugin for GetMetrics {
    type Args = MetricsArgs;

    fn name(&self) -> &str {
        "get_metrics"
    }

    fn description(&self) -> &str {
        "Returns one server or database metric as JSON: calls_per_tool, errors_per_code, \
         connections, cache_hit_ratio, database or uptime. Answers are cached (60 s by default); \
         `as_of` says when the value was read. An unknown name is refused with the list."
    }

    async fn execute(&self, args: MetricsArgs) -> Result<String, ToolError> {
        let state = &self.0;
        if !METRICS.iter().any(|(name, _)| *name == args.metric) {
            let known: Vec<&str> = METRICS.iter().map(|(name, _)| *name).collect();
            return Err(ToolError::new(
                ErrorCode::Validation,
                format!(
                    "there is no metric {:?}; the metrics are: {}",
                    args.metric,
                    known.join(", ")
                ),
            ));
        }
        let mut loaded = false;
        let answer = state
            .metrics_cache
            .get_or_try_insert_with(args.metric.clone(), || {
                loaded = true;
                read_metric(state, args.metric.clone())
            })
            .await?;
        state.metrics.cache_lookup(!loaded);
        Ok(answer)
    }
}

async fn read_metric(state: &AppState, metric: String) -> Result<String, ToolError> {
    let value = match metric.as_str() {
        "calls_per_tool" => {
            let tools = state.metrics.tools();
            let per_tool: serde_json::Map<String, Value> = tools
                .iter()
                .map(|(tool, s)| {
                    let entry = json!({
                        "calls": s.calls(),
                        "errors": s.errors(),
                        "p50_ms_at_most": s.quantile(0.5) * 1000.0,
                        "p99_ms_at_most": s.quantile(0.99) * 1000.0,
                    });
                    (tool.clone(), entry)
                })
                .collect();
            Value::Object(per_tool)
        }
        "errors_per_code" => {
            let mut per_code = serde_json::Map::new();
            for stats in state.metrics.tools().values() {
                for (outcome, n) in &stats.outcomes {
                    if *outcome != "ok" {
                        let slot = per_code.entry(outcome.to_string()).or_insert(json!(0));
                        *slot = json!(slot.as_u64().unwrap_or(0) + n);
                    }
                }
            }
            Value::Object(per_code)
        }
        "connections" => {
            let c = state.backend.connections();
            json!({ "open": c.open, "idle": c.idle, "max": c.max })
        }
        "cache_hit_ratio" => {
            let (hits, misses) = state.metrics.cache_counts();
            let lookups = hits + misses;
            let ratio = if lookups == 0 {
                0.0
            } else {
                hits as f64 / lookups as f64
            };
            json!({ "hits": hits, "misses": misses, "ratio": ratio })
        }
        "database" => state.backend.statistics().await?,
        _ => json!({
            "uptime_seconds": state.metrics.uptime().as_secs(),
            "calls_in_flight": state.metrics.in_flight(),
        }),
    };
    Ok(
        json!({ "metric": metric, "as_of": rfc3339(SystemTime::now()), "value": value })
            .to_string(),
    )
}

/// Arguments of `health_check`: none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// `health_check`: the design lab's composite report over this server.
pub struct HealthCheck(pub Arc<AppState>);

impl ToolPlugin for HealthCheck {
    type Args = NoArgs;

    fn name(&self) -> &str {
        "health_check"
    }

    fn description(&self) -> &str {
        "Returns a Markdown health report: recent errors in the logs, the database and call \
         metrics, and suggestions. A part that fails or is slow is marked unavailable and the \
         report says degraded; it never fails as a whole."
    }

    async fn execute(&self, _args: NoArgs) -> Result<String, ToolError> {
        let step = (self.0.settings.call_timeout() / 3).min(Duration::from_secs(5));
        Ok(health_report(self.0.as_ref(), step).await.to_markdown())
    }
}

/// How many lines at the end of each log file the health check scans.
const HEALTH_SCAN_LINES: usize = 500;

impl HealthSources for AppState {
    async fn analyze_logs(&self) -> Result<String, ToolError> {
        let policy = self.logs.as_ref().ok_or_else(|| {
            ToolError::new(ErrorCode::Unavailable, "no log folders are configured")
        })?;
        let roots: Vec<PathBuf> = policy.roots().to_vec();
        tokio::task::spawn_blocking(move || scan_logs(&roots))
            .await
            .map_err(|e| ToolError::internal(format!("the log scan failed: {e}")))?
    }

    async fn metrics(&self) -> Result<String, ToolError> {
        self.backend.ping().await?;
        let c = self.backend.connections();
        let tools = self.metrics.tools();
        let calls: u64 = tools.values().map(|s| s.calls()).sum();
        let errors: u64 = tools.values().map(|s| s.errors()).sum();
        Ok(format!(
            "{} answers. Pool: {} open, {} idle, {} max. Calls: {calls}, errors: {errors}. Uptime: {} s.",
            self.backend.describe(),
            c.open,
            c.idle,
            c.max,
            self.metrics.uptime().as_secs()
        ))
    }

    async fn suggest(
        &self,
        logs: Option<&str>,
        metrics: Option<&str>,
    ) -> Result<String, ToolError> {
        let mut out = String::new();
        match logs {
            Some(text) if text.contains(" 0 ERROR") || !text.contains("ERROR") => {
                out.push_str("- The logs show no recent errors.\n")
            }
            Some(_) => out.push_str("- Read the files with errors above with read_log.\n"),
            None => out.push_str("- Configure --log-root so the logs can be checked.\n"),
        }
        match metrics {
            Some(_) => out.push_str("- The database answers.\n"),
            None => out.push_str("- The database did not answer: check it is up and reachable.\n"),
        }
        Ok(out)
    }
}

/// Counts ERROR and WARN lines at the end of each `.log` file directly in
/// the roots (at most 20 files).
fn scan_logs(roots: &[PathBuf]) -> Result<String, ToolError> {
    let mut out = String::new();
    let mut files = 0;
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten().take(20) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "log") || !path.is_file() {
                continue;
            }
            let Ok(mut file) = File::open(&path) else {
                continue;
            };
            let lines = tail::last_lines(&mut file, HEALTH_SCAN_LINES)?;
            let errors = lines.iter().filter(|l| l.contains("ERROR")).count();
            let warnings = lines.iter().filter(|l| l.contains("WARN")).count();
            files += 1;
            let _ = writeln!(
                out,
                "- {}: {errors} ERROR, {warnings} WARN in the last {} lines",
                path.display(),
                lines.len()
            );
        }
    }
    if files == 0 {
        out.push_str("- no .log files in the log folders\n");
    }
    Ok(out)
}

// ANCHOR: config_args
/// Arguments of `update_config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigArgs {
    /// The setting: call_timeout_ms or default_row_limit.
    pub key: String,
    /// Its new value, as text.
    pub value: String,
}
// ANCHOR_END: config_args

/// `update_config`: changes one runtime setting, after a human approved.
pub struct UpdateConfig(pub Arc<AppState>);

impl ToolPlugin for UpdateConfig {
    type Args = ConfigArgs;

    fn name(&self) -> &str {
        "update_config"
    }

    fn description(&self) -> &str {
        "Changes one runtime setting: call_timeout_ms (100 to 300000) or default_row_limit (1 \
         to 1000). High privilege: the user is asked to approve every call, and a client that \
         cannot ask the user is refused with PERMISSION_DENIED. Unknown keys and out-of-range \
         values are refused."
    }

    async fn execute(&self, args: ConfigArgs) -> Result<String, ToolError> {
        let old = self.0.settings.set(&args.key, &args.value)?;
        let what = KEYS
            .iter()
            .find(|(k, _)| *k == args.key)
            .map(|(_, w)| *w)
            .unwrap_or("");
        tracing::info!(key = %args.key, old, new = %args.value.trim(), "setting changed");
        Ok(format!(
            "{} changed from {old} to {} ({what})",
            args.key,
            args.value.trim()
        ))
    }
}
