//! The class report: what an instructor opens after grading a class.
//!
//! It answers two questions. Where does the class struggle? The score
//! distribution per lab, and every check ordered from the most failed, with
//! its hint, so the top of the list is what to teach again. Which
//! submissions share code beyond the handed-out stubs? A similarity search
//! in the manner of MOSS, JPlag or Dolos, that first removes the course's
//! base code, so that two students who only kept the stubs share nothing.
//!
//! The grader fills a [`ClassSummary`], gives each lab's files to
//! [`similarity`] (or all labs to [`similarity_all`]) and writes the page
//! that [`render`] returns. Everything in and out is serde-friendly, so a
//! report can also be rebuilt later from files.
//!
//! The similarity search, in the order it runs:
//! - [`tokens`]: Rust tokens from a real lexer, normalised so that renaming
//!   and new literals do not hide a copy;
//! - [`fingerprint`]: hashed k-grams of those tokens, thinned by winnowing;
//! - [`index`]: which student holds which fingerprint, after the base code
//!   and the fingerprints common to much of the class are taken out;
//! - [`pairs`]: the pairs that share the most, with the matching regions.
//!
//! The page: [`charts`] draws the histograms, [`page`] fills the template.
//! [`testgen`] builds a realistic class from the course's own stubs and
//! reference solutions, for the tests and the timing example.

pub mod charts;
pub mod error;
pub mod fingerprint;
pub mod index;
pub mod page;
pub mod pairs;
pub mod summary;
pub mod testgen;
pub mod tokens;

pub use error::Error;
pub use page::{RenderOptions, render};
pub use pairs::{
    Excerpt, LabSimilarity, Pair, Region, SimilarityOptions, similarity, similarity_all,
};
pub use summary::{CheckStat, ClassSummary, LabInfo, StudentRow};

use serde::{Deserialize, Serialize};

/// One source file: its path relative to the lab folder, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Where the file sits in the lab, such as `src/cache.rs`.
    pub path: String,
    /// The whole text of the file.
    pub text: String,
}

impl SourceFile {
    /// A file from its relative path and text.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }
}

/// One student's files for one lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentFiles {
    /// The student, as named in the gradebook.
    pub student: String,
    /// The student's source files for the lab.
    pub files: Vec<SourceFile>,
}

/// What the similarity search compares for one lab: the handed-out base
/// code and every student's version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabSources {
    /// The lab's name, such as `performance`.
    pub lab: String,
    /// The files handed out (the stubs): code found here is nobody's copy.
    pub base: Vec<SourceFile>,
    /// Each student's files for this lab.
    pub students: Vec<StudentFiles>,
}
