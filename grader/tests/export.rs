//! The exports end to end: the student edition holds the labs and the book
//! but no answers, builds on its own, and its visible tests fail on the
//! stubs; the Gradescope bundle holds the course and its scripts, and its
//! `run_autograder` tells the student what went wrong when it cannot grade.

use std::path::Path;
use std::process::Command;

fn grader() -> Command {
    Command::new(env!("CARGO_BIN_EXE_grader"))
}

fn files_under(dir: &Path, found: &mut Vec<String>, root: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found, root);
        } else {
            found.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

#[test]
fn the_student_edition_builds_and_holds_no_answers() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("student");
    let out = grader().arg("export-student").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut files = Vec::new();
    files_under(&dir, &mut files, &dir);
    for must in [
        "Cargo.toml",
        "README.md",
        "book/book.toml",
        "book/src/SUMMARY.md",
        "labs/security/src/lib.rs",
        "labs/security/tests/visible.rs",
        "labs/security/README.md",
        "labs/security/HINTS.md",
        "labs/server/src/pipeline.rs",
        "course-deps/Cargo.toml",
    ] {
        assert!(files.iter().any(|f| f == must), "{must} missing: {files:?}");
    }
    for file in &files {
        assert!(
            !file.starts_with("solutions/") && !file.starts_with("grader/"),
            "{file} gives answers away"
        );
    }
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("## Handing in"), "{readme}");
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/classroom.yml")).unwrap();
    for must in [
        "--submission ../submission --classroom ../classroom.json",
        "autograding-grading-reporter",
        "GRADER_RESULTS",
        "runners: grader",
    ] {
        assert!(
            workflow.contains(must),
            "{must} missing:
{workflow}"
        );
    }

    // Builds on its own. It keeps the course's shared dependency settings
    // (course-deps), so in the course's own build folder nothing but the
    // labs is compiled again.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("target");
    let build = Command::new(&cargo)
        .args(["build", "--workspace"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "the student edition does not build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let test = Command::new(&cargo)
        .args(["test", "-p", "lab-errors", "--no-fail-fast"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(
        !test.status.success(),
        "the stubs pass their tests:\n{stdout}"
    );
    assert!(
        stdout.contains("not yet implemented"),
        "the failures name what is left to write:\n{stdout}"
    );
    assert!(
        !stdout.contains("... ok"),
        "a test passes on the stubs:\n{stdout}"
    );

    // A second export never overwrites the first.
    let again = grader().arg("export-student").arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// Runs the bundle's `run_autograder` in a Gradescope layout under `root`
/// and returns the results it wrote.
fn run_autograder(root: &Path) -> serde_json::Value {
    let out = Command::new("bash")
        .arg(root.join("source/run_autograder"))
        .env("AUTOGRADER_ROOT", root)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(root.join("results/results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_gradescope_bundle_holds_the_course_and_reports_what_went_wrong() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("autograder.zip");
    let out = grader()
        .arg("export-gradescope")
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&bundle).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    for must in [
        "setup.sh",
        "run_autograder",
        "Cargo.lock",
        "grader/src/lib.rs",
        "solutions/security/src/lib.rs",
        "labs/server/src/pipeline.rs",
        "course-deps/Cargo.toml",
    ] {
        assert!(names.iter().any(|n| n == must), "{must} missing");
    }
    assert!(
        !names.iter().any(|n| n.contains("target/")),
        "build output in the bundle"
    );
    for script in ["setup.sh", "run_autograder"] {
        let mode = zip.by_name(script).unwrap().unix_mode().unwrap();
        assert_eq!(mode & 0o777, 0o755, "{script} is executable");
        let check = Command::new("bash")
            .arg("-n")
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("templates/gradescope")
                    .join(script),
            )
            .status()
            .unwrap();
        assert!(check.success(), "{script} parses");
    }

    // The Gradescope layout, with the bundle's script and no grader built.
    let root = scratch.path().join("autograder");
    std::fs::create_dir_all(root.join("source/target/debug")).unwrap();
    std::fs::create_dir_all(root.join("submission")).unwrap();
    let mut script = zip.by_name("run_autograder").unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut script, &mut text).unwrap();
    std::fs::write(root.join("source/run_autograder"), text).unwrap();
    let results = run_autograder(&root);
    assert_eq!(results["score"], 0);
    assert!(
        results["output"].as_str().unwrap().contains("not built"),
        "{results}"
    );

    // Built, but the student uploaded something that is not a checkout.
    std::fs::copy(
        env!("CARGO_BIN_EXE_grader"),
        root.join("source/target/debug/grader"),
    )
    .unwrap();
    std::fs::write(root.join("submission/main.rs"), "fn main() {}").unwrap();
    let results = run_autograder(&root);
    assert_eq!(results["score"], 0);
    assert!(
        results["output"]
            .as_str()
            .unwrap()
            .contains("No labs/ folder"),
        "{results}"
    );

    let wrong = grader()
        .arg("export-gradescope")
        .arg(scratch.path().join("autograder.tar"))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains(".zip"));
}
