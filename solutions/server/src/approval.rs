//! Asking a human before a high-privilege call runs.
//!
//! The permission table marks some tools as needing approval each time
//! (`update_config`). The server cannot see the user; the client can. MCP
//! elicitation lets the server send the client a small form ("approve
//! this change?") in the middle of a call and wait for the answer. A client
//! that never declared the elicitation capability cannot ask anyone, and
//! then the only safe answer is no.
//!
//! [`Approver`] hides the protocol so the pipeline can be tested with a
//! fake; [`PeerApprover`] is the real one, over an rmcp peer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rmcp::service::{ElicitationError, Peer, RoleServer};
use schemars::JsonSchema;
use serde::Deserialize;

// ANCHOR: types
/// What the human said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Go ahead.
    Approved,
    /// No, or the form was dismissed.
    Declined,
    /// The client cannot ask a human (no elicitation capability).
    Unsupported,
    /// Asking failed: the client did not answer in time, or answered
    /// something that was not an approval form.
    Failed(String),
}

/// A request for approval: the tool and its arguments, already redacted,
/// shown to the human.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    /// The tool about to run.
    pub tool: String,
    /// Its arguments, with secrets redacted.
    pub arguments: serde_json::Value,
}

impl ApprovalRequest {
    /// The sentence the human reads.
    pub fn message(&self) -> String {
        format!(
            "The model wants to call {} with {}. This changes the server's configuration. Approve?",
            self.tool, self.arguments
        )
    }
}

/// A future returned by [`Approver::ask`].
pub type ApprovalFuture<'a> = Pin<Box<dyn Future<Output = Approval> + Send + 'a>>;

/// Someone who can approve a call.
pub trait Approver: Send + Sync {
    /// Asks about `request` and waits for the answer.
    fn ask<'a>(&'a self, request: &'a ApprovalRequest) -> ApprovalFuture<'a>;
}

/// Never asks anyone: every request is [`Approval::Unsupported`]. What a
/// caller without a human behind it gets.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoApprover;

impl Approver for NoApprover {
    fn ask<'a>(&'a self, _request: &'a ApprovalRequest) -> ApprovalFuture<'a> {
        Box::pin(std::future::ready(Approval::Unsupported))
    }
}
// ANCHOR_END: types

// ANCHOR: elicitation
/// The form the client shows: one checkbox.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApprovalForm {
    /// Tick to let this call run.
    pub approve: bool,
}

rmcp::elicit_safe!(ApprovalForm);

/// How long a human has to answer before the call is refused.
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(120);

/// Asks through MCP elicitation on the client's connection.
#[derive(Debug, Clone)]
pub struct PeerApprover(pub Peer<RoleServer>);

impl Approver for PeerApprover {
    fn ask<'a>(&'a self, request: &'a ApprovalRequest) -> ApprovalFuture<'a> {
        Box::pin(async move {
            let answer = self
                .0
                .elicit_with_timeout::<ApprovalForm>(request.message(), Some(APPROVAL_TIMEOUT))
                .await;
            match answer {
                Ok(Some(ApprovalForm { approve: true })) => Approval::Approved,
                Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                    Approval::Declined
                }
                Err(ElicitationError::CapabilityNotSupported) => Approval::Unsupported,
                Err(other) => Approval::Failed(other.to_string()),
            }
        })
    }
}
// ANCHOR_END: elicitation
