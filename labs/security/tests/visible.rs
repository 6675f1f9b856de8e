//! The visible tests of lab 1. Run them with `cargo test -p lab-security`.
//!
//! Each module tests one part of the lab; run one part with a filter, such
//! as `cargo test -p lab-security sql::`.

mod common;

mod sql {
    use lab_security::sql::denylist::{DenylistRejection, denylist_check};
    use lab_security::sql::{SqlRejection, check_query};

    // ANCHOR: bypasses
    /// Statements that pass the denylist and still change the database.
    const BYPASSES: &[&str] = &[
        "SELECT 1; COMMIT; TRUNCATE audit_log",
        "SELECT 1; UPDATE users SET is_admin = true",
        "SELECT * INTO stolen FROM users",
        "SELECT 1; DROP SCHEMA public CASCADE",
        "select pg_read_file('/etc/passwd')",
    ];
    // ANCHOR_END: bypasses

    #[test]
    fn denylist_accepts_a_plain_select() {
        assert_eq!(
            denylist_check("SELECT id, name FROM users WHERE id = 1"),
            Ok(())
        );
    }

    #[test]
    fn denylist_refuses_what_it_was_written_for() {
        assert!(matches!(
            denylist_check("SELECT 1; DROP TABLE users"),
            Err(DenylistRejection::Pattern(_))
        ));
        assert_eq!(
            denylist_check("DELETE FROM users"),
            Err(DenylistRejection::NotSelect)
        );
        assert_eq!(denylist_check("  select 1"), Ok(()));
    }

    #[test]
    fn denylist_is_bypassed_and_the_parser_is_not() {
        for sql in BYPASSES {
            assert_eq!(
                denylist_check(sql),
                Ok(()),
                "the denylist lets through: {sql}"
            );
            assert!(check_query(sql).is_err(), "check_query must refuse: {sql}");
        }
    }

    #[test]
    fn accepts_read_only_queries() {
        let ok = [
            "SELECT 1",
            "select id, name from users where name = 'O''Brien' order by id limit 10",
            "SELECT u.id, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id HAVING count(*) > 2",
            "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT * FROM recent",
            "SELECT * FROM (SELECT id FROM users) AS t WHERE id IN (SELECT user_id FROM orders)",
            "SELECT \"weird name\" FROM \"Mixed Case\" -- a trailing comment",
            "SELECT 'a; DROP TABLE users' AS text_not_sql",
            "SELECT 1;",
        ];
        for sql in ok {
            let checked = check_query(sql).unwrap_or_else(|e| panic!("refused {sql:?}: {e}"));
            assert!(!checked.sql().is_empty());
        }
    }

    #[test]
    fn refuses_each_rule_with_its_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("  -- only a comment", "empty"),
            ("SELEC 1", "unparsable"),
            ("SELECT 1; SELECT 2", "multiple_statements"),
            ("SELECT 1; COMMIT; DROP TABLE users", "multiple_statements"),
            ("DELETE FROM users", "not_a_query"),
            ("CREATE TABLE t (id int)", "not_a_query"),
            ("EXPLAIN ANALYZE DELETE FROM users", "not_a_query"),
            ("SELECT * INTO backup FROM users", "select_into"),
            (
                "WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d",
                "data_modifying_cte",
            ),
            (
                "WITH u AS (UPDATE users SET name = 'x' RETURNING id) SELECT count(*) FROM u",
                "data_modifying_cte",
            ),
            ("SELECT * FROM users FOR UPDATE", "locking_clause"),
            ("SELECT * FROM users FOR SHARE", "locking_clause"),
            ("SELECT pg_read_file('/etc/passwd')", "forbidden_function"),
            ("SELECT * FROM pg_ls_dir('.')", "forbidden_function"),
            (
                "SELECT PG_CATALOG.Lo_Import('/etc/passwd')",
                "forbidden_function",
            ),
            (
                "SELECT dblink_exec('host=evil', 'DROP TABLE users')",
                "forbidden_function",
            ),
            (
                "SELECT set_config('statement_timeout', '0', false)",
                "forbidden_function",
            ),
            (
                "SELECT id FROM users WHERE id = (SELECT pg_terminate_backend(42))",
                "forbidden_function",
            ),
        ];
        for (sql, code) in cases {
            match check_query(sql) {
                Ok(_) => panic!("accepted {sql:?}, expected {code}"),
                Err(e) => {
                    assert_eq!(e.code(), *code, "wrong reason for {sql:?}: {e}");
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn a_forbidden_function_is_named_in_the_error() {
        let err = check_query("SELECT pg_read_file('x')").unwrap_err();
        assert!(
            matches!(&err, SqlRejection::ForbiddenFunction { name, .. } if name.contains("pg_read_file"))
        );
        assert!(err.to_string().contains("pg_read_file"));
    }
}

mod paths {
    use std::path::Path;

    use lab_security::paths::{PathError, PathPolicy};

    use super::common::write_file;

    /// A temporary tree: `logs/` (the root), `logs_evil/` beside it, and
    /// `secret.txt` outside.
    fn tree() -> (tempfile::TempDir, PathPolicy) {
        let dir = tempfile::tempdir().expect("temp dir");
        write_file(&dir.path().join("logs/app.log"), "line 1\n");
        write_file(&dir.path().join("logs/app..v2.log"), "line 1\n");
        write_file(&dir.path().join("logs/nested/deep.log"), "line 1\n");
        write_file(&dir.path().join("logs_evil/stolen.log"), "secret\n");
        write_file(&dir.path().join("secret.txt"), "secret\n");
        let policy = PathPolicy::new([dir.path().join("logs")]).expect("policy over logs/");
        (dir, policy)
    }

    fn root(policy: &PathPolicy) -> &Path {
        &policy.roots()[0]
    }

    #[test]
    fn roots_are_canonical() {
        let (dir, policy) = tree();
        let real = dir.path().join("logs").canonicalize().unwrap();
        assert_eq!(policy.roots(), &[real]);
    }

    #[test]
    fn files_inside_resolve() {
        let (_dir, policy) = tree();
        let inside = root(&policy).join("nested/deep.log");
        assert_eq!(policy.resolve(inside.to_str().unwrap()).unwrap(), inside);
        assert_eq!(
            policy.resolve("app.log").unwrap(),
            root(&policy).join("app.log")
        );
        assert_eq!(
            policy.resolve("nested/../app.log").unwrap(),
            root(&policy).join("app.log")
        );
    }

    #[test]
    fn double_dots_inside_a_name_are_fine() {
        let (_dir, policy) = tree();
        assert_eq!(
            policy.resolve("app..v2.log").unwrap(),
            root(&policy).join("app..v2.log")
        );
    }

    #[test]
    fn a_file_that_does_not_exist_yet_resolves_through_its_parent() {
        let (_dir, policy) = tree();
        assert_eq!(
            policy.resolve("new.log").unwrap(),
            root(&policy).join("new.log")
        );
        assert!(matches!(
            policy.resolve("missing_dir/new.log"),
            Err(PathError::NotFound(_))
        ));
    }

    #[test]
    fn traversal_and_look_alike_siblings_are_refused() {
        let (dir, policy) = tree();
        let sibling = dir.path().join("logs_evil/stolen.log");
        for p in [
            "../secret.txt".to_owned(),
            "nested/../../secret.txt".to_owned(),
            sibling.to_str().unwrap().to_owned(),
            "/etc/passwd".to_owned(),
            "../new_file_outside.log".to_owned(),
        ] {
            assert!(
                matches!(policy.resolve(&p), Err(PathError::OutsideRoots(_))),
                "{p} must be outside: {:?}",
                policy.resolve(&p)
            );
        }
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let (dir, policy) = tree();
        let logs = dir.path().join("logs");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), logs.join("link.log")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("logs_evil"), logs.join("evil_dir")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere.txt"), logs.join("dangling.log"))
            .unwrap();
        std::os::unix::fs::symlink(logs.join("app.log"), logs.join("alias.log")).unwrap();
        assert!(matches!(
            policy.resolve("link.log"),
            Err(PathError::OutsideRoots(_))
        ));
        assert!(matches!(
            policy.resolve("evil_dir/stolen.log"),
            Err(PathError::OutsideRoots(_))
        ));
        assert!(matches!(
            policy.resolve("evil_dir/new.log"),
            Err(PathError::OutsideRoots(_))
        ));
        assert!(policy.resolve("dangling.log").is_err());
        assert_eq!(
            policy.resolve("alias.log").unwrap(),
            root(&policy).join("app.log")
        );
    }

    #[test]
    fn empty_and_nul_are_refused() {
        let (_dir, policy) = tree();
        assert!(matches!(policy.resolve(""), Err(PathError::Empty)));
        assert!(matches!(
            policy.resolve("app.log\0.txt"),
            Err(PathError::ContainsNul)
        ));
    }

    #[test]
    fn a_bad_root_fails_when_the_policy_is_built() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            PathPolicy::new([dir.path().join("missing")]),
            Err(PathError::RootUnavailable { .. })
        ));
        assert!(matches!(
            PathPolicy::new(Vec::<&Path>::new()),
            Err(PathError::NoRoots)
        ));
        write_file(&dir.path().join("file"), "x");
        assert!(matches!(
            PathPolicy::new([dir.path().join("file")]),
            Err(PathError::RootNotADirectory(_))
        ));
    }
}

mod permissions {
    use lab_security::permissions::{AccessDenied, Permission, PermissionTable};

    #[test]
    fn a_granted_tool_is_allowed() {
        let table = PermissionTable::course_defaults();
        assert_eq!(table.authorize(&[Permission::ReadLogs], "read_log"), Ok(()));
        assert_eq!(
            table.authorize(
                &[Permission::ExecuteQuery, Permission::ReadLogs],
                "query_database"
            ),
            Ok(())
        );
    }

    #[test]
    fn missing_permissions_are_listed() {
        let table = PermissionTable::course_defaults();
        assert_eq!(
            table.authorize(&[Permission::ReadLogs], "health_check"),
            Err(AccessDenied::MissingPermissions {
                tool: "health_check".into(),
                missing: vec![Permission::ReadMetrics, Permission::ExecuteQuery],
            })
        );
    }

    #[test]
    fn an_unknown_tool_is_denied_even_with_every_permission() {
        let table = PermissionTable::course_defaults();
        assert_eq!(
            table.authorize(&Permission::ALL, "drop_database"),
            Err(AccessDenied::UnknownTool("drop_database".into()))
        );
        assert!(
            PermissionTable::empty()
                .authorize(&Permission::ALL, "read_log")
                .is_err()
        );
    }

    #[test]
    fn a_tool_needing_nothing_is_allowed_to_anyone() {
        let table = PermissionTable::empty().with_tool("ping", &[]);
        assert_eq!(table.authorize(&[], "ping"), Ok(()));
    }

    #[test]
    fn approval_is_needed_for_high_privilege_and_unknown_tools() {
        let table = PermissionTable::course_defaults();
        assert!(table.requires_approval("update_config"));
        assert!(!table.requires_approval("read_log"));
        assert!(!table.requires_approval("health_check"));
        assert!(table.requires_approval("not_in_the_table"));
    }
}

mod audit {
    use std::io::{self, Write};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use lab_security::audit::{
        AuditLog, REDACTED, ToolCallRecord, is_sensitive_key, redact, redact_text,
    };
    use serde_json::{Value, json};

    #[test]
    fn sensitive_keys_in_any_spelling() {
        for key in [
            "password",
            "DB_PASSWORD",
            "apiKey",
            "x-api-key",
            "Authorization",
            "client_secret",
            "refresh_token",
        ] {
            assert!(is_sensitive_key(key), "{key} is sensitive");
        }
        for key in [
            "query",
            "path",
            "monkey",
            "keyboard",
            "primary_key",
            "author",
            "lines",
        ] {
            assert!(!is_sensitive_key(key), "{key} is not sensitive");
        }
    }

    #[test]
    fn secrets_in_text_are_cut_out_and_the_rest_kept() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
        let cases = [
            (
                "Authorization: Bearer abc.DEF-123_x".to_owned(),
                "abc.DEF-123_x",
                "Authorization: Bearer ",
            ),
            (format!("token was {jwt} yesterday"), jwt, " yesterday"),
            (
                "key AKIAABCDEFGHIJKLMNOP here".to_owned(),
                "AKIAABCDEFGHIJKLMNOP",
                "key ",
            ),
            (
                "postgres://app:hunter2@db:5432/prod".to_owned(),
                "hunter2",
                "postgres://app:",
            ),
            (
                "host=db password=hunter2 user=app".to_owned(),
                "hunter2",
                " user=app",
            ),
        ];
        for (text, secret, kept) in cases {
            let out = redact_text(&text);
            assert!(!out.contains(secret), "{secret} left in {out}");
            assert!(out.contains(REDACTED), "no marker in {out}");
            assert!(out.contains(kept), "{kept:?} lost from {out}");
        }
        assert_eq!(redact_text("SELECT * FROM users"), "SELECT * FROM users");
    }

    #[test]
    fn redaction_is_recursive_and_leaves_the_rest_alone() {
        let args = json!({
            "query": "SELECT 1",
            "limit": 10,
            "options": {"nested": [{"api_key": "k-123"}, {"note": "Bearer t0ken"}], "flag": true},
            "password": {"even": "objects"},
        });
        let out = redact(&args);
        assert_eq!(out["query"], "SELECT 1");
        assert_eq!(out["limit"], 10);
        assert_eq!(out["options"]["flag"], true);
        assert_eq!(out["options"]["nested"][0]["api_key"], REDACTED);
        assert_eq!(out["options"]["nested"][1]["note"], "Bearer [REDACTED]");
        assert_eq!(out["password"], REDACTED);
        assert!(!out.to_string().contains("k-123"));
    }

    #[test]
    fn an_entry_is_one_json_line() {
        let mut log = AuditLog::new(Vec::new());
        let args = json!({"path": "app.log", "token": "s3cr3t"});
        let at = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        let call = ToolCallRecord {
            tool: "read_log",
            arguments: &args,
            success: true,
            duration: Duration::from_micros(12_345),
            result_len: 42,
        };
        log.record_at(at, &call).unwrap();
        log.record(&call).unwrap();
        let text = String::from_utf8(log.into_inner()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(text.ends_with('\n'));
        let entry: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(entry["timestamp"], "2026-01-01T00:00:00.123Z");
        assert_eq!(entry["tool"], "read_log");
        assert_eq!(
            entry["arguments"],
            json!({"path": "app.log", "token": REDACTED})
        );
        assert_eq!(entry["success"], true);
        assert_eq!(entry["duration_ms"], 12.345);
        assert_eq!(entry["result_length"], 42);
        assert!(!text.contains("s3cr3t"));
        let now: Value = serde_json::from_str(lines[1]).unwrap();
        let stamped = now["timestamp"].as_str().unwrap();
        assert!(stamped.ends_with('Z') && stamped.len() == 24, "{stamped}");
        assert!(SystemTime::now().duration_since(UNIX_EPOCH).is_ok());
    }

    /// A writer whose disk is always full.
    struct FullDisk;

    impl Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_writer_is_an_error_not_a_panic() {
        let mut log = AuditLog::new(FullDisk);
        let args = json!({});
        let call = ToolCallRecord {
            tool: "get_metrics",
            arguments: &args,
            success: false,
            duration: Duration::ZERO,
            result_len: 0,
        };
        let err = log.record(&call).unwrap_err();
        assert!(err.to_string().contains("not recorded"), "{err}");
    }
}

mod rate_limit {
    use std::sync::Arc;
    use std::time::Duration;

    use lab_security::rate_limit::{ManualClock, RateLimit, RateLimiter};

    fn limiter(burst: u32, per_second: f64) -> (Arc<ManualClock>, RateLimiter<Arc<ManualClock>>) {
        let clock = Arc::new(ManualClock::new());
        let limit = RateLimit::new(burst, per_second).unwrap();
        (clock.clone(), RateLimiter::new(limit, clock))
    }

    #[test]
    fn a_burst_is_admitted_then_refused() {
        let (_clock, limiter) = limiter(3, 1.0);
        for _ in 0..3 {
            assert_eq!(limiter.check("alice", "query_database"), Ok(()));
        }
        let refused = limiter.check("alice", "query_database").unwrap_err();
        assert!(refused.retry_after > Duration::ZERO);
        assert!(refused.retry_after <= Duration::from_secs(1));
    }

    #[test]
    fn waiting_retry_after_is_enough() {
        let (clock, limiter) = limiter(1, 4.0);
        assert!(limiter.check("a", "t").is_ok());
        let refused = limiter.check("a", "t").unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_millis(250));
        clock.advance(refused.retry_after);
        assert_eq!(limiter.check("a", "t"), Ok(()));
    }

    #[test]
    fn buckets_are_per_client_and_tool() {
        let (_clock, limiter) = limiter(1, 1.0);
        assert!(limiter.check("alice", "read_log").is_ok());
        assert!(limiter.check("alice", "read_log").is_err());
        assert!(limiter.check("bob", "read_log").is_ok());
        assert!(limiter.check("alice", "get_metrics").is_ok());
    }

    #[test]
    fn tokens_refill_but_never_above_the_burst() {
        let (clock, limiter) = limiter(2, 10.0);
        clock.advance(Duration::from_secs(3600));
        assert!(limiter.check("a", "t").is_ok());
        assert!(limiter.check("a", "t").is_ok());
        assert!(limiter.check("a", "t").is_err());
    }
}
