//! The command line as a user meets it: mistakes get a clear error and exit
//! status 2, reports are written where asked.

mod common;

use common::{check, grader, run_with_report};

fn stderr_of(args: &[&str]) -> (i32, String) {
    let out = grader().args(args).output().expect("the grader runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_wrong_flag_says_what_is_wrong_and_shows_the_usage() {
    let (code, err) = stderr_of(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown option `--frobnicate`"), "{err}");
    assert!(err.contains("usage:"), "{err}");
}

#[test]
fn a_bad_submission_directory_is_refused_before_grading() {
    let (code, err) = stderr_of(&["--submission", "/no/such/checkout"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot open it"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, err) = stderr_of(&["--submission", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no labs/ folder"), "{err}");
}

#[test]
fn help_exits_zero() {
    let out = grader().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--gradescope FILE"));
}

#[test]
fn every_report_format_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = grader();
    command
        .args([
            "--target",
            "solutions",
            "--lab",
            "security",
            "--no-perf",
            "--gradescope",
        ])
        .arg(dir.path().join("results.json"))
        .arg("--junit")
        .arg(dir.path().join("junit.xml"));
    let (out, report) = run_with_report(command, dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(report["target"], "solutions");
    let perf = check(&report, "security", "perf_denylist_compiled_once");
    assert_eq!(perf["status"], "skipped");
    assert!(perf["message"].as_str().unwrap().contains("--no-perf"));
    let gradescope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(gradescope["score"], report["score"]);
    assert!(gradescope["tests"].as_array().unwrap().len() >= 10);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuite name=\"security\""));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("lab security") && !table.contains('\x1b'),
        "{table}"
    );
}

#[test]
fn hints_name_every_check_of_the_lab() {
    let out = grader().args(["hint", "errors"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["backoff_formula", "timeouts_cut_and_cancel"] {
        assert!(text.contains(name), "{text}");
    }
    let out = grader()
        .args(["hint", "errors", "backoff_formula"])
        .output()
        .unwrap();
    let one = String::from_utf8_lossy(&out.stdout);
    assert!(
        one.starts_with("backoff_formula") && !one.contains("timeouts_cut_and_cancel"),
        "{one}"
    );
    let (code, err) = stderr_of(&["hint", "errors", "no_such_check"]);
    assert_eq!(code, 2);
    assert!(err.contains("its checks are: "), "{err}");
}
