//! The visible tests of lab 5. Run them with `cargo test -p lab-server`.
//!
//! The four modules you write are tested on their own first; the last
//! tests start the real server binary and talk to it over stdio with an
//! MCP client, as Claude Desktop or an IDE would.

mod tail {
    use std::io::Cursor;

    use lab_server::tail::{BLOCK, last_lines};

    fn tail(text: &[u8], n: usize) -> Vec<String> {
        last_lines(&mut Cursor::new(text.to_vec()), n).expect("reading a Cursor cannot fail")
    }

    #[test]
    fn the_last_lines_oldest_first() {
        assert_eq!(tail(b"a\nb\nc\nd\n", 2), ["c", "d"]);
        assert_eq!(tail(b"a\nb\nc\nd", 2), ["c", "d"], "no newline at the end");
    }

    #[test]
    fn fewer_lines_than_asked_gives_them_all() {
        assert_eq!(tail(b"one\ntwo\n", 10), ["one", "two"]);
        assert_eq!(tail(b"only", 3), ["only"]);
    }

    #[test]
    fn nothing_asked_or_nothing_there() {
        assert!(tail(b"a\nb\n", 0).is_empty());
        assert!(tail(b"", 5).is_empty());
    }

    #[test]
    fn empty_lines_and_crlf_are_kept_as_lines() {
        assert_eq!(tail(b"a\r\n\r\nb\r\n", 3), ["a", "", "b"]);
        assert_eq!(tail(b"a\n\n\n", 2), ["", ""]);
    }

    #[test]
    fn bad_utf8_is_replaced_not_refused() {
        assert_eq!(tail(b"ok\nbad \xff byte\n", 1), ["bad \u{fffd} byte"]);
    }

    #[test]
    fn lines_across_block_boundaries_come_back_whole() {
        let long = "x".repeat(BLOCK as usize + 17);
        let text = format!("first\n{long}\nlast\n");
        assert_eq!(tail(text.as_bytes(), 2), [long.as_str(), "last"]);
        assert_eq!(tail(text.as_bytes(), 3), ["first", long.as_str(), "last"]);
    }

    #[test]
    fn many_lines_from_a_big_file() {
        let text: String = (0..50_000).map(|i| format!("line {i}\n")).collect();
        let got = tail(text.as_bytes(), 1000);
        assert_eq!(got.len(), 1000);
        assert_eq!(got[0], "line 49000");
        assert_eq!(got[999], "line 49999");
    }
}

mod rows {
    use lab_server::performance::pool::{ColumnInfo, QueryRows};
    use lab_server::rows::{MAX_LIMIT, render};
    use serde_json::{Value, json};

    fn numbers(n: usize) -> QueryRows {
        QueryRows {
            columns: vec![
                ColumnInfo {
                    name: "id".into(),
                    type_name: "INT4".into(),
                },
                ColumnInfo {
                    name: "name".into(),
                    type_name: "TEXT".into(),
                },
            ],
            rows: (0..n)
                .map(|i| vec![json!(i), json!(format!("row {i}"))])
                .collect(),
        }
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("render returns JSON text")
    }

    #[test]
    fn a_result_under_the_limit_is_whole() {
        let out = parse(&render(&numbers(3), 10));
        assert_eq!(
            out["columns"],
            json!([{"name": "id", "type": "INT4"}, {"name": "name", "type": "TEXT"}])
        );
        assert_eq!(
            out["rows"],
            json!([[0, "row 0"], [1, "row 1"], [2, "row 2"]])
        );
        assert_eq!(out["row_count"], 3);
        assert_eq!(out["truncated"], false);
        assert!(
            out.get("note").is_none(),
            "no note when nothing was cut: {out}"
        );
    }

    #[test]
    fn exactly_the_limit_is_not_cut() {
        let out = parse(&render(&numbers(5), 5));
        assert_eq!(out["row_count"], 5);
        assert_eq!(out["truncated"], false);
    }

    #[test]
    fn more_rows_than_the_limit_are_cut_with_a_note() {
        let out = parse(&render(&numbers(6), 5));
        assert_eq!(out["row_count"], 5);
        assert_eq!(out["rows"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            out["rows"][4],
            json!([4, "row 4"]),
            "the first rows are kept"
        );
        assert_eq!(out["truncated"], true);
        let note = out["note"].as_str().expect("a note when rows were cut");
        assert!(
            note.contains('5'),
            "the note says how many rows are shown: {note}"
        );
    }

    #[test]
    fn the_limit_never_goes_past_the_maximum() {
        let out = parse(&render(&numbers(MAX_LIMIT as usize + 5), u32::MAX));
        assert_eq!(out["row_count"], MAX_LIMIT);
        assert_eq!(out["truncated"], true);
    }
}

mod auth {
    use lab_server::auth::{AuthError, check_bearer, constant_time_eq};

    #[test]
    fn equal_bytes_only() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokeN"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn the_right_token_in_any_case_of_scheme() {
        assert_eq!(check_bearer("s3cret", Some(b"Bearer s3cret")), Ok(()));
        assert_eq!(check_bearer("s3cret", Some(b"bearer s3cret")), Ok(()));
        assert_eq!(check_bearer("s3cret", Some(b"  BEARER   s3cret  ")), Ok(()));
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(check_bearer("s3cret", None), Err(AuthError::Missing));
        assert_eq!(
            check_bearer("s3cret", Some(b"Basic czNjcmV0")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            check_bearer("s3cret", Some(b"Bearer")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            check_bearer("s3cret", Some(b"Bearer  ")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            check_bearer("s3cret", Some(b"s3cret")),
            Err(AuthError::NotBearer)
        );
        assert_eq!(
            check_bearer("s3cret", Some(b"Bearer s3cre")),
            Err(AuthError::WrongToken)
        );
        assert_eq!(
            check_bearer("s3cret", Some(b"Bearer \xff")),
            Err(AuthError::NotBearer)
        );
    }
}

mod pipeline {
    use std::io::{self, Write};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use lab_server::approval::{Approval, ApprovalFuture, ApprovalRequest, Approver, NoApprover};
    use lab_server::design::plugin::ToolPlugin;
    use lab_server::design::registry::PluginRegistry;
    use lab_server::errors::ToolError;
    use lab_server::metrics::Metrics;
    use lab_server::pipeline::{Caller, Pipeline};
    use lab_server::security::audit::AuditLog;
    use lab_server::security::permissions::{Permission, PermissionTable};
    use lab_server::security::rate_limit::{Clock, ManualClock, RateLimit, RateLimiter};
    use lab_server::settings::Settings;
    use rmcp::model::CallToolResult;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::{Value, json};

    /// An audit sink the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn entries(&self) -> Vec<Value> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines()
                .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
                .collect()
        }
    }

    #[derive(Deserialize, JsonSchema)]
    struct EchoArgs {
        text: String,
    }

    /// Returns its argument; or sleeps, or panics, on request.
    struct Echo(&'static str);

    impl ToolPlugin for Echo {
        type Args = EchoArgs;
        fn name(&self) -> &str {
            self.0
        }
        fn description(&self) -> &str {
            "test tool"
        }
        async fn execute(&self, args: EchoArgs) -> Result<String, ToolError> {
            match args.text.as_str() {
                "sleep" => tokio::time::sleep(Duration::from_secs(3600)).await,
                "panic" => panic!("the tool fell over"),
                _ => {}
            }
            Ok(args.text)
        }
    }

    struct Fixture {
        pipeline: Arc<Pipeline>,
        audit: Shared,
        metrics: Arc<Metrics>,
    }

    /// `read_log` and `get_metrics` (echoes) with ReadLogs granted only,
    /// and `update_config` (an echo) needing approval.
    fn fixture(granted: &[Permission]) -> Fixture {
        let mut registry = PluginRegistry::new();
        for name in ["read_log", "get_metrics", "update_config"] {
            registry.register(Echo(name)).unwrap();
        }
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
        let audit = Shared::default();
        let metrics = Arc::new(Metrics::new());
        let pipeline = Arc::new(Pipeline {
            registry,
            permissions: PermissionTable::course_defaults(),
            granted: granted.to_vec(),
            limiter: RateLimiter::new(RateLimit::new(3, 1.0).unwrap(), clock),
            settings: Arc::new(Settings::new(Duration::from_secs(2))),
            audit: Mutex::new(AuditLog::new(Box::new(audit.clone()))),
            metrics: Arc::clone(&metrics),
        });
        Fixture {
            pipeline,
            audit,
            metrics,
        }
    }

    fn text(result: &CallToolResult) -> String {
        result
            .content
            .iter()
            .filter_map(|c| c.as_text())
            .map(|t| t.text.clone())
            .collect()
    }

    fn assert_error(result: &CallToolResult, code: &str) {
        assert_eq!(
            result.is_error,
            Some(true),
            "expected an error, got {result:?}"
        );
        let text = text(result);
        assert!(
            text.starts_with(&format!("Error [{code}]: ")),
            "expected {code}, got {text:?}"
        );
    }

    /// Approves and remembers what it was shown.
    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<ApprovalRequest>>,
        answer: Option<Approval>,
    }

    impl Approver for Recorder {
        fn ask<'a>(&'a self, request: &'a ApprovalRequest) -> ApprovalFuture<'a> {
            self.seen.lock().unwrap().push(request.clone());
            Box::pin(std::future::ready(
                self.answer.clone().unwrap_or(Approval::Approved),
            ))
        }
    }

    const ALL: [Permission; 4] = Permission::ALL;

    #[tokio::test]
    async fn a_good_call_returns_its_text() {
        let f = fixture(&ALL);
        let caller = Caller {
            client: "c",
            approver: &NoApprover,
        };
        let result = f
            .pipeline
            .call(&caller, "read_log", json!({"text": "hello"}))
            .await;
        assert_eq!(result.is_error, Some(false));
        assert_eq!(text(&result), "hello");
    }

    #[tokio::test]
    async fn permissions_are_checked_and_unknown_tools_denied() {
        let f = fixture(&[Permission::ReadLogs]);
        let caller = Caller {
            client: "c",
            approver: &NoApprover,
        };
        assert_error(
            &f.pipeline
                .call(&caller, "get_metrics", json!({"text": "x"}))
                .await,
            "PERMISSION_DENIED",
        );
        assert_error(
            &f.pipeline.call(&caller, "drop_everything", json!({})).await,
            "PERMISSION_DENIED",
        );
    }

    #[tokio::test]
    async fn a_burst_is_rate_limited_per_client() {
        let f = fixture(&ALL);
        let a = Caller {
            client: "a",
            approver: &NoApprover,
        };
        let b = Caller {
            client: "b",
            approver: &NoApprover,
        };
        for _ in 0..3 {
            let result = f.pipeline.call(&a, "read_log", json!({"text": "x"})).await;
            assert_eq!(result.is_error, Some(false), "{result:?}");
        }
        assert_error(
            &f.pipeline.call(&a, "read_log", json!({"text": "x"})).await,
            "RATE_LIMITED",
        );
        let other = f.pipeline.call(&b, "read_log", json!({"text": "x"})).await;
        assert_eq!(
            other.is_error,
            Some(false),
            "another client has its own bucket"
        );
    }

    #[tokio::test]
    async fn high_privilege_calls_need_a_yes() {
        let f = fixture(&ALL);
        let args = json!({"text": "x", "password": "hunter2"});

        let nobody = Caller {
            client: "a",
            approver: &NoApprover,
        };
        assert_error(
            &f.pipeline
                .call(&nobody, "update_config", args.clone())
                .await,
            "PERMISSION_DENIED",
        );

        let no = Recorder {
            answer: Some(Approval::Declined),
            ..Recorder::default()
        };
        let declined = Caller {
            client: "b",
            approver: &no,
        };
        assert_error(
            &f.pipeline
                .call(&declined, "update_config", args.clone())
                .await,
            "PERMISSION_DENIED",
        );

        let yes = Recorder::default();
        let approved = Caller {
            client: "c",
            approver: &yes,
        };
        let result = f
            .pipeline
            .call(&approved, "update_config", json!({"text": "x"}))
            .await;
        assert_eq!(result.is_error, Some(false), "{result:?}");

        let shown = &no.seen.lock().unwrap()[0];
        assert_eq!(shown.tool, "update_config");
        assert!(
            !shown.arguments.to_string().contains("hunter2"),
            "the human sees redacted arguments: {shown:?}"
        );
    }

    #[tokio::test]
    async fn low_privilege_calls_ask_nobody() {
        let f = fixture(&ALL);
        let asked = Recorder::default();
        let caller = Caller {
            client: "a",
            approver: &asked,
        };
        f.pipeline
            .call(&caller, "read_log", json!({"text": "x"}))
            .await;
        assert!(asked.seen.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_tool_times_out() {
        let f = fixture(&ALL);
        let caller = Caller {
            client: "a",
            approver: &NoApprover,
        };
        let started = tokio::time::Instant::now();
        assert_error(
            &f.pipeline
                .call(&caller, "read_log", json!({"text": "sleep"}))
                .await,
            "TIMEOUT",
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "cut at the 2 s call timeout"
        );
        assert_eq!(f.metrics.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_panicking_tool_is_an_internal_error_and_the_next_call_works() {
        let f = fixture(&ALL);
        let caller = Caller {
            client: "a",
            approver: &NoApprover,
        };
        let crashed = f
            .pipeline
            .call(&caller, "read_log", json!({"text": "panic"}))
            .await;
        assert_error(&crashed, "INTERNAL");
        assert!(
            !text(&crashed).contains("fell over"),
            "the panic message stays in the log"
        );
        let next = f
            .pipeline
            .call(&caller, "read_log", json!({"text": "fine"}))
            .await;
        assert_eq!(text(&next), "fine");
    }

    #[tokio::test]
    async fn every_call_is_audited_redacted_and_counted() {
        let f = fixture(&[Permission::ReadLogs]);
        let caller = Caller {
            client: "a",
            approver: &NoApprover,
        };
        f.pipeline
            .call(
                &caller,
                "read_log",
                json!({"text": "x", "api_key": "sk-live-123"}),
            )
            .await;
        f.pipeline
            .call(&caller, "get_metrics", json!({"text": "x"}))
            .await;
        let entries = f.audit.entries();
        assert_eq!(
            entries.len(),
            2,
            "one entry per call, refused ones too: {entries:?}"
        );
        assert_eq!(entries[0]["tool"], "read_log");
        assert_eq!(entries[1]["success"], false);
        assert!(
            !entries[0].to_string().contains("sk-live-123"),
            "secrets are redacted: {}",
            entries[0]
        );
        let tools = f.metrics.tools();
        assert_eq!(tools["read_log"].calls(), 1);
        assert_eq!(
            tools["get_metrics"].outcomes.get("PERMISSION_DENIED"),
            Some(&1)
        );
    }
}

mod server {
    //! The real binary, over stdio, with an MCP client.

    use std::time::Duration;

    use rmcp::model::{CallToolRequestParams, CallToolResult};
    use rmcp::service::RunningService;
    use rmcp::transport::TokioChildProcess;
    use rmcp::{RoleClient, ServiceExt};
    use serde_json::{Value, json};
    use tokio::process::Command;

    /// The server binary this test package builds.
    const BIN: &str = match (
        option_env!("CARGO_BIN_EXE_lab-server"),
        option_env!("CARGO_BIN_EXE_solution-server"),
    ) {
        (Some(bin), _) | (None, Some(bin)) => bin,
        (None, None) => panic!("these tests run in the lab-server or solution-server package"),
    };

    async fn start(
        data: &std::path::Path,
        logs: &std::path::Path,
    ) -> RunningService<RoleClient, ()> {
        let mut command = Command::new(BIN);
        command
            .arg("stdio")
            .arg("--log-root")
            .arg(logs)
            .env("MCP_DATA_DIR", data)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "error");
        let (transport, stderr) = TokioChildProcess::builder(command)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let mut stderr = stderr.expect("the server's stderr is piped");
        match tokio::time::timeout(Duration::from_secs(30), ().serve(transport)).await {
            Ok(Ok(client)) => {
                // Keep reading the server's log, or it blocks once the pipe is full.
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
                });
                client
            }
            Ok(Err(error)) => {
                // The server died: its own words say why (often a todo!() it reached).
                let mut log = String::new();
                let _ = tokio::time::timeout(
                    Duration::from_secs(5),
                    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut log),
                )
                .await;
                panic!("the MCP handshake failed ({error}); the server said:\n{log}")
            }
            Err(_) => panic!("the server did not finish the MCP handshake within 30 s"),
        }
    }

    async fn call(
        client: &RunningService<RoleClient, ()>,
        tool: &str,
        args: Value,
    ) -> CallToolResult {
        let Value::Object(args) = args else {
            panic!("arguments are an object")
        };
        let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(args);
        client
            .call_tool(request)
            .await
            .expect("tools/call gets an answer")
    }

    fn text(result: &CallToolResult) -> String {
        result
            .content
            .iter()
            .filter_map(|c| c.as_text())
            .map(|t| t.text.clone())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn lists_the_five_tools_and_answers_them() {
        let data = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        std::fs::write(
            logs.path().join("app.log"),
            "boot\nready\nERROR disk full\n",
        )
        .unwrap();
        let client = start(data.path(), logs.path()).await;

        let mut names: Vec<String> = client
            .list_all_tools()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name.into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "get_metrics",
                "health_check",
                "query_database",
                "read_log",
                "update_config"
            ]
        );

        let rows = call(
            &client,
            "query_database",
            json!({"query": "SELECT name FROM customers ORDER BY id", "limit": 2}),
        )
        .await;
        let rows: Value = serde_json::from_str(&text(&rows)).expect("rows as JSON text");
        assert_eq!(rows["row_count"], 2);
        assert_eq!(rows["truncated"], true);

        let refused = call(
            &client,
            "query_database",
            json!({"query": "DELETE FROM customers"}),
        )
        .await;
        assert_eq!(refused.is_error, Some(true), "{refused:?}");
        assert!(text(&refused).starts_with("Error ["));

        let tail = call(&client, "read_log", json!({"path": "app.log", "lines": 2})).await;
        assert_eq!(text(&tail), "ready\nERROR disk full");
        let escape = call(
            &client,
            "read_log",
            json!({"path": "../../../../etc/passwd"}),
        )
        .await;
        assert_eq!(escape.is_error, Some(true), "{escape:?}");

        let health = call(&client, "health_check", json!({})).await;
        assert!(text(&health).contains("# Health report"), "{health:?}");

        let denied = call(
            &client,
            "update_config",
            json!({"key": "default_row_limit", "value": "5"}),
        )
        .await;
        assert!(
            text(&denied).starts_with("Error [PERMISSION_DENIED]"),
            "a client that cannot ask the user is refused: {denied:?}"
        );

        let unknown = client
            .call_tool(CallToolRequestParams::new("drop_tables"))
            .await;
        assert!(
            unknown.is_err(),
            "an unknown tool is a protocol error: {unknown:?}"
        );

        client.cancel().await.unwrap();
        let audit = std::fs::read_to_string(data.path().join("audit.jsonl")).unwrap();
        assert_eq!(
            audit.lines().count(),
            7,
            "one audit line per call, the unknown tool's too:\n{audit}"
        );
        assert!(audit.lines().last().unwrap().contains("drop_tables"));
    }
}
