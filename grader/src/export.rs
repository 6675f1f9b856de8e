//! What an instructor hands out: the student edition and the autograder
//! bundles.
//!
//! `export-student DIR` writes the repository a student clones. It holds
//! what a learner works with and nothing that gives answers away: every lab
//! (stubs, visible tests, brief, hints), the book, a workspace manifest made
//! of the labs alone, a README that says how to work and how to hand in,
//! and a GitHub Classroom workflow that grades each push. The reference
//! solutions, the grader and its hidden suites, and the course's own checks
//! stay behind.
//!
//! `export-gradescope FILE.zip` writes a Gradescope autograder: this course
//! with a `setup.sh` that builds the grader and a `run_autograder` that
//! grades `/autograder/submission` into `/autograder/results/results.json`.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::compile::course_root;
use crate::submission::{Budget, copy_tree};
use grader_core::catalog::LABS;

/// The GitHub Classroom workflow of the student edition.
const CLASSROOM_WORKFLOW: &str = include_str!("../templates/classroom.yml");
/// Gradescope's image set-up script.
const GRADESCOPE_SETUP: &str = include_str!("../templates/gradescope/setup.sh");
/// Gradescope's per-submission script.
const GRADESCOPE_RUN: &str = include_str!("../templates/gradescope/run_autograder");

/// What of this checkout goes into the Gradescope bundle: what it takes to
/// build the grader and grade a submission.
const BUNDLED: [&str; 7] = [
    "Cargo.toml",
    "Cargo.lock",
    "src",
    "labs",
    "solutions",
    "grader",
    "course-deps",
];

/// Writes a Gradescope autograder zip of this checkout to `file`.
pub fn export_gradescope(file: &Path) -> Result<String, String> {
    export_gradescope_from(&course_root(), file)
}

/// [`export_gradescope`] from the checkout at `root`.
pub fn export_gradescope_from(root: &Path, file: &Path) -> Result<String, String> {
    if !file.to_string_lossy().ends_with(".zip") {
        return Err(format!(
            "export-gradescope {}: Gradescope takes a .zip; give a file name ending in .zip",
            file.display()
        ));
    }
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", file.display());
    let out = fs::File::create(file).map_err(|e| fail(&e))?;
    let mut zip = zip::ZipWriter::new(out);
    let plain = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let script = plain.unix_permissions(0o755);
    for (name, text) in [
        ("setup.sh", GRADESCOPE_SETUP),
        ("run_autograder", GRADESCOPE_RUN),
    ] {
        zip.start_file(name, script).map_err(|e| fail(&e))?;
        zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    }
    let mut count = 0;
    for item in BUNDLED {
        let from = root.join(item);
        if from.is_dir() {
            add_tree(&mut zip, &from, item, plain, &mut count).map_err(|e| fail(&e))?;
        } else if from.is_file() {
            zip.start_file(item, plain).map_err(|e| fail(&e))?;
            zip.write_all(&fs::read(&from).map_err(|e| fail(&e))?)
                .map_err(|e| fail(&e))?;
            count += 1;
        }
    }
    zip.finish().map_err(|e| fail(&e))?;
    Ok(format!(
        "wrote the Gradescope autograder to {} ({count} course files, setup.sh, run_autograder)\n\
         next: upload it as the assignment's autograder (Ubuntu base image); students upload their checkout or its GitHub repository",
        file.display()
    ))
}

/// Adds the regular files under `dir` to `zip` as `prefix/...`, skipping
/// build output.
fn add_tree(
    zip: &mut zip::ZipWriter<fs::File>,
    dir: &Path,
    prefix: &str,
    options: zip::write::SimpleFileOptions,
    count: &mut usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        let inner = format!("{prefix}/{name}");
        if kind.is_dir() {
            if name != "target" {
                add_tree(zip, &entry.path(), &inner, options, count)?;
            }
        } else if kind.is_file() {
            zip.start_file(inner, options)?;
            zip.write_all(&fs::read(entry.path())?)?;
            *count += 1;
        }
    }
    Ok(())
}

/// Top-level sections of the course manifest the student manifest keeps:
/// the shared package settings, the dependency versions the labs inherit,
/// and the lints.
const KEPT_SECTIONS: [&str; 4] = [
    "[workspace.package]",
    "[workspace.dependencies]",
    "[workspace.lints.rust]",
    "[workspace.lints.clippy]",
];

/// Writes the student edition of this checkout into `dir`, which must not
/// exist or be empty. Returns what was written, for the user.
pub fn export_student(dir: &Path) -> Result<String, String> {
    export_student_from(&course_root(), dir)
}

/// [`export_student`] from the checkout at `root`.
pub fn export_student_from(root: &Path, dir: &Path) -> Result<String, String> {
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(|e| {
            format!(
                "export-student {}: cannot read it ({e}); give a new folder",
                dir.display()
            )
        })?;
        if entries.next().is_some() {
            return Err(format!(
                "export-student {}: the folder is not empty; give a new folder, so nothing in it is overwritten",
                dir.display()
            ));
        }
    }
    for lab in LABS {
        let src = root.join("labs").join(lab.name).join("src");
        if !contains(&src, "todo!(").map_err(|e| format!("cannot read {}: {e}", src.display()))? {
            return Err(format!(
                "labs/{}/src has no todo!() left: this checkout's labs are not the stubs, and exporting them would hand out answers; export from a clean clone of the course",
                lab.name
            ));
        }
    }
    let io = |what: &str| {
        let what = what.to_owned();
        move |e: std::io::Error| format!("cannot write {what} into {}: {e}", dir.display())
    };
    fs::create_dir_all(dir).map_err(io("the folder"))?;
    for lab in LABS {
        let from = root.join("labs").join(lab.name);
        let to = dir.join("labs").join(lab.name);
        copy_tree(&from, &to, &mut Budget::unlimited()).map_err(io("the labs"))?;
        fs::write(to.join("HINTS.md"), hints_page(lab.name)).map_err(io("the hints"))?;
    }
    copy_tree(
        &root.join(COURSE_DEPS),
        &dir.join(COURSE_DEPS),
        &mut Budget::unlimited(),
    )
    .map_err(io(COURSE_DEPS))?;
    // The book's sources, not a build of it that may sit in book/book.
    fs::create_dir_all(dir.join("book")).map_err(io("the book"))?;
    fs::copy(root.join("book/book.toml"), dir.join("book/book.toml")).map_err(io("the book"))?;
    copy_tree(
        &root.join("book/src"),
        &dir.join("book/src"),
        &mut Budget::unlimited(),
    )
    .map_err(io("the book"))?;
    let manifest = fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("cannot read the course's Cargo.toml: {e}"))?;
    fs::write(dir.join("Cargo.toml"), student_manifest(&manifest)).map_err(io("Cargo.toml"))?;
    if root.join("Cargo.lock").is_file() {
        fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io("Cargo.lock"))?;
    }
    fs::write(dir.join(".gitignore"), "/target\n/book/book\n").map_err(io(".gitignore"))?;
    fs::write(dir.join("README.md"), student_readme()).map_err(io("README.md"))?;
    let workflows = dir.join(".github").join("workflows");
    fs::create_dir_all(&workflows).map_err(io("the workflow"))?;
    fs::write(workflows.join("classroom.yml"), CLASSROOM_WORKFLOW).map_err(io("the workflow"))?;
    Ok(format!(
        "wrote the student edition to {}: {} labs, the book, README.md; no solutions, no grader\n\
         next: cd {} && git init && git add . && git commit -m 'Course start', then push it where students clone from",
        dir.display(),
        LABS.len(),
        dir.display()
    ))
}

/// Whether a workspace dependency named `name` belongs in the student
/// edition: the grader's crates stay out (the edition has no grader).
fn student_dependency(name: &str) -> bool {
    !(name.starts_with("grader") || name == "class-report")
}

/// The package that pins the features of the course's dependencies, so
/// every build compiles each of them once (`course-deps/`, generated by
/// `cargo hakari`). It holds no code; the student edition keeps it.
const COURSE_DEPS: &str = "course-deps";

/// The course manifest cut down to the labs: a workspace of the lab crates,
/// the sections in [`KEPT_SECTIONS`], and no dependency on a solution or
/// the grader.
pub fn student_manifest(course: &str) -> String {
    let mut out = String::from(
        "# The labs of the course. Each is a crate: `cargo test -p lab-security`\n\
         # runs its visible tests.\n\
         [workspace]\nresolver = \"3\"\nmembers = [\n",
    );
    for lab in LABS {
        out.push_str(&format!("    \"labs/{}\",\n", lab.name));
    }
    out.push_str(&format!("    \"{COURSE_DEPS}\",\n]\n"));
    let mut keep = false;
    for line in course.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && !trimmed.starts_with("[[") && trimmed.ends_with(']') {
            keep = KEPT_SECTIONS.contains(&trimmed);
            if keep {
                out.push('\n');
            }
        }
        if !keep {
            continue;
        }
        let name = trimmed.split(['=', ' ', '.']).next().unwrap_or("");
        if name.starts_with("solution-") || !student_dependency(name) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `labs/LAB/HINTS.md`: what each hidden check of the lab is about, the
/// same text `grader hint LAB` prints, so the student edition has the hints
/// without the suites.
fn hints_page(lab: &str) -> String {
    format!(
        "# Hints: the {lab} lab\n\n\
         Your work is graded by hidden checks beyond the visible tests. Each is\n\
         listed here with the idea it is about; none gives its answer.\n\n```text\n{}```\n",
        crate::hints(lab, None)
            .lines()
            .skip(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    )
}

/// The student edition's README.
fn student_readme() -> String {
    let labs: Vec<String> = LABS
        .iter()
        .enumerate()
        .map(|(i, lab)| format!("{}. `{}`: `labs/{}/README.md`", i + 1, lab.name, lab.name))
        .collect();
    format!(
        "\
# MCP patterns in Rust: your labs

A hands-on course in making a Model Context Protocol server
production-ready: security, error handling, performance and design, then a
real MCP server built from your own code. Each lab is a crate with functions
for you to write.

The labs, in order; each brief says what to write:

{}

## Working a lab

1. Read the lab's brief and its page in the book
   (`mdbook serve book`, after `cargo install mdbook --version 0.5.4 --locked`).
   When stuck, `labs/LAB/HINTS.md` says what each hidden check is about.
2. Replace the `todo!()` bodies in `labs/LAB/src/`; the `// TODO:` notes say
   what each needs. Keep every given name and signature.
3. Run the visible tests: `cargo test -p lab-security` (one part:
   `cargo test -p lab-security paths::`). On the stubs they fail with
   `not yet implemented: FUNCTION`, naming what is left to write.

Some visible tests use PostgreSQL: set `DATABASE_URL`, for instance
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`, or start one with
`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`.

## Handing in

Commit and push your work to the repository your instructor gave you. Only
the files under `labs/*/src/` are graded: the manifests and the tests come
from the course and replace yours, so do not add dependencies. Grading runs
hidden checks beyond the visible tests (generated inputs, a real database,
speed compared with a reference), so passing the visible tests is a good
sign, not the grade. A lab that does not compile scores zero, with the
compiler's errors in your report; your other labs are still graded.

If your course uses GitHub Classroom, each push is graded by
`.github/workflows/classroom.yml`, and the points show in the Actions tab.
",
        labs.join("\n")
    )
}

/// Whether any file under `dir` contains `needle`.
fn contains(dir: &Path, needle: &str) -> std::io::Result<bool> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if contains(&path, needle)? {
                return Ok(true);
            }
        } else if fs::read_to_string(&path).is_ok_and(|text| text.contains(needle)) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_keeps_the_labs_and_drops_the_answers() {
        let course = fs::read_to_string(course_root().join("Cargo.toml")).unwrap();
        let student = student_manifest(&course);
        assert!(!student.contains("solution"), "{student}");
        assert!(!student.contains("grader"), "{student}");
        assert!(!student.contains("[package]"), "{student}");
        for lab in LABS {
            assert!(student.contains(&format!("\"labs/{}\"", lab.name)));
            assert!(student.contains(&format!("lab-{} = ", lab.name)));
        }
        assert!(student.contains("[workspace.lints.clippy]"));
        assert!(student.contains("sqlx = "));
        assert!(student.contains("\"course-deps\""), "{student}");
    }
}
