//! Runs the lab's visible tests, unchanged, against the reference solution.

extern crate solution_server as lab_server;

#[path = "../../../labs/server/tests/visible.rs"]
mod visible;
