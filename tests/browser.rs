//! The built book in a real browser. Headless Chromium opens every page and
//! the rendered page is checked: no directive left unresolved, every code
//! block highlighted (the book's scripts ran), every link to a page of the
//! book and every `#anchor` leads somewhere. A screenshot of the security
//! lab's page is kept at `target/book-check/security-lab.png`.
//!
//! Chromium comes from the Debian package `chromium` (or `CHROMIUM=PATH`).
//! Without it this check fails, saying how to install it, so a missing
//! browser never looks like a pass; `BOOK_BROWSER_CHECK=optional` turns
//! that failure into a skip that is printed in the summary's place, for a
//! machine that cannot have a browser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mcp_patterns_course::root;

/// The browser to use, if any.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Runs Chromium headless on `page` with `args`; its stdout.
fn browse(chromium: &Path, profile: &Path, args: &[&str], page: &Path) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium runs");
    assert!(
        out.status.success(),
        "Chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The values of `attr="..."` in the tags named `tag` of `html`.
fn attribute_values(html: &str, tag: &str, attr: &str) -> Vec<String> {
    let open = format!("<{tag} ");
    let key = format!(" {attr}=\"");
    let mut values = Vec::new();
    for (at, _) in html.match_indices(&open) {
        let end = html[at..].find('>').map_or(html.len(), |e| at + e);
        let tag_text = &html[at..end];
        if let Some(start) = tag_text.find(&key) {
            let rest = &tag_text[start + key.len()..];
            if let Some(stop) = rest.find('"') {
                values.push(rest[..stop].replace("&amp;", "&"));
            }
        }
    }
    values
}

/// What is wrong with the rendered pages, keyed by their path inside the
/// book: `rendered` maps each page to its DOM after the scripts ran.
fn problems(rendered: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut found = Vec::new();
    for (page, dom) in rendered {
        let name = page.display();
        if dom.contains("{{#") {
            found.push(format!("{name}: an unresolved {{{{#...}}}} directive"));
        }
        // A fenced block renders as <code class="language-...">; once the
        // book's highlight.js has run, it also carries `hljs`.
        let classes: Vec<String> = attribute_values(dom, "code", "class")
            .into_iter()
            .filter(|class| class.split(' ').any(|c| c.starts_with("language-")))
            .collect();
        let blocks = classes.len();
        let highlighted = classes
            .iter()
            .filter(|class| class.split(' ').any(|c| c == "hljs"))
            .count();
        if highlighted < blocks {
            found.push(format!(
                "{name}: {} of {blocks} code blocks were not highlighted",
                blocks - highlighted
            ));
        }
        for href in attribute_values(dom, "a", "href") {
            if href.is_empty()
                || ["http://", "https://", "mailto:", "javascript:"]
                    .iter()
                    .any(|scheme| href.starts_with(scheme))
            {
                continue;
            }
            let (file, fragment) = match href.split_once('#') {
                Some((f, frag)) => (f, Some(frag)),
                None => (href.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                let mut path = page.parent().unwrap_or(Path::new("")).to_path_buf();
                for part in file.split('/') {
                    match part {
                        "." | "" => {}
                        ".." => {
                            path.pop();
                        }
                        other => path.push(other),
                    }
                }
                path
            };
            let Some(target_dom) = rendered.get(&target) else {
                if !file.ends_with(".html") && !file.is_empty() {
                    continue; // an asset (a stylesheet, a font), not a page
                }
                found.push(format!(
                    "{name}: a link to {href}, which is not a page of the book"
                ));
                continue;
            };
            if let Some(id) = fragment.filter(|f| !f.is_empty())
                && !target_dom.contains(&format!("id=\"{id}\""))
            {
                found.push(format!(
                    "{name}: a link to {href}, but that page has no #{id}"
                ));
            }
        }
    }
    found
}

#[test]
fn the_link_check_catches_what_it_should() {
    let page = |text: &str| text.to_owned();
    let rendered: BTreeMap<PathBuf, String> = [
        (
            PathBuf::from("a.html"),
            page(
                "<a href=\"b.html#there\">ok</a><a href=\"b.html#nowhere\">x</a>\
                 <a href=\"missing.html\">x</a><a href=\"https://example.com\">ok</a>\
                 <pre class=\"playground\"><code class=\"language-rust hljs\">fn</code></pre>",
            ),
        ),
        (
            PathBuf::from("b.html"),
            page("<h2 id=\"there\">T</h2><pre><code class=\"language-rust\">fn</code></pre>{{#include x.rs}}"),
        ),
    ]
    .into();
    let found = problems(&rendered);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().any(|p| p.contains("#nowhere")));
    assert!(found.iter().any(|p| p.contains("missing.html")));
    assert!(found.iter().any(|p| p.contains("not highlighted")));
    assert!(found.iter().any(|p| p.contains("unresolved")));
}

/// The browser, or `None` with the skip said aloud when it is missing and
/// `BOOK_BROWSER_CHECK=optional`; without that setting a missing browser
/// fails the test, so it never looks like a pass.
fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    if let Some(chromium) = chromium() {
        return Some(chromium);
    }
    let optional = std::env::var("BOOK_BROWSER_CHECK").is_ok_and(|v| v == "optional");
    assert!(
        optional,
        "no Chromium to open {what} in: install it (apt-get install chromium) or set CHROMIUM=PATH; \
         on a machine that cannot have a browser, BOOK_BROWSER_CHECK=optional skips this check"
    );
    // Printed even without --nocapture: libtest shows a test's output only
    // when it fails, so the skip goes to the terminal directly.
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        use std::io::Write;
        let _ = writeln!(
            tty,
            "SKIPPED: {what} was not checked in a browser (BOOK_BROWSER_CHECK=optional and no Chromium)"
        );
    }
    eprintln!("skipped: no Chromium (BOOK_BROWSER_CHECK=optional)");
    None
}

#[test]
fn every_page_renders_in_chromium_with_working_links() {
    let Some(chromium) = chromium_or_skip("the book") else {
        return;
    };
    let check = root().join("target").join("book-check");
    let built = check.join("book");
    let _ = std::fs::remove_dir_all(&built);
    let mut book = mdbook_driver::MDBook::load(root().join("book")).expect("book/book.toml loads");
    book.config.build.build_dir = built.clone();
    book.build().expect("the book builds");

    let profile = tempfile::tempdir().unwrap();
    let mut pages = Vec::new();
    let mut stack = vec![built.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    let rendered: BTreeMap<PathBuf, String> = pages
        .iter()
        .map(|page| {
            let dom = browse(&chromium, profile.path(), &["--dump-dom"], page);
            (page.strip_prefix(&built).unwrap().to_path_buf(), dom)
        })
        .collect();
    let found = problems(&rendered);
    assert!(
        found.is_empty(),
        "the book in Chromium:\n{}",
        found.join("\n")
    );
    let security = &rendered[Path::new("labs/security.html")];
    let highlighted = attribute_values(security, "code", "class")
        .iter()
        .filter(|class| class.contains("language-rust") && class.contains("hljs"))
        .count();
    assert!(
        highlighted >= 3,
        "the security lab page shows its code highlighted ({highlighted} Rust blocks)"
    );

    let shot = check.join("security-lab.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
            "--hide-scrollbars",
        ],
        &built.join("labs/security.html"),
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "the screenshot {} is missing or blank",
        shot.display()
    );
    eprintln!(
        "{} pages checked; screenshot: {}",
        rendered.len(),
        shot.display()
    );
}

/// A `--class` output folder made by hand: a gradebook, two reports, and
/// the sources of three students, two of whom handed in the same code
/// under other names; student-supplied text carries markup.
fn class_output(out: &Path) {
    let hostile = "<img src=x onerror=alert(1)>";
    let gradebook = format!(
        "student,errors,total,max,status,flags\n\
         alice,60,60,69,graded,\n\
         bob,60,60,69,graded,errors: unsafe code\n\
         \"{hostile}\",12,12,69,graded; security: missing,\n\
         dora,0,0,69,\"not graded: the archive holds no labs/ folder\",\n"
    );
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("gradebook.csv"), gradebook).unwrap();
    let errors = std::fs::read_to_string(root().join("solutions/errors/src/retry.rs")).unwrap();
    let renamed = errors
        .replace("attempt", "try_number")
        .replace("policy", "settings");
    for (student, score, code) in [
        ("alice", 60, errors.clone()),
        ("bob", 60, renamed),
        (
            hostile,
            12,
            format!("{errors}\n// </pre><script>alert(1)</script>\n"),
        ),
    ] {
        let dir = out.join(student);
        let src = dir.join("labs/errors/src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("retry.rs"), code).unwrap();
        let report = serde_json::json!({
            "target": format!("submission {student}"),
            "score": score,
            "max_score": 69,
            "labs": [{
                "name": "errors",
                "score": score,
                "max_score": 69,
                "checks": [
                    {"name": "backoff_formula", "kind": "property", "status": if score > 50 { "passed" } else { "failed" }, "score": 6, "max_score": 6, "message": "m"},
                    {"name": "codes_retryable", "kind": "unit", "status": "passed", "score": 4, "max_score": 4, "message": "m"},
                ],
            }],
        });
        std::fs::write(dir.join("report.json"), report.to_string()).unwrap();
        std::fs::write(dir.join("report.txt"), format!("{student}: {score}/69")).unwrap();
    }
}

#[test]
fn the_class_report_renders_in_chromium() {
    let out = tempfile::tempdir().unwrap();
    class_output(out.path());
    let grader = mcp_patterns_course::grader_binary().unwrap_or_else(|e| panic!("{e}"));
    let made = Command::new(grader)
        .arg("class-report")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let page = out.path().join("class-report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Student-supplied text is escaped, in names and in code.
    assert!(
        !html.contains("<img src=x"),
        "a student name reached the page as markup"
    );
    assert!(
        !html.contains("<script>alert"),
        "student code reached the page as markup"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // The copied pair is listed; the report links are there.
    assert!(html.contains("alice") && html.contains("bob"));
    let text = html.replace("&#x2f;", "/");
    assert!(text.contains("alice/report.txt"));
    assert!(text.contains("the archive holds no labs/ folder"));

    let Some(chromium) = chromium_or_skip("the class report") else {
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let dom = browse(&chromium, profile.path(), &["--dump-dom"], &page);
    let charts = dom.matches("<svg").count();
    assert!(
        charts >= 2,
        "a chart per lab and one in total: {charts} found"
    );
    let links = attribute_values(&dom, "a", "href");
    for link in ["alice/report.txt", "bob/report.txt"] {
        assert!(
            links.iter().any(|l| l == link),
            "no link to {link}: {links:?}"
        );
    }
    for anchor in links.iter().filter_map(|l| l.strip_prefix('#')) {
        assert!(
            dom.contains(&format!("id=\"{anchor}\"")),
            "the link #{anchor} leads nowhere"
        );
    }
    assert!(!dom.contains("<img src=x"), "the page ran student markup");
    let shot = root().join("target/book-check/class-report.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    browse(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
            "--hide-scrollbars",
        ],
        &page,
    );
    assert!(std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 10_000);
}
