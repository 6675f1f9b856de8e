//! Properties over generated inputs, run with a fixed seed and shrunk to a
//! minimal counterexample on failure.

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};

use grader_core::check::{Outcome, describe_panic};

/// The seed every property run starts from, so a grade is reproducible.
const SEED: [u8; 32] = *b"mcp-patterns-labs grader seed 01";

/// Runs `test` on `cases` inputs drawn from `strategy`.
///
/// On failure the input is shrunk, and the outcome carries the failure
/// reason and the minimal input (its `Debug` form, pretty-printed).
pub fn property<S>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Outcome
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let mut config = Config::with_cases(cases);
    config.failure_persistence = Some(Box::new(FileFailurePersistence::Off));
    config.max_shrink_iters = 2048;
    config.source_file = None;
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &SEED);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let ticking = |value| {
        let result = test(value);
        crate::child::tick();
        result
    };
    match runner.run(&strategy, ticking) {
        Ok(()) => Outcome::pass(format!("held on {cases} generated cases")),
        Err(TestError::Fail(reason, input)) => Outcome::fail(describe_reason(reason.message()))
            .with_counterexample(format!("{input:#?}")),
        Err(TestError::Abort(reason)) => Outcome::fail(format!(
            "the property could not run: {}",
            describe_reason(reason.message())
        )),
    }
}

/// Runs `test` on each of the `named` inputs first, then as a property on
/// `cases` inputs drawn from `strategy`; the first failure is reported
/// with its input.
pub fn with_named_cases<St>(
    named: Vec<St::Value>,
    cases: u32,
    strategy: St,
    test: impl Fn(St::Value) -> Result<(), TestCaseError>,
) -> Outcome
where
    St: Strategy,
    St::Value: Clone + std::fmt::Debug,
{
    for input in named {
        if let Err(TestCaseError::Fail(reason)) = test(input.clone()) {
            return Outcome::fail(describe_reason(reason.message()))
                .with_counterexample(format!("{input:#?}"));
        }
        crate::child::tick();
    }
    property(cases, strategy, test)
}

/// A panic caught by proptest arrives as text; make `todo!()` readable.
fn describe_reason(message: &str) -> String {
    if message.contains("not yet implemented") {
        describe_panic(message)
    } else {
        message.to_owned()
    }
}

/// Fails the current case with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if condition {
        Ok(())
    } else {
        Err(TestCaseError::fail(message()))
    }
}
