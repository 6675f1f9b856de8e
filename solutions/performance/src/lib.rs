//! Reference solution of lab 3: performance patterns for an MCP server.
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

pub mod batch;
pub mod cache;
pub mod json_rows;
pub mod pool;
