//! The hidden suite of lab 5 (the capstone server).
//!
//! Two halves. In process: the four modules the learner writes, against
//! models (the tail, the row cap, the bearer check, the pipeline). Out of
//! process: the learner's whole server, started as its own process and
//! driven over stdio by an rmcp client, or over HTTP: what a real client
//! sees, generated attacks included.

use std::io;
use std::process::Stdio;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::server_proc::{
    HttpServer, Human, Sandbox, Session, drain_up_to, error_code, expect_error, expect_ok,
    stub_reached, text,
};
use files::{
    BLOCK, Bytes, FileSpec, Filler, MAX_TAIL, TrackedFile, bytes_needed, counts_by_block,
    tail_model,
};
use grader_kit::db;
use grader_kit::prop::{ensure, property};
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::{Check, Outcome, unit};
use grader_kit::{Side, runtime, security_gen as generate};

mod files;
mod pages;
#[macro_use]
mod pipeline;

/// What the suite needs from one side's crate, in process.
pub trait Api {
    /// Which side this is, to start its server binary.
    const SIDE: Side;
    /// `tail::last_lines` on a file the suite describes and watches.
    fn last_lines(file: &mut TrackedFile<'_>, n: usize) -> io::Result<Vec<String>>;
    /// `rows::render` of `n` rows of two columns.
    fn render(n: usize, limit: u32) -> String;
    /// `auth::constant_time_eq`.
    fn constant_time_eq(a: &[u8], b: &[u8]) -> bool;
    /// `auth::check_bearer`, its error as its `Debug` name.
    fn check_bearer(expected: &str, header: Option<&[u8]>) -> Result<(), String>;
    /// The pipeline's steps, in process.
    fn pipeline_steps() -> Result<String, String>;
    /// What `Pipeline::call` returns, audits and counts, in process.
    fn pipeline_calls() -> Result<String, String>;
}

macro_rules! adapter {
    ($name:ident, $server:ident) => {
        /// The suite's view of one side's `server` crate.
        pub struct $name;

        pipeline_scenarios!($server);

        impl Api for $name {
            const SIDE: Side = side_named(stringify!($name));

            fn last_lines(file: &mut TrackedFile<'_>, n: usize) -> io::Result<Vec<String>> {
                $server::tail::last_lines(file, n)
            }

            fn render(n: usize, limit: u32) -> String {
                use $server::performance::pool::{ColumnInfo, QueryRows};
                let rows = QueryRows {
                    columns: vec![
                        ColumnInfo {
                            name: "id".into(),
                            type_name: "INT8".into(),
                        },
                        ColumnInfo {
                            name: "label".into(),
                            type_name: "TEXT".into(),
                        },
                    ],
                    rows: (0..n)
                        .map(|i| vec![json!(i), json!(format!("r{i}"))])
                        .collect(),
                };
                $server::rows::render(&rows, limit)
            }

            fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
                $server::auth::constant_time_eq(a, b)
            }

            fn check_bearer(expected: &str, header: Option<&[u8]>) -> Result<(), String> {
                $server::auth::check_bearer(expected, header).map_err(|e| format!("{e:?}"))
            }

            fn pipeline_steps() -> Result<String, String> {
                pipe::steps()
            }

            fn pipeline_calls() -> Result<String, String> {
                pipe::calls()
            }
        }
    };
}

grader_kit::both_sides!(adapter, [lab_server], [solution_server]);

/// The side an adapter named `Learner` or `Reference` stands for.
const fn side_named(name: &str) -> Side {
    if name.len() == 7 && name.as_bytes()[0] == b'L' {
        Side::Lab
    } else {
        Side::Solution
    }
}

/// A tool result's text.
pub(crate) fn content_text(result: &rmcp::model::CallToolResult) -> String {
    text(result)
}

/// The code of an `isError` result whose text is `Error [CODE]: ...`.
pub(crate) fn error_code_of(is_error: Option<bool>, text: &str) -> Option<String> {
    if is_error != Some(true) {
        return None;
    }
    Some(text.strip_prefix("Error [")?.split(']').next()?.to_owned())
}

/// The suite, for one side: each check of the catalogue with the code
/// that runs it.
pub fn suite<S: Api>() -> Vec<Check> {
    grader_kit::bind(
        "server",
        &[
            ("tail_matches_a_model", tail_against_model::<S>),
            ("tail_reads_only_the_end", tail_cost::<S>),
            ("rows_are_capped_with_a_note", rows_cap::<S>),
            ("bearer_tokens_are_checked", bearer::<S>),
            ("tokens_are_compared_in_constant_time", constant_time::<S>),
            ("pipeline_runs_every_step_in_order", pipeline_steps::<S>),
            (
                "calls_are_answered_audited_and_counted",
                pipeline_calls::<S>,
            ),
            ("tools_are_listed_with_their_schemas", tool_list::<S>),
            (
                "injections_leave_the_demo_database_unchanged",
                injections_sqlite::<S>,
            ),
            (
                "injections_leave_postgresql_unchanged",
                injections_postgres::<S>,
            ),
            ("traversals_stay_inside_the_log_roots", traversals::<S>),
            ("every_call_is_audited_without_secrets", audit::<S>),
            ("bursts_are_rate_limited", burst::<S>),
            (
                "slow_queries_time_out_and_the_server_goes_on",
                slow_query::<S>,
            ),
            ("approval_goes_through_elicitation", approval::<S>),
            ("http_endpoints_and_guards", http::<S>),
            ("logs_go_to_stderr_at_their_level", logs::<S>),
            ("shutdown_finishes_calls_in_flight", shutdown::<S>),
        ],
    )
}

// ----------------------------------------------------------------- tail ----

/// Which kind of file a generated case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// A few short lines: `\r`, bytes that are not UTF-8, lines longer
    /// than a block.
    Lines,
    /// The block boundary (64 KiB from the end) falls inside a character.
    SplitCharacter,
    /// A file longer than the 4 MiB window.
    LongerThanWindow,
}

/// One `last_lines` call: the file, how many lines, and how many bytes
/// one `read` hands out at most.
#[derive(Clone, Debug)]
struct TailCase {
    family: Family,
    file: FileSpec,
    lines: usize,
    read_at_most: usize,
}

/// How many bytes one `read` hands out: often all that is asked, but a
/// `Read` may return fewer.
fn read_sizes() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(usize::MAX), 1 => Just(7usize), 1 => Just(4096usize), 1 => Just(BLOCK as usize - 1)]
}

/// Short lines: letters and spaces, `\r`, bytes that are not UTF-8, runs
/// around a block's length; with or without a final `\n`.
fn short_lines() -> impl Strategy<Value = FileSpec> {
    let piece = prop_oneof![
        8 => "[a-z ]{0,12}".prop_map(String::into_bytes),
        2 => Just(b"\r".to_vec()),
        1 => Just(vec![0xff, 0xfe]),
        1 => Just("é€".as_bytes().to_vec()),
        1 => (BLOCK - 8..BLOCK + 8).prop_map(|n| vec![b'x'; n as usize]),
    ];
    let line = prop::collection::vec(piece, 0..3).prop_map(|p| p.concat());
    (prop::collection::vec(line, 0..40), any::<bool>()).prop_map(|(lines, trailing)| {
        let mut text = lines.join(&b'\n');
        if trailing && !text.is_empty() {
            text.push(b'\n');
        }
        FileSpec::text(text)
    })
}

/// `head line\nxx`, a character of 2 to 4 bytes cut by the block
/// boundary after its `cut`-th byte, a long line's rest, then `last`.
fn split_character() -> impl Strategy<Value = FileSpec> {
    (select(vec!["é", "€", "😀"]), 1usize..4, any::<bool>()).prop_map(|(c, cut, trailing)| {
        let c = c.as_bytes();
        let cut = 1 + (cut - 1) % (c.len() - 1);
        let head = b"head line\nxx";
        let last: &[u8] = if trailing { b"\nlast\n" } else { b"\nlast" };
        let pad = BLOCK as usize + cut - c.len() - last.len();
        let text = [head.as_slice(), c, &vec![b'y'; pad], last].concat();
        FileSpec::text(text)
    })
}

/// A file of 4 MiB and a few bytes more, its window's first byte at,
/// just after or just before a line's start.
fn longer_than_window() -> impl Strategy<Value = FileSpec> {
    let line_len = prop_oneof![
        Just(0u64),
        Just(1),
        Just(99),
        Just(BLOCK - 1),
        Just(BLOCK),
        Just(MAX_TAIL + 10),
        1u64..5000
    ];
    let at = prop_oneof![Just(0u64), Just(1), Just(u64::MAX), 0u64..1000];
    let text = select(vec!["", "\n", "end", "end\r\n", "x\ny"]);
    (line_len, at, 1u64..3, text).prop_map(|(line_len, at, lines_before, text)| {
        let period = line_len + 1;
        let at = if at == u64::MAX {
            line_len
        } else {
            at % period
        };
        // The window starts at `floor = len - MAX_TAIL`: on a line's start
        // (at 0), at its `\n` (at line_len), or in between.
        let floor = lines_before * period + at;
        FileSpec {
            filler: Filler {
                line_len,
                bytes: floor + MAX_TAIL - text.len() as u64,
            },
            text: Bytes(text.as_bytes().to_vec()),
        }
    })
}

fn tail_case() -> impl Strategy<Value = TailCase> {
    let small = prop_oneof![3 => 0usize..50, 1 => Just(1usize), 1 => Just(0usize)];
    let lines = (short_lines(), small, read_sizes()).prop_map(|(file, lines, r)| TailCase {
        family: Family::Lines,
        file,
        lines,
        read_at_most: r,
    });
    let split = (split_character(), select(vec![2usize, 3, 50]), read_sizes()).prop_map(
        |(file, lines, r)| TailCase {
            family: Family::SplitCharacter,
            file,
            lines,
            read_at_most: r,
        },
    );
    let many = prop_oneof![Just(1_000_000usize), Just(100_000usize), 1usize..3000];
    let long = (
        longer_than_window(),
        many,
        prop_oneof![Just(usize::MAX), Just(4096usize)],
    )
        .prop_map(|(file, lines, r)| TailCase {
            family: Family::LongerThanWindow,
            file,
            lines,
            read_at_most: r,
        });
    prop_oneof![6 => lines, 2 => split, 1 => long]
}

/// `last_lines` on `case`, and the reader that served it.
fn run_tail<S: Api>(case: &TailCase) -> Result<(Vec<String>, u64, Option<u64>), TestCaseError> {
    let mut file = TrackedFile::new(&case.file, case.read_at_most);
    let got = S::last_lines(&mut file, case.lines)
        .map_err(|e| TestCaseError::fail(format!("an I/O error: {e}")))?;
    Ok((got, file.bytes_read, file.lowest))
}

/// Which rule a wrong answer breaks, by the kind of file, or the short
/// reads when the same call is right with whole reads.
fn tail_rule<S: Api>(case: &TailCase) -> &'static str {
    if case.read_at_most != usize::MAX {
        let whole = TailCase {
            read_at_most: usize::MAX,
            ..case.clone()
        };
        if run_tail::<S>(&whole).is_ok_and(|(got, _, _)| got == tail_model(&case.file, case.lines))
        {
            return "read-exact";
        }
    }
    match case.family {
        Family::Lines => "last-n-lines",
        Family::SplitCharacter => "decode-after-join",
        Family::LongerThanWindow => "whole-lines-in-window",
    }
}

/// Shows the ends of two long line lists where they differ.
fn compare_lines(want: &[String], got: &[String]) -> String {
    // Each line as bytes, long runs of one byte shortened: a 64 KiB line
    // shows where it differs instead of filling the report.
    let line = |l: &String| format!("{:?}", Bytes(l.clone().into_bytes()));
    if want.len() + got.len() <= 12 {
        let all = |lines: &[String]| lines.iter().map(line).collect::<Vec<_>>().join(", ");
        return format!("expected [{}], got [{}]", all(want), all(got));
    }
    let first = want.iter().zip(got).position(|(w, g)| w != g);
    let at = first.unwrap_or(want.len().min(got.len()));
    let show = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .skip(at.saturating_sub(1))
            .take(3)
            .map(line)
            .collect()
    };
    format!(
        "expected {} lines, got {}; from line {at} on, expected [{}], got [{}]",
        want.len(),
        got.len(),
        show(want).join(", "),
        show(got).join(", ")
    )
}

/// `tail_matches_a_model`: the last lines, compared with the brief's
/// model on generated files (short lines with `\r` and bytes that are not
/// UTF-8, a character cut by the block boundary, files longer than the
/// 4 MiB window with its start on or beside a line's start), read through
/// a file whose `read` may hand out fewer bytes than asked.
fn tail_against_model<S: Api>() -> Outcome {
    property(96, tail_case(), |case| {
        let (got, _, _) = run_tail::<S>(&case)?;
        let want = tail_model(&case.file, case.lines);
        if got == want {
            return Ok(());
        }
        let rule = tail_rule::<S>(&case);
        ensure_rule(rule, false, || {
            format!(
                "last {} lines of a {}-byte file: {}",
                case.lines,
                case.file.len(),
                compare_lines(&want, &got)
            )
        })
    })
}

/// Files of lines whose blocks end on, just after or just before a
/// `\n`, and every count of lines at which one more needs one more
/// block.
fn cost_case() -> impl Strategy<Value = TailCase> {
    let line_len = prop_oneof![
        Just(0u64),
        Just(1),
        Just(63),
        Just(99),
        Just(4095),
        Just(BLOCK - 1),
        Just(BLOCK),
        Just(BLOCK + 1),
        1u64..300
    ];
    let bytes = prop_oneof![
        Just(BLOCK),
        Just(3 * BLOCK),
        Just(MAX_TAIL),
        Just(MAX_TAIL + 3 * BLOCK),
        Just(50u64 << 20),
        1u64..8 * BLOCK
    ];
    let at = prop_oneof![Just(0u64), Just(1), Just(u64::MAX), 0u64..1000];
    let text = select(vec!["", "\n", "end", "end\n", "\r\n"]);
    (line_len, bytes, at, text).prop_flat_map(|(line_len, bytes, at, text)| {
        let period = line_len + 1;
        let at = if at == u64::MAX {
            line_len
        } else {
            at % period
        };
        // With a period dividing 64 KiB, every block starts `at` bytes
        // into a line.
        let len = (bytes / period).max(1) * period + at;
        let file = FileSpec {
            filler: Filler {
                line_len,
                bytes: len.saturating_sub(text.len() as u64),
            },
            text: Bytes(text.as_bytes().to_vec()),
        };
        let mut counts = vec![0, 1, 10, 1_000_000];
        for c in counts_by_block(&file, 3) {
            counts.extend([c.saturating_sub(1), c, c + 1]);
        }
        (Just(file), select(counts)).prop_map(|(file, lines)| TailCase {
            family: Family::Lines,
            file,
            lines,
            read_at_most: usize::MAX,
        })
    })
}

/// A peek at the file's last byte is fine; a block more is not.
const PEEK: u64 = 8;

/// The bytes read, the lowest offset read and the lines returned, for
/// `case`; the first broken rule as `(rule, message)`.
fn tail_cost_case<S: Api>(case: &TailCase) -> Result<(), (&'static str, String)> {
    let (got, bytes_read, lowest) =
        run_tail::<S>(case).map_err(|e| ("right-lines", e.to_string()))?;
    let n = case.lines;
    let len = case.file.len();
    let want = tail_model(&case.file, n);
    if got != want {
        return Err((
            "right-lines",
            format!(
                "last {n} lines of a {len}-byte file: {}",
                compare_lines(&want, &got)
            ),
        ));
    }
    let floor = files::floor(&case.file);
    if let Some(lowest) = lowest.filter(|&l| l < floor) {
        return Err((
            "never-below-window",
            format!(
                "the last {n} lines of a {len}-byte file: read from offset {lowest}, below the window's start {floor} (len - MAX_TAIL_BYTES)"
            ),
        ));
    }
    let needed = bytes_needed(&case.file, n);
    if bytes_read > needed + PEEK {
        return Err((
            "stop-at-n-newlines",
            format!(
                "the last {n} lines of a {len}-byte file: read {bytes_read} bytes, but blocks of 64 KiB from the end hold {n} newlines (not counting a final one) within the last {needed} bytes"
            ),
        ));
    }
    Ok(())
}

/// `tail_reads_only_the_end`: counts the bytes `last_lines` reads, on a
/// 50 MB file (10 lines, exactly the newlines of the last block, one
/// more, a million) and on generated files whose lines end on, beside
/// or across block boundaries, asking for exactly the lines a block
/// holds, one fewer and one more: never more than the blocks from the end
/// that hold the `n` newlines, never below the 4 MiB window.
fn tail_cost<S: Api>() -> Outcome {
    let big = FileSpec {
        filler: Filler {
            line_len: 99,
            bytes: 50 << 20,
        },
        text: Bytes::default(),
    };
    let in_last_block = counts_by_block(&big, 1)[0];
    for lines in [10, in_last_block, in_last_block + 1, 1_000_000] {
        let case = TailCase {
            family: Family::Lines,
            file: big.clone(),
            lines,
            read_at_most: usize::MAX,
        };
        if let Err((rule, message)) = tail_cost_case::<S>(&case)
            && let Err(failure) = check_rule(rule, false, || message)
        {
            return Outcome::fail(failure).with_counterexample(format!("{case:#?}"));
        }
        grader_kit::child::tick();
    }
    property(48, cost_case(), |case| match tail_cost_case::<S>(&case) {
        Ok(()) => Ok(()),
        Err((rule, message)) => ensure_rule(rule, false, || message),
    })
}

// ----------------------------------------------------------------- rows ----

/// `rows` rows of two columns rendered at `limit`.
#[derive(Clone, Debug)]
struct RowsCase {
    rows: usize,
    limit: u32,
}

fn rows_case() -> impl Strategy<Value = RowsCase> {
    let limit = prop_oneof![
        1 => Just(0u32),
        1 => Just(1u32),
        1 => Just(999u32),
        1 => Just(1000u32),
        1 => Just(1001u32),
        1 => Just(u32::MAX),
        4 => 2u32..1100,
    ];
    limit.prop_flat_map(|limit| {
        let cap = limit.clamp(1, 1000) as usize;
        let rows = prop_oneof![
            2 => Just(cap),
            2 => Just(cap + 1),
            1 => Just(cap - 1),
            1 => Just(0usize),
            2 => 0usize..1100,
        ];
        rows.prop_map(move |rows| RowsCase { rows, limit })
    })
}

/// The whole numbers written in `text`.
fn numbers_in(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|d| d.parse().ok())
        .collect()
}

/// `rows_are_capped_with_a_note`: `render` on generated row counts and
/// limits, weighted to the edges (a limit of 0, 1, 1000, 1001,
/// `u32::MAX`; exactly `limit` rows, one fewer, one more): the clamp, the
/// cut, the rows kept, the columns, and the note only when rows were cut,
/// giving the number shown.
fn rows_cap<S: Api>() -> Outcome {
    property(128, rows_case(), |RowsCase { rows: n, limit }| {
        let text = S::render(n, limit);
        let out: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {text}")))?;
        let cap = limit.clamp(1, 1000) as usize;
        let shown = n.min(cap);
        let kept = out["rows"].as_array().map(Vec::len);
        ensure_rule("limit-clamped", kept == Some(shown), || {
            format!(
                "{n} rows at limit {limit}: expected {shown} rows (the limit clamped to 1..=1000), got {}",
                kept.map_or("no rows array".into(), |k| k.to_string())
            )
        })?;
        ensure_rule(
            "first-rows-in-order",
            out["row_count"] == json!(shown),
            || {
                format!(
                    "{n} rows at limit {limit}: row_count should be {shown}, is {}",
                    out["row_count"]
                )
            },
        )?;
        let want_rows: Vec<Value> = (0..shown).map(|i| json!([i, format!("r{i}")])).collect();
        ensure_rule(
            "first-rows-in-order",
            out["rows"] == Value::Array(want_rows),
            || {
                format!(
                    "{n} rows at limit {limit}: the first {shown} rows are kept, in order, each an array of its values"
                )
            },
        )?;
        let cut = n > cap;
        ensure_rule("truncated-iff-more", out["truncated"] == json!(cut), || {
            format!(
                "{n} rows at limit {limit}: truncated should be {cut}, is {}",
                out["truncated"]
            )
        })?;
        ensure_rule(
            "note-only-when-cut",
            out.get("note").is_some() == cut,
            || {
                format!(
                    "{n} rows at limit {limit}: a note exactly when rows were cut, and no note key otherwise: {}",
                    out.get("note").map_or("no note".into(), Value::to_string)
                )
            },
        )?;
        if let Some(note) = out.get("note").filter(|_| cut) {
            let said = note.as_str().map(numbers_in).unwrap_or_default();
            ensure_rule("note-says-shown", said.contains(&(shown as u64)), || {
                format!(
                    "{n} rows at limit {limit}: the note says how many rows are shown ({shown}), as a number: {note}"
                )
            })?;
        }
        ensure_rule(
            "columns",
            out["columns"]
                == json!([{"name": "id", "type": "INT8"}, {"name": "label", "type": "TEXT"}]),
            || format!("columns: {}", out["columns"]),
        )
    })
}

// ---------------------------------------------------------------- bearer ----

/// One `Authorization` header, what `check_bearer("tok-123", header)`
/// must answer, and the rule that says so.
struct BearerCase {
    header: Option<&'static [u8]>,
    want: Result<(), &'static str>,
    rule: &'static str,
}

const BEARER_CASES: [BearerCase; 19] = [
    BearerCase {
        header: Some(b"Bearer tok-123"),
        want: Ok(()),
        rule: "token-compared",
    },
    BearerCase {
        header: Some(b"bEaReR tok-123"),
        want: Ok(()),
        rule: "scheme-any-case",
    },
    BearerCase {
        header: Some(b"BEARER tok-123"),
        want: Ok(()),
        rule: "scheme-any-case",
    },
    BearerCase {
        header: Some(b"Bearer    tok-123 "),
        want: Ok(()),
        rule: "token-trimmed",
    },
    BearerCase {
        header: Some(b" Bearer tok-123"),
        want: Ok(()),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: Some(b"\t Bearer tok-123\r\n"),
        want: Ok(()),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: None,
        want: Err("Missing"),
        rule: "missing",
    },
    BearerCase {
        header: Some(b"Bearer tok-\xff"),
        want: Err("NotBearer"),
        rule: "not-utf8",
    },
    BearerCase {
        header: Some(b"\xffBearer tok-123"),
        want: Err("NotBearer"),
        rule: "not-utf8",
    },
    BearerCase {
        header: Some(b"Basic dG9rLTEyMw=="),
        want: Err("NotBearer"),
        rule: "scheme-any-case",
    },
    BearerCase {
        header: Some(b"Bearertok-123"),
        want: Err("NotBearer"),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: Some(b"Bearer\ttok-123"),
        want: Err("NotBearer"),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: Some(b"tok-123"),
        want: Err("NotBearer"),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: Some(b"Bearer "),
        want: Err("NotBearer"),
        rule: "token-trimmed",
    },
    BearerCase {
        header: Some(b""),
        want: Err("NotBearer"),
        rule: "trim-then-first-space",
    },
    BearerCase {
        header: Some(b"Bearer tok-12"),
        want: Err("WrongToken"),
        rule: "token-compared",
    },
    BearerCase {
        header: Some(b"Bearer tok-1234"),
        want: Err("WrongToken"),
        rule: "token-compared",
    },
    BearerCase {
        header: Some(b"Bearer TOK-123"),
        want: Err("WrongToken"),
        rule: "token-compared",
    },
    BearerCase {
        header: Some(b"Bearer tok-123 x"),
        want: Err("WrongToken"),
        rule: "token-compared",
    },
];

/// `bearer_tokens_are_checked`: `check_bearer` on fixed headers, one or
/// more per rule of the brief: no header, not UTF-8, surrounding
/// whitespace, the first space only (a tab is not one), the scheme's
/// case, the token trimmed or empty, the token compared.
fn bearer<S: Api>() -> Outcome {
    unit((|| {
        for case in &BEARER_CASES {
            let got = S::check_bearer("tok-123", case.header);
            check_rule(
                case.rule,
                got.as_ref().map(|_| ()).map_err(String::as_str) == case.want,
                || {
                    format!(
                        "header {:?}: expected {:?}, got {got:?}",
                        case.header.map(|h| Bytes(h.to_vec())),
                        case.want
                    )
                },
            )?;
        }
        Ok(format!("{} Authorization headers", BEARER_CASES.len()))
    })())
}

/// Two byte strings for `constant_time_eq`.
#[derive(Clone, Debug)]
struct Pair {
    a: Bytes,
    b: Bytes,
}

/// Pairs that are equal, differ in one byte, differ in two bytes by the
/// same bits (their XORs cancel when combined by XOR), differ in length
/// (one a prefix of the other), or are empty.
fn pairs() -> impl Strategy<Value = Pair> {
    let bytes = prop::collection::vec(any::<u8>(), 0..24);
    let equal = bytes.clone().prop_map(|a| Pair {
        a: Bytes(a.clone()),
        b: Bytes(a),
    });
    let one = (
        prop::collection::vec(any::<u8>(), 1..24),
        any::<prop::sample::Index>(),
        1u8..=255,
    )
        .prop_map(|(a, i, x)| {
            let mut b = a.clone();
            let i = i.index(b.len());
            b[i] ^= x;
            Pair {
                a: Bytes(a),
                b: Bytes(b),
            }
        });
    let twice = (
        prop::collection::vec(any::<u8>(), 2..24),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        1u8..=255,
    )
        .prop_map(|(a, i, j, x)| {
            let mut b = a.clone();
            let i = i.index(b.len());
            let j = (i + 1 + j.index(b.len() - 1)) % b.len();
            b[i] ^= x;
            b[j] ^= x;
            Pair {
                a: Bytes(a),
                b: Bytes(b),
            }
        });
    let prefix = (prop::collection::vec(any::<u8>(), 0..24), 1usize..4).prop_map(|(a, more)| {
        let mut b = a.clone();
        b.extend(std::iter::repeat_n(b'z', more));
        Pair {
            a: Bytes(a),
            b: Bytes(b),
        }
    });
    prop_oneof![
        2 => equal,
        2 => one,
        2 => twice,
        1 => prefix,
        1 => Just(Pair { a: Bytes::default(), b: Bytes::default() }),
        1 => Just(Pair { a: Bytes(b"ab".to_vec()), b: Bytes(b"ba".to_vec()) }),
    ]
}

/// Bytes on the first of two fresh pages; the strings compared end 256
/// bytes into the second page, which nothing has read yet.
const ON_FIRST_PAGE: usize = 1024;
const ON_SECOND_PAGE: usize = 256;

/// Compares two strings that differ in their first byte, laid across two
/// fresh memory pages, and says whether the bytes of each on the second
/// page were read; `Err` when memory cannot be watched here.
fn read_past_first_difference(compare: impl FnOnce(&[u8], &[u8])) -> Result<(bool, bool), String> {
    let mut a = pages::Pages::new()?;
    let mut b = pages::Pages::new()?;
    let mut head = vec![b'a'; ON_FIRST_PAGE];
    head[0] = b'x';
    a.write_before_second_page(&head);
    head[0] = b'y';
    b.write_before_second_page(&head);
    if a.second_page_touched()? || b.second_page_touched()? {
        return Err("fresh memory already counted as read".into());
    }
    compare(
        a.across(ON_FIRST_PAGE, ON_SECOND_PAGE),
        b.across(ON_FIRST_PAGE, ON_SECOND_PAGE),
    );
    Ok((a.second_page_touched()?, b.second_page_touched()?))
}

/// `tokens_are_compared_in_constant_time`: `constant_time_eq` on
/// generated pairs (equal, one byte apart, two bytes apart by the same
/// bits, a prefix, empty); then, with the strings laid across two fresh
/// memory pages, whether comparing strings of 1280 bytes that differ in
/// their first byte reads their last 256 bytes, directly and through
/// `check_bearer` (the expected token's). What was read is asked of the
/// kernel (`mincore`), not timed.
fn constant_time<S: Api>() -> Outcome {
    let semantics = property(128, pairs(), |Pair { a, b }| {
        let got = S::constant_time_eq(&a.0, &b.0);
        let want = a == b;
        let rule = if a.0.len() != b.0.len() {
            "ct-lengths"
        } else if want {
            "ct-equal"
        } else {
            "ct-every-pair"
        };
        ensure_rule(rule, got == want, || {
            format!("constant_time_eq({a:?}, {b:?}) should be {want}, is {got}")
        })
    });
    if semantics.status != grader_kit::Status::Passed {
        return semantics;
    }
    let direct = read_past_first_difference(|a, b| {
        std::hint::black_box(S::constant_time_eq(a, b));
    });
    let through_bearer = read_past_first_difference(|token, expected| {
        let expected = std::str::from_utf8(expected).expect("ASCII and zeros");
        let header = [b"Bearer ".as_slice(), token].concat();
        std::hint::black_box(S::check_bearer(expected, Some(&header)).ok());
    });
    let size = ON_FIRST_PAGE + ON_SECOND_PAGE;
    match (direct, through_bearer) {
        (Err(why), _) | (_, Err(why)) => Outcome::skip(format!(
            "cannot watch which memory is read on this machine: {why}"
        )),
        (Ok((a, b)), Ok((_, expected))) => unit((|| {
            check_rule("ct-no-early-exit", a && b, || {
                format!(
                    "constant_time_eq on two {size}-byte strings that differ in their first byte never read the last {ON_SECOND_PAGE} bytes of {}: it stopped at the first difference",
                    match (a, b) {
                        (false, false) => "either",
                        (false, true) => "the first",
                        _ => "the second",
                    }
                )
            })?;
            check_rule("bearer-constant-time", expected, || {
                format!(
                    "check_bearer with a {size}-byte token that differs from the expected one in its first byte never read the last {ON_SECOND_PAGE} bytes of the expected token: the comparison stopped at the first difference"
                )
            })?;
            Ok(
                "equal exactly when equal, and every byte read whatever the first difference"
                    .into(),
            )
        })()),
    }
}

// ------------------------------------------------------------- pipeline ----

/// `pipeline_runs_every_step_in_order`: 25 scripted calls through
/// `Pipeline::call` on a paused clock, each with the error code expected
/// (or a result), whether the tool runs and whether the human is asked:
/// permission before the rate limit (a refused tool spends no token),
/// approval only for tools that need it and only after both checks, each
/// refusal saying which answer it was (and why asking failed), the tool's
/// result or error unchanged, a panic as INTERNAL without its text, the
/// call timeout read at each call and not counting the human's time, the
/// timed-out task aborted; then one audit entry and one count per call.
fn pipeline_steps<S: Api>() -> Outcome {
    unit(S::pipeline_steps())
}

/// `calls_are_answered_audited_and_counted`: what `Pipeline::call` makes
/// of each call: the success result (one text block) or the error's own
/// result (with its structured content), the audit entry (tool, success,
/// the length of the text sent, the elapsed time), the call counted in
/// flight until its end, the metrics; an audit write that fails is
/// counted and the call still answered; a poisoned audit lock still used.
fn pipeline_calls<S: Api>() -> Outcome {
    unit(S::pipeline_calls())
}

// ------------------------------------------------------------ processes ----

/// Runs `body` with a stdio session on the server of side `S`.
fn with_session<S: Api>(
    args: &[&str],
    human: Human,
    body: impl AsyncFnOnce(&Sandbox, &Session) -> Result<String, String>,
) -> Outcome {
    unit((|| {
        let sandbox = Sandbox::new()?;
        let rt = runtime();
        rt.block_on(async {
            let session = Session::start(sandbox.command(S::SIDE, "stdio", args)?, human).await?;
            let result = body(&sandbox, &session).await;
            session.close().await;
            result
        })
    })())
}

/// The tool list a client must see: names, argument names, required ones,
/// and which tools only read.
const TOOLS: [(&str, &[&str], &[&str], bool); 5] = [
    ("query_database", &["query", "limit"], &["query"], true),
    ("read_log", &["path", "lines"], &["path"], true),
    ("get_metrics", &["metric"], &["metric"], true),
    ("health_check", &[], &[], true),
    ("update_config", &["key", "value"], &["key", "value"], false),
];

fn tool_list<S: Api>() -> Outcome {
    with_session::<S>(&[], Human::Absent, async |_, session| {
        let tools = session
            .client
            .list_all_tools()
            .await
            .map_err(|e| format!("tools/list failed: {e}"))?;
        if tools.len() != TOOLS.len() {
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
            return Err(format!("expected the five tools, got {names:?}"));
        }
        for (name, props, required, read_only) in TOOLS {
            let tool = tools
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| format!("no tool named {name}"))?;
            if tool.description.as_deref().is_none_or(|d| d.len() < 40) {
                return Err(format!(
                    "{name} needs a description saying what it does and refuses"
                ));
            }
            let schema = Value::Object((*tool.input_schema).clone());
            let mut got: Vec<&str> = schema["properties"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            got.sort_unstable();
            let mut want = props.to_vec();
            want.sort_unstable();
            if got != want {
                return Err(format!("{name} takes {want:?}, its schema lists {got:?}"));
            }
            let mut req: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            req.sort_unstable();
            let mut want_req = required.to_vec();
            want_req.sort_unstable();
            if req != want_req {
                return Err(format!(
                    "{name} requires {want_req:?}, its schema requires {req:?}"
                ));
            }
            let hint = tool.annotations.as_ref().and_then(|a| a.read_only_hint);
            if hint != Some(read_only) {
                return Err(format!(
                    "{name}: readOnlyHint should be {read_only}, is {hint:?}"
                ));
            }
        }
        Ok("five tools with their arguments, descriptions and read-only hints".into())
    })
}

/// Rate limits out of the way, for checks that make many calls.
const UNLIMITED: &[&str] = &["--rate-burst", "1000000", "--rate-per-second", "1000000"];

/// A refusal by the server's own checks: an error, and not the rate limit
/// (which would refuse a harmless query too).
fn refused(result: &rmcp::model::CallToolResult) -> bool {
    error_code(result).is_some_and(|code| code != "RATE_LIMITED")
}

/// Writes and other escapes for SQLite, in the demo database's own tables.
fn sqlite_attack(attached: String) -> impl Strategy<Value = String> {
    let table = select(vec!["customers", "orders", "products"]);
    let fixed = prop_oneof![
        table.clone().prop_map(|t| format!("DELETE FROM {t}")),
        table.clone().prop_map(|t| format!("DROP TABLE {t}")),
        table
            .clone()
            .prop_map(|t| format!("SELECT 1; DELETE FROM {t}")),
        table
            .clone()
            .prop_map(|t| format!("SELECT * FROM {t}; DROP TABLE {t} --")),
        table
            .clone()
            .prop_map(|t| format!("UPDATE {t} SET id = id + 1000")),
        table
            .clone()
            .prop_map(|t| format!("INSERT INTO {t} SELECT * FROM {t}")),
        table.clone().prop_map(|t| format!(
            "WITH gone AS (DELETE FROM {t} RETURNING id) SELECT * FROM gone"
        )),
        table.prop_map(|t| format!("CREATE TABLE copy_of AS SELECT * FROM {t}")),
        Just("PRAGMA query_only = OFF".to_owned()),
        Just("PRAGMA writable_schema = ON".to_owned()),
        Just("VACUUM".to_owned()),
        Just(format!("ATTACH DATABASE '{attached}' AS side")),
        Just(format!("VACUUM INTO '{attached}'")),
        Just("SELECT load_extension('/tmp/evil.so')".to_owned()),
        Just("BEGIN; DELETE FROM orders; COMMIT".to_owned()),
    ];
    prop_oneof![3 => fixed, 2 => generate::sql(generate::disguised_write())]
}

fn injections_sqlite<S: Api>() -> Outcome {
    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let attached = sandbox.path().join("attached.db").display().to_string();
    let rt = runtime();
    let session = match rt.block_on(async {
        Session::start(sandbox.command(S::SIDE, "stdio", UNLIMITED)?, Human::Absent).await
    }) {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let db = sandbox.path().join("data/demo.sqlite3");
    let before = match std::fs::read(&db) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Outcome::fail(format!(
                "the demo database was not created at {}: {e}",
                db.display()
            ));
        }
    };
    let outcome = property(64, sqlite_attack(attached.clone()), |query| {
        let result = rt
            .block_on(session.call("query_database", json!({"query": query})))
            .map_err(TestCaseError::fail)?;
        ensure(refused(&result), || {
            format!(
                "a write or escape was not refused: {query:?} gave {:?}",
                text(&result)
            )
        })?;
        let after = std::fs::read(&db).map_err(|e| TestCaseError::fail(e.to_string()))?;
        ensure(after == before, || {
            format!("the demo database changed after {query:?}")
        })?;
        ensure(!std::path::Path::new(&attached).exists(), || {
            format!("{query:?} created a file outside the database")
        })
    });
    let alive = rt.block_on(session.call(
        "query_database",
        json!({"query": "SELECT count(*) FROM orders"}),
    ));
    rt.block_on(session.close());
    match (outcome.status, alive) {
        (grader_kit::Status::Passed, Ok(r)) if r.is_error != Some(true) => outcome,
        (grader_kit::Status::Passed, other) => Outcome::fail(format!(
            "after the attacks a plain SELECT failed: {other:?}"
        )),
        _ => outcome,
    }
}

fn injections_postgres<S: Api>() -> Outcome {
    let url = match db::child_url() {
        Ok(url) => url,
        Err(reason) => return Outcome::skip(reason),
    };
    let rt = runtime();
    let mut scratch = match rt.block_on(db::Scratch::create(&url)) {
        Ok(s) => s,
        Err(e) => return Outcome::skip(format!("no scratch schema for this check: {e}")),
    };
    let setup = "CREATE TABLE users (id serial PRIMARY KEY, name text); INSERT INTO users (name) VALUES ('a'), ('b');
                 CREATE TABLE orders (id serial PRIMARY KEY, total int); INSERT INTO orders (total) VALUES (1), (2);
                 CREATE TABLE products (id serial PRIMARY KEY); CREATE TABLE events (id serial PRIMARY KEY);
                 CREATE TABLE \"Line Items\" (id serial PRIMARY KEY)";
    if let Err(e) = rt.block_on(sqlx::raw_sql(setup).execute(&mut scratch.conn)) {
        let _ = rt.block_on(scratch.drop_all(&url));
        return Outcome::fail(format!("cannot set up the scratch tables: {e}"));
    }
    // The role's default search_path is the scratch schema.
    let server_url = url.clone();
    let fingerprint = "SELECT (SELECT string_agg(id || ':' || coalesce(name, ''), ',' ORDER BY id) FROM users) || '/' || \
                       (SELECT string_agg(id || ':' || total, ',' ORDER BY id) FROM orders) || '/' || \
                       (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())";
    let outcome = (|| {
        let before: String = rt
            .block_on(sqlx::query_scalar(fingerprint).fetch_one(&mut scratch.conn))
            .map_err(|e| e.to_string())?;
        let sandbox = Sandbox::new()?;
        let session = rt.block_on(async {
            let args = [UNLIMITED, &["--database-url", &server_url]].concat();
            Session::start(sandbox.command(S::SIDE, "stdio", &args)?, Human::Absent).await
        })?;
        let attacks = prop_oneof![
            generate::sql(generate::disguised_write()),
            generate::sql(generate::forbidden_call())
        ];
        let conn = std::cell::RefCell::new(&mut scratch.conn);
        let outcome = property(48, attacks, |query| {
            let result = rt
                .block_on(session.call("query_database", json!({"query": query})))
                .map_err(TestCaseError::fail)?;
            ensure(refused(&result), || {
                format!(
                    "a write was not refused: {query:?} gave {:?}",
                    text(&result)
                )
            })?;
            let mut conn = conn.borrow_mut();
            let now: String = rt
                .block_on(sqlx::query_scalar(fingerprint).fetch_one(&mut **conn))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            ensure(now == before, || {
                format!("the database changed after {query:?}: {before} became {now}")
            })
        });
        rt.block_on(session.close());
        Ok::<_, String>(outcome)
    })();
    let _ = rt.block_on(scratch.drop_all(&url));
    outcome.unwrap_or_else(Outcome::fail)
}

/// A log root with neighbours that must stay out of reach.
fn traversal_tree(sandbox: &Sandbox, marker: &str) -> Result<(), String> {
    let root = sandbox.logs();
    let outside = sandbox.path().join("outside");
    let evil = sandbox.path().join("logs_evil");
    for dir in [&outside, &evil, &root.join("sub")] {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    for file in [
        outside.join("secret.txt"),
        evil.join("secret.txt"),
        sandbox.path().join("secret.txt"),
    ] {
        std::fs::write(file, format!("{marker}\n")).map_err(|e| e.to_string())?;
    }
    std::fs::write(root.join("sub/inner.log"), "inner line\n").map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("link_out")).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link_file.log"))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink(root.join("app.log"), root.join("sub/link_in.log"))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn traversal_path(base: String) -> impl Strategy<Value = String> {
    let part = select(vec![
        "..",
        ".",
        "",
        "sub",
        "link_out",
        "link_file.log",
        "link_in.log",
        "secret.txt",
        "app.log",
        "logs_evil",
        "outside",
        "logs",
        "%2e%2e",
        "..\\..",
        "inner.log",
        "...",
    ]);
    let lead = select(vec!["", "/", "./"]).prop_map(str::to_owned);
    let prefix =
        prop_oneof![3 => lead, 1 => Just(format!("{base}/")), 1 => Just(format!("{base}/logs/"))];
    (prefix, prop::collection::vec(part, 1..7))
        .prop_map(|(p, parts)| format!("{p}{}", parts.join("/")))
}

fn traversals<S: Api>() -> Outcome {
    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let marker = "GRADER-SECRET-7f3a";
    if let Err(e) = traversal_tree(&sandbox, marker) {
        return Outcome::fail(format!("cannot build the test tree: {e}"));
    }
    let rt = runtime();
    let session = match rt.block_on(async {
        Session::start(sandbox.command(S::SIDE, "stdio", UNLIMITED)?, Human::Absent).await
    }) {
        Ok(s) => s,
        Err(e) => return Outcome::fail(e),
    };
    let good = (|| {
        for path in ["app.log", "sub/inner.log", "sub/link_in.log"] {
            let result =
                rt.block_on(session.call("read_log", json!({"path": path, "lines": 1})))?;
            expect_ok(&format!("read_log {path} (inside the root)"), &result)?;
        }
        Ok::<(), String>(())
    })();
    let base = sandbox.path().display().to_string();
    let outcome = match good {
        Err(e) => Outcome::fail(e),
        Ok(()) => property(96, traversal_path(base), |path| {
            let result = rt
                .block_on(session.call("read_log", json!({"path": path})))
                .map_err(TestCaseError::fail)?;
            ensure(!text(&result).contains(marker), || {
                format!("read_log {path:?} read a file outside the log root")
            })?;
            ensure(
                error_code(&result).as_deref() != Some("RATE_LIMITED"),
                || "rate limited: this check runs with --rate-burst 1000000".into(),
            )
        }),
    };
    rt.block_on(session.close());
    outcome
}

fn audit<S: Api>() -> Outcome {
    with_session::<S>(&[], Human::Absent, async |sandbox, session| {
        let secrets = [
            "hunter2pass",
            "AKIAIOSFODNN7EXAMPLE",
            "sk_live_abcdef123456",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
        ];
        let calls = [
            (
                "query_database",
                json!({"query": "SELECT 'postgres://admin:hunter2pass@db.internal/prod' AS dsn"}),
            ),
            ("read_log", json!({"path": "AKIAIOSFODNN7EXAMPLE.log"})),
            (
                "update_config",
                json!({"key": "api_token", "value": "Bearer sk_live_abcdef123456"}),
            ),
            (
                "get_metrics",
                json!({"metric": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"}),
            ),
            ("health_check", json!({})),
            ("get_metrics", json!({"metric": "uptime"})),
        ];
        for (tool, args) in &calls {
            session.call(tool, args.clone()).await?;
        }
        let entries = sandbox.audit_entries()?;
        if entries.len() != calls.len() {
            return Err(format!(
                "{} calls, {} audit lines: each call, refused ones too, gets exactly one",
                calls.len(),
                entries.len()
            ));
        }
        for ((tool, _), entry) in calls.iter().zip(&entries) {
            if entry["tool"] != *tool {
                return Err(format!(
                    "audit entries out of order or misnamed: expected {tool}, got {entry}"
                ));
            }
            for secret in secrets {
                if entry.to_string().contains(secret) {
                    return Err(format!("an audit line holds a secret: {entry}"));
                }
            }
        }
        Ok(format!(
            "{} calls, {} redacted audit lines",
            calls.len(),
            entries.len()
        ))
    })
}

fn burst<S: Api>() -> Outcome {
    with_session::<S>(
        &["--rate-burst", "3", "--rate-per-second", "0.01"],
        Human::Absent,
        async |_, session| {
            for i in 1..=3 {
                let result = session
                    .call("get_metrics", json!({"metric": "uptime"}))
                    .await?;
                expect_ok(&format!("call {i} of a burst of 3"), &result)?;
            }
            for i in 4..=5 {
                let result = session
                    .call("get_metrics", json!({"metric": "uptime"}))
                    .await?;
                expect_error(
                    &format!("call {i} past a burst of 3"),
                    &result,
                    "RATE_LIMITED",
                )?;
            }
            let other = session.call("health_check", json!({})).await?;
            expect_ok("another tool has its own bucket", &other)?;
            Ok("3 calls pass, the 4th and 5th are RATE_LIMITED".into())
        },
    )
}

fn slow_query<S: Api>() -> Outcome {
    with_session::<S>(
        &["--timeout", "400ms"],
        Human::Absent,
        async |_, session| {
            let endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
            let started = std::time::Instant::now();
            let result = session
                .call("query_database", json!({"query": endless}))
                .await?;
            expect_error(
                "an endless query under a 400 ms timeout",
                &result,
                "TIMEOUT",
            )?;
            let took = started.elapsed();
            if took > Duration::from_secs(5) {
                return Err(format!("the timeout was 400 ms but the call took {took:?}"));
            }
            for _ in 0..3 {
                let after = session
                    .call(
                        "query_database",
                        json!({"query": "SELECT count(*) FROM customers"}),
                    )
                    .await?;
                expect_ok("a query after the timeout", &after)?;
            }
            Ok(format!(
                "TIMEOUT after {took:?}, and the server answers after it"
            ))
        },
    )
}

fn approval<S: Api>() -> Outcome {
    unit((|| {
        let rt = runtime();
        let mut said = Vec::new();
        for (human, want) in [
            (Human::Absent, Some("PERMISSION_DENIED")),
            (Human::Declines, Some("PERMISSION_DENIED")),
            (Human::Approves, None),
        ] {
            let sandbox = Sandbox::new()?;
            rt.block_on(async {
                let session = Session::start(sandbox.command(S::SIDE, "stdio", &[])?, human).await?;
                let result = session.call("update_config", json!({"key": "default_row_limit", "value": "3"})).await?;
                let outcome = match want {
                    Some(code) => expect_error(&format!("update_config with a client whose human is {human:?}"), &result, code),
                    None => expect_ok("update_config approved by the human", &result).map(drop),
                };
                if outcome.is_ok() && want.is_none() {
                    let rows = session.call("query_database", json!({"query": "SELECT id FROM orders"})).await?;
                    let rows: Value = serde_json::from_str(&text(&rows)).map_err(|e| format!("query_database did not return JSON: {e}"))?;
                    if rows["row_count"] != 3 {
                        return Err(format!("after default_row_limit was set to 3, a query without limit returned {}", rows["row_count"]));
                    }
                }
                session.close().await;
                outcome
            })?;
            said.push(format!("{human:?}"));
        }
        Ok(format!("approval asked of the human: {}", said.join(", ")))
    })())
}

fn http<S: Api>() -> Outcome {
    unit((|| {
        let sandbox = Sandbox::new()?;
        let server =
            HttpServer::start(&sandbox, S::SIDE, &[], &[("MCP_TOKEN", "grader-token-42")])?;
        let auth = ("Authorization", "Bearer grader-token-42");
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"grader","version":"1"}}}"#;
        let mcp_headers = [
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
        ];
        let expect = |what: &str, got: (u16, String), status: u16| {
            if got.0 == status {
                Ok(got.1)
            } else {
                Err(format!(
                    "{what}: expected HTTP {status}, got {} {:?}",
                    got.0,
                    got.1.chars().take(200).collect::<String>()
                ))
            }
        };
        expect(
            "GET /healthz",
            server.request("GET", "/healthz", &[], "")?,
            200,
        )?;
        expect(
            "GET /readyz",
            server.request("GET", "/readyz", &[], "")?,
            200,
        )?;
        expect(
            "GET /metrics without the token",
            server.request("GET", "/metrics", &[], "")?,
            401,
        )?;
        expect(
            "POST /mcp without the token",
            server.request("POST", "/mcp", &mcp_headers, init)?,
            401,
        )?;
        let mut wrong = mcp_headers.to_vec();
        wrong.push(("Authorization", "Bearer not-the-token"));
        expect(
            "POST /mcp with a wrong token",
            server.request("POST", "/mcp", &wrong, init)?,
            401,
        )?;
        let mut good = mcp_headers.to_vec();
        good.push(auth);
        let mut foreign = good.clone();
        foreign.push(("Host", "attacker.example"));
        expect(
            "POST /mcp for a foreign Host (DNS rebinding)",
            server.request("POST", "/mcp", &foreign, init)?,
            403,
        )?;
        let mut origin = good.clone();
        origin.push(("Origin", "http://attacker.example"));
        expect(
            "POST /mcp from a foreign browser Origin",
            server.request("POST", "/mcp", &origin, init)?,
            403,
        )?;
        let body = expect(
            "POST /mcp initialize with the token",
            server.request("POST", "/mcp", &good, init)?,
            200,
        )?;
        if !body.contains("\"protocolVersion\"") {
            return Err(format!(
                "initialize over HTTP did not return a result: {body:?}"
            ));
        }
        let metrics = expect(
            "GET /metrics with the token",
            server.request("GET", "/metrics", &[auth], "")?,
            200,
        )?;
        if !metrics.contains("# TYPE") {
            return Err("GET /metrics is not in the Prometheus text format".into());
        }
        Ok(
            "healthz, readyz, metrics, 401 without the token, 403 for a foreign Host or Origin"
                .into(),
        )
    })())
}

/// A JSON-RPC request or notification, as one line.
fn rpc(id: Option<u64>, method: &str, params: Value) -> String {
    let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    format!("{message}\n")
}

/// Reads the server's stdout until the answer to request `id` arrives,
/// keeping every line read in `seen`; `None` on end of output or after
/// [`crate::server_proc::CALL`].
async fn answer_to<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
    seen: &mut Vec<String>,
    id: u64,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + crate::server_proc::CALL;
    loop {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .ok()?
            .ok()??;
        seen.push(line.clone());
        grader_kit::child::tick();
        if let Ok(message) = serde_json::from_str::<Value>(&line)
            && message["id"] == json!(id)
        {
            return Some(message);
        }
    }
}

/// Reads the server's stdout until the answers to every request of `ids`
/// have arrived, in whatever order; returns them in the order of `ids`,
/// or fewer when the server stops answering.
async fn answers_to<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
    seen: &mut Vec<String>,
    ids: &[u64],
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + crate::server_proc::CALL;
    let mut got: Vec<Option<Value>> = vec![None; ids.len()];
    while got.iter().any(Option::is_none) {
        let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await else {
            break;
        };
        seen.push(line.clone());
        grader_kit::child::tick();
        if let Ok(message) = serde_json::from_str::<Value>(&line)
            && let Some(at) = ids.iter().position(|id| message["id"] == json!(id))
        {
            got[at] = Some(message);
        }
    }
    got.into_iter().map_while(|answer| answer).collect()
}

/// The level of a log line in the given `run` module's format
/// (`TIMESTAMP  LEVEL target: message fields`).
fn level(line: &str) -> Option<&str> {
    line.split_whitespace()
        .nth(1)
        .filter(|l| ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(l))
}

/// `logs_go_to_stderr_at_their_level`: the server over stdio with
/// `RUST_LOG=info`, spoken to line by line without a client library, so
/// every byte it writes is seen. Two `read_log` calls fail: one
/// `INTERNAL` (a path through a file, which the path policy cannot
/// resolve) and one `NOT_FOUND`. Every stdout line must be a JSON-RPC
/// message; the internal failure is logged at ERROR with its log detail;
/// the refusal at INFO with the tool and its code, and at no higher level.
fn logs<S: Api>() -> Outcome {
    unit((|| {
        let sandbox = Sandbox::new()?;
        let rt = runtime();
        rt.block_on(async {
            let mut command = sandbox.command(S::SIDE, "stdio", &[])?;
            command
                .env("RUST_LOG", "info")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = command
                .spawn()
                .map_err(|e| format!("cannot start the server: {e}"))?;
            let said = drain_up_to(child.stderr.take(), 1 << 18);
            let mut stdin = child.stdin.take().ok_or("the server has no stdin")?;
            let stdout = child.stdout.take().ok_or("the server has no stdout")?;
            let mut lines = BufReader::new(stdout).lines();
            let mut seen = Vec::new();
            let internal = "app.log/inside";
            let missing = "missing.log";
            let init = json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "grader", "version": "1"}});
            let mut send = async |text: String| stdin.write_all(text.as_bytes()).await.map_err(|e| format!("cannot write to the server: {e}"));
            send(rpc(Some(1), "initialize", init)).await?;
            let mut answers = Vec::new();
            if answer_to(&mut lines, &mut seen, 1).await.is_some() {
                send(rpc(None, "notifications/initialized", json!({}))).await?;
                send(rpc(Some(2), "tools/call", json!({"name": "read_log", "arguments": {"path": internal}}))).await?;
                send(rpc(Some(3), "tools/call", json!({"name": "read_log", "arguments": {"path": missing}}))).await?;
                // The two calls run concurrently: their answers may come in
                // either order.
                answers = answers_to(&mut lines, &mut seen, &[2, 3]).await;
            }
            drop(stdin);
            // The server exits when its input closes; what it writes until
            // then is read too.
            let rest = async {
                while let Ok(Some(line)) = lines.next_line().await {
                    seen.push(line);
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(10), rest).await;
            let _ = child.kill().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let said = said.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if answers.len() < 2 {
                return Err(stub_reached(&said).unwrap_or_else(|| {
                    format!(
                        "the server did not answer two read_log calls over stdio; it said: {}",
                        said.chars().take(600).collect::<String>().trim()
                    )
                }));
            }
            for line in seen.iter().filter(|l| !l.trim().is_empty()) {
                let message = serde_json::from_str::<Value>(line).ok();
                check_rule(
                    "stdout-protocol-only",
                    message.is_some_and(|m| m["jsonrpc"] == "2.0"),
                    || format!("the server wrote a line to stdout that is not a JSON-RPC message: {line:?}; over stdio, stdout carries the protocol only"),
                )?;
            }
            let code = |answer: &Value| {
                answer["result"]["content"][0]["text"]
                    .as_str()
                    .and_then(|t| t.strip_prefix("Error ["))
                    .and_then(|t| t.split(']').next())
                    .map(str::to_owned)
            };
            let codes: Vec<Option<String>> = answers.iter().map(code).collect();
            if codes != [Some("INTERNAL".to_owned()), Some("NOT_FOUND".to_owned())] {
                return Err(format!(
                    "read_log {internal:?} should fail with INTERNAL and read_log {missing:?} with NOT_FOUND (labs 1 and 2's conversions); got {answers:?}"
                ));
            }
            let logged = |at: &[&str], needles: &[&str]| {
                said.lines().any(|l| {
                    level(l).is_some_and(|lv| at.contains(&lv)) && needles.iter().all(|n| l.contains(n))
                })
            };
            check_rule("internal-logged-as-error", logged(&["ERROR"], &[internal]), || {
                format!("the INTERNAL failure of read_log {internal:?} was not logged at ERROR with its log detail (which names the path); the server logged: {}", said.trim())
            })?;
            let info = logged(&["INFO"], &["read_log", "NOT_FOUND"]) || logged(&["INFO"], &["read_log", "NotFound"]);
            check_rule("refusal-logged-as-info", info, || {
                format!("the NOT_FOUND refusal of read_log {missing:?} was not logged at INFO with the tool and its code; the server logged: {}", said.trim())
            })?;
            let louder = logged(&["WARN", "ERROR"], &["NOT_FOUND"]) || logged(&["WARN", "ERROR"], &["NotFound"]) || logged(&["WARN", "ERROR"], &[missing]);
            check_rule("refusal-logged-as-info", !louder, || {
                format!("the NOT_FOUND refusal of read_log {missing:?} was logged above INFO: a refusal is the caller's doing, not the server's fault; the server logged: {}", said.trim())
            })?;
            Ok("stdout holds only the protocol; INTERNAL logged at ERROR, a refusal at INFO".into())
        })
    })())
}

fn shutdown<S: Api>() -> Outcome {
    with_session::<S>(
        &["--timeout", "4s"],
        Human::Absent,
        async |sandbox, session| {
            let endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";
            let pid = session.pid.ok_or("the server has no process id")?;
            let call = session.call("query_database", json!({"query": endless}));
            // Late enough that the server has the call under any load, well
            // before its 4 s timeout.
            let signal = async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                // SAFETY: kill(2) with a pid the suite started.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            };
            let (result, ()) = tokio::join!(call, signal);
            let result =
                result.map_err(|e| format!("a call in flight at SIGTERM got no answer: {e}"))?;
            if error_code(&result).as_deref() != Some("TIMEOUT") {
                return Err(format!(
                    "the call in flight should have finished (with TIMEOUT at 4 s), got {:?}",
                    text(&result)
                ));
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut audited = false;
            while std::time::Instant::now() < deadline {
                if sandbox
                    .audit_entries()
                    .map(|e| e.len() == 1)
                    .unwrap_or(false)
                {
                    audited = true;
                }
                let alive = !has_exited(pid);
                if !alive && audited {
                    return Ok(
                        "the call in flight finished, was audited, and the server exited".into(),
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(format!(
                "after SIGTERM and its last call, the server {}",
                if audited {
                    "did not exit within 10 s"
                } else {
                    "left no audit line for the call"
                }
            ))
        },
    )
}

/// Whether the server process, a child of this one, has exited. Asked
/// with `waitpid` (which also reaps it), not through `/proc`, which the
/// sandbox does not show.
fn has_exited(pid: u32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG on a pid this process started; it
    // returns 0 while the child runs, and never blocks.
    unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_from_log_lines() {
        assert_eq!(
            level("2026-01-01T00:00:00.000000Z  INFO solution_server::pipeline: tool call refused"),
            Some("INFO")
        );
        assert_eq!(level("{\"jsonrpc\":\"2.0\"}"), None);
        assert_eq!(
            numbers_in("only the first 10 rows (at most 1000)"),
            [10, 1000]
        );
    }

    #[test]
    fn the_reference_passes_the_in_process_checks() {
        grader_kit::assert_all_pass(
            suite::<Reference>()
                .into_iter()
                .filter(|c| {
                    matches!(
                        c.info.name,
                        "tail_matches_a_model"
                            | "tail_reads_only_the_end"
                            | "rows_are_capped_with_a_note"
                            | "bearer_tokens_are_checked"
                            | "tokens_are_compared_in_constant_time"
                            | "pipeline_runs_every_step_in_order"
                            | "calls_are_answered_audited_and_counted"
                    )
                })
                .collect(),
        );
    }
}
