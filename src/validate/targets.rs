//! Names that must be safe in the targets before anything is rendered: the
//! Cedar namespace and resource types (bare identifiers in Cedar text), and
//! context keys, which must not collide with the keys delegation uses.

use crate::analyse::RESERVED_CONTEXT_KEYS;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Model, Spanned};
use crate::raw::printable;
use crate::render::cedar::schema::NHI_TYPES;
use crate::render::cedar::syntax::{is_namespace, is_type_name};

/// Run the checks.
pub fn check(model: &Model, out: &mut Diagnostics) {
    if let Some(ns) = &model.settings.targets.cedar_namespace
        && !is_namespace(&ns.value)
    {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("`{}` is not a Cedar namespace", printable(&ns.value)),
            )
            .primary(ns.loc, "not a namespace")
            .help("write identifiers joined by `::`, such as `Acme` or `Acme::Agents`; each starts with a letter and holds only letters, digits and `_`"),
        );
    }
    for action in model.settings.actions.iter().flat_map(|a| a.values()) {
        for ty in &action.cedar_resource_types {
            resource_type(ty, out);
        }
    }
    for identity in model.identities.values() {
        for (key, values) in &identity.context.attributes {
            let loc = values.first().map_or(identity.name.loc, |v| v.loc);
            reserved_key(key, loc, out);
        }
        for grant in &identity.allowed {
            for (key, values) in &grant.conditions {
                let loc = values.first().map_or(grant.action.loc, |v| v.loc);
                reserved_key(key, loc, out);
            }
        }
    }
}

fn resource_type(ty: &Spanned<String>, out: &mut Diagnostics) {
    let name = ty.value.as_str();
    if NHI_TYPES.contains(&name) {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("resource type `{name}` is a name nhi's Cedar schema uses itself"),
            )
            .primary(ty.loc, "reserved type name")
            .help(format!(
                "rename it (for example `Ci{name}`); {} name the identities, teams and requests in Cedar",
                NHI_TYPES.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            )),
        );
    } else if !is_type_name(name) {
        out.push(
            Diagnostic::new(
                Code::InvalidTargetName,
                format!("resource type `{}` is not a Cedar type name", printable(name)),
            )
            .primary(ty.loc, "not a Cedar identifier")
            .help("start with a letter and use only letters, digits and `_`, such as `BuildPipeline`; Cedar's own words (`in`, `has`, `String`, …) are reserved"),
        );
    }
}

fn reserved_key(key: &str, loc: crate::source::Loc, out: &mut Diagnostics) {
    if RESERVED_CONTEXT_KEYS.contains(&key) {
        out.push(
            Diagnostic::new(
                Code::ReservedContextKey,
                format!("context key `{key}` is reserved for delegation"),
            )
            .primary(loc, "reserved key")
            .help("`delegator` and `delegation_chain` carry the identities a request is made on behalf of; name the attribute differently"),
        );
    }
}
