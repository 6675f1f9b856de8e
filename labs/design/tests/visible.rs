//! The visible tests of lab 4. Run them with `cargo test -p lab-design`.

mod names {
    use lab_design::names::{MAX_NAME_LEN, NameError, check_tool_name};

    #[test]
    fn names_clients_can_use() {
        for name in [
            "read_log",
            "db.query",
            "get-metrics",
            "v2",
            &"x".repeat(MAX_NAME_LEN),
        ] {
            assert_eq!(check_tool_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn names_they_cannot() {
        assert_eq!(check_tool_name(""), Err(NameError::Empty));
        assert_eq!(
            check_tool_name(&"x".repeat(MAX_NAME_LEN + 1)),
            Err(NameError::TooLong(MAX_NAME_LEN + 1))
        );
        assert_eq!(
            check_tool_name("read log"),
            Err(NameError::InvalidChar(' '))
        );
        assert_eq!(
            check_tool_name("files/read"),
            Err(NameError::InvalidChar('/'))
        );
        assert_eq!(check_tool_name("café"), Err(NameError::InvalidChar('é')));
    }
}

mod schema {
    use lab_design::schema::validate;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::{Value, json};

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Level {
        Error,
        Warning,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct ReadLog {
        #[schemars(length(min = 1, max = 200))]
        path: String,
        #[schemars(range(min = 1, max = 10000))]
        lines: Option<u32>,
        level: Level,
        tags: Vec<String>,
    }

    fn schema() -> Value {
        serde_json::to_value(schemars::schema_for!(ReadLog)).unwrap()
    }

    fn field_of(args: Value) -> String {
        validate(&schema(), &args)
            .expect_err("must be refused")
            .field
    }

    #[test]
    fn matching_arguments_pass() {
        let ok = json!({"path": "app.log", "lines": 50, "level": "error", "tags": ["a", "b"]});
        assert_eq!(validate(&schema(), &ok), Ok(()));
        let null_option = json!({"path": "app.log", "lines": null, "level": "warning", "tags": []});
        assert_eq!(validate(&schema(), &null_option), Ok(()));
    }

    #[test]
    fn the_field_at_fault_is_named() {
        let base = || json!({"path": "app.log", "lines": 50, "level": "error", "tags": ["a"]});
        let with = |key: &str, value: Value| {
            let mut v = base();
            v[key] = value;
            v
        };
        assert_eq!(field_of(with("lines", json!(20000))), "lines");
        assert_eq!(field_of(with("lines", json!(-1))), "lines");
        assert_eq!(field_of(with("lines", json!("ten"))), "lines");
        assert_eq!(field_of(with("path", json!(""))), "path");
        assert_eq!(field_of(with("level", json!("debug"))), "level");
        assert_eq!(field_of(with("tags", json!(["a", 7]))), "tags[1]");
        assert_eq!(field_of(with("follow", json!(true))), "follow");
        let mut missing = base();
        missing.as_object_mut().unwrap().remove("path");
        let e = validate(&schema(), &missing).unwrap_err();
        assert_eq!(e.field, "path");
        assert!(e.to_string().contains("`path`"), "{e}");
        assert_eq!(field_of(json!("not an object")), "");
    }
}

mod registry {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use errors::{ErrorCode, ToolError};
    use lab_design::plugin::ToolPlugin;
    use lab_design::registry::{PluginRegistry, RegisterError};
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct EchoArgs {
        text: String,
        #[schemars(range(min = 1, max = 5))]
        times: u32,
    }

    /// Repeats its text; counts its calls.
    struct Echo {
        name: &'static str,
        calls: Arc<AtomicUsize>,
    }

    impl ToolPlugin for Echo {
        type Args = EchoArgs;

        fn name(&self) -> &str {
            self.name
        }

        fn description(&self) -> &str {
            "Repeats a text up to five times."
        }

        async fn execute(&self, args: EchoArgs) -> Result<String, ToolError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(args.text.repeat(args.times as usize))
        }
    }

    fn echo(name: &'static str) -> (Echo, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (
            Echo {
                name,
                calls: calls.clone(),
            },
            calls,
        )
    }

    #[tokio::test]
    async fn register_then_execute() {
        let mut registry = PluginRegistry::new();
        let (plugin, calls) = echo("echo");
        registry.register(plugin).unwrap();
        let out = registry
            .execute("echo", json!({"text": "ab", "times": 3}))
            .await;
        assert_eq!(out.unwrap(), "ababab");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn duplicates_and_bad_names_are_refused_and_listing_is_sorted() {
        let mut registry = PluginRegistry::new();
        registry.register(echo("zeta").0).unwrap();
        registry.register(echo("alpha").0).unwrap();
        assert_eq!(
            registry.register(echo("zeta").0),
            Err(RegisterError::Duplicate("zeta".into()))
        );
        assert!(matches!(
            registry.register(echo("no spaces").0),
            Err(RegisterError::InvalidName(..))
        ));
        assert_eq!(registry.names(), ["alpha", "zeta"]);
    }

    #[tokio::test]
    async fn bad_arguments_never_reach_the_plugin() {
        let mut registry = PluginRegistry::new();
        let (plugin, calls) = echo("echo");
        registry.register(plugin).unwrap();
        let e = registry
            .execute("echo", json!({"text": "ab", "times": 9}))
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation);
        assert!(e.message().contains("times"), "{e}");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_unknown_tool_is_not_found() {
        let registry = PluginRegistry::new();
        let e = registry.execute("nope", json!({})).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
    }

    #[test]
    fn the_tool_list_an_mcp_server_serves() {
        let mut registry = PluginRegistry::new();
        registry.register(echo("echo").0).unwrap();
        let tools = registry.tools();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0].name, "echo");
        assert_eq!(
            tools[0].description.as_deref(),
            Some("Repeats a text up to five times.")
        );
        assert_eq!(tools[0].input_schema["properties"]["times"]["maximum"], 5);
    }
}

mod compose {
    use std::sync::Mutex;
    use std::time::Duration;

    use errors::{ErrorCode, ToolError};
    use lab_design::compose::{HealthSources, Status, health_report};
    use tokio::time::{Instant, sleep};

    /// Steps with fixed latencies; `None` fails the step.
    struct Fake {
        logs: (u64, Option<&'static str>),
        metrics: (u64, Option<&'static str>),
        suggest_ms: u64,
        seen: Mutex<Option<(Option<String>, Option<String>)>>,
    }

    async fn step(ms: u64, out: Option<&'static str>) -> Result<String, ToolError> {
        sleep(Duration::from_millis(ms)).await;
        out.map(str::to_owned)
            .ok_or_else(|| ToolError::new(ErrorCode::Unavailable, "source down"))
    }

    impl HealthSources for Fake {
        async fn analyze_logs(&self) -> Result<String, ToolError> {
            step(self.logs.0, self.logs.1).await
        }

        async fn metrics(&self) -> Result<String, ToolError> {
            step(self.metrics.0, self.metrics.1).await
        }

        async fn suggest(
            &self,
            logs: Option<&str>,
            metrics: Option<&str>,
        ) -> Result<String, ToolError> {
            *self.seen.lock().unwrap() =
                Some((logs.map(str::to_owned), metrics.map(str::to_owned)));
            sleep(Duration::from_millis(self.suggest_ms)).await;
            Ok("add an index".to_owned())
        }
    }

    fn fake(logs: (u64, Option<&'static str>), metrics: (u64, Option<&'static str>)) -> Fake {
        Fake {
            logs,
            metrics,
            suggest_ms: 50,
            seen: Mutex::new(None),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn independent_steps_overlap() {
        let sources = fake((300, Some("3 errors")), (200, Some("cpu 40%")));
        let start = Instant::now();
        let report = health_report(&sources, Duration::from_secs(1)).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(350),
            "max(300, 200) + 50"
        );
        assert_eq!(report.status, Status::Healthy);
        let titles: Vec<&str> = report.sections.iter().map(|s| s.title).collect();
        assert_eq!(titles, ["Logs", "Metrics", "Suggestions"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_step_degrades_the_report() {
        let sources = fake((100, Some("3 errors")), (100, None));
        let report = health_report(&sources, Duration::from_secs(1)).await;
        assert_eq!(report.status, Status::Degraded);
        assert_eq!(report.sections[0].body, Ok("3 errors".to_owned()));
        assert!(
            report.sections[1]
                .body
                .as_ref()
                .unwrap_err()
                .contains("source down")
        );
        assert_eq!(
            *sources.seen.lock().unwrap(),
            Some((Some("3 errors".to_owned()), None))
        );
        let md = report.to_markdown();
        assert!(md.contains("degraded"), "{md}");
        assert!(md.find("## Logs").unwrap() < md.find("## Metrics").unwrap());
        assert!(md.find("## Metrics").unwrap() < md.find("## Suggestions").unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_past_its_deadline_is_cut() {
        let sources = fake((60_000, Some("late")), (100, Some("cpu 40%")));
        let start = Instant::now();
        let report = health_report(&sources, Duration::from_millis(500)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(550));
        assert_eq!(report.status, Status::Degraded);
        assert!(
            report.sections[0]
                .body
                .as_ref()
                .unwrap_err()
                .contains("TIMEOUT")
        );
    }
}
