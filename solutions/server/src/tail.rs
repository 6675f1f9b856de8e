//! The end of a log file, without reading the whole file.
//!
//! Logs grow to gigabytes; the lines a model wants are the last ones.
//! Reading the file whole to keep its end costs time and memory in
//! proportion to the file. Reading blocks backwards from the end costs in
//! proportion to what is returned.

use std::io::{self, Read, Seek, SeekFrom};

// ANCHOR: consts
/// How much is read at a time, backwards from the end.
pub const BLOCK: u64 = 64 * 1024;

/// The most bytes read from the end of a file: lines beyond this window
/// are not returned, however many were asked for.
pub const MAX_TAIL_BYTES: u64 = 4 * 1024 * 1024;
// ANCHOR_END: consts

// ANCHOR: last_lines
/// The last `n` lines of `file`, oldest first, without their line endings
/// (`\n` or `\r\n`).
///
/// A newline at the very end finishes the last line; it does not start an
/// empty one. Bytes that are not UTF-8 are replaced, not refused: a log is
/// still worth reading with one bad byte in it. Reads blocks of [`BLOCK`]
/// backwards from the end and stops as soon as `n` whole lines are in hand,
/// or after [`MAX_TAIL_BYTES`], in which case only whole lines are returned.
pub fn last_lines<R: Read + Seek>(file: &mut R, n: usize) -> io::Result<Vec<String>> {
    // LAB: todo("tail::last_lines")
    // TODO: Find the file's length with `seek(SeekFrom::End(0))`; no lines asked or an empty file
    //       gives an empty Vec.
    // TODO: Read blocks of BLOCK bytes backwards from the end (seek, then `read_exact`), never
    //       below `len - MAX_TAIL_BYTES`, counting the `\n` bytes; stop once there are `n` of them,
    //       not counting a `\n` that is the file's last byte.
    // TODO: Join the blocks in file order, drop that final `\n`, split on `\n`. Unless you reached
    //       the start of the file, the first piece may be part of a longer line: drop it. Keep the
    //       last `n` pieces, strip a trailing `\r`, and decode with `String::from_utf8_lossy`.
    let len = file.seek(SeekFrom::End(0))?;
    if n == 0 || len == 0 {
        return Ok(Vec::new());
    }
    let floor = len.saturating_sub(MAX_TAIL_BYTES);
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut start = len;
    let mut newlines = 0;
    let mut last_byte_is_newline = None;
    while start > floor && newlines < n {
        let from = start.saturating_sub(BLOCK).max(floor);
        let mut block = vec![0; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        let ends_file = last_byte_is_newline.is_none();
        if ends_file {
            last_byte_is_newline = Some(block.last() == Some(&b'\n'));
        }
        let counted = if ends_file && block.last() == Some(&b'\n') {
            &block[..block.len() - 1]
        } else {
            &block[..]
        };
        newlines += counted.iter().filter(|b| **b == b'\n').count();
        blocks.push(block);
        start = from;
    }
    let mut text: Vec<u8> = blocks.into_iter().rev().flatten().collect();
    if last_byte_is_newline == Some(true) {
        text.pop();
    }
    let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    // The first piece is only whole if it starts at the beginning of the
    // file; otherwise it may be the tail end of a longer line.
    if start > 0 && !lines.is_empty() {
        lines.remove(0);
    }
    let keep = lines.len().saturating_sub(n);
    Ok(lines[keep..]
        .iter()
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            String::from_utf8_lossy(line).into_owned()
        })
        .collect())
    // LAB: end
}
// ANCHOR_END: last_lines
