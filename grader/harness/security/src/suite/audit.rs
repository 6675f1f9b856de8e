//! The checks of `audit`: `is_sensitive_key`, `redact_text`, `redact` and
//! `AuditLog::record_at`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

use grader_kit::prop::property;
use grader_kit::rules::{check_rule, ensure_rule};
use grader_kit::security_gen::{self as generate, Member, Node};
use grader_kit::{Outcome, unit};

use super::{Api, Call, Disk, Event, Recorded, Reference};

// ------------------------------------------------------ planted secrets ----

fn verify_redacted(node: &Node, out: &Value, at: &str) -> Result<(), TestCaseError> {
    let fail = |rule: &'static str, message: String| ensure_rule(rule, false, || message);
    match node {
        Node::Plain(v) => {
            if out != v {
                return fail(
                    "structure-kept",
                    format!("{at}: a value with no secret was changed: {v} became {out}"),
                );
            }
        }
        Node::Embedded { prefix, suffix, .. } => {
            let Some(s) = out.as_str() else {
                return fail("structure-kept", format!("{at}: a string became {out}"));
            };
            if !s.contains("[REDACTED]")
                || !s.contains(prefix.as_str())
                || !s.contains(suffix.as_str())
            {
                return fail(
                    "secrets-removed",
                    format!(
                        "{at}: expected the secret replaced by [REDACTED] with {prefix:?} and {suffix:?} kept, got {s:?}"
                    ),
                );
            }
        }
        Node::Array(items) => {
            let Some(arr) = out.as_array() else {
                return fail("structure-kept", format!("{at}: an array became {out}"));
            };
            if arr.len() != items.len() {
                return fail("structure-kept", format!("{at}: an array changed length"));
            }
            for (i, (n, o)) in items.iter().zip(arr).enumerate() {
                verify_redacted(n, o, &format!("{at}[{i}]"))?;
            }
        }
        Node::Object(members) => {
            let Some(obj) = out.as_object() else {
                return fail("structure-kept", format!("{at}: an object became {out}"));
            };
            if obj.len() != members.len() {
                return fail("structure-kept", format!("{at}: an object's keys changed"));
            }
            for (k, m) in members {
                let Some(o) = obj.get(k) else {
                    return fail("structure-kept", format!("{at}: key {k:?} disappeared"));
                };
                match m {
                    Member::Plain(n) => verify_redacted(n, o, &format!("{at}.{k}"))?,
                    Member::Secret(_) if o == "[REDACTED]" => {}
                    Member::Secret(_) => {
                        return fail(
                            "secrets-removed",
                            format!(
                                "{at}.{k}: a sensitive key's value must become \"[REDACTED]\", got {o}"
                            ),
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// `redact`: in nested JSON with secrets planted at any depth (under
/// sensitive keys, and inside strings by shape), no secret survives, a
/// sensitive key's value becomes `"[REDACTED]"`, the text around a secret
/// is kept, and nothing else changes.
pub fn redaction_removes_planted_secrets<S: Api>() -> Outcome {
    property(160, generate::planted_json(), |node| {
        let input = node.to_value();
        let out = S::redact(&input);
        let text = out.to_string();
        let mut secrets = Vec::new();
        node.secrets(&mut secrets);
        for secret in &secrets {
            ensure_rule("secrets-removed", !text.contains(secret.as_str()), || {
                format!("the secret {secret:?} is still in the output: {text}")
            })?;
        }
        verify_redacted(&node, &out, "$")
    })
}

// ---------------------------------------------------------- redact_text ----

/// Letter case of a word.
#[derive(Debug, Clone, Copy)]
enum Case {
    AsWritten,
    Lower,
    Upper,
}

impl Case {
    fn apply(self, word: &str) -> String {
        match self {
            Case::AsWritten => word.to_owned(),
            Case::Lower => word.to_ascii_lowercase(),
            Case::Upper => word.to_ascii_uppercase(),
        }
    }
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![Just(Case::AsWritten), Just(Case::Lower), Just(Case::Upper)]
}

/// What comes before a `password=` setting.
#[derive(Debug, Clone, Copy)]
enum SettingContext {
    Bare,
    ConnectionString,
    QueryString,
    AfterSemicolon,
}

/// The value of a `password=` setting.
#[derive(Debug, Clone)]
enum SettingValue {
    /// A run of characters other than whitespace, `;` and `&`.
    Run(String),
    /// `'...'`, possibly with spaces, `;` and `&` inside, possibly empty.
    Quoted(String),
}

/// One piece of text: a secret of one shape, or text that only looks like one.
#[derive(Debug, Clone)]
enum Fragment {
    /// Text with no secret.
    Plain(&'static str),
    /// `scheme://user:PASSWORD@rest`.
    UrlPassword {
        scheme: &'static str,
        user: &'static str,
        password: String,
        rest: &'static str,
    },
    /// A URL with no password to replace.
    UrlWithoutPassword(&'static str),
    /// `password = value`, in some context.
    Setting {
        context: SettingContext,
        word: &'static str,
        case: Case,
        space_before: bool,
        space_after: bool,
        value: SettingValue,
    },
    /// Text that is not a password setting.
    NotASetting(&'static str),
    /// `Bearer TOKEN==`.
    Bearer {
        header: bool,
        case: Case,
        gap: &'static str,
        token: String,
        padding: usize,
    },
    /// Text that is not a bearer token.
    NotABearer(&'static str),
    /// `eyJ...` `.` `...` `.` `...`, maybe with no signature.
    Jwt {
        context: &'static str,
        header: String,
        payload: String,
        signature: String,
    },
    /// Text that is not a JWT.
    NotAJwt(&'static str),
    /// An AWS access key ID: a prefix and 16 uppercase letters or digits.
    AwsKey {
        context: &'static str,
        prefix: &'static str,
        body: String,
    },
    /// A prefix and a body that is not exactly 16 uppercase letters or
    /// digits, or a key inside a longer word.
    NotAnAwsKey {
        before: &'static str,
        prefix: &'static str,
        body: String,
    },
}

impl Fragment {
    fn render(&self) -> String {
        match self {
            Fragment::Plain(text)
            | Fragment::UrlWithoutPassword(text)
            | Fragment::NotASetting(text)
            | Fragment::NotABearer(text)
            | Fragment::NotAJwt(text) => (*text).to_owned(),
            Fragment::UrlPassword {
                scheme,
                user,
                password,
                rest,
            } => format!("{scheme}://{user}:{password}@{rest}"),
            Fragment::Setting {
                context,
                word,
                case,
                space_before,
                space_after,
                value,
            } => format!(
                "{}{}{}={}{}",
                match context {
                    SettingContext::Bare => "",
                    SettingContext::ConnectionString => "host=db user=app ",
                    SettingContext::QueryString => "https://db.example/login?user=app&",
                    SettingContext::AfterSemicolon => "Server=db;",
                },
                case.apply(word),
                if *space_before { " " } else { "" },
                if *space_after { "  " } else { "" },
                match value {
                    SettingValue::Run(v) => v.clone(),
                    SettingValue::Quoted(v) => format!("'{v}'"),
                }
            ),
            Fragment::Bearer {
                header,
                case,
                gap,
                token,
                padding,
            } => format!(
                "{}{}{gap}{token}{}",
                if *header { "Authorization: " } else { "" },
                case.apply("Bearer"),
                "=".repeat(*padding)
            ),
            Fragment::Jwt {
                context,
                header,
                payload,
                signature,
            } => format!("{context}eyJ{header}.{payload}.{signature}"),
            Fragment::AwsKey {
                context,
                prefix,
                body,
            } => format!("{context}{prefix}{body}"),
            Fragment::NotAnAwsKey {
                before,
                prefix,
                body,
            } => format!("{before}{prefix}{body}"),
        }
    }

    /// The brief's rule this fragment exercises.
    fn rule(&self) -> &'static str {
        match self {
            Fragment::Plain(_) => "keep-other-text",
            Fragment::UrlPassword { .. } | Fragment::UrlWithoutPassword(_) => "url-password",
            Fragment::Setting { .. } | Fragment::NotASetting(_) => "password-setting",
            Fragment::Bearer { .. } | Fragment::NotABearer(_) => "bearer-token",
            Fragment::Jwt { .. } | Fragment::NotAJwt(_) => "jwt",
            Fragment::AwsKey { .. } | Fragment::NotAnAwsKey { .. } => "aws-key",
        }
    }
}

/// Characters from `alphabet`, `len` of them.
fn chars_from(
    alphabet: &'static str,
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(select(chars), len).prop_map(|c| c.into_iter().collect())
}

/// Letters and digits without `p` (so no random run spells a password word).
const ALNUM: &str = "ABCDEFGHIJKLMNOQRSTUVWXYZabcdefghijklmnoqrstuvwxyz0123456789";
/// Uppercase letters and digits.
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn fragment() -> impl Strategy<Value = Fragment> {
    let url = (
        select(vec![
            "postgres",
            "postgresql",
            "redis",
            "mysql+pymysql",
            "https",
            "s3.v2-x",
        ]),
        select(vec!["app", "", "admin.user", "u-1"]),
        prop_oneof![
            3 => chars_from(ALNUM, 4..14),
            1 => chars_from("ab:!$%*-_.~9", 3..10),
        ],
        select(vec![
            "db:5432/prod",
            "cache",
            "host/path?x=1#frag",
            "[::1]:6379",
        ]),
    )
        .prop_map(|(scheme, user, password, rest)| Fragment::UrlPassword {
            scheme,
            user,
            password,
            rest,
        });
    let not_url = select(vec![
        "http://host:8080/a@b",
        "https://user@host/x",
        "mailto:ops@example.com",
        "http://host/a:b@c",
        "://nouser:x@host",
    ])
    .prop_map(Fragment::UrlWithoutPassword);
    let setting_value = prop_oneof![
        3 => chars_from("abcdefXYZ0123!$%,.:/", 1..10).prop_map(SettingValue::Run),
        2 => chars_from("ab c;d&e f", 0..10).prop_map(SettingValue::Quoted),
    ];
    let setting = (
        prop_oneof![
            3 => Just(SettingContext::Bare),
            1 => Just(SettingContext::ConnectionString),
            1 => Just(SettingContext::QueryString),
            1 => Just(SettingContext::AfterSemicolon),
        ],
        select(vec!["password", "passwd", "pwd", "Password", "Pwd"]),
        case(),
        any::<bool>(),
        any::<bool>(),
        setting_value,
    )
        .prop_map(|(context, word, case, space_before, space_after, value)| {
            Fragment::Setting {
                context,
                word,
                case,
                space_before,
                space_after,
                value,
            }
        });
    let not_setting = select(vec![
        "keypwd=abc",
        "mypassword=abc",
        "password: abc",
        "passwords=abc",
        "pwdx=abc",
    ])
    .prop_map(Fragment::NotASetting);
    let bearer = (
        any::<bool>(),
        case(),
        select(vec![" ", "  ", "\t", "\n"]),
        prop_oneof![
            3 => chars_from(ALNUM, 8..30),
            1 => chars_from("ab-._~+/9Z", 4..20),
        ],
        prop_oneof![2 => Just(0usize), 1 => 1usize..3],
    )
        .prop_map(|(header, case, gap, token, padding)| Fragment::Bearer {
            header,
            case,
            gap,
            token,
            padding,
        });
    let not_bearer = select(vec![
        "Bearerabc123",
        "xbearer abc123",
        "bearer",
        "the bearer",
    ])
    .prop_map(Fragment::NotABearer);
    let base64url = "ABCDEFGHIJKLMNOQRSTUVWXYZabcdefghijklmnoqrstuvwxyz0123456789_-";
    let jwt = (
        select(vec!["", "id_token=", "\"", "("]),
        chars_from(base64url, 1..16),
        chars_from(base64url, 1..24),
        prop_oneof![1 => Just(String::new()), 3 => chars_from(base64url, 1..20)],
    )
        .prop_map(|(context, header, payload, signature)| Fragment::Jwt {
            context,
            header,
            payload,
            signature,
        });
    let not_jwt = select(vec![
        "eyJhbGciOi.only-two",
        "xeyJabc.def.ghi",
        "eyjabc.def.ghi",
    ])
    .prop_map(Fragment::NotAJwt);
    let prefixes = vec![
        "AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA",
    ];
    let aws = (
        select(vec!["", "aws_access_key_id=", "\""]),
        select(prefixes.clone()),
        chars_from(UPPER, 16..17),
    )
        .prop_map(|(context, prefix, body)| Fragment::AwsKey {
            context,
            prefix,
            body,
        });
    let not_aws = prop_oneof![
        (select(prefixes.clone()), chars_from(UPPER, 15..16)).prop_map(|(prefix, body)| {
            Fragment::NotAnAwsKey {
                before: "",
                prefix,
                body,
            }
        }),
        (select(prefixes.clone()), chars_from(UPPER, 17..19)).prop_map(|(prefix, body)| {
            Fragment::NotAnAwsKey {
                before: "",
                prefix,
                body,
            }
        }),
        (select(prefixes), chars_from(UPPER, 16..17)).prop_map(|(prefix, body)| {
            Fragment::NotAnAwsKey {
                before: "X",
                prefix,
                body,
            }
        }),
        chars_from(UPPER, 16..17).prop_map(|body| Fragment::NotAnAwsKey {
            before: "",
            prefix: "AKIB",
            body,
        }),
        chars_from(UPPER, 15..16).prop_map(|body| Fragment::NotAnAwsKey {
            before: "",
            prefix: "AKIA",
            body: format!("{body}x"),
        }),
    ];
    let plain = select(vec![
        "SELECT * FROM users",
        "read_log",
        "user@example.com",
        "a=b",
        "key: value",
        "100%",
        "the pass is open",
        "éclair à la crème",
        "🔑 key",
        "",
    ])
    .prop_map(Fragment::Plain);
    prop_oneof![
        2 => plain,
        3 => url,
        1 => not_url,
        3 => setting,
        1 => not_setting,
        3 => bearer,
        1 => not_bearer,
        3 => jwt,
        1 => not_jwt,
        3 => aws,
        2 => not_aws,
    ]
}

/// What separates two fragments.
#[derive(Debug, Clone, Copy)]
enum Separator {
    Space,
    Newline,
    Tab,
    CommaSpace,
    Semicolon,
    Ampersand,
}

impl Separator {
    fn text(self) -> &'static str {
        match self {
            Separator::Space => " ",
            Separator::Newline => "\n",
            Separator::Tab => "\t",
            Separator::CommaSpace => ", ",
            Separator::Semicolon => ";",
            Separator::Ampersand => "&",
        }
    }
}

/// Text made of fragments, each followed by a separator.
#[derive(Debug, Clone)]
struct ShapedText {
    parts: Vec<(Fragment, Separator)>,
}

impl ShapedText {
    fn render(&self) -> String {
        let mut out = String::new();
        for (i, (fragment, separator)) in self.parts.iter().enumerate() {
            out.push_str(&fragment.render());
            if i + 1 < self.parts.len() {
                out.push_str(separator.text());
            }
        }
        out
    }
}

fn shaped_text() -> impl Strategy<Value = ShapedText> {
    let separator = prop_oneof![
        4 => Just(Separator::Space),
        1 => Just(Separator::Newline),
        1 => Just(Separator::Tab),
        1 => Just(Separator::CommaSpace),
        1 => Just(Separator::Semicolon),
        1 => Just(Separator::Ampersand),
    ];
    prop::collection::vec((fragment(), separator), 1..5).prop_map(|parts| ShapedText { parts })
}

/// `redact_text`, shapes 1-5 and "keep every other character": on text
/// made of secrets of each shape in their variants (an empty URL user, a
/// quoted or spaced setting, `pwd`, any case, padding, an unsigned JWT,
/// every AWS prefix) and of text that only looks like one (a port before a
/// `@`, `keypwd=`, a key of 17 characters), the output is the reference's,
/// character for character; text with no secret comes back borrowed.
pub fn redact_text_shapes<S: Api>() -> Outcome {
    property(384, shaped_text(), |shaped| {
        let text = shaped.render();
        let (want, want_borrowed) = Reference::redact_text(&text);
        let (got, got_borrowed) = S::redact_text(&text);
        if got != want {
            // Name the shape of the first fragment that goes wrong alone.
            let rule = shaped
                .parts
                .iter()
                .map(|(f, _)| (f.rule(), f.render()))
                .find(|(_, alone)| S::redact_text(alone).0 != Reference::redact_text(alone).0)
                .map_or("keep-other-text", |(rule, _)| rule);
            return ensure_rule(rule, false, || {
                format!("redact_text({text:?}) gave {got:?}, expected {want:?}")
            });
        }
        ensure_rule(
            "borrowed-when-clean",
            got_borrowed || !want_borrowed,
            || format!("{text:?} holds no secret, but came back as Cow::Owned, not Cow::Borrowed"),
        )
    })
}

// ----------------------------------------------------- keys and values ----

/// How a key is spelled.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    AsWritten,
    Upper,
    Snake,
    Kebab,
    Camel,
    Dotted,
    Spaced,
    WithAccent,
}

/// A key made of words, spelled one way.
#[derive(Debug, Clone)]
struct Key {
    words: Vec<&'static str>,
    spelling: Spelling,
}

impl Key {
    fn text(&self) -> String {
        let words = &self.words;
        match self.spelling {
            Spelling::AsWritten => words.concat(),
            Spelling::Upper => words.join("_").to_ascii_uppercase(),
            Spelling::Snake => words.join("_"),
            Spelling::Kebab => words.join("-"),
            Spelling::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let mut cs = w.chars();
                    match cs.next() {
                        Some(c) if i > 0 => c.to_ascii_uppercase().to_string() + cs.as_str(),
                        _ => (*w).to_owned(),
                    }
                })
                .collect(),
            Spelling::Dotted => words.join("."),
            Spelling::Spaced => words.join(" "),
            Spelling::WithAccent => words.join("é"),
        }
    }
}

/// Words keys are made of: parts of `SENSITIVE_KEY_PARTS` split in two, and
/// words that only look sensitive.
const KEY_WORDS: &[&str] = &[
    "pass",
    "word",
    "passwd",
    "phrase",
    "secret",
    "token",
    "api",
    "key",
    "access",
    "private",
    "authorization",
    "credential",
    "cookie",
    "client",
    "refresh",
    "db",
    "x",
    "monkey",
    "board",
    "primary",
    "author",
    "lines",
    "query",
    "path",
    "keys",
    "pw",
    "sec",
    "ret",
    "2",
];

fn key() -> impl Strategy<Value = Key> {
    let spelling = prop_oneof![
        Just(Spelling::AsWritten),
        Just(Spelling::Upper),
        Just(Spelling::Snake),
        Just(Spelling::Kebab),
        Just(Spelling::Camel),
        Just(Spelling::Dotted),
        Just(Spelling::Spaced),
        Just(Spelling::WithAccent),
    ];
    (
        prop::collection::vec(select(KEY_WORDS.to_vec()), 1..4),
        spelling,
    )
        .prop_map(|(words, spelling)| Key { words, spelling })
}

/// A JSON value built for `redact`: every type under every kind of key.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    Text(ShapedText),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => json!(b),
            Json::Integer(n) => json!(n),
            Json::Float(x) => json!(x),
            Json::Text(t) => Value::String(t.render()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.text(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::Integer),
        (-1e6f64..1e6).prop_map(Json::Float),
        shaped_text().prop_map(Json::Text),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..5).prop_map(Json::Object),
        ]
    })
}

/// The first place where `got` and `want` differ, with the rule it breaks.
fn first_difference(got: &Value, want: &Value, at: &str) -> Option<(&'static str, String)> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            if g.len() != w.len() || g.keys().zip(w.keys()).any(|(a, b)| a != b) {
                return Some(("structure-kept", format!("{at}: the keys changed")));
            }
            for (k, wv) in w {
                let gv = &g[k];
                if gv == wv {
                    continue;
                }
                if Reference::is_sensitive_key(k) {
                    return Some((
                        "sensitive-value-any-type",
                        format!(
                            "{at}.{k}: a sensitive key's value must become \"[REDACTED]\", got {gv}"
                        ),
                    ));
                }
                return first_difference(gv, wv, &format!("{at}.{k}"));
            }
            None
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, &format!("{at}[{i}]"))),
        (Value::String(g), Value::String(w)) if g != w => Some((
            "strings-redacted",
            format!("{at}: the string became {g:?}, expected redact_text's {w:?}"),
        )),
        _ if got != want => Some((
            "structure-kept",
            format!("{at}: became {got}, expected {want}"),
        )),
        _ => None,
    }
}

/// `is_sensitive_key` and `redact`: generated keys (sensitive parts in
/// every spelling, split by `_`, `-`, `.`, spaces or a non-ASCII letter,
/// and look-alikes such as `monkey` or `keyboard`) are judged as the
/// reference judges them; in generated JSON every key is kept, a sensitive
/// key's value becomes `"[REDACTED]"` whatever its type (null included),
/// strings go through `redact_text`, arrays and objects are redacted
/// item by item, and numbers, booleans and null are copied.
pub fn redact_keys_and_values<S: Api>() -> Outcome {
    let case = (key(), json_value()).prop_map(|(key, value)| KeyAndValue { key, value });
    property(192, case, |KeyAndValue { key, value }| {
        let name = key.text();
        let got = S::is_sensitive_key(&name);
        let want = Reference::is_sensitive_key(&name);
        ensure_rule("sensitive-key-normalized", got == want, || {
            format!("is_sensitive_key({name:?}) gave {got}, expected {want}")
        })?;
        let input = Value::Object(Map::from_iter([(name, value.to_value())]));
        let got = S::redact(&input);
        let want = Reference::redact(&input);
        match first_difference(&got, &want, "$") {
            None => Ok(()),
            Some((rule, message)) => ensure_rule(rule, false, || message),
        }
    })
}

/// A key, and a value stored under it.
#[derive(Debug, Clone)]
struct KeyAndValue {
    key: Key,
    value: Json,
}

// ------------------------------------------------------------ record_at ----

/// Whether JSON text has no whitespace outside its strings.
fn is_compact(json: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() {
            return false;
        }
    }
    true
}

/// The line written, parsed, or why the writes break the rules.
fn one_line(recorded: &Recorded) -> Result<(String, Map<String, Value>), String> {
    recorded
        .result
        .clone()
        .map_err(|e| format!("record_at failed on a healthy writer: {e}"))?;
    let writes: Vec<&Vec<u8>> = recorded
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Write(bytes) => Some(bytes),
            Event::Flush => None,
        })
        .collect();
    let [bytes] = writes.as_slice() else {
        return check_rule("one-line-one-write", false, || {
            format!(
                "the entry must be written with a single write_all; the writer got {} writes: {:?}",
                writes.len(),
                writes
                    .iter()
                    .map(|b| String::from_utf8_lossy(b))
                    .collect::<Vec<_>>()
            )
        })
        .map(|()| (String::new(), Map::new()));
    };
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("the entry is not UTF-8: {e}"))?;
    check_rule(
        "one-line-one-write",
        text.ends_with('\n') && text.matches('\n').count() == 1,
        || format!("expected exactly one line ending in a newline, got {text:?}"),
    )?;
    check_rule(
        "flush-after-write",
        recorded.events.last() == Some(&Event::Flush)
            && matches!(recorded.events.first(), Some(Event::Write(_))),
        || {
            format!(
                "write the line, then flush, and nothing else; the writer saw {:?}",
                recorded
                    .events
                    .iter()
                    .map(|e| match e {
                        Event::Write(_) => "write",
                        Event::Flush => "flush",
                    })
                    .collect::<Vec<_>>()
            )
        },
    )?;
    let entry: Value = serde_json::from_str(text.trim_end())
        .map_err(|e| format!("the line is not JSON ({e}): {text}"))?;
    let Value::Object(fields) = entry else {
        return Err(format!("the line is not a JSON object: {text}"));
    };
    check_rule(
        "one-line-one-write",
        is_compact(text.trim_end_matches('\n')),
        || {
            format!(
                "the JSON must be serialized compactly, with no spaces between its parts: {text:?}"
            )
        },
    )?;
    Ok((text, fields))
}

/// Compares an entry's fields with the reference's for the same call.
fn same_fields(
    call: &Call,
    got: &Map<String, Value>,
    want: &Map<String, Value>,
) -> Result<(), String> {
    let mut names: Vec<&String> = got.keys().collect();
    names.sort();
    check_rule(
        "six-fields",
        names
            == [
                "arguments",
                "duration_ms",
                "result_length",
                "success",
                "timestamp",
                "tool",
            ],
        || {
            format!(
                "the entry must have exactly timestamp, tool, arguments, success, duration_ms and result_length; it has {names:?}"
            )
        },
    )?;
    check_rule("timestamp", got["timestamp"] == want["timestamp"], || {
        format!(
            "timestamp: expected rfc3339(at), {}, got {}",
            want["timestamp"], got["timestamp"]
        )
    })?;
    for field in ["tool", "success"] {
        check_rule("six-fields", got[field] == want[field], || {
            format!("{field}: expected {}, got {}", want[field], got[field])
        })?;
    }
    check_rule(
        "six-fields",
        got["result_length"].as_u64() == Some(call.result_len as u64),
        || {
            format!(
                "result_length: expected the integer {}, got {}",
                call.result_len, got["result_length"]
            )
        },
    )?;
    check_rule(
        "arguments-redacted",
        got["arguments"] == want["arguments"],
        || {
            format!(
                "arguments: expected redact(arguments), {}, got {}",
                want["arguments"], got["arguments"]
            )
        },
    )?;
    let ms = &got["duration_ms"];
    let nanos = call.duration.as_nanos();
    let exact = nanos as f64 / 1e6;
    let close = match ms.as_f64() {
        Some(v) if ms.is_f64() && nanos.is_multiple_of(1000) => (v - exact).abs() <= 1e-6,
        // Within a microsecond of the exact time, and a whole number of
        // microseconds: "to the microsecond" leaves truncating or rounding
        // the nanoseconds open, but not keeping them.
        Some(v) if ms.is_f64() => {
            let micros = v * 1000.0;
            (v - exact).abs() <= 1e-3 && (micros - micros.round()).abs() <= 1e-6
        }
        _ => false,
    };
    check_rule("duration-ms", close, || {
        format!(
            "duration_ms for {:?}: expected the float {exact} (milliseconds, to the microsecond), got {ms}",
            call.duration
        )
    })
}

/// `AuditLog::record_at` on fixed calls: one compact JSON line with the
/// six fields and their values (the password in the arguments redacted,
/// 12345 µs as `12.345`), written with a single `write_all` and then
/// flushed; a failing write and a failing flush are returned as errors,
/// never unwrapped.
pub fn audit_entry_format<S: Api>() -> Outcome {
    unit((|| {
        let at = UNIX_EPOCH + Duration::from_millis(1_772_360_430_456);
        let call = Call {
            tool: "read_log".into(),
            arguments: json!({"path": "app.log", "auth": {"password": "hunter2"}, "lines": 5}),
            success: false,
            duration: Duration::from_micros(12_345),
            result_len: 77,
        };
        let recorded = S::audit(at, &call, Disk::Healthy);
        let (text, got) = one_line(&recorded)?;
        let reference = Reference::audit(at, &call, Disk::Healthy);
        let (_, want) = one_line(&reference).map_err(|e| format!("grader bug: {e}"))?;
        same_fields(&call, &got, &want)?;
        check_rule("arguments-redacted", !text.contains("hunter2"), || {
            "the password reached the log".into()
        })?;
        check_rule(
            "errors-returned",
            S::audit(at, &call, Disk::FailsOnFlush).result.is_err(),
            || "a writer whose flush fails must give an error, not Ok".into(),
        )?;
        check_rule(
            "errors-returned",
            S::audit(at, &call, Disk::FailsOnWrite).result.is_err(),
            || "a writer whose write fails must give an error, not Ok".into(),
        )?;
        check_rule(
            "errors-returned",
            S::audit_failing_writer().is_err(),
            || "record on a writer that fails must give an error, not Ok".into(),
        )?;
        Ok("fields, one line in one write, then a flush, redaction, and failing writers".into())
    })())
}

/// A generated call for `record_at`.
#[derive(Debug, Clone)]
struct AuditCase {
    at_ms: u64,
    tool: &'static str,
    arguments: Json,
    success: bool,
    duration_ns: u64,
    result_len: usize,
}

fn audit_case() -> impl Strategy<Value = AuditCase> {
    let at_ms = prop_oneof![
        1 => Just(0u64),
        1 => (0u64..4_000_000_000).prop_map(|s| s * 1000),
        1 => (0u64..4_000_000_000).prop_map(|s| s * 1000 + 999),
        2 => 0u64..4_000_000_000_000,
    ];
    let duration_ns = prop_oneof![
        2 => select(vec![0u64, 1_000, 999_000, 1_000_000, 12_345_000, 1_000_000_000, 86_400_000_001_000]),
        2 => (0u64..100_000_000).prop_map(|us| us * 1000),
        1 => 0u64..10_000_000_000,
    ];
    let result_len = prop_oneof![
        1 => select(vec![0usize, 1, usize::MAX]),
        3 => 0usize..1_000_000,
    ];
    (
        at_ms,
        select(vec![
            "read_log",
            "query_database",
            "tool \"quoted\"",
            "outil-é",
            "back\\slash",
        ]),
        json_value(),
        any::<bool>(),
        duration_ns,
        result_len,
    )
        .prop_map(
            |(at_ms, tool, arguments, success, duration_ns, result_len)| AuditCase {
                at_ms,
                tool,
                arguments,
                success,
                duration_ns,
                result_len,
            },
        )
}

/// `AuditLog::record_at` on generated calls: the timestamp is exactly
/// `rfc3339(at)`, `duration_ms` is a float of milliseconds to the
/// microsecond (0, 1 µs, 999 µs, a day and a microsecond...),
/// `result_length` the integer given (0 and the largest `usize`
/// included), the arguments are `redact`'s, and there are exactly six
/// fields on one compact line.
pub fn audit_entry_fields<S: Api>() -> Outcome {
    property(128, audit_case(), |case| {
        let at = UNIX_EPOCH + Duration::from_millis(case.at_ms);
        let call = Call {
            tool: case.tool.to_owned(),
            arguments: case.arguments.to_value(),
            success: case.success,
            duration: Duration::from_nanos(case.duration_ns),
            result_len: case.result_len,
        };
        let at: SystemTime = at;
        let result = (|| {
            let (_, got) = one_line(&S::audit(at, &call, Disk::Healthy))?;
            let (_, want) = one_line(&Reference::audit(at, &call, Disk::Healthy))
                .map_err(|e| format!("grader bug: {e}"))?;
            same_fields(&call, &got, &want)
        })();
        result.map_err(TestCaseError::fail)
    })
}
