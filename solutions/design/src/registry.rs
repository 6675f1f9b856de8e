//! The registry: the rules every tool follows, enforced in one place.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use errors::{ErrorCode, ToolError};
use serde_json::Value;

use crate::names::{NameError, check_tool_name};
use crate::plugin::{ErasedPlugin, ToolPlugin};
use crate::schema::validate;

// ANCHOR: types
/// Why a plugin could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    /// Its name cannot be used by MCP clients.
    InvalidName(String, NameError),
    /// A plugin with this name is already registered.
    Duplicate(String),
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName(name, why) => write!(f, "cannot register {name:?}: {why}"),
            Self::Duplicate(name) => write!(
                f,
                "a tool named {name:?} is already registered; pick another name"
            ),
        }
    }
}

impl std::error::Error for RegisterError {}

/// The tools a server offers, by name.
#[derive(Default)]
pub struct PluginRegistry {
    plugins: BTreeMap<String, ErasedPlugin>,
}

impl PluginRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registered names, in a stable (sorted) order.
    pub fn names(&self) -> Vec<&str> {
        self.plugins.keys().map(String::as_str).collect()
    }

    /// The input schema of tool `name`, if registered.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.plugins.get(name).map(|p| &p.schema)
    }
}
// ANCHOR_END: types

impl PluginRegistry {
    // ANCHOR: register
    /// Adds `plugin`, refusing a name MCP clients cannot use and a name
    /// already taken (the first registration stays).
    pub fn register<P: ToolPlugin>(&mut self, plugin: P) -> Result<(), RegisterError> {
        // LAB: todo("PluginRegistry::register")
        // TODO: Check the name with `check_tool_name` (`RegisterError::InvalidName`), refuse a name
        //       already taken (`Duplicate`), then store `ErasedPlugin::new(plugin)`.
        let name = plugin.name().to_owned();
        check_tool_name(&name).map_err(|why| RegisterError::InvalidName(name.clone(), why))?;
        if self.plugins.contains_key(&name) {
            return Err(RegisterError::Duplicate(name));
        }
        self.plugins.insert(name, ErasedPlugin::new(plugin));
        Ok(())
        // LAB: end
    }
    // ANCHOR_END: register

    // ANCHOR: execute
    /// Runs tool `name` on `args`: an unknown tool is `NOT_FOUND`,
    /// arguments that do not match the tool's schema are `VALIDATION`
    /// naming the field, and only then does the plugin run.
    pub async fn execute(&self, name: &str, args: Value) -> Result<String, ToolError> {
        // LAB: todo("PluginRegistry::execute")
        // TODO: Unknown tool: a NOT_FOUND `ToolError` that lists the registered names.
        // TODO: Check `args` against the plugin's schema with `validate`; a mismatch is a
        //       VALIDATION error whose message is the `ArgError` (it names the field).
        // TODO: Only then call `(plugin.call)(args).await`.
        let plugin = self.plugins.get(name).ok_or_else(|| {
            ToolError::new(
                ErrorCode::NotFound,
                format!(
                    "there is no tool named {name:?}; the tools are: {}",
                    self.names().join(", ")
                ),
            )
        })?;
        validate(&plugin.schema, &args)
            .map_err(|e| ToolError::new(ErrorCode::Validation, e.to_string()))?;
        (plugin.call)(args).await
        // LAB: end
    }
    // ANCHOR_END: execute

    // ANCHOR: tools
    /// The tool list an MCP server serves: one `Tool` per plugin, in name
    /// order, with its description and input schema.
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        // LAB: todo("PluginRegistry::tools")
        // TODO: One `rmcp::model::Tool::new(name, description, schema)` per plugin, in name order;
        //       the schema is the plugin's JSON object.
        self.plugins
            .values()
            .map(|p| {
                let schema = match &p.schema {
                    Value::Object(map) => map.clone(),
                    _ => serde_json::Map::new(),
                };
                rmcp::model::Tool::new(p.name.clone(), p.description.clone(), Arc::new(schema))
            })
            .collect()
        // LAB: end
    }
    // ANCHOR_END: tools
}
