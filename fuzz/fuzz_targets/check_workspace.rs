//! A whole workspace — settings, catalogue files, identities — loaded,
//! checked and reported in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhi_fuzz::{checked, report, workspaces};

fuzz_target!(|data: &[u8]| {
    for files in workspaces(data).into_iter().take(1) {
        if let Some(c) = checked(files) {
            report(&c);
        }
    }
});
