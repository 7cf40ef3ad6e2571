//! Every identity a cloud must grant can be federated into it: its issuer
//! is registered, a subject pins it, a trust anchor takes its certificate.

use crate::analyse::federation::{self, Cloud, Unbound};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Date, Model};

/// Run the check for the clouds the workspace configures.
pub fn check(model: &Model, today: Date, out: &mut Diagnostics) {
    for identity in model.identities.values() {
        if !crate::analyse::renders(identity, today) {
            continue;
        }
        let mut results: Vec<Result<(), Unbound>> = Vec::new();
        let targets = &model.settings.targets;
        if targets.aws.is_some() && federation::needs(model, identity, Cloud::Aws) {
            results.push(federation::aws(model, identity).map(|_| ()));
        }
        if targets.gcp.is_some() && federation::needs(model, identity, Cloud::Gcp) {
            results.push(federation::gcp(model, identity).map(|_| ()));
        }
        if targets.azure.is_some() && federation::needs(model, identity, Cloud::Azure) {
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
}
