//! One path for every tool call: the production checklist as code.
//!
//! Each call goes through the same steps, in this order:
//!
//! 1. **permission**: the tool must be in the permission table and the
//!    caller must hold every permission it needs (default deny);
//! 2. **rate limit**: a token bucket per client and tool;
//! 3. **approval**: a high-privilege tool waits for a human's yes;
//! 4. **timeout**: the tool runs in its own task under the call timeout,
//!    so a slow tool is cut and a panicking one cannot take the server down;
//! 5. **audit**: one redacted line per call, whatever the outcome;
//! 6. **metrics**: the outcome and the latency are counted;
//! 7. **structured error**: a failure reaches the client as `isError` with
//!    `Error [CODE]: message`, and its private detail goes to the log only.
//!
//! Checks come before approval so that a call that would be refused anyway
//! never bothers the human, and approval comes before the timeout so that
//! the time a human takes to answer is not counted against the tool.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use design::registry::PluginRegistry;
use errors::timeout::with_timeout;
use errors::{ErrorCode, ToolError};
use rmcp::model::{CallToolResult, ContentBlock};
use security::audit::{AuditLog, ToolCallRecord, redact};
use security::permissions::{Permission, PermissionTable};
use security::rate_limit::{Clock, RateLimiter};
use serde_json::Value;

use crate::approval::{Approval, ApprovalRequest, Approver};
use crate::metrics::Metrics;
use crate::settings::Settings;

// ANCHOR: types
/// Where audit entries are written.
pub type AuditSink = Box<dyn Write + Send>;

/// The tools and every guard around them.
pub struct Pipeline {
    /// The tools, by name; `execute` checks arguments against the schema.
    pub registry: PluginRegistry,
    /// What each tool needs.
    pub permissions: PermissionTable,
    /// What this server's clients were granted.
    pub granted: Vec<Permission>,
    /// One bucket per client and tool.
    pub limiter: RateLimiter<Arc<dyn Clock>>,
    /// The call timeout, which `update_config` may change.
    pub settings: Arc<Settings>,
    /// One JSON line per call.
    pub audit: Mutex<AuditLog<AuditSink>>,
    /// Counters for `/metrics` and `get_metrics`.
    pub metrics: Arc<Metrics>,
}

/// Who is calling: the key their rate limit is kept under (the HTTP
/// session, or the process over stdio), and how to ask their human.
pub struct Caller<'a> {
    /// The rate limit key.
    pub client: &'a str,
    /// Asks for approval of high-privilege calls.
    pub approver: &'a dyn Approver,
}
// ANCHOR_END: types

impl Pipeline {
    // ANCHOR: call
    /// Runs `tool` on `args` through every step and returns what the
    /// client receives. Never fails: an error is a result with `isError`.
    ///
    /// The audit entry and the metrics are written for every call,
    /// refused ones included. An audit entry that cannot be written is
    /// logged and counted, and the call's result is still returned.
    pub async fn call(
        self: &Arc<Self>,
        caller: &Caller<'_>,
        tool: &str,
        args: Value,
    ) -> CallToolResult {
        // LAB: todo("Pipeline::call")
        // TODO: Count the call as in flight (`self.metrics.start_call()`, keep the guard) and time
        //       it. Run `self.run_guarded(...)` on a copy of the arguments.
        // TODO: Write one audit entry (`ToolCallRecord`: the tool, the original arguments, success,
        //       the duration, the length of the text returned), through `self.audit`. If writing
        //       fails, count it with `metrics.audit_failed()` and log it with `tracing::error!`;
        //       the call's result is still returned.
        // TODO: Record the outcome and the latency with `self.metrics.record`. Return
        //       `CallToolResult::success` with the text; for an error, log its code and
        //       `log_detail` (`tracing::error!` for INTERNAL, `tracing::info!` for the others,
        //       which are the caller's doing) and return `error.to_call_tool_result()`.
        let _in_flight = self.metrics.start_call();
        let started = Instant::now();
        let outcome = self.run_guarded(caller, tool, args.clone()).await;
        let elapsed = started.elapsed();

        let text = match &outcome {
            Ok(text) => text.clone(),
            Err(error) => error.to_string(),
        };
        let record = ToolCallRecord {
            tool,
            arguments: &args,
            success: outcome.is_ok(),
            duration: elapsed,
            result_len: text.len(),
        };
        let written = self
            .audit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(&record);
        if let Err(error) = written {
            self.metrics.audit_failed();
            tracing::error!(tool, %error, "audit entry not written");
        }
        self.metrics.record(
            tool,
            outcome.as_ref().map(drop).map_err(ToolError::code),
            elapsed,
        );

        match outcome {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(error) if error.code() == ErrorCode::Internal => {
                let detail = error.log_detail().unwrap_or("");
                tracing::error!(tool, detail, "tool call failed inside the server");
                error.to_call_tool_result()
            }
            Err(error) => {
                let code = error.code().as_str();
                tracing::info!(
                    tool,
                    code,
                    detail = error.log_detail().unwrap_or(""),
                    "tool call refused"
                );
                error.to_call_tool_result()
            }
        }
        // LAB: end
    }
    // ANCHOR_END: call

    // ANCHOR: run_guarded
    /// The checks, the approval, then the tool in its own task under the
    /// call timeout.
    ///
    /// A denied call is `PERMISSION_DENIED`; a call over the rate limit
    /// `RATE_LIMITED`; a high-privilege call the human declines, or that no
    /// human can be asked about, `PERMISSION_DENIED` saying which; a tool
    /// past the timeout `TIMEOUT` (and its task is aborted); a tool that
    /// panics `INTERNAL`, with the panic in the log detail only.
    pub async fn run_guarded(
        self: &Arc<Self>,
        caller: &Caller<'_>,
        tool: &str,
        args: Value,
    ) -> Result<String, ToolError> {
        // LAB: todo("Pipeline::run_guarded")
        // TODO: In this order: `self.permissions.authorize` with `self.granted`;
        //       `self.limiter.check` with the caller's key; then, if
        //       `self.permissions.requires_approval(tool)`, ask `caller.approver` with an
        //       ApprovalRequest holding the *redacted* arguments. Anything but Approval::Approved
        //       is a PERMISSION_DENIED error whose message says what happened (declined, the client
        //       cannot ask, asking failed).
        // TODO: Run `self.registry.execute` in its own task (`tokio::spawn` with a clone of the
        //       Arc) so a panic becomes a JoinError: map that to `ToolError::internal`. Wrap the
        //       wait in lab 2's `with_timeout` with `self.settings.call_timeout()`, and abort the
        //       task when the call times out.
        self.permissions.authorize(&self.granted, tool)?;
        self.limiter.check(caller.client, tool)?;
        if self.permissions.requires_approval(tool) {
            let request = ApprovalRequest {
                tool: tool.to_owned(),
                arguments: redact(&args),
            };
            let refused = |why: String| Err(ToolError::new(ErrorCode::PermissionDenied, why));
            match caller.approver.ask(&request).await {
                Approval::Approved => {}
                Approval::Declined => {
                    return refused(format!(
                        "the user declined the call to {tool}; do not retry it"
                    ));
                }
                Approval::Unsupported => {
                    return refused(format!(
                        "{tool} needs a human's approval and this client cannot ask for it \
                         (it does not support elicitation); ask the user to make the change"
                    ));
                }
                Approval::Failed(why) => {
                    return refused(format!(
                        "{tool} needs approval, and asking for it failed: {why}"
                    ));
                }
            }
        }

        let pipeline = Arc::clone(self);
        let name = tool.to_owned();
        let task = tokio::spawn(async move { pipeline.registry.execute(&name, args).await });
        let abort = task.abort_handle();
        let joined = async move {
            task.await.unwrap_or_else(|join_error| {
                Err(ToolError::internal(format!(
                    "the tool's task failed: {join_error}"
                )))
            })
        };
        let outcome = with_timeout(tool, self.settings.call_timeout(), joined).await;
        if outcome
            .as_ref()
            .is_err_and(|e| e.code() == ErrorCode::Timeout)
        {
            abort.abort();
        }
        outcome
        // LAB: end
    }
    // ANCHOR_END: run_guarded
}
