//! The book builds, and every `{{#include}}` in it resolves to a real file
//! and a real anchor. mdbook itself only logs a missing file and silently
//! includes nothing for a missing anchor, so the includes are checked here.

use std::path::{Path, PathBuf};

use mcp_patterns_course::{labs, root};

/// One `{{#include path:anchor}}` (or `rustdoc_include`) in a page.
#[derive(Debug)]
struct Include {
    page: PathBuf,
    path: String,
    anchor: Option<String>,
}

/// Every file under `dir` whose extension is `ext`.
fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
    }
    found
}

/// Every include directive in the markdown files under `dir`.
fn includes(dir: &Path) -> Vec<Include> {
    let mut found = Vec::new();
    for page in files_under(dir, "md") {
        let text = std::fs::read_to_string(&page).unwrap();
        for directive in ["{{#include ", "{{#rustdoc_include "] {
            for (at, _) in text.match_indices(directive) {
                let rest = &text[at + directive.len()..];
                let body = rest.split("}}").next().unwrap_or_default().trim();
                let (file, anchor) = match body.split_once(':') {
                    Some((f, a)) => (f, Some(a.to_owned())),
                    None => (body, None),
                };
                found.push(Include {
                    page: page.clone(),
                    path: file.to_owned(),
                    anchor,
                });
            }
        }
    }
    found
}

/// What is wrong with `include`, if anything.
fn problem(include: &Include) -> Option<String> {
    let base = include.page.parent().unwrap();
    let file = base.join(&include.path);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            return Some(format!(
                "{}: {} cannot be read: {e}",
                include.page.display(),
                include.path
            ));
        }
    };
    let anchor = include.anchor.as_deref()?;
    if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None; // a line range
    }
    let has = |marker: &str| {
        text.lines()
            .any(|l| l.trim().ends_with(&format!("{marker}: {anchor}")))
    };
    if has("ANCHOR") && has("ANCHOR_END") {
        None
    } else {
        Some(format!(
            "{}: {} has no ANCHOR / ANCHOR_END pair named {anchor}",
            include.page.display(),
            include.path
        ))
    }
}

#[test]
fn every_include_resolves() {
    let found = includes(&root().join("book/src"));
    assert!(
        !found.is_empty(),
        "the book includes no code from the crates"
    );
    let problems: Vec<String> = found.iter().filter_map(problem).collect();
    assert!(
        problems.is_empty(),
        "unresolved includes:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_include_check_catches_a_missing_file_and_a_missing_anchor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("code.rs"),
        "// ANCHOR: real\nfn f() {}\n// ANCHOR_END: real\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("page.md"),
        "{{#include code.rs:real}}\n{{#include code.rs:imagined}}\n{{#include gone.rs}}\n",
    )
    .unwrap();
    let found = includes(dir.path());
    assert_eq!(found.len(), 3);
    let problems: Vec<String> = found.iter().filter_map(problem).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("imagined") && problems[1].contains("gone.rs"));
}

#[test]
fn every_lab_page_includes_its_lab() {
    for lab in labs() {
        let page = root().join(format!("book/src/labs/{lab}.md"));
        let includes_lab = includes(page.parent().unwrap())
            .into_iter()
            .any(|i| i.page == page && i.path.contains(&format!("labs/{lab}/src/")));
        assert!(
            includes_lab,
            "book/src/labs/{lab}.md must include the lab's code, not paste it"
        );
    }
}

#[test]
fn the_book_builds_with_no_directive_left_unresolved() {
    let out = tempfile::tempdir().unwrap();
    let mut book = mdbook_driver::MDBook::load(root().join("book")).expect("book/book.toml loads");
    book.config.build.build_dir = out.path().to_path_buf();
    book.build().expect("the book builds");
    let pages = files_under(out.path(), "html");
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        assert!(
            !html.contains("{{#"),
            "{} holds an unresolved directive",
            page.display()
        );
    }
    assert!(pages.len() >= 3, "only {} pages were rendered", pages.len());
    assert!(out.path().join("labs/security.html").is_file());
}
