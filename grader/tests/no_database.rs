//! Without a database, database checks are skipped with the reason and
//! what to do, never passed. Each case runs the grader with its own
//! environment.

mod common;

use common::{check, grader, run_with_report};

fn database_check_message(configure: impl FnOnce(&mut std::process::Command)) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = grader();
    command.args(["--target", "solutions", "--lab", "security", "--no-perf"]);
    command.env_remove("DATABASE_URL");
    configure(&mut command);
    let (out, report) = run_with_report(command, dir.path());
    assert_eq!(out.status.code(), Some(0), "grading worked, so exit 0");
    let c = check(&report, "security", "sql_checked_queries_run_on_postgres");
    assert_eq!(c["score"], 0);
    (
        c["status"].as_str().unwrap().to_owned(),
        c["message"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn an_unreachable_database_url_is_reported() {
    let (status, message) = database_check_message(|c| {
        c.env("DATABASE_URL", "postgres://nobody@127.0.0.1:9/none");
    });
    assert_eq!(status, "skipped");
    assert!(
        message.contains("DATABASE_URL is set but PostgreSQL does not answer"),
        "{message}"
    );
}

#[cfg(not(feature = "testcontainers"))]
#[test]
fn without_docker_support_the_skip_says_how_to_get_a_database() {
    let (status, message) = database_check_message(|_| {});
    assert_eq!(status, "skipped");
    assert!(message.contains("DATABASE_URL is not set"), "{message}");
    assert!(
        message.contains("--features grader/testcontainers"),
        "{message}"
    );
}

#[cfg(feature = "testcontainers")]
#[test]
fn without_a_docker_engine_the_skip_says_so() {
    let (status, message) = database_check_message(|c| {
        c.env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    });
    assert_eq!(status, "skipped");
    assert!(message.contains("Docker is not reachable"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
}
