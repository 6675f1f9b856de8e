//! A clock the suite moves by hand, for code that takes the security lab's
//! `Clock` (the rate limiter, the performance lab's cache).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A clock the suite moves by hand.
#[derive(Debug, Default)]
pub struct SuiteClock(Mutex<Duration>);

impl SuiteClock {
    /// The clock's time.
    pub fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

/// Defines `ClockHandle`, the suite's clock as each given security crate's
/// `rate_limit::Clock`. A harness expands it once (the trait belongs to the
/// lab crates, so the type must be the harness's own).
#[macro_export]
macro_rules! clock_handle {
    ($($security:ident),+) => {
        /// The suite's clock, handed to a crate that takes the security
        /// lab's `Clock`.
        pub struct ClockHandle(pub std::sync::Arc<$crate::clock::SuiteClock>);

        $(
            impl $security::rate_limit::Clock for ClockHandle {
                fn now(&self) -> std::time::Duration {
                    self.0.now()
                }
            }
        )+
    };
}
