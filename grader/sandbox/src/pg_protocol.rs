//! The first packets of the PostgreSQL wire protocol, read and checked
//! before anything reaches the database.
//!
//! A client opens with one untyped packet: a 4-byte big-endian length
//! (counting itself), a 4-byte code, then a body. The code says what it
//! is: a request to negotiate TLS or GSSAPI encryption, a cancel request,
//! or the startup message proper, whose body is `key\0value\0` pairs ended
//! by one more `\0`. Everything here treats the bytes as hostile: lengths
//! are bounded before any buffer is allocated, and every malformed packet
//! becomes a [`Refusal`] that is sent back as a proper `ErrorResponse`.

use std::io::Read;

/// `SSLRequest`: the client asks for TLS.
pub(crate) const SSL_REQUEST: u32 = 80_877_103;
/// `GSSENCRequest`: the client asks for GSSAPI encryption.
pub(crate) const GSSENC_REQUEST: u32 = 80_877_104;
/// `CancelRequest`: cancel a query running on another connection.
pub(crate) const CANCEL_REQUEST: u32 = 80_877_102;
/// Protocol 3.0, spoken by every current client.
pub(crate) const PROTOCOL_3_0: u32 = 3 << 16;
/// Protocol 3.2, offered by PostgreSQL 18 clients on request.
pub(crate) const PROTOCOL_3_2: u32 = (3 << 16) | 2;
/// The largest first packet accepted; real startup messages are a few
/// hundred bytes.
pub(crate) const MAX_STARTUP_LEN: usize = 10 * 1024;

/// SQLSTATE `28000`, invalid authorization specification.
pub(crate) const INVALID_AUTHORIZATION: &str = "28000";
/// SQLSTATE `08P01`, protocol violation.
pub(crate) const PROTOCOL_VIOLATION: &str = "08P01";
/// SQLSTATE `53300`, too many connections.
pub(crate) const TOO_MANY_CONNECTIONS: &str = "53300";
/// SQLSTATE `08001`, unable to establish a connection.
pub(crate) const CANNOT_CONNECT: &str = "08001";

/// Why a connection is refused: an SQLSTATE code and a message for the
/// client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A first packet, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FirstPacket {
    /// `SSLRequest`.
    SslRequest,
    /// `GSSENCRequest`.
    GssEncRequest,
    /// `CancelRequest`, with its bytes to forward unchanged.
    Cancel(Vec<u8>),
    /// A startup message, with its bytes to forward unchanged and its
    /// parameters.
    Startup {
        raw: Vec<u8>,
        params: Vec<(String, String)>,
    },
}

/// What went wrong reading a first packet.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The client went away or was too slow; nothing to answer.
    Closed,
    /// The packet is malformed or not allowed; answer with this.
    Refused(Refusal),
}

/// Reads and parses one first packet.
pub(crate) fn read_first_packet(reader: &mut impl Read) -> Result<FirstPacket, ReadError> {
    let mut len_bytes = [0u8; 4];
    reader
        .read_exact(&mut len_bytes)
        .map_err(|_| ReadError::Closed)?;
    let len = u32::from_be_bytes(len_bytes) as usize;
    if !(8..=MAX_STARTUP_LEN).contains(&len) {
        return Err(ReadError::Refused(Refusal::new(
            PROTOCOL_VIOLATION,
            format!(
                "invalid startup packet length {len}: expected 8 to {MAX_STARTUP_LEN} bytes (is this a PostgreSQL client, without direct TLS?)"
            ),
        )));
    }
    let mut raw = vec![0u8; len];
    raw[..4].copy_from_slice(&len_bytes);
    reader
        .read_exact(&mut raw[4..])
        .map_err(|_| ReadError::Closed)?;
    parse_first_packet(raw).map_err(ReadError::Refused)
}

/// Parses a complete first packet (length prefix included).
pub(crate) fn parse_first_packet(raw: Vec<u8>) -> Result<FirstPacket, Refusal> {
    let code = u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]);
    match code {
        SSL_REQUEST | GSSENC_REQUEST if raw.len() != 8 => Err(Refusal::new(
            PROTOCOL_VIOLATION,
            "invalid length for an encryption request",
        )),
        SSL_REQUEST => Ok(FirstPacket::SslRequest),
        GSSENC_REQUEST => Ok(FirstPacket::GssEncRequest),
        // 16 bytes in protocol 3.0; 3.2 allows a secret key of up to 256.
        CANCEL_REQUEST if (16..=12 + 256).contains(&raw.len()) => Ok(FirstPacket::Cancel(raw)),
        CANCEL_REQUEST => Err(Refusal::new(
            PROTOCOL_VIOLATION,
            "invalid length for a cancel request",
        )),
        PROTOCOL_3_0 | PROTOCOL_3_2 => {
            let params = parse_params(&raw[8..])?;
            Ok(FirstPacket::Startup { raw, params })
        }
        other => Err(Refusal::new(
            PROTOCOL_VIOLATION,
            format!(
                "unsupported frontend protocol {}.{}: this gate accepts 3.0 and 3.2",
                other >> 16,
                other & 0xffff
            ),
        )),
    }
}

/// Parses `key\0value\0...\0`.
fn parse_params(mut body: &[u8]) -> Result<Vec<(String, String)>, Refusal> {
    let malformed = || Refusal::new(PROTOCOL_VIOLATION, "malformed startup packet parameters");
    let mut params = Vec::new();
    loop {
        let (key, rest) = split_cstr(body).ok_or_else(malformed)?;
        if key.is_empty() {
            return if rest.is_empty() {
                Ok(params)
            } else {
                Err(malformed())
            };
        }
        let (value, rest) = split_cstr(rest).ok_or_else(malformed)?;
        let text = |bytes: &[u8]| {
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                Refusal::new(
                    PROTOCOL_VIOLATION,
                    "startup packet parameters must be valid UTF-8",
                )
            })
        };
        params.push((text(key)?, text(value)?));
        body = rest;
    }
}

/// Splits `bytes` at its first NUL: the string before it, the rest after.
fn split_cstr(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|b| *b == 0)?;
    Some((&bytes[..end], &bytes[end + 1..]))
}

/// Checks a startup message's parameters: only `role` on `database`, and
/// none of the parameters that change how the server treats the session.
pub(crate) fn check_startup(
    params: &[(String, String)],
    role: &str,
    database: &str,
) -> Result<(), Refusal> {
    for (index, (key, _)) in params.iter().enumerate() {
        if params[..index].iter().any(|(earlier, _)| earlier == key) {
            return Err(Refusal::new(
                PROTOCOL_VIOLATION,
                format!("startup parameter \"{key}\" is given twice"),
            ));
        }
        match key.as_str() {
            "replication" => {
                return Err(Refusal::new(
                    INVALID_AUTHORIZATION,
                    "replication connections are not allowed through this gate",
                ));
            }
            "options" => {
                return Err(Refusal::new(
                    INVALID_AUTHORIZATION,
                    "the \"options\" startup parameter is not allowed through this gate (it can carry -c settings): unset PGOPTIONS, and use SET after connecting",
                ));
            }
            _ => {}
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let Some(user) = get("user") else {
        return Err(Refusal::new(
            INVALID_AUTHORIZATION,
            format!("no user given: connect as \"{role}\""),
        ));
    };
    if user != role {
        return Err(Refusal::new(
            INVALID_AUTHORIZATION,
            format!("role \"{user}\" is not allowed through this gate: connect as \"{role}\""),
        ));
    }
    // The server uses the user name when no database is given.
    let wanted = get("database").filter(|d| !d.is_empty()).unwrap_or(user);
    if wanted != database {
        return Err(Refusal::new(
            INVALID_AUTHORIZATION,
            format!(
                "database \"{wanted}\" is not allowed through this gate: connect to \"{database}\""
            ),
        ));
    }
    Ok(())
}

/// Encodes a FATAL `ErrorResponse` carrying `refusal`.
pub(crate) fn error_response(refusal: &Refusal) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', refusal.code),
        (b'M', refusal.message.as_str()),
    ] {
        body.push(field);
        // A NUL inside would end the field early; none of ours has one.
        body.extend(value.bytes().filter(|b| *b != 0));
        body.push(0);
    }
    body.push(0);
    let mut message = Vec::with_capacity(body.len() + 5);
    message.push(b'E');
    message.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    message.extend_from_slice(&body);
    message
}

/// Encodes a startup message for protocol 3.0: what a client sends
/// first. The gate's own tests and its integration tests speak it.
pub fn startup_message(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = PROTOCOL_3_0.to_be_bytes().to_vec();
    for (key, value) in params {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    message.extend(body);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: Vec<u8>) -> Result<FirstPacket, Refusal> {
        match read_first_packet(&mut bytes.as_slice()) {
            Ok(packet) => Ok(packet),
            Err(ReadError::Refused(refusal)) => Err(refusal),
            Err(ReadError::Closed) => panic!("closed"),
        }
    }

    #[test]
    fn reads_encryption_requests_and_startup() {
        let ssl = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f].to_vec();
        assert_eq!(parse(ssl), Ok(FirstPacket::SslRequest));
        let gss = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30].to_vec();
        assert_eq!(parse(gss), Ok(FirstPacket::GssEncRequest));
        let raw = startup_message(&[("user", "student"), ("database", "test")]);
        match parse(raw.clone()).unwrap() {
            FirstPacket::Startup { raw: got, params } => {
                assert_eq!(got, raw);
                assert_eq!(params[0], ("user".to_string(), "student".to_string()));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_bad_lengths_versions_and_encodings() {
        let code = |r: Result<FirstPacket, Refusal>| r.unwrap_err().code;
        assert_eq!(
            code(parse(vec![0, 0, 0, 4, 0, 0, 0, 0])),
            PROTOCOL_VIOLATION
        );
        assert_eq!(
            code(parse(vec![0xff, 0xff, 0xff, 0xff])),
            PROTOCOL_VIOLATION
        );
        // A TLS ClientHello read as a length.
        assert_eq!(
            code(parse(vec![0x16, 0x03, 0x01, 0x02, 0, 0])),
            PROTOCOL_VIOLATION
        );
        let mut v2 = startup_message(&[("user", "a")]);
        v2[4..8].copy_from_slice(&(2u32 << 16).to_be_bytes());
        assert!(parse(v2).unwrap_err().message.contains("2.0"));
        let mut unterminated = startup_message(&[("user", "a")]);
        let last = unterminated.len() - 1;
        unterminated[last] = b'x';
        assert_eq!(code(parse(unterminated)), PROTOCOL_VIOLATION);
        let bad_utf8 = startup_message(&[("user", "\u{fffd}")])
            .into_iter()
            .map(|b| if b == 0xef { 0xff } else { b })
            .collect();
        assert_eq!(code(parse(bad_utf8)), PROTOCOL_VIOLATION);
    }

    #[test]
    fn allows_only_the_role_and_database() {
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let ok = params(&[("user", "s"), ("database", "db"), ("application_name", "x")]);
        assert_eq!(check_startup(&ok, "s", "db"), Ok(()));
        let refused =
            |pairs: &[(&str, &str)]| check_startup(&params(pairs), "s", "db").unwrap_err();
        assert!(
            refused(&[("user", "postgres"), ("database", "db")])
                .message
                .contains("\"postgres\"")
        );
        assert!(
            refused(&[("user", "s"), ("database", "postgres")])
                .message
                .contains("database")
        );
        assert!(
            refused(&[("user", "s")])
                .message
                .contains("\"s\" is not allowed")
        );
        assert!(refused(&[("database", "db")]).message.contains("no user"));
        assert!(
            refused(&[("user", "s"), ("database", "db"), ("options", "-c x=y")])
                .message
                .contains("options")
        );
        assert!(
            refused(&[("user", "s"), ("database", "db"), ("replication", "true")])
                .message
                .contains("replication")
        );
        assert!(
            refused(&[("user", "s"), ("user", "postgres"), ("database", "db")])
                .message
                .contains("twice")
        );
    }

    #[test]
    fn error_response_is_well_formed() {
        let bytes = error_response(&Refusal::new(INVALID_AUTHORIZATION, "no"));
        assert_eq!(bytes[0], b'E');
        let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        assert_eq!(len + 1, bytes.len());
        assert_eq!(&bytes[5..], b"SFATAL\0VFATAL\0C28000\0Mno\0\0");
    }
}
