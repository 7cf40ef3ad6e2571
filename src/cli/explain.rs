//! `nhi explain CODE` and `nhi explain --list`: the rule catalogue, with
//! what each rule reports, why, the OWASP NHI risk it guards against, a
//! bad and a good example, and the fix.

use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;
use strum::IntoEnumIterator;

use super::{CliError, Context, ExitStatus, Io};
use crate::diag::{Code, did_you_mean};

/// Arguments of `nhi explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule: a code (`CR001`) or a name (`static-credential`)
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    pub code: Option<String>,
    /// List every rule instead
    #[arg(long)]
    pub list: bool,
    /// Output format (stdout)
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
}

/// Formats of `nhi explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// The documentation as Markdown text, or a table for `--list`.
    Human,
    /// One JSON document (`version: 1`).
    Json,
}

#[derive(Serialize)]
struct JsonRule {
    code: &'static str,
    name: &'static str,
    default_severity: &'static str,
    owasp: Option<&'static str>,
    suppressible: bool,
    summary: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'static str>,
}

fn json_rule(code: Code, doc: bool) -> JsonRule {
    JsonRule {
        code: code.as_str(),
        name: code.name(),
        default_severity: code.default_severity().as_str(),
        owasp: code.owasp().map(crate::diag::Owasp::as_str),
        suppressible: code.suppressible(),
        summary: code.summary(),
        doc: doc.then(|| code.doc()),
    }
}

/// The header above a rule's documentation.
fn header(code: Code) -> String {
    let owasp = code.owasp().map_or_else(
        || "none (a structural check)".to_owned(),
        |o| format!("{}, {}", o.as_str(), o.title()),
    );
    format!(
        "{} {}\n\ndefault severity: {} (change it under `lints` in nhi.yaml)\nOWASP NHI Top 10: {owasp}\nsuppressible by an identity: {}\n",
        code.as_str(),
        code.name(),
        code.default_severity().as_str(),
        if code.suppressible() {
            "yes, with a reason (`suppress:`)"
        } else {
            "no"
        }
    )
}

/// The page for a reader: each example's fence says which file it is and
/// where the rule reports, in words rather than fence attributes.
fn readable(body: &str) -> String {
    let mut out = String::new();
    for line in body.lines() {
        if let Some(info) = line.strip_prefix("```yaml ") {
            let mut file = None;
            let mut at = None;
            for word in info.split_whitespace() {
                if let Some(f) = word.strip_prefix("file=") {
                    file = Some(f);
                } else if let Some(l) = word.strip_prefix("line=") {
                    at = Some(l);
                }
            }
            if let Some(f) = file {
                out.push_str(&format!("`{f}`"));
                if let Some(l) = at {
                    out.push_str(&format!(", reported at line {l}"));
                }
                out.push_str(":\n\n");
            }
            out.push_str("```yaml\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn list(format: ExplainFormat) -> String {
    match format {
        ExplainFormat::Json => {
            let rules: Vec<JsonRule> = Code::iter().map(|c| json_rule(c, false)).collect();
            let doc = serde_json::json!({"version": 1, "rules": rules});
            format!("{doc:#}\n")
        }
        ExplainFormat::Human => {
            let name_width = Code::iter().map(|c| c.name().len()).max().unwrap_or(0);
            let mut out = format!(
                "{:<6}  {:<name_width$}  {:<7}  {:<5}  {}\n",
                "CODE", "NAME", "DEFAULT", "OWASP", "WHAT IT REPORTS"
            );
            for c in Code::iter() {
                let owasp = c.owasp().map_or("", crate::diag::Owasp::as_str);
                out.push_str(&format!(
                    "{:<6}  {:<name_width$}  {:<7}  {:<5}  {}\n",
                    c.as_str(),
                    c.name(),
                    c.default_severity().as_str(),
                    owasp,
                    c.summary()
                ));
            }
            out
        }
    }
}

/// Run `nhi explain`.
///
/// # Errors
///
/// When the code is unknown (a usage error, with a suggestion), or output
/// fails.
pub fn run(args: &ExplainArgs, _cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    if args.list {
        io.stdout.write_all(list(args.format).as_bytes())?;
        return Ok(ExitStatus::Clean);
    }
    let given = args.code.as_deref().unwrap_or_default();
    let Some(code) = Code::parse(given.trim()) else {
        let known: Vec<&str> = Code::iter().flat_map(|c| [c.as_str(), c.name()]).collect();
        return Err(CliError::usage(
            format!("no rule `{given}`"),
            did_you_mean(given, known.iter().copied())
                .or_else(|| Some("`nhi explain --list` lists every rule".to_owned())),
        ));
    };
    let text = match args.format {
        ExplainFormat::Json => {
            let doc = serde_json::json!({"version": 1, "rule": json_rule(code, true)});
            format!("{doc:#}\n")
        }
        ExplainFormat::Human => {
            // the page's own title repeats the header's first line
            let body = code
                .doc()
                .split_once('\n')
                .map_or(code.doc(), |(_, rest)| rest);
            format!("{}{}", header(code), readable(body))
        }
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(ExitStatus::Clean)
}
