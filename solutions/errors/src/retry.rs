//! Retry with exponential backoff, jitter, a cap and a deadline.
//!
//! Retrying is right only for transient failures, and only politely: each
//! wait longer than the last (exponential), spread out so that many
//! clients do not retry in step (jitter), never longer than a cap, and
//! never past the caller's deadline. The random source is a trait, so
//! tests can make the jitter exact.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::tool_error::ToolError;

// ANCHOR: types
/// Uniform random numbers in `[0, 1)`, for jitter.
pub trait RandomSource {
    /// The next number, at least 0 and below 1.
    fn next_unit(&mut self) -> f64;
}

/// A small, fast generator (xorshift64*) from a seed; good enough for
/// jitter, not for secrets.
#[derive(Debug, Clone)]
pub struct SeededRandom(u64);

impl SeededRandom {
    /// A generator from `seed`; the same seed gives the same numbers.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A generator seeded from the clock.
    pub fn from_time() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Self::new(nanos)
    }
}

impl RandomSource for SeededRandom {
    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 0 and 1 both mean "no retry".
    pub max_attempts: u32,
    /// The wait before the first retry, before jitter.
    pub base_delay: Duration,
    /// No wait is longer than this, before jitter.
    pub max_delay: Duration,
    /// How much of each wait may be taken off at random, from 0 (none) to 1
    /// (all of it); values outside are clamped.
    pub jitter: f64,
    /// No wait may end later than this, counted from the first attempt.
    pub deadline: Option<Duration>,
}

/// The operation failed for good: its last error, and how many attempts
/// were made.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryError {
    /// The error of the last attempt.
    pub last: ToolError,
    /// Attempts made, at least 1.
    pub attempts: u32,
}

impl fmt::Display for RetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (after {} attempt(s))", self.last, self.attempts)
    }
}

impl std::error::Error for RetryError {}

impl From<RetryError> for ToolError {
    fn from(e: RetryError) -> Self {
        e.last
    }
}
// ANCHOR_END: types

impl RetryPolicy {
    // ANCHOR: backoff
    /// The wait before retry number `retry` (1 for the first retry), with
    /// `unit` the random number drawn for it: the full delay
    /// `min(max_delay, base_delay * 2^(retry - 1))`, less a random part of
    /// it, `full * (1 - jitter * unit)`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        // LAB: todo("RetryPolicy::backoff")
        // TODO: The full delay is `base_delay * 2^(retry - 1)`, capped at `max_delay`; mind
        //       overflow for large `retry`.
        // TODO: Take off `jitter * unit` of it (clamp both to [0, 1]): `full.mul_f64(1.0 - jitter *
        //       unit)`.
        let factor = 2u32.checked_pow(retry.saturating_sub(1));
        let full = factor
            .and_then(|f| self.base_delay.checked_mul(f))
            .map_or(self.max_delay, |d| d.min(self.max_delay));
        let jitter = self.jitter.clamp(0.0, 1.0);
        let unit = unit.clamp(0.0, 1.0);
        full.mul_f64(1.0 - jitter * unit)
        // LAB: end
    }
    // ANCHOR_END: backoff
}

// ANCHOR: retry
/// Runs `operation` until it succeeds, fails with an error that is not
/// retryable, runs out of attempts, or the next wait would end past the
/// deadline. `operation` gets the attempt number, from 1.
///
/// One random number is drawn per retry, for its wait.
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    random: &mut dyn RandomSource,
    mut operation: F,
) -> Result<T, RetryError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ToolError>>,
{
    // LAB: todo("retry")
    // TODO: Make at least one attempt, at most `max_attempts`; stop at once on an error that is not
    //       retryable.
    // TODO: Before each retry draw one random number, compute the wait with `backoff`, and stop
    //       (returning the last error) if the wait would end past the deadline, counted from the
    //       first attempt with `tokio::time::Instant`.
    // TODO: Sleep with `tokio::time::sleep`, so tests on a paused clock are exact.
    let attempts = policy.max_attempts.max(1);
    let start = Instant::now();
    let mut attempt = 1;
    loop {
        let error = match operation(attempt).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !error.is_retryable() || attempt >= attempts {
            return Err(RetryError {
                last: error,
                attempts: attempt,
            });
        }
        let wait = policy.backoff(attempt, random.next_unit());
        if let Some(deadline) = policy.deadline
            && start.elapsed() + wait > deadline
        {
            return Err(RetryError {
                last: error,
                attempts: attempt,
            });
        }
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
    // LAB: end
}
// ANCHOR_END: retry
