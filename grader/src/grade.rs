//! Grading: one path for this checkout and for a submission. Build the
//! checkout's labs with the course's harness in a slot ([`compile`]), run
//! each lab's checks in isolated children ([`isolate`]), and gather the
//! results into a report.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use grader_core::catalog::LabInfo;
use grader_core::protocol::{DATABASE_URL_VAR, SCRATCH_PREFIX_VAR, Side};
use grader_core::{CheckInfo, CheckResult, Kind, Outcome, Status};

use crate::compile::{self, Origin, SlotKind};
use crate::db::{self, Database};
use crate::db_access::Access;
use crate::isolate::{self, Job, Setup};
use crate::protect;
use crate::report::{LabReport, Report};

/// What to grade.
#[derive(Debug, Clone, Copy)]
pub struct Grading<'a> {
    /// The checkout whose `labs/` are graded.
    pub checkout: &'a Path,
    /// Whether it is this course's own checkout (`--target`) or another.
    pub slot: SlotKind,
    /// Which crate of each lab: the learner's or the reference.
    pub side: Side,
    /// Skip the perf checks.
    pub no_perf: bool,
    /// Refuse to grade without every protection (`--require-sandbox`).
    pub require_sandbox: bool,
}

/// Grades `labs` as `grading` says.
pub fn grade(grading: &Grading<'_>, labs: &[&'static LabInfo]) -> Result<Report, String> {
    let prepared = compile::prepare(
        grading.checkout,
        grading.slot,
        labs,
        grading.require_sandbox,
    )?;
    let needs_db = labs
        .iter()
        .any(|lab| lab.checks.iter().any(|c| c.kind == Kind::Database));
    let database = needs_db.then(Database::provide);
    if let Some(Database::Ready { url, .. }) = &database
        && let Err(e) = crate::db_access::sweep_stale(url)
    {
        eprintln!("warning: could not remove what killed gradings left in the database: {e}");
    }
    let mut progress = Progress::new();
    let mut reports = Vec::new();
    let mut protections = None;
    for lab in labs {
        let checks = lab.checks;
        progress.begin(lab.name, checks.len());
        let results = match &prepared.harness[lab.name] {
            Err(why) => checks
                .iter()
                .map(|c| {
                    let result = CheckResult::grade(c, Outcome::fail(why.clone()));
                    progress.step(&result);
                    result
                })
                .collect(),
            Ok(harness) => {
                let run_dir = prepared.dir.join("run").join(lab.name);
                let (results, summary) = run_lab(
                    harness,
                    &run_dir,
                    grading,
                    lab,
                    database.as_ref(),
                    &mut progress,
                )?;
                protections.get_or_insert(summary);
                results
            }
        };
        progress.end();
        let report = LabReport::new(lab.name, results);
        let mut report = match (&prepared.origin[lab.name], grading.side) {
            (_, Side::Solution) | (Origin::Checkout, _) => report,
            (Origin::Missing, Side::Lab) => zeroed(
                &report,
                &format!(
                    "labs/{}/src is missing from {}",
                    lab.name,
                    match grading.slot {
                        SlotKind::Own => "this checkout",
                        SlotKind::Submission => "the submission",
                    }
                ),
                None,
            ),
            (Origin::Reached(places), Side::Lab) => zeroed(
                &report,
                &format!(
                    "labs/{} reaches outside its src/ folder when it is compiled, so it was not compiled and scores zero:\n{places}",
                    lab.name
                ),
                Some(format!(
                    "Keep every #[path], include!, include_str! and include_bytes! inside labs/{}/src; the other labs were graded with the stub of this one standing in.",
                    lab.name
                )),
            ),
            (Origin::Broken(errors), Side::Lab) => zeroed(
                &report,
                &format!(
                    "labs/{} does not compile, so it scores zero; the compiler's first errors:\n{errors}",
                    lab.name
                ),
                Some(format!(
                    "Run `cargo build -p lab-{}` to see every error; the other labs were graded with the stub of this one standing in.",
                    lab.name
                )),
            ),
        };
        if grading.side == Side::Lab {
            report.flags = prepared.flags.get(lab.name).cloned().unwrap_or_default();
        }
        reports.push(report);
    }
    let mut report = Report::new(grading.side.as_str().to_owned(), reports);
    report.protections = protections;
    Ok(report)
}

/// Runs one lab's checks in sandboxed children of its harness, in a fresh
/// `run_dir`; with a database role of its own when the lab has database
/// checks. Returns the results and the protections they ran under.
fn run_lab(
    harness: &Path,
    run_dir: &Path,
    grading: &Grading<'_>,
    lab: &'static LabInfo,
    database: Option<&Database>,
    progress: &mut Progress,
) -> Result<(Vec<CheckResult>, String), String> {
    let checks = lab.checks;
    let _ = std::fs::remove_dir_all(run_dir);
    std::fs::create_dir_all(run_dir.join("tmp"))
        .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
    let database_checks: Vec<usize> = checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == Kind::Database)
        .map(|(i, _)| i)
        .collect();
    // The learner's children, and a second set of the same for timing the
    // reference, so the two never share a folder or a database role.
    let mut no_database: Option<String> = None;
    let mut learner = SideRun::create(harness, run_dir, database, &database_checks, grading)
        .map_err(|e| format!("cannot prepare the lab's run: {e}"))?;
    if let Some(reason) = learner.no_database.take() {
        no_database = Some(reason);
    }
    let reference_dir = run_dir.with_file_name(format!("{}-reference", lab.name));
    let _ = std::fs::remove_dir_all(&reference_dir);
    let reference =
        SideRun::create(harness, &reference_dir, database, &database_checks, grading).ok();
    if grading.require_sandbox {
        protect::require_complete(learner.sandbox.report())?;
    }
    let mut summary = protect::summary(learner.sandbox.report());
    match (&learner.access, &no_database) {
        (Some(_), _) => summary.push_str(
            "; database: a role of the lab's own, owning its scratch schemas, through a gate",
        ),
        (None, Some(_)) if !database_checks.is_empty() => {
            summary.push_str("; database: none (its checks are skipped)")
        }
        _ => {}
    }

    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let mut run = Vec::new();
    for (i, check) in checks.iter().enumerate() {
        match decided_without_running(check, grading.no_perf, no_database.as_deref()) {
            Some(outcome) => {
                let result = CheckResult::grade(check, outcome);
                progress.step(&result);
                results[i] = Some(result);
            }
            None => run.push(i),
        }
    }
    let job = Job {
        lab: lab.name,
        harness,
        side: grading.side,
        checks,
        run,
        setup: learner.setup(),
        reference: reference.as_ref().map(SideRun::setup),
    };
    for (i, result) in isolate::run(&job, &mut |r| progress.step(r))? {
        results[i] = Some(result);
    }
    drop(job);
    drop(learner);
    drop(reference);
    let _ = std::fs::remove_dir_all(run_dir);
    let _ = std::fs::remove_dir_all(&reference_dir);
    Ok((
        results
            .into_iter()
            .map(|r| r.expect("every check has a result"))
            .collect(),
        summary,
    ))
}

/// What the children of one side of a lab run are given: a folder, a
/// database role of their own (when the lab has database checks), and a
/// sandbox. Dropping it removes the role.
struct SideRun {
    run_dir: std::path::PathBuf,
    prefix: String,
    access: Option<Access>,
    sandbox: Arc<grader_sandbox::Prepared>,
    /// Why the database checks cannot run, if they cannot.
    no_database: Option<String>,
}

impl SideRun {
    fn create(
        harness: &Path,
        run_dir: &Path,
        database: Option<&Database>,
        database_checks: &[usize],
        grading: &Grading<'_>,
    ) -> Result<SideRun, String> {
        std::fs::create_dir_all(run_dir.join("tmp"))
            .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;
        let prefix = db::scratch_prefix();
        let mut access = None;
        let mut no_database = None;
        match database {
            Some(Database::Ready { url, .. }) if !database_checks.is_empty() => {
                match Access::create(url, &prefix, database_checks, &run_dir.join("pg")) {
                    Ok(created) => access = Some(created),
                    Err(e) => no_database = Some(e),
                }
            }
            Some(Database::Unavailable(reason)) => no_database = Some(reason.clone()),
            _ => {}
        }
        let gate_dir = access.as_ref().map(|_| run_dir.join("pg"));
        let sandbox = Arc::new(protect::prepare_child(
            harness,
            run_dir,
            gate_dir.as_deref(),
            grading.require_sandbox,
        )?);
        Ok(SideRun {
            run_dir: run_dir.to_path_buf(),
            prefix,
            access,
            sandbox,
            no_database,
        })
    }

    fn setup(&self) -> Setup {
        let mut env = Vec::new();
        if let Some(access) = &self.access {
            env.push((DATABASE_URL_VAR.to_owned(), access.url.clone()));
            env.push((SCRATCH_PREFIX_VAR.to_owned(), self.prefix.clone()));
        }
        Setup {
            env,
            run_dir: self.run_dir.clone(),
            sandbox: Some(Arc::clone(&self.sandbox)),
        }
    }
}

/// Every check of `lab` failed with `why`, and `hint` in place of the
/// checks' own hints.
fn zeroed(lab: &LabReport, why: &str, hint: Option<String>) -> LabReport {
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

/// A check that is skipped here gets its outcome without running.
fn decided_without_running(
    check: &CheckInfo,
    no_perf: bool,
    no_database: Option<&str>,
) -> Option<Outcome> {
    match check.kind {
        Kind::Perf if no_perf => Some(Outcome::skip(
            "--no-perf was given; run without it to grade performance",
        )),
        Kind::Database => no_database.map(|reason| Outcome::skip(reason.to_owned())),
        _ => None,
    }
}

/// The progress line on stderr: rewritten in place on a terminal, one line
/// per lab elsewhere.
struct Progress {
    live: bool,
    lab: &'static str,
    done: usize,
    total: usize,
}

impl Progress {
    fn new() -> Self {
        Self {
            live: std::io::stderr().is_terminal(),
            lab: "",
            done: 0,
            total: 0,
        }
    }

    fn begin(&mut self, lab: &'static str, total: usize) {
        (self.lab, self.done, self.total) = (lab, 0, total);
        if !self.live {
            eprintln!("grading lab {lab}: {total} checks");
        }
    }

    fn step(&mut self, result: &CheckResult) {
        self.done += 1;
        if self.live {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r\x1b[2K{} {}/{}  {} {}",
                self.lab,
                self.done,
                self.total,
                result.name,
                result.status.as_str()
            );
            let _ = err.flush();
        }
    }

    fn end(&mut self) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }
}
