//! `--submission DIR`: another checkout's labs, graded by this checkout's
//! grader and solutions, exactly as this checkout's own labs are.
//!
//! Only the `src/` folder of each lab is taken from the submission; every
//! manifest, test and the grader itself come from this checkout, so a
//! submission cannot change how it is graded.

use std::path::{Path, PathBuf};

/// Most bytes taken from one submission's sources.
const MAX_BYTES: u64 = 16 << 20;
/// Most files taken from one submission's sources.
const MAX_FILES: usize = 2_000;

/// Checks `dir` looks like a checkout; the error says what to point at.
pub fn validate(dir: &Path) -> Result<PathBuf, String> {
    let real = dir.canonicalize().map_err(|e| {
        format!(
            "--submission {}: cannot open it ({e}); give the path of a student's checkout",
            dir.display()
        )
    })?;
    if !real.is_dir() {
        return Err(format!(
            "--submission {}: not a directory; give the path of a student's checkout",
            dir.display()
        ));
    }
    if !real.join("labs").is_dir() {
        return Err(format!(
            "--submission {}: no labs/ folder, so this is not a checkout of the course; point at the folder that holds labs/",
            dir.display()
        ));
    }
    Ok(real)
}

/// The compiler's first errors, enough to act on.
pub(crate) fn first_errors(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim_start().starts_with("Compiling "))
        .filter(|l| l.contains("error") || l.contains("-->"))
        .take(20)
        .collect();
    if lines.is_empty() {
        stderr.lines().rev().take(10).collect::<Vec<_>>().join("\n")
    } else {
        lines.join("\n")
    }
}

/// Caps what a submission can make the grader copy.
pub(crate) struct Budget {
    bytes: u64,
    files: usize,
}

impl Budget {
    /// The cap for one lab's sources of a submission.
    pub(crate) fn submission() -> Self {
        Self {
            bytes: MAX_BYTES,
            files: MAX_FILES,
        }
    }

    /// No cap: for the course's own files.
    pub(crate) fn unlimited() -> Self {
        Self {
            bytes: u64::MAX,
            files: usize::MAX,
        }
    }

    /// Takes one file of `len` bytes from what is left.
    pub(crate) fn take(&mut self, len: u64) -> std::io::Result<()> {
        if self.files == 0 || len > self.bytes {
            return Err(std::io::Error::other(
                "the sources are too large to grade (more than 2,000 files or 16 MiB in one lab)",
            ));
        }
        self.files -= 1;
        self.bytes -= len;
        Ok(())
    }
}

/// Copies regular files and directories; symlinks are skipped, so a
/// submission cannot make the grader read outside it. `target/` is skipped.
pub(crate) fn copy_tree(from: &Path, to: &Path, budget: &mut Budget) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()), budget)?;
        }
    } else if meta.is_file() {
        budget.take(meta.len())?;
        std::fs::copy(from, to)?;
    }
    Ok(())
}
