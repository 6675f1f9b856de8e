//! PostgreSQL rows as JSON, column by column.
//!
//! Given code: the pool runs the statement exactly as written (so the
//! database's own refusals surface with their SQLSTATE) and this module
//! turns each value into JSON by its column type. Types `sqlx` decodes
//! without extra features are decoded directly; timestamps, dates,
//! numerics and UUIDs are read from PostgreSQL's binary format here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Number, Value};
use sqlx::postgres::PgRow;
use sqlx::{Column, Row, TypeInfo, ValueRef};

/// Seconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const PG_EPOCH: u64 = 946_684_800;

/// The value of column `i` of `row` as JSON.
pub fn value(row: &PgRow, i: usize) -> Value {
    let type_name = row.column(i).type_info().name().to_owned();
    let Ok(raw) = row.try_get_raw(i) else {
        return Value::Null;
    };
    if raw.is_null() {
        return Value::Null;
    }
    let decoded = match type_name.as_str() {
        "BOOL" => row.try_get::<bool, _>(i).map(Value::Bool).ok(),
        "INT2" => row.try_get::<i16, _>(i).map(Value::from).ok(),
        "INT4" => row.try_get::<i32, _>(i).map(Value::from).ok(),
        "INT8" => row.try_get::<i64, _>(i).map(Value::from).ok(),
        "FLOAT4" => row
            .try_get::<f32, _>(i)
            .ok()
            .and_then(|v| Number::from_f64(v.into()))
            .map(Value::Number),
        "FLOAT8" => row
            .try_get::<f64, _>(i)
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "CITEXT" => {
            row.try_get::<String, _>(i).map(Value::String).ok()
        }
        "JSON" | "JSONB" => row.try_get::<Value, _>(i).ok(),
        "TEXT[]" | "VARCHAR[]" | "NAME[]" => row.try_get::<Vec<String>, _>(i).map(Value::from).ok(),
        "INT4[]" => row.try_get::<Vec<i32>, _>(i).map(Value::from).ok(),
        "INT8[]" => row.try_get::<Vec<i64>, _>(i).map(Value::from).ok(),
        "BOOL[]" => row.try_get::<Vec<bool>, _>(i).map(Value::from).ok(),
        "FLOAT8[]" => row.try_get::<Vec<f64>, _>(i).map(Value::from).ok(),
        other => raw.as_bytes().ok().and_then(|bytes| binary(other, bytes)),
    };
    decoded.unwrap_or_else(|| Value::String(format!("<{type_name} value>")))
}

/// Decodes the binary format of the types read by hand.
fn binary(type_name: &str, bytes: &[u8]) -> Option<Value> {
    match type_name {
        "TIMESTAMPTZ" | "TIMESTAMP" => {
            let micros = i64::from_be_bytes(bytes.try_into().ok()?);
            Some(Value::String(timestamp(micros)?))
        }
        "DATE" => {
            let days = i32::from_be_bytes(bytes.try_into().ok()?);
            let text = timestamp(i64::from(days) * 86_400_000_000)?;
            Some(Value::String(text[..10].to_owned()))
        }
        "NUMERIC" => numeric(bytes),
        "UUID" => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            (hex.len() == 32).then(|| {
                Value::String(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                ))
            })
        }
        _ => None,
    }
}

/// Microseconds since PostgreSQL's epoch, as RFC 3339 in UTC.
fn timestamp(micros: i64) -> Option<String> {
    let epoch = UNIX_EPOCH + Duration::from_secs(PG_EPOCH);
    let offset = Duration::from_micros(micros.unsigned_abs());
    let at: SystemTime = if micros >= 0 {
        epoch.checked_add(offset)?
    } else {
        epoch.checked_sub(offset)?
    };
    Some(humantime::format_rfc3339_micros(at).to_string())
}

/// PostgreSQL's NUMERIC: base-10000 digits with a weight, a sign and a
/// display scale; returned as a JSON number when it is finite.
fn numeric(bytes: &[u8]) -> Option<Value> {
    let word = |i: usize| -> Option<u16> {
        Some(u16::from_be_bytes(
            bytes.get(i * 2..i * 2 + 2)?.try_into().ok()?,
        ))
    };
    let (ndigits, weight, sign, dscale) = (
        word(0)? as usize,
        word(1)? as i16,
        word(2)?,
        word(3)? as usize,
    );
    if sign == 0xC000 {
        return Some(Value::String("NaN".into()));
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    let mut int_part = String::new();
    for k in 0..=weight.max(0) as usize {
        let d = if weight >= 0 {
            digits.get(k).copied().unwrap_or(0)
        } else {
            0
        };
        if int_part.is_empty() {
            int_part = d.to_string()
        } else {
            int_part.push_str(&format!("{d:04}"))
        }
    }
    let mut frac = String::new();
    let first_frac = (weight + 1) as isize;
    let mut k = first_frac;
    while frac.len() < dscale {
        let d = if k >= 0 {
            digits.get(k as usize).copied().unwrap_or(0)
        } else {
            0
        };
        frac.push_str(&format!("{d:04}"));
        k += 1;
    }
    frac.truncate(dscale);
    let sign = if sign == 0x4000 { "-" } else { "" };
    let text = if frac.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac}")
    };
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .or(Some(Value::String(text)))
}
