//! The hidden suite of lab 2 (error handling).
//!
//! Written once, generic over [`Api`], for the learner's `lab-errors` (on
//! the learner's `lab-security`) and the reference `solution-errors` (on
//! `solution-security`). Async behaviour runs on tokio's paused clock, so
//! every wait is checked to the microsecond and takes no real time.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use grader_kit::check::tag_rule;
use grader_kit::paused_runtime;
use grader_kit::prop::{property, with_named_cases};
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::{Check, Outcome, unit};

#[path = "../../../../labs/errors/tests/common/mod.rs"]
mod fake_db;

/// The code names, in `ErrorCode::ALL` order.
const CODES: [&str; 7] = [
    "VALIDATION",
    "NOT_FOUND",
    "PERMISSION_DENIED",
    "TIMEOUT",
    "RATE_LIMITED",
    "UNAVAILABLE",
    "INTERNAL",
];

/// A tool error as the suite sees it, through the given accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// `code().as_str()`.
    pub code: &'static str,
    /// `message()`.
    pub message: String,
    /// `details()`.
    pub details: Option<Value>,
    /// `log_detail()`.
    pub log_detail: Option<String>,
}

/// A `SqlRejection` of the security lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlCase {
    /// `SqlRejection::Empty`.
    Empty,
    /// `SqlRejection::Unparsable`.
    Unparsable,
    /// `SqlRejection::MultipleStatements`.
    MultipleStatements,
    /// `SqlRejection::NotAQuery`.
    NotAQuery,
    /// `SqlRejection::SelectInto`.
    SelectInto,
    /// `SqlRejection::DataModifyingCte`.
    DataModifyingCte,
    /// `SqlRejection::LockingClause`.
    LockingClause,
    /// `SqlRejection::ForbiddenFunction`.
    ForbiddenFunction,
}

/// A `PathError` of the security lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathCase {
    /// `PathError::NoRoots`.
    NoRoots,
    /// `PathError::RootUnavailable`, holding the text.
    RootUnavailable,
    /// `PathError::RootNotADirectory`, holding the text.
    RootNotADirectory,
    /// `PathError::Empty`.
    Empty,
    /// `PathError::ContainsNul`.
    ContainsNul,
    /// `PathError::NotFound`.
    NotFound,
    /// `PathError::DanglingSymlink`.
    DanglingSymlink,
    /// `PathError::OutsideRoots`.
    OutsideRoots,
    /// `PathError::Io`, holding the text.
    Io,
}

/// An error a tool meets, to be converted.
#[derive(Debug, Clone)]
pub enum Source {
    /// `std::io::Error` of this kind, with this text.
    Io {
        /// `e.kind()`.
        kind: io::ErrorKind,
        /// Its text.
        text: String,
    },
    /// A `SqlRejection`.
    Sql(SqlCase),
    /// A `PathError`; `text` goes where the variant holds a text.
    Path {
        /// Which variant.
        case: PathCase,
        /// A server path or message.
        text: String,
    },
    /// `AccessDenied`: an unknown tool, or missing permissions.
    Denied {
        /// `UnknownTool` rather than `MissingPermissions`.
        unknown_tool: bool,
    },
    /// `RateLimited` with this wait.
    Limited {
        /// `retry_after`.
        retry_after: Duration,
    },
    /// `sqlx::Error::Database` with this SQLSTATE and message.
    Db {
        /// `db.code()`.
        sqlstate: String,
        /// `db.message()`.
        message: String,
    },
    /// `sqlx::Error::RowNotFound`.
    RowNotFound,
    /// `sqlx::Error::PoolTimedOut`.
    PoolTimedOut,
    /// `sqlx::Error::PoolClosed`.
    PoolClosed,
    /// `sqlx::Error::Io` of this kind.
    DbIo(io::ErrorKind),
    /// `sqlx::Error::Protocol` with this text.
    Protocol(String),
    /// `tokio::time::error::Elapsed`.
    Elapsed,
    /// `ToolError::internal` with this detail.
    Internal(String),
}

/// What a retry run did: when each attempt started, how many random
/// numbers were drawn, when it returned, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryRun {
    /// (attempt number, time since the start) for each call.
    pub calls: Vec<(u32, Duration)>,
    /// How many numbers were drawn from the random source.
    pub draws: usize,
    /// Virtual time from the start until `retry` returned.
    pub returned_at: Duration,
    /// `Ok(attempt that succeeded)`, or `Err((code, attempts, message))`.
    pub result: Result<u32, (&'static str, u32, String)>,
}

/// What a timeout run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeoutRun {
    /// Virtual time until `with_timeout` returned.
    pub elapsed: Duration,
    /// Whether the work had been dropped when it returned.
    pub dropped: bool,
    /// `Ok(value)`, or the error seen.
    pub result: Result<&'static str, Seen>,
}

/// A retry policy in plain numbers.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// `max_attempts`.
    pub max_attempts: u32,
    /// `base_delay`.
    pub base: Duration,
    /// `max_delay`.
    pub cap: Duration,
    /// `jitter`.
    pub jitter: f64,
    /// `deadline`.
    pub deadline: Option<Duration>,
}

/// What `malformed_request` returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// The JSON-RPC code.
    pub code: i32,
    /// The message.
    pub message: String,
    /// Whether it carries data.
    pub has_data: bool,
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// `ErrorCode::ALL[code].is_retryable()`.
    fn is_retryable(code: usize) -> bool;
    /// `ToolError::new(..)`, `with_details`, `with_log_detail`: its text
    /// form and its `CallToolResult` as JSON.
    fn render(
        code: usize,
        message: &str,
        details: Option<Value>,
        log: Option<&str>,
    ) -> (String, Value);
    /// `malformed_request(reason)`.
    fn malformed(reason: &str) -> Malformed;
    /// Converts `source` into a tool error.
    fn convert(source: &Source) -> Seen;
    /// The text form and `CallToolResult` JSON of a converted error.
    fn model_view(source: &Source) -> (String, Value);
    /// The original error's own text (`e.to_string()`), before conversion.
    fn original_text(source: &Source) -> String;
    /// `RetryPolicy::backoff`; `Err` holds a panic's message.
    fn backoff(policy: Policy, retry: u32, unit: f64) -> Result<Duration, String>;
    /// `retry` on a paused clock with scripted outcomes and draws, each
    /// attempt taking `attempt_time` before it returns.
    fn retry(
        policy: Policy,
        outcomes: &[Option<usize>],
        draws: &[f64],
        attempt_time: Duration,
    ) -> RetryRun;
    /// `with_timeout` on a paused clock: work taking `work` that returns
    /// `Ok("done")`, or a validation error when `fails`.
    fn timeout(tool: &str, limit: Duration, work: Duration, fails: bool) -> TimeoutRun;
}

/// A real `Elapsed`, from a timeout that cannot be met.
fn elapsed() -> tokio::time::error::Elapsed {
    paused_runtime()
        .block_on(async {
            tokio::time::timeout(Duration::ZERO, std::future::pending::<()>()).await
        })
        .expect_err("a zero timeout on a pending future elapses")
}

/// Drop flag for cancelled work.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Scripted random numbers, repeating the last; counts what is drawn.
pub struct Draws {
    values: Vec<f64>,
    next: usize,
}

/// Implements [`Api`] for one side; expanded once per side.
macro_rules! errors_api {
    ($side:ident, $errors:ident, $security:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        impl $errors::retry::RandomSource for Draws {
            fn next_unit(&mut self) -> f64 {
                let v = self
                    .values
                    .get(self.next)
                    .or(self.values.last())
                    .copied()
                    .unwrap_or(0.0);
                self.next += 1;
                v
            }
        }

        /// The security lab's error of a `Source`, as one of its types.
        enum Original {
            Io(io::Error),
            Sql($security::sql::SqlRejection),
            Path($security::paths::PathError),
            Denied($security::permissions::AccessDenied),
            Limited($security::rate_limit::RateLimited),
            Db(sqlx::Error),
            Elapsed(tokio::time::error::Elapsed),
            Internal(String),
        }

        impl $side {
            fn seen(e: &$errors::ToolError) -> Seen {
                let code = e.code();
                Seen {
                    code: code.as_str(),
                    message: e.message().to_owned(),
                    details: e.details().cloned(),
                    log_detail: e.log_detail().map(str::to_owned),
                }
            }

            fn original(source: &Source) -> Original {
                use $security::paths::PathError;
                use $security::permissions::{AccessDenied, Permission};
                use $security::sql::SqlRejection;
                match source {
                    Source::Io { kind, text } => Original::Io(io::Error::new(*kind, text.clone())),
                    Source::Sql(case) => Original::Sql(match case {
                        SqlCase::Empty => SqlRejection::Empty,
                        SqlCase::Unparsable => {
                            SqlRejection::Unparsable("expected an expression".into())
                        }
                        SqlCase::MultipleStatements => SqlRejection::MultipleStatements(3),
                        SqlCase::NotAQuery => SqlRejection::NotAQuery("DELETE".into()),
                        SqlCase::SelectInto => SqlRejection::SelectInto,
                        SqlCase::DataModifyingCte => SqlRejection::DataModifyingCte,
                        SqlCase::LockingClause => SqlRejection::LockingClause,
                        SqlCase::ForbiddenFunction => SqlRejection::ForbiddenFunction {
                            name: "pg_read_file".into(),
                            why: "reads files",
                        },
                    }),
                    Source::Path { case, text } => Original::Path(match case {
                        PathCase::NoRoots => PathError::NoRoots,
                        PathCase::RootUnavailable => PathError::RootUnavailable {
                            root: text.into(),
                            source: io::Error::new(io::ErrorKind::NotFound, text.clone()),
                        },
                        PathCase::RootNotADirectory => PathError::RootNotADirectory(text.into()),
                        PathCase::Empty => PathError::Empty,
                        PathCase::ContainsNul => PathError::ContainsNul,
                        PathCase::NotFound => PathError::NotFound("app.log".into()),
                        PathCase::DanglingSymlink => PathError::DanglingSymlink("link.log".into()),
                        PathCase::OutsideRoots => PathError::OutsideRoots("../etc/passwd".into()),
                        PathCase::Io => PathError::Io {
                            path: "app.log".into(),
                            source: io::Error::other(text.clone()),
                        },
                    }),
                    Source::Denied { unknown_tool: true } => {
                        Original::Denied(AccessDenied::UnknownTool("drop_all".into()))
                    }
                    Source::Denied {
                        unknown_tool: false,
                    } => Original::Denied(AccessDenied::MissingPermissions {
                        tool: "update_config".into(),
                        missing: vec![Permission::ModifyConfig],
                    }),
                    Source::Limited { retry_after } => {
                        Original::Limited($security::rate_limit::RateLimited {
                            retry_after: *retry_after,
                        })
                    }
                    Source::Db { sqlstate, message } => {
                        let code: &'static str = Box::leak(sqlstate.clone().into_boxed_str());
                        Original::Db(fake_db::db_error(code, message))
                    }
                    Source::RowNotFound => Original::Db(sqlx::Error::RowNotFound),
                    Source::PoolTimedOut => Original::Db(sqlx::Error::PoolTimedOut),
                    Source::PoolClosed => Original::Db(sqlx::Error::PoolClosed),
                    Source::DbIo(kind) => {
                        Original::Db(sqlx::Error::Io(io::Error::new(*kind, "socket")))
                    }
                    Source::Protocol(text) => Original::Db(sqlx::Error::Protocol(text.clone())),
                    Source::Elapsed => Original::Elapsed(elapsed()),
                    Source::Internal(detail) => Original::Internal(detail.clone()),
                }
            }

            fn error(source: &Source) -> $errors::ToolError {
                use $errors::ToolError;
                match Self::original(source) {
                    Original::Io(e) => ToolError::from(e),
                    Original::Sql(e) => ToolError::from(e),
                    Original::Path(e) => ToolError::from(e),
                    Original::Denied(e) => ToolError::from(e),
                    Original::Limited(e) => ToolError::from(e),
                    Original::Db(e) => ToolError::from(e),
                    Original::Elapsed(e) => ToolError::from(e),
                    Original::Internal(detail) => ToolError::internal(detail),
                }
            }

            fn policy(p: Policy) -> $errors::retry::RetryPolicy {
                $errors::retry::RetryPolicy {
                    max_attempts: p.max_attempts,
                    base_delay: p.base,
                    max_delay: p.cap,
                    jitter: p.jitter,
                    deadline: p.deadline,
                }
            }
        }

        impl Api for $side {
            fn is_retryable(code: usize) -> bool {
                $errors::ErrorCode::ALL[code].is_retryable()
            }

            fn render(
                code: usize,
                message: &str,
                details: Option<Value>,
                log: Option<&str>,
            ) -> (String, Value) {
                let mut e = $errors::ToolError::new($errors::ErrorCode::ALL[code], message);
                if let Some(d) = details {
                    e = e.with_details(d);
                }
                if let Some(l) = log {
                    e = e.with_log_detail(l);
                }
                let wire = serde_json::to_value(e.to_call_tool_result()).unwrap_or(Value::Null);
                (e.to_string(), wire)
            }

            fn malformed(reason: &str) -> Malformed {
                let e = $errors::tool_error::malformed_request(reason);
                Malformed {
                    code: e.code.0,
                    message: e.message.to_string(),
                    has_data: e.data.is_some(),
                }
            }

            fn convert(source: &Source) -> Seen {
                Self::seen(&Self::error(source))
            }

            fn model_view(source: &Source) -> (String, Value) {
                let e = Self::error(source);
                let wire = serde_json::to_value(e.to_call_tool_result()).unwrap_or(Value::Null);
                (e.to_string(), wire)
            }

            fn original_text(source: &Source) -> String {
                match Self::original(source) {
                    Original::Io(e) => e.to_string(),
                    Original::Sql(e) => e.to_string(),
                    Original::Path(e) => e.to_string(),
                    Original::Denied(e) => e.to_string(),
                    Original::Limited(e) => e.to_string(),
                    Original::Db(e) => e.to_string(),
                    Original::Elapsed(e) => e.to_string(),
                    Original::Internal(detail) => detail,
                }
            }

            fn backoff(policy: Policy, retry: u32, unit: f64) -> Result<Duration, String> {
                let policy = Self::policy(policy);
                grader_kit::guarded(|| policy.backoff(retry, unit))
            }

            fn retry(
                policy: Policy,
                outcomes: &[Option<usize>],
                draws: &[f64],
                attempt_time: Duration,
            ) -> RetryRun {
                let runtime = paused_runtime();
                let policy = Self::policy(policy);
                let mut random = Draws {
                    values: draws.to_vec(),
                    next: 0,
                };
                let calls = std::cell::RefCell::new(Vec::new());
                let (result, returned_at) = runtime.block_on(async {
                    let start = tokio::time::Instant::now();
                    let result = $errors::retry::retry(&policy, &mut random, |attempt| {
                        calls.borrow_mut().push((attempt, start.elapsed()));
                        let index = (attempt.max(1) as usize - 1).min(outcomes.len() - 1);
                        let outcome = outcomes[index];
                        async move {
                            tokio::time::sleep(attempt_time).await;
                            match outcome {
                                None => Ok(attempt),
                                Some(code) => Err($errors::ToolError::new(
                                    $errors::ErrorCode::ALL[code],
                                    format!("attempt {attempt} failed"),
                                )),
                            }
                        }
                    })
                    .await;
                    (result, start.elapsed())
                });
                let result = result.map_err(|e| {
                    let seen = Self::seen(&e.last);
                    (seen.code, e.attempts, seen.message)
                });
                RetryRun {
                    calls: calls.into_inner(),
                    draws: random.next,
                    returned_at,
                    result,
                }
            }

            fn timeout(tool: &str, limit: Duration, work: Duration, fails: bool) -> TimeoutRun {
                let runtime = paused_runtime();
                let dropped = Arc::new(AtomicBool::new(false));
                let flag = dropped.clone();
                let job = async move {
                    let _guard = DropFlag(flag);
                    tokio::time::sleep(work).await;
                    if fails {
                        Err($errors::ToolError::new(
                            $errors::ErrorCode::Validation,
                            "bad input",
                        ))
                    } else {
                        Ok("done")
                    }
                };
                runtime.block_on(async {
                    let start = tokio::time::Instant::now();
                    let result = $errors::timeout::with_timeout(tool, limit, job).await;
                    TimeoutRun {
                        elapsed: start.elapsed(),
                        dropped: dropped.load(Ordering::SeqCst),
                        result: result.map_err(|e| Self::seen(&e)),
                    }
                })
            }
        }
    };
}

grader_kit::both_sides!(
    errors_api,
    [lab_errors, lab_security],
    [solution_errors, solution_security]
);

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "errors",
        &[
            ("codes_retryable", codes_retryable::<S>),
            ("text_form_and_mcp_result", text_form_and_mcp_result::<S>),
            (
                "conversions_choose_the_code",
                conversions_choose_the_code::<S>,
            ),
            (
                "internal_details_never_reach_the_model",
                internal_details_never_reach_the_model::<S>,
            ),
            ("backoff_formula", backoff_formula::<S>),
            ("retry_follows_the_policy", retry_follows_the_policy::<S>),
            ("zero_and_one_attempt", zero_and_one_attempt::<S>),
            ("timeouts_cut_and_cancel", timeouts_cut_and_cancel::<S>),
        ],
    )
}

fn codes_retryable<S: Api>() -> Outcome {
    unit((|| {
        for (i, name) in CODES.iter().enumerate() {
            let (got, want) = (S::is_retryable(i), Reference::is_retryable(i));
            check_rule("retryable-codes", got == want, || {
                format!("{name}.is_retryable() is {got}, expected {want}")
            })?;
        }
        Ok("every code's retryability".into())
    })())
}

/// A tool error to render: its code, message, details and log detail.
#[derive(Debug, Clone)]
struct Rendered {
    code: &'static str,
    message: String,
    details: Option<Value>,
    log_detail: Option<String>,
    /// What `malformed_request` is given.
    reason: String,
}

fn rendered() -> impl Strategy<Value = (usize, Rendered)> {
    let details = proptest::option::of(prop_oneof![
        any::<u16>().prop_map(|n| json!({ "retry_after_ms": n })),
        Just(json!({})),
        Just(json!(null)),
        "[a-z]{1,6}".prop_map(|s| json!([s, 1, true])),
    ]);
    (
        0..CODES.len(),
        "[a-z :\\[\\]]{0,24}",
        details,
        proptest::option::of("[A-Z]{8}"),
        "[a-z_ ]{0,12}",
    )
        .prop_map(|(code, message, details, log_detail, reason)| {
            (
                code,
                Rendered {
                    code: CODES[code],
                    message,
                    details,
                    log_detail,
                    reason,
                },
            )
        })
}

/// The text form, `CallToolResult` and `malformed_request`: each rule of
/// the brief's `tool_error` section, on generated errors (details of every
/// JSON shape, an explicit `null` among them, and none at all).
fn text_form_and_mcp_result<S: Api>() -> Outcome {
    property(160, rendered(), |(code, case)| {
        let (text, wire) = S::render(
            code,
            &case.message,
            case.details.clone(),
            case.log_detail.as_deref(),
        );
        let want = format!("Error [{}]: {}", case.code, case.message);
        ensure_rule("text-form", text == want, || {
            format!("the text form is {text:?}, expected {want:?}")
        })?;
        ensure_rule("is-error", wire["isError"] == json!(true), || {
            format!("isError must be true: {wire}")
        })?;
        let content = wire["content"].as_array().cloned().unwrap_or_default();
        ensure_rule(
            "one-text-block",
            content.len() == 1
                && content[0]["type"] == json!("text")
                && content[0]["text"] == json!(want),
            || format!("content must be exactly one text block holding the text form: {wire}"),
        )?;
        let structured = &wire["structuredContent"];
        ensure_rule(
            "structured-code-and-message",
            structured["code"] == json!(case.code) && structured["message"] == json!(case.message),
            || format!("structuredContent must hold the code and the message: {wire}"),
        )?;
        match &case.details {
            Some(details) => ensure_rule(
                "details-as-they-are",
                structured.get("details") == Some(details),
                || format!("structuredContent.details must be {details}: {wire}"),
            )?,
            None => ensure_rule(
                "no-details-key",
                structured.get("details").is_none(),
                || format!("an error without details must have no \"details\" key at all: {wire}"),
            )?,
        }
        if let Some(log) = &case.log_detail {
            ensure_rule(
                "log-detail-hidden",
                !wire.to_string().contains(log.as_str()),
                || format!("the log detail {log} reached the client: {wire}"),
            )?;
            ensure_rule("log-detail-hidden", !text.contains(log.as_str()), || {
                format!("the log detail {log} is in the text form: {text:?}")
            })?;
        }
        let got = S::malformed(&case.reason);
        ensure_rule(
            "malformed-request",
            got.code == -32602 && got.message == case.reason && !got.has_data,
            || {
                format!(
                    "malformed_request({:?}) gave {got:?}; expected code -32602, the message exactly the reason, no data",
                    case.reason
                )
            },
        )
    })
}

/// Every I/O error kind the suite tries.
fn io_kinds() -> Vec<io::ErrorKind> {
    use io::ErrorKind::*;
    vec![
        NotFound,
        PermissionDenied,
        TimedOut,
        ConnectionRefused,
        ConnectionReset,
        ConnectionAborted,
        NotConnected,
        BrokenPipe,
        AddrNotAvailable,
        HostUnreachable,
        NetworkUnreachable,
        WouldBlock,
        Interrupted,
        InvalidInput,
        InvalidData,
        AlreadyExists,
        UnexpectedEof,
        WriteZero,
        OutOfMemory,
        Unsupported,
        Other,
    ]
}

/// The SQLSTATEs the brief's table names, one or more of each row, and
/// neighbours of each class rule.
const TABLE_STATES: &[&str] = &[
    "25006", "42501", "57014", "40001", "40P01", "57P03", "08000", "08006", "08001", "08P01",
    "53000", "53100", "53300", "42000", "42P01", "42601", "42703", "42P07", "22000", "22012",
    "22P02", "23505", "XX000", "P0001", "0A000", "57000", "25000", "40000", "58030",
];

fn sqlstate() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(TABLE_STATES.to_vec()).prop_map(str::to_owned),
        1 => (
            select(vec!["42", "22", "08", "53", "23", "XX", "58", "0A", "25", "40", "57"]),
            "[0-9A-Z]{3}"
        )
            .prop_map(|(c, r)| format!("{c}{r}")),
    ]
}

/// A wait for `RateLimited`, often on a whole millisecond (where rounding
/// up must not add one) or one nanosecond either side of one.
fn retry_after() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..5000).prop_map(Duration::from_millis),
        (
            1u64..5000,
            prop_oneof![Just(1u64), Just(999_999u64), Just(500_000u64)]
        )
            .prop_map(|(ms, ns)| Duration::from_millis(ms) + Duration::from_nanos(ns)),
        (1u64..5_000_000_000).prop_map(Duration::from_nanos),
        Just(Duration::from_nanos(1)),
        Just(Duration::from_micros(1500)),
    ]
}

/// Every `SqlCase`: drawn from by [`sql_case`], and each one run as a fixed case.
const SQL_CASES: [SqlCase; 8] = [
    SqlCase::Empty,
    SqlCase::Unparsable,
    SqlCase::MultipleStatements,
    SqlCase::NotAQuery,
    SqlCase::SelectInto,
    SqlCase::DataModifyingCte,
    SqlCase::LockingClause,
    SqlCase::ForbiddenFunction,
];

fn sql_case() -> impl Strategy<Value = SqlCase> {
    select(SQL_CASES.to_vec())
}

/// Every `PathCase`: drawn from by [`path_case`], and each one run as a fixed case.
const PATH_CASES: [PathCase; 9] = [
    PathCase::NoRoots,
    PathCase::RootUnavailable,
    PathCase::RootNotADirectory,
    PathCase::Empty,
    PathCase::ContainsNul,
    PathCase::NotFound,
    PathCase::DanglingSymlink,
    PathCase::OutsideRoots,
    PathCase::Io,
];

fn path_case() -> impl Strategy<Value = PathCase> {
    select(PATH_CASES.to_vec())
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        1 => (select(io_kinds()), "[a-z/]{0,16}").prop_map(|(kind, text)| Source::Io { kind, text }),
        1 => sql_case().prop_map(Source::Sql),
        1 => (path_case(), "/srv/[a-z]{1,8}").prop_map(|(case, text)| Source::Path { case, text }),
        1 => any::<bool>().prop_map(|unknown_tool| Source::Denied { unknown_tool }),
        1 => retry_after().prop_map(|retry_after| Source::Limited { retry_after }),
        3 => (sqlstate(), "[a-z ]{0,20}").prop_map(|(sqlstate, message)| Source::Db { sqlstate, message }),
        1 => Just(Source::RowNotFound),
        1 => Just(Source::PoolTimedOut),
        1 => Just(Source::PoolClosed),
        1 => select(io_kinds()).prop_map(Source::DbIo),
        1 => "[a-z ]{0,20}".prop_map(Source::Protocol),
        1 => Just(Source::Elapsed),
        1 => "[a-z ]{0,20}".prop_map(Source::Internal),
    ]
}

/// Every source the brief's tables list, each tried once before the
/// generated ones: a row missed by chance is still tested.
fn table_sources() -> Vec<Source> {
    let mut all = Vec::new();
    for kind in io_kinds() {
        all.push(Source::Io {
            kind,
            text: "/srv/app/data.db".into(),
        });
        all.push(Source::DbIo(kind));
    }
    for case in SQL_CASES {
        all.push(Source::Sql(case));
    }
    for case in PATH_CASES {
        all.push(Source::Path {
            case,
            text: "/srv/logs".into(),
        });
    }
    for unknown_tool in [true, false] {
        all.push(Source::Denied { unknown_tool });
    }
    for ms in [1, 250, 1000] {
        all.push(Source::Limited {
            retry_after: Duration::from_millis(ms),
        });
    }
    for retry_after in [Duration::from_nanos(1), Duration::from_micros(1500)] {
        all.push(Source::Limited { retry_after });
    }
    for state in TABLE_STATES {
        all.push(Source::Db {
            sqlstate: (*state).into(),
            message: "relation \"payments\" does not exist".into(),
        });
    }
    all.extend([
        Source::RowNotFound,
        Source::PoolTimedOut,
        Source::PoolClosed,
        Source::Protocol("unexpected message".into()),
        Source::Elapsed,
        Source::Internal("stack overflow in the planner".into()),
    ]);
    all
}

/// Which rule of the brief a source's conversion is about.
fn conversion_rule(source: &Source) -> &'static str {
    match source {
        Source::Io { .. } => "io-by-kind",
        Source::Sql(_) => "sql-rejection",
        Source::Path { .. } => "path-by-variant",
        Source::Denied { .. } => "access-denied",
        Source::Limited { .. } => "rate-limited",
        Source::Db { .. } => "sqlstate-in-order",
        Source::RowNotFound
        | Source::PoolTimedOut
        | Source::PoolClosed
        | Source::DbIo(_)
        | Source::Protocol(_) => "driver-by-variant",
        Source::Elapsed => "elapsed-is-timeout",
        Source::Internal(_) => "internal-fixed-message",
    }
}

/// Whether the brief fixes the message of `source`'s conversion to the
/// original error's text.
fn message_is_the_errors_text(source: &Source) -> bool {
    match source {
        Source::Sql(_) | Source::Denied { .. } | Source::Limited { .. } => true,
        Source::Path { case, .. } => matches!(
            case,
            PathCase::Empty
                | PathCase::ContainsNul
                | PathCase::NotFound
                | PathCase::OutsideRoots
                | PathCase::DanglingSymlink
        ),
        _ => false,
    }
}

/// One conversion against the reference: the code, the message where the
/// brief fixes it, and `retry_after_ms` rounded up.
fn converts_like_the_reference<S: Api>(source: &Source) -> Result<(), String> {
    let got = S::convert(source);
    let want = Reference::convert(source);
    let rule = conversion_rule(source);
    check_rule(rule, got.code == want.code, || {
        format!(
            "{source:?} converted to {}, expected {}",
            got.code, want.code
        )
    })?;
    if message_is_the_errors_text(source) {
        let text = S::original_text(source);
        check_rule("message-is-the-errors-text", got.message == text, || {
            format!(
                "{source:?}: the message must be the error's text {text:?}, got {:?}",
                got.message
            )
        })?;
    }
    if let Source::Limited { retry_after } = source {
        check_rule(
            "retry-after-rounded-up",
            got.details == want.details,
            || {
                format!(
                    "retry_after of {retry_after:?}: details are {:?}, expected {:?} (whole milliseconds, rounded up)",
                    got.details, want.details
                )
            },
        )?;
    }
    Ok(())
}

/// The code each conversion chooses, and the message where the brief fixes
/// it: every row of the brief's tables first, then generated errors.
fn conversions_choose_the_code<S: Api>() -> Outcome {
    for source in table_sources() {
        if let Err(broken) = converts_like_the_reference::<S>(&source) {
            return Outcome::fail(broken).with_counterexample(format!("{source:#?}"));
        }
    }
    property(256, source(), |source| {
        converts_like_the_reference::<S>(&source).map_err(TestCaseError::fail)
    })
}

/// A secret planted in a failure's text.
#[derive(Debug, Clone)]
struct Planted {
    source: Source,
    secret: String,
}

/// A secret in every place where a server-side text can hide: an internal
/// detail, an I/O error's text, a policy's path, a driver's message, and
/// the database's message under every SQLSTATE.
fn planted() -> impl Strategy<Value = Planted> {
    let secret = prop_oneof![
        "[a-z]{6}".prop_map(|t| format!("postgres://admin:{t}@db-7.internal/prod")),
        "[a-z]{6}".prop_map(|t| format!("/srv/vault/{t}/config.toml")),
        "[a-z]{6}".prop_map(|t| format!("SELECT card_number FROM payments_{t}")),
    ];
    let place = prop_oneof![
        1 => Just(0u8),
        1 => Just(1u8),
        1 => Just(2u8),
        1 => Just(3u8),
        1 => Just(4u8),
        1 => Just(5u8),
        4 => Just(6u8),
    ];
    (
        secret,
        place,
        select(io_kinds()),
        select(TABLE_STATES.to_vec()),
    )
        .prop_map(|(secret, place, kind, state)| {
            let source = match place {
                0 => Source::Internal(secret.clone()),
                1 => Source::Io {
                    kind,
                    text: secret.clone(),
                },
                2 => Source::Path {
                    case: PathCase::RootUnavailable,
                    text: secret.clone(),
                },
                3 => Source::Path {
                    case: PathCase::Io,
                    text: secret.clone(),
                },
                4 => Source::Path {
                    case: PathCase::RootNotADirectory,
                    text: secret.clone(),
                },
                5 => Source::Protocol(secret.clone()),
                _ => Source::Db {
                    sqlstate: state.into(),
                    message: secret.clone(),
                },
            };
            Planted { source, secret }
        })
}

/// Whether the brief lets this source's message hold the database's text:
/// classes 42 and 22 only.
fn may_show_database_text(source: &Source) -> bool {
    matches!(source, Source::Db { sqlstate, .. } if sqlstate.starts_with("42") || sqlstate.starts_with("22"))
}

/// Nothing of a server-side text reaches the model (message, details, text
/// form, `CallToolResult`), and the log keeps the original error: the
/// brief's "internal" rules and the `log_detail` of every conversion.
fn internal_details_never_reach_the_model<S: Api>() -> Outcome {
    // Every I/O kind and every SQLSTATE of the table once, whatever the
    // generator draws: a message that quotes the error's text for one kind
    // or one class is caught.
    let secret = "/srv/vault/prod/config.toml";
    let named: Vec<Planted> = io_kinds()
        .into_iter()
        .map(|kind| Source::Io {
            kind,
            text: secret.into(),
        })
        .chain(TABLE_STATES.iter().map(|state| Source::Db {
            sqlstate: (*state).into(),
            message: secret.into(),
        }))
        .map(|source| Planted {
            source,
            secret: secret.into(),
        })
        .collect();
    with_named_cases(named, 256, planted(), |Planted { source, secret }| {
        let seen = S::convert(&source);
        let (text, wire) = S::model_view(&source);
        let details = seen
            .details
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        if !may_show_database_text(&source) {
            let rule = match &source {
                Source::Db { .. } | Source::Protocol(_) => "no-driver-text",
                Source::Io { .. } => "io-text-hidden",
                Source::Internal(_) => "internal-fixed-message",
                _ => "policy-faults-internal",
            };
            for (channel, shown) in [
                ("message", &seen.message),
                ("details", &details),
                ("text form", &text),
                ("CallToolResult", &wire.to_string()),
            ] {
                ensure_rule(rule, !shown.contains(&secret), || {
                    format!("the secret reached the model through the {channel}: {shown}")
                })?;
            }
        }
        if let Source::Internal(_) = source {
            ensure_rule(
                "internal-fixed-message",
                seen.code == "INTERNAL"
                    && seen.message == INTERNAL_MESSAGE
                    && seen.details.is_none(),
                || {
                    format!(
                        "ToolError::internal gave {seen:?}; expected INTERNAL, the fixed message, no details"
                    )
                },
            )?;
        }
        let original = S::original_text(&source);
        ensure_rule(
            "log-keeps-the-error",
            seen.log_detail
                .as_deref()
                .is_some_and(|l| l.contains(&original)),
            || {
                format!(
                    "log_detail must contain the error's text {original:?}; it is {:?}",
                    seen.log_detail
                )
            },
        )?;
        Ok(())
    })
}

/// The message every internal error shows the model (the lab's constant).
const INTERNAL_MESSAGE: &str =
    "the server failed unexpectedly; the details were logged for its operators";

/// A backoff question: a policy, the retry number and the drawn number.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    policy: Policy,
    retry: u32,
    unit: f64,
}

/// A cap: milliseconds mostly, some nanoseconds, some years (a cap near
/// `Duration::MAX` is left out: `mul_f64` of it cannot be represented).
fn cap_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        4 => (1u64..3000).prop_map(Duration::from_millis),
        1 => (1u64..1000).prop_map(Duration::from_nanos),
        1 => (1u64..1_000_000_000).prop_map(Duration::from_secs),
    ]
}

/// A base delay, with the huge ones where `base * 2^(retry - 1)`
/// overflows a `Duration`, and the tiny ones where `2^(retry - 1)` not
/// fitting a `u32` shows below the cap.
fn base_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        4 => (1u64..400).prop_map(Duration::from_millis),
        1 => (1u64..1000).prop_map(Duration::from_nanos),
        1 => (1u64..u64::MAX / 2).prop_map(Duration::from_secs),
        1 => Just(Duration::MAX),
    ]
}

/// Numbers around and outside `[0, 1]`, for jitter and drawn numbers.
fn unit_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0f64..1.0,
        1 => Just(0.0),
        1 => Just(1.0),
        1 => -3.0f64..0.0,
        1 => 1.0f64..4.0,
    ]
}

fn backoff_case() -> impl Strategy<Value = Backoff> {
    let retry = prop_oneof![
        4 => 1u32..12,
        1 => Just(0u32),
        1 => 12u32..80,
        1 => Just(32u32),
        1 => Just(33u32),
        1 => Just(u32::MAX),
    ];
    (
        0u32..7,
        base_duration(),
        cap_duration(),
        unit_number(),
        retry,
        unit_number(),
    )
        .prop_map(|(max_attempts, base, cap, jitter, retry, unit)| Backoff {
            policy: Policy {
                max_attempts,
                base,
                cap,
                jitter,
                deadline: None,
            },
            retry,
            unit,
        })
}

fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_micros(1)
}

/// `RetryPolicy::backoff` against the reference: the doubling and the cap,
/// retry 0 like 1, a power or product that overflows giving the cap, jitter
/// and unit clamped, never a panic.
fn backoff_formula<S: Api>() -> Outcome {
    property(320, backoff_case(), |case| {
        let Backoff {
            policy,
            retry,
            unit,
        } = case;
        let want = Reference::backoff(policy, retry, unit).map_err(TestCaseError::fail)?;
        let got = S::backoff(policy, retry, unit);
        let rule = if retry == 0 {
            "retry-zero-like-one"
        } else if !(0.0..=1.0).contains(&policy.jitter) || !(0.0..=1.0).contains(&unit) {
            "clamp-jitter-and-unit"
        } else if retry > 32
            || policy
                .base
                .checked_mul(2u32.saturating_pow(retry.saturating_sub(1)))
                .is_none()
        {
            "overflow-means-the-cap"
        } else {
            "doubling-capped"
        };
        let got = match got {
            Ok(got) => got,
            Err(panic) => {
                return Err(TestCaseError::fail(tag_rule(
                    "never-panics",
                    &format!("backoff({retry}, {unit}) panicked ({panic}); expected {want:?}"),
                )));
            }
        };
        ensure_rule(rule, close(got, want), || {
            format!("backoff({retry}, {unit}) is {got:?}, expected {want:?}")
        })
    })
}

/// A retry run to compare: a policy, what each attempt returns, and the
/// numbers the random source gives.
#[derive(Debug, Clone)]
struct RetryCase {
    policy: Policy,
    /// For attempt n, `outcomes[n - 1]` (the last repeats): `None` succeeds,
    /// `Some(code)` fails with `CODES[code]`.
    outcomes: Vec<Option<usize>>,
    draws: Vec<f64>,
    /// How long each attempt takes before it returns, in milliseconds:
    /// the deadline counts it too, from before the first attempt.
    attempt_ms: u64,
}

/// The deadlines that matter: none, anything, and exactly the time at which
/// the k-th wait ends (or one microsecond either side), where `>` and `>=`
/// part ways.
fn retry_case() -> impl Strategy<Value = RetryCase> {
    let policy = (
        0u32..7,
        1u64..400,
        1u64..3000,
        prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
    );
    let outcomes = prop::collection::vec(
        prop_oneof![3 => Just(Some(5usize)), 1 => proptest::option::of(0..CODES.len())],
        1..9,
    );
    let draws = prop::collection::vec(0.0f64..1.0, 1..9);
    let attempt_ms = prop_oneof![3 => Just(0u64), 1 => 1u64..200];
    let deadline = prop_oneof![
        1 => Just(DeadlineChoice::None),
        1 => (0u64..4000).prop_map(DeadlineChoice::Millis),
        3 => (1usize..6, -1i64..=1).prop_map(|(k, nudge)| DeadlineChoice::AtWait(k, nudge)),
    ];
    (policy, outcomes, draws, attempt_ms, deadline).prop_map(
        |((max_attempts, base, cap, jitter), outcomes, draws, attempt_ms, deadline)| {
            let mut policy = Policy {
                max_attempts,
                base: Duration::from_millis(base),
                cap: Duration::from_millis(cap),
                jitter,
                deadline: None,
            };
            policy.deadline = match deadline {
                DeadlineChoice::None => None,
                DeadlineChoice::Millis(ms) => Some(Duration::from_millis(ms)),
                DeadlineChoice::AtWait(k, nudge) => {
                    // The reference's waits, with the draws it would use,
                    // after the k attempts before them.
                    let mut end = Duration::from_millis(attempt_ms) * k as u32;
                    for n in 1..=k as u32 {
                        let unit = draws
                            .get(n as usize - 1)
                            .or(draws.last())
                            .copied()
                            .unwrap_or(0.0);
                        end += Reference::backoff(policy, n, unit).unwrap_or_default();
                    }
                    let micro = Duration::from_micros(1);
                    Some(match nudge {
                        -1 => end.saturating_sub(micro),
                        1 => end + micro,
                        _ => end,
                    })
                }
            };
            RetryCase {
                policy,
                outcomes,
                draws,
                attempt_ms,
            }
        },
    )
}

/// How a generated deadline is chosen.
#[derive(Debug, Clone, Copy)]
enum DeadlineChoice {
    None,
    Millis(u64),
    /// Exactly when the k-th wait ends, nudged by this many microseconds.
    AtWait(usize, i64),
}

/// `retry` against the reference on the paused clock: how many attempts,
/// when each starts (every wait to the microsecond), how many numbers are
/// drawn, when it returns, and what.
fn retry_follows_the_policy<S: Api>() -> Outcome {
    // Attempts of 50 ms, waits of 100 ms, a deadline of 120 ms: the first
    // wait would end at 150 ms, so one attempt only; a clock started after
    // the first attempt sees 100 ms and tries again.
    let deadline_counts_the_first_attempt = RetryCase {
        policy: Policy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(250),
            jitter: 0.0,
            deadline: Some(Duration::from_millis(120)),
        },
        outcomes: vec![Some(5)],
        draws: vec![0.5],
        attempt_ms: 50,
    };
    with_named_cases(
        vec![deadline_counts_the_first_attempt],
        320,
        retry_case(),
        retry_agrees_on::<S>,
    )
}

/// One case of [`retry_follows_the_policy`]: the learner's `retry` and the
/// reference's on the same policy, outcomes, draws and attempt time.
fn retry_agrees_on<S: Api>(case: RetryCase) -> Result<(), TestCaseError> {
    let RetryCase {
        policy,
        outcomes,
        draws,
        attempt_ms,
    } = &case;
    let attempt_time = Duration::from_millis(*attempt_ms);
    let got = S::retry(*policy, outcomes, draws, attempt_time);
    let want = Reference::retry(*policy, outcomes, draws, attempt_time);
    let limit = policy.max_attempts.max(1) as usize;
    ensure_rule("attempts-bounded", got.calls.len() <= limit, || {
        format!("{} attempts; the policy allows {limit}", got.calls.len())
    })?;
    let count_differs = format!(
        "{} attempts were made, expected {}: calls at {:?}",
        got.calls.len(),
        want.calls.len(),
        got.calls
    );
    if got.calls.len() > want.calls.len() {
        let failed_at = want.calls.len();
        let last_code = outcomes
            .get(failed_at.saturating_sub(1))
            .or(outcomes.last())
            .copied()
            .flatten();
        let rule = match last_code {
            Some(code) if !Reference::is_retryable(code) => "stop-on-non-retryable",
            _ if policy.deadline.is_some() => "deadline-stops-retrying",
            _ => "attempts-bounded",
        };
        return Err(TestCaseError::fail(tag_rule(rule, &count_differs)));
    }
    if got.calls.len() < want.calls.len() {
        let rule = if policy.deadline.is_some() {
            "wait-may-end-at-the-deadline"
        } else {
            "retry-retryable-errors"
        };
        return Err(TestCaseError::fail(tag_rule(rule, &count_differs)));
    }
    for ((n, t), (_, w)) in got.calls.iter().zip(&want.calls) {
        ensure_rule("waits-follow-backoff", close(*t, *w), || {
            format!(
                "attempt {n} started at {t:?}, expected {w:?} (calls: {:?})",
                got.calls
            )
        })?;
    }
    ensure_rule("one-draw-per-retry", got.draws == want.draws, || {
        format!(
            "{} random numbers were drawn, expected {}: exactly one per retry considered, none after success, a final attempt or an error that is not retryable",
            got.draws, want.draws
        )
    })?;
    ensure_rule(
        "no-sleep-past-the-deadline",
        close(got.returned_at, want.returned_at),
        || {
            format!(
                "retry returned at {:?}, expected {:?}: nothing sleeps after the last attempt, nor when the wait would end past the deadline",
                got.returned_at, want.returned_at
            )
        },
    )?;
    ensure_rule(
        "result-is-the-last-error",
        got.result == want.result,
        || format!("the result is {:?}, expected {:?}", got.result, want.result),
    )
}

fn zero_and_one_attempt<S: Api>() -> Outcome {
    unit((|| {
        for max_attempts in [0, 1] {
            let policy = Policy {
                max_attempts,
                base: Duration::from_millis(10),
                cap: Duration::from_millis(10),
                jitter: 0.0,
                deadline: None,
            };
            let run = S::retry(policy, &[Some(5)], &[0.5], Duration::ZERO);
            check_rule("zero-means-one", run.calls.len() == 1, || {
                format!(
                    "max_attempts {max_attempts}: {} calls, expected exactly 1",
                    run.calls.len()
                )
            })?;
            check_rule(
                "zero-means-one",
                matches!(run.result, Err(("UNAVAILABLE", 1, _))) && run.draws == 0,
                || {
                    format!(
                        "max_attempts {max_attempts}: {:?} after {} draws, expected the UNAVAILABLE error after 1 attempt and no draw",
                        run.result, run.draws
                    )
                },
            )?;
            let ok = S::retry(policy, &[None], &[0.5], Duration::ZERO);
            check_rule("zero-means-one", ok.result == Ok(1), || {
                format!(
                    "max_attempts {max_attempts}: a success gave {:?}",
                    ok.result
                )
            })?;
        }
        Ok("0 and 1 attempt both make one call".into())
    })())
}

/// A call of `with_timeout`: the tool, the limit, how long the work takes
/// and whether it fails.
#[derive(Debug, Clone)]
struct TimeoutCase {
    tool: String,
    limit_ms: u64,
    work_ms: u64,
    fails: bool,
}

fn timeout_case() -> impl Strategy<Value = TimeoutCase> {
    (
        1u64..5000,
        prop_oneof![3 => Just(None), 1 => (0u64..6000).prop_map(Some)],
        -2i64..=2,
        any::<bool>(),
        "[a-z_]{3,14}",
    )
        .prop_map(|(limit_ms, work, near, fails, tool)| {
            // Mostly a millisecond or two either side of the limit.
            let work_ms = work.unwrap_or_else(|| limit_ms.saturating_add_signed(near));
            TimeoutCase {
                tool,
                limit_ms,
                work_ms,
                fails,
            }
        })
        .prop_filter("a tie is left open by the brief", |c| {
            c.limit_ms != c.work_ms
        })
}

/// `with_timeout` on the paused clock: work on time returns its own result
/// at its own time; late work is cut at exactly the limit, dropped, and
/// turned into TIMEOUT naming the tool and the limit, with its details.
fn timeouts_cut_and_cancel<S: Api>() -> Outcome {
    property(192, timeout_case(), |case| {
        let TimeoutCase {
            tool,
            limit_ms,
            work_ms,
            fails,
        } = &case;
        let limit = Duration::from_millis(*limit_ms);
        let work = Duration::from_millis(*work_ms);
        let run = S::timeout(tool, limit, work, *fails);
        if work < limit {
            ensure_rule("on-time-result-unchanged", run.elapsed == work, || {
                format!("work of {work:?} returned after {:?}", run.elapsed)
            })?;
            let own = matches!(
                (&run.result, fails),
                (Ok("done"), false)
                    | (
                        Err(Seen {
                            code: "VALIDATION",
                            ..
                        }),
                        true
                    )
            );
            ensure_rule("on-time-result-unchanged", own, || {
                format!(
                    "work on time must return its own result, got {:?}",
                    run.result
                )
            })
        } else {
            ensure_rule("cut-at-the-limit", run.elapsed == limit, || {
                format!("a {limit:?} limit returned after {:?}", run.elapsed)
            })?;
            ensure_rule("late-work-dropped", run.dropped, || {
                "the timed-out work was not dropped: it is still running".into()
            })?;
            let Err(seen) = &run.result else {
                return Err(TestCaseError::fail(tag_rule(
                    "timeout-error",
                    &format!("late work must give TIMEOUT, got {:?}", run.result),
                )));
            };
            ensure_rule(
                "timeout-error",
                seen.code == "TIMEOUT"
                    && seen.message.contains(tool.as_str())
                    && seen.message.contains(&limit_ms.to_string()),
                || {
                    format!(
                        "late work gave {} {:?}; expected TIMEOUT naming the tool {tool} and {limit_ms} ms",
                        seen.code, seen.message
                    )
                },
            )?;
            let want = json!({ "tool": tool, "limit_ms": limit_ms });
            ensure_rule(
                "timeout-details",
                seen.details.as_ref() == Some(&want),
                || format!("details are {:?}, expected {want}", seen.details),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference passes every check: a failure here is a grader bug.
    #[test]
    fn the_reference_passes_every_check() {
        grader_kit::assert_all_pass(suite::<Reference>());
    }
}
