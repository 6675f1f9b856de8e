//! The hidden suite of lab 4 (design patterns).
//!
//! Written once, generic over [`Api`], for the learner's `lab-design` (on
//! the learner's `lab-errors`) and the reference `solution-design`. The
//! composition runs on tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use grader_kit::prop::{ensure, property};
use grader_kit::{Check, Outcome, unit};
use grader_kit::{paused_runtime, runtime};

// The argument types stay inside the schema subset the lab handles: their
// enum variants carry no doc comments, which would turn `enum` into
// `oneOf` of `const`s.

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct QueryArgs {
    #[schemars(length(min = 1, max = 200))]
    query: String,
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
    format: Format,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Format {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct LogArgs {
    path: String,
    #[schemars(range(min = 1, max = 10000))]
    lines: u32,
    levels: Vec<Level>,
    follow: bool,
    ratio: f64,
    offset: i16,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Level {
    Error,
    Warn,
}

/// Which of the suite's tools an argument case is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `QueryArgs`.
    Query,
    /// `LogArgs`.
    Log,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Query => "query_tool",
            Tool::Log => "log.tool",
        }
    }

    fn schema(self) -> Value {
        let schema = match self {
            Tool::Query => schemars::schema_for!(QueryArgs),
            Tool::Log => schemars::schema_for!(LogArgs),
        };
        serde_json::to_value(schema).expect("a schema is JSON")
    }
}

/// How one step of the health check behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Succeeds after this many milliseconds.
    Ok(u64),
    /// Fails (UNAVAILABLE) after this many milliseconds.
    Fail(u64),
    /// Never finishes.
    Hang,
}

/// What a health check run did.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRun {
    /// Virtual time it took.
    pub elapsed: Duration,
    /// Whether the status is healthy.
    pub healthy: bool,
    /// (title, body) of each section, in order.
    pub sections: Vec<(String, Result<String, String>)>,
    /// What the suggestion step received.
    pub suggest_saw: Option<(Option<String>, Option<String>)>,
    /// The Markdown.
    pub markdown: String,
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// `check_tool_name`: the variant name of the error.
    fn check_name(name: &str) -> Result<(), &'static str>;
    /// Registers plugins named `names` in order: each result ("invalid",
    /// "duplicate"), and the final `names()`.
    fn register_all(names: &[String]) -> (Vec<Result<(), &'static str>>, Vec<String>);
    /// `schema::validate`: `Err(field)` on refusal.
    fn validate(schema: &Value, args: &Value) -> Result<(), String>;
    /// Registers both suite tools and executes `tool` (or an unknown name)
    /// with `args`: the result as (code, message) on error, and how many
    /// times each plugin ran.
    fn execute(tool: &str, args: &Value) -> (Result<String, (&'static str, String)>, usize);
    /// `tools()` of a registry holding both suite tools: (name,
    /// description, input schema).
    fn tools() -> Vec<(String, Option<String>, Value)>;
    /// `health_report` on a paused clock with these steps.
    fn health(logs: Step, metrics: Step, suggest: Step, step_timeout: Duration) -> HealthRun;
}

/// Sleeps `step`'s time on the paused clock, then returns its outcome.
async fn play(step: Step, output: String) -> Result<String, (&'static str, &'static str)> {
    match step {
        Step::Ok(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(output)
        }
        Step::Fail(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Err(("unavailable", "source down"))
        }
        Step::Hang => std::future::pending().await,
    }
}

/// Implements [`Api`] for one side; expanded once per side.
macro_rules! design_api {
    ($side:ident, $design:ident, $errors:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        /// A plugin that counts its runs.
        struct Recorder<A> {
            name: String,
            runs: Arc<AtomicUsize>,
            _args: std::marker::PhantomData<fn() -> A>,
        }

        impl<A> Recorder<A> {
            fn new(name: &str, runs: Arc<AtomicUsize>) -> Self {
                Self {
                    name: name.to_owned(),
                    runs,
                    _args: std::marker::PhantomData,
                }
            }
        }

        impl<A> $design::plugin::ToolPlugin for Recorder<A>
        where
            A: serde::de::DeserializeOwned + JsonSchema + Send + 'static,
        {
            type Args = A;

            fn name(&self) -> &str {
                &self.name
            }

            fn description(&self) -> &str {
                "A tool of the grader's."
            }

            async fn execute(&self, _args: A) -> Result<String, $errors::ToolError> {
                self.runs.fetch_add(1, Ordering::SeqCst);
                Ok(format!("ran {}", self.name))
            }
        }

        /// Steps that play a plan.
        struct Plan {
            logs: Step,
            metrics: Step,
            suggest: Step,
            saw: std::sync::Mutex<Option<(Option<String>, Option<String>)>>,
        }

        fn tool_error(e: (&'static str, &'static str)) -> $errors::ToolError {
            $errors::ToolError::new($errors::ErrorCode::Unavailable, e.1)
        }

        impl $design::compose::HealthSources for Plan {
            async fn analyze_logs(&self) -> Result<String, $errors::ToolError> {
                play(self.logs, "logs fine".into())
                    .await
                    .map_err(tool_error)
            }

            async fn metrics(&self) -> Result<String, $errors::ToolError> {
                play(self.metrics, "metrics fine".into())
                    .await
                    .map_err(tool_error)
            }

            async fn suggest(
                &self,
                logs: Option<&str>,
                metrics: Option<&str>,
            ) -> Result<String, $errors::ToolError> {
                *self
                    .saw
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((logs.map(str::to_owned), metrics.map(str::to_owned)));
                play(self.suggest, "add an index".into())
                    .await
                    .map_err(tool_error)
            }
        }

        impl Api for $side {
            fn check_name(name: &str) -> Result<(), &'static str> {
                use $design::names::NameError;
                $design::names::check_tool_name(name).map_err(|e| match e {
                    NameError::Empty => "Empty",
                    NameError::TooLong(_) => "TooLong",
                    NameError::InvalidChar(_) => "InvalidChar",
                })
            }

            fn register_all(names: &[String]) -> (Vec<Result<(), &'static str>>, Vec<String>) {
                use $design::registry::{PluginRegistry, RegisterError};
                let mut registry = PluginRegistry::new();
                let results = names
                    .iter()
                    .map(|name| {
                        let plugin = Recorder::<QueryArgs>::new(name, Arc::default());
                        registry.register(plugin).map_err(|e| match e {
                            RegisterError::InvalidName(..) => "invalid",
                            RegisterError::Duplicate(_) => "duplicate",
                        })
                    })
                    .collect();
                let listing = registry.names().into_iter().map(str::to_owned).collect();
                (results, listing)
            }

            fn validate(schema: &Value, args: &Value) -> Result<(), String> {
                $design::schema::validate(schema, args).map_err(|e| e.field)
            }

            fn execute(
                tool: &str,
                args: &Value,
            ) -> (Result<String, (&'static str, String)>, usize) {
                let runs = Arc::new(AtomicUsize::new(0));
                let mut registry = $design::registry::PluginRegistry::new();
                let _ =
                    registry.register(Recorder::<QueryArgs>::new(Tool::Query.name(), runs.clone()));
                let _ = registry.register(Recorder::<LogArgs>::new(Tool::Log.name(), runs.clone()));
                let runtime = runtime();
                let result = runtime
                    .block_on(registry.execute(tool, args.clone()))
                    .map_err(|e| (e.code().as_str(), e.message().to_owned()));
                (result, runs.load(Ordering::SeqCst))
            }

            fn tools() -> Vec<(String, Option<String>, Value)> {
                let mut registry = $design::registry::PluginRegistry::new();
                let _ =
                    registry.register(Recorder::<LogArgs>::new(Tool::Log.name(), Arc::default()));
                let _ = registry.register(Recorder::<QueryArgs>::new(
                    Tool::Query.name(),
                    Arc::default(),
                ));
                registry
                    .tools()
                    .into_iter()
                    .map(|t| {
                        let schema = Value::Object((*t.input_schema).clone());
                        (
                            t.name.to_string(),
                            t.description.map(|d| d.to_string()),
                            schema,
                        )
                    })
                    .collect()
            }

            fn health(
                logs: Step,
                metrics: Step,
                suggest: Step,
                step_timeout: Duration,
            ) -> HealthRun {
                let plan = Plan {
                    logs,
                    metrics,
                    suggest,
                    saw: std::sync::Mutex::new(None),
                };
                let runtime = paused_runtime();
                let (elapsed, report) = runtime.block_on(async {
                    let start = tokio::time::Instant::now();
                    let report = $design::compose::health_report(&plan, step_timeout).await;
                    (start.elapsed(), report)
                });
                HealthRun {
                    elapsed,
                    healthy: report.status == $design::compose::Status::Healthy,
                    sections: report
                        .sections
                        .iter()
                        .map(|s| (s.title.to_owned(), s.body.clone()))
                        .collect(),
                    suggest_saw: plan
                        .saw
                        .into_inner()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    markdown: report.to_markdown(),
                }
            }
        }
    };
}

grader_kit::both_sides!(
    design_api,
    [lab_design, lab_errors],
    [solution_design, solution_errors]
);

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "design",
        &[
            ("names_follow_the_rules", names_follow_the_rules::<S>),
            (
                "registration_agrees_with_a_model",
                registration_agrees_with_a_model::<S>,
            ),
            (
                "arguments_match_the_schema",
                arguments_match_the_schema::<S>,
            ),
            (
                "execute_checks_before_running",
                execute_checks_before_running::<S>,
            ),
            ("tool_list_for_mcp", tool_list_for_mcp::<S>),
            ("composition_degrades", composition_degrades::<S>),
            ("markdown_report", markdown_report::<S>),
        ],
    )
}

fn tool_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_.-]{1,20}",
        1 => "[a-z]{1,5}[ /@:é!][a-z]{0,5}",
        1 => Just(String::new()),
        1 => (120usize..136).prop_map(|n| "t".repeat(n)),
        1 => (120usize..136).prop_map(|n| format!("{} x", "t".repeat(n))),
        1 => (60usize..70).prop_map(|n| "é".repeat(n)),
    ]
}

fn names_follow_the_rules<S: Api>() -> Outcome {
    property(256, tool_name(), |name| {
        let (got, want) = (S::check_name(&name), Reference::check_name(&name));
        ensure(got == want, || {
            format!("check_tool_name gave {got:?}, expected {want:?}")
        })
    })
}

fn registration_agrees_with_a_model<S: Api>() -> Outcome {
    let pool = prop::collection::vec(prop_oneof![3 => "[a-d]{1,2}", 1 => tool_name()], 1..6);
    let sequence = (pool, prop::collection::vec(0usize..6, 1..14)).prop_map(|(pool, picks)| {
        picks
            .into_iter()
            .map(|i| pool[i % pool.len()].clone())
            .collect::<Vec<String>>()
    });
    property(192, sequence, |names| {
        let mut registered = std::collections::BTreeSet::new();
        let want: Vec<Result<(), &str>> = names
            .iter()
            .map(|n| {
                if Reference::check_name(n).is_err() {
                    Err("invalid")
                } else if !registered.insert(n.clone()) {
                    Err("duplicate")
                } else {
                    Ok(())
                }
            })
            .collect();
        let (got, listing) = S::register_all(&names);
        ensure(got == want, || {
            format!("register gave {got:?}, expected {want:?}")
        })?;
        let expected: Vec<String> = registered.into_iter().collect();
        ensure(listing == expected, || {
            format!("names() gave {listing:?}, expected {expected:?}")
        })
    })
}

/// One defect put into otherwise valid arguments.
#[derive(Debug, Clone)]
pub enum Defect {
    /// No defect: the arguments are valid.
    None,
    /// A required field removed.
    Missing(&'static str),
    /// A field the tool does not have.
    Unknown,
    /// A field set to this wrong value.
    Set(&'static str, Value),
    /// An array item set to this wrong value.
    Item(&'static str, Value),
}

fn valid_args(tool: Tool) -> BoxedStrategy<Value> {
    match tool {
        Tool::Query => ("[a-z ]{1,40}", proptest::option::of(proptest::option::of(1u32..=1000)), select(vec!["json", "csv"]))
            .prop_map(|(query, limit, format)| {
                let mut v = json!({ "query": query, "format": format });
                if let Some(limit) = limit {
                    v["limit"] = json!(limit);
                }
                v
            })
            .boxed(),
        Tool::Log => (
            "[a-z./]{0,20}",
            1u32..=10000,
            prop::collection::vec(select(vec!["error", "warn"]), 0..4),
            any::<bool>(),
            prop_oneof![(-100i64..100).prop_map(|n| json!(n)), (-1.0f64..1.0).prop_map(|x| json!(x))],
            any::<i16>(),
        )
            .prop_map(|(path, lines, levels, follow, ratio, offset)| {
                json!({ "path": path, "lines": lines, "levels": levels, "follow": follow, "ratio": ratio, "offset": offset })
            })
            .boxed(),
    }
}

fn defect(tool: Tool) -> BoxedStrategy<Defect> {
    let common = prop_oneof![Just(Defect::None), Just(Defect::Unknown)];
    let specific = match tool {
        Tool::Query => prop_oneof![
            select(vec!["query", "format"]).prop_map(Defect::Missing),
            Just(Defect::Set("query", json!(""))),
            Just(Defect::Set("query", json!("q".repeat(201)))),
            Just(Defect::Set("query", json!(42))),
            Just(Defect::Set("limit", json!(0))),
            Just(Defect::Set("limit", json!(1001))),
            Just(Defect::Set("limit", json!(2.5))),
            Just(Defect::Set("limit", json!("ten"))),
            Just(Defect::Set("format", json!("xml"))),
            Just(Defect::Set("format", json!(null))),
        ]
        .boxed(),
        Tool::Log => prop_oneof![
            select(vec!["path", "lines", "levels", "follow", "ratio", "offset"])
                .prop_map(Defect::Missing),
            Just(Defect::Set("lines", json!(0))),
            Just(Defect::Set("lines", json!(10001))),
            Just(Defect::Set("lines", json!(-3))),
            Just(Defect::Set("follow", json!("yes"))),
            Just(Defect::Set("ratio", json!("0.5"))),
            Just(Defect::Set("offset", json!(40000))),
            Just(Defect::Set("offset", json!(1.5))),
            Just(Defect::Set("path", json!(null))),
            Just(Defect::Set("levels", json!("error"))),
            Just(Defect::Item("levels", json!("debug"))),
            Just(Defect::Item("levels", json!(3))),
        ]
        .boxed(),
    };
    prop_oneof![1 => common, 4 => specific].boxed()
}

/// Arguments for `tool` with `defect` applied, and the field at fault.
fn apply(mut args: Value, defect: &Defect) -> (Value, Option<String>) {
    match defect {
        Defect::None => (args, None),
        Defect::Missing(field) => {
            if let Some(map) = args.as_object_mut() {
                map.remove(*field);
            }
            (args, Some((*field).to_owned()))
        }
        Defect::Unknown => {
            args["unexpected"] = json!(true);
            (args, Some("unexpected".to_owned()))
        }
        Defect::Set(field, value) => {
            args[*field] = value.clone();
            (args, Some((*field).to_owned()))
        }
        Defect::Item(field, value) => {
            let items = args[*field].as_array_mut().expect("an array field");
            items.push(value.clone());
            let at = items.len() - 1;
            (args, Some(format!("{field}[{at}]")))
        }
    }
}

fn args_case() -> impl Strategy<Value = (Tool, Value, Option<String>)> {
    select(vec![Tool::Query, Tool::Log])
        .prop_flat_map(|tool| (Just(tool), valid_args(tool), defect(tool)))
        .prop_map(|(tool, args, defect)| {
            let (args, field) = apply(args, &defect);
            (tool, args, field)
        })
}

fn arguments_match_the_schema<S: Api>() -> Outcome {
    property(320, args_case(), |(tool, args, field)| {
        let schema = tool.schema();
        let got = S::validate(&schema, &args);
        match field {
            None => ensure(got.is_ok(), || {
                format!("valid arguments were refused (field {:?})", got.err())
            }),
            Some(field) => match got {
                Ok(()) => Err(TestCaseError::fail(format!(
                    "arguments with a bad `{field}` were accepted"
                ))),
                Err(named) => ensure(named == field, || {
                    format!("the refusal names `{named}`, but the fault is in `{field}`")
                }),
            },
        }
    })
}

fn execute_checks_before_running<S: Api>() -> Outcome {
    let case = prop_oneof![4 => args_case().prop_map(Some), 1 => Just(None)];
    property(160, case, |case| {
        let Some((tool, args, field)) = case else {
            let (result, runs) = S::execute("no_such_tool", &json!({}));
            ensure(runs == 0, || "a plugin ran for an unknown tool".into())?;
            return match result {
                Err(("NOT_FOUND", _)) => Ok(()),
                other => Err(TestCaseError::fail(format!(
                    "an unknown tool gave {other:?}, expected NOT_FOUND"
                ))),
            };
        };
        let (result, runs) = S::execute(tool.name(), &args);
        match (field, result) {
            (None, Ok(out)) => {
                ensure(runs == 1, || format!("the plugin ran {runs} times"))?;
                ensure(out == format!("ran {}", tool.name()), || {
                    format!("the plugin's result was replaced by {out:?}")
                })
            }
            (None, Err(e)) => Err(TestCaseError::fail(format!("valid arguments gave {e:?}"))),
            (Some(field), Err(("VALIDATION", message))) => {
                ensure(runs == 0, || "the plugin ran on invalid arguments".into())?;
                ensure(message.contains(&field), || {
                    format!("the message {message:?} does not name `{field}`")
                })
            }
            (Some(field), other) => Err(TestCaseError::fail(format!(
                "a bad `{field}` gave {other:?}, expected VALIDATION"
            ))),
        }
    })
}

fn tool_list_for_mcp<S: Api>() -> Outcome {
    unit((|| {
        let tools = S::tools();
        let names: Vec<&str> = tools.iter().map(|t| t.0.as_str()).collect();
        if names != ["log.tool", "query_tool"] {
            return Err(format!(
                "tools are {names:?}, expected [\"log.tool\", \"query_tool\"] in name order"
            ));
        }
        for ((name, description, schema), tool) in tools.iter().zip([Tool::Log, Tool::Query]) {
            if description.as_deref() != Some("A tool of the grader's.") {
                return Err(format!("{name}: the description is {description:?}"));
            }
            if *schema != tool.schema() {
                return Err(format!(
                    "{name}: the input schema is not the one derived from the arguments"
                ));
            }
        }
        Ok("every plugin, in order, with description and schema".into())
    })())
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u64..900).prop_map(Step::Ok),
        1 => (0u64..900).prop_map(Step::Fail),
        1 => Just(Step::Hang),
    ]
}

const STEP_TIMEOUT: Duration = Duration::from_millis(1000);

fn took(step: Step) -> Duration {
    match step {
        Step::Ok(ms) | Step::Fail(ms) => Duration::from_millis(ms),
        Step::Hang => STEP_TIMEOUT,
    }
}

fn composition_degrades<S: Api>() -> Outcome {
    property(192, (step(), step(), step()), |(logs, metrics, suggest)| {
        let run = S::health(logs, metrics, suggest, STEP_TIMEOUT);
        let expected_elapsed = took(logs).max(took(metrics)) + took(suggest);
        ensure(run.elapsed == expected_elapsed, || {
            format!(
                "the report took {:?}; independent steps overlapping, it takes {expected_elapsed:?}",
                run.elapsed
            )
        })?;
        let titles: Vec<&str> = run.sections.iter().map(|s| s.0.as_str()).collect();
        ensure(titles == ["Logs", "Metrics", "Suggestions"], || {
            format!("sections are {titles:?}")
        })?;
        let outputs = ["logs fine", "metrics fine", "add an index"];
        for ((step, (title, body)), output) in [logs, metrics, suggest]
            .iter()
            .zip(&run.sections)
            .zip(outputs)
        {
            match (step, body) {
                (Step::Ok(_), Ok(text)) if text == output => {}
                (Step::Fail(_), Err(reason)) if reason.contains("UNAVAILABLE") => {}
                (Step::Hang, Err(reason)) if reason.contains("TIMEOUT") => {}
                _ => {
                    return Err(TestCaseError::fail(format!(
                        "{title}: the step was {step:?}, the section holds {body:?}"
                    )));
                }
            }
        }
        let ok = |s: Step, text: &str| matches!(s, Step::Ok(_)).then(|| text.to_owned());
        let saw = Some((ok(logs, "logs fine"), ok(metrics, "metrics fine")));
        ensure(run.suggest_saw == saw, || {
            format!(
                "the suggestion step got {:?}, expected {saw:?}",
                run.suggest_saw
            )
        })?;
        let healthy = [logs, metrics, suggest]
            .iter()
            .all(|s| matches!(s, Step::Ok(_)));
        ensure(run.healthy == healthy, || {
            format!("healthy is {}, expected {healthy}", run.healthy)
        })
    })
}

fn markdown_report<S: Api>() -> Outcome {
    property(96, (step(), step(), step()), |(logs, metrics, suggest)| {
        let run = S::health(logs, metrics, suggest, STEP_TIMEOUT);
        let md = &run.markdown;
        ensure(md.starts_with("# Health report\n"), || {
            format!("the report must start with `# Health report`: {md:?}")
        })?;
        let status = if run.healthy {
            "Status: **healthy**"
        } else {
            "Status: **degraded**"
        };
        ensure(md.contains(status), || {
            format!("no `{status}` line: {md:?}")
        })?;
        let mut from = 0;
        for (title, body) in &run.sections {
            let heading = format!("## {title}\n");
            let at = md[from..].find(&heading).map(|i| i + from);
            let Some(at) = at else {
                return Err(TestCaseError::fail(format!(
                    "`## {title}` is missing or out of order: {md:?}"
                )));
            };
            let shown = match body {
                Ok(text) => text.clone(),
                Err(reason) => format!("_Unavailable: {reason}_"),
            };
            ensure(md[at..].contains(&shown), || {
                format!("the {title} section should show {shown:?}: {md:?}")
            })?;
            from = at + heading.len();
        }
        Ok(())
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
