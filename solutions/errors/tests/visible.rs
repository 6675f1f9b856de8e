//! Runs the lab's visible tests, unchanged, against the reference solution.

extern crate solution_errors as lab_errors;

#[path = "../../../labs/errors/tests/visible.rs"]
mod visible;
