//! Least privilege: each tool declares what it needs, and nothing else runs.
//!
//! The table maps a tool name to the permissions it requires. A caller is
//! granted a set of permissions; a call is allowed only when the tool is in
//! the table and every permission it requires was granted. A tool missing
//! from the table is denied: forgetting an entry must fail closed.

use std::collections::BTreeMap;
use std::fmt;

// ANCHOR: types
/// Something a tool may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read files under the log roots.
    ReadLogs,
    /// Read server and database metrics.
    ReadMetrics,
    /// Run read-only queries on the database.
    ExecuteQuery,
    /// Change the server's configuration: high privilege.
    ModifyConfig,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 4] = [
        Permission::ReadLogs,
        Permission::ReadMetrics,
        Permission::ExecuteQuery,
        Permission::ModifyConfig,
    ];

    /// Whether a tool needing this permission must be approved by a human
    /// before each call.
    pub fn is_high_privilege(self) -> bool {
        matches!(self, Permission::ModifyConfig)
    }
}

/// Why a call was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessDenied {
    /// The tool is not in the permission table.
    UnknownTool(String),
    /// The caller lacks some of the tool's permissions.
    MissingPermissions {
        /// The tool that was called.
        tool: String,
        /// The permissions it needs that were not granted, in table order.
        missing: Vec<Permission>,
    },
}

impl fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownTool(tool) => write!(
                f,
                "tool {tool} has no permission entry, so it is denied; add it to the permission table"
            ),
            Self::MissingPermissions { tool, missing } => write!(
                f,
                "tool {tool} needs {missing:?}, which this caller was not granted"
            ),
        }
    }
}

impl std::error::Error for AccessDenied {}

/// Which permissions each tool requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionTable {
    tools: BTreeMap<String, Vec<Permission>>,
}

impl PermissionTable {
    /// A table with no tools: every call is denied.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The table of the course's MCP server.
    pub fn course_defaults() -> Self {
        use Permission::*;
        Self::empty()
            .with_tool("query_database", &[ExecuteQuery])
            .with_tool("read_log", &[ReadLogs])
            .with_tool("get_metrics", &[ReadMetrics])
            .with_tool("health_check", &[ReadMetrics, ReadLogs, ExecuteQuery])
            .with_tool("update_config", &[ModifyConfig])
    }

    /// Adds `tool` needing `permissions`, replacing any earlier entry.
    pub fn with_tool(mut self, tool: &str, permissions: &[Permission]) -> Self {
        self.tools.insert(tool.to_owned(), permissions.to_vec());
        self
    }

    /// The permissions `tool` requires, or `None` if it is not in the table.
    pub fn required(&self, tool: &str) -> Option<&[Permission]> {
        self.tools.get(tool).map(Vec::as_slice)
    }
}
// ANCHOR_END: types

impl PermissionTable {
    // ANCHOR: authorize
    /// Allows the call only if `tool` is in the table and every permission
    /// it requires is in `granted`.
    pub fn authorize(&self, granted: &[Permission], tool: &str) -> Result<(), AccessDenied> {
        // LAB: todo("PermissionTable::authorize")
        // TODO: Unknown tool: `AccessDenied::UnknownTool`. Known tool: collect its required
        //       permissions missing from `granted`, in table order.
        let required = self
            .required(tool)
            .ok_or_else(|| AccessDenied::UnknownTool(tool.to_owned()))?;
        let missing: Vec<Permission> = required
            .iter()
            .copied()
            .filter(|p| !granted.contains(p))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(AccessDenied::MissingPermissions {
                tool: tool.to_owned(),
                missing,
            })
        }
        // LAB: end
    }
    // ANCHOR_END: authorize

    // ANCHOR: requires_approval
    /// Whether a call to `tool` needs a human's approval first: it requires
    /// a high-privilege permission, or it is unknown (fail closed).
    pub fn requires_approval(&self, tool: &str) -> bool {
        // LAB: todo("PermissionTable::requires_approval")
        // TODO: True for an unknown tool, and for a tool needing a high-privilege permission.
        self.required(tool)
            .is_none_or(|perms| perms.iter().any(|p| p.is_high_privilege()))
        // LAB: end
    }
    // ANCHOR_END: requires_approval
}
