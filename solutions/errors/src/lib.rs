//! Reference solution of lab 2: error handling for an MCP server.
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

pub mod code;
pub mod convert;
pub mod retry;
pub mod timeout;
pub mod tool_error;

pub use code::ErrorCode;
pub use tool_error::ToolError;
