//! The result pipe: how a harness child tells the launcher what happened.
//!
//! The launcher starts `harness-LAB __run-suite SIDE`, writes a nonce and
//! the indices of the checks to run on the child's stdin, and reads lines
//! from file descriptor 3. Every line starts with the nonce, so nothing a
//! lab prints, and no line it forges without the nonce, counts. stdout and
//! stderr are only diagnostics.

use crate::check::{CheckResult, RuleFailure};

/// The first argument that puts a harness in child mode.
pub const CHILD_FLAG: &str = "__run-suite";

/// The file descriptor results are written to in the child.
pub const RESULT_FD: i32 = 3;

/// The variable carrying the URL of the database a child's checks use.
pub const DATABASE_URL_VAR: &str = "GRADER_DATABASE_URL";

/// The variable carrying the prefix of a grading run's scratch schemas.
pub const SCRATCH_PREFIX_VAR: &str = "GRADER_SCRATCH_PREFIX";

/// Which crate a harness grades: the learner's or the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The learner's `lab-*` crates.
    Lab,
    /// The reference `solution-*` crates.
    Solution,
}

impl Side {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Lab => "labs",
            Side::Solution => "solutions",
        }
    }

    /// Reads [`Side::as_str`]'s form.
    pub fn parse(text: &str) -> Option<Side> {
        [Side::Lab, Side::Solution]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A message on the result pipe.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The check at this index starts now (its deadline starts too).
    Start(usize),
    /// The check at this index ended with this result.
    Result(usize, Box<CheckResult>),
    /// The check at this index made progress: a property finished a case.
    Tick(usize),
    /// The check at this index, run again with the rules already reported
    /// set aside, broke another rule.
    Also(usize, Box<RuleFailure>),
    /// Every check asked for has run.
    Done,
}

impl Message {
    /// The line that carries this message, without its newline.
    pub fn to_line(&self, nonce: &str) -> String {
        match self {
            Message::Start(i) => format!("{nonce} start {i}"),
            Message::Tick(i) => format!("{nonce} tick {i}"),
            Message::Result(i, result) => format!(
                "{nonce} result {i} {}",
                serde_json::to_string(result).expect("a check result serializes")
            ),
            Message::Also(i, failure) => format!(
                "{nonce} also {i} {}",
                serde_json::to_string(failure).expect("a rule failure serializes")
            ),
            Message::Done => format!("{nonce} done"),
        }
    }

    /// Reads a line; `None` unless it carries `nonce` and a well-formed
    /// message.
    pub fn parse(line: &str, nonce: &str) -> Option<Message> {
        let rest = line.strip_prefix(nonce)?.strip_prefix(' ')?;
        let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        match word {
            "start" => rest.trim().parse().ok().map(Message::Start),
            "tick" => rest.trim().parse().ok().map(Message::Tick),
            "result" => {
                let (index, json) = rest.split_once(' ')?;
                let result = serde_json::from_str(json).ok()?;
                Some(Message::Result(index.parse().ok()?, Box::new(result)))
            }
            "also" => {
                let (index, json) = rest.split_once(' ')?;
                let failure = serde_json::from_str(json).ok()?;
                Some(Message::Also(index.parse().ok()?, Box::new(failure)))
            }
            "done" => Some(Message::Done),
            _ => None,
        }
    }
}

/// What the launcher writes on a child's stdin: the nonce, then the
/// indices of the checks to run.
pub fn request(nonce: &str, indices: &[usize]) -> String {
    let list: Vec<String> = indices.iter().map(usize::to_string).collect();
    format!("{nonce}\n{}\n", list.join(","))
}

/// Reads what [`request`] wrote.
pub fn parse_request(input: &str) -> (String, Vec<usize>) {
    let mut lines = input.lines();
    let nonce = lines.next().unwrap_or_default().trim().to_owned();
    let indices = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    (nonce, indices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Kind, Status};

    #[test]
    fn lines_round_trip_and_need_the_nonce() {
        let result = CheckResult {
            name: "c".into(),
            kind: Kind::Unit,
            status: Status::Passed,
            score: 2,
            max_score: 2,
            message: "ok".into(),
            counterexample: None,
            hint: None,
            rule: None,
            also: Vec::new(),
        };
        let also = RuleFailure {
            rule: "r".into(),
            message: "m".into(),
            counterexample: Some("c".into()),
            hint: None,
        };
        for message in [
            Message::Start(3),
            Message::Tick(3),
            Message::Result(3, Box::new(result)),
            Message::Also(3, Box::new(also)),
            Message::Done,
        ] {
            let line = message.to_line("n0nce");
            assert_eq!(Message::parse(&line, "n0nce"), Some(message.clone()));
            assert_eq!(Message::parse(&line, "other"), None);
            assert_eq!(
                Message::parse(&line.replacen("n0nce", "", 1), "n0nce"),
                None
            );
        }
        assert_eq!(
            parse_request(&request("abc", &[0, 4])),
            ("abc".to_owned(), vec![0, 4])
        );
    }
}
