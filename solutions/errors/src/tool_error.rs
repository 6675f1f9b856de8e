//! The error a tool returns, its text form, and how it reaches a client.
//!
//! Two audiences read an error. The model reads the message and the code,
//! and decides what to do next; it must get something it can act on, and
//! nothing it should not see. The operators read the log, and need the
//! whole story: the SQL, the path, the driver's message. A [`ToolError`]
//! keeps the two apart: `log_detail` never reaches the model.

use std::fmt;

use rmcp::model::{CallToolResult, ContentBlock, ErrorData};
use serde_json::{Value, json};

use crate::code::ErrorCode;

// ANCHOR: types
/// What the model is told about an internal error: no detail at all.
pub const INTERNAL_MESSAGE: &str =
    "the server failed unexpectedly; the details were logged for its operators";

/// A tool's failure: a code, a message for the model, optional structured
/// details for the model, and an optional detail for the log only.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolError {
    code: ErrorCode,
    message: String,
    details: Option<Value>,
    log_detail: Option<String>,
}

impl ToolError {
    /// An error with `code` and a message the model will read.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            log_detail: None,
        }
    }

    /// Adds structured details the model will read, such as
    /// `{"retry_after_ms": 250}`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Adds a detail for the log only: SQL, paths, driver messages.
    pub fn with_log_detail(mut self, detail: impl Into<String>) -> Self {
        self.log_detail = Some(detail.into());
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message the model reads.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The structured details the model reads, if any.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// The detail kept for the log, never shown to the model.
    pub fn log_detail(&self) -> Option<&str> {
        self.log_detail.as_deref()
    }

    /// Whether calling again may succeed; decided by the code alone.
    pub fn is_retryable(&self) -> bool {
        self.code.is_retryable()
    }
}

impl std::error::Error for ToolError {}
// ANCHOR_END: types

impl ToolError {
    // ANCHOR: internal
    /// An internal error: the model gets [`INTERNAL_MESSAGE`] and nothing
    /// else, `detail` goes to the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        // LAB: todo("ToolError::internal")
        // TODO: The model-facing message is INTERNAL_MESSAGE, whatever went wrong; `detail` goes to
        //       `log_detail` only.
        Self::new(ErrorCode::Internal, INTERNAL_MESSAGE).with_log_detail(detail)
        // LAB: end
    }
    // ANCHOR_END: internal

    // ANCHOR: to_call_tool_result
    /// The tool result an MCP client receives for this error: `isError`
    /// set, the text form as the content, and the code, message and details
    /// as structured content. Nothing of `log_detail` is in it.
    pub fn to_call_tool_result(&self) -> CallToolResult {
        // LAB: todo("ToolError::to_call_tool_result")
        // TODO: `CallToolResult::error` with one text block holding the text form
        //       (`self.to_string()`).
        // TODO: Set `structured_content` to `{"code": ..., "message": ..., "details": ...}`
        //       (details only when present). Never include `log_detail`.
        let mut structured = json!({ "code": self.code.as_str(), "message": self.message });
        if let Some(details) = &self.details {
            structured["details"] = details.clone();
        }
        let mut result = CallToolResult::error(vec![ContentBlock::text(self.to_string())]);
        result.structured_content = Some(structured);
        result
        // LAB: end
    }
    // ANCHOR_END: to_call_tool_result
}

// ANCHOR: display
/// Shows the error as the model reads it: `Error [CODE]: message`.
impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // LAB: todo("Display for ToolError")
        // TODO: Write `Error [CODE]: message`, with the code from `ErrorCode::as_str`.
        write!(f, "Error [{}]: {}", self.code.as_str(), self.message)
        // LAB: end
    }
}
// ANCHOR_END: display

// ANCHOR: malformed_request
/// A request that cannot be routed to a tool (an unknown tool name,
/// arguments that are not a JSON object) is not a tool failure but a
/// protocol error: JSON-RPC `invalid_params` (-32602), with `reason` as its
/// message. Arguments that are well formed but wrong (a value out of range)
/// are a `VALIDATION` tool error instead: the model can fix those.
pub fn malformed_request(reason: &str) -> ErrorData {
    // LAB: todo("malformed_request")
    // TODO: A protocol error, not a tool result: `ErrorData::invalid_params` (JSON-RPC -32602) with
    //       `reason`.
    ErrorData::invalid_params(reason.to_owned(), None)
    // LAB: end
}
// ANCHOR_END: malformed_request
