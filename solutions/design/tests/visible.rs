//! Runs the lab's visible tests, unchanged, against the reference solution.

extern crate solution_design as lab_design;

#[path = "../../../labs/design/tests/visible.rs"]
mod visible;
