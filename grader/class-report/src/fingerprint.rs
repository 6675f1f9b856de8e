//! Fingerprints: hashed k-grams of normalised tokens, thinned by winnowing.
//!
//! Every run of `k` consecutive tokens (a k-gram) is hashed. Keeping all of
//! them would work but costs memory; keeping every n-th would miss copies
//! that are shifted by one token. Winnowing (Schleimer, Wilkerson and
//! Aiken, 2003) keeps, in every window of `w` consecutive k-gram hashes,
//! the smallest one (the rightmost on a tie). Two guarantees follow:
//! - any run of at least `w + k - 1` tokens that two files share yields at
//!   least one common fingerprint, wherever it sits in each file;
//! - nothing shorter than `k` tokens is ever a match, which filters noise.
//!
//! Each fingerprint keeps where it came from (file, token index, lines), so
//! a match can be shown in the source.

use crate::tokens::Token;

/// The default k-gram length, in normalised tokens.
///
/// A line of Rust is 8 to 12 tokens, and once identifiers are
/// placeholders, one or two lines in common (`let _ = _._(_)?;`) are what
/// any two solutions have. 25 tokens is about three lines: enough structure
/// to be unlikely by chance, short enough that a copied ten-line function
/// still yields several fingerprints.
pub const DEFAULT_K: usize = 25;

/// The default winnowing window, in k-grams.
///
/// With `w = 10` any shared run of `w + k - 1 = 34` tokens (four or five
/// lines) is guaranteed to be found, and about `2 / (w + 1)`, one k-gram in
/// five or six, is kept: a 300-line lab yields a few hundred fingerprints.
pub const DEFAULT_WINDOW: usize = 10;

/// One selected k-gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// The k-gram's hash.
    pub hash: u64,
    /// The file it comes from: an index into the submission's files.
    pub file: u32,
    /// The index of the k-gram's first token in that file's tokens.
    pub token: u32,
    /// The line of its first token.
    pub first_line: u32,
    /// The line of its last token.
    pub last_line: u32,
}

/// The multiplier of the rolling hash: any large odd number does.
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// A finaliser that spreads every input bit over the whole hash, so that
/// the smallest hash of a window is a fair, content-based choice.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The hash of every k-gram of `tokens`, in order: `tokens.len() - k + 1`
/// of them, none when there are fewer than `k` tokens. A rolling hash, so
/// the cost does not grow with `k`.
pub fn kgram_hashes(tokens: &[Token], k: usize) -> Vec<u64> {
    if k == 0 || tokens.len() < k {
        return Vec::new();
    }
    // BASE^(k-1): the weight of the token that leaves the window.
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut rolling = tokens[..k].iter().fold(0u64, |h, t| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(t.code))
    });
    let mut out = Vec::with_capacity(tokens.len() - k + 1);
    out.push(mix(rolling));
    for i in k..tokens.len() {
        let gone = u64::from(tokens[i - k].code).wrapping_mul(top);
        rolling = rolling
            .wrapping_sub(gone)
            .wrapping_mul(BASE)
            .wrapping_add(u64::from(tokens[i].code));
        out.push(mix(rolling));
    }
    out
}

/// Winnowing: the indices of the hashes selected, in order, each once.
///
/// In every window of `window` consecutive hashes the smallest is
/// selected, the rightmost one on a tie. Hashes whose index is `excluded`
/// (the base code's) are never selected, so the others keep their full
/// density next to them. Fewer hashes than a window: the smallest of them
/// all.
pub fn winnow(hashes: &[u64], window: usize, excluded: impl Fn(usize) -> bool) -> Vec<usize> {
    let window = window.max(1);
    let mut selected = Vec::new();
    if hashes.is_empty() {
        return selected;
    }
    let value = |i: usize| if excluded(i) { None } else { Some(hashes[i]) };
    // `None` (excluded) is worse than any hash; `better` prefers the right
    // on a tie, as `j` is always to the right of `i`.
    let better = |j: usize, i: Option<usize>| match (value(j), i.and_then(value)) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(b), Some(a)) => b <= a,
    };
    let last_start = hashes.len().saturating_sub(window);
    let mut best: Option<usize> = None;
    for start in 0..=last_start {
        let end = (start + window).min(hashes.len());
        match best {
            // The previous minimum is still inside: only the newcomer can
            // beat it.
            Some(b) if b >= start && start > 0 => {
                if better(end - 1, Some(b)) {
                    best = Some(end - 1);
                }
            }
            _ => {
                best = None;
                for i in start..end {
                    if better(i, best) {
                        best = Some(i);
                    }
                }
            }
        }
        if let Some(b) = best
            && value(b).is_some()
            && selected.last() != Some(&b)
        {
            selected.push(b);
        }
    }
    selected
}

/// The length of the short runs that decide which tokens are given code:
/// half a k-gram, at least 5 tokens.
pub fn cover_len(k: usize) -> usize {
    (k / 2).max(5)
}

/// Which k-grams of a file are base code, from the hashes of its k-grams
/// and of its runs of [`cover_len`] tokens (`short`, as
/// [`kgram_hashes`] gives them): a k-gram whose hash `in_base` knows, or
/// one whose every token lies in a short run that `in_base_short` knows.
///
/// The second rule catches the seams of given code moved around: swap two
/// given functions and the k-grams across their new boundary were never in
/// the stubs, yet every token of them is given code. Short runs, not whole
/// k-grams, decide, so that a given item shorter than a k-gram (a one-line
/// `impl`) counts as given wherever it is moved.
pub fn base_kgrams(
    hashes: &[u64],
    short: &[u64],
    k: usize,
    in_base: impl Fn(u64) -> bool,
    in_base_short: impl Fn(u64) -> bool,
) -> Vec<bool> {
    if hashes.is_empty() {
        return Vec::new();
    }
    let tokens = hashes.len() + k - 1;
    let run = tokens + 1 - short.len();
    // How many given short runs cover each token, by a running sum.
    let mut delta = vec![0i32; tokens + 1];
    for (i, _) in short.iter().enumerate().filter(|(_, h)| in_base_short(**h)) {
        delta[i] += 1;
        delta[i + run] -= 1;
    }
    // uncovered[i]: how many of the first i tokens no given run covers.
    let mut uncovered = Vec::with_capacity(tokens + 1);
    uncovered.push(0u32);
    let mut depth = 0;
    for d in &delta[..tokens] {
        depth += d;
        let last = *uncovered.last().unwrap_or(&0);
        uncovered.push(last + u32::from(depth == 0));
    }
    hashes
        .iter()
        .enumerate()
        .map(|(i, &h)| in_base(h) || uncovered[i + k] == uncovered[i])
        .collect()
}

/// The fingerprints of one file's tokens: k-grams hashed, the base code's
/// left out (see [`base_kgrams`]), the rest winnowed.
pub fn fingerprints(
    file: u32,
    tokens: &[Token],
    k: usize,
    window: usize,
    in_base: impl Fn(u64) -> bool,
    in_base_short: impl Fn(u64) -> bool,
) -> Vec<Fingerprint> {
    let hashes = kgram_hashes(tokens, k);
    let short = kgram_hashes(tokens, cover_len(k));
    let base = base_kgrams(&hashes, &short, k, in_base, in_base_short);
    winnow(&hashes, window, |i| base[i])
        .into_iter()
        .map(|i| Fingerprint {
            hash: hashes[i],
            file,
            token: i as u32,
            first_line: tokens[i].line,
            last_line: tokens[i + k - 1].line,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(codes: &[u32]) -> Vec<Token> {
        codes
            .iter()
            .enumerate()
            .map(|(i, &code)| Token {
                code,
                line: i as u32 / 4 + 1,
            })
            .collect()
    }

    #[test]
    fn rolling_hash_equals_direct_hash() {
        let t = tokens(&[5, 9, 2, 7, 7, 1, 3, 8]);
        let rolled = kgram_hashes(&t, 3);
        let direct: Vec<u64> = t
            .windows(3)
            .map(|w| {
                w.iter().fold(0u64, |h, t| {
                    h.wrapping_mul(BASE).wrapping_add(u64::from(t.code))
                })
            })
            .map(mix)
            .collect();
        assert_eq!(rolled, direct);
    }

    #[test]
    fn winnowing_selects_the_minimum_of_every_window() {
        let hashes = [
            77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98,
        ];
        let selected = winnow(&hashes, 4, |_| false);
        let values: Vec<u64> = selected.iter().map(|&i| hashes[i]).collect();
        // The example of the paper: 17 17 8 39 17.
        assert_eq!(values, [17, 17, 8, 39, 17]);
        for start in 0..=hashes.len() - 4 {
            let min = *hashes[start..start + 4].iter().min().unwrap();
            assert!(
                selected
                    .iter()
                    .any(|&i| i >= start && i < start + 4 && hashes[i] == min)
            );
        }
    }

    #[test]
    fn excluded_hashes_are_never_selected() {
        let hashes = [5, 1, 9, 8, 7, 1, 6];
        let selected = winnow(&hashes, 3, |i| hashes[i] == 1);
        assert!(selected.iter().all(|&i| hashes[i] != 1));
        assert!(!selected.is_empty());
    }

    #[test]
    fn given_code_moved_around_stays_base_code() {
        let first: Vec<u32> = (100..130).collect();
        let tiny: Vec<u32> = (300..306).collect();
        let second: Vec<u32> = (200..230).collect();
        let base: Vec<u32> = first.iter().chain(&tiny).chain(&second).copied().collect();
        let own: Vec<u32> = (900..930).collect();
        // The given parts in another order, and own code after them.
        let student: Vec<u32> = second
            .iter()
            .chain(&first)
            .chain(&tiny)
            .chain(&own)
            .copied()
            .collect();
        let (k, short) = (10, cover_len(10));
        let set = |len: usize| -> std::collections::HashSet<u64> {
            kgram_hashes(&tokens(&base), len).into_iter().collect()
        };
        let (base_k, base_short) = (set(k), set(short));
        let t = tokens(&student);
        let is_base = base_kgrams(
            &kgram_hashes(&t, k),
            &kgram_hashes(&t, short),
            k,
            |h| base_k.contains(&h),
            |h| base_short.contains(&h),
        );
        // Every k-gram before the own code starts is base code, the seam
        // between the swapped parts included; those touching own code not.
        for (i, b) in is_base.iter().enumerate() {
            assert_eq!(*b, i + k <= 66, "k-gram {i}");
        }
    }

    #[test]
    fn a_shared_run_is_found_wherever_it_sits() {
        let shared: Vec<u32> = (100..160).collect();
        let mut a: Vec<u32> = (1..40).collect();
        a.extend(&shared);
        let mut b: Vec<u32> = (500..517).collect();
        b.extend(&shared);
        b.extend(600..650);
        let fa = fingerprints(0, &tokens(&a), 10, 5, |_| false, |_| false);
        let fb = fingerprints(0, &tokens(&b), 10, 5, |_| false, |_| false);
        assert!(fa.iter().any(|x| fb.iter().any(|y| x.hash == y.hash)));
    }
}
