//! Input generators shared by the suites: SQL, and JSON with planted
//! secrets. (The security suite keeps its own generators for directory
//! trees, rate-limit schedules and permission tables, beside the checks that
//! read them.)
//!
//! Everything is generated from a grammar, not picked from a list, so a
//! suite run explores combinations no one wrote down.

use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------- SQL ----

/// A SQL token: keywords get their case scrambled, text is kept verbatim.
#[derive(Debug, Clone)]
pub enum Tok {
    /// A keyword: `SELECT`, `FROM`, ...
    Kw(&'static str),
    /// Identifiers, literals, operators: emitted as written.
    Text(String),
}

fn kw(k: &'static str) -> Tok {
    Tok::Kw(k)
}

fn text(s: impl Into<String>) -> Tok {
    Tok::Text(s.into())
}

type Toks = BoxedStrategy<Vec<Tok>>;

fn one(t: Tok) -> Vec<Tok> {
    vec![t]
}

fn column() -> impl Strategy<Value = String> {
    select(vec![
        "id",
        "name",
        "total",
        "created_at",
        "status",
        "\"Display Name\"",
        "u.id",
        "o.total",
    ])
    .prop_map(str::to_owned)
}

fn table() -> impl Strategy<Value = String> {
    select(vec![
        "users",
        "orders",
        "products",
        "\"Line Items\"",
        "public.users",
        "events",
    ])
    .prop_map(str::to_owned)
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..100_000).prop_map(|n| n.to_string()),
        select(vec![
            "'O''Brien'",
            "'a; DROP TABLE users; --'",
            "'/* not a comment */'",
            "'DELETE FROM orders'",
            "E'tab\\there'",
            "'100%'",
            "''",
            "$$dollar; quoted$$",
        ])
        .prop_map(str::to_owned),
        Just("NULL".to_owned()),
        Just("now() - interval '1 day'".to_owned()),
    ]
}

fn scalar() -> impl Strategy<Value = Vec<Tok>> {
    prop_oneof![
        column().prop_map(|c| one(text(c))),
        literal().prop_map(|l| one(text(l))),
        (column(), select(vec!["+", "-", "*", "||"]), literal()).prop_map(|(c, op, l)| vec![
            text(c),
            text(op),
            text(l)
        ]),
        (
            select(vec!["lower", "upper", "length", "md5", "abs"]),
            column()
        )
            .prop_map(|(f, c)| one(text(format!("{f}({c})")))),
        (column(), literal()).prop_map(|(c, l)| vec![text(format!("coalesce({c}, {l})"))]),
        (column(), literal(), literal()).prop_map(|(c, a, b)| vec![
            kw("CASE"),
            kw("WHEN"),
            text(c),
            kw("IS"),
            kw("NULL"),
            kw("THEN"),
            text(a),
            kw("ELSE"),
            text(b),
            kw("END"),
        ]),
    ]
}

fn condition(depth: u32) -> Toks {
    let simple = prop_oneof![
        (
            column(),
            select(vec!["=", "<>", "<", ">=", "!="]),
            literal()
        )
            .prop_map(|(c, op, l)| vec![text(c), text(op), text(l)]),
        column().prop_map(|c| vec![text(c), kw("IS"), kw("NOT"), kw("NULL")]),
        column().prop_map(|c| vec![text(c), kw("LIKE"), text("'a%'")]),
        (column(), 0i64..50, 50i64..100).prop_map(|(c, a, b)| vec![
            text(c),
            kw("BETWEEN"),
            text(a.to_string()),
            kw("AND"),
            text(b.to_string())
        ]),
    ]
    .boxed();
    if depth == 0 {
        return simple;
    }
    prop_oneof![
        3 => simple.clone(),
        1 => (column(), select_query(depth - 1)).prop_map(|(c, q)| {
            let mut t = vec![text(c), kw("IN"), text("(")];
            t.extend(q);
            t.push(text(")"));
            t
        }),
        1 => select_query(depth - 1).prop_map(|q| {
            let mut t = vec![kw("EXISTS"), text("(")];
            t.extend(q);
            t.push(text(")"));
            t
        }),
        1 => (simple.clone(), select(vec!["AND", "OR"]), simple).prop_map(|(a, op, b)| {
            let mut t = a;
            t.push(kw(op));
            t.extend(b);
            t
        }),
    ]
    .boxed()
}

fn from_clause(depth: u32) -> Toks {
    let plain =
        (table(), proptest::option::of(select(vec!["u", "o", "t"]))).prop_map(|(t, alias)| {
            let mut toks = vec![text(t)];
            if let Some(a) = alias {
                toks.push(kw("AS"));
                toks.push(text(a));
            }
            toks
        });
    let joins = vec![vec!["JOIN"], vec!["LEFT", "JOIN"], vec!["INNER", "JOIN"]];
    let join = (table(), table(), select(joins)).prop_map(|(a, b, join)| {
        let mut toks = vec![text(a), kw("AS"), text("u")];
        toks.extend(join.into_iter().map(kw));
        toks.extend([
            text(b),
            kw("AS"),
            text("o"),
            kw("ON"),
            text("o.user_id = u.id"),
        ]);
        toks
    });
    if depth == 0 {
        return prop_oneof![3 => plain, 1 => join].boxed();
    }
    prop_oneof![
        3 => plain,
        1 => join,
        1 => select_query(depth - 1).prop_map(|q| {
            let mut t = vec![text("(")];
            t.extend(q);
            t.extend([text(")"), kw("AS"), text("sub")]);
            t
        }),
    ]
    .boxed()
}

fn select_list() -> impl Strategy<Value = Vec<Tok>> {
    prop_oneof![
        Just(one(text("*"))),
        Just(one(text("count(*)"))),
        prop::collection::vec(scalar(), 1..4).prop_map(|items| {
            let mut t = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    t.push(text(","));
                }
                t.extend(item);
            }
            t
        }),
        (select(vec!["sum", "avg", "max", "min"]), column()).prop_map(|(f, c)| vec![
            text(format!("{f}({c})")),
            kw("AS"),
            text("agg")
        ]),
    ]
}

/// A single read-only `SELECT`, nesting subqueries up to `depth`.
pub fn select_query(depth: u32) -> Toks {
    (
        any::<bool>(),
        select_list(),
        from_clause(depth),
        proptest::option::of(condition(depth)),
        proptest::option::of((column(), proptest::option::of(1i64..5))),
        proptest::option::of((column(), any::<bool>())),
        proptest::option::of((1i64..1000, proptest::option::of(0i64..100))),
    )
        .prop_map(|(distinct, items, from, filter, group, order, limit)| {
            let mut t = vec![kw("SELECT")];
            if distinct {
                t.push(kw("DISTINCT"));
            }
            t.extend(items);
            t.push(kw("FROM"));
            t.extend(from);
            if let Some(cond) = filter {
                t.push(kw("WHERE"));
                t.extend(cond);
            }
            if let Some((col, having)) = group {
                t.extend([kw("GROUP"), kw("BY"), text(col)]);
                if let Some(n) = having {
                    t.extend([
                        kw("HAVING"),
                        text("count(*)"),
                        text(">"),
                        text(n.to_string()),
                    ]);
                }
            }
            if let Some((col, desc)) = order {
                t.extend([kw("ORDER"), kw("BY"), text(col)]);
                if desc {
                    t.push(kw("DESC"));
                }
            }
            if let Some((n, offset)) = limit {
                t.extend([kw("LIMIT"), text(n.to_string())]);
                if let Some(m) = offset {
                    t.extend([kw("OFFSET"), text(m.to_string())]);
                }
            }
            t
        })
        .boxed()
}

/// A read-only query: a plain select, a CTE over one, or a set operation.
pub fn read_only_query() -> Toks {
    prop_oneof![
        3 => select_query(2),
        1 => (select_query(1), select_query(1)).prop_map(|(cte, outer)| {
            let mut t = vec![kw("WITH"), text("recent"), kw("AS"), text("(")];
            t.extend(cte);
            t.push(text(")"));
            t.extend(outer);
            t
        }),
        1 => (select_query(0), select(SET_OPERATORS.to_vec()), select_query(0)).prop_map(|(a, op, b)| {
            let mut t = vec![text("(")];
            t.extend(a);
            t.push(text(")"));
            t.extend(op.iter().copied().map(kw));
            t.push(text("("));
            t.extend(b);
            t.push(text(")"));
            t
        }),
    ]
    .boxed()
}

/// The set operators a generated query may combine two selects with.
const SET_OPERATORS: &[&[&str]] = &[&["UNION"], &["UNION", "ALL"], &["EXCEPT"], &["INTERSECT"]];

/// A statement that writes or changes the schema of table `canary`.
pub fn write_statement() -> Toks {
    let dml = data_modifying().boxed();
    let other = select(vec![
        "DROP TABLE canary",
        "DROP TABLE IF EXISTS canary CASCADE",
        "TRUNCATE canary",
        "TRUNCATE TABLE canary RESTART IDENTITY",
        "ALTER TABLE canary ADD COLUMN pwned int",
        "ALTER TABLE canary RENAME TO gone",
        "CREATE TABLE stolen AS SELECT * FROM canary",
        "CREATE TABLE evil (id int)",
        "CREATE INDEX canary_v ON canary (v)",
        "GRANT ALL ON canary TO PUBLIC",
        "REVOKE SELECT ON canary FROM PUBLIC",
        "COPY canary TO '/tmp/canary.csv'",
        "COPY canary FROM '/tmp/canary.csv'",
        "SELECT * INTO stolen FROM canary",
        "SELECT v INTO TEMP TABLE stolen FROM canary",
        "SELECT * FROM canary FOR UPDATE",
        "SELECT * FROM canary FOR SHARE",
        "VACUUM canary",
        "LOCK TABLE canary",
        "COMMENT ON TABLE canary IS 'pwned'",
        "SET ROLE postgres",
        "SET statement_timeout = 0",
        "CALL refresh_everything()",
        "EXPLAIN ANALYZE DELETE FROM canary",
        "PREPARE p AS DELETE FROM canary",
    ])
    .prop_map(words);
    prop_oneof![2 => dml, 1 => other].boxed()
}

/// INSERT, UPDATE or DELETE on `canary`, with RETURNING so it fits a CTE.
fn data_modifying() -> impl Strategy<Value = Vec<Tok>> {
    select(vec![
        "DELETE FROM canary",
        "DELETE FROM canary WHERE id > 0",
        "UPDATE canary SET v = 'pwned'",
        "UPDATE canary SET v = v || 'x' WHERE id = 1",
        "INSERT INTO canary (v) VALUES ('pwned')",
        "INSERT INTO canary SELECT * FROM canary",
    ])
    .prop_map(words)
}

/// Splits a fixed statement into keyword-like and text tokens.
fn words(s: &str) -> Vec<Tok> {
    s.split(' ')
        .map(|w| {
            let upper = w.to_ascii_uppercase();
            match KEYWORDS.iter().find(|k| **k == upper) {
                Some(k) if w == upper => Tok::Kw(k),
                _ => Tok::Text(w.to_owned()),
            }
        })
        .collect()
}

const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "DELETE",
    "UPDATE",
    "INSERT",
    "INTO",
    "VALUES",
    "SET",
    "DROP",
    "TABLE",
    "IF",
    "EXISTS",
    "CASCADE",
    "TRUNCATE",
    "RESTART",
    "IDENTITY",
    "ALTER",
    "ADD",
    "COLUMN",
    "RENAME",
    "TO",
    "CREATE",
    "AS",
    "INDEX",
    "ON",
    "GRANT",
    "ALL",
    "REVOKE",
    "COPY",
    "TEMP",
    "FOR",
    "SHARE",
    "VACUUM",
    "LOCK",
    "COMMENT",
    "IS",
    "ROLE",
    "CALL",
    "EXPLAIN",
    "ANALYZE",
    "PREPARE",
    "RETURNING",
    "PUBLIC",
];

/// How a write is dressed up to slip past a check.
#[derive(Debug, Clone, Copy)]
pub enum Disguise {
    /// The bare statement.
    Plain,
    /// `SELECT 1; <write>`
    AfterSelect,
    /// `SELECT 1; COMMIT; <write>`: the reference MCP server's lost table.
    AfterCommit,
    /// `<write>; SELECT 1`
    BeforeSelect,
}

/// A write in a disguise; the result must be refused.
pub fn disguised_write() -> impl Strategy<Value = Vec<Tok>> {
    let wrapped = (
        write_statement(),
        select(vec![
            Disguise::Plain,
            Disguise::AfterSelect,
            Disguise::AfterCommit,
            Disguise::BeforeSelect,
        ]),
    )
        .prop_map(|(w, d)| {
            let mut t = Vec::new();
            match d {
                Disguise::AfterSelect => t.extend([kw("SELECT"), text("1;")]),
                Disguise::AfterCommit => t.extend([kw("SELECT"), text("1;"), text("COMMIT;")]),
                _ => {}
            }
            t.extend(w);
            if let Disguise::BeforeSelect = d {
                t.extend([text(";"), kw("SELECT"), text("1")]);
            }
            t
        });
    let in_cte = (data_modifying(), any::<bool>()).prop_map(|(w, count)| {
        let mut t = vec![kw("WITH"), text("d"), kw("AS"), text("(")];
        t.extend(w);
        t.extend([kw("RETURNING"), text("*"), text(")"), kw("SELECT")]);
        t.push(text(if count { "count(*)" } else { "*" }));
        t.extend([kw("FROM"), text("d")]);
        t
    });
    prop_oneof![3 => wrapped, 1 => in_cte]
}

/// A read-only query that calls a forbidden function somewhere inside.
pub fn forbidden_call() -> impl Strategy<Value = Vec<Tok>> {
    let call = (
        select(vec![
            "pg_read_file('/etc/passwd')",
            "pg_read_binary_file('global/pg_control')",
            "pg_ls_dir('.')",
            "pg_stat_file('postgresql.conf')",
            "lo_import('/etc/passwd')",
            "lo_export(16384, '/tmp/out')",
            "dblink('host=evil', 'SELECT 1')",
            "dblink_exec('host=evil', 'DROP TABLE canary')",
            "set_config('statement_timeout', '0', false)",
            "pg_terminate_backend(1)",
            "pg_cancel_backend(1)",
            "pg_reload_conf()",
            "query_to_xml('DELETE FROM canary', true, true, '')",
            "nextval('canary_id_seq')",
            "pg_advisory_lock(1)",
        ]),
        select(vec!["", "pg_catalog.", "PG_CATALOG.", "\"pg_catalog\"."]),
        any::<u8>(),
    )
        .prop_map(|(call, schema, style)| {
            let (name, args) = call.split_once('(').expect("a call");
            // Upper case, or a quoted identifier (the same function to
            // PostgreSQL, whose quotes a check on the rendered text keeps).
            let name = match style % 4 {
                0 => name.to_ascii_uppercase(),
                1 => format!("\"{name}\""),
                _ => name.to_owned(),
            };
            format!("{schema}{name}({args}")
        });
    (call, 0u8..5).prop_map(|(call, place)| match place {
        0 => vec![kw("SELECT"), text(call)],
        1 => vec![
            kw("SELECT"),
            text("id"),
            kw("FROM"),
            text("users"),
            kw("WHERE"),
            text("name ="),
            text(call),
        ],
        2 => vec![
            kw("SELECT"),
            text("*"),
            kw("FROM"),
            text(call),
            kw("AS"),
            text("f"),
        ],
        3 => vec![
            kw("SELECT"),
            text("*"),
            kw("FROM"),
            text("users"),
            kw("WHERE"),
            kw("EXISTS"),
            text(format!("(SELECT {call})")),
        ],
        _ => vec![
            kw("WITH"),
            text("x"),
            kw("AS"),
            text(format!("(SELECT {call} AS v)")),
            kw("SELECT"),
            text("v"),
            kw("FROM"),
            text("x"),
        ],
    })
}

/// A read-only query over the `canary` table, which PostgreSQL can run.
pub fn canary_query() -> impl Strategy<Value = Vec<Tok>> {
    (0i64..5, 0u8..5).prop_map(|(n, shape)| {
        let n = n.to_string();
        match shape {
            0 => vec![
                kw("SELECT"),
                text("v"),
                kw("FROM"),
                text("canary"),
                kw("WHERE"),
                text("id >"),
                text(n),
                kw("ORDER"),
                kw("BY"),
                text("v"),
            ],
            1 => vec![
                kw("WITH"),
                text("x"),
                kw("AS"),
                text("(SELECT * FROM canary)"),
                kw("SELECT"),
                text("count(*)"),
                kw("FROM"),
                text("x"),
            ],
            2 => vec![
                kw("SELECT"),
                text("upper(v) || '-'"),
                kw("AS"),
                text("tag"),
                kw("FROM"),
                text("canary"),
                kw("LIMIT"),
                text(n),
            ],
            3 => vec![
                kw("SELECT"),
                text("c.id"),
                kw("FROM"),
                text("canary"),
                kw("AS"),
                text("c"),
                kw("JOIN"),
                text("canary"),
                kw("AS"),
                text("d"),
                kw("ON"),
                text("c.id = d.id"),
                kw("WHERE"),
                text("c.v <> 'x; DROP TABLE canary'"),
            ],
            _ => vec![
                kw("SELECT"),
                text("id"),
                kw("FROM"),
                text("canary"),
                kw("UNION"),
                kw("SELECT"),
                text(n),
            ],
        }
    })
}

/// Renders tokens with scrambled keyword case and varied separators:
/// spaces, newlines, tabs, block comments and line comments.
pub fn render() -> impl Strategy<Value = (u64, Vec<u8>)> {
    (any::<u64>(), prop::collection::vec(0u8..8, 48))
}

/// Joins `tokens` into SQL text using the disguise choices of `render()`.
pub fn join_tokens(tokens: &[Tok], (case_bits, seps): &(u64, Vec<u8>)) -> String {
    let mut out = String::new();
    for (i, tok) in tokens.iter().enumerate() {
        if i > 0 {
            out.push_str(
                match seps.get(i % seps.len().max(1)).copied().unwrap_or(0) {
                    0..=3 => " ",
                    4 => "\n",
                    5 => "\t ",
                    6 => " /* note */ ",
                    _ => " -- note\n",
                },
            );
        }
        match tok {
            Tok::Kw(k) => out.extend(k.chars().enumerate().map(|(j, c)| {
                if case_bits.rotate_left((i + j) as u32) & 1 == 1 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })),
            Tok::Text(t) => out.push_str(t),
        }
    }
    out
}

/// SQL text from a token strategy, disguised by `render()`.
pub fn sql(tokens: impl Strategy<Value = Vec<Tok>>) -> impl Strategy<Value = String> {
    (tokens, render()).prop_map(|(t, r)| join_tokens(&t, &r))
}

// ------------------------------------------------------------- secrets ----

/// A JSON value with secrets planted in it.
#[derive(Debug, Clone)]
pub enum Node {
    /// A plain value, copied through untouched.
    Plain(serde_json::Value),
    /// A string with a secret inside: `prefix secret suffix`.
    Embedded {
        /// Text before the secret (kept).
        prefix: String,
        /// The whole text as sent.
        text: String,
        /// The secret part (must vanish).
        secret: String,
        /// Text after the secret (kept).
        suffix: String,
    },
    /// An array.
    Array(Vec<Node>),
    /// An object; a member is either plain or a secret under a sensitive key.
    Object(Vec<(String, Member)>),
}

/// An object member.
#[derive(Debug, Clone)]
pub enum Member {
    /// Under a plain key.
    Plain(Node),
    /// Under a sensitive key: the whole value must become `[REDACTED]`.
    Secret(serde_json::Value),
}

const PLAIN_KEYS: &[&str] = &[
    "name", "path", "query", "limit", "items", "meta", "count", "note", "level", "tags",
];
const PLAIN_WORDS: &[&str] = &[
    "alpha", "delta", "log", "query", "metric", "north", "value", "item", "select", "row",
];

/// Sensitive key names in the spellings real payloads use.
pub const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "Password",
    "DB_PASSWORD",
    "api_key",
    "apiKey",
    "X-Api-Key",
    "authorization",
    "client_secret",
    "refreshToken",
    "aws_secret_access_key",
    "private_key",
    "credentials",
    "set-cookie",
];

fn plain_text() -> impl Strategy<Value = String> {
    prop::collection::vec(select(PLAIN_WORDS.to_vec()), 0..4).prop_map(|w| w.join(" "))
}

fn plain_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i32>().prop_map(|n| serde_json::json!(n)),
        plain_text().prop_map(serde_json::Value::String),
    ]
}

fn token(len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        select(b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".to_vec()),
        len,
    )
    .prop_map(|b| String::from_utf8(b).expect("ascii"))
}

fn upper_token(len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".to_vec()), len)
        .prop_map(|b| String::from_utf8(b).expect("ascii"))
}

fn embedded() -> impl Strategy<Value = Node> {
    let shape = prop_oneof![
        token(24).prop_map(|t| ("Bearer ".to_owned(), t.clone(), t)),
        (token(12), token(20), token(16)).prop_map(|(a, b, c)| {
            let jwt = format!("eyJ{a}.eyJ{b}.{c}");
            (String::new(), jwt.clone(), jwt)
        }),
        upper_token(16).prop_map(|t| {
            let key = format!("AKIA{t}");
            (String::new(), key.clone(), key)
        }),
        (token(6), token(14)).prop_map(|(user, pw)| {
            (
                format!("postgres://{user}:"),
                format!("{pw}@db.internal:5432/app"),
                pw,
            )
        }),
    ];
    (plain_text(), shape, plain_text()).prop_map(|(before, (lead, body, secret), after)| {
        let prefix = format!("{before} {lead}");
        let suffix = format!(" {after}");
        Node::Embedded {
            text: format!("{prefix}{body}{suffix}"),
            prefix: prefix.trim_start().to_owned(),
            secret,
            suffix: suffix.trim_end().to_owned(),
        }
    })
}

/// Nested JSON with secrets planted at random depths.
pub fn planted_json() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![3 => plain_leaf().prop_map(Node::Plain), 1 => embedded()];
    leaf.prop_recursive(4, 48, 5, |inner| {
        let member = prop_oneof![
            3 => (select(PLAIN_KEYS.to_vec()), inner.clone()).prop_map(|(k, n)| (k.to_owned(), Member::Plain(n))),
            1 => (select(SENSITIVE_KEYS.to_vec()), token(16), any::<bool>()).prop_map(|(k, t, nested)| {
                let value = if nested {
                    serde_json::json!({ "value": format!("v-{t}") })
                } else {
                    serde_json::Value::String(format!("v-{t}"))
                };
                (k.to_owned(), Member::Secret(value))
            }),
        ];
        prop_oneof![
            prop::collection::vec(inner, 0..4).prop_map(Node::Array),
            prop::collection::vec(member, 0..5).prop_map(|members| {
                let mut seen = std::collections::HashSet::new();
                Node::Object(members.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
            }),
        ]
    })
}

impl Node {
    /// The JSON value as a model would send it.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Node::Plain(v) => v.clone(),
            Node::Embedded { text, .. } => serde_json::Value::String(text.clone()),
            Node::Array(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_value).collect())
            }
            Node::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|(k, m)| {
                        let v = match m {
                            Member::Plain(n) => n.to_value(),
                            Member::Secret(v) => v.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
        }
    }

    /// Every secret string planted in this tree.
    pub fn secrets(&self, out: &mut Vec<String>) {
        match self {
            Node::Plain(_) => {}
            Node::Embedded { secret, .. } => out.push(secret.clone()),
            Node::Array(items) => items.iter().for_each(|n| n.secrets(out)),
            Node::Object(members) => {
                for (_, m) in members {
                    match m {
                        Member::Plain(n) => n.secrets(out),
                        Member::Secret(v) => out.push(secret_text(v)),
                    }
                }
            }
        }
    }
}

/// The secret string inside a value planted under a sensitive key.
fn secret_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other["value"].as_str().unwrap_or_default().to_owned(),
    }
}
