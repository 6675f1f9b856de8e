//! Reports: the terminal scoreboard, `--json`, `--gradescope`, `--junit`.

use std::fmt::Write as _;
use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use serde_json::json;

use grader_core::{CheckResult, Status};

/// The grade of one lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabReport {
    /// The lab's name.
    pub name: String,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// Every check, in suite order.
    pub checks: Vec<CheckResult>,
    /// Advisory flags for the instructor: lines of the student's code this
    /// lab does not need (`unsafe`, processes, ...). They change no points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

impl LabReport {
    /// A lab report from its checks, with the totals added up.
    pub fn new(name: &str, checks: Vec<CheckResult>) -> Self {
        Self {
            name: name.to_owned(),
            score: checks.iter().map(|c| c.score).sum(),
            max_score: checks.iter().map(|c| c.max_score).sum(),
            checks,
            flags: Vec::new(),
        }
    }
}

/// The grade of a whole target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was graded: `labs`, `solutions`, or `submission DIR`.
    pub target: String,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// One entry per lab graded.
    pub labs: Vec<LabReport>,
    /// Which protections learner code ran under, e.g. `sandbox: landlock
    /// ABI 7 (files, scopes), network namespace, mount namespace; ...`, or
    /// `sandbox: none (reason)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protections: Option<String>,
}

impl Report {
    /// A report from its labs, with the totals added up.
    pub fn new(target: String, labs: Vec<LabReport>) -> Self {
        Self {
            target,
            score: labs.iter().map(|l| l.score).sum(),
            max_score: labs.iter().map(|l| l.max_score).sum(),
            labs,
            protections: None,
        }
    }

    /// The `--json` document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// A Gradescope `results.json`.
    pub fn to_gradescope(&self) -> String {
        let tests: Vec<_> = self
            .labs
            .iter()
            .flat_map(|lab| lab.checks.iter().map(move |c| (lab, c)))
            .map(|(lab, c)| {
                json!({
                    "name": format!("{}/{}", lab.name, c.name),
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": if c.status == Status::Passed { "passed" } else { "failed" },
                    "output": details(c),
                    "visibility": "visible",
                })
            })
            .collect();
        let doc = json!({
            "score": self.score,
            "max_score": self.max_score,
            "output": match &self.protections {
                Some(p) => format!("{}: {}/{} points\n{p}", self.target, self.score, self.max_score),
                None => format!("{}: {}/{} points", self.target, self.score, self.max_score),
            },
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": tests,
        });
        serde_json::to_string_pretty(&doc).expect("a report serializes")
    }

    /// A GitHub Classroom runner result: what `autograding-grading-reporter`
    /// reads (base64-encoded) from a step's `result` output to report points.
    pub fn to_classroom(&self) -> String {
        let tests: Vec<_> = self
            .labs
            .iter()
            .flat_map(|lab| lab.checks.iter().map(move |c| (lab, c)))
            .map(|(lab, c)| {
                json!({
                    "name": format!("{}/{}", lab.name, c.name),
                    "status": if c.status == Status::Passed { "pass" } else { "fail" },
                    "score": c.score,
                    "message": details(c),
                    "line_no": 0,
                    "execution_time": "0s",
                })
            })
            .collect();
        let doc = json!({
            "version": 1,
            "status": if self.score == self.max_score { "pass" } else { "fail" },
            "max_score": self.max_score,
            "tests": tests,
        });
        serde_json::to_string(&doc).expect("a report serializes")
    }

    /// A JUnit XML document: a test suite per lab, a test case per check.
    pub fn to_junit(&self) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let failures = |lab: &LabReport| {
            lab.checks
                .iter()
                .filter(|c| matches!(c.status, Status::Failed | Status::Timeout | Status::Crashed))
                .count()
        };
        let total_failures: usize = self.labs.iter().map(failures).sum();
        let total: usize = self.labs.iter().map(|l| l.checks.len()).sum();
        let _ = writeln!(
            xml,
            "<testsuites name=\"grader\" tests=\"{total}\" failures=\"{total_failures}\">"
        );
        for lab in &self.labs {
            let skipped = lab
                .checks
                .iter()
                .filter(|c| c.status == Status::Skipped)
                .count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\">",
                escape(&lab.name),
                lab.checks.len(),
                failures(lab)
            );
            for c in &lab.checks {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\">",
                    escape(&lab.name),
                    escape(&c.name)
                );
                match c.status {
                    Status::Passed => {}
                    Status::Skipped => {
                        let _ = write!(xml, "<skipped message=\"{}\"/>", escape(&c.message));
                    }
                    other => {
                        let _ = write!(
                            xml,
                            "<failure type=\"{}\" message=\"{}\">{}</failure>",
                            other.as_str(),
                            escape(first_line(&c.message)),
                            escape(&details(c))
                        );
                    }
                }
                xml.push_str("</testcase>\n");
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }

    /// What to work on next, for `grader watch`: each lab's points and how
    /// many checks pass, then the first check that does not, with its
    /// message, its minimal failing input and its hint.
    pub fn next_step(&self) -> String {
        let mut out = String::new();
        for lab in &self.labs {
            let passed = lab
                .checks
                .iter()
                .filter(|c| c.status == Status::Passed)
                .count();
            let _ = writeln!(
                out,
                "lab {}: {}/{} points, {passed} of {} checks pass",
                lab.name,
                lab.score,
                lab.max_score,
                lab.checks.len()
            );
        }
        let next = self
            .labs
            .iter()
            .flat_map(|lab| lab.checks.iter().map(move |c| (lab.name.as_str(), c)))
            .find(|(_, c)| !matches!(c.status, Status::Passed | Status::Skipped));
        match next {
            Some((lab, c)) => {
                let _ = writeln!(out, "\nnext: {lab}/{} [{}]", c.name, c.status.as_str());
                for line in details(c).lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
            None => out.push_str("\nevery check that ran passes\n"),
        }
        out
    }

    /// The terminal scoreboard; `color` adds ANSI colours.
    pub fn to_terminal(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        for lab in &self.labs {
            let width = lab.checks.iter().map(|c| c.name.len()).max().unwrap_or(10);
            let _ = writeln!(
                out,
                "\n{}  {}/{}",
                paint("1", &format!("lab {}", lab.name)),
                lab.score,
                lab.max_score
            );
            for c in &lab.checks {
                let (mark, code) = match c.status {
                    Status::Passed => ("ok  ", "32"),
                    Status::Failed => ("FAIL", "31"),
                    Status::Timeout => ("TIME", "33"),
                    Status::Crashed => ("DIED", "35"),
                    Status::Skipped => ("skip", "2"),
                };
                let _ = writeln!(
                    out,
                    "  {}  {:<width$}  {:<8}  {:>3}/{:<3}",
                    paint(code, mark),
                    c.name,
                    c.kind.as_str(),
                    c.score,
                    c.max_score
                );
            }
        }
        let unfinished: Vec<(&str, &CheckResult)> = self
            .labs
            .iter()
            .flat_map(|lab| lab.checks.iter().map(move |c| (lab.name.as_str(), c)))
            .filter(|(_, c)| c.status != Status::Passed)
            .collect();
        if !unfinished.is_empty() {
            let _ = writeln!(out, "\n{}", paint("1", "What to look at"));
            for group in same_reason(&unfinished) {
                let (lab, c) = group[0];
                let title = if let [_] = group {
                    format!("{lab}/{}", c.name)
                } else if self
                    .labs
                    .iter()
                    .any(|l| l.name == lab && l.checks.len() == group.len())
                {
                    format!("{lab}: all {} checks", group.len())
                } else {
                    let names: Vec<&str> = group.iter().map(|(_, c)| c.name.as_str()).collect();
                    format!("{lab}: {} checks ({})", group.len(), names.join(", "))
                };
                let _ = writeln!(out, "\n  {} [{}]", paint("1", &title), c.status.as_str());
                for line in c.message.lines() {
                    let _ = writeln!(out, "    {line}");
                }
                if let Some(input) = c.counterexample.as_deref().filter(|_| !not_implemented(c)) {
                    let _ = writeln!(out, "    minimal failing input:");
                    for line in input.lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                }
                if let Some(hint) = &c.hint {
                    let _ = writeln!(out, "    {} {hint}", paint("36", "hint:"));
                }
                for also in &c.also {
                    let _ = writeln!(out, "    {}", paint("1", "also:"));
                    for line in also.message.lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                    if let Some(input) = &also.counterexample {
                        let _ = writeln!(out, "      minimal failing input:");
                        for line in input.lines() {
                            let _ = writeln!(out, "        {line}");
                        }
                    }
                    if let Some(hint) = &also.hint {
                        let _ = writeln!(out, "      {} {hint}", paint("36", "hint:"));
                    }
                }
            }
        }
        let flagged: Vec<&String> = self.labs.iter().flat_map(|l| &l.flags).collect();
        if !flagged.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                paint("1", "Flags for the instructor (no points change)")
            );
            for flag in flagged {
                let _ = writeln!(out, "  {flag}");
            }
        }
        if let Some(protections) = &self.protections {
            let _ = writeln!(out, "\n{}", paint("2", protections));
        }
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                "1",
                &format!("{}: {}/{} points", self.target, self.score, self.max_score)
            )
        );
        out
    }
}

/// Whether colours suit standard output: a terminal, and `NO_COLOR` unset.
pub fn stdout_wants_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A check's message, counterexample and hint as one text, then each
/// other rule it saw broken with its own.
fn details(c: &CheckResult) -> String {
    let mut text = c.message.clone();
    if let Some(input) = c.counterexample.as_deref().filter(|_| !not_implemented(c)) {
        let _ = write!(text, "\nminimal failing input:\n{input}");
    }
    if let Some(hint) = &c.hint {
        let _ = write!(text, "\nhint: {hint}");
    }
    for also in &c.also {
        let _ = write!(text, "\n\nalso {}", also.message);
        if let Some(input) = &also.counterexample {
            let _ = write!(text, "\nminimal failing input:\n{input}");
        }
        if let Some(hint) = &also.hint {
            let _ = write!(text, "\nhint: {hint}");
        }
    }
    text
}

/// `unfinished` cut into runs of one lab's checks that ended the same way
/// for the same reason (a lab that does not compile, or is missing, fails
/// every check with one message): each run is shown once, not once per
/// check.
fn same_reason<'a, 'r>(
    unfinished: &'r [(&'a str, &'a CheckResult)],
) -> Vec<&'r [(&'a str, &'a CheckResult)]> {
    let alike = |(lab_a, a): &(&str, &CheckResult), (lab_b, b): &(&str, &CheckResult)| {
        lab_a == lab_b
            && a.status == b.status
            && a.message == b.message
            && a.hint == b.hint
            && a.counterexample == b.counterexample
            && a.also.is_empty()
            && b.also.is_empty()
    };
    unfinished.chunk_by(|a, b| alike(a, b)).collect()
}

/// A counterexample says nothing when the function is still a stub.
fn not_implemented(c: &CheckResult) -> bool {
    c.message.starts_with("not implemented")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use grader_core::Kind;

    fn sample() -> Report {
        let check = |name: &str, status, score| CheckResult {
            name: name.to_owned(),
            kind: Kind::Property,
            status,
            score,
            max_score: 5,
            message: "held <on> \"all\" & more\u{1}".to_owned(),
            counterexample: (status == Status::Failed)
                .then(|| "\"SELECT 1; DROP TABLE x\"".to_owned()),
            hint: (status != Status::Passed).then(|| "look closer".to_owned()),
            rule: None,
            also: Vec::new(),
        };
        Report::new(
            "labs".into(),
            vec![LabReport::new(
                "security",
                vec![
                    check("a", Status::Passed, 5),
                    check("b", Status::Failed, 0),
                    check("c", Status::Skipped, 0),
                ],
            )],
        )
    }

    #[test]
    fn totals_add_up() {
        let r = sample();
        assert_eq!((r.score, r.max_score), (5, 15));
        assert_eq!((r.labs[0].score, r.labs[0].max_score), (5, 15));
    }

    #[test]
    fn json_round_trips_with_the_documented_fields() {
        let r = sample();
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["labs"][0]["checks"][1]["status"], "failed");
        assert_eq!(v["labs"][0]["checks"][1]["kind"], "property");
        let back: Report = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn the_next_step_is_the_first_failing_check() {
        let text = sample().next_step();
        assert!(
            text.contains("lab security: 5/15 points, 1 of 3 checks pass"),
            "{text}"
        );
        assert!(text.contains("next: security/b [failed]"), "{text}");
        assert!(text.contains("hint: look closer"), "{text}");
        assert!(!text.contains("security/c"), "a skip is not next: {text}");
    }

    #[test]
    fn classroom_has_its_fields() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_classroom()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "fail");
        assert_eq!(v["max_score"], 15);
        let tests = v["tests"].as_array().unwrap();
        let points: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
        assert_eq!(points, 5);
        assert_eq!(tests[0]["status"], "pass");
        assert_eq!(tests[1]["status"], "fail");
        assert!(
            tests[1]["message"]
                .as_str()
                .unwrap()
                .contains("look closer")
        );
    }

    #[test]
    fn gradescope_has_its_fields() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_gradescope()).unwrap();
        assert_eq!(v["score"], 5);
        assert_eq!(v["tests"].as_array().unwrap().len(), 3);
        assert_eq!(v["tests"][1]["status"], "failed");
        assert_eq!(v["tests"][1]["name"], "security/b");
        assert!(
            v["tests"][1]["output"]
                .as_str()
                .unwrap()
                .contains("DROP TABLE")
        );
        assert_eq!(v["tests"][2]["status"], "failed");
    }

    #[test]
    fn junit_escapes_and_counts() {
        let xml = sample().to_junit();
        assert!(xml.contains("failures=\"1\""));
        assert!(xml.contains("skipped=\"1\""));
        assert!(xml.contains("&lt;on&gt; &quot;all&quot; &amp; more"));
        assert!(!xml.contains('\u{1}'));
    }

    #[test]
    fn checks_failed_for_one_reason_are_shown_once() {
        let broken = |name: &str| CheckResult {
            name: name.to_owned(),
            kind: Kind::Unit,
            status: Status::Failed,
            score: 0,
            max_score: 4,
            message: "labs/errors does not compile\nretry.rs:1:1: error".to_owned(),
            counterexample: None,
            hint: Some("build it".to_owned()),
            rule: None,
            also: Vec::new(),
        };
        let mut other = broken("c");
        other.message = "not implemented: f".to_owned();
        let report = Report::new(
            "labs".into(),
            vec![LabReport::new(
                "errors",
                vec![broken("a"), broken("b"), other],
            )],
        );
        let text = report.to_terminal(false);
        assert_eq!(text.matches("retry.rs:1:1").count(), 1, "{text}");
        assert!(text.contains("errors: 2 checks (a, b) [failed]"), "{text}");
        assert!(text.contains("errors/c [failed]"), "{text}");
        let whole = Report::new(
            "labs".into(),
            vec![LabReport::new("errors", vec![broken("a"), broken("b")])],
        );
        assert!(
            whole
                .to_terminal(false)
                .contains("errors: all 2 checks [failed]")
        );
    }

    #[test]
    fn terminal_lists_failures_with_input_and_hint() {
        let text = sample().to_terminal(false);
        assert!(text.contains("security/b [failed]"));
        assert!(text.contains("minimal failing input"));
        assert!(text.contains("hint: look closer"));
        assert!(text.contains("labs: 5/15 points"));
        assert!(!text.contains('\x1b'));
        assert!(sample().to_terminal(true).contains('\x1b'));
    }
}
