//! SQL written by a model: why a denylist fails, and a check that holds.
//!
//! [`denylist`] is the naive approach, kept so its bypasses can be shown.
//! [`check_query`] parses the text with the PostgreSQL dialect and accepts
//! exactly one read-only query.

pub mod denylist;
mod forbidden;
mod validate;

pub use forbidden::{FORBIDDEN_FUNCTIONS, ForbiddenFunction, forbidden_function};
pub use validate::{ReadOnlyQuery, SqlRejection, check_query};
