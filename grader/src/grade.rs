//! Grading this checkout: choose the checks, run them isolated, gather the
//! results into a report.

use std::io::{IsTerminal, Write};

use crate::check::{Check, CheckResult, Kind, Outcome};
use crate::db::{self, Database};
use crate::isolate::{self, Job};
use crate::report::{LabReport, Report};
use crate::suites::{Lab, Side};

/// Grades `labs` of `side` in this checkout.
pub fn grade(side: Side, labs: &[&'static Lab], no_perf: bool) -> Result<Report, String> {
    let suites: Vec<(&Lab, Vec<Check>)> =
        labs.iter().map(|lab| (*lab, (lab.checks)(side))).collect();
    let needs_db = suites
        .iter()
        .any(|(_, checks)| checks.iter().any(|c| c.kind == Kind::Database));
    let database = needs_db.then(Database::provide);
    let scratch_prefix = db::scratch_prefix();
    let mut progress = Progress::new();
    let mut reports = Vec::new();
    for (lab, checks) in &suites {
        progress.begin(lab.name, checks.len());
        let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
        let mut run = Vec::new();
        for (i, check) in checks.iter().enumerate() {
            match decided_without_running(check, no_perf, database.as_ref()) {
                Some(outcome) => {
                    let result = CheckResult::grade(check, outcome);
                    progress.step(&result);
                    results[i] = Some(result);
                }
                None => run.push(i),
            }
        }
        let mut env = Vec::new();
        if let Some(Database::Ready { url, .. }) = &database {
            env.push((db::CHILD_URL.to_owned(), url.clone()));
            env.push((db::SCRATCH_PREFIX.to_owned(), scratch_prefix.clone()));
        }
        let job = Job {
            lab: lab.name,
            side,
            checks,
            run,
            env,
        };
        for (i, result) in isolate::run(&job, &mut |r| progress.step(r))? {
            results[i] = Some(result);
        }
        progress.end();
        let results = results
            .into_iter()
            .map(|r| r.expect("every check has a result"))
            .collect();
        reports.push(LabReport::new(lab.name, results));
    }
    if let Some(Database::Ready { url, .. }) = &database
        && let Err(e) = db::drop_scratch_schemas(url, &scratch_prefix)
    {
        eprintln!("warning: scratch schemas {scratch_prefix}_* may be left in the database: {e}");
    }
    Ok(Report::new(side.as_str().to_owned(), reports))
}

/// A check that is skipped here gets its outcome without running.
fn decided_without_running(
    check: &Check,
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
