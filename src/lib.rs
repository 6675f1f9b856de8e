//! Facts about the course's layout, shared by the course's own checks in
//! `tests/`.
//!
//! The checks themselves live in `tests/`: `course.rs` grades the
//! solutions and the stubs, `book.rs` builds the book and resolves every
//! include. Run them with `cargo test` at the root.

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

/// Where nested builds go: apart from `target/`, which the running
/// `cargo test` holds locked.
pub fn nested_target_dir() -> PathBuf {
    root().join("target").join("nested")
}

/// The grader binary `cargo test` built beside the running test.
pub fn grader_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("the test binary has no profile directory")?;
    let grader = profile_dir.join("grader");
    if grader.is_file() {
        Ok(grader)
    } else {
        Err(format!(
            "{} is missing: run the course checks with `cargo test` at the root, which builds the grader",
            grader.display()
        ))
    }
}
