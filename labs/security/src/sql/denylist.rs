//! The naive approach: a regex denylist plus "must start with SELECT".
//!
//! This is a faithful port of the approach the chapter starts from. It is
//! here to be beaten: the visible tests show statements that pass it and
//! still write to the database. Use [`super::check_query`] instead.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

// ANCHOR: patterns
/// The patterns the naive check refuses, matched case-insensitively.
pub const DENYLIST: &[&str] = &[
    r";\s*drop\s+table",
    r";\s*delete\s+from",
    r"--\s*$",
    r"/\*.*\*/",
    r"union\s+select",
];
// ANCHOR_END: patterns

/// Why the naive check refused a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenylistRejection {
    /// The query matched one of the [`DENYLIST`] patterns.
    Pattern(&'static str),
    /// The query does not start with `SELECT`.
    NotSelect,
}

impl fmt::Display for DenylistRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern(p) => write!(f, "query matches the forbidden pattern `{p}`"),
            Self::NotSelect => f.write_str("only SELECT queries are allowed"),
        }
    }
}

impl std::error::Error for DenylistRejection {}

// ANCHOR: denylist_check
/// Checks `query` the naive way: no denylisted pattern, and it starts with
/// `SELECT` (ignoring leading whitespace and case).
pub fn denylist_check(query: &str) -> Result<(), DenylistRejection> {
    // TODO: Compile the DENYLIST patterns once, not on every call: a `static` with
    //       `std::sync::LazyLock<Vec<Regex>>`, each pattern prefixed with `(?is)`.
    // TODO: Return `Pattern(p)` for the first pattern that matches anywhere in `query`.
    // TODO: Then return `NotSelect` unless the text, after leading whitespace, starts with SELECT
    //       in any case.
    todo!("denylist_check")
}
// ANCHOR_END: denylist_check
