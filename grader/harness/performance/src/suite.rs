//! The hidden suite of lab 3 (performance).
//!
//! Written once, generic over [`Api`], for the learner's `lab-performance`
//! and the reference. The cache runs on the suite's manual clock, the batch
//! on tokio's paused clock, the pool on a real PostgreSQL in a scratch
//! schema.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;

use grader_kit::clock::SuiteClock;
use grader_kit::db;
use grader_kit::perf::ratio_at_most;
use grader_kit::prop::{ensure, property};
use grader_kit::security_gen as generate;
use grader_kit::{Check, Outcome, unit};
use grader_kit::{paused_runtime, runtime};

grader_kit::clock_handle!(lab_security, solution_security);

/// A cache operation.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// `insert(key, value)`.
    Insert(u8, u16),
    /// `get(key)`.
    Get(u8),
    /// Moves the clock by this many seconds.
    Advance(u8),
}

/// Rows as the suite compares them: (name, type) columns and JSON rows.
pub type Rows = (Vec<(String, String)>, Vec<Vec<Value>>);

/// What a batch run produced: elapsed virtual time, and per job `Ok(i)` or
/// the error code.
pub type BatchRun = (Duration, Vec<Result<u64, &'static str>>);

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// A cache of `u8` keys and `u16` values on the suite's clock.
    type Cache: Send + Sync;
    /// A connected pool.
    type Db;
    /// `TtlCache::new`.
    fn cache(capacity: usize, ttl: Duration, clock: Arc<SuiteClock>) -> Self::Cache;
    /// `get`.
    fn get(cache: &Self::Cache, key: u8) -> Option<u16>;
    /// `insert`.
    fn insert(cache: &Self::Cache, key: u8, value: u16);
    /// `len`.
    fn len(cache: &Self::Cache) -> usize;
    /// `tasks` concurrent `get_or_try_insert_with` on one key with a loader
    /// taking 50 ms on a paused clock: (loader runs, results).
    fn stampede(tasks: usize) -> (usize, Vec<Result<u16, String>>);
    /// A failed load, then `get`, then a good load.
    fn failed_load() -> (Result<u16, String>, Option<u16>, Result<u16, String>);
    /// A big cache for the perf check: keys `0..n`.
    fn big_cache(n: u32) -> Box<dyn Fn(u32) -> Option<u32>>;
    /// `Database::connect`.
    fn connect(url: &str, max: u32, statement_timeout: Duration) -> Result<Self::Db, String>;
    /// `query_read_only`: rows, or (code, message).
    fn query(db: &Self::Db, sql: &str) -> Result<Rows, (&'static str, String)>;
    /// A connection from the pool: (`statement_timeout`, `transaction_read_only`).
    fn settings(db: &Self::Db) -> Result<(String, String), String>;
    /// `run_batch` on a paused clock: job `i` sleeps `latency[i]` ms and
    /// fails with NOT_FOUND when `fails[i]`.
    fn batch(
        latency: &[u64],
        fails: &[bool],
        concurrency: usize,
        timeout: Option<Duration>,
    ) -> BatchRun;
}

macro_rules! performance_api {
    ($side:ident, $perf:ident, $errors:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        impl Api for $side {
            type Cache = $perf::cache::TtlCache<u8, u16, ClockHandle>;
            type Db = (tokio::runtime::Runtime, $perf::pool::Database);

            fn cache(capacity: usize, ttl: Duration, clock: Arc<SuiteClock>) -> Self::Cache {
                $perf::cache::TtlCache::new(capacity, ttl, ClockHandle(clock))
            }

            fn get(cache: &Self::Cache, key: u8) -> Option<u16> {
                cache.get(&key)
            }

            fn insert(cache: &Self::Cache, key: u8, value: u16) {
                cache.insert(key, value)
            }

            fn len(cache: &Self::Cache) -> usize {
                cache.len()
            }

            fn stampede(tasks: usize) -> (usize, Vec<Result<u16, String>>) {
                let cache = Arc::new(Self::cache(8, Duration::from_secs(60), Arc::default()));
                let loads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                let results = paused_runtime().block_on(async {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..tasks {
                        let (cache, loads) = (cache.clone(), loads.clone());
                        set.spawn(async move {
                            cache
                                .get_or_try_insert_with(7, || async move {
                                    loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                    tokio::time::sleep(Duration::from_millis(50)).await;
                                    Ok::<u16, String>(700)
                                })
                                .await
                        });
                    }
                    let mut out = Vec::new();
                    while let Some(joined) = set.join_next().await {
                        match joined {
                            Ok(result) => out.push(result),
                            // The learner's panic, with its own message.
                            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                            Err(e) => out.push(Err(format!("the task was cancelled: {e}"))),
                        }
                    }
                    out
                });
                (loads.load(std::sync::atomic::Ordering::SeqCst), results)
            }

            fn failed_load() -> (Result<u16, String>, Option<u16>, Result<u16, String>) {
                let cache = Self::cache(8, Duration::from_secs(60), Arc::default());
                paused_runtime().block_on(async {
                    let failed = cache
                        .get_or_try_insert_with(3, || async { Err::<u16, String>("down".into()) })
                        .await;
                    let after = cache.get(&3);
                    let loaded = cache
                        .get_or_try_insert_with(3, || async { Ok::<u16, String>(30) })
                        .await;
                    (failed, after, loaded)
                })
            }

            fn big_cache(n: u32) -> Box<dyn Fn(u32) -> Option<u32>> {
                let clock = Arc::new(SuiteClock::default());
                let cache = $perf::cache::TtlCache::new(
                    n as usize,
                    Duration::from_secs(3600),
                    ClockHandle(clock),
                );
                for k in 0..n {
                    cache.insert(k, k);
                }
                Box::new(move |k| cache.get(&k))
            }

            fn connect(
                url: &str,
                max: u32,
                statement_timeout: Duration,
            ) -> Result<Self::Db, String> {
                let rt = runtime();
                let config = $perf::pool::PoolConfig {
                    min_connections: 0,
                    max_connections: max,
                    acquire_timeout: Duration::from_secs(10),
                    statement_timeout,
                };
                let db = rt
                    .block_on($perf::pool::Database::connect(url, config))
                    .map_err(|e| e.to_string())?;
                Ok((rt, db))
            }

            fn query((rt, db): &Self::Db, sql: &str) -> Result<Rows, (&'static str, String)> {
                rt.block_on(db.query_read_only(sql))
                    .map(|r| {
                        (
                            r.columns
                                .into_iter()
                                .map(|c| (c.name, c.type_name))
                                .collect(),
                            r.rows,
                        )
                    })
                    .map_err(|e| (e.code().as_str(), e.message().to_owned()))
            }

            fn settings((rt, db): &Self::Db) -> Result<(String, String), String> {
                rt.block_on(async {
                    let mut conn = db.pool().acquire().await.map_err(|e| e.to_string())?;
                    let (timeout,): (String,) = sqlx::query_as("SHOW statement_timeout")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    let (read_only,): (String,) = sqlx::query_as("SHOW transaction_read_only")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok((timeout, read_only))
                })
            }

            fn batch(
                latency: &[u64],
                fails: &[bool],
                concurrency: usize,
                timeout: Option<Duration>,
            ) -> BatchRun {
                let jobs: Vec<_> = latency
                    .iter()
                    .zip(fails)
                    .enumerate()
                    .map(|(i, (&ms, &fail))| {
                        move || async move {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            if fail {
                                Err($errors::ToolError::new(
                                    $errors::ErrorCode::NotFound,
                                    "no such item",
                                ))
                            } else {
                                Ok(i as u64)
                            }
                        }
                    })
                    .collect();
                paused_runtime().block_on(async {
                    let start = tokio::time::Instant::now();
                    let results = $perf::batch::run_batch(jobs, concurrency, timeout).await;
                    let results = results
                        .into_iter()
                        .map(|r| r.map_err(|e| e.code().as_str()))
                        .collect();
                    (start.elapsed(), results)
                })
            }
        }
    };
}

grader_kit::both_sides!(
    performance_api,
    [lab_performance, lab_errors],
    [solution_performance, solution_errors]
);

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "performance",
        &[
            ("cache_agrees_with_a_model", cache_agrees_with_a_model::<S>),
            ("cache_loader_runs_once", cache_loader_runs_once::<S>),
            ("pool_rows_as_json", pool_rows_as_json::<S>),
            (
                "pool_refuses_writes_in_disguise",
                pool_refuses_writes_in_disguise::<S>,
            ),
            ("pool_cuts_slow_queries", pool_cuts_slow_queries::<S>),
            (
                "pool_connection_comes_back_clean",
                pool_connection_comes_back_clean::<S>,
            ),
            (
                "batch_is_concurrent_and_ordered",
                batch_is_concurrent_and_ordered::<S>,
            ),
            (
                "perf_cache_hit_is_constant_time",
                perf_cache_hit_is_constant_time::<S>,
            ),
        ],
    )
}

// ---------------------------------------------------------------- cache ----

/// The model: entries with (value, inserted at, last used), LRU by use.
#[derive(Default)]
struct Model {
    entries: BTreeMap<u8, (u16, Duration, u64)>,
    tick: u64,
}

fn cache_agrees_with_a_model<S: Api>() -> Outcome {
    let op = prop_oneof![
        3 => (0u8..12, any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0u8..12).prop_map(Op::Get),
        1 => (0u8..40).prop_map(Op::Advance),
    ];
    let case = (1usize..6, 1u64..60, prop::collection::vec(op, 1..60));
    property(256, case, |(capacity, ttl_s, ops)| {
        let ttl = Duration::from_secs(ttl_s);
        let clock = Arc::new(SuiteClock::default());
        let cache = S::cache(capacity, ttl, clock.clone());
        let mut model = Model::default();
        for (step, op) in ops.iter().enumerate() {
            model.tick += 1;
            let now = clock.now();
            match *op {
                Op::Advance(s) => clock.advance(Duration::from_secs(s.into())),
                Op::Insert(k, v) => {
                    S::insert(&cache, k, v);
                    if !model.entries.contains_key(&k) && model.entries.len() >= capacity {
                        let oldest = model
                            .entries
                            .iter()
                            .min_by_key(|(_, e)| e.2)
                            .map(|(k, _)| *k);
                        if let Some(oldest) = oldest {
                            model.entries.remove(&oldest);
                        }
                    }
                    model.entries.insert(k, (v, now, model.tick));
                }
                Op::Get(k) => {
                    let want = match model.entries.get(&k).copied() {
                        Some((_, at, _)) if now.saturating_sub(at) >= ttl => {
                            model.entries.remove(&k);
                            None
                        }
                        Some((v, at, _)) => {
                            model.entries.insert(k, (v, at, model.tick));
                            Some(v)
                        }
                        None => None,
                    };
                    let got = S::get(&cache, k);
                    ensure(got == want, || {
                        format!("step {step}: get({k}) gave {got:?}, the model says {want:?}")
                    })?;
                }
            }
            let len = S::len(&cache);
            ensure(len <= capacity, || {
                format!("step {step}: {len} entries in a cache of capacity {capacity}")
            })?;
        }
        Ok(())
    })
}

fn cache_loader_runs_once<S: Api>() -> Outcome {
    unit((|| {
        let (loads, results) = S::stampede(16);
        if loads != 1 {
            return Err(format!(
                "16 concurrent misses ran the loader {loads} times; it must run once"
            ));
        }
        if let Some(bad) = results.iter().find(|r| **r != Ok(700)) {
            return Err(format!("a task got {bad:?} instead of the loaded value"));
        }
        let (failed, after, loaded) = S::failed_load();
        if failed != Err("down".into()) || after.is_some() || loaded != Ok(30) {
            return Err(format!(
                "a failed load must be returned and not stored: got {failed:?}, then get gave {after:?}, then the next load gave {loaded:?}"
            ));
        }
        Ok("one loader for 16 concurrent misses; failures not stored".into())
    })())
}

// ----------------------------------------------------------------- pool ----

/// A scratch schema with a canary and a table of many types; the URL to
/// reach it; dropped when done.
fn with_scratch(run: impl FnOnce(&str) -> Outcome) -> Outcome {
    let url = match db::child_url() {
        Ok(url) => url,
        Err(reason) => return Outcome::skip(reason),
    };
    let rt = runtime();
    let scratch = match rt.block_on(db::Scratch::create(&url)) {
        Ok(s) => s,
        Err(e) => return Outcome::skip(format!("no scratch schema for this check: {e}")),
    };
    let setup = "CREATE TABLE canary (id serial PRIMARY KEY, v text NOT NULL);
         INSERT INTO canary (v) VALUES ('a'), ('b'), ('c');
         CREATE TABLE typed (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, num numeric(12, 3), t text,
             vc varchar(10), b bool, ts timestamptz, tsz timestamp, d date, j json, jb jsonb, arr int4[],
             tarr text[], u uuid);
         INSERT INTO typed VALUES (-2, 40000, 9000000000, 1.5, 2.25, -1234.5, 'text', 'vc', true,
             '2026-03-04T05:06:07.123456Z', '2026-03-04T05:06:07', '2026-03-04', '{\"a\": [1, 2]}', '{\"b\": null}',
             ARRAY[1, 2, 3], ARRAY['x', 'y'], '123e4567-e89b-12d3-a456-426614174000'),
             (NULL, NULL, NULL, NULL, NULL, 0.001, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, ARRAY[]::int4[], NULL, NULL);";
    let mut scratch = scratch;
    let created = rt.block_on(sqlx::raw_sql(setup).execute(&mut scratch.conn));
    let outcome = match created {
        // The role's default search_path is the scratch schema.
        Ok(_) => run(&url),
        Err(e) => Outcome::skip(format!("cannot create the check's tables: {e}")),
    };
    if let Err(e) = rt.block_on(scratch.drop_all(&url)) {
        eprintln!("warning: {e}");
    }
    outcome
}

fn pool_rows_as_json<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let sql = "SELECT * FROM typed ORDER BY i2 NULLS LAST";
            let learner = S::connect(url, 2, Duration::from_secs(5))?;
            let reference = Reference::connect(url, 2, Duration::from_secs(5))?;
            let got = S::query(&learner, sql).map_err(|e| format!("the query failed: {e:?}"))?;
            let want =
                Reference::query(&reference, sql).map_err(|e| format!("grader bug: {e:?}"))?;
            if got.0 != want.0 {
                return Err(format!("columns are {:?}, expected {:?}", got.0, want.0));
            }
            if got.1 != want.1 {
                return Err(format!("rows are {:?}, expected {:?}", got.1, want.1));
            }
            Ok("17 column types, values and nulls".into())
        })())
    })
}

fn pool_refuses_writes_in_disguise<S: Api>() -> Outcome {
    with_scratch(|url| {
        let db = match S::connect(url, 2, Duration::from_secs(5)) {
            Ok(db) => db,
            Err(e) => return Outcome::fail(format!("Database::connect failed: {e}")),
        };
        property(64, generate::sql(generate::disguised_write()), |sql| {
            let result = S::query(&db, &sql);
            let canary = S::query(
                &db,
                "SELECT string_agg(v, ',' ORDER BY id) AS vs FROM canary",
            );
            let intact = matches!(&canary, Ok((_, rows)) if rows.first().and_then(|r| r.first()) == Some(&Value::from("a,b,c")));
            ensure(intact, || {
                format!("the canary changed: it now reads {canary:?}")
            })?;
            ensure(result.is_err(), || "a write ran without an error".into())
        })
    })
}

fn pool_cuts_slow_queries<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let db = S::connect(url, 2, Duration::from_millis(300))?;
            let start = Instant::now();
            let result = S::query(&db, "SELECT pg_sleep(4)");
            let took = start.elapsed();
            match result {
                Err(("TIMEOUT", _)) if took < Duration::from_secs(3) => {
                    Ok(format!("cut after {took:?}"))
                }
                Err(("TIMEOUT", _)) => Err(format!(
                    "TIMEOUT came only after {took:?} for a 300 ms limit"
                )),
                other => Err(format!(
                    "a 4 s sleep with a 300 ms limit gave {other:?} after {took:?}, expected TIMEOUT"
                )),
            }
        })())
    })
}

fn pool_connection_comes_back_clean<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let db = S::connect(url, 1, Duration::from_millis(300))?;
            let fresh = S::settings(&db)?;
            let _ = S::query(&db, "SELECT 1 AS one");
            let _ = S::query(&db, "DELETE FROM canary");
            let _ = S::query(&db, "SELECT pg_sleep(2)");
            let _ = S::query(&db, "SELECT 1; SELECT 2");
            let after = S::settings(&db)?;
            if after != fresh {
                return Err(format!(
                    "after a few queries the pool's connection has (statement_timeout, transaction_read_only) = {after:?}; a fresh one has {fresh:?}"
                ));
            }
            Ok("no statement_timeout or transaction left over".into())
        })())
    })
}

// ---------------------------------------------------------------- batch ----

/// When each job ends if jobs start in order on the first free of `c`
/// workers: the batch's elapsed time.
fn schedule(durations: &[Duration], concurrency: usize) -> Duration {
    let mut free: BinaryHeap<Reverse<Duration>> = (0..concurrency.max(1))
        .map(|_| Reverse(Duration::ZERO))
        .collect();
    let mut end = Duration::ZERO;
    for d in durations {
        let Reverse(start) = free.pop().expect("a worker");
        end = end.max(start + *d);
        free.push(Reverse(start + *d));
    }
    end
}

fn batch_is_concurrent_and_ordered<S: Api>() -> Outcome {
    let case = (1usize..20, 0usize..7, 1u64..400, any::<bool>()).prop_flat_map(
        |(n, c, latency, timeouts)| {
            (
                Just(c),
                Just(latency),
                Just(timeouts),
                prop::collection::vec(any::<bool>(), n),
                prop::collection::vec(prop::bool::weighted(0.2), n),
            )
        },
    );
    property(192, case, |(c, latency, timeouts, fails, slow)| {
        let lat: Vec<u64> = slow
            .iter()
            .map(|&s| if s { latency * 10 } else { latency })
            .collect();
        let limit = timeouts.then(|| Duration::from_millis(latency * 2));
        let (elapsed, results) = S::batch(&lat, &fails, c, limit);
        let durations: Vec<Duration> = lat
            .iter()
            .map(|&ms| {
                let d = Duration::from_millis(ms);
                limit.map_or(d, |l| d.min(l))
            })
            .collect();
        let want = schedule(&durations, c);
        ensure(elapsed == want, || {
            format!(
                "{} jobs at concurrency {c} took {elapsed:?}; with {} at a time they take {want:?}",
                lat.len(),
                c.max(1)
            )
        })?;
        ensure(results.len() == lat.len(), || {
            format!("{} results for {} jobs", results.len(), lat.len())
        })?;
        for (i, r) in results.iter().enumerate() {
            let timed_out = limit.is_some_and(|l| Duration::from_millis(lat[i]) > l);
            let expected = if timed_out {
                Err("TIMEOUT")
            } else if fails[i] {
                Err("NOT_FOUND")
            } else {
                Ok(i as u64)
            };
            ensure(*r == expected, || {
                format!("slot {i} holds {r:?}, expected {expected:?}")
            })?;
        }
        Ok(())
    })
}

// ----------------------------------------------------------------- perf ----

fn perf_cache_hit_is_constant_time<S: Api>() -> Outcome {
    const N: u32 = 100_000;
    let learner = S::big_cache(N);
    let reference = Reference::big_cache(N);
    if learner(N / 2) != Some(N / 2) {
        return Outcome::fail(
            "a key inserted into a 100,000-entry cache is not found; fix the cache first",
        );
    }
    let (mut a, mut b) = (0u32, 0u32);
    ratio_at_most(
        5.0,
        "a cache hit at 100,000 entries",
        || {
            a = (a + 7919) % N;
            learner(a)
        },
        || {
            b = (b + 7919) % N;
            reference(b)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference passes every check that needs no database.
    #[test]
    fn the_reference_passes_every_check() {
        let checks = suite::<Reference>()
            .into_iter()
            .filter(|c| c.info.kind != grader_kit::Kind::Database)
            .collect();
        grader_kit::assert_all_pass(checks);
    }
}
