//! The source database: every file the workspace read, its text, and the
//! spans that point into it.
//!
//! Everything downstream refers to a place in the input as a [`Loc`] (a file
//! and a byte span); only the renderers of diagnostics turn that into a line
//! and a column, using the text kept here.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceDb`].
///
/// An index means nothing outside its run: a value kept between runs
/// writes its file as nothing, and reads it back as the file it is read
/// for ([`anchored`]). A place in any other file cannot be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(u32);

thread_local! {
    /// The one file a [`FileId`] may be written as or read back as, while
    /// [`anchored`] runs.
    static ANCHOR: Cell<Option<FileId>> = const { Cell::new(None) };
}

/// Run `f` (which writes or reads a value kept between runs) with `file`
/// as the file every [`FileId`] in the value is.
pub fn anchored<R>(file: FileId, f: impl FnOnce() -> R) -> R {
    let outer = ANCHOR.replace(Some(file));
    let result = f();
    ANCHOR.set(outer);
    result
}

impl serde::Serialize for FileId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if ANCHOR.get() == Some(*self) {
            serializer.serialize_unit()
        } else {
            Err(serde::ser::Error::custom(
                "a place outside the file being kept",
            ))
        }
    }
}

impl<'de> serde::Deserialize<'de> for FileId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer)?;
        ANCHOR
            .get()
            .ok_or_else(|| serde::de::Error::custom("no file to read a place as"))
    }
}

impl FileId {
    /// The position of the file in the database.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in one file's text.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    start: u32,
    /// Length in bytes (zero for a point).
    len: u32,
}

impl Span {
    /// A span from its start and length. Every place is kept in 32 bits (a
    /// file read is far smaller: `LoadOptions`' budget), so that the
    /// millions of values a large workspace holds each carry a small one;
    /// a larger offset is held as the largest, which no text reaches.
    #[must_use]
    pub fn new(start: usize, len: usize) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            start: narrow(start),
            len: narrow(len),
        }
    }

    /// Byte offset of the first byte.
    #[must_use]
    pub const fn start(self) -> usize {
        self.start as usize
    }

    /// Length in bytes (zero for a point).
    #[must_use]
    pub const fn len(self) -> usize {
        self.len as usize
    }

    /// Whether it is a point (no bytes).
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The offset one past the last byte.
    #[must_use]
    pub const fn end(self) -> usize {
        self.start().saturating_add(self.len())
    }
}

/// A place in the input: a file and a span in it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The bytes in it.
    pub span: Span,
}

impl Loc {
    /// A location from a file and a span.
    #[must_use]
    pub const fn new(file: FileId, span: Span) -> Self {
        Self { file, span }
    }
}

/// A value with the place it was written.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub loc: Loc,
}

impl<T> Spanned<T> {
    /// A value at a place.
    pub const fn new(value: T, loc: Loc) -> Self {
        Self { value, loc }
    }

    /// The same place with another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            loc: self.loc,
        }
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

/// Reads a file's text when it is first asked for.
pub type ReadLater = Arc<dyn Fn() -> Arc<str> + Send + Sync>;

/// One file of the workspace: its text read with it, or on first use.
#[derive(Clone)]
pub struct SourceFile {
    path: PathBuf,
    text: OnceLock<Arc<str>>,
    /// What reads the text, when it was not read with the file.
    later: Option<ReadLater>,
    /// Computed on first use: most files never need a line number.
    line_starts: OnceLock<Vec<usize>>,
    /// The BLAKE3 hash of the text, computed on first use.
    hash: OnceLock<[u8; 32]>,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("read", &self.text.get().is_some())
            .finish_non_exhaustive()
    }
}

impl SourceFile {
    /// A file read now, with its text.
    pub(crate) fn new(path: PathBuf, text: Arc<str>) -> Self {
        Self {
            path,
            text: OnceLock::from(text),
            later: None,
            line_starts: OnceLock::new(),
            hash: OnceLock::new(),
        }
    }

    /// The file without its text, which `later` reads again if anything
    /// asks for it: the hash stays, if it was computed.
    #[must_use]
    pub(crate) fn forget(self, later: ReadLater) -> Self {
        Self {
            path: self.path,
            text: OnceLock::new(),
            later: Some(later),
            line_starts: OnceLock::new(),
            hash: self.hash,
        }
    }

    /// The file with the bytes of the spans masked with `*` (whitespace
    /// kept): offsets stay valid, each masked byte one `*`.
    #[must_use]
    pub fn masked(&self, spans: &[(Span, String)]) -> Self {
        self.masked_with(spans, b'*')
    }

    /// The file with the bytes of the spans replaced by `with` (line breaks
    /// and indentation kept): `x` for the text a parser reads, where `*`
    /// would start an alias.
    #[must_use]
    pub fn masked_with(&self, spans: &[(Span, String)], with: u8) -> Self {
        let mut bytes = self.text().as_bytes().to_vec();
        for (span, _) in spans {
            for b in bytes.iter_mut().skip(span.start()).take(span.len()) {
                if !b.is_ascii_whitespace() {
                    *b = with;
                }
            }
        }
        // masking whole characters keeps UTF-8 valid; fall back to lossy if a
        // span cut through one
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self::new(self.path.clone(), Arc::from(text))
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                self.text()
                    .bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i.saturating_add(1)),
            );
            starts
        })
    }

    /// The path, relative to the workspace root, with `/` separators.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as a string with `/` separators, for output.
    #[must_use]
    pub fn display_path(&self) -> String {
        self.path
            .components()
            .map(|c| match c {
                // the root is the empty name before the first `/`
                std::path::Component::RootDir => std::borrow::Cow::Borrowed(""),
                other => other.as_os_str().to_string_lossy(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The file's text (read now, if it was not read with the file).
    #[must_use]
    pub fn text(&self) -> &Arc<str> {
        self.text.get_or_init(|| {
            self.later
                .as_ref()
                .map_or_else(|| Arc::from(""), |read| read())
        })
    }

    /// The BLAKE3 hash of the file's text: what the caches know it by,
    /// computed once however many of them ask (or known without reading
    /// it, see [`SourceDb::add_later`]).
    #[must_use]
    pub fn hash(&self) -> &[u8; 32] {
        self.hash
            .get_or_init(|| *blake3::hash(self.text().as_bytes()).as_bytes())
    }

    /// Line and column of a byte offset (clamped to the text).
    #[must_use]
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let starts = self.line_starts();
        let line = starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = starts.get(line).copied().unwrap_or(0);
        let column = self
            .text()
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        LineCol {
            line: line.saturating_add(1),
            column: column.saturating_add(1),
        }
    }

    /// Byte offset of a 1-based line and character column (clamped).
    #[must_use]
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts().get(line.saturating_sub(1)) else {
            return self.text().len();
        };
        let rest = self.text().get(start..).unwrap_or("");
        let col = column.saturating_sub(1);
        let within = rest
            .char_indices()
            .take_while(|&(_, c)| c != '\n')
            .nth(col)
            .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |(i, _)| i);
        start.saturating_add(within)
    }

    /// The text a span covers, if it lies on character boundaries.
    #[must_use]
    pub fn slice(&self, span: Span) -> Option<&str> {
        self.text().get(span.start()..span.end())
    }

    fn clamp(&self, offset: usize) -> usize {
        let text = self.text();
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        offset
    }
}

/// Every file of a workspace run, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
    /// Credential values found in the files, so that no message quotes them.
    secrets: Vec<String>,
}

impl SourceDb {
    /// An empty database.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file (path relative to the workspace root) and return its id.
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(path, text));
        id
    }

    /// Add a file to be read elsewhere, holding only its path until
    /// [`SourceDb::fill`] gives it its text.
    pub(crate) fn reserve(&mut self, path: PathBuf) -> FileId {
        self.add(path, Arc::from(""))
    }

    /// Put `file` in place of the file `id` (added by
    /// [`SourceDb::reserve`]).
    pub(crate) fn fill(&mut self, id: FileId, file: SourceFile) {
        if let Some(slot) = self.files.get_mut(id.index()) {
            *slot = file;
        }
    }

    /// Add a file whose text hashes to `hash` (as it did when a run read
    /// it before: the disk says it has not changed since), to be read by
    /// `later` only if something asks for it.
    pub fn add_later(&mut self, path: PathBuf, hash: [u8; 32], later: ReadLater) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path,
            text: OnceLock::new(),
            later: Some(later),
            line_starts: OnceLock::new(),
            hash: OnceLock::from(hash),
        });
        id
    }

    /// The file behind an id.
    #[must_use]
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.index())
    }

    /// The workspace-relative path of a file, for output (`?` if unknown).
    #[must_use]
    pub fn display_path(&self, id: FileId) -> String {
        self.get(id)
            .map_or_else(|| "?".to_owned(), SourceFile::display_path)
    }

    /// Line and column of a location's start.
    #[must_use]
    pub fn line_col(&self, loc: Loc) -> LineCol {
        self.get(loc.file)
            .map_or(LineCol { line: 1, column: 1 }, |f| {
                f.line_col(loc.span.start())
            })
    }

    /// Line and column of a location's end (last character, inclusive).
    #[must_use]
    pub fn end_line_col(&self, loc: Loc) -> LineCol {
        let end = if loc.span.is_empty() {
            loc.span.start()
        } else {
            loc.span.end().saturating_sub(1)
        };
        self.get(loc.file)
            .map_or(LineCol { line: 1, column: 1 }, |f| f.line_col(end))
    }

    /// Mask the bytes of the spans in a file's text with `*`, so that no
    /// rendering of the file (a diagnostic's snippet) can show them, and
    /// remember each value (as parsed) so messages can be scrubbed of it.
    /// Offsets stay valid: each masked byte becomes one `*`.
    pub fn redact(&mut self, id: FileId, secrets: &[(Span, String)]) {
        let Some(file) = self.files.get_mut(id.index()) else {
            return;
        };
        for (span, value) in secrets {
            if let Some(raw) = file.text().get(span.start()..span.end()) {
                self.secrets.push(raw.to_owned());
            }
            self.secrets.push(value.clone());
        }
        *file = file.masked(secrets);
    }

    /// The credential values found in the files.
    #[must_use]
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// The texts no output may hold: every credential found, and its first
    /// 64 characters (messages shorten long values), longest first.
    #[must_use]
    pub fn secret_needles(&self) -> Vec<String> {
        let mut needles: Vec<String> = self
            .secrets
            .iter()
            .flat_map(|s| [s.clone(), s.chars().take(64).collect()])
            .filter(|s| s.len() >= 8)
            .collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        needles
    }

    /// `text` with every credential found in the files masked as `****`.
    #[must_use]
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in self.secret_needles() {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), "****");
            }
        }
        out
    }

    /// Whether `bytes` hold a credential found in the files.
    #[must_use]
    pub fn leaks(&self, bytes: &[u8]) -> bool {
        self.secret_needles()
            .iter()
            .any(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
    }

    /// The ids of every file, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|i| FileId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// Number of files.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The id of the file at a workspace-relative path.
    #[must_use]
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.ids()
            .find(|&id| self.get(id).is_some_and(|f| f.path == path))
    }
}

/// `text` with every control character but the line break replaced by
/// U+FFFD, so that no escape sequence or carriage return reaches a
/// terminal or a spreadsheet.
#[must_use]
pub fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Characters that change how text displays without being visible
/// (bidirectional controls, zero-width characters): shown escaped or
/// replaced, so that text reads as what it means.
#[must_use]
pub const fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_known_by_its_hash_is_read_only_when_its_text_is_asked_for() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&reads);
        let mut db = SourceDb::new();
        let hash = *blake3::hash(b"a: 1\n").as_bytes();
        let id = db.add_later(
            "a.yaml".into(),
            hash,
            Arc::new(move || {
                counted.fetch_add(1, Ordering::Relaxed);
                Arc::from("a: 1\n")
            }),
        );
        let file = db.get(id).unwrap();
        assert_eq!(file.hash(), &hash);
        assert_eq!(db.display_path(id), "a.yaml");
        assert_eq!(reads.load(Ordering::Relaxed), 0);
        assert_eq!(file.line_col(3), LineCol { line: 1, column: 4 });
        assert_eq!(file.text().as_ref(), "a: 1\n");
        assert_eq!(reads.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn line_and_column_count_characters() {
        let mut db = SourceDb::new();
        let id = db.add("a.yaml".into(), Arc::from("a: 1\nnäme: x\n"));
        let file = db.get(id).unwrap();
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        // `x` is after a two-byte character: byte 12, column 7
        assert_eq!(file.line_col(12), LineCol { line: 2, column: 7 });
        assert_eq!(file.offset_of(2, 7), 12);
        assert_eq!(file.line_col(10_000).line, 3);
    }

    #[test]
    fn paths_are_shown_with_forward_slashes_and_one_root() {
        let mut db = SourceDb::new();
        let absolute = db.add("/work/export.json".into(), Arc::from("[]"));
        let relative = db.add("identities/a.yaml".into(), Arc::from(""));
        assert_eq!(db.display_path(absolute), "/work/export.json");
        assert_eq!(db.display_path(relative), "identities/a.yaml");
    }
}
