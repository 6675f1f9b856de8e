//! The hidden suite of lab 4 (design patterns).
//!
//! Written once, generic over [`Api`], for the learner's `lab-design` (on
//! the learner's `lab-errors`) and the reference `solution-design`. The
//! composition runs on tokio's paused clock. Each assertion names the rule
//! of the brief (`labs/design/README.md`) it tests; the rules are declared
//! in the catalogue (`grader/core/src/catalog/design.rs`).

mod schema_checks;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use grader_kit::prop::{property, with_named_cases};
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::{Check, Outcome, unit};
use grader_kit::{paused_runtime, runtime};

use schema_checks::{
    arguments_match_the_schema, schema_checks_objects_in_order, schema_checks_one_value,
    schema_follows_refs,
};

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

/// Which of the suite's argument types a plugin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `QueryArgs`.
    Query,
    /// `LogArgs`.
    Log,
}

impl Tool {
    /// The name the suite registers it under in `execute`.
    fn name(self) -> &'static str {
        match self {
            Tool::Query => "query_tool",
            Tool::Log => "log.tool",
        }
    }

    /// The plugin's description.
    fn description(self) -> &'static str {
        match self {
            Tool::Query => "Queries the grader's table.",
            Tool::Log => "Reads the grader's log.",
        }
    }

    /// The schema `schemars` derives from the argument type.
    fn schema(self) -> Value {
        let schema = match self {
            Tool::Query => schemars::schema_for!(QueryArgs),
            Tool::Log => schemars::schema_for!(LogArgs),
        };
        serde_json::to_value(schema).expect("a schema is JSON")
    }
}

/// The name of the plugin that always fails, in `execute`.
const FAILING_TOOL: &str = "fail_tool";
/// The message of the failing plugin's error.
const PLUGIN_FAILURE: &str = "the backend is down";

/// A `NameError`, as the suite compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameFault {
    /// `NameError::Empty`.
    Empty,
    /// `NameError::InvalidChar(c)`.
    InvalidChar(char),
    /// `NameError::TooLong(len)`.
    TooLong(usize),
}

/// A `RegisterError`, as the suite compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterFault {
    /// `RegisterError::InvalidName(name, why)`.
    InvalidName(String, NameFault),
    /// `RegisterError::Duplicate(name)`.
    Duplicate(String),
}

/// What a sequence of registrations did.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    /// Each `register` result, in order.
    pub results: Vec<Result<(), RegisterFault>>,
    /// `names()` at the end.
    pub listing: Vec<String>,
    /// For each listed name, which argument type its stored plugin takes
    /// (`None`: neither, or no schema).
    pub kept: Vec<(String, Option<Tool>)>,
}

/// An `ArgError`, as the suite compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgFault {
    /// `field`.
    pub field: String,
    /// `problem`.
    pub problem: String,
    /// The `Display` form.
    pub text: String,
}

/// What one `execute` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The output, or the error's code and message.
    pub result: Result<String, (String, String)>,
    /// How many times any plugin ran.
    pub runs: usize,
}

/// One entry of `tools()`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTool {
    /// The tool's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its input schema, as a JSON value.
    pub schema: Value,
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

/// A health check to run: the step timeout and how each step behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCase {
    /// `step_timeout`, in milliseconds.
    pub timeout_ms: u64,
    /// `analyze_logs`.
    pub logs: Step,
    /// `metrics`.
    pub metrics: Step,
    /// `suggest`.
    pub suggest: Step,
}

/// What a successful `analyze_logs` returns.
const LOGS_OUTPUT: &str = "2 errors in the last hour\n";
/// What a successful `metrics` returns.
const METRICS_OUTPUT: &str = "p99 latency 120 ms  ";
/// What a successful `suggest` returns.
const SUGGEST_OUTPUT: &str = "add an index\n\n";
/// The message of a failed step's error.
const STEP_FAILURE: &str = "source down";

/// What a health check run did.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRun {
    /// Whether `health_report` returned (a step without its timeout may
    /// never end).
    pub finished: bool,
    /// Virtual time it took.
    pub elapsed: Duration,
    /// Whether the status is healthy.
    pub healthy: bool,
    /// (title, body) of each section, in order.
    pub sections: Vec<(String, Result<String, String>)>,
    /// What the suggestion step received, if it ran.
    pub suggest_saw: Option<(Option<String>, Option<String>)>,
}

/// A section title a report can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    /// `Logs`.
    Logs,
    /// `Metrics`.
    Metrics,
    /// `Suggestions`.
    Suggestions,
    /// `Disk`.
    Disk,
}

impl Title {
    fn as_str(self) -> &'static str {
        match self {
            Title::Logs => "Logs",
            Title::Metrics => "Metrics",
            Title::Suggestions => "Suggestions",
            Title::Disk => "Disk",
        }
    }
}

/// The body of a section of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `Ok(text)`.
    Text(String),
    /// `Err(reason)`.
    Unavailable(String),
}

/// One section of a report to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionCase {
    /// The title.
    pub title: Title,
    /// The body.
    pub body: Body,
}

/// A report to render as Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCase {
    /// `Status::Healthy` or `Status::Degraded`.
    pub healthy: bool,
    /// The sections, in the report's order.
    pub sections: Vec<SectionCase>,
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// `check_tool_name`.
    fn check_name(name: &str) -> Result<(), NameFault>;
    /// Registers plugins named `names` in order, the first plugin of each
    /// name taking `QueryArgs` and any later one `LogArgs`.
    fn register_all(names: &[String]) -> Registration;
    /// `schema::validate`.
    fn validate(schema: &Value, args: &Value) -> Result<(), ArgFault>;
    /// Registers `query_tool` (`QueryArgs`), `log.tool` (`LogArgs`) and
    /// `fail_tool` (`QueryArgs`, always fails), and executes `tool` with
    /// `args`.
    fn execute(tool: &str, args: &Value) -> Execution;
    /// `tools()` of a registry holding these plugins, registered in this
    /// order.
    fn tools(plugins: &[(&str, Tool)]) -> Vec<ListedTool>;
    /// `health_report` on a paused clock.
    fn health(case: &HealthCase) -> HealthRun;
    /// The text form of the error lab 2's `with_timeout(tool, limit, ..)`
    /// gives for work that never ends.
    fn timeout_text(tool: &str, limit: Duration) -> String;
    /// The text form of an UNAVAILABLE `ToolError` with this message.
    fn unavailable_text(message: &str) -> String;
    /// `HealthReport::to_markdown` of this report.
    fn markdown(report: &ReportCase) -> String;
}

/// Sleeps `step`'s time on the paused clock, then returns its outcome.
async fn play(step: Step, output: &str) -> Result<String, &'static str> {
    match step {
        Step::Ok(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(output.to_owned())
        }
        Step::Fail(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Err(STEP_FAILURE)
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
            description: &'static str,
            runs: Arc<AtomicUsize>,
            fail: bool,
            _args: std::marker::PhantomData<fn() -> A>,
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
                self.description
            }

            async fn execute(&self, _args: A) -> Result<String, $errors::ToolError> {
                self.runs.fetch_add(1, Ordering::SeqCst);
                if self.fail {
                    Err($errors::ToolError::new(
                        $errors::ErrorCode::Unavailable,
                        PLUGIN_FAILURE,
                    ))
                } else {
                    Ok(format!("ran {}", self.name))
                }
            }
        }

        /// Registers a recorder named `name` taking `tool`'s arguments.
        fn register(
            registry: &mut $design::registry::PluginRegistry,
            name: &str,
            tool: Tool,
            runs: Arc<AtomicUsize>,
            fail: bool,
        ) -> Result<(), $design::registry::RegisterError> {
            fn recorder<A>(
                name: &str,
                tool: Tool,
                runs: Arc<AtomicUsize>,
                fail: bool,
            ) -> Recorder<A> {
                Recorder {
                    name: name.to_owned(),
                    description: tool.description(),
                    runs,
                    fail,
                    _args: std::marker::PhantomData,
                }
            }
            match tool {
                Tool::Query => registry.register(recorder::<QueryArgs>(name, tool, runs, fail)),
                Tool::Log => registry.register(recorder::<LogArgs>(name, tool, runs, fail)),
            }
        }

        fn name_fault(e: $design::names::NameError) -> NameFault {
            use $design::names::NameError;
            match e {
                NameError::Empty => NameFault::Empty,
                NameError::TooLong(n) => NameFault::TooLong(n),
                NameError::InvalidChar(c) => NameFault::InvalidChar(c),
            }
        }

        /// Steps that play a plan.
        struct Plan {
            case: HealthCase,
            saw: std::sync::Mutex<Option<(Option<String>, Option<String>)>>,
        }

        fn step_error(message: &str) -> $errors::ToolError {
            $errors::ToolError::new($errors::ErrorCode::Unavailable, message)
        }

        impl $design::compose::HealthSources for Plan {
            async fn analyze_logs(&self) -> Result<String, $errors::ToolError> {
                play(self.case.logs, LOGS_OUTPUT).await.map_err(step_error)
            }

            async fn metrics(&self) -> Result<String, $errors::ToolError> {
                play(self.case.metrics, METRICS_OUTPUT)
                    .await
                    .map_err(step_error)
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
                play(self.case.suggest, SUGGEST_OUTPUT)
                    .await
                    .map_err(step_error)
            }
        }

        impl Api for $side {
            fn check_name(name: &str) -> Result<(), NameFault> {
                $design::names::check_tool_name(name).map_err(name_fault)
            }

            fn register_all(names: &[String]) -> Registration {
                use $design::registry::{PluginRegistry, RegisterError};
                let mut registry = PluginRegistry::new();
                let results = names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let tool = if names[..i].contains(name) {
                            Tool::Log
                        } else {
                            Tool::Query
                        };
                        register(&mut registry, name, tool, Arc::default(), false).map_err(|e| {
                            match e {
                                RegisterError::InvalidName(name, why) => {
                                    RegisterFault::InvalidName(name, name_fault(why))
                                }
                                RegisterError::Duplicate(name) => RegisterFault::Duplicate(name),
                            }
                        })
                    })
                    .collect();
                let listing: Vec<String> =
                    registry.names().into_iter().map(str::to_owned).collect();
                let (query, log) = (Tool::Query.schema(), Tool::Log.schema());
                let kept = listing
                    .iter()
                    .map(|name| {
                        let tool = match registry.schema(name) {
                            Some(s) if *s == query => Some(Tool::Query),
                            Some(s) if *s == log => Some(Tool::Log),
                            _ => None,
                        };
                        (name.clone(), tool)
                    })
                    .collect();
                Registration {
                    results,
                    listing,
                    kept,
                }
            }

            fn validate(schema: &Value, args: &Value) -> Result<(), ArgFault> {
                $design::schema::validate(schema, args).map_err(|e| ArgFault {
                    text: e.to_string(),
                    field: e.field,
                    problem: e.problem,
                })
            }

            fn execute(tool: &str, args: &Value) -> Execution {
                let runs = Arc::new(AtomicUsize::new(0));
                let mut registry = $design::registry::PluginRegistry::new();
                for (name, kind, fail) in [
                    (Tool::Query.name(), Tool::Query, false),
                    (Tool::Log.name(), Tool::Log, false),
                    (FAILING_TOOL, Tool::Query, true),
                ] {
                    let _ = register(&mut registry, name, kind, runs.clone(), fail);
                }
                let result = runtime()
                    .block_on(registry.execute(tool, args.clone()))
                    .map_err(|e| (e.code().as_str().to_owned(), e.message().to_owned()));
                Execution {
                    result,
                    runs: runs.load(Ordering::SeqCst),
                }
            }

            fn tools(plugins: &[(&str, Tool)]) -> Vec<ListedTool> {
                let mut registry = $design::registry::PluginRegistry::new();
                for (name, tool) in plugins {
                    let _ = register(&mut registry, name, *tool, Arc::default(), false);
                }
                registry
                    .tools()
                    .into_iter()
                    .map(|t| ListedTool {
                        name: t.name.to_string(),
                        description: t.description.map(|d| d.to_string()),
                        schema: Value::Object((*t.input_schema).clone()),
                    })
                    .collect()
            }

            fn health(case: &HealthCase) -> HealthRun {
                let plan = Plan {
                    case: *case,
                    saw: std::sync::Mutex::new(None),
                };
                let step_timeout = Duration::from_millis(case.timeout_ms);
                // Far past any expected end: a report still running then
                // never ends (the paused clock jumps there at once).
                let guard = step_timeout * 10 + Duration::from_secs(60);
                let (elapsed, report) = paused_runtime().block_on(async {
                    let start = tokio::time::Instant::now();
                    let report = tokio::time::timeout(
                        guard,
                        $design::compose::health_report(&plan, step_timeout),
                    )
                    .await
                    .ok();
                    (start.elapsed(), report)
                });
                let suggest_saw = plan
                    .saw
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match report {
                    Some(report) => HealthRun {
                        finished: true,
                        elapsed,
                        healthy: report.status == $design::compose::Status::Healthy,
                        sections: report
                            .sections
                            .iter()
                            .map(|s| (s.title.to_owned(), s.body.clone()))
                            .collect(),
                        suggest_saw,
                    },
                    None => HealthRun {
                        finished: false,
                        elapsed,
                        healthy: false,
                        sections: Vec::new(),
                        suggest_saw,
                    },
                }
            }

            fn timeout_text(tool: &str, limit: Duration) -> String {
                paused_runtime()
                    .block_on($errors::timeout::with_timeout(
                        tool,
                        limit,
                        std::future::pending::<Result<(), $errors::ToolError>>(),
                    ))
                    .map_or_else(|e| e.to_string(), |()| String::new())
            }

            fn unavailable_text(message: &str) -> String {
                step_error(message).to_string()
            }

            fn markdown(report: &ReportCase) -> String {
                use $design::compose::{HealthReport, Section, Status};
                HealthReport {
                    status: if report.healthy {
                        Status::Healthy
                    } else {
                        Status::Degraded
                    },
                    sections: report
                        .sections
                        .iter()
                        .map(|s| Section {
                            title: s.title.as_str(),
                            body: match &s.body {
                                Body::Text(text) => Ok(text.clone()),
                                Body::Unavailable(reason) => Err(reason.clone()),
                            },
                        })
                        .collect(),
                }
                .to_markdown()
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
            ("schema_checks_one_value", schema_checks_one_value::<S>),
            ("schema_follows_refs", schema_follows_refs::<S>),
            (
                "schema_checks_objects_in_order",
                schema_checks_objects_in_order::<S>,
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

/// A tool name to check.
#[derive(Clone, PartialEq, Eq)]
pub struct NameCase {
    /// The name.
    pub name: String,
}

impl fmt::Debug for NameCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameCase")
            .field("name", &self.name)
            .field("characters", &self.name.chars().count())
            .finish()
    }
}

fn name_case(name: impl Into<String>) -> NameCase {
    NameCase { name: name.into() }
}

/// Characters a tool name may not hold: punctuation, whitespace, and
/// letters and digits outside ASCII, which `char::is_alphanumeric` and
/// `char::is_numeric` accept (an Arabic-Indic three, a superscript two, a
/// fullwidth seven, a Roman numeral twelve, a Cyrillic letter).
fn bad_char() -> impl Strategy<Value = char> + Clone {
    select(vec![
        ' ', '\t', '\n', '/', '@', ':', '!', '+', ',', '*', 'é', '日', '🙂', '\u{0}', '\u{a0}',
        '٣', '²', '½', '７', 'Ⅻ', 'К',
    ])
}

/// Tool names, weighted towards the brief's boundaries: empty, blank,
/// 127 to 129 characters, a bad character anywhere (also past the limit).
fn tool_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_.-]{1,20}",
        1 => " {1,3}",
        1 => Just(String::new()),
        3 => ("[A-Za-z0-9_.-]{0,6}", bad_char(), "[A-Za-z0-9_. é/]{0,6}")
            .prop_map(|(a, c, b)| format!("{a}{c}{b}")),
        3 => "[A-Za-z0-9_.-]{127,129}",
        1 => "[A-Za-z0-9_.-]{1,300}",
        2 => (120usize..200, bad_char(), 0usize..200).prop_map(|(n, c, at)| {
            let mut chars: Vec<char> = "t".repeat(n).chars().collect();
            chars.insert(at.min(n), c);
            chars.into_iter().collect()
        }),
    ]
}

/// `check_tool_name` on generated names, and on the brief's examples:
/// `Empty` only for the empty name, `InvalidChar` with the first bad
/// character (before any length check), `TooLong` with the length in
/// characters beyond 128, and a 128-character name accepted.
fn names_follow_the_rules<S: Api>() -> Outcome {
    let named = vec![
        name_case(""),
        name_case(" "),
        name_case("read log"),
        name_case("café"),
        name_case("tool_v٣"),
        name_case("x²"),
        name_case("db.query-v2_final"),
        name_case("a".repeat(128)),
        name_case("a".repeat(129)),
        name_case(format!("{} x", "a".repeat(200))),
    ];
    with_named_cases(
        named,
        320,
        tool_name().prop_map(name_case),
        |NameCase { name }| {
            let (got, want) = (S::check_name(&name), Reference::check_name(&name));
            let chars = name.chars().count();
            let rule = match (&want, &got) {
                (_, Err(NameFault::Empty)) | (Err(NameFault::Empty), _) => "name-empty",
                (Err(NameFault::InvalidChar(_)), Err(NameFault::TooLong(_))) => {
                    "name-bad-char-before-length"
                }
                (Err(NameFault::InvalidChar(_)), _) => "name-first-bad-char",
                (Ok(()), Err(NameFault::InvalidChar(_))) => "name-allowed-chars",
                (Ok(()), _) if chars == 128 => "name-128-accepted",
                _ => "name-too-long",
            };
            ensure_rule(rule, got == want, || {
                format!("check_tool_name gave {got:?}, expected {want:?}")
            })
        },
    )
}

/// A sequence of registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrations {
    /// The names registered, in order.
    pub names: Vec<String>,
}

/// Generated registration sequences against a model: each result
/// (`InvalidName` with the name and `check_tool_name`'s error, then
/// `Duplicate` with the name), the sorted listing, and the first plugin of
/// a name still the one stored after a duplicate is refused.
fn registration_agrees_with_a_model<S: Api>() -> Outcome {
    let pool = prop::collection::vec(prop_oneof![3 => "[a-dA]{1,2}", 1 => tool_name()], 1..6);
    let sequence =
        (pool, prop::collection::vec(0usize..6, 1..14)).prop_map(|(pool, picks)| Registrations {
            names: picks
                .into_iter()
                .map(|i| pool[i % pool.len()].clone())
                .collect(),
        });
    let named = vec![Registrations {
        names: ["b", "a", "b", "bad name", "a", "c"]
            .map(str::to_owned)
            .to_vec(),
    }];
    with_named_cases(named, 192, sequence, |Registrations { names }| {
        let mut registered = std::collections::BTreeSet::new();
        let want: Vec<Result<(), RegisterFault>> = names
            .iter()
            .map(|n| {
                if let Err(why) = S::check_name(n) {
                    Err(RegisterFault::InvalidName(n.clone(), why))
                } else if !registered.insert(n.clone()) {
                    Err(RegisterFault::Duplicate(n.clone()))
                } else {
                    Ok(())
                }
            })
            .collect();
        let got = S::register_all(&names);
        for (i, (got, want)) in got.results.iter().zip(&want).enumerate() {
            let rule = match want {
                Err(RegisterFault::InvalidName(..)) => "register-invalid-name",
                Err(RegisterFault::Duplicate(_)) => "register-duplicate",
                Ok(()) => "register-stores",
            };
            ensure_rule(rule, got == want, || {
                format!(
                    "registration {i} ({:?}) gave {got:?}, expected {want:?}",
                    names[i]
                )
            })?;
        }
        let expected: Vec<String> = registered.into_iter().collect();
        ensure_rule("register-stores", got.listing == expected, || {
            format!("names() gave {:?}, expected {expected:?}", got.listing)
        })?;
        for (name, tool) in &got.kept {
            ensure_rule("register-first-stays", *tool == Some(Tool::Query), || {
                format!(
                    "{name:?}: the plugin stored is not the first one registered under that name (a later registration replaced it)"
                )
            })?;
        }
        Ok(())
    })
}

/// A call through the registry.
#[derive(Debug, Clone)]
pub enum Call {
    /// A registered tool with generated arguments.
    Tool {
        /// The tool.
        tool: Tool,
        /// The arguments.
        args: schema_checks::Json,
    },
    /// The plugin that always fails, with valid arguments.
    Failing,
    /// A tool that is not registered.
    Unknown {
        /// The name asked for.
        name: &'static str,
    },
}

/// Through the registry: an unknown tool is `NOT_FOUND` naming the tool
/// and listing the registered ones; arguments the tool's schema refuses
/// are `VALIDATION` with the message exactly the `ArgError`'s text and the
/// plugin not run; otherwise the plugin runs once and its result, success
/// or error, comes back unchanged.
fn execute_checks_before_running<S: Api>() -> Outcome {
    let call = prop_oneof![
        6 => schema_checks::args_case().prop_map(|c| Call::Tool { tool: c.tool, args: c.args }),
        1 => Just(Call::Failing),
        1 => select(vec!["no_such_tool", "Query_Tool", "log", "query-tool"])
            .prop_map(|name| Call::Unknown { name }),
    ];
    let named = vec![
        Call::Unknown {
            name: "no_such_tool",
        },
        Call::Failing,
    ];
    with_named_cases(named, 192, call, |call| match call {
        Call::Unknown { name } => {
            let run = S::execute(name, &json!({}));
            ensure_rule("execute-not-found", run.runs == 0, || {
                "a plugin ran for an unknown tool".into()
            })?;
            let message = match &run.result {
                Err((code, message)) if code == "NOT_FOUND" => message.clone(),
                other => {
                    return ensure_rule("execute-not-found", false, || {
                        format!("an unknown tool gave {other:?}, expected NOT_FOUND")
                    });
                }
            };
            let registered = [Tool::Log.name(), FAILING_TOOL, Tool::Query.name()];
            ensure_rule(
                "execute-not-found-message",
                message.contains(name) && registered.iter().all(|r| message.contains(r)),
                || {
                    format!(
                        "the NOT_FOUND message {message:?} should name {name:?} and list the registered tools {registered:?}"
                    )
                },
            )
        }
        Call::Failing => {
            let run = S::execute(FAILING_TOOL, &json!({"query": "q", "format": "csv"}));
            ensure_rule("execute-runs-once", run.runs == 1, || {
                format!("the plugin ran {} times, expected once", run.runs)
            })?;
            let want = Err(("UNAVAILABLE".to_owned(), PLUGIN_FAILURE.to_owned()));
            ensure_rule("execute-returns-unchanged", run.result == want, || {
                format!(
                    "the plugin's error came back as {:?}, expected it unchanged: {want:?}",
                    run.result
                )
            })
        }
        Call::Tool { tool, args } => {
            // Which arguments are refused, and the field named, is the
            // validation checks' business: here the registry must act on
            // what its own `validate` says.
            let verdict = S::validate(&tool.schema(), &args.0);
            if verdict.is_ok() != Reference::validate(&tool.schema(), &args.0).is_ok() {
                return Ok(());
            }
            let run = S::execute(tool.name(), &args.0);
            match verdict {
                Ok(()) => {
                    ensure_rule("execute-runs-once", run.runs == 1, || {
                        format!(
                            "valid arguments: the plugin ran {} times, expected once (result {:?})",
                            run.runs, run.result
                        )
                    })?;
                    let want = format!("ran {}", tool.name());
                    ensure_rule(
                        "execute-returns-unchanged",
                        run.result.as_ref() == Ok(&want),
                        || {
                            format!(
                                "valid arguments gave {:?}, expected the plugin's own result {want:?}",
                                run.result
                            )
                        },
                    )
                }
                Err(e) => {
                    ensure_rule("execute-validation", run.runs == 0, || {
                        "the plugin ran on arguments its schema refuses".into()
                    })?;
                    match &run.result {
                        Err((code, message)) if code == "VALIDATION" => {
                            ensure_rule("execute-validation-message", *message == e.text, || {
                                format!(
                                    "the VALIDATION message is {message:?}, expected exactly the ArgError's text {:?}",
                                    e.text
                                )
                            })
                        }
                        other => ensure_rule("execute-validation", false, || {
                            format!(
                                "arguments refused at `{}` gave {other:?}, expected VALIDATION",
                                e.field
                            )
                        }),
                    }
                }
            }
        }
    })
}

/// `tools()` of registries filled in several orders: one tool per
/// plugin, in name order, each with its plugin's description and its
/// schema as the input schema; an empty registry lists none.
fn tool_list_for_mcp<S: Api>() -> Outcome {
    unit((|| {
        let sets: [&[(&str, Tool)]; 4] = [
            &[],
            &[("query_tool", Tool::Query), ("log.tool", Tool::Log)],
            &[
                ("zeta", Tool::Log),
                ("Alpha-2", Tool::Query),
                ("beta.read", Tool::Log),
                ("_hidden", Tool::Query),
            ],
            &[("only", Tool::Log)],
        ];
        for plugins in sets {
            let tools = S::tools(plugins);
            let mut expected: Vec<(&str, Tool)> = plugins.to_vec();
            expected.sort_by_key(|(name, _)| *name);
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
            let want: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
            check_rule("tools-in-name-order", names == want, || {
                format!(
                    "registered {:?}: tools() lists {names:?}, expected {want:?} (one per plugin, in name order)",
                    plugins.iter().map(|p| p.0).collect::<Vec<_>>()
                )
            })?;
            for (listed, (name, tool)) in tools.iter().zip(&expected) {
                check_rule(
                    "tools-description",
                    listed.description.as_deref() == Some(tool.description()),
                    || {
                        format!(
                            "{name}: the description is {:?}, expected the plugin's {:?}",
                            listed.description,
                            tool.description()
                        )
                    },
                )?;
                check_rule("tools-schema", listed.schema == tool.schema(), || {
                    format!(
                        "{name}: the input schema is not the plugin's schema (got {})",
                        listed.schema
                    )
                })?;
            }
        }
        Ok("every plugin, in name order, with its description and schema".into())
    })())
}

/// How long a step runs, in milliseconds, against a timeout of `t`:
/// weighted towards 0, just under `t` and past it (never exactly `t`).
fn step(t: u64) -> impl Strategy<Value = Step> {
    let ms = prop_oneof![
        1 => Just(0),
        1 => Just(t - 1),
        3 => 0..t,
        1 => (t + 1)..(2 * t),
    ];
    prop_oneof![
        4 => ms.clone().prop_map(Step::Ok),
        2 => ms.prop_map(Step::Fail),
        1 => Just(Step::Hang),
    ]
}

fn health_case() -> impl Strategy<Value = HealthCase> {
    prop_oneof![3 => Just(1000u64), 1 => 2u64..3000]
        .prop_flat_map(|t| (Just(t), step(t), step(t), step(t)))
        .prop_map(|(timeout_ms, logs, metrics, suggest)| HealthCase {
            timeout_ms,
            logs,
            metrics,
            suggest,
        })
}

/// How long a step takes under a timeout of `t` ms, and whether it
/// succeeds in time.
fn capped(step: Step, t: u64) -> (u64, bool) {
    match step {
        Step::Ok(ms) => (ms.min(t), ms < t),
        Step::Fail(ms) => (ms.min(t), false),
        Step::Hang => (t, false),
    }
}

/// `health_report` on the paused clock, with generated outcomes (success,
/// failure, past the timeout, never) of the three steps: the report
/// returns after exactly `max(min(l, t), min(m, t)) + min(s, t)`; its
/// sections are Logs, Metrics, Suggestions, each the step's output
/// unchanged or its error's text (a timeout naming the step's tool);
/// `suggest` always runs, with the outputs that succeeded; healthy only
/// when all three succeeded.
fn composition_degrades<S: Api>() -> Outcome {
    let named = vec![
        HealthCase {
            timeout_ms: 1000,
            logs: Step::Ok(300),
            metrics: Step::Ok(500),
            suggest: Step::Ok(100),
        },
        HealthCase {
            timeout_ms: 1000,
            logs: Step::Hang,
            metrics: Step::Fail(10),
            suggest: Step::Ok(0),
        },
    ];
    with_named_cases(named, 192, health_case(), |case| {
        let t = case.timeout_ms;
        let run = S::health(&case);
        let steps = [
            ("analyze_logs", case.logs, LOGS_OUTPUT),
            ("metrics", case.metrics, METRICS_OUTPUT),
            ("suggest", case.suggest, SUGGEST_OUTPUT),
        ];
        ensure_rule("step-under-timeout", run.finished, || {
            "the report never returned: a step that never ends must be cut at the step timeout"
                .into()
        })?;
        if !run.finished {
            return Ok(());
        }
        ensure_rule("suggest-always-runs", run.suggest_saw.is_some(), || {
            "the suggestion step never ran; it runs whatever the other two gave".into()
        })?;
        let ok = |step: Step, text: &str| capped(step, t).1.then(|| text.to_owned());
        let saw = Some((ok(case.logs, LOGS_OUTPUT), ok(case.metrics, METRICS_OUTPUT)));
        if run.suggest_saw.is_some() {
            ensure_rule("suggest-gets-outputs", run.suggest_saw == saw, || {
                format!(
                    "the suggestion step got {:?}, expected {saw:?} (Some of each output that succeeded, None for a step that failed or timed out)",
                    run.suggest_saw
                )
            })?;
        }
        let titles: Vec<&str> = run.sections.iter().map(|s| s.0.as_str()).collect();
        ensure_rule(
            "sections-in-order",
            titles == ["Logs", "Metrics", "Suggestions"],
            || {
                format!(
                    "the sections are {titles:?}, expected [\"Logs\", \"Metrics\", \"Suggestions\"]"
                )
            },
        )?;
        for ((tool, step, output), (title, body)) in steps.iter().zip(&run.sections) {
            let (took, succeeded) = capped(*step, t);
            let want = if succeeded {
                Ok((*output).to_owned())
            } else if took == t {
                Err(S::timeout_text(tool, Duration::from_millis(t)))
            } else {
                Err(S::unavailable_text(STEP_FAILURE))
            };
            let rule = match (&want, body) {
                (Err(_), Ok(_)) if took == t => "step-under-timeout",
                (Err(w), Err(b)) if took == t && w.contains("TIMEOUT") && b.contains("TIMEOUT") => {
                    "timeout-names-the-step"
                }
                _ => "section-body",
            };
            ensure_rule(rule, *body == want, || {
                format!(
                    "{title}: the step was {step:?} under a {t} ms timeout, the section holds {body:?}, expected {want:?}"
                )
            })?;
        }
        let healthy = steps.iter().all(|(_, step, _)| capped(*step, t).1);
        ensure_rule("status", run.healthy == healthy, || {
            format!("healthy is {}, expected {healthy}", run.healthy)
        })?;
        let (l, m, s) = (
            capped(case.logs, t).0,
            capped(case.metrics, t).0,
            capped(case.suggest, t).0,
        );
        let expected = Duration::from_millis(l.max(m) + s);
        ensure_rule("steps-overlap", run.elapsed == expected, || {
            format!(
                "the report took {:?}, expected {expected:?}: the two independent steps run at the same time, then the suggestion, each cut at the timeout",
                run.elapsed
            )
        })
    })
}

/// Section text for the Markdown check: with trailing (and leading)
/// whitespace, inner newlines, empty and blank.
fn section_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z]{1,8}( [a-z]{1,8}){0,3}",
        3 => ("[ \t]{0,2}[a-z]{1,8}(\n[a-z ]{1,8}){0,2}", "[ \t\n\u{a0}]{1,3}")
            .prop_map(|(text, tail)| format!("{text}{tail}")),
        1 => Just(String::new()),
        1 => "[ \n]{1,3}",
    ]
}

fn report_case() -> impl Strategy<Value = ReportCase> {
    let title = prop_oneof![
        3 => select(vec![Title::Logs, Title::Metrics, Title::Suggestions]),
        1 => Just(Title::Disk),
    ];
    let body = prop_oneof![
        2 => section_text().prop_map(Body::Text),
        1 => prop_oneof![
            "Error \\[TIMEOUT\\]: [a-z_]{1,12} did not finish within [0-9]{1,4} ms",
            section_text(),
        ]
        .prop_map(Body::Unavailable),
    ];
    let section = (title, body).prop_map(|(title, body)| SectionCase { title, body });
    let standard = (
        any::<bool>(),
        section_text(),
        section_text(),
        section_text(),
        any::<[bool; 3]>(),
    )
        .prop_map(|(healthy, a, b, c, failed)| {
            let sections = [
                (Title::Logs, a),
                (Title::Metrics, b),
                (Title::Suggestions, c),
            ]
            .into_iter()
            .zip(failed)
            .map(|((title, text), failed)| SectionCase {
                title,
                body: if failed {
                    Body::Unavailable(text)
                } else {
                    Body::Text(text)
                },
            })
            .collect();
            ReportCase { healthy, sections }
        });
    prop_oneof![
        3 => standard,
        1 => (any::<bool>(), prop::collection::vec(section, 0..5))
            .prop_map(|(healthy, sections)| ReportCase { healthy, sections }),
    ]
}

/// `to_markdown` of generated reports against the brief's layout, read
/// line by line: the heading, the status line (`healthy` or `degraded`),
/// then per section an empty line, `## Title`, an empty line, the body
/// (the text with `trim_end`, or `_Unavailable: REASON_` with the reason
/// as it is) and a newline, and nothing after the last body.
fn markdown_report<S: Api>() -> Outcome {
    let named = vec![ReportCase {
        healthy: false,
        sections: vec![
            SectionCase {
                title: Title::Logs,
                body: Body::Text("3 errors\n".into()),
            },
            SectionCase {
                title: Title::Metrics,
                body: Body::Unavailable("Error [UNAVAILABLE]: source down".into()),
            },
            SectionCase {
                title: Title::Suggestions,
                body: Body::Text("add an index  \n".into()),
            },
        ],
    }];
    with_named_cases(named, 256, report_case(), |report| {
        let md = S::markdown(&report);
        let mut rest = md.as_str();
        let status = if report.healthy {
            "healthy"
        } else {
            "degraded"
        };
        let head = format!("# Health report\n\nStatus: **{status}**\n");
        ensure_rule("md-heading-and-status", rest.starts_with(&head), || {
            format!("the report should start with {head:?}: {md:?}")
        })?;
        rest = rest.get(head.len()..).unwrap_or_default();
        for section in &report.sections {
            let heading = format!("\n## {}\n\n", section.title.as_str());
            ensure_rule("md-section-layout", rest.starts_with(&heading), || {
                format!(
                    "after the previous line, expected {heading:?} (an empty line, the heading, an empty line); the rest of the report is {rest:?}"
                )
            })?;
            rest = rest.get(heading.len()..).unwrap_or_default();
            let (rule, body) = match &section.body {
                Body::Text(text) => ("md-body-trim-end", text.trim_end().to_owned()),
                Body::Unavailable(reason) => ("md-unavailable", format!("_Unavailable: {reason}_")),
            };
            let line = format!("{body}\n");
            ensure_rule(rule, rest.starts_with(&line), || {
                format!(
                    "the {} section's body should read {line:?}; the rest of the report is {rest:?}",
                    section.title.as_str()
                )
            })?;
            rest = rest.get(line.len()..).unwrap_or_default();
        }
        ensure_rule("md-nothing-else", rest.is_empty(), || {
            format!(
                "after the last section's body and its newline, the report goes on with {rest:?}"
            )
        })
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

    /// Every rule an assertion names is declared in the catalogue, and
    /// every rule declared is named somewhere.
    #[test]
    fn every_rule_named_is_declared() {
        let this = include_str!("suite.rs");
        let checks = this.split("#[cfg(test)]").next().unwrap_or(this);
        let source = [checks, include_str!("suite/schema_checks.rs")].concat();
        let lab = grader_kit::catalog::lab("design").expect("the design lab");
        let declared: Vec<&str> = lab
            .checks
            .iter()
            .flat_map(|c| c.rules.iter().map(|r| r.id))
            .collect();
        let mut named = Vec::new();
        for piece in source.split("_rule(").skip(1) {
            if let Some(id) = piece.strip_prefix('"').and_then(|p| p.split('"').next()) {
                named.push(id.to_owned());
            }
        }
        // Rules chosen in a `match` arm: kebab-case strings after `=>`.
        for piece in source.split("=> \"").skip(1) {
            if let Some(id) = piece.split('"').next()
                && id.contains('-')
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                named.push(id.to_owned());
            }
        }
        for id in &named {
            assert!(declared.contains(&id.as_str()), "rule {id} is not declared");
        }
        for id in declared {
            assert!(
                named.iter().any(|n| n == id) || source.contains(&format!("\"{id}\"")),
                "rule {id} is declared but never named"
            );
        }
    }
}
