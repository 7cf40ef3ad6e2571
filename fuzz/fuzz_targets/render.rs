//! A whole workspace, checked, and when clean rendered into every target;
//! every file it renders must read back as what it is (JSON, YAML, Cedar),
//! and the same workspace must render the same bytes twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhi_fuzz::{built, checked, parse_back, workspaces};

fuzz_target!(|data: &[u8]| {
    for files in workspaces(data).into_iter().take(1) {
        let Some(c) = checked(files) else { continue };
        let Some(artifacts) = built(&c) else { continue };
        parse_back(&artifacts);
        let again = built(&c).expect("renders again");
        assert!(artifacts == again, "rendering is not deterministic");
    }
});
