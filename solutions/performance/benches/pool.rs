//! A simple query through the pool against a connection per query, on the
//! PostgreSQL at `DATABASE_URL`.
//!
//! `DATABASE_URL=postgres://USER@HOST/DB cargo bench -p solution-performance --bench pool`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use solution_performance::pool::{Database, PoolConfig, query_once};

const SQL: &str = "SELECT 1 AS one, 'ok' AS status";

fn queries(c: &mut Criterion) {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("skipped: set DATABASE_URL=postgres://USER@HOST/DB to measure the pool");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let config = PoolConfig {
        min_connections: 1,
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(5),
    };
    let pool = runtime
        .block_on(Database::connect(&url, config))
        .expect("the pool connects");
    let mut group = c.benchmark_group("simple_query");
    group.bench_function("pooled", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(pool.query_read_only(SQL))
                    .expect("the query runs"),
            )
        })
    });
    group.bench_function("connection_per_query", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(query_once(&url, Duration::from_secs(5), SQL))
                    .expect("the query runs"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
