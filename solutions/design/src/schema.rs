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
    // LAB: todo("validate")
    // TODO: Walk the schema and the value together, keeping the field path (`lines`, `tags[2]`,
    //       `a.b`). Resolve `$ref` "#/$defs/NAME" against the root.
    // TODO: Check in this order: `type` (a string or a list; an integer also fits "number"; use
    //       `json_type`), `enum`, then by kind: minimum/maximum and integer `format`s
    //       (`format_range`) for numbers, minLength/maxLength (in chars) for strings, `items` for
    //       arrays.
    // TODO: Objects: an unknown field when `additionalProperties` is false, then missing `required`
    //       fields, then each present field in name order. Return the first problem as an
    //       `ArgError`.
    check(schema, schema, value, "")
    // LAB: end
}
// ANCHOR_END: validate
// LAB: solution

fn check(root: &Value, schema: &Value, value: &Value, field: &str) -> Result<(), ArgError> {
    let fail = |problem: String| {
        Err(ArgError {
            field: field.to_owned(),
            problem,
        })
    };
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name));
        return match target {
            Some(target) => check(root, target, value, field),
            None => fail(format!(
                "the schema refers to {reference}, which it does not define"
            )),
        };
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = json_type(value);
        let fits = allowed
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"));
        if !fits {
            return fail(format!("must be {}, not {actual}", allowed.join(" or ")));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let names: Vec<String> = options.iter().map(Value::to_string).collect();
        return fail(format!("must be one of {}", names.join(", ")));
    }
    match value {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                && x < min
            {
                return fail(format!("must be at least {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                && x > max
            {
                return fail(format!("must be at most {max}"));
            }
            if let Some((lo, hi)) = schema
                .get("format")
                .and_then(Value::as_str)
                .and_then(format_range)
            {
                let whole = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
                if !whole.is_some_and(|v| (lo..=hi).contains(&v)) {
                    return fail(format!("must be a whole number from {lo} to {hi}"));
                }
            }
        }
        Value::String(s) => {
            let len = s.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                return fail(format!("must have at least {min} characters"));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                return fail(format!("must have at most {max} characters"));
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, item_schema, item, &format!("{field}[{i}]"))?;
                }
            }
        }
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let child = |name: &str| {
                if field.is_empty() {
                    name.to_owned()
                } else {
                    format!("{field}.{name}")
                }
            };
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            if schema.get("additionalProperties") == Some(&Value::Bool(false))
                && let Some(unknown) = names
                    .iter()
                    .find(|k| !properties.is_some_and(|p| p.contains_key(k.as_str())))
            {
                return Err(ArgError {
                    field: child(unknown),
                    problem: "is not an argument of this tool".to_owned(),
                });
            }
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = required.as_str()
                    && !map.contains_key(name)
                {
                    return Err(ArgError {
                        field: child(name),
                        problem: "is required".to_owned(),
                    });
                }
            }
            for name in names {
                if let Some(property) = properties.and_then(|p| p.get(name)) {
                    check(root, property, &map[name], &child(name))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
// LAB: end
