// LAB: stub
// //! Lab 1: security patterns for an MCP server.
// //!
// //! Fill in every `todo!()`; the `// TODO:` notes beside each say what is
// //! asked. The types around them are given: keep their names and shapes,
// //! the tests and the grader use them. Run `cargo test -p lab-security` for
// //! the visible tests and `cargo run -p grader -- --lab security` for the
// //! full grade. The brief is in `labs/security/README.md`.
// LAB: solution
//! Reference solution of lab 1: security patterns for an MCP server.
// LAB: end
//!
//! A model's tool call is untrusted input: a prompt injection can put any
//! text in any argument. Each module here is one line of defence:
//!
//! - [`sql`]: accept exactly one read-only query, by parsing rather than by
//!   pattern matching;
//! - [`paths`]: keep file access inside allowed roots, symlinks included;
//! - [`permissions`]: a tool runs only with the permissions it needs, and an
//!   unknown tool does not run at all;
//! - [`audit`]: every call leaves a JSON line, with secrets redacted;
//! - [`rate_limit`]: a token bucket per client and tool.

// LAB: stub
// // The stubs leave their parameters and the imports they will need unused
// // until you write the bodies; these allows keep the build quiet meanwhile.
// #![allow(unused_variables, unused_imports, dead_code)]
//
// LAB: end
pub mod audit;
pub mod paths;
pub mod permissions;
pub mod rate_limit;
pub mod sql;
