//! Runs the lab's visible tests, unchanged, against the reference solution.

extern crate solution_security as lab_security;

#[path = "../../../labs/security/tests/visible.rs"]
mod visible;
