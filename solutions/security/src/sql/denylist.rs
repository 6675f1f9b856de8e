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
// LAB: solution
/// The denylist, compiled once on first use and shared by every call.
///
/// Compiling a regex costs far more than matching with it; doing it per
/// call is the classic hot-path mistake.
static COMPILED: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    DENYLIST
        .iter()
        .map(|p| {
            let re = Regex::new(&format!("(?is){p}")).expect("denylist patterns are valid");
            (*p, re)
        })
        .collect()
});

// LAB: end
/// Checks `query` the naive way: no denylisted pattern, and it starts with
/// `SELECT` (ignoring leading whitespace and case).
pub fn denylist_check(query: &str) -> Result<(), DenylistRejection> {
    // LAB: todo("denylist_check")
    // TODO: Compile the DENYLIST patterns once, not on every call: a `static` with
    //       `std::sync::LazyLock<Vec<Regex>>`, each pattern prefixed with `(?is)`.
    // TODO: Return `Pattern(p)` for the first pattern that matches anywhere in `query`.
    // TODO: Then return `NotSelect` unless the text, after leading whitespace, starts with SELECT
    //       in any case.
    if let Some((pattern, _)) = COMPILED.iter().find(|(_, re)| re.is_match(query)) {
        return Err(DenylistRejection::Pattern(pattern));
    }
    let head = query.trim_start();
    let starts_with_select = head
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"));
    if !starts_with_select {
        return Err(DenylistRejection::NotSelect);
    }
    Ok(())
    // LAB: end
}
// ANCHOR_END: denylist_check
