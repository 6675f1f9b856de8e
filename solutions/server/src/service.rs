//! The MCP side: rmcp's `ServerHandler` over the pipeline.
//!
//! rmcp handles the protocol (initialize, JSON-RPC framing, sessions,
//! cancellation); this handler answers `tools/list` from the registry and
//! sends each `tools/call` down the [`Pipeline`]. The same handler serves
//! stdio and HTTP: only the rate-limit key differs.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use errors::tool_error::malformed_request;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use security::audit::ToolCallRecord;
use serde_json::Value;

use crate::approval::PeerApprover;
use crate::pipeline::{Caller, Pipeline};
use crate::tools;

/// What the server tells a client about itself at `initialize`.
pub const INSTRUCTIONS: &str = "Tools for looking into a running service: query its database \
(read-only), read the end of its logs, read its metrics, check its health, and change a runtime \
setting with the user's approval. Errors read `Error [CODE]: message`; RATE_LIMITED, TIMEOUT and \
UNAVAILABLE may succeed later, the others will not.";

/// The server, one clone per connection or session.
#[derive(Clone)]
pub struct McpServer {
    pipeline: Arc<Pipeline>,
    tools: Arc<[Tool]>,
    transport: &'static str,
}

impl McpServer {
    /// A server running `pipeline`; `transport` (`stdio` or `http`) names
    /// the rate-limit key when a call carries no session.
    pub fn new(pipeline: Arc<Pipeline>, transport: &'static str) -> Self {
        let tools: Vec<Tool> = pipeline
            .registry
            .tools()
            .into_iter()
            .map(|tool| {
                let annotations = tools::annotations(&tool.name);
                tool.with_annotations(annotations)
            })
            .collect();
        Self {
            pipeline,
            tools: tools.into(),
            transport,
        }
    }

    /// The tools as `tools/list` returns them.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }
}

// ANCHOR: client_key
/// The rate-limit key of a call: its HTTP session when it has one, else
/// the transport (over stdio, the process is the client).
fn client_key(context: &RequestContext<RoleServer>, transport: &str) -> String {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get("mcp-session-id"))
        .and_then(|id| id.to_str().ok())
        .map(|id| format!("session:{id}"))
        .unwrap_or_else(|| transport.to_owned())
}
// ANCHOR_END: client_key

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    /// Up to 2025-11-25: the revisions in which a server may ask the client
    /// for input (elicitation) in the middle of a call.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    // ANCHOR: call_tool
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.tools.iter().any(|t| t.name == request.name) {
            let names: Vec<&str> = self.tools.iter().map(|t| t.name.as_ref()).collect();
            let error = malformed_request(&format!(
                "there is no tool named {:?}; the tools are: {}",
                request.name,
                names.join(", ")
            ));
            self.audit_unknown(&request, &error);
            return Err(error);
        }
        let args = Value::Object(request.arguments.unwrap_or_default());
        let client = client_key(&context, self.transport);
        let approver = PeerApprover(context.peer.clone());
        let caller = Caller {
            client: &client,
            approver: &approver,
        };
        Ok(self
            .pipeline
            .call(&caller, &request.name, args)
            .await
            .into())
    }
    // ANCHOR_END: call_tool
}

impl McpServer {
    /// Records a call to a tool that does not exist: probing for tools is
    /// worth an audit entry. It is answered with a protocol error before
    /// the pipeline, and kept out of the metrics, whose labels would
    /// otherwise grow with every name a client makes up.
    fn audit_unknown(&self, request: &CallToolRequestParams, error: &ErrorData) {
        let arguments = Value::Object(request.arguments.clone().unwrap_or_default());
        let record = ToolCallRecord {
            tool: &request.name,
            arguments: &arguments,
            success: false,
            duration: Duration::ZERO,
            result_len: error.message.len(),
        };
        let written = self
            .pipeline
            .audit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(&record);
        if let Err(error) = written {
            self.pipeline.metrics.audit_failed();
            tracing::error!(%error, "audit entry not written");
        }
    }
}
