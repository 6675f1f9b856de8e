//! The visible tests of lab 3. Run them with `cargo test -p lab-performance`.
//!
//! The pool tests need PostgreSQL: set `DATABASE_URL`. They work in a
//! scratch schema that is dropped afterwards.

mod common;

mod cache {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use lab_performance::cache::{ManualClock, TtlCache};

    fn cache(capacity: usize) -> (Arc<ManualClock>, TtlCache<String, u32, Arc<ManualClock>>) {
        let clock = Arc::new(ManualClock::new());
        (
            clock.clone(),
            TtlCache::new(capacity, Duration::from_secs(60), clock),
        )
    }

    #[test]
    fn a_value_lives_until_its_ttl() {
        let (clock, cache) = cache(10);
        cache.insert("a".into(), 1);
        clock.advance(Duration::from_secs(59));
        assert_eq!(cache.get(&"a".into()), Some(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get(&"a".into()), None);
        assert_eq!(cache.len(), 0, "an expired entry is removed when found");
    }

    #[test]
    fn the_least_recently_used_goes_first() {
        let (_clock, cache) = cache(2);
        cache.insert("a".into(), 1);
        cache.insert("b".into(), 2);
        assert_eq!(cache.get(&"a".into()), Some(1));
        cache.insert("c".into(), 3);
        assert_eq!(
            cache.get(&"b".into()),
            None,
            "b was the least recently used"
        );
        assert_eq!(cache.get(&"a".into()), Some(1));
        assert_eq!(cache.get(&"c".into()), Some(3));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn inserting_again_replaces_and_refreshes() {
        let (clock, cache) = cache(2);
        cache.insert("a".into(), 1);
        clock.advance(Duration::from_secs(50));
        cache.insert("a".into(), 2);
        clock.advance(Duration::from_secs(50));
        assert_eq!(cache.get(&"a".into()), Some(2));
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn concurrent_misses_run_one_loader() {
        let (_clock, cache) = cache(10);
        let cache = Arc::new(cache);
        let loads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, loads) = (cache.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_try_insert_with("k".into(), || async move {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, String>(42)
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(42));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_load_is_not_cached() {
        let (_clock, cache) = cache(10);
        let failed = cache
            .get_or_try_insert_with("k".into(), || async { Err::<u32, _>("down") })
            .await;
        assert_eq!(failed, Err("down"));
        assert_eq!(cache.get(&"k".into()), None);
        let loaded = cache
            .get_or_try_insert_with("k".into(), || async { Ok::<_, &str>(7) })
            .await;
        assert_eq!(loaded, Ok(7));
    }
}

mod batch {
    use std::time::Duration;

    use errors::{ErrorCode, ToolError};
    use lab_performance::batch::run_batch;
    use tokio::time::{Instant, sleep};

    #[tokio::test(start_paused = true)]
    async fn at_most_c_at_a_time_in_order() {
        let jobs: Vec<_> = (0..10u64)
            .map(|i| {
                move || async move {
                    sleep(Duration::from_millis(100)).await;
                    if i == 4 {
                        Err(ToolError::new(ErrorCode::NotFound, "no item 4"))
                    } else {
                        Ok(i * 10)
                    }
                }
            })
            .collect();
        let start = Instant::now();
        let results = run_batch(jobs, 3, None).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(400),
            "ceil(10 / 3) rounds of 100 ms"
        );
        assert_eq!(results.len(), 10);
        for (i, r) in results.iter().enumerate() {
            if i == 4 {
                assert_eq!(r.as_ref().unwrap_err().code(), ErrorCode::NotFound);
            } else {
                assert_eq!(r.as_ref().unwrap(), &(i as u64 * 10));
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_job_times_out_alone() {
        let jobs: Vec<_> = [50u64, 5_000, 50]
            .into_iter()
            .map(|ms| {
                move || async move {
                    sleep(Duration::from_millis(ms)).await;
                    Ok::<_, ToolError>(ms)
                }
            })
            .collect();
        let results = run_batch(jobs, 3, Some(Duration::from_millis(200))).await;
        assert_eq!(results[0].as_ref().unwrap(), &50);
        assert_eq!(results[1].as_ref().unwrap_err().code(), ErrorCode::Timeout);
        assert_eq!(results[2].as_ref().unwrap(), &50);
    }
}

mod pool {
    use std::time::Duration;

    use errors::ErrorCode;
    use lab_performance::pool::{Database, PoolConfig, query_once};
    use serde_json::json;

    use super::common::TestDb;

    fn config() -> PoolConfig {
        PoolConfig {
            min_connections: 0,
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_millis(300),
        }
    }

    #[tokio::test]
    async fn rows_come_back_as_json_with_column_types() {
        let db = TestDb::new().await;
        let pool = Database::connect(&db.url, config()).await.unwrap();
        let out = pool
            .query_read_only(
                "SELECT id, name, flag, created, tags, meta, price, note FROM items ORDER BY id",
            )
            .await
            .unwrap();
        let types: Vec<&str> = out.columns.iter().map(|c| c.type_name.as_str()).collect();
        assert_eq!(
            types,
            [
                "INT4",
                "TEXT",
                "BOOL",
                "TIMESTAMPTZ",
                "TEXT[]",
                "JSONB",
                "NUMERIC",
                "TEXT"
            ]
        );
        assert_eq!(out.columns[1].name, "name");
        let first = &out.rows[0];
        assert_eq!(first[0], json!(1));
        assert_eq!(first[1], json!("alpha"));
        assert_eq!(first[2], json!(true));
        assert!(
            first[3]
                .as_str()
                .unwrap()
                .starts_with("2026-01-02T03:04:05"),
            "{}",
            first[3]
        );
        assert_eq!(first[4], json!(["a", "b"]));
        assert_eq!(first[5], json!({"k": 1}));
        assert_eq!(first[6], json!(9.50));
        assert_eq!(first[7], json!(null));
        assert_eq!(out.rows.len(), 2);
    }

    #[tokio::test]
    async fn the_database_refuses_what_the_check_missed() {
        let db = TestDb::new().await;
        let pool = Database::connect(&db.url, config()).await.unwrap();
        let write = pool
            .query_read_only("WITH d AS (DELETE FROM items RETURNING id) SELECT count(*) FROM d")
            .await;
        assert_eq!(write.unwrap_err().code(), ErrorCode::PermissionDenied);
        let slow = pool.query_read_only("SELECT pg_sleep(5)").await;
        assert_eq!(slow.unwrap_err().code(), ErrorCode::Timeout);
        let two = pool.query_read_only("SELECT 1; DELETE FROM items").await;
        assert_eq!(two.unwrap_err().code(), ErrorCode::Validation);
        let rows = pool
            .query_read_only("SELECT count(*) AS n FROM items")
            .await
            .unwrap();
        assert_eq!(rows.rows[0][0], json!(2), "nothing was deleted");
    }

    #[tokio::test]
    async fn a_connection_comes_back_clean() {
        let db = TestDb::new().await;
        let pool = Database::connect(&db.url, config()).await.unwrap();
        let _ = pool.query_read_only("SELECT pg_sleep(5)").await;
        let mut conn = pool.pool().acquire().await.unwrap();
        let (timeout,): (String,) = sqlx::query_as("SHOW statement_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let (read_only,): (String,) = sqlx::query_as("SHOW transaction_read_only")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!((timeout.as_str(), read_only.as_str()), ("0", "off"));
    }

    #[tokio::test]
    async fn a_connection_per_query_gives_the_same_rows() {
        let db = TestDb::new().await;
        let pool = Database::connect(&db.url, config()).await.unwrap();
        let sql = "SELECT id, name FROM items ORDER BY id";
        let pooled = pool.query_read_only(sql).await.unwrap();
        let once = query_once(&db.url, Duration::from_millis(300), sql)
            .await
            .unwrap();
        assert_eq!(pooled, once);
    }
}
