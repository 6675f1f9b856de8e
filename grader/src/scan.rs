//! Reading a lab's sources before they are built: what reaches outside
//! the lab at compile time, and what an instructor may want to look at.
//!
//! The kernel is what stops a lab's code from reading the course's files
//! while it compiles (see [`crate::protect`]); this scan turns the most
//! common attempts (`#[path]`, also inside `cfg_attr`, and the `include*`
//! macros with a path that leaves `src/`) into a message that names the
//! file, the line and the rule, and it is the only guard where the kernel
//! offers none. The advisory flags change no points: they point an
//! instructor at code a lab does not need (`unsafe`, processes, the
//! environment, `/proc`, files or sockets where the lab's API has none),
//! looking only at lines the student wrote, not at the given code.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The rule a reach outside breaks, as the report states it.
pub const RULE: &str = "a lab's code may read only its own src/ folder when it is compiled";

/// Where a lab's code reaches outside its `src/`: one line per place,
/// `labs/LAB/src/FILE:LINE: what (RULE)`.
pub fn reaches(lab: &str, files: &[(PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, text) in files {
        let dir = rel.parent().unwrap_or(Path::new(""));
        for (number, line) in text.lines().enumerate() {
            let code = strip_comment(line);
            for (what, literal) in path_literals(code) {
                if !stays_inside(dir, &literal) {
                    found.push(format!(
                        "labs/{lab}/src/{}:{}: {what} \"{literal}\" leaves labs/{lab}/src ({RULE})",
                        rel.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    found
}

/// The path literals a line hands to `#[path]`, `path =` in `cfg_attr`,
/// or an `include*` macro, with what took them.
fn path_literals(code: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for macro_name in ["include_bytes!", "include_str!", "include!"] {
        let mut rest = code;
        while let Some(at) = rest.find(macro_name) {
            let after = rest[at + macro_name.len()..].trim_start();
            if let Some(literal) = after
                .strip_prefix('(')
                .and_then(|a| first_string(a.trim_start()))
            {
                out.push((macro_name, literal));
            }
            rest = &rest[at + macro_name.len()..];
        }
    }
    if code.contains("#[") || code.contains("#![") {
        let mut rest = code;
        while let Some(at) = find_word(rest, "path") {
            let after = rest[at + 4..].trim_start();
            if let Some(literal) = after
                .strip_prefix('=')
                .and_then(|a| first_string(a.trim_start()))
            {
                out.push(("#[path]", literal));
            }
            rest = &rest[at + 4..];
        }
    }
    out
}

/// The position of `word` in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|i| i + from) {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len());
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if !before.is_some_and(ident) && !after.is_some_and(|b| ident(*b)) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The contents of a plain string literal at the start of `text`.
fn first_string(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?;
    let end = inner.find('"')?;
    Some(inner[..end].to_owned())
}

/// The part of a line before a `//` comment (a `//` inside a string
/// literal is rare enough in these attributes to be ignored).
fn strip_comment(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Whether `literal`, taken relative to `dir` (inside `src/`), names a
/// place inside `src/`.
fn stays_inside(dir: &Path, literal: &str) -> bool {
    let path = Path::new(literal);
    if path.is_absolute() {
        return false;
    }
    let mut depth: Vec<&std::ffi::OsStr> = dir
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p),
            _ => None,
        })
        .collect();
    for part in path.components() {
        match part {
            Component::Normal(p) => depth.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// What a lab's API needs, for the advisory flags.
struct Needs {
    files: bool,
}

fn needs(lab: &str) -> Needs {
    Needs {
        files: matches!(lab, "security" | "server"),
    }
}

/// Advisory flags on the lines of `files` that the stub `stub` does not
/// have: `labs/LAB/src/FILE:LINE: what`.
pub fn flags(lab: &str, files: &[(PathBuf, String)], stub: &[(PathBuf, String)]) -> Vec<String> {
    let need = needs(lab);
    let mut patterns: Vec<(&str, &str)> = vec![
        ("unsafe", "unsafe code"),
        ("std::process", "starts processes or exits (std::process)"),
        ("process::exit", "exits the process"),
        ("std::env", "reads the environment (std::env)"),
        ("env!(", "reads the build environment (env!)"),
        ("/proc", "looks into /proc"),
        ("std::net", "opens network sockets (std::net)"),
        ("TcpStream", "opens network sockets"),
        ("UdpSocket", "opens network sockets"),
    ];
    if !need.files {
        patterns.extend([
            (
                "std::fs",
                "touches files (std::fs), which this lab's API does not need",
            ),
            (
                "File::",
                "touches files, which this lab's API does not need",
            ),
        ]);
    }
    let mut out = Vec::new();
    for (rel, text) in files {
        let given: HashMap<&str, usize> = stub
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, t)| {
                let mut counts = HashMap::new();
                for line in t.lines() {
                    *counts.entry(line.trim()).or_insert(0) += 1;
                }
                counts
            })
            .unwrap_or_default();
        let mut given = given;
        for (number, line) in text.lines().enumerate() {
            if let Some(left) = given.get_mut(line.trim())
                && *left > 0
            {
                *left -= 1;
                continue;
            }
            let code = strip_comment(line);
            for (needle, what) in &patterns {
                let hit = if needle.chars().all(|c| c.is_ascii_alphanumeric()) {
                    find_word(code, needle).is_some()
                } else {
                    code.contains(needle)
                };
                if hit {
                    out.push(format!(
                        "labs/{lab}/src/{}:{}: {what}",
                        rel.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
        list.iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect()
    }

    #[test]
    fn reaches_outside_are_named_with_file_line_and_rule() {
        let src = files(&[
            (
                "lib.rs",
                "#[path = \"../../../solutions/security/src/paths.rs\"]\npub mod paths;\n#[path = \"helpers/x.rs\"]\nmod x;\n",
            ),
            (
                "sql/mod.rs",
                "#[cfg_attr(all(), path = \"../../../../grader/harness/security/src/suite.rs\")]\nmod s;\nconst A: &str = include_str!(\"../data.txt\");\nconst B: &[u8] = include_bytes!(\"/etc/passwd\"); // comment include!(\"../..\")\n",
            ),
        ]);
        let found = reaches("security", &src);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("labs/security/src/lib.rs:1: #[path]"),
            "{}",
            found[0]
        );
        assert!(found[0].contains(RULE));
        assert!(
            found[1].starts_with("labs/security/src/sql/mod.rs:1: #[path]"),
            "{}",
            found[1]
        );
        assert!(
            found[2].starts_with("labs/security/src/sql/mod.rs:4: include_bytes!"),
            "{}",
            found[2]
        );
    }

    #[test]
    fn flags_look_only_at_what_the_student_wrote() {
        let stub = files(&[("lib.rs", "use std::fs;\npub fn f() {\n    todo!()\n}\n")]);
        let mine = files(&[(
            "lib.rs",
            "use std::fs;\npub fn f() {\n    let _ = std::env::var(\"X\"); // unsafe in a comment\n    unsafe { g() }\n    std::fs::read(\"/proc/self/maps\");\n}\n",
        )]);
        let found = flags("errors", &mine, &stub);
        let text = found.join("\n");
        assert!(text.contains("lib.rs:3: reads the environment"), "{text}");
        assert!(text.contains("lib.rs:4: unsafe code"), "{text}");
        assert!(text.contains("lib.rs:5: looks into /proc"), "{text}");
        assert!(text.contains("lib.rs:5: touches files"), "{text}");
        assert!(
            !text.contains("lib.rs:1:"),
            "the given line is not flagged: {text}"
        );
        assert!(
            !flags("security", &mine, &stub)
                .join("\n")
                .contains("touches files")
        );
    }
}
