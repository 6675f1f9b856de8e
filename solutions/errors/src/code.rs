//! Error codes: few, stable, and each with one meaning a model can act on.

use std::fmt;

// ANCHOR: codes
/// What kind of failure a tool error reports.
///
/// The set is small on purpose: a model cannot act on fifty codes, but it
/// can tell "fix your input" from "try again later" from "ask someone".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The arguments are wrong: fix them and call again.
    Validation,
    /// What was asked for does not exist.
    NotFound,
    /// The caller may not do this; retrying will not help.
    PermissionDenied,
    /// The call ran out of time.
    Timeout,
    /// Too many calls: wait, then try again.
    RateLimited,
    /// A dependency (database, network) is down or overloaded for now.
    Unavailable,
    /// A bug or an unexpected failure inside the server.
    Internal,
}
// ANCHOR_END: codes

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::Validation,
        ErrorCode::NotFound,
        ErrorCode::PermissionDenied,
        ErrorCode::Timeout,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The code as it appears in error text: `VALIDATION`, `NOT_FOUND`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    // ANCHOR: is_retryable
    /// Whether the same call may succeed if tried again later: true for
    /// `Timeout`, `RateLimited` and `Unavailable`, the transient failures.
    /// Everything else fails the same way on every try.
    pub fn is_retryable(self) -> bool {
        // LAB: todo("ErrorCode::is_retryable")
        // TODO: True exactly for the transient codes: Timeout, RateLimited, Unavailable.
        matches!(
            self,
            ErrorCode::Timeout | ErrorCode::RateLimited | ErrorCode::Unavailable
        )
        // LAB: end
    }
    // ANCHOR_END: is_retryable
}
