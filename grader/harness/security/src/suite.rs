//! The hidden suite of lab 1 (security).
//!
//! Every check is written once, generic over [`Api`]: the same code grades
//! the learner's `lab-security` and the reference `solution-security`.

use std::cell::RefCell;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::strategy::Strategy;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use grader_kit::clock::SuiteClock;
use grader_kit::db;
use grader_kit::perf::ratio_at_most;
use grader_kit::prop::{ensure, property};
use grader_kit::security_gen::{
    self as generate, DIRS, LinkTarget, Member, Node, Request, TOOLS, Tree,
};
use grader_kit::{Check, Outcome, unit};

/// Why a permission check denied a call, in crate-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The tool has no entry.
    Unknown,
    /// These permissions (indices into `Permission::ALL`) are missing.
    Missing(Vec<usize>),
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// A built path policy.
    type Policy;
    /// A built rate limiter.
    type Limiter;
    /// `sql::denylist::denylist_check`; `Err` carries the message.
    fn denylist(query: &str) -> Result<(), String>;
    /// `sql::check_query`: the SQL to run, or (code, message).
    fn check_query(query: &str) -> Result<String, (String, String)>;
    /// `PathPolicy::new`; `Err` carries the error code.
    fn policy(roots: &[PathBuf]) -> Result<Self::Policy, String>;
    /// `PathPolicy::roots`.
    fn roots(policy: &Self::Policy) -> Vec<PathBuf>;
    /// `PathPolicy::resolve`; `Err` carries the error code.
    fn resolve(policy: &Self::Policy, requested: &str) -> Result<PathBuf, String>;
    /// `PermissionTable::authorize` on a table built from (tool, bits) rows.
    fn authorize(table: &[(usize, u8)], granted: u8, tool: usize) -> Result<(), Denied>;
    /// `PermissionTable::requires_approval` on the same kind of table.
    fn requires_approval(table: &[(usize, u8)], tool: usize) -> bool;
    /// `audit::redact`.
    fn redact(value: &Value) -> Value;
    /// `AuditLog::record_at` into memory; the bytes written, or the error.
    fn audit(
        at: SystemTime,
        tool: &str,
        args: &Value,
        success: bool,
        took: Duration,
        len: usize,
    ) -> Result<String, String>;
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

/// Implements [`Api`] for one crate; expanded once per side.
macro_rules! security_api {
    ($side:ident, $krate:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        impl $side {
            fn table(rows: &[(usize, u8)]) -> $krate::permissions::PermissionTable {
                rows.iter().fold($krate::permissions::PermissionTable::empty(), |t, &(tool, bits)| {
                    t.with_tool(TOOLS[tool], &Self::permissions(bits))
                })
            }

            fn permissions(bits: u8) -> Vec<$krate::permissions::Permission> {
                $krate::permissions::Permission::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, p)| *p)
                    .collect()
            }
        }

        impl Api for $side {
            type Policy = $krate::paths::PathPolicy;
            type Limiter = $krate::rate_limit::RateLimiter<ClockHandle>;

            fn denylist(query: &str) -> Result<(), String> {
                $krate::sql::denylist::denylist_check(query).map_err(|e| e.to_string())
            }

            fn check_query(query: &str) -> Result<String, (String, String)> {
                $krate::sql::check_query(query)
                    .map(|q| q.sql().to_owned())
                    .map_err(|e| (e.code().to_owned(), e.to_string()))
            }

            fn policy(roots: &[PathBuf]) -> Result<Self::Policy, String> {
                $krate::paths::PathPolicy::new(roots).map_err(|e| e.code().to_owned())
            }

            fn roots(policy: &Self::Policy) -> Vec<PathBuf> {
                policy.roots().to_vec()
            }

            fn resolve(policy: &Self::Policy, requested: &str) -> Result<PathBuf, String> {
                policy.resolve(requested).map_err(|e| e.code().to_owned())
            }

            fn authorize(table: &[(usize, u8)], granted: u8, tool: usize) -> Result<(), Denied> {
                use $krate::permissions::{AccessDenied, Permission};
                Self::table(table)
                    .authorize(&Self::permissions(granted), TOOLS[tool])
                    .map_err(|e| match e {
                        AccessDenied::UnknownTool(_) => Denied::Unknown,
                        AccessDenied::MissingPermissions { missing, .. } => Denied::Missing(
                            missing
                                .iter()
                                .map(|p| Permission::ALL.iter().position(|q| q == p).unwrap_or(usize::MAX))
                                .collect(),
                        ),
                    })
            }

            fn requires_approval(table: &[(usize, u8)], tool: usize) -> bool {
                Self::table(table).requires_approval(TOOLS[tool])
            }

            fn redact(value: &Value) -> Value {
                $krate::audit::redact(value)
            }

            fn audit(
                at: SystemTime,
                tool: &str,
                args: &Value,
                success: bool,
                took: Duration,
                len: usize,
            ) -> Result<String, String> {
                let mut log = $krate::audit::AuditLog::new(Vec::new());
                let call = $krate::audit::ToolCallRecord {
                    tool,
                    arguments: args,
                    success,
                    duration: took,
                    result_len: len,
                };
                log.record_at(at, &call).map_err(|e| e.to_string())?;
                String::from_utf8(log.into_inner()).map_err(|e| format!("the entry is not UTF-8: {e}"))
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
            ("sql_denylist_port", sql_denylist_port::<S>),
            (
                "sql_accepts_generated_selects",
                sql_accepts_generated_selects::<S>,
            ),
            (
                "sql_refuses_disguised_writes",
                sql_refuses_disguised_writes::<S>,
            ),
            (
                "sql_refuses_forbidden_functions",
                sql_refuses_forbidden_functions::<S>,
            ),
            ("sql_names_the_reason", sql_names_the_reason::<S>),
            ("paths_stay_inside_roots", paths_stay_inside_roots::<S>),
            ("paths_edge_cases", paths_edge_cases::<S>),
            (
                "permissions_follow_the_table",
                permissions_follow_the_table::<S>,
            ),
            (
                "redaction_removes_planted_secrets",
                redaction_removes_planted_secrets::<S>,
            ),
            ("audit_entry_format", audit_entry_format::<S>),
            ("rate_limit_bucket_bound", rate_limit_bucket_bound::<S>),
            (
                "sql_checked_queries_run_on_postgres",
                sql_checked_queries_run_on_postgres::<S>,
            ),
            (
                "perf_denylist_compiled_once",
                perf_denylist_compiled_once::<S>,
            ),
            ("perf_check_query_no_setup_per_call", perf_check_query::<S>),
        ],
    )
}

// ------------------------------------------------------------------ SQL ----

fn sql_denylist_port<S: Api>() -> Outcome {
    let text = proptest::prop_oneof![
        generate::sql(generate::read_only_query()),
        generate::sql(generate::disguised_write()),
        generate::sql(generate::forbidden_call()),
    ];
    property(192, text, |sql| {
        let got = S::denylist(&sql).is_ok();
        let want = Reference::denylist(&sql).is_ok();
        ensure(got == want, || {
            format!(
                "the chapter's check {} this text, your port {} it",
                if want { "accepts" } else { "refuses" },
                if got { "accepts" } else { "refuses" }
            )
        })
    })
}

fn sql_accepts_generated_selects<S: Api>() -> Outcome {
    property(256, generate::sql(generate::read_only_query()), |sql| {
        if let Err((code, _)) = Reference::check_query(&sql) {
            return Err(TestCaseError::reject(format!(
                "generator produced SQL the reference refuses ({code})"
            )));
        }
        match S::check_query(&sql) {
            Ok(checked) => ensure(!checked.trim().is_empty(), || {
                "accepted, but the SQL to run is empty".into()
            }),
            Err((code, message)) => Err(TestCaseError::fail(format!(
                "a read-only query was refused ({code}: {message})"
            ))),
        }
    })
}

fn sql_refuses_disguised_writes<S: Api>() -> Outcome {
    property(
        256,
        generate::sql(generate::disguised_write()),
        |sql| match S::check_query(&sql) {
            Ok(_) => Err(TestCaseError::fail("a statement that writes was accepted")),
            Err(_) => Ok(()),
        },
    )
}

fn sql_refuses_forbidden_functions<S: Api>() -> Outcome {
    property(
        192,
        generate::sql(generate::forbidden_call()),
        |sql| match S::check_query(&sql) {
            Ok(_) => Err(TestCaseError::fail(
                "a call to a forbidden function was accepted",
            )),
            Err((code, message)) => ensure(code == "forbidden_function", || {
                format!(
                    "refused, but for the wrong reason: {code} ({message}); expected forbidden_function"
                )
            }),
        },
    )
}

fn sql_names_the_reason<S: Api>() -> Outcome {
    let cases = [
        "",
        "/* nothing */",
        "SELEC id FROM t",
        "SELECT 1; SELECT 2; SELECT 3",
        "INSERT INTO t VALUES (1)",
        "SHOW ALL",
        "SELECT a INTO TEMP x FROM t",
        "WITH m AS (DELETE FROM t RETURNING *) SELECT 1",
        "WITH m AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM m",
        "SELECT * FROM t FOR UPDATE NOWAIT",
        "SELECT pg_catalog.pg_ls_dir('/')",
        "SELECT * FROM t WHERE a = (SELECT set_config('x', 'y', true))",
    ];
    unit((|| {
        for sql in cases {
            let want = Reference::check_query(sql).err().map(|(code, _)| code);
            let got = S::check_query(sql).err();
            match (&want, &got) {
                (Some(w), Some((g, _))) if w == g => {}
                (Some(w), Some((g, m))) => {
                    return Err(format!("{sql:?}: refused as {g} ({m}), expected {w}"));
                }
                (Some(w), None) => return Err(format!("{sql:?}: accepted, expected {w}")),
                (None, _) => return Err(format!("grader bug: the reference accepts {sql:?}")),
            }
        }
        Ok(format!(
            "{} statements refused with the right reason",
            cases.len()
        ))
    })())
}

/// Recreates `canary` with its three rows, whatever the last case did.
async fn reset_canary(conn: &mut sqlx::PgConnection) -> Result<(), String> {
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS canary CASCADE; DROP TABLE IF EXISTS gone CASCADE; \
         CREATE TABLE canary (id serial PRIMARY KEY, v text NOT NULL); \
         INSERT INTO canary (v) VALUES ('a'), ('b'), ('c')",
    )
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(|e| format!("cannot reset the canary table: {e}"))
}

/// The canary's rows as `a,b,c`, or what is wrong with it.
async fn canary_state(conn: &mut sqlx::PgConnection) -> String {
    let row: Result<(Option<String>,), _> =
        sqlx::query_as("SELECT string_agg(v, ',' ORDER BY id) FROM canary")
            .fetch_one(&mut *conn)
            .await;
    match row {
        Ok((Some(rows),)) => rows,
        Ok((None,)) => "empty".to_owned(),
        Err(e) => format!("unreadable ({e})"),
    }
}

fn sql_checked_queries_run_on_postgres<S: Api>() -> Outcome {
    let url = match db::child_url() {
        Ok(url) => url,
        Err(reason) => return Outcome::skip(reason),
    };
    let runtime = match db::runtime() {
        Ok(rt) => rt,
        Err(e) => return Outcome::skip(e),
    };
    let scratch = match runtime.block_on(db::Scratch::create(&url)) {
        Ok(scratch) => RefCell::new(Some(scratch)),
        Err(e) => return Outcome::skip(format!("no scratch schema for this check: {e}")),
    };
    let stream = proptest::prop_oneof![
        2 => generate::sql(generate::canary_query()).prop_map(|sql| (true, sql)),
        1 => generate::sql(generate::disguised_write()).prop_map(|sql| (false, sql)),
    ];
    let outcome = property(64, stream, |(read_only, text)| {
        // The learner's code runs first, away from the connection, so a
        // panic in it cannot strand the connection outside its cell.
        let verdict = S::check_query(&text);
        // Taken out of the cell for the case, so no borrow spans an await.
        let Some(mut case_scratch) = scratch.take() else {
            return Err(TestCaseError::fail("the scratch connection was lost"));
        };
        let result = runtime.block_on(async {
            let conn = &mut case_scratch.conn;
            reset_canary(conn).await.map_err(TestCaseError::reject)?;
            let ran = match verdict {
                Ok(sql) => {
                    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *conn).await;
                    if let (true, Err(e)) = (read_only, &result) {
                        return Err(TestCaseError::fail(format!(
                            "accepted, but PostgreSQL cannot run the SQL your ReadOnlyQuery holds ({e}): {sql}"
                        )));
                    }
                    sql
                }
                Err((code, _)) if read_only => {
                    return Err(TestCaseError::fail(format!("a read-only query over canary was refused ({code})")));
                }
                Err(_) => return Ok(()),
            };
            let state = canary_state(conn).await;
            ensure(state == "a,b,c", || format!("after running {ran:?} the canary holds {state}, not a,b,c"))
        });
        scratch.replace(Some(case_scratch));
        result
    });
    if let Some(scratch) = scratch.into_inner()
        && let Err(e) = runtime.block_on(scratch.drop_all(&url))
    {
        eprintln!("warning: {e}");
    }
    outcome
}

// ---------------------------------------------------------------- paths ----

/// A generated tree laid out on disk.
struct Layout {
    _dir: tempfile::TempDir,
    base: PathBuf,
    roots: Vec<PathBuf>,
}

fn lay_out(tree: &Tree) -> io::Result<Layout> {
    let dir = tempfile::tempdir()?;
    let base = dir.path().canonicalize()?;
    let root = base.join("logs");
    for d in DIRS {
        std::fs::create_dir_all(root.join(d))?;
    }
    for f in &tree.files {
        std::fs::write(root.join(f), "inside\n")?;
    }
    for s in &tree.siblings {
        std::fs::create_dir_all(base.join(s))?;
        std::fs::write(base.join(s).join("stolen.log"), "sibling\n")?;
    }
    std::fs::create_dir_all(base.join("private"))?;
    std::fs::write(base.join("private/secret.txt"), "secret\n")?;
    let mut roots = vec![root.clone()];
    if tree.second_root {
        std::fs::create_dir_all(base.join("audit"))?;
        std::fs::write(base.join("audit/audit.log"), "audit\n")?;
        roots.push(base.join("audit"));
    }
    for (i, (d, target)) in tree.links.iter().enumerate() {
        let to = match *target {
            LinkTarget::InsideFile(k) => root.join(&tree.files[k % tree.files.len()]),
            LinkTarget::OutsideFile => base.join("private/secret.txt"),
            LinkTarget::SiblingDir(k) => base.join(tree.siblings[k % tree.siblings.len()]),
            LinkTarget::Parent => base.clone(),
            LinkTarget::DanglingOutside => base.join("nowhere/x.log"),
        };
        std::os::unix::fs::symlink(to, root.join(DIRS[*d]).join(format!("link{i}")))?;
    }
    Ok(Layout {
        _dir: dir,
        base,
        roots,
    })
}

fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn request_text(tree: &Tree, layout: &Layout, request: &Request) -> String {
    let file = |k: usize| tree.files[k % tree.files.len()].clone();
    let sibling = |k: usize| tree.siblings[k % tree.siblings.len()];
    match *request {
        Request::Inside { file: k, noise } => match noise {
            0 => file(k),
            1 => format!("./{}", file(k)),
            _ => format!("app/../{}", file(k)),
        },
        Request::InsideAbsolute(k) => layout.roots[0].join(file(k)).display().to_string(),
        Request::ViaLink { link, into } if !tree.links.is_empty() => {
            let i = link % tree.links.len();
            let name = joined(DIRS[tree.links[i].0], &format!("link{i}"));
            if into {
                format!("{name}/stolen.log")
            } else {
                name
            }
        }
        Request::ViaLink { .. } | Request::Traversal => "../private/secret.txt".to_owned(),
        Request::Sibling(k) => layout
            .base
            .join(sibling(k))
            .join("stolen.log")
            .display()
            .to_string(),
        Request::SiblingRelative(k) => format!("../{}/stolen.log", sibling(k)),
        Request::NewFile(d) => joined(DIRS[d % DIRS.len()], "new.log"),
        Request::NewInMissingDir => "missing/new.log".to_owned(),
        Request::NewOutside => "../new.log".to_owned(),
    }
}

fn paths_stay_inside_roots<S: Api>() -> Outcome {
    property(64, generate::tree(), |tree| {
        let layout = lay_out(&tree)
            .map_err(|e| TestCaseError::reject(format!("could not build the tree: {e}")))?;
        let learner = S::policy(&layout.roots).map_err(|code| {
            TestCaseError::fail(format!("PathPolicy::new refused valid roots: {code}"))
        })?;
        let reference = Reference::policy(&layout.roots).expect("the reference builds the policy");
        let mut requests: Vec<String> = tree
            .requests
            .iter()
            .map(|r| request_text(&tree, &layout, r))
            .collect();
        if tree.second_root {
            requests.push(layout.base.join("audit/audit.log").display().to_string());
        }
        for text in requests {
            let got = S::resolve(&learner, &text);
            let want = Reference::resolve(&reference, &text);
            match (got, want) {
                (Ok(g), Ok(w)) if g == w => {}
                (Err(_), Err(_)) => {}
                (Ok(g), Err(code)) => {
                    return Err(TestCaseError::fail(format!(
                        "{text:?} resolved to {} but must be refused ({code})",
                        g.display()
                    )));
                }
                (Err(code), Ok(w)) => {
                    return Err(TestCaseError::fail(format!(
                        "{text:?} was refused ({code}) but is {} inside a root",
                        w.display()
                    )));
                }
                (Ok(g), Ok(w)) => {
                    return Err(TestCaseError::fail(format!(
                        "{text:?} resolved to {}, expected {}",
                        g.display(),
                        w.display()
                    )));
                }
            }
        }
        Ok(())
    })
}

fn paths_edge_cases<S: Api>() -> Outcome {
    unit((|| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let base = dir.path().canonicalize().map_err(|e| e.to_string())?;
        let root = base.join("srv/logs");
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        std::fs::write(root.join("app..v2.log"), "x").map_err(|e| e.to_string())?;
        std::fs::write(base.join("file"), "x").map_err(|e| e.to_string())?;
        let via_dots = base.join("srv/./logs/../logs");
        let policy = S::policy(&[via_dots])
            .map_err(|c| format!("a root written with ./ and .. was refused: {c}"))?;
        if S::roots(&policy) != [root.clone()] {
            return Err(format!(
                "roots() must hold the canonical root {}, got {:?}",
                root.display(),
                S::roots(&policy)
            ));
        }
        let expect_err = |what: &str, result: Result<PathBuf, String>| match result {
            Ok(p) => Err(format!("{what} must be refused, got {}", p.display())),
            Err(_) => Ok(()),
        };
        expect_err("an empty path", S::resolve(&policy, ""))?;
        expect_err(
            "a path with NUL",
            S::resolve(&policy, "app..v2.log\0/../../../../etc/passwd"),
        )?;
        expect_err(
            "a look-alike sibling",
            S::resolve(&policy, &format!("{}_evil/x.log", root.display())),
        )?;
        match S::resolve(&policy, "app..v2.log") {
            Ok(p) if p == root.join("app..v2.log") => {}
            other => {
                return Err(format!(
                    "app..v2.log inside the root must resolve, got {other:?}"
                ));
            }
        }
        if S::policy(&[base.join("missing")]).is_ok() {
            return Err("a missing root must fail when the policy is built".into());
        }
        if S::policy(&[base.join("file")]).is_ok() {
            return Err("a root that is a file must fail when the policy is built".into());
        }
        if S::policy(&[]).is_ok() {
            return Err("a policy with no roots must fail when built".into());
        }
        Ok("canonical roots, bad roots, empty, NUL, siblings and dotted names".into())
    })())
}

// ---------------------------------------------------------- permissions ----

fn permissions_follow_the_table<S: Api>() -> Outcome {
    property(
        256,
        generate::permission_case(),
        |(table, granted, tool)| {
            let entry = table
                .iter()
                .rev()
                .find(|(t, _)| *t == tool)
                .map(|(_, bits)| *bits);
            let want = match entry {
                None => Err(Denied::Unknown),
                Some(bits) => {
                    let missing: Vec<usize> = (0..4)
                        .filter(|i| bits & (1 << i) != 0 && granted & (1 << i) == 0)
                        .collect();
                    if missing.is_empty() {
                        Ok(())
                    } else {
                        Err(Denied::Missing(missing))
                    }
                }
            };
            let got = S::authorize(&table, granted, tool);
            ensure(got == want, || {
                format!("authorize({}) gave {got:?}, expected {want:?}", TOOLS[tool])
            })?;
            let approval = entry.is_none_or(|bits| bits & (1 << 3) != 0);
            let got = S::requires_approval(&table, tool);
            ensure(got == approval, || {
                format!(
                    "requires_approval({}) gave {got}, expected {approval}",
                    TOOLS[tool]
                )
            })
        },
    )
}

// ---------------------------------------------------------------- audit ----

fn verify_redacted(node: &Node, out: &Value, at: &str) -> Result<(), String> {
    match node {
        Node::Plain(v) => {
            if out != v {
                return Err(format!(
                    "{at}: a value with no secret was changed: {v} became {out}"
                ));
            }
        }
        Node::Embedded { prefix, suffix, .. } => {
            let s = out
                .as_str()
                .ok_or_else(|| format!("{at}: a string became {out}"))?;
            if !s.contains("[REDACTED]")
                || !s.contains(prefix.as_str())
                || !s.contains(suffix.as_str())
            {
                return Err(format!(
                    "{at}: expected the secret replaced by [REDACTED] with {prefix:?} and {suffix:?} kept, got {s:?}"
                ));
            }
        }
        Node::Array(items) => {
            let arr = out
                .as_array()
                .ok_or_else(|| format!("{at}: an array became {out}"))?;
            if arr.len() != items.len() {
                return Err(format!("{at}: an array changed length"));
            }
            for (i, (n, o)) in items.iter().zip(arr).enumerate() {
                verify_redacted(n, o, &format!("{at}[{i}]"))?;
            }
        }
        Node::Object(members) => {
            let obj = out
                .as_object()
                .ok_or_else(|| format!("{at}: an object became {out}"))?;
            if obj.len() != members.len() {
                return Err(format!("{at}: an object's keys changed"));
            }
            for (k, m) in members {
                let o = obj
                    .get(k)
                    .ok_or_else(|| format!("{at}: key {k:?} disappeared"))?;
                match m {
                    Member::Plain(n) => verify_redacted(n, o, &format!("{at}.{k}"))?,
                    Member::Secret(_) if o == "[REDACTED]" => {}
                    Member::Secret(_) => {
                        return Err(format!(
                            "{at}.{k}: a sensitive key's value must become \"[REDACTED]\", got {o}"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn redaction_removes_planted_secrets<S: Api>() -> Outcome {
    property(160, generate::planted_json(), |node| {
        let input = node.to_value();
        let out = S::redact(&input);
        let text = out.to_string();
        let mut secrets = Vec::new();
        node.secrets(&mut secrets);
        for secret in &secrets {
            ensure(!text.contains(secret.as_str()), || {
                format!("the secret {secret:?} is still in the output: {text}")
            })?;
        }
        verify_redacted(&node, &out, "$").map_err(TestCaseError::fail)
    })
}

fn audit_entry_format<S: Api>() -> Outcome {
    unit((|| {
        let at = UNIX_EPOCH + Duration::from_millis(1_772_360_430_456);
        let args = json!({"path": "app.log", "auth": {"password": "hunter2"}, "lines": 5});
        let text = S::audit(
            at,
            "read_log",
            &args,
            false,
            Duration::from_micros(12_345),
            77,
        )?;
        if !text.ends_with('\n') || text.matches('\n').count() != 1 {
            return Err(format!(
                "expected exactly one line ending in a newline, got {text:?}"
            ));
        }
        let entry: Value = serde_json::from_str(text.trim_end())
            .map_err(|e| format!("the line is not JSON ({e}): {text}"))?;
        let stamp = entry["timestamp"].as_str().ok_or("no timestamp string")?;
        let parsed = humantime::parse_rfc3339(stamp)
            .map_err(|e| format!("timestamp {stamp:?} is not RFC 3339 UTC: {e}"))?;
        let off = parsed
            .duration_since(at)
            .or_else(|e| Ok::<_, String>(e.duration()))?;
        if off > Duration::from_millis(1) {
            return Err(format!("timestamp {stamp} is not the call's time"));
        }
        let expect = |field: &str, want: Value| {
            if entry[field] == want {
                Ok(())
            } else {
                Err(format!("{field}: expected {want}, got {}", entry[field]))
            }
        };
        expect("tool", json!("read_log"))?;
        expect("success", json!(false))?;
        expect("result_length", json!(77))?;
        expect("arguments", Reference::redact(&args))?;
        let ms = entry["duration_ms"]
            .as_f64()
            .ok_or("duration_ms is not a number")?;
        if (ms - 12.345).abs() > 1.0 {
            return Err(format!("duration_ms: expected about 12.345, got {ms}"));
        }
        if text.contains("hunter2") {
            return Err("the password reached the log".into());
        }
        match S::audit_failing_writer() {
            Ok(()) => Err("a writer that fails must give an error, not Ok".into()),
            Err(_) => Ok("fields, one line, redaction, and a failing writer".into()),
        }
    })())
}

// ----------------------------------------------------------- rate limit ----

fn rate_limit_bucket_bound<S: Api>() -> Outcome {
    property(128, generate::rate_schedule(), |(burst, rate, steps)| {
        let clock = Arc::new(SuiteClock::default());
        let limiter = S::limiter(burst, rate, clock.clone());
        let mut admitted = Vec::new();
        for i in 0..burst {
            ensure(S::limit(&limiter, "client", "tool").is_ok(), || {
                format!("call {} of the first burst of {burst} was refused", i + 1)
            })?;
            admitted.push(clock.now());
        }
        let longest_wait = Duration::from_secs_f64(1.0 / rate) + Duration::from_millis(1);
        for step in &steps {
            clock.advance(Duration::from_millis(step.advance_ms));
            for _ in 0..step.attempts {
                match S::limit(&limiter, "client", "tool") {
                    Ok(()) => admitted.push(clock.now()),
                    Err(wait) => {
                        ensure(!wait.is_zero() && wait <= longest_wait, || {
                            format!(
                                "retry_after {wait:?} is not in (0, {longest_wait:?}] at {rate}/s"
                            )
                        })?;
                        if step.wait_when_refused {
                            clock.advance(wait);
                            ensure(S::limit(&limiter, "client", "tool").is_ok(), || {
                                format!("refused again after waiting retry_after ({wait:?})")
                            })?;
                            admitted.push(clock.now());
                        }
                    }
                }
            }
        }
        for i in 0..admitted.len() {
            for j in i..admitted.len() {
                let window = (admitted[j] - admitted[i]).as_secs_f64();
                let count = (j - i + 1) as f64;
                let bound = f64::from(burst) + rate * window + 1e-6;
                ensure(count <= bound, || {
                    format!(
                        "{count} calls admitted within {window:.3} s; at most {bound:.3} fit (burst {burst}, {rate}/s)"
                    )
                })?;
            }
        }
        ensure(S::limit(&limiter, "another client", "tool").is_ok(), || {
            "another client shares the first client's bucket".into()
        })
    })
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

fn perf_denylist_compiled_once<S: Api>() -> Outcome {
    let sql = "SELECT id, name FROM users WHERE id = 42 ORDER BY name";
    perf_on_plain_select(
        "denylist_check",
        || S::denylist(sql),
        || Reference::denylist(sql),
    )
}

fn perf_check_query<S: Api>() -> Outcome {
    let sql = "SELECT u.id, count(*) FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 10 GROUP BY u.id";
    let code = |(code, _): (String, String)| code;
    perf_on_plain_select(
        "check_query",
        || S::check_query(sql).map_err(code),
        || Reference::check_query(sql).map_err(code),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generators produce SQL the reference judges as intended; a
    /// failure here is a grader bug, not a learner's.
    #[test]
    fn generators_agree_with_the_reference() {
        for (name, run) in [
            (
                "accepts",
                sql_accepts_generated_selects::<Reference> as fn() -> Outcome,
            ),
            ("writes", sql_refuses_disguised_writes::<Reference>),
            ("functions", sql_refuses_forbidden_functions::<Reference>),
            ("paths", paths_stay_inside_roots::<Reference>),
            ("redaction", redaction_removes_planted_secrets::<Reference>),
            ("rate", rate_limit_bucket_bound::<Reference>),
        ] {
            let outcome = run();
            assert_eq!(
                outcome.status,
                grader_kit::Status::Passed,
                "{name}: {outcome:?}"
            );
        }
    }
}
