//! The server lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK, Rule};

/// Every check of the server lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "tail_matches_a_model",
        kind: Kind::Property,
        points: 7,
        deadline: PROPERTY,
        hint: "Count newlines from the end, but not a newline that is the file's last byte; the first piece is whole only at the start of the file.",
        rules: &[
            Rule {
                id: "last-n-lines",
                text: "the last n lines, oldest first, without their line endings: n == 0 or an empty file gives none; a \\n that is the file's last byte ends the last line and does not start an empty one; one \\r at the end of a line is removed; fewer than n lines gives all of them (tail::last_lines)",
                hint: "Write down what \"a\\nb\\n\", \"a\\nb\" and \"a\\n\\n\\n\" hold, then check the first piece: is it whole?",
            },
            Rule {
                id: "decode-after-join",
                text: "bytes that are not UTF-8 become U+FFFD, decoding each line after the blocks are joined, so a character split across two blocks comes back whole (tail::last_lines)",
                hint: "A block boundary can fall inside a character: keep bytes until the lines are cut.",
            },
            Rule {
                id: "read-exact",
                text: "seek to the block's start, then read_exact (tail::last_lines, how it reads)",
                hint: "A single read may hand out fewer bytes than the buffer holds; the rest of the buffer is left as it was.",
            },
            Rule {
                id: "whole-lines-in-window",
                text: "never read below len - MAX_TAIL_BYTES; when the lines asked for do not fit in that window, return only the whole lines inside it, possibly none: unless the start of the file was reached, the first piece is dropped (tail::last_lines, how it reads)",
                hint: "Where the window starts, is the first piece a whole line, or could it be the end of a longer one?",
            },
        ],
    },
    CheckInfo {
        name: "tail_reads_only_the_end",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "Seek to the end and read blocks backwards; stop as soon as you hold enough lines.",
        rules: &[
            Rule {
                id: "stop-at-n-newlines",
                text: "read blocks of BLOCK (64 KiB) backwards from the end, counting \\n bytes (not a \\n that is the file's last byte), and stop as soon as there are n of them (tail::last_lines, how it reads)",
                hint: "How many newlines does it take to hold n whole lines, when the last byte is one and when it is not?",
            },
            Rule {
                id: "never-below-window",
                text: "never read below len - MAX_TAIL_BYTES (4 MiB from the end), however many lines are asked for (tail::last_lines, how it reads)",
                hint: "The lowest block starts at the window's start, not at the file's.",
            },
            Rule {
                id: "right-lines",
                text: "the lines returned are the last n lines, only whole lines inside the 4 MiB window (tail::last_lines)",
                hint: "Reading less must not change what comes back.",
            },
        ],
    },
    CheckInfo {
        name: "rows_are_capped_with_a_note",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Exactly `limit` rows is not a cut; one more is. The note goes with `truncated: true` only.",
        rules: &[
            Rule {
                id: "limit-clamped",
                text: "clamp limit to 1..=MAX_LIMIT: a limit of 0 means 1, u32::MAX means 1000 (rows::render, rule 1)",
                hint: "Both ends of the range need a bound.",
            },
            Rule {
                id: "truncated-iff-more",
                text: "truncated when rows.rows holds more than limit rows; exactly limit rows is not truncated (rows::render, rule 2)",
                hint: "The backend fetches limit + 1 rows so that a cut can be told from a full page.",
            },
            Rule {
                id: "first-rows-in-order",
                text: "keep the first limit rows, in order, each an array of its values as they are; row_count is the number kept (rows::render, rules 2 and 3)",
                hint: "Count what you return, not what you were given.",
            },
            Rule {
                id: "note-only-when-cut",
                text: "a note only when truncated, and no note key at all when nothing was cut (rows::render, rule 3)",
                hint: "An absent key and a key holding null are not the same JSON.",
            },
            Rule {
                id: "note-says-shown",
                text: "the note says how many rows are shown, the number itself (rows::render, rule 3)",
                hint: "Which number is the count shown: the limit after the clamp, the rows fetched, or the rows kept?",
            },
            Rule {
                id: "columns",
                text: "columns: one {\"name\", \"type\"} per ColumnInfo, from name and type_name, in order (rows::render, rule 3)",
                hint: "The key is \"type\", the field is type_name.",
            },
        ],
    },
    CheckInfo {
        name: "bearer_tokens_are_checked",
        kind: Kind::Unit,
        points: 3,
        deadline: QUICK,
        hint: "The scheme is case-insensitive; an empty token is not a token; compare every byte.",
        rules: &[
            Rule {
                id: "missing",
                text: "no header: Err(AuthError::Missing) (auth::check_bearer, rule 1)",
                hint: "None is the only case of Missing.",
            },
            Rule {
                id: "not-utf8",
                text: "a header that is not UTF-8: Err(AuthError::NotBearer) (auth::check_bearer, rule 2)",
                hint: "A header that is there but unreadable is not a missing one.",
            },
            Rule {
                id: "trim-then-first-space",
                text: "trim surrounding whitespace, then split at the first space into a scheme and the rest; no space: NotBearer (auth::check_bearer, rule 3)",
                hint: "Trim first, then look for a space character, not any whitespace.",
            },
            Rule {
                id: "scheme-any-case",
                text: "the scheme must be bearer in any letter case, else NotBearer (auth::check_bearer, rule 4)",
                hint: "Compare the scheme ignoring ASCII case, and nothing but the scheme.",
            },
            Rule {
                id: "token-trimmed",
                text: "the token is the rest, trimmed, so several spaces after the scheme are fine; an empty token is NotBearer (auth::check_bearer, rule 5)",
                hint: "What is left of `Bearer ` once it is trimmed?",
            },
            Rule {
                id: "token-compared",
                text: "the token equal to expected is Ok(()), different is Err(AuthError::WrongToken) (auth::check_bearer, rule 6)",
                hint: "Case matters in a token; a prefix is not the token.",
            },
        ],
    },
    CheckInfo {
        name: "tokens_are_compared_in_constant_time",
        kind: Kind::Property,
        points: 3,
        deadline: PROPERTY,
        hint: "Look at every byte whatever the first difference: fold the XOR of each pair into one value with OR.",
        rules: &[
            Rule {
                id: "ct-lengths",
                text: "different lengths: false (auth::constant_time_eq)",
                hint: "Zipping two slices stops at the shorter one.",
            },
            Rule {
                id: "ct-equal",
                text: "equal byte strings are equal; two empty strings are equal (auth::constant_time_eq)",
                hint: "Start from a value that means no difference yet.",
            },
            Rule {
                id: "ct-every-pair",
                text: "same length: combine every pair with XOR and OR the results together, then compare the total with zero (auth::constant_time_eq)",
                hint: "Two differences must never cancel each other out.",
            },
            Rule {
                id: "ct-no-early-exit",
                text: "no early return, no == on the slices, no break: the time does not depend on where the strings first differ (auth::constant_time_eq)",
                hint: "all(), any(), == and a return in the loop all stop at the first difference.",
            },
            Rule {
                id: "bearer-constant-time",
                text: "compare the token with expected using constant_time_eq on the bytes (auth::check_bearer, rule 6)",
                hint: "== on two strings stops at their first difference.",
            },
        ],
    },
    CheckInfo {
        name: "pipeline_runs_every_step_in_order",
        kind: Kind::Unit,
        points: 7,
        deadline: QUICK,
        hint: "Permission, rate limit, approval, then the tool in its own task under the timeout; audit and count every call, refused ones too.",
        rules: &[
            Rule {
                id: "permission-denied",
                text: "a tool the caller may not use, or one missing from the permission table, is PERMISSION_DENIED (pipeline::run_guarded, step 1)",
                hint: "Ask the permission table about the tool with what this server granted.",
            },
            Rule {
                id: "unknown-tool-denied",
                text: "a tool missing from the permission table is refused by the permission check (pipeline::run_guarded, step 1)",
                hint: "Default deny: an unknown tool never gets further than step 1.",
            },
            Rule {
                id: "permission-before-rate-limit",
                text: "the checks run in this order, returning the first failure: 1. permission, 2. rate limit (pipeline::run_guarded)",
                hint: "Should a call the caller may not make spend one of their tokens?",
            },
            Rule {
                id: "rate-limited",
                text: "a call over the rate limit is RATE_LIMITED, with retry_after_ms in its details (pipeline::run_guarded, step 2)",
                hint: "Lab 2's From<RateLimited> gives the code and the details.",
            },
            Rule {
                id: "bucket-per-client-and-tool",
                text: "the bucket is per client key and tool (pipeline::run_guarded, step 2)",
                hint: "Which key does the limiter get: the caller's client, and the tool?",
            },
            Rule {
                id: "only-approved-goes-on",
                text: "for a tool that requires approval, only Approval::Approved lets the call go on; any other answer is PERMISSION_DENIED (pipeline::run_guarded, step 3)",
                hint: "Match every answer of the approver.",
            },
            Rule {
                id: "approval-only-when-required",
                text: "the approver is asked only for tools that need approval (pipeline::run_guarded, step 3)",
                hint: "The permission table says which tools require approval.",
            },
            Rule {
                id: "approval-after-permission",
                text: "the approver is asked only after the permission check passed, so a call that would be refused anyway never reaches the human (pipeline::run_guarded)",
                hint: "Would you interrupt the human about a call the caller may not make at all?",
            },
            Rule {
                id: "approval-after-rate-limit",
                text: "the approver is asked only after the rate-limit check passed, so a rate-limited call never reaches the human (pipeline::run_guarded)",
                hint: "Would you interrupt the human about a call that will be refused for its rate anyway?",
            },
            Rule {
                id: "approval-answers-distinct",
                text: "each answer other than Approved is a PERMISSION_DENIED error whose message says which it was: Declined, Unsupported, Failed (pipeline::run_guarded, step 3)",
                hint: "The model acts differently on \"the user said no\" and \"this client cannot ask\".",
            },
            Rule {
                id: "approval-failure-reason",
                text: "Failed(why): asking went wrong; the message includes why (pipeline::run_guarded, step 3)",
                hint: "The reason is in the variant: use it.",
            },
            Rule {
                id: "approval-request-redacted",
                text: "the ApprovalRequest holds the tool's name and the redacted arguments (pipeline::run_guarded, step 3)",
                hint: "The human sees the arguments after security::audit::redact.",
            },
            Rule {
                id: "tool-result-unchanged",
                text: "a call that passes the checks runs the tool and returns its own result unchanged (pipeline::run_guarded, step 4)",
                hint: "Return what registry.execute returned.",
            },
            Rule {
                id: "tool-errors-unchanged",
                text: "the tool's own errors, such as VALIDATION from the registry's schema check, are returned unchanged (pipeline::run_guarded, step 4)",
                hint: "The registry already turned bad arguments into an error: pass it on.",
            },
            Rule {
                id: "tool-runs-once",
                text: "the tool runs once for a call that passes steps 1 to 3, and never for a call refused by them (pipeline::run_guarded)",
                hint: "Every check comes before the spawn.",
            },
            Rule {
                id: "timeout",
                text: "the tool runs in its own task under with_timeout(tool, settings.call_timeout(), ...): past it, TIMEOUT (pipeline::run_guarded, step 4)",
                hint: "Wait for the JoinHandle inside lab 2's with_timeout.",
            },
            Rule {
                id: "timeout-read-each-call",
                text: "read the timeout at each call: update_config can change it while the server runs (pipeline::run_guarded, step 4)",
                hint: "Ask the settings for the timeout when the call starts, not once.",
            },
            Rule {
                id: "human-time-not-counted",
                text: "the time the human takes is not counted against the call timeout (pipeline::run_guarded)",
                hint: "Which steps does the timeout wrap?",
            },
            Rule {
                id: "abort-on-timeout",
                text: "on TIMEOUT, abort the task: dropping a JoinHandle does not stop a spawned task (pipeline::run_guarded, step 4)",
                hint: "Keep the task's abort_handle() before you wait.",
            },
            Rule {
                id: "panic-is-internal",
                text: "a task that panicked is ToolError::internal(...) with the join error as the detail: the model sees INTERNAL and the fixed message, never the panic text (pipeline::run_guarded, step 4)",
                hint: "A JoinError is not the tool's answer; put it in the log detail.",
            },
            Rule {
                id: "in-flight-released",
                text: "the in-flight guard counts the call down when dropped, so no call stays counted after it returned (pipeline::call, step 1)",
                hint: "Let the guard go at the end of call, not before, not never.",
            },
            Rule {
                id: "audit-every-call",
                text: "every call gets exactly one audit entry, with the arguments redacted: successes, tool errors, and calls refused by the permission check, the rate limit or the approval (pipeline::call, step 4)",
                hint: "Write the entry after run_guarded, whatever it returned.",
            },
            Rule {
                id: "metrics-every-call",
                text: "metrics.record(tool, outcome, elapsed) for every call, refused ones included, with Ok(()) or Err(code) (pipeline::call, step 5)",
                hint: "Record the code of the error, not only successes.",
            },
        ],
    },
    CheckInfo {
        name: "calls_are_answered_audited_and_counted",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "One result, one audit entry, one count per call, whatever goes wrong around it.",
        rules: &[
            Rule {
                id: "success-result",
                text: "on success, CallToolResult::success with one text block holding the tool's text (pipeline::call, step 6)",
                hint: "One block, the text as the tool returned it.",
            },
            Rule {
                id: "error-result-structured",
                text: "on failure, return error.to_call_tool_result(), which keeps the structured content (code, message, details) (pipeline::call, step 6)",
                hint: "Lab 2 already builds the error's result: use it.",
            },
            Rule {
                id: "in-flight-counted",
                text: "let _in_flight = self.metrics.start_call(); keep the guard until the end of call, so the call counts as in flight while the tool runs and while it is audited (pipeline::call, step 1)",
                hint: "How long does a value bound to the pattern `_` live?",
            },
            Rule {
                id: "in-flight-released",
                text: "the in-flight guard counts the call down when dropped (pipeline::call, step 1)",
                hint: "Let the guard go at the end of call.",
            },
            Rule {
                id: "audit-fields",
                text: "the audit entry is a ToolCallRecord with the tool name, the original arguments and success (pipeline::call, step 4)",
                hint: "success is whether run_guarded returned Ok.",
            },
            Rule {
                id: "audit-result-length",
                text: "result_len is the length of the text the client gets: the tool's text, or error.to_string() (Error [CODE]: message) (pipeline::call, steps 3 and 4)",
                hint: "Measure the whole text sent, not the error's message alone.",
            },
            Rule {
                id: "audit-duration",
                text: "the audit entry's duration is the elapsed time of the call (pipeline::call, steps 1 and 4)",
                hint: "Start the timer before run_guarded and read it after.",
            },
            Rule {
                id: "audit-every-call",
                text: "every call gets exactly one audit entry (pipeline::call, step 4)",
                hint: "Write the entry after run_guarded, whatever it returned.",
            },
            Rule {
                id: "audit-failure-not-fatal",
                text: "if writing the audit entry fails, log it and go on: the call's result is still returned (pipeline::call, step 4)",
                hint: "An audit failure is the server's problem, not the caller's answer.",
            },
            Rule {
                id: "audit-failure-counted",
                text: "if writing the audit entry fails, call self.metrics.audit_failed() (pipeline::call, step 4)",
                hint: "Operators watch that counter; count every failed write.",
            },
            Rule {
                id: "poisoned-lock-usable",
                text: "lock the audit mutex; a poisoned lock is still usable with into_inner (pipeline::call, step 4)",
                hint: "After one panic under the lock, should every later call fail?",
            },
            Rule {
                id: "metrics-every-call",
                text: "metrics.record(tool, outcome, elapsed) for every call, with its latency (pipeline::call, step 5)",
                hint: "Record the elapsed time measured around run_guarded.",
            },
        ],
    },
    CheckInfo {
        name: "tools_are_listed_with_their_schemas",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Start the server with `cargo run -p lab-server -- stdio` and list its tools with a client.",
        rules: &[],
    },
    CheckInfo {
        name: "injections_leave_the_demo_database_unchanged",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Every query goes through lab 1's check first; the SQLite connection is read-only besides.",
        rules: &[],
    },
    CheckInfo {
        name: "injections_leave_postgresql_unchanged",
        kind: Kind::Database,
        points: 6,
        deadline: PROPERTY,
        hint: "Every query goes through lab 1's check, then lab 3's READ ONLY transaction.",
        rules: &[],
    },
    CheckInfo {
        name: "traversals_stay_inside_the_log_roots",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "read_log resolves every path with lab 1's PathPolicy before opening it.",
        rules: &[],
    },
    CheckInfo {
        name: "every_call_is_audited_without_secrets",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "One redacted audit line per call, refused calls included.",
        rules: &[],
    },
    CheckInfo {
        name: "bursts_are_rate_limited",
        kind: Kind::Unit,
        points: 3,
        deadline: QUICK,
        hint: "Check the rate limit before the tool runs, keyed by the caller.",
        rules: &[],
    },
    CheckInfo {
        name: "slow_queries_time_out_and_the_server_goes_on",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Wrap the tool's task in with_timeout and abort it when time is up.",
        rules: &[],
    },
    CheckInfo {
        name: "approval_goes_through_elicitation",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Ask the caller's approver for high-privilege tools; anything but Approved is PERMISSION_DENIED.",
        rules: &[],
    },
    CheckInfo {
        name: "http_endpoints_and_guards",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Without the token, /mcp and /metrics answer 401; /healthz always answers.",
        rules: &[],
    },
    CheckInfo {
        name: "logs_go_to_stderr_at_their_level",
        kind: Kind::Unit,
        points: 3,
        deadline: QUICK,
        hint: "Over stdio, stdout is the protocol; the level says whose fault a failure is.",
        rules: &[
            Rule {
                id: "stdout-protocol-only",
                text: "logs go to stderr; never println!: over stdio, stdout carries the protocol, and one stray line breaks the client's connection (pipeline::call)",
                hint: "Use the tracing macros, which the given run module sends to stderr.",
            },
            Rule {
                id: "internal-logged-as-error",
                text: "on an INTERNAL failure, tracing::error!, with the tool and log_detail (pipeline::call, step 6)",
                hint: "The log detail holds what went wrong inside; the operator needs it at ERROR.",
            },
            Rule {
                id: "refusal-logged-as-info",
                text: "on any other code (the caller's doing: a bad argument, a refusal, a timeout), tracing::info!, with the tool, the code and log_detail (pipeline::call, step 6)",
                hint: "A caller's mistake is not the server's error: which level says so?",
            },
        ],
    },
    CheckInfo {
        name: "shutdown_finishes_calls_in_flight",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Count calls in flight for their whole duration: the shutdown waits for that count to reach zero.",
        rules: &[],
    },
];
