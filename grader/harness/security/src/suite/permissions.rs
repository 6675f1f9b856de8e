//! The checks of `permissions::PermissionTable`.

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use grader_kit::Outcome;
use grader_kit::prop::property;
use grader_kit::rules::ensure_rule;

use super::{Api, Denied, Entry, Perm};

/// Tool names for generated tables.
const TOOLS: &[&str] = &[
    "query_database",
    "read_log",
    "get_metrics",
    "health_check",
    "update_config",
    "ping",
    "drop_all",
];

/// Names a caller may ask for that are not in any table, though they look
/// like a tool that is: another case, a separator swapped, a space added.
/// Each is a different tool, so unknown.
const LOOK_ALIKES: &[&str] = &[
    "Read_Log",
    "READ_LOG",
    "read-log",
    "read_log ",
    "Update_Config",
    "QUERY_DATABASE",
    "Ping",
];

const ALL: [Perm; 4] = [
    Perm::ReadLogs,
    Perm::ReadMetrics,
    Perm::ExecuteQuery,
    Perm::ModifyConfig,
];

/// A table built by `with_tool` calls, what the caller was granted, and the
/// tool called.
#[derive(Debug, Clone)]
struct PermissionCase {
    table: Vec<Entry>,
    granted: Vec<Perm>,
    tool: &'static str,
}

/// Some permissions, each at most once, in any order.
fn perms() -> impl Strategy<Value = Vec<Perm>> {
    subsequence(ALL.to_vec(), 0..=ALL.len()).prop_shuffle()
}

fn permission_case() -> impl Strategy<Value = PermissionCase> {
    let entry =
        (select(TOOLS.to_vec()), perms()).prop_map(|(tool, requires)| Entry { tool, requires });
    let granted = prop_oneof![
        3 => perms(),
        1 => Just(Vec::new()),
        1 => Just(ALL.to_vec()).prop_shuffle(),
    ];
    (
        prop::collection::vec(entry, 0..8),
        granted,
        prop_oneof![4 => select(TOOLS.to_vec()), 1 => select(LOOK_ALIKES.to_vec())],
    )
        .prop_map(|(table, granted, tool)| PermissionCase {
            table,
            granted,
            tool,
        })
}

/// `authorize` and `requires_approval`: on generated tables (permissions
/// listed in any order, later entries replacing earlier ones) and grants
/// (none, some, all), an unknown tool (also one that differs from a known
/// one only in case or a separator) is `UnknownTool(tool)` whatever was
/// granted and needs approval; a known one is `Ok` or
/// `MissingPermissions { tool, missing }` with the missing permissions in
/// the table's order, and needs approval only for a high-privilege
/// permission.
pub fn permissions_follow_the_table<S: Api>() -> Outcome {
    property(256, permission_case(), |case| {
        let PermissionCase {
            table,
            granted,
            tool,
        } = &case;
        let entry = table.iter().rev().find(|e| e.tool == *tool);
        let want = match entry {
            None => Err(Denied::Unknown((*tool).to_owned())),
            Some(entry) => {
                let missing: Vec<Perm> = entry
                    .requires
                    .iter()
                    .copied()
                    .filter(|p| !granted.contains(p))
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(Denied::Missing {
                        tool: (*tool).to_owned(),
                        missing,
                    })
                }
            }
        };
        let got = S::authorize(table, granted, tool);
        let rule =
            if matches!(want, Err(Denied::Unknown(_))) || matches!(got, Err(Denied::Unknown(_))) {
                "unknown-tool-denied"
            } else {
                "missing-in-table-order"
            };
        ensure_rule(rule, got == want, || {
            format!("authorize({tool}) gave {got:?}, expected {want:?}")
        })?;
        let approval = entry.is_none_or(|e| e.requires.contains(&Perm::ModifyConfig));
        let got = S::requires_approval(table, tool);
        ensure_rule("approval", got == approval, || {
            format!("requires_approval({tool}) gave {got}, expected {approval}")
        })
    })
}
