//! What the grader's launcher and its harnesses share.
//!
//! The launcher (`grader`) never links a lab: it reads the [`catalog`] of
//! checks to know what will be graded, starts each lab's harness binary in
//! an isolated child, and reads results in the [`protocol`]'s line format.
//! A harness (`harness-<lab>`) links the learner's lab and the reference,
//! runs the checks, and reports [`check::CheckResult`]s.

pub mod catalog;
pub mod check;
pub mod protocol;

pub use catalog::{LABS, LabInfo};
pub use check::{CheckInfo, CheckResult, Kind, Outcome, Status};
pub use protocol::Side;
