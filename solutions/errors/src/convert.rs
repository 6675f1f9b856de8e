//! From the errors a tool really meets to a [`ToolError`].
//!
//! Each conversion decides two things: the code (what the model can do
//! about it) and the message (what the model may see). Messages about the
//! model's own input can quote it; anything about the server's insides
//! (paths, SQL, driver text) goes to `log_detail`.

use std::io;

use security::paths::PathError;
use security::permissions::AccessDenied;
use security::rate_limit::RateLimited;
use security::sql::SqlRejection;
use serde_json::json;

use crate::code::ErrorCode;
use crate::tool_error::ToolError;

// ANCHOR: conversions
/// I/O errors by kind. The message names the kind only: an I/O error's own
/// text often holds a server path, so it goes to the log.
impl From<io::Error> for ToolError {
    fn from(e: io::Error) -> Self {
        // LAB: todo("From<io::Error> for ToolError")
        // TODO: Map by `e.kind()`: NotFound, PermissionDenied, TimedOut, the connection kinds
        //       (Unavailable), InvalidInput/InvalidData (Validation); anything else is internal.
        // TODO: The message names the kind only; the error text (it may hold a server path) goes to
        //       `log_detail`.
        use io::ErrorKind::*;
        let (code, message) = match e.kind() {
            NotFound => (ErrorCode::NotFound, "the file or resource was not found"),
            PermissionDenied => (
                ErrorCode::PermissionDenied,
                "the server may not access this resource",
            ),
            TimedOut => (ErrorCode::Timeout, "the operation timed out"),
            ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected | BrokenPipe
            | AddrNotAvailable | HostUnreachable | NetworkUnreachable | WouldBlock
            | Interrupted => (
                ErrorCode::Unavailable,
                "a resource the tool needs is not reachable right now",
            ),
            InvalidInput | InvalidData => (
                ErrorCode::Validation,
                "the input is not valid for this operation",
            ),
            _ => return ToolError::internal(format!("I/O error: {e}")),
        };
        ToolError::new(code, message).with_log_detail(format!("I/O error: {e}"))
        // LAB: end
    }
}

/// A refused query is about the model's own SQL: the reason is safe to show.
impl From<SqlRejection> for ToolError {
    fn from(e: SqlRejection) -> Self {
        // LAB: todo("From<SqlRejection> for ToolError")
        // TODO: VALIDATION, with the rejection as the message: it is about the model's own SQL.
        ToolError::new(ErrorCode::Validation, e.to_string())
        // LAB: end
    }
}

/// Path errors: the request's faults are shown; the policy's configuration
/// (server paths) is not.
impl From<PathError> for ToolError {
    fn from(e: PathError) -> Self {
        // LAB: todo("From<PathError> for ToolError")
        // TODO: The request's faults by variant (Validation, NotFound, PermissionDenied), with the
        //       error as the message.
        // TODO: The policy's own faults (no roots, a bad root, I/O) are internal: they hold server
        //       paths.
        let code = match &e {
            PathError::Empty | PathError::ContainsNul => ErrorCode::Validation,
            PathError::NotFound(_) => ErrorCode::NotFound,
            PathError::OutsideRoots(_) | PathError::DanglingSymlink(_) => {
                ErrorCode::PermissionDenied
            }
            PathError::NoRoots
            | PathError::RootUnavailable { .. }
            | PathError::RootNotADirectory(_)
            | PathError::Io { .. } => return ToolError::internal(format!("path policy: {e}")),
        };
        ToolError::new(code, e.to_string())
        // LAB: end
    }
}

/// A denied call: the caller may not do this.
impl From<AccessDenied> for ToolError {
    fn from(e: AccessDenied) -> Self {
        // LAB: todo("From<AccessDenied> for ToolError")
        // TODO: PERMISSION_DENIED, with the denial as the message.
        ToolError::new(ErrorCode::PermissionDenied, e.to_string())
        // LAB: end
    }
}

/// A rate-limited call, with when to try again as a detail.
impl From<RateLimited> for ToolError {
    fn from(e: RateLimited) -> Self {
        // LAB: todo("From<RateLimited> for ToolError")
        // TODO: RATE_LIMITED, with details `{"retry_after_ms": N}`, N rounded up to a whole
        //       millisecond.
        let ms = e.retry_after.as_nanos().div_ceil(1_000_000);
        ToolError::new(ErrorCode::RateLimited, e.to_string())
            .with_details(json!({ "retry_after_ms": ms }))
        // LAB: end
    }
}

/// A deadline that passed.
impl From<tokio::time::error::Elapsed> for ToolError {
    fn from(_: tokio::time::error::Elapsed) -> Self {
        // LAB: todo("From<Elapsed> for ToolError")
        // TODO: TIMEOUT.
        ToolError::new(ErrorCode::Timeout, "the operation did not finish in time")
        // LAB: end
    }
}

/// Database errors: by SQLSTATE for errors the server reported, by kind
/// for the driver's own.
impl From<sqlx::Error> for ToolError {
    fn from(e: sqlx::Error) -> Self {
        // LAB: todo("From<sqlx::Error> for ToolError")
        // TODO: Server errors by SQLSTATE (`db.code()`): 25006 and 42501 PERMISSION_DENIED, 57014
        //       TIMEOUT, 40001/40P01/57P03 and classes 08 and 53 UNAVAILABLE, classes 42 and 22
        //       VALIDATION; other states internal.
        // TODO: Driver errors: RowNotFound NOT_FOUND; PoolTimedOut, PoolClosed and Io UNAVAILABLE;
        //       anything else internal. Keep the full error in `log_detail`.
        let detail = format!("database error: {e}");
        match &e {
            sqlx::Error::Database(db) => {
                let state = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let (code, message) = match state.as_str() {
                    "25006" => (
                        ErrorCode::PermissionDenied,
                        "the database refused a write: this tool is read-only".to_owned(),
                    ),
                    "57014" => (
                        ErrorCode::Timeout,
                        "the query ran past its time limit and was cancelled".to_owned(),
                    ),
                    "42501" => (
                        ErrorCode::PermissionDenied,
                        "the database role may not do this".to_owned(),
                    ),
                    "40001" | "40P01" | "57P03" => (
                        ErrorCode::Unavailable,
                        "the database is busy; try again".to_owned(),
                    ),
                    s if s.starts_with("42") || s.starts_with("22") => (
                        ErrorCode::Validation,
                        format!("the database rejected the query: {}", db.message()),
                    ),
                    s if s.starts_with("08") || s.starts_with("53") => (
                        ErrorCode::Unavailable,
                        "the database is not available right now".to_owned(),
                    ),
                    _ => return ToolError::internal(detail),
                };
                ToolError::new(code, message).with_log_detail(detail)
            }
            sqlx::Error::RowNotFound => {
                ToolError::new(ErrorCode::NotFound, "no row matched").with_log_detail(detail)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ToolError::new(
                    ErrorCode::Unavailable,
                    "the database is not available right now",
                )
                .with_log_detail(detail)
            }
            _ => ToolError::internal(detail),
        }
        // LAB: end
    }
}
// ANCHOR_END: conversions
