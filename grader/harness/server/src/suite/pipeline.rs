//! The pipeline, in process: scripted calls through one side's
//! `Pipeline`, with tools, approvers and an audit sink that record what
//! they saw, on a paused clock.

/// Defines `pipe::steps()` and `pipe::calls()` over the crate `$server`,
/// inside that side's adapter.
macro_rules! pipeline_scenarios {
    ($server:ident) => {
        /// The pipeline scenarios over this side's crate.
        pub mod pipe {
            use std::io;
            use std::panic::{AssertUnwindSafe, catch_unwind};
            use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
            use std::sync::{Arc, Mutex, PoisonError};
            use std::time::Duration;

            use grader_kit::rules::check_rule;
            use rmcp::model::CallToolResult;
            use serde_json::{Value, json};

            use $server::approval::{Approval, ApprovalFuture, ApprovalRequest, Approver};
            use $server::design::plugin::ToolPlugin;
            use $server::design::registry::PluginRegistry;
            use $server::errors::ToolError;
            use $server::metrics::Metrics;
            use $server::pipeline::{Caller, Pipeline};
            use $server::security::audit::AuditLog;
            use $server::security::permissions::{Permission, PermissionTable};
            use $server::security::rate_limit::{Clock, ManualClock, RateLimit, RateLimiter};
            use $server::settings::Settings;

            use crate::suite::{content_text, error_code_of};

            /// What the tools and the audit sink saw.
            #[derive(Default)]
            struct Probe {
                /// Tool runs started.
                runs: AtomicU64,
                /// Slow tools that ran to their end (600 s later).
                slow_finished: AtomicU64,
                /// `metrics.in_flight()` as each tool saw it.
                in_flight_in_tool: Mutex<Vec<u64>>,
            }

            #[derive(serde::Deserialize, schemars::JsonSchema)]
            struct Args {
                mode: String,
            }

            /// A tool whose behaviour the call's `mode` picks.
            struct Tool {
                name: &'static str,
                probe: Arc<Probe>,
                metrics: Arc<Metrics>,
            }

            impl ToolPlugin for Tool {
                type Args = Args;
                fn name(&self) -> &str {
                    self.name
                }
                fn description(&self) -> &str {
                    "grader tool"
                }
                async fn execute(&self, args: Args) -> Result<String, ToolError> {
                    self.probe.runs.fetch_add(1, Ordering::SeqCst);
                    self.probe
                        .in_flight_in_tool
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(self.metrics.in_flight());
                    match args.mode.as_str() {
                        "slow" => {
                            tokio::time::sleep(Duration::from_secs(600)).await;
                            self.probe.slow_finished.fetch_add(1, Ordering::SeqCst);
                        }
                        "sleep3" => tokio::time::sleep(Duration::from_secs(3)).await,
                        "brief" => tokio::time::sleep(Duration::from_millis(50)).await,
                        "block" => std::thread::sleep(Duration::from_millis(40)),
                        "panic" => panic!("grader-panic-detail"),
                        _ => {}
                    }
                    Ok(format!("ran {}", args.mode))
                }
            }

            /// An approver that answers `approval` after `delay`, and
            /// keeps every request it was shown.
            struct Answer {
                approval: Approval,
                delay: Duration,
                asked: Mutex<Vec<ApprovalRequest>>,
            }

            impl Answer {
                fn new(approval: Approval) -> Self {
                    Self::after(approval, Duration::ZERO)
                }
                fn after(approval: Approval, delay: Duration) -> Self {
                    Self {
                        approval,
                        delay,
                        asked: Mutex::new(Vec::new()),
                    }
                }
                fn asked(&self) -> Vec<ApprovalRequest> {
                    self.asked.lock().unwrap_or_else(PoisonError::into_inner).clone()
                }
            }

            impl Approver for Answer {
                fn ask<'a>(&'a self, request: &'a ApprovalRequest) -> ApprovalFuture<'a> {
                    self.asked
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request.clone());
                    let approval = self.approval.clone();
                    let delay = self.delay;
                    Box::pin(async move {
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        approval
                    })
                }
            }

            /// An audit sink the suite reads back, that fails on demand
            /// and notes the calls in flight at each write.
            #[derive(Clone)]
            struct Sink {
                bytes: Arc<Mutex<Vec<u8>>>,
                fail: Arc<AtomicBool>,
                metrics: Arc<Metrics>,
                in_flight_at_write: Arc<Mutex<Vec<u64>>>,
            }

            impl io::Write for Sink {
                fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                    if self.fail.load(Ordering::SeqCst) {
                        return Err(io::Error::other("the grader's disk is full"));
                    }
                    self.in_flight_at_write
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(self.metrics.in_flight());
                    self.bytes
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend_from_slice(buf);
                    Ok(buf.len())
                }
                fn flush(&mut self) -> io::Result<()> {
                    if self.fail.load(Ordering::SeqCst) {
                        return Err(io::Error::other("the grader's disk is full"));
                    }
                    Ok(())
                }
            }

            impl Sink {
                fn entries(&self) -> Result<Vec<Value>, String> {
                    let bytes = self.bytes.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    String::from_utf8_lossy(&bytes)
                        .lines()
                        .map(|l| {
                            serde_json::from_str(l)
                                .map_err(|e| format!("an audit line is not JSON ({e}): {l}"))
                        })
                        .collect()
                }
            }

            /// A pipeline over the four grader tools, the course's
            /// permission table, `granted`, a bucket of `burst` calls
            /// per client and tool that does not refill (its clock stands
            /// still), and a 5 s call timeout.
            fn build(
                granted: Vec<Permission>,
                burst: u32,
                probe: &Arc<Probe>,
            ) -> Result<(Arc<Pipeline>, Sink), String> {
                let metrics = Arc::new(Metrics::new());
                let mut registry = PluginRegistry::new();
                for name in ["read_log", "get_metrics", "update_config", "query_database"] {
                    registry
                        .register(Tool {
                            name,
                            probe: Arc::clone(probe),
                            metrics: Arc::clone(&metrics),
                        })
                        .map_err(|e| format!("registering a tool failed: {e}"))?;
                }
                let sink = Sink {
                    bytes: Arc::default(),
                    fail: Arc::default(),
                    metrics: Arc::clone(&metrics),
                    in_flight_at_write: Arc::default(),
                };
                let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
                let limit = RateLimit::new(burst, 0.5).map_err(|e| e.to_string())?;
                let pipeline = Arc::new(Pipeline {
                    registry,
                    permissions: PermissionTable::course_defaults(),
                    granted,
                    limiter: RateLimiter::new(limit, clock),
                    settings: Arc::new(Settings::new(Duration::from_secs(5))),
                    audit: Mutex::new(AuditLog::new(Box::new(sink.clone()))),
                    metrics,
                });
                Ok((pipeline, sink))
            }

            /// Who answers a step's approval request.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            enum Human {
                /// Approves at once.
                Approves,
                /// Approves, after 7 s (the call timeout is 5 s).
                ApprovesAfter7s,
                /// Declines.
                Declines,
                /// Cannot be asked (no elicitation).
                Unsupported,
                /// Asking fails, with a reason.
                Fails,
            }

            /// One scripted call and what must come of it.
            struct Step {
                client: &'static str,
                human: Human,
                tool: &'static str,
                args: Value,
                /// The error code expected, or `None` for a result.
                want: Option<&'static str>,
                /// Whether the tool runs.
                runs: bool,
                /// Whether the human is asked.
                asked: bool,
                /// The rule this step's outcome tests.
                rule: &'static str,
            }

            // One row of the scenario table: a builder with one argument
            // per column reads as the table does.
            #[allow(clippy::too_many_arguments)]
            fn step(
                client: &'static str,
                human: Human,
                tool: &'static str,
                args: Value,
                want: Option<&'static str>,
                runs: bool,
                asked: bool,
                rule: &'static str,
            ) -> Step {
                Step { client, human, tool, args, want, runs, asked, rule }
            }

            /// The reason the failing approver gives.
            const WHY: &str = "the client went away mid-question";

            fn describe(result: &CallToolResult) -> String {
                match error_code_of(result.is_error, &content_text(result)) {
                    Some(_) => content_text(result),
                    None => format!("the result {:?}", content_text(result)),
                }
            }

            /// `run_guarded` through `call`: the order of the checks, the
            /// approval, the tool's task under the timeout.
            pub fn steps() -> Result<String, String> {
                use Human::*;
                let probe = Arc::new(Probe::default());
                let granted = vec![Permission::ReadLogs, Permission::ModifyConfig, Permission::ExecuteQuery];
                let (pipeline, sink) = build(granted.clone(), 2, &probe)?;
                let humans = [
                    (Approves, Answer::new(Approval::Approved)),
                    (ApprovesAfter7s, Answer::after(Approval::Approved, Duration::from_secs(7))),
                    (Declines, Answer::new(Approval::Declined)),
                    (Unsupported, Answer::new(Approval::Unsupported)),
                    (Fails, Answer::new(Approval::Failed(WHY.into()))),
                ];
                let answer = |human: Human| &humans.iter().find(|(h, _)| *h == human).expect("every human").1;
                let asked_so_far = || humans.iter().map(|(_, a)| a.asked().len()).sum::<usize>();
                let plain = json!({"mode": "plain"});
                let rt = grader_kit::paused_runtime();
                let script = vec![
                    step("a", Approves, "read_log", plain.clone(), None, true, false, "tool-result-unchanged"),
                    step("a", Approves, "get_metrics", plain.clone(), Some("PERMISSION_DENIED"), false, false, "permission-denied"),
                    step("a", Approves, "get_metrics", plain.clone(), Some("PERMISSION_DENIED"), false, false, "permission-denied"),
                    step("a", Approves, "get_metrics", plain.clone(), Some("PERMISSION_DENIED"), false, false, "permission-before-rate-limit"),
                    step("a", Approves, "no_such_tool", plain.clone(), Some("PERMISSION_DENIED"), false, false, "unknown-tool-denied"),
                    step("a", Approves, "read_log", plain.clone(), None, true, false, "tool-result-unchanged"),
                    step("a", Approves, "read_log", plain.clone(), Some("RATE_LIMITED"), false, false, "rate-limited"),
                    step("b", Approves, "read_log", plain.clone(), None, true, false, "bucket-per-client-and-tool"),
                    step("c", Unsupported, "update_config", plain.clone(), Some("PERMISSION_DENIED"), false, true, "only-approved-goes-on"),
                    step("d", Declines, "update_config", json!({"mode": "plain", "password": "pw-123456"}), Some("PERMISSION_DENIED"), false, true, "only-approved-goes-on"),
                    step("e", Fails, "update_config", plain.clone(), Some("PERMISSION_DENIED"), false, true, "only-approved-goes-on"),
                    step("f", Approves, "update_config", json!({"mode": "approved", "token": "Bearer abcdefghijkl"}), None, true, true, "tool-result-unchanged"),
                    step("f", Approves, "update_config", plain.clone(), None, true, true, "tool-result-unchanged"),
                    step("f", Approves, "update_config", plain.clone(), Some("RATE_LIMITED"), false, false, "rate-limited"),
                    step("f", Approves, "read_log", plain.clone(), None, true, false, "tool-result-unchanged"),
                    step("g", Approves, "query_database", json!({"mode": "slow"}), Some("TIMEOUT"), true, false, "timeout"),
                    step("h", Approves, "query_database", json!({"mode": "panic"}), Some("INTERNAL"), true, false, "panic-is-internal"),
                    step("h", Approves, "query_database", json!({"mode": "after"}), None, true, false, "tool-result-unchanged"),
                    step("i", Approves, "read_log", json!({"wrong": 1}), Some("VALIDATION"), false, false, "tool-errors-unchanged"),
                    step("j", ApprovesAfter7s, "update_config", plain.clone(), None, true, true, "human-time-not-counted"),
                ];
                let mut results = Vec::new();
                let run = |pipeline: &Arc<Pipeline>, s: &Step, n: usize| -> Result<CallToolResult, String> {
                    let runs = probe.runs.load(Ordering::SeqCst);
                    let asked = asked_so_far();
                    let caller = Caller { client: s.client, approver: answer(s.human) };
                    let result = rt.block_on(pipeline.call(&caller, s.tool, s.args.clone()));
                    let got = error_code_of(result.is_error, &content_text(&result));
                    let what = format!("call {n} ({} {} from client {:?}, whose human {:?})", s.tool, s.args, s.client, s.human);
                    check_rule(s.rule, got.as_deref() == s.want, || format!(
                        "{what}: expected {}, got {}",
                        s.want.map(|c| format!("Error [{c}]")).unwrap_or("a result".into()),
                        describe(&result),
                    ))?;
                    if s.want.is_none() {
                        check_rule(s.rule, content_text(&result) == format!("ran {}", s.args["mode"].as_str().unwrap_or("")), || format!(
                            "{what}: the tool's own text comes back unchanged, got {:?}", content_text(&result)
                        ))?;
                    }
                    let ran = probe.runs.load(Ordering::SeqCst) - runs;
                    check_rule("tool-runs-once", ran == u64::from(s.runs), || format!(
                        "{what}: the tool ran {ran} times; it should run {}",
                        if s.runs { "once" } else { "never (a refused call never reaches the tool)" }
                    ))?;
                    let was_asked = asked_so_far() > asked;
                    let asked_rule = match s.rule {
                        "rate-limited" => "approval-after-rate-limit",
                        "unknown-tool-denied" | "permission-denied" | "permission-before-rate-limit" => "approval-after-permission",
                        _ => "approval-only-when-required",
                    };
                    check_rule(asked_rule, was_asked == s.asked, || format!(
                        "{what}: the human {} but should {}",
                        if was_asked { "was asked" } else { "was not asked" },
                        if s.asked { "have been (update_config needs approval)" } else if s.want.is_some() { "not have been: a call refused by the permission check or the rate limit never reaches the human" } else { "not have been: this tool needs no approval" }
                    ))?;
                    Ok(result)
                };
                for (i, s) in script.iter().enumerate() {
                    results.push(run(&pipeline, s, i + 1)?);
                }
                // The timeout is read at each call.
                pipeline.settings.set("call_timeout_ms", "1000").map_err(|e| e.to_string())?;
                let shorter = step("k", Approves, "query_database", json!({"mode": "sleep3"}), Some("TIMEOUT"), true, false, "timeout-read-each-call");
                results.push(run(&pipeline, &shorter, script.len() + 1)?);
                pipeline.settings.set("call_timeout_ms", "5000").map_err(|e| e.to_string())?;
                let longer = step("k", Approves, "query_database", json!({"mode": "sleep3"}), None, true, false, "timeout-read-each-call");
                results.push(run(&pipeline, &longer, script.len() + 2)?);
                let calls = results.len();

                // Approval after the permission check: a caller without
                // ModifyConfig is refused before anyone is asked.
                let (narrow, _) = build(vec![Permission::ReadLogs], 2, &probe)?;
                let refused = step("z", Approves, "update_config", plain.clone(), Some("PERMISSION_DENIED"), false, false, "permission-denied");
                run(&narrow, &refused, calls + 1)?;

                let internal = &results[16];
                check_rule("panic-is-internal", !content_text(internal).contains("grader-panic-detail")
                    && !internal.structured_content.as_ref().is_some_and(|s| s.to_string().contains("grader-panic-detail")), || {
                    "a panic's message reached the client: it belongs in the log detail only".into()
                })?;
                let limited = &results[6];
                let retry = limited.structured_content.as_ref().and_then(|s| s.get("details")).and_then(|d| d.get("retry_after_ms"));
                check_rule("rate-limited", retry.is_some_and(Value::is_number), || format!(
                    "a RATE_LIMITED result carries retry_after_ms in its details (lab 2's From<RateLimited>); its structured content is {:?}",
                    limited.structured_content
                ))?;

                let message = |i: usize| content_text(&results[i]);
                let (unsupported, declined, failed) = (message(8), message(9), message(10));
                check_rule("approval-answers-distinct", unsupported != declined && declined != failed && unsupported != failed, || format!(
                    "the refusals for Unsupported, Declined and Failed must each say which it was; got {unsupported:?}, {declined:?} and {failed:?}"
                ))?;
                check_rule("approval-failure-reason", failed.contains(WHY), || format!(
                    "asking failed with Failed({WHY:?}): the refusal must include the reason, got {failed:?}"
                ))?;
                let shown = answer(Declines).asked();
                check_rule("approval-request-redacted", shown.len() == 1 && shown[0].tool == "update_config", || format!(
                    "the declining human should have been asked once about update_config, was asked {shown:?}"
                ))?;
                if let Some(request) = shown.first() {
                    check_rule("approval-request-redacted", !request.arguments.to_string().contains("pw-123456") && request.arguments["mode"] == "plain", || format!(
                        "the human is shown the call's arguments, redacted: {{\"mode\": \"plain\", \"password\": \"[REDACTED]\"}}, got {}", request.arguments
                    ))?;
                }

                // Time passes: a timed-out tool that was not aborted would
                // now run to its end.
                rt.block_on(async { tokio::time::sleep(Duration::from_secs(700)).await });
                let finished = probe.slow_finished.load(Ordering::SeqCst);
                check_rule("abort-on-timeout", finished == 0, || {
                    "the tool that timed out ran on to its end 600 s later: abort its task on TIMEOUT (dropping the JoinHandle does not stop it)".into()
                })?;
                check_rule("in-flight-released", pipeline.metrics.in_flight() == 0, || format!(
                    "{} calls still counted in flight after all returned", pipeline.metrics.in_flight()
                ))?;

                let entries = sink.entries()?;
                check_rule("audit-every-call", entries.len() == calls, || format!(
                    "{calls} calls but {} audit entries: every call, refused or not, gets one", entries.len()
                ))?;
                for entry in &entries {
                    check_rule("audit-every-call", !["pw-123456", "abcdefghijkl"].iter().any(|s| entry.to_string().contains(s)), || format!(
                        "an audit entry holds a secret: {entry}"
                    ))?;
                }
                let stats = pipeline.metrics.tools();
                let count = |tool: &str, outcome: &str| stats.get(tool).and_then(|s| s.outcomes.get(outcome).copied()).unwrap_or(0);
                let counted = [
                    ("read_log", "ok", 4),
                    ("read_log", "RATE_LIMITED", 1),
                    ("read_log", "VALIDATION", 1),
                    ("get_metrics", "PERMISSION_DENIED", 3),
                    ("no_such_tool", "PERMISSION_DENIED", 1),
                    ("update_config", "ok", 3),
                    ("update_config", "PERMISSION_DENIED", 3),
                    ("update_config", "RATE_LIMITED", 1),
                    ("query_database", "ok", 2),
                    ("query_database", "TIMEOUT", 2),
                    ("query_database", "INTERNAL", 1),
                ];
                for (tool, outcome, n) in counted {
                    check_rule("metrics-every-call", count(tool, outcome) == n, || format!(
                        "metrics: expected {n} {tool} calls ending {outcome}, counted {}", count(tool, outcome)
                    ))?;
                }
                // The human's time on the wall clock too: with a 1 s call
                // timeout, a human who answers after 1.2 s and a tool that
                // takes 50 ms, the call succeeds. (On the paused clock above,
                // a timeout measured with std's Instant sees no human time.)
                let (real, _) = build(granted, 2, &probe)?;
                real.settings.set("call_timeout_ms", "1000").map_err(|e| e.to_string())?;
                let slow_human = Answer::after(Approval::Approved, Duration::from_millis(1200));
                let caller = Caller { client: "w", approver: &slow_human };
                let result = grader_kit::runtime().block_on(real.call(&caller, "update_config", json!({"mode": "brief"})));
                check_rule("human-time-not-counted", !result.is_error.unwrap_or(false) && content_text(&result) == "ran brief", || format!(
                    "update_config, approved after 1.2 s of wall-clock time, with a 1 s call timeout and a tool that takes 50 ms: expected the tool's result, got {}",
                    describe(&result)
                ))?;
                Ok(format!("{} scripted calls: every step in order, audited, counted", calls + 2))
            }

            /// `call`: what the client gets, the audit entry, the
            /// metrics and the in-flight count of each call, an audit
            /// write that fails, and a poisoned audit lock.
            pub fn calls() -> Result<String, String> {
                let probe = Arc::new(Probe::default());
                let (pipeline, sink) = build(vec![Permission::ReadLogs, Permission::ExecuteQuery], 1000, &probe)?;
                let rt = grader_kit::paused_runtime();
                let approver = Answer::new(Approval::Approved);
                let call = |tool: &str, args: Value| -> Result<CallToolResult, String> {
                    let caller = Caller { client: "a", approver: &approver };
                    grader_kit::guarded(|| rt.block_on(pipeline.call(&caller, tool, args.clone()))).map_err(|panic| {
                        format!("call({tool}, {args}) panicked: {panic}")
                    })
                };
                // (tool, mode, the code expected or None, audited)
                let mut done: Vec<(&str, Value, CallToolResult, bool)> = Vec::new();

                let probe_args = json!({"mode": "probe"});
                let ok = call("read_log", probe_args.clone())?;
                let blocks: Vec<String> = ok.content.iter().map(|c| c.as_text().map(|t| t.text.clone()).unwrap_or_else(|| "(not text)".into())).collect();
                check_rule("success-result", ok.is_error != Some(true) && blocks == ["ran probe"], || format!(
                    "a successful call is CallToolResult::success with one text block holding the tool's text: expected [\"ran probe\"], got isError={:?} {blocks:?}", ok.is_error
                ))?;
                let in_tool = probe.in_flight_in_tool.lock().unwrap_or_else(PoisonError::into_inner).clone();
                check_rule("in-flight-counted", in_tool == [1], || format!(
                    "while the tool ran, metrics.in_flight() was {in_tool:?}: the call counts as in flight from its start (start_call, guard kept)"
                ))?;
                let at_write = sink.in_flight_at_write.lock().unwrap_or_else(PoisonError::into_inner).clone();
                check_rule("in-flight-counted", at_write.first().is_some_and(|&n| n >= 1), || format!(
                    "while its audit entry was written, the call was not counted in flight ({at_write:?}): keep the guard until the end of call"
                ))?;
                check_rule("in-flight-released", pipeline.metrics.in_flight() == 0, || format!(
                    "{} calls still counted in flight after the call returned", pipeline.metrics.in_flight()
                ))?;
                done.push(("read_log", probe_args, ok, true));

                for (tool, args, code) in [
                    ("get_metrics", json!({"mode": "plain"}), "PERMISSION_DENIED"),
                    ("query_database", json!({"mode": "panic"}), "INTERNAL"),
                    ("read_log", json!({"wrong": 1}), "VALIDATION"),
                ] {
                    let result = call(tool, args.clone())?;
                    let got = result.structured_content.as_ref().and_then(|s| s.get("code")).cloned();
                    check_rule("error-result-structured", result.is_error == Some(true) && got == Some(json!(code)), || format!(
                        "{tool} {args}: a failure is error.to_call_tool_result(), with isError and structured content holding the code {code}; got isError={:?}, structured content {:?}",
                        result.is_error, result.structured_content
                    ))?;
                    done.push((tool, args, result, true));
                }

                let block = json!({"mode": "block"});
                let slow = call("query_database", block.clone())?;
                done.push(("query_database", block, slow, true));

                sink.fail.store(true, Ordering::SeqCst);
                let plain = json!({"mode": "plain"});
                let unaudited = call("read_log", plain.clone());
                sink.fail.store(false, Ordering::SeqCst);
                let unaudited = unaudited?;
                check_rule("audit-failure-not-fatal", unaudited.is_error != Some(true) && content_text(&unaudited) == "ran plain", || format!(
                    "when the audit entry cannot be written the call's own result is still returned; got {}", describe(&unaudited)
                ))?;
                check_rule("audit-failure-counted", pipeline.metrics.audit_failures() == 1, || format!(
                    "an audit entry that could not be written is counted with metrics.audit_failed(): counted {}", pipeline.metrics.audit_failures()
                ))?;
                done.push(("read_log", plain.clone(), unaudited, false));

                let _ = catch_unwind(AssertUnwindSafe(|| {
                    let _held = pipeline.audit.lock();
                    panic!("the grader poisons the audit lock");
                }));
                let after = call("read_log", plain.clone());
                check_rule("poisoned-lock-usable", after.is_ok(), || format!(
                    "after a panic while the audit lock was held (a poisoned lock), {}: a poisoned lock is still usable (into_inner)",
                    after.as_ref().err().cloned().unwrap_or_default()
                ))?;
                if let Ok(after) = after {
                    done.push(("read_log", plain.clone(), after, true));
                }

                let entries = sink.entries()?;
                let audited: Vec<_> = done.iter().filter(|(_, _, _, audited)| *audited).collect();
                check_rule("audit-every-call", entries.len() == audited.len(), || format!(
                    "{} calls were audited ({} more could not be), but the sink holds {} entries",
                    audited.len(), done.len() - audited.len(), entries.len()
                ))?;
                for ((tool, args, result, _), entry) in audited.iter().zip(&entries) {
                    let text = content_text(result);
                    let success = result.is_error != Some(true);
                    check_rule("audit-fields", entry["tool"] == json!(tool) && entry["success"] == json!(success), || format!(
                        "{tool} {args}: the audit entry names the tool and says whether it succeeded ({success}); got {entry}"
                    ))?;
                    check_rule("audit-result-length", entry["result_length"] == json!(text.len()), || format!(
                        "{tool} {args}: result_len is the length of the text the client gets ({} bytes: {text:?}); the entry says {}",
                        text.len(), entry["result_length"]
                    ))?;
                }
                if let Some((_, _, _, _)) = audited.get(4) {
                    let took = entries.get(4).and_then(|e| e["duration_ms"].as_f64()).unwrap_or(0.0);
                    check_rule("audit-duration", took >= 40.0, || format!(
                        "a call whose tool took 40 ms was audited with duration_ms {took}: the duration is the elapsed time of the whole call"
                    ))?;
                }
                let stats = pipeline.metrics.tools();
                let count = |tool: &str, outcome: &str| stats.get(tool).and_then(|s| s.outcomes.get(outcome).copied()).unwrap_or(0);
                for (tool, outcome, n) in [
                    ("read_log", "ok", 3),
                    ("read_log", "VALIDATION", 1),
                    ("get_metrics", "PERMISSION_DENIED", 1),
                    ("query_database", "INTERNAL", 1),
                    ("query_database", "ok", 1),
                ] {
                    check_rule("metrics-every-call", count(tool, outcome) == n, || format!(
                        "metrics: expected {n} {tool} calls ending {outcome}, counted {}", count(tool, outcome)
                    ))?;
                }
                let seconds = stats.get("query_database").map_or(0.0, |s| s.total_seconds);
                check_rule("metrics-every-call", seconds >= 0.04, || format!(
                    "metrics: a query_database call took 40 ms but the latencies recorded add up to {seconds} s"
                ))?;
                Ok(format!("{} calls answered, audited and counted, an audit failure and a poisoned lock survived", done.len()))
            }
        }
    };
}
