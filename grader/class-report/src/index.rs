//! Which student holds which fingerprint, once the noise is out.
//!
//! Two kinds of shared code say nothing about copying, and both are taken
//! out before any pair is compared:
//! - the base code: every k-gram of the lab's stubs is excluded before
//!   winnowing, from every student, and so is every k-gram made only of
//!   given code moved around (see [`fingerprint::base_kgrams`]). Students
//!   who only kept the stubs then have no fingerprints at all, and those
//!   who filled them in keep only what they wrote;
//! - common code: a fingerprint that many students hold is the obvious way
//!   to write some tiny function (a getter, a `match` on three variants),
//!   not a copy. One held by more than [`crate::SimilarityOptions::common_min_students`]
//!   students and by more than [`crate::SimilarityOptions::common_share`]
//!   of the class is dropped, and the report says how many were.
//!
//! The index maps each fingerprint to the students holding it, so pairs are
//! found by walking the index once, never by comparing every pair of files.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fingerprint::{self, Fingerprint};
use crate::tokens;
use crate::{SourceFile, StudentFiles};

/// A hasher for keys that are already hashes, or small packed integers: a
/// multiply and a shift, far cheaper than the default SipHash, which
/// guards against inputs crafted to collide; fingerprints are not that.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        let h = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

/// A `HashMap` keyed by fingerprints or packed pairs.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A `HashSet` of fingerprints.
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// One student's code for one lab, fingerprinted.
#[derive(Debug, Clone)]
pub struct Document {
    /// The student.
    pub student: String,
    /// The student's files, sorted by path; [`Fingerprint::file`] indexes
    /// into this list.
    pub files: Vec<SourceFile>,
    /// The fingerprints not in the base code, in file and token order.
    pub fingerprints: Vec<Fingerprint>,
    /// The distinct hashes of [`Document::fingerprints`], sorted.
    pub distinct: Vec<u64>,
}

/// The handed-out code of a lab, as the hashes that recognise it.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// Every k-gram hash of the base code: not only the winnowed ones, so
    /// that a student's k-gram that is in the stubs is recognised wherever
    /// the student's own winnowing happens to select it.
    pub kgrams: FastSet<u64>,
    /// Every hash of a run of [`fingerprint::cover_len`] tokens of the base
    /// code, to recognise given code that was moved around.
    pub runs: FastSet<u64>,
}

impl Base {
    /// The hashes of the base files, for k-grams of `k` tokens.
    pub fn new(base: &[SourceFile], k: usize) -> Self {
        let mut out = Base::default();
        for file in base {
            let tokens = tokens::tokenize(&file.text);
            out.kgrams.extend(fingerprint::kgram_hashes(&tokens, k));
            out.runs.extend(fingerprint::kgram_hashes(
                &tokens,
                fingerprint::cover_len(k),
            ));
        }
        out
    }
}

/// Fingerprints one student's files, leaving out the base code.
pub fn document(student: &StudentFiles, base: &Base, k: usize, window: usize) -> Document {
    let mut files = student.files.clone();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut fingerprints = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let tokens = tokens::tokenize(&file.text);
        fingerprints.extend(fingerprint::fingerprints(
            i as u32,
            &tokens,
            k,
            window,
            |h| base.kgrams.contains(&h),
            |h| base.runs.contains(&h),
        ));
    }
    let mut distinct: Vec<u64> = fingerprints.iter().map(|f| f.hash).collect();
    distinct.sort_unstable();
    distinct.dedup();
    Document {
        student: student.student.clone(),
        files,
        fingerprints,
        distinct,
    }
}

/// Fingerprints every student, on as many threads as there are cores. The
/// documents come back in the order of `students`.
pub fn documents(students: &[StudentFiles], base: &Base, k: usize, window: usize) -> Vec<Document> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, students.len().max(1));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(students.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(student) = students.get(i) else {
                        break;
                    };
                    let doc = document(student, base, k, window);
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, doc));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, doc)| doc).collect()
}

/// The most students that may hold a fingerprint before it counts as
/// common: `min_students`, or `share` of the class if that is more.
pub fn common_limit(students: usize, share: f64, min_students: usize) -> usize {
    let by_share = (students as f64 * share).floor() as usize;
    by_share.max(min_students)
}

/// From fingerprint to the students (indices into the documents) that
/// hold it, common fingerprints left out.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// The students holding each fingerprint, in increasing order; only
    /// fingerprints held by two students or more, and by no more than
    /// [`Index::limit`].
    pub holders: FastMap<u64, Vec<u32>>,
    /// The most holders a fingerprint may have before it is common.
    pub limit: usize,
    /// How many distinct fingerprints were dropped as common.
    pub common_dropped: usize,
}

impl Index {
    /// Indexes the documents; a fingerprint held by more than `limit`
    /// students is dropped as common.
    pub fn build(documents: &[Document], limit: usize) -> Self {
        let mut all: FastMap<u64, Vec<u32>> = FastMap::default();
        for (i, doc) in documents.iter().enumerate() {
            for &hash in &doc.distinct {
                all.entry(hash).or_default().push(i as u32);
            }
        }
        let mut common_dropped = 0;
        all.retain(|_, holders| {
            if holders.len() > limit {
                common_dropped += 1;
                false
            } else {
                holders.len() >= 2
            }
        });
        Index {
            holders: all,
            limit,
            common_dropped,
        }
    }

    /// Whether `hash` is shared by a few students, common or unique ones
    /// left out.
    pub fn is_shared(&self, hash: u64) -> bool {
        self.holders.contains_key(&hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(distinct: &[u64]) -> Document {
        Document {
            student: String::new(),
            files: Vec::new(),
            fingerprints: Vec::new(),
            distinct: distinct.to_vec(),
        }
    }

    #[test]
    fn common_fingerprints_are_dropped() {
        let docs = [doc(&[1, 2, 3]), doc(&[1, 2]), doc(&[1, 4]), doc(&[1, 4])];
        let index = Index::build(&docs, 3);
        assert!(!index.is_shared(1), "held by 4 > 3");
        assert_eq!(index.holders[&2], [0, 1]);
        assert_eq!(index.holders[&4], [2, 3]);
        assert!(!index.is_shared(3), "held by one student only");
        assert_eq!(index.common_dropped, 1);
    }

    #[test]
    fn the_limit_grows_with_the_class() {
        assert_eq!(common_limit(20, 0.1, 3), 3);
        assert_eq!(common_limit(300, 0.1, 3), 30);
    }
}
