// LAB: stub
// //! Lab 5, the capstone: a production MCP server built from your labs.
// LAB: solution
//! Reference solution of lab 5 (capstone): a production MCP server.
// LAB: end
//!
// LAB: stub
// //! This crate is a real MCP server (stdio and streamable HTTP, built with
// //! rmcp) whose tools run on the code you wrote in the earlier labs: the
// //! SQL check and path policy of lab 1, the structured errors and timeouts
// //! of lab 2, the pool and cache of lab 3, the plugin registry and health
// //! report of lab 4. Most of this crate is given; four modules are yours:
// //!
// //! - [`pipeline`]: the path every call takes (permission, rate limit,
// //!   approval, timeout, audit, metrics, structured error);
// //! - [`tail`]: the end of a log without reading the whole file;
// //! - [`rows`]: query results capped for a model, saying when they were cut;
// //! - [`auth`]: the bearer token check of the HTTP transport.
// //!
// //! Fill in every `todo!()`. Run `cargo test -p lab-server` for the visible
// //! tests, `cargo run -p grader -- --lab server` for the grade, and
// //! `cargo run -p lab-server -- stdio` to plug your server into a client.
// //! The brief is in `labs/server/README.md`.
//
// // The stubs leave their parameters and the imports they will need unused
// // until you write the bodies; these allows keep the build quiet meanwhile.
// #![allow(unused_variables, unused_imports, dead_code, unused_mut)]
// LAB: solution
//! This file and every module beside it are the one source of the lab:
//! `cargo run -p grader -- carve` cuts `labs/server/src` out of them. The
//! given modules are copied as they are; the four the learner writes lose
//! their bodies at the `LAB: todo` markers.
// LAB: end

pub mod approval;
pub mod auth;
pub mod backend;
pub mod cli;
pub mod demo_db;
pub mod http;
pub mod metrics;
pub mod pipeline;
pub mod rows;
pub mod run;
pub mod service;
pub mod settings;
pub mod tail;
pub mod tools;

// The earlier labs this server is built from, under the names the tests
// LAB: stub
// // and the grader use (in the lab crate these are your own labs).
// LAB: solution
// and the grader use.
// LAB: end
pub use {design, errors, performance, security};
