//! `--class DIR`: every submission in a folder graded, and a gradebook.
//!
//! Each entry of the folder is one student's submission: a checkout, or a
//! `.zip`, `.tar.gz`, `.tgz` or `.tar` of one (a download of a repository,
//! whose checkout sits one folder down, works as it is). Each is graded
//! exactly as `--submission` grades one checkout, several at once, all
//! sharing one build cache. A submission that cannot be read, does not
//! compile or crashes the grader gets its row with the reason; it never
//! stops the others.
//!
//! What it writes, in the output folder:
//! - `gradebook.csv`: one row per student, the points of each lab, the
//!   total, the maximum and a status that says what went wrong, if anything;
//! - `STUDENT/report.json`, `STUDENT/results.json` (Gradescope) and
//!   `STUDENT/report.txt` (the scoreboard a student would see), and the
//!   sources handed in, under `STUDENT/labs/LAB/src`;
//! - `class-report.html`: where the class struggles and which submissions
//!   share code (see [`crate::class_page`]).

use std::fs;
use std::io::{IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::report::Report;
use grader_core::catalog::LabInfo as Lab;

/// Most bytes extracted from one archive.
const MAX_ARCHIVE_BYTES: u64 = 64 << 20;
/// Most entries extracted from one archive.
const MAX_ARCHIVE_ENTRIES: usize = 20_000;

/// What `--class` was asked to do.
#[derive(Debug, Clone)]
pub struct ClassOptions {
    /// The folder of submissions.
    pub dir: PathBuf,
    /// Where the gradebook and the reports go.
    pub out: PathBuf,
    /// How many submissions are graded at once.
    pub jobs: usize,
    /// Skip the perf checks.
    pub no_perf: bool,
    /// Refuse to grade without every protection (`--require-sandbox`).
    pub require_sandbox: bool,
    /// The lowest similarity score the class report lists a pair at.
    pub similarity_threshold: f64,
}

/// How many submissions to grade at once by default: one per core. The
/// builds take turns on the shared cache; what runs side by side is the
/// grading itself, whose checks run one at a time in each submission.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// One student's line of the gradebook.
#[derive(Debug, Clone)]
pub struct Row {
    /// The student: the entry's name, without an archive extension.
    pub student: String,
    /// Points per lab, in the order of the labs graded.
    pub scores: Vec<u32>,
    /// Points earned.
    pub total: u32,
    /// Points possible.
    pub max: u32,
    /// `graded`, or what went wrong.
    pub status: String,
    /// Advisory flags on the student's code (no points change): what, in
    /// which lab, without line numbers; empty when there are none.
    pub flags: String,
}

/// One entry of the class folder.
#[derive(Debug, Clone)]
struct Entry {
    student: String,
    path: PathBuf,
}

/// Grades every submission in `options.dir`, writes the gradebook and the
/// reports, and returns the rows, sorted by student.
pub fn grade_class(options: &ClassOptions, labs: &[&'static Lab]) -> Result<Vec<Row>, String> {
    let entries = list(&options.dir, &options.out)?;
    if entries.is_empty() {
        return Err(format!(
            "--class {}: no submissions in it; put one folder or archive per student there",
            options.dir.display()
        ));
    }
    fs::create_dir_all(&options.out)
        .map_err(|e| format!("cannot create {}: {e}", options.out.display()))?;
    let work = options.out.join(".work");
    let _ = fs::remove_dir_all(&work);

    // Popped from the end: reversed, the students are taken in order.
    let queue = Mutex::new(entries.iter().rev().collect::<Vec<_>>());
    let rows = Mutex::new(Vec::new());
    let progress = Progress::new(entries.len());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, entries.len()) {
            scope.spawn(|| {
                loop {
                    let Some(entry) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop() else {
                        break;
                    };
                    progress.started();
                    let scratch = work.join(&entry.student);
                    let graded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        grade_one(
                            entry,
                            &scratch,
                            &options.out.join(&entry.student),
                            labs,
                            options.no_perf,
                            options.require_sandbox,
                        )
                    }))
                    .unwrap_or_else(|_| Err("the grader itself failed on this submission".into()));
                    let _ = fs::remove_dir_all(&scratch);
                    let row = match graded {
                        Ok(report) => match write_reports(&options.out, &entry.student, &report) {
                            Ok(()) => row_of(&entry.student, &report, labs),
                            Err(e) => failed_row(&entry.student, labs, &e),
                        },
                        Err(e) => failed_row(&entry.student, labs, &e),
                    };
                    progress.finished(&row);
                    rows.lock().unwrap_or_else(|p| p.into_inner()).push(row);
                }
            });
        }
    });
    progress.done();
    let _ = fs::remove_dir_all(&work);
    let mut rows = rows.into_inner().unwrap_or_else(|p| p.into_inner());
    rows.sort_by(|a, b| a.student.cmp(&b.student));
    let csv = gradebook(&rows, labs);
    let path = options.out.join("gradebook.csv");
    fs::write(&path, csv).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let page = crate::class_page::write(&options.out, &rows, labs, options.similarity_threshold)?;
    eprintln!("class report: {}", page.display());
    Ok(rows)
}

/// The submissions in `dir`, by student name; `out`, when it lies inside
/// `dir`, is not one.
fn list(dir: &Path, out: &Path) -> Result<Vec<Entry>, String> {
    let out = out.canonicalize().ok();
    let read = fs::read_dir(dir).map_err(|e| {
        format!(
            "--class {}: cannot read it ({e}); give the folder that holds one submission per student",
            dir.display()
        )
    })?;
    let mut entries: Vec<Entry> = Vec::new();
    for item in read {
        let item = item.map_err(|e| format!("--class {}: {e}", dir.display()))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || out.as_deref() == item.path().canonicalize().ok().as_deref() {
            continue;
        }
        let student = student_name(&name);
        entries.push(Entry {
            student,
            path: item.path(),
        });
    }
    entries.sort_by(|a, b| a.student.cmp(&b.student).then(a.path.cmp(&b.path)));
    // Two entries for one student (a folder and an archive): the names in
    // the gradebook must be unique, so the later ones are told apart.
    for i in 1..entries.len() {
        if entries[..i].iter().any(|e| e.student == entries[i].student) {
            let name = entries[i]
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            entries[i].student = name;
        }
    }
    Ok(entries)
}

/// `alice.tar.gz` is alice's; so is the folder `alice`.
fn student_name(file: &str) -> String {
    for ext in [".tar.gz", ".tgz", ".tar", ".zip"] {
        if let Some(stem) = file.strip_suffix(ext).filter(|s| !s.is_empty()) {
            return stem.to_owned();
        }
    }
    file.to_owned()
}

/// Grades one entry: unpacks it if it is an archive, finds its checkout,
/// and grades it as `--submission` does.
fn grade_one(
    entry: &Entry,
    scratch: &Path,
    student_dir: &Path,
    labs: &[&'static Lab],
    no_perf: bool,
    require_sandbox: bool,
) -> Result<Report, String> {
    let checkout = if entry.path.is_dir() {
        entry.path.clone()
    } else {
        let name = entry.path.to_string_lossy().to_lowercase();
        let unpacked = scratch.join("unpacked");
        fs::create_dir_all(&unpacked).map_err(|e| format!("cannot unpack it: {e}"))?;
        if name.ends_with(".zip") {
            unzip(&entry.path, &unpacked)?;
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            let file = fs::File::open(&entry.path).map_err(|e| format!("cannot open it: {e}"))?;
            untar(flate2::read::GzDecoder::new(file), &unpacked)?;
        } else if name.ends_with(".tar") {
            let file = fs::File::open(&entry.path).map_err(|e| format!("cannot open it: {e}"))?;
            untar(file, &unpacked)?;
        } else {
            return Err(
                "not a checkout or an archive of one (.zip, .tar.gz, .tgz, .tar)".to_owned(),
            );
        }
        find_checkout(&unpacked)?
    };
    if !checkout.join("labs").is_dir() {
        return Err("no labs/ folder: not a checkout of the course".to_owned());
    }
    crate::class_page::keep_sources(&checkout, student_dir)?;
    let grading = crate::grade::Grading {
        checkout: &checkout,
        slot: crate::compile::SlotKind::Submission,
        side: grader_core::protocol::Side::Lab,
        no_perf,
        require_sandbox,
    };
    let mut report = crate::grade::grade(&grading, labs)?;
    report.target = format!("submission {}", entry.student);
    Ok(report)
}

/// The folder holding `labs/`: the archive's top, or one folder down (a
/// repository download wraps the checkout in `NAME-main/`).
fn find_checkout(unpacked: &Path) -> Result<PathBuf, String> {
    if unpacked.join("labs").is_dir() {
        return Ok(unpacked.to_path_buf());
    }
    let inner: Vec<PathBuf> = fs::read_dir(unpacked)
        .map_err(|e| format!("cannot read the unpacked archive: {e}"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("labs").is_dir())
        .collect();
    match inner.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("the archive holds no labs/ folder: not a checkout of the course".to_owned()),
        _ => Err("the archive holds several checkouts; hand in one".to_owned()),
    }
}

/// Where an archive entry named `name` goes under `to`, or `None` for a
/// name that would leave it (absolute, or with `..`).
fn inside(to: &Path, name: &Path) -> Option<PathBuf> {
    let mut out = to.to_path_buf();
    for part in name.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (out != to).then_some(out)
}

/// Counts what an archive may still write.
struct Allowance {
    bytes: u64,
    entries: usize,
}

impl Allowance {
    fn new() -> Self {
        Self {
            bytes: MAX_ARCHIVE_BYTES,
            entries: MAX_ARCHIVE_ENTRIES,
        }
    }

    /// Writes `reader` to `path`, within what is left.
    fn write(&mut self, reader: &mut dyn Read, path: &Path) -> Result<(), String> {
        if self.entries == 0 {
            return Err(format!(
                "the archive has more than {MAX_ARCHIVE_ENTRIES} files; hand in the checkout without target/"
            ));
        }
        self.entries -= 1;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot unpack it: {e}"))?;
        }
        let mut file = fs::File::create(path).map_err(|e| format!("cannot unpack it: {e}"))?;
        let copied = std::io::copy(&mut reader.take(self.bytes + 1), &mut file)
            .map_err(|e| format!("the archive is damaged: {e}"))?;
        if copied > self.bytes {
            return Err(format!(
                "the archive unpacks to more than {} MiB; hand in the checkout without target/",
                MAX_ARCHIVE_BYTES >> 20
            ));
        }
        self.bytes -= copied;
        Ok(())
    }
}

/// Unpacks the regular files of a zip archive; links and names that would
/// leave `to` are skipped.
fn unzip(archive: &Path, to: &Path) -> Result<(), String> {
    let file = fs::File::open(archive).map_err(|e| format!("cannot open it: {e}"))?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut allowance = Allowance::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("the zip archive is damaged: {e}"))?;
        if !entry.is_file() || entry.is_symlink() {
            continue;
        }
        let Some(path) = entry.enclosed_name().and_then(|name| inside(to, &name)) else {
            continue;
        };
        allowance.write(&mut entry, &path)?;
    }
    Ok(())
}

/// Unpacks the regular files of a tar stream; links and names that would
/// leave `to` are skipped.
fn untar(stream: impl Read, to: &Path) -> Result<(), String> {
    let mut archive = tar::Archive::new(stream);
    let mut allowance = Allowance::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("the tar archive is damaged: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| format!("the tar archive is damaged: {e}"))?
            .into_owned();
        let Some(path) = inside(to, &name) else {
            continue;
        };
        allowance.write(&mut entry, &path)?;
    }
    Ok(())
}

/// Writes the student's JSON, Gradescope and text reports.
fn write_reports(out: &Path, student: &str, report: &Report) -> Result<(), String> {
    let dir = out.join(student);
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write("report.json", report.to_json())?;
    write("results.json", report.to_gradescope())?;
    write("report.txt", report.to_terminal(false))
}

/// The gradebook row of a graded submission; the status names the labs
/// that did not compile or were missing.
fn row_of(student: &str, report: &Report, labs: &[&'static Lab]) -> Row {
    let scores = labs
        .iter()
        .map(|lab| {
            report
                .labs
                .iter()
                .find(|l| l.name == lab.name)
                .map_or(0, |l| l.score)
        })
        .collect();
    let mut problems = Vec::new();
    for lab in &report.labs {
        let Some(first) = lab.checks.first() else {
            continue;
        };
        let message = &first.message;
        if message.starts_with("the submission does not compile")
            || message.starts_with(&format!("labs/{} does not compile", lab.name))
        {
            problems.push(format!("{}: does not compile", lab.name));
        } else if message.starts_with(&format!("labs/{} reaches outside", lab.name)) {
            problems.push(format!("{}: reaches outside src/", lab.name));
        } else if message.ends_with("is missing from the submission") {
            problems.push(format!("{}: missing", lab.name));
        }
    }
    Row {
        student: student.to_owned(),
        scores,
        total: report.score,
        max: report.max_score,
        status: if problems.is_empty() {
            "graded".to_owned()
        } else {
            format!("graded; {}", problems.join("; "))
        },
        flags: flag_summary(report),
    }
}

/// The row of a submission that could not be graded at all.
fn failed_row(student: &str, labs: &[&'static Lab], why: &str) -> Row {
    let max = labs
        .iter()
        .map(|lab| lab.checks.iter().map(|c| c.points).sum::<u32>())
        .sum();
    Row {
        student: student.to_owned(),
        scores: vec![0; labs.len()],
        total: 0,
        max,
        status: format!("not graded: {}", why.lines().next().unwrap_or(why)),
        flags: String::new(),
    }
}

/// A gradebook cell of flags: each `lab: what` once, in report order.
fn flag_summary(report: &Report) -> String {
    let mut seen: Vec<String> = Vec::new();
    for lab in &report.labs {
        for flag in &lab.flags {
            let what = flag
                .split_once(": ")
                .map_or(flag.as_str(), |(_, what)| what);
            let item = format!("{}: {what}", lab.name);
            if !seen.contains(&item) {
                seen.push(item);
            }
        }
    }
    seen.join("; ")
}

/// The CSV text: a header, then one row per student.
pub fn gradebook(rows: &[Row], labs: &[&'static Lab]) -> String {
    let mut out = String::from("student");
    for lab in labs {
        out.push(',');
        out.push_str(lab.name);
    }
    out.push_str(",total,max,status,flags\n");
    for row in rows {
        out.push_str(&csv_field(&row.student));
        for score in &row.scores {
            out.push_str(&format!(",{score}"));
        }
        out.push_str(&format!(
            ",{},{},{},{}\n",
            row.total,
            row.max,
            csv_field(&row.status),
            csv_field(&row.flags)
        ));
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break. A
/// leading `=`, `+`, `-` or `@` gets a `'` so a spreadsheet does not run it
/// as a formula: student names come from file names anyone can choose.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// What is done and what is left, on stderr: a bar redrawn in place on a
/// terminal, one line per submission otherwise.
struct Progress {
    state: Mutex<ProgressState>,
    total: usize,
    began: Instant,
    bar: bool,
}

struct ProgressState {
    running: usize,
    done: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let progress = Self {
            state: Mutex::new(ProgressState {
                running: 0,
                done: 0,
            }),
            total,
            began: Instant::now(),
            bar: std::io::stderr().is_terminal(),
        };
        progress.draw(None);
        progress
    }

    fn started(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).running += 1;
        self.draw(None);
    }

    fn finished(&self, row: &Row) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.running -= 1;
            state.done += 1;
        }
        self.draw(Some(row));
    }

    fn done(&self) {
        if self.bar {
            eprintln!();
        }
    }

    /// The time left, from the mean time per submission so far.
    fn left(&self, done: usize) -> String {
        if done == 0 {
            return "time left unknown until the first is graded".to_owned();
        }
        // Submissions finish at the rate they have so far, whatever the
        // number graded side by side.
        let left = self.began.elapsed() / done as u32 * (self.total - done) as u32;
        format!("about {} left", short(left))
    }

    fn draw(&self, row: Option<&Row>) {
        let (running, done) = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            (state.running, state.done)
        };
        let mut err = std::io::stderr().lock();
        if self.bar {
            let width = 30;
            let filled = width * done / self.total.max(1);
            let bar = format!(
                "[{}{}] {done}/{} graded, {running} running, {}",
                "#".repeat(filled),
                "-".repeat(width - filled),
                self.total,
                self.left(done)
            );
            // A finished submission gets a line of its own above the bar.
            if let Some(row) = row {
                let _ = writeln!(
                    err,
                    "\r\x1b[2K{}: {}/{} ({})",
                    row.student, row.total, row.max, row.status
                );
            }
            let _ = write!(err, "\r\x1b[2K{bar}");
        } else if let Some(row) = row {
            let _ = writeln!(
                err,
                "[{done}/{}] {}: {}/{} ({}); {}",
                self.total,
                row.student,
                row.total,
                row.max,
                row.status,
                self.left(done)
            );
        }
        let _ = err.flush();
    }
}

/// `1h 5m`, `3m 20s`, `45s`.
fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_folders_and_archives() {
        assert_eq!(student_name("alice"), "alice");
        assert_eq!(student_name("bob.tar.gz"), "bob");
        assert_eq!(student_name("carol.zip"), "carol");
        assert_eq!(student_name("dan.tgz"), "dan");
        assert_eq!(student_name(".zip"), ".zip");
    }

    #[test]
    fn the_output_folder_and_hidden_files_are_not_submissions() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["alice", "grades", ".git"] {
            fs::create_dir(dir.path().join(name)).unwrap();
        }
        fs::write(dir.path().join("bob.zip"), "").unwrap();
        let entries = list(dir.path(), &dir.path().join("grades")).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.student.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
    }

    #[test]
    fn archive_names_never_leave_the_folder() {
        let to = Path::new("/tmp/x");
        assert_eq!(
            inside(to, Path::new("a/b")),
            Some(PathBuf::from("/tmp/x/a/b"))
        );
        assert_eq!(
            inside(to, Path::new("./a")),
            Some(PathBuf::from("/tmp/x/a"))
        );
        assert_eq!(inside(to, Path::new("../a")), None);
        assert_eq!(inside(to, Path::new("a/../../b")), None);
        assert_eq!(inside(to, Path::new("/etc/passwd")), None);
        assert_eq!(inside(to, Path::new(".")), None);
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("alice"), "alice");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn a_bomb_stops_at_the_allowance() {
        let dir = tempfile::tempdir().unwrap();
        let mut allowance = Allowance {
            bytes: 10,
            entries: 2,
        };
        allowance
            .write(&mut &b"12345"[..], &dir.path().join("a"))
            .unwrap();
        let err = allowance
            .write(&mut std::io::repeat(b'x'), &dir.path().join("b"))
            .unwrap_err();
        assert!(err.contains("MiB"), "{err}");
        let err = allowance
            .write(&mut &b""[..], &dir.path().join("c"))
            .unwrap_err();
        assert!(err.contains("files"), "{err}");
    }
}
