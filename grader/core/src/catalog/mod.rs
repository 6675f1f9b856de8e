//! The catalogue: every lab the grader knows, and each lab's checks.
//!
//! This is the one list of checks. The launcher reads it to validate the
//! command line, print hints, size reports and enforce deadlines; each
//! lab's harness binds its check functions to these entries by name, and
//! a harness whose functions and entries disagree fails its own tests.

use crate::check::CheckInfo;

pub mod design;
pub mod errors;
pub mod performance;
pub mod security;
pub mod server;

/// A lab the grader knows.
#[derive(Debug)]
pub struct LabInfo {
    /// The lab's name, as in `labs/<name>`.
    pub name: &'static str,
    /// The earlier labs its crate builds on, in course order.
    pub builds_on: &'static [&'static str],
    /// Its checks, in the order reports list them.
    pub checks: &'static [CheckInfo],
}

impl LabInfo {
    /// The points of every check.
    pub fn max_points(&self) -> u32 {
        self.checks.iter().map(|c| c.points).sum()
    }

    /// The check named `name`.
    pub fn check(&self, name: &str) -> Option<&'static CheckInfo> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Every lab, in course order (each builds only on labs before it).
pub const LABS: &[LabInfo] = &[
    LabInfo {
        name: "security",
        builds_on: &[],
        checks: security::CHECKS,
    },
    LabInfo {
        name: "errors",
        builds_on: &["security"],
        checks: errors::CHECKS,
    },
    LabInfo {
        name: "performance",
        builds_on: &["security", "errors"],
        checks: performance::CHECKS,
    },
    LabInfo {
        name: "design",
        builds_on: &["security", "errors"],
        checks: design::CHECKS,
    },
    LabInfo {
        name: "server",
        builds_on: &["security", "errors", "performance", "design"],
        checks: server::CHECKS,
    },
];

/// Finds a lab by name.
pub fn lab(name: &str) -> Option<&'static LabInfo> {
    LABS.iter().find(|lab| lab.name == name)
}

/// The labs' names, in course order.
pub fn names() -> Vec<&'static str> {
    LABS.iter().map(|l| l.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_labs_build_on_earlier_ones() {
        for (i, lab) in LABS.iter().enumerate() {
            for earlier in lab.builds_on {
                let at = LABS.iter().position(|l| l.name == *earlier);
                assert!(
                    at.is_some_and(|at| at < i),
                    "{} builds on {earlier}",
                    lab.name
                );
            }
            let mut names: Vec<&str> = lab.checks.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                lab.checks.len(),
                "{}: duplicate check names",
                lab.name
            );
            assert!(lab.max_points() > 0);
        }
    }
}
