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
        if model.settings.targets.aws.is_some() && federation::needs(model, identity, Cloud::Aws) {
            results.push(federation::aws(model, identity).map(|_| ()));
        }
        for unbound in results.into_iter().filter_map(Result::err) {
            out.push(
                Diagnostic::new(Code::UnboundIdentity, unbound.message)
                    .primary(unbound.loc, "cannot be federated")
                    .help(unbound.help),
            );
        }
    }
}
