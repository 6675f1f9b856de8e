//! Helpers shared by the visible tests.

use std::borrow::Cow;
use std::fmt;

use sqlx::error::{DatabaseError, ErrorKind};

/// A database error with a chosen SQLSTATE, as PostgreSQL would report it.
#[derive(Debug)]
pub struct FakeDbError {
    code: &'static str,
    message: String,
}

impl fmt::Display for FakeDbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FakeDbError {}

impl DatabaseError for FakeDbError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.code))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// `sqlx::Error::Database` with SQLSTATE `code` and `message`.
pub fn db_error(code: &'static str, message: &str) -> sqlx::Error {
    sqlx::Error::Database(Box::new(FakeDbError {
        code,
        message: message.to_owned(),
    }))
}
