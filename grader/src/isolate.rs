//! Isolation: each lab's suite runs in a child process.
//!
//! The child is the lab's harness binary (`harness-LAB __run-suite SIDE`),
//! built around the learner's code; this process never links that code.
//! The child runs the checks it is given, one after another, and reports
//! on a dedicated pipe (file descriptor 3), each line tagged with a nonce
//! the parent passed on stdin (see `grader_core::protocol`).
//! Its stdout and stderr go to files, kept only as diagnostics, so nothing
//! a lab prints can forge a result.
//!
//! The parent enforces a wall-clock deadline per check and kills the
//! child's whole process group when it passes. The child runs under
//! rlimits: address space, CPU time, file size, no core dumps. A hang, an
//! abort, a stack overflow, running out of memory or a call to `exit` costs
//! the check that was running; the parent restarts the child after it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use grader_core::protocol::{CHILD_FLAG, Message, RESULT_FD, Side, request};
use grader_core::{CheckInfo, CheckResult, Kind, Outcome, Status};
use grader_sandbox::Prepared;

/// Most bytes of a message or counterexample taken from a child: learner
/// code can put anything in a panic message.
const MAX_TEXT: usize = 4096;

/// How long a fresh child may take before it starts its first check.
const STARTUP: Duration = Duration::from_secs(30);

/// Multiplies every check's deadline: `GRADER_TIMEOUT_SCALE=2` for a slow
/// machine. Must be a positive number; anything else counts as 1.
pub const TIMEOUT_SCALE: &str = "GRADER_TIMEOUT_SCALE";

fn timeout_scale() -> f64 {
    std::env::var(TIMEOUT_SCALE)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0)
}

/// Resource limits of a child, per process.
const ADDRESS_SPACE: u64 = 8 << 30;
const CPU_SECONDS: u64 = 900;
const FILE_SIZE: u64 = 256 << 20;

/// What the child is asked to do.
pub struct Job<'a> {
    /// The lab, for the reference times kept across gradings.
    pub lab: &'static str,
    /// The lab's harness binary.
    pub harness: &'a Path,
    /// Which crate to grade.
    pub side: Side,
    /// The lab's checks, as the catalogue lists them (the child binds the
    /// same list).
    pub checks: &'a [CheckInfo],
    /// Indices of the checks to run; the others were decided in the parent.
    pub run: Vec<usize>,
    /// How a child is started: its environment, folder and sandbox.
    pub setup: Setup,
    /// How a child that times the reference is started: its own folder,
    /// database role and sandbox, so it never shares the learner's. `None`
    /// keeps every check at its fixed deadline.
    pub reference: Option<Setup>,
}

/// How to start a child.
#[derive(Clone)]
pub struct Setup {
    /// Extra environment for the child (the database URL, say); nothing
    /// else of this process's environment reaches it.
    pub env: Vec<(String, String)>,
    /// The child's own folder: its home, its temporary files.
    pub run_dir: PathBuf,
    /// The sandbox the child enters before any learner code runs.
    pub sandbox: Option<Arc<Prepared>>,
}

/// A check may run this long before the reference is timed for it; and
/// the margin every deadline derived from the reference gets on top of
/// its multiple of the reference's time.
const SOFT: Duration = Duration::from_secs(1);
/// How many times the reference's time a check (or a step of it) may take,
/// on top of [`SOFT`].
const TIMES_REFERENCE: u32 = 20;
/// For a perf check, whose criterion run takes about as long whatever the
/// speed of what it measures (it adjusts the iterations), fewer.
const TIMES_REFERENCE_PERF: u32 = 5;

/// The reference's time for each (lab, check) timed in this process: a
/// class is graded against one measurement.
static REFERENCE_TIMES: Mutex<BTreeMap<(&'static str, usize), Timed>> = Mutex::new(BTreeMap::new());

/// How long the reference took on a check.
#[derive(Debug, Clone, Copy)]
struct Timed {
    /// From start to result.
    total: Duration,
    /// The longest stretch without progress (between the start, each tick
    /// and the result), for a check that ticks.
    longest_gap: Option<Duration>,
    /// From the start to the first tick, for a check that ticks: its first
    /// step (a first generated case, a first call), the one a function
    /// that hangs never finishes.
    first_gap: Option<Duration>,
}

fn reference_time(lab: &'static str, i: usize) -> Option<Timed> {
    REFERENCE_TIMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(lab, i))
        .copied()
}

/// What arrives while a child runs.
enum Event {
    /// A message from the child of this generation.
    Child(u64, Message),
    /// The child of this generation closed its result pipe.
    Gone(u64),
    /// The reference's time for this check, or `None` if it could not be
    /// timed.
    Reference(usize, Option<Timed>),
}

/// Where the check that is running stands.
struct Running {
    i: usize,
    kind: Kind,
    started: Instant,
    deadline: Instant,
    /// When to time the reference, if it is not known yet.
    soft: Option<Instant>,
    /// The reference's time, once known.
    reference: Option<Timed>,
    /// The last sign of progress (the start, or a tick).
    progress: Instant,
    /// Whether the check has ticked yet.
    ticked: bool,
}

/// Runs `job` in isolated children, calling `progress` after each check.
/// Returns a result for every index in `job.run`.
///
/// Each check gets its fixed deadline (`QUICK`, `PROPERTY`, `PERF`), and,
/// once the reference's time for it is known, a shorter one derived from
/// it: for a check that ticks (a property after each case, a unit check
/// after each step), 1 s plus 20 times what the reference takes for the
/// first step, then 1 s plus 20 times its longest stretch between ticks;
/// for one that does not, 1 s plus 20 times its whole time. A lab that
/// hangs costs a second or two per check, not minutes, and code that is
/// slow but keeps moving is judged on its answers. The reference is timed
/// only for a check still running after 1 s, in a child of its own, and
/// kept for the rest of this process.
pub fn run(
    job: &Job<'_>,
    progress: &mut dyn FnMut(&CheckResult),
) -> Result<BTreeMap<usize, CheckResult>, String> {
    let scale = timeout_scale();
    let (events, inbox) = mpsc::channel();
    let mut graded = Graded {
        job,
        progress,
        results: BTreeMap::new(),
        pending: job.run.clone(),
    };
    let mut generation = 0;
    let mut timing_started = false;
    while let Some(&first) = graded.pending.first() {
        generation += 1;
        let mut child = Spawned::start(
            job.harness,
            job.side,
            &job.setup,
            &graded.pending,
            generation,
            events.clone(),
        )?;
        let mut current: Option<Running> = None;
        // After a result: how long the child may still look for other
        // rules the check breaks.
        let mut extras: Option<(usize, Instant)> = None;
        let startup = Instant::now() + STARTUP;
        loop {
            let wake = match (&current, &extras) {
                (Some(run), _) => {
                    let deadline = run.effective_deadline(scale);
                    run.soft.map_or(deadline, |s| s.min(deadline))
                }
                (None, Some((_, until))) => *until,
                (None, None) => startup,
            };
            let event = inbox.recv_timeout(wake.saturating_duration_since(Instant::now()));
            match event {
                Ok(Event::Child(g, _) | Event::Gone(g)) if g != generation => {}
                Ok(Event::Child(_, Message::Start(i))) if graded.pending.contains(&i) => {
                    extras = None;
                    let info = &job.checks[i];
                    let started = Instant::now();
                    let fixed = started + info.deadline.mul_f64(scale);
                    let mut running = Running {
                        i,
                        kind: info.kind,
                        started,
                        deadline: fixed,
                        soft: None,
                        reference: None,
                        progress: started,
                        ticked: false,
                    };
                    if let Some(reference) = reference_time(job.lab, i) {
                        running.set_reference(reference, scale);
                    } else if job.reference.is_some() {
                        running.soft = Some(started + SOFT.mul_f64(scale));
                    }
                    current = Some(running);
                }
                Ok(Event::Child(_, Message::Result(i, result))) if graded.pending.contains(&i) => {
                    let outcome = Outcome {
                        status: result.status,
                        message: cap(&result.message),
                        counterexample: result.counterexample.as_deref().map(cap),
                    };
                    let mut graded_result = CheckResult::grade(&job.checks[i], outcome);
                    if let Some(rule) = &result.rule {
                        graded_result.name_rule(&job.checks[i], rule);
                    }
                    let took = current
                        .as_ref()
                        .map_or(Duration::ZERO, |r| r.started.elapsed());
                    graded.record(i, graded_result);
                    current = None;
                    extras = Some((i, Instant::now() + EXTRAS.max(took * 3).mul_f64(scale)));
                }
                Ok(Event::Child(_, Message::Tick(i))) => {
                    if let Some(run) = current.as_mut().filter(|r| r.i == i) {
                        run.progress = Instant::now();
                        run.ticked = true;
                    }
                }
                Ok(Event::Child(_, Message::Also(i, failure))) => {
                    if let Some(result) = graded.results.get_mut(&i)
                        && result.also.len() < 2
                    {
                        let outcome = Outcome::fail(cap(&failure.message));
                        let outcome = match failure.counterexample.as_deref() {
                            Some(c) => outcome.with_counterexample(cap(c)),
                            None => outcome,
                        };
                        result.add_broken(&job.checks[i], &failure.rule, outcome);
                    }
                }
                Ok(Event::Child(_, Message::Start(_) | Message::Result(..))) => {}
                Ok(Event::Reference(i, time)) => {
                    if let Some(time) = time {
                        REFERENCE_TIMES
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert((job.lab, i), time);
                        if let Some(run) = current.as_mut().filter(|r| r.i == i) {
                            run.set_reference(time, scale);
                        }
                    }
                }
                Ok(Event::Child(_, Message::Done)) => {
                    child.finish();
                    // A child that says it is done with checks left has
                    // skipped them: count them as crashed, not silently.
                    for i in graded.pending.clone() {
                        graded.settle(
                            i,
                            Outcome::crashed(
                                "the suite's process ended without running this check",
                            ),
                        );
                    }
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(run) = current.as_mut()
                        && let Some(soft) = run.soft
                        && Instant::now() >= soft
                        && Instant::now() < run.effective_deadline(scale)
                    {
                        // Still running: time the reference, this check
                        // first, then every other one not timed yet.
                        run.soft = None;
                        if !timing_started && let Some(setup) = &job.reference {
                            timing_started = true;
                            let mut order = vec![run.i];
                            order.extend(
                                graded.pending.iter().copied().filter(|&p| {
                                    p != run.i && reference_time(job.lab, p).is_none()
                                }),
                            );
                            time_references(job, setup.clone(), order, events.clone());
                        }
                        continue;
                    }
                    child.kill();
                    match (current, extras) {
                        (Some(run), _) => {
                            let took = run.started.elapsed();
                            let stalled = run.stalled(scale);
                            let reference = match (run.reference, stalled) {
                                (Some(r), true) if !run.ticked => format!(
                                    "; it did not finish its first step, which takes the reference {}",
                                    short(r.first_gap.unwrap_or(r.total))
                                ),
                                (Some(r), true) => format!(
                                    "; it made no progress for {}, where the reference never goes {} without",
                                    short(run.progress.elapsed()),
                                    short(r.longest_gap.unwrap_or(r.total))
                                ),
                                (Some(r), false) => {
                                    format!("; the reference takes {}", short(r.total))
                                }
                                (None, _) => String::new(),
                            };
                            graded.settle(
                                run.i,
                                Outcome::timeout(format!(
                                    "timed out after {}{reference}, so it was stopped: look for an endless loop, a lock that is never released, or work that grows much faster than the input",
                                    short(took)
                                )),
                            );
                        }
                        // The child was looking for more broken rules and
                        // took too long: what it found is kept.
                        (None, Some(_)) => {}
                        (None, None) => graded.settle(
                            first,
                            Outcome::crashed(format!(
                                "the suite's process did not start within {} s",
                                STARTUP.as_secs()
                            )),
                        ),
                    }
                    break;
                }
                Ok(Event::Gone(_)) | Err(RecvTimeoutError::Disconnected) => {
                    let status = child.finish();
                    if let Some(run) = current {
                        graded.settle(
                            run.i,
                            Outcome::crashed(describe_death(status, &child.stderr_tail())),
                        );
                    } else if extras.is_none() {
                        graded.settle(
                            first,
                            Outcome::crashed(describe_death(status, &child.stderr_tail())),
                        );
                    }
                    break;
                }
            }
        }
    }
    Ok(graded.results)
}

/// How long a child may look for more broken rules after a failure, at
/// least.
const EXTRAS: Duration = Duration::from_secs(3);

impl Running {
    /// How many times the reference's time a check may take.
    fn times(&self) -> u32 {
        if self.kind == Kind::Perf {
            TIMES_REFERENCE_PERF
        } else {
            TIMES_REFERENCE
        }
    }

    /// The deadline once the reference's time is known: 1 s plus 20 times
    /// it, if that comes before the fixed one. A check that ticks keeps its
    /// fixed deadline and is judged on its progress instead: code that is
    /// slow but keeps going (a regex compiled per call) is not cut for its
    /// total, only code that stops moving.
    fn set_reference(&mut self, reference: Timed, scale: f64) {
        self.reference = Some(reference);
        self.soft = None;
        if reference.longest_gap.is_none() {
            let derived = self.started + (SOFT + reference.total * self.times()).mul_f64(scale);
            self.deadline = self.deadline.min(derived);
        }
    }

    /// When the check must stop for making no progress: 1 s plus 20 times
    /// what the reference takes for its first step, until the first tick;
    /// after that, 1 s plus 20 times its longest stretch without a tick,
    /// from the last one.
    fn progress_deadline(&self, scale: f64) -> Option<Instant> {
        let reference = self.reference?;
        let gap = if self.ticked {
            reference.longest_gap?
        } else {
            reference.first_gap?
        };
        Some(self.progress + (SOFT + gap * self.times()).mul_f64(scale))
    }

    /// Whether it is stopped for making no progress, rather than for time.
    fn stalled(&self, scale: f64) -> bool {
        self.progress_deadline(scale)
            .is_some_and(|p| p < self.deadline && Instant::now() >= p)
    }

    /// The earlier of the deadline and the progress deadline.
    fn effective_deadline(&self, scale: f64) -> Instant {
        self.progress_deadline(scale)
            .map_or(self.deadline, |p| p.min(self.deadline))
    }
}

/// A duration as a reader wants it: `12 ms`, `2.3 s`.
fn short(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis().max(1))
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Times the reference's run of each check in `order` in a child of its
/// own, on a thread; each time arrives as an [`Event::Reference`] as soon
/// as it is known. Started once per lab run, when a first check is slow:
/// the checks after it then get their deadline as they start.
fn time_references(job: &Job<'_>, setup: Setup, order: Vec<usize>, events: Sender<Event>) {
    let harness = job.harness.to_path_buf();
    let scale = timeout_scale();
    let deadlines: Vec<Duration> = job
        .checks
        .iter()
        .map(|c| c.deadline.mul_f64(scale))
        .collect();
    std::thread::spawn(move || {
        let mut left = order;
        while !left.is_empty() {
            let (tx, rx) = mpsc::channel();
            let Ok(mut child) = Spawned::start(&harness, Side::Solution, &setup, &left, 0, tx)
            else {
                break;
            };
            // The check running, when it started, its last sign of
            // progress, its longest gap so far, and its first tick's time
            // from the start, once it ticked.
            let mut current: Option<(usize, Instant, Instant, Duration, Option<Duration>)> = None;
            let startup = Instant::now() + STARTUP;
            loop {
                let end = current.map_or(startup, |(i, s, ..)| s + deadlines[i]);
                match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
                    Ok(Event::Child(_, Message::Start(i))) => {
                        let now = Instant::now();
                        current = Some((i, now, now, Duration::ZERO, None));
                    }
                    Ok(Event::Child(_, Message::Tick(i))) => {
                        if let Some((c, started, last, gap, first)) = current.as_mut()
                            && *c == i
                        {
                            *gap = (*gap).max(last.elapsed());
                            *last = Instant::now();
                            first.get_or_insert_with(|| started.elapsed());
                        }
                    }
                    Ok(Event::Child(_, Message::Result(i, result))) => {
                        let time = current
                            .filter(|(c, ..)| *c == i && result.status == Status::Passed)
                            .map(|(_, started, last, gap, first)| Timed {
                                total: started.elapsed(),
                                longest_gap: first.map(|_| gap.max(last.elapsed())),
                                first_gap: first,
                            });
                        left.retain(|&l| l != i);
                        current = None;
                        if events.send(Event::Reference(i, time)).is_err() {
                            child.kill();
                            return;
                        }
                    }
                    Ok(Event::Child(_, Message::Done)) => break,
                    Ok(Event::Child(..)) => {}
                    // A reference check that does not finish (it should):
                    // that one keeps its fixed deadline.
                    _ => {
                        if let Some((i, ..)) = current {
                            left.retain(|&l| l != i);
                            let _ = events.send(Event::Reference(i, None));
                        } else {
                            left.clear();
                        }
                        break;
                    }
                }
            }
            child.kill();
        }
    });
}

/// The results gathered so far, and the checks still to run.
struct Graded<'a, 'p> {
    job: &'a Job<'a>,
    progress: &'p mut dyn FnMut(&CheckResult),
    results: BTreeMap<usize, CheckResult>,
    pending: Vec<usize>,
}

impl Graded<'_, '_> {
    /// Grades check `i` with an outcome decided here, in the parent.
    fn settle(&mut self, i: usize, outcome: Outcome) {
        let result = CheckResult::grade(&self.job.checks[i], outcome);
        self.record(i, result);
    }

    /// Keeps the result of check `i`; it will not run again.
    fn record(&mut self, i: usize, result: CheckResult) {
        (self.progress)(&result);
        self.results.insert(i, result);
        self.pending.retain(|&p| p != i);
    }
}

/// `text` cut to [`MAX_TEXT`] bytes, saying so.
fn cap(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[... {} more bytes not shown]",
        &text[..end],
        text.len() - end
    )
}

/// Says how a child died, for the learner.
fn describe_death(status: Option<ExitStatus>, stderr: &str) -> String {
    let how = match status {
        Some(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!(
                "the process exited with status {code} in the middle of this check; lab code must return errors, never call std::process::exit"
            ),
            (None, Some(sig)) => format!(
                "the process was killed by signal {sig} ({})",
                signal_name(sig)
            ),
            _ => "the process ended abnormally".to_owned(),
        },
        None => "the process could not be waited for".to_owned(),
    };
    let hint = if stderr.contains("overflowed its stack") {
        ": a stack overflow, look for unbounded recursion"
    } else if stderr.contains("memory allocation") {
        ": it ran out of memory, look for a collection that grows without bound"
    } else {
        ""
    };
    let tail = stderr.trim();
    if tail.is_empty() {
        format!("{how}{hint}")
    } else {
        format!("{how}{hint}\nlast output:\n{tail}")
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => {
            "SIGABRT: aborted, as on a stack overflow, a failed allocation or a panic while panicking"
        }
        // The sandbox hides /proc, where Rust finds the main thread's stack
        // guard, so an overflow there ends in a bare SIGSEGV; in safe code
        // nothing else does.
        libc::SIGSEGV => {
            "SIGSEGV: invalid memory access; in safe Rust that is a stack overflow: look for unbounded recursion"
        }
        libc::SIGKILL => "SIGKILL: killed, as on running out of memory",
        libc::SIGXCPU => "SIGXCPU: CPU time limit exceeded",
        libc::SIGXFSZ => "SIGXFSZ: file size limit exceeded",
        libc::SIGBUS => "SIGBUS: bus error",
        libc::SIGFPE => "SIGFPE: arithmetic fault",
        _ => "a signal",
    }
}

/// A running child.
struct Spawned {
    process: Child,
    stderr: File,
    reaped: Option<ExitStatus>,
}

impl Spawned {
    /// Starts `harness` on `side` for the checks `indices`; its messages
    /// arrive on `events`, tagged with `generation`.
    fn start(
        harness: &Path,
        side: Side,
        setup: &Setup,
        indices: &[usize],
        generation: u64,
        events: Sender<Event>,
    ) -> Result<Self, String> {
        let (read_end, write_end) =
            pipe().map_err(|e| format!("cannot create the result pipe: {e}"))?;
        let stdout =
            tempfile::tempfile().map_err(|e| format!("cannot create a capture file: {e}"))?;
        let stderr =
            tempfile::tempfile().map_err(|e| format!("cannot create a capture file: {e}"))?;
        let nonce = nonce();
        let mut command = Command::new(harness);
        command
            .arg(CHILD_FLAG)
            .arg(side.as_str())
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr.try_clone().map_err(|e| e.to_string())?)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &setup.run_dir)
            .env("TMPDIR", setup.run_dir.join("tmp"))
            .env("LANG", "C.UTF-8")
            .env("RUST_BACKTRACE", "0")
            .envs(setup.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&setup.run_dir)
            .process_group(0);
        let write_fd = {
            use std::os::fd::AsRawFd;
            write_end.as_raw_fd()
        };
        // SAFETY: between fork and exec only async-signal-safe calls are
        // made: dup2 and setrlimit.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(write_fd, RESULT_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                limit(libc::RLIMIT_AS, ADDRESS_SPACE, ADDRESS_SPACE);
                limit(libc::RLIMIT_CPU, CPU_SECONDS, CPU_SECONDS + 30);
                limit(libc::RLIMIT_FSIZE, FILE_SIZE, FILE_SIZE);
                limit(libc::RLIMIT_CORE, 0, 0);
                Ok(())
            });
        }
        // Then the sandbox, last before exec: nothing of the lab has run yet.
        // (Its ruleset descriptor sits above RESULT_FD, so the dup2 above
        // cannot replace it.)
        if let Some(sandbox) = &setup.sandbox {
            sandbox.configure(&mut command);
        }
        let mut process = command.spawn().map_err(|e| {
            let e = match &setup.sandbox {
                Some(sandbox) => sandbox.explain(e),
                None => e,
            };
            format!(
                "cannot start the suite's process {}: {e}",
                harness.display()
            )
        })?;
        drop(write_end);
        if let Some(mut stdin) = process.stdin.take() {
            // A child that died at once is reported through the pipe's EOF.
            let _ = stdin.write_all(request(&nonce, indices).as_bytes());
        }
        let reader = File::from(read_end);
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if let Some(message) = Message::parse(&line, &nonce)
                    && events.send(Event::Child(generation, message)).is_err()
                {
                    return;
                }
            }
            let _ = events.send(Event::Gone(generation));
        });
        Ok(Self {
            process,
            stderr,
            reaped: None,
        })
    }

    /// Kills the whole process group (the child and anything it started).
    fn kill(&mut self) {
        kill_group(self.process.id());
        self.reaped = self.process.wait().ok();
    }

    /// Waits for the child, then removes anything it left behind.
    fn finish(&mut self) -> Option<ExitStatus> {
        if self.reaped.is_none() {
            self.reaped = self.process.wait().ok();
        }
        kill_group(self.process.id());
        self.reaped
    }

    /// The last lines the child wrote to stderr.
    fn stderr_tail(&mut self) -> String {
        let mut text = String::new();
        let len = self.stderr.seek(SeekFrom::End(0)).unwrap_or(0);
        let _ = self.stderr.seek(SeekFrom::Start(len.saturating_sub(2048)));
        let _ = self.stderr.read_to_string(&mut text);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(6)..].join("\n")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            self.kill();
        }
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: a plain syscall; a group that is already gone gives ESRCH.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) {
    let rl = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit is async-signal-safe; a failure leaves the old limit.
    unsafe {
        libc::setrlimit(resource, &rl);
    }
}

/// A pipe whose ends close on exec (the child gets a copy through dup2).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// 128 random bits, hex.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    if File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_err()
    {
        use std::hash::{BuildHasher, RandomState};
        let a = RandomState::new().hash_one(Instant::now());
        let b = RandomState::new().hash_one(std::process::id());
        bytes[..8].copy_from_slice(&a.to_le_bytes());
        bytes[8..].copy_from_slice(&b.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use grader_core::check::{PERF, PROPERTY, QUICK};

    const MS: Duration = Duration::from_millis(1);

    fn running(kind: Kind, fixed: Duration) -> Running {
        let started = Instant::now();
        Running {
            i: 0,
            kind,
            started,
            deadline: started + fixed,
            soft: None,
            reference: None,
            progress: started,
            ticked: false,
        }
    }

    #[test]
    fn a_check_that_does_not_tick_gets_a_multiple_of_the_reference_total() {
        let reference = Timed {
            total: 10 * MS,
            longest_gap: None,
            first_gap: None,
        };
        let mut run = running(Kind::Unit, QUICK);
        run.set_reference(reference, 1.0);
        assert_eq!(run.effective_deadline(1.0) - run.started, SOFT + 200 * MS);
        // Scaled for a slow machine.
        let mut run = running(Kind::Unit, QUICK);
        run.set_reference(reference, 3.0);
        assert_eq!(
            run.effective_deadline(3.0) - run.started,
            (SOFT + 200 * MS) * 3
        );
    }

    #[test]
    fn a_ticking_check_is_judged_on_its_first_step_then_on_its_gaps() {
        let mut run = running(Kind::Property, PROPERTY);
        run.set_reference(
            Timed {
                total: 5_000 * MS,
                longest_gap: Some(30 * MS),
                first_gap: Some(2 * MS),
            },
            1.0,
        );
        // No deadline from the total: slow but moving is allowed.
        assert_eq!(run.deadline - run.started, PROPERTY);
        // Before the first tick: the reference's first step.
        assert_eq!(run.effective_deadline(1.0) - run.started, SOFT + 40 * MS);
        // After a tick: the longest gap, from that tick.
        run.ticked = true;
        run.progress = run.started + 3 * SOFT;
        assert_eq!(run.effective_deadline(1.0) - run.progress, SOFT + 600 * MS);
    }

    #[test]
    fn a_perf_check_gets_five_times_the_reference() {
        let mut run = running(Kind::Perf, PERF);
        run.set_reference(
            Timed {
                total: 2_000 * MS,
                longest_gap: Some(1_000 * MS),
                first_gap: Some(100 * MS),
            },
            1.0,
        );
        assert_eq!(run.effective_deadline(1.0) - run.started, SOFT + 500 * MS);
    }

    #[test]
    fn the_fixed_deadline_caps_the_derived_one() {
        let mut run = running(Kind::Unit, Duration::from_millis(500));
        run.set_reference(
            Timed {
                total: 10_000 * MS,
                longest_gap: None,
                first_gap: None,
            },
            1.0,
        );
        assert_eq!(run.effective_deadline(1.0) - run.started, 500 * MS);
    }
}
