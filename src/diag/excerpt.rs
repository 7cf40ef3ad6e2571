//! What a human report shows of a file: the lines its labels touch and
//! the context around them, with every line longer than a screen cut to a
//! window around what it points at. A 65 KB flow sequence on one line is
//! shown as the few dozen characters around the label, and no renderer
//! ever lays out a line it cannot; the line and column in the report stay
//! those of the file. Characters a terminal would hide or reorder (control
//! characters, bidirectional overrides) are shown as U+FFFD, and a tab as
//! `→`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::is_hidden;

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
    /// Where each label's ends are in the file: excerpt offset → the
    /// file's 0-based line and byte column.
    places: BTreeMap<usize, (usize, usize)>,
}

/// One line of the file, and the window of it the excerpt keeps.
struct Window {
    /// Byte offsets in the file of the line (without its end).
    start: usize,
    end: usize,
    /// Byte offsets in the file of the kept part.
    from: usize,
    to: usize,
    /// Byte offset in the excerpt just past the kept part (and its
    /// ellipsis).
    after: usize,
}

/// An excerpt as it is written, line by line.
#[derive(Default)]
struct Builder {
    out: String,
    windows: Vec<Window>,
    /// File offset → excerpt offset, for the ends of the kept parts and of
    /// the labels.
    table: BTreeMap<usize, usize>,
    /// Excerpt offset → the file's line and column, for the same.
    places: BTreeMap<usize, (usize, usize)>,
}

impl Builder {
    /// Add the file's line `line`, at `range` (its end included), kept
    /// whole or as a window around its first mark.
    fn line(&mut self, text: &str, line: usize, range: Range<usize>, marks: &BTreeSet<usize>) {
        let (start, next) = (range.start, range.end);
        let end = text
            .get(start..next)
            .map_or(next, |l| start + l.trim_end_matches(['\n', '\r']).len());
        let anchor = marks.range(start..=end).next().copied().unwrap_or(start);
        let (from, to) = window(text, start, end, anchor);
        if from > start {
            self.out.push_str(ELLIPSIS);
        }
        // what the terminal would hide or reorder is shown as U+FFFD, a tab
        // as an arrow
        for (i, c) in text.get(from..to).unwrap_or("").char_indices() {
            let at = from + i;
            if at == from || marks.contains(&at) {
                self.table.insert(at, self.out.len());
                self.places.insert(self.out.len(), (line, at - start));
            }
            self.out.push(match c {
                '\t' => '→',
                c if is_hidden(c) => '\u{fffd}',
                c => c,
            });
        }
        self.table.insert(to, self.out.len());
        self.places.insert(self.out.len(), (line, to - start));
        if to < end {
            self.out.push_str(ELLIPSIS);
        }
        self.windows.push(Window {
            start,
            end,
            from,
            to,
            after: self.out.len(),
        });
        self.out.push_str(text.get(end..next).unwrap_or(""));
    }
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
        let marks: BTreeSet<usize> = spans
            .iter()
            .flat_map(|&(s, l)| [clamp(s), clamp(s + l)])
            .collect();
        let mut b = Builder::default();
        for line in first..=last {
            let start = starts.get(line).copied().unwrap_or(text.len());
            let next = starts.get(line + 1).copied().unwrap_or(text.len());
            b.line(text, line, start..next, &marks);
        }
        let Builder {
            out,
            windows,
            table,
            places,
        } = b;
        let map = |offset: usize| -> usize {
            let offset = clamp(offset);
            let w = windows
                .iter()
                .rev()
                .find(|w| w.start <= offset)
                .or_else(|| windows.first());
            w.map_or(0, |w| {
                if offset > w.end {
                    // past the line's end: on into the next line's start
                    w.after
                } else {
                    let inside = offset.clamp(w.from, w.to);
                    table.get(&inside).copied().unwrap_or(w.after)
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
                places,
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
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // where a label starts, the file's own line and column
        let (line, column) = if context_lines_before == 0
            && let Some(&(line, column)) = self.places.get(&span.offset())
        {
            (line, column)
        } else {
            (self.first_line + inner.line(), inner.column())
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                line,
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
            .map(|s| {
                e.text
                    .get(s.offset()..s.offset() + s.len())
                    .unwrap()
                    .to_owned()
            })
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
