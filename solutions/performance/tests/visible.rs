//! Runs the lab's visible tests, unchanged, against the reference solution.

extern crate solution_performance as lab_performance;

#[path = "../../../labs/performance/tests/visible.rs"]
mod visible;
