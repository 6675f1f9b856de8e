// LAB: stub
// //! Lab 2: error handling for an MCP server.
// //!
// //! Fill in every `todo!()`; the `// TODO:` notes beside each say what is
// //! asked. The types around them are given: keep their names and shapes,
// //! the tests and the grader use them. Run `cargo test -p lab-errors` for
// //! the visible tests and `cargo run -p grader -- --lab errors` for the
// //! full grade. The brief is in `labs/errors/README.md`.
// LAB: solution
//! Reference solution of lab 2: error handling for an MCP server.
// LAB: end
//!
//! A tool fails in many ways: bad input, a missing file, a refused query,
//! a slow database, a bug. The model on the other side can only act on
//! what it is told, so each failure becomes one structured, honest and
//! safe error:
//!
//! - [`code`]: the small set of error codes, and which are worth a retry;
//! - [`tool_error`]: the error a tool returns, its text form, and how it
//!   reaches an MCP client;
//! - [`convert`]: from the errors a tool really meets to a tool error;
//! - [`retry`]: retry with exponential backoff, jitter, a cap and a
//!   deadline;
//! - [`timeout`]: a deadline on a call, with the late work cancelled.

// LAB: stub
// // The stubs leave their parameters and the imports they will need unused
// // until you write the bodies; these allows keep the build quiet meanwhile.
// #![allow(unused_variables, unused_imports, dead_code, unused_mut)]
//
// LAB: end
pub mod code;
pub mod convert;
pub mod retry;
pub mod timeout;
pub mod tool_error;

pub use code::ErrorCode;
pub use tool_error::ToolError;
