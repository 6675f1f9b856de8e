//! The hidden suite of lab 1 (security).
//!
//! Every check is written once, generic over [`Api`]: the same code grades
//! the learner's `lab-security` and the reference `solution-security`. The
//! checks live in one module per part of the brief: [`sql`], [`paths`],
//! [`permissions`], [`audit`] and [`rate_limit`].

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use grader_kit::clock::SuiteClock;
use grader_kit::perf::ratio_at_most;
use grader_kit::{Check, Outcome};

mod audit;
mod paths;
mod permissions;
mod rate_limit;
mod sql;

/// `denylist_check`'s refusal, in crate-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// `Pattern(p)`: the entry of `DENYLIST` that matched.
    Pattern(String),
    /// `NotSelect`.
    NotSelect,
}

/// What a refusal of `check_query` carries besides its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A variant with no data.
    Nothing,
    /// `Unparsable(message)`.
    Parser(String),
    /// `MultipleStatements(n)`.
    Count(usize),
    /// `NotAQuery(keyword)`.
    Keyword(String),
    /// `ForbiddenFunction { name, why }`.
    Function {
        /// The name as the error gives it.
        name: String,
        /// The `why` the error gives.
        why: String,
    },
}

/// A refusal of `check_query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `code()`.
    pub code: String,
    /// `Display`.
    pub message: String,
    /// The variant's data.
    pub detail: Detail,
}

/// A `PathError`, in crate-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRefusal {
    /// `code()`.
    pub code: String,
    /// The root or the requested path the variant carries, if any.
    pub subject: Option<String>,
    /// The kind of the operating system's error the variant carries, if any.
    pub os_error: Option<io::ErrorKind>,
}

/// A permission, by the name of its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// `Permission::ReadLogs`
    ReadLogs,
    /// `Permission::ReadMetrics`
    ReadMetrics,
    /// `Permission::ExecuteQuery`
    ExecuteQuery,
    /// `Permission::ModifyConfig`, the only high-privilege one.
    ModifyConfig,
}

/// One `with_tool` call building a permission table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The tool's name.
    pub tool: &'static str,
    /// The permissions it requires, in the order given.
    pub requires: Vec<Perm>,
}

/// Why a permission check denied a call, in crate-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// `UnknownTool(tool)`.
    Unknown(String),
    /// `MissingPermissions { tool, missing }`.
    Missing {
        /// The tool the error names.
        tool: String,
        /// The permissions it lists as missing, in its order.
        missing: Vec<Perm>,
    },
}

/// How the writer under an audit log behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disk {
    /// Takes every byte and every flush.
    Healthy,
    /// Every write fails.
    FailsOnWrite,
    /// Writes succeed; every flush fails.
    FailsOnFlush,
}

/// One call the audit log made on its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// One `write` call, with the bytes it was given.
    Write(Vec<u8>),
    /// One `flush` call.
    Flush,
}

/// A tool call for `record_at`, in crate-neutral terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `tool`
    pub tool: String,
    /// `arguments`
    pub arguments: Value,
    /// `success`
    pub success: bool,
    /// `duration`
    pub duration: Duration,
    /// `result_len`
    pub result_len: usize,
}

/// What `record_at` returned, and every call it made on its writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `Ok`, or the error's message.
    pub result: Result<(), String>,
    /// The writes and flushes, in order.
    pub events: Vec<Event>,
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// A built path policy.
    type Policy;
    /// A built rate limiter.
    type Limiter;
    /// `sql::denylist::denylist_check`.
    fn denylist(query: &str) -> Result<(), Denial>;
    /// `sql::check_query`: the SQL to run, or the refusal.
    fn check_query(query: &str) -> Result<String, Refusal>;
    /// `PathPolicy::new`.
    fn policy(roots: &[PathBuf]) -> Result<Self::Policy, PathRefusal>;
    /// `PathPolicy::roots`.
    fn roots(policy: &Self::Policy) -> Vec<PathBuf>;
    /// `PathPolicy::resolve`.
    fn resolve(policy: &Self::Policy, requested: &str) -> Result<PathBuf, PathRefusal>;
    /// `PermissionTable::authorize` on a table built by `with_tool` calls.
    fn authorize(table: &[Entry], granted: &[Perm], tool: &str) -> Result<(), Denied>;
    /// `PermissionTable::requires_approval` on the same kind of table.
    fn requires_approval(table: &[Entry], tool: &str) -> bool;
    /// `audit::is_sensitive_key`.
    fn is_sensitive_key(key: &str) -> bool;
    /// `audit::redact_text`: the text, and whether it came back borrowed.
    fn redact_text(text: &str) -> (String, bool);
    /// `audit::redact`.
    fn redact(value: &Value) -> Value;
    /// `AuditLog::record_at` on a writer that records what it is asked.
    fn audit(at: SystemTime, call: &Call, disk: Disk) -> Recorded;
    /// `AuditLog::record` into a writer that always fails.
    fn audit_failing_writer() -> Result<(), String>;
    /// `RateLimiter::new` over a clock the suite moves.
    fn limiter(burst: u32, per_second: f64, clock: Arc<SuiteClock>) -> Self::Limiter;
    /// `RateLimiter::check`; `Err` carries `retry_after`.
    fn limit(limiter: &Self::Limiter, client: &str, tool: &str) -> Result<(), Duration>;
}

grader_kit::clock_handle!(lab_security, solution_security);

/// A writer whose disk is always full.
struct FullDisk;

impl io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }
}

/// A writer that records each call made on it, and fails as `disk` says.
struct Recorder {
    disk: Disk,
    events: Vec<Event>,
}

impl io::Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.disk == Disk::FailsOnWrite {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        self.events.push(Event::Write(buf.to_vec()));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.events.push(Event::Flush);
        if self.disk == Disk::FailsOnFlush {
            return Err(io::Error::other("the device went away during flush"));
        }
        Ok(())
    }
}

/// Implements [`Api`] for one crate; expanded once per side.
macro_rules! security_api {
    ($side:ident, $krate:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        impl $side {
            fn table(entries: &[Entry]) -> $krate::permissions::PermissionTable {
                entries.iter().fold($krate::permissions::PermissionTable::empty(), |t, entry| {
                    t.with_tool(entry.tool, &Self::permissions(&entry.requires))
                })
            }

            fn permissions(perms: &[Perm]) -> Vec<$krate::permissions::Permission> {
                use $krate::permissions::Permission as P;
                perms
                    .iter()
                    .map(|p| match p {
                        Perm::ReadLogs => P::ReadLogs,
                        Perm::ReadMetrics => P::ReadMetrics,
                        Perm::ExecuteQuery => P::ExecuteQuery,
                        Perm::ModifyConfig => P::ModifyConfig,
                    })
                    .collect()
            }

            fn path_refusal(e: $krate::paths::PathError) -> PathRefusal {
                use $krate::paths::PathError as E;
                let code = e.code().to_owned();
                let (subject, os_error) = match e {
                    E::RootUnavailable { root, source } => {
                        (Some(root.to_string_lossy().into_owned()), Some(source.kind()))
                    }
                    E::RootNotADirectory(root) => (Some(root.to_string_lossy().into_owned()), None),
                    E::NotFound(p) | E::DanglingSymlink(p) | E::OutsideRoots(p) => (Some(p), None),
                    E::Io { path, source } => (Some(path), Some(source.kind())),
                    E::NoRoots | E::Empty | E::ContainsNul => (None, None),
                };
                PathRefusal { code, subject, os_error }
            }
        }

        impl Api for $side {
            type Policy = $krate::paths::PathPolicy;
            type Limiter = $krate::rate_limit::RateLimiter<ClockHandle>;

            fn denylist(query: &str) -> Result<(), Denial> {
                use $krate::sql::denylist::DenylistRejection as D;
                $krate::sql::denylist::denylist_check(query).map_err(|e| match e {
                    D::Pattern(p) => Denial::Pattern(p.to_owned()),
                    D::NotSelect => Denial::NotSelect,
                })
            }

            fn check_query(query: &str) -> Result<String, Refusal> {
                use $krate::sql::SqlRejection as R;
                $krate::sql::check_query(query)
                    .map(|q| q.sql().to_owned())
                    .map_err(|e| {
                        let detail = match &e {
                            R::Unparsable(m) => Detail::Parser(m.clone()),
                            R::MultipleStatements(n) => Detail::Count(*n),
                            R::NotAQuery(k) => Detail::Keyword(k.clone()),
                            R::ForbiddenFunction { name, why } => Detail::Function {
                                name: name.clone(),
                                why: (*why).to_owned(),
                            },
                            R::Empty | R::SelectInto | R::DataModifyingCte | R::LockingClause => {
                                Detail::Nothing
                            }
                        };
                        Refusal { code: e.code().to_owned(), message: e.to_string(), detail }
                    })
            }

            fn policy(roots: &[PathBuf]) -> Result<Self::Policy, PathRefusal> {
                $krate::paths::PathPolicy::new(roots).map_err(Self::path_refusal)
            }

            fn roots(policy: &Self::Policy) -> Vec<PathBuf> {
                policy.roots().to_vec()
            }

            fn resolve(policy: &Self::Policy, requested: &str) -> Result<PathBuf, PathRefusal> {
                policy.resolve(requested).map_err(Self::path_refusal)
            }

            fn authorize(table: &[Entry], granted: &[Perm], tool: &str) -> Result<(), Denied> {
                use $krate::permissions::{AccessDenied, Permission};
                let back = |p: &Permission| match p {
                    Permission::ReadLogs => Perm::ReadLogs,
                    Permission::ReadMetrics => Perm::ReadMetrics,
                    Permission::ExecuteQuery => Perm::ExecuteQuery,
                    Permission::ModifyConfig => Perm::ModifyConfig,
                };
                Self::table(table)
                    .authorize(&Self::permissions(granted), tool)
                    .map_err(|e| match e {
                        AccessDenied::UnknownTool(tool) => Denied::Unknown(tool),
                        AccessDenied::MissingPermissions { tool, missing } => Denied::Missing {
                            tool,
                            missing: missing.iter().map(back).collect(),
                        },
                    })
            }

            fn requires_approval(table: &[Entry], tool: &str) -> bool {
                Self::table(table).requires_approval(tool)
            }

            fn is_sensitive_key(key: &str) -> bool {
                $krate::audit::is_sensitive_key(key)
            }

            fn redact_text(text: &str) -> (String, bool) {
                match $krate::audit::redact_text(text) {
                    std::borrow::Cow::Borrowed(s) => (s.to_owned(), true),
                    std::borrow::Cow::Owned(s) => (s, false),
                }
            }

            fn redact(value: &Value) -> Value {
                $krate::audit::redact(value)
            }

            fn audit(at: SystemTime, call: &Call, disk: Disk) -> Recorded {
                let mut log = $krate::audit::AuditLog::new(Recorder { disk, events: Vec::new() });
                let record = $krate::audit::ToolCallRecord {
                    tool: &call.tool,
                    arguments: &call.arguments,
                    success: call.success,
                    duration: call.duration,
                    result_len: call.result_len,
                };
                let result = log.record_at(at, &record).map_err(|e| e.to_string());
                Recorded { result, events: log.into_inner().events }
            }

            fn audit_failing_writer() -> Result<(), String> {
                let mut log = $krate::audit::AuditLog::new(FullDisk);
                let args = json!({"query": "SELECT 1"});
                let call = $krate::audit::ToolCallRecord {
                    tool: "query_database",
                    arguments: &args,
                    success: true,
                    duration: Duration::from_millis(3),
                    result_len: 10,
                };
                log.record(&call).map_err(|e| e.to_string())
            }

            fn limiter(burst: u32, per_second: f64, clock: Arc<SuiteClock>) -> Self::Limiter {
                let limit = $krate::rate_limit::RateLimit::new(burst, per_second).expect("a valid generated limit");
                $krate::rate_limit::RateLimiter::new(limit, ClockHandle(clock))
            }

            fn limit(limiter: &Self::Limiter, client: &str, tool: &str) -> Result<(), Duration> {
                limiter.check(client, tool).map_err(|e| e.retry_after)
            }
        }
    };
}

grader_kit::both_sides!(security_api, [lab_security], [solution_security]);

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "security",
        &[
            ("sql_denylist_port", sql::sql_denylist_port::<S>),
            (
                "sql_accepts_generated_selects",
                sql::sql_accepts_generated_selects::<S>,
            ),
            (
                "sql_refuses_disguised_writes",
                sql::sql_refuses_disguised_writes::<S>,
            ),
            (
                "sql_refuses_forbidden_functions",
                sql::sql_refuses_forbidden_functions::<S>,
            ),
            ("sql_names_the_reason", sql::sql_names_the_reason::<S>),
            (
                "sql_walk_reaches_every_level",
                sql::sql_walk_reaches_every_level::<S>,
            ),
            (
                "paths_stay_inside_roots",
                paths::paths_stay_inside_roots::<S>,
            ),
            ("paths_edge_cases", paths::paths_edge_cases::<S>),
            (
                "permissions_follow_the_table",
                permissions::permissions_follow_the_table::<S>,
            ),
            (
                "redaction_removes_planted_secrets",
                audit::redaction_removes_planted_secrets::<S>,
            ),
            ("redact_text_shapes", audit::redact_text_shapes::<S>),
            ("redact_keys_and_values", audit::redact_keys_and_values::<S>),
            ("audit_entry_format", audit::audit_entry_format::<S>),
            ("audit_entry_fields", audit::audit_entry_fields::<S>),
            (
                "rate_limit_bucket_bound",
                rate_limit::rate_limit_bucket_bound::<S>,
            ),
            (
                "rate_limit_follows_the_bucket",
                rate_limit::rate_limit_follows_the_bucket::<S>,
            ),
            (
                "rate_limit_keeps_every_bucket",
                rate_limit::rate_limit_keeps_every_bucket::<S>,
            ),
            (
                "sql_checked_queries_run_on_postgres",
                sql::sql_checked_queries_run_on_postgres::<S>,
            ),
            (
                "perf_denylist_compiled_once",
                perf_denylist_compiled_once::<S>,
            ),
            ("perf_check_query_no_setup_per_call", perf_check_query::<S>),
        ],
    )
}

// ----------------------------------------------------------------- perf ----

/// Times `learner` against `reference` on a query both must accept; a
/// learner that refuses it fails before any timing.
fn perf_on_plain_select<A, B>(
    what: &str,
    learner: impl Fn() -> Result<A, String>,
    reference: impl Fn() -> Result<B, String>,
) -> Outcome {
    if let Err(e) = learner() {
        return Outcome::fail(format!(
            "{what} refuses a plain SELECT ({e}); fix that first"
        ));
    }
    ratio_at_most(5.0, what, learner, reference)
}

/// `denylist_check` compiles its patterns once (the brief's "Compile the
/// patterns once"): its time on a plain SELECT against the reference's.
fn perf_denylist_compiled_once<S: Api>() -> Outcome {
    let sql = "SELECT id, name FROM users WHERE id = 42 ORDER BY name";
    let show = |e: Denial| format!("{e:?}");
    perf_on_plain_select(
        "denylist_check",
        || S::denylist(sql).map_err(show),
        || Reference::denylist(sql).map_err(show),
    )
}

/// `check_query` does no per-call setup beyond parsing: its time on a
/// plain SELECT against the reference's.
fn perf_check_query<S: Api>() -> Outcome {
    let sql = "SELECT u.id, count(*) FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10 GROUP BY u.id";
    let code = |e: Refusal| e.code;
    perf_on_plain_select(
        "check_query",
        || S::check_query(sql).map_err(code),
        || Reference::check_query(sql).map_err(code),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference passes every check that runs without a database: a
    /// failure here is a grader bug, not a learner's.
    #[test]
    fn the_reference_passes_its_own_suite() {
        let mut failed = Vec::new();
        for check in suite::<Reference>() {
            if check.info.kind == grader_kit::Kind::Database {
                continue;
            }
            let outcome = (check.run)();
            if outcome.status != grader_kit::Status::Passed {
                failed.push(format!("{}: {outcome:?}", check.info.name));
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    }
}

#[cfg(test)]
mod timing_tmp {
    use super::*;
    #[test]
    #[ignore]
    fn timing() {
        let mut total = 0.0;
        for check in suite::<Reference>() {
            if matches!(
                check.info.kind,
                grader_kit::Kind::Database | grader_kit::Kind::Perf
            ) {
                continue;
            }
            let t = std::time::Instant::now();
            let _ = (check.run)();
            let s = t.elapsed().as_secs_f64();
            total += s;
            eprintln!("{:40} {:.3}", check.info.name, s);
        }
        eprintln!("total {total:.3}");
    }
}
