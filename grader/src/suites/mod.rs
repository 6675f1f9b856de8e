//! The hidden suites, one module per lab.
//!
//! A suite is built for one side: the learner's crate (`lab-*`) or the
//! reference (`solution-*`). Either way the reference is at hand, so checks
//! can compare against it in the same process.

use crate::check::Check;

/// Expands a suite's adapter macro once per side, as `Learner` over the
/// `lab-*` crates and `Reference` over the `solution-*` crates, and defines
/// the suite's `checks(side)`. The suite module provides `suite::<S>()`.
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
        pub fn checks(side: Side) -> Vec<Check> {
            match side {
                Side::Lab => suite::<Learner>(),
                Side::Solution => suite::<Reference>(),
            }
        }
    };
}

pub mod design;
pub mod errors;
pub mod performance;
pub mod security;
mod security_gen;
pub mod server;
pub mod server_proc;

/// Which crate a suite exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The learner's `lab-*` crates of this checkout.
    Lab,
    /// The reference `solution-*` crates.
    Solution,
}

impl Side {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Lab => "labs",
            Side::Solution => "solutions",
        }
    }
}

/// A lab the grader knows: its name and how to build its suite.
pub struct Lab {
    /// The lab's name, as in `labs/<name>`.
    pub name: &'static str,
    /// The suite, for one side.
    pub checks: fn(Side) -> Vec<Check>,
}

/// Every lab, in course order.
pub const LABS: &[Lab] = &[
    Lab {
        name: "security",
        checks: security::checks,
    },
    Lab {
        name: "errors",
        checks: errors::checks,
    },
    Lab {
        name: "performance",
        checks: performance::checks,
    },
    Lab {
        name: "design",
        checks: design::checks,
    },
    Lab {
        name: "server",
        checks: server::checks,
    },
];

/// A current-thread runtime with time and I/O, for checks that call async
/// lab code on real time (a database, say).
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    crate::db::runtime().expect("a runtime")
}

/// A paused current-thread runtime: virtual time, exact and instant.
pub(crate) fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a paused runtime")
}

/// Runs `checks` in this process and fails on any that does not pass: the
/// reference must pass its own suite, or the grader has a bug.
#[cfg(test)]
pub(crate) fn assert_all_pass(checks: Vec<Check>) {
    for check in checks {
        let outcome = (check.run)();
        assert_eq!(
            outcome.status,
            crate::check::Status::Passed,
            "{}: {outcome:?}",
            check.name
        );
    }
}

/// Finds a lab by name.
pub fn lab(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|lab| lab.name == name)
}
