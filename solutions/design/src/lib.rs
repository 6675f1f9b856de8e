//! Reference solution of lab 4: design patterns for an MCP server.
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

pub mod compose;
pub mod names;
pub mod plugin;
pub mod registry;
pub mod schema;
