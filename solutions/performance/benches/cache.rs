//! A cache hit: the reference `TtlCache` against `moka`, at 100,000 entries.
//!
//! `cargo bench -p solution-performance --bench cache`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use solution_performance::cache::{MonotonicClock, TtlCache};

const ENTRIES: u64 = 100_000;

fn hits(c: &mut Criterion) {
    let ttl = Duration::from_secs(3600);
    let ours = TtlCache::new(ENTRIES as usize, ttl, MonotonicClock::new());
    let moka = moka::sync::Cache::builder()
        .max_capacity(ENTRIES)
        .time_to_live(ttl)
        .build();
    for k in 0..ENTRIES {
        ours.insert(k, k * 2);
        moka.insert(k, k * 2);
    }
    let mut group = c.benchmark_group("cache_hit_100k");
    let mut key = 0u64;
    group.bench_function("ttl_cache", |b| {
        b.iter(|| {
            key = (key + 7919) % ENTRIES;
            black_box(ours.get(&key))
        })
    });
    group.bench_function("moka", |b| {
        b.iter(|| {
            key = (key + 7919) % ENTRIES;
            black_box(moka.get(&key))
        })
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
