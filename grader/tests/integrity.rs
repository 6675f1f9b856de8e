//! A dishonest submission gets points only for its own code, and nothing
//! of the course is within its reach. Each attack is a submission graded
//! end to end, as an instructor grades a class:
//!
//! - the reference pulled in at compile time with `#[path]` (plain and in
//!   `cfg_attr`), a hidden suite with `include_str!` (a plain path, and one
//!   computed with `concat!(env!(...))` that no scan can read);
//! - a hidden suite read from disk at run time and shown through a panic;
//! - another submission's scratch copy written to during `--class`;
//! - the database: `COPY ... TO PROGRAM`, another schema, `pg_read_file`,
//!   `pg_authid`, a superuser login through the gate, on the host's
//!   loopback and through the host's socket.
//!
//! Each must earn nothing for what it borrowed, leak no line of hidden code
//! or reference into any report, and leave the database and the other
//! submissions untouched; an honest submission graded beside them keeps
//! full marks.

#[path = "common/checkout.rs"]
#[allow(dead_code, reason = "each test binary uses part of the shared helpers")]
mod checkout;

use std::path::{Path, PathBuf};
use std::process::Command;

use checkout::{grade_class, mutate, write_solved};
use serde_json::Value;

fn course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A nonce for names this test plants and looks for.
fn nonce() -> String {
    use std::hash::{BuildHasher, RandomState};
    format!(
        "{:x}",
        RandomState::new().hash_one(std::time::SystemTime::now()) % 0xffff_ffff
    )
}

/// Lines of the hidden suite and of the reference that must never appear in
/// a report: long, distinctive code lines.
fn secret_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for file in [
        "grader/harness/security/src/suite.rs",
        "solutions/security/src/paths.rs",
        "solutions/security/src/sql/validate.rs",
    ] {
        let text = std::fs::read_to_string(course().join(file)).unwrap();
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.len() > 50 && !l.starts_with("//") && !l.starts_with('"'))
                .take(25)
                .map(str::to_owned),
        );
    }
    assert!(lines.len() > 40);
    lines
}

fn report(out: &Path, student: &str) -> (Value, String) {
    let text = std::fs::read_to_string(out.join(student).join("report.json"))
        .unwrap_or_else(|e| panic!("no report for {student}: {e}"));
    (serde_json::from_str(&text).unwrap(), text)
}

fn lab<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["labs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
}

fn landlock() -> bool {
    grader::protect::capabilities().landlock.is_available()
}

#[test]
fn borrowed_code_earns_nothing_and_nothing_leaks() {
    let class = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let student = |name: &str| {
        let dir = class.path().join(name);
        write_solved(&dir, &["security"]);
        dir
    };
    let modules = ["audit", "paths", "permissions", "rate_limit"];
    let copy_lib = |attribute: &dyn Fn(&str) -> String| {
        let mut lib = String::new();
        for module in modules {
            lib.push_str(&attribute(&format!("{module}.rs")));
            lib.push_str(&format!("\npub mod {module};\n"));
        }
        lib.push_str(&attribute("sql/mod.rs"));
        lib.push_str("\npub mod sql;\n");
        lib
    };

    student("alice");

    let plain = student("path-copy");
    std::fs::write(
        plain.join("labs/security/src/lib.rs"),
        copy_lib(&|file| format!("#[path = \"../../../solutions/security/src/{file}\"]")),
    )
    .unwrap();

    let cfg_attr = student("cfg-attr-copy");
    std::fs::write(
        cfg_attr.join("labs/security/src/lib.rs"),
        copy_lib(&|file| {
            format!("#[cfg_attr(all(), path = \"../../../solutions/security/src/{file}\")]")
        }),
    )
    .unwrap();

    let included = student("include-suite");
    mutate(
        &included,
        "security",
        "sql/denylist.rs",
        suite_line_anchor(),
        &format!(
            "{}\n    panic!(\"{{}}\", include_str!(\"../../../../grader/harness/security/src/suite.rs\"));",
            suite_line_anchor()
        ),
    );
    let computed = student("computed-include");
    mutate(
        &computed,
        "security",
        "sql/denylist.rs",
        suite_line_anchor(),
        &format!(
            "{}\n    panic!(\"{{}}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/../../grader/harness/security/src/suite.rs\")));",
            suite_line_anchor()
        ),
    );

    // At run time: read the hidden suite from the course and from every
    // slot, and show it through a panic.
    let target = course().join("target");
    let reader = student("runtime-read");
    mutate(
        &reader,
        "security",
        "sql/denylist.rs",
        suite_line_anchor(),
        &format!(
            r#"{}
    {{
        let mut seen = String::new();
        let mut paths = vec![std::path::PathBuf::from("{course}/grader/harness/security/src/suite.rs")];
        if let Ok(slots) = std::fs::read_dir("{target}/grader/slots") {{
            for slot in slots.flatten() {{
                paths.push(slot.path().join("grader/harness/security/src/suite.rs"));
            }}
        }}
        for path in paths {{
            match std::fs::read_to_string(&path) {{
                Ok(text) => seen.push_str(&text),
                Err(e) => seen.push_str(&format!("{{}}: {{e}}\n", path.display())),
            }}
        }}
        panic!("{{seen}}");
    }}"#,
            suite_line_anchor(),
            course = course().display(),
            target = target.display()
        ),
    );

    // During the class: write into every other slot, and into the course.
    let planted = format!("PWNED-{}", nonce());
    let writer = student("cross-writer");
    mutate(
        &writer,
        "security",
        "sql/denylist.rs",
        suite_line_anchor(),
        &format!(
            r#"{}
    {{
        let mut done = Vec::new();
        if let Ok(slots) = std::fs::read_dir("{target}/grader/slots") {{
            for slot in slots.flatten() {{
                let path = slot.path();
                done.push(format!("{{:?}}", std::fs::write(path.join("{planted}"), "x")));
                done.push(format!("{{:?}}", std::fs::write(path.join("labs/security/src/lib.rs"), "compile_error!(\"x\");")));
            }}
        }}
        done.push(format!("{{:?}}", std::fs::write("{course}/{planted}", "x")));
        panic!("{{done:?}}");
    }}"#,
            suite_line_anchor(),
            target = target.display(),
            course = course().display(),
        ),
    );

    grade_class(class.path(), out.path(), &["security"]);
    let secrets = secret_lines();
    let leaks = |name: &str, text: &str| {
        for line in &secrets {
            assert!(
                !text.contains(line.as_str()),
                "{name}'s report leaks: {line}"
            );
        }
    };

    let (alice, text) = report(out.path(), "alice");
    leaks("alice", &text);
    for check in lab(&alice, "security")["checks"].as_array().unwrap() {
        assert!(
            check["status"] == "passed" || check["status"] == "skipped",
            "the honest submission graded beside the others: {check:#}"
        );
    }
    let protections = alice["protections"].as_str().unwrap_or_default().to_owned();
    if landlock() {
        assert!(protections.contains("landlock"), "{protections}");
    } else {
        assert!(protections.contains("sandbox: none"), "{protections}");
    }

    for (name, line) in [("path-copy", 1), ("cfg-attr-copy", 1)] {
        let (report, text) = report(out.path(), name);
        leaks(name, &text);
        let security = lab(&report, "security");
        assert_eq!(security["score"], 0, "{name}: {security:#}");
        let message = security["checks"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("labs/security/src/lib.rs:{line}: #[path]"))
                && message.contains(grader::scan::RULE),
            "{name}: {message}"
        );
    }

    let (report_included, text) = report(out.path(), "include-suite");
    leaks("include-suite", &text);
    assert_eq!(lab(&report_included, "security")["score"], 0);
    assert!(text.contains("include_str!"), "{text}");

    let (report_computed, text) = report(out.path(), "computed-include");
    if landlock() {
        leaks("computed-include", &text);
        assert_eq!(lab(&report_computed, "security")["score"], 0, "{text}");
        assert!(text.contains("Permission denied"), "{text}");
    }
    let flags = lab(&report_computed, "security")["flags"].to_string();
    assert!(flags.contains("reads the build environment"), "{flags}");

    let (report_reader, text) = report(out.path(), "runtime-read");
    if landlock() {
        leaks("runtime-read", &text);
        let security = lab(&report_reader, "security");
        assert!(security["score"].as_u64().unwrap() > 0, "{security:#}");
    }

    let (report_writer, _) = report(out.path(), "cross-writer");
    if landlock() {
        assert!(lab(&report_writer, "security")["score"].as_u64().unwrap() > 0);
        assert!(
            !course().join(&planted).exists(),
            "the course was written to"
        );
        for slot in std::fs::read_dir(target.join("grader/slots"))
            .unwrap()
            .flatten()
        {
            assert!(
                !slot.path().join(&planted).exists(),
                "{} was written to",
                slot.path().display()
            );
        }
    }
    let _ = std::fs::remove_file(course().join(&planted));
}

/// A line of the solved `denylist_check` to put code after: the first line
/// of its body.
fn suite_line_anchor() -> &'static str {
    "pub fn denylist_check(query: &str) -> Result<(), DenylistRejection> {"
}

#[test]
fn the_database_refuses_everything_but_the_scratch_schema() {
    let Ok(admin) = std::env::var("DATABASE_URL") else {
        panic!(
            "this test needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST/DB (see README.md)"
        );
    };
    let tag = nonce();
    let victim = format!("victim_{tag}");
    let dropped_file = format!("/tmp/pwned-{tag}");
    let public_table = format!("pwned_{tag}");
    sql(
        &admin,
        &format!("CREATE SCHEMA {victim}; CREATE TABLE {victim}.keep (x int)"),
    );
    // Removed however the test ends.
    struct Cleanup(String, String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            sql(
                &self.0,
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.1),
            );
        }
    }
    let _cleanup = Cleanup(admin.clone(), victim.clone());

    let dir = tempfile::tempdir().unwrap();
    write_solved(dir.path(), &["security", "errors", "performance"]);
    let attacks = [
        format!("COPY (SELECT 1) TO PROGRAM 'touch {dropped_file}'"),
        format!("DROP SCHEMA {victim} CASCADE"),
        format!("CREATE TABLE public.{public_table} (x int)"),
        "SELECT pg_read_file('/etc/passwd')".to_owned(),
        "SELECT rolpassword::text FROM pg_authid".to_owned(),
        "ALTER ROLE CURRENT_USER SUPERUSER".to_owned(),
        "SET ROLE postgres".to_owned(),
    ];
    let list: Vec<String> = attacks.iter().map(|a| format!("{a:?}")).collect();
    mutate(
        dir.path(),
        "performance",
        "pool.rs",
        "    pub async fn connect(url: &str, config: PoolConfig) -> Result<Self, ToolError> {",
        &format!(
            r#"    pub async fn connect(url: &str, config: PoolConfig) -> Result<Self, ToolError> {{
        let mut seen = Vec::new();
        if let Ok(mut conn) = sqlx::PgConnection::connect(url).await {{
            for attack in [{list}] {{
                let outcome = sqlx::raw_sql(sqlx::AssertSqlSafe(attack)).execute(&mut conn).await;
                seen.push(format!("{{attack}}: {{}}", if outcome.is_ok() {{ "DONE" }} else {{ "refused" }}));
            }}
        }}
        let options: PgConnectOptions = url.parse()?;
        for other in [
            options.clone().username("postgres").password(""),
            PgConnectOptions::new().host("127.0.0.1").port(5432).username("postgres").database("postgres"),
            PgConnectOptions::new().socket("/var/run/postgresql").username("postgres").database("postgres"),
            PgConnectOptions::new().socket("/run/postgresql").username("postgres").database("postgres"),
        ] {{
            let outcome = sqlx::PgConnection::connect_with(&other).await;
            seen.push(format!("superuser login: {{}}", if outcome.is_ok() {{ "DONE" }} else {{ "refused" }}));
        }}
        panic!("attacks: {{seen:?}}");"#,
            list = list.join(", ")
        ),
    );
    let reports = tempfile::tempdir().unwrap();
    let json = reports.path().join("report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("--submission")
        .arg(dir.path())
        .args(["--lab", "performance", "--no-perf", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&json).unwrap();
    // Each attack ran (its line is in a report) and was refused.
    assert!(
        text.contains("attacks: "),
        "the attacks did not run: {text}"
    );
    assert!(!text.contains("DONE"), "an attack went through: {text}");
    assert!(!text.contains("root:x:0:0"), "{text}");

    // Nothing happened in the database or on the server.
    let still = query(
        &admin,
        &format!("SELECT count(*)::text FROM pg_namespace WHERE nspname = '{victim}'"),
    );
    assert_eq!(still, "1", "the other schema was dropped");
    let table = query(
        &admin,
        &format!("SELECT count(*)::text FROM pg_tables WHERE tablename = '{public_table}'"),
    );
    assert_eq!(table, "0", "a table was created in public");
    assert!(!Path::new(&dropped_file).exists(), "COPY TO PROGRAM ran");
}

fn sql(url: &str, statements: &str) {
    use sqlx::Connection;
    grader::db::runtime().unwrap().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

fn query(url: &str, statement: &str) -> String {
    use sqlx::Connection;
    grader::db::runtime().unwrap().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(statement.to_owned()))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    })
}
