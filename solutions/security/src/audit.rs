//! Audit log: one JSON line per tool call, with secrets redacted.
//!
//! Arguments come from a model, and a model repeats what it was shown:
//! tokens, passwords, connection strings. Before an argument object is
//! written anywhere it goes through [`redact`], which walks the whole value
//! and removes secrets found by key name and by the shape of the text.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use regex::Regex;
use serde_json::{Map, Value, json};

// ANCHOR: types
/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Parts of a key name that mark its value as secret. Keys are compared
/// lower-cased with everything but letters and digits removed, so
/// `API-Key`, `api_key` and `apiKey` all read `apikey`.
pub const SENSITIVE_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "credential",
    "cookie",
];

/// One finished tool call, as the audit log records it.
#[derive(Debug, Clone, Copy)]
pub struct ToolCallRecord<'a> {
    /// The tool's name.
    pub tool: &'a str,
    /// The arguments as the model sent them (redacted when written).
    pub arguments: &'a Value,
    /// Whether the call succeeded.
    pub success: bool,
    /// How long the call took.
    pub duration: Duration,
    /// The length in bytes of the result or error text returned.
    pub result_len: usize,
}

/// Writing an audit entry failed; the call was not recorded.
#[derive(Debug)]
pub struct AuditError(pub io::Error);

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not write the audit entry ({}); the call was not recorded: check that the audit log is writable and its disk has space",
            self.0
        )
    }
}

impl std::error::Error for AuditError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// An audit log writing JSON lines to `W`: a file in production, a
/// `Vec<u8>` in tests.
#[derive(Debug)]
pub struct AuditLog<W> {
    out: W,
}

/// Formats `at` as RFC 3339 in UTC with milliseconds:
/// `2026-01-31T12:00:00.000Z`.
pub fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}
// ANCHOR_END: types

// ANCHOR: is_sensitive_key
/// Whether a value stored under `key` is a secret, judged by the key's name.
pub fn is_sensitive_key(key: &str) -> bool {
    // LAB: todo("is_sensitive_key")
    // TODO: Lower-case the key, keep only letters and digits, then look for any of
    //       SENSITIVE_KEY_PARTS inside it.
    let normalized: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
    // LAB: end
}
// ANCHOR_END: is_sensitive_key

// ANCHOR: redact_text
// LAB: solution
/// Secrets recognised by their shape, with what each match becomes.
static SECRET_SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let shapes = [
        // A password inside a URL: scheme://user:PASSWORD@host
        (
            r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:)[^\s@/?#]+@",
            "${1}[REDACTED]@",
        ),
        // password=... in a key=value connection string
        (
            r"(?i)\b(password|passwd|pwd)(\s*=\s*)('[^']*'|[^\s;&]+)",
            "${1}${2}[REDACTED]",
        ),
        // A bearer token, as in an Authorization header
        (r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*", "${1}[REDACTED]"),
        // A JSON Web Token: three base64url parts, the first starting eyJ
        (
            r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*",
            "[REDACTED]",
        ),
        // An AWS access key id
        (
            r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
            "[REDACTED]",
        ),
    ];
    shapes
        .into_iter()
        .map(|(pattern, replacement)| (Regex::new(pattern).expect("valid pattern"), replacement))
        .collect()
});

// LAB: end
/// Replaces every secret recognised by its shape inside `text`, keeping the
/// text around it: bearer tokens, JWTs, AWS access keys, passwords in URLs
/// and in `password=` settings.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    // LAB: todo("redact_text")
    // TODO: Find secrets by shape with regexes compiled once: passwords in URLs (keep
    //       `scheme://user:` and `@host`), `password=` settings, bearer tokens (keep the word
    //       Bearer), JWTs, AWS access key ids.
    // TODO: Replace only the secret with REDACTED and keep the rest of the text. Return
    //       `Cow::Borrowed` when nothing matched.
    let mut out = Cow::Borrowed(text);
    for (re, replacement) in SECRET_SHAPES.iter() {
        if let Cow::Owned(replaced) = re.replace_all(&out, *replacement) {
            out = Cow::Owned(replaced);
        }
    }
    out
    // LAB: end
}
// ANCHOR_END: redact_text

// ANCHOR: redact
/// Returns a copy of `value` with every secret replaced by [`REDACTED`].
///
/// Recursive through objects and arrays. A value under a sensitive key is
/// replaced whole, whatever its type; strings elsewhere go through
/// [`redact_text`]; everything else is copied unchanged.
pub fn redact(value: &Value) -> Value {
    // LAB: todo("redact")
    // TODO: Objects: a sensitive key gets REDACTED whatever its value; other values are redacted
    //       recursively.
    // TODO: Arrays: redact each item. Strings: `redact_text`. Anything else: copy.
    match value {
        Value::Object(map) => {
            let redacted: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let v = if is_sensitive_key(k) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect();
            Value::Object(redacted)
        }
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(s) => Value::String(redact_text(s).into_owned()),
        other => other.clone(),
    }
    // LAB: end
}
// ANCHOR_END: redact

impl<W: Write> AuditLog<W> {
    /// An audit log appending to `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// Records `call` as finished now.
    pub fn record(&mut self, call: &ToolCallRecord<'_>) -> Result<(), AuditError> {
        self.record_at(SystemTime::now(), call)
    }

    // ANCHOR: record_at
    /// Records `call` as finished at `at`: one JSON object on one line with
    /// `timestamp`, `tool`, `arguments` (redacted), `success`,
    /// `duration_ms` and `result_length`, written whole and flushed.
    pub fn record_at(
        &mut self,
        at: SystemTime,
        call: &ToolCallRecord<'_>,
    ) -> Result<(), AuditError> {
        // LAB: todo("AuditLog::record_at")
        // TODO: Build one JSON object: timestamp (`rfc3339(at)`), tool, arguments (redacted),
        //       success, duration_ms (a float), result_length.
        // TODO: Write it and a newline with one `write_all`, then flush; turn an I/O error into
        //       `AuditError` instead of panicking.
        let entry = json!({
            "timestamp": rfc3339(at),
            "tool": call.tool,
            "arguments": redact(call.arguments),
            "success": call.success,
            "duration_ms": (call.duration.as_secs_f64() * 1e6).round() / 1e3,
            "result_length": call.result_len,
        });
        let mut line = entry.to_string();
        line.push('\n');
        self.out.write_all(line.as_bytes()).map_err(AuditError)?;
        self.out.flush().map_err(AuditError)
        // LAB: end
    }
    // ANCHOR_END: record_at

    /// Gives the writer back, for tests to read what was written.
    pub fn into_inner(self) -> W {
        self.out
    }
}
