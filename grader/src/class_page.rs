//! `class-report.html`: what an instructor opens after `--class`.
//!
//! Built from the output folder alone (the gradebook, each student's
//! `report.json`, and the sources each student handed in, kept under
//! `STUDENT/labs/LAB/src`), so `grader class-report OUT` can write it again
//! later, with another similarity threshold, without grading anything. The
//! page itself (charts, tables, the side-by-side code) comes from the
//! `class-report` crate; this module gathers its data: per lab the score
//! of each student, per check how many passed it, and per lab the sources,
//! with the stubs as the base code nobody copied.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use class_report::{
    CheckStat, ClassSummary, LabInfo as PageLab, LabSources, RenderOptions, SimilarityOptions,
    SourceFile, StudentFiles, StudentRow,
};
use grader_core::catalog::{self, LabInfo};

use crate::carve;
use crate::class::Row;
use crate::compile::course_root;
use crate::report::Report;

/// The file the page is written to, in the output folder.
pub const PAGE: &str = "class-report.html";

/// The folder under `OUT/STUDENT` where the graded sources are kept.
pub const SOURCES: &str = "labs";

/// Writes `out/class-report.html` for `rows` of `labs`; pairs of students
/// whose shared code scores under `threshold` are not listed. Returns the
/// page's path.
pub fn write(
    out: &Path,
    rows: &[Row],
    labs: &[&'static LabInfo],
    threshold: f64,
) -> Result<PathBuf, String> {
    let summary = summary(out, rows, labs);
    let options = SimilarityOptions {
        threshold,
        ..SimilarityOptions::default()
    };
    let mut similar = Vec::new();
    for lab in labs {
        let sources = sources(out, rows, lab)?;
        similar.push(
            class_report::similarity(&sources, &options)
                .map_err(|e| format!("the similarity search of {} failed: {e}", lab.name))?,
        );
    }
    let render = RenderOptions {
        title: format!("Class report: {} students", rows.len()),
        subtitle: Some(format!(
            "graded on {} labs; pairs listed from a similarity score of {threshold}",
            labs.len()
        )),
        ..RenderOptions::default()
    };
    let html = class_report::render(&summary, &similar, &render)
        .map_err(|e| format!("cannot write the class report: {e}"))?;
    let path = out.join(PAGE);
    fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// A student's report, if it was written.
fn read_report(out: &Path, student: &str) -> Option<Report> {
    let text = fs::read_to_string(out.join(student).join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The page's data: the labs with their maximum, a row per student, and
/// per check how many students passed it.
fn summary(out: &Path, rows: &[Row], labs: &[&'static LabInfo]) -> ClassSummary {
    let mut checks: BTreeMap<(usize, usize), CheckStat> = BTreeMap::new();
    for (l, lab) in labs.iter().enumerate() {
        for (c, check) in lab.checks.iter().enumerate() {
            checks.insert(
                (l, c),
                CheckStat {
                    lab: lab.name.to_owned(),
                    check: check.name.to_owned(),
                    points: check.points,
                    hint: check.hint.to_owned(),
                    passed: 0,
                    graded: 0,
                },
            );
        }
    }
    let mut students = Vec::new();
    for row in rows {
        let report = read_report(out, &row.student);
        let mut points = Vec::new();
        for (l, lab) in labs.iter().enumerate() {
            let graded = report
                .as_ref()
                .and_then(|r| r.labs.iter().find(|x| x.name == lab.name));
            points.push(graded.map(|g| g.score));
            let Some(graded) = graded else { continue };
            for (c, check) in lab.checks.iter().enumerate() {
                let Some(result) = graded.checks.iter().find(|r| r.name == check.name) else {
                    continue;
                };
                if result.status == grader_core::Status::Skipped {
                    continue;
                }
                let stat = checks.get_mut(&(l, c)).expect("every check is listed");
                stat.graded += 1;
                if result.status == grader_core::Status::Passed {
                    stat.passed += 1;
                }
            }
        }
        students.push(StudentRow {
            student: row.student.clone(),
            points,
            total: row.total,
            max: row.max,
            status: row.status.clone(),
            report: format!("{}/report.txt", row.student),
            flags: row
                .flags
                .split("; ")
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    ClassSummary {
        labs: labs
            .iter()
            .map(|l| PageLab {
                name: l.name.to_owned(),
                max_points: l.max_points(),
            })
            .collect(),
        students,
        checks: checks.into_values().collect(),
    }
}

/// What the similarity search compares for `lab`: the stubs as the base,
/// and the sources each student handed in.
fn sources(out: &Path, rows: &[Row], lab: &LabInfo) -> Result<LabSources, String> {
    let base = carve::carve_dir(&course_root().join("solutions").join(lab.name).join("src"))?
        .into_iter()
        .map(|(rel, text)| SourceFile::new(format!("src/{}", rel.display()), text))
        .collect();
    let mut students = Vec::new();
    for row in rows {
        let src = out
            .join(&row.student)
            .join(SOURCES)
            .join(lab.name)
            .join("src");
        if !src.is_dir() {
            continue;
        }
        let mut files = Vec::new();
        collect(&src, &src, &mut files);
        students.push(StudentFiles {
            student: row.student.clone(),
            files,
        });
    }
    Ok(LabSources {
        lab: lab.name.to_owned(),
        base,
        students,
    })
}

/// Every `.rs` file under `dir`, as `src/RELATIVE`.
fn collect(base: &Path, dir: &Path, files: &mut Vec<SourceFile>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(base, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = fs::read_to_string(&path)
        {
            let rel = path.strip_prefix(base).expect("under base");
            files.push(SourceFile::new(format!("src/{}", rel.display()), text));
        }
    }
}

/// Keeps the `.rs` sources of each lab of the checkout at `checkout`
/// under `out/STUDENT/labs/LAB/src`, for the class report.
pub fn keep_sources(checkout: &Path, student_dir: &Path) -> Result<(), String> {
    for lab in catalog::LABS {
        let from = checkout.join("labs").join(lab.name).join("src");
        if !from.is_dir() {
            continue;
        }
        let files = crate::compile::read_tree(&from, &mut crate::submission::Budget::submission())
            .map_err(|e| format!("cannot keep labs/{}/src: {e}", lab.name))?;
        let to = student_dir.join(SOURCES).join(lab.name).join("src");
        for (rel, bytes) in files {
            if rel.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let path = to.join(rel);
            fs::create_dir_all(path.parent().expect("a file has a folder"))
                .map_err(|e| e.to_string())?;
            fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// The rows of a gradebook written by `--class`, and the labs it has.
pub fn read_gradebook(out: &Path) -> Result<(Vec<Row>, Vec<&'static LabInfo>), String> {
    let path = out.join("gradebook.csv");
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}): give the folder a `--class` run wrote (its --out)",
            path.display()
        )
    })?;
    let mut lines = parse_csv(&text).into_iter();
    let header = lines.next().ok_or("the gradebook is empty")?;
    // `student, LAB..., total, max, status[, flags]`: older gradebooks have
    // no flags column.
    let with_flags = header.last().is_some_and(|h| h == "flags");
    let trailing = if with_flags { 4 } else { 3 };
    if header.first().is_none_or(|h| h != "student") || header.len() < trailing + 1 {
        return Err(format!(
            "{} is not a gradebook written by --class",
            path.display()
        ));
    }
    let lab_names = &header[1..header.len() - trailing];
    let labs: Vec<&'static LabInfo> = lab_names
        .iter()
        .map(|name| {
            catalog::lab(name)
                .ok_or_else(|| format!("the gradebook has a lab `{name}` the grader does not know"))
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for fields in lines {
        if fields.len() != header.len() {
            continue;
        }
        let n = labs.len();
        let number = |s: &str| s.parse::<u32>().unwrap_or(0);
        rows.push(Row {
            student: fields[0].trim_start_matches('\'').to_owned(),
            scores: fields[1..=n].iter().map(|s| number(s)).collect(),
            total: number(&fields[n + 1]),
            max: number(&fields[n + 2]),
            status: fields[n + 3].clone(),
            flags: if with_flags {
                fields[n + 4].clone()
            } else {
                String::new()
            },
        });
    }
    Ok((rows, labs))
}

/// The fields of each line of a CSV text with `"`-quoting.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_come_back_as_written() {
        let rows = parse_csv(
            "student,security,total,max,status,flags\nalice,3,3,9,\"graded; a, b\",\"x \"\"y\"\"\"\n",
        );
        assert_eq!(rows[1], ["alice", "3", "3", "9", "graded; a, b", "x \"y\""]);
    }
}
