//! The design lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK};

/// Every check of the design lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "names_follow_the_rules",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Empty first, then the first character outside [A-Za-z0-9_.-], then the length counted in characters, not bytes.",
        rules: &[],
    },
    CheckInfo {
        name: "registration_agrees_with_a_model",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "Check the name before looking for a duplicate, and never replace a registered plugin: the first one stays.",
        rules: &[],
    },
    CheckInfo {
        name: "arguments_match_the_schema",
        kind: Kind::Property,
        points: 14,
        deadline: PROPERTY,
        hint: "Follow $ref into $defs, accept a list of types (Option<T> is [\"T\", \"null\"]), and keep the field path as you descend into objects and arrays.",
        rules: &[],
    },
    CheckInfo {
        name: "execute_checks_before_running",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Look the tool up, validate against its schema, and only then call it; each failure is a ToolError with its own code.",
        rules: &[],
    },
    CheckInfo {
        name: "tool_list_for_mcp",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "One rmcp Tool per plugin, in the registry's order, with the description and the schema object as the input schema.",
        rules: &[],
    },
    CheckInfo {
        name: "composition_degrades",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Join the independent steps, each under with_timeout; turn each failure into its section's reason instead of returning early.",
        rules: &[],
    },
    CheckInfo {
        name: "markdown_report",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "Heading, status line, then the sections in their fixed order, an unavailable one showing its reason.",
        rules: &[],
    },
];
