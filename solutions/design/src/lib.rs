// LAB: stub
// //! Lab 4: design patterns for an MCP server.
// //!
// //! Fill in every `todo!()`; the `// TODO:` notes beside each say what is
// //! asked. The types around them are given: keep their names and shapes,
// //! the tests and the grader use them. Run `cargo test -p lab-design` for
// //! the visible tests and `cargo run -p grader -- --lab design` for the
// //! full grade. The brief is in `labs/design/README.md`.
// LAB: solution
//! Reference solution of lab 4: design patterns for an MCP server.
// LAB: end
//!
//! Two patterns keep a growing server manageable:
//!
//! - plugins: each tool is a type implementing [`plugin::ToolPlugin`], and a
//!   [`registry::PluginRegistry`] owns the rules every tool must follow:
//!   a valid, unique name ([`names`]), arguments checked against the
//!   tool's own schema before the tool runs ([`schema`]), one error shape;
//! - composition: a bigger tool built from smaller ones ([`compose`]),
//!   running what is independent at the same time and degrading, not
//!   failing, when a part breaks.

// LAB: stub
// // The stubs leave their parameters and the imports they will need unused
// // until you write the bodies; these allows keep the build quiet meanwhile.
// #![allow(unused_variables, unused_imports, dead_code, unused_mut)]
//
// LAB: end
pub mod compose;
pub mod names;
pub mod plugin;
pub mod registry;
pub mod schema;
