//! The security lab's checks, in the order reports list them.

use crate::check::{CheckInfo, Kind, PERF, PROPERTY, QUICK, Rule};

/// Every check of the security lab.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "sql_denylist_port",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Port the chapter's check exactly: every DENYLIST pattern, case-insensitive, searched anywhere; then the text must start with SELECT after leading whitespace.",
        rules: &[
            Rule {
                id: "denylist-patterns",
                text: "each DENYLIST pattern is matched case-insensitively, with `.` also matching newlines, anywhere in the text; the first that matches, in DENYLIST's order, gives Pattern(p), before any SELECT test (denylist_check, rule 1)",
                hint: "Look at the flags in front of each pattern, at the order you try the patterns in, and at what runs before the SELECT test.",
            },
            Rule {
                id: "denylist-select",
                text: "otherwise, after removing leading whitespace, the text must begin with the six letters `select` in any case, else NotSelect; only the first six letters are compared (denylist_check, rules 2-3)",
                hint: "Trim only the start, then compare exactly six letters, ignoring case: what follows them does not matter.",
            },
        ],
    },
    CheckInfo {
        name: "sql_accepts_generated_selects",
        kind: Kind::Property,
        points: 10,
        deadline: PROPERTY,
        hint: "Judge the parsed statement, not the text: comments, case, quoted names and SQL inside string literals are all harmless.",
        rules: &[
            Rule {
                id: "accepts-one-read-only-query",
                text: "exactly one read-only query is accepted, whatever its case, comments, subqueries, CTEs or set operations; a single trailing `;` is fine (check_query)",
                hint: "Judge the syntax tree the parser gives you, not the text.",
            },
            Rule {
                id: "returns-rendered-statement",
                text: "on success, ReadOnlyQuery holds statement.to_string(): the one statement rendered back from the syntax tree, never the original text (check_query)",
                hint: "What runs must be what you checked: render the parsed statement.",
            },
        ],
    },
    CheckInfo {
        name: "sql_refuses_disguised_writes",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Count the statements the parser returns, accept only Statement::Query, and walk the whole tree: a WITH clause can hold a DELETE.",
        rules: &[
            Rule {
                id: "refuses-writes",
                text: "a statement that writes or changes the schema is refused, bare, behind or before another statement, or inside a WITH clause (check_query)",
                hint: "Count the statements, accept only Statement::Query, and walk the whole tree.",
            },
            Rule {
                id: "first-rule-broken",
                text: "the rules apply in the brief's order and the first broken gives the error: no statement is Empty, a parse failure Unparsable, several statements MultipleStatements, anything but a query NotAQuery (check_query)",
                hint: "Parse first, then look at the number of statements, then at the kind of the one statement, and only then walk it.",
            },
        ],
    },
    CheckInfo {
        name: "sql_refuses_forbidden_functions",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "A function can be called in the select list, in WHERE, in FROM, in a subquery or in a CTE, and its name can be schema-qualified or in any case.",
        rules: &[
            Rule {
                id: "forbidden-anywhere",
                text: "a call to a function matched by forbidden_function, in an expression or as a table function in FROM, is ForbiddenFunction; forbidden_function gets the last part of the name (check_query, the walk)",
                hint: "Visit every expression and every FROM item, and look the function up by the last part of its name: the identifier's value, without the quotes a quoted name is written with.",
            },
            Rule {
                id: "forbidden-name-and-why",
                text: "ForbiddenFunction's `name` is the function's name as written in the query, qualifier included, and `why` the `why` of the matching FORBIDDEN_FUNCTIONS entry (check_query)",
                hint: "Report the name the query used, not the pattern that matched it.",
            },
        ],
    },
    CheckInfo {
        name: "sql_names_the_reason",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Each rule of the brief has its own SqlRejection variant; check them in the brief's order (parse, count, kind, then the walk).",
        rules: &[
            Rule {
                id: "first-rule-broken",
                text: "the rules apply in the brief's order and the first broken gives the error: no statement is Empty, a parse failure Unparsable (even with several statements), several statements MultipleStatements, anything but Statement::Query (EXPLAIN included) NotAQuery (check_query)",
                hint: "Parse first, then look at the number of statements, then at the kind of the one statement, and only then walk it.",
            },
            Rule {
                id: "statement-count",
                text: "MultipleStatements(n) carries the number of statements the parser returned (check_query)",
                hint: "Count statements, not separators.",
            },
            Rule {
                id: "not-a-query-keyword",
                text: "NotAQuery carries the statement's leading keyword(s), such as DELETE or CREATE (check_query)",
                hint: "Name the statement by the keyword it starts with.",
            },
            Rule {
                id: "unparsable-message",
                text: "Unparsable carries the parser's message (check_query)",
                hint: "Keep what the parser said.",
            },
            Rule {
                id: "accepts-one-read-only-query",
                text: "a query that breaks no rule is accepted: a single trailing `;` is fine, and only the last part of a function's name is looked up (check_query)",
                hint: "Look up the function's own name, not its schema's.",
            },
            Rule {
                id: "returns-rendered-statement",
                text: "on success, ReadOnlyQuery holds statement.to_string(), never the original text (check_query)",
                hint: "What runs must be what you checked: render the parsed statement.",
            },
            Rule {
                id: "walk-select-into",
                text: "a SELECT with an INTO clause (TEMP or not) is SelectInto (check_query, the walk)",
                hint: "Look at the INTO clause of every SELECT, whatever kind of table it creates.",
            },
            Rule {
                id: "walk-modifying-cte",
                text: "an INSERT, UPDATE, DELETE or MERGE inside the query is DataModifyingCte (check_query, the walk)",
                hint: "Look at the body of every CTE.",
            },
            Rule {
                id: "walk-locking",
                text: "a locking clause, FOR UPDATE, FOR SHARE and their variants, is LockingClause (check_query, the walk)",
                hint: "Every kind of lock counts, not only FOR UPDATE.",
            },
            Rule {
                id: "walk-forbidden-function",
                text: "a call to a forbidden function is ForbiddenFunction (check_query, the walk)",
                hint: "Visit every expression and FROM item, and look functions up by the last part of their name.",
            },
            Rule {
                id: "forbidden-name-and-why",
                text: "ForbiddenFunction's `name` is the name as written in the query, qualifier included, and `why` the matching entry's (check_query)",
                hint: "Report the name the query used, not the pattern that matched it.",
            },
        ],
    },
    CheckInfo {
        name: "sql_walk_reaches_every_level",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Use sqlparser's Visitor: it reaches every subquery, CTE, expression and FROM item for you, at any depth.",
        rules: &[
            Rule {
                id: "walk-select-into",
                text: "a SELECT with an INTO clause, at any depth, is SelectInto (check_query, the walk)",
                hint: "Check the INTO clause of every SELECT the walk meets, whatever table it creates.",
            },
            Rule {
                id: "walk-modifying-cte",
                text: "an INSERT, UPDATE, DELETE or MERGE anywhere inside the query, typically in a WITH clause, is DataModifyingCte (check_query, the walk)",
                hint: "A WITH clause can sit inside a subquery or inside another CTE.",
            },
            Rule {
                id: "walk-locking",
                text: "a locking clause (FOR UPDATE, FOR SHARE, with NOWAIT, SKIP LOCKED or OF) on any query or subquery is LockingClause (check_query, the walk)",
                hint: "Every kind of lock counts, on every query the walk meets.",
            },
            Rule {
                id: "walk-forbidden-function",
                text: "a call to a function matched by forbidden_function, in any expression or as a table function in FROM, at any depth, is ForbiddenFunction (check_query, the walk)",
                hint: "Select list, WHERE, HAVING, ORDER BY, JOIN conditions, function arguments and FROM all hold calls.",
            },
            Rule {
                id: "forbidden-name-and-why",
                text: "ForbiddenFunction's `name` is the name as written in the query, qualifier included, and `why` the matching entry's (check_query)",
                hint: "Report the name the query used, not the pattern that matched it.",
            },
        ],
    },
    CheckInfo {
        name: "paths_stay_inside_roots",
        kind: Kind::Property,
        points: 12,
        deadline: PROPERTY,
        hint: "Compare real locations: canonicalize (it follows symlinks), fall back to the parent only for a missing file, and use Path::starts_with, which compares whole components.",
        rules: &[
            Rule {
                id: "inside-accepted",
                text: "a request whose real path lies inside one of the roots resolves (resolve, steps 3-5)",
                hint: "Every root counts for the containment test, and a missing file in an existing directory is fine.",
            },
            Rule {
                id: "real-path",
                text: "resolve returns the real path: a relative request is joined to the first root (even when there are several), symlinks are followed, `.` and `..` removed, a missing file's name joined to its real parent (resolve, steps 3-4)",
                hint: "Join to the first root only, canonicalize, and for a missing file canonicalize the parent and join the name back.",
            },
            Rule {
                id: "outside-refused",
                text: "a real path outside every root, compared whole component by whole component, is OutsideRoots (resolve, step 5)",
                hint: "Compare real paths with Path::starts_with, after symlinks are followed.",
            },
            Rule {
                id: "resolve-errors",
                text: "a dangling symlink is DanglingSymlink; a missing parent, or a last component that is not a file name, is NotFound; any other I/O error is Io with the operating system's error (resolve, step 4)",
                hint: "Tell the error kinds apart: only NotFound from canonicalize leads to the parent fallback, and NotFound from the parent is NotFound.",
            },
            Rule {
                id: "error-names-request",
                text: "NotFound, DanglingSymlink, OutsideRoots and Io carry the path as requested (resolve, steps 4-5)",
                hint: "The error names what the caller asked for, not where it led.",
            },
        ],
    },
    CheckInfo {
        name: "paths_edge_cases",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "Roots are checked once, when the policy is built; a request is refused when empty or holding NUL, and `..` inside a file name is just a name.",
        rules: &[
            Rule {
                id: "roots-canonical",
                text: "PathPolicy::new canonicalizes each root, in the order given, and roots() returns them (PathPolicy::new)",
                hint: "Keep the canonical paths, in the order you were given the roots.",
            },
            Rule {
                id: "root-errors",
                text: "a root that cannot be canonicalized is RootUnavailable with the root as given and the OS error; one whose canonical path is not a directory is RootNotADirectory with the root as given; no roots is NoRoots; roots are checked in the order given (PathPolicy::new)",
                hint: "Report the root the way it was configured, not the path you computed from it.",
            },
            Rule {
                id: "empty-and-nul",
                text: "an empty string is Empty; a string containing a NUL byte is ContainsNul (resolve, steps 1-2)",
                hint: "Test for the NUL character itself, before touching the file system.",
            },
            Rule {
                id: "outside-refused",
                text: "a sibling directory such as <root>_evil is outside (resolve, step 5)",
                hint: "Compare whole components, not text.",
            },
            Rule {
                id: "dots-in-names",
                text: "`..` inside a name is just a name: app..v2.log inside the root resolves (resolve)",
                hint: "Let the file system judge the path; do not look for `..` in the text.",
            },
        ],
    },
    CheckInfo {
        name: "permissions_follow_the_table",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Deny by default: a tool without an entry is refused whatever was granted, and needs approval.",
        rules: &[
            Rule {
                id: "unknown-tool-denied",
                text: "a tool not in the table is UnknownTool(tool), whatever was granted, even every permission (authorize)",
                hint: "Look the tool up by its exact name (another case is another tool) before looking at what was granted.",
            },
            Rule {
                id: "missing-in-table-order",
                text: "for a known tool, the required permissions not granted, in the order the table lists them, give MissingPermissions { tool, missing }; none missing is Ok, and a tool that requires nothing is allowed to anyone (authorize)",
                hint: "Walk the tool's own list of required permissions.",
            },
            Rule {
                id: "approval",
                text: "requires_approval is true for a tool not in the table and for one requiring any high-privilege permission, false otherwise (requires_approval)",
                hint: "Fail closed for unknown tools; one high-privilege permission is enough.",
            },
        ],
    },
    CheckInfo {
        name: "redaction_removes_planted_secrets",
        kind: Kind::Property,
        points: 8,
        deadline: PROPERTY,
        hint: "Recurse into every object and array; judge keys by their normalized name and strings by the shape of the secrets inside them, keeping the text around a secret.",
        rules: &[
            Rule {
                id: "secrets-removed",
                text: "no planted secret survives: a sensitive key's value becomes \"[REDACTED]\" and a secret inside a string is replaced, the text around it kept (redact, redact_text)",
                hint: "Recurse into every object and array, at any depth.",
            },
            Rule {
                id: "structure-kept",
                text: "every key is kept, arrays keep their length, and values with no secret are copied unchanged (redact)",
                hint: "Change only what holds a secret.",
            },
        ],
    },
    CheckInfo {
        name: "redact_text_shapes",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Each shape of the brief is one regex, compiled once; read each shape's character classes, anchors and case rule closely.",
        rules: &[
            Rule {
                id: "url-password",
                text: "a password in a URL, scheme://user:PASSWORD@host: the user part may be empty and holds no whitespace, `:`, `/`, `?`, `#` or `@`; the password holds no whitespace, `@`, `/`, `?` or `#`; only the password is replaced (redact_text, shape 1)",
                hint: "Write the character classes of the user and the password exactly as the brief lists them, and keep what surrounds the password.",
            },
            Rule {
                id: "password-setting",
                text: "the word password, passwd or pwd, in any case, at the start of a word, `=` with optional spaces around it, then a single-quoted string or a run of characters other than whitespace, `;` and `&`: only the value is replaced (redact_text, shape 2)",
                hint: "Three spellings, any case, a word boundary before them, spaces around `=`, and the quoted form tried first.",
            },
            Rule {
                id: "bearer-token",
                text: "the word Bearer, in any case, at the start of a word, whitespace, then a run of ASCII letters, digits and -._~+/ with any trailing `=`: the token is replaced, the word and the whitespace kept (redact_text, shape 3)",
                hint: "Case-insensitive, and base64 padding belongs to the token.",
            },
            Rule {
                id: "jwt",
                text: "at the start of a word, eyJ, base64url characters, `.`, base64url characters, `.`, and optionally more base64url characters: the whole token is replaced (redact_text, shape 4)",
                hint: "The signature part may be empty.",
            },
            Rule {
                id: "aws-key",
                text: "AKIA, ASIA, AIDA, AROA, AGPA, ANPA, ANVA or AIPA followed by exactly 16 uppercase letters or digits, as a whole word: the whole key is replaced (redact_text, shape 5)",
                hint: "All eight prefixes, and a word boundary on both sides.",
            },
            Rule {
                id: "keep-other-text",
                text: "every character that is not part of a secret is kept as it was (redact_text)",
                hint: "Replace only the secret itself.",
            },
            Rule {
                id: "borrowed-when-clean",
                text: "text with no secret comes back unchanged, as Cow::Borrowed(text) (redact_text)",
                hint: "Allocate only when a shape matched.",
            },
        ],
    },
    CheckInfo {
        name: "redact_keys_and_values",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "Normalize a key before comparing it; a sensitive key's value is replaced whatever its type.",
        rules: &[
            Rule {
                id: "sensitive-key-normalized",
                text: "a key is sensitive if, keeping only its ASCII letters and digits, lower-cased, it contains an entry of SENSITIVE_KEY_PARTS (is_sensitive_key)",
                hint: "Drop every character that is not an ASCII letter or digit, then look for each part anywhere inside.",
            },
            Rule {
                id: "sensitive-value-any-type",
                text: "the value under a sensitive key becomes the string \"[REDACTED]\", whatever its type: string, number, object, array or null (redact)",
                hint: "Do not look at the value under a sensitive key at all.",
            },
            Rule {
                id: "strings-redacted",
                text: "a string value goes through redact_text (redact)",
                hint: "Every string, at any depth, is text that may hold a secret.",
            },
            Rule {
                id: "structure-kept",
                text: "every key is kept, arrays keep their length and are redacted item by item, and numbers, booleans and null are copied unchanged (redact)",
                hint: "Recurse into containers; copy scalars.",
            },
        ],
    },
    CheckInfo {
        name: "audit_entry_format",
        kind: Kind::Unit,
        points: 5,
        deadline: QUICK,
        hint: "One JSON object per line with the six fields of the brief, written in one piece; an I/O error is returned, never unwrapped.",
        rules: &[
            Rule {
                id: "six-fields",
                text: "one JSON object with exactly timestamp, tool, arguments, success, duration_ms and result_length (an integer) (AuditLog::record_at)",
                hint: "Six fields, named as in the brief's table.",
            },
            Rule {
                id: "timestamp",
                text: "timestamp is rfc3339(at): RFC 3339, UTC, with milliseconds (AuditLog::record_at)",
                hint: "Use the given helper.",
            },
            Rule {
                id: "duration-ms",
                text: "duration_ms is the duration in milliseconds as a JSON float, to the microsecond: 12345 µs is 12.345 (AuditLog::record_at)",
                hint: "Whole milliseconds lose the microseconds.",
            },
            Rule {
                id: "arguments-redacted",
                text: "arguments is redact(call.arguments) (AuditLog::record_at)",
                hint: "Nothing reaches the log unredacted.",
            },
            Rule {
                id: "one-line-one-write",
                text: "the object is serialized compactly on one line, `\\n` appended, and the whole line written with a single write_all (AuditLog::record_at)",
                hint: "Build the whole line, newline included, before writing it.",
            },
            Rule {
                id: "flush-after-write",
                text: "after the write, flush; write nothing else (AuditLog::record_at)",
                hint: "A buffered writer keeps the entry until it is flushed.",
            },
            Rule {
                id: "errors-returned",
                text: "an error from write_all or flush is returned as Err(AuditError(e)), never ignored or unwrapped (AuditLog::record_at)",
                hint: "Both I/O calls return a Result; both go back to the caller.",
            },
        ],
    },
    CheckInfo {
        name: "audit_entry_fields",
        kind: Kind::Property,
        points: 4,
        deadline: PROPERTY,
        hint: "Each field's value is fixed by the brief's table: compute it from the call, with the given helpers.",
        rules: &[
            Rule {
                id: "six-fields",
                text: "one JSON object with exactly timestamp, tool, arguments, success, duration_ms and result_length, an integer (AuditLog::record_at)",
                hint: "Six fields, named as in the brief's table, with the call's values.",
            },
            Rule {
                id: "timestamp",
                text: "timestamp is rfc3339(at): RFC 3339, UTC, with milliseconds (AuditLog::record_at)",
                hint: "Use the given helper.",
            },
            Rule {
                id: "duration-ms",
                text: "duration_ms is the duration in milliseconds as a JSON float, to the microsecond: 12345 µs is 12.345 (AuditLog::record_at)",
                hint: "Whole milliseconds lose the microseconds; a float keeps them.",
            },
            Rule {
                id: "arguments-redacted",
                text: "arguments is redact(call.arguments) (AuditLog::record_at)",
                hint: "Nothing reaches the log unredacted.",
            },
            Rule {
                id: "one-line-one-write",
                text: "the object is serialized compactly on one line, `\\n` appended, and the whole line written with a single write_all (AuditLog::record_at)",
                hint: "Build the whole line, newline included, before writing it.",
            },
            Rule {
                id: "flush-after-write",
                text: "after the write, flush; write nothing else (AuditLog::record_at)",
                hint: "A buffered writer keeps the entry until it is flushed.",
            },
        ],
    },
    CheckInfo {
        name: "rate_limit_bucket_bound",
        kind: Kind::Property,
        points: 6,
        deadline: PROPERTY,
        hint: "Refill by elapsed time x rate, capped at the burst; a refusal's retry_after must be long enough for one whole token, rounded up.",
        rules: &[
            Rule {
                id: "full-bucket-first",
                text: "a pair seen for the first time gets a full bucket: burst calls pass at once (RateLimiter::check, rule 2)",
                hint: "A new bucket starts with burst tokens.",
            },
            Rule {
                id: "token-bucket",
                text: "refill by the seconds elapsed times per_second, capped at burst; a call takes one token if at least one is left (RateLimiter::check, rules 3-4)",
                hint: "Cap the refill at the burst, and remember when the bucket was last updated.",
            },
            Rule {
                id: "retry-after",
                text: "a refusal's retry_after is the time until the bucket holds one token, rounded up to a whole nanosecond and never zero: waiting exactly retry_after and calling again must succeed (RateLimiter::check, rule 5)",
                hint: "Round the wait up, never down.",
            },
            Rule {
                id: "one-bucket-per-pair",
                text: "one token bucket per (client, tool) pair: different pairs never share a bucket (RateLimiter::check)",
                hint: "The bucket's key is the client and the tool together.",
            },
        ],
    },
    CheckInfo {
        name: "rate_limit_follows_the_bucket",
        kind: Kind::Property,
        points: 5,
        deadline: PROPERTY,
        hint: "Keep one bucket per (client, tool), refill it from the time elapsed, and compute the wait from the tokens actually left.",
        rules: &[
            Rule {
                id: "one-bucket-per-pair",
                text: "one token bucket per (client, tool) pair: (\"alice\", \"read_log\"), (\"bob\", \"read_log\") and (\"alice\", \"get_metrics\") are three buckets, and a new pair starts full (RateLimiter::check)",
                hint: "The bucket's key is the client and the tool together, kept apart.",
            },
            Rule {
                id: "token-bucket",
                text: "refill by the seconds elapsed times per_second, capped at burst, the bucket updated now; a call takes one token if at least one is left, with a tiny tolerance, and otherwise takes nothing (RateLimiter::check, rules 3-5)",
                hint: "A refused call must not change the tokens left.",
            },
            Rule {
                id: "retry-after-exact",
                text: "retry_after is (1 - tokens) / per_second seconds, rounded up to a whole nanosecond (RateLimiter::check, rule 5)",
                hint: "Part of a token may already be in the bucket.",
            },
        ],
    },
    CheckInfo {
        name: "rate_limit_keeps_every_bucket",
        kind: Kind::Unit,
        points: 2,
        deadline: QUICK,
        hint: "A bucket that is not full holds state no other bucket has: keep it, however many pairs there are.",
        rules: &[
            Rule {
                id: "token-bucket",
                text: "a pair seen for the first time gets a full bucket of burst tokens (RateLimiter::check, rule 2)",
                hint: "A new bucket starts with burst tokens.",
            },
            Rule {
                id: "one-bucket-per-pair",
                text: "one token bucket per (client, tool) pair, kept for as long as it is not full: other pairs never share or replace it (RateLimiter::check)",
                hint: "Dropping a bucket is only safe when it is full, since a full bucket is what a new pair gets.",
            },
            Rule {
                id: "retry-after-exact",
                text: "retry_after is (1 - tokens) / per_second seconds, rounded up to a whole nanosecond (RateLimiter::check, rule 5)",
                hint: "Part of a token may already be in the bucket.",
            },
        ],
    },
    CheckInfo {
        name: "sql_checked_queries_run_on_postgres",
        kind: Kind::Database,
        points: 5,
        deadline: PROPERTY,
        hint: "What check_query returns is what runs: it must be the one statement you checked, rendered back from its syntax tree, and valid PostgreSQL.",
        rules: &[
            Rule {
                id: "runs-on-postgres",
                text: "a read-only query is accepted, and the SQL its ReadOnlyQuery holds (statement.to_string()) runs on PostgreSQL (check_query)",
                hint: "Render the parsed statement; PostgreSQL must be able to run it.",
            },
            Rule {
                id: "canary-intact",
                text: "nothing check_query accepts writes to the database (check_query)",
                hint: "Refuse everything that is not exactly one read-only query.",
            },
        ],
    },
    CheckInfo {
        name: "perf_denylist_compiled_once",
        kind: Kind::Perf,
        points: 3,
        deadline: PERF,
        hint: "Compiling a regex costs far more than matching with it: compile the patterns once, in a static.",
        rules: &[],
    },
    CheckInfo {
        name: "perf_check_query_no_setup_per_call",
        kind: Kind::Perf,
        points: 3,
        deadline: PERF,
        hint: "Build lookup tables and regexes once, not in every call; parse the query once.",
        rules: &[],
    },
];
