//! `export-student DIR` end to end: the student edition holds the labs and
//! the book but no answers, builds on its own, and its visible tests fail on
//! the stubs, each naming what is left to write.

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

    // Builds on its own; the cache of nested builds keeps this short.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("target")
        .join("nested");
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
