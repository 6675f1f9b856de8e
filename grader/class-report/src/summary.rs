//! The grades of a class, as the report reads them.
//!
//! Plain data, filled by the grader after `--class` (or rebuilt from its
//! files): the labs graded, one row per student and, per check, how many
//! students passed it. Nothing here is computed from student code; the
//! similarity search has its own input, [`crate::LabSources`].

use serde::{Deserialize, Serialize};

use crate::Error;

/// The grades of a whole class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// The labs graded, in gradebook order.
    pub labs: Vec<LabInfo>,
    /// One row per student, in gradebook order.
    pub students: Vec<StudentRow>,
    /// Every check of every lab graded, with how the class did on it.
    pub checks: Vec<CheckStat>,
}

/// One lab graded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    /// The lab's name, such as `security`.
    pub name: String,
    /// The points the reference solution earns: the most a student can get.
    pub max_points: u32,
}

/// One student's line of the gradebook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentRow {
    /// The student, as named in the gradebook.
    pub student: String,
    /// Points per lab, in the order of [`ClassSummary::labs`]; `None` for a
    /// lab that was not graded.
    pub points: Vec<Option<u32>>,
    /// Points earned.
    pub total: u32,
    /// Points possible.
    pub max: u32,
    /// `graded`, or what went wrong: `graded; errors: does not compile`,
    /// `not graded: the archive holds no labs/ folder`.
    pub status: String,
    /// The student's scoreboard, relative to the report page, such as
    /// `alice/report.txt`.
    pub report: String,
    /// Advisory flags, such as `security: unsafe`; they change no points.
    #[serde(default)]
    pub flags: Vec<String>,
}

impl StudentRow {
    /// Whether any lab of this submission was graded. A submission that
    /// could not be read at all has no points anywhere.
    pub fn is_graded(&self) -> bool {
        self.points.iter().any(Option::is_some)
    }
}

/// How the class did on one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStat {
    /// The lab the check belongs to.
    pub lab: String,
    /// The check's name, as in the students' reports.
    pub check: String,
    /// The points it is worth.
    pub points: u32,
    /// The hint a student gets when it fails: what to teach again.
    pub hint: String,
    /// How many students passed it.
    pub passed: u32,
    /// How many students were graded on it.
    pub graded: u32,
}

impl CheckStat {
    /// How many of the students graded on it failed it.
    pub fn failed(&self) -> u32 {
        self.graded.saturating_sub(self.passed)
    }
}

impl ClassSummary {
    /// Checks that the summary agrees with itself: every row has one entry
    /// per lab, and every check names a lab graded and has no more passes
    /// than students graded.
    pub fn validate(&self) -> Result<(), Error> {
        for row in &self.students {
            if row.points.len() != self.labs.len() {
                return Err(Error::Summary(format!(
                    "student {:?} has points for {} labs but {} labs were graded; give one entry per lab, None where it was not graded",
                    row.student,
                    row.points.len(),
                    self.labs.len()
                )));
            }
        }
        for check in &self.checks {
            if !self.labs.iter().any(|lab| lab.name == check.lab) {
                return Err(Error::Summary(format!(
                    "check {:?} belongs to lab {:?}, which is not among the labs graded",
                    check.check, check.lab
                )));
            }
            if check.passed > check.graded {
                return Err(Error::Summary(format!(
                    "check {:?} of lab {:?} was passed by {} students but only {} were graded on it",
                    check.check, check.lab, check.passed, check.graded
                )));
            }
        }
        Ok(())
    }
}
