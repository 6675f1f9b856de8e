//! The performance lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PERF, PROPERTY, QUICK, Rule};

/// Every check of the performance lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "cache_agrees_with_a_model",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "An entry expires ttl after its insertion, a get refreshes recency but not the clock, and a new key in a full cache evicts the least recently used.",
        rules: &[
            Rule {
                id: "expired-at-ttl",
                text: "an entry is expired when now - inserted >= ttl: alive for ttl and gone at exactly ttl, so a get at that moment misses (Expiry; get rule 2)",
                hint: "Compare the age of the entry with the TTL so that an age equal to the TTL already counts as expired.",
            },
            Rule {
                id: "hit-keeps-ttl",
                text: "a hit refreshes the entry's recency, not its TTL: the entry still expires ttl after it was inserted, however often it is read (get)",
                hint: "Which field of the node does a get change, and which must it leave alone?",
            },
            Rule {
                id: "expired-get-removes",
                text: "a get that finds an expired entry removes it (from the map and the list, its slot to the free list) and returns None, so len no longer counts it (get rule 2)",
                hint: "Returning None is half of it: what does the cache still hold afterwards?",
            },
            Rule {
                id: "update-in-place",
                text: "inserting a key already present (expired or not) replaces its value, sets its insertion time to now and makes it the newest; nothing is evicted (insert rule 2)",
                hint: "Look for the key before anything else, and when it is there, change that node and stop: three things change on it.",
            },
            Rule {
                id: "evict-least-recent",
                text: "a new key in a cache holding capacity entries first removes the least recently used entry (the oldest), expired or not, and nothing else; a hit and an update each make their entry the newest (insert rule 3, get rule 3, len never exceeds the capacity)",
                hint: "Keep the recency list exact: every hit and every insert moves its node to the newest end, and eviction takes the other end, once, only when the cache is full.",
            },
            Rule {
                id: "len-counts-stored",
                text: "len counts the entries stored, including expired entries that no get has removed yet (len)",
                hint: "Entries leave the cache in two ways only: a get that finds them expired, and eviction by an insert.",
            },
            Rule {
                id: "capacity-zero-stores-nothing",
                text: "a capacity of 0 stores nothing: insert returns at once (insert rule 1)",
                hint: "With no room at all, there is no oldest entry to evict either.",
            },
        ],
    },
    CheckInfo {
        name: "cache_loader_runs_once",
        kind: Kind::Unit,
        points: 6,
        deadline: QUICK,
        hint: "Concurrent misses on one key must wait on one gate per key and look again before loading; errors are returned, never stored.",
        rules: &[
            Rule {
                id: "one-loader-per-key",
                text: "concurrent misses on one key run load once, and every caller gets its value (get_or_try_insert_with rules 2 to 4)",
                hint: "One gate per key, shared by every caller that misses; whoever gets it second must look in the cache again before loading.",
            },
            Rule {
                id: "failure-not-stored",
                text: "on Err(e), store nothing and return Err(e); the next call loads again (get_or_try_insert_with rule 4)",
                hint: "Only an Ok value goes into the cache.",
            },
            Rule {
                id: "loaded-value-stored",
                text: "on Ok(value), insert it, then return Ok(value); a later call hits and does not call load (get_or_try_insert_with rules 1 and 4)",
                hint: "The value a loader returns must end up in the cache, not only in the caller's hands.",
            },
            Rule {
                id: "capacity-zero-loads-each",
                text: "with a capacity of 0 nothing is stored, so every caller runs its own load and gets its value (get_or_try_insert_with)",
                hint: "After the gate, the second look finds nothing in a cache that stores nothing.",
            },
        ],
    },
    CheckInfo {
        name: "cache_loader_gates",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "A gate per key, taken only on a miss, shared by everyone waiting on that key, and removed when the last of them is done.",
        rules: &[
            Rule {
                id: "hit-returns-at-once",
                text: "when get(&key) hits, return Ok(value) at once: load is not called and no gate is taken, even while another caller loads that key (get_or_try_insert_with rule 1)",
                hint: "Look in the cache before touching `loading`.",
            },
            Rule {
                id: "keys-independent",
                text: "misses on different keys never wait for each other (get_or_try_insert_with)",
                hint: "A gate belongs to one key; which locks are held while a loader runs?",
            },
            Rule {
                id: "gate-kept-while-waited",
                text: "remove the gate from loading only if no other caller holds or waits on it, so a caller arriving meanwhile waits on the same gate and two loads of one key never run at once (get_or_try_insert_with rule 5)",
                hint: "Who else may still hold a clone of the gate's Arc when you are done with it?",
            },
            Rule {
                id: "waiters-load-one-at-a-time",
                text: "when a load fails, its caller gets the error, and the callers waiting behind it each find the cache still empty and run their own load, one at a time, until one succeeds; the rest get that value (get_or_try_insert_with)",
                hint: "Every caller that gets the gate looks in the cache first, and loads only if it is still missing.",
            },
            Rule {
                id: "gate-removed-when-idle",
                text: "loading must not keep a gate for a key nobody is loading: the last caller removes it (get_or_try_insert_with rule 5)",
                hint: "After releasing the gate, count who still refers to it: the map and you means nobody else.",
            },
        ],
    },
    CheckInfo {
        name: "pool_rows_as_json",
        kind: Kind::Database,
        points: 5,
        deadline: PROPERTY,
        hint: "Run the statement as written through rows_as_json, inside the read-only transaction.",
        rules: &[Rule {
            id: "rows-as-reference",
            text: "run sql with rows_as_json (given), which sends it as written through the prepared protocol, and return its result (query_read_only steps 4 and 6)",
            hint: "rows_as_json already does the conversion: give it the statement untouched.",
        }],
    },
    CheckInfo {
        name: "pool_refuses_writes_in_disguise",
        kind: Kind::Database,
        points: 8,
        deadline: PROPERTY,
        hint: "The transaction must be READ ONLY before the statement runs, and the statement must go through the prepared protocol, which takes one statement only.",
        rules: &[
            Rule {
                id: "write-refused",
                text: "every query runs in a transaction made READ ONLY before the statement, so a write fails and changes nothing (query_read_only steps 1, 2 and 4)",
                hint: "Let the database refuse the write: the transaction must be read-only before the statement runs.",
            },
            Rule {
                id: "refusal-code",
                text: "a write inside the read-only transaction is PERMISSION_DENIED (25006), a second statement VALIDATION (42601), through lab 2's conversions (Errors)",
                hint: "Return the sqlx error through `?`; lab 2's conversion picks the code from the SQLSTATE.",
            },
        ],
    },
    CheckInfo {
        name: "pool_cuts_slow_queries",
        kind: Kind::Database,
        points: 4,
        deadline: QUICK,
        hint: "SET LOCAL statement_timeout inside the transaction, in milliseconds.",
        rules: &[
            Rule {
                id: "timeout-cuts",
                text: "a query that runs past the statement timeout fails with TIMEOUT (57014) (query_read_only step 3, Errors)",
                hint: "The database cuts the query itself once statement_timeout is set in the transaction.",
            },
            Rule {
                id: "timeout-in-ms",
                text: "SET LOCAL statement_timeout = MS, where MS is the statement timeout in whole milliseconds, at least 1: in PostgreSQL 0 turns the timeout off (query_read_only step 3)",
                hint: "A bare number is read as milliseconds; which Duration method gives whole milliseconds, and what if it is 0?",
            },
        ],
    },
    CheckInfo {
        name: "pool_connection_comes_back_clean",
        kind: Kind::Database,
        points: 4,
        deadline: QUICK,
        hint: "SET LOCAL, not SET, and end every transaction, whatever the query did.",
        rules: &[Rule {
            id: "comes-back-clean",
            text: "the connection goes back to the pool with no transaction open and statement_timeout at its previous value, after successful and failed queries alike (query_read_only step 5)",
            hint: "Roll back on every path, and make every setting local to the transaction.",
        }],
    },
    CheckInfo {
        name: "pool_follows_its_config",
        kind: Kind::Database,
        points: 5,
        deadline: PROPERTY,
        hint: "Every field of PoolConfig goes to PgPoolOptions, and every error comes back through `?`.",
        rules: &[
            Rule {
                id: "min-from-config",
                text: "min_connections from config (Database::connect)",
                hint: "Each option of the builder takes its own field of the config.",
            },
            Rule {
                id: "max-from-config",
                text: "max_connections from config (Database::connect)",
                hint: "The pool must never open more connections than the config allows.",
            },
            Rule {
                id: "max-zero-is-one",
                text: "a max_connections of 0 counts as 1: a pool of no connections would time out on every query (Database::connect)",
                hint: "Clamp the value before handing it to the builder.",
            },
            Rule {
                id: "acquire-timeout-from-config",
                text: "acquire_timeout from config: a query that finds no free connection waits that long, no more (Database::connect)",
                hint: "Without it, sqlx waits its own default for a free connection.",
            },
            Rule {
                id: "busy-pool-unavailable",
                text: "no free connection within acquire_timeout is UNAVAILABLE, through lab 2's conversions (Errors)",
                hint: "The pool's timeout is an sqlx error like any other: let `?` convert it.",
            },
            Rule {
                id: "connect-error-converted",
                text: "connect with connect_with(connect_options(url)?); a failure to connect is returned through `?`, converted by lab 2's From<sqlx::Error> (Database::connect)",
                hint: "Neither a malformed URL nor a server that does not answer is a panic or an internal error.",
            },
        ],
    },
    CheckInfo {
        name: "pool_query_once",
        kind: Kind::Database,
        points: 4,
        deadline: PROPERTY,
        hint: "The same steps as query_read_only, on a connection of its own.",
        rules: &[
            Rule {
                id: "once-same-rows",
                text: "for the same query, query_once returns the same QueryRows as query_read_only (pool::query_once)",
                hint: "Run the statement with rows_as_json, as the pool does.",
            },
            Rule {
                id: "once-read-only",
                text: "query_once takes steps 1 to 6 on its connection: the transaction is READ ONLY, a write is PERMISSION_DENIED and a second statement VALIDATION (pool::query_once)",
                hint: "Every step of query_read_only, step 2 included.",
            },
            Rule {
                id: "once-timeout-in-ms",
                text: "query_once sets statement_timeout as the limit, in whole milliseconds, at least 1 (pool::query_once, query_read_only step 3)",
                hint: "The same conversion as in query_read_only, with the same lower bound.",
            },
        ],
    },
    CheckInfo {
        name: "batch_is_concurrent_and_ordered",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "A semaphore with `concurrency` permits, every job started at once and waiting for a permit, each result written to its own slot.",
        rules: &[
            Rule {
                id: "concurrency-limit",
                text: "at most max(1, C) jobs run at once, each task holding its permit until its job ends: N jobs that each take d run in exactly ceil(N / max(1, C)) * d (run_batch rules 1 and 2)",
                hint: "A permit must live as long as the job: what happens to a value bound to `_`?",
            },
            Rule {
                id: "zero-counts-as-one",
                text: "a concurrency of 0 counts as 1 (run_batch rule 1)",
                hint: "A semaphore with no permits never lets anyone through.",
            },
            Rule {
                id: "job-called-with-permit",
                text: "the task first acquires a permit; only then does it call the job (run_batch rule 2)",
                hint: "Calling the job is part of running it: do it after the permit is yours.",
            },
            Rule {
                id: "timeout-per-job",
                text: "with Some(limit) each job runs under with_timeout, the limit counting from the moment the job holds its permit; a job capped by a timeout t takes min(d, t) of its permit's time; with None, no limit (run_batch rule 3)",
                hint: "What exactly does with_timeout wrap: the job alone, or the wait for a permit too?",
            },
            Rule {
                id: "timeout-names-job",
                text: "a job that times out gets the TIMEOUT error from with_timeout(&format!(\"job {i}\"), limit, job()), i its position in jobs from 0 (run_batch rule 3)",
                hint: "The tool name is the job's index as the input counts it.",
            },
            Rule {
                id: "results-in-order",
                text: "each result goes in slot i, and the slots come back in input order: the result of jobs[i] at index i, one result per job; an empty jobs gives an empty vector (run_batch rules 4 and 6)",
                hint: "Tasks finish in any order: carry the index with each result.",
            },
            Rule {
                id: "errors-stay-in-slot",
                text: "a job's Err stays in its slot as it is (run_batch)",
                hint: "Pass the job's own error through untouched.",
            },
            Rule {
                id: "panic-is-internal",
                text: "a job whose task panicked leaves its slot empty: fill it with ToolError::internal(...), an INTERNAL error; the other jobs run on (run_batch rule 5)",
                hint: "join_next gives a JoinError for a panicked task: do not unwrap it.",
            },
        ],
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
