//! Reference solution of lab 1: security patterns for an MCP server.
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

pub mod audit;
pub mod paths;
pub mod permissions;
pub mod rate_limit;
pub mod sql;
