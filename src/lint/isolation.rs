//! Isolation rules: one identity per environment, context kept out of
//! names (OWASP NHI8), and one workload never presented as two identities
//! (OWASP NHI9).

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{AuthMethod, Identity, Model};

use super::LintContext;

/// Report an identity spanning isolated environments, and a name that
/// encodes context.
pub fn identity(cx: &LintContext<'_>, identity: &Identity, out: &mut Diagnostics) {
    if cx.analysis.renders(identity) {
        environments(cx.model, identity, out);
        name(identity, out);
    }
}

/// Report identities that are one.
pub fn workspace(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let live: Vec<&Identity> = cx.analysis.live(cx.model).collect();
    reuse(&live, out);
}

fn environments(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let Some(envs) = &identity.context.environments else {
        return;
    };
    let g = &model.settings.guardrails;
    let Some(isolated) = envs.iter().find(|e| g.is_isolated(&e.value)) else {
        return;
    };
    let others: Vec<String> = envs
        .iter()
        .filter(|e| e.value != isolated.value)
        .map(|e| format!("`{}`", e.value))
        .collect();
    if others.is_empty() {
        return;
    }
    out.push(
        Diagnostic::new(
            Code::EnvironmentReuse,
            format!(
                "`{}` acts in `{}` and in {}",
                identity.name.value,
                isolated.value,
                others.join(", ")
            ),
        )
        .primary(isolated.loc, "an isolated environment")
        .help(format!(
            "declare one identity for `{}` and another for the rest: a credential leaked from a lesser environment must not reach it",
            isolated.value
        )),
    );
}

/// Name parts that say where an identity runs rather than what it does.
const ENVIRONMENTS: [&str; 13] = [
    "prod",
    "production",
    "prd",
    "staging",
    "stage",
    "stg",
    "dev",
    "development",
    "uat",
    "preprod",
    "sandbox",
    "nonprod",
    "qa",
];
const DEPLOYMENTS: [&str; 3] = ["blue", "green", "canary"];
/// First halves of cloud region names (`eu-west-1`, `us-central1`).
const REGION_AREAS: [&str; 13] = [
    "eu",
    "us",
    "ap",
    "sa",
    "ca",
    "me",
    "af",
    "il",
    "mx",
    "asia",
    "europe",
    "uk",
    "australia",
];
const DIRECTIONS: [&str; 5] = ["west", "east", "north", "south", "central"];
/// Azure's one-word region names.
const AZURE_REGIONS: [&str; 16] = [
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "westus3",
    "centralus",
    "uksouth",
    "ukwest",
    "francecentral",
    "germanywestcentral",
    "swedencentral",
    "switzerlandnorth",
    "southeastasia",
    "australiaeast",
];

/// What a name encodes that belongs in `context`, if anything.
fn encoded(name: &str) -> Option<(String, &'static str)> {
    let parts: Vec<&str> = name.split('-').collect();
    for (i, part) in parts.iter().enumerate() {
        if ENVIRONMENTS.contains(part) {
            return Some(((*part).to_owned(), "an environment"));
        }
        if DEPLOYMENTS.contains(part) {
            return Some(((*part).to_owned(), "a deployment"));
        }
        if AZURE_REGIONS.contains(part) {
            return Some(((*part).to_owned(), "a region"));
        }
        if REGION_AREAS.contains(part)
            && let Some(next) = parts.get(i + 1)
            && DIRECTIONS.iter().any(|d| {
                next.strip_prefix(d)
                    .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()) || rest.is_empty())
            })
        {
            return Some((format!("{part}-{next}"), "a region"));
        }
    }
    None
}

fn name(identity: &Identity, out: &mut Diagnostics) {
    let name = &identity.name;
    if let Some((part, what)) = encoded(name.value.as_str()) {
        let key = match what {
            "an environment" => "environments",
            "a region" => "regions",
            _ => "attributes",
        };
        out.push(
            Diagnostic::new(
                Code::NameEncodesContext,
                format!("the name `{}` encodes {what}, `{part}`", name.value),
            )
            .primary(name.loc, format!("{what} in the name"))
            .help(format!(
                "name it after what it does (`invoice-importer`) and put `{part}` in `context.{key}`: where it runs is a condition, and changes without renaming it"
            )),
        );
    }
}

fn reuse(live: &[&Identity], out: &mut Diagnostics) {
    /// One workload: what it signs in with and as whom.
    type Workload<'a> = (AuthMethod, Option<&'a str>, &'a str);
    /// The identities of one workload with distinct permissions, the first
    /// of each, with their allowed actions once they are asked for: most
    /// workloads have one identity, whose actions are never compared.
    type Seen<'a> = Vec<(&'a Identity, Option<BTreeSet<&'a str>>)>;
    let mut workloads: HashMap<Workload<'_>, Seen<'_>> = HashMap::new();
    for &identity in live {
        let auth = &identity.auth;
        let Some(subject) = &auth.subject else {
            continue;
        };
        let workload = (
            auth.method.value,
            auth.issuer.as_ref().map(|i| i.value.as_str()),
            subject.value.as_str(),
        );
        let seen = workloads.entry(workload).or_default();
        if seen.is_empty() {
            seen.push((identity, None));
            continue;
        }
        let allowed = identity.allowed_names();
        let earlier = seen.iter_mut().find_map(|(earlier, theirs)| {
            (*theirs.get_or_insert_with(|| earlier.allowed_names()) == allowed).then_some(*earlier)
        });
        let Some(earlier) = earlier else {
            seen.push((identity, Some(allowed)));
            continue;
        };
        let mut d = Diagnostic::new(
            Code::IdentityReuse,
            format!(
                "`{}` and `{}` are the same workload with the same permissions",
                earlier.name.value, identity.name.value
            ),
        )
        .primary(subject.loc, "the same subject");
        if let Some(s) = &earlier.auth.subject {
            d = d.secondary(s.loc, format!("as `{}`", earlier.name.value));
        }
        out.push(d.help(
            "keep one of them: two identities for one workload split its audit trail and its review, and one is forgotten when the other is offboarded",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::encoded;

    #[test]
    fn names_that_say_where_they_run() {
        let found = encoded;
        assert_eq!(
            found("production-importer-eu-west"),
            Some(("production".to_owned(), "an environment"))
        );
        assert_eq!(
            found("importer-eu-west-1"),
            Some(("eu-west".to_owned(), "a region"))
        );
        assert_eq!(
            found("importer-us-central1"),
            Some(("us-central1".to_owned(), "a region"))
        );
        assert_eq!(
            found("web-canary"),
            Some(("canary".to_owned(), "a deployment"))
        );
        assert_eq!(
            found("reporter-westeurope"),
            Some(("westeurope".to_owned(), "a region"))
        );
        for fine in [
            "release-assistant",
            "invoice-importer",
            "test-runner",
            "us-mailer",
            "devops-bot",
            "prodigy",
            "east-wind",
        ] {
            assert_eq!(encoded(fine), None, "{fine}");
        }
    }
}
