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
        // TODO: Find or create the bucket of (client, tool); a new bucket starts full (`burst`
        //       tokens).
        // TODO: Refill it: add elapsed seconds x `per_second`, never above `burst`, and remember
        //       the time.
        // TODO: With at least one token, take it. Otherwise say how long until one token is back,
        //       rounded up so that waiting exactly that long is enough.
        todo!("RateLimiter::check")
    }
    // ANCHOR_END: limiter_check
}
