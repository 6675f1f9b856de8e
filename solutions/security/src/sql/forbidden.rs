//! Functions a read-only query must not call.
//!
//! A `READ ONLY` transaction stops writes to tables, but not a function
//! that reads a server file, opens a connection elsewhere, changes a
//! setting or signals another backend. Those are refused by name.

// ANCHOR: list
/// A function refused in model-written SQL, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForbiddenFunction {
    /// The function's name, lower case; a trailing `*` matches any suffix.
    pub pattern: &'static str,
    /// What the function can do that a read-only query must not.
    pub why: &'static str,
}

const FILES: &str = "reads or writes files on the database server";
const LARGE_OBJECTS: &str = "moves data between the server's files and large objects";
const CONNECTIONS: &str = "opens a connection to another database";
const SETTINGS: &str = "changes server settings or state";
const BACKENDS: &str = "signals or controls other server processes";
const DYNAMIC_SQL: &str = "runs SQL given as text, out of reach of the parser";
const SIDE_EFFECTS: &str = "has side effects outside the query's result";

/// The named list of refused functions, grouped by what they can do.
pub const FORBIDDEN_FUNCTIONS: &[ForbiddenFunction] = &[
    ForbiddenFunction {
        pattern: "pg_read_file",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "pg_read_binary_file",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "pg_ls_*",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "pg_stat_file",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "pg_file_*",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "pg_logdir_ls",
        why: FILES,
    },
    ForbiddenFunction {
        pattern: "lo_*",
        why: LARGE_OBJECTS,
    },
    ForbiddenFunction {
        pattern: "dblink*",
        why: CONNECTIONS,
    },
    ForbiddenFunction {
        pattern: "postgres_fdw*",
        why: CONNECTIONS,
    },
    ForbiddenFunction {
        pattern: "set_config",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_reload_conf",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_rotate_logfile",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_switch_wal",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_promote",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_create_restore_point",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "nextval",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "setval",
        why: SETTINGS,
    },
    ForbiddenFunction {
        pattern: "pg_terminate_backend",
        why: BACKENDS,
    },
    ForbiddenFunction {
        pattern: "pg_cancel_backend",
        why: BACKENDS,
    },
    ForbiddenFunction {
        pattern: "pg_advisory_*",
        why: BACKENDS,
    },
    ForbiddenFunction {
        pattern: "query_to_xml*",
        why: DYNAMIC_SQL,
    },
    ForbiddenFunction {
        pattern: "query_to_xmlschema",
        why: DYNAMIC_SQL,
    },
    ForbiddenFunction {
        pattern: "cursor_to_xml*",
        why: DYNAMIC_SQL,
    },
    ForbiddenFunction {
        pattern: "pg_notify",
        why: SIDE_EFFECTS,
    },
];
// ANCHOR_END: list

/// Looks `name` up in [`FORBIDDEN_FUNCTIONS`], ignoring ASCII case.
///
/// `name` is the last part of a possibly qualified name: for
/// `pg_catalog.pg_read_file` pass `pg_read_file`.
pub fn forbidden_function(name: &str) -> Option<&'static ForbiddenFunction> {
    let name = name.to_ascii_lowercase();
    FORBIDDEN_FUNCTIONS
        .iter()
        .find(|f| match f.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == f.pattern,
        })
}
