//! The house follows the pipeline. Read from the crate's own source:
//!
//! - every module imports only from its own stage or an earlier one, in
//!   the order [`STAGES`] writes down (and the README's Layout section
//!   repeats): load → validate → analyse → lint → render → emit, with the
//!   ground every stage stands on first and the command line last;
//! - no two files import each other in a loop, at any level (a module and
//!   its folder count as one room, as `foo.rs` and `foo/` do);
//! - no function is longer than [`MAX_FUNCTION_LINES`] lines.
//!
//! A reference is any path into the crate in code (`use crate::…`,
//! `crate::x::y(…)`, `super::…`, `$crate::…`), not in comments or strings.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "the test reads the crate's source from disk and fails loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the library, in pipeline order, with the
/// stage it belongs to. A module may import from modules above it in this
/// list, never from one below.
const STAGES: &[(&str, &str)] = &[
    ("source", "ground"),
    ("diag", "ground"),
    ("vocabulary", "ground"),
    ("model", "model"),
    ("raw", "load"),
    ("schema", "load"),
    ("load", "load"),
    ("import", "load"),
    ("validate", "validate"),
    ("analyse", "analyse"),
    ("lint", "lint"),
    ("check", "lint"),
    ("cedar", "render"),
    ("render", "render"),
    ("authorize", "questions"),
    ("decisions", "questions"),
    ("prove", "questions"),
    ("review", "questions"),
    ("graph", "questions"),
    ("diff", "questions"),
    ("drift", "questions"),
    ("emit", "emit"),
    ("cli", "cli"),
];

/// The longest function allowed, in lines from `fn` to its closing brace.
const MAX_FUNCTION_LINES: usize = 100;

/// One source file of the library.
struct File {
    /// Its path, relative to the repository.
    path: PathBuf,
    /// Its module path (`render::aws`; empty for `lib.rs`).
    module: Vec<String>,
    /// Its text with comments and string and character literals blanked
    /// (line breaks kept).
    code: String,
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` but the binary's `main.rs`.
fn files() -> Vec<File> {
    let mut out = Vec::new();
    let mut dirs = vec![src()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src()).unwrap().to_path_buf();
                if rel == Path::new("main.rs") {
                    continue;
                }
                let mut module: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if module == ["lib"] {
                    module.clear();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(File {
                    path: Path::new("src").join(rel),
                    module,
                    code: blank(&text),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `text` with every comment, string literal and character literal
/// replaced by spaces, line breaks kept, so that what is left is code.
fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    let skip = |out: &mut String, from: usize, to: usize| {
        for c in &chars[from..to.min(chars.len())] {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
        to.min(chars.len())
    };
    while i < chars.len() {
        let c = chars[i];
        let word_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if at(i, "//") {
            let end = (i..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len());
            i = skip(&mut out, i, end);
        } else if at(i, "/*") {
            let (mut depth, mut j) = (0, i);
            while j < chars.len() {
                if at(j, "/*") {
                    depth += 1;
                    j += 2;
                } else if at(j, "*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i = skip(&mut out, i, j);
        } else if !word_before && (at(i, "r\"") || at(i, "r#") || at(i, "br\"") || at(i, "br#")) {
            let start = i + if c == 'b' { 2 } else { 1 };
            let hashes = chars[start..].iter().take_while(|&&h| h == '#').count();
            if chars.get(start + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut j = start + hashes + 1;
            while j < chars.len() && !at(j, &close) {
                j += 1;
            }
            i = skip(&mut out, i, j + close.chars().count());
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            i = skip(&mut out, i, j + 1);
        } else if c == '\'' {
            // a character literal ('x', '\n', '\u{..}'), not a lifetime
            let len = if chars.get(i + 1) == Some(&'\\') {
                (i + 2..chars.len().min(i + 12))
                    .find(|&j| chars[j] == '\'')
                    .map(|j| j + 1 - i)
            } else {
                (chars.get(i + 2) == Some(&'\'')).then_some(3)
            };
            match len {
                Some(len) => i = skip(&mut out, i, i + len),
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A path's segments as written: `crate::a::b` → `[crate, a, b]`.
type Path_ = Vec<String>;

/// Every path into the crate that `code` names: plain paths, and each
/// leaf of a `use` tree (`use crate::{a, b::c}` → `crate::a`,
/// `crate::b::c`).
fn references(code: &str) -> Vec<Path_> {
    let tokens = tokenize(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            let end = (i..tokens.len())
                .find(|&j| tokens[j] == ";")
                .unwrap_or(tokens.len());
            use_tree(&tokens[i + 1..end], &mut Vec::new(), &mut out);
            i = end;
            continue;
        }
        let first = tokens[i].as_str();
        let preceded_by_path = i > 0 && tokens[i - 1] == "::";
        if matches!(first, "crate" | "super" | "self" | "$crate") && !preceded_by_path {
            let mut path = vec![first.trim_start_matches('$').to_owned()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t == "::")
                && tokens.get(j + 1).is_some_and(|t| is_ident(t))
            {
                path.push(tokens[j + 1].clone());
                j += 2;
            }
            out.push(path);
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
}

fn tokenize(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// The leaves of a `use` tree, each with the prefix that leads to it.
fn use_tree(tokens: &[String], prefix: &mut Path_, out: &mut Vec<Path_>) {
    let mut i = 0;
    let start = prefix.len();
    while i < tokens.len() {
        match tokens[i].as_str() {
            "{" => {
                // the group's items, split at the commas of this level
                let mut depth = 0;
                let mut item_start = i + 1;
                let mut j = i;
                while j < tokens.len() {
                    match tokens[j].as_str() {
                        "{" => depth += 1,
                        "}" => {
                            depth -= 1;
                            if depth == 0 {
                                use_tree(&tokens[item_start..j], prefix, out);
                                break;
                            }
                        }
                        "," if depth == 1 => {
                            use_tree(&tokens[item_start..j], prefix, out);
                            item_start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                prefix.truncate(start);
                return;
            }
            "::" | "pub" | "(" | ")" => {}
            "as" => break,
            t if is_ident(t) => prefix.push(t.trim_start_matches('$').to_owned()),
            _ => {}
        }
        i += 1;
    }
    if prefix.len() > start {
        out.push(prefix.clone());
    }
    prefix.truncate(start);
}

/// The module a reference from `from` lands in: the longest module path
/// that a prefix of it names (`crate::render::aws::render` → `render::aws`),
/// or `None` when it names no module of the crate (an outside crate, a
/// local name).
fn resolve(
    from: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => from.to_vec(),
        Some("super") => from.to_vec(),
        _ => {
            // `use child::x` from a module that declares `child`
            let mut child = from.to_vec();
            child.push(path.first()?.clone());
            return modules.contains(&child).then(|| {
                let mut m = from.to_vec();
                m.extend(path.iter().cloned());
                longest_module(&m, modules)
            })?;
        }
    };
    let mut rest = &path[1..];
    if path.first().map(String::as_str) == Some("super") {
        base.pop();
        while rest.first().map(String::as_str) == Some("super") {
            base.pop();
            rest = &rest[1..];
        }
    }
    base.extend(rest.iter().cloned());
    longest_module(&base, modules)
}

fn longest_module(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| modules.contains(m))
}

/// Every file's references, resolved: (importing file, module it names).
fn edges(files: &[File]) -> Vec<(&File, Vec<String>)> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut out = Vec::new();
    for file in files {
        for path in references(&file.code) {
            if let Some(target) = resolve(&file.module, &path, &modules)
                && target != file.module
            {
                out.push((file, target));
            }
        }
    }
    out
}

fn rank(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    STAGES.iter().position(|(m, _)| m == top)
}

#[test]
fn every_top_level_module_has_a_stage() {
    let tops: BTreeSet<String> = files()
        .iter()
        .filter_map(|f| f.module.first().cloned())
        .collect();
    let staged: BTreeSet<String> = STAGES.iter().map(|(m, _)| (*m).to_owned()).collect();
    assert_eq!(
        tops, staged,
        "each top-level module of src/ is listed once in STAGES, and nothing else is"
    );
}

#[test]
fn no_module_imports_from_a_later_stage() {
    let files = files();
    let mut wrong = BTreeSet::new();
    for (file, target) in edges(&files) {
        let (Some(from), Some(to)) = (rank(&file.module), rank(&target)) else {
            continue;
        };
        if to > from {
            let (module, stage) = STAGES[to];
            wrong.insert(format!(
                "{} ({}, stage `{}`) imports {} (stage `{stage}`, after it)",
                file.path.display(),
                STAGES[from].0,
                STAGES[from].1,
                if target.len() > 1 {
                    target.join("::")
                } else {
                    module.to_owned()
                },
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run back up the pipeline:\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn no_rooms_import_each_other_in_a_loop() {
    let files = files();
    // for each module, the graph between its child rooms
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (file, target) in edges(&files) {
        let from = &file.module;
        let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
        // a room and its own folder are one room
        if common == from.len() || common == target.len() {
            continue;
        }
        graphs
            .entry(from[..common].to_vec())
            .or_default()
            .entry(from[common].clone())
            .or_default()
            .insert(target[common].clone());
    }
    let mut loops = Vec::new();
    for (parent, graph) in &graphs {
        if let Some(cycle) = find_cycle(graph) {
            let at = if parent.is_empty() {
                "src/".to_owned()
            } else {
                format!("src/{}/", parent.join("/"))
            };
            loops.push(format!("in {at}: {}", cycle.join(" → ")));
        }
    }
    assert!(
        loops.is_empty(),
        "rooms that import each other in a loop:\n{}",
        loops.join("\n")
    );
}

/// A cycle of the graph, if it has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every function's length: (lines, file, name, first line).
fn functions(file: &File) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = file.code.lines().collect();
    let mut out = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let before_ok = words[..at].iter().all(|w| {
            matches!(*w, "pub" | "const" | "async" | "unsafe" | "extern") || w.starts_with("pub(")
        });
        let Some(name) = words
            .get(at + 1)
            .map(|w| w.split(['(', '<']).next().unwrap_or(w))
        else {
            continue;
        };
        if !before_ok || name.is_empty() {
            continue;
        }
        // the body: from the first `{` after the signature to its match
        let (mut depth, mut started) = (0usize, false);
        'lines: for (j, body) in lines.iter().enumerate().skip(k) {
            for c in body.chars() {
                match c {
                    ';' if !started => break 'lines,
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if started && depth == 0 {
                            out.push((j - k + 1, name.to_owned(), k + 1));
                            break 'lines;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for file in files() {
        for (lines, name, line) in functions(&file) {
            if lines > MAX_FUNCTION_LINES {
                long.push(format!(
                    "{}:{line} `{name}`: {lines} lines",
                    file.path.display()
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions longer than {MAX_FUNCTION_LINES} lines (split them where it makes them clearer):\n{}",
        long.join("\n")
    );
}

/// The checks above see what they are meant to see.
#[test]
fn the_reader_finds_imports_and_ignores_comments_and_strings() {
    let code = blank(
        "use crate::{analyse::Analysis, model::{Model, Name}};\n\
         use super::tags;\n\
         // use crate::cli;\n\
         let s = \"crate::emit\"; let c = '\"'; let r = r#\"crate::diff\"#;\n\
         fn f<'a>(x: &'a str) { crate::render::aws::render(x); }\n",
    );
    let mut found: Vec<String> = references(&code).iter().map(|p| p.join("::")).collect();
    found.sort();
    assert_eq!(
        found,
        [
            "crate::analyse::Analysis",
            "crate::model::Model",
            "crate::model::Name",
            "crate::render::aws::render",
            "super::tags",
        ]
    );
    let modules: BTreeSet<Vec<String>> = [
        vec!["render"],
        vec!["render", "aws"],
        vec!["render", "tags"],
    ]
    .into_iter()
    .map(|m| m.into_iter().map(str::to_owned).collect())
    .collect();
    let from: Vec<String> = vec!["render".to_owned(), "aws".to_owned()];
    let to = |p: &str| {
        resolve(
            &from,
            &p.split("::").map(str::to_owned).collect::<Vec<_>>(),
            &modules,
        )
    };
    assert_eq!(
        to("super::tags::facts"),
        Some(vec!["render".to_owned(), "tags".to_owned()])
    );
    assert_eq!(
        to("crate::render::Artifact"),
        Some(vec!["render".to_owned()])
    );
    assert_eq!(to("serde::Serialize"), None);
    let file = File {
        path: PathBuf::from("x.rs"),
        module: Vec::new(),
        code: blank(
            "fn a() {\n    if x { \"}\" }\n}\npub(crate) fn b();\nconst fn c() -> u8 { 1 }\n",
        ),
    };
    assert_eq!(
        functions(&file),
        [(3, "a".to_owned(), 1), (1, "c".to_owned(), 5)]
    );
}
