//! The check that holds: parse, then accept exactly one read-only query.

use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, ObjectName, Query, Select, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::forbidden::forbidden_function;

// ANCHOR: types
/// Why a query was refused. Each variant names one rule of [`check_query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlRejection {
    /// The text holds no statement at all (empty, blank or only comments).
    Empty,
    /// The text is not valid SQL for PostgreSQL; carries the parser's message.
    Unparsable(String),
    /// The text holds more than one statement; carries how many.
    MultipleStatements(usize),
    /// The statement is not a query; carries its leading keyword(s).
    NotAQuery(String),
    /// `SELECT ... INTO new_table` creates a table.
    SelectInto,
    /// A `WITH` clause holds an `INSERT`, `UPDATE`, `DELETE` or `MERGE`.
    DataModifyingCte,
    /// `FOR UPDATE` / `FOR SHARE` takes row locks.
    LockingClause,
    /// The query calls a function from [`super::FORBIDDEN_FUNCTIONS`].
    ForbiddenFunction {
        /// The function as written in the query.
        name: String,
        /// What it can do that a read-only query must not.
        why: &'static str,
    },
}

impl SqlRejection {
    /// A stable short code for the rule, for logs, metrics and graders.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Unparsable(_) => "unparsable",
            Self::MultipleStatements(_) => "multiple_statements",
            Self::NotAQuery(_) => "not_a_query",
            Self::SelectInto => "select_into",
            Self::DataModifyingCte => "data_modifying_cte",
            Self::LockingClause => "locking_clause",
            Self::ForbiddenFunction { .. } => "forbidden_function",
        }
    }
}

impl fmt::Display for SqlRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the query is empty: send one SELECT statement"),
            Self::Unparsable(e) => write!(f, "the query is not valid PostgreSQL ({e}); fix the syntax"),
            Self::MultipleStatements(n) => {
                write!(f, "the text holds {n} statements; send exactly one SELECT")
            }
            Self::NotAQuery(kind) => {
                write!(f, "{kind} statements are not allowed; only read-only queries (SELECT) are")
            }
            Self::SelectInto => {
                f.write_str("SELECT ... INTO creates a table; remove the INTO clause")
            }
            Self::DataModifyingCte => f.write_str(
                "a WITH clause holds INSERT, UPDATE, DELETE or MERGE; only read-only queries are allowed",
            ),
            Self::LockingClause => {
                f.write_str("FOR UPDATE / FOR SHARE lock rows; remove the locking clause")
            }
            Self::ForbiddenFunction { name, why } => {
                write!(f, "the function {name} is not allowed: it {why}")
            }
        }
    }
}

impl std::error::Error for SqlRejection {}

/// A query that passed [`check_query`]: the only way to get one.
///
/// Code that runs SQL can take a `ReadOnlyQuery` instead of a `&str`, so an
/// unchecked string cannot reach the database by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyQuery {
    sql: String,
}

impl ReadOnlyQuery {
    /// The SQL to run: the checked statement, rendered back from its syntax
    /// tree, so what runs is exactly what was checked.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}
// ANCHOR_END: types

// ANCHOR: check_query
/// Parses `sql` as PostgreSQL and accepts it only if it is exactly one
/// read-only query.
///
/// Refused, each with its [`SqlRejection`]: empty text, syntax errors,
/// several statements, any statement but a query, `SELECT ... INTO`,
/// data-modifying `WITH` clauses, `FOR UPDATE`/`FOR SHARE`, and calls to
/// [`super::FORBIDDEN_FUNCTIONS`] anywhere in the query.
pub fn check_query(sql: &str) -> Result<ReadOnlyQuery, SqlRejection> {
    // TODO: Parse with `Parser::parse_sql(&PostgreSqlDialect {}, sql)`; a parse error is
    //       `Unparsable`.
    // TODO: No statement is `Empty`, more than one is `MultipleStatements`, anything but
    //       `Statement::Query` is `NotAQuery`.
    // TODO: Walk the whole query (the `sqlparser::ast::Visitor` trait and `Visit::visit`): refuse
    //       `Select::into`, non-empty `Query::locks`, INSERT/UPDATE/DELETE/MERGE bodies inside
    //       WITH, and calls to `forbidden_function` (by the last part of the name, in expressions
    //       and in FROM).
    // TODO: Return `ReadOnlyQuery { sql: statement.to_string() }`: run what you checked.
    todo!("check_query")
}
// ANCHOR_END: check_query
