// LAB: stub
// //! Lab 3: performance patterns for an MCP server.
// //!
// //! Fill in every `todo!()`; the `// TODO:` notes beside each say what is
// //! asked. The types around them are given: keep their names and shapes,
// //! the tests and the grader use them. Run `cargo test -p lab-performance`
// //! (with `DATABASE_URL` set) for the visible tests and
// //! `cargo run -p grader -- --lab performance` for the full grade. The brief
// //! is in `labs/performance/README.md`.
// LAB: solution
//! Reference solution of lab 3: performance patterns for an MCP server.
// LAB: end
//!
//! Three patterns, each with the mistake it replaces:
//!
//! - [`cache`]: a bounded TTL cache with O(1) operations and one loader
//!   per key under concurrent misses, instead of an unbounded map scanned
//!   on every call;
//! - [`pool`]: a PostgreSQL pool whose read-only queries run inside
//!   `BEGIN READ ONLY` with a statement timeout, instead of a connection
//!   opened per query;
//! - [`batch`]: many async jobs with bounded concurrency, order kept and
//!   failures isolated, instead of awaiting them one by one.

// LAB: stub
// // The stubs leave their parameters and the imports they will need unused
// // until you write the bodies; these allows keep the build quiet meanwhile.
// #![allow(unused_variables, unused_imports, dead_code, unused_mut)]
//
// LAB: end
pub mod batch;
pub mod cache;
pub mod json_rows;
pub mod pool;
