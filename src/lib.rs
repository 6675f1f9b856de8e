//! Facts about the course's layout, shared by the course's own checks in
//! `tests/`.
//!
//! The checks themselves live in `tests/`: `course.rs` grades the
//! solutions and the stubs, `book.rs` builds the book and resolves every
//! include, `browser.rs` opens every page in headless Chromium. Run them
//! with `cargo test` at the root.

use std::path::{Path, PathBuf};

/// The course's root directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The labs present in `labs/`, by folder name, sorted.
pub fn labs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("labs"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The grader binary `cargo test` built beside the running test.
pub fn grader_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("the test binary has no profile directory")?;
    let grader = profile_dir.join("grader");
    let built = std::fs::metadata(&grader).and_then(|m| m.modified()).map_err(|_| {
        format!(
            "{} is missing: run the course checks with `cargo test` at the root, which builds the grader",
            grader.display()
        )
    })?;
    // The launcher's own sources; the labs, references and suites it builds
    // itself, into a scratch copy, each time it grades.
    let sources = [
        "grader/src",
        "grader/core/src",
        "grader/sandbox/src",
        "grader/class-report/src",
    ]
    .map(|dir| root().join(dir));
    if let Some(newer) = sources.iter().find_map(|dir| newer_file(dir, built)) {
        return Err(format!(
            "{} is older than {}: run `cargo test` at the root (or `cargo build -p grader`) so the checks use the current grader",
            grader.display(),
            newer.display()
        ));
    }
    Ok(grader)
}

/// A Rust source file under `dir` modified after `than`, if any.
fn newer_file(dir: &Path, than: std::time::SystemTime) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = newer_file(&path, than) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > than)
        {
            return Some(path);
        }
    }
    None
}
