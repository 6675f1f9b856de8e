//! The child side of the grader's isolation: a harness binary in child
//! mode runs the checks it is asked for and reports each on the result
//! pipe (see `grader_core::protocol`).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use grader_core::check::{RuleFailure, take_rule};
use grader_core::protocol::{CHILD_FLAG, Message, RESULT_FD, parse_request};

use crate::{Check, CheckResult, Kind, Outcome, Side, Status, panic_message};

/// Most rules a failed check reports: the first and two more.
const MAX_RULES: usize = 3;

/// The index of the check running now, `usize::MAX` between checks.
static CURRENT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The result pipe and the nonce its lines start with, once the child
/// has read its request: [`tick`] writes to it from inside a check.
static PIPE: Mutex<Option<(File, String)>> = Mutex::new(None);

/// Tells the launcher the running check made progress (a property
/// finished a case). A check that stops ticking for much longer than the
/// reference takes between two ticks is stopped early: a hang costs
/// seconds, not the check's whole deadline.
pub fn tick() {
    let Some(i) = current_check() else { return };
    let mut pipe = PIPE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((file, nonce)) = pipe.as_mut() {
        let _ = writeln!(file, "{}", Message::Tick(i).to_line(nonce));
    }
}

/// The catalogue index of the check running now, if any: what a check's
/// scratch resources (its database schema) are named after.
pub fn current_check() -> Option<usize> {
    Some(CURRENT.load(Ordering::Relaxed)).filter(|&i| i != usize::MAX)
}

/// Runs a check once; the rule its failure names (if any) and the outcome
/// with the rule's tag taken out of its message.
fn run_once(check: &Check) -> (Option<String>, Outcome) {
    let mut outcome = panic::catch_unwind(AssertUnwindSafe(check.run))
        .unwrap_or_else(|payload| Outcome::fail(panic_message(payload.as_ref())));
    let (rule, message) = take_rule(&outcome.message);
    outcome.message = message;
    (rule, outcome)
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
    if let Ok(copy) = out.try_clone() {
        *PIPE.lock().unwrap_or_else(PoisonError::into_inner) = Some((copy, nonce.clone()));
    }
    let checks = checks(side);
    for i in indices {
        let Some(check) = checks.get(i) else { continue };
        if writeln!(out, "{}", Message::Start(i).to_line(&nonce)).is_err() {
            return 1;
        }
        CURRENT.store(i, Ordering::Relaxed);
        crate::rules::set_aside_only(&[]);
        let (rule, outcome) = run_once(check);
        let failed = outcome.status == Status::Failed;
        let mut result = CheckResult::grade(check.info, outcome);
        result.rule = rule.clone();
        if writeln!(
            out,
            "{}",
            Message::Result(i, Box::new(result)).to_line(&nonce)
        )
        .is_err()
        {
            return 1;
        }
        // The first failure is reported; now look for other rules broken,
        // with those already found set aside. Database and perf checks are
        // not run twice.
        let again = failed && matches!(check.info.kind, Kind::Unit | Kind::Property);
        if let (true, Some(first)) = (again, rule) {
            let mut found = vec![first];
            while found.len() < MAX_RULES {
                crate::rules::set_aside_only(&found);
                let (rule, outcome) = run_once(check);
                let Some(rule) = rule.filter(|r| !found.contains(r)) else {
                    break;
                };
                if outcome.status != Status::Failed {
                    break;
                }
                let failure = RuleFailure {
                    rule: rule.clone(),
                    message: outcome.message,
                    counterexample: outcome.counterexample,
                    hint: None,
                };
                if writeln!(
                    out,
                    "{}",
                    Message::Also(i, Box::new(failure)).to_line(&nonce)
                )
                .is_err()
                {
                    return 1;
                }
                found.push(rule);
            }
            crate::rules::set_aside_only(&[]);
        }
        CURRENT.store(usize::MAX, Ordering::Relaxed);
    }
    let _ = writeln!(out, "{}", Message::Done.to_line(&nonce));
    0
}
