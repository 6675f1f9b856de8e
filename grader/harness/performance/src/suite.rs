//! The hidden suite of lab 3 (performance).
//!
//! Written once, generic over [`Api`], for the learner's `lab-performance`
//! and the reference. The cache runs on the suite's manual clock, its
//! loader and the batch on tokio's paused clock, the pool on a real
//! PostgreSQL in a scratch schema (with the paused clock again where a
//! wait for a free connection is timed).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;

use grader_kit::child::tick;
use grader_kit::clock::SuiteClock;
use grader_kit::db;
use grader_kit::guarded;
use grader_kit::perf::ratio_at_most;
use grader_kit::prop::{property, with_named_cases};
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::security_gen as generate;
use grader_kit::{Check, Outcome, unit};
use grader_kit::{paused_runtime, runtime};

grader_kit::clock_handle!(lab_security, solution_security);

// ---------------------------------------------------------------- types ----

/// A cache operation, as a counterexample shows it.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// `insert(key, value)`.
    Insert {
        /// The key.
        key: u8,
        /// The value.
        value: u16,
    },
    /// `get(key)`.
    Get {
        /// The key.
        key: u8,
    },
    /// Moves the clock forward.
    Advance {
        /// By this many milliseconds.
        ms: u64,
    },
}

/// A cache and what is done to it.
#[derive(Debug, Clone)]
pub struct CacheCase {
    /// `TtlCache::new`'s capacity.
    pub capacity: usize,
    /// Its TTL, in milliseconds.
    pub ttl_ms: u64,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

/// A cache key that counts its live copies. The cache keeps two per
/// stored entry (its index and its node); any other copy left once every
/// call has returned is a gate `loading` kept.
#[derive(Debug)]
pub struct Key {
    id: u8,
    live: Arc<AtomicUsize>,
}

impl Key {
    fn new(id: u8, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            live: Arc::clone(live),
        }
    }
}

impl Clone for Key {
    fn clone(&self) -> Self {
        Self::new(self.id, &self.live)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// A boxed future the suite can pass across the [`Api`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A loader handed to `get_or_try_insert_with`.
pub type Loader = Box<dyn FnOnce() -> BoxFuture<Result<u16, String>> + Send>;

/// An error as the suite compares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `code().as_str()`.
    pub code: &'static str,
    /// `message()`.
    pub message: String,
    /// `details()`.
    pub details: Option<Value>,
}

/// Rows as the suite compares them: (name, type) columns and JSON rows.
pub type Rows = (Vec<(String, String)>, Vec<Vec<Value>>);

/// A pool's configuration, as `PoolConfig` holds it.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// `min_connections`.
    pub min: u32,
    /// `max_connections`.
    pub max: u32,
    /// `acquire_timeout`.
    pub acquire_timeout: Duration,
    /// `statement_timeout`.
    pub statement_timeout: Duration,
}

impl Config {
    /// At most `max` connections, none kept idle, 10 s to get one.
    fn new(max: u32, statement_timeout: Duration) -> Self {
        Self {
            min: 0,
            max,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout,
        }
    }
}

/// How a batch job ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `Ok(i)`, its index.
    Ok,
    /// `Err` of a NOT_FOUND "no such item".
    Fails,
    /// A panic.
    Panics,
}

/// One batch job: it sleeps `ms`, then ends as `ends` says.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// How long it takes, in milliseconds.
    pub ms: u64,
    /// How it ends.
    pub ends: End,
}

/// A call of `run_batch`.
#[derive(Debug, Clone)]
pub struct BatchCase {
    /// `concurrency`.
    pub concurrency: usize,
    /// `per_job_timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The jobs, in order.
    pub jobs: Vec<Job>,
}

/// What a batch run produced, on the paused clock.
#[derive(Debug)]
pub struct BatchRun {
    /// The virtual time `run_batch` took; `None` if it had not returned
    /// after an hour.
    pub elapsed: Option<Duration>,
    /// When each job was called (`job()`), from the start of the batch.
    pub called: Vec<Option<Duration>>,
    /// Its result: `Ok(i)` or the error.
    pub results: Vec<Result<u64, Failure>>,
}

/// The lab's API as the suite sees it, implemented for both crates.
pub trait Api: 'static {
    /// A cache of `u8` keys and `u16` values on the suite's clock.
    type Cache: Send + Sync;
    /// A cache of counted keys for the loader checks (a TTL of an hour on
    /// a clock that does not move).
    type Loading: Send + Sync + 'static;
    /// A connected pool and the runtime it lives on.
    type Db;
    /// `TtlCache::new`.
    fn cache(capacity: usize, ttl: Duration, clock: Arc<SuiteClock>) -> Self::Cache;
    /// `get`.
    fn get(cache: &Self::Cache, key: u8) -> Option<u16>;
    /// `insert`.
    fn insert(cache: &Self::Cache, key: u8, value: u16);
    /// `len`.
    fn len(cache: &Self::Cache) -> usize;
    /// A cache for the loader checks.
    fn loading(capacity: usize) -> Arc<Self::Loading>;
    /// `get_or_try_insert_with`.
    fn load(cache: Arc<Self::Loading>, key: Key, load: Loader) -> BoxFuture<Result<u16, String>>;
    /// `get` on a loader cache.
    fn peek(cache: &Self::Loading, key: Key) -> Option<u16>;
    /// `insert` on a loader cache.
    fn put(cache: &Self::Loading, key: Key, value: u16);
    /// `len` of a loader cache.
    fn loading_len(cache: &Self::Loading) -> usize;
    /// A big cache for the perf check: keys `0..n`.
    fn big_cache(n: u32) -> Box<dyn Fn(u32) -> Option<u32>>;
    /// `Database::connect`.
    fn connect(url: &str, config: Config) -> Result<Self::Db, Failure>;
    /// The pool `Database::pool` returns.
    fn pool(db: &Self::Db) -> &sqlx::PgPool;
    /// `query_read_only`.
    fn query(db: &Self::Db, sql: &str) -> Result<Rows, Failure>;
    /// A connection from the pool: (`statement_timeout`, `transaction_read_only`).
    fn settings(db: &Self::Db) -> Result<(String, String), String>;
    /// Takes `hold` connections from the pool and keeps them; then, on the
    /// paused clock, `query_read_only` and the virtual time it took (`None`
    /// if it had not returned after a minute).
    fn query_when_busy(
        db: &Self::Db,
        hold: u32,
    ) -> Result<(Option<Duration>, Result<Rows, Failure>), String>;
    /// `pool::query_once`.
    fn query_once(url: &str, statement_timeout: Duration, sql: &str) -> Result<Rows, Failure>;
    /// `run_batch` on a paused clock.
    fn batch(case: &BatchCase) -> BatchRun;
    /// What this side's `with_timeout(&format!("job {i}"), limit, ...)`
    /// returns for work that never ends.
    fn timeout_error(i: usize, limit: Duration) -> Failure;
}

macro_rules! performance_api {
    ($side:ident, $perf:ident, $errors:ident) => {
        /// One side's implementation of the suite's view of the lab.
        pub struct $side;

        fn failure(e: &$errors::ToolError) -> Failure {
            Failure {
                code: e.code().as_str(),
                message: e.message().to_owned(),
                details: e.details().cloned(),
            }
        }

        fn rows(r: $perf::pool::QueryRows) -> Rows {
            (
                r.columns
                    .into_iter()
                    .map(|c| (c.name, c.type_name))
                    .collect(),
                r.rows,
            )
        }

        impl Api for $side {
            type Cache = $perf::cache::TtlCache<u8, u16, ClockHandle>;
            type Loading = $perf::cache::TtlCache<Key, u16, ClockHandle>;
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

            fn loading(capacity: usize) -> Arc<Self::Loading> {
                Arc::new($perf::cache::TtlCache::new(
                    capacity,
                    Duration::from_secs(3600),
                    ClockHandle(Arc::default()),
                ))
            }

            fn load(
                cache: Arc<Self::Loading>,
                key: Key,
                load: Loader,
            ) -> BoxFuture<Result<u16, String>> {
                Box::pin(async move { cache.get_or_try_insert_with(key, load).await })
            }

            fn peek(cache: &Self::Loading, key: Key) -> Option<u16> {
                cache.get(&key)
            }

            fn put(cache: &Self::Loading, key: Key, value: u16) {
                cache.insert(key, value)
            }

            fn loading_len(cache: &Self::Loading) -> usize {
                cache.len()
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

            fn connect(url: &str, config: Config) -> Result<Self::Db, Failure> {
                let rt = runtime();
                let config = $perf::pool::PoolConfig {
                    min_connections: config.min,
                    max_connections: config.max,
                    acquire_timeout: config.acquire_timeout,
                    statement_timeout: config.statement_timeout,
                };
                let db = rt
                    .block_on($perf::pool::Database::connect(url, config))
                    .map_err(|e| failure(&e))?;
                Ok((rt, db))
            }

            fn pool((_, db): &Self::Db) -> &sqlx::PgPool {
                db.pool()
            }

            fn query((rt, db): &Self::Db, sql: &str) -> Result<Rows, Failure> {
                rt.block_on(db.query_read_only(sql))
                    .map(rows)
                    .map_err(|e| failure(&e))
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

            fn query_when_busy(
                (rt, db): &Self::Db,
                hold: u32,
            ) -> Result<(Option<Duration>, Result<Rows, Failure>), String> {
                rt.block_on(async {
                    let mut held = Vec::new();
                    for _ in 0..hold {
                        let conn =
                            tokio::time::timeout(Duration::from_secs(10), db.pool().acquire())
                                .await
                                .map_err(|_| "no connection from the pool within 10 s".to_owned())?
                                .map_err(|e| {
                                    format!("cannot take a connection from the pool: {e}")
                                })?;
                        held.push(conn);
                    }
                    // Every connection is taken: the query can only wait, and
                    // on the paused clock its wait ends at its exact timeout.
                    tokio::time::pause();
                    let start = tokio::time::Instant::now();
                    let result = tokio::time::timeout(
                        Duration::from_secs(60),
                        db.query_read_only("SELECT 1 AS one"),
                    )
                    .await;
                    let took = start.elapsed();
                    tokio::time::resume();
                    drop(held);
                    Ok(match result {
                        Ok(result) => (Some(took), result.map(rows).map_err(|e| failure(&e))),
                        Err(_) => (
                            None,
                            Err(Failure {
                                code: "(none)",
                                message: "still waiting after 60 s".into(),
                                details: None,
                            }),
                        ),
                    })
                })
            }

            fn query_once(
                url: &str,
                statement_timeout: Duration,
                sql: &str,
            ) -> Result<Rows, Failure> {
                runtime()
                    .block_on($perf::pool::query_once(url, statement_timeout, sql))
                    .map(rows)
                    .map_err(|e| failure(&e))
            }

            fn batch(case: &BatchCase) -> BatchRun {
                let limit = case.timeout_ms.map(Duration::from_millis);
                let called: Arc<Mutex<Vec<Option<Duration>>>> =
                    Arc::new(Mutex::new(vec![None; case.jobs.len()]));
                paused_runtime().block_on(async {
                    let start = tokio::time::Instant::now();
                    let jobs: Vec<_> = case
                        .jobs
                        .iter()
                        .enumerate()
                        .map(|(i, job)| {
                            let (ms, ends, called) = (job.ms, job.ends, Arc::clone(&called));
                            move || {
                                called.lock().unwrap_or_else(PoisonError::into_inner)[i] =
                                    Some(start.elapsed());
                                async move {
                                    tokio::time::sleep(Duration::from_millis(ms)).await;
                                    match ends {
                                        End::Ok => Ok(i as u64),
                                        End::Fails => Err($errors::ToolError::new(
                                            $errors::ErrorCode::NotFound,
                                            "no such item",
                                        )),
                                        End::Panics => panic!("job {i} panics, as the suite asked"),
                                    }
                                }
                            }
                        })
                        .collect();
                    let finished = tokio::time::timeout(
                        Duration::from_secs(3600),
                        $perf::batch::run_batch(jobs, case.concurrency, limit),
                    )
                    .await;
                    let elapsed = start.elapsed();
                    let called = called
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    match finished {
                        Ok(results) => BatchRun {
                            elapsed: Some(elapsed),
                            called,
                            results: results
                                .into_iter()
                                .map(|r| r.map_err(|e| failure(&e)))
                                .collect(),
                        },
                        Err(_) => BatchRun {
                            elapsed: None,
                            called,
                            results: Vec::new(),
                        },
                    }
                })
            }

            fn timeout_error(i: usize, limit: Duration) -> Failure {
                let never = std::future::pending::<Result<u64, $errors::ToolError>>();
                match paused_runtime().block_on($errors::timeout::with_timeout(
                    &format!("job {i}"),
                    limit,
                    never,
                )) {
                    Err(e) => failure(&e),
                    Ok(_) => Failure {
                        code: "(none)",
                        message: "with_timeout returned Ok for work that never ends".into(),
                        details: None,
                    },
                }
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
            ("cache_loader_gates", cache_loader_gates::<S>),
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
            ("pool_follows_its_config", pool_follows_its_config::<S>),
            ("pool_query_once", pool_query_once::<S>),
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

fn ms(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1000) {
        format!("{} ms", micros / 1000)
    } else {
        format!("{d:?}")
    }
}

// ---------------------------------------------------------------- cache ----

/// One entry of the model.
#[derive(Debug, Clone, Copy)]
struct Entry {
    value: u16,
    /// Its insertion time (the last insert of the key).
    inserted: Duration,
    /// When the key was inserted while absent (an update keeps it).
    first_inserted: Duration,
    /// The step of its last use, for recency.
    used: usize,
    /// Whether a get hit it since its insertion.
    read: bool,
}

fn cache_case() -> impl Strategy<Value = CacheCase> {
    let capacity = prop_oneof![1 => Just(0usize), 2 => Just(1usize), 5 => 2usize..6];
    let ttl = prop_oneof![1 => Just(1u64), 4 => 2u64..5_000];
    (capacity, ttl).prop_flat_map(|(capacity, ttl_ms)| {
        let advance = prop_oneof![
            3 => Just(ttl_ms),
            2 => Just(ttl_ms - 1),
            1 => Just(ttl_ms + 1),
            2 => 0..ttl_ms,
            1 => 0..3 * ttl_ms,
        ]
        .prop_map(|ms| Op::Advance { ms });
        let op = prop_oneof![
            3 => (0u8..8, any::<u16>()).prop_map(|(key, value)| Op::Insert { key, value }),
            3 => (0u8..8).prop_map(|key| Op::Get { key }),
            2 => advance,
        ];
        prop::collection::vec(op, 1..60).prop_map(move |ops| CacheCase {
            capacity,
            ttl_ms,
            ops,
        })
    })
}

/// Fails the case naming `rule` unless `condition` holds. When the rule is
/// set aside the case ends here: the cache and the model no longer agree,
/// so later steps would blame other rules for this one.
macro_rules! diverge {
    ($rule:literal, $condition:expr, $message:expr) => {
        if !$condition {
            ensure_rule($rule, false, $message)?;
            return Ok(());
        }
    };
}

/// Tests the rules of Expiry, `get`, `insert` and `len`: generated
/// sequences of inserts, gets and clock moves (landing on the TTL, one
/// millisecond before and after it) run against a model of an LRU cache
/// with expiry; each get must return what the model holds, and `len`
/// must equal the model's count after every step. Capacities 0 and 1 are
/// generated often.
fn cache_agrees_with_a_model<S: Api>() -> Outcome {
    // Capacity 2, TTL 10 ms: `a` (0) at 0 ms, `b` (1) at 5 ms, `a` read at
    // 6 ms, `c` (2) at 10 ms, when `a` has just expired and `b` is the
    // least recently used: `b` is evicted, not the expired `a`.
    let expired_is_not_evicted_first = CacheCase {
        capacity: 2,
        ttl_ms: 10,
        ops: vec![
            Op::Insert { key: 0, value: 1 },
            Op::Advance { ms: 5 },
            Op::Insert { key: 1, value: 2 },
            Op::Advance { ms: 1 },
            Op::Get { key: 0 },
            Op::Advance { ms: 4 },
            Op::Insert { key: 2, value: 3 },
            Op::Get { key: 1 },
            Op::Get { key: 2 },
        ],
    };
    with_named_cases(
        vec![expired_is_not_evicted_first],
        256,
        cache_case(),
        cache_agrees_on::<S>,
    )
}

/// One case of [`cache_agrees_with_a_model`]: the cache and the model run
/// the same operations.
fn cache_agrees_on<S: Api>(case: CacheCase) -> Result<(), TestCaseError> {
    let CacheCase {
        capacity,
        ttl_ms,
        ref ops,
    } = case;
    let ttl = Duration::from_millis(ttl_ms);
    let clock = Arc::new(SuiteClock::default());
    let cache = S::cache(capacity, ttl, clock.clone());
    let mut model: BTreeMap<u8, Entry> = BTreeMap::new();
    for (step, op) in ops.iter().enumerate() {
        let now = clock.now();
        let before = model.len();
        let mut expired_removed = false;
        let mut updated = false;
        match *op {
            Op::Advance { ms } => clock.advance(Duration::from_millis(ms)),
            Op::Insert { key, value } => {
                let done = if capacity == 0 {
                    guarded(|| S::insert(&cache, key, value))
                } else {
                    S::insert(&cache, key, value);
                    Ok(())
                };
                diverge!("capacity-zero-stores-nothing", done.is_ok(), || format!(
                    "step {step}: insert({key}, {value}) in a cache of capacity 0 {}",
                    done.clone().err().unwrap_or_default()
                ));
                if capacity == 0 {
                    // Stores nothing.
                } else if let Some(e) = model.get_mut(&key) {
                    updated = true;
                    *e = Entry {
                        value,
                        inserted: now,
                        used: step,
                        read: false,
                        ..*e
                    };
                } else {
                    if model.len() >= capacity {
                        let oldest = model.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| *k);
                        if let Some(oldest) = oldest {
                            model.remove(&oldest);
                        }
                    }
                    model.insert(
                        key,
                        Entry {
                            value,
                            inserted: now,
                            first_inserted: now,
                            used: step,
                            read: false,
                        },
                    );
                }
            }
            Op::Get { key } => {
                let got = if capacity == 0 {
                    guarded(|| S::get(&cache, key)).unwrap_or(None)
                } else {
                    S::get(&cache, key)
                };
                let at = format!("step {step}: get({key}) at {}", ms(now));
                match model.get(&key).copied() {
                    Some(e) if now - e.inserted >= ttl => {
                        expired_removed = true;
                        model.remove(&key);
                        let why = format!(
                            "it was inserted at {} with a TTL of {}, so it expired at {}",
                            ms(e.inserted),
                            ms(ttl),
                            ms(e.inserted + ttl)
                        );
                        let message = || format!("{at} gave {got:?}, expected None: {why}");
                        if now - e.inserted == ttl || !e.read {
                            diverge!("expired-at-ttl", got.is_none(), message);
                        } else {
                            diverge!("hit-keeps-ttl", got.is_none(), || format!(
                                "{at} gave {got:?}, expected None: {why}; reading it since does not extend its life"
                            ));
                        }
                    }
                    Some(e) => {
                        let want = Some(e.value);
                        let message = || {
                            format!(
                                "{at} gave {got:?}, expected {want:?}: it was inserted at {} (first at {}) and not evicted",
                                ms(e.inserted),
                                ms(e.first_inserted)
                            )
                        };
                        let stale_stamp =
                            e.first_inserted != e.inserted && now - e.first_inserted >= ttl;
                        if got.is_some() || stale_stamp {
                            diverge!("update-in-place", got == want, message);
                        } else {
                            diverge!("evict-least-recent", got == want, message);
                        }
                        model.insert(
                            key,
                            Entry {
                                used: step,
                                read: true,
                                ..e
                            },
                        );
                    }
                    None if capacity == 0 => {
                        diverge!("capacity-zero-stores-nothing", got.is_none(), || {
                            format!("{at} gave {got:?} in a cache of capacity 0")
                        });
                    }
                    None => {
                        diverge!("evict-least-recent", got.is_none(), || {
                            format!(
                                "{at} gave {got:?}, expected None: the key was evicted or never inserted"
                            )
                        });
                    }
                }
            }
        }
        let len = S::len(&cache);
        let want = model.len();
        let message = || {
            format!(
                "after step {step} ({op:?}) len() is {len}, expected {want} (capacity {capacity}, {before} before the step)"
            )
        };
        if len == want {
            continue;
        }
        match *op {
            _ if capacity == 0 => diverge!("capacity-zero-stores-nothing", false, message),
            _ if len > capacity => diverge!("evict-least-recent", false, message),
            Op::Get { .. } if expired_removed && len > want => {
                diverge!("expired-get-removes", false, message)
            }
            Op::Insert { .. } if updated => diverge!("update-in-place", false, message),
            Op::Insert { .. } => diverge!("evict-least-recent", false, message),
            _ => diverge!("len-counts-stored", false, message),
        }
    }
    Ok(())
}

/// Loader calls counted, with the most that ran at once.
#[derive(Default)]
struct Loads {
    calls: AtomicUsize,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
}

impl Loads {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn most_at_once(&self) -> usize {
        self.most_at_once.load(Ordering::SeqCst)
    }
}

/// A loader that takes `ms` and returns `result(n)` for its `n`th call
/// (from 1) among those sharing `loads`.
fn loader(loads: &Arc<Loads>, ms: u64, result: fn(usize) -> Result<u16, String>) -> Loader {
    let loads = Arc::clone(loads);
    Box::new(move || {
        Box::pin(async move {
            let n = loads.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let running = loads.running.fetch_add(1, Ordering::SeqCst) + 1;
            loads.most_at_once.fetch_max(running, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            loads.running.fetch_sub(1, Ordering::SeqCst);
            result(n)
        })
    })
}

/// What a scenario's step does.
enum Does {
    /// `get_or_try_insert_with(key, loader)`.
    Load(Loader),
    /// `insert(key, value)`.
    Put(u16),
}

/// A step of a loader scenario: at `at_ms`, on `key`.
struct Step {
    at_ms: u64,
    key: u8,
    does: Does,
}

fn load_at(at_ms: u64, key: u8, load: Loader) -> Step {
    Step {
        at_ms,
        key,
        does: Does::Load(load),
    }
}

/// Runs `steps` at once on the paused clock, each in a task that starts at
/// its time; returns each step's result and when it returned (in ms from
/// the start), in step order. A `Put` returns `Ok(value)`.
fn run_steps<S: Api>(
    cache: &Arc<S::Loading>,
    live: &Arc<AtomicUsize>,
    steps: Vec<Step>,
) -> Vec<(Result<u16, String>, u64)> {
    paused_runtime().block_on(async {
        let start = tokio::time::Instant::now();
        let mut set = tokio::task::JoinSet::new();
        let count = steps.len();
        for (i, step) in steps.into_iter().enumerate() {
            let cache = Arc::clone(cache);
            let key = Key::new(step.key, live);
            set.spawn(async move {
                if step.at_ms > 0 {
                    tokio::time::sleep_until(start + Duration::from_millis(step.at_ms)).await;
                }
                let result = match step.does {
                    Does::Load(load) => S::load(cache, key, load).await,
                    Does::Put(value) => {
                        S::put(&cache, key, value);
                        Ok(value)
                    }
                };
                (i, result, start.elapsed().as_millis() as u64)
            });
        }
        let mut out: Vec<(Result<u16, String>, u64)> =
            (0..count).map(|_| (Err("no result".into()), 0)).collect();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, result, at)) => out[i] = (result, at),
                // The learner's panic, with its own message.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("a task was cancelled: {e}"),
            }
        }
        out
    })
}

/// Tests `get_or_try_insert_with`'s rules on one key: 16 concurrent misses
/// run one loader and all get its value; a failed load is returned, not
/// stored, and the next call loads again; a loaded value is stored, so a
/// later call returns it without loading; with a capacity of 0 every
/// caller runs its own load. On tokio's paused clock.
fn cache_loader_runs_once<S: Api>() -> Outcome {
    unit((|| {
        let live = Arc::new(AtomicUsize::new(0));
        let cache = S::loading(8);
        let loads = Arc::new(Loads::default());
        let steps = (0..16)
            .map(|_| load_at(0, 7, loader(&loads, 50, |_| Ok(700))))
            .collect();
        let results = run_steps::<S>(&cache, &live, steps);
        let n = loads.calls();
        check_rule("one-loader-per-key", n == 1, || {
            format!("16 concurrent misses on one key ran the loader {n} times; it must run once")
        })?;
        let bad = results.iter().find(|(r, _)| *r != Ok(700));
        check_rule("one-loader-per-key", bad.is_none(), || {
            format!(
                "a caller got {:?} instead of the loaded value Ok(700)",
                bad.map(|b| &b.0)
            )
        })?;

        let cache = S::loading(8);
        let loads = Arc::new(Loads::default());
        let failed = run_steps::<S>(
            &cache,
            &live,
            vec![load_at(0, 3, loader(&loads, 10, |_| Err("down".into())))],
        );
        let after = S::peek(&cache, Key::new(3, &live));
        check_rule(
            "failure-not-stored",
            failed[0].0 == Err("down".into()) && after.is_none(),
            || {
                format!(
                    "a load that failed with \"down\" gave {:?}, and get then gave {after:?}; the error must be returned and nothing stored",
                    failed[0].0
                )
            },
        )?;
        let loaded = run_steps::<S>(
            &cache,
            &live,
            vec![load_at(0, 3, loader(&loads, 10, |_| Ok(30)))],
        );
        check_rule("failure-not-stored", loaded[0].0 == Ok(30), || {
            format!(
                "after a failed load, the next call (its loader gives Ok(30)) gave {:?}",
                loaded[0].0
            )
        })?;
        let stored = S::peek(&cache, Key::new(3, &live));
        let before = loads.calls();
        let again = run_steps::<S>(
            &cache,
            &live,
            vec![load_at(0, 3, loader(&loads, 10, |_| Ok(31)))],
        );
        check_rule(
            "loaded-value-stored",
            stored == Some(30) && again[0].0 == Ok(30) && loads.calls() == before,
            || {
                format!(
                    "after a load of Ok(30), get gave {stored:?} and the next call gave {:?} ({} more loader calls); the value must be stored and returned without loading",
                    again[0].0,
                    loads.calls() - before
                )
            },
        )?;

        let cache = S::loading(0);
        let loads = Arc::new(Loads::default());
        let steps = (0..4)
            .map(|_| load_at(0, 9, loader(&loads, 50, |n| Ok(90 + n as u16))))
            .collect();
        let results = run_steps::<S>(&cache, &live, steps);
        let mut values: Vec<_> = results.iter().map(|(r, _)| r.clone()).collect();
        values.sort();
        let want: Vec<Result<u16, String>> = (91..=94).map(Ok).collect();
        check_rule(
            "capacity-zero-loads-each",
            loads.calls() == 4 && values == want,
            || {
                format!(
                    "4 concurrent calls on a cache of capacity 0 ran the loader {} times and got {values:?}; each must run its own load and get its value",
                    loads.calls()
                )
            },
        )?;
        Ok("one loader for 16 concurrent misses; failures returned and not stored; capacity 0 loads each time".into())
    })())
}

/// Tests the gates of `get_or_try_insert_with`, on tokio's paused clock:
/// a hit returns at once, even while another caller loads that key; misses
/// on different keys do not wait for each other; after a failed load the
/// waiters load one at a time, and a caller arriving during that joins the
/// same gate (so never two loads of a key at once); and once every call
/// has returned, `loading` holds no gate (counted through the copies of
/// the key that remain beyond the two each stored entry keeps).
fn cache_loader_gates<S: Api>() -> Outcome {
    unit((|| {
        let live = Arc::new(AtomicUsize::new(0));
        let cache = S::loading(8);

        // A loads key 7 for 100 ms; at 10 ms the key is inserted; at 20 ms
        // B finds it.
        let (a, b) = (Arc::new(Loads::default()), Arc::new(Loads::default()));
        let results = run_steps::<S>(
            &cache,
            &live,
            vec![
                load_at(0, 7, loader(&a, 100, |_| Ok(1))),
                Step {
                    at_ms: 10,
                    key: 7,
                    does: Does::Put(2),
                },
                load_at(20, 7, loader(&b, 100, |_| Ok(3))),
            ],
        );
        let (got, at) = results[2].clone();
        check_rule(
            "hit-returns-at-once",
            got == Ok(2) && at == 20 && b.calls() == 0,
            || {
                format!(
                    "key 7 was inserted with 2 at 10 ms while another caller was loading it; a call at 20 ms gave {got:?} at {at} ms (its loader ran {} times); a hit returns at once, with no gate and no load",
                    b.calls()
                )
            },
        )?;

        // Keys 1 and 2, each loaded for 100 ms, at once.
        let loads = Arc::new(Loads::default());
        let results = run_steps::<S>(
            &cache,
            &live,
            vec![
                load_at(0, 1, loader(&loads, 100, |_| Ok(10))),
                load_at(0, 2, loader(&loads, 100, |_| Ok(20))),
            ],
        );
        let ends: Vec<u64> = results.iter().map(|r| r.1).collect();
        check_rule("keys-independent", ends == [100, 100], || {
            format!(
                "two misses on different keys, each loading for 100 ms, returned at {ends:?} ms; they must not wait for each other"
            )
        })?;

        // Key 5: three callers at 0 ms and one at 60 ms; the first load
        // fails, the next ones succeed; each takes 50 ms.
        let loads = Arc::new(Loads::default());
        let result = |n: usize| {
            if n == 1 {
                Err("down".into())
            } else {
                Ok(20 + n as u16)
            }
        };
        let results = run_steps::<S>(
            &cache,
            &live,
            vec![
                load_at(0, 5, loader(&loads, 50, result)),
                load_at(0, 5, loader(&loads, 50, result)),
                load_at(0, 5, loader(&loads, 50, result)),
                load_at(60, 5, loader(&loads, 50, result)),
            ],
        );
        let got: Vec<_> = results.iter().map(|r| r.0.clone()).collect();
        check_rule("gate-kept-while-waited", loads.most_at_once() == 1, || {
            format!(
                "three callers missed key 5 at 0 ms and one at 60 ms; the first load failed at 50 ms; {} loads of the key then ran at the same time (results {got:?}); a gate stays in `loading` while a caller holds or waits on it",
                loads.most_at_once()
            )
        })?;
        let errors = got.iter().filter(|r| **r == Err("down".into())).count();
        let values = got.iter().filter(|r| **r == Ok(22)).count();
        check_rule(
            "waiters-load-one-at-a-time",
            loads.calls() == 2 && errors == 1 && values == 3,
            || {
                format!(
                    "three callers missed key 5 at 0 ms and one at 60 ms; the first load failed, the second gave Ok(22); the loader ran {} times and the callers got {got:?}: the failure goes to its caller alone, the next waiter loads, and the others find its value",
                    loads.calls()
                )
            },
        )?;

        // Key 9: one caller, whose load fails with nobody waiting; key 4:
        // two callers, both loads failing. The failures leave no gate.
        let loads = Arc::new(Loads::default());
        let results = run_steps::<S>(
            &cache,
            &live,
            vec![
                load_at(0, 9, loader(&loads, 30, |_| Err("down".into()))),
                load_at(0, 4, loader(&loads, 30, |_| Err("down".into()))),
                load_at(10, 4, loader(&loads, 30, |_| Err("down".into()))),
            ],
        );
        let got: Vec<_> = results.iter().map(|r| r.0.clone()).collect();
        check_rule(
            "waiters-load-one-at-a-time",
            got.iter().all(|r| *r == Err("down".into())),
            || {
                format!(
                    "three loads that all fail gave {got:?}; each caller gets its own load's error"
                )
            },
        )?;

        let stored = S::loading_len(&cache);
        let extra = live.load(Ordering::SeqCst).saturating_sub(2 * stored);
        check_rule("gate-removed-when-idle", extra == 0, || {
            format!(
                "after every call returned, some of them after a failed load, the cache still holds {extra} copies of keys beyond its {stored} entries: `loading` keeps gates for keys nobody is loading"
            )
        })?;
        Ok("hits do not wait, keys do not wait for each other, one load at a time per key, no gate left".into())
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
         CREATE TABLE typed (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, num numeric(20, 9), t text,
             vc varchar(10), b bool, ts timestamptz, tsz timestamp, d date, j json, jb jsonb, arr int4[],
             tarr text[], u uuid);
         INSERT INTO typed VALUES (-2, 40000, 9000000000, 1.5, 2.25, -1234.567890123, 'text', 'vc', true,
             '2026-03-04T05:06:07.123456Z', '2026-03-04T05:06:07', '2026-03-04', '{\"a\": [1, 2]}', '{\"b\": null}',
             ARRAY[1, 2, 3], ARRAY['x', 'y'], '123e4567-e89b-12d3-a456-426614174000'),
             (NULL, NULL, NULL, NULL, NULL, 0.000000001, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, ARRAY[]::int4[], NULL, NULL);";
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

/// What the canary table reads, `a,b,c` when no write got through.
const CANARY: &str = "SELECT string_agg(v, ',' ORDER BY id) AS vs FROM canary";

fn canary_intact(read: &Result<Rows, Failure>) -> bool {
    matches!(read, Ok((_, rows)) if rows.first().and_then(|r| r.first()) == Some(&Value::from("a,b,c")))
}

/// The statement timeout the query runs under, in milliseconds.
const TIMEOUT_SETTING: &str = "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'";

/// A query that a statement timeout of a few milliseconds cuts.
const SHORT_SLEEP: &str = "SELECT pg_sleep(0.3)";

/// Statement timeouts of at most 2 ms: 0, under a millisecond, exactly 1
/// ms, just under 2 ms. Each must be sent as at least 1 ms, so it cuts
/// [`SHORT_SLEEP`]; too short to run any query under it and read it back.
fn tiny_timeouts() -> Vec<Duration> {
    vec![
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_micros(999),
        Duration::from_millis(1),
        Duration::from_micros(1999),
    ]
}

/// Statement timeouts long enough to read back with [`TIMEOUT_SETTING`],
/// whole seconds among them.
fn readable_timeouts() -> Vec<Duration> {
    vec![
        Duration::from_millis(250),
        Duration::from_micros(1_500_999),
        Duration::from_secs(2),
        Duration::from_secs(60),
    ]
}

/// What `setting` must show for `timeout`: whole milliseconds.
fn setting_of(timeout: Duration) -> Value {
    Value::from(timeout.as_millis().max(1).to_string())
}

/// The one value of a one-row, one-column result.
fn single(result: &Result<Rows, Failure>) -> Option<&Value> {
    result
        .as_ref()
        .ok()
        .and_then(|(_, rows)| rows.first())
        .and_then(|row| row.first())
}

/// Tests `query_read_only` step 4 (the statement as written through
/// `rows_as_json`): a query over 17 column types, with nulls, returns the
/// reference's columns, types and JSON values.
fn pool_rows_as_json<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let sql = "SELECT * FROM typed ORDER BY i2 NULLS LAST";
            let learner = S::connect(url, Config::new(2, Duration::from_secs(5)))
                .map_err(|e| format!("Database::connect failed: {e:?}"))?;
            let reference = Reference::connect(url, Config::new(2, Duration::from_secs(5)))
                .map_err(|e| format!("grader bug: {e:?}"))?;
            let got = S::query(&learner, sql);
            tick();
            let want =
                Reference::query(&reference, sql).map_err(|e| format!("grader bug: {e:?}"))?;
            check_rule(
                "rows-as-reference",
                got.as_ref() == Ok(&want),
                || match &got {
                    Ok(got) if got.0 != want.0 => {
                        format!("columns are {:?}, expected {:?}", got.0, want.0)
                    }
                    Ok(got) => format!("rows are {:?}, expected {:?}", got.1, want.1),
                    Err(e) => format!("the query failed: {e:?}"),
                },
            )?;
            Ok("17 column types, values and nulls".into())
        })())
    })
}

/// Tests `query_read_only` steps 2 and 4 and the Errors table: generated
/// writes in disguise (a plain write, one after a `SELECT 1;` or a
/// `COMMIT;`, one in a CTE), with `DELETE FROM canary` and `SELECT 1;
/// DELETE FROM canary` among them, must each fail, leave the canary table
/// as it was, and fail with the reference's code (`PERMISSION_DENIED` for
/// a write in the read-only transaction, `VALIDATION` for a second
/// statement).
fn pool_refuses_writes_in_disguise<S: Api>() -> Outcome {
    with_scratch(|url| {
        let db = match S::connect(url, Config::new(2, Duration::from_secs(5))) {
            Ok(db) => db,
            Err(e) => return Outcome::fail(format!("Database::connect failed: {e:?}")),
        };
        tick();
        let reference = match Reference::connect(url, Config::new(2, Duration::from_secs(5))) {
            Ok(db) => db,
            Err(e) => return Outcome::fail(format!("grader bug: {e:?}")),
        };
        let sql = prop_oneof![
            1 => Just("DELETE FROM canary".to_owned()),
            1 => Just("SELECT 1; DELETE FROM canary".to_owned()),
            6 => generate::sql(generate::disguised_write()),
        ];
        property(64, sql, |sql| {
            let result = S::query(&db, &sql);
            let canary = S::query(&db, CANARY);
            ensure_rule("write-refused", canary_intact(&canary), || {
                format!("the canary changed: it now reads {canary:?}")
            })?;
            ensure_rule("write-refused", result.is_err(), || {
                "a write ran without an error".into()
            })?;
            let want = Reference::query(&reference, &sql).err().map(|f| f.code);
            let got = result.err().map(|f| f.code);
            ensure_rule("refusal-code", got == want, || {
                format!("the write failed with {got:?}, expected {want:?}")
            })
        })
    })
}

/// Tests `query_read_only` step 3 and the Errors table's `TIMEOUT`: a 4 s
/// sleep with a 300 ms limit fails with `TIMEOUT` well before it ends;
/// limits of 0, under 1 ms, 1 ms and just under 2 ms still cut a 300 ms
/// sleep (sent as at least 1 ms, never 0, which turns the limit off); and
/// for longer limits, up to whole seconds, the statement timeout a query
/// runs under (read from `pg_settings` inside it) is the configured one in
/// whole milliseconds.
fn pool_cuts_slow_queries<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let db = S::connect(url, Config::new(2, Duration::from_millis(300)))
                .map_err(|e| format!("Database::connect failed: {e:?}"))?;
            let start = Instant::now();
            let result = S::query(&db, "SELECT pg_sleep(4)");
            let took = start.elapsed();
            tick();
            let code = result.as_ref().err().map(|f| f.code);
            check_rule("timeout-cuts", code == Some("TIMEOUT"), || {
                format!(
                    "a 4 s sleep with a 300 ms limit gave {result:?} after {took:?}, expected TIMEOUT"
                )
            })?;
            check_rule("timeout-cuts", took < Duration::from_secs(3), || {
                format!("TIMEOUT came only after {took:?} for a 300 ms limit")
            })?;
            for timeout in tiny_timeouts() {
                let db = S::connect(url, Config::new(1, timeout))
                    .map_err(|e| format!("Database::connect failed: {e:?}"))?;
                let got = S::query(&db, SHORT_SLEEP);
                tick();
                let code = got.as_ref().err().map(|f| f.code);
                check_rule("timeout-in-ms", code == Some("TIMEOUT"), || {
                    format!(
                        "with a statement_timeout of {timeout:?}, {SHORT_SLEEP} gave {got:?}; a limit of at least 1 ms must cut it"
                    )
                })?;
            }
            for timeout in readable_timeouts() {
                let db = S::connect(url, Config::new(1, timeout))
                    .map_err(|e| format!("Database::connect failed: {e:?}"))?;
                let got = S::query(&db, TIMEOUT_SETTING);
                tick();
                let want = setting_of(timeout);
                check_rule("timeout-in-ms", single(&got) == Some(&want), || {
                    format!(
                        "with a statement_timeout of {timeout:?}, the query ran under a statement_timeout of {got:?}, expected {want} ms"
                    )
                })?;
            }
            Ok(format!(
                "cut after {took:?}; the limit sent in whole milliseconds, at least 1"
            ))
        })())
    })
}

/// Tests the rule that the connection goes back to the pool clean: after
/// a query that succeeds, a write, a query past the timeout and two
/// statements, the pool's only connection has the `statement_timeout` and
/// `transaction_read_only` of a fresh one.
fn pool_connection_comes_back_clean<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let db = S::connect(url, Config::new(1, Duration::from_millis(300)))
                .map_err(|e| format!("Database::connect failed: {e:?}"))?;
            let fresh = S::settings(&db)?;
            tick();
            for sql in [
                "SELECT 1 AS one",
                "DELETE FROM canary",
                "SELECT pg_sleep(2)",
                "SELECT 1; SELECT 2",
            ] {
                let _ = S::query(&db, sql);
                tick();
            }
            let after = S::settings(&db)?;
            check_rule("comes-back-clean", after == fresh, || {
                format!(
                    "after a few queries the pool's connection has (statement_timeout, transaction_read_only) = {after:?}; a fresh one has {fresh:?}"
                )
            })?;
            Ok("no statement_timeout or transaction left over".into())
        })())
    })
}

/// Tests `Database::connect` and the Errors table's `UNAVAILABLE`: the
/// pool has the configured `min_connections`, `max_connections` (0 counts
/// as 1) and `acquire_timeout`; with all `max` connections taken, a query
/// fails with `UNAVAILABLE` after exactly `acquire_timeout` (on tokio's
/// paused clock); a malformed URL and a server that does not answer fail
/// `connect` with the reference's codes.
fn pool_follows_its_config<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            for (min, max) in [(2, 3), (0, 1), (1, 2), (0, 0)] {
                let config = Config {
                    min,
                    max,
                    acquire_timeout: Duration::from_millis(2500),
                    statement_timeout: Duration::from_secs(5),
                };
                let connected = guarded(|| S::connect(url, config));
                tick();
                let db = match connected {
                    Ok(Ok(db)) => db,
                    Ok(Err(e)) => {
                        check_rule("max-zero-is-one", max > 0, || {
                            format!("Database::connect with {config:?} failed: {e:?}")
                        })?;
                        return Err(format!("Database::connect with {config:?} failed: {e:?}"));
                    }
                    Err(panic) => {
                        check_rule("max-zero-is-one", max > 0, || {
                            format!("Database::connect with {config:?} {panic}")
                        })?;
                        return Err(format!("Database::connect with {config:?} {panic}"));
                    }
                };
                let options = S::pool(&db).options();
                let got_max = options.get_max_connections();
                if max == 0 {
                    check_rule("max-zero-is-one", got_max == 1, || {
                        format!(
                            "with max_connections 0 the pool allows {got_max} connections; 0 counts as 1"
                        )
                    })?;
                } else {
                    check_rule("max-from-config", got_max == max, || {
                        format!("with {config:?} the pool allows {got_max} connections")
                    })?;
                }
                let got_min = options.get_min_connections();
                check_rule("min-from-config", got_min == min, || {
                    format!("with {config:?} the pool keeps {got_min} connections open")
                })?;
                let got_timeout = options.get_acquire_timeout();
                check_rule(
                    "acquire-timeout-from-config",
                    got_timeout == config.acquire_timeout,
                    || {
                        format!(
                            "with {config:?} the pool waits {got_timeout:?} for a free connection"
                        )
                    },
                )?;
                let (took, result) = S::query_when_busy(&db, max.max(1))?;
                tick();
                let code = result.as_ref().err().map(|f| f.code);
                check_rule("busy-pool-unavailable", code == Some("UNAVAILABLE"), || {
                    format!(
                        "with all {} connections of the pool taken, a query gave {result:?}, expected UNAVAILABLE",
                        max.max(1)
                    )
                })?;
                let on_time = took.is_some_and(|t| {
                    t >= config.acquire_timeout
                        && t <= config.acquire_timeout + Duration::from_millis(5)
                });
                check_rule("acquire-timeout-from-config", on_time, || {
                    format!(
                        "with all connections taken and an acquire_timeout of {:?}, the query failed after {took:?} (on the paused clock)",
                        config.acquire_timeout
                    )
                })?;
            }
            let quick = Config {
                acquire_timeout: Duration::from_millis(300),
                ..Config::new(1, Duration::from_secs(5))
            };
            for bad in [
                "postgres://user@localhost:99999/db",
                "postgres://user@127.0.0.1:1/db",
            ] {
                let got = S::connect(bad, quick).err().map(|f| f.code);
                let want = Reference::connect(bad, quick).err().map(|f| f.code);
                check_rule("connect-error-converted", got == want, || {
                    format!("Database::connect({bad:?}) failed with {got:?}, expected {want:?}")
                })?;
            }
            Ok("min, max (0 as 1) and acquire_timeout from the config; UNAVAILABLE on time".into())
        })())
    })
}

/// Tests `pool::query_once`: it returns the same rows as the pool for a
/// query over 17 column types; a write and a second statement fail with
/// the reference's codes and leave the canary as it was; a 4 s sleep with
/// a 300 ms limit fails with `TIMEOUT`, and so does a 300 ms sleep with
/// limits from 0 to just under 2 ms (sent as at least 1 ms); for longer
/// limits the statement timeout it runs under (read from `pg_settings`) is
/// the given one in whole milliseconds.
fn pool_query_once<S: Api>() -> Outcome {
    with_scratch(|url| {
        unit((|| {
            let five = Duration::from_secs(5);
            let sql = "SELECT * FROM typed ORDER BY i2 NULLS LAST";
            let got = S::query_once(url, five, sql);
            tick();
            let reference = Reference::connect(url, Config::new(1, five))
                .map_err(|e| format!("grader bug: {e:?}"))?;
            let want =
                Reference::query(&reference, sql).map_err(|e| format!("grader bug: {e:?}"))?;
            check_rule("once-same-rows", got.as_ref() == Ok(&want), || {
                format!("query_once gave {got:?}; query_read_only gives {want:?}")
            })?;
            for sql in [
                "DELETE FROM canary",
                "INSERT INTO canary (v) VALUES ('z')",
                "SELECT 1; DELETE FROM canary",
            ] {
                let got = S::query_once(url, five, sql);
                tick();
                let canary = Reference::query(&reference, CANARY);
                check_rule("once-read-only", canary_intact(&canary), || {
                    format!("query_once({sql:?}) changed the canary: it now reads {canary:?}")
                })?;
                let want = Reference::query_once(url, five, sql).err().map(|f| f.code);
                let got = got.err().map(|f| f.code);
                check_rule("once-read-only", got == want, || {
                    format!("query_once({sql:?}) failed with {got:?}, expected {want:?}")
                })?;
            }
            let slow = S::query_once(url, Duration::from_millis(300), "SELECT pg_sleep(4)");
            tick();
            let code = slow.as_ref().err().map(|f| f.code);
            check_rule("once-timeout-in-ms", code == Some("TIMEOUT"), || {
                format!(
                    "query_once of a 4 s sleep with a 300 ms limit gave {slow:?}, expected TIMEOUT"
                )
            })?;
            for timeout in tiny_timeouts() {
                let got = S::query_once(url, timeout, SHORT_SLEEP);
                tick();
                let code = got.as_ref().err().map(|f| f.code);
                check_rule("once-timeout-in-ms", code == Some("TIMEOUT"), || {
                    format!(
                        "query_once with a statement_timeout of {timeout:?} gave {got:?} for {SHORT_SLEEP}; a limit of at least 1 ms must cut it"
                    )
                })?;
            }
            for timeout in readable_timeouts() {
                let got = S::query_once(url, timeout, TIMEOUT_SETTING);
                tick();
                let want = setting_of(timeout);
                check_rule("once-timeout-in-ms", single(&got) == Some(&want), || {
                    format!(
                        "query_once with a statement_timeout of {timeout:?} ran under a statement_timeout of {got:?}, expected {want} ms"
                    )
                })?;
            }
            Ok("the pool's rows, read-only, the limit in whole milliseconds".into())
        })())
    })
}

// ---------------------------------------------------------------- batch ----

/// When each job starts and when the batch ends if jobs take a permit in
/// order, each from the first of `c` workers to be free.
fn schedule(durations: &[Duration], concurrency: usize) -> (Vec<Duration>, Duration) {
    let mut free: BinaryHeap<Reverse<Duration>> = (0..concurrency.max(1))
        .map(|_| Reverse(Duration::ZERO))
        .collect();
    let mut starts = Vec::new();
    let mut end = Duration::ZERO;
    for d in durations {
        let Reverse(start) = free.pop().expect("a worker");
        starts.push(start);
        end = end.max(start + *d);
        free.push(Reverse(start + *d));
    }
    (starts, end)
}

/// The batch's time if each job's limit counted from the start of the
/// batch, the wait for a permit included (the mistake rule 3 warns of).
fn schedule_limit_from_start(ms: &[u64], concurrency: usize, limit: Duration) -> Duration {
    let mut free: BinaryHeap<Reverse<Duration>> = (0..concurrency.max(1))
        .map(|_| Reverse(Duration::ZERO))
        .collect();
    let mut end = Duration::ZERO;
    for &ms in ms {
        let Reverse(start) = free.pop().expect("a worker");
        if start >= limit {
            free.push(Reverse(start));
            end = end.max(limit);
            continue;
        }
        let stop = (start + Duration::from_millis(ms)).min(limit);
        end = end.max(stop);
        free.push(Reverse(stop));
    }
    end
}

fn batch_case() -> impl Strategy<Value = BatchCase> {
    let n = prop_oneof![1 => Just(0usize), 1 => Just(1usize), 4 => 2usize..20];
    (1u64..400, any::<bool>(), n).prop_flat_map(|(base, timeouts, n)| {
        let limit = 2 * base;
        let ms = prop_oneof![
            6 => Just(base),
            2 => Just(base * 10),
            1 => Just(limit),
            1 => 1..=10 * base,
        ];
        let ends = prop_oneof![
            6 => Just(End::Ok),
            3 => Just(End::Fails),
            1 => Just(End::Panics),
        ];
        let job = (ms, ends).prop_map(|(ms, ends)| Job { ms, ends });
        let concurrency = prop_oneof![
            1 => Just(0usize),
            1 => Just(1usize),
            3 => 2usize..7,
            1 => Just(n),
        ];
        (concurrency, prop::collection::vec(job, n)).prop_map(move |(concurrency, jobs)| {
            BatchCase {
                concurrency,
                timeout_ms: timeouts.then_some(limit),
                jobs,
            }
        })
    })
}

/// Tests every rule of `run_batch`, on tokio's paused clock: generated
/// batches (0, 1 or many jobs, concurrency 0, 1, several or one per job,
/// jobs that succeed, fail or panic, some longer than the timeout and some
/// exactly as long) must take exactly the time of `max(1, C)` workers
/// taking jobs in order, call each job only once it holds its permit,
/// return one result per job in input order, keep each `Err` as it is,
/// give a timed-out job the `TIMEOUT` error of `with_timeout` for
/// `job {i}`, and give a panicked job an `INTERNAL` error.
fn batch_is_concurrent_and_ordered<S: Api>() -> Outcome {
    property(192, batch_case(), |case| {
        let c = case.concurrency;
        let n = case.jobs.len();
        let limit = case.timeout_ms.map(Duration::from_millis);
        let panics = case.jobs.iter().any(|j| j.ends == End::Panics);
        let run = guarded(|| S::batch(&case));
        let run = match run {
            Ok(run) => run,
            Err(panic) => {
                let rule_broken = || format!("run_batch {panic}");
                if panics {
                    ensure_rule("panic-is-internal", false, rule_broken)?;
                } else {
                    ensure_rule("results-in-order", false, rule_broken)?;
                }
                return Ok(());
            }
        };
        let Some(elapsed) = run.elapsed else {
            let message = || format!("run_batch of {n} jobs at concurrency {c} never returned");
            if c == 0 {
                ensure_rule("zero-counts-as-one", false, message)?;
            } else {
                ensure_rule("concurrency-limit", false, message)?;
            }
            return Ok(());
        };
        ensure_rule("results-in-order", run.results.len() == n, || {
            format!("{} results for {n} jobs", run.results.len())
        })?;
        for (i, (job, got)) in case.jobs.iter().zip(&run.results).enumerate() {
            let timeout = limit.filter(|l| Duration::from_millis(job.ms) > *l);
            let (rule, ok, want) = match (timeout, job.ends) {
                (Some(l), _) => {
                    let want = S::timeout_error(i, l);
                    let rule = match got {
                        Err(f) if f.code == "TIMEOUT" => "timeout-names-job",
                        _ => "timeout-per-job",
                    };
                    (
                        rule,
                        got.as_ref().err() == Some(&want),
                        format!("Err({want:?})"),
                    )
                }
                (None, End::Ok) => {
                    let rule = match got {
                        Err(f) if f.code == "TIMEOUT" => "timeout-per-job",
                        _ => "results-in-order",
                    };
                    (rule, *got == Ok(i as u64), format!("Ok({i})"))
                }
                (None, End::Fails) => {
                    let want = Failure {
                        code: "NOT_FOUND",
                        message: "no such item".into(),
                        details: None,
                    };
                    let rule = match got {
                        Err(f) if f.code == "TIMEOUT" => "timeout-per-job",
                        Err(_) => "errors-stay-in-slot",
                        Ok(_) => "results-in-order",
                    };
                    (
                        rule,
                        got.as_ref().err() == Some(&want),
                        format!("Err({want:?})"),
                    )
                }
                (None, End::Panics) => {
                    let code = got.as_ref().err().map(|f| f.code);
                    let rule = match code {
                        Some("TIMEOUT") => "timeout-per-job",
                        _ => "panic-is-internal",
                    };
                    (rule, code == Some("INTERNAL"), "an INTERNAL error".into())
                }
            };
            ensure_rule(rule, ok, || {
                format!("slot {i} holds {got:?}, expected {want}")
            })?;
        }
        let durations: Vec<Duration> = case
            .jobs
            .iter()
            .map(|j| {
                let d = Duration::from_millis(j.ms);
                limit.map_or(d, |l| d.min(l))
            })
            .collect();
        let (starts, want) = schedule(&durations, c);
        if elapsed != want {
            let message = || {
                format!(
                    "{n} jobs at concurrency {c} took {elapsed:?}; with {} at a time, each taking a permit in order, they take {want:?}",
                    c.max(1)
                )
            };
            let ms: Vec<u64> = case.jobs.iter().map(|j| j.ms).collect();
            // The time a limit counted from the batch's start gives (at
            // max(1, C) workers) names the timeout rule, whatever C is.
            if limit.is_some_and(|l| elapsed == schedule_limit_from_start(&ms, c, l)) {
                ensure_rule("timeout-per-job", false, message)?;
            } else if c == 0 {
                ensure_rule("zero-counts-as-one", false, message)?;
            } else {
                ensure_rule("concurrency-limit", false, message)?;
            }
        }
        for (i, (called, start)) in run.called.iter().zip(&starts).enumerate() {
            ensure_rule(
                "job-called-with-permit",
                called.is_some_and(|t| t >= *start),
                || {
                    format!(
                        "job {i} was called at {called:?}; it gets a permit only at {start:?}, and is called after that"
                    )
                },
            )?;
        }
        Ok(())
    })
}

// ----------------------------------------------------------------- perf ----

/// Tests the Complexity rule: a hit in a cache of 100,000 entries costs at
/// most 5 times the reference's hit, measured in the same run.
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
