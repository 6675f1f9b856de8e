//! The checks of `sql::denylist::denylist_check` and `sql::check_query`.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use grader_kit::db;
use grader_kit::prop::{property, with_named_cases};
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::security_gen as generate;
use grader_kit::{Outcome, unit};

use super::{Api, Denial, Detail, Reference, Refusal};

// ------------------------------------------------------------- denylist ----

/// Letter case of a keyword.
#[derive(Debug, Clone, Copy)]
enum Case {
    Upper,
    Lower,
    Mixed,
}

impl Case {
    fn apply(self, word: &str) -> String {
        match self {
            Case::Upper => word.to_ascii_uppercase(),
            Case::Lower => word.to_ascii_lowercase(),
            Case::Mixed => word
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        }
    }
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![Just(Case::Upper), Just(Case::Lower), Just(Case::Mixed)]
}

/// Whitespace between two words.
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// Nothing at all (one space where a word must end).
    Nothing,
    Space,
    Spaces,
    Newline,
    Tab,
}

impl Gap {
    fn text(self, required: bool) -> &'static str {
        match self {
            Gap::Nothing if required => " ",
            Gap::Nothing => "",
            Gap::Space => " ",
            Gap::Spaces => "   ",
            Gap::Newline => "\n",
            Gap::Tab => "\t",
        }
    }
}

fn gap() -> impl Strategy<Value = Gap> {
    prop_oneof![
        Just(Gap::Nothing),
        Just(Gap::Space),
        Just(Gap::Spaces),
        Just(Gap::Newline),
        Just(Gap::Tab),
    ]
}

/// What comes before the first word.
#[derive(Debug, Clone, Copy)]
enum Lead {
    Nothing,
    Spaces,
    Newline,
    TabsAndNewlines,
    /// Whitespace beyond ASCII's space, tab and newline: a vertical tab, a
    /// carriage return, a no-break space, an em space.
    Unicode,
}

/// The first word of the text.
#[derive(Debug, Clone, Copy)]
enum Head {
    /// `select` in some case.
    Select(Case),
    /// `SELECT*`: the six letters, no space after them.
    SelectStar,
    /// `selection`: a longer word starting with the six letters.
    Selection,
    /// `selec`: five letters only.
    Selec,
    /// Another statement's first word.
    Other(&'static str),
}

/// A piece of text after the first word.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// Columns and a table: no pattern.
    Columns,
    /// A literal holding pattern words without the `;`.
    QuotedWords,
    /// `; drop table t`, pattern 1.
    DropTable { case: Case, gap: Gap },
    /// `drop table` with no `;` before it: no pattern.
    DropWithoutSemicolon,
    /// `; delete from t`, pattern 2.
    DeleteFrom { case: Case, gap: Gap },
    /// A line comment: `--` then these characters.
    LineComment(Trail),
    /// `/* ... */` on one line or over several.
    BlockComment { over_lines: bool },
    /// `/*` never closed.
    UnclosedComment,
    /// `union select`, pattern 5.
    UnionSelect { case: Case, gap: Gap },
    /// `union all select`: no pattern.
    UnionAllSelect,
}

/// What follows a `--`.
#[derive(Debug, Clone, Copy)]
enum Trail {
    Nothing,
    Spaces,
    Newline,
    Words,
}

/// Text built to land on the denylist's edges.
#[derive(Debug, Clone)]
struct DenylistText {
    lead: Lead,
    head: Head,
    pieces: Vec<Piece>,
}

impl DenylistText {
    fn render(&self) -> String {
        let mut out = String::from(match self.lead {
            Lead::Nothing => "",
            Lead::Spaces => "   ",
            Lead::Newline => "\n",
            Lead::TabsAndNewlines => "\t\n \t",
            Lead::Unicode => "\u{b}\r\u{a0}\u{2003}",
        });
        out.push_str(&match self.head {
            Head::Select(case) => case.apply("select"),
            Head::SelectStar => "SELECT*".to_owned(),
            Head::Selection => "selection".to_owned(),
            Head::Selec => "selec".to_owned(),
            Head::Other(word) => word.to_owned(),
        });
        for piece in &self.pieces {
            out.push_str(&match *piece {
                Piece::Columns => " id, name FROM users".to_owned(),
                Piece::QuotedWords => " WHERE note = 'drop table union select'".to_owned(),
                Piece::DropTable { case, gap } => format!(
                    ";{}{}{}{} users",
                    gap.text(false),
                    case.apply("drop"),
                    gap.text(true),
                    case.apply("table")
                ),
                Piece::DropWithoutSemicolon => " drop table users".to_owned(),
                Piece::DeleteFrom { case, gap } => format!(
                    ";{}{}{}{} users",
                    gap.text(false),
                    case.apply("delete"),
                    gap.text(true),
                    case.apply("from")
                ),
                Piece::LineComment(trail) => match trail {
                    Trail::Nothing => " --".to_owned(),
                    Trail::Spaces => " --  ".to_owned(),
                    Trail::Newline => " --\n".to_owned(),
                    Trail::Words => " -- a note\n".to_owned(),
                },
                Piece::BlockComment { over_lines: false } => " /* a note */".to_owned(),
                Piece::BlockComment { over_lines: true } => {
                    " /* a note\n   on two lines */".to_owned()
                }
                Piece::UnclosedComment => " /* never closed".to_owned(),
                Piece::UnionSelect { case, gap } => format!(
                    " {}{}{} 1",
                    case.apply("union"),
                    gap.text(true),
                    case.apply("select")
                ),
                Piece::UnionAllSelect => " union all select 1".to_owned(),
            });
        }
        out
    }
}

fn denylist_text() -> impl Strategy<Value = String> {
    let lead = prop_oneof![
        2 => Just(Lead::Nothing),
        1 => Just(Lead::Spaces),
        1 => Just(Lead::Newline),
        1 => Just(Lead::TabsAndNewlines),
        1 => Just(Lead::Unicode),
    ];
    let head = prop_oneof![
        4 => case().prop_map(Head::Select),
        1 => Just(Head::SelectStar),
        1 => Just(Head::Selection),
        1 => Just(Head::Selec),
        1 => select(vec!["WITH", "delete", "EXPLAIN", "", "s"]).prop_map(Head::Other),
    ];
    let piece = prop_oneof![
        2 => Just(Piece::Columns),
        1 => Just(Piece::QuotedWords),
        2 => (case(), gap()).prop_map(|(case, gap)| Piece::DropTable { case, gap }),
        1 => Just(Piece::DropWithoutSemicolon),
        2 => (case(), gap()).prop_map(|(case, gap)| Piece::DeleteFrom { case, gap }),
        2 => prop_oneof![
            Just(Trail::Nothing),
            Just(Trail::Spaces),
            Just(Trail::Newline),
            Just(Trail::Words),
        ]
        .prop_map(Piece::LineComment),
        2 => any::<bool>().prop_map(|over_lines| Piece::BlockComment { over_lines }),
        1 => Just(Piece::UnclosedComment),
        2 => (case(), gap()).prop_map(|(case, gap)| Piece::UnionSelect { case, gap }),
        1 => Just(Piece::UnionAllSelect),
    ];
    (lead, head, prop::collection::vec(piece, 0..4))
        .prop_map(|(lead, head, pieces)| DenylistText { lead, head, pieces }.render())
}

/// The rule a disagreement with the chapter's check breaks: a pattern
/// verdict on either side is rule 1, anything else the SELECT test.
fn denylist_rule(want: &Result<(), Denial>, got: &Result<(), Denial>) -> &'static str {
    if matches!(want, Err(Denial::Pattern(_))) || matches!(got, Err(Denial::Pattern(_))) {
        "denylist-patterns"
    } else {
        "denylist-select"
    }
}

/// `denylist_check`, rules 1-3: on text built around the denylist's edges
/// (patterns in any case and over newlines, several patterns at once,
/// leading whitespace, `SELECT*`, `selection`) and on generated queries,
/// writes and calls, the verdict is the reference's: the same `Pattern(p)`,
/// `NotSelect` or `Ok`.
pub fn sql_denylist_port<S: Api>() -> Outcome {
    let text = prop_oneof![
        3 => denylist_text(),
        1 => generate::sql(generate::read_only_query()),
        1 => generate::sql(generate::disguised_write()),
        1 => generate::sql(generate::forbidden_call()),
    ];
    property(256, text, |sql| {
        let got = S::denylist(&sql);
        let want = Reference::denylist(&sql);
        ensure_rule(denylist_rule(&want, &got), got == want, || {
            format!("the chapter's check gives {want:?} for this text, your port {got:?}")
        })
    })
}

// ---------------------------------------------------------- check_query ----

/// `check_query`: generated read-only queries (joins, subqueries, CTEs,
/// set operations, scrambled case, comments, a trailing `;`) are accepted,
/// and the SQL returned is the statement rendered back from its syntax
/// tree, exactly as the reference renders it.
pub fn sql_accepts_generated_selects<S: Api>() -> Outcome {
    let text = prop_oneof![
        3 => generate::sql(generate::read_only_query()),
        1 => generate::sql(generate::read_only_query()).prop_map(|sql| format!("{sql};")),
    ];
    // Tables named like a forbidden function: a table is not a call.
    let named = [
        "SELECT * FROM lo_items",
        "SELECT d.x FROM dblink_targets AS d",
        "SELECT name FROM pg_ls_dir_log WHERE id = 1",
        "SELECT * FROM public.set_config_history",
    ]
    .map(str::to_owned)
    .to_vec();
    with_named_cases(named, 256, text, |sql| {
        let want = match Reference::check_query(&sql) {
            Ok(want) => want,
            Err(refusal) => {
                return Err(TestCaseError::reject(format!(
                    "generator produced SQL the reference refuses ({})",
                    refusal.code
                )));
            }
        };
        match S::check_query(&sql) {
            Ok(got) => ensure_rule("returns-rendered-statement", got == want, || {
                format!(
                    "accepted, but the SQL to run is {got:?}; the statement rendered back from its syntax tree is {want:?}"
                )
            }),
            Err(refusal) => ensure_rule("accepts-one-read-only-query", false, || {
                format!(
                    "a read-only query was refused ({}: {})",
                    refusal.code, refusal.message
                )
            }),
        }
    })
}

/// `check_query`: writes and schema changes, bare or hidden behind other
/// statements or in a `WITH` clause, are refused, with the code of the
/// first rule they break in the brief's order (parse, count, kind, walk).
pub fn sql_refuses_disguised_writes<S: Api>() -> Outcome {
    property(
        256,
        generate::sql(generate::disguised_write()),
        |sql| match S::check_query(&sql) {
            Ok(_) => ensure_rule("refuses-writes", false, || {
                "a statement that writes was accepted".into()
            }),
            Err(got) => {
                let want = Reference::check_query(&sql)
                    .err()
                    .map(|r| r.code)
                    .unwrap_or_default();
                ensure_rule("first-rule-broken", got.code == want, || {
                    format!(
                        "refused as {} ({}); the first rule it breaks gives {want}",
                        got.code, got.message
                    )
                })
            }
        },
    )
}

/// `check_query`: a forbidden function called anywhere (select list,
/// `WHERE`, `FROM`, a subquery, a CTE), qualified or not, in any case, is
/// refused as `ForbiddenFunction`, whose `name` is the name as written
/// (qualifier included) and `why` the matching entry's.
pub fn sql_refuses_forbidden_functions<S: Api>() -> Outcome {
    property(
        192,
        generate::sql(generate::forbidden_call()),
        |sql| match S::check_query(&sql) {
            Ok(_) => ensure_rule("forbidden-anywhere", false, || {
                "a call to a forbidden function was accepted".into()
            }),
            Err(got) => {
                ensure_rule(
                    "forbidden-anywhere",
                    got.code == "forbidden_function",
                    || {
                        format!(
                            "refused, but for the wrong reason: {} ({}); expected forbidden_function",
                            got.code, got.message
                        )
                    },
                )?;
                let want = Reference::check_query(&sql)
                    .err()
                    .map(|r| r.detail)
                    .unwrap_or(Detail::Nothing);
                ensure_rule("forbidden-name-and-why", got.detail == want, || {
                    format!("the error carries {:?}, expected {want:?}", got.detail)
                })
            }
        },
    )
}

/// Compares one refusal's data with the reference's, naming the rule.
fn same_detail(sql: &str, got: &Detail, want: &Detail) -> Result<(), String> {
    match (got, want) {
        (Detail::Count(g), Detail::Count(w)) => check_rule("statement-count", g == w, || {
            format!("{sql:?}: MultipleStatements({g}), but the text holds {w} statements")
        }),
        (Detail::Keyword(g), Detail::Keyword(w)) => {
            let first = |s: &str| {
                s.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase()
            };
            check_rule("not-a-query-keyword", first(g) == first(w), || {
                format!("{sql:?}: NotAQuery({g:?}), but the statement's leading keyword is {w}")
            })
        }
        (Detail::Parser(g), Detail::Parser(w)) => {
            let core = w.strip_prefix("sql parser error: ").unwrap_or(w);
            check_rule("unparsable-message", g.contains(core), || {
                format!("{sql:?}: Unparsable({g:?}) does not hold the parser's message {w:?}")
            })
        }
        (Detail::Function { .. }, Detail::Function { .. }) => {
            check_rule("forbidden-name-and-why", got == want, || {
                format!("{sql:?}: the error carries {got:?}, expected {want:?}")
            })
        }
        _ => Ok(()),
    }
}

/// The fixed statements of [`sql_names_the_reason`], each breaking one rule
/// (or none).
const NAMED_CASES: &[&str] = &[
    "",
    "  \n\t ",
    "/* nothing */",
    "-- only a comment",
    "SELEC id FROM t",
    "SELECT (1",
    "SELECT 1; SELEC 2",
    "SELECT 1; SELECT 2",
    "SELECT 1; SELECT 2; SELECT 3",
    "DELETE FROM t; SELECT 1",
    "SELECT 1;",
    "select  id\nFROM t -- a note",
    "SELECT lo_stuff.upper(v) FROM t",
    "SELECT pg_read_file_name FROM t",
    "INSERT INTO t VALUES (1)",
    "SHOW ALL",
    "EXPLAIN SELECT 1",
    "EXPLAIN ANALYZE DELETE FROM t",
    "CREATE TABLE x (id int)",
    "SELECT a INTO TEMP x FROM t",
    "SELECT a INTO x FROM t",
    "WITH m AS (DELETE FROM t RETURNING *) SELECT 1",
    "WITH m AS (INSERT INTO t VALUES (1) RETURNING id) SELECT id FROM m",
    "WITH m AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM m",
    "SELECT * FROM t FOR UPDATE NOWAIT",
    "SELECT * FROM t FOR SHARE",
    "SELECT * FROM t FOR SHARE SKIP LOCKED",
    "SELECT * FROM (SELECT * FROM t FOR SHARE) AS s",
    "SELECT pg_catalog.pg_ls_dir('/')",
    "SELECT * FROM Pg_Catalog.Pg_Read_File('x') AS f",
    "SELECT * FROM users, LATERAL dblink('host=evil', 'SELECT 1') AS d",
    "SELECT * FROM t WHERE a = (SELECT set_config('x', 'y', true))",
];

/// `check_query`'s rules one by one: statements that each break one rule
/// are refused with the reference's code and the variant's data (the
/// statement count, the leading keyword, the parser's message, the
/// function's name and why); statements that break none, including a
/// trailing `;` and functions whose qualifier only looks forbidden, are
/// accepted and rendered as the reference renders them.
pub fn sql_names_the_reason<S: Api>() -> Outcome {
    unit((|| {
        for sql in NAMED_CASES {
            let want = Reference::check_query(sql);
            let got = S::check_query(sql);
            match (&want, &got) {
                (Ok(w), Ok(g)) => check_rule("returns-rendered-statement", g == w, || {
                    format!("{sql:?}: the SQL to run is {g:?}, expected {w:?}")
                })?,
                (Ok(_), Err(g)) => check_rule("accepts-one-read-only-query", false, || {
                    format!(
                        "{sql:?}: refused as {} ({}), but it breaks no rule",
                        g.code, g.message
                    )
                })?,
                (Err(w), Ok(_)) => check_rule(rule_of_code(&w.code), false, || {
                    format!("{sql:?}: accepted, expected {}", w.code)
                })?,
                (Err(w), Err(g)) => {
                    check_rule(rule_of_code(&w.code), g.code == w.code, || {
                        format!(
                            "{sql:?}: refused as {} ({}), expected {}",
                            g.code, g.message, w.code
                        )
                    })?;
                    same_detail(sql, &g.detail, &w.detail)?;
                }
            }
        }
        Ok(format!(
            "{} statements accepted or refused with the right reason",
            NAMED_CASES.len()
        ))
    })())
}

/// The rule each refusal code stands for.
fn rule_of_code(code: &str) -> &'static str {
    match code {
        "empty" | "unparsable" | "multiple_statements" | "not_a_query" => "first-rule-broken",
        "select_into" => "walk-select-into",
        "data_modifying_cte" => "walk-modifying-cte",
        "locking_clause" => "walk-locking",
        _ => "walk-forbidden-function",
    }
}

// ---------------------------------------------------------------- walk ----

/// The `INTO` target of a `SELECT ... INTO`.
#[derive(Debug, Clone, Copy)]
enum IntoTarget {
    Table,
    Temp,
    TemporaryTable,
    Unlogged,
}

/// A locking clause's strength (the parser knows these two).
#[derive(Debug, Clone, Copy)]
enum Lock {
    ForUpdate,
    ForShare,
}

/// What follows a locking clause.
#[derive(Debug, Clone, Copy)]
enum LockWait {
    Wait,
    Nowait,
    SkipLocked,
    OfTable,
}

/// A data-modifying statement for a `WITH` clause.
#[derive(Debug, Clone, Copy)]
enum Modify {
    Insert,
    Update,
    Delete,
}

/// Where a call sits in its `SELECT`.
#[derive(Debug, Clone, Copy)]
enum CallSite {
    SelectList,
    Where,
    TableFunction,
    Argument,
    OrderBy,
    Having,
    JoinOn,
    LateralFunction,
}

/// How a function's name is written.
#[derive(Debug, Clone, Copy)]
enum Qualifier {
    Bare,
    PgCatalog,
    UpperPgCatalog,
}

/// One thing the walk must refuse.
#[derive(Debug, Clone, Copy)]
enum Violation {
    SelectInto(IntoTarget),
    Locking(Lock, LockWait),
    ModifyingCte(Modify),
    Call {
        function: &'static str,
        qualifier: Qualifier,
        upper_case: bool,
        site: CallSite,
    },
}

/// Where the offending query sits in the whole statement.
#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    FromSubquery,
    WhereIn,
    Exists,
    ScalarSubquery,
    Cte,
    CteInsideCte,
    UnionBranch,
    Lateral,
}

/// A statement with one violation somewhere inside it.
#[derive(Debug, Clone, Copy)]
struct WalkCase {
    violation: Violation,
    place: Place,
}

/// Forbidden functions, one or more per entry of `FORBIDDEN_FUNCTIONS`.
const FORBIDDEN_CALLS: &[&str] = &[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_ls_waldir",
    "pg_stat_file",
    "pg_file_write",
    "pg_logdir_ls",
    "lo_import",
    "lo_export",
    "dblink",
    "dblink_exec",
    "postgres_fdw_handler",
    "set_config",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_promote",
    "pg_create_restore_point",
    "nextval",
    "setval",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_advisory_lock",
    "pg_advisory_xact_lock_shared",
    "query_to_xml",
    "query_to_xmlschema",
    "cursor_to_xml",
    "pg_notify",
];

impl Violation {
    /// The code the brief gives this violation.
    fn code(self) -> &'static str {
        match self {
            Violation::SelectInto(_) => "select_into",
            Violation::Locking(..) => "locking_clause",
            Violation::ModifyingCte(_) => "data_modifying_cte",
            Violation::Call { .. } => "forbidden_function",
        }
    }

    /// A whole query holding the violation.
    fn query(self) -> String {
        match self {
            Violation::SelectInto(target) => format!(
                "SELECT id INTO {} stolen FROM users",
                match target {
                    IntoTarget::Table => "",
                    IntoTarget::Temp => "TEMP",
                    IntoTarget::TemporaryTable => "TEMPORARY TABLE",
                    IntoTarget::Unlogged => "UNLOGGED",
                }
            ),
            Violation::Locking(lock, wait) => format!(
                "SELECT id FROM users {}{}",
                match lock {
                    Lock::ForUpdate => "FOR UPDATE",
                    Lock::ForShare => "FOR SHARE",
                },
                match wait {
                    LockWait::Wait => "",
                    LockWait::Nowait => " NOWAIT",
                    LockWait::SkipLocked => " SKIP LOCKED",
                    LockWait::OfTable => " OF users",
                }
            ),
            Violation::ModifyingCte(modify) => format!(
                "WITH m AS ({} RETURNING id) SELECT id FROM m",
                match modify {
                    Modify::Insert => "INSERT INTO users (id) VALUES (1)",
                    Modify::Update => "UPDATE users SET name = 'x'",
                    Modify::Delete => "DELETE FROM users",
                }
            ),
            Violation::Call {
                function,
                qualifier,
                upper_case,
                site,
            } => {
                let name = if upper_case {
                    function.to_ascii_uppercase()
                } else {
                    function.to_owned()
                };
                let call = format!(
                    "{}{name}('x')",
                    match qualifier {
                        Qualifier::Bare => "",
                        Qualifier::PgCatalog => "pg_catalog.",
                        Qualifier::UpperPgCatalog => "PG_CATALOG.",
                    }
                );
                match site {
                    CallSite::SelectList => format!("SELECT {call} AS v"),
                    CallSite::Where => format!("SELECT id FROM users WHERE name = {call}"),
                    CallSite::TableFunction => format!("SELECT * FROM {call} AS f"),
                    CallSite::Argument => format!("SELECT lower({call}) AS v"),
                    CallSite::OrderBy => format!("SELECT id FROM users ORDER BY {call}"),
                    CallSite::Having => {
                        format!("SELECT id FROM users GROUP BY id HAVING count(*) > {call}")
                    }
                    CallSite::JoinOn => {
                        format!("SELECT u.id FROM users AS u JOIN orders AS o ON o.note = {call}")
                    }
                    CallSite::LateralFunction => {
                        format!("SELECT * FROM users CROSS JOIN LATERAL {call} AS f")
                    }
                }
            }
        }
    }
}

impl WalkCase {
    fn sql(&self) -> String {
        let inner = self.violation.query();
        match self.place {
            Place::Top => inner,
            Place::FromSubquery => format!("SELECT * FROM ({inner}) AS s"),
            Place::WhereIn => format!("SELECT name FROM users WHERE id IN ({inner})"),
            Place::Exists => format!("SELECT 1 AS one WHERE EXISTS ({inner})"),
            Place::ScalarSubquery => format!("SELECT ({inner}) AS v"),
            Place::Cte => format!("WITH c AS ({inner}) SELECT * FROM c"),
            Place::CteInsideCte => {
                format!("WITH a AS (WITH b AS ({inner}) SELECT * FROM b) SELECT * FROM a")
            }
            Place::UnionBranch => format!("SELECT id FROM orders UNION ALL ({inner})"),
            Place::Lateral => {
                format!("SELECT * FROM orders AS o CROSS JOIN LATERAL ({inner}) AS l")
            }
        }
    }
}

fn walk_case() -> impl Strategy<Value = WalkCase> {
    let into = prop_oneof![
        Just(IntoTarget::Table),
        Just(IntoTarget::Temp),
        Just(IntoTarget::TemporaryTable),
        Just(IntoTarget::Unlogged),
    ];
    let lock = prop_oneof![Just(Lock::ForUpdate), Just(Lock::ForShare)];
    let wait = prop_oneof![
        2 => Just(LockWait::Wait),
        1 => Just(LockWait::Nowait),
        1 => Just(LockWait::SkipLocked),
        1 => Just(LockWait::OfTable),
    ];
    let modify = prop_oneof![
        Just(Modify::Insert),
        Just(Modify::Update),
        Just(Modify::Delete),
    ];
    let site = prop_oneof![
        Just(CallSite::SelectList),
        Just(CallSite::Where),
        Just(CallSite::TableFunction),
        Just(CallSite::Argument),
        Just(CallSite::OrderBy),
        Just(CallSite::Having),
        Just(CallSite::JoinOn),
        Just(CallSite::LateralFunction),
    ];
    let qualifier = prop_oneof![
        2 => Just(Qualifier::Bare),
        1 => Just(Qualifier::PgCatalog),
        1 => Just(Qualifier::UpperPgCatalog),
    ];
    let call = (
        select(FORBIDDEN_CALLS.to_vec()),
        qualifier,
        any::<bool>(),
        site,
    )
        .prop_map(|(function, qualifier, upper_case, site)| Violation::Call {
            function,
            qualifier,
            upper_case,
            site,
        });
    let violation = prop_oneof![
        1 => into.prop_map(Violation::SelectInto),
        1 => (lock, wait).prop_map(|(lock, wait)| Violation::Locking(lock, wait)),
        1 => modify.prop_map(Violation::ModifyingCte),
        2 => call,
    ];
    let place = prop_oneof![
        2 => Just(Place::Top),
        1 => Just(Place::FromSubquery),
        1 => Just(Place::WhereIn),
        1 => Just(Place::Exists),
        1 => Just(Place::ScalarSubquery),
        1 => Just(Place::Cte),
        1 => Just(Place::CteInsideCte),
        1 => Just(Place::UnionBranch),
        1 => Just(Place::Lateral),
    ];
    (violation, place).prop_map(|(violation, place)| WalkCase { violation, place })
}

/// `check_query`'s walk: a `SELECT ... INTO`, a locking clause of any
/// strength, a data-modifying `WITH` and a forbidden call are each refused
/// with their own code wherever they sit (top level, subquery in `FROM`,
/// `IN`, `EXISTS`, scalar subquery, CTE, CTE inside a CTE, `UNION` branch,
/// `LATERAL`), and a forbidden call's error carries the reference's name
/// and why.
pub fn sql_walk_reaches_every_level<S: Api>() -> Outcome {
    property(192, walk_case(), |case| {
        let sql = case.sql();
        let want = case.violation.code();
        let rule = rule_of_code(want);
        match S::check_query(&sql) {
            Ok(_) => ensure_rule(rule, false, || {
                format!("{sql:?} was accepted, expected {want}")
            }),
            Err(got) => {
                ensure_rule(rule, got.code == want, || {
                    format!(
                        "{sql:?} was refused as {} ({}), expected {want}",
                        got.code, got.message
                    )
                })?;
                if let Err(Refusal { detail, .. }) = Reference::check_query(&sql) {
                    ensure_rule("forbidden-name-and-why", got.detail == detail, || {
                        format!(
                            "{sql:?}: the error carries {:?}, expected {detail:?}",
                            got.detail
                        )
                    })?;
                }
                Ok(())
            }
        }
    })
}

// ------------------------------------------------------------ database ----

/// Recreates `canary` with its three rows, whatever the last case did.
async fn reset_canary(conn: &mut sqlx::PgConnection) -> Result<(), String> {
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS canary CASCADE; DROP TABLE IF EXISTS gone CASCADE; \
         CREATE TABLE canary (id serial PRIMARY KEY, v text NOT NULL); \
         INSERT INTO canary (v) VALUES ('a'), ('b'), ('c')",
    )
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(|e| format!("cannot reset the canary table: {e}"))
}

/// The canary's rows as `a,b,c`, or what is wrong with it.
async fn canary_state(conn: &mut sqlx::PgConnection) -> String {
    let row: Result<(Option<String>,), _> =
        sqlx::query_as("SELECT string_agg(v, ',' ORDER BY id) FROM canary")
            .fetch_one(&mut *conn)
            .await;
    match row {
        Ok((Some(rows),)) => rows,
        Ok((None,)) => "empty".to_owned(),
        Err(e) => format!("unreadable ({e})"),
    }
}

/// `check_query` on a real PostgreSQL: the SQL a `ReadOnlyQuery` holds runs
/// for read-only queries over a canary table, and whatever is accepted,
/// once run, leaves the canary intact.
pub fn sql_checked_queries_run_on_postgres<S: Api>() -> Outcome {
    let url = match db::child_url() {
        Ok(url) => url,
        Err(reason) => return Outcome::skip(reason),
    };
    let runtime = match db::runtime() {
        Ok(rt) => rt,
        Err(e) => return Outcome::skip(e),
    };
    let scratch = match runtime.block_on(db::Scratch::create(&url)) {
        Ok(scratch) => RefCell::new(Some(scratch)),
        Err(e) => return Outcome::skip(format!("no scratch schema for this check: {e}")),
    };
    let stream = prop_oneof![
        2 => generate::sql(generate::canary_query()).prop_map(|sql| (true, sql)),
        1 => generate::sql(generate::disguised_write()).prop_map(|sql| (false, sql)),
    ];
    let outcome = property(64, stream, |(read_only, text)| {
        // The learner's code runs first, away from the connection, so a
        // panic in it cannot strand the connection outside its cell.
        let verdict = S::check_query(&text);
        // Taken out of the cell for the case, so no borrow spans an await.
        let Some(mut case_scratch) = scratch.take() else {
            return Err(TestCaseError::fail("the scratch connection was lost"));
        };
        let result = runtime.block_on(async {
            let conn = &mut case_scratch.conn;
            reset_canary(conn).await.map_err(TestCaseError::reject)?;
            let ran = match verdict {
                Ok(sql) => {
                    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *conn).await;
                    if let (true, Err(e)) = (read_only, &result) {
                        return ensure_rule("runs-on-postgres", false, || format!(
                            "accepted, but PostgreSQL cannot run the SQL your ReadOnlyQuery holds ({e}): {sql}"
                        ));
                    }
                    sql
                }
                Err(refusal) if read_only => {
                    return ensure_rule("runs-on-postgres", false, || {
                        format!("a read-only query over canary was refused ({})", refusal.code)
                    });
                }
                Err(_) => return Ok(()),
            };
            let state = canary_state(conn).await;
            ensure_rule("canary-intact", state == "a,b,c", || {
                format!("after running {ran:?} the canary holds {state}, not a,b,c")
            })
        });
        scratch.replace(Some(case_scratch));
        result
    });
    if let Some(scratch) = scratch.into_inner()
        && let Err(e) = runtime.block_on(scratch.drop_all(&url))
    {
        eprintln!("warning: {e}");
    }
    outcome
}
