//! The server lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK};

/// Every check of the server lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "tail_matches_a_model",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Count newlines from the end, but not a newline that is the file's last byte; the first piece is whole only at the start of the file.",
    },
    CheckInfo {
        name: "tail_reads_only_the_end",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Seek to the end and read blocks backwards; stop as soon as you hold enough lines.",
    },
    CheckInfo {
        name: "rows_are_capped_with_a_note",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Exactly `limit` rows is not a cut; one more is. The note goes with `truncated: true` only.",
    },
    CheckInfo {
        name: "bearer_tokens_are_checked",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "The scheme is case-insensitive; an empty token is not a token; compare every byte.",
    },
    CheckInfo {
        name: "pipeline_runs_every_step_in_order",
        kind: Kind::Unit,
        points: 8,
        deadline: QUICK,
        hint: "Permission, rate limit, approval, then the tool in its own task under the timeout; audit and count every call, refused ones too.",
    },
    CheckInfo {
        name: "tools_are_listed_with_their_schemas",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Start the server with `cargo run -p lab-server -- stdio` and list its tools with a client.",
    },
    CheckInfo {
        name: "injections_leave_the_demo_database_unchanged",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Every query goes through lab 1's check first; the SQLite connection is read-only besides.",
    },
    CheckInfo {
        name: "injections_leave_postgresql_unchanged",
        kind: Kind::Database,
        points: 6,
        deadline: PROPERTY,
        hint: "Every query goes through lab 1's check, then lab 3's READ ONLY transaction.",
    },
    CheckInfo {
        name: "traversals_stay_inside_the_log_roots",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "read_log resolves every path with lab 1's PathPolicy before opening it.",
    },
    CheckInfo {
        name: "every_call_is_audited_without_secrets",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "One redacted audit line per call, refused calls included.",
    },
    CheckInfo {
        name: "bursts_are_rate_limited",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Check the rate limit before the tool runs, keyed by the caller.",
    },
    CheckInfo {
        name: "slow_queries_time_out_and_the_server_goes_on",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Wrap the tool's task in with_timeout and abort it when time is up.",
    },
    CheckInfo {
        name: "approval_goes_through_elicitation",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Ask the caller's approver for high-privilege tools; anything but Approved is PERMISSION_DENIED.",
    },
    CheckInfo {
        name: "http_endpoints_and_guards",
        kind: Kind::Unit,
        points: 6,
        deadline: QUICK,
        hint: "Without the token, /mcp and /metrics answer 401; /healthz always answers.",
    },
    CheckInfo {
        name: "shutdown_finishes_calls_in_flight",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Count calls in flight for their whole duration: the shutdown waits for that count to reach zero.",
    },
];
