//! Tool names an MCP client can use.

use std::fmt;

// ANCHOR: types
/// The longest tool name accepted, in characters.
pub const MAX_NAME_LEN: usize = 128;

/// Why a tool name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] characters.
    TooLong(usize),
    /// The name holds a character other than ASCII letters, digits, `_`,
    /// `-` and `.`; carries the first one.
    InvalidChar(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("a tool name cannot be empty"),
            Self::TooLong(n) => write!(
                f,
                "a tool name has at most {MAX_NAME_LEN} characters, this one {n}"
            ),
            Self::InvalidChar(c) => write!(
                f,
                "{c:?} cannot appear in a tool name; use ASCII letters, digits, '_', '-' and '.'"
            ),
        }
    }
}

impl std::error::Error for NameError {}
// ANCHOR_END: types

// ANCHOR: check_tool_name
/// Checks `name` against the rules MCP clients rely on: 1 to
/// [`MAX_NAME_LEN`] characters, each an ASCII letter, digit, `_`, `-` or `.`.
pub fn check_tool_name(name: &str) -> Result<(), NameError> {
    // LAB: todo("check_tool_name")
    // TODO: Empty: `NameError::Empty`. A character other than ASCII letters, digits, `_`, `-`, `.`:
    //       `InvalidChar` with the first such character.
    // TODO: Longer than MAX_NAME_LEN characters (count chars, not bytes): `TooLong` with the
    //       length.
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(NameError::InvalidChar(c));
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong(len));
    }
    Ok(())
    // LAB: end
}
// ANCHOR_END: check_tool_name
