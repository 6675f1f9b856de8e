//! Rust source turned into normalised tokens, each with its line.
//!
//! A copy is usually disguised by renaming things, rewording messages and
//! rewriting comments. None of that changes the shape of the code, so the
//! shape is what is compared:
//! - the text is lexed by a real Rust lexer (`proc-macro2`), which drops
//!   comments; doc comments, which it keeps as `#[doc = "..."]`
//!   attributes, are dropped too;
//! - every identifier becomes one placeholder, except the Rust keywords
//!   and a small set of very common standard names (`Some`, `Vec`,
//!   `unwrap`...), which nobody renames and which keep the shape readable;
//! - every literal becomes one placeholder per kind: string, number, char;
//! - groups are flattened into open and close delimiter tokens.
//!
//! A file that does not lex (an unclosed string, a stray delimiter, which
//! a submission that does not compile may well have) is still compared: it
//! is split into words and punctuation line by line instead of dropped.

use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// One normalised token and the line (1-based) it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The normalised token: equal codes for tokens that are the same once
    /// identifiers and literals are replaced by placeholders.
    pub code: u32,
    /// The line of the source the token starts on, from 1.
    pub line: u32,
}

/// The code of every identifier that is not a keyword or a common name.
pub const IDENT: u32 = 1;
/// The code of every string literal (also byte and C strings).
pub const STRING: u32 = 2;
/// The code of every number literal, integer or float.
pub const NUMBER: u32 = 3;
/// The code of every character literal (also byte literals).
pub const CHAR: u32 = 4;

const OPEN: u32 = 16;
const CLOSE: u32 = 24;
const PUNCT: u32 = 256;
const KEYWORD: u32 = 1024;
const COMMON: u32 = 2048;

/// The Rust keywords, strict and reserved: they are the code's shape.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "Self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "yield",
    "box",
    "macro_rules",
    "union",
];

/// Standard names so common that renaming them is not an option: types of
/// the prelude, the usual macros and methods. Kept as they are, they tell
/// `x.unwrap()` from `x.len()` without letting a rename hide anything.
const COMMON_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Arc",
    "Rc",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "str",
    "bool",
    "char",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
    "i32",
    "i64",
    "f64",
    "format",
    "vec",
    "println",
    "assert",
    "assert_eq",
    "panic",
    "todo",
    "unwrap",
    "expect",
    "clone",
    "iter",
    "into",
    "len",
    "push",
    "new",
    "map",
    "collect",
    "to_string",
    "as_str",
    "is_empty",
    "default",
];

/// The normalised code of an identifier.
fn ident_code(name: &str) -> u32 {
    let name = name.strip_prefix("r#").unwrap_or(name);
    if let Some(i) = KEYWORDS.iter().position(|k| *k == name) {
        KEYWORD + i as u32
    } else if let Some(i) = COMMON_NAMES.iter().position(|k| *k == name) {
        COMMON + i as u32
    } else {
        IDENT
    }
}

/// The normalised code of a literal, from its source text.
fn literal_code(text: &str) -> u32 {
    let unprefixed = text.trim_start_matches(['b', 'c', 'r', '#']);
    if unprefixed.starts_with('"') {
        STRING
    } else if unprefixed.starts_with('\'') {
        CHAR
    } else {
        NUMBER
    }
}

/// The codes of the delimiters, open and close.
fn delimiter_codes(delimiter: Delimiter) -> Option<(u32, u32)> {
    let i = match delimiter {
        Delimiter::Parenthesis => 0,
        Delimiter::Brace => 1,
        Delimiter::Bracket => 2,
        // An invisible group (from a macro expansion): no tokens of its own.
        Delimiter::None => return None,
    };
    Some((OPEN + i, CLOSE + i))
}

/// The normalised tokens of one Rust file, in order. Lexed by
/// `proc-macro2` when the file lexes, by [`fallback_tokens`] otherwise.
pub fn tokenize(text: &str) -> Vec<Token> {
    let tokens = match TokenStream::from_str(text) {
        Ok(stream) => flatten(stream),
        Err(_) => fallback_tokens(text),
    };
    // Spans live in a per-thread table that grows with every file lexed;
    // the lines are copied out, so the table can be emptied.
    proc_macro2::extra::invalidate_current_thread_spans();
    tokens
}

/// Whether `trees[i..]` starts with a doc attribute, `#[doc = ...]` or
/// `#![doc = ...]`; if so, how many trees it spans.
fn doc_attribute(trees: &[TokenTree], i: usize) -> Option<usize> {
    let TokenTree::Punct(hash) = trees.get(i)? else {
        return None;
    };
    if hash.as_char() != '#' {
        return None;
    }
    let mut next = i + 1;
    if let Some(TokenTree::Punct(bang)) = trees.get(next)
        && bang.as_char() == '!'
    {
        next += 1;
    }
    let TokenTree::Group(group) = trees.get(next)? else {
        return None;
    };
    if group.delimiter() != Delimiter::Bracket {
        return None;
    }
    match group.stream().into_iter().next() {
        Some(TokenTree::Ident(ident)) if ident == "doc" => Some(next + 1 - i),
        _ => None,
    }
}

/// Walks a token stream depth first, without recursion (a deeply nested
/// submission must not overflow the stack), turning groups into open and
/// close tokens.
fn flatten(stream: TokenStream) -> Vec<Token> {
    let mut out = Vec::new();
    // Each level: its trees, the next index, and the close token to emit.
    let mut stack: Vec<(Vec<TokenTree>, usize, Option<Token>)> =
        vec![(stream.into_iter().collect(), 0, None)];
    while let Some((trees, i, close)) = stack.last_mut() {
        let Some(tree) = trees.get(*i) else {
            if let Some(close) = close.take() {
                out.push(close);
            }
            stack.pop();
            continue;
        };
        if let Some(skip) = doc_attribute(trees, *i) {
            *i += skip;
            continue;
        }
        *i += 1;
        let line = |span: proc_macro2::Span| span.start().line as u32;
        match tree {
            TokenTree::Ident(ident) => out.push(Token {
                code: ident_code(&ident.to_string()),
                line: line(ident.span()),
            }),
            TokenTree::Literal(literal) => out.push(Token {
                code: literal_code(&literal.to_string()),
                line: line(literal.span()),
            }),
            TokenTree::Punct(punct) => out.push(Token {
                code: PUNCT + punct.as_char() as u32,
                line: line(punct.span()),
            }),
            TokenTree::Group(group) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                let close = match delimiter_codes(group.delimiter()) {
                    Some((open, close)) => {
                        out.push(Token {
                            code: open,
                            line: line(group.span_open()),
                        });
                        Some(Token {
                            code: close,
                            line: line(group.span_close()),
                        })
                    }
                    None => None,
                };
                stack.push((inner, 0, close));
            }
        }
    }
    out
}

/// Tokens of a file that does not lex: line by line, runs of letters,
/// digits and `_` are words (normalised like identifiers, or numbers when
/// they start with a digit), and every other visible character is a
/// punctuation token. Comments starting with `//` are skipped; strings are
/// not recognised, which is good enough for text that is not Rust anyway.
pub fn fallback_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        let code = line.split("//").next().unwrap_or_default();
        let mut chars = code.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c.is_alphanumeric() || c == '_' {
                let mut end = start + c.len_utf8();
                while let Some(&(i, d)) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_') {
                        break;
                    }
                    end = i + d.len_utf8();
                    chars.next();
                }
                let word = &code[start..end];
                let token = if c.is_ascii_digit() {
                    NUMBER
                } else {
                    ident_code(word)
                };
                out.push(Token {
                    code: token,
                    line: line_no,
                });
            } else if !c.is_whitespace() {
                let token = match c {
                    '(' => OPEN,
                    '{' => OPEN + 1,
                    '[' => OPEN + 2,
                    ')' => CLOSE,
                    '}' => CLOSE + 1,
                    ']' => CLOSE + 2,
                    _ => PUNCT + (c as u32 & 0xff),
                };
                out.push(Token {
                    code: token,
                    line: line_no,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<u32> {
        tokenize(text).iter().map(|t| t.code).collect()
    }

    #[test]
    fn renaming_and_new_literals_change_nothing() {
        let a = "fn total(xs: &[u32]) -> u32 { let s = 0; xs.iter().sum::<u32>() + s + 1 } // hi";
        let b = "/// Sums.\nfn sum_all(v: &[u32]) -> u32 {\n  let acc = 42; // other\n  v.iter().sum::<u32>() + acc + 7\n}";
        assert_eq!(codes(a), codes(b));
    }

    #[test]
    fn literals_keep_their_kind() {
        assert_eq!(
            codes(r#""a" 'b' 3 2.5 b"c" r"d""#),
            [STRING, CHAR, NUMBER, NUMBER, STRING, STRING]
        );
    }

    #[test]
    fn lines_are_kept_and_groups_flattened() {
        let tokens = tokenize("fn f() {\n  g(1)\n}\n");
        let lines: Vec<u32> = tokens.iter().map(|t| t.line).collect();
        assert_eq!(lines, [1, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
    }

    #[test]
    fn text_that_does_not_lex_still_has_tokens() {
        let tokens = tokenize("fn f() { let s = \"unclosed;\n x + 1 }");
        assert!(tokens.len() >= 8, "{tokens:?}");
        assert_eq!(tokens.last().map(|t| t.line), Some(2));
    }
}
