//! The checks of `schema::validate`: arguments for the schemas `schemars`
//! derives from the suite's argument types, and schemas written to probe
//! the rules of the brief's `schema::validate` section one by one (checks
//! on one value, `$ref`, objects and field paths), each against the
//! reference: accepted or refused, the field named, and the exact problem
//! of an unknown field.

use super::*;

/// The problem of an unknown field, exactly as the brief words it.
const UNKNOWN_FIELD: &str = "is not an argument of this tool";

/// A JSON value, shown as JSON text in a counterexample.
#[derive(Clone, PartialEq)]
pub struct Json(pub Value);

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The JSON type name of a value, as the lab's given `json_type` says it.
fn kind(value: &Value) -> &'static str {
    solution_design::schema::json_type(value)
}

/// A number as JSON: an integer when it fits `i64` or `u64`, otherwise
/// the nearest `f64`.
fn number(n: i128) -> Value {
    if let Ok(v) = i64::try_from(n) {
        json!(v)
    } else if let Ok(v) = u64::try_from(n) {
        json!(v)
    } else {
        json!(n as f64)
    }
}

/// `a` with the keys of `b` added.
fn merged(a: Value, b: &Value) -> Value {
    let mut a = a;
    if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// Compares the learner's `validate(schema, value)` with the reference's:
/// both accept, or both refuse naming the same field (and, for an unknown
/// field, with exactly the brief's problem). `rule` names the brief rule
/// a disagreement breaks, given both verdicts.
fn agree<S: Api>(
    schema: &Value,
    value: &Value,
    rule: impl FnOnce(&Result<(), ArgFault>, &Result<(), ArgFault>) -> &'static str,
) -> Result<(), TestCaseError> {
    let want = Reference::validate(schema, value);
    let got = S::validate(schema, value);
    // Whatever the case probes, two mistakes show in any schema: a path
    // built wrong (the right leaf under another parent), and an unknown
    // field refused where the object is not closed.
    let leaf = |field: &str| {
        field
            .rsplit(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let rule = match (&want, &got) {
        (Err(w), Err(g)) if w.field != g.field && leaf(&w.field) == leaf(&g.field) => "field-paths",
        (Ok(()), Err(g)) if g.problem == UNKNOWN_FIELD => "unknown-only-if-closed",
        _ => rule(&want, &got),
    };
    match (&want, &got) {
        (Ok(()), Ok(())) => Ok(()),
        (Ok(()), Err(g)) => ensure_rule(rule, false, || {
            format!(
                "the value matches the schema, but it was refused at `{}`: {}",
                g.field, g.problem
            )
        }),
        (Err(w), Ok(())) => ensure_rule(rule, false, || {
            format!(
                "the value was accepted, but the first problem is at `{}` ({})",
                w.field, w.problem
            )
        }),
        (Err(w), Err(g)) => {
            ensure_rule(rule, w.field == g.field, || {
                format!(
                    "the refusal names `{}` ({}), but the first problem is at `{}` ({})",
                    g.field, g.problem, w.field, w.problem
                )
            })?;
            if w.problem == UNKNOWN_FIELD && w.field == g.field {
                ensure_rule("unknown-field-text", g.problem == UNKNOWN_FIELD, || {
                    format!(
                        "the unknown field `{}` has the problem {:?}, expected exactly {UNKNOWN_FIELD:?}",
                        g.field, g.problem
                    )
                })?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------
// Arguments for the schemas `schemars` derives.

/// One defect put into otherwise valid arguments.
#[derive(Debug, Clone)]
pub enum Defect {
    /// No defect: the arguments are valid.
    None,
    /// A required field removed.
    Missing(&'static str),
    /// A field the tool does not have.
    Unknown,
    /// A field set to this wrong value.
    Set(&'static str, Json),
    /// An array item set to this wrong value.
    Item(&'static str, Json),
}

/// Arguments for one of the suite's tools.
#[derive(Debug, Clone)]
pub struct ArgsCase {
    /// The tool, whose schema `schemars` derives.
    pub tool: Tool,
    /// The defect put in, if any.
    pub defect: Defect,
    /// The arguments, with the defect.
    pub args: Json,
}

fn valid_args(tool: Tool) -> BoxedStrategy<Value> {
    match tool {
        Tool::Query => (
            prop_oneof![3 => "[a-z ]{1,40}", 1 => Just("q".to_owned()), 1 => "[a-zé日]{200}"],
            proptest::option::of(proptest::option::of(
                prop_oneof![1 => Just(1u32), 1 => Just(1000u32), 2 => 1u32..=1000],
            )),
            select(vec!["json", "csv"]),
        )
            .prop_map(|(query, limit, format)| {
                let mut v = json!({ "query": query, "format": format });
                if let Some(limit) = limit {
                    v["limit"] = json!(limit);
                }
                v
            })
            .boxed(),
        Tool::Log => (
            "[a-z./]{0,20}",
            prop_oneof![1 => Just(1u32), 1 => Just(10000u32), 2 => 1u32..=10000],
            prop::collection::vec(select(vec!["error", "warn"]), 0..4),
            any::<bool>(),
            prop_oneof![
                (-100i64..100).prop_map(|n| json!(n)),
                (-1.0f64..1.0).prop_map(|x| json!(x))
            ],
            prop_oneof![
                1 => Just(i16::MIN),
                1 => Just(i16::MAX),
                2 => any::<i16>()
            ],
        )
            .prop_map(|(path, lines, levels, follow, ratio, offset)| {
                json!({
                    "path": path, "lines": lines, "levels": levels,
                    "follow": follow, "ratio": ratio, "offset": offset,
                })
            })
            .boxed(),
    }
}

fn set(field: &'static str, value: Value) -> Defect {
    Defect::Set(field, Json(value))
}

fn defect(tool: Tool) -> BoxedStrategy<Defect> {
    let common = prop_oneof![Just(Defect::None), Just(Defect::Unknown)];
    let specific = match tool {
        Tool::Query => prop_oneof![
            select(vec!["query", "format"]).prop_map(Defect::Missing),
            Just(set("query", json!(""))),
            Just(set("query", json!("q".repeat(201)))),
            Just(set("query", json!("é".repeat(201)))),
            Just(set("query", json!(42))),
            Just(set("limit", json!(0))),
            Just(set("limit", json!(1001))),
            Just(set("limit", json!(-1))),
            Just(set("limit", json!(2.5))),
            Just(set("limit", json!("ten"))),
            Just(set("format", json!("xml"))),
            Just(set("format", json!(null))),
        ]
        .boxed(),
        Tool::Log => prop_oneof![
            select(vec!["path", "lines", "levels", "follow", "ratio", "offset"])
                .prop_map(Defect::Missing),
            Just(set("lines", json!(0))),
            Just(set("lines", json!(10001))),
            Just(set("lines", json!(-3))),
            Just(set("follow", json!("yes"))),
            Just(set("ratio", json!("0.5"))),
            Just(set("ratio", json!(null))),
            Just(set("offset", json!(32768))),
            Just(set("offset", json!(-32769))),
            Just(set("offset", json!(1.5))),
            Just(set("path", json!(null))),
            Just(set("levels", json!("error"))),
            Just(Defect::Item("levels", Json(json!("debug")))),
            Just(Defect::Item("levels", Json(json!(3)))),
        ]
        .boxed(),
    };
    prop_oneof![1 => common, 4 => specific].boxed()
}

/// `args` with `defect` applied, and the field at fault.
fn apply(mut args: Value, defect: &Defect) -> (Value, Option<String>) {
    match defect {
        Defect::None => (args, None),
        Defect::Missing(field) => {
            if let Some(map) = args.as_object_mut() {
                map.remove(*field);
            }
            (args, Some((*field).to_owned()))
        }
        Defect::Unknown => {
            args["unexpected"] = json!(true);
            (args, Some("unexpected".to_owned()))
        }
        Defect::Set(field, value) => {
            args[*field] = value.0.clone();
            (args, Some((*field).to_owned()))
        }
        Defect::Item(field, value) => {
            let items = args[*field].as_array_mut().expect("an array field");
            items.push(value.0.clone());
            let at = items.len() - 1;
            (args, Some(format!("{field}[{at}]")))
        }
    }
}

/// Arguments for a suite tool, valid or with one defect.
pub fn args_case() -> impl Strategy<Value = ArgsCase> {
    select(vec![Tool::Query, Tool::Log])
        .prop_flat_map(|tool| (Just(tool), valid_args(tool), defect(tool)))
        .prop_map(|(tool, args, defect)| {
            let (args, _) = apply(args, &defect);
            ArgsCase {
                tool,
                defect,
                args: Json(args),
            }
        })
}

/// Arguments for the schemas `schemars` derives from two argument types
/// (`$ref` into `$defs`, `Option` as a type list, integer formats, ranges,
/// lengths, enums, arrays), valid (values on the limits included) or with
/// one defect: accepted exactly when valid, and a refusal names the field
/// at fault (an unknown one with the brief's exact problem).
pub fn arguments_match_the_schema<S: Api>() -> Outcome {
    property(320, args_case(), |case| {
        let schema = case.tool.schema();
        let expected = match &case.defect {
            Defect::None => None,
            Defect::Missing(f) | Defect::Set(f, _) => Some((*f).to_owned()),
            Defect::Unknown => Some("unexpected".to_owned()),
            Defect::Item(f, _) => {
                let len = case.args.0[*f].as_array().map_or(0, Vec::len);
                Some(format!("{f}[{}]", len.saturating_sub(1)))
            }
        };
        let got = S::validate(&schema, &case.args.0);
        match (expected, got) {
            (None, got) => ensure_rule("valid-arguments-accepted", got.is_ok(), || {
                format!(
                    "valid arguments were refused: {:?}",
                    got.err().map(|e| e.text)
                )
            }),
            (Some(field), Ok(())) => ensure_rule("refusal-names-the-field", false, || {
                format!("arguments with a bad `{field}` were accepted")
            }),
            (Some(field), Err(e)) => {
                ensure_rule("refusal-names-the-field", e.field == field, || {
                    format!(
                        "the refusal names `{}` ({}), but the fault is in `{field}`",
                        e.field, e.problem
                    )
                })?;
                if matches!(case.defect, Defect::Unknown) {
                    ensure_rule("unknown-field-text", e.problem == UNKNOWN_FIELD, || {
                        format!(
                            "the unknown field has the problem {:?}, expected exactly {UNKNOWN_FIELD:?}",
                            e.problem
                        )
                    })?;
                }
                Ok(())
            }
        }
    })
}

// ---------------------------------------------------------------------
// Checks on one value.

/// The rule of the brief a schema case probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `type` as one string.
    TypeNamed,
    /// `type` as a list.
    TypeList,
    /// An integer where `number` is listed.
    IntegerIsANumber,
    /// A number with a fraction where `integer` is listed.
    FractionIsNotAnInteger,
    /// `null` and the listed types.
    NullOnlyWhereListed,
    /// `enum`.
    EnumEqualAsJson,
    /// `minimum`.
    Minimum,
    /// `maximum`.
    Maximum,
    /// A known integer `format`'s range.
    FormatRange,
    /// A known integer `format` needs a whole number.
    FormatWholeNumber,
    /// A format `format_range` does not know.
    FormatUnknown,
    /// `minLength`.
    MinLength,
    /// `maxLength`.
    MaxLength,
    /// `items`.
    ItemsInOrder,
    /// Keywords of another kind of value, or absent.
    KeywordsByKind,
    /// Keywords the brief does not list.
    UnknownKeywords,
    /// A `$ref` followed into the root's `$defs`.
    RefFollowed,
    /// The keywords beside a `$ref`.
    RefSiblingsIgnored,
    /// A `$ref` below the root, looked up in the root's `$defs`.
    RefDefsOfTheRoot,
    /// A `$ref` that names nothing.
    RefUnresolvable,
}

impl Probe {
    fn rule(self) -> &'static str {
        match self {
            Probe::TypeNamed => "type-named",
            Probe::TypeList => "type-list",
            Probe::IntegerIsANumber => "integer-fits-number",
            Probe::FractionIsNotAnInteger => "fraction-not-integer",
            Probe::NullOnlyWhereListed => "null-only-where-listed",
            Probe::EnumEqualAsJson => "enum-equal-as-json",
            Probe::Minimum => "minimum-inclusive",
            Probe::Maximum => "maximum-inclusive",
            Probe::FormatRange => "format-range-inclusive",
            Probe::FormatWholeNumber => "format-whole-number",
            Probe::FormatUnknown => "format-unknown-ignored",
            Probe::MinLength => "min-length-in-chars",
            Probe::MaxLength => "max-length-in-chars",
            Probe::ItemsInOrder => "items-in-order",
            Probe::KeywordsByKind => "keywords-by-kind",
            Probe::UnknownKeywords => "unknown-keywords-ignored",
            Probe::RefFollowed => "ref-followed",
            Probe::RefSiblingsIgnored => "ref-siblings-ignored",
            Probe::RefDefsOfTheRoot => "ref-defs-of-the-root",
            Probe::RefUnresolvable => "ref-unresolvable",
        }
    }
}

/// A schema and a value to check against it.
#[derive(Debug, Clone)]
pub struct SchemaCase {
    /// The rule of the brief the case probes.
    pub probe: Probe,
    /// The schema (the root of the document).
    pub schema: Json,
    /// The value.
    pub value: Json,
}

fn case(probe: Probe, schema: Value, value: Value) -> SchemaCase {
    SchemaCase {
        probe,
        schema: Json(schema),
        value: Json(value),
    }
}

fn type_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let any_type = select(vec![
        json!("integer"),
        json!("number"),
        json!("string"),
        json!("boolean"),
        json!("null"),
        json!("array"),
        json!("object"),
        json!(["integer", "null"]),
        json!(["string", "null"]),
        json!(["number"]),
        json!(["boolean", "string"]),
        json!(["array", "object"]),
    ]);
    let any_value = select(vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-7),
        json!(42),
        json!(2.5),
        json!(-0.5),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("7"),
        json!(""),
        json!([1]),
        json!({}),
    ]);
    let pairs = prop_oneof![
        3 => (any_type, any_value),
        1 => (
            select(vec![json!("number"), json!(["number"]), json!(["number", "null"])]),
            select(vec![json!(0), json!(-7), json!(u64::MAX), json!(i64::MIN)]),
        ),
        1 => (
            select(vec![json!("integer"), json!(["integer", "null"])]),
            select(vec![json!(2.5), json!(-0.5), json!(1e30)]),
        ),
        1 => (
            select(vec![json!("string"), json!("integer"), json!(["object"]), json!(["null", "boolean"])]),
            Just(json!(null)),
        ),
    ];
    pairs.prop_map(|(types, value)| {
        let listed: Vec<&str> = match &types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let has = |t: &str| listed.contains(&t);
        let probe = match kind(&value) {
            "null" => Probe::NullOnlyWhereListed,
            "integer" if has("number") && !has("integer") => Probe::IntegerIsANumber,
            "number" if has("integer") && !has("number") => Probe::FractionIsNotAnInteger,
            _ if types.is_array() => Probe::TypeList,
            _ => Probe::TypeNamed,
        };
        (probe, json!({ "type": types }), value)
    })
}

fn enum_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let entries = select(vec![
        json!(["error", "warn"]),
        json!([1, 2, 3]),
        json!([null, 0]),
        json!([true]),
        json!(["1", 2]),
        json!([[1], {"a": 1}]),
        json!([2.5, "x"]),
    ]);
    let value = select(vec![
        json!("error"),
        json!("warn"),
        json!("Error"),
        json!(1),
        json!(2),
        json!(3),
        json!(4),
        json!("1"),
        json!("2"),
        json!(null),
        json!(0),
        json!(false),
        json!(true),
        json!([1]),
        json!([2]),
        json!({"a": 1}),
        json!({"a": 2}),
        json!(2.5),
        json!("x"),
    ]);
    (entries, value)
        .prop_map(|(entries, value)| (Probe::EnumEqualAsJson, json!({ "enum": entries }), value))
}

/// Where a value lands against `minimum` and `maximum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    BelowMin,
    AtMin,
    Inside,
    AtMax,
    AboveMax,
    HalfBelowMin,
    HalfAboveMax,
}

fn bounds_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let lo = prop_oneof![Just(0i64), Just(1), -5i64..5, Just(10000)];
    let which = select(vec![(true, false), (false, true), (true, true)]);
    let pick = select(vec![
        Pick::BelowMin,
        Pick::AtMin,
        Pick::Inside,
        Pick::AtMax,
        Pick::AboveMax,
        Pick::HalfBelowMin,
        Pick::HalfAboveMax,
    ]);
    let types = select(vec![Some("integer"), Some("number"), None]);
    (types, lo, 0i64..20, which, pick, any::<bool>()).prop_map(
        |(types, lo, span, (has_min, has_max), pick, half)| {
            let hi = lo + span;
            // Limits on a half (2.5) when `half`, on a whole number otherwise.
            let limit = |n: i64| {
                if half {
                    json!(n as f64 + 0.5)
                } else {
                    json!(n)
                }
            };
            let at = |n: i64| {
                if half {
                    json!(n as f64 + 0.5)
                } else {
                    json!(n)
                }
            };
            let value = match pick {
                Pick::BelowMin => json!(if half { lo } else { lo - 1 }),
                Pick::AtMin => at(lo),
                Pick::Inside => json!(lo + span / 2 + i64::from(half && span > 0)),
                Pick::AtMax => at(hi),
                Pick::AboveMax => json!(hi + 1),
                Pick::HalfBelowMin => json!(lo as f64 - 0.5),
                Pick::HalfAboveMax => json!(hi as f64 + 0.75),
            };
            let mut schema = json!({});
            if let Some(t) = types {
                schema["type"] = json!(t);
            }
            if has_min {
                schema["minimum"] = limit(lo);
            }
            if has_max {
                schema["maximum"] = limit(hi);
            }
            let probe = match pick {
                Pick::AtMax | Pick::AboveMax | Pick::HalfAboveMax if has_max => Probe::Maximum,
                _ if has_min => Probe::Minimum,
                _ => Probe::Maximum,
            };
            (probe, schema, value)
        },
    )
}

fn format_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let known = select(vec![
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    ]);
    let offset = select(vec![-1i128, 0, 1]);
    let types = select(vec![Some("integer"), Some("number"), None]);
    let edge = (known.clone(), any::<bool>(), offset, types.clone()).prop_map(
        |(format, at_hi, offset, types)| {
            let (lo, hi) = solution_design::schema::format_range(format).expect("a known format");
            let n = if at_hi { hi + offset } else { lo + offset };
            let value = number(n);
            let probe = if n > i128::from(i64::MAX) && n <= hi {
                Probe::FormatWholeNumber
            } else {
                Probe::FormatRange
            };
            (probe, format, types, value)
        },
    );
    let fraction = (
        known,
        select(vec![json!(2.5), json!(-1.5), json!(0.5)]),
        select(vec![Some("number"), None]),
    )
        .prop_map(|(format, value, types)| (Probe::FormatWholeNumber, format, types, value));
    let unknown = (
        select(vec![
            "double",
            "float",
            "int",
            "uint",
            "uint128",
            "date-time",
        ]),
        select(vec![
            json!(u64::MAX),
            json!(-1),
            json!(1e300),
            json!(2.5),
            json!(300),
        ]),
        select(vec![Some("number"), None]),
    )
        .prop_map(|(format, value, types)| (Probe::FormatUnknown, format, types, value));
    prop_oneof![4 => edge, 1 => fraction, 1 => unknown].prop_map(|(probe, format, types, value)| {
        let mut schema = json!({ "format": format });
        if let Some(t) = types {
            schema["type"] = json!(t);
        }
        (probe, schema, value)
    })
}

fn length_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let which = select(vec![(true, false), (false, true), (true, true)]);
    let pick = select(vec![-1i64, 0, 1]);
    let chars = prop::collection::vec(select(vec!['a', 'é', '日', '🙂', ' ', 'Z']), 8);
    (
        select(vec![Some("string"), None]),
        0u64..5,
        0u64..4,
        which,
        any::<bool>(),
        pick,
        chars,
    )
        .prop_map(
            |(types, min, span, (has_min, has_max), at_max, pick, chars)| {
                let max = min + span;
                let on_max = has_max && (at_max || !has_min);
                let bound = if on_max { max } else { min };
                let len = usize::try_from((bound as i64 + pick).max(0)).unwrap_or(0);
                let value: String = chars.iter().cycle().take(len).collect();
                let mut schema = json!({});
                if let Some(t) = types {
                    schema["type"] = json!(t);
                }
                if has_min {
                    schema["minLength"] = json!(min);
                }
                if has_max {
                    schema["maxLength"] = json!(max);
                }
                let probe = if on_max {
                    Probe::MaxLength
                } else {
                    Probe::MinLength
                };
                (probe, schema, json!(value))
            },
        )
}

fn items_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    // (items schema, valid items, invalid items)
    let kinds = vec![
        (
            json!({"type": "integer", "minimum": 0, "maximum": 9}),
            vec![json!(0), json!(5), json!(9)],
            vec![json!(10), json!(-1), json!("5"), json!(2.5)],
        ),
        (
            json!({"type": "string", "maxLength": 2}),
            vec![json!(""), json!("ab"), json!("éé")],
            vec![json!("abc"), json!(3), json!(null)],
        ),
        (
            json!({"enum": ["a", "b"]}),
            vec![json!("a"), json!("b")],
            vec![json!("c"), json!(1), json!(null)],
        ),
        (
            json!({"type": ["boolean", "null"]}),
            vec![json!(true), json!(false), json!(null)],
            vec![json!(0), json!("true")],
        ),
    ];
    let item = (any::<bool>(), any::<prop::sample::Index>());
    (
        select(kinds),
        prop::collection::vec(prop_oneof![3 => item.clone().prop_map(|(_, i)| (true, i)), 1 => item.prop_map(|(_, i)| (false, i))], 0..5),
        prop_oneof![6 => Just(true), 1 => Just(false)],
    )
        .prop_map(|((items, valid, invalid), picks, with_items)| {
            let value: Vec<Value> = picks
                .iter()
                .map(|(ok, i)| {
                    let pool = if *ok { &valid } else { &invalid };
                    i.get(pool).clone()
                })
                .collect();
            let mut schema = json!({"type": "array"});
            let probe = if with_items {
                schema["items"] = items;
                Probe::ItemsInOrder
            } else {
                Probe::KeywordsByKind
            };
            (probe, schema, Value::Array(value))
        })
}

fn kind_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let value = select(vec![
        json!(5),
        json!(-3),
        json!(2.5),
        json!("abc"),
        json!(""),
        json!([1, "x"]),
        json!({"k": 1}),
        json!(true),
        json!(null),
    ]);
    (value, any::<[bool; 4]>()).prop_map(|(value, take)| {
        let groups = [
            ("number", json!({"minimum": 1000, "maximum": -1000, "format": "uint8"})),
            ("string", json!({"minLength": 100, "maxLength": 0})),
            ("array", json!({"items": {"type": "null"}})),
            (
                "object",
                json!({"properties": {"k": {"type": "null"}}, "required": ["must"], "additionalProperties": false}),
            ),
        ];
        let own = match kind(&value) {
            "integer" => "number",
            other => other,
        };
        let mut schema = json!({});
        for ((group, keywords), take) in groups.iter().zip(take) {
            if take && *group != own {
                schema = merged(schema, keywords);
            }
        }
        (Probe::KeywordsByKind, schema, value)
    })
}

fn unknown_keywords_case() -> impl Strategy<Value = (Probe, Value, Value)> {
    let keywords = vec![
        json!({"exclusiveMaximum": 0, "exclusiveMinimum": 100}),
        json!({"multipleOf": 7}),
        json!({"pattern": "^z$"}),
        json!({"const": "q"}),
        json!({"not": {}}),
        json!({"minItems": 9, "maxItems": 0, "uniqueItems": true}),
        json!({"minProperties": 5, "maxProperties": 0}),
        json!({"oneOf": [{"type": "null"}], "anyOf": [{"type": "null"}], "allOf": [{"type": "null"}]}),
        json!({"propertyNames": {"maxLength": 0}, "dependentRequired": {"k": ["zz"]}}),
        json!({"contains": {"type": "null"}, "prefixItems": [{"type": "null"}]}),
        json!({"if": {}, "then": {"type": "null"}}),
        json!({"title": "t", "description": "d", "default": 1, "examples": [1]}),
    ];
    let value = select(vec![
        json!(5),
        json!("abc"),
        json!([1, 1]),
        json!({"k": 1}),
        json!(true),
        json!(null),
        json!(2.5),
    ]);
    (prop::sample::subsequence(keywords, 1..4), value).prop_map(|(keywords, value)| {
        let schema = keywords.iter().fold(json!({}), merged);
        (Probe::UnknownKeywords, schema, value)
    })
}

/// Wraps a one-value case as the property `v` of an object.
fn placed((probe, schema, value): (Probe, Value, Value), at_root: bool) -> SchemaCase {
    if at_root {
        case(probe, schema, value)
    } else {
        case(
            probe,
            json!({
                "type": "object",
                "properties": { "v": schema },
                "required": ["v"],
                "additionalProperties": false,
            }),
            json!({ "v": value }),
        )
    }
}

/// The checks on one value (`type`, `enum`, `minimum`, `maximum`,
/// `format`, `minLength`, `maxLength`, `items`), against the reference,
/// on schemas that probe one rule each with values on and around the
/// limits: the brief's examples first, then generated cases, at the root
/// or as a property.
pub fn schema_checks_one_value<S: Api>() -> Outcome {
    let named = vec![
        case(
            Probe::FractionIsNotAnInteger,
            json!({"type": "integer"}),
            json!(2.5),
        ),
        case(Probe::IntegerIsANumber, json!({"type": "number"}), json!(3)),
        case(
            Probe::NullOnlyWhereListed,
            json!({"type": "string"}),
            json!(null),
        ),
        case(
            Probe::TypeList,
            json!({"type": ["integer", "null"]}),
            json!(null),
        ),
        case(Probe::EnumEqualAsJson, json!({"enum": [1, 2]}), json!(3)),
        case(Probe::Minimum, json!({"minimum": 1}), json!(1)),
        case(Probe::Maximum, json!({"maximum": 10000}), json!(10000)),
        case(Probe::FormatRange, json!({"format": "uint8"}), json!(255)),
        case(Probe::FormatRange, json!({"format": "uint8"}), json!(256)),
        case(
            Probe::FormatWholeNumber,
            json!({"format": "uint64"}),
            json!(u64::MAX),
        ),
        case(
            Probe::MaxLength,
            json!({"type": "string", "maxLength": 5}),
            json!("héllo"),
        ),
        case(
            Probe::MinLength,
            json!({"type": "string", "minLength": 2}),
            json!("日"),
        ),
    ];
    let one = prop_oneof![
        3 => type_case().boxed(),
        2 => enum_case().boxed(),
        3 => bounds_case().boxed(),
        3 => format_case().boxed(),
        3 => length_case().boxed(),
        2 => items_case().boxed(),
        1 => kind_case().boxed(),
        1 => unknown_keywords_case().boxed(),
    ];
    let cases = (one, prop_oneof![2 => Just(true), 1 => Just(false)])
        .prop_map(|(one, at_root)| placed(one, at_root));
    with_named_cases(named, 512, cases, |case| {
        agree::<S>(&case.schema.0, &case.value.0, |_, _| case.probe.rule())
    })
}

// ---------------------------------------------------------------------
// `$ref`.

/// What a `$ref` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `#/$defs/Level`: a string enum.
    Level,
    /// `#/$defs/Count`: an integer, `uint8`, at least 1.
    Count,
    /// `#/$defs/Point`: an object whose `level` is a `$ref` to `Level`.
    Point,
    /// A `$ref` that names nothing.
    Nothing(&'static str),
}

/// Where the `$ref` sits in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefAt {
    /// The root schema is the `$ref`.
    Root,
    /// The property `v`.
    Property,
    /// The items of the array at property `list`.
    Item,
}

/// A case of the `$ref` check.
#[derive(Debug, Clone)]
pub struct RefCase {
    /// The rule probed.
    pub probe: Probe,
    /// The schema.
    pub schema: Json,
    /// The value.
    pub value: Json,
}

fn defs() -> Value {
    json!({
        "Level": {"type": "string", "enum": ["error", "warn"]},
        "Count": {"type": "integer", "format": "uint8", "minimum": 1},
        "Point": {
            "type": "object",
            "properties": {"x": {"type": "integer"}, "level": {"$ref": "#/$defs/Level"}},
            "required": ["x"],
            "additionalProperties": false,
        },
    })
}

fn ref_case() -> impl Strategy<Value = RefCase> {
    let target = prop_oneof![
        6 => select(vec![Target::Level, Target::Count, Target::Point]),
        1 => select(vec!["#/$defs/Missing", "#/definitions/Level", "Level", "#/$defs/level"])
            .prop_map(Target::Nothing),
    ];
    let siblings = prop_oneof![
        3 => Just(json!({})),
        1 => Just(json!({"description": "what it is"})),
        4 => select(vec![
            json!({"type": "null"}),
            json!({"maxLength": 0, "minimum": 1000, "maximum": -1}),
            json!({"enum": [42]}),
            json!({"additionalProperties": false, "required": ["zzz"], "properties": {}}),
            json!({"type": ["string", "integer", "number", "object", "null", "boolean"]}),
            json!({"$ref": "#/$defs/Level", "format": "uint8"}),
        ]),
    ];
    let values = |target: Target| -> Vec<Value> {
        match target {
            Target::Level => vec![
                json!("error"),
                json!("warn"),
                json!("debug"),
                json!(""),
                json!(3),
                json!(null),
            ],
            Target::Count => vec![
                json!(0),
                json!(1),
                json!(2),
                json!(255),
                json!(256),
                json!(2.5),
                json!("1"),
                json!(null),
            ],
            Target::Point => vec![
                json!({"x": 1}),
                json!({"x": 1, "level": "warn"}),
                json!({"x": -4, "level": "debug"}),
                json!({"x": 1, "level": 3}),
                json!({}),
                json!({"x": "a"}),
                json!({"x": 1, "y": 2}),
                json!({"level": "warn"}),
                json!(5),
            ],
            Target::Nothing(_) => vec![json!("error"), json!(1), json!({"x": 1}), json!(null)],
        }
    };
    (
        target,
        siblings,
        select(vec![RefAt::Root, RefAt::Property, RefAt::Item]),
        prop_oneof![12 => Just(true), 1 => Just(false)],
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(target, siblings, at, with_defs, pick)| {
            let reference = match target {
                Target::Level => "#/$defs/Level",
                Target::Count => "#/$defs/Count",
                Target::Point => "#/$defs/Point",
                Target::Nothing(r) => r,
            };
            // Siblings first: the `$ref` of the case wins over one among them.
            let with_ref = merged(siblings.clone(), &json!({ "$ref": reference }));
            let value = pick.get(&values(target)).clone();
            let first_good = match target {
                Target::Level | Target::Nothing(_) => json!("error"),
                Target::Count => json!(1),
                Target::Point => json!({"x": 0}),
            };
            let (mut schema, value) = match at {
                RefAt::Root => (with_ref, value),
                RefAt::Property => (
                    json!({"type": "object", "properties": {"v": with_ref}, "required": ["v"]}),
                    json!({ "v": value }),
                ),
                RefAt::Item => (
                    json!({
                        "type": "object",
                        "properties": {"list": {"type": "array", "items": with_ref}},
                        "required": ["list"],
                    }),
                    json!({ "list": [first_good, value] }),
                ),
            };
            if with_defs {
                schema["$defs"] = defs();
            }
            let meaningful_siblings = siblings
                .as_object()
                .is_some_and(|s| s.keys().any(|k| k != "description"));
            let probe = if matches!(target, Target::Nothing(_)) || !with_defs {
                Probe::RefUnresolvable
            } else if meaningful_siblings {
                Probe::RefSiblingsIgnored
            } else if at != RefAt::Root
                || value.get("level").is_some()
                || value.pointer("/v/level").is_some()
                || value.pointer("/list/1/level").is_some()
            {
                Probe::RefDefsOfTheRoot
            } else {
                Probe::RefFollowed
            };
            RefCase {
                probe,
                schema: Json(schema),
                value: Json(value),
            }
        })
}

/// `$ref`, against the reference: `#/$defs/NAME` looked up in the root's
/// `$defs` wherever the `$ref` sits (the root, a property, array items, a
/// property of a definition), the value checked against that schema alone
/// (the keywords beside the `$ref` not checked), and a `$ref` of another
/// form or naming nothing a problem at that field.
pub fn schema_follows_refs<S: Api>() -> Outcome {
    let named = vec![
        RefCase {
            probe: Probe::RefSiblingsIgnored,
            schema: Json(json!({
                "type": "object",
                "properties": {"v": {"$ref": "#/$defs/Level", "type": "null"}},
                "$defs": defs(),
            })),
            value: Json(json!({"v": "warn"})),
        },
        RefCase {
            probe: Probe::RefUnresolvable,
            schema: Json(json!({
                "type": "object",
                "properties": {"v": {"$ref": "#/$defs/Missing"}},
                "$defs": defs(),
            })),
            value: Json(json!({"v": "warn"})),
        },
        RefCase {
            probe: Probe::RefDefsOfTheRoot,
            schema: Json(json!({
                "type": "object",
                "properties": {"v": {"$ref": "#/$defs/Point"}},
                "$defs": defs(),
            })),
            value: Json(json!({"v": {"x": 1, "level": "debug"}})),
        },
    ];
    with_named_cases(named, 256, ref_case(), |case| {
        agree::<S>(&case.schema.0, &case.value.0, |_, _| case.probe.rule())
    })
}

// ---------------------------------------------------------------------
// Objects and field paths.

/// One property the object schemas can hold: its name and schema, values
/// that fit it and values that do not.
struct Property {
    name: &'static str,
    schema: Value,
    valid: Vec<Value>,
    invalid: Vec<Value>,
}

fn property_pool() -> Vec<Property> {
    vec![
        Property {
            name: "a",
            schema: json!({"type": "integer", "maximum": 9}),
            valid: vec![json!(9), json!(0), json!(-3)],
            invalid: vec![json!(10), json!("9"), json!(2.5)],
        },
        Property {
            name: "b",
            schema: json!({"type": "string", "maxLength": 3}),
            valid: vec![json!("abc"), json!(""), json!("日本")],
            invalid: vec![json!("abcd"), json!(1)],
        },
        Property {
            name: "Z",
            schema: json!({"type": "boolean"}),
            valid: vec![json!(true), json!(false)],
            invalid: vec![json!("yes"), json!(0)],
        },
        Property {
            name: "opt",
            schema: json!({"type": ["integer", "null"]}),
            valid: vec![json!(3), json!(null)],
            invalid: vec![json!("x"), json!(1.5)],
        },
        Property {
            name: "any",
            schema: json!({}),
            valid: vec![json!(1), json!("x"), json!([1])],
            invalid: vec![json!({"deep": true})],
        },
    ]
}

/// A name `required` can list that has no schema in `properties`.
const GHOST: &str = "ghost";
/// Keys no schema lists.
const EXTRAS: [&str; 5] = ["x", "B", "_u", "zz", "a0"];

/// What a property of the generated value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Not a key of the value.
    Absent,
    /// A value that fits its schema.
    Valid,
    /// A value that does not.
    Invalid,
    /// `null`.
    Null,
}

/// `additionalProperties` of the object schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Additional {
    /// `false`.
    False,
    /// Absent.
    Absent,
    /// `true`.
    True,
    /// A schema, `{"type": "null"}`.
    Schema,
}

/// Where the object sits in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectAt {
    /// The root: fields `a`.
    Root,
    /// The property `inner`: fields `inner.a`.
    Inner,
    /// The second item of a root array: fields `[1].a`.
    RootArray,
    /// The second item of the array at `outer.list`: fields
    /// `outer.list[1].a`.
    Deep,
}

/// A case of the objects check.
#[derive(Debug, Clone)]
pub struct ObjectCase {
    /// The schema.
    pub schema: Json,
    /// The value.
    pub value: Json,
    /// Keys of the object that no schema lists.
    pub extras: Vec<&'static str>,
    /// Whether `additionalProperties` is `false`.
    pub closed: bool,
    /// Required names that are not keys of the object.
    pub missing: Vec<&'static str>,
    /// Keys present with a value that does not fit.
    pub bad: Vec<&'static str>,
    /// Required keys present with `null`.
    pub null_required: Vec<&'static str>,
}

fn object_case() -> impl Strategy<Value = ObjectCase> {
    let pool_len = property_pool().len();
    let fields = prop::collection::vec(
        (
            prop_oneof![2 => Just(Field::Absent), 4 => Just(Field::Valid), 2 => Just(Field::Invalid), 1 => Just(Field::Null)],
            any::<prop::sample::Index>(),
        ),
        pool_len,
    );
    let names: Vec<&'static str> = property_pool()
        .iter()
        .map(|p| p.name)
        .chain([GHOST])
        .collect();
    (
        prop::sample::subsequence((0..pool_len).collect::<Vec<_>>(), 1..=pool_len),
        prop::sample::subsequence(names, 0..=3).prop_shuffle(),
        prop_oneof![3 => Just(Additional::False), 1 => Just(Additional::Absent), 1 => Just(Additional::True), 1 => Just(Additional::Schema)],
        fields,
        prop_oneof![3 => Just(Vec::new()), 2 => prop::sample::subsequence(EXTRAS.to_vec(), 1..=2)],
        any::<bool>(),
        prop_oneof![4 => Just(ObjectAt::Root), 1 => Just(ObjectAt::Inner), 1 => Just(ObjectAt::RootArray), 1 => Just(ObjectAt::Deep)],
    )
        .prop_map(|(listed, required, additional, fields, extras, ghost_present, at)| {
            let pool = property_pool();
            let mut properties = serde_json::Map::new();
            let mut object = serde_json::Map::new();
            let mut good = serde_json::Map::new();
            let mut bad = Vec::new();
            let mut null_required = Vec::new();
            for &i in &listed {
                let p = &pool[i];
                properties.insert(p.name.to_owned(), p.schema.clone());
                if required.contains(&p.name) {
                    good.insert(p.name.to_owned(), p.valid[0].clone());
                }
                let (state, pick) = fields[i];
                let value = match state {
                    Field::Absent => continue,
                    Field::Valid => pick.get(&p.valid).clone(),
                    Field::Invalid => pick.get(&p.invalid).clone(),
                    Field::Null => json!(null),
                };
                if state == Field::Null && required.contains(&p.name) {
                    null_required.push(p.name);
                }
                if state == Field::Invalid || (state == Field::Null && p.name != "opt" && p.name != "any") {
                    bad.push(p.name);
                }
                object.insert(p.name.to_owned(), value);
            }
            // Only names `properties` holds are generated as keys above;
            // a required name without a schema may be a key too.
            let closed = additional == Additional::False;
            if ghost_present && required.contains(&GHOST) {
                object.insert(GHOST.to_owned(), json!(1));
            }
            if required.contains(&GHOST) && !closed {
                good.insert(GHOST.to_owned(), json!(1));
            }
            let mut extras_present = Vec::new();
            for extra in &extras {
                object.insert((*extra).to_owned(), json!(null));
                extras_present.push(*extra);
            }
            if closed && object.contains_key(GHOST) {
                extras_present.push(GHOST);
            }
            let missing: Vec<&'static str> = required
                .iter()
                .copied()
                .filter(|r| !object.contains_key(*r))
                .collect();
            let mut schema = json!({"type": "object", "properties": properties});
            if !required.is_empty() {
                schema["required"] = json!(required);
            }
            match additional {
                Additional::False => schema["additionalProperties"] = json!(false),
                Additional::Absent => {}
                Additional::True => schema["additionalProperties"] = json!(true),
                Additional::Schema => schema["additionalProperties"] = json!({"type": "null"}),
            }
            let (object, good) = (Value::Object(object), Value::Object(good));
            let (schema, value) = match at {
                ObjectAt::Root => (schema, object),
                ObjectAt::Inner => (
                    json!({
                        "type": "object",
                        "properties": {"inner": schema, "n": {"type": "integer"}},
                        "required": ["inner"],
                    }),
                    json!({"inner": object, "n": 1}),
                ),
                ObjectAt::RootArray => (json!({"type": "array", "items": schema}), json!([good, object])),
                ObjectAt::Deep => (
                    json!({
                        "type": "object",
                        "properties": {
                            "outer": {"type": "object", "properties": {"list": {"type": "array", "items": schema}}},
                        },
                    }),
                    json!({"outer": {"list": [good, object]}}),
                ),
            };
            ObjectCase {
                schema: Json(schema),
                value: Json(value),
                extras: extras_present,
                closed,
                missing,
                bad,
                null_required,
            }
        })
}

/// The last name of a field path: `a` for `inner.a`, empty for `list[1]`.
fn leaf(field: &str) -> &str {
    let from = field.rfind(['.', ']']).map_or(0, |i| i + 1);
    &field[from..]
}

/// The rule a disagreement on an object case breaks.
fn object_rule(
    case: &ObjectCase,
    want: &Result<(), ArgFault>,
    got: &Result<(), ArgFault>,
) -> &'static str {
    if let (Err(w), Err(g)) = (want, got)
        && w.field != g.field
        && leaf(&w.field) == leaf(&g.field)
    {
        return "field-paths";
    }
    let got_leaf = got.as_ref().err().map(|g| leaf(&g.field));
    let named = |names: &[&str]| got_leaf.is_some_and(|l| names.contains(&l));
    if !case.extras.is_empty() {
        if case.closed {
            return "unknown-fields-first";
        }
        if named(&case.extras) {
            return "unknown-only-if-closed";
        }
    }
    if !case.missing.is_empty() {
        return if named(&case.bad) {
            "missing-before-present"
        } else {
            "missing-in-schema-order"
        };
    }
    if named(&case.null_required) {
        return "missing-means-no-key";
    }
    "present-in-name-order"
}

/// Objects, against the reference, with generated `properties`,
/// `required` (in any order, with a name that has no schema) and
/// `additionalProperties` (`false`, absent, `true`, a schema), and values
/// with unknown, missing, `null`, valid and invalid fields: unknown
/// fields first (only when `additionalProperties` is exactly `false`,
/// with the exact problem), then missing ones in the schema's order,
/// then present ones in name order; and the field paths of objects
/// nested in objects and arrays.
pub fn schema_checks_objects_in_order<S: Api>() -> Outcome {
    let named = vec![
        object_named(
            json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
            json!({"a": 1, "x": 2}),
        ),
        object_named(
            json!({"type": "object", "properties": {"a": {"type": ["integer", "null"]}}, "required": ["a"]}),
            json!({"a": null}),
        ),
        object_named(
            json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["b"]}),
            json!({"a": "1"}),
        ),
        object_named(
            json!({"type": "object", "properties": {"inner": {"type": "object", "properties": {"b": {"type": "string"}}}}}),
            json!({"inner": {"b": 2}}),
        ),
    ];
    with_named_cases(named, 384, object_case(), |case| {
        agree::<S>(&case.schema.0, &case.value.0, |want, got| {
            object_rule(&case, want, got)
        })
    })
}

/// A fixed object case; the facts `object_rule` reads are taken from the
/// root object of `value`.
fn object_named(schema: Value, value: Value) -> ObjectCase {
    let keys: Vec<&'static str> = ["a", "b", "x", "inner"]
        .into_iter()
        .filter(|k| value.get(*k).is_some())
        .collect();
    let listed = |k: &str| schema["properties"].get(k).is_some();
    let required: Vec<&'static str> = ["a", "b"]
        .into_iter()
        .filter(|k| {
            schema["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(k)))
        })
        .collect();
    ObjectCase {
        extras: keys.iter().copied().filter(|k| !listed(k)).collect(),
        closed: schema["additionalProperties"] == json!(false),
        missing: required
            .iter()
            .copied()
            .filter(|k| !keys.contains(k))
            .collect(),
        bad: keys.iter().copied().filter(|k| listed(k)).collect(),
        null_required: required
            .iter()
            .copied()
            .filter(|k| value.get(*k) == Some(&Value::Null))
            .collect(),
        schema: Json(schema),
        value: Json(value),
    }
}
