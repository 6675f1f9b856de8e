//! The report page: one self-contained HTML file.
//!
//! The page is a `minijinja` template, shipped inside the crate, with
//! autoescaping on: every string that comes from a student (names, status
//! lines, flags, code) is escaped when it is written, so a submission
//! cannot inject markup or script into the instructor's page. The only
//! markup inserted as it is are the SVG histograms drawn by [`charts`],
//! whose text `plotters` escapes itself. The page needs no network, no
//! script and no file beside it, except the students' `report.txt` it
//! links to.

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, context};
use serde::Serialize;

use crate::charts::{self, DEFAULT_BINS};
use crate::pairs::Excerpt;
use crate::{ClassSummary, Error, LabSimilarity};

/// The template of the page.
const TEMPLATE: &str = include_str!("../templates/report.html");

/// What the page shows beyond the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The page's title, such as `Class report: spring term`.
    pub title: String,
    /// A line under the title, such as when and how the class was graded.
    pub subtitle: Option<String>,
    /// How many bars each histogram has at most.
    pub bins: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            title: "Class report".to_owned(),
            subtitle: None,
            bins: DEFAULT_BINS,
        }
    }
}

/// Renders the class report: the score histograms, the checks from the
/// most failed, one row per student, the submissions that could not be
/// graded and the similar pairs of each lab, as one HTML document.
pub fn render(
    summary: &ClassSummary,
    similarity: &[LabSimilarity],
    options: &RenderOptions,
) -> Result<String, Error> {
    summary.validate()?;
    let charts: Vec<Value> = charts::class_histograms(summary, options.bins)
        .iter()
        .map(|h| {
            Ok(context! {
                title => h.title.clone(),
                svg => Value::from_safe_string(charts::svg(h)?),
            })
        })
        .collect::<Result<_, Error>>()?;
    let view = View::new(summary, similarity, options);

    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| Error::Template(e.to_string()))?;
    let template = env
        .get_template("report.html")
        .map_err(|e| Error::Template(e.to_string()))?;
    template
        .render(context! { page => Serde(&view), charts => charts })
        .map_err(|e| Error::Template(e.to_string()))
}

/// Everything the template shows, already sorted and formatted.
#[derive(Serialize)]
struct View<'a> {
    title: &'a str,
    subtitle: Option<&'a str>,
    labs: Vec<LabView<'a>>,
    students: Vec<RowView<'a>>,
    graded: usize,
    not_graded: Vec<RowView<'a>>,
    checks: Vec<CheckView<'a>>,
    similarity: Vec<SimilarityView<'a>>,
}

#[derive(Serialize)]
struct LabView<'a> {
    name: &'a str,
    max_points: u32,
}

#[derive(Serialize)]
struct RowView<'a> {
    student: &'a str,
    points: Vec<String>,
    total: u32,
    max: u32,
    status: &'a str,
    ok: bool,
    flags: &'a [String],
    report: String,
}

#[derive(Serialize)]
struct CheckView<'a> {
    lab: &'a str,
    check: &'a str,
    points: u32,
    hint: &'a str,
    passed: u32,
    failed: u32,
    graded: u32,
    pass_percent: u32,
}

#[derive(Serialize)]
struct SimilarityView<'a> {
    lab: &'a str,
    students: usize,
    students_with_code: usize,
    k: usize,
    window: usize,
    threshold: String,
    common_limit: usize,
    common_percent: String,
    common_dropped: usize,
    pairs_sharing: usize,
    pairs: Vec<PairView<'a>>,
}

#[derive(Serialize)]
struct PairView<'a> {
    a: &'a str,
    b: &'a str,
    score: String,
    shared: usize,
    share_a: String,
    share_b: String,
    lines_a: usize,
    lines_b: usize,
    regions: Vec<RegionView<'a>>,
}

#[derive(Serialize)]
struct RegionView<'a> {
    fingerprints: usize,
    a: ExcerptView<'a>,
    b: ExcerptView<'a>,
}

#[derive(Serialize)]
struct ExcerptView<'a> {
    file: &'a str,
    first_line: u32,
    last_line: u32,
    lines: Vec<LineView<'a>>,
    more_lines: u32,
}

#[derive(Serialize)]
struct LineView<'a> {
    number: u32,
    text: &'a str,
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

impl<'a> View<'a> {
    fn new(
        summary: &'a ClassSummary,
        similarity: &'a [LabSimilarity],
        options: &'a RenderOptions,
    ) -> Self {
        let row = |r: &'a crate::StudentRow| RowView {
            student: &r.student,
            points: r
                .points
                .iter()
                .map(|p| p.map_or_else(|| "-".to_owned(), |p| p.to_string()))
                .collect(),
            total: r.total,
            max: r.max,
            status: &r.status,
            ok: r.status == "graded",
            flags: &r.flags,
            report: link(&r.report),
        };
        let mut checks: Vec<CheckView> = summary
            .checks
            .iter()
            .map(|c| CheckView {
                lab: &c.lab,
                check: &c.check,
                points: c.points,
                hint: &c.hint,
                passed: c.passed,
                failed: c.failed(),
                graded: c.graded,
                pass_percent: (u64::from(c.passed) * 100)
                    .checked_div(u64::from(c.graded))
                    .unwrap_or(0) as u32,
            })
            .collect();
        // The most failed first: by the share of the class that failed,
        // then by how many students that is.
        checks.sort_by(|x, y| {
            let fail = |c: &CheckView| f64::from(c.failed) / f64::from(c.graded.max(1));
            fail(y)
                .total_cmp(&fail(x))
                .then(y.failed.cmp(&x.failed))
                .then(x.lab.cmp(y.lab))
                .then(x.check.cmp(y.check))
        });
        View {
            title: &options.title,
            subtitle: options.subtitle.as_deref(),
            labs: summary
                .labs
                .iter()
                .map(|l| LabView {
                    name: &l.name,
                    max_points: l.max_points,
                })
                .collect(),
            students: summary.students.iter().map(row).collect(),
            graded: summary.students.iter().filter(|r| r.is_graded()).count(),
            not_graded: summary
                .students
                .iter()
                .filter(|r| !r.is_graded() || r.points.iter().any(Option::is_none))
                .map(row)
                .collect(),
            checks,
            similarity: similarity.iter().map(SimilarityView::new).collect(),
        }
    }
}

impl<'a> SimilarityView<'a> {
    fn new(lab: &'a LabSimilarity) -> Self {
        SimilarityView {
            lab: &lab.lab,
            students: lab.students,
            students_with_code: lab.students_with_code,
            k: lab.options.k,
            window: lab.options.window,
            threshold: format!("{:.0}", lab.options.threshold),
            common_limit: lab.common_limit,
            common_percent: percent(lab.options.common_share),
            common_dropped: lab.common_dropped,
            pairs_sharing: lab.pairs_sharing,
            pairs: lab
                .pairs
                .iter()
                .map(|p| PairView {
                    a: &p.a,
                    b: &p.b,
                    score: format!("{:.1}", p.score),
                    shared: p.shared,
                    share_a: percent(p.share_a),
                    share_b: percent(p.share_b),
                    lines_a: p.lines_a,
                    lines_b: p.lines_b,
                    regions: p
                        .regions
                        .iter()
                        .map(|r| RegionView {
                            fingerprints: r.fingerprints,
                            a: ExcerptView::new(&r.a),
                            b: ExcerptView::new(&r.b),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl<'a> ExcerptView<'a> {
    fn new(excerpt: &'a Excerpt) -> Self {
        ExcerptView {
            file: &excerpt.file,
            first_line: excerpt.first_line,
            last_line: excerpt.last_line,
            lines: excerpt
                .lines
                .iter()
                .zip(excerpt.first_line..)
                .map(|(text, number)| LineView { number, text })
                .collect(),
            more_lines: excerpt.more_lines,
        }
    }
}

/// A relative link that stays a relative link: every byte but letters,
/// digits, `-._~` and `/` is percent-encoded, so a student named
/// `javascript:...` or `a?b#c` still links to a file beside the page.
pub fn link(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_relative() {
        assert_eq!(link("alice/report.txt"), "alice/report.txt");
        assert_eq!(
            link("javascript:alert(1)/report.txt"),
            "javascript%3Aalert%281%29/report.txt"
        );
        assert_eq!(link("é b/report.txt"), "%C3%A9%20b/report.txt");
    }
}
