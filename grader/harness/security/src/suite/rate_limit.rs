//! The checks of `rate_limit::RateLimiter::check`.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;

use grader_kit::child::tick;
use grader_kit::clock::SuiteClock;
use grader_kit::prop::property;
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::{Outcome, unit};

use super::{Api, Reference};

/// Refill rates of generated limits, in tokens a second.
const RATES: &[f64] = &[0.5, 1.0, 3.0, 4.0, 10.0, 250.0];

/// Rates whose quarter token takes a whole number of nanoseconds.
const EXACT_RATES: &[f64] = &[0.5, 1.0, 4.0, 10.0, 250.0];

/// One step of a schedule against a single client and tool.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// Milliseconds the clock moves before the attempts.
    advance_ms: u64,
    /// Calls attempted at that instant.
    attempts: u8,
    /// After a refusal, wait exactly `retry_after` and try once more.
    wait_when_refused: bool,
}

/// A limit and a schedule of calls against it.
#[derive(Debug, Clone)]
struct Schedule {
    burst: u32,
    per_second: f64,
    steps: Vec<Step>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    let step = (0u64..2500, 1u8..6, any::<bool>()).prop_map(
        |(advance_ms, attempts, wait_when_refused)| Step {
            advance_ms,
            attempts,
            wait_when_refused,
        },
    );
    (
        1u32..8,
        select(RATES.to_vec()),
        prop::collection::vec(step, 1..40),
    )
        .prop_map(|(burst, per_second, steps)| Schedule {
            burst,
            per_second,
            steps,
        })
}

/// `RateLimiter::check` against the bound any token bucket keeps: the
/// first `burst` calls pass, no window admits more than `burst + rate x
/// window` calls, `retry_after` is positive and at most one token's time,
/// waiting exactly `retry_after` is enough, and another client or another
/// tool has a bucket of its own.
pub fn rate_limit_bucket_bound<S: Api>() -> Outcome {
    property(
        128,
        schedule(),
        |Schedule {
             burst,
             per_second: rate,
             steps,
         }| {
            let clock = Arc::new(SuiteClock::default());
            let limiter = S::limiter(burst, rate, clock.clone());
            let mut admitted = Vec::new();
            for i in 0..burst {
                ensure_rule(
                    "full-bucket-first",
                    S::limit(&limiter, "client", "tool").is_ok(),
                    || format!("call {} of the first burst of {burst} was refused", i + 1),
                )?;
                admitted.push(clock.now());
            }
            let longest_wait = Duration::from_secs_f64(1.0 / rate) + Duration::from_millis(1);
            for step in &steps {
                clock.advance(Duration::from_millis(step.advance_ms));
                for _ in 0..step.attempts {
                    match S::limit(&limiter, "client", "tool") {
                        Ok(()) => admitted.push(clock.now()),
                        Err(wait) => {
                            ensure_rule(
                                "retry-after",
                                !wait.is_zero() && wait <= longest_wait,
                                || {
                                    format!(
                                        "retry_after {wait:?} is not in (0, {longest_wait:?}] at {rate}/s"
                                    )
                                },
                            )?;
                            if step.wait_when_refused {
                                clock.advance(wait);
                                ensure_rule(
                                    "retry-after",
                                    S::limit(&limiter, "client", "tool").is_ok(),
                                    || {
                                        format!(
                                            "refused again after waiting retry_after ({wait:?})"
                                        )
                                    },
                                )?;
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
                    ensure_rule("token-bucket", count <= bound, || {
                        format!(
                            "{count} calls admitted within {window:.3} s; at most {bound:.3} fit (burst {burst}, {rate}/s)"
                        )
                    })?;
                }
            }
            ensure_rule(
                "one-bucket-per-pair",
                S::limit(&limiter, "another client", "tool").is_ok(),
                || "another client shares the first client's bucket".into(),
            )?;
            ensure_rule(
                "one-bucket-per-pair",
                S::limit(&limiter, "client", "another tool").is_ok(),
                || "another tool of the same client shares that tool's bucket".into(),
            )
        },
    )
}

/// A (client, tool) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    AliceReadLog,
    BobReadLog,
    AliceGetMetrics,
    /// `("ab", "c")`: joined without a separator, it reads like the next.
    AbC,
    /// `("a", "bc")`.
    ABc,
}

impl Pair {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Pair::AliceReadLog => ("alice", "read_log"),
            Pair::BobReadLog => ("bob", "read_log"),
            Pair::AliceGetMetrics => ("alice", "get_metrics"),
            Pair::AbC => ("ab", "c"),
            Pair::ABc => ("a", "bc"),
        }
    }
}

/// How far the clock moves before a call.
#[derive(Debug, Clone, Copy)]
enum Advance {
    /// Not at all.
    Nothing,
    /// A number of milliseconds.
    Millis(u64),
    /// Exactly the time one token takes to refill, times this many quarters.
    TokenQuarters(u32),
}

/// One call of a client on a tool, after the clock moved.
#[derive(Debug, Clone, Copy)]
struct PairCall {
    advance: Advance,
    pair: Pair,
    /// After a refusal, wait `retry_after` and call once more.
    wait_when_refused: bool,
}

/// A limit and calls of several clients and tools against it.
#[derive(Debug, Clone)]
struct PairSchedule {
    burst: u32,
    per_second: f64,
    calls: Vec<PairCall>,
}

fn pair_schedule() -> impl Strategy<Value = PairSchedule> {
    let advance = prop_oneof![
        3 => Just(Advance::Nothing),
        2 => (1u64..1500).prop_map(Advance::Millis),
        2 => (1u32..9).prop_map(Advance::TokenQuarters),
    ];
    let pair = prop_oneof![
        3 => Just(Pair::AliceReadLog),
        1 => Just(Pair::BobReadLog),
        1 => Just(Pair::AliceGetMetrics),
        1 => Just(Pair::AbC),
        1 => Just(Pair::ABc),
    ];
    let call =
        (advance, pair, any::<bool>()).prop_map(|(advance, pair, wait_when_refused)| PairCall {
            advance,
            pair,
            wait_when_refused,
        });
    let burst = prop_oneof![2 => Just(1u32), 1 => Just(2u32), 1 => 3u32..6];
    (
        burst,
        select(EXACT_RATES.to_vec()),
        prop::collection::vec(call, 1..48),
    )
        .prop_map(|(burst, per_second, calls)| PairSchedule {
            burst,
            per_second,
            calls,
        })
}

/// Two retry_after values agree if they are within a microsecond.
fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_micros(1)
}

/// `RateLimiter::check`, rules 2-5, call by call against the reference on
/// schedules of several clients and tools (including `("ab", "c")` and
/// `("a", "bc")`), with the clock moved by whole and fractional token
/// times: each pair has its own bucket and starts full, every call is
/// admitted or refused as the reference decides, and every `retry_after`
/// is the time until one whole token, `(1 - tokens) / per_second`, within
/// a microsecond of the reference's.
pub fn rate_limit_follows_the_bucket<S: Api>() -> Outcome {
    property(160, pair_schedule(), |schedule| {
        let PairSchedule {
            burst,
            per_second,
            calls,
        } = &schedule;
        let clock = Arc::new(SuiteClock::default());
        let learner = S::limiter(*burst, *per_second, clock.clone());
        let reference = Reference::limiter(*burst, *per_second, clock.clone());
        // A whole number of nanoseconds for every rate of the schedule, so
        // quarters of it refill exact quarters of a token.
        let token = Duration::from_nanos((1e9 / per_second) as u64);
        let advance = |by: Duration| clock.advance(by);
        let mut seen = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            advance(match call.advance {
                Advance::Nothing => Duration::ZERO,
                Advance::Millis(ms) => Duration::from_millis(ms),
                Advance::TokenQuarters(q) => token * q / 4,
            });
            let (client, tool) = call.pair.names();
            let fresh = !seen.contains(&call.pair);
            seen.push(call.pair);
            let attempt =
                |what: &str| -> Result<Option<Duration>, proptest::test_runner::TestCaseError> {
                    let got = S::limit(&learner, client, tool);
                    let want = Reference::limit(&reference, client, tool);
                    let rule = if fresh && want.is_ok() {
                        "one-bucket-per-pair"
                    } else {
                        "token-bucket"
                    };
                    ensure_rule(rule, got.is_ok() == want.is_ok(), || {
                        format!(
                            "call {} ({client:?}, {tool:?}){what}: {}, expected {}",
                            i + 1,
                            verdict(got),
                            verdict(want)
                        )
                    })?;
                    if let (Err(g), Err(w)) = (got, want) {
                        ensure_rule("retry-after-exact", close(g, w), || {
                            format!(
                                "call {} ({client:?}, {tool:?}){what}: retry_after {g:?}, expected {w:?}, the time until one whole token",
                                i + 1
                            )
                        })?;
                        return Ok(Some(g.max(w)));
                    }
                    Ok(None)
                };
            if let Some(wait) = attempt("")?
                && call.wait_when_refused
            {
                advance(wait);
                attempt(" after waiting retry_after")?;
            }
        }
        Ok(())
    })
}

fn verdict(result: Result<(), Duration>) -> String {
    match result {
        Ok(()) => "admitted".to_owned(),
        Err(wait) => format!("refused (retry_after {wait:?})"),
    }
}

/// `RateLimiter::check`, "one token bucket per pair": a bucket that is
/// not full keeps its state while ten thousand other pairs get buckets of
/// their own (a limiter may forget full buckets, which behave as new ones,
/// but no other). Alice spends part of her bucket, time passes, 10,050
/// other clients call, and then she gets exactly as many calls as the
/// reference allows, and the same `retry_after` at the end.
pub fn rate_limit_keeps_every_bucket<S: Api>() -> Outcome {
    unit((|| {
        // (burst, per second, calls alice makes first, time that passes):
        // drained and barely refilled; half spent and refilled to 7.5 of
        // 10; half spent and refilled to 6.5 of 10 at a slow rate.
        let cases = [
            (1, 4.0, 1, Duration::from_millis(100)),
            (10, 4.0, 5, Duration::from_millis(625)),
            (10, 0.5, 5, Duration::from_secs(3)),
        ];
        for (burst, per_second, spent, wait) in cases {
            let clock = Arc::new(SuiteClock::default());
            let limiter = S::limiter(burst, per_second, clock.clone());
            let reference = Reference::limiter(burst, per_second, clock.clone());
            for _ in 0..spent {
                let got = S::limit(&limiter, "alice", "read_log");
                check_rule("token-bucket", got.is_ok(), || {
                    format!("a call within a new pair's burst of {burst} was refused: {got:?}")
                })?;
                let _ = Reference::limit(&reference, "alice", "read_log");
            }
            tick();
            clock.advance(wait);
            for i in 0..10_050 {
                let client = format!("client-{i}");
                let _ = S::limit(&limiter, &client, "read_log");
                let _ = Reference::limit(&reference, &client, "read_log");
                if i % 1000 == 999 {
                    tick();
                }
            }
            let count = |call: &dyn Fn() -> Result<(), Duration>| {
                let mut admitted = 0;
                loop {
                    match call() {
                        Ok(()) if admitted <= burst => admitted += 1,
                        Ok(()) => return (admitted, None),
                        Err(wait) => return (admitted, Some(wait)),
                    }
                }
            };
            let (got, got_wait) = count(&|| S::limit(&limiter, "alice", "read_log"));
            let (want, want_wait) = count(&|| Reference::limit(&reference, "alice", "read_log"));
            check_rule("one-bucket-per-pair", got == want, || {
                format!(
                    "burst {burst}, {per_second} per second: alice spent {spent} tokens, {wait:?} passed and 10050 other clients called; then {got} of her calls were admitted, expected {want}: her bucket's state was lost"
                )
            })?;
            if let (Some(g), Some(w)) = (got_wait, want_wait) {
                check_rule("retry-after-exact", close(g, w), || {
                    format!("retry_after {g:?}, expected {w:?}")
                })?;
            }
        }
        Ok("a bucket that is not full keeps its state among 10050 others".into())
    })())
}
