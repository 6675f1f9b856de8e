//! The child side of the grader's isolation: a harness binary in child
//! mode runs the checks it is asked for and reports each on the result
//! pipe (see `grader_core::protocol`).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use grader_core::protocol::{CHILD_FLAG, Message, RESULT_FD, parse_request};

use crate::{Check, CheckResult, Outcome, Side, panic_message};

/// The index of the check running now, `usize::MAX` between checks.
static CURRENT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The catalogue index of the check running now, if any: what a check's
/// scratch resources (its database schema) are named after.
pub fn current_check() -> Option<usize> {
    Some(CURRENT.load(Ordering::Relaxed)).filter(|&i| i != usize::MAX)
}

/// `harness-LAB __run-suite SIDE`: the nonce and the indices of the checks
/// to run on stdin, results on file descriptor 3. `checks` builds the
/// lab's suite for a side. Returns the exit status.
pub fn main(args: &[String], checks: fn(Side) -> Vec<Check>) -> i32 {
    let side = match args {
        [flag, side] if flag == CHILD_FLAG => Side::parse(side),
        _ => None,
    };
    let Some(side) = side else {
        eprintln!(
            "this program is the grader's harness for one lab; run it through the grader: cargo run -p grader -- --help"
        );
        return 2;
    };
    let mut input = String::new();
    if std::io::stdin().read_to_string(&mut input).is_err() {
        return 2;
    }
    let (nonce, indices) = parse_request(&input);
    // SAFETY: the launcher set up descriptor 3 as the write end of the
    // result pipe, and nothing else in this process owns it.
    let mut out = unsafe { File::from_raw_fd(RESULT_FD) };
    let checks = checks(side);
    for i in indices {
        let Some(check) = checks.get(i) else { continue };
        if writeln!(out, "{}", Message::Start(i).to_line(&nonce)).is_err() {
            return 1;
        }
        CURRENT.store(i, Ordering::Relaxed);
        let outcome = panic::catch_unwind(AssertUnwindSafe(check.run))
            .unwrap_or_else(|payload| Outcome::fail(panic_message(payload.as_ref())));
        CURRENT.store(usize::MAX, Ordering::Relaxed);
        let result = CheckResult::grade(check.info, outcome);
        if writeln!(
            out,
            "{}",
            Message::Result(i, Box::new(result)).to_line(&nonce)
        )
        .is_err()
        {
            return 1;
        }
    }
    let _ = writeln!(out, "{}", Message::Done.to_line(&nonce));
    0
}
