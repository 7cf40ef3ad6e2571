//! Names each cloud derives from an identity's, or takes from its context,
//! valid and distinct in every target the identity lands in.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::Name;
use crate::vocabulary::gcp;

use super::LintContext;

/// Service account and role ids in Google Cloud, managed identity names in
/// Azure, namespaces in Kubernetes: derived from identity names or taken
/// from their context, they must be valid and distinct where each identity
/// lands.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let t = &cx.model.settings.targets;
    let mut accounts: BTreeMap<String, &Name> = BTreeMap::new();
    for identity in cx.analysis.live(cx.model) {
        let lands = cx.analysis.lands(identity);
        let name = &identity.name;
        if lands.gcp {
            for id in [
                gcp::account_id(name.value.as_str()),
                gcp::role_id(name.value.as_str()),
            ] {
                if let Some(first) = accounts.insert(id.clone(), &name.value) {
                    out.push(
                        Diagnostic::new(
                            Code::InvalidTargetName,
                            format!("`{}` and `{first}` both become `{id}` in Google Cloud", name.value),
                        )
                        .primary(name.loc, "shortened to the same Google Cloud id")
                        .help("Google Cloud service account ids hold at most 30 characters: make the names differ sooner"),
                    );
                }
            }
        }
        if t.kubernetes.is_some() {
            for ns in identity.context.namespaces.iter().flatten() {
                if Name::parse(&ns.value).is_none() {
                    out.push(
                        Diagnostic::new(
                            Code::InvalidTargetName,
                            format!(
                                "namespace `{}` is not a Kubernetes namespace name",
                                printable(&ns.value)
                            ),
                        )
                        .primary(ns.loc, "not a DNS-1123 label")
                        .help("namespaces are lower-case letters, digits and `-`, at most 63 characters"),
                    );
                }
            }
        }
        if lands.azure && name.value.as_str().len() < 3 {
            out.push(
                Diagnostic::new(
                    Code::InvalidTargetName,
                    format!(
                        "`{}` is too short to name an Azure managed identity",
                        name.value
                    ),
                )
                .primary(name.loc, "fewer than 3 characters")
                .help("Azure managed identity names hold 3 to 128 characters"),
            );
        }
    }
}
