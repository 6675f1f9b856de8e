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

use grader_kit::paused_runtime;
use grader_kit::prop::{ensure, property};
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

/// An error a tool meets, to be converted.
#[derive(Debug, Clone)]
pub enum Source {
    /// `std::io::Error` of this kind, with this text.
    Io(io::ErrorKind, String),
    /// `SqlRejection`, variant by index.
    Sql(usize),
    /// `PathError`, variant by index, with a path text.
    Path(usize, String),
    /// `AccessDenied`: unknown tool, or missing permissions.
    Denied(bool),
    /// `RateLimited` with this wait.
    Limited(Duration),
    /// `sqlx::Error::Database` with this SQLSTATE and message.
    Db(String, String),
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

/// What a retry run did: when each attempt started, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryRun {
    /// (attempt number, time since the start) for each call.
    pub calls: Vec<(u32, Duration)>,
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
    /// `malformed_request(reason)`: (JSON-RPC code, message).
    fn malformed(reason: &str) -> (i32, String);
    /// Converts `source` into a tool error.
    fn convert(source: &Source) -> Seen;
    /// The text form and `CallToolResult` JSON of a converted error.
    fn model_view(source: &Source) -> (String, Value);
    /// `RetryPolicy::backoff`.
    fn backoff(policy: Policy, retry: u32, unit: f64) -> Duration;
    /// `retry` on a paused clock with scripted outcomes and draws.
    fn retry(policy: Policy, outcomes: &[Option<usize>], draws: &[f64]) -> RetryRun;
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

/// Scripted random numbers, repeating the last.
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

            fn error(source: &Source) -> $errors::ToolError {
                use $errors::ToolError;
                use $security::paths::PathError;
                use $security::permissions::{AccessDenied, Permission};
                use $security::sql::SqlRejection;
                match source {
                    Source::Io(kind, text) => ToolError::from(io::Error::new(*kind, text.clone())),
                    Source::Sql(i) => ToolError::from(match i % 8 {
                        0 => SqlRejection::Empty,
                        1 => SqlRejection::Unparsable("expected an expression".into()),
                        2 => SqlRejection::MultipleStatements(3),
                        3 => SqlRejection::NotAQuery("DELETE".into()),
                        4 => SqlRejection::SelectInto,
                        5 => SqlRejection::DataModifyingCte,
                        6 => SqlRejection::LockingClause,
                        _ => SqlRejection::ForbiddenFunction {
                            name: "pg_read_file".into(),
                            why: "reads files",
                        },
                    }),
                    Source::Path(i, text) => ToolError::from(match i % 9 {
                        0 => PathError::NoRoots,
                        1 => PathError::RootUnavailable {
                            root: text.into(),
                            source: io::Error::new(io::ErrorKind::NotFound, text.clone()),
                        },
                        2 => PathError::RootNotADirectory(text.into()),
                        3 => PathError::Empty,
                        4 => PathError::ContainsNul,
                        5 => PathError::NotFound("app.log".into()),
                        6 => PathError::DanglingSymlink("link.log".into()),
                        7 => PathError::OutsideRoots("../etc/passwd".into()),
                        _ => PathError::Io {
                            path: "app.log".into(),
                            source: io::Error::other(text.clone()),
                        },
                    }),
                    Source::Denied(true) => {
                        ToolError::from(AccessDenied::UnknownTool("drop_all".into()))
                    }
                    Source::Denied(false) => ToolError::from(AccessDenied::MissingPermissions {
                        tool: "update_config".into(),
                        missing: vec![Permission::ModifyConfig],
                    }),
                    Source::Limited(wait) => {
                        ToolError::from($security::rate_limit::RateLimited { retry_after: *wait })
                    }
                    Source::Db(code, message) => {
                        let code: &'static str = Box::leak(code.clone().into_boxed_str());
                        ToolError::from(fake_db::db_error(code, message))
                    }
                    Source::RowNotFound => ToolError::from(sqlx::Error::RowNotFound),
                    Source::PoolTimedOut => ToolError::from(sqlx::Error::PoolTimedOut),
                    Source::PoolClosed => ToolError::from(sqlx::Error::PoolClosed),
                    Source::DbIo(kind) => {
                        ToolError::from(sqlx::Error::Io(io::Error::new(*kind, "socket")))
                    }
                    Source::Protocol(text) => ToolError::from(sqlx::Error::Protocol(text.clone())),
                    Source::Elapsed => ToolError::from(elapsed()),
                    Source::Internal(detail) => ToolError::internal(detail.clone()),
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

            fn malformed(reason: &str) -> (i32, String) {
                let e = $errors::tool_error::malformed_request(reason);
                (e.code.0, e.message.to_string())
            }

            fn convert(source: &Source) -> Seen {
                Self::seen(&Self::error(source))
            }

            fn model_view(source: &Source) -> (String, Value) {
                let e = Self::error(source);
                let wire = serde_json::to_value(e.to_call_tool_result()).unwrap_or(Value::Null);
                (e.to_string(), wire)
            }

            fn backoff(policy: Policy, retry: u32, unit: f64) -> Duration {
                Self::policy(policy).backoff(retry, unit)
            }

            fn retry(policy: Policy, outcomes: &[Option<usize>], draws: &[f64]) -> RetryRun {
                let runtime = paused_runtime();
                let policy = Self::policy(policy);
                let mut random = Draws {
                    values: draws.to_vec(),
                    next: 0,
                };
                let calls = std::cell::RefCell::new(Vec::new());
                let result = runtime.block_on(async {
                    let start = tokio::time::Instant::now();
                    $errors::retry::retry(&policy, &mut random, |attempt| {
                        calls.borrow_mut().push((attempt, start.elapsed()));
                        let index = (attempt.max(1) as usize - 1).min(outcomes.len() - 1);
                        let outcome = outcomes[index];
                        async move {
                            match outcome {
                                None => Ok(attempt),
                                Some(code) => Err($errors::ToolError::new(
                                    $errors::ErrorCode::ALL[code],
                                    format!("attempt {attempt} failed"),
                                )),
                            }
                        }
                    })
                    .await
                });
                let result = result.map_err(|e| {
                    let seen = Self::seen(&e.last);
                    (seen.code, e.attempts, seen.message)
                });
                RetryRun {
                    calls: calls.into_inner(),
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
            if got != want {
                return Err(format!("{name}.is_retryable() is {got}, expected {want}"));
            }
        }
        Ok("every code's retryability".into())
    })())
}

fn text_form_and_mcp_result<S: Api>() -> Outcome {
    let details = proptest::option::of(any::<u16>().prop_map(|n| json!({ "retry_after_ms": n })));
    let case = (
        0..CODES.len(),
        "[a-z ]{0,24}",
        details,
        proptest::option::of("[A-Z]{8}"),
        "[a-z_]{1,12}",
    );
    property(128, case, |(code, message, details, log, reason)| {
        let (text, wire) = S::render(code, &message, details.clone(), log.as_deref());
        let want = format!("Error [{}]: {message}", CODES[code]);
        ensure(text == want, || {
            format!("the text form is {text:?}, expected {want:?}")
        })?;
        ensure(wire["isError"] == json!(true), || {
            format!("isError must be true: {wire}")
        })?;
        ensure(wire["content"][0]["text"] == json!(want), || {
            format!("the content must be the text form: {wire}")
        })?;
        let structured = &wire["structuredContent"];
        ensure(
            structured["code"] == json!(CODES[code]) && structured["message"] == json!(message),
            || format!("structuredContent must hold the code and message: {wire}"),
        )?;
        let want_details = details.clone().unwrap_or(Value::Null);
        ensure(structured["details"] == want_details, || {
            format!("structuredContent.details must be {want_details}: {wire}")
        })?;
        if let Some(log) = &log {
            ensure(!wire.to_string().contains(log.as_str()), || {
                format!("the log detail {log} reached the client: {wire}")
            })?;
        }
        let (rpc, text) = S::malformed(&reason);
        ensure(rpc == -32602 && text.contains(reason.as_str()), || {
            format!("malformed_request gave ({rpc}, {text:?}); expected -32602 naming {reason:?}")
        })
    })
}

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

fn sqlstate() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "25006", "57014", "42501", "40001", "40P01", "57P03", "42P01", "42601", "42703",
            "22012", "22P02", "08006", "08001", "53300", "53100", "23505", "XX000", "P0001",
            "0A000",
        ])
        .prop_map(str::to_owned),
        (
            select(vec!["42", "22", "08", "53", "23", "XX", "58", "0A"]),
            "[0-9A-Z]{3}"
        )
            .prop_map(|(c, r)| format!("{c}{r}")),
    ]
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        (select(io_kinds()), "[a-z/]{0,16}").prop_map(|(k, t)| Source::Io(k, t)),
        (0usize..8).prop_map(Source::Sql),
        (0usize..9, "/srv/[a-z]{1,8}").prop_map(|(i, t)| Source::Path(i, t)),
        any::<bool>().prop_map(Source::Denied),
        (1u64..5_000_000_000).prop_map(|n| Source::Limited(Duration::from_nanos(n))),
        (sqlstate(), "[a-z ]{0,20}").prop_map(|(c, m)| Source::Db(c, m)),
        Just(Source::RowNotFound),
        Just(Source::PoolTimedOut),
        Just(Source::PoolClosed),
        select(io_kinds()).prop_map(Source::DbIo),
        "[a-z ]{0,20}".prop_map(Source::Protocol),
        Just(Source::Elapsed),
        "[a-z ]{0,20}".prop_map(Source::Internal),
    ]
}

fn conversions_choose_the_code<S: Api>() -> Outcome {
    property(256, source(), |source| {
        let got = S::convert(&source);
        let want = Reference::convert(&source);
        ensure(got.code == want.code, || {
            format!("converted to {}, expected {}", got.code, want.code)
        })?;
        if let Source::Limited(_) = source {
            ensure(got.details == want.details, || {
                format!("details are {:?}, expected {:?}", got.details, want.details)
            })?;
        }
        Ok(())
    })
}

/// A secret planted in an internal failure: where, and the text.
fn planted() -> impl Strategy<Value = (Source, String)> {
    let secret = prop_oneof![
        "[a-z]{6}".prop_map(|t| format!("postgres://admin:{t}@db-7.internal/prod")),
        "[a-z]{6}".prop_map(|t| format!("/srv/vault/{t}/config.toml")),
        "[a-z]{6}".prop_map(|t| format!("SELECT card_number FROM payments_{t}")),
    ];
    (secret, 0u8..7).prop_map(|(secret, place)| {
        let source = match place {
            0 => Source::Internal(secret.clone()),
            1 => Source::Io(io::ErrorKind::Other, secret.clone()),
            2 => Source::Io(io::ErrorKind::NotFound, secret.clone()),
            3 => Source::Path(1, secret.clone()),
            4 => Source::Path(2, secret.clone()),
            5 => Source::Protocol(secret.clone()),
            _ => Source::Db("XX000".into(), secret.clone()),
        };
        (source, secret)
    })
}

fn internal_details_never_reach_the_model<S: Api>() -> Outcome {
    property(192, planted(), |(source, secret)| {
        let seen = S::convert(&source);
        let (text, wire) = S::model_view(&source);
        let details = seen
            .details
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        for (channel, shown) in [
            ("message", &seen.message),
            ("details", &details),
            ("text form", &text),
            ("CallToolResult", &wire.to_string()),
        ] {
            ensure(!shown.contains(&secret), || {
                format!("the secret reached the model through the {channel}: {shown}")
            })?;
        }
        let want = Reference::convert(&source);
        if want
            .log_detail
            .as_deref()
            .is_some_and(|l| l.contains(&secret))
        {
            ensure(
                seen.log_detail
                    .as_deref()
                    .is_some_and(|l| l.contains(&secret)),
                || {
                    format!(
                        "the detail must be kept for the log; log_detail is {:?}",
                        seen.log_detail
                    )
                },
            )?;
        }
        Ok(())
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        0u32..7,
        1u64..400,
        1u64..3000,
        prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
        proptest::option::of(0u64..4000),
    )
        .prop_map(|(max_attempts, base, cap, jitter, deadline)| Policy {
            max_attempts,
            base: Duration::from_millis(base),
            cap: Duration::from_millis(cap),
            jitter,
            deadline: deadline.map(Duration::from_millis),
        })
}

fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_micros(1)
}

fn backoff_formula<S: Api>() -> Outcome {
    let retry = prop_oneof![1u32..12, 12u32..80, Just(u32::MAX)];
    property(
        256,
        (policy(), retry, 0.0f64..1.0),
        |(policy, retry, unit)| {
            let got = S::backoff(policy, retry, unit);
            let want = Reference::backoff(policy, retry, unit);
            ensure(close(got, want), || {
                format!("backoff({retry}, {unit}) is {got:?}, expected {want:?}")
            })
        },
    )
}

fn retry_follows_the_policy<S: Api>() -> Outcome {
    let outcomes = prop::collection::vec(proptest::option::of(0..CODES.len()), 1..9);
    let draws = prop::collection::vec(0.0f64..1.0, 1..9);
    property(
        256,
        (policy(), outcomes, draws),
        |(policy, outcomes, draws)| {
            let got = S::retry(policy, &outcomes, &draws);
            let want = Reference::retry(policy, &outcomes, &draws);
            let limit = policy.max_attempts.max(1) as usize;
            ensure(got.calls.len() <= limit, || {
                format!("{} attempts; the policy allows {limit}", got.calls.len())
            })?;
            if let (Some(deadline), Some(last)) = (policy.deadline, got.calls.last()) {
                ensure(last.1 <= deadline, || {
                    format!(
                        "an attempt started at {:?}, past the deadline {deadline:?}",
                        last.1
                    )
                })?;
            }
            ensure(got.calls.len() == want.calls.len(), || {
                format!(
                    "{} attempts were made, expected {}: calls at {:?}",
                    got.calls.len(),
                    want.calls.len(),
                    got.calls
                )
            })?;
            for ((n, t), (_, w)) in got.calls.iter().zip(&want.calls) {
                ensure(close(*t, *w), || {
                    format!(
                        "attempt {n} started at {t:?}, expected {w:?} (calls: {:?})",
                        got.calls
                    )
                })?;
            }
            ensure(got.result == want.result, || {
                format!("the result is {:?}, expected {:?}", got.result, want.result)
            })
        },
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
            let run = S::retry(policy, &[Some(5)], &[0.5]);
            if run.calls.len() != 1 {
                return Err(format!(
                    "max_attempts {max_attempts}: {} calls, expected exactly 1",
                    run.calls.len()
                ));
            }
            match run.result {
                Err(("UNAVAILABLE", 1, _)) => {}
                other => {
                    return Err(format!(
                        "max_attempts {max_attempts}: {other:?}, expected the UNAVAILABLE error after 1 attempt"
                    ));
                }
            }
            let ok = S::retry(policy, &[None], &[0.5]);
            if ok.result != Ok(1) {
                return Err(format!(
                    "max_attempts {max_attempts}: a success gave {:?}",
                    ok.result
                ));
            }
        }
        Ok("0 and 1 attempt both make one call".into())
    })())
}

fn timeouts_cut_and_cancel<S: Api>() -> Outcome {
    let case = (1u64..5000, 0u64..6000, any::<bool>(), "[a-z_]{3,14}")
        .prop_filter("no tie", |(l, w, _, _)| l != w);
    property(192, case, |(limit_ms, work_ms, fails, tool)| {
        let limit = Duration::from_millis(limit_ms);
        let work = Duration::from_millis(work_ms);
        let run = S::timeout(&tool, limit, work, fails);
        if work < limit {
            ensure(run.elapsed == work, || {
                format!("work of {work:?} returned after {:?}", run.elapsed)
            })?;
            match (&run.result, fails) {
                (Ok("done"), false) => Ok(()),
                (Err(seen), true) if seen.code == "VALIDATION" => Ok(()),
                other => Err(TestCaseError::fail(format!(
                    "work on time must return its own result, got {other:?}"
                ))),
            }
        } else {
            ensure(run.elapsed == limit, || {
                format!("a {limit:?} limit returned after {:?}", run.elapsed)
            })?;
            ensure(run.dropped, || {
                "the timed-out work was not dropped: it is still running".into()
            })?;
            let Err(seen) = &run.result else {
                return Err(TestCaseError::fail(format!(
                    "late work must give TIMEOUT, got {:?}",
                    run.result
                )));
            };
            ensure(seen.code == "TIMEOUT", || {
                format!("late work gave {}, expected TIMEOUT", seen.code)
            })?;
            ensure(
                seen.message.contains(&tool) && seen.message.contains(&limit_ms.to_string()),
                || {
                    format!(
                        "the message must name the tool {tool} and the limit {limit_ms} ms: {:?}",
                        seen.message
                    )
                },
            )?;
            let want = json!({ "tool": tool, "limit_ms": limit_ms });
            ensure(seen.details.as_ref() == Some(&want), || {
                format!("details are {:?}, expected {want}", seen.details)
            })
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
