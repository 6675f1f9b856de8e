//! Times the similarity search on a generated class.
//!
//! `cargo run --release -p class-report --example similarity_scale -- 300`
//! generates 300 submissions of all five labs from the course's stubs and
//! reference solutions, runs the search on every lab and prints how long
//! each step took, and how many of the copies planted in the class were
//! found. `--out report.html` also writes the report page; `--threshold 5`
//! reports pairs from a lower score than the default.

use std::collections::HashSet;
use std::time::Instant;

use class_report::testgen::{self, Course};
use class_report::{RenderOptions, SimilarityOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut students = 300;
    let mut out = None;
    let mut options = SimilarityOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next(),
            "--threshold" => {
                let value = args.next().unwrap_or_default();
                options.threshold = value
                    .parse()
                    .map_err(|_| format!("--threshold {value:?}: give a score, such as 15"))?;
            }
            n => {
                students = n.parse().map_err(|_| {
                    format!("{n:?} is not a number of students; try `-- 300 --out report.html`")
                })?
            }
        }
    }

    let started = Instant::now();
    let course = Course::load()?;
    let class = testgen::generate_class(&course, students, 2024);
    let files: usize = class
        .labs
        .iter()
        .flat_map(|l| &l.students)
        .map(|s| s.files.len())
        .sum();
    let bytes: usize = class
        .labs
        .iter()
        .flat_map(|l| &l.students)
        .flat_map(|s| &s.files)
        .map(|f| f.text.len())
        .sum();
    println!(
        "generated {students} submissions: {files} files, {:.1} MB, in {:.2?}",
        bytes as f64 / 1e6,
        started.elapsed()
    );

    let searched = Instant::now();
    let mut results = Vec::new();
    for lab in &class.labs {
        let t = Instant::now();
        let result = class_report::similarity(lab, &options)?;
        let copies: HashSet<(&str, &str)> = class
            .copies
            .iter()
            .filter(|c| c.lab == lab.lab)
            .map(|c| (c.a.as_str(), c.b.as_str()))
            .collect();
        let found = result
            .pairs
            .iter()
            .filter(|p| copies.contains(&(p.a.as_str(), p.b.as_str())))
            .count();
        let lowest_copy = result
            .pairs
            .iter()
            .filter(|p| copies.contains(&(p.a.as_str(), p.b.as_str())))
            .map(|p| p.score)
            .fold(f64::INFINITY, f64::min);
        let highest_other = result
            .pairs
            .iter()
            .filter(|p| !copies.contains(&(p.a.as_str(), p.b.as_str())))
            .map(|p| p.score)
            .fold(0.0, f64::max);
        println!(
            "  {:<12} {:>7.2?}  {} pairs flagged, {found} of {} planted copies (lowest score {lowest_copy:.1}), highest other {highest_other:.1}; {} fingerprints dropped as common",
            lab.lab,
            t.elapsed(),
            result.pairs.len(),
            copies.len(),
            result.common_dropped,
        );
        results.push(result);
    }
    println!(
        "similarity of {students} submissions, all labs: {:.2?}",
        searched.elapsed()
    );

    if let Some(path) = out {
        let t = Instant::now();
        let page = class_report::render(&class.summary, &results, &RenderOptions::default())?;
        std::fs::write(&path, &page)?;
        println!(
            "wrote {path} ({:.1} MB) in {:.2?}",
            page.len() as f64 / 1e6,
            t.elapsed()
        );
    }
    Ok(())
}
