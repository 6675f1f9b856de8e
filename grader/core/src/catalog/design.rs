//! The design lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PROPERTY, QUICK, Rule};

/// The problem of an unknown field, as the objects section of the brief
/// fixes it; tested wherever an unknown field can come up.
const UNKNOWN_FIELD_TEXT: Rule = Rule {
    id: "unknown-field-text",
    text: "an unknown field's problem is exactly `is not an argument of this tool` (schema::validate, Objects, step 1)",
    hint: "This one problem has fixed wording in the brief; the others are yours.",
};

/// How a field is named, at any depth; any check that compares the field
/// a refusal names can see it broken.
const FIELD_PATHS: Rule = Rule {
    id: "field-paths",
    text: "the root is the field \"\", a property `b` of the object at field `a` is `a.b` (of the root: `b`), item `i` of the array at field `a` is `a[i]` (of the root: `[i]`) (schema::validate, Field paths)",
    hint: "Build each child's path from its parent's, at every level.",
};

/// When an unknown field is refused; any check whose schemas hold
/// objects can see it broken.
const UNKNOWN_ONLY_IF_CLOSED: Rule = Rule {
    id: "unknown-only-if-closed",
    text: "unknown fields are refused only if `additionalProperties` is exactly `false`; a key with no schema is otherwise not checked (schema::validate, Objects, steps 1 and 3)",
    hint: "Absent, `true` or a schema: none of them is `false`.",
};

/// Every check of the design lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "names_follow_the_rules",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Empty first, then the first character outside [A-Za-z0-9_.-], then the length counted in characters, not bytes.",
        rules: &[
            Rule {
                id: "name-empty",
                text: "the empty name, and only it, gives `NameError::Empty` (check_tool_name, rule 1)",
                hint: "A name of spaces is not empty: it holds characters.",
            },
            Rule {
                id: "name-first-bad-char",
                text: "a character that is not an ASCII letter, an ASCII digit, `_`, `-` or `.` gives `InvalidChar(c)`, `c` the first such character from the start (check_tool_name, rule 2: \"read log\" gives InvalidChar(' '), \"café\" gives InvalidChar('é'))",
                hint: "Scan from the start and stop at the first character outside the allowed set; a letter or digit outside ASCII is outside it.",
            },
            Rule {
                id: "name-allowed-chars",
                text: "ASCII letters, ASCII digits, `_`, `-` and `.` may appear in a name (check_tool_name, rule 2)",
                hint: "Compare your set of allowed characters with the brief's list, item by item.",
            },
            Rule {
                id: "name-bad-char-before-length",
                text: "a name that is both too long and holds a bad character gives `InvalidChar` (check_tool_name: the checks in this order)",
                hint: "The order of the checks decides which error wins.",
            },
            Rule {
                id: "name-too-long",
                text: "a name of more than MAX_NAME_LEN (128) characters gives `TooLong(len)`, `len` the number of characters (check_tool_name, rule 3)",
                hint: "Count characters, not bytes, and carry that count in the error.",
            },
            Rule {
                id: "name-128-accepted",
                text: "a 128-character name is accepted (check_tool_name, rule 3: more than 128 is too long)",
                hint: "\"More than\" the limit: which comparison is that?",
            },
        ],
    },
    CheckInfo {
        name: "registration_agrees_with_a_model",
        kind: Kind::Property,
        points: 7,
        deadline: PROPERTY,
        hint: "Check the name before looking for a duplicate, and never replace a registered plugin: the first one stays.",
        rules: &[
            Rule {
                id: "register-invalid-name",
                text: "a name `check_tool_name` refuses with `why` gives `RegisterError::InvalidName(name, why)` (register, rule 1)",
                hint: "Carry the name and the name check's own error.",
            },
            Rule {
                id: "register-duplicate",
                text: "a name already registered gives `RegisterError::Duplicate(name)` (register, rule 2)",
                hint: "Look the name up among the plugins already stored.",
            },
            Rule {
                id: "register-first-stays",
                text: "after a `Duplicate` the registry is unchanged: the first registration stays (register, rule 2)",
                hint: "Decide whether the name is taken before you store anything.",
            },
            Rule {
                id: "register-stores",
                text: "otherwise the plugin is stored under its name and `register` returns `Ok(())`; `names()` lists the registered names (register, rule 3)",
                hint: "Every valid new name ends up in the registry, under exactly that name.",
            },
        ],
    },
    CheckInfo {
        name: "arguments_match_the_schema",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Follow $ref into $defs, accept a list of types (Option<T> is [\"T\", \"null\"]), and keep the field path as you descend into objects and arrays.",
        rules: &[
            Rule {
                id: "valid-arguments-accepted",
                text: "arguments that match the schema give `Ok(())`, values on a minimum, maximum or length limit included (schema::validate)",
                hint: "Run the valid arguments of the counterexample through each keyword of its field's schema: which one refuses?",
            },
            Rule {
                id: "refusal-names-the-field",
                text: "arguments with a problem are refused with an `ArgError` whose field is the field at fault (schema::validate, Field paths)",
                hint: "Find the keyword that should refuse the bad field, and check the path you carry down to it.",
            },
            UNKNOWN_FIELD_TEXT,
        ],
    },
    CheckInfo {
        name: "schema_checks_one_value",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "type, then enum, then the keywords of the value's own kind; limits are inclusive, lengths count characters.",
        rules: &[
            FIELD_PATHS,
            UNKNOWN_ONLY_IF_CLOSED,
            Rule {
                id: "type-named",
                text: "`type` as one string: the value fits only if `json_type` gives that type (schema::validate, check 2)",
                hint: "Compare the value's JSON type with the one named.",
            },
            Rule {
                id: "type-list",
                text: "`type` as a list of strings: the value fits if its type is listed (schema::validate, check 2)",
                hint: "A list names every type allowed; `schemars` writes an `Option` that way.",
            },
            Rule {
                id: "integer-fits-number",
                text: "an integer fits where \"number\" is listed (schema::validate, check 2)",
                hint: "Every integer is a number, not the other way round.",
            },
            Rule {
                id: "fraction-not-integer",
                text: "a number that does not fit i64 or u64, such as 2.5, is not an \"integer\" (schema::validate, check 2)",
                hint: "Every integer is a number, not the other way round.",
            },
            Rule {
                id: "null-only-where-listed",
                text: "`null` fits only where \"null\" is listed (schema::validate, check 2)",
                hint: "A null is a value with a type of its own, not a missing one.",
            },
            Rule {
                id: "enum-equal-as-json",
                text: "with `enum`, the value must be equal (as JSON) to one of its entries (schema::validate, check 3)",
                hint: "Entries can be numbers, null, arrays: compare whole JSON values.",
            },
            Rule {
                id: "minimum-inclusive",
                text: "`minimum`: a number must not be less; the minimum itself fits (schema::validate, check 4)",
                hint: "\"Not less\" includes equal.",
            },
            Rule {
                id: "maximum-inclusive",
                text: "`maximum`: a number must not be more; the maximum itself fits (schema::validate, check 4)",
                hint: "\"Not more\" includes equal.",
            },
            Rule {
                id: "format-range-inclusive",
                text: "a `format` that `format_range` knows: the number must lie within that inclusive range (schema::validate, check 4)",
                hint: "Both ends of the range are allowed values of the type.",
            },
            Rule {
                id: "format-whole-number",
                text: "a `format` that `format_range` knows: the number must be whole, `as_i64` or `as_u64` (schema::validate, check 4)",
                hint: "Some whole numbers fit u64 and not i64.",
            },
            Rule {
                id: "format-unknown-ignored",
                text: "a `format` that `format_range` does not know is ignored (schema::validate, check 4)",
                hint: "Only the formats `format_range` returns a range for are checked.",
            },
            Rule {
                id: "min-length-in-chars",
                text: "`minLength`, inclusive, counted in characters, not bytes (schema::validate, check 4)",
                hint: "How many characters does a string of accented letters have, and how many bytes?",
            },
            Rule {
                id: "max-length-in-chars",
                text: "`maxLength`, inclusive, counted in characters, not bytes (schema::validate, check 4)",
                hint: "How many characters does a string of accented letters have, and how many bytes? And is the limit itself allowed?",
            },
            Rule {
                id: "items-in-order",
                text: "an array with `items`: each item is checked against it in index order, as the field `name[i]` (schema::validate, check 4)",
                hint: "The first bad item, counting from 0.",
            },
            Rule {
                id: "keywords-by-kind",
                text: "keywords apply by the kind of the value (numbers: minimum, maximum, format; strings: lengths; arrays: items; objects: the three steps), and absent keywords are not checked (schema::validate, check 4)",
                hint: "Choose what to check from the value's kind, not from the keywords present.",
            },
            Rule {
                id: "unknown-keywords-ignored",
                text: "keywords not listed in the brief are ignored (schema::validate)",
                hint: "Check only the keywords the brief lists.",
            },
        ],
    },
    CheckInfo {
        name: "schema_follows_refs",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "A $ref replaces the schema it sits in, and always points into the root document's $defs.",
        rules: &[
            FIELD_PATHS,
            UNKNOWN_ONLY_IF_CLOSED,
            Rule {
                id: "ref-followed",
                text: "a `$ref` `#/$defs/NAME`: the value is checked against `$defs` NAME of the root schema, with the same field (schema::validate, check 1)",
                hint: "Check the value against the schema the reference names.",
            },
            Rule {
                id: "ref-siblings-ignored",
                text: "the other keywords beside a `$ref` are not checked (schema::validate, check 1)",
                hint: "Once the reference is followed, nothing else of that schema applies.",
            },
            Rule {
                id: "ref-defs-of-the-root",
                text: "NAME is looked up in the `$defs` of the root schema, wherever the `$ref` sits (schema::validate, check 1)",
                hint: "A `$ref` inside a property or a definition still points into the root document.",
            },
            Rule {
                id: "ref-unresolvable",
                text: "a `$ref` of another form, or naming no entry of `$defs`, is a problem at that field (schema::validate, check 1)",
                hint: "A reference you cannot follow is a problem, not a free pass.",
            },
            UNKNOWN_FIELD_TEXT,
        ],
    },
    CheckInfo {
        name: "schema_checks_objects_in_order",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Unknown fields, then missing ones, then the present ones in name order; paths a.b and a[i] all the way down.",
        rules: &[
            FIELD_PATHS,
            Rule {
                id: "unknown-fields-first",
                text: "when `additionalProperties` is `false`, the first key in name order that is not in `properties` is the problem, before missing and present fields (schema::validate, Objects, step 1)",
                hint: "Look for unknown keys before anything else, in sorted order.",
            },
            UNKNOWN_ONLY_IF_CLOSED,
            UNKNOWN_FIELD_TEXT,
            Rule {
                id: "missing-in-schema-order",
                text: "each name in `required`, in the schema's order, that is not a key of the value is a problem at that field (schema::validate, Objects, step 2)",
                hint: "Walk `required` in its own order; a required name needs no schema in `properties`.",
            },
            Rule {
                id: "missing-before-present",
                text: "missing fields are found before the present fields are checked (schema::validate, Objects: in this order)",
                hint: "The order of the three steps.",
            },
            Rule {
                id: "missing-means-no-key",
                text: "a required field is missing only when it is not a key of the value; a key whose value is `null` is present (schema::validate, Objects, step 2)",
                hint: "Is the key there? That is the only question of step 2.",
            },
            Rule {
                id: "present-in-name-order",
                text: "each key of the value, in name order (Rust's `str` order), that has a schema in `properties` is checked against it (schema::validate, Objects, step 3)",
                hint: "Sort the keys the way Rust compares strings.",
            },
        ],
    },
    CheckInfo {
        name: "execute_checks_before_running",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Look the tool up, validate against its schema, and only then call it; each failure is a ToolError with its own code.",
        rules: &[
            Rule {
                id: "execute-not-found",
                text: "no plugin named `name`: a `ToolError` with code `NotFound`, and no plugin runs (execute, rule 1)",
                hint: "An unknown name is not a bad argument.",
            },
            Rule {
                id: "execute-not-found-message",
                text: "the `NotFound` message names the tool asked for and lists the registered names (execute, rule 1)",
                hint: "Tell the model what it asked for and what it could have asked for.",
            },
            Rule {
                id: "execute-validation",
                text: "arguments `validate` refuses: a `ToolError` with code `Validation`, and the plugin does not run (execute, rule 2)",
                hint: "Validate against the plugin's schema before calling it.",
            },
            Rule {
                id: "execute-validation-message",
                text: "the `Validation` message is exactly the `ArgError`'s `to_string()` (execute, rule 2)",
                hint: "The `ArgError`'s text form already names the field.",
            },
            Rule {
                id: "execute-runs-once",
                text: "valid arguments: the plugin runs exactly once (execute, rule 3)",
                hint: "Call the plugin once, after validation.",
            },
            Rule {
                id: "execute-returns-unchanged",
                text: "valid arguments: the plugin's result, success or error, is returned unchanged (execute, rule 3)",
                hint: "Pass the plugin's result straight back.",
            },
        ],
    },
    CheckInfo {
        name: "tool_list_for_mcp",
        kind: Kind::Unit,
        points: 4,
        deadline: QUICK,
        hint: "One rmcp Tool per plugin, in the registry's order, with the description and the schema object as the input schema.",
        rules: &[
            Rule {
                id: "tools-in-name-order",
                text: "`tools()` gives one `Tool` per plugin, in name order (registry::tools)",
                hint: "One entry per registered plugin, in the order `names()` gives.",
            },
            Rule {
                id: "tools-description",
                text: "each `Tool`'s description is its plugin's `description()` (registry::tools)",
                hint: "Each argument of `Tool::new` has its own source.",
            },
            Rule {
                id: "tools-schema",
                text: "each `Tool`'s input schema is its plugin's schema as a JSON object (registry::tools)",
                hint: "The schema is the map inside the plugin's schema value.",
            },
        ],
    },
    CheckInfo {
        name: "composition_degrades",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "Join the independent steps, each under with_timeout; turn each failure into its section's reason instead of returning early.",
        rules: &[
            Rule {
                id: "step-under-timeout",
                text: "each of the three steps runs under `with_timeout` with `step_timeout`, so a step that never ends is cut (health_report, rules 1 and 2)",
                hint: "Which of your steps has no deadline?",
            },
            Rule {
                id: "timeout-names-the-step",
                text: "the steps run under `with_timeout(\"analyze_logs\", ..)`, `with_timeout(\"metrics\", ..)` and `with_timeout(\"suggest\", ..)`: a timed-out section's reason names that tool (health_report, rules 1 and 2)",
                hint: "The first argument of `with_timeout` is the tool's name as the brief spells it.",
            },
            Rule {
                id: "suggest-always-runs",
                text: "the suggestion runs whatever the first two steps gave, even when both failed (health_report, rule 2)",
                hint: "A failed input is `None`, not a reason to skip the step.",
            },
            Rule {
                id: "suggest-gets-outputs",
                text: "`suggest(logs, metrics)` gets `Some` of each step's output if it succeeded and `None` if it failed or timed out (health_report, rule 2)",
                hint: "Check which output goes to which parameter.",
            },
            Rule {
                id: "sections-in-order",
                text: "three sections, always in this order, with these titles: `Logs`, `Metrics`, `Suggestions` (health_report, rule 3)",
                hint: "Compare your titles with the brief's, letter by letter.",
            },
            Rule {
                id: "section-body",
                text: "a section's body is `Ok(output)` for a step that succeeded and `Err(error.to_string())` for one that failed or timed out (health_report, rule 3)",
                hint: "Keep the output as it is, and the error's full text form, code included.",
            },
            Rule {
                id: "status",
                text: "`status` is `Healthy` if all three steps succeeded, and `Degraded` otherwise (health_report, rule 4)",
                hint: "All three steps count, the suggestion too.",
            },
            Rule {
                id: "steps-overlap",
                text: "the report is returned after exactly `max(min(l, t), min(m, t)) + min(s, t)`: the two independent steps at the same time with `tokio::join!`, then the suggestion (health_report)",
                hint: "Which awaits run at the same time, and which one after?",
            },
        ],
    },
    CheckInfo {
        name: "markdown_report",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "Heading, status line, then the sections in their fixed order, an unavailable one showing its reason.",
        rules: &[
            Rule {
                id: "md-heading-and-status",
                text: "the report starts `# Health report`, an empty line, then `Status: **healthy**` or `Status: **degraded**` (HealthReport::to_markdown)",
                hint: "Compare the first three lines with the brief's layout, character by character.",
            },
            Rule {
                id: "md-section-layout",
                text: "after the status line, each section adds an empty line, `## Title`, an empty line, the body and a newline (HealthReport::to_markdown)",
                hint: "Count the newlines between one body and the next heading.",
            },
            Rule {
                id: "md-body-trim-end",
                text: "a section's body is its text with trailing whitespace removed (`trim_end`) (HealthReport::to_markdown)",
                hint: "What if a step's output ends with a newline?",
            },
            Rule {
                id: "md-unavailable",
                text: "an unavailable section's body is `_Unavailable: REASON_`, REASON the `Err` string as it is (HealthReport::to_markdown)",
                hint: "Where exactly do the underscores go?",
            },
            Rule {
                id: "md-nothing-else",
                text: "nothing else: the string ends with the last section's body and one newline (HealthReport::to_markdown)",
                hint: "Look at the very end of your string.",
            },
        ],
    },
];
