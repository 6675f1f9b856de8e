//! Rate limiting: a token bucket per (client, tool).
//!
//! Each bucket holds up to `burst` tokens and refills at `per_second`
//! tokens a second. A call takes one token; with none left it is refused,
//! and the refusal says how long until a token is back. The clock is a
//! trait so tests can move time by hand.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

// ANCHOR: types
/// A source of monotonic time: the time since some fixed origin.
pub trait Clock: Send + Sync {
    /// Time elapsed since the clock's origin; never goes backwards.
    fn now(&self) -> Duration;
}

/// The real clock, counting from its creation.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at its origin.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// How many calls a bucket admits: `burst` at once, then `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    burst: u32,
    per_second: f64,
}

/// A [`RateLimit`] that could not be built, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRateLimit(pub &'static str);

impl fmt::Display for InvalidRateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid rate limit: {}", self.0)
    }
}

impl std::error::Error for InvalidRateLimit {}

impl RateLimit {
    /// A limit of `burst` calls at once, refilled at `per_second` calls a
    /// second. `burst` must be at least 1 and `per_second` finite and > 0.
    pub fn new(burst: u32, per_second: f64) -> Result<Self, InvalidRateLimit> {
        if burst == 0 {
            return Err(InvalidRateLimit("burst must be at least 1"));
        }
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(InvalidRateLimit(
                "per_second must be a finite number above 0",
            ));
        }
        Ok(Self { burst, per_second })
    }

    /// The bucket's capacity.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Tokens added per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }
}

/// A refused call, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    /// Wait at least this long before the next call of this client and tool.
    pub retry_after: Duration,
}

/// The wait in whole milliseconds, rounded up: a client that waits what
/// it is told must not come back too early (1.5 ms is 2 ms, never 1).
impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rate limit exceeded; retry after {} ms",
            self.retry_after.as_nanos().div_ceil(1_000_000).max(1)
        )
    }
}

impl std::error::Error for RateLimited {}

/// One bucket's state: tokens left as of `updated`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Duration,
}

/// Token buckets keyed by (client, tool), sharing one limit and one clock.
#[derive(Debug)]
pub struct RateLimiter<C = MonotonicClock> {
    limit: RateLimit,
    clock: C,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}
// ANCHOR_END: types
// LAB: solution

/// Tokens are compared with this slack, so a wait of exactly
/// `retry_after` is always enough despite floating-point rounding.
const EPSILON: f64 = 1e-9;

/// Above this many buckets, full ones are dropped: a full bucket behaves
/// exactly like a missing one, and the map must not grow without bound.
const PRUNE_ABOVE: usize = 10_000;
// LAB: end

impl<C: Clock> RateLimiter<C> {
    /// A limiter applying `limit` to every (client, tool) pair.
    pub fn new(limit: RateLimit, clock: C) -> Self {
        Self {
            limit,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    // ANCHOR: limiter_check
    /// Takes a token from the bucket of (`client`, `tool`), or says how long
    /// until one is available. A new pair starts with a full bucket.
    pub fn check(&self, client: &str, tool: &str) -> Result<(), RateLimited> {
        // LAB: todo("RateLimiter::check")
        // TODO: Find or create the bucket of (client, tool); a new bucket starts full (`burst`
        //       tokens).
        // TODO: Refill it: add elapsed seconds x `per_second`, never above `burst`, and remember
        //       the time.
        // TODO: With at least one token, take it. Otherwise say how long until one token is back,
        //       rounded up so that waiting exactly that long is enough.
        let now = self.clock.now();
        let burst = f64::from(self.limit.burst);
        let rate = self.limit.per_second;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + elapsed_secs(b.updated, now) * rate < burst);
        }
        let bucket = buckets
            .entry((client.to_owned(), tool.to_owned()))
            .or_insert(Bucket {
                tokens: burst,
                updated: now,
            });
        bucket.tokens = (bucket.tokens + elapsed_secs(bucket.updated, now) * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens + EPSILON >= 1.0 {
            bucket.tokens = (bucket.tokens - 1.0).max(0.0);
            Ok(())
        } else {
            let wait_secs = (1.0 - bucket.tokens) / rate;
            let nanos = (wait_secs * 1e9).ceil().min(u64::MAX as f64) as u64;
            Err(RateLimited {
                retry_after: Duration::from_nanos(nanos.max(1)),
            })
        }
        // LAB: end
    }
    // ANCHOR_END: limiter_check
}
// LAB: solution

/// Seconds from `then` to `now`, zero if the clock stood still.
fn elapsed_secs(then: Duration, now: Duration) -> f64 {
    now.saturating_sub(then).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_tells_a_wait_that_is_never_too_short() {
        let refused = RateLimited {
            retry_after: Duration::from_micros(1500),
        };
        assert_eq!(refused.to_string(), "rate limit exceeded; retry after 2 ms");
        let exact = RateLimited {
            retry_after: Duration::from_millis(250),
        };
        assert_eq!(exact.to_string(), "rate limit exceeded; retry after 250 ms");
    }
}
// LAB: end
