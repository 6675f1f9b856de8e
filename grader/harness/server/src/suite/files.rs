//! Files for `tail::last_lines`: described, never stored whole, read
//! through a reader that counts what it hands out and may hand out less
//! than asked; and the model of what the brief says comes back.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// `tail::BLOCK` as the brief states it: blocks of 64 KiB.
pub const BLOCK: u64 = 64 * 1024;

/// `tail::MAX_TAIL_BYTES` as the brief states it: never read below 4 MiB
/// from the end.
pub const MAX_TAIL: u64 = 4 * 1024 * 1024;

/// Bytes shown as text: printable ASCII as it is, other bytes escaped, and
/// a run of more than eight equal bytes as `{65530 × 'x'}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

fn escape(b: u8) -> String {
    match b {
        b'\n' => "\\n".into(),
        b'\r' => "\\r".into(),
        b'\t' => "\\t".into(),
        b'"' => "\\\"".into(),
        b'\\' => "\\\\".into(),
        0x20..=0x7e => char::from(b).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut i = 0;
        while i < self.0.len() {
            let b = self.0[i];
            let run = self.0[i..].iter().take_while(|&&c| c == b).count();
            if run > 8 {
                write!(f, "{{{run} × '{}'}}", escape(b))?;
                i += run;
            } else {
                f.write_str(&escape(b))?;
                i += 1;
            }
        }
        f.write_str("\"")
    }
}

/// Lines of `line_len` bytes, each ending in `\n`, for `bytes` bytes (the
/// last one may be cut): line `k` is one letter, `'a' + k % 26`, repeated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filler {
    /// Bytes before each `\n`.
    pub line_len: u64,
    /// The filler's length.
    pub bytes: u64,
}

impl Filler {
    fn byte(&self, i: u64) -> u8 {
        let period = self.line_len + 1;
        if i % period == self.line_len {
            b'\n'
        } else {
            b'a' + (i / period % 26) as u8
        }
    }
}

/// A file: the filler, then `text`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSpec {
    /// The first bytes of the file.
    pub filler: Filler,
    /// The bytes after the filler.
    pub text: Bytes,
}

impl FileSpec {
    /// A file holding `text` only.
    pub fn text(text: Vec<u8>) -> Self {
        Self {
            filler: Filler::default(),
            text: Bytes(text),
        }
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.filler.bytes + self.text.0.len() as u64
    }

    /// Byte `i` of the file.
    pub fn byte(&self, i: u64) -> u8 {
        if i < self.filler.bytes {
            self.filler.byte(i)
        } else {
            self.text.0[(i - self.filler.bytes) as usize]
        }
    }

    /// Bytes `from..to` of the file.
    pub fn slice(&self, from: u64, to: u64) -> Vec<u8> {
        let mut out = vec![0; (to - from) as usize];
        self.fill(from, &mut out);
        out
    }

    /// Fills `buf` with the bytes from offset `from` on.
    fn fill(&self, from: u64, buf: &mut [u8]) {
        let to = from + buf.len() as u64;
        let filler_end = self.filler.bytes.clamp(from, to);
        let period = self.filler.line_len + 1;
        let mut at = from;
        let mut out = 0;
        while at < filler_end {
            // The rest of the line holding `at`, up to its `\n`.
            let in_line = at % period;
            let line_end = (at - in_line + period).min(filler_end);
            let letter = b'a' + (at / period % 26) as u8;
            let n = (line_end - at) as usize;
            buf[out..out + n].fill(letter);
            if line_end - (at - in_line) == period {
                buf[out + n - 1] = b'\n';
            }
            out += n;
            at = line_end;
        }
        let text_from = (from.max(self.filler.bytes) - self.filler.bytes) as usize;
        let text_to = (to.max(self.filler.bytes) - self.filler.bytes) as usize;
        buf[(filler_end - from) as usize..].copy_from_slice(&self.text.0[text_from..text_to]);
    }
}

/// A reader over a [`FileSpec`] that counts the bytes it hands out, keeps
/// the lowest offset read, and hands out at most `read_at_most` bytes per
/// `read` (as a `Read` may).
pub struct TrackedFile<'a> {
    file: &'a FileSpec,
    pos: u64,
    read_at_most: usize,
    /// Bytes handed out by `read`.
    pub bytes_read: u64,
    /// The lowest offset any `read` handed out, if any.
    pub lowest: Option<u64>,
}

impl<'a> TrackedFile<'a> {
    /// A reader of `file` handing out at most `read_at_most` bytes a call.
    pub fn new(file: &'a FileSpec, read_at_most: usize) -> Self {
        Self {
            file,
            pos: 0,
            read_at_most: read_at_most.max(1),
            bytes_read: 0,
            lowest: None,
        }
    }
}

impl Read for TrackedFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.file.len().saturating_sub(self.pos);
        let n = (left.min(buf.len() as u64) as usize).min(self.read_at_most);
        if n == 0 {
            return Ok(0);
        }
        self.file.fill(self.pos, &mut buf[..n]);
        self.lowest = Some(self.lowest.map_or(self.pos, |l| l.min(self.pos)));
        self.pos += n as u64;
        self.bytes_read += n as u64;
        Ok(n)
    }
}

impl Seek for TrackedFile<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(p) => i128::from(p),
            SeekFrom::End(d) => i128::from(self.file.len()) + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        if at < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        }
        self.pos = at as u64;
        Ok(self.pos)
    }
}

/// The lowest offset `last_lines` may read: `len - MAX_TAIL_BYTES`, or 0.
pub fn floor(file: &FileSpec) -> u64 {
    file.len().saturating_sub(MAX_TAIL)
}

/// What `last_lines(file, n)` must return: the last `n` lines, but only
/// whole lines inside the window (the first piece of a window that does
/// not start the file is dropped); a final `\n` ends the last line; one
/// `\r` is stripped from each line; bytes decoded lossily per line.
///
/// Only the end of the file that holds those lines is looked at: from
/// the window's start, or from where `n` newlines (not a final one) are
/// in hand, whichever is later; what lies before cannot be a whole line
/// among the last `n`.
pub fn tail_model(file: &FileSpec, n: usize) -> Vec<String> {
    let len = file.len();
    if n == 0 || len == 0 {
        return Vec::new();
    }
    let start = len - bytes_needed(file, n);
    let end = file.slice(start, len);
    let body = end.strip_suffix(b"\n").unwrap_or(&end);
    let mut lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    if start > 0 {
        lines.remove(0);
    }
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect()
}

/// The `\n` bytes in `from..to`, not counting one that is the file's
/// last byte.
pub fn newlines(file: &FileSpec, from: u64, to: u64) -> usize {
    let last = file.len().saturating_sub(1);
    let period = file.filler.line_len + 1;
    // The filler's newlines are at `k * period + line_len`, so `end /
    // period` of them lie below `end`.
    let below = |end: u64| end / period;
    let filler_end = file.filler.bytes.clamp(from, to);
    let mut count = (below(filler_end) - below(from)) as usize;
    let text_from = from.max(file.filler.bytes);
    let text_to = to.max(file.filler.bytes);
    count += file
        .slice(text_from, text_to)
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    if (from..to).contains(&last) && file.byte(last) == b'\n' {
        count -= 1;
    }
    count
}

/// The bytes the brief's reading takes for `n` lines: blocks of
/// [`BLOCK`] backwards from the end, never below the floor, stopping as
/// soon as `n` newlines (not the final one) are in hand.
pub fn bytes_needed(file: &FileSpec, n: usize) -> u64 {
    let len = file.len();
    if n == 0 || len == 0 {
        return 0;
    }
    let floor = floor(file);
    let mut start = len;
    let mut count = 0;
    while start > floor && count < n {
        let from = start.saturating_sub(BLOCK).max(floor);
        count += newlines(file, from, start);
        start = from;
    }
    len - start
}

/// The newline counts after each of the first `blocks` blocks from the
/// end: the values of `n` at which one more line needs one more block.
pub fn counts_by_block(file: &FileSpec, blocks: usize) -> Vec<usize> {
    let len = file.len();
    let floor = floor(file);
    let mut start = len;
    let mut count = 0;
    let mut out = Vec::new();
    while start > floor && out.len() < blocks {
        let from = start.saturating_sub(BLOCK).max(floor);
        count += newlines(file, from, start);
        out.push(count);
        start = from;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_agrees_with_itself_on_examples() {
        let t = |s: &[u8], n| tail_model(&FileSpec::text(s.to_vec()), n);
        assert_eq!(t(b"a\nb\n", 1), ["b"]);
        assert_eq!(t(b"a\r\n\nb", 5), ["a", "", "b"]);
        assert_eq!(t(b"a\n\n\n", 5), ["a", "", ""]);
        assert!(t(b"", 3).is_empty());
    }

    #[test]
    fn a_file_reads_back_as_described() {
        let file = FileSpec {
            filler: Filler {
                line_len: 2,
                bytes: 7,
            },
            text: Bytes(b"xy".to_vec()),
        };
        assert_eq!(file.slice(0, file.len()), b"aa\nbb\ncxy");
        let mut reader = TrackedFile::new(&file, 2);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"aa\nbb\ncxy");
        assert_eq!(reader.bytes_read, 9);
        for (from, to) in [(0, 9), (2, 3), (3, 6), (2, 8), (7, 9), (0, 0)] {
            let slow = (from..to)
                .filter(|&i| i != 8 && file.byte(i) == b'\n')
                .count();
            assert_eq!(newlines(&file, from, to), slow, "{from}..{to}");
        }
        let cut = FileSpec {
            filler: Filler {
                line_len: 3,
                bytes: 10,
            },
            text: Bytes(b"\n".to_vec()),
        };
        assert_eq!(cut.slice(0, 11), b"aaa\nbbb\ncc\n");
        assert_eq!(cut.slice(5, 10), b"bb\ncc");
        assert_eq!(newlines(&cut, 0, 11), 2);
        assert_eq!(format!("{:?}", Bytes(b"a\n\xff".to_vec())), r#""a\n\xff""#);
        assert_eq!(format!("{:?}", Bytes(vec![b'x'; 10])), r#""{10 × 'x'}""#);
    }
}
