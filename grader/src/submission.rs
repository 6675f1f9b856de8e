//! `--submission DIR`: another checkout's labs, graded by this checkout's
//! grader and solutions.
//!
//! Only the `src/` folder of each lab is taken from the submission; every
//! manifest, test and the grader itself come from this checkout, so a
//! submission cannot change how it is graded. The copy is built in a
//! scratch workspace with a build cache shared by all submissions, then
//! graded by running the grader built there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::check::{CheckResult, Status};
use crate::report::{LabReport, Report};
use crate::suites::{Lab, Side};

/// Most bytes taken from one submission's sources.
const MAX_BYTES: u64 = 16 << 20;
/// Most files taken from one submission's sources.
const MAX_FILES: usize = 2_000;

/// This checkout's root (where the workspace `Cargo.toml` is).
pub fn course_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the grader sits inside the course workspace")
        .to_path_buf()
}

/// The build directory of nested builds (submissions, course checks): kept
/// apart from `target/` itself, which the outer build may hold locked.
pub fn nested_target_dir() -> PathBuf {
    course_root().join("target").join("nested")
}

/// Checks `dir` looks like a checkout; the error says what to point at.
pub fn validate(dir: &Path) -> Result<PathBuf, String> {
    let real = dir.canonicalize().map_err(|e| {
        format!(
            "--submission {}: cannot open it ({e}); give the path of a student's checkout",
            dir.display()
        )
    })?;
    if !real.is_dir() {
        return Err(format!(
            "--submission {}: not a directory; give the path of a student's checkout",
            dir.display()
        ));
    }
    if !real.join("labs").is_dir() {
        return Err(format!(
            "--submission {}: no labs/ folder, so this is not a checkout of the course; point at the folder that holds labs/",
            dir.display()
        ));
    }
    Ok(real)
}

/// A number for each grading in this process, so submissions graded at
/// once (`--class`) get scratch copies of their own.
fn next_run() -> usize {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Grades the submission at `dir`.
pub fn grade(dir: &Path, labs: &[&'static Lab], no_perf: bool) -> Result<Report, String> {
    let submission = validate(dir)?;
    let root = course_root();
    let scratch = root.join("target").join("grader-submissions").join(format!(
        "run-{}-{}",
        std::process::id(),
        next_run()
    ));
    let _ = fs::remove_dir_all(&scratch);
    let result = grade_in(&submission, &root, &scratch, labs, no_perf);
    let _ = fs::remove_dir_all(&scratch);
    let mut report = result?;
    report.target = format!("submission {}", dir.display());
    Ok(report)
}

fn grade_in(
    submission: &Path,
    root: &Path,
    scratch: &Path,
    labs: &[&'static Lab],
    no_perf: bool,
) -> Result<Report, String> {
    let copy_err = |e: std::io::Error| {
        format!(
            "cannot prepare the scratch copy in {}: {e}",
            scratch.display()
        )
    };
    fs::create_dir_all(scratch).map_err(copy_err)?;
    for item in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "grader",
        "solutions",
        "labs",
    ] {
        let from = root.join(item);
        if from.exists() {
            copy_tree(&from, &scratch.join(item), &mut Budget::unlimited()).map_err(copy_err)?;
        }
    }
    let mut missing = Vec::new();
    // Every lab the submission has is taken, not only those graded: later
    // labs build on the learner's earlier ones.
    for lab in crate::suites::LABS {
        let theirs = submission.join("labs").join(lab.name).join("src");
        let ours = scratch.join("labs").join(lab.name).join("src");
        if !theirs.is_dir() {
            missing.push(lab.name);
            continue;
        }
        fs::remove_dir_all(&ours).map_err(copy_err)?;
        let mut budget = Budget::new();
        copy_tree(&theirs, &ours, &mut budget)
            .map_err(|e| format!("cannot copy labs/{}/src of the submission: {e}", lab.name))?;
    }
    let Built { grader, broken } = match build(scratch, root)? {
        Ok(built) => built,
        Err(errors) => {
            return Ok(not_graded(
                labs,
                &format!("the submission does not compile:\n{errors}"),
            ));
        }
    };
    let json = scratch.join("report.json");
    let mut grade = Command::new(grader);
    grade
        .args(["--target", "labs", "--json"])
        .arg(&json)
        .current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for lab in labs {
        grade.args(["--lab", lab.name]);
    }
    if no_perf {
        grade.arg("--no-perf");
    }
    let status = grade
        .status()
        .map_err(|e| format!("cannot run the scratch grader: {e}"))?;
    let text = fs::read_to_string(&json)
        .map_err(|e| format!("the scratch grader wrote no report ({status}): {e}"))?;
    let mut report: Report =
        serde_json::from_str(&text).map_err(|e| format!("unreadable scratch report: {e}"))?;
    for lab in &mut report.labs {
        if missing.contains(&lab.name.as_str()) {
            *lab = missing_lab(
                lab,
                &format!("labs/{}/src is missing from the submission", lab.name),
                None,
            );
        } else if let Some((_, errors)) = broken.iter().find(|(name, _)| *name == lab.name) {
            *lab = missing_lab(
                lab,
                &format!(
                    "labs/{} does not compile, so it scores zero; the compiler's first errors:\n{errors}",
                    lab.name
                ),
                Some(format!(
                    "Run `cargo build -p lab-{}` to see every error; the other labs were graded with the course's version of this one.",
                    lab.name
                )),
            );
        }
    }
    Ok(Report::new(String::new(), report.labs))
}

/// What [`build`] made of a submission.
struct Built {
    /// The scratch workspace's grader, copied out of the shared cache.
    grader: PathBuf,
    /// The labs that did not compile, with the compiler's first errors;
    /// the course's own version of each stands in for it.
    broken: Vec<(&'static str, String)>,
}

/// Builds the scratch workspace's grader and copies it into the scratch
/// directory. When the build fails, each lab is built alone, in the order
/// they depend on each other, and a lab that does not compile is replaced
/// by this checkout's version of it, so one broken lab costs only its own
/// points. The build cache is shared, and so is the path cargo writes the
/// binary to, so the builds and the copy hold a lock: two submissions
/// graded at once must each run their own grader.
///
/// The outer `Result` is the grader's own failure; the inner one is the
/// submission's: `Err` holds the compiler's first errors when even the
/// labs replaced did not make it build.
fn build(scratch: &Path, root: &Path) -> Result<Result<Built, String>, String> {
    let target_dir = nested_target_dir();
    fs::create_dir_all(&target_dir)
        .map_err(|e| format!("cannot create {}: {e}", target_dir.display()))?;
    let lock_path = target_dir.join("grader-build.lock");
    let lock = fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    // Cargo judges freshness by comparing source and artifact times, and the
    // scratch copies of different submissions share their relative paths:
    // the sources just taken from this submission must look newest.
    touch_tree(&scratch.join("labs"), std::time::SystemTime::now())
        .map_err(|e| format!("cannot stamp the scratch sources: {e}"))?;
    let mut broken = Vec::new();
    if let Err(errors) = cargo_build(scratch, &target_dir, "grader")? {
        // Which labs break it? LABS lists them in dependency order, so a
        // lab is built against the earlier ones as they will be graded.
        for lab in crate::suites::LABS {
            if let Err(errors) = cargo_build(scratch, &target_dir, &format!("lab-{}", lab.name))? {
                let ours = scratch.join("labs").join(lab.name).join("src");
                fs::remove_dir_all(&ours)
                    .and_then(|()| {
                        copy_tree(
                            &root.join("labs").join(lab.name).join("src"),
                            &ours,
                            &mut Budget::unlimited(),
                        )
                    })
                    .and_then(|()| touch_tree(&ours, std::time::SystemTime::now()))
                    .map_err(|e| {
                        format!("cannot replace labs/{} in the scratch copy: {e}", lab.name)
                    })?;
                broken.push((lab.name, errors));
            }
        }
        if broken.is_empty() {
            return Ok(Err(errors));
        }
        if let Err(errors) = cargo_build(scratch, &target_dir, "grader")? {
            return Ok(Err(errors));
        }
    }
    let private = scratch.join("grader-of-this-submission");
    fs::copy(target_dir.join("debug").join("grader"), &private)
        .map_err(|e| format!("cannot copy the scratch grader: {e}"))?;
    Ok(Ok(Built {
        grader: private,
        broken,
    }))
}

/// `cargo build -p PACKAGE` in the scratch workspace. The outer `Result` is
/// cargo failing to run; the inner `Err` holds the compiler's first errors.
fn cargo_build(
    scratch: &Path,
    target_dir: &Path,
    package: &str,
) -> Result<Result<(), String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--locked",
            "-p",
            package,
            "--message-format",
            "short",
        ])
        .current_dir(scratch)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(if output.status.success() {
        Ok(())
    } else {
        Err(first_errors(&String::from_utf8_lossy(&output.stderr)))
    })
}

/// Sets the modification time of every file under `dir` to `now`.
fn touch_tree(dir: &Path, now: std::time::SystemTime) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            touch_tree(&path, now)?;
        } else {
            fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(now)?;
        }
    }
    Ok(())
}

/// Every check of every lab failed with `why`: nothing could be graded.
fn not_graded(labs: &[&'static Lab], why: &str) -> Report {
    let reports = labs
        .iter()
        .map(|lab| {
            let checks = (lab.checks)(Side::Lab);
            let results = checks
                .iter()
                .map(|c| CheckResult {
                    name: c.name.to_owned(),
                    kind: c.kind,
                    status: Status::Failed,
                    score: 0,
                    max_score: c.points,
                    message: why.to_owned(),
                    counterexample: None,
                    hint: Some(
                        "Run `cargo build -p lab-".to_owned()
                            + lab.name
                            + "` in the submission to see every error.",
                    ),
                })
                .collect();
            LabReport::new(lab.name, results)
        })
        .collect();
    Report::new(String::new(), reports)
}

/// Every check of `lab` failed with `why`, and `hint` in place of the
/// checks' own hints.
fn missing_lab(lab: &LabReport, why: &str, hint: Option<String>) -> LabReport {
    let checks = lab
        .checks
        .iter()
        .map(|c| CheckResult {
            status: Status::Failed,
            score: 0,
            message: why.to_owned(),
            counterexample: None,
            hint: hint.clone(),
            ..c.clone()
        })
        .collect();
    LabReport::new(&lab.name, checks)
}

/// The compiler's first errors, enough to act on.
pub(crate) fn first_errors(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("error") || l.contains("-->"))
        .take(20)
        .collect();
    if lines.is_empty() {
        stderr.lines().rev().take(10).collect::<Vec<_>>().join("\n")
    } else {
        lines.join("\n")
    }
}

/// Caps what a submission can make the grader copy.
pub(crate) struct Budget {
    bytes: u64,
    files: usize,
}

impl Budget {
    fn new() -> Self {
        Self {
            bytes: MAX_BYTES,
            files: MAX_FILES,
        }
    }

    /// No cap: for the course's own files.
    pub(crate) fn unlimited() -> Self {
        Self {
            bytes: u64::MAX,
            files: usize::MAX,
        }
    }
}

/// Copies regular files and directories; symlinks are skipped, so a
/// submission cannot make the grader read outside it. `target/` is skipped.
pub(crate) fn copy_tree(from: &Path, to: &Path, budget: &mut Budget) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()), budget)?;
        }
    } else if meta.is_file() {
        if budget.files == 0 || meta.len() > budget.bytes {
            return Err(std::io::Error::other(
                "the submission's sources are too large to grade",
            ));
        }
        budget.files -= 1;
        budget.bytes -= meta.len();
        fs::copy(from, to)?;
    }
    Ok(())
}
