//! Every identity a cloud must grant can be federated into it: its issuer
//! is registered, a subject pins it, a trust anchor takes its certificate.

use crate::analyse::federation::{self, Unbound};
use crate::analyse::subject::{self, Reach};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Identity;

use super::LintContext;

/// Run the check for the clouds an identity lands in.
pub fn check(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    let model = cx.model;
    if !cx.analysis.renders(identity) {
        return;
    }
    // a subject open to others' tokens is reported once, as CR006
    let open = identity
        .auth
        .subject
        .as_ref()
        .is_some_and(|s| subject::reach(&s.value) == Reach::Open);
    if open {
        return;
    }
    let lands = cx.analysis.lands(identity);
    let mut results: Vec<Result<(), Unbound>> = Vec::new();
    if lands.aws {
        results.push(federation::aws(model, identity).map(|_| ()));
    }
    if lands.gcp {
        results.push(federation::gcp(model, identity).map(|_| ()));
    }
    if lands.azure {
        results.push(federation::azure(model, identity).map(|_| ()));
    }
    let mut seen = Vec::new();
    for unbound in results.into_iter().filter_map(Result::err) {
        // one cause (a missing subject) is reported once for all clouds
        if seen.contains(&unbound.message) {
            continue;
        }
        seen.push(unbound.message.clone());
        out.push(
            Diagnostic::new(Code::UnboundIdentity, unbound.message)
                .primary(unbound.loc, "cannot be federated")
                .help(unbound.help),
        );
    }
}
