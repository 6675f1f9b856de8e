//! The visible tests of lab 2. Run them with `cargo test -p lab-errors`.
//!
//! Async tests run on tokio's paused clock: `sleep` returns as soon as
//! nothing else can run, with the clock moved forward exactly, so delays
//! are asserted to the nanosecond and the tests take no real time.

mod common;

mod codes {
    use lab_errors::ErrorCode;

    #[test]
    fn only_transient_failures_are_retryable() {
        let retryable: Vec<ErrorCode> = ErrorCode::ALL
            .into_iter()
            .filter(|c| c.is_retryable())
            .collect();
        assert_eq!(
            retryable,
            [
                ErrorCode::Timeout,
                ErrorCode::RateLimited,
                ErrorCode::Unavailable
            ]
        );
    }
}

mod tool_error {
    use lab_errors::tool_error::{INTERNAL_MESSAGE, malformed_request};
    use lab_errors::{ErrorCode, ToolError};
    use serde_json::json;

    #[test]
    fn the_text_form_names_the_code() {
        let e = ToolError::new(ErrorCode::NotFound, "no such log: app.log");
        assert_eq!(e.to_string(), "Error [NOT_FOUND]: no such log: app.log");
    }

    #[test]
    fn an_internal_error_keeps_its_detail_for_the_log() {
        let e = ToolError::internal("connect to postgres://admin:hunter2@db-7/prod failed");
        assert_eq!(e.code(), ErrorCode::Internal);
        assert_eq!(e.message(), INTERNAL_MESSAGE);
        assert!(e.log_detail().unwrap().contains("db-7"));
        assert!(!e.to_string().contains("db-7"));
    }

    #[test]
    fn a_tool_failure_is_a_result_the_model_can_read() {
        let e = ToolError::new(ErrorCode::RateLimited, "slow down")
            .with_details(json!({"retry_after_ms": 250}));
        let result = e.to_call_tool_result();
        assert_eq!(result.is_error, Some(true));
        let wire = serde_json::to_value(&result).unwrap();
        assert_eq!(
            wire["content"][0]["text"],
            "Error [RATE_LIMITED]: slow down"
        );
        assert_eq!(wire["structuredContent"]["code"], "RATE_LIMITED");
        assert_eq!(wire["structuredContent"]["details"]["retry_after_ms"], 250);
    }

    #[test]
    fn the_log_detail_never_reaches_the_client() {
        let e = ToolError::internal("SELECT * FROM secrets WHERE token = 'abc'");
        let wire = serde_json::to_string(&e.to_call_tool_result()).unwrap();
        assert!(!wire.contains("secrets"), "{wire}");
    }

    #[test]
    fn a_malformed_request_is_a_protocol_error() {
        let e = malformed_request("unknown tool `drop_all`");
        assert_eq!(e.code.0, -32602);
        assert!(e.message.contains("drop_all"));
    }
}

mod convert {
    use std::io;
    use std::time::Duration;

    use lab_errors::{ErrorCode, ToolError};
    use security::paths::PathError;
    use security::permissions::AccessDenied;
    use security::rate_limit::RateLimited;
    use security::sql::SqlRejection;

    use super::common::db_error;

    fn code(e: impl Into<ToolError>) -> ErrorCode {
        e.into().code()
    }

    #[test]
    fn io_errors_by_kind() {
        let io = |kind| io::Error::new(kind, "/srv/secret/path.log");
        assert_eq!(code(io(io::ErrorKind::NotFound)), ErrorCode::NotFound);
        assert_eq!(
            code(io(io::ErrorKind::PermissionDenied)),
            ErrorCode::PermissionDenied
        );
        assert_eq!(code(io(io::ErrorKind::TimedOut)), ErrorCode::Timeout);
        assert_eq!(
            code(io(io::ErrorKind::ConnectionRefused)),
            ErrorCode::Unavailable
        );
        assert_eq!(code(io(io::ErrorKind::InvalidInput)), ErrorCode::Validation);
        assert_eq!(code(io(io::ErrorKind::OutOfMemory)), ErrorCode::Internal);
        let e = ToolError::from(io(io::ErrorKind::NotFound));
        assert!(!e.to_string().contains("/srv/secret"), "{e}");
        assert!(e.log_detail().unwrap().contains("/srv/secret"));
    }

    #[test]
    fn the_security_labs_errors() {
        assert_eq!(
            code(SqlRejection::MultipleStatements(2)),
            ErrorCode::Validation
        );
        assert_eq!(
            code(PathError::OutsideRoots("../etc/passwd".into())),
            ErrorCode::PermissionDenied
        );
        assert_eq!(code(PathError::ContainsNul), ErrorCode::Validation);
        assert_eq!(
            code(PathError::NotFound("a.log".into())),
            ErrorCode::NotFound
        );
        let config = PathError::RootNotADirectory("/srv/private/logs".into());
        let e = ToolError::from(config);
        assert_eq!(e.code(), ErrorCode::Internal);
        assert!(!e.to_string().contains("/srv/private"), "{e}");
        assert_eq!(
            code(AccessDenied::UnknownTool("drop_all".into())),
            ErrorCode::PermissionDenied
        );
        let limited = ToolError::from(RateLimited {
            retry_after: Duration::from_micros(1500),
        });
        assert_eq!(limited.code(), ErrorCode::RateLimited);
        assert_eq!(limited.details().unwrap()["retry_after_ms"], 2);
    }

    #[test]
    fn database_errors_by_sqlstate_and_kind() {
        assert_eq!(
            code(db_error(
                "25006",
                "cannot execute DELETE in a read-only transaction"
            )),
            ErrorCode::PermissionDenied
        );
        assert_eq!(
            code(db_error(
                "57014",
                "canceling statement due to statement timeout"
            )),
            ErrorCode::Timeout
        );
        assert_eq!(
            code(db_error("42P01", "relation \"nope\" does not exist")),
            ErrorCode::Validation
        );
        assert_eq!(
            code(db_error("08006", "connection failure")),
            ErrorCode::Unavailable
        );
        assert_eq!(code(sqlx::Error::RowNotFound), ErrorCode::NotFound);
        assert_eq!(code(sqlx::Error::PoolTimedOut), ErrorCode::Unavailable);
        let internal = ToolError::from(sqlx::Error::Protocol("password=hunter2 in startup".into()));
        assert_eq!(internal.code(), ErrorCode::Internal);
        assert!(!internal.to_string().contains("hunter2"));
    }
}

mod retry {
    use std::cell::Cell;
    use std::time::Duration;

    use lab_errors::retry::{RandomSource, RetryPolicy, retry};
    use lab_errors::{ErrorCode, ToolError};
    use tokio::time::Instant;

    /// Always the same number: makes jitter exact.
    struct Fixed(f64);

    impl RandomSource for Fixed {
        fn next_unit(&mut self) -> f64 {
            self.0
        }
    }

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
            jitter: 0.0,
            deadline: None,
        }
    }

    fn unavailable() -> ToolError {
        ToolError::new(ErrorCode::Unavailable, "database restarting")
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_with_growing_capped_waits() {
        let start = Instant::now();
        let calls = Cell::new(Vec::new());
        let result = retry(&policy(5), &mut Fixed(0.0), |attempt| {
            let mut seen = calls.take();
            seen.push(start.elapsed());
            calls.set(seen);
            async move {
                if attempt < 4 {
                    Err(unavailable())
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(result, Ok(4));
        let ms = |n| Duration::from_millis(n);
        assert_eq!(calls.take(), [ms(0), ms(100), ms(300), ms(550)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_is_not_retried() {
        let result: Result<(), _> = retry(&policy(5), &mut Fixed(0.0), |_| async {
            Err(ToolError::new(ErrorCode::Validation, "bad limit"))
        })
        .await;
        let e = result.unwrap_err();
        assert_eq!((e.attempts, e.last.code()), (1, ErrorCode::Validation));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_or_one_attempt_means_one_call() {
        for max in [0, 1] {
            let start = Instant::now();
            let e = retry(&policy(max), &mut Fixed(0.5), |_| async {
                Err::<(), _>(unavailable())
            })
            .await
            .unwrap_err();
            assert_eq!(e.attempts, 1);
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_error_comes_back_with_the_count() {
        let e = retry(&policy(3), &mut Fixed(0.0), |attempt| async move {
            Err::<(), _>(ToolError::new(ErrorCode::Timeout, format!("try {attempt}")))
        })
        .await
        .unwrap_err();
        assert_eq!(e.attempts, 3);
        assert_eq!(e.last.message(), "try 3");
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_takes_off_a_random_part_of_the_wait() {
        let mut p = policy(2);
        p.jitter = 0.5;
        let start = Instant::now();
        let _ = retry(&p, &mut Fixed(0.5), |_| async {
            Err::<(), _>(unavailable())
        })
        .await;
        // 100 ms less 0.5 x 0.5 of it.
        assert_eq!(start.elapsed(), Duration::from_millis(75));
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_ends_past_the_deadline() {
        let mut p = policy(10);
        p.deadline = Some(Duration::from_millis(400));
        let start = Instant::now();
        let e = retry(&p, &mut Fixed(0.0), |_| async {
            Err::<(), _>(unavailable())
        })
        .await
        .unwrap_err();
        // Waits of 100 and 200 fit (300 ms); the next, 250, would end at 550.
        assert_eq!(e.attempts, 3);
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }
}

mod timeout {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use lab_errors::timeout::with_timeout;
    use lab_errors::{ErrorCode, ToolError};
    use tokio::time::Instant;

    /// Sets its flag when dropped: shows the work was cancelled.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    async fn work(takes: Duration, dropped: Arc<AtomicBool>) -> Result<&'static str, ToolError> {
        let _guard = DropFlag(dropped);
        tokio::time::sleep(takes).await;
        Ok("rows")
    }

    #[tokio::test(start_paused = true)]
    async fn work_on_time_returns_its_result() {
        let flag = Arc::new(AtomicBool::new(false));
        let result = with_timeout(
            "query_database",
            Duration::from_secs(2),
            work(Duration::from_secs(1), flag),
        )
        .await;
        assert_eq!(result, Ok("rows"));
    }

    #[tokio::test(start_paused = true)]
    async fn late_work_is_cut_at_the_deadline_and_cancelled() {
        let flag = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let e = with_timeout(
            "query_database",
            Duration::from_millis(1500),
            work(Duration::from_secs(60), flag.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        assert_eq!(e.code(), ErrorCode::Timeout);
        assert!(
            e.message().contains("query_database") && e.message().contains("1500"),
            "{e}"
        );
        assert!(
            flag.load(Ordering::SeqCst),
            "the timed-out work is still alive"
        );
    }
}
