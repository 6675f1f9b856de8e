//! Helpers shared by the visible tests.

use std::path::Path;

/// Creates a file with `text`, and its parent directories.
pub fn write_file(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create test directories");
    }
    std::fs::write(path, text).expect("write test file");
}
