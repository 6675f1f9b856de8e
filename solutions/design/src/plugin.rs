//! The plugin trait: a tool as a type.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use errors::{ErrorCode, ToolError};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

// ANCHOR: trait
/// A tool the server can offer. Its arguments are a Rust type: the input
/// schema the client sees is derived from it, and `execute` receives it
/// already checked and parsed.
pub trait ToolPlugin: Send + Sync + 'static {
    /// The tool's arguments. Derive `Deserialize` and `JsonSchema`, and use
    /// `#[serde(deny_unknown_fields)]` so unknown arguments are refused.
    type Args: DeserializeOwned + JsonSchema + Send + 'static;

    /// The tool's name, as clients call it.
    fn name(&self) -> &str;

    /// What the tool does and what it refuses, for the model.
    fn description(&self) -> &str;

    /// Runs the tool on checked arguments.
    fn execute(&self, args: Self::Args) -> impl Future<Output = Result<String, ToolError>> + Send;
}
// ANCHOR_END: trait

/// A future returned by an erased plugin.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<String, ToolError>> + Send>>;

/// A plugin with its argument type erased, so plugins of different types
/// can sit in one registry.
pub struct ErasedPlugin {
    /// The tool's name.
    pub name: String,
    /// The tool's description.
    pub description: String,
    /// The input schema derived from the argument type, as JSON.
    pub schema: Value,
    /// Parses already-checked arguments and runs the tool.
    pub call: Box<dyn Fn(Value) -> ToolFuture + Send + Sync>,
}

impl ErasedPlugin {
    /// Erases `plugin`.
    pub fn new<P: ToolPlugin>(plugin: P) -> Self {
        let schema = serde_json::to_value(schemars::schema_for!(P::Args)).unwrap_or(Value::Null);
        let name = plugin.name().to_owned();
        let description = plugin.description().to_owned();
        let plugin = Arc::new(plugin);
        let call = Box::new(move |args: Value| -> ToolFuture {
            let plugin = Arc::clone(&plugin);
            Box::pin(async move {
                let args: P::Args = serde_json::from_value(args).map_err(|e| {
                    ToolError::new(
                        ErrorCode::Validation,
                        format!("the arguments do not fit the tool: {e}"),
                    )
                })?;
                plugin.execute(args).await
            })
        });
        Self {
            name,
            description,
            schema,
            call,
        }
    }
}
