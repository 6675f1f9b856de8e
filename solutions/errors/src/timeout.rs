//! A deadline on a call, with the late work really cancelled.
//!
//! In async Rust a future that is dropped stops: it is never polled again
//! and its destructors run. `tokio::time::timeout` drops the work when the
//! deadline passes. The classic mistake is to `tokio::spawn` the work and
//! time out the handle: the caller gets its error, and the work runs on,
//! holding connections and locks, behind its back.

use std::future::Future;
use std::time::Duration;

use serde_json::json;

use crate::code::ErrorCode;
use crate::tool_error::ToolError;

// ANCHOR: with_timeout
/// Runs `work` for at most `limit`. On time, its own result; late, a
/// `TIMEOUT` error naming `tool` and the limit (details `tool` and
/// `limit_ms`), with `work` dropped at the deadline.
pub async fn with_timeout<T, Fut>(tool: &str, limit: Duration, work: Fut) -> Result<T, ToolError>
where
    Fut: Future<Output = Result<T, ToolError>>,
{
    // LAB: todo("with_timeout")
    // TODO: Use `tokio::time::timeout`: it drops `work` when the limit passes, which cancels it. Do
    //       not spawn the work.
    // TODO: Late: a TIMEOUT error whose message names the tool and the limit in ms, with details
    //       `{"tool": ..., "limit_ms": ...}`.
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => {
            let ms = limit.as_millis();
            Err(ToolError::new(
                ErrorCode::Timeout,
                format!(
                    "{tool} did not finish within {ms} ms and was cancelled; try a smaller request"
                ),
            )
            .with_details(json!({ "tool": tool, "limit_ms": ms })))
        }
    }
    // LAB: end
}
// ANCHOR_END: with_timeout
