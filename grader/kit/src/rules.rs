//! Checks that say which rule of the brief was broken.
//!
//! A check often tests several rules at once (a retry loop: the attempt
//! count, each wait, the deadline, the error returned). Each assertion
//! names its rule with [`ensure_rule`] (in a property) or [`check_rule`]
//! (in a unit check); the failure then carries the rule's id, the report
//! shows that rule and its hint rather than one hint for the whole check,
//! and the child runs the check again with that rule set aside, to report
//! up to two more rules it breaks: a second bug is not hidden until the
//! first is fixed.

use std::sync::{Mutex, PoisonError};

use grader_core::check::tag_rule;
use proptest::test_runner::TestCaseError;

/// The rules set aside for the current run of a check.
static SET_ASIDE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether `rule` is set aside now.
fn set_aside(rule: &str) -> bool {
    SET_ASIDE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .any(|r| r == rule)
}

/// Sets the rules to leave unchecked (the child, between runs of a check).
pub fn set_aside_only(rules: &[String]) {
    *SET_ASIDE.lock().unwrap_or_else(PoisonError::into_inner) = rules.to_vec();
}

/// Fails the current case with `message`, naming `rule`, unless
/// `condition` holds (or the rule is set aside).
pub fn ensure_rule(
    rule: &'static str,
    condition: bool,
    message: impl FnOnce() -> String,
) -> Result<(), TestCaseError> {
    if condition || set_aside(rule) {
        Ok(())
    } else {
        Err(TestCaseError::fail(tag_rule(rule, &message())))
    }
}

/// For a unit check: `Err` with `message`, naming `rule`, unless
/// `condition` holds (or the rule is set aside).
pub fn check_rule(
    rule: &'static str,
    condition: bool,
    message: impl FnOnce() -> String,
) -> Result<(), String> {
    if condition || set_aside(rule) {
        Ok(())
    } else {
        Err(tag_rule(rule, &message()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grader_core::check::take_rule;

    #[test]
    fn a_rule_set_aside_passes_and_others_still_fail() {
        let failed = check_rule("a", false, || "broken".into()).unwrap_err();
        assert_eq!(take_rule(&failed), (Some("a".into()), "broken".into()));
        set_aside_only(&["a".to_owned()]);
        assert!(check_rule("a", false, || "broken".into()).is_ok());
        assert!(ensure_rule("b", false, || "broken".into()).is_err());
        set_aside_only(&[]);
    }
}
