//! A generated class, built from the course's own stubs and reference
//! solutions, to test the report and time it at scale.
//!
//! A real class has a few kinds of submission, and the similarity search
//! must tell them apart:
//! - stubs only: the lab was not started;
//! - independent work: here, the stubs with every `todo!()` replaced by
//!   code generated from a small grammar of Rust statements, seeded per
//!   student, so that no two students write the same thing;
//! - partial work: some files solved, the others still stubs;
//! - copies: one source (the reference solution, or another student's
//!   work) disguised the way students disguise a copy: identifiers
//!   renamed, top-level items reordered, comments rewritten, literals
//!   changed. The program stays the same.
//!
//! Everything is seeded: the same seed gives the same class.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::{
    CheckStat, ClassSummary, Error, LabInfo, LabSources, SourceFile, StudentFiles, StudentRow,
};

/// The labs of the course, in the order they are taught.
pub const LABS: [&str; 5] = ["security", "errors", "performance", "design", "server"];

/// The repository this crate sits in: its `labs/` and `solutions/`.
pub fn course_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// One lab of the course: what students are handed, and the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseLab {
    /// The lab's name.
    pub name: String,
    /// The stub files, `labs/<lab>/src/**/*.rs`, as `src/...` paths.
    pub stub: Vec<SourceFile>,
    /// The stub files with the reference solution's files in their place.
    pub reference: Vec<SourceFile>,
}

/// The course's labs, read from the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    /// Every lab, in [`LABS`] order.
    pub labs: Vec<CourseLab>,
}

impl Course {
    /// Reads the labs from the repository this crate is built in.
    pub fn load() -> Result<Course, Error> {
        Course::load_from(&course_root())
    }

    /// Reads the labs from the course checkout at `root`.
    pub fn load_from(root: &Path) -> Result<Course, Error> {
        let labs = LABS
            .iter()
            .map(|name| {
                let stub = read_sources(&root.join("labs").join(name))?;
                let solution = read_sources(&root.join("solutions").join(name))?;
                let mut reference = stub.clone();
                // The server's solution compiles the given modules from the
                // lab folder with `#[path]`; its own lib.rs is no answer.
                for file in solution.into_iter().filter(|f| !f.text.contains("#[path")) {
                    match reference.iter_mut().find(|r| r.path == file.path) {
                        Some(slot) => *slot = file,
                        None => reference.push(file),
                    }
                }
                reference.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(CourseLab {
                    name: (*name).to_owned(),
                    stub,
                    reference,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Course { labs })
    }

    /// The lab called `name`.
    pub fn lab(&self, name: &str) -> Option<&CourseLab> {
        self.labs.iter().find(|lab| lab.name == name)
    }
}

/// Every `.rs` file under `dir/src`, as `src/...` paths, sorted.
fn read_sources(dir: &Path) -> Result<Vec<SourceFile>, Error> {
    let mut out = Vec::new();
    let mut pending = vec![dir.join("src")];
    while let Some(folder) = pending.pop() {
        let entries = fs::read_dir(&folder).map_err(|source| Error::Read {
            path: folder.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| Error::Read {
                    path: folder.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                out.push(SourceFile::new(
                    relative.to_string_lossy().replace('\\', "/"),
                    text,
                ));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A small, seeded random number generator (SplitMix64): the class must be
/// the same on every machine and every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed, and any number of values mixed in (a
    /// student's index, a lab's number...).
    pub fn new(seed: u64, salt: &[u64]) -> Self {
        let mut rng = Rng(seed);
        for &s in salt {
            rng.0 ^= s.wrapping_mul(0xD6E8_FEB8_6659_FD93);
            rng.next_u64();
        }
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// What a lexeme is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ident,
    Literal,
    Punct(char),
    Open(Delimiter),
    Close(Delimiter),
}

/// One token of a file, with its text and where it sits.
#[derive(Debug, Clone)]
struct Lexeme {
    kind: Kind,
    text: String,
    range: Range<usize>,
    depth: usize,
}

/// The tokens of `text` with their byte ranges, or `None` if it does not
/// lex. Doc comments come out as `#[doc = ...]` tokens whose ranges cover
/// the comment; callers check the source text before editing a token.
fn lex(text: &str) -> Option<Vec<Lexeme>> {
    let stream = TokenStream::from_str(text).ok()?;
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<TokenTree>, usize, Option<Lexeme>)> =
        vec![(stream.into_iter().collect(), 0, None)];
    loop {
        let depth = stack.len().saturating_sub(1);
        let Some((trees, i, close)) = stack.last_mut() else {
            break;
        };
        let Some(tree) = trees.get(*i).cloned() else {
            let close = close.take();
            stack.pop();
            out.extend(close);
            continue;
        };
        *i += 1;
        match tree {
            TokenTree::Ident(t) => out.push(Lexeme {
                kind: Kind::Ident,
                text: t.to_string(),
                range: t.span().byte_range(),
                depth,
            }),
            TokenTree::Literal(t) => out.push(Lexeme {
                kind: Kind::Literal,
                text: t.to_string(),
                range: t.span().byte_range(),
                depth,
            }),
            TokenTree::Punct(t) => out.push(Lexeme {
                kind: Kind::Punct(t.as_char()),
                text: t.as_char().to_string(),
                range: t.span().byte_range(),
                depth,
            }),
            TokenTree::Group(g) => {
                let d = g.delimiter();
                out.push(Lexeme {
                    kind: Kind::Open(d),
                    text: String::new(),
                    range: g.span_open().byte_range(),
                    depth,
                });
                let close = Lexeme {
                    kind: Kind::Close(d),
                    text: String::new(),
                    range: g.span_close().byte_range(),
                    depth,
                };
                stack.push((g.stream().into_iter().collect(), 0, Some(close)));
            }
        }
    }
    proc_macro2::extra::invalidate_current_thread_spans();
    Some(out)
}

/// Applies `(range, replacement)` edits to `text`; the ranges must not
/// overlap.
fn apply(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Words that generated names are made of.
const WORDS: &[&str] = &[
    "item", "value", "entry", "slot", "count", "limit", "total", "result", "current", "next",
    "buffer", "state", "input", "output", "key", "name", "list", "found", "pending", "ready",
    "guard", "index", "step", "acc", "tmp", "data", "row", "field", "part", "chunk", "node",
    "cursor", "target", "source", "window", "budget", "delay", "attempt", "reason", "message",
];

/// A fresh snake_case name, not in `taken`.
fn fresh_name(rng: &mut Rng, taken: &std::collections::HashSet<String>) -> String {
    loop {
        let name = format!("{}_{}", rng.pick(WORDS), rng.pick(WORDS));
        if !taken.contains(&name) {
            return name;
        }
    }
}

/// Renames local names consistently throughout one file: `let` and `for`
/// bindings, function parameters and private free functions. Names that are
/// also used as fields or methods (after a `.`) are left alone, so that
/// renaming a local does not break a field of the same name.
pub fn rename_identifiers(text: &str, seed: u64) -> String {
    let Some(lexemes) = lex(text) else {
        return text.to_owned();
    };
    let is = |i: usize, word: &str| lexemes.get(i).is_some_and(|l| l.text == word);
    let is_punct = |i: usize, c: char| lexemes.get(i).is_some_and(|l| l.kind == Kind::Punct(c));
    let mut names = std::collections::BTreeSet::new();
    let mut after_dot = std::collections::HashSet::new();
    // Where each function's parameter list opens, and its depth.
    let mut params_open: Vec<usize> = Vec::new();
    for (i, l) in lexemes.iter().enumerate() {
        if l.kind != Kind::Ident {
            continue;
        }
        if i > 0 && is_punct(i - 1, '.') {
            after_dot.insert(l.text.clone());
        }
        let next_ident = |mut j: usize| {
            while is(j, "mut") || is(j, "ref") {
                j += 1;
            }
            lexemes
                .get(j)
                .filter(|n| n.kind == Kind::Ident)
                .map(|n| n.text.clone())
        };
        match l.text.as_str() {
            "let" | "for" => names.extend(next_ident(i + 1)),
            "fn" => {
                // Skip `const`, `async`, `unsafe`, `extern "C"` back to the
                // visibility, if any: `pub` or the `)` of `pub(crate)`.
                let mut before = i;
                while before > 0
                    && (["const", "async", "unsafe", "extern"]
                        .contains(&lexemes[before - 1].text.as_str())
                        || lexemes[before - 1].kind == Kind::Literal)
                {
                    before -= 1;
                }
                let public = before > 0
                    && (lexemes[before - 1].text == "pub"
                        || lexemes[before - 1].kind == Kind::Close(Delimiter::Parenthesis));
                let private = !public && l.depth == 0;
                if private && !is(i + 1, "main") {
                    names.extend(next_ident(i + 1));
                }
                if let Some(j) = (i + 2..lexemes.len().min(i + 40))
                    .find(|&j| lexemes[j].kind == Kind::Open(Delimiter::Parenthesis))
                {
                    params_open.push(j);
                }
            }
            _ => {}
        }
    }
    // Parameters: `name:` right after the list's `(` or a `,`, at its depth.
    for open in params_open {
        let depth = lexemes[open].depth + 1;
        let mut j = open + 1;
        while let Some(l) = lexemes.get(j) {
            if l.depth < depth {
                break;
            }
            if l.depth == depth && l.kind == Kind::Ident {
                let starts = matches!(lexemes[j - 1].kind, Kind::Open(_) | Kind::Punct(','))
                    || lexemes[j - 1].text == "mut";
                let colon = is_punct(j + 1, ':') && !is_punct(j + 2, ':');
                if starts && colon {
                    names.insert(l.text.clone());
                }
            }
            j += 1;
        }
    }
    let keep = |n: &String| {
        !after_dot.contains(n)
            && n != "self"
            && n != "_"
            && !n.starts_with('_')
            && n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
    };
    let mut taken: std::collections::HashSet<String> =
        lexemes.iter().map(|l| l.text.clone()).collect();
    let mut rng = Rng::new(seed, &[1]);
    let renames: std::collections::HashMap<String, String> = names
        .into_iter()
        .filter(keep)
        .map(|n| {
            let new = fresh_name(&mut rng, &taken);
            taken.insert(new.clone());
            (n, new)
        })
        .collect();
    let edits = lexemes
        .iter()
        .enumerate()
        // Not a field or a method (`.name`), a path's item (`T::name`), a
        // path's module (`name::x`) or a macro (`name!`).
        .filter(|(i, l)| {
            l.kind == Kind::Ident
                && !(*i > 0 && is_punct(i - 1, '.'))
                && !(*i > 1 && is_punct(i - 1, ':') && is_punct(i - 2, ':'))
                && !is_punct(i + 1, '!')
                && !(is_punct(i + 1, ':') && is_punct(i + 2, ':'))
        })
        .filter(|(_, l)| text.get(l.range.clone()) == Some(l.text.as_str()))
        .filter_map(|(_, l)| Some((l.range.clone(), renames.get(&l.text)?.clone())));
    // Names captured by format strings: `"{name}"`, `"{name:?}"`.
    let captures = lexemes
        .iter()
        .filter(|l| l.kind == Kind::Literal && l.text.starts_with('"') && l.text.contains('{'))
        .filter(|l| text.get(l.range.clone()) == Some(l.text.as_str()))
        .filter_map(|l| {
            let mut literal = l.text.clone();
            for (old, new) in &renames {
                for close in ['}', ':'] {
                    literal =
                        literal.replace(&format!("{{{old}{close}"), &format!("{{{new}{close}"));
                }
            }
            (literal != l.text).then(|| (l.range.clone(), literal))
        });
    apply(text, edits.chain(captures).collect())
}

/// Reorders the top-level items of a file (functions, impls, types...),
/// each moving with the comments above it. `use` lines, `mod` declarations
/// and inner attributes stay where they are.
pub fn reorder_items(text: &str, seed: u64) -> String {
    let Some(lexemes) = lex(text) else {
        return text.to_owned();
    };
    // Top-level items as (first byte, last byte, movable).
    let mut items: Vec<(usize, usize, bool)> = Vec::new();
    let mut start: Option<usize> = None;
    let mut braced = false;
    let mut movable = false;
    let mut inner_attribute = false;
    for (i, l) in lexemes.iter().enumerate() {
        if l.depth != 0 {
            continue;
        }
        let first = *start.get_or_insert(l.range.start);
        if first == l.range.start
            && l.kind == Kind::Punct('#')
            && lexemes
                .get(i + 1)
                .is_some_and(|n| n.kind == Kind::Punct('!'))
        {
            inner_attribute = true;
        }
        if l.kind == Kind::Ident {
            match l.text.as_str() {
                "fn" | "impl" | "trait" | "enum" | "struct" | "union" | "mod" | "macro_rules" => {
                    braced = true;
                    movable |= l.text != "mod";
                }
                "const" | "static" | "type" => movable = true,
                _ => {}
            }
        }
        let ends = match l.kind {
            Kind::Punct(';') => true,
            Kind::Close(Delimiter::Brace) => braced,
            Kind::Close(Delimiter::Bracket) => inner_attribute,
            _ => false,
        };
        if ends {
            items.push((first, l.range.end, movable && !inner_attribute));
            start = None;
            braced = false;
            movable = false;
            inner_attribute = false;
        }
    }
    // Chunks: from the end of the previous item's last line to the end of
    // this item's last line, so comments above an item go with it.
    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
    let mut chunks: Vec<(String, bool)> = Vec::new();
    let mut cut = 0;
    for (first, last, movable) in items {
        if first < cut {
            // It starts on the line the previous item ended on: one chunk.
            if let Some(chunk) = chunks.last_mut() {
                let end = line_end(last).max(cut);
                chunk.0.push_str(&text[cut..end]);
                chunk.1 = false;
                cut = end;
            }
            continue;
        }
        let end = line_end(last);
        let mut chunk = text[cut..end].to_owned();
        if !chunk.ends_with('\n') {
            chunk.push('\n');
        }
        chunks.push((chunk, movable));
        cut = end;
    }
    let tail = &text[cut..];
    let mut moving: Vec<String> = chunks
        .iter()
        .filter(|(_, m)| *m)
        .map(|(c, _)| c.clone())
        .collect();
    Rng::new(seed, &[2]).shuffle(&mut moving);
    let mut moving = moving.into_iter();
    let mut out = String::with_capacity(text.len() + 1);
    for (chunk, movable) in chunks {
        if movable {
            out.push_str(&moving.next().unwrap_or_default());
        } else {
            out.push_str(&chunk);
        }
    }
    out.push_str(tail);
    out
}

/// Comments a student might write.
const COMMENTS: &[&str] = &[
    "check the input first",
    "this is the tricky part",
    "handle the edge case",
    "see the lecture notes",
    "keep it simple",
    "TODO: clean up later",
    "works for the tests",
    "early return when there is nothing to do",
    "loop over everything",
    "not sure about this one",
    "the helper does the real work",
    "same as before but for the other case",
];

/// Rewrites the comments of a file: drops some line comments, rewords
/// others and some doc comments, and adds new ones between statements.
pub fn rewrite_comments(text: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed, &[3]);
    // Lines inside a multi-line literal must not change.
    let mut frozen = std::collections::HashSet::new();
    if let Some(lexemes) = lex(text) {
        for l in lexemes.iter().filter(|l| l.kind == Kind::Literal) {
            let first = text[..l.range.start].matches('\n').count();
            let last = first + text[l.range.clone()].matches('\n').count();
            frozen.extend(first + 1..=last);
        }
    }
    let mut out = String::with_capacity(text.len() + 256);
    let mut previous = "";
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if !frozen.contains(&n) {
            if trimmed.starts_with("///") {
                if rng.chance(0.3) {
                    out.push_str(&format!("{indent}/// {}\n", rng.pick(COMMENTS)));
                    continue;
                }
            } else if trimmed.starts_with("//") && !trimmed.starts_with("//!") {
                if rng.chance(0.5) {
                    continue;
                }
                if rng.chance(0.5) {
                    out.push_str(&format!("{indent}// {}\n", rng.pick(COMMENTS)));
                    continue;
                }
            } else if !trimmed.is_empty()
                && previous.trim_end().ends_with(['{', ';', '}'])
                && rng.chance(0.1)
            {
                out.push_str(&format!("{indent}// {}\n", rng.pick(COMMENTS)));
            }
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// Changes literals: some integers get another value, some strings another
/// wording (a prefix), keeping each literal's kind and suffix.
pub fn change_literals(text: &str, seed: u64) -> String {
    let Some(lexemes) = lex(text) else {
        return text.to_owned();
    };
    let mut rng = Rng::new(seed, &[4]);
    let prefixes = ["note: ", "error: ", "oops, ", "failed: ", "hint: "];
    let mut edits = Vec::new();
    for l in lexemes.iter().filter(|l| l.kind == Kind::Literal) {
        if text.get(l.range.clone()) != Some(l.text.as_str()) {
            continue;
        }
        let digits: String = l.text.chars().take_while(char::is_ascii_digit).collect();
        let rest = &l.text[digits.len()..];
        if !digits.is_empty() && !rest.starts_with(['.', 'x', 'b', 'o', 'e', '_']) {
            if let Ok(value) = digits.parse::<u64>()
                && value < 1_000_000
                && rng.chance(0.4)
            {
                let new = if rng.chance(0.5) {
                    value + 1
                } else {
                    value * 2
                };
                edits.push((l.range.clone(), format!("{new}{rest}")));
            }
        } else if l.text.starts_with('"') && rng.chance(0.4) {
            edits.push((
                l.range.clone(),
                format!("\"{}{}", rng.pick(&prefixes), &l.text[1..]),
            ));
        }
    }
    apply(text, edits)
}

/// A copy disguised: every file that differs from the handed-out `base`
/// renamed, reordered, recommented and with changed literals. The same
/// program, a different text. Files still as handed out are left alone:
/// nobody disguises code they did not write.
pub fn disguise(files: &[SourceFile], base: &[SourceFile], seed: u64) -> Vec<SourceFile> {
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            if base.contains(file) {
                return file.clone();
            }
            let seed = seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let text = rename_identifiers(&file.text, seed);
            let text = reorder_items(&text, seed);
            let text = change_literals(&text, seed);
            let text = rewrite_comments(&text, seed);
            SourceFile::new(file.path.clone(), text)
        })
        .collect()
}

/// Independent work: the stubs with every `todo!(...)` replaced by a body
/// generated for this `seed` alone.
pub fn independent(stub: &[SourceFile], seed: u64) -> Vec<SourceFile> {
    stub.iter()
        .enumerate()
        .map(|(i, file)| {
            let mut rng = Rng::new(seed, &[5, i as u64]);
            SourceFile::new(file.path.clone(), fill_todos(&file.text, &mut rng))
        })
        .collect()
}

/// Replaces each `todo!(...)` of `text` by a generated block.
fn fill_todos(text: &str, rng: &mut Rng) -> String {
    let Some(lexemes) = lex(text) else {
        return text.to_owned();
    };
    let mut edits = Vec::new();
    for (i, l) in lexemes.iter().enumerate() {
        let is_todo = l.kind == Kind::Ident
            && l.text == "todo"
            && lexemes
                .get(i + 1)
                .is_some_and(|n| n.kind == Kind::Punct('!'))
            && lexemes
                .get(i + 2)
                .is_some_and(|n| n.kind == Kind::Open(Delimiter::Parenthesis));
        if !is_todo {
            continue;
        }
        let depth = lexemes[i + 2].depth;
        let Some(close) = lexemes[i + 3..]
            .iter()
            .find(|n| n.depth == depth && n.kind == Kind::Close(Delimiter::Parenthesis))
        else {
            continue;
        };
        let line_start = text[..l.range.start].rfind('\n').map_or(0, |n| n + 1);
        let indent: String = text[line_start..l.range.start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let mut body = Body {
            rng,
            out: String::new(),
            indent,
        };
        body.block();
        edits.push((l.range.start..close.range.end, body.out));
    }
    apply(text, edits)
}

/// A generator of plausible Rust: statements, expressions, conditions.
struct Body<'a> {
    rng: &'a mut Rng,
    out: String,
    indent: String,
}

impl Body<'_> {
    fn name(&mut self) -> String {
        let a = *self.rng.pick(WORDS);
        if self.rng.chance(0.5) {
            a.to_owned()
        } else {
            format!("{a}_{}", self.rng.pick(WORDS))
        }
    }

    fn line(&mut self, level: usize, text: &str) {
        self.out.push('\n');
        self.out.push_str(&self.indent);
        for _ in 0..level {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
    }

    fn block(&mut self) {
        self.out.push('{');
        let statements = 3 + self.rng.below(8);
        for _ in 0..statements {
            self.statement(1);
        }
        let last = match self.rng.below(4) {
            0 => format!("Ok({})", self.expr(0)),
            1 => self.expr(0),
            2 => format!("{}.into()", self.name()),
            _ => format!("Some({})", self.expr(1)),
        };
        self.line(1, &last);
        self.line(0, "}");
    }

    fn statement(&mut self, level: usize) {
        let deeper = level < 3;
        match self.rng.below(if deeper { 10 } else { 5 }) {
            0 | 1 => {
                let s = format!("let {} = {};", self.name(), self.expr(0));
                self.line(level, &s);
            }
            2 => {
                let s = format!("let mut {}: {} = {};", self.name(), self.ty(), self.expr(0));
                self.line(level, &s);
            }
            3 => {
                let s = format!("{} += {};", self.name(), self.expr(1));
                self.line(level, &s);
            }
            4 => {
                let s = format!("{}.push({});", self.name(), self.expr(1));
                self.line(level, &s);
            }
            5 => {
                let s = format!("if {} {{", self.condition());
                self.line(level, &s);
                self.statements(level + 1);
                if self.rng.chance(0.5) {
                    self.line(level, "} else {");
                    self.statements(level + 1);
                }
                self.line(level, "}");
            }
            6 => {
                let s = format!("for {} in {} {{", self.name(), self.expr(1));
                self.line(level, &s);
                self.statements(level + 1);
                self.line(level, "}");
            }
            7 => {
                let s = format!("match {} {{", self.expr(1));
                self.line(level, &s);
                for _ in 0..1 + self.rng.below(3) {
                    let pattern = self.pattern();
                    let e = self.expr(1);
                    self.line(level + 1, &format!("{pattern} => {e},"));
                }
                let e = self.expr(1);
                self.line(level + 1, &format!("_ => {e},"));
                self.line(level, "}");
            }
            8 => {
                let s = format!("while {} {{", self.condition());
                self.line(level, &s);
                self.statements(level + 1);
                self.line(level + 1, "break;");
                self.line(level, "}");
            }
            _ => {
                let s = format!(
                    "return Err({}::new({}, format!(\"{} {{}}\", {})));",
                    self.name(),
                    self.expr(1),
                    self.rng.pick(COMMENTS),
                    self.name()
                );
                self.line(level, &s);
            }
        }
    }

    fn statements(&mut self, level: usize) {
        for _ in 0..1 + self.rng.below(3) {
            self.statement(level);
        }
    }

    fn ty(&mut self) -> String {
        match self.rng.below(5) {
            0 => "usize".to_owned(),
            1 => "Vec<String>".to_owned(),
            2 => "Option<u64>".to_owned(),
            3 => "HashMap<String, usize>".to_owned(),
            _ => "bool".to_owned(),
        }
    }

    fn pattern(&mut self) -> String {
        match self.rng.below(4) {
            0 => format!("Some({})", self.name()),
            1 => format!("{}", self.rng.below(10)),
            2 => format!("\"{}\"", self.rng.pick(WORDS)),
            _ => format!("Err({})", self.name()),
        }
    }

    fn condition(&mut self) -> String {
        match self.rng.below(5) {
            0 => format!("{}.is_empty()", self.name()),
            1 => format!("!{}", self.name()),
            2 => format!("let Some({}) = {}", self.name(), self.expr(1)),
            3 => format!("{} > {}", self.expr(1), self.expr(2)),
            _ => format!("{} == {} && {}", self.name(), self.expr(2), self.name()),
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        let leaf = depth >= 2;
        match self.rng.below(if leaf { 3 } else { 9 }) {
            0 => self.name(),
            1 => self.rng.below(1000).to_string(),
            2 => format!("&{}", self.name()),
            3 => {
                let mut e = self.name();
                for _ in 0..1 + self.rng.below(3) {
                    let args = if self.rng.chance(0.5) {
                        String::new()
                    } else {
                        self.expr(depth + 1)
                    };
                    e = format!("{e}.{}({args})", self.name());
                }
                e
            }
            4 => format!(
                "{}({}, {})",
                self.name(),
                self.expr(depth + 1),
                self.expr(2)
            ),
            5 => format!(
                "{}.iter().map(|{}| {}).collect::<Vec<_>>()",
                self.name(),
                self.name(),
                self.expr(depth + 1)
            ),
            6 => format!("{} + {}", self.expr(depth + 1), self.expr(2)),
            7 => format!("{}[{}]", self.name(), self.expr(2)),
            _ => format!("{}?", self.expr(depth + 1)),
        }
    }
}

/// One check of a generated lab: its name, points, hint and how hard it
/// is (the chance a student who did the work fails it anyway).
struct CheckSpec {
    name: &'static str,
    points: u32,
    hint: &'static str,
    difficulty: f64,
}

const fn check(name: &'static str, points: u32, difficulty: f64, hint: &'static str) -> CheckSpec {
    CheckSpec {
        name,
        points,
        hint,
        difficulty,
    }
}

/// The checks of each lab, in [`LABS`] order.
const CHECKS: [&[CheckSpec]; 5] = [
    &[
        check(
            "sql_rejects_writes",
            10,
            0.1,
            "Parse the SQL and reject every statement that is not a SELECT, including ones hidden after a semicolon.",
        ),
        check(
            "sql_forbidden_functions",
            10,
            0.4,
            "Walk the whole expression tree: a forbidden function can hide inside a subquery or a CASE.",
        ),
        check(
            "paths_stay_in_root",
            15,
            0.5,
            "Resolve the path before comparing: `..`, absolute paths and symlinks all leave the root.",
        ),
        check(
            "permissions_default_deny",
            10,
            0.2,
            "A tool missing from the table is denied, not allowed.",
        ),
        check(
            "rate_limit_refills",
            15,
            0.45,
            "Refill the bucket from the elapsed time, capped at its capacity.",
        ),
        check(
            "audit_redacts_secrets",
            10,
            0.3,
            "Redact by key name at every depth of the JSON, arrays included.",
        ),
    ],
    &[
        check(
            "codes_retryable",
            5,
            0.05,
            "Only Timeout, RateLimited and Unavailable are transient.",
        ),
        check(
            "convert_io_errors",
            15,
            0.35,
            "Map each io::ErrorKind to the code a model can act on; keep the cause out of the message.",
        ),
        check(
            "retry_backoff",
            15,
            0.5,
            "Double the delay each attempt, add jitter, and stop at the first non-retryable error.",
        ),
        check(
            "timeout_cancels",
            10,
            0.4,
            "Use tokio::time::timeout on the future itself: a spawned task runs on after the deadline.",
        ),
        check(
            "tool_error_json",
            15,
            0.25,
            "The JSON has code, message and details, and nothing else.",
        ),
    ],
    &[
        check(
            "batch_keeps_order",
            10,
            0.3,
            "Tag each job with its index and put each result back in its slot.",
        ),
        check(
            "batch_limits_concurrency",
            10,
            0.45,
            "Acquire a semaphore permit before starting a job, not inside it.",
        ),
        check(
            "cache_expires",
            15,
            0.4,
            "Compare the entry's age with the TTL on every read, not only on writes.",
        ),
        check(
            "cache_single_flight",
            15,
            0.7,
            "Concurrent misses on one key must share one load: keep the pending load in the map.",
        ),
        check(
            "pool_reuses_connections",
            10,
            0.35,
            "Return the connection to the pool when the guard drops.",
        ),
        check(
            "json_rows_perf",
            10,
            0.6,
            "Serialize rows straight into one buffer; avoid a Value per cell.",
        ),
    ],
    &[
        check(
            "names_validated",
            10,
            0.15,
            "Tool names are lowercase snake_case, 1 to 64 characters.",
        ),
        check(
            "schema_generated",
            15,
            0.4,
            "Derive the input schema from the argument type with schemars, do not write it by hand.",
        ),
        check(
            "registry_rejects_duplicates",
            10,
            0.25,
            "Registering a name twice is an error, not a silent replace.",
        ),
        check(
            "plugin_lifecycle",
            10,
            0.45,
            "Call init before the first call and shutdown once, in reverse order.",
        ),
        check(
            "compose_middleware",
            15,
            0.55,
            "Apply middleware outermost first, so the first added sees the request first.",
        ),
    ],
    &[
        check(
            "auth_rejects_bad_tokens",
            15,
            0.3,
            "Compare tokens in constant time and reject a missing header with 401.",
        ),
        check(
            "pipeline_order",
            20,
            0.55,
            "Authenticate, then authorize, then rate-limit, then validate, then run: in that order.",
        ),
        check(
            "rows_streamed",
            10,
            0.4,
            "Stream rows to the client; do not collect the whole result first.",
        ),
        check(
            "tail_follows_file",
            15,
            0.6,
            "Remember the offset and read only what was appended since.",
        ),
        check(
            "server_conformance",
            20,
            0.5,
            "Answer initialize, tools/list and tools/call as the MCP specification says.",
        ),
    ],
];

/// A pair of students who share code by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCopy {
    /// The lab.
    pub lab: String,
    /// One student.
    pub a: String,
    /// The other student.
    pub b: String,
}

/// A generated class: the grades, the files and the truth about copies.
#[derive(Debug, Clone)]
pub struct GeneratedClass {
    /// The grades, as the grader would summarise them.
    pub summary: ClassSummary,
    /// Each lab's base code and submissions.
    pub labs: Vec<LabSources>,
    /// Every pair that shares code by construction.
    pub copies: Vec<KnownCopy>,
}

/// What one student handed in for one lab.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Work {
    Stub,
    Partial,
    Own,
    /// A disguised copy, and how good its source was.
    Copy(f64),
}

/// The name of the `n`th generated student.
pub fn student_name(n: usize) -> String {
    format!("student-{:03}", n + 1)
}

/// Generates a class of `students` from `course`, the same for the same
/// `seed`.
///
/// About 3% of the submissions cannot be graded at all. For each lab, of
/// the others, about 12% hand in the stubs, 8% finish some files only,
/// 8% are in groups of two or three that share one disguised source (the
/// first group of each lab copies the reference solution, the others one
/// member's own work), and the rest work on their own.
pub fn generate_class(course: &Course, students: usize, seed: u64) -> GeneratedClass {
    let names: Vec<String> = (0..students).map(student_name).collect();
    let mut rng = Rng::new(seed, &[6]);
    let graded: Vec<bool> = (0..students).map(|_| !rng.chance(0.03)).collect();
    let mut labs = Vec::new();
    let mut copies = Vec::new();
    let mut work = vec![vec![Work::Own; course.labs.len()]; students];

    for (l, lab) in course.labs.iter().enumerate() {
        let mut rng = Rng::new(seed, &[7, l as u64]);
        let mut files: Vec<Option<Vec<SourceFile>>> = vec![None; students];
        let mut members: Vec<usize> = (0..students).filter(|&s| graded[s]).collect();
        rng.shuffle(&mut members);
        let grouped = (members.len() as f64 * 0.08).round() as usize;
        let mut at = 0;
        let mut group = 0;
        while at + 2 <= grouped.max(2).min(members.len()) {
            let size = if rng.chance(0.3) { 3 } else { 2 }.min(members.len() - at);
            let group_members = &members[at..at + size];
            let source_seed = rng.next_u64();
            let (source, quality) = if group == 0 {
                (lab.reference.clone(), 0.95)
            } else {
                (
                    independent(&lab.stub, source_seed),
                    0.5 + rng.below(50) as f64 / 100.0,
                )
            };
            for (n, &s) in group_members.iter().enumerate() {
                files[s] = Some(disguise(&source, &lab.stub, source_seed ^ (n as u64 + 1)));
                work[s][l] = Work::Copy(quality);
                for &t in &group_members[n + 1..] {
                    copies.push(KnownCopy {
                        lab: lab.name.clone(),
                        a: names[s.min(t)].clone(),
                        b: names[s.max(t)].clone(),
                    });
                }
            }
            at += size;
            group += 1;
        }
        for &s in &members[at..] {
            let student_seed = Rng::new(seed, &[8, l as u64, s as u64]).next_u64();
            let roll = rng.below(100);
            let (submitted, kind) = if roll < 12 {
                (lab.stub.clone(), Work::Stub)
            } else if roll < 20 {
                let own = independent(&lab.stub, student_seed);
                let mixed = lab
                    .stub
                    .iter()
                    .zip(own)
                    .map(|(stub, own)| if rng.chance(0.5) { own } else { stub.clone() })
                    .collect();
                (mixed, Work::Partial)
            } else {
                (independent(&lab.stub, student_seed), Work::Own)
            };
            files[s] = Some(submitted);
            work[s][l] = kind;
        }
        labs.push(LabSources {
            lab: lab.name.clone(),
            base: lab.stub.clone(),
            students: files
                .into_iter()
                .enumerate()
                .filter_map(|(s, files)| {
                    Some(StudentFiles {
                        student: names[s].clone(),
                        files: files?,
                    })
                })
                .collect(),
        });
    }

    let summary = grade(course, &names, &graded, &work, seed);
    GeneratedClass {
        summary,
        labs,
        copies,
    }
}

/// Grades the generated class: each check passed with a chance that
/// depends on the work handed in and the check's difficulty.
fn grade(
    course: &Course,
    names: &[String],
    graded: &[bool],
    work: &[Vec<Work>],
    seed: u64,
) -> ClassSummary {
    let mut rng = Rng::new(seed, &[9]);
    let specs: Vec<&[CheckSpec]> = (0..course.labs.len()).map(|l| CHECKS[l % 5]).collect();
    let labs: Vec<LabInfo> = course
        .labs
        .iter()
        .zip(&specs)
        .map(|(lab, checks)| LabInfo {
            name: lab.name.clone(),
            max_points: checks.iter().map(|c| c.points).sum(),
        })
        .collect();
    let max: u32 = labs.iter().map(|l| l.max_points).sum();
    let mut checks: Vec<CheckStat> = course
        .labs
        .iter()
        .zip(&specs)
        .flat_map(|(lab, specs)| {
            specs.iter().map(|c| CheckStat {
                lab: lab.name.clone(),
                check: c.name.to_owned(),
                points: c.points,
                hint: c.hint.to_owned(),
                passed: 0,
                graded: 0,
            })
        })
        .collect();
    let mut rows = Vec::new();
    for (s, name) in names.iter().enumerate() {
        let report = format!("{name}/report.txt");
        if !graded[s] {
            rows.push(StudentRow {
                student: name.clone(),
                points: vec![None; labs.len()],
                total: 0,
                max,
                status: "not graded: the archive holds no labs/ folder".to_owned(),
                report,
                flags: Vec::new(),
            });
            continue;
        }
        let broken = rng.chance(0.03).then(|| rng.below(labs.len()));
        let skill = 0.55 + rng.below(45) as f64 / 100.0;
        let mut points = Vec::new();
        let mut check_at = 0;
        for (l, lab_checks) in specs.iter().enumerate() {
            let quality = match work[s][l] {
                Work::Stub => 0.0,
                Work::Partial => 0.4 * skill,
                Work::Own => skill,
                Work::Copy(q) => q,
            };
            let mut lab_points = 0;
            for c in lab_checks.iter() {
                let stat = &mut checks[check_at];
                check_at += 1;
                stat.graded += 1;
                let pass = broken != Some(l)
                    && quality > 0.0
                    && rng.chance(quality * (1.0 - c.difficulty) + 0.1);
                if pass {
                    stat.passed += 1;
                    lab_points += c.points;
                }
            }
            points.push(Some(lab_points));
        }
        let mut flags = Vec::new();
        if rng.chance(0.04) {
            flags.push("security: unsafe".to_owned());
        }
        if rng.chance(0.03) {
            flags.push("server: std::process".to_owned());
        }
        let status = match broken {
            Some(l) => format!("graded; errors: labs/{} does not compile", labs[l].name),
            None => "graded".to_owned(),
        };
        rows.push(StudentRow {
            student: name.clone(),
            total: points.iter().flatten().sum(),
            points,
            max,
            status,
            report,
            flags,
        });
    }
    ClassSummary {
        labs,
        students: rows,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"//! A sample.

use std::fmt;

/// Adds.
pub fn add(left: u32, right: u32) -> u32 {
    let sum = left + right; // the sum
    helper(sum, 2)
}

fn helper(value: u32, times: u32) -> u32 {
    value * times
}

// A struct.
struct Point {
    x: u32,
}

impl Point {
    fn norm(&self) -> u32 {
        self.x
    }
}
"#;

    #[test]
    fn renaming_keeps_the_tokens_and_changes_the_names() {
        let renamed = rename_identifiers(SAMPLE, 7);
        assert_ne!(renamed, SAMPLE);
        assert!(!renamed.contains("fn helper"), "{renamed}");
        assert!(renamed.contains("pub fn add("), "public names stay");
        assert!(renamed.contains("self.x"), "fields stay");
        assert_eq!(
            crate::tokens::tokenize(&renamed),
            crate::tokens::tokenize(SAMPLE)
        );
    }

    #[test]
    fn reordering_moves_whole_items() {
        let reordered: Vec<String> = (0..8).map(|seed| reorder_items(SAMPLE, seed)).collect();
        assert!(reordered.iter().any(|r| r != SAMPLE));
        for r in &reordered {
            assert!(r.starts_with("//! A sample.\n\nuse std::fmt;\n"), "{r}");
            let mut a: Vec<&str> = r.lines().collect();
            let mut b: Vec<&str> = SAMPLE.lines().collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "the same lines, in another order");
        }
    }

    #[test]
    fn filled_stubs_differ_by_seed() {
        let stub = "pub fn f(x: u32) -> u32 {\n    // TODO: do it\n    todo!(\"f\")\n}\n";
        let files = [SourceFile::new("src/lib.rs", stub)];
        let a = independent(&files, 1);
        let b = independent(&files, 2);
        assert!(!a[0].text.contains("todo!"));
        assert_ne!(a[0].text, b[0].text);
        assert!(TokenStream::from_str(&a[0].text).is_ok(), "{}", a[0].text);
    }
}
