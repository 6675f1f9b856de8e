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
    // LAB: todo("check_query")
    // TODO: Parse with `Parser::parse_sql(&PostgreSqlDialect {}, sql)`; a parse error is
    //       `Unparsable`.
    // TODO: No statement is `Empty`, more than one is `MultipleStatements`, anything but
    //       `Statement::Query` is `NotAQuery`.
    // TODO: Walk the whole query (the `sqlparser::ast::Visitor` trait and `Visit::visit`): refuse
    //       `Select::into`, non-empty `Query::locks`, INSERT/UPDATE/DELETE/MERGE bodies inside
    //       WITH, and calls to `forbidden_function` (by the last part of the name, in expressions
    //       and in FROM).
    // TODO: Return `ReadOnlyQuery { sql: statement.to_string() }`: run what you checked.
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| SqlRejection::Unparsable(e.to_string()))?;
    let statement = match statements.as_slice() {
        [] => return Err(SqlRejection::Empty),
        [one] => one,
        many => return Err(SqlRejection::MultipleStatements(many.len())),
    };
    if !matches!(statement, Statement::Query(_)) {
        return Err(SqlRejection::NotAQuery(leading_keyword(statement)));
    }
    if let ControlFlow::Break(rejection) = statement.visit(&mut ReadOnlyVisitor) {
        return Err(rejection);
    }
    Ok(ReadOnlyQuery {
        sql: statement.to_string(),
    })
    // LAB: end
}
// ANCHOR_END: check_query
// LAB: solution

/// The first word of a statement, upper case: `DELETE`, `CREATE`, ...
fn leading_keyword(statement: &Statement) -> String {
    let text = statement.to_string();
    let word = text.split_whitespace().next().unwrap_or("this");
    word.to_ascii_uppercase()
}

/// Walks every node of a query and stops at the first rule it breaks.
struct ReadOnlyVisitor;

impl Visitor for ReadOnlyVisitor {
    type Break = SqlRejection;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlRejection> {
        if !query.locks.is_empty() {
            return ControlFlow::Break(SqlRejection::LockingClause);
        }
        let ctes = query.with.iter().flat_map(|with| &with.cte_tables);
        if ctes.into_iter().any(|cte| writes(&cte.query.body)) || writes(&query.body) {
            return ControlFlow::Break(SqlRejection::DataModifyingCte);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<SqlRejection> {
        if select.into.is_some() {
            return ControlFlow::Break(SqlRejection::SelectInto);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlRejection> {
        match expr {
            Expr::Function(function) => check_function(&function.name),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlRejection> {
        match factor {
            TableFactor::Function { name, .. } => check_function(name),
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => check_function(name),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlRejection> {
        // The outer statement is a query (checked before the walk); any
        // other statement met on the way is nested inside it.
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            _ => ControlFlow::Break(SqlRejection::DataModifyingCte),
        }
    }
}

/// Whether a query body is, or contains at its top, a data-modifying statement.
fn writes(body: &SetExpr) -> bool {
    match body {
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => true,
        SetExpr::SetOperation { left, right, .. } => writes(left) || writes(right),
        SetExpr::Query(query) => writes(&query.body),
        SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => false,
    }
}

/// Refuses a call to a function of the forbidden list, by its last name part.
fn check_function(name: &ObjectName) -> ControlFlow<SqlRejection> {
    let last = name.0.last().and_then(|part| part.as_ident());
    match last.and_then(|ident| forbidden_function(&ident.value)) {
        Some(f) => ControlFlow::Break(SqlRejection::ForbiddenFunction {
            name: name.to_string(),
            why: f.why,
        }),
        None => ControlFlow::Continue(()),
    }
}
// LAB: end
