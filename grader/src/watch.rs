//! `grader watch [LAB]`: the learner's loop. Save a file in a lab, and the
//! lab is built and graded again, and the next check to work on is shown
//! with its hint.
//!
//! Each round grades the lab that changed exactly as `cargo run -p grader
//! -- --lab LAB` does: the lab is rebuilt in this checkout's slot (a
//! compile error is shown as the next thing to fix) and its checks run in
//! isolated children. Nothing is remembered between rounds: what is shown
//! is what grading says now, never a record that could go stale. The
//! folders are polled twice a second, which needs no file-watching
//! dependency and costs nothing next to a build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use grader_core::catalog;
use grader_core::protocol::Side;

use crate::compile::SlotKind;
use crate::compile::course_root;
use crate::grade::{Grading, grade};
use grader_core::catalog::LABS;

/// How often the lab folders are looked at.
const POLL: Duration = Duration::from_millis(500);

/// What each source file looked like: its modification time and length.
pub type Snapshot = BTreeMap<PathBuf, (SystemTime, u64)>;

/// Watches `labs/*/src` (or only `lab`'s) and grades what changes, until
/// interrupted. `rounds` stops after that many gradings (for scripts).
pub fn watch(lab: Option<&str>, no_perf: bool, rounds: Option<usize>) -> Result<(), String> {
    let root = course_root();
    let labs: Vec<&str> = match lab {
        Some(name) => vec![name],
        None => LABS.iter().map(|l| l.name).collect(),
    };
    let mut seen = snapshot(&root, &labs);
    let mut graded = 0;
    if let Some(name) = lab {
        round(&root, name, no_perf);
        graded += 1;
    } else {
        println!("watching labs/*/src: save a file in a lab to grade that lab (Ctrl-C to stop)");
    }
    while rounds.is_none_or(|n| graded < n) {
        std::thread::sleep(POLL);
        let now = snapshot(&root, &labs);
        if now == seen {
            continue;
        }
        // An editor may write in several steps: wait until it settles.
        let mut settled = now;
        loop {
            std::thread::sleep(POLL);
            let again = snapshot(&root, &labs);
            if again == settled {
                break;
            }
            settled = again;
        }
        for name in changed_labs(&seen, &settled) {
            round(&root, &name, no_perf);
            graded += 1;
        }
        seen = settled;
    }
    Ok(())
}

/// Every source file of `labs`, with what it looks like now.
pub fn snapshot(root: &Path, labs: &[&str]) -> Snapshot {
    let mut files = Snapshot::new();
    for lab in labs {
        walk(&root.join("labs").join(lab).join("src"), &mut files);
    }
    files
}

fn walk(dir: &Path, files: &mut Snapshot) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            walk(&path, files);
        } else if let Ok(modified) = meta.modified() {
            files.insert(path, (modified, meta.len()));
        }
    }
}

/// The labs whose files differ between two snapshots (changed, added or
/// removed), in course order.
pub fn changed_labs(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut paths: Vec<&PathBuf> = after
        .iter()
        .filter(|(path, state)| before.get(*path) != Some(state))
        .map(|(path, _)| path)
        .collect();
    paths.extend(before.keys().filter(|path| !after.contains_key(*path)));
    LABS.iter()
        .map(|lab| lab.name)
        .filter(|name| {
            let dir = Path::new("labs").join(name).join("src");
            paths
                .iter()
                .any(|p| p.ancestors().any(|a| a.ends_with(&dir)))
        })
        .map(str::to_owned)
        .collect()
}

/// One round: build and grade `lab`, then show the next step.
fn round(root: &Path, lab: &str, no_perf: bool) {
    println!("\n== {lab}: building and grading ==");
    let Some(info) = catalog::lab(lab) else {
        println!("no lab named {lab}");
        return;
    };
    let grading = Grading {
        checkout: root,
        slot: SlotKind::Own,
        side: Side::Lab,
        no_perf,
        require_sandbox: false,
    };
    match grade(&grading, &[info]) {
        Ok(report) => print!("{}", report.next_step()),
        Err(e) => println!("grading could not run: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_its_lab_once() {
        let t0 = SystemTime::UNIX_EPOCH;
        let t1 = t0 + Duration::from_secs(1);
        let file = |lab: &str, name: &str| PathBuf::from(format!("/c/labs/{lab}/src/{name}"));
        let before: Snapshot = [
            (file("security", "paths.rs"), (t0, 10)),
            (file("security", "sql/mod.rs"), (t0, 10)),
            (file("errors", "retry.rs"), (t0, 10)),
        ]
        .into();
        assert!(changed_labs(&before, &before).is_empty());

        let mut after = before.clone();
        after.insert(file("security", "paths.rs"), (t1, 10));
        after.insert(file("security", "sql/mod.rs"), (t0, 12));
        assert_eq!(changed_labs(&before, &after), ["security"]);

        let mut after = before.clone();
        after.remove(&file("errors", "retry.rs"));
        after.insert(file("server", "tail.rs"), (t0, 1));
        assert_eq!(changed_labs(&before, &after), ["errors", "server"]);
    }

    #[test]
    fn the_snapshot_sees_every_source_file() {
        let root = course_root();
        let files = snapshot(&root, &["security"]);
        assert!(
            files
                .keys()
                .any(|p| p.ends_with("labs/security/src/paths.rs"))
        );
        assert!(
            files
                .keys()
                .all(|p| p.starts_with(root.join("labs/security/src")))
        );
    }
}
