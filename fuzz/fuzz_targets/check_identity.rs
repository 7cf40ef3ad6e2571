//! One identity file, among the settings and catalogue of a workspace that
//! configures every target: loaded, checked and reported in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhi_fuzz::{Files, checked, report};

/// The settings every input is checked against: a few actions, every
/// target configured.
const SETTINGS: &str = include_str!("../settings.yaml");

fuzz_target!(|data: &[u8]| {
    let mut files = Files::new();
    files.insert("nhi.yaml".into(), SETTINGS.as_bytes().to_vec());
    files.insert("identities/fuzz.yaml".into(), data.to_vec());
    if let Some(c) = checked(files) {
        report(&c);
    }
});
