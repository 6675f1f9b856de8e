//! The security lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PERF, PROPERTY, QUICK};

/// Every check of the security lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "sql_denylist_port",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Port the chapter's check exactly: every DENYLIST pattern, case-insensitive, searched anywhere; then the text must start with SELECT after leading whitespace.",
    },
    CheckInfo {
        name: "sql_accepts_generated_selects",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Judge the parsed statement, not the text: comments, case, quoted names and SQL inside string literals are all harmless.",
    },
    CheckInfo {
        name: "sql_refuses_disguised_writes",
        kind: Kind::Property,
        points: 15,
        deadline: PROPERTY,
        hint: "Count the statements the parser returns, accept only Statement::Query, and walk the whole tree: a WITH clause can hold a DELETE.",
    },
    CheckInfo {
        name: "sql_refuses_forbidden_functions",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "A function can be called in the select list, in WHERE, in FROM, in a subquery or in a CTE, and its name can be schema-qualified or in any case.",
    },
    CheckInfo {
        name: "sql_names_the_reason",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Each rule of the brief has its own SqlRejection variant; check them in the brief's order (parse, count, kind, then the walk).",
    },
    CheckInfo {
        name: "paths_stay_inside_roots",
        kind: Kind::Property,
        points: 15,
        deadline: PROPERTY,
        hint: "Compare real locations: canonicalize (it follows symlinks), fall back to the parent only for a missing file, and use Path::starts_with, which compares whole components.",
    },
    CheckInfo {
        name: "paths_edge_cases",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Roots are checked once, when the policy is built; a request is refused when empty or holding NUL, and `..` inside a file name is just a name.",
    },
    CheckInfo {
        name: "permissions_follow_the_table",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Deny by default: a tool without an entry is refused whatever was granted, and needs approval.",
    },
    CheckInfo {
        name: "redaction_removes_planted_secrets",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Recurse into every object and array; judge keys by their normalized name and strings by the shape of the secrets inside them, keeping the text around a secret.",
    },
    CheckInfo {
        name: "audit_entry_format",
        kind: Kind::Unit,
        points: 6,
        deadline: QUICK,
        hint: "One JSON object per line with the six fields of the brief, written in one piece; an I/O error is returned, never unwrapped.",
    },
    CheckInfo {
        name: "rate_limit_bucket_bound",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "Refill by elapsed time x rate, capped at the burst; a refusal's retry_after must be long enough for one whole token, rounded up.",
    },
    CheckInfo {
        name: "sql_checked_queries_run_on_postgres",
        kind: Kind::Database,
        points: 6,
        deadline: PROPERTY,
        hint: "What check_query returns is what runs: it must be the one statement you checked, rendered back from its syntax tree, and valid PostgreSQL.",
    },
    CheckInfo {
        name: "perf_denylist_compiled_once",
        kind: Kind::Perf,
        points: 4,
        deadline: PERF,
        hint: "Compiling a regex costs far more than matching with it: compile the patterns once, in a static.",
    },
    CheckInfo {
        name: "perf_check_query_no_setup_per_call",
        kind: Kind::Perf,
        points: 3,
        deadline: PERF,
        hint: "Build lookup tables and regexes once, not in every call; parse the query once.",
    },
];
