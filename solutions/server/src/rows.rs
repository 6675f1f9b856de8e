//! Query results as text a model can read, and a cap on how much.
//!
//! A model's context is small and costly: ten thousand rows help no one.
//! The backend fetches at most `limit + 1` rows; this module keeps `limit`
//! of them and, when there were more, says so and says what to do, so the
//! model does not mistake a cut result for the whole answer.

use performance::pool::QueryRows;
use serde_json::{Value, json};

// ANCHOR: consts
/// Rows returned when the caller gives no limit.
pub const DEFAULT_LIMIT: u32 = 100;

/// The most rows one call may return.
pub const MAX_LIMIT: u32 = 1000;
// ANCHOR_END: consts

// ANCHOR: render
/// Renders `rows` as JSON text, keeping at most `limit` rows (and never
/// more than [`MAX_LIMIT`]).
///
/// The object has `columns` (each `{"name", "type"}`), `rows` (each an
/// array of values in column order), `row_count` (rows returned) and
/// `truncated`. When rows were cut, a `note` says how many were returned
/// and how to get the rest: narrow the query, or raise `limit` up to
/// [`MAX_LIMIT`].
pub fn render(rows: &QueryRows, limit: u32) -> String {
    // LAB: todo("rows::render")
    // TODO: Clamp `limit` to 1..=MAX_LIMIT. The result is truncated when `rows.rows` holds more
    //       than `limit` rows: keep the first `limit`.
    // TODO: Build the JSON object with `columns` (each `{"name", "type"}` from ColumnInfo), `rows`,
    //       `row_count` and `truncated`; when truncated, add a `note` that says how many rows are
    //       shown and how to get the rest (narrow the query, or a larger limit up to MAX_LIMIT).
    //       Return it as text.
    let limit = limit.clamp(1, MAX_LIMIT) as usize;
    let truncated = rows.rows.len() > limit;
    let kept = &rows.rows[..rows.rows.len().min(limit)];
    let columns: Vec<Value> = rows
        .columns
        .iter()
        .map(|c| json!({ "name": c.name, "type": c.type_name }))
        .collect();
    let mut out = json!({
        "columns": columns,
        "rows": kept,
        "row_count": kept.len(),
        "truncated": truncated,
    });
    if truncated {
        out["note"] = Value::from(format!(
            "only the first {limit} rows are shown and more rows matched: \
             narrow the query (WHERE, LIMIT) or pass a larger limit (at most {MAX_LIMIT})"
        ));
    }
    out.to_string()
    // LAB: end
}
// ANCHOR_END: render
