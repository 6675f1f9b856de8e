//! Grading: one path for this checkout and for a submission. Build the
//! checkout's labs with the course's harness in a slot ([`compile`]), run
//! each lab's checks in isolated children ([`isolate`]), and gather the
//! results into a report.

use std::io::{IsTerminal, Write};
use std::path::Path;

use grader_core::catalog::LabInfo;
use grader_core::protocol::{DATABASE_URL_VAR, SCRATCH_PREFIX_VAR, Side};
use grader_core::{CheckInfo, CheckResult, Kind, Outcome, Status};

use crate::compile::{self, Origin, SlotKind};
use crate::db::{self, Database};
use crate::isolate::{self, Job};
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
}

/// Grades `labs` as `grading` says.
pub fn grade(grading: &Grading<'_>, labs: &[&'static LabInfo]) -> Result<Report, String> {
    let prepared = compile::prepare(grading.checkout, grading.slot, labs)?;
    let needs_db = labs
        .iter()
        .any(|lab| lab.checks.iter().any(|c| c.kind == Kind::Database));
    let database = needs_db.then(Database::provide);
    let scratch_prefix = db::scratch_prefix();
    let mut progress = Progress::new();
    let mut reports = Vec::new();
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
            Ok(harness) => run_lab(
                harness,
                grading,
                checks,
                database.as_ref(),
                &scratch_prefix,
                &mut progress,
            )?,
        };
        progress.end();
        let report = LabReport::new(lab.name, results);
        reports.push(match (&prepared.origin[lab.name], grading.side) {
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
        });
    }
    if let Some(Database::Ready { url, .. }) = &database
        && let Err(e) = db::drop_scratch_schemas(url, &scratch_prefix)
    {
        eprintln!("warning: scratch schemas {scratch_prefix}_* may be left in the database: {e}");
    }
    Ok(Report::new(grading.side.as_str().to_owned(), reports))
}

/// Runs one lab's checks in isolated children of its harness.
fn run_lab(
    harness: &Path,
    grading: &Grading<'_>,
    checks: &'static [CheckInfo],
    database: Option<&Database>,
    scratch_prefix: &str,
    progress: &mut Progress,
) -> Result<Vec<CheckResult>, String> {
    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let mut run = Vec::new();
    for (i, check) in checks.iter().enumerate() {
        match decided_without_running(check, grading.no_perf, database) {
            Some(outcome) => {
                let result = CheckResult::grade(check, outcome);
                progress.step(&result);
                results[i] = Some(result);
            }
            None => run.push(i),
        }
    }
    let mut env = Vec::new();
    if let Some(Database::Ready { url, .. }) = database {
        env.push((DATABASE_URL_VAR.to_owned(), url.clone()));
        env.push((SCRATCH_PREFIX_VAR.to_owned(), scratch_prefix.to_owned()));
    }
    let job = Job {
        harness,
        side: grading.side,
        checks,
        run,
        env,
    };
    for (i, result) in isolate::run(&job, &mut |r| progress.step(r))? {
        results[i] = Some(result);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every check has a result"))
        .collect())
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
    database: Option<&Database>,
) -> Option<Outcome> {
    match check.kind {
        Kind::Perf if no_perf => Some(Outcome::skip(
            "--no-perf was given; run without it to grade performance",
        )),
        Kind::Database => database
            .and_then(Database::unavailable)
            .map(|reason| Outcome::skip(reason.to_owned())),
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
