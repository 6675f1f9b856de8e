//! The one error type of the crate.
//!
//! Every message says what went wrong and what to do about it, because the
//! person reading it is an instructor in the middle of grading, not the
//! author of this crate.

use std::fmt;
use std::path::PathBuf;

/// What can go wrong while building a class report.
#[derive(Debug)]
pub enum Error {
    /// The class summary contradicts itself (a row with the wrong number of
    /// labs, a check on a lab that was not graded, ...).
    Summary(String),
    /// An option is out of range.
    Options(String),
    /// A histogram could not be drawn.
    Chart(String),
    /// The page template failed to render.
    Template(String),
    /// A file of the course could not be read.
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Summary(why) => write!(
                f,
                "the class summary is inconsistent: {why}; rebuild it from the gradebook"
            ),
            Error::Options(why) => write!(f, "invalid option: {why}"),
            Error::Chart(why) => write!(
                f,
                "cannot draw a histogram: {why}; the rest of the report is unaffected, report this as a bug"
            ),
            Error::Template(why) => write!(
                f,
                "cannot render the report page: {why}; the template shipped with the crate is broken, report this as a bug"
            ),
            Error::Read { path, source } => write!(
                f,
                "cannot read {}: {source}; run from a checkout of the course that has labs/ and solutions/",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
