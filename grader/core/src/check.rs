//! What a suite is made of: named checks with points, and their outcomes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of evidence a check gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A fixed assertion on a few chosen inputs.
    Unit,
    /// A property over many generated inputs, reported with the shrunk input.
    Property,
    /// A check against a real PostgreSQL database.
    Database,
    /// A time ratio, the learner's code against the reference, in one run.
    Perf,
}

impl Kind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unit => "unit",
            Kind::Property => "property",
            Kind::Database => "database",
            Kind::Perf => "perf",
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The behaviour is right: full points.
    Passed,
    /// The behaviour is wrong (or not written yet): no points.
    Failed,
    /// The check ran past its deadline and its process was killed.
    Timeout,
    /// The check's process died: abort, stack overflow, out of memory, exit.
    Crashed,
    /// The check could not run here (no database, `--no-perf`): no points,
    /// and the reason says how to make it run.
    Skipped,
}

impl Status {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Timeout => "timeout",
            Status::Crashed => "crashed",
            Status::Skipped => "skipped",
        }
    }
}

/// What running a check produced, before points are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// What was checked, or what went wrong.
    pub message: String,
    /// For a failed property: the smallest input found that breaks it.
    pub counterexample: Option<String>,
}

impl Outcome {
    /// A pass, saying what was verified.
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            status: Status::Passed,
            message: message.into(),
            counterexample: None,
        }
    }

    /// A failure, saying what was wrong.
    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            status: Status::Failed,
            message: message.into(),
            counterexample: None,
        }
    }

    /// A check whose process died, with how it died.
    pub fn crashed(message: impl Into<String>) -> Self {
        Self {
            status: Status::Crashed,
            message: message.into(),
            counterexample: None,
        }
    }

    /// A check stopped at its deadline, with what to look for.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self {
            status: Status::Timeout,
            message: message.into(),
            counterexample: None,
        }
    }

    /// A skip, with the reason and how to fix it.
    pub fn skip(reason: impl Into<String>) -> Self {
        Self {
            status: Status::Skipped,
            message: reason.into(),
            counterexample: None,
        }
    }

    /// Attaches the minimal failing input.
    pub fn with_counterexample(mut self, input: impl Into<String>) -> Self {
        self.counterexample = Some(input.into());
        self
    }
}

/// Turns a unit check's `Result` into an outcome: `Ok` carries what was
/// verified, `Err` what went wrong.
pub fn unit(result: Result<String, String>) -> Outcome {
    match result {
        Ok(what) => Outcome::pass(what),
        Err(why) => Outcome::fail(why),
    }
}

/// Deadline of a unit check: a few fixed inputs.
pub const QUICK: Duration = Duration::from_secs(20);
/// Deadline of a property or database check: a few hundred generated cases.
pub const PROPERTY: Duration = Duration::from_secs(90);
/// Deadline of a perf check: two criterion measurements, perhaps twice.
pub const PERF: Duration = Duration::from_secs(60);

/// What the grader knows of one check without running it: enough for the
/// command line, the hints, the reports and the deadlines, so the launcher
/// never needs to link the code it grades.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckInfo {
    /// Unique within its lab; what reports show.
    pub name: &'static str,
    /// What kind of evidence it gathers.
    pub kind: Kind,
    /// Points for a pass.
    pub points: u32,
    /// Wall-clock limit, after which the check's process is killed.
    pub deadline: Duration,
    /// Shown on failure: points at the idea, never at the answer.
    pub hint: &'static str,
}

/// A graded check, as reports and the result pipe carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// How it ended.
    pub status: Status,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// What was checked, or what went wrong.
    pub message: String,
    /// The minimal failing input, for a failed property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<String>,
    /// The hint, kept for failed checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl CheckResult {
    /// Grades `outcome` for `check`: full points on a pass, none otherwise.
    pub fn grade(check: &CheckInfo, outcome: Outcome) -> Self {
        let outcome_status = outcome.status;
        let passed = outcome_status == Status::Passed;
        Self {
            name: check.name.to_owned(),
            kind: check.kind,
            status: outcome.status,
            score: if passed { check.points } else { 0 },
            max_score: check.points,
            message: outcome.message,
            counterexample: outcome.counterexample,
            hint: matches!(
                outcome_status,
                Status::Failed | Status::Timeout | Status::Crashed
            )
            .then(|| check.hint.to_owned()),
        }
    }
}

/// Describes a panic payload as a learner should read it: `todo!()` becomes
/// "not implemented: NAME".
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
    describe_panic(&text)
}

/// Rewrites `todo!()`'s panic text into "not implemented: NAME"; leaves any
/// other panic text as "panicked: TEXT".
pub fn describe_panic(text: &str) -> String {
    match text.split_once("not yet implemented") {
        Some((_, rest)) => {
            let name = rest.trim_start_matches(':').trim();
            if name.is_empty() {
                "not implemented: a todo!() was reached".to_owned()
            } else {
                format!("not implemented: {name}")
            }
        }
        None => format!("panicked: {text}"),
    }
}
