//! Composition: a health check built from smaller tools.
//!
//! Three steps: log analysis and metrics, which do not depend on each
//! other, and a suggestion step that reads both. The independent steps run
//! at the same time; the suggestion runs after them with whatever they
//! produced. Each step has a deadline. A step that fails or times out
//! leaves its section marked unavailable with the reason, and the report
//! says "degraded": a partial report is worth more than an error.

use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use errors::ToolError;
use errors::timeout::with_timeout;

// ANCHOR: types
/// The smaller tools a health check is made of.
pub trait HealthSources: Sync {
    /// Reads the logs and summarises what went wrong.
    fn analyze_logs(&self) -> impl Future<Output = Result<String, ToolError>> + Send;

    /// Reads the server's and the database's metrics.
    fn metrics(&self) -> impl Future<Output = Result<String, ToolError>> + Send;

    /// Suggests what to do, from the outputs of the two steps above that
    /// succeeded (`None` for one that did not).
    fn suggest(
        &self,
        logs: Option<&str>,
        metrics: Option<&str>,
    ) -> impl Future<Output = Result<String, ToolError>> + Send;
}

/// The overall state of a health report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every step succeeded.
    Healthy,
    /// At least one step failed or timed out.
    Degraded,
}

/// One section of the report: its title, and its text or why it is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// `Logs`, `Metrics` or `Suggestions`.
    pub title: &'static str,
    /// The step's output, or the reason it is unavailable (the step's
    /// error in its text form).
    pub body: Result<String, String>,
}

/// A health report: the status and three sections, always in the order
/// Logs, Metrics, Suggestions.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// Healthy only when every section is available.
    pub status: Status,
    /// The sections, in their fixed order.
    pub sections: Vec<Section>,
}
// ANCHOR_END: types

// ANCHOR: health_report
/// Runs the health check: logs and metrics at the same time, then the
/// suggestion, each step under `step_timeout`.
pub async fn health_report(sources: &impl HealthSources, step_timeout: Duration) -> HealthReport {
    // LAB: todo("health_report")
    // TODO: Run `analyze_logs` and `metrics` at the same time (`tokio::join!`), each under
    //       `with_timeout` from lab 2 with `step_timeout`.
    // TODO: Then run `suggest` (also under the timeout) with the outputs that succeeded.
    // TODO: Build the sections Logs, Metrics, Suggestions in that order; a failed step's body is
    //       `Err(error.to_string())`. Healthy only if all three succeeded.
    let (logs, metrics) = tokio::join!(
        with_timeout("analyze_logs", step_timeout, sources.analyze_logs()),
        with_timeout("metrics", step_timeout, sources.metrics()),
    );
    let suggestion = with_timeout(
        "suggest",
        step_timeout,
        sources.suggest(logs.as_deref().ok(), metrics.as_deref().ok()),
    )
    .await;
    let sections = vec![
        section("Logs", logs),
        section("Metrics", metrics),
        section("Suggestions", suggestion),
    ];
    let status = if sections.iter().all(|s| s.body.is_ok()) {
        Status::Healthy
    } else {
        Status::Degraded
    };
    HealthReport { status, sections }
    // LAB: end
}
// ANCHOR_END: health_report
// LAB: solution

fn section(title: &'static str, result: Result<String, ToolError>) -> Section {
    Section {
        title,
        body: result.map_err(|e| e.to_string()),
    }
}
// LAB: end

impl HealthReport {
    // ANCHOR: to_markdown
    /// The report as Markdown: a `# Health report` heading, a
    /// `Status: **healthy**` (or `**degraded**`) line, then one `## Title`
    /// section each, in order; an unavailable section reads
    /// `_Unavailable: REASON_`.
    pub fn to_markdown(&self) -> String {
        // LAB: todo("HealthReport::to_markdown")
        // TODO: `# Health report`, a blank line, `Status: **healthy**` or `**degraded**`; then for
        //       each section a blank line, `## Title`, a blank line, its text (or `_Unavailable:
        //       REASON_`).
        let status = match self.status {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
        };
        let mut out = format!("# Health report\n\nStatus: **{status}**\n");
        for section in &self.sections {
            let body = match &section.body {
                Ok(text) => text.clone(),
                Err(reason) => format!("_Unavailable: {reason}_"),
            };
            let _ = write!(out, "\n## {}\n\n{}\n", section.title, body.trim_end());
        }
        out
        // LAB: end
    }
    // ANCHOR_END: to_markdown
}
