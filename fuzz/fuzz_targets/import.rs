//! A cloud's export, as hostile as it comes: each importer (the first
//! byte picks AWS, Google Cloud, Azure or Kubernetes) either reports the
//! file at its place or writes a workspace whose every file reads back as
//! YAML, the same bytes twice; and the usage readers (the fifth choice:
//! Access Advisor, Activity Analyzer, audit logs, told by content) read
//! it or report it, the same way twice.
#![no_main]

use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use nhi::import::{self, Imported};
use nhi::source::SourceDb;

fn run(cloud: u8, text: &str) -> Option<Imported> {
    let mut db = SourceDb::new();
    let file = db.add(PathBuf::from("export.json"), Arc::from(text));
    let files = [file];
    match cloud % 5 {
        0 => import::aws::import(&mut db, &files),
        1 => import::gcp::import(&mut db, &files),
        2 => import::azure::import(&mut db, &files),
        _ => import::kubernetes::import(&mut db, &files),
    }
    .ok()
}

/// What the usage readers make of the text, as text (their errors too).
fn usage(text: &str) -> String {
    let mut db = SourceDb::new();
    let file = db.add(PathBuf::from("usage.json"), Arc::from(text));
    format!("{:?}", nhi::review::usage::exports::read(&mut db, &[file]))
}

fuzz_target!(|data: &[u8]| {
    let Some((&cloud, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    if cloud % 5 == 4 {
        assert!(usage(&text) == usage(&text), "reading usage is not deterministic");
        return;
    }
    let Some(first) = run(cloud, &text) else { return };
    for (path, contents) in &first.files {
        if path.ends_with(".yaml") {
            let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(contents);
            assert!(parsed.is_ok(), "{path} does not read back: {parsed:?}\n{contents}");
        }
    }
    let again = run(cloud, &text).expect("imports again");
    assert!(first.files == again.files, "importing is not deterministic");
});
