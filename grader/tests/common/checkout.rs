//! Submissions made from the reference solutions, edited in place.

use std::path::Path;
use std::process::Command;

use grader::carve::{Cut, cut_dir};

/// Replaces `from` with `to` in `labs/LAB/src/FILE`, once; fails if `from`
/// is not there.
pub fn mutate(root: &Path, lab: &str, file: &str, from: &str, to: &str) {
    let path = root.join("labs").join(lab).join("src").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(from),
        "{lab}/{file} no longer contains the code this test edits:\n{from}\nUpdate the test with the solution."
    );
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// A checkout whose `labs` are the reference solutions, solved labs cut
/// from `solutions/LAB/src`.
pub fn checkout_from_solutions(labs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_solved(dir.path(), labs);
    dir
}

/// Writes the solved `labs` into the checkout at `root`.
pub fn write_solved(root: &Path, labs: &[&str]) {
    let course = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for lab in labs {
        let src = root.join("labs").join(lab).join("src");
        let files = cut_dir(&course.join("solutions").join(lab).join("src"), Cut::Solved).unwrap();
        for (rel, text) in files {
            let path = src.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
}

/// Copies the tree at `from` to `to`.
pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Grades the folder of checkouts `class` with `--class` into `out`, on
/// `labs`, without the perf checks; returns the grader's stderr.
pub fn grade_class(class: &Path, out: &Path, labs: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grader"));
    command
        .arg("--class")
        .arg(class)
        .arg("--out")
        .arg(out)
        .args(["--no-perf", "--jobs", "2"]);
    for lab in labs {
        command.args(["--lab", lab]);
    }
    let run = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    stderr
}
