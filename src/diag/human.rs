//! The `human` format: miette's graphical report, with the source lines
//! and labels, coloured only when asked to.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::excerpt::Excerpt;

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::{FileId, SourceDb};

/// Options of the human format.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Use colour and Unicode box drawing.
    pub color: bool,
    /// Wrap at this width.
    pub width: usize,
}

/// Lines of context shown around a label.
const CONTEXT: usize = 1;

/// Render every diagnostic, then a summary line.
#[must_use]
pub fn render(diagnostics: &Diagnostics, db: &SourceDb, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_context_lines(CONTEXT)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, db);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&diagnostic.message);
        }
        out.push('\n');
    }
    out.push_str(&summary(diagnostics));
    out
}

/// `2 errors, 1 warning` (or `no problems found`).
#[must_use]
pub fn summary(diagnostics: &Diagnostics) -> String {
    let count = |s, one: &str, many: &str| {
        let n = diagnostics.count(s);
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    };
    let parts: Vec<String> = [
        count(Severity::Error, "error", "errors"),
        count(Severity::Warning, "warning", "warnings"),
        count(Severity::Info, "note", "notes"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "no problems found\n".to_owned()
    } else {
        format!("{}\n", parts.join(", "))
    }
}

/// One diagnostic seen through miette: the labels in its primary file, and
/// a related report per other file a label points into.
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, db: &SourceDb) -> Self {
        let primary_file = d.primary_loc().map(|l| l.file);
        let mut help = d.help.as_deref().map(super::tamed);
        for note in &d.notes {
            let h = help.get_or_insert_with(String::new);
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str("note: ");
            h.push_str(&super::tamed(note));
        }
        let mut others: Vec<FileId> = d
            .labels
            .iter()
            .map(|l| l.loc.file)
            .filter(|f| Some(*f) != primary_file)
            .collect();
        others.sort();
        others.dedup();
        let related = others
            .into_iter()
            .map(|file| Self::part(d, db, file, "see also".to_owned(), miette::Severity::Advice))
            .collect();
        let mut report = primary_file.map_or_else(
            || Self {
                message: super::tamed(&d.message),
                code: String::new(),
                severity: miette::Severity::Error,
                help: None,
                source: None,
                labels: Vec::new(),
                related: Vec::new(),
            },
            |file| Self::part(d, db, file, super::tamed(&d.message), severity(d.severity)),
        );
        report.code = d.code.as_str().to_owned();
        report.help = help;
        report.related = related;
        report
    }

    fn part(
        d: &Diagnostic,
        db: &SourceDb,
        file: FileId,
        message: String,
        severity: miette::Severity,
    ) -> Self {
        let labels: Vec<_> = d.labels.iter().filter(|l| l.loc.file == file).collect();
        let spans: Vec<(usize, usize)> = labels
            .iter()
            .map(|l| (l.loc.span.start(), l.loc.span.len()))
            .collect();
        let (source, spans) = db.get(file).map_or((None, Vec::new()), |f| {
            let (excerpt, spans) = Excerpt::new(f.display_path(), f.text(), &spans, CONTEXT);
            (Some(excerpt), spans)
        });
        let labels = labels
            .iter()
            .zip(spans)
            .map(|(l, span)| {
                let message = l.message.as_deref().map(super::tamed);
                if l.primary {
                    LabeledSpan::new_primary_with_span(message, span)
                } else {
                    LabeledSpan::new_with_span(message, span)
                }
            })
            .collect();
        Self {
            message,
            code: String::new(),
            severity,
            help: None,
            source,
            labels,
            related: Vec::new(),
        }
    }
}

const fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>
        })
    }
}
