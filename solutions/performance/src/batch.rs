//! Many async jobs, a few at a time, order kept, failures isolated.
//!
//! Awaiting jobs one after another makes N calls take N times as long.
//! Starting all of them at once can swamp a database or an API. A batch
//! runner starts at most `concurrency` jobs at a time, keeps each result in
//! its job's slot, and lets one job's failure (or timeout) stay its own.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use errors::ToolError;
use errors::timeout::with_timeout;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

// ANCHOR: run_batch
/// Runs `jobs` with at most `concurrency` running at once (0 counts as 1),
/// each under `per_job_timeout` if given. The results come back in the
/// order of `jobs`; a job that fails, times out or panics leaves an error
/// in its own slot and the others run on.
pub async fn run_batch<T, F, Fut>(
    jobs: Vec<F>,
    concurrency: usize,
    per_job_timeout: Option<Duration>,
) -> Vec<Result<T, ToolError>>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ToolError>> + Send + 'static,
{
    // LAB: todo("run_batch")
    // TODO: Limit concurrency with a `tokio::sync::Semaphore` (0 counts as 1), spawn each job into
    //       a `JoinSet` tagged with its index, and wrap it in lab 2's `with_timeout` when a limit
    //       is given.
    // TODO: Put each result in its job's slot; a job that panicked gets an internal error. Return
    //       the slots in input order.
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    let count = jobs.len();
    for (slot, job) in jobs.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        running.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let result = match per_job_timeout {
                Some(limit) => with_timeout(&format!("job {slot}"), limit, job()).await,
                None => job().await,
            };
            (slot, result)
        });
    }
    let mut results: Vec<Option<Result<T, ToolError>>> = (0..count).map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        if let Ok((slot, result)) = joined {
            results[slot] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(ToolError::internal("a batch job panicked"))))
        .collect()
    // LAB: end
}
// ANCHOR_END: run_batch
