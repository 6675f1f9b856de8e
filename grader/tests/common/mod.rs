//! Runs the grader binary and reads its JSON report.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The grader binary built for these tests.
pub fn grader() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grader"));
    command.env_remove("NO_COLOR");
    command
}

/// Runs `command` with `--json` into `dir`, returning the output and the
/// parsed report.
pub fn run_with_report(mut command: Command, dir: &Path) -> (Output, Value) {
    let json = dir.join("report.json");
    let output = command
        .arg("--json")
        .arg(&json)
        .output()
        .expect("the grader runs");
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "no report ({e}); stderr:\n{}\nstdout:\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (
        output,
        serde_json::from_str(&text).expect("the report is JSON"),
    )
}

/// The check named `name` of lab `lab` in a report.
pub fn check<'a>(report: &'a Value, lab: &str, name: &str) -> &'a Value {
    report["labs"]
        .as_array()
        .and_then(|labs| labs.iter().find(|l| l["name"] == lab))
        .and_then(|l| l["checks"].as_array())
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {lab}/{name} in {report:#}"))
}
