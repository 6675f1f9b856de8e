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
    // TODO: Find the file's length with `seek(SeekFrom::End(0))`; no lines asked or an empty file
    //       gives an empty Vec.
    // TODO: Read blocks of BLOCK bytes backwards from the end (seek, then `read_exact`), never
    //       below `len - MAX_TAIL_BYTES`, counting the `\n` bytes; stop once there are `n` of them,
    //       not counting a `\n` that is the file's last byte.
    // TODO: Join the blocks in file order, drop that final `\n`, split on `\n`. Unless you reached
    //       the start of the file, the first piece may be part of a longer line: drop it. Keep the
    //       last `n` pieces, strip a trailing `\r`, and decode with `String::from_utf8_lossy`.
    todo!("tail::last_lines")
}
// ANCHOR_END: last_lines
