//! The errors lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK, Rule};

/// Every check of the errors lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "codes_retryable",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "Only a failure that may pass by itself is worth another try: which codes describe something that changes with time?",
        rules: &[Rule {
            id: "retryable-codes",
            text: "`is_retryable` is true for Timeout, RateLimited and Unavailable, false for the four others (code::ErrorCode::is_retryable)",
            hint: "A code is retryable when the failure it names can pass by itself, with time: which of the seven are those?",
        }],
    },
    CheckInfo {
        name: "text_form_and_mcp_result",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "A tool failure is a successful response carrying isError; a malformed request is a JSON-RPC error. The log detail belongs to neither.",
        rules: &[
            Rule {
                id: "text-form",
                text: "the text form is exactly `Error [CODE]: message`, nothing else (Display for ToolError)",
                hint: "Write the code's as_str() between the brackets, then the message as it was given, and nothing more.",
            },
            Rule {
                id: "is-error",
                text: "the result is built with CallToolResult::error, so isError is true (to_call_tool_result)",
                hint: "A tool failure is still a successful response; the flag on it says it failed.",
            },
            Rule {
                id: "one-text-block",
                text: "content is exactly one text block holding the text form (to_call_tool_result)",
                hint: "The model reads content: one block, the same text as Display.",
            },
            Rule {
                id: "structured-code-and-message",
                text: "structuredContent holds \"code\" and \"message\" (to_call_tool_result)",
                hint: "Programs read structuredContent: give them the code as text and the message.",
            },
            Rule {
                id: "details-as-they-are",
                text: "when the error has details, structuredContent has \"details\" holding them as they are (to_call_tool_result)",
                hint: "Copy the details value itself, whatever JSON it is.",
            },
            Rule {
                id: "no-details-key",
                text: "no \"details\" key at all when the error has none (to_call_tool_result)",
                hint: "An absent value and a key holding null are not the same JSON: add the key only when there is something to put in it.",
            },
            Rule {
                id: "log-detail-hidden",
                text: "nothing of log_detail anywhere in the result or the text form (Display, to_call_tool_result)",
                hint: "The log detail is for operators; the model sees only the code, the message and the details.",
            },
            Rule {
                id: "malformed-request",
                text: "malformed_request is invalid_params: code -32602, the message exactly the reason, no data (malformed_request)",
                hint: "A protocol error, built with the constructor the brief names, with the reason untouched and nothing added.",
            },
        ],
    },
    CheckInfo {
        name: "conversions_choose_the_code",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Decide each code by what the model can do next: fix its input, wait, or give up. The brief lists each kind, variant and SQLSTATE class.",
        rules: &[
            Rule {
                id: "io-by-kind",
                text: "From<io::Error> chooses the code by kind, as the brief's table says",
                hint: "Match on e.kind(): the table lists every kind with a code; all others are internal.",
            },
            Rule {
                id: "sql-rejection",
                text: "From<SqlRejection> is VALIDATION (convert)",
                hint: "A refused query is the model's own input to fix.",
            },
            Rule {
                id: "path-by-variant",
                text: "From<PathError>: the request's faults by variant, the policy's own faults internal (convert)",
                hint: "Which variants are about the requested path, and which about the server's configuration?",
            },
            Rule {
                id: "access-denied",
                text: "From<AccessDenied> is PERMISSION_DENIED for both variants (convert)",
                hint: "Both variants say the caller may not do this.",
            },
            Rule {
                id: "rate-limited",
                text: "From<RateLimited> is RATE_LIMITED (convert)",
                hint: "The caller may try again later: say so with the code.",
            },
            Rule {
                id: "retry-after-rounded-up",
                text: "details {\"retry_after_ms\": N}, N being retry_after rounded up to a whole millisecond: exactly 250 ms gives 250, 1 ns gives 1 (From<RateLimited>)",
                hint: "Rounding up adds nothing to an exact millisecond: divide the nanoseconds and round up, rather than adding one.",
            },
            Rule {
                id: "elapsed-is-timeout",
                text: "From<Elapsed> is TIMEOUT (convert)",
                hint: "A deadline that passed is a timeout.",
            },
            Rule {
                id: "sqlstate-in-order",
                text: "From<sqlx::Error> chooses by SQLSTATE, in the brief's order: 25006 and 42501 before the class rules, 57014, 40001/40P01/57P03, then classes 08, 53, 42, 22; any other state internal",
                hint: "Test the exact states before the classes they belong to, and check every state the table lists.",
            },
            Rule {
                id: "driver-by-variant",
                text: "driver errors by variant: RowNotFound NOT_FOUND; PoolTimedOut, PoolClosed and Io UNAVAILABLE; any other internal (From<sqlx::Error>)",
                hint: "Match the sqlx::Error variants the table names; everything else is internal.",
            },
            Rule {
                id: "internal-fixed-message",
                text: "internal errors carry INTERNAL_MESSAGE, no details, the detail in log_detail (ToolError::internal)",
                hint: "Use ToolError::internal for every fault of the server's own.",
            },
            Rule {
                id: "message-is-the-errors-text",
                text: "where the brief says \"the error's text\", the message is e.to_string() (SqlRejection, the request's PathErrors, AccessDenied, RateLimited)",
                hint: "Use the given Display of the security lab's type, unchanged.",
            },
        ],
    },
    CheckInfo {
        name: "internal_details_never_reach_the_model",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "For anything about the server's insides, the model gets a fixed message and the full text goes to log_detail; an error's Display is not safe to show.",
        rules: &[
            Rule {
                id: "internal-fixed-message",
                text: "ToolError::internal: code INTERNAL, message exactly INTERNAL_MESSAGE, the detail only in log_detail, no details",
                hint: "The model gets the fixed sentence; what went wrong goes to the log.",
            },
            Rule {
                id: "io-text-hidden",
                text: "an I/O error's message names the kind of failure and never includes the error's own text (From<io::Error>)",
                hint: "Say what kind of failure it was in your own words; the error's text can hold a server path.",
            },
            Rule {
                id: "policy-faults-internal",
                text: "the path policy's own faults are internal: none of their text reaches the message (From<PathError>)",
                hint: "A missing or broken root is the server's fault, and its text holds server paths.",
            },
            Rule {
                id: "no-driver-text",
                text: "no message other than classes 42 and 22 includes the driver's or the database's text (From<sqlx::Error>)",
                hint: "Only a syntax or data error is about the model's own query; every other database text can hold SQL, paths or a password.",
            },
            Rule {
                id: "log-keeps-the-error",
                text: "log_detail contains the whole original error, e.to_string(), in every conversion that has one",
                hint: "Operators need what the model must not see: keep the full text in log_detail.",
            },
        ],
    },
    CheckInfo {
        name: "backoff_formula",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Double from the base for each retry, cap it, then take off jitter x unit of it; 2^retry overflows long before retry reaches u32::MAX.",
        rules: &[
            Rule {
                id: "doubling-capped",
                text: "full = min(max_delay, base_delay * 2^(retry - 1)) (RetryPolicy::backoff, rule 1)",
                hint: "Double from the base for each retry after the first, and never past the cap.",
            },
            Rule {
                id: "retry-zero-like-one",
                text: "retry 0 is treated like 1: the exponent saturates at 0 (RetryPolicy::backoff, rule 1)",
                hint: "What is 0 - 1 for an unsigned number, and what should it be here?",
            },
            Rule {
                id: "overflow-means-the-cap",
                text: "if 2^(retry - 1) does not fit a u32, or the product overflows a Duration, full is max_delay (RetryPolicy::backoff, rule 1)",
                hint: "Use checked arithmetic for both the power and the product, and fall back to the cap when either fails.",
            },
            Rule {
                id: "clamp-jitter-and-unit",
                text: "jitter and unit are clamped to [0, 1] before the wait is computed (RetryPolicy::backoff, rule 2)",
                hint: "A policy or a random source can give numbers outside [0, 1]; clamp both sides of the range.",
            },
            Rule {
                id: "never-panics",
                text: "backoff never panics, whatever the policy and the numbers (RetryPolicy::backoff)",
                hint: "Look for subtraction, multiplication and mul_f64 that can overflow or go negative.",
            },
        ],
    },
    CheckInfo {
        name: "retry_follows_the_policy",
        kind: Kind::Property,
        points: 16,
        deadline: PROPERTY,
        hint: "Per retry: one draw, one backoff, a deadline check against the time since the first attempt, then tokio::time::sleep. Stop at once on an error that is not retryable.",
        rules: &[
            Rule {
                id: "attempts-bounded",
                text: "at most max(1, max_attempts) attempts (retry, rule 1)",
                hint: "Count attempts from 1 and stop after the last one allowed.",
            },
            Rule {
                id: "stop-on-non-retryable",
                text: "an error that is not retryable is returned at once, without a retry (retry, rule 3)",
                hint: "Ask the error whether it is retryable before planning a retry.",
            },
            Rule {
                id: "retry-retryable-errors",
                text: "a retryable error on an attempt that is not the last is retried (retry, rules 3-6)",
                hint: "Keep going while the error is retryable, attempts are left and the deadline allows it.",
            },
            Rule {
                id: "deadline-stops-retrying",
                text: "a retry whose wait would end past the deadline is not made (retry, rule 5)",
                hint: "Compare the time since the first attempt plus the next wait with the deadline.",
            },
            Rule {
                id: "wait-may-end-at-the-deadline",
                text: "a wait that ends exactly at the deadline is allowed (retry, rule 5)",
                hint: "Only a wait that ends after the deadline stops the retry: mind > and >=.",
            },
            Rule {
                id: "waits-follow-backoff",
                text: "each retry waits backoff(n, unit) after attempt n, on tokio's clock (retry, rules 4 and 6)",
                hint: "Draw, compute the wait with backoff for this retry's number, sleep with tokio::time::sleep.",
            },
            Rule {
                id: "one-draw-per-retry",
                text: "exactly one random number per retry considered; none on success, after the last attempt, or after an error that is not retryable (retry, consequences)",
                hint: "Decide whether a retry is possible before drawing its number.",
            },
            Rule {
                id: "no-sleep-past-the-deadline",
                text: "when the wait would end past the deadline, retry returns without sleeping; nothing sleeps after the last attempt (retry, rule 5)",
                hint: "Check the deadline before the sleep, not after it.",
            },
            Rule {
                id: "result-is-the-last-error",
                text: "the result is Ok of the success, or Err of the last error with the number of calls made (retry, rule 3)",
                hint: "Return the error of the last call and how many calls were made.",
            },
        ],
    },
    CheckInfo {
        name: "zero_and_one_attempt",
        kind: Kind::Unit,
        points: 3,
        deadline: QUICK,
        hint: "Whatever max_attempts says, the operation runs at least once, and with nothing left to try the last error is returned.",
        rules: &[Rule {
            id: "zero-means-one",
            text: "max_attempts 0 and 1 both make exactly one call, draw nothing, and return its result (retry, rule 1)",
            hint: "Whatever max_attempts says, the operation runs once; with nothing left to try, its error is returned.",
        }],
    },
    CheckInfo {
        name: "timeouts_cut_and_cancel",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "tokio::time::timeout drops the future it wraps when time is up; a spawned task is not dropped with its handle.",
        rules: &[
            Rule {
                id: "on-time-result-unchanged",
                text: "work that finishes in time returns its own result, Ok or Err, when it finishes (with_timeout, rule 2)",
                hint: "Return the work's own result untouched.",
            },
            Rule {
                id: "cut-at-the-limit",
                text: "late work is cut at exactly the limit (with_timeout, rule 3)",
                hint: "Let tokio::time::timeout decide: it returns at the limit.",
            },
            Rule {
                id: "late-work-dropped",
                text: "the late work is dropped (cancelled) by the time with_timeout returns (with_timeout, rule 1)",
                hint: "Do not spawn it: a future that is dropped stops.",
            },
            Rule {
                id: "timeout-error",
                text: "late work gives TIMEOUT whose message names the tool and the limit in whole milliseconds (with_timeout, rule 3)",
                hint: "Put the tool name and limit.as_millis() in the message.",
            },
            Rule {
                id: "timeout-details",
                text: "details {\"tool\": tool, \"limit_ms\": ms}, ms an integer (with_timeout, rule 3)",
                hint: "The details hold the same two facts as the message, as JSON.",
            },
        ],
    },
];
