//! What a human report shows of a file: the lines its labels touch and
//! the context around them, with every line longer than a screen cut to a
//! window around what it points at. A 65 KB flow sequence on one line is
//! shown as the few dozen characters around the label, and no renderer
//! ever lays out a line it cannot; the line and column in the report stay
//! those of the file.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines longer than this (in characters) are cut to a window.
const LONG_LINE: usize = 240;
/// Characters a window keeps before what it points at.
const BEFORE: usize = 40;
/// Characters a window keeps from what it points at.
const AFTER: usize = 120;
/// What stands for the characters a window leaves out.
const ELLIPSIS: &str = "…";

/// Part of a file, as miette reads it: line numbers and columns are the
/// file's.
#[derive(Debug)]
pub(super) struct Excerpt {
    name: String,
    text: String,
    /// The file's 0-based line the excerpt starts at.
    first_line: usize,
    /// Per line of the excerpt: the bytes of the file's line left out
    /// before its window (0 when it is whole).
    cut: Vec<usize>,
}

/// One line of the file, and the window of it the excerpt keeps.
struct Window {
    /// Byte offsets in the file of the line (without its end).
    start: usize,
    end: usize,
    /// Byte offsets in the file of the kept part.
    from: usize,
    to: usize,
    /// Byte offset in the excerpt of the kept part.
    at: usize,
}

impl Excerpt {
    /// The excerpt of `text` (named `name`) that shows `spans` (byte offset
    /// and length) with `context` lines around them, and the spans'
    /// offsets in it.
    #[must_use]
    pub(super) fn new(
        name: String,
        text: &str,
        spans: &[(usize, usize)],
        context: usize,
    ) -> (Self, Vec<SourceSpan>) {
        let starts = line_starts(text);
        let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let clamp = |o: usize| floor_boundary(text, o.min(text.len()));
        let first = spans
            .iter()
            .map(|&(s, _)| line_of(clamp(s)))
            .min()
            .unwrap_or(0)
            .saturating_sub(context);
        let last = spans
            .iter()
            .map(|&(s, l)| line_of(clamp((s + l).saturating_sub(1).max(s))))
            .max()
            .unwrap_or(0)
            .saturating_add(context)
            .min(starts.len().saturating_sub(1));
        let mut out = String::new();
        let mut windows = Vec::new();
        let mut cut = Vec::new();
        for line in first..=last {
            let start = starts.get(line).copied().unwrap_or(text.len());
            let next = starts.get(line + 1).copied().unwrap_or(text.len());
            let end = text
                .get(start..next)
                .map_or(next, |l| start + l.trim_end_matches(['\n', '\r']).len());
            let anchor = spans
                .iter()
                .map(|&(s, _)| clamp(s))
                .filter(|&s| (start..=end).contains(&s))
                .min()
                .unwrap_or(start);
            let (from, to) = window(text, start, end, anchor);
            if from > start {
                out.push_str(ELLIPSIS);
            }
            let at = out.len();
            out.push_str(text.get(from..to).unwrap_or(""));
            if to < end {
                out.push_str(ELLIPSIS);
            }
            out.push_str(text.get(end..next).unwrap_or(""));
            cut.push(from.saturating_sub(start));
            windows.push(Window {
                start,
                end,
                from,
                to,
                at,
            });
        }
        let map = |offset: usize| -> usize {
            let offset = clamp(offset);
            let w = windows
                .iter()
                .rev()
                .find(|w| w.start <= offset)
                .or_else(|| windows.first());
            w.map_or(0, |w| {
                let inside = offset.clamp(w.from, w.to.max(w.from));
                let past_line = offset > w.end;
                if past_line {
                    // the line's end, then on into the next line's start
                    w.at + (w.to - w.from) + usize::from(w.to < w.end) * ELLIPSIS.len()
                } else {
                    w.at + (inside - w.from)
                }
            })
        };
        let spans = spans
            .iter()
            .map(|&(s, l)| {
                let start = map(s);
                let end = map(s + l).max(start);
                SourceSpan::new(start.into(), end - start)
            })
            .collect();
        (
            Self {
                name,
                text: out,
                first_line: first,
                cut,
            },
            spans,
        )
    }
}

/// The byte offsets at which each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The part of the line `start..end` an excerpt keeps: all of it when it
/// is short, else a window around `anchor`.
fn window(text: &str, start: usize, end: usize, anchor: usize) -> (usize, usize) {
    let line = text.get(start..end).unwrap_or("");
    if line.chars().count() <= LONG_LINE {
        return (start, end);
    }
    let before = text.get(start..anchor).unwrap_or("");
    let from = before
        .char_indices()
        .rev()
        .nth(BEFORE.saturating_sub(1))
        .map_or(start, |(i, _)| start + i);
    let after = text.get(anchor..end).unwrap_or("");
    let to = after
        .char_indices()
        .nth(AFTER)
        .map_or(end, |(i, _)| anchor + i);
    (from, to)
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .as_str()
            .read_span(span, context_lines_before, context_lines_after)?;
        let line = inner.line();
        let cut = self.cut.get(line).copied().unwrap_or(0);
        let column = if cut > 0 && inner.column() > 0 {
            inner.column().saturating_sub(ELLIPSIS.len()) + cut
        } else {
            inner.column()
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                self.first_line + line,
                column,
                inner.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, spans: &[(usize, usize)]) -> (String, Vec<String>) {
        let (e, mapped) = Excerpt::new("f".to_owned(), text, spans, 1);
        let labels = mapped
            .iter()
            .map(|s| e.text.get(s.offset()..s.offset() + s.len()).unwrap().to_owned())
            .collect();
        (e.text, labels)
    }

    #[test]
    fn short_lines_are_shown_whole_with_their_context() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let (excerpt, labels) = shown(text, &[(10, 1)]);
        assert_eq!(excerpt, "b: 2\nc: 3\nd: 4\n");
        assert_eq!(labels, ["c"]);
    }

    #[test]
    fn a_long_line_is_cut_around_what_it_points_at() {
        let long = format!("a: [{}nope]\n", "read_logs, ".repeat(7000));
        let at = long.find("nope").unwrap();
        let (excerpt, labels) = shown(&long, &[(at, 4)]);
        assert_eq!(labels, ["nope"]);
        assert!(excerpt.len() < 400, "{}", excerpt.len());
        assert!(excerpt.starts_with('…') && excerpt.ends_with("nope]\n"));
        let (e, spans) = Excerpt::new("f".to_owned(), &long, &[(at, 4)], 0);
        let contents = e.read_span(&spans[0], 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (0, at));
    }

    #[test]
    fn spans_past_the_end_or_inside_a_character_are_clamped() {
        let text = "name: é\n";
        let (_, labels) = shown(text, &[(7, 1), (100, 3)]);
        assert_eq!(labels, ["é", ""]);
    }
}
