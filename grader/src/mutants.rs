//! `grader mutants LAB`: the hidden suites, tested as code is tested.
//!
//! A suite is only worth the wrong code it catches. cargo-mutants makes
//! small wrong versions of the reference (an operator flipped, a body
//! replaced by a default, a condition made always true); each is put into
//! the *learner's* side of a scratch checkout, with the reference left
//! intact, and graded by this grader like any submission. A mutant that
//! still gets full marks is a survivor: either a check is missing, or the
//! mutant is equivalent to the reference or harmless, which
//! `grader/mutants-accepted.md` says for each one, by name.
//!
//! Mutants are counted apart by where they land: in code the student
//! writes (a `LAB: todo` or `LAB: solution` block of the reference), which
//! is what the brief's rules are about, or in the given code around it.
//!
//! It needs cargo-mutants (`cargo install cargo-mutants --locked`), and a
//! database for the database checks, like any grading.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use grader_core::catalog::LabInfo;
use serde_json::Value;

use crate::carve::{self, Cut};
use crate::class::{self, ClassOptions};
use crate::compile::{course_root, target_dir};

/// One mutant, as cargo-mutants lists it.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// cargo-mutants' name for it: file, line, column and what changed.
    pub name: String,
    /// The reference file, relative to the course root.
    pub file: PathBuf,
    /// The 1-based line and column where the replaced text starts and ends.
    pub start: (usize, usize),
    /// See `start`.
    pub end: (usize, usize),
    /// What replaces it.
    pub replacement: String,
    /// Whether it lands in code the student writes.
    pub in_student_code: bool,
}

/// What grading a mutant showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It lost points: a check caught it.
    Caught,
    /// It got full marks.
    Survived,
    /// It does not compile: not a viable mutant.
    Unviable,
}

/// Options of a run.
pub struct MutantsOptions {
    /// Grade one mutant in `every` (1: all), spread over the list.
    pub every: usize,
    /// Submissions graded at once.
    pub jobs: usize,
}

/// Lists the mutants of `lab`'s reference with cargo-mutants.
pub fn list(lab: &LabInfo) -> Result<Vec<Mutant>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(["mutants", "--list", "--json", "--package"])
        .arg(format!("solution-{}", lab.name))
        .current_dir(course_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cargo} mutants: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(if stderr.contains("no such command") {
            "cargo-mutants is not installed: cargo install cargo-mutants --locked".to_owned()
        } else {
            format!("cargo mutants --list failed:\n{stderr}")
        });
    }
    let listed: Vec<Value> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot read cargo-mutants' list: {e}"))?;
    let root = course_root();
    let mut mutants = Vec::new();
    for m in listed {
        let position = |side: &str| -> Option<(usize, usize)> {
            let at = &m["span"][side];
            Some((
                at["line"].as_u64()? as usize,
                at["column"].as_u64()? as usize,
            ))
        };
        let (Some(name), Some(file), Some(start), Some(end), Some(replacement)) = (
            m["name"].as_str(),
            m["file"].as_str(),
            position("start"),
            position("end"),
            m["replacement"].as_str(),
        ) else {
            continue;
        };
        let text =
            fs::read_to_string(root.join(file)).map_err(|e| format!("cannot read {file}: {e}"))?;
        mutants.push(Mutant {
            name: name.to_owned(),
            file: PathBuf::from(file),
            start,
            end,
            replacement: replacement.to_owned(),
            in_student_code: in_marked_block(&text, start.0),
        });
    }
    Ok(mutants)
}

/// Whether 1-based `line` of a reference file lies in a `LAB: todo` or
/// `LAB: solution` block.
fn in_marked_block(text: &str, line: usize) -> bool {
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        let marker = l.trim_start().strip_prefix("// LAB:").map(str::trim);
        match marker {
            Some("end") => inside = false,
            Some("stub") => inside = false,
            Some(m) if m == "solution" || m.starts_with("todo(") => inside = true,
            _ => {}
        }
        if i + 1 == line {
            return inside && marker.is_none();
        }
    }
    false
}

/// `text` with the span of `mutant` replaced.
pub fn apply(text: &str, mutant: &Mutant) -> Result<String, String> {
    let offset = |(line, column): (usize, usize)| -> Option<usize> {
        let mut at = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let chars: usize = l.char_indices().nth(column - 1).map_or(l.len(), |(b, _)| b);
                return Some(at + chars);
            }
            at += l.len();
        }
        None
    };
    let (Some(from), Some(to)) = (offset(mutant.start), offset(mutant.end)) else {
        return Err(format!("{}: the span is outside the file", mutant.name));
    };
    Ok(format!(
        "{}{}{}",
        &text[..from],
        mutant.replacement,
        &text[to..]
    ))
}

/// Grades the mutants of `lab` and writes `target/grader/mutants/LAB/`:
/// the class of mutated submissions, its gradebook, and `report.md`.
/// Returns the report's text.
pub fn run(lab: &'static LabInfo, options: &MutantsOptions) -> Result<String, String> {
    let root = course_root();
    let all = list(lab)?;
    let chosen: Vec<Mutant> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % options.every.max(1) == 0)
        .map(|(_, m)| m.clone())
        .collect();
    let work = target_dir().join("grader").join("mutants").join(lab.name);
    let class_dir = work.join("class");
    let out = work.join("graded");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&class_dir)
        .map_err(|e| format!("cannot create {}: {e}", class_dir.display()))?;
    let needed: Vec<&str> = grader_core::catalog::LABS
        .iter()
        .filter(|l| l.name == lab.name || lab.builds_on.contains(&l.name))
        .map(|l| l.name)
        .collect();
    for (i, mutant) in chosen.iter().enumerate() {
        let student = class_dir.join(format!("m{i:04}"));
        for name in &needed {
            let src = root.join("solutions").join(name).join("src");
            let solved = if *name == lab.name {
                let rel = mutant
                    .file
                    .strip_prefix(format!("solutions/{name}/src"))
                    .map_err(|_| format!("{}: not a file of the lab", mutant.name))?;
                mutated_lab(&src, rel, mutant)?
            } else {
                carve::cut_dir(&src, Cut::Solved)?
            };
            for (rel, text) in solved {
                let path = student.join("labs").join(name).join("src").join(rel);
                fs::create_dir_all(path.parent().expect("a file has a folder"))
                    .map_err(|e| e.to_string())?;
                fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    eprintln!(
        "grading {} of {} mutants of solution-{} (one in {}) as submissions",
        chosen.len(),
        all.len(),
        lab.name,
        options.every.max(1)
    );
    let started = Instant::now();
    let class = ClassOptions {
        dir: class_dir,
        out: out.clone(),
        jobs: options.jobs,
        no_perf: false,
        require_sandbox: false,
        similarity_threshold: crate::cli::DEFAULT_SIMILARITY_THRESHOLD,
    };
    class::grade_class(&class, &[lab])?;
    let accepted =
        fs::read_to_string(root.join("grader").join("mutants-accepted.md")).unwrap_or_default();
    let mut verdicts = Vec::new();
    for (i, mutant) in chosen.iter().enumerate() {
        let report = out.join(format!("m{i:04}")).join("report.json");
        verdicts.push((mutant, verdict(&report, lab.name)));
    }
    let report = report(
        lab,
        &verdicts,
        &accepted,
        started.elapsed(),
        all.len(),
        options.every,
    );
    fs::write(work.join("report.md"), &report).map_err(|e| e.to_string())?;
    Ok(report)
}

/// What a mutant's report shows: a check failed, timed out or crashed
/// (caught), every check that ran passed (survived), or the lab did not
/// compile. Skipped checks count for neither.
fn verdict(report: &Path, lab: &str) -> Verdict {
    let Ok(text) = fs::read_to_string(report) else {
        return Verdict::Unviable;
    };
    let Ok(report) = serde_json::from_str::<Value>(&text) else {
        return Verdict::Unviable;
    };
    let checks = report["labs"]
        .as_array()
        .and_then(|labs| labs.iter().find(|l| l["name"] == lab))
        .and_then(|l| l["checks"].as_array().cloned())
        .unwrap_or_default();
    let first = checks
        .first()
        .and_then(|c| c["message"].as_str())
        .unwrap_or("");
    if first.starts_with(&format!("labs/{lab} does not compile")) || checks.is_empty() {
        return Verdict::Unviable;
    }
    let lost = checks
        .iter()
        .any(|c| matches!(c["status"].as_str(), Some("failed" | "timeout" | "crashed")));
    if lost {
        Verdict::Caught
    } else {
        Verdict::Survived
    }
}

/// The solved lab with `mutant` applied to its file `rel`.
fn mutated_lab(src: &Path, rel: &Path, mutant: &Mutant) -> Result<Vec<(PathBuf, String)>, String> {
    let mut files = Vec::new();
    for (file, _) in carve::cut_dir(src, Cut::Solved)? {
        let text = fs::read_to_string(src.join(&file)).map_err(|e| e.to_string())?;
        let text = if file == rel {
            apply(&text, mutant)?
        } else {
            text
        };
        let cut =
            carve::cut_text(&text, &src.join(&file), Cut::Solved).map_err(|e| e.to_string())?;
        files.push((file, cut));
    }
    Ok(files)
}

/// The Markdown report: the counts in each kind of code, then the
/// survivors, each marked when `grader/mutants-accepted.md` explains it.
fn report(
    lab: &LabInfo,
    verdicts: &[(&Mutant, Verdict)],
    accepted: &str,
    took: std::time::Duration,
    listed: usize,
    every: usize,
) -> String {
    let count = |student: bool, verdict: Verdict| {
        verdicts
            .iter()
            .filter(|(m, v)| m.in_student_code == student && *v == verdict)
            .count()
    };
    let mut out = format!(
        "# Mutants of solution-{}\n\n{} of {listed} mutants graded (one in {every}), in {:.0} min.\n\n| where | caught | survived | accepted | unviable | caught of viable |\n| --- | --: | --: | --: | --: | --: |\n",
        lab.name,
        verdicts.len(),
        took.as_secs_f64() / 60.0
    );
    for (label, student) in [("student's code", true), ("given code", false)] {
        let caught = count(student, Verdict::Caught);
        let survived = count(student, Verdict::Survived);
        let accepted_here = verdicts
            .iter()
            .filter(|(m, v)| {
                m.in_student_code == student
                    && *v == Verdict::Survived
                    && accepted.contains(&m.name)
            })
            .count();
        let unviable = count(student, Verdict::Unviable);
        let viable = caught + survived;
        let share = if viable == 0 {
            "-".to_owned()
        } else {
            format!(
                "{:.0}%",
                100.0 * (caught + accepted_here) as f64 / viable as f64
            )
        };
        out.push_str(&format!(
            "| {label} | {caught} | {survived} | {accepted_here} | {unviable} | {share} |\n"
        ));
    }
    out.push_str(
        "\n\"caught of viable\" counts the accepted survivors as caught.\n\n## Survivors\n\n",
    );
    for (mutant, verdict) in verdicts {
        if *verdict == Verdict::Survived {
            let mark = if accepted.contains(&mutant.name) {
                "accepted"
            } else {
                "OPEN"
            };
            let place = if mutant.in_student_code {
                "student"
            } else {
                "given"
            };
            out.push_str(&format!("- [{mark}] ({place}) `{}`\n", mutant.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutant(start: (usize, usize), end: (usize, usize), replacement: &str) -> Mutant {
        Mutant {
            name: "m".into(),
            file: PathBuf::from("x.rs"),
            start,
            end,
            replacement: replacement.into(),
            in_student_code: true,
        }
    }

    #[test]
    fn a_span_is_replaced_by_line_and_column() {
        let text = "fn f() -> bool {\n    a > b\n}\n";
        assert_eq!(
            apply(text, &mutant((2, 7), (2, 8), ">=")).unwrap(),
            "fn f() -> bool {\n    a >= b\n}\n"
        );
        assert_eq!(
            apply(text, &mutant((2, 5), (2, 10), "true")).unwrap(),
            "fn f() -> bool {\n    true\n}\n"
        );
    }

    #[test]
    fn student_code_is_what_the_markers_enclose() {
        let text = "fn given() {}\nfn f() {\n    // LAB: todo(\"f\")\n    body();\n    // LAB: end\n}\n// LAB: solution\nfn helper() {}\n// LAB: end\n";
        assert!(!in_marked_block(text, 1));
        assert!(in_marked_block(text, 4));
        assert!(!in_marked_block(text, 6));
        assert!(in_marked_block(text, 8));
    }
}
