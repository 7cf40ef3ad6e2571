//! The `github` format: workflow commands that GitHub Actions shows as
//! annotations on the pull request.

use std::fmt::Write;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::SourceDb;

/// Render one workflow command per diagnostic.
#[must_use]
pub fn render(diagnostics: &Diagnostics, db: &SourceDb) -> String {
    let mut out = String::new();
    for d in diagnostics {
        line(&mut out, d, db);
    }
    out
}

fn line(out: &mut String, d: &Diagnostic, db: &SourceDb) {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = Vec::new();
    if let Some(loc) = d.primary_loc() {
        let start = db.line_col(loc);
        let end = db.end_line_col(loc);
        props.push(format!("file={}", property(&db.display_path(loc.file))));
        props.push(format!("line={}", start.line));
        // a column range is only meaningful on one line
        if start.line == end.line {
            props.push(format!("col={}", start.column));
        }
        props.push(format!("endLine={}", end.line));
        if start.line == end.line {
            props.push(format!("endColumn={}", end.column));
        }
    }
    props.push(format!("title={}", property(d.code.as_str())));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let _ = writeln!(out, "::{command} {}::{}", props.join(","), data(&message));
}

/// Escape a message (`%`, CR, LF).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value: as a message, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diag::Code;
    use crate::diag::test_support::sample;
    use crate::source::{Loc, Span};

    #[test]
    fn one_annotation_per_diagnostic() {
        let (diagnostics, db) = sample();
        insta::assert_snapshot!(render(&diagnostics, &db), @r"
        ::error file=identities/a.yaml,line=3,col=19,endLine=3,endColumn=29,title=AC001::action `deploy_prod` is both allowed and forbidden%0Ahelp: remove it
        ::warning file=identities/a.yaml,line=3,col=32,endLine=3,endColumn=42,title=AC004::100%25 sure, twice: here
        ");
    }

    #[test]
    fn escapes_workflow_command_syntax() {
        assert_eq!(data("50%\nnext\r"), "50%25%0Anext%0D");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn escapes_message_help_and_path() {
        let mut db = SourceDb::new();
        let file = db.add("identities/odd,name:x.yaml".into(), Arc::from("agent: a\n"));
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::new(Code::InvalidValue, "50% off, key: value\nsecond line")
                .primary(Loc::new(file, Span::new(7, 1)), "")
                .help("use `a,b`: 100%"),
        );
        insta::assert_snapshot!(render(&diagnostics, &db), @"::error file=identities/odd%2Cname%3Ax.yaml,line=1,col=8,endLine=1,endColumn=8,title=SC007::50%25 off, key: value%0Asecond line%0Ahelp: use `a,b`: 100%25");
    }

    #[test]
    fn multi_line_spans_have_no_columns_and_no_location_has_no_file() {
        let mut db = SourceDb::new();
        let file = db.add(
            "identities/a.yaml".into(),
            Arc::from("agent: a\nowner: t\n"),
        );
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::new(Code::UnknownField, "spans two lines")
                .primary(Loc::new(file, Span::new(0, 15)), ""),
        );
        diagnostics.push(Diagnostic::new(Code::TooManyFiles, "no place").note("ignored"));
        insta::assert_snapshot!(render(&diagnostics, &db), @r"
        ::error file=identities/a.yaml,line=1,endLine=2,title=SC001::spans two lines
        ::error title=LD011::no place
        ");
    }
}
