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
    /// The rules of the lab's brief this check tests; a failure names the
    /// one it saw broken, with that rule's own hint.
    pub rules: &'static [Rule],
}

impl CheckInfo {
    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// One rule of a lab's brief, as a check tests it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Short and unique within its check, e.g. `wait-may-end-at-deadline`.
    pub id: &'static str,
    /// The rule in the brief's words, with where the brief states it.
    pub text: &'static str,
    /// Shown when this rule is broken: the idea, never the answer.
    pub hint: &'static str,
}

/// Another rule a failed check saw broken, beyond the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleFailure {
    /// The rule's id.
    pub rule: String,
    /// What went wrong.
    pub message: String,
    /// The smallest input found that breaks it, for a property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<String>,
    /// That rule's hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
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
    /// The hint, kept for failed checks: the broken rule's, or the
    /// check's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The rule of the brief the failure broke, when the check names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Other rules the same check saw broken (up to two more), so a second
    /// bug is not hidden until the first is fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<RuleFailure>,
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
            rule: None,
            also: Vec::new(),
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

/// Marks a rule's id inside a failure message, so the message can travel
/// through any test runner and the rule still be found.
const RULE_MARK: char = '\u{1e}';

/// `message`, tagged as breaking the rule `id`.
pub fn tag_rule(id: &str, message: &str) -> String {
    format!("{RULE_MARK}{id}{RULE_MARK}{message}")
}

/// The rule a tagged message names, and the message without the tag.
pub fn take_rule(message: &str) -> (Option<String>, String) {
    let Some(start) = message.find(RULE_MARK) else {
        return (None, message.to_owned());
    };
    let rest = &message[start + RULE_MARK.len_utf8()..];
    let Some(end) = rest.find(RULE_MARK) else {
        return (None, message.to_owned());
    };
    let id = rest[..end].to_owned();
    let cleaned = format!(
        "{}{}",
        &message[..start],
        &rest[end + RULE_MARK.len_utf8()..]
    );
    (Some(id), cleaned)
}

impl CheckResult {
    /// Names the rule `id` of `check` as the one this failure broke: the
    /// message says which rule, and the hint becomes that rule's.
    pub fn name_rule(&mut self, check: &CheckInfo, id: &str) {
        if let Some(rule) = check.rule(id) {
            self.message = format!("breaks the rule: {}\n{}", rule.text, self.message);
            if self.hint.is_some() {
                self.hint = Some(rule.hint.to_owned());
            }
        }
        self.rule = Some(id.to_owned());
    }

    /// Adds another broken rule, found once the first was set aside.
    pub fn add_broken(&mut self, check: &CheckInfo, id: &str, outcome: Outcome) {
        let rule = check.rule(id);
        self.also.push(RuleFailure {
            rule: id.to_owned(),
            message: match rule {
                Some(rule) => format!("breaks the rule: {}\n{}", rule.text, outcome.message),
                None => outcome.message,
            },
            counterexample: outcome.counterexample,
            hint: rule.map(|r| r.hint.to_owned()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[Rule] = &[Rule {
        id: "exact-deadline",
        text: "a wait that ends exactly at the deadline is allowed (retry, rule 5)",
        hint: "Compare with > rather than >=.",
    }];

    #[test]
    fn a_tagged_message_names_its_rule_and_the_hint_follows() {
        let tagged = tag_rule("exact-deadline", "the wait was refused");
        let wrapped = format!("Test failed: {tagged}.");
        let (rule, message) = take_rule(&wrapped);
        assert_eq!(rule.as_deref(), Some("exact-deadline"));
        assert_eq!(message, "Test failed: the wait was refused.");
        assert_eq!(take_rule("plain"), (None, "plain".to_owned()));

        let info = CheckInfo {
            name: "retry",
            kind: Kind::Property,
            points: 3,
            deadline: QUICK,
            hint: "the check's own hint",
            rules: RULES,
        };
        let mut result = CheckResult::grade(&info, Outcome::fail(message));
        result.name_rule(&info, "exact-deadline");
        assert!(
            result
                .message
                .starts_with("breaks the rule: a wait that ends exactly")
        );
        assert_eq!(
            result.hint.as_deref(),
            Some("Compare with > rather than >=.")
        );
        result.add_broken(&info, "other", Outcome::fail("second"));
        assert_eq!(result.also[0].message, "second");
    }
}
