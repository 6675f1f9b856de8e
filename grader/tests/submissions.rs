//! `--submission DIR` end to end, on generated checkouts:
//!
//! - naive ones, the reference with each chapter's mistakes put back in,
//!   which the checks aimed at each mistake must fail;
//! - a hostile one, whose functions hang, exit, abort, overflow the stack,
//!   run out of memory and forge results, each of which must cost only the
//!   check it happens in, while the other checks are graded as usual;
//! - one with a lab that does not compile, and one missing its lab.
//!
//! Each starts from a copy of the reference solutions with small textual
//! edits, so the rest of the submission is known to be right.

#[path = "common/checkout.rs"]
#[allow(dead_code, reason = "each test binary uses part of the shared helpers")]
mod checkout;
mod common;

use std::path::Path;

use checkout::{checkout_from_solutions, mutate};
use common::{check, grader, run_with_report};

/// Grades `lab` of the checkout at `dir`, deadlines scaled by `scale`.
fn grade(dir: &Path, lab: &str, scale: &str) -> serde_json::Value {
    grade_with(dir, &["--lab", lab], scale)
}

/// Grades the checkout at `dir` with the grader options `args`.
fn grade_with(dir: &Path, args: &[&str], scale: &str) -> serde_json::Value {
    let reports = tempfile::tempdir().unwrap();
    let mut command = grader();
    command
        .arg("--submission")
        .arg(dir)
        .args(args)
        .env("GRADER_TIMEOUT_SCALE", scale);
    let (out, report) = run_with_report(command, reports.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report["target"]
            .as_str()
            .unwrap()
            .starts_with("submission ")
    );
    report
}

fn status(report: &serde_json::Value, lab: &str, name: &str) -> String {
    check(report, lab, name)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_chapters_mistakes_are_caught() {
    let dir = checkout_from_solutions(&["security"]);
    let root = dir.path();
    // The denylist compiled on every call.
    mutate(
        root,
        "security",
        "sql/denylist.rs",
        "if let Some((pattern, _)) = COMPILED.iter().find(|(_, re)| re.is_match(query)) {",
        "let compiled: Vec<(&'static str, Regex)> = DENYLIST.iter().map(|p| (*p, Regex::new(&format!(\"(?is){p}\")).unwrap())).collect();\n    if let Some((pattern, _)) = compiled.iter().find(|(_, re)| re.is_match(query)) {",
    );
    // "Starts with SELECT" trusted, and the text passed on as it came.
    mutate(
        root,
        "security",
        "sql/validate.rs",
        "    let statements = Parser::parse_sql(",
        "    if sql.trim_start().to_ascii_uppercase().starts_with(\"SELECT\") {\n        return Ok(ReadOnlyQuery { sql: sql.to_owned() });\n    }\n    let statements = Parser::parse_sql(",
    );
    // Containment by string prefix.
    mutate(
        root,
        "security",
        "paths.rs",
        "real.starts_with(root)",
        "real.to_string_lossy().starts_with(&*root.to_string_lossy())",
    );
    // A tool missing from the table is allowed.
    mutate(
        root,
        "security",
        "permissions.rs",
        ".ok_or_else(|| AccessDenied::UnknownTool(tool.to_owned()))?;",
        ".unwrap_or(&[]);",
    );
    // Redaction one level deep.
    mutate(
        root,
        "security",
        "audit.rs",
        "                        redact(v)\n",
        "                        v.clone()\n",
    );
    // A bucket that refills past its burst.
    mutate(root, "security", "rate_limit.rs", ".min(burst)", "");

    let report = grade(root, "security", "1");
    for name in [
        "perf_denylist_compiled_once",
        "sql_refuses_disguised_writes",
        "paths_stay_inside_roots",
        "permissions_follow_the_table",
        "redaction_removes_planted_secrets",
        "rate_limit_bucket_bound",
    ] {
        assert_eq!(
            status(&report, "security", name),
            "failed",
            "{name} must catch its mistake: {report:#}"
        );
    }
    let shrunk = check(&report, "security", "sql_refuses_disguised_writes");
    assert!(
        shrunk["counterexample"]
            .as_str()
            .is_some_and(|c| !c.is_empty()),
        "{shrunk:#}"
    );
    // Shallow redaction also leaks the nested password of the audit check.
    assert_eq!(
        status(&report, "security", "audit_entry_format"),
        "failed",
        "{report:#}"
    );
    for name in ["sql_denylist_port", "paths_edge_cases"] {
        assert_eq!(
            status(&report, "security", name),
            "passed",
            "{name} is untouched by the mistakes: {report:#}"
        );
    }
    if std::env::var_os("DATABASE_URL").is_some() {
        assert_eq!(
            status(&report, "security", "sql_checked_queries_run_on_postgres"),
            "failed",
            "{report:#}"
        );
    }
}

#[test]
fn a_hostile_lab_costs_only_the_checks_it_breaks() {
    let dir = checkout_from_solutions(&["security"]);
    let root = dir.path();
    // A hang on any query with UNION in it.
    mutate(
        root,
        "security",
        "sql/validate.rs",
        "    let statements = Parser::parse_sql(",
        "    if sql.to_ascii_uppercase().contains(\"UNION\") {\n        loop {\n            std::hint::spin_loop();\n        }\n    }\n    let statements = Parser::parse_sql(",
    );
    // Exit in the middle of a check.
    mutate(
        root,
        "security",
        "paths.rs",
        "        if requested.is_empty() {",
        "        if !requested.is_empty() {\n            std::process::exit(0);\n        }\n        if requested.is_empty() {",
    );
    // A forged passing result without the nonce, then an abort.
    mutate(
        root,
        "security",
        "permissions.rs",
        "        let required = self",
        "        {\n            use std::io::Write;\n            use std::os::fd::FromRawFd;\n            println!(\"{{\\\"status\\\": \\\"passed\\\"}}\");\n            // SAFETY: a deliberately hostile test lab.\n            let mut pipe = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(3) });\n            let _ = writeln!(pipe, \"00 result 7 {{\\\"name\\\":\\\"permissions_follow_the_table\\\",\\\"kind\\\":\\\"property\\\",\\\"status\\\":\\\"passed\\\",\\\"score\\\":8,\\\"max_score\\\":8,\\\"message\\\":\\\"forged\\\"}}\");\n            std::process::abort();\n        }\n        #[allow(unreachable_code)]\n        let required = self",
    );
    // Unbounded recursion.
    mutate(
        root,
        "security",
        "audit.rs",
        "pub fn redact(value: &Value) -> Value {\n",
        "pub fn redact(value: &Value) -> Value {\n    if value.is_array() {\n        return redact(value);\n    }\n",
    );
    // An allocation far beyond the address-space limit.
    mutate(
        root,
        "security",
        "rate_limit.rs",
        "        let now = self.clock.now();",
        "        std::hint::black_box(vec![1u8; 1 << 40]);\n        let now = self.clock.now();",
    );

    // At the usual deadlines: the hang is stopped a second or two after
    // its first case outlasts the reference's, whatever the machine's load.
    let report = grade(root, "security", "1");
    assert_eq!(
        status(&report, "security", "sql_accepts_generated_selects"),
        "timeout",
        "{report:#}"
    );
    for name in [
        "paths_stay_inside_roots",
        "paths_edge_cases",
        "permissions_follow_the_table",
        "redaction_removes_planted_secrets",
        "rate_limit_bucket_bound",
    ] {
        assert_eq!(
            status(&report, "security", name),
            "crashed",
            "{name}: {report:#}"
        );
    }
    let exited = check(&report, "security", "paths_edge_cases")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(exited.contains("exited with status 0"), "{exited}");
    let overflow = check(&report, "security", "redaction_removes_planted_secrets")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(overflow.contains("stack overflow"), "{overflow}");
    let oom = check(&report, "security", "rate_limit_bucket_bound")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(oom.contains("out of memory"), "{oom}");
    for name in [
        "sql_denylist_port",
        "sql_refuses_disguised_writes",
        "sql_refuses_forbidden_functions",
        "audit_entry_format",
        "perf_denylist_compiled_once",
    ] {
        assert_eq!(
            status(&report, "security", name),
            "passed",
            "{name} must still be graded: {report:#}"
        );
    }
}

#[test]
fn a_lab_that_does_not_compile_gets_zero_and_the_others_are_graded() {
    let dir = checkout_from_solutions(&["security", "errors"]);
    mutate(
        dir.path(),
        "errors",
        "retry.rs",
        "pub fn backoff(",
        "pub fn backoff(this is not rust",
    );
    let report = grade_with(
        dir.path(),
        &["--lab", "security", "--lab", "errors", "--no-perf"],
        "1",
    );
    let labs = report["labs"].as_array().unwrap();
    let lab = |name: &str| labs.iter().find(|l| l["name"] == name).unwrap().clone();
    let errors = lab("errors");
    assert_eq!(errors["score"], 0, "{errors}");
    let message = check(&report, "errors", "backoff_formula")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("labs/errors does not compile"),
        "{message}"
    );
    assert!(
        message.contains("retry.rs"),
        "the errors should point at the file: {message}"
    );
    // The security lab is the reference: every check it runs passes.
    let security = lab("security");
    for c in security["checks"].as_array().unwrap() {
        assert_ne!(c["status"], "failed", "security was graded: {c}");
    }
    assert!(security["score"].as_u64().unwrap() > 0, "{security}");
}

#[test]
fn a_lab_missing_from_the_submission_gets_zero_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("labs/another-lab/src")).unwrap();
    let report = grade(dir.path(), "security", "1");
    assert_eq!(report["score"], 0);
    let c = check(&report, "security", "sql_denylist_port");
    assert_eq!(c["status"], "failed");
    assert_eq!(
        c["message"],
        "labs/security/src is missing from the submission"
    );
}

#[test]
fn the_error_labs_classic_mistakes_are_caught() {
    let dir = checkout_from_solutions(&["security", "errors"]);
    let errors = |file: &str, from: &str, to: &str| mutate(dir.path(), "errors", file, from, to);
    // Every error retried, as a decorator catching every exception does.
    errors(
        "retry.rs",
        "if !error.is_retryable() || attempt >= attempts {",
        "if attempt >= attempts {",
    );
    // A timeout judged after the fact: the work runs to its end first.
    errors(
        "timeout.rs",
        "    match tokio::time::timeout(limit, work).await {",
        "    let started = tokio::time::Instant::now();\n    let finished = work.await;\n    let late = if started.elapsed() > limit { Err(()) } else { Ok(finished) };\n    match late {",
    );
    // An internal error that shows its detail.
    errors(
        "tool_error.rs",
        "Self::new(ErrorCode::Internal, INTERNAL_MESSAGE).with_log_detail(detail)",
        "{ let detail = detail.into(); Self::new(ErrorCode::Internal, detail.clone()).with_log_detail(detail) }",
    );
    let report = grade(dir.path(), "errors", "1");
    let status = |name: &str| status(&report, "errors", name);
    assert_eq!(status("retry_follows_the_policy"), "failed", "{report:#}");
    assert_eq!(
        status("internal_details_never_reach_the_model"),
        "failed",
        "{report:#}"
    );
    assert_eq!(status("timeouts_cut_and_cancel"), "failed", "{report:#}");
    for name in [
        "codes_retryable",
        "backoff_formula",
        "conversions_choose_the_code",
    ] {
        assert_eq!(status(name), "passed", "{name}: {report:#}");
    }
}

#[test]
fn the_design_labs_classic_mistakes_are_caught() {
    let dir = checkout_from_solutions(&["security", "errors", "design"]);
    let design = |file: &str, from: &str, to: &str| mutate(dir.path(), "design", file, from, to);
    // A later plugin silently replaces an earlier one of the same name.
    design(
        "registry.rs",
        "        if self.plugins.contains_key(&name) {\n            return Err(RegisterError::Duplicate(name));\n        }\n",
        "",
    );
    // Independent steps run one after the other.
    design(
        "compose.rs",
        "    let (logs, metrics) = tokio::join!(\n        with_timeout(\"analyze_logs\", step_timeout, sources.analyze_logs()),\n        with_timeout(\"metrics\", step_timeout, sources.metrics()),\n    );",
        "    let logs = with_timeout(\"analyze_logs\", step_timeout, sources.analyze_logs()).await;\n    let metrics = with_timeout(\"metrics\", step_timeout, sources.metrics()).await;",
    );
    let report = grade(dir.path(), "design", "1");
    let status = |name: &str| status(&report, "design", name);
    assert_eq!(
        status("registration_agrees_with_a_model"),
        "failed",
        "{report:#}"
    );
    assert_eq!(status("composition_degrades"), "failed", "{report:#}");
    for name in [
        "names_follow_the_rules",
        "arguments_match_the_schema",
        "markdown_report",
    ] {
        assert_eq!(status(name), "passed", "{name}: {report:#}");
    }
}

#[test]
fn the_performance_labs_classic_mistakes_are_caught() {
    let dir = checkout_from_solutions(&["security", "errors", "performance", "design"]);
    let performance =
        |file: &str, from: &str, to: &str| mutate(dir.path(), "performance", file, from, to);
    // Every hit walks the whole cache.
    performance(
        "cache.rs",
        "        let slot = *entries.index.get(key)?;",
        "        let _live = std::hint::black_box(entries.nodes.iter().filter(|n| n.is_some()).count());\n        let slot = *entries.index.get(key)?;",
    );
    // One job at a time.
    performance(
        "batch.rs",
        "Semaphore::new(concurrency.max(1))",
        "Semaphore::new(1)",
    );
    // No READ ONLY: the database no longer refuses a write the check missed.
    performance(
        "pool.rs",
        "\"BEGIN READ ONLY; SET LOCAL",
        "\"BEGIN; SET LOCAL",
    );
    let report = grade(dir.path(), "performance", "1");
    let status = |name: &str| status(&report, "performance", name);
    assert_eq!(
        status("perf_cache_hit_is_constant_time"),
        "failed",
        "{report:#}"
    );
    assert_eq!(
        status("batch_is_concurrent_and_ordered"),
        "failed",
        "{report:#}"
    );
    if std::env::var_os("DATABASE_URL").is_some() {
        assert_eq!(
            status("pool_refuses_writes_in_disguise"),
            "failed",
            "{report:#}"
        );
    }
    for name in ["cache_agrees_with_a_model", "cache_loader_runs_once"] {
        assert_eq!(status(name), "passed", "{name}: {report:#}");
    }
}

/// An edit to a reference file: the file, the text to find, its replacement.
type Edit = (&'static str, &'static str, &'static str);

/// A student of a generated class: a folder name and the edits to the
/// reference that make their checkout.
type Student = (&'static str, Vec<Edit>);

/// Grades each checkout of `class` as a class, on `lab`; returns each
/// student's report.
fn grade_class(lab: &str, class: &[Student]) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let needed: &[&str] = match lab {
        "errors" => &["security", "errors"],
        other => panic!("no class helper for {other}"),
    };
    for (student, edits) in class {
        let root = dir.path().join(student);
        checkout::write_solved(&root, needed);
        for (file, from, to) in edits {
            mutate(&root, lab, file, from, to);
        }
    }
    checkout::grade_class(dir.path(), out.path(), &[lab]);
    class
        .iter()
        .map(|(student, _)| {
            let path = out.path().join(student).join("report.json");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                let gradebook = std::fs::read_to_string(out.path().join("gradebook.csv"));
                panic!("{}: {e}; the gradebook:\n{gradebook:?}", path.display())
            });
            serde_json::from_str(&text).unwrap()
        })
        .collect()
}

#[test]
fn single_mistakes_in_the_errors_lab_each_lose_points_and_name_their_rule() {
    let class: Vec<Student> = vec![
        // Class 42 tested before 42501: insufficient privilege becomes VALIDATION.
        (
            "class-42-first",
            vec![(
                "convert.rs",
                "                    \"25006\" => (",
                "                    s if s.starts_with(\"42\") => (\n                        ErrorCode::Validation,\n                        format!(\"the database rejected the query: {}\", db.message()),\n                    ),\n                    \"25006\" => (",
            )],
        ),
        // "details": null when there are none.
        (
            "details-null",
            vec![(
                "tool_error.rs",
                "let mut structured = json!({ \"code\": self.code.as_str(), \"message\": self.message });\n        if let Some(details) = &self.details {\n            structured[\"details\"] = details.clone();\n        }",
                "let structured = json!({ \"code\": self.code.as_str(), \"message\": self.message, \"details\": self.details });",
            )],
        ),
        // A wait ending exactly at the deadline refused.
        (
            "deadline-inclusive",
            vec![(
                "retry.rs",
                "start.elapsed() + wait > deadline",
                "start.elapsed() + wait >= deadline",
            )],
        ),
        // Sleep first, check the deadline after.
        (
            "sleep-then-check",
            vec![(
                "retry.rs",
                "        if let Some(deadline) = policy.deadline\n            && start.elapsed() + wait > deadline\n        {\n            return Err(RetryError {\n                last: error,\n                attempts: attempt,\n            });\n        }\n        tokio::time::sleep(wait).await;",
                "        tokio::time::sleep(wait).await;\n        if let Some(deadline) = policy.deadline\n            && start.elapsed() > deadline\n        {\n            return Err(RetryError {\n                last: error,\n                attempts: attempt,\n            });\n        }",
            )],
        ),
        // retry - 1 for retry 0.
        (
            "retry-zero",
            vec![(
                "retry.rs",
                "2u32.checked_pow(retry.saturating_sub(1))",
                "2u32.checked_pow(retry - 1)",
            )],
        ),
        // The database's text in a message of class 40.
        (
            "database-text",
            vec![(
                "convert.rs",
                "\"the database is busy; try again\".to_owned()",
                "format!(\"the database is busy; try again: {}\", db.message())",
            )],
        ),
    ];
    let expected = [
        "conversions_choose_the_code",
        "text_form_and_mcp_result",
        "retry_follows_the_policy",
        "retry_follows_the_policy",
        "backoff_formula",
        "internal_details_never_reach_the_model",
    ];
    let reports = grade_class("errors", &class);
    for (((student, _), report), name) in class.iter().zip(&reports).zip(expected) {
        let c = check(report, "errors", name);
        assert_eq!(
            c["status"], "failed",
            "{student}: {name} must catch it: {report:#}"
        );
        let message = c["message"].as_str().unwrap();
        assert!(
            message.starts_with("breaks the rule: "),
            "{student}: the failure names the rule it breaks: {message}"
        );
        assert!(c["rule"].is_string(), "{student}: {c:#}");
    }
}
