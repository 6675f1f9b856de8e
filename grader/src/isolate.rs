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
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use std::sync::Arc;

use grader_core::protocol::{CHILD_FLAG, Message, RESULT_FD, Side, request};
use grader_core::{CheckInfo, CheckResult, Outcome};
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
    /// The lab's harness binary.
    pub harness: &'a Path,
    /// Which crate to grade.
    pub side: Side,
    /// The lab's checks, as the catalogue lists them (the child binds the
    /// same list).
    pub checks: &'a [CheckInfo],
    /// Indices of the checks to run; the others were decided in the parent.
    pub run: Vec<usize>,
    /// Extra environment for the child (the database URL, say); nothing
    /// else of this process's environment reaches it.
    pub env: Vec<(String, String)>,
    /// The child's own folder: its home, its temporary files.
    pub run_dir: &'a Path,
    /// The sandbox the child enters before any learner code runs.
    pub sandbox: Option<Arc<Prepared>>,
}

/// Runs `job` in isolated children, calling `progress` after each check.
/// Returns a result for every index in `job.run`.
pub fn run(
    job: &Job<'_>,
    progress: &mut dyn FnMut(&CheckResult),
) -> Result<BTreeMap<usize, CheckResult>, String> {
    let scale = timeout_scale();
    let mut graded = Graded {
        job,
        progress,
        results: BTreeMap::new(),
        pending: job.run.clone(),
    };
    while let Some(&first) = graded.pending.first() {
        let mut child = Spawned::start(job, &graded.pending)?;
        let mut current: Option<(usize, Instant)> = None;
        let startup = Instant::now() + STARTUP;
        loop {
            let deadline = current.map_or(startup, |(_, d)| d);
            let wait = deadline.saturating_duration_since(Instant::now());
            match child.messages.recv_timeout(wait) {
                Ok(Message::Start(i)) if graded.pending.contains(&i) => {
                    current = Some((i, Instant::now() + job.checks[i].deadline.mul_f64(scale)));
                }
                Ok(Message::Result(i, result)) if graded.pending.contains(&i) => {
                    let outcome = Outcome {
                        status: result.status,
                        message: cap(&result.message),
                        counterexample: result.counterexample.as_deref().map(cap),
                    };
                    graded.settle(i, outcome);
                    current = None;
                }
                Ok(Message::Start(_) | Message::Result(..)) => {}
                Ok(Message::Done) => {
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
                    child.kill();
                    match current {
                        Some((i, _)) => graded.settle(
                            i,
                            Outcome::timeout(format!(
                                "still running after {:.0} s, so it was stopped: look for an endless loop, a lock that is never released, or work that grows much faster than the input",
                                job.checks[i].deadline.mul_f64(scale).as_secs_f64()
                            )),
                        ),
                        None => graded.settle(
                            first,
                            Outcome::crashed(format!(
                                "the suite's process did not start within {} s",
                                STARTUP.as_secs()
                            )),
                        ),
                    }
                    break;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = child.finish();
                    let i = current.map_or(first, |(i, _)| i);
                    graded.settle(
                        i,
                        Outcome::crashed(describe_death(status, &child.stderr_tail())),
                    );
                    break;
                }
            }
        }
    }
    Ok(graded.results)
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

/// A running child and the channel its results arrive on.
struct Spawned {
    process: Child,
    messages: Receiver<Message>,
    stderr: File,
    reaped: Option<ExitStatus>,
}

impl Spawned {
    fn start(job: &Job<'_>, indices: &[usize]) -> Result<Self, String> {
        let (read_end, write_end) =
            pipe().map_err(|e| format!("cannot create the result pipe: {e}"))?;
        let stdout =
            tempfile::tempfile().map_err(|e| format!("cannot create a capture file: {e}"))?;
        let stderr =
            tempfile::tempfile().map_err(|e| format!("cannot create a capture file: {e}"))?;
        let nonce = nonce();
        let mut command = Command::new(job.harness);
        command
            .arg(CHILD_FLAG)
            .arg(job.side.as_str())
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr.try_clone().map_err(|e| e.to_string())?)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", job.run_dir)
            .env("TMPDIR", job.run_dir.join("tmp"))
            .env("LANG", "C.UTF-8")
            .env("RUST_BACKTRACE", "0")
            .envs(job.env.iter().map(|(k, v)| (k, v)))
            .current_dir(job.run_dir)
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
        if let Some(sandbox) = &job.sandbox {
            sandbox.configure(&mut command);
        }
        let mut process = command.spawn().map_err(|e| {
            let e = match &job.sandbox {
                Some(sandbox) => sandbox.explain(e),
                None => e,
            };
            format!(
                "cannot start the suite's process {}: {e}",
                job.harness.display()
            )
        })?;
        drop(write_end);
        if let Some(mut stdin) = process.stdin.take() {
            // A child that died at once is reported through the pipe's EOF.
            let _ = stdin.write_all(request(&nonce, indices).as_bytes());
        }
        let (tx, messages) = mpsc::channel();
        let reader = File::from(read_end);
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if let Some(message) = Message::parse(&line, &nonce)
                    && tx.send(message).is_err()
                {
                    break;
                }
            }
        });
        Ok(Self {
            process,
            messages,
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
