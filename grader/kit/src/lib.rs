//! What the hidden suites are written with.
//!
//! A lab's harness (`harness-<lab>`) is a small binary: its suite, written
//! once and generic over the lab's API, expanded for the learner's crate
//! and for the reference with [`both_sides!`], bound to the catalogue's
//! entries with [`bind`], and run by [`child::main`] in the isolated child
//! the launcher starts. The tools a suite uses: [`prop`] for properties
//! with a shrunk counterexample, [`perf`] for time ratios against the
//! reference, [`db`] for scratch schemas, [`clock`] for a clock the suite
//! moves, [`security_gen`] for generated SQL and secrets.

pub mod child;
pub mod clock;
pub mod db;
pub mod perf;
pub mod prop;
pub mod rules;
pub mod security_gen;

pub use grader_core::check::{
    CheckInfo, CheckResult, Kind, Outcome, PERF, PROPERTY, QUICK, Status, panic_message, unit,
};
pub use grader_core::protocol::Side;
pub use grader_core::{catalog, check};

/// A check ready to run: its catalogue entry and its code.
#[derive(Clone)]
pub struct Check {
    /// What the catalogue says of it.
    pub info: &'static CheckInfo,
    /// The check itself. Panics are caught and count as a failure.
    pub run: fn() -> Outcome,
}

/// A check's name and the function that runs it, as a suite lists them.
pub type Named<'a> = (&'a str, fn() -> Outcome);

/// Pairs each catalogue entry of `lab` with its function, in catalogue
/// order. Panics when a name is missing on either side: the suite and the
/// catalogue must list the same checks (every harness's tests call this).
pub fn bind(lab: &str, runs: &[Named<'_>]) -> Vec<Check> {
    let info = catalog::lab(lab).unwrap_or_else(|| panic!("no lab {lab} in the catalogue"));
    for (name, _) in runs {
        assert!(
            info.check(name).is_some(),
            "the {lab} suite has a check `{name}` that the catalogue (grader/core/src/catalog) does not list"
        );
    }
    info.checks
        .iter()
        .map(|entry| {
            let run = runs
                .iter()
                .find(|(name, _)| *name == entry.name)
                .unwrap_or_else(|| {
                    panic!(
                        "the catalogue lists `{}` for {lab}, but its suite has no such check",
                        entry.name
                    )
                })
                .1;
            Check { info: entry, run }
        })
        .collect()
}

/// Expands a suite's adapter macro once per side, as `Learner` over the
/// `lab-*` crates and `Reference` over the `solution-*` crates, and defines
/// the suite's `checks(side)`. The suite module provides `suite::<S>()`.
#[macro_export]
macro_rules! both_sides {
    ($adapter:ident, [$($lab:ident),+], [$($solution:ident),+]) => {
        mod learner {
            use super::*;
            $adapter!(Learner, $($lab),+);
        }

        mod reference {
            use super::*;
            $adapter!(Reference, $($solution),+);
        }

        pub use learner::Learner;
        pub use reference::Reference;

        /// The suite for one side.
        pub fn checks(side: $crate::Side) -> Vec<$crate::Check> {
            match side {
                $crate::Side::Lab => suite::<Learner>(),
                $crate::Side::Solution => suite::<Reference>(),
            }
        }
    };
}

/// Runs `f`, turning a panic into `Err` with its message, so a check can
/// say which call panicked and on what input; except `todo!()`, which goes
/// on unwinding, so the report says "not implemented: NAME" as for any
/// unwritten function.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        let message = panic_message(payload.as_ref());
        if message.starts_with("not implemented") {
            std::panic::resume_unwind(payload)
        }
        message
    })
}

/// A current-thread runtime with time and I/O, for checks that call async
/// lab code on real time (a database, say).
pub fn runtime() -> tokio::runtime::Runtime {
    db::runtime().expect("a runtime")
}

/// A paused current-thread runtime: virtual time, exact and instant.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a paused runtime")
}

/// Runs `checks` in this process and fails on any that does not pass: the
/// reference must pass its own suite, or the grader has a bug.
pub fn assert_all_pass(checks: Vec<Check>) {
    for check in checks {
        let outcome = (check.run)();
        assert_eq!(
            outcome.status,
            Status::Passed,
            "{}: {outcome:?}",
            check.info.name
        );
    }
}
