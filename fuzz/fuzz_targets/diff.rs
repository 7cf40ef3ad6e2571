//! Two workspaces, a base and a head (split by `#@@@`), compared as `nhi
//! diff` does: the change list, new access and the rendered files, and the
//! Markdown report of it all.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhi::analyse::Analysis;
use nhi::diff::{self, Side};
use nhi::model::Model;
use nhi_fuzz::{built, checked, today, workspaces};

fuzz_target!(|data: &[u8]| {
    let mut sides = workspaces(data).into_iter();
    let (Some(base), Some(head)) = (sides.next(), sides.next()) else {
        return;
    };
    let (base, head) = (checked(base), checked(head));
    let empty = Model::default();
    let nothing = Analysis::new(&empty, today());
    let none = Side {
        model: &empty,
        analysis: &nothing,
    };
    let (base_files, head_files) = (
        base.as_ref().and_then(built),
        head.as_ref().and_then(built),
    );
    let report = diff::diff(
        ("base", base.as_ref().map_or(none, Side::of), base_files.as_ref()),
        ("head", head.as_ref().map_or(none, Side::of), head_files.as_ref()),
    );
    let _ = diff::markdown::render(&report);
});
