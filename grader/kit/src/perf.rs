//! Perf thresholds: the learner's code timed against the reference's, in the
//! same process, with criterion, and judged on the ratio.
//!
//! Absolute times mean nothing on a shared, noisy machine; a ratio measured
//! in one run does. Thresholds are coarse on purpose: they aim at mistakes
//! that cost 5x or more (a regex compiled per call, a linear scan where a
//! hash lookup belongs), never at small differences noise could explain.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::Criterion;

use grader_core::Outcome;

/// One measurement: the median time per call, in nanoseconds.
fn median_ns(dir: &Path, id: &str) -> Result<f64, String> {
    let path = dir.join("perf").join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("criterion wrote no estimate at {}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("unreadable criterion estimate: {e}"))?;
    value["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| "criterion's estimate has no median".to_owned())
}

/// Times `learner` and `reference` once each with criterion.
fn measure<A, B>(
    learner: &mut impl FnMut() -> A,
    reference: &mut impl FnMut() -> B,
) -> Result<(f64, f64), String> {
    let dir =
        tempfile::tempdir().map_err(|e| format!("no scratch directory for criterion: {e}"))?;
    let mut criterion = Criterion::default()
        .output_directory(dir.path())
        .without_plots()
        .with_output_color(false)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(400))
        .nresamples(2_000);
    {
        let mut group = criterion.benchmark_group("perf");
        group.bench_function("learner", |b| b.iter(|| black_box(learner())));
        group.bench_function("reference", |b| b.iter(|| black_box(reference())));
        group.finish();
    }
    Ok((
        median_ns(dir.path(), "learner")?,
        median_ns(dir.path(), "reference")?,
    ))
}

/// Passes when the learner's median time per call is at most `limit` times
/// the reference's. A first measurement over the limit is repeated once, and
/// the better ratio counts, so one noisy burst cannot fail a learner.
pub fn ratio_at_most<A, B>(
    limit: f64,
    what: &str,
    mut learner: impl FnMut() -> A,
    mut reference: impl FnMut() -> B,
) -> Outcome {
    // One call of each before criterion starts, then a tick: a learner
    // function that never returns is stopped after its first call takes far
    // longer than the reference's, not at the end of the check's deadline.
    black_box(learner());
    black_box(reference());
    crate::child::tick();
    let mut best: Option<(f64, f64, f64)> = None;
    for _ in 0..2 {
        let (l, r) = match measure(&mut learner, &mut reference) {
            Ok(times) => times,
            Err(e) => return Outcome::fail(format!("could not measure: {e}")),
        };
        crate::child::tick();
        let ratio = l / r.max(1.0);
        if best.is_none_or(|(b, _, _)| ratio < b) {
            best = Some((ratio, l, r));
        }
        if ratio <= limit {
            break;
        }
    }
    let (ratio, l, r) = best.expect("measured at least once");
    let detail = format!(
        "{what}: yours {} per call, the reference {} ({ratio:.1}x; the limit is {limit}x)",
        human(l),
        human(r)
    );
    if ratio <= limit {
        Outcome::pass(detail)
    } else {
        Outcome::fail(detail)
    }
}

/// Nanoseconds as a short human reading.
fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}
