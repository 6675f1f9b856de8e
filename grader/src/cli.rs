//! The command line: parsing, with an error that says what was wrong and
//! what to type instead.

use std::path::PathBuf;

use grader_core::catalog::{self, LABS};
use grader_core::protocol::Side;

/// What to grade.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The `lab-*` crates of this checkout (the default).
    Labs,
    /// The reference solutions.
    Solutions,
    /// Another checkout's `labs/`, graded in a scratch copy.
    Submission(PathBuf),
    /// A folder of submissions, one per student, each graded as
    /// `Submission` is, into a gradebook.
    Class {
        /// The folder of submissions.
        dir: PathBuf,
        /// Where the gradebook and each student's reports go.
        out: PathBuf,
        /// How many submissions are graded at once.
        jobs: usize,
        /// The lowest similarity score the class report lists a pair at.
        similarity_threshold: f64,
    },
}

/// The similarity score from which the class report lists a pair: about
/// ten lines of code in common beyond the stubs (see the `class-report`
/// crate's `SimilarityOptions`).
pub const DEFAULT_SIMILARITY_THRESHOLD: f64 = 15.0;

/// Reads `--similarity-threshold`'s value.
fn parse_threshold(v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| {
            format!(
                "--similarity-threshold takes a score such as {DEFAULT_SIMILARITY_THRESHOLD} (0 lists every pair that shares code), not `{v}`"
            )
        })
}

/// Parsed options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// What to grade.
    pub target: Target,
    /// Labs to grade; empty means all.
    pub labs: Vec<String>,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// Where to write the Gradescope results.
    pub gradescope: Option<PathBuf>,
    /// Where to write the JUnit XML report.
    pub junit: Option<PathBuf>,
    /// Where to write the GitHub Classroom runner result.
    pub classroom: Option<PathBuf>,
    /// Skip perf checks (reported as skipped).
    pub no_perf: bool,
    /// Refuse to grade unless every protection around learner code is
    /// active (Landlock, namespaces).
    pub require_sandbox: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Grade.
    Grade(Options),
    /// Write the student edition of this checkout into a new folder.
    ExportStudent(PathBuf),
    /// Write a Gradescope autograder zip of this checkout.
    ExportGradescope(PathBuf),
    /// Re-grade a lab whenever its files change.
    Watch {
        /// The lab; `None` watches them all.
        lab: Option<String>,
        /// Run the perf checks too.
        perf: bool,
    },
    /// Print the hints of a lab's checks, or of one check.
    Hint {
        /// The lab.
        lab: String,
        /// One check of it; `None` for all of them.
        check: Option<String>,
    },
    /// Write each lab's stub from its reference (`carve`), or only check
    /// that the committed stubs are what the carve writes (`carve --check`).
    Carve {
        /// Check instead of writing.
        check: bool,
        /// The labs; empty means all.
        labs: Vec<String>,
    },
    /// Grade the mutants cargo-mutants makes of a lab's reference.
    Mutants {
        /// The lab.
        lab: String,
        /// Grade one mutant in this many.
        every: usize,
        /// Submissions graded at once.
        jobs: usize,
    },
    /// Write the class report again from a `--class` output folder.
    ClassReport {
        /// The output folder.
        out: PathBuf,
        /// The lowest similarity score listed.
        similarity_threshold: f64,
    },
    /// Print the usage.
    Help,
}

/// The usage text.
pub fn usage() -> String {
    let labs: Vec<&str> = LABS.iter().map(|l| l.name).collect();
    format!(
        "\
Grades the course's labs: hidden property suites, database checks and perf
thresholds, each lab in an isolated process.

usage: cargo run -p grader -- [OPTIONS]
       cargo run -p grader -- hint LAB [CHECK]
       cargo run -p grader -- watch [LAB] [--perf]
       cargo run -p grader -- export-student DIR
       cargo run -p grader -- export-gradescope FILE.zip
       cargo run -p grader -- carve [--check] [LAB...]
       cargo run -p grader -- mutants LAB [--every N] [--jobs N]
       cargo run -p grader -- class-report OUT [--similarity-threshold SCORE]

options:
  --target labs|solutions   grade this checkout's labs (default) or the reference solutions
  --submission DIR          grade the labs of another checkout DIR, in a scratch copy
  --class DIR               grade every submission in DIR (checkouts, or .zip, .tar.gz,
                            .tgz, .tar of one), one per student, into a gradebook
  --out DIR                 with --class: where gradebook.csv and each student's
                            reports go (default: class-results)
  --jobs N                  with --class: submissions graded at once (default: the cores)
  --similarity-threshold SCORE
                            with --class: list pairs of submissions in class-report.html
                            from this score of code shared beyond the stubs (default 15:
                            about ten lines; 0 lists every pair sharing code)
  --lab NAME                grade only this lab (repeatable); labs: {}
  --json FILE               also write the report as JSON
  --gradescope FILE         also write a Gradescope results.json
  --junit FILE              also write a JUnit XML report
  --classroom FILE          also write a GitHub Classroom runner result (JSON)
  --no-perf                 skip the perf checks (they are reported as skipped)
  --require-sandbox         refuse to grade unless learner code can be confined by the
                            kernel (Landlock, user, mount and network namespaces);
                            without it, grading says which protections were missing
  -h, --help                print this help

commands:
  watch [LAB] [--perf]      re-grade LAB (or whichever lab changed) each time a file in
                            labs/LAB/src is saved, and show the next check to work on
                            with its hint; perf checks only with --perf
  hint LAB [CHECK]          the hints of LAB's hidden checks, or of one check:
                            what each check is about, never its answer
  export-student DIR        write the repository students clone into the new folder
                            DIR: labs, book, README, a GitHub Classroom workflow;
                            no solutions, no grader
  export-gradescope FILE.zip
                            write a Gradescope autograder: setup.sh, run_autograder
                            and this course
  carve [--check] [LAB...]  write labs/LAB/src from the reference solutions/LAB/src (the
                            stub is cut out of the reference at its LAB markers); with
                            --check, only say which committed stubs differ
  class-report OUT [--similarity-threshold SCORE]
                            write OUT/class-report.html again from the folder a --class
                            run wrote: scores, the most failed checks, shared code
  mutants LAB [--every N] [--jobs N]
                            grade each mutant cargo-mutants makes of LAB's reference as
                            a submission (one in N with --every), and write which
                            survive to target/grader/mutants/LAB/report.md

environment:
  DATABASE_URL              the PostgreSQL for database checks (else Docker, else they are skipped)
  GRADER_TIMEOUT_SCALE      multiplies every check's deadline, e.g. 3 on a slow machine

The exit status is 0 whenever grading worked, whatever the score; 2 for a
wrong command line; 1 when grading itself could not run.",
        labs.join(", ")
    )
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        Some("hint") => return parse_hint(&args[1..]),
        Some("export-student") => {
            return match &args[1..] {
                [dir] if !dir.starts_with('-') => Ok(Command::ExportStudent(PathBuf::from(dir))),
                _ => Err("export-student needs one folder to write: export-student DIR".into()),
            };
        }
        Some("watch") => return parse_watch(&args[1..]),
        Some("carve") => return parse_carve(&args[1..]),
        Some("mutants") => return parse_mutants(&args[1..]),
        Some("class-report") => return parse_class_report(&args[1..]),
        Some("export-gradescope") => {
            return match &args[1..] {
                [file] if !file.starts_with('-') => {
                    Ok(Command::ExportGradescope(PathBuf::from(file)))
                }
                _ => Err(
                    "export-gradescope needs the zip to write: export-gradescope FILE.zip".into(),
                ),
            };
        }
        _ => {}
    }
    let mut target = None;
    let mut submission = None;
    let mut class = None;
    let mut out = None;
    let mut jobs = None;
    let mut similarity_threshold = None;
    let mut options = Options {
        target: Target::Labs,
        labs: Vec::new(),
        json: None,
        gradescope: None,
        junit: None,
        classroom: None,
        no_perf: false,
        require_sandbox: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{flag} needs {what}"))
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--target" => {
                let v = value("`labs` or `solutions`")?;
                target = Some(match v.as_str() {
                    "labs" => Side::Lab,
                    "solutions" => Side::Solution,
                    other => {
                        return Err(format!(
                            "--target takes `labs` or `solutions`, not `{other}`; to grade another checkout use --submission DIR"
                        ));
                    }
                });
            }
            "--submission" => submission = Some(PathBuf::from(value("a directory")?)),
            "--class" => class = Some(PathBuf::from(value("a directory")?)),
            "--out" => out = Some(PathBuf::from(value("a directory")?)),
            "--jobs" => {
                let v = value("a number")?;
                jobs = Some(v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!(
                        "--jobs takes a number of submissions graded at once, such as 2, not `{v}`"
                    )
                })?);
            }
            "--similarity-threshold" => {
                similarity_threshold = Some(parse_threshold(&value("a score")?)?);
            }
            "--lab" => {
                let name = value("a lab name")?;
                if catalog::lab(&name).is_none() {
                    let known: Vec<&str> = LABS.iter().map(|l| l.name).collect();
                    return Err(format!(
                        "unknown lab `{name}`; the labs are: {}",
                        known.join(", ")
                    ));
                }
                if !options.labs.contains(&name) {
                    options.labs.push(name);
                }
            }
            "--json" => options.json = Some(PathBuf::from(value("a file name")?)),
            "--gradescope" => options.gradescope = Some(PathBuf::from(value("a file name")?)),
            "--junit" => options.junit = Some(PathBuf::from(value("a file name")?)),
            "--classroom" => options.classroom = Some(PathBuf::from(value("a file name")?)),
            "--no-perf" if inline.is_none() => options.no_perf = true,
            "--require-sandbox" if inline.is_none() => options.require_sandbox = true,
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            other => {
                return Err(format!(
                    "unexpected argument `{other}`; options start with --, and a lab is chosen with --lab {other}"
                ));
            }
        }
    }
    if class.is_none() && (out.is_some() || jobs.is_some() || similarity_threshold.is_some()) {
        return Err("--out, --jobs and --similarity-threshold go with --class DIR".into());
    }
    if let Some(dir) = class {
        if target.is_some() || submission.is_some() {
            return Err(
                "--class grades a folder of submissions; it cannot be combined with --target or --submission".into(),
            );
        }
        if options.json.is_some()
            || options.gradescope.is_some()
            || options.junit.is_some()
            || options.classroom.is_some()
        {
            return Err(
                "--class writes each student's JSON and Gradescope reports under --out DIR; leave out --json, --gradescope, --junit and --classroom".into(),
            );
        }
        if !dir.is_dir() {
            return Err(format!(
                "--class {}: not a directory; give the folder that holds one submission per student",
                dir.display()
            ));
        }
        options.target = Target::Class {
            dir,
            out: out.unwrap_or_else(|| PathBuf::from("class-results")),
            jobs: jobs.unwrap_or_else(crate::class::default_jobs),
            similarity_threshold: similarity_threshold.unwrap_or(DEFAULT_SIMILARITY_THRESHOLD),
        };
        return Ok(Command::Grade(options));
    }
    options.target = match (target, submission) {
        (Some(Side::Solution), Some(_)) => {
            return Err("--submission grades a student's labs; it cannot be combined with --target solutions".into());
        }
        (_, Some(dir)) => {
            crate::submission::validate(&dir)?;
            Target::Submission(dir)
        }
        (Some(Side::Solution), None) => Target::Solutions,
        _ => Target::Labs,
    };
    for file in [
        &options.json,
        &options.gradescope,
        &options.junit,
        &options.classroom,
    ]
    .into_iter()
    .flatten()
    {
        let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent
            && !dir.is_dir()
        {
            return Err(format!(
                "cannot write {}: the directory {} does not exist",
                file.display(),
                dir.display()
            ));
        }
    }
    Ok(Command::Grade(options))
}

/// `watch [LAB] [--perf]`.
fn parse_watch(args: &[String]) -> Result<Command, String> {
    let mut lab = None;
    let mut perf = false;
    for arg in args {
        match arg.as_str() {
            "--perf" => perf = true,
            other if other.starts_with('-') => {
                return Err(format!("watch takes a lab and --perf, not `{other}`"));
            }
            name => {
                if lab.is_some() {
                    return Err("watch takes at most one lab: watch [LAB] [--perf]".into());
                }
                if catalog::lab(name).is_none() {
                    let known: Vec<&str> = LABS.iter().map(|l| l.name).collect();
                    return Err(format!(
                        "unknown lab `{name}`; the labs are: {}",
                        known.join(", ")
                    ));
                }
                lab = Some(name.to_owned());
            }
        }
    }
    Ok(Command::Watch { lab, perf })
}

/// `class-report OUT [--similarity-threshold SCORE]`.
fn parse_class_report(args: &[String]) -> Result<Command, String> {
    let mut out = None;
    let mut similarity_threshold = DEFAULT_SIMILARITY_THRESHOLD;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--similarity-threshold" => {
                let v = args.next().ok_or("--similarity-threshold needs a score")?;
                similarity_threshold = parse_threshold(v)?;
            }
            other if other.starts_with('-') => {
                return Err(format!(
                    "class-report takes a folder and --similarity-threshold SCORE, not `{other}`"
                ));
            }
            dir => out = Some(PathBuf::from(dir)),
        }
    }
    let out = out.ok_or("class-report needs the folder a --class run wrote: class-report OUT")?;
    Ok(Command::ClassReport {
        out,
        similarity_threshold,
    })
}

/// `mutants LAB [--every N] [--jobs N]`.
fn parse_mutants(args: &[String]) -> Result<Command, String> {
    let mut lab = None;
    let mut every = 1;
    let mut jobs = crate::class::default_jobs();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} takes a whole number above zero"))
        };
        match arg.as_str() {
            "--every" => every = number("--every")?,
            "--jobs" => jobs = number("--jobs")?,
            other if other.starts_with('-') => {
                return Err(format!(
                    "mutants takes a lab, --every N and --jobs N, not `{other}`"
                ));
            }
            name => {
                if catalog::lab(name).is_none() {
                    let known: Vec<&str> = LABS.iter().map(|l| l.name).collect();
                    return Err(format!(
                        "unknown lab `{name}`; the labs are: {}",
                        known.join(", ")
                    ));
                }
                lab = Some(name.to_owned());
            }
        }
    }
    let lab = lab.ok_or("mutants needs a lab: mutants LAB [--every N] [--jobs N]")?;
    Ok(Command::Mutants { lab, every, jobs })
}

/// `carve [--check] [LAB...]`.
fn parse_carve(args: &[String]) -> Result<Command, String> {
    let mut check = false;
    let mut labs = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other if other.starts_with('-') => {
                return Err(format!("carve takes labs and --check, not `{other}`"));
            }
            name => {
                if catalog::lab(name).is_none() {
                    let known: Vec<&str> = LABS.iter().map(|l| l.name).collect();
                    return Err(format!(
                        "unknown lab `{name}`; the labs are: {}",
                        known.join(", ")
                    ));
                }
                labs.push(name.to_owned());
            }
        }
    }
    Ok(Command::Carve { check, labs })
}

/// `hint LAB [CHECK]`.
fn parse_hint(args: &[String]) -> Result<Command, String> {
    let known = || LABS.iter().map(|l| l.name).collect::<Vec<_>>().join(", ");
    let (lab, check) = match args {
        [lab] => (lab, None),
        [lab, check] => (lab, Some(check)),
        [] => {
            return Err(format!(
                "hint needs a lab: hint LAB [CHECK]; the labs are: {}",
                known()
            ));
        }
        _ => return Err("hint takes a lab and at most one check: hint LAB [CHECK]".into()),
    };
    let Some(found) = catalog::lab(lab) else {
        return Err(format!("unknown lab `{lab}`; the labs are: {}", known()));
    };
    if let Some(check) = check {
        let checks = found.checks;
        if !checks.iter().any(|c| c.name == check) {
            let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
            return Err(format!(
                "the {lab} lab has no check `{check}`; its checks are: {}",
                names.join(", ")
            ));
        }
    }
    Ok(Command::Hint {
        lab: lab.clone(),
        check: check.cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_grade_the_labs() {
        let Command::Grade(o) = parse(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(o.target, Target::Labs);
        assert!(o.labs.is_empty() && !o.no_perf);
    }

    #[test]
    fn every_flag_parses_in_both_forms() {
        let Command::Grade(o) = parse(&args(&[
            "--target=solutions",
            "--lab",
            "security",
            "--json",
            "r.json",
            "--gradescope=g.json",
            "--junit",
            "j.xml",
            "--no-perf",
        ]))
        .unwrap() else {
            panic!()
        };
        assert_eq!(o.target, Target::Solutions);
        assert_eq!(o.labs, ["security"]);
        assert_eq!(o.json.unwrap(), PathBuf::from("r.json"));
        assert_eq!(o.gradescope.unwrap(), PathBuf::from("g.json"));
        assert!(o.no_perf);
    }

    #[test]
    fn mistakes_say_what_to_do() {
        for (line, expected) in [
            (vec!["--frobnicate"], "unknown option `--frobnicate`"),
            (
                vec!["--target", "everything"],
                "--target takes `labs` or `solutions`",
            ),
            (
                vec!["--lab", "nope"],
                "unknown lab `nope`; the labs are: security",
            ),
            (vec!["--json"], "--json needs a file name"),
            (vec!["security"], "--lab security"),
            (
                vec!["--target", "solutions", "--submission", "x"],
                "cannot be combined",
            ),
            (vec!["--json", "/no/such/dir/r.json"], "does not exist"),
            (vec!["--submission", "/no/such/checkout"], "cannot open it"),
            (vec!["--submission", "/"], "no labs/ folder"),
            (vec!["--class", "/no/such/class"], "not a directory"),
            (vec!["--class", "/", "--json", "r.json"], "leave out --json"),
            (
                vec!["--class", "/", "--submission", "x"],
                "cannot be combined",
            ),
            (vec!["--class", "/", "--jobs", "0"], "--jobs takes a number"),
            (vec!["--out", "x"], "go with --class"),
        ] {
            let err = parse(&args(&line)).unwrap_err();
            assert!(err.contains(expected), "{line:?}: {err}");
        }
    }

    #[test]
    fn hint_and_watch_take_a_lab() {
        assert_eq!(
            parse(&args(&["hint", "security"])).unwrap(),
            Command::Hint {
                lab: "security".into(),
                check: None
            }
        );
        assert_eq!(
            parse(&args(&["hint", "security", "paths_stay_inside_roots"])).unwrap(),
            Command::Hint {
                lab: "security".into(),
                check: Some("paths_stay_inside_roots".into())
            }
        );
        assert_eq!(
            parse(&args(&["watch", "errors", "--perf"])).unwrap(),
            Command::Watch {
                lab: Some("errors".into()),
                perf: true
            }
        );
        assert_eq!(
            parse(&args(&["watch"])).unwrap(),
            Command::Watch {
                lab: None,
                perf: false
            }
        );
        for (line, expected) in [
            (vec!["watch", "nope"], "unknown lab `nope`"),
            (vec!["watch", "errors", "design"], "at most one lab"),
            (vec!["watch", "--fast"], "not `--fast`"),
            (vec!["hint"], "hint needs a lab"),
            (vec!["hint", "nope"], "unknown lab `nope`"),
            (vec!["hint", "security", "nope"], "its checks are: "),
            (vec!["hint", "security", "a", "b"], "at most one check"),
        ] {
            let err = parse(&args(&line)).unwrap_err();
            assert!(err.contains(expected), "{line:?}: {err}");
        }
    }

    #[test]
    fn help_is_help() {
        assert_eq!(parse(&args(&["--help"])).unwrap(), Command::Help);
        assert!(usage().contains("--submission DIR"));
    }
}
