//! The errors lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK};

/// Every check of the errors lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "codes_retryable",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Only a failure that may pass by itself is worth another try: which codes describe something that changes with time?",
        rules: &[],
    },
    CheckInfo {
        name: "text_form_and_mcp_result",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "A tool failure is a successful response carrying isError; a malformed request is a JSON-RPC error. The log detail belongs to neither.",
        rules: &[],
    },
    CheckInfo {
        name: "conversions_choose_the_code",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Decide each code by what the model can do next: fix its input, wait, or give up. The brief lists each kind, variant and SQLSTATE class.",
        rules: &[],
    },
    CheckInfo {
        name: "internal_details_never_reach_the_model",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "For anything about the server's insides, the model gets a fixed message and the full text goes to log_detail; an error's Display is not safe to show.",
        rules: &[],
    },
    CheckInfo {
        name: "backoff_formula",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Double from the base for each retry, cap it, then take off jitter x unit of it; 2^retry overflows long before retry reaches u32::MAX.",
        rules: &[],
    },
    CheckInfo {
        name: "retry_follows_the_policy",
        kind: Kind::Property,
        points: 16,
        deadline: PROPERTY,
        hint: "Per retry: one draw, one backoff, a deadline check against the time since the first attempt, then tokio::time::sleep. Stop at once on an error that is not retryable.",
        rules: &[],
    },
    CheckInfo {
        name: "zero_and_one_attempt",
        kind: Kind::Unit,
        points: 3,
        deadline: QUICK,
        hint: "Whatever max_attempts says, the operation runs at least once, and with nothing left to try the last error is returned.",
        rules: &[],
    },
    CheckInfo {
        name: "timeouts_cut_and_cancel",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "tokio::time::timeout drops the future it wraps when time is up; a spawned task is not dropped with its handle.",
        rules: &[],
    },
];
