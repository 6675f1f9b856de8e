//! `--class DIR` end to end: a folder with a checkout, a tarball of a
//! checkout that does not compile, a hostile zip and a stray file. Each
//! gets its row in the gradebook with the reason, and none stops the others.

#[path = "common/checkout.rs"]
#[allow(dead_code, reason = "each test binary uses part of the shared helpers")]
mod checkout;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use checkout::{checkout_from_solutions, mutate};

/// Adds every file under `dir` to a tar.gz at `archive`, under `prefix/`.
fn tar_gz(dir: &Path, prefix: &str, archive: &Path) {
    let file = std::fs::File::create(archive).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(prefix, dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

/// A zip whose one entry tries to climb out of wherever it is unpacked.
fn hostile_zip(archive: &Path) {
    let file = std::fs::File::create(archive).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("../../../escaped.txt", options).unwrap();
    zip.write_all(b"out of the box").unwrap();
    zip.start_file("notes/readme.txt", options).unwrap();
    zip.write_all(b"no labs here").unwrap();
    zip.finish().unwrap();
}

#[test]
fn every_submission_gets_a_row_and_none_stops_the_others() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();

    let alice = checkout_from_solutions(&["security"]);
    checkout::copy(alice.path(), &class.path().join("alice"));

    let bob = checkout_from_solutions(&["security"]);
    mutate(
        bob.path(),
        "security",
        "permissions.rs",
        "pub fn requires_approval(",
        "pub fn requires_approval(this is not rust",
    );
    tar_gz(bob.path(), "bob-main", &class.path().join("bob.tar.gz"));

    hostile_zip(&class.path().join("carol.zip"));
    std::fs::write(class.path().join("notes.txt"), "not a submission").unwrap();

    let run = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("--class")
        .arg(class.path())
        .arg("--out")
        .arg(out.path())
        .args(["--lab", "security", "--no-perf", "--jobs", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("[4/4]"), "progress is shown: {stderr}");

    let book = std::fs::read_to_string(out.path().join("gradebook.csv")).unwrap();
    let rows: Vec<Vec<&str>> = book.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        ["student", "security", "total", "max", "status", "flags"]
    );
    let row = |student: &str| {
        rows.iter()
            .find(|r| r[0] == student)
            .unwrap_or_else(|| panic!("no row for {student}:\n{book}"))
            .clone()
    };

    let alice = row("alice");
    assert_eq!(alice[4], "graded", "{book}");
    assert!(alice[2].parse::<u32>().unwrap() > 0, "{book}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("alice/results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["score"].to_string(), alice[2], "{report}");
    assert!(out.path().join("alice/report.json").is_file());
    assert!(out.path().join("alice/report.txt").is_file());

    let bob = row("bob");
    assert_eq!(bob[2], "0", "{book}");
    assert!(bob[4].contains("security: does not compile"), "{book}");
    let bob_report = std::fs::read_to_string(out.path().join("bob/report.json")).unwrap();
    assert!(bob_report.contains("permissions.rs"), "{bob_report}");

    let carol = row("carol");
    assert!(carol[4].starts_with("not graded: "), "{book}");
    assert!(carol[4].contains("no labs/ folder"), "{book}");
    // Unpacked three folders down in the output, the name would land in it.
    for dir in [out.path(), out.path().parent().unwrap()] {
        assert!(!dir.join("escaped.txt").exists(), "the zip escaped");
    }

    // The class report, and the sources it compares, kept per student.
    let page = std::fs::read_to_string(out.path().join("class-report.html")).unwrap();
    assert!(
        page.contains("alice") && page.contains("<svg"),
        "the class report"
    );
    assert!(out.path().join("alice/labs/security/src/lib.rs").is_file());

    let notes = row("notes.txt");
    assert!(notes[4].contains("not a checkout or an archive"), "{book}");
}
