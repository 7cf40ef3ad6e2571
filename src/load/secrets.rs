//! Credentials written into a file: found, reported by kind and place, and
//! masked in the source text so no output can repeat them.
//!
//! The raw text of every file the workspace reads is scanned before it is
//! parsed — keys, values and comments alike, and files that are not valid
//! UTF-8 or YAML — and what is found is masked before the parser sees it,
//! so that nothing downstream (a message naming an unknown key, a label
//! rendered into a tag, a snippet) can print it. Then each parsed value is
//! scanned again under its key, for what only the key makes a secret.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::raw::{Node, Value};
use crate::source::{FileId, Loc, Span};

/// Scan the raw text of a file: report each credential found in it, and
/// return the spans to mask with the text found there.
pub fn scan_text(file: FileId, text: &str, out: &mut Diagnostics) -> Vec<(Span, String)> {
    let mut found: Vec<(Span, &'static str)> = Vec::new();
    private_keys(text, &mut found);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        tokens(line, offset, &mut found);
        assignments(line, offset, &mut found);
        offset += line.len();
    }
    found.sort_by_key(|(span, _)| (span.start(), std::cmp::Reverse(span.len())));
    let mut masked: Vec<(Span, String)> = Vec::new();
    for (span, kind) in found {
        // one report per place: a span inside one already found is the same
        if masked.last().is_some_and(|(s, _)| span.start() < s.end()) {
            continue;
        }
        let Some(raw) = text.get(span.start()..span.end()) else {
            continue;
        };
        masked.push((span, raw.to_owned()));
        out.push(diagnostic(Loc::new(file, span), kind));
    }
    masked
}

/// Private key blocks, from their `BEGIN` line to their `END` line.
fn private_keys(text: &str, found: &mut Vec<(Span, &'static str)>) {
    let mut at = 0;
    while let Some(i) = text.get(at..).and_then(|t| t.find("-----BEGIN")) {
        let start = at + i;
        let head_end = text
            .get(start..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |j| start + j);
        let head = text.get(start..head_end).unwrap_or("");
        if !head.contains("PRIVATE KEY") {
            at = head_end;
            continue;
        }
        let end = text
            .get(start..)
            .and_then(|t| t.find("-----END"))
            .and_then(|j| {
                let from = start + j;
                text.get(from..)
                    .and_then(|t| t.find("-----\n").or_else(|| t.rfind("-----")))
                    .map(|k| from + k + 5)
            })
            .unwrap_or(text.len());
        let end = end.max(head_end).min(text.len());
        found.push((Span::new(start, end - start), "a private key"));
        at = end;
    }
}

/// What separates tokens in a line of YAML.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | ','
                | ';'
                | '='
                | '['
                | ']'
                | '{'
                | '}'
                | '('
                | ')'
                | '#'
                | '`'
                | '\\'
                | '|'
        )
}

/// Tokens of a known shape, and URLs with a password.
fn tokens(line: &str, offset: usize, found: &mut Vec<(Span, &'static str)>) {
    let mut start = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        match (start, separator(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                let token = line.get(s..i).unwrap_or("");
                // a YAML key or value may end or begin with `:`
                let trimmed = token.trim_end_matches(':');
                let lead = trimmed.len() - trimmed.trim_start_matches(':').len();
                let t = trimmed.trim_start_matches(':');
                let kind = (t.len() >= MIN_TOKEN)
                    .then(|| classify_token(t))
                    .flatten()
                    .or_else(|| {
                        (t.contains('@') && has_url_password(t))
                            .then_some("a URL with an embedded password")
                    });
                if let Some(kind) = kind {
                    found.push((Span::new(offset + s + lead, t.len()), kind));
                }
                start = None;
            }
            _ => {}
        }
    }
}

/// `NAME: VALUE` or `NAME=VALUE` where the name says it is a secret and
/// the value looks like one (`client_secret: …`, `aws_secret_access_key=…`
/// inside a value or a comment), and Azure connection strings' keys.
fn assignments(line: &str, offset: usize, found: &mut Vec<(Span, &'static str)>) {
    for (i, c) in line.char_indices() {
        if c != ':' && c != '=' {
            continue;
        }
        let before = line
            .get(..i)
            .unwrap_or("")
            .trim_end_matches([' ', '"', '\'']);
        let name_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |j| j + 1);
        let name = before.get(name_start..).unwrap_or("");
        let after = line.get(i + 1..).unwrap_or("");
        // `a:b` inside an ARN or a URL is no assignment: a YAML key is
        // followed by a space and starts its own word
        let starts_word = before
            .get(..name_start)
            .and_then(|b| b.chars().next_back())
            .is_none_or(|p| p.is_whitespace() || matches!(p, '{' | ',' | '"' | '\'' | '-' | '#'));
        if c == ':' && (!after.starts_with(char::is_whitespace) || !starts_word) {
            continue;
        }
        let value_start = after.len() - after.trim_start_matches([' ', '"', '\'']).len();
        let value_text = after.get(value_start..).unwrap_or("");
        let value_len = value_text.find(separator).unwrap_or(value_text.len());
        let value = value_text.get(..value_len).unwrap_or("");
        let span = Span::new(offset + i + 1 + value_start, value_len);
        if c == '=' && (name == "AccountKey" || name == "SharedAccessKey") && value.len() >= 8 {
            found.push((span, "an Azure connection string with a key"));
        } else if !name.is_empty() && names_a_secret(name) && looks_random(value) {
            found.push((
                span,
                "a credential (a secret-named key with a secret-like value)",
            ));
        }
    }
}

/// Scan every scalar of a document; report each credential-looking value
/// and return the spans to mask with the values found there.
pub fn scan(file: FileId, node: &Node, out: &mut Diagnostics) -> Vec<(Span, String)> {
    let mut masked = Vec::new();
    walk(file, node, false, out, &mut masked);
    masked
}

fn walk(
    file: FileId,
    node: &Node,
    secret_key: bool,
    out: &mut Diagnostics,
    masked: &mut Vec<(Span, String)>,
) {
    match &node.value {
        Value::Str(s) => {
            if let Some(kind) = classify_value(secret_key, s) {
                masked.push((node.span, s.clone()));
                out.push(diagnostic(Loc::new(file, node.span), kind));
            }
        }
        Value::Seq(items) => {
            for item in items {
                walk(file, item, secret_key, out, masked);
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                walk(file, v, names_a_secret(&k.name), out, masked);
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
}

fn diagnostic(loc: Loc, kind: &str) -> Diagnostic {
    Diagnostic::new(Code::InlineSecret, format!("value looks like {kind}"))
        .primary(loc, "credential here (hidden)")
        .help(
            "remove it, revoke it (it stays in Git history), and point at it with \
             `auth.secret_ref` such as `vault://…` instead",
        )
        .note("OWASP NHI2: secret leakage")
}

/// What kind of credential `value` looks like, if any, under a mapping
/// key named `key`.
#[must_use]
pub fn classify(key: Option<&str>, value: &str) -> Option<&'static str> {
    classify_value(key.is_some_and(names_a_secret), value)
}

/// The shortest token any detector matches (a Slack token).
const MIN_TOKEN: usize = 15;

fn classify_value(secret_key: bool, value: &str) -> Option<&'static str> {
    let value = value.trim();
    // identifiers and action names are short: keep the common case cheap
    if value.len() < 8 {
        return None;
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if value.len() >= MIN_TOKEN {
        let tokens =
            value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '='));
        if let Some(kind) = tokens
            .filter(|t| t.len() >= MIN_TOKEN)
            .find_map(classify_token)
        {
            return Some(kind);
        }
    }
    if value.contains('=') && (value.contains("AccountKey=") || value.contains("SharedAccessKey="))
    {
        return Some("an Azure connection string with a key");
    }
    if value.contains('@') && has_url_password(value) {
        return Some("a URL with an embedded password");
    }
    if secret_key && looks_random(value) {
        return Some("a credential (a secret-named key with a secret-like value)");
    }
    None
}

fn classify_token(t: &str) -> Option<&'static str> {
    let all = |s: &str, f: fn(char) -> bool| !s.is_empty() && s.chars().all(f);
    let upper_digit = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let b64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';

    const AWS_PREFIXES: [&str; 8] = [
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
    ];
    if t.len() == 20 && AWS_PREFIXES.iter().any(|p| t.starts_with(p)) && all(t, upper_digit) {
        return Some("an AWS access key");
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = t.strip_prefix(prefix)
            && rest.len() >= 30
            && all(rest, alnum)
        {
            return Some("a GitHub token");
        }
    }
    if t.strip_prefix("github_pat_")
        .is_some_and(|r| r.len() >= 20 && all(r, b64url))
    {
        return Some("a GitHub token");
    }
    if t.strip_prefix("glpat-")
        .is_some_and(|r| r.len() >= 20 && all(r, b64url))
    {
        return Some("a GitLab token");
    }
    for prefix in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"] {
        if t.strip_prefix(prefix).is_some_and(|r| r.len() >= 10) {
            return Some("a Slack token");
        }
    }
    if t.strip_prefix("AIza")
        .is_some_and(|r| r.len() == 35 && all(r, b64url))
    {
        return Some("a Google API key");
    }
    for prefix in ["sk_live_", "rk_live_"] {
        if t.strip_prefix(prefix)
            .is_some_and(|r| r.len() >= 16 && all(r, alnum))
        {
            return Some("a Stripe key");
        }
    }
    if t.strip_prefix("sk-")
        .is_some_and(|r| r.len() >= 20 && all(r, b64url))
    {
        return Some("an AI provider API key");
    }
    if t.strip_prefix("npm_")
        .is_some_and(|r| r.len() == 36 && all(r, alnum))
    {
        return Some("an npm token");
    }
    if t.strip_prefix("hf_")
        .is_some_and(|r| r.len() >= 30 && all(r, alnum))
    {
        return Some("a Hugging Face token");
    }
    if let Some(rest) = t.strip_prefix("SG.")
        && let Some((id, key)) = rest.split_once('.')
        && id.len() == 22
        && key.len() == 43
        && all(id, b64url)
        && all(key, b64url)
    {
        return Some("a SendGrid API key");
    }
    let parts: Vec<&str> = t.split('.').collect();
    if let [header, payload, signature] = parts.as_slice()
        && header.starts_with("eyJ")
        && payload.starts_with("eyJ")
        && header.len() >= 10
        && payload.len() >= 10
        && signature.len() >= 10
        && parts.iter().all(|p| all(p, b64url))
    {
        return Some("a JSON Web Token");
    }
    None
}

fn has_url_password(value: &str) -> bool {
    value.split_whitespace().any(|word| {
        word.split_once("://").is_some_and(|(scheme, rest)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            !scheme.is_empty()
                && authority
                    .rsplit_once('@')
                    .and_then(|(userinfo, _)| userinfo.split_once(':'))
                    .is_some_and(|(_, password)| !password.is_empty())
        })
    })
}

fn names_a_secret(key: &str) -> bool {
    if !key
        .bytes()
        .any(|b| matches!(b.to_ascii_lowercase(), b's' | b'p' | b't' | b'k' | b'c'))
    {
        return false;
    }
    let key = key.to_ascii_lowercase();
    if key.ends_with("_ref") || key.ends_with("_ttl") || key.ends_with("rotation") {
        return false;
    }
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "private_key",
        "access_key",
        "credential",
    ]
    .iter()
    .any(|w| key.contains(w))
}

/// Long, without spaces, mixing letters and digits, and not a reference.
fn looks_random(value: &str) -> bool {
    let is_reference = value.contains("://")
        || value.starts_with("${")
        || value.starts_with("env:")
        || value.starts_with("ref:");
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let has_alpha = value.chars().any(|c| c.is_ascii_alphabetic());
    // a time is no secret (`aws:TokenIssueTime: 2020-01-01T00:00:01Z`)
    let is_time = value.parse::<jiff::Timestamp>().is_ok();
    !is_reference
        && !is_time
        && value.len() >= 12
        && !value.contains(char::is_whitespace)
        && has_digit
        && has_alpha
}

#[cfg(test)]
mod tests {
    use super::{Diagnostics, classify, scan_text};

    #[test]
    fn finds_credentials_by_kind() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "a GitHub token"),
            ("xoxb-1234567890-abcdef", "a Slack token"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
                "a private key",
            ),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                "a Google API key",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "a JSON Web Token",
            ),
            (
                "postgres://app:hunter2@db.internal/app",
                "a URL with an embedded password",
            ),
        ];
        for (value, kind) in cases {
            assert_eq!(classify(None, value), Some(kind), "{value}");
        }
        assert!(classify(Some("client_secret"), "q8Zr1x0pLw3vT9").is_some());
    }

    #[test]
    fn finds_credentials_anywhere_in_the_raw_text() {
        let text = "agent: a\n\
            labels:\n  ghp_abcdefghijklmnopqrstuvwxyz0123456789: x\n\
            purpose: \"deploys with aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n\
            # npm_abcdefghijklmnopqrstuvwxyz0123456789 in a comment\n\
            note: hf_abcdefghijklmnopqrstuvwxyz01234567\n\
            mail: SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n\
            secret_ref: vault://kv/ci/token\n\
            max_secret_rotation: 90d\n";
        let mut out = Diagnostics::new();
        let found = scan_text(crate::source::FileId::default(), text, &mut out);
        let kinds: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "value looks like a GitHub token",
                "value looks like a credential (a secret-named key with a secret-like value)",
                "value looks like an npm token",
                "value looks like a Hugging Face token",
                "value looks like a SendGrid API key",
            ]
        );
        assert_eq!(found[1].1, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        for (span, raw) in &found {
            assert_eq!(text.get(span.start()..span.end()), Some(raw.as_str()));
        }
    }

    #[test]
    fn leaves_ordinary_values_alone() {
        for value in [
            "release-assistant",
            "oidc_short_lived_token",
            "vault://kv/ci/token",
            "https://token.actions.githubusercontent.com",
            "repo:acme/app:ref:refs/heads/main",
            "arn:aws:iam::123456789012:role/x",
        ] {
            assert_eq!(classify(Some("secret_ref"), value), None, "{value}");
            assert_eq!(classify(Some("issuer"), value), None, "{value}");
        }
        // an IAM condition on when a token was issued names a time
        assert_eq!(
            classify(Some("aws:TokenIssueTime"), "2020-01-01T00:00:01Z"),
            None
        );
        assert!(classify(Some("aws:TokenIssueTime"), "x9f8a7b6c5d4e3f2").is_some());
    }
}
