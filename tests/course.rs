//! The course checks itself: the reference solutions get full marks from
//! the grader, the stubs get zero with a message on every check, and every
//! lab comes with a brief, a solution and a book page.

use std::process::Command;

use mcp_patterns_course::{grader_binary, labs, root};
use serde_json::Value;

/// Runs the grader with `args`, returning its JSON report.
fn grade(args: &[&str]) -> Value {
    let grader = grader_binary().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(grader)
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the grader must exit 0 whenever grading worked:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

fn checks(report: &Value) -> impl Iterator<Item = (&str, &Value)> {
    report["labs"].as_array().unwrap().iter().flat_map(|lab| {
        let name = lab["name"].as_str().unwrap();
        lab["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(move |c| (name, c))
    })
}

#[test]
fn the_solutions_get_full_marks_on_every_lab() {
    let report = grade(&["--target", "solutions"]);
    let mut graded: Vec<&str> = report["labs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    graded.sort_unstable();
    assert_eq!(
        graded,
        labs(),
        "the grader must have a suite for every lab in labs/"
    );
    for (lab, c) in checks(&report) {
        assert_eq!(
            c["status"],
            "passed",
            "{lab}/{}: {}{}",
            c["name"],
            c["message"],
            if c["kind"] == "database" {
                "\nDatabase checks need PostgreSQL: set DATABASE_URL=postgres://USER@HOST/DB (see README.md)."
            } else {
                ""
            }
        );
    }
    assert_eq!(report["score"], report["max_score"]);
    assert!(report["max_score"].as_u64().unwrap() > 0);
}

#[test]
fn the_stubs_get_zero_with_a_message_on_every_check() {
    let report = grade(&["--target", "labs"]);
    assert_eq!(report["score"], 0, "a stub earned points: {report:#}");
    for (lab, c) in checks(&report) {
        let message = c["message"].as_str().unwrap();
        match c["status"].as_str().unwrap() {
            "failed" => assert!(
                message.starts_with("not implemented: "),
                "{lab}/{} failed without naming the stub: {message}",
                c["name"]
            ),
            "skipped" => assert!(!message.is_empty()),
            other => panic!(
                "{lab}/{}: a stub should fail, not {other}: {message}",
                c["name"]
            ),
        }
    }
}

#[test]
fn the_stubs_fail_their_visible_tests_with_not_implemented() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for lab in labs() {
        // Cargo does not hold its build lock while tests run, so this nested
        // build shares the workspace's target directory and its cache.
        let out = Command::new(&cargo)
            .args(["test", "-p", &format!("lab-{lab}"), "--no-fail-fast"])
            .current_dir(root())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "lab-{lab}'s visible tests pass on the stubs"
        );
        let passed: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("test ") && l.ends_with("... ok"))
            .collect();
        assert!(
            passed.is_empty(),
            "lab-{lab}: visible tests pass on the stubs: {passed:?}"
        );
        let failed = stdout.lines().filter(|l| l.ends_with("... FAILED")).count();
        assert!(
            failed > 0,
            "lab-{lab}: no visible test ran\n{stdout}\n{stderr}"
        );
        let unnamed = stdout.matches("not yet implemented").count();
        assert!(
            unnamed >= failed,
            "lab-{lab}: {failed} tests failed but only {unnamed} name an unimplemented function\n{stdout}"
        );
    }
}

#[test]
fn the_stubs_are_carved_from_the_references() {
    let grader = grader_binary().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(grader)
        .args(["carve", "--check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "a committed stub is not what the carve writes:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_lab_has_a_brief_a_solution_and_a_book_page() {
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    for lab in labs() {
        let must_exist = [
            format!("labs/{lab}/README.md"),
            format!("labs/{lab}/tests/visible.rs"),
            format!("solutions/{lab}/Cargo.toml"),
            format!("solutions/{lab}/tests/visible.rs"),
            format!("book/src/labs/{lab}.md"),
        ];
        for path in &must_exist {
            assert!(root().join(path).is_file(), "lab {lab} lacks {path}");
        }
        let shim =
            std::fs::read_to_string(root().join(format!("solutions/{lab}/tests/visible.rs")))
                .unwrap();
        assert!(
            shim.contains(&format!("labs/{lab}/tests/visible.rs")),
            "solutions/{lab} must run the lab's visible tests, not a copy"
        );
        assert!(
            summary.contains(&format!("labs/{lab}.md")),
            "SUMMARY.md has no page for lab {lab}"
        );
    }
}

/// Every `.rs` file under `dir`, at any depth.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The quoted ids that follow `call(` in `text`: `ensure_rule("id"`.
fn ids_after(text: &str, call: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (at, _) in text.match_indices(call) {
        let rest = text[at + call.len()..].trim_start();
        if let Some(rest) = rest.strip_prefix('"')
            && let Some(end) = rest.find('"')
        {
            ids.push(rest[..end].to_owned());
        }
    }
    ids
}

#[test]
fn every_rule_a_check_names_is_in_the_catalogue_and_every_catalogued_rule_is_tested() {
    for lab in labs() {
        let catalogue =
            std::fs::read_to_string(root().join(format!("grader/core/src/catalog/{lab}.rs")))
                .unwrap();
        let declared = ids_after(&catalogue, "id:");
        let suite_text: String = rust_files(&root().join(format!("grader/harness/{lab}/src")))
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let used: Vec<String> = ["ensure_rule(", "check_rule(", "tag_rule("]
            .iter()
            .flat_map(|call| ids_after(&suite_text, call))
            .collect();
        for id in &used {
            assert!(
                declared.contains(id),
                "the {lab} suite names the rule `{id}`, which grader/core/src/catalog/{lab}.rs does not declare"
            );
        }
        // Some checks choose the rule in a helper (`fn rule(..) -> &'static
        // str`): a declared rule must then at least be named, quoted, in the
        // suite.
        for id in &declared {
            assert!(
                used.contains(id) || suite_text.contains(&format!("\"{id}\"")),
                "grader/core/src/catalog/{lab}.rs declares the rule `{id}`, which no check of the {lab} suite tests"
            );
        }
    }
}

/// Labs whose page describes the hidden checks by area rather than one
/// row per check.
const PAGES_BY_AREA: &[&str] = &["server"];

/// The grader's own list of a lab's checks (`grader hint LAB`): the total
/// line, then `(name, kind, points)` per check.
fn catalogued_checks(lab: &str) -> (String, Vec<(String, String, String)>) {
    let grader = grader_binary().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(grader).args(["hint", lab]).output().unwrap();
    assert!(out.status.success(), "grader hint {lab} failed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let total = text.lines().next().unwrap_or_default().to_owned();
    let checks = text
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(" (")?;
            let (kind, rest) = rest.split_once(", ")?;
            let points = rest.strip_suffix(" points)")?;
            Some((name.to_owned(), kind.to_owned(), points.to_owned()))
        })
        .collect();
    (total, checks)
}

/// The rows of a lab page's check table: `` | `name` | kind | points | ``.
fn page_checks(page: &str) -> Vec<(String, String, String)> {
    page.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                name.to_owned(),
                cells.get(2)?.to_string(),
                cells.get(3)?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn every_lab_page_lists_the_checks_the_grader_runs() {
    for lab in labs() {
        if PAGES_BY_AREA.contains(&lab.as_str()) {
            continue;
        }
        let path = format!("book/src/labs/{lab}.md");
        let page = std::fs::read_to_string(root().join(&path)).unwrap();
        let (total, checks) = catalogued_checks(&lab);
        assert!(!checks.is_empty(), "grader hint {lab} listed no checks");
        assert_eq!(
            page_checks(&page),
            checks,
            "{path}: its table of checks (name, kind, points, in order) is not what `cargo run -p grader -- hint {lab}` lists; update the table"
        );
        let points: u32 = checks
            .iter()
            .map(|(_, _, p)| p.parse::<u32>().unwrap())
            .sum();
        let sentence = format!("{} checks worth {points} points", checks.len());
        assert!(
            page.contains(&sentence),
            "{path} should say the suite has {sentence} (`grader hint {lab}`: {total})"
        );
    }
}
