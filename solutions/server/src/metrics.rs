//! What the server counts about itself, and the Prometheus text format.
//!
//! Every tool call ends in [`Metrics::record`]: one count per tool and
//! outcome (`ok` or the error code) and its latency in a histogram. The
//! `/metrics` endpoint renders the same numbers for a scraper, and the
//! `get_metrics` tool reads them for a model. Counters live behind one
//! mutex: a call takes it for a few nanoseconds, far below anything a tool
//! does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use errors::ErrorCode;

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// One tool's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolStats {
    /// Calls per outcome: `ok`, or an error code such as `RATE_LIMITED`.
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Calls per latency bucket (the last slot counts calls above every bound).
    pub buckets: [u64; LATENCY_BUCKETS.len() + 1],
    /// The sum of all latencies, in seconds.
    pub total_seconds: f64,
}

impl ToolStats {
    /// How many calls ended, whatever their outcome.
    pub fn calls(&self) -> u64 {
        self.outcomes.values().sum()
    }

    /// How many calls ended in an error.
    pub fn errors(&self) -> u64 {
        self.calls() - self.outcomes.get("ok").copied().unwrap_or(0)
    }

    /// The upper bound of the bucket holding quantile `q` (0..=1), in
    /// seconds: an over-estimate by at most one bucket, as Prometheus
    /// would compute it.
    pub fn quantile(&self, q: f64) -> f64 {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            }
        }
        f64::INFINITY
    }
}

/// The server's counters.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    tools: Mutex<BTreeMap<String, ToolStats>>,
    in_flight: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    audit_failures: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Counters at zero, the uptime clock started now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            tools: Mutex::new(BTreeMap::new()),
            in_flight: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            audit_failures: AtomicU64::new(0),
        }
    }

    // ANCHOR: record
    /// Counts one finished call of `tool`: its outcome and how long it took.
    pub fn record(&self, tool: &str, outcome: Result<(), ErrorCode>, elapsed: Duration) {
        let label = match outcome {
            Ok(()) => "ok",
            Err(code) => code.as_str(),
        };
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        let mut tools = self.tools.lock().unwrap_or_else(|p| p.into_inner());
        if !tools.contains_key(tool) {
            tools.insert(tool.to_owned(), ToolStats::default());
        }
        if let Some(stats) = tools.get_mut(tool) {
            *stats.outcomes.entry(label).or_default() += 1;
            stats.buckets[bucket] += 1;
            stats.total_seconds += seconds;
        }
    }
    // ANCHOR_END: record

    /// A copy of every tool's counters, by tool name.
    pub fn tools(&self) -> BTreeMap<String, ToolStats> {
        self.tools.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    // ANCHOR: start_call
    /// Marks a call as started; the guard marks it finished when dropped.
    pub fn start_call(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }
    // ANCHOR_END: start_call

    /// Calls running right now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a lookup in the metrics cache.
    pub fn cache_lookup(&self, hit: bool) {
        let counter = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Cache hits and misses so far.
    pub fn cache_counts(&self) -> (u64, u64) {
        (
            self.cache_hits.load(Ordering::Relaxed),
            self.cache_misses.load(Ordering::Relaxed),
        )
    }

    /// Counts an audit entry that could not be written.
    pub fn audit_failed(&self) {
        self.audit_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Audit entries that could not be written so far.
    pub fn audit_failures(&self) -> u64 {
        self.audit_failures.load(Ordering::Relaxed)
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Everything above, plus `gauges` from elsewhere (the database pool),
    /// in the Prometheus text exposition format.
    pub fn render_prometheus(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let tools = self.tools();
        out.push_str("# HELP mcp_tool_calls_total Tool calls by tool and outcome.\n");
        out.push_str("# TYPE mcp_tool_calls_total counter\n");
        for (tool, stats) in &tools {
            for (outcome, n) in &stats.outcomes {
                let _ = writeln!(
                    out,
                    "mcp_tool_calls_total{{tool=\"{tool}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP mcp_tool_call_duration_seconds Tool call latency.\n");
        out.push_str("# TYPE mcp_tool_call_duration_seconds histogram\n");
        for (tool, stats) in &tools {
            let mut cumulative = 0;
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += stats.buckets[i];
                let _ = writeln!(
                    out,
                    "mcp_tool_call_duration_seconds_bucket{{tool=\"{tool}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "mcp_tool_call_duration_seconds_bucket{{tool=\"{tool}\",le=\"+Inf\"}} {}",
                stats.calls()
            );
            let _ = writeln!(
                out,
                "mcp_tool_call_duration_seconds_sum{{tool=\"{tool}\"}} {}",
                stats.total_seconds
            );
            let _ = writeln!(
                out,
                "mcp_tool_call_duration_seconds_count{{tool=\"{tool}\"}} {}",
                stats.calls()
            );
        }
        let (hits, misses) = self.cache_counts();
        let scalars: [(&str, &str, &str, f64); 5] = [
            (
                "mcp_tool_calls_in_flight",
                "gauge",
                "Tool calls running now.",
                self.in_flight() as f64,
            ),
            (
                "mcp_metrics_cache_hits_total",
                "counter",
                "get_metrics answers served from the cache.",
                hits as f64,
            ),
            (
                "mcp_metrics_cache_misses_total",
                "counter",
                "get_metrics answers computed afresh.",
                misses as f64,
            ),
            (
                "mcp_audit_failures_total",
                "counter",
                "Audit entries that could not be written.",
                self.audit_failures() as f64,
            ),
            (
                "mcp_uptime_seconds",
                "gauge",
                "Seconds since the server started.",
                self.uptime().as_secs_f64(),
            ),
        ];
        for (name, kind, help, value) in scalars {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// A call in progress; dropping it ends the call's count in
/// [`Metrics::in_flight`], whether the call returned or panicked.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
