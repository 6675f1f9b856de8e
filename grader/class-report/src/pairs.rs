//! The pairs of students who share code, and where.
//!
//! From the [`index`], every fingerprint held by a few
//! students adds one to the count of each pair of them. A pair's score
//! then weighs how much code they share by how much of their work it is
//! (see [`Pair::score`]), and the pairs above the threshold are returned,
//! highest first, each with its matching regions: runs of fingerprints that
//! follow each other in both submissions, mapped back to line ranges and
//! the source text of those lines, ready to be shown side by side.

use serde::{Deserialize, Serialize};

use crate::fingerprint::{DEFAULT_K, DEFAULT_WINDOW, Fingerprint};
use crate::index::{self, Document, FastMap, Index};
use crate::{Error, LabSources};

/// How the similarity search runs. [`Default`] is what the course uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarityOptions {
    /// The k-gram length, in normalised tokens; see
    /// [`DEFAULT_K`].
    pub k: usize,
    /// The winnowing window, in k-grams; see
    /// [`DEFAULT_WINDOW`].
    pub window: usize,
    /// The lowest [`Pair::score`] reported. The default, 15, asks for at
    /// least 15 shared fingerprints (about 100 tokens, ten lines or more of
    /// code beyond the stubs) when one side is all shared, and 30 when
    /// neither side is much shared. In a generated class of 300 (see
    /// [`testgen`](crate::testgen)) no pair of independent solutions
    /// scores above 10, and disguised copies score above 100.
    pub threshold: f64,
    /// A fingerprint held by more than this share of the class...
    pub common_share: f64,
    /// ...and by more than this many students is common, and dropped.
    pub common_min_students: usize,
    /// The most pairs reported per lab.
    pub max_pairs: usize,
    /// The most regions shown per pair, the largest first.
    pub max_regions: usize,
    /// The most lines of source shown per side of a region.
    pub max_excerpt_lines: usize,
}

impl Default for SimilarityOptions {
    fn default() -> Self {
        Self {
            k: DEFAULT_K,
            window: DEFAULT_WINDOW,
            threshold: 15.0,
            common_share: 0.10,
            common_min_students: 3,
            max_pairs: 50,
            max_regions: 10,
            max_excerpt_lines: 60,
        }
    }
}

impl SimilarityOptions {
    /// Checks that every option is in range.
    pub fn validate(&self) -> Result<(), Error> {
        if !(5..=200).contains(&self.k) {
            return Err(Error::Options(format!(
                "k = {} tokens: use 5 to 200 (the default is {DEFAULT_K}); shorter k-grams match by chance",
                self.k
            )));
        }
        if !(1..=100).contains(&self.window) {
            return Err(Error::Options(format!(
                "window = {}: use 1 to 100 (the default is {DEFAULT_WINDOW})",
                self.window
            )));
        }
        if !self.threshold.is_finite() || self.threshold < 0.0 {
            return Err(Error::Options(format!(
                "threshold = {}: use a score of 0 or more (the default is 15)",
                self.threshold
            )));
        }
        if !(self.common_share > 0.0 && self.common_share <= 1.0) {
            return Err(Error::Options(format!(
                "common_share = {}: use a share of the class above 0 and at most 1 (the default is 0.1)",
                self.common_share
            )));
        }
        Ok(())
    }
}

/// Lines of one file, part of a matching region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    /// The file, relative to the lab.
    pub file: String,
    /// The first line of the region, from 1.
    pub first_line: u32,
    /// The last line of the region.
    pub last_line: u32,
    /// The text of the lines shown, from `first_line` on.
    pub lines: Vec<String>,
    /// How many lines of the region are not shown (past
    /// [`SimilarityOptions::max_excerpt_lines`]).
    pub more_lines: u32,
}

/// Code that two submissions share: the same run of fingerprints, in order,
/// on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// The region in the first student's files.
    pub a: Excerpt,
    /// The region in the second student's files.
    pub b: Excerpt,
    /// How many fingerprints match in it.
    pub fingerprints: usize,
}

/// Two students who share code beyond the base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// One student.
    pub a: String,
    /// The other student.
    pub b: String,
    /// How many distinct fingerprints they share.
    pub shared: usize,
    /// How many distinct fingerprints `a` has beyond the base code.
    pub fingerprints_a: usize,
    /// How many distinct fingerprints `b` has beyond the base code.
    pub fingerprints_b: usize,
    /// The share of `a`'s fingerprints that `b` has too, 0 to 1.
    pub share_a: f64,
    /// The share of `b`'s fingerprints that `a` has too, 0 to 1.
    pub share_b: f64,
    /// `shared × (1 + max(share_a, share_b)) / 2`: the amount of shared
    /// code, counted in full when it is all of one side's work and at half
    /// weight when it is a small part of both. Two tiny identical solutions
    /// (5 fingerprints, all shared) score 5; a large copy with changes (200
    /// shared, half of each side) scores 150.
    pub score: f64,
    /// Lines of `a` inside a matching region.
    pub lines_a: usize,
    /// Lines of `b` inside a matching region.
    pub lines_b: usize,
    /// The matching regions, the largest first, at most
    /// [`SimilarityOptions::max_regions`].
    pub regions: Vec<Region>,
}

/// The result of the search on one lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabSimilarity {
    /// The lab.
    pub lab: String,
    /// How many submissions were compared.
    pub students: usize,
    /// The options used.
    pub options: SimilarityOptions,
    /// How many students hold fingerprints beyond the base code at all.
    pub students_with_code: usize,
    /// A fingerprint held by more students than this was common.
    pub common_limit: usize,
    /// How many distinct fingerprints were dropped as common.
    pub common_dropped: usize,
    /// How many pairs share at least one fingerprint.
    pub pairs_sharing: usize,
    /// The pairs at or above the threshold, highest score first.
    pub pairs: Vec<Pair>,
}

/// Consecutive fingerprints may skip this many in between and still be one
/// region: an edited line breaks a run of fingerprints, not a copy.
const REGION_GAP: usize = 3;
/// A fingerprint repeated in one submission is matched at most this many
/// times, so repetitive code cannot blow up the work.
const MAX_REPEATS: usize = 4;

/// Runs the similarity search on one lab.
pub fn similarity(lab: &LabSources, options: &SimilarityOptions) -> Result<LabSimilarity, Error> {
    options.validate()?;
    let base = index::Base::new(&lab.base, options.k);
    let docs = index::documents(&lab.students, &base, options.k, options.window);
    let limit = index::common_limit(
        docs.len(),
        options.common_share,
        options.common_min_students,
    );
    let index = Index::build(&docs, limit);

    // Every fingerprint adds one to each pair of its holders.
    let mut counts: FastMap<u64, u32> = FastMap::default();
    for holders in index.holders.values() {
        for (n, &a) in holders.iter().enumerate() {
            for &b in &holders[n + 1..] {
                *counts.entry(u64::from(a) << 32 | u64::from(b)).or_default() += 1;
            }
        }
    }

    let mut pairs: Vec<(usize, usize, Pair)> = Vec::new();
    for (&key, &shared) in &counts {
        let (a, b) = ((key >> 32) as usize, (key & 0xFFFF_FFFF) as usize);
        let (da, db) = (&docs[a], &docs[b]);
        let shared = shared as usize;
        let share_a = shared as f64 / da.distinct.len().max(1) as f64;
        let share_b = shared as f64 / db.distinct.len().max(1) as f64;
        let score = shared as f64 * (1.0 + share_a.max(share_b)) / 2.0;
        if score < options.threshold {
            continue;
        }
        pairs.push((
            a,
            b,
            Pair {
                a: da.student.clone(),
                b: db.student.clone(),
                shared,
                fingerprints_a: da.distinct.len(),
                fingerprints_b: db.distinct.len(),
                share_a,
                share_b,
                score,
                lines_a: 0,
                lines_b: 0,
                regions: Vec::new(),
            },
        ));
    }
    pairs.sort_by(|(_, _, x), (_, _, y)| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| x.a.cmp(&y.a))
            .then_with(|| x.b.cmp(&y.b))
    });
    pairs.truncate(options.max_pairs);
    let pairs = pairs
        .into_iter()
        .map(|(a, b, mut pair)| {
            let regions = regions(&docs[a], &docs[b], &index);
            pair.lines_a = covered_lines(regions.iter().map(|r| &r.a));
            pair.lines_b = covered_lines(regions.iter().map(|r| &r.b));
            pair.regions = regions
                .into_iter()
                .take(options.max_regions)
                .map(|r| r.excerpts(&docs[a], &docs[b], options.max_excerpt_lines))
                .collect();
            pair
        })
        .collect();

    Ok(LabSimilarity {
        lab: lab.lab.clone(),
        students: docs.len(),
        options: options.clone(),
        students_with_code: docs.iter().filter(|d| !d.distinct.is_empty()).count(),
        common_limit: limit,
        common_dropped: index.common_dropped,
        pairs_sharing: counts.len(),
        pairs,
    })
}

/// Runs the similarity search on every lab, one after the other (each one
/// uses every core).
pub fn similarity_all(
    labs: &[LabSources],
    options: &SimilarityOptions,
) -> Result<Vec<LabSimilarity>, Error> {
    labs.iter().map(|lab| similarity(lab, options)).collect()
}

/// Where a region lies in one submission, before its text is read.
#[derive(Debug, Clone, Copy)]
struct Span {
    file: u32,
    first_line: u32,
    last_line: u32,
}

impl Span {
    fn of(f: &Fingerprint) -> Self {
        Span {
            file: f.file,
            first_line: f.first_line,
            last_line: f.last_line,
        }
    }

    fn grow(&mut self, f: &Fingerprint) {
        self.first_line = self.first_line.min(f.first_line);
        self.last_line = self.last_line.max(f.last_line);
    }

    fn overlaps(&self, other: &Span) -> bool {
        self.file == other.file
            && self.first_line <= other.last_line
            && other.first_line <= self.last_line
    }

    fn excerpt(&self, doc: &Document, max_lines: usize) -> Excerpt {
        let file = &doc.files[self.file as usize];
        let count = (self.last_line - self.first_line + 1) as usize;
        let lines: Vec<String> = file
            .text
            .lines()
            .skip(self.first_line as usize - 1)
            .take(count.min(max_lines))
            .map(str::to_owned)
            .collect();
        Excerpt {
            file: file.path.clone(),
            first_line: self.first_line,
            last_line: self.last_line,
            more_lines: (count - lines.len()) as u32,
            lines,
        }
    }
}

/// A matching region, in fingerprint positions.
#[derive(Debug, Clone)]
struct Chain {
    last_a: usize,
    last_b: usize,
    a: Span,
    b: Span,
    fingerprints: usize,
}

impl Chain {
    fn excerpts(&self, a: &Document, b: &Document, max_lines: usize) -> Region {
        Region {
            a: self.a.excerpt(a, max_lines),
            b: self.b.excerpt(b, max_lines),
            fingerprints: self.fingerprints,
        }
    }
}

/// The regions `a` and `b` share, the largest first.
///
/// Every shared fingerprint of `a` is matched with its occurrences in `b`.
/// Walking `a` in order, a match extends a region when it follows the
/// region's last match closely on both sides, in the same files; otherwise
/// it starts a new one. Reordered functions become separate regions.
fn regions(a: &Document, b: &Document, index: &Index) -> Vec<Chain> {
    let shared = |hash: u64| {
        index.is_shared(hash)
            && a.distinct.binary_search(&hash).is_ok()
            && b.distinct.binary_search(&hash).is_ok()
    };
    let mut in_b: FastMap<u64, Vec<usize>> = FastMap::default();
    for (j, f) in b.fingerprints.iter().enumerate() {
        if shared(f.hash) {
            let at = in_b.entry(f.hash).or_default();
            if at.len() < MAX_REPEATS {
                at.push(j);
            }
        }
    }
    let mut open: Vec<Chain> = Vec::new();
    let mut done: Vec<Chain> = Vec::new();
    for (i, fa) in a.fingerprints.iter().enumerate() {
        let Some(js) = in_b.get(&fa.hash) else {
            continue;
        };
        // Regions that can no longer grow are finished.
        let (stale, fresh): (Vec<Chain>, Vec<Chain>) =
            open.into_iter().partition(|c| c.last_a + REGION_GAP < i);
        done.extend(stale);
        open = fresh;
        for &j in js {
            let fb = &b.fingerprints[j];
            let follows = |c: &Chain| {
                c.last_a < i
                    && c.last_b < j
                    && j - c.last_b <= REGION_GAP
                    && c.a.file == fa.file
                    && c.b.file == fb.file
            };
            match open
                .iter_mut()
                .filter(|c| follows(c))
                .min_by_key(|c| j - c.last_b)
            {
                Some(chain) => {
                    chain.last_a = i;
                    chain.last_b = j;
                    chain.a.grow(fa);
                    chain.b.grow(fb);
                    chain.fingerprints += 1;
                }
                None => open.push(Chain {
                    last_a: i,
                    last_b: j,
                    a: Span::of(fa),
                    b: Span::of(fb),
                    fingerprints: 1,
                }),
            }
        }
    }
    done.extend(open);
    done.sort_by(|x, y| {
        y.fingerprints
            .cmp(&x.fingerprints)
            .then(x.a.file.cmp(&y.a.file))
            .then(x.a.first_line.cmp(&y.a.first_line))
    });
    // A repeated fingerprint can make a smaller copy of a region that is
    // already there: keep the largest.
    let mut kept: Vec<Chain> = Vec::new();
    for chain in done {
        if !kept
            .iter()
            .any(|k| k.a.overlaps(&chain.a) && k.b.overlaps(&chain.b))
        {
            kept.push(chain);
        }
    }
    kept
}

/// How many distinct lines the spans cover.
fn covered_lines<'a>(spans: impl Iterator<Item = &'a Span>) -> usize {
    let mut spans: Vec<&Span> = spans.collect();
    spans.sort_by_key(|s| (s.file, s.first_line));
    let mut total = 0;
    let mut current: Option<Span> = None;
    for s in spans {
        match &mut current {
            Some(c) if c.file == s.file && s.first_line <= c.last_line + 1 => {
                c.last_line = c.last_line.max(s.last_line);
            }
            _ => {
                if let Some(c) = current {
                    total += (c.last_line - c.first_line + 1) as usize;
                }
                current = Some(*s);
            }
        }
    }
    if let Some(c) = current {
        total += (c.last_line - c.first_line + 1) as usize;
    }
    total
}
