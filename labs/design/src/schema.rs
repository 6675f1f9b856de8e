//! Checking arguments against a tool's JSON Schema, before the tool runs.
//!
//! A tool's input schema is derived from its argument type with
//! `schemars`, so the schema the client sees and the type the tool gets
//! cannot drift apart. The registry checks every call's arguments against
//! that schema and names the field at fault, so the model can fix its call.
//!
//! [`validate`] handles the part of JSON Schema that `schemars` produces
//! for flat argument types: `type` (one or a list), `properties`,
//! `required`, `additionalProperties: false`, `enum`, `minimum`,
//! `maximum`, `minLength`, `maxLength`, `items`, integer `format`s and
//! `$ref` into `$defs`. (`schemars` writes `oneOf` of `const`s instead of
//! `enum` when enum variants carry doc comments; keep argument enums'
//! variants undocumented, or extend the validator.)

use std::fmt;

use serde_json::Value;

// ANCHOR: types
/// Arguments that do not match a schema: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// The field at fault: `lines`, `tags[2]`; empty for the whole value.
    pub field: String,
    /// What is wrong with it, for the model: `must be at most 10000`.
    pub problem: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "invalid arguments: {}", self.problem)
        } else {
            write!(f, "invalid argument `{}`: {}", self.field, self.problem)
        }
    }
}

impl std::error::Error for ArgError {}

/// The range of an integer `format`, as `schemars` writes them.
pub fn format_range(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" => (0, u64::MAX.into()),
        _ => return None,
    })
}

/// The JSON type name of `value` as JSON Schema says it: an integer is a
/// number with no fraction that fits `i64` or `u64`.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
// ANCHOR_END: types

// ANCHOR: validate
/// Checks `value` against `schema`, the root of a schema document (where
/// `$ref`s point). The first problem found is returned; objects are
/// checked in this order: unknown fields, missing required fields, then
/// each field in name order.
pub fn validate(schema: &Value, value: &Value) -> Result<(), ArgError> {
    // TODO: Walk the schema and the value together, keeping the field path (`lines`, `tags[2]`,
    //       `a.b`). Resolve `$ref` "#/$defs/NAME" against the root.
    // TODO: Check in this order: `type` (a string or a list; an integer also fits "number"; use
    //       `json_type`), `enum`, then by kind: minimum/maximum and integer `format`s
    //       (`format_range`) for numbers, minLength/maxLength (in chars) for strings, `items` for
    //       arrays.
    // TODO: Objects: an unknown field when `additionalProperties` is false, then missing `required`
    //       fields, then each present field in name order. Return the first problem as an
    //       `ArgError`.
    todo!("validate")
}
// ANCHOR_END: validate
