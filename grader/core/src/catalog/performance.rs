//! The performance lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PERF, PROPERTY, QUICK};

/// Every check of the performance lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "cache_agrees_with_a_model",
        kind: Kind::Property,
        points: 14,
        deadline: PROPERTY,
        hint: "An entry expires ttl after its insertion, a get refreshes recency but not the clock, and a new key in a full cache evicts the least recently used.",
        rules: &[],
    },
    CheckInfo {
        name: "cache_loader_runs_once",
        kind: Kind::Unit,
        points: 8,
        deadline: QUICK,
        hint: "Concurrent misses on one key must wait on one gate per key and look again before loading; errors are returned, never stored.",
        rules: &[],
    },
    CheckInfo {
        name: "pool_rows_as_json",
        kind: Kind::Database,
        points: 6,
        deadline: PROPERTY,
        hint: "Run the statement as written through rows_as_json, inside the read-only transaction.",
        rules: &[],
    },
    CheckInfo {
        name: "pool_refuses_writes_in_disguise",
        kind: Kind::Database,
        points: 10,
        deadline: PROPERTY,
        hint: "The transaction must be READ ONLY before the statement runs, and the statement must go through the prepared protocol, which takes one statement only.",
        rules: &[],
    },
    CheckInfo {
        name: "pool_cuts_slow_queries",
        kind: Kind::Database,
        points: 5,
        deadline: QUICK,
        hint: "SET LOCAL statement_timeout inside the transaction, in milliseconds.",
        rules: &[],
    },
    CheckInfo {
        name: "pool_connection_comes_back_clean",
        kind: Kind::Database,
        points: 5,
        deadline: QUICK,
        hint: "SET LOCAL, not SET, and end every transaction, whatever the query did.",
        rules: &[],
    },
    CheckInfo {
        name: "batch_is_concurrent_and_ordered",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "A semaphore with `concurrency` permits, every job started at once and waiting for a permit, each result written to its own slot.",
        rules: &[],
    },
    CheckInfo {
        name: "perf_cache_hit_is_constant_time",
        kind: Kind::Perf,
        points: 6,
        deadline: PERF,
        hint: "A hit must not scan: a hash map to find the entry, a linked list (in a slab) to keep the recency order.",
        rules: &[],
    },
];
