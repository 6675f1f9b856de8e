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
        // TODO: Map by `e.kind()`: NotFound, PermissionDenied, TimedOut, the connection kinds
        //       (Unavailable), InvalidInput/InvalidData (Validation); anything else is internal.
        // TODO: The message names the kind only; the error text (it may hold a server path) goes to
        //       `log_detail`.
        todo!("From<io::Error> for ToolError")
    }
}

/// A refused query is about the model's own SQL: the reason is safe to show.
impl From<SqlRejection> for ToolError {
    fn from(e: SqlRejection) -> Self {
        // TODO: VALIDATION, with the rejection as the message: it is about the model's own SQL.
        todo!("From<SqlRejection> for ToolError")
    }
}

/// Path errors: the request's faults are shown; the policy's configuration
/// (server paths) is not.
impl From<PathError> for ToolError {
    fn from(e: PathError) -> Self {
        // TODO: The request's faults by variant (Validation, NotFound, PermissionDenied), with the
        //       error as the message.
        // TODO: The policy's own faults (no roots, a bad root, I/O) are internal: they hold server
        //       paths.
        todo!("From<PathError> for ToolError")
    }
}

/// A denied call: the caller may not do this.
impl From<AccessDenied> for ToolError {
    fn from(e: AccessDenied) -> Self {
        // TODO: PERMISSION_DENIED, with the denial as the message.
        todo!("From<AccessDenied> for ToolError")
    }
}

/// A rate-limited call, with when to try again as a detail.
impl From<RateLimited> for ToolError {
    fn from(e: RateLimited) -> Self {
        // TODO: RATE_LIMITED, with details `{"retry_after_ms": N}`, N rounded up to a whole
        //       millisecond.
        todo!("From<RateLimited> for ToolError")
    }
}

/// A deadline that passed.
impl From<tokio::time::error::Elapsed> for ToolError {
    fn from(_: tokio::time::error::Elapsed) -> Self {
        // TODO: TIMEOUT.
        todo!("From<Elapsed> for ToolError")
    }
}

/// Database errors: by SQLSTATE for errors the server reported, by kind
/// for the driver's own.
impl From<sqlx::Error> for ToolError {
    fn from(e: sqlx::Error) -> Self {
        // TODO: Server errors by SQLSTATE (`db.code()`): 25006 and 42501 PERMISSION_DENIED, 57014
        //       TIMEOUT, 40001/40P01/57P03 and classes 08 and 53 UNAVAILABLE, classes 42 and 22
        //       VALIDATION; other states internal.
        // TODO: Driver errors: RowNotFound NOT_FOUND; PoolTimedOut, PoolClosed and Io UNAVAILABLE;
        //       anything else internal. Keep the full error in `log_detail`.
        todo!("From<sqlx::Error> for ToolError")
    }
}
// ANCHOR_END: conversions
