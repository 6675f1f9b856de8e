//! The class report end to end: small classes built from the course's own
//! stubs and reference solutions, searched for copies and rendered.

use class_report::testgen::{self, Course, CourseLab};
use class_report::{
    CheckStat, ClassSummary, LabInfo, LabSimilarity, LabSources, RenderOptions, SimilarityOptions,
    SourceFile, StudentFiles, StudentRow, charts, similarity,
};

fn course() -> Course {
    Course::load().expect("the course's labs/ and solutions/ are readable")
}

fn student(name: &str, files: Vec<SourceFile>) -> StudentFiles {
    StudentFiles {
        student: name.to_owned(),
        files,
    }
}

/// The errors lab: small, so the tests stay quick.
fn errors_lab(course: &Course) -> &CourseLab {
    course.lab("errors").expect("the course has an errors lab")
}

/// A class of the errors lab: `copy-a` is the reference solution, `copy-b`
/// the same with identifiers renamed and functions reordered; `own-*`
/// solved it on their own; `stub-*` handed in the stubs.
fn errors_class(lab: &CourseLab) -> LabSources {
    let renamed_and_reordered: Vec<SourceFile> = lab
        .reference
        .iter()
        .map(|f| {
            let text = testgen::rename_identifiers(&f.text, 11);
            SourceFile::new(f.path.clone(), testgen::reorder_items(&text, 12))
        })
        .collect();
    let mut students = vec![
        student("copy-a", lab.reference.clone()),
        student("copy-b", renamed_and_reordered),
        student("stub-1", lab.stub.clone()),
        // The stubs with their comments rewritten: still the stubs.
        student(
            "stub-2",
            lab.stub
                .iter()
                .map(|f| SourceFile::new(f.path.clone(), testgen::rewrite_comments(&f.text, 3)))
                .collect(),
        ),
        student("stub-3", lab.stub.clone()),
    ];
    for n in 0..5 {
        students.push(student(
            &format!("own-{n}"),
            testgen::independent(&lab.stub, 100 + n),
        ));
    }
    LabSources {
        lab: lab.name.clone(),
        base: lab.stub.clone(),
        students,
    }
}

fn involves(result: &LabSimilarity, name: &str) -> bool {
    result.pairs.iter().any(|p| p.a == name || p.b == name)
}

#[test]
fn a_renamed_and_reordered_copy_is_the_top_pair() {
    let course = course();
    let lab = errors_lab(&course);
    let result = similarity(&errors_class(lab), &SimilarityOptions::default()).unwrap();
    let top = result.pairs.first().expect("the copy is flagged");
    assert_eq!((top.a.as_str(), top.b.as_str()), ("copy-a", "copy-b"));
    assert!(top.share_a > 0.7 && top.share_b > 0.7, "{top:?}");
    // Its regions point at the same code on each side, with its text.
    let region = &top.regions[0];
    assert!(region.fingerprints >= 3);
    assert_eq!(
        region.a.lines.len() as u32 + region.a.more_lines,
        region.a.last_line - region.a.first_line + 1
    );
    assert!(!region.b.lines.is_empty());
}

#[test]
fn independent_solutions_are_not_flagged() {
    let course = course();
    let lab = errors_lab(&course);
    let result = similarity(&errors_class(lab), &SimilarityOptions::default()).unwrap();
    for pair in &result.pairs {
        assert!(
            pair.a.starts_with("copy") && pair.b.starts_with("copy"),
            "only the copy is flagged, not {} and {} (score {:.1})",
            pair.a,
            pair.b,
            pair.score
        );
    }
    // The reference and the own solutions are independent too.
    assert!(!involves(&result, "own-0"));
}

#[test]
fn stubs_only_share_nothing() {
    let course = course();
    let lab = errors_lab(&course);
    let result = similarity(&errors_class(lab), &SimilarityOptions::default()).unwrap();
    for name in ["stub-1", "stub-2", "stub-3"] {
        assert!(!involves(&result, name), "{name} is flagged");
    }
    // Not even below the threshold: the stubs leave no fingerprint.
    let everything = SimilarityOptions {
        threshold: 0.0,
        ..SimilarityOptions::default()
    };
    let stubs = LabSources {
        lab: lab.name.clone(),
        base: lab.stub.clone(),
        students: errors_class(lab).students.split_off(2)[..3].to_vec(),
    };
    let result = similarity(&stubs, &everything).unwrap();
    assert_eq!(result.students, 3);
    assert_eq!(result.students_with_code, 0);
    assert!(result.pairs.is_empty());
}

#[test]
fn a_generated_class_flags_its_planted_copies_first() {
    let course = course();
    let errors = Course {
        labs: vec![errors_lab(&course).clone()],
    };
    let class = testgen::generate_class(&errors, 30, 7);
    let result = similarity(&class.labs[0], &SimilarityOptions::default()).unwrap();
    assert!(!class.copies.is_empty());
    for copy in &class.copies {
        assert!(
            result.pairs.iter().any(|p| p.a == copy.a && p.b == copy.b),
            "{copy:?} is flagged"
        );
    }
    assert_eq!(result.pairs.len(), class.copies.len(), "{:?}", result.pairs);
}

fn row(name: &str, points: Vec<Option<u32>>, status: &str, flags: &[&str]) -> StudentRow {
    StudentRow {
        student: name.to_owned(),
        total: points.iter().flatten().sum(),
        max: 30,
        points,
        status: status.to_owned(),
        report: format!("{name}/report.txt"),
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn hostile_summary() -> ClassSummary {
    ClassSummary {
        labs: vec![
            LabInfo {
                name: "security".into(),
                max_points: 10,
            },
            LabInfo {
                name: "errors".into(),
                max_points: 20,
            },
        ],
        students: vec![
            row("alice", vec![Some(10), Some(15)], "graded", &[]),
            row(
                "<script>alert('name')</script>",
                vec![Some(3), Some(0)],
                "graded; errors: <b>does not compile</b>",
                &["security: <img src=x onerror=alert(1)>"],
            ),
            row(
                "carol",
                vec![None, None],
                "not graded: the archive holds no labs/ folder",
                &[],
            ),
            row(
                "dave",
                vec![Some(7), Some(20)],
                "graded",
                &["server: std::process"],
            ),
        ],
        checks: vec![
            CheckStat {
                lab: "security".into(),
                check: "paths_stay_in_root".into(),
                points: 10,
                hint: "Resolve the path before comparing.".into(),
                passed: 1,
                graded: 3,
            },
            CheckStat {
                lab: "errors".into(),
                check: "codes_retryable".into(),
                points: 20,
                hint: "Only the transient codes.".into(),
                passed: 3,
                graded: 3,
            },
        ],
    }
}

#[test]
fn the_page_escapes_what_students_wrote_and_shows_everything() {
    let hostile_code = "pub fn shout() -> &'static str {\n    let page = \"</pre><script>alert(1)</script>\";\n    page\n}\n";
    let course = course();
    let convert = errors_lab(&course)
        .reference
        .iter()
        .find(|f| f.path == "src/convert.rs")
        .expect("the errors lab has src/convert.rs");
    let text = format!("{hostile_code}{}", convert.text);
    let lab = LabSources {
        lab: "security".into(),
        base: vec![SourceFile::new("src/lib.rs", "")],
        students: vec![
            student(
                "<script>alert('name')</script>",
                vec![SourceFile::new("src/lib.rs", text.clone())],
            ),
            student("dave", vec![SourceFile::new("src/lib.rs", text)]),
        ],
    };
    let found = similarity(&lab, &SimilarityOptions::default()).unwrap();
    assert_eq!(found.pairs.len(), 1);

    let summary = hostile_summary();
    let page = class_report::render(&summary, &[found], &RenderOptions::default()).unwrap();

    assert!(!page.contains("<script>"), "no student markup gets through");
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;script&gt;alert("));
    assert!(page.contains("&lt;&#x2f;pre&gt;&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(page.contains("&lt;b&gt;does not compile&lt;&#x2f;b&gt;"));
    // A chart per lab and one of the totals.
    assert_eq!(page.matches("<svg").count(), summary.labs.len() + 1);
    for name in ["alice", "carol", "dave"] {
        assert!(page.contains(&format!("<td>{name}</td>")), "{name}'s row");
        assert!(
            page.contains(&format!("href=\"{name}&#x2f;report.txt\"")),
            "{name}'s report"
        );
    }
    assert!(page.contains("not graded: the archive holds no labs&#x2f; folder"));
    assert!(page.contains("server: std::process"));
    // The most failed check comes first.
    let paths = page.find("paths_stay_in_root").unwrap();
    let codes = page.find("codes_retryable").unwrap();
    assert!(paths < codes);
}

#[test]
fn histogram_counts_match_the_input() {
    let summary = hostile_summary();
    let histograms = charts::class_histograms(&summary, 10);
    assert_eq!(histograms.len(), 3);

    // security, max 10: one bar per score; carol was not graded.
    let security = &histograms[0];
    assert_eq!(security.counted, 3);
    assert_eq!(security.bins.len(), 11);
    for (score, expected) in [(10, 1), (3, 1), (7, 1), (0, 0)] {
        assert_eq!(security.bins[score].count, expected, "security {score}");
    }

    // errors, max 20: bars of two points, 20 in the last one.
    let errors = &histograms[1];
    let counts: Vec<usize> = errors.bins.iter().map(|b| b.count).collect();
    assert_eq!(counts, [1, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
    assert_eq!((errors.bins[9].low, errors.bins[9].high), (18, 20));

    // Totals over the three graded students, out of 30.
    let total = &histograms[2];
    assert_eq!(total.max_points, 30);
    assert_eq!(total.counted, 3);
    let counts: Vec<usize> = total.bins.iter().map(|b| b.count).collect();
    // 3 in 3-5, alice's 25 in 24-26, dave's 27 in 27-30.
    assert_eq!(counts, [0, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
    assert_eq!((total.bins[8].low, total.bins[8].high), (24, 26));
    assert_eq!((total.bins[9].low, total.bins[9].high), (27, 30));
}

#[test]
fn a_summary_survives_json() {
    let summary = hostile_summary();
    let json = serde_json::to_string(&summary).unwrap();
    let back: ClassSummary = serde_json::from_str(&json).unwrap();
    assert_eq!(back, summary);
}

#[test]
fn an_inconsistent_summary_says_what_to_fix() {
    let mut summary = hostile_summary();
    summary.students[0].points.pop();
    let err = class_report::render(&summary, &[], &RenderOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("alice"), "{message}");
    assert!(message.contains("one entry per lab"), "{message}");
}
