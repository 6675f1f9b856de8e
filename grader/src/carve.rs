//! Carving: each lab is written once, as its reference solution, and the
//! stub a student starts from is cut out of it.
//!
//! A reference file under `solutions/<lab>/src` is ordinary Rust that
//! compiles as it is. Line comments mark what differs in the stub:
//!
//! ```text
//! // LAB: todo("RetryPolicy::backoff")   a body the student writes: its
//! // TODO: ...                           leading comment lines stay in the
//! let factor = ...;                      stub, the rest becomes
//! // LAB: end                            todo!("RetryPolicy::backoff")
//!
//! // LAB: solution                       lines only the reference has
//! static COMPILED: ... ;                 (a helper, a precomputed table)
//! // LAB: end
//!
//! // LAB: stub                           lines only the stub has, kept in
//! // #![allow(unused_variables)]         the reference as comments: each
//! // LAB: end                            loses its first `// `
//! ```
//!
//! A `stub` block may be followed at once by a `solution` block, which
//! closes it (the two sides of one difference, such as a crate name).
//! Everything outside the blocks, book anchors included, is copied byte
//! for byte. `grader carve` writes `labs/<lab>/src` from
//! `solutions/<lab>/src`; `grader carve --check` (run by `cargo test`)
//! fails when a committed stub is not what the carve would write.
//!
//! The same markers also give a *solved* lab ([`Cut::Solved`]): the lab's
//! crate with the reference's answers in it (the todo bodies and helpers
//! kept, the stub's side of each difference), which is what the grader's
//! own tests start from when they put a mistake into a working lab.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// What a marker line opens or closes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    /// `// LAB: todo("NAME")`.
    Todo(String),
    /// `// LAB: solution`.
    Solution,
    /// `// LAB: stub`.
    Stub,
    /// `// LAB: end`.
    End,
}

/// The prefix every marker starts with, after the indentation.
const PREFIX: &str = "// LAB:";

/// A marker that cannot be carved, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarveError {
    /// The file, as given to the carve.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for CarveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Reads a marker from a line, if the line is one.
fn marker(line: &str) -> Result<Option<Marker>, String> {
    let Some(rest) = line.trim_start().strip_prefix(PREFIX) else {
        return Ok(None);
    };
    let rest = rest.trim();
    Ok(Some(match rest {
        "end" => Marker::End,
        "solution" => Marker::Solution,
        "stub" => Marker::Stub,
        _ => {
            let name = rest
                .strip_prefix("todo(\"")
                .and_then(|r| r.strip_suffix("\")"))
                .filter(|n| !n.is_empty() && !n.contains('"'))
                .ok_or_else(|| {
                    format!(
                        "unknown marker `{}`; the markers are `{PREFIX} todo(\"NAME\")`, `{PREFIX} solution`, `{PREFIX} stub` and `{PREFIX} end`",
                        line.trim()
                    )
                })?;
            Marker::Todo(name.to_owned())
        }
    }))
}

/// What to cut out of a reference file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The stub a student starts from.
    Stub,
    /// The lab's crate, solved: answers kept, the stub's side of each
    /// `stub`/`solution` pair.
    Solved,
}

/// The open block while carving a file.
enum Open {
    /// Inside `todo`: still in the leading comments (kept), or past them.
    Todo {
        name: String,
        indent: String,
        in_notes: bool,
        line: usize,
    },
    Solution {
        line: usize,
        /// Right after a `stub` block: the reference's side of a pair.
        paired: bool,
    },
    Stub {
        line: usize,
    },
}

/// Carves the stub out of one reference file's text. `file` names it in
/// errors.
pub fn carve_text(text: &str, file: &Path) -> Result<String, CarveError> {
    cut_text(text, file, Cut::Stub)
}

/// Cuts `cut` out of one reference file's text. `file` names it in errors.
pub fn cut_text(text: &str, file: &Path, cut: Cut) -> Result<String, CarveError> {
    let error = |line: usize, message: String| CarveError {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut out = String::with_capacity(text.len());
    let mut open: Option<Open> = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i + 1;
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        match marker(line).map_err(|m| error(number, m))? {
            Some(Marker::End) => match open.take() {
                Some(Open::Todo { name, indent, .. }) => {
                    if cut == Cut::Stub {
                        out.push_str(&format!("{indent}todo!(\"{name}\")\n"));
                    }
                }
                Some(Open::Solution { .. } | Open::Stub { .. }) => {}
                None => {
                    return Err(error(number, "`end` with no open block".into()));
                }
            },
            Some(Marker::Solution) => match open {
                None => {
                    open = Some(Open::Solution {
                        line: number,
                        paired: false,
                    })
                }
                Some(Open::Stub { .. }) => {
                    open = Some(Open::Solution {
                        line: number,
                        paired: true,
                    })
                }
                Some(_) => {
                    return Err(error(
                        number,
                        "`solution` inside another block; close it with `// LAB: end` first".into(),
                    ));
                }
            },
            Some(other) => {
                if open.is_some() {
                    return Err(error(
                        number,
                        "a block opened inside another one; close it with `// LAB: end` first"
                            .into(),
                    ));
                }
                open = Some(match other {
                    Marker::Todo(name) => Open::Todo {
                        name,
                        indent,
                        in_notes: true,
                        line: number,
                    },
                    Marker::Stub => Open::Stub { line: number },
                    Marker::Solution | Marker::End => unreachable!("handled above"),
                });
            }
            None => match &mut open {
                None => out.push_str(line),
                Some(Open::Solution { paired, .. }) => {
                    if cut == Cut::Solved && !*paired {
                        out.push_str(line);
                    }
                }
                Some(Open::Todo { in_notes, .. }) => {
                    let note = *in_notes && line.trim_start().starts_with("//");
                    if cut == Cut::Solved || note {
                        out.push_str(line);
                    }
                    if !note {
                        *in_notes = false;
                    }
                }
                Some(Open::Stub { .. }) => {
                    let body = &line[indent.len()..];
                    let uncommented = body
                        .strip_prefix("// ")
                        .or_else(|| body.strip_prefix("//").filter(|r| r.trim().is_empty()))
                        .ok_or_else(|| {
                            error(
                                number,
                                "a line in a `stub` block must be a comment (`// ` then the stub's line)"
                                    .into(),
                            )
                        })?;
                    out.push_str(&indent);
                    out.push_str(uncommented);
                }
            },
        }
    }
    if let Some(block) = open {
        let (kind, line) = match block {
            Open::Todo { line, .. } => ("todo", line),
            Open::Solution { line, .. } => ("solution", line),
            Open::Stub { line } => ("stub", line),
        };
        return Err(error(
            line,
            format!("this `{kind}` block is never closed; add `// LAB: end` after it"),
        ));
    }
    Ok(out)
}

/// Every `.rs` file under `dir`, relative to it, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(base: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries =
            fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                walk(base, &path, files)?;
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path.strip_prefix(base).expect("under base").to_path_buf());
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// The stub of a whole lab: each file of the reference's `src`, carved,
/// by its path relative to `src`.
pub fn carve_dir(solution_src: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    cut_dir(solution_src, Cut::Stub)
}

/// `cut` of a whole lab: each file of the reference's `src`, by its path
/// relative to `src`.
pub fn cut_dir(solution_src: &Path, cut: Cut) -> Result<Vec<(PathBuf, String)>, String> {
    let shown = |p: &Path| solution_src.join(p);
    rust_files(solution_src)?
        .into_iter()
        .map(|rel| {
            let text = fs::read_to_string(shown(&rel))
                .map_err(|e| format!("cannot read {}: {e}", shown(&rel).display()))?;
            let carved = cut_text(&text, &shown(&rel), cut).map_err(|e| e.to_string())?;
            Ok((rel, carved))
        })
        .collect()
}

/// How a committed stub differs from its carve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file's text is not what the carve writes.
    Changed(PathBuf),
    /// The carve writes this file and it is missing.
    Missing(PathBuf),
    /// The stub has a Rust file the reference does not.
    Extra(PathBuf),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Changed(p) => write!(f, "{} differs from its carve", p.display()),
            Drift::Missing(p) => write!(f, "{} is missing", p.display()),
            Drift::Extra(p) => write!(f, "{} has no reference file to be carved from", p.display()),
        }
    }
}

/// Compares `labs/<lab>/src` of `root` with the carve of
/// `solutions/<lab>/src`; empty when they agree.
pub fn drift(root: &Path, lab: &str) -> Result<Vec<Drift>, String> {
    let stub_src = root.join("labs").join(lab).join("src");
    let carved = carve_dir(&root.join("solutions").join(lab).join("src"))?;
    let mut found = Vec::new();
    for (rel, text) in &carved {
        let path = stub_src.join(rel);
        match fs::read_to_string(&path) {
            Ok(committed) if committed == *text => {}
            Ok(_) => found.push(Drift::Changed(path)),
            Err(_) => found.push(Drift::Missing(path)),
        }
    }
    if stub_src.is_dir() {
        for rel in rust_files(&stub_src)? {
            if !carved.iter().any(|(r, _)| *r == rel) {
                found.push(Drift::Extra(stub_src.join(rel)));
            }
        }
    }
    Ok(found)
}

/// Writes `labs/<lab>/src` of `root` from the carve: changed and missing
/// files written, extra Rust files removed. Returns what it changed.
pub fn write(root: &Path, lab: &str) -> Result<Vec<Drift>, String> {
    let stub_src = root.join("labs").join(lab).join("src");
    let carved = carve_dir(&root.join("solutions").join(lab).join("src"))?;
    let found = drift(root, lab)?;
    for change in &found {
        match change {
            Drift::Changed(path) | Drift::Missing(path) => {
                let rel = path.strip_prefix(&stub_src).expect("under the stub");
                let (_, text) = carved.iter().find(|(r, _)| r == rel).expect("carved above");
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                fs::write(path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            Drift::Extra(path) => {
                fs::remove_file(path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carve(text: &str) -> Result<String, CarveError> {
        carve_text(text, Path::new("x.rs"))
    }

    #[test]
    fn a_todo_block_keeps_its_notes_and_becomes_todo() {
        let reference = "fn f() -> u32 {\n    // LAB: todo(\"f\")\n    // TODO: add one.\n    //       Then stop.\n    let x = 1;\n    // not a note: after code\n    x + 1\n    // LAB: end\n}\n";
        assert_eq!(
            carve(reference).unwrap(),
            "fn f() -> u32 {\n    // TODO: add one.\n    //       Then stop.\n    todo!(\"f\")\n}\n"
        );
    }

    #[test]
    fn solution_lines_go_and_stub_lines_come_back() {
        let reference = "// LAB: stub\n// //! The lab.\n//\n// #![allow(dead_code)]\n// LAB: solution\n//! The reference.\n// LAB: end\n// ANCHOR: types\nstruct A;\n// ANCHOR_END: types\n    // LAB: solution\n    static B: u8 = 1;\n    // LAB: end\n";
        assert_eq!(
            carve(reference).unwrap(),
            "//! The lab.\n\n#![allow(dead_code)]\n// ANCHOR: types\nstruct A;\n// ANCHOR_END: types\n"
        );
    }

    #[test]
    fn the_solved_cut_keeps_answers_and_helpers_and_the_stubs_side() {
        let reference = "// LAB: stub\n// use lab;\n// LAB: solution\nuse reference;\n// LAB: end\n// LAB: solution\nfn helper() {}\n// LAB: end\nfn f() {\n    // LAB: todo(\"f\")\n    // TODO: call it.\n    helper()\n    // LAB: end\n}\n";
        assert_eq!(
            cut_text(reference, Path::new("x.rs"), Cut::Solved).unwrap(),
            "use lab;\nfn helper() {}\nfn f() {\n    // TODO: call it.\n    helper()\n}\n"
        );
    }

    #[test]
    fn broken_markers_name_the_line() {
        for (text, line, says) in [
            ("a\n// LAB: end\n", 2, "no open block"),
            ("// LAB: todo(\"f\")\nx\n", 1, "never closed"),
            ("// LAB: todo(\"f\")\n// LAB: stub\n", 2, "inside another"),
            ("// LAB: todo(f)\n", 1, "unknown marker"),
            (
                "// LAB: stub\nlet x = 1;\n// LAB: end\n",
                2,
                "must be a comment",
            ),
        ] {
            let e = carve(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn drift_names_changed_missing_and_extra_stubs_and_write_fixes_them() {
        let root = tempfile::tempdir().unwrap();
        let solution = root.path().join("solutions/demo/src");
        let stub = root.path().join("labs/demo/src");
        fs::create_dir_all(solution.join("sub")).unwrap();
        fs::create_dir_all(&stub).unwrap();
        let reference = "pub fn f() -> u8 {\n    // LAB: todo(\"f\")\n    1\n    // LAB: end\n}\n";
        fs::write(solution.join("lib.rs"), reference).unwrap();
        fs::write(solution.join("sub/more.rs"), "pub const A: u8 = 1;\n").unwrap();
        fs::write(stub.join("lib.rs"), "pub fn f() -> u8 {\n    2\n}\n").unwrap();
        fs::write(stub.join("old.rs"), "\n").unwrap();

        let found = drift(root.path(), "demo").unwrap();
        assert_eq!(
            found,
            [
                Drift::Changed(stub.join("lib.rs")),
                Drift::Missing(stub.join("sub/more.rs")),
                Drift::Extra(stub.join("old.rs")),
            ]
        );
        assert_eq!(write(root.path(), "demo").unwrap(), found);
        assert!(drift(root.path(), "demo").unwrap().is_empty());
        assert_eq!(
            fs::read_to_string(stub.join("lib.rs")).unwrap(),
            "pub fn f() -> u8 {\n    todo!(\"f\")\n}\n"
        );
        assert!(!stub.join("old.rs").exists());
    }

    #[test]
    fn text_without_markers_is_unchanged() {
        let text = "use std::fmt;\n\n/// Doc.\npub fn f() {}\n";
        assert_eq!(carve(text).unwrap(), text);
    }
}
