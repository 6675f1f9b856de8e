//! The course grader's launcher.
//!
//! It grades the labs with hidden suites: properties over generated inputs
//! (shrunk to a minimal counterexample on failure), checks against a real
//! PostgreSQL, and perf thresholds measured as a ratio to the reference in
//! the same run. This process never links the code it grades: each lab's
//! suite lives in a harness binary (`grader/harness/LAB`) that is built
//! around the learner's code in a scratch copy of the course and run in
//! isolated children, so a hang, a crash or a compile error in a learner's
//! code costs that lab's points, never the grade.
//!
//! Modules, in the order a run meets them: [`cli`] parses the command line,
//! [`grade`] builds the labs with [`compile`] and runs their checks through
//! [`isolate`], and [`report`] writes the results. [`submission`] checks
//! another checkout; [`class`] grades a folder of them; [`db`] finds a
//! database; [`watch`], [`carve`] and [`export`] are the other commands.

pub mod carve;
pub mod class;
pub mod class_page;
pub mod cli;
pub mod compile;
pub mod db;
pub mod db_access;
pub mod export;
pub mod grade;
pub mod isolate;
pub mod mutants;
pub mod protect;
pub mod report;
pub mod scan;
pub mod submission;
pub mod watch;

use std::path::Path;

use cli::{Command, Options, Target};
use compile::SlotKind;
use grade::Grading;
use grader_core::catalog::{self, LABS, LabInfo};
use grader_core::protocol::Side;

/// Runs the grader's command line; returns the exit status.
pub fn main_with(args: &[String]) -> i32 {
    // Started by a nested `cargo build` as rustc's wrapper.
    if let Some(slot) = std::env::var_os(protect::WRAPPER_SLOT_VAR) {
        return protect::rustc_wrapper(Path::new(&slot), args);
    }
    let options = match cli::parse(args) {
        Ok(Command::Grade(options)) => options,
        Ok(Command::Carve { check, labs }) => return carve_labs(check, &labs),
        Ok(Command::ClassReport {
            out,
            similarity_threshold,
        }) => {
            return finish(
                class_page::read_gradebook(&out)
                    .and_then(|(rows, labs)| {
                        class_page::write(&out, &rows, &labs, similarity_threshold)
                    })
                    .map(|page| format!("wrote {}", page.display())),
            );
        }
        Ok(Command::Mutants { lab, every, jobs }) => {
            let lab = catalog::lab(&lab).expect("checked by the parser");
            let options = mutants::MutantsOptions { every, jobs };
            return finish(mutants::run(lab, &options));
        }
        Ok(Command::Help) => {
            println!("{}", cli::usage());
            return 0;
        }
        Ok(Command::ExportStudent(dir)) => return finish(export::export_student(&dir)),
        Ok(Command::ExportGradescope(file)) => return finish(export::export_gradescope(&file)),
        Ok(Command::Watch { lab, perf }) => {
            let rounds = std::env::var("GRADER_WATCH_ROUNDS")
                .ok()
                .and_then(|n| n.parse().ok());
            return finish(watch::watch(lab.as_deref(), !perf, rounds).map(|()| String::new()));
        }
        Ok(Command::Hint { lab, check }) => {
            print!("{}", hints(&lab, check.as_deref()));
            return 0;
        }
        Err(e) => {
            eprintln!("grader: {e}\n\n{}", cli::usage());
            return 2;
        }
    };
    match run(&options) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("grader: {e}");
            1
        }
    }
}

/// The hints of `lab`'s checks (or of one), with what kind of check each is
/// and its points. Hints point at the idea a check is about, never at the
/// answer, so they can be read before grading.
pub fn hints(lab: &str, check: Option<&str>) -> String {
    let Some(found) = catalog::lab(lab) else {
        return format!("no lab named {lab}\n");
    };
    let checks = found.checks;
    let total = found.max_points();
    let mut out = String::new();
    if check.is_none() {
        out.push_str(&format!(
            "The {lab} lab: {} hidden checks, {total} points. Grade with `cargo run -p grader -- --lab {lab}`.\n\n",
            checks.len()
        ));
    }
    for c in checks
        .iter()
        .filter(|c| check.is_none_or(|name| c.name == name))
    {
        out.push_str(&format!(
            "{} ({}, {} points)\n    {}\n",
            c.name,
            c.kind.as_str(),
            c.points,
            c.hint
        ));
        if !c.rules.is_empty() {
            out.push_str("    the rules of the brief it tests:\n");
            for rule in c.rules {
                out.push_str(&format!("    - {}\n", rule.text));
            }
        }
    }
    out
}

fn run(options: &Options) -> Result<(), String> {
    if options.require_sandbox {
        protect::require_machine()?;
    }
    let labs: Vec<&'static LabInfo> = if options.labs.is_empty() {
        LABS.iter().collect()
    } else {
        options
            .labs
            .iter()
            .filter_map(|name| catalog::lab(name))
            .collect()
    };
    let root = compile::course_root();
    let own = |side| Grading {
        checkout: &root,
        slot: SlotKind::Own,
        side,
        no_perf: options.no_perf,
        require_sandbox: options.require_sandbox,
    };
    let report = match &options.target {
        Target::Labs => grade::grade(&own(Side::Lab), &labs)?,
        Target::Solutions => grade::grade(&own(Side::Solution), &labs)?,
        Target::Submission(dir) => {
            let checkout = submission::validate(dir)?;
            let mut report = grade::grade(
                &Grading {
                    checkout: &checkout,
                    slot: SlotKind::Submission,
                    side: Side::Lab,
                    no_perf: options.no_perf,
                    require_sandbox: options.require_sandbox,
                },
                &labs,
            )?;
            report.target = format!("submission {}", dir.display());
            report
        }
        Target::Class {
            dir,
            out,
            jobs,
            similarity_threshold,
        } => {
            let class = class::ClassOptions {
                dir: dir.clone(),
                out: out.clone(),
                jobs: *jobs,
                similarity_threshold: *similarity_threshold,
                no_perf: options.no_perf,
                require_sandbox: options.require_sandbox,
            };
            let rows = class::grade_class(&class, &labs)?;
            print!("{}", class::gradebook(&rows, &labs));
            println!(
                "\nwrote {}, {} and each student's report.json, results.json, report.txt and sources under {}",
                out.join("gradebook.csv").display(),
                out.join(class_page::PAGE).display(),
                out.display()
            );
            return Ok(());
        }
    };
    print!("{}", report.to_terminal(report::stdout_wants_color()));
    write(options.json.as_deref(), &report.to_json())?;
    write(options.gradescope.as_deref(), &report.to_gradescope())?;
    write(options.junit.as_deref(), &report.to_junit())?;
    write(options.classroom.as_deref(), &report.to_classroom())?;
    Ok(())
}

/// `carve`: writes (or checks) each lab's stub from its reference.
fn carve_labs(check: bool, labs: &[String]) -> i32 {
    let root = compile::course_root();
    let names: Vec<&str> = if labs.is_empty() {
        LABS.iter().map(|l| l.name).collect()
    } else {
        labs.iter().map(String::as_str).collect()
    };
    let mut drifted = 0;
    for lab in names {
        let found = if check {
            carve::drift(&root, lab)
        } else {
            carve::write(&root, lab)
        };
        match found {
            Ok(changes) => {
                for change in &changes {
                    println!("{change}");
                }
                drifted += changes.len();
            }
            Err(e) => {
                eprintln!("grader: carve {lab}: {e}");
                return 1;
            }
        }
    }
    match (check, drifted) {
        (_, 0) => {
            println!("every stub is what the carve writes");
            0
        }
        (true, n) => {
            eprintln!(
                "grader: {n} stub file(s) differ from their reference: edit solutions/LAB/src (the one source), then run `cargo run -p grader -- carve` to rewrite labs/LAB/src"
            );
            1
        }
        (false, n) => {
            println!("carved: {n} stub file(s) written");
            0
        }
    }
}

/// Prints what a command did, or its error; the exit status.
fn finish(done: Result<String, String>) -> i32 {
    match done {
        Ok(done) => {
            println!("{done}");
            0
        }
        Err(e) => {
            eprintln!("grader: {e}");
            1
        }
    }
}

fn write(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => Ok(()),
    }
}
