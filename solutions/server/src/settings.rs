//! The settings `update_config` may change while the server runs.
//!
//! Only a short list of keys exists, each with its own check: a model that
//! asks to set `call_timeout_ms` to `-1` or a key nobody defined gets a
//! `VALIDATION` error naming what is allowed. Everything else (the database
//! URL, the log roots, the token) is fixed at start-up on purpose: no tool
//! call can widen what the server may reach.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use errors::{ErrorCode, ToolError};

/// The keys `update_config` accepts, with what each means.
pub const KEYS: [(&str, &str); 2] = [
    (
        "call_timeout_ms",
        "how long one tool call may take, 100 to 300000 milliseconds",
    ),
    (
        "default_row_limit",
        "rows query_database returns when no limit is given, 1 to 1000",
    ),
];

/// The live settings, readable from every call without a lock.
#[derive(Debug)]
pub struct Settings {
    call_timeout_ms: AtomicU64,
    default_row_limit: AtomicU64,
}

impl Settings {
    /// Settings starting from the command line's values.
    pub fn new(call_timeout: Duration) -> Self {
        Self {
            call_timeout_ms: AtomicU64::new(
                call_timeout.as_millis().clamp(1, u64::MAX as u128) as u64
            ),
            default_row_limit: AtomicU64::new(100),
        }
    }

    /// How long a call may take now.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms.load(Ordering::Relaxed))
    }

    /// Rows returned when a query gives no limit.
    pub fn default_row_limit(&self) -> u32 {
        self.default_row_limit.load(Ordering::Relaxed) as u32
    }

    /// Sets `key` to `value`, returning the old value, or says what keys
    /// and values are allowed.
    pub fn set(&self, key: &str, value: &str) -> Result<u64, ToolError> {
        let (slot, range) = match key {
            "call_timeout_ms" => (&self.call_timeout_ms, 100..=300_000),
            "default_row_limit" => (&self.default_row_limit, 1..=1000),
            other => {
                let known: Vec<String> = KEYS
                    .iter()
                    .map(|(k, what)| format!("{k} ({what})"))
                    .collect();
                return Err(ToolError::new(
                    ErrorCode::Validation,
                    format!(
                        "there is no setting {other:?}; the settings are: {}",
                        known.join("; ")
                    ),
                ));
            }
        };
        let parsed: u64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| {
                ToolError::new(
                    ErrorCode::Validation,
                    format!(
                        "{key} must be a whole number from {} to {}, not {value:?}",
                        range.start(),
                        range.end()
                    ),
                )
            })?;
        Ok(slot.swap(parsed, Ordering::Relaxed))
    }
}
