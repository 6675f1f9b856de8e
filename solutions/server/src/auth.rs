//! The bearer token an HTTP client must present.
//!
//! Over HTTP anyone who can reach the port can call the tools, so a
//! deployment gives its clients a token and refuses requests without it
//! (401). Two details matter: the scheme name is case-insensitive
//! (`bearer` is as good as `Bearer`), and the comparison takes the same
//! time whichever byte differs, so response times do not leak the token
//! one byte at a time.

use std::fmt;

// ANCHOR: types
/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>`.
    NotBearer,
    /// The wrong token.
    WrongToken,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthError::Missing => {
                "this server needs a bearer token: send the header `Authorization: Bearer <token>`"
            }
            AuthError::NotBearer => {
                "the Authorization header must be `Bearer <token>`; other schemes are not accepted"
            }
            AuthError::WrongToken => "the bearer token is not the one this server was given",
        })
    }
}

impl std::error::Error for AuthError {}
// ANCHOR_END: types

// ANCHOR: constant_time_eq
/// Whether `a` and `b` are equal, looking at every byte whatever the
/// first difference (the lengths themselves are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // LAB: todo("auth::constant_time_eq")
    // TODO: Different lengths are unequal. Otherwise OR together the XOR of every pair of bytes and
    //       compare the total with zero: no early return on the first difference.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    // LAB: end
}
// ANCHOR_END: constant_time_eq

// ANCHOR: check_bearer
/// Checks an `Authorization` header value against the `expected` token.
///
/// The header is `Bearer <token>`: the scheme in any case, one or more
/// spaces, then the token (surrounding whitespace ignored). Anything else
/// is refused with the reason.
pub fn check_bearer(expected: &str, header: Option<&[u8]>) -> Result<(), AuthError> {
    // LAB: todo("auth::check_bearer")
    // TODO: No header is AuthError::Missing. Decode it as UTF-8 and trim it; split it at the first
    //       space into a scheme and a token.
    // TODO: The scheme must be `bearer` in any case and the token (trimmed) must not be empty, else
    //       AuthError::NotBearer. Compare the token with `constant_time_eq`: AuthError::WrongToken
    //       when it differs.
    let header = header.ok_or(AuthError::Missing)?;
    let text = std::str::from_utf8(header)
        .map_err(|_| AuthError::NotBearer)?
        .trim();
    let (scheme, token) = text.split_once(' ').ok_or(AuthError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::NotBearer);
    }
    if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::WrongToken)
    }
    // LAB: end
}
// ANCHOR_END: check_bearer
