//! How each identity proves who it is to a cloud: which issuer, subject
//! and audience a cloud's trust must name, derived from its `auth` and the
//! workspace's target settings — or why it cannot be federated.
//!
//! An identity that names no issuer runs as its Kubernetes service account
//! (`system:serviceaccount:NAMESPACE:NAME`, in its own namespaces or the
//! workspace's), trusted through the cluster's OIDC issuer.

use crate::model::{AuthMethod, Identity, Model};
use crate::source::Loc;

/// Why an identity cannot be federated into a cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unbound {
    /// Where the problem is.
    pub loc: Loc,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// The trust an AWS role needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AwsTrust {
    /// OIDC web identity federation.
    WebIdentity {
        /// The IAM OIDC provider's ARN.
        provider_arn: String,
        /// The issuer without `https://`, as IAM prefixes its keys.
        issuer: String,
        /// Accepted `aud` values.
        audiences: Vec<String>,
        /// Accepted `sub` values.
        subjects: Vec<String>,
    },
    /// IAM Roles Anywhere, by X.509 certificate.
    RolesAnywhere {
        /// The trust anchor's ARN.
        trust_anchor: String,
        /// The certificate attribute the role is bound to
        /// (`x509SAN/URI`, `x509Subject/CN`).
        attribute: &'static str,
        /// Its accepted values.
        values: Vec<String>,
    },
    /// A long-lived IAM user (the identity declares `api_key`).
    User,
}

/// The Kubernetes service account subjects of an identity: one per
/// namespace it runs in (its own, or the workspace's).
#[must_use]
pub fn service_accounts(model: &Model, identity: &Identity) -> Vec<(String, String)> {
    let own = identity
        .context
        .namespaces
        .iter()
        .flatten()
        .map(|n| n.value.clone());
    let defaults = model
        .settings
        .targets
        .kubernetes
        .iter()
        .flat_map(|k| k.namespaces.iter().flatten())
        .map(|n| n.value.clone());
    let mut namespaces: Vec<String> = if identity
        .context
        .namespaces
        .as_ref()
        .is_some_and(|n| !n.is_empty())
    {
        own.collect()
    } else {
        defaults.collect()
    };
    namespaces.sort();
    namespaces.dedup();
    namespaces
        .into_iter()
        .map(|ns| {
            (
                ns.clone(),
                format!("system:serviceaccount:{ns}:{}", identity.name.value),
            )
        })
        .collect()
}

/// An issuer URL without its scheme and trailing slash.
#[must_use]
pub fn issuer_host(issuer: &str) -> &str {
    issuer
        .strip_prefix("https://")
        .unwrap_or(issuer)
        .trim_end_matches('/')
}

/// Whether an issuer is a cluster's (EKS) OIDC issuer.
fn is_cluster_issuer(issuer: &str) -> bool {
    issuer_host(issuer).starts_with("oidc.eks.")
}

/// The trust of an identity's AWS role.
///
/// # Errors
///
/// When AWS cannot federate it: the issuer is not a registered OIDC
/// provider, no subject pins it, or Roles Anywhere has no trust anchor.
pub fn aws(model: &Model, identity: &Identity) -> Result<AwsTrust, Unbound> {
    let Some(target) = &model.settings.targets.aws else {
        return Err(Unbound {
            loc: identity.name.loc,
            message: "the workspace configures no AWS target".to_owned(),
            help: "set `targets.aws` in nhi.yaml".to_owned(),
        });
    };
    let auth = &identity.auth;
    let name = &identity.name.value;
    let providers: Vec<&str> = target
        .oidc_providers
        .iter()
        .flatten()
        .map(|p| p.value.as_str())
        .collect();
    match auth.method.value {
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials => {
            let (issuer, subjects) = match (&auth.issuer, &auth.subject) {
                (Some(issuer), Some(subject)) => (issuer.value.clone(), vec![subject.value.clone()]),
                (Some(issuer), None) => {
                    if !is_cluster_issuer(&issuer.value) {
                        return Err(Unbound {
                            loc: issuer.loc,
                            message: format!("`{name}` names an OIDC issuer but no subject: its AWS role would trust every token the issuer signs"),
                            help: "set `auth.subject` to the one workload the role is for".to_owned(),
                        });
                    }
                    let subjects = service_accounts(model, identity).into_iter().map(|(_, s)| s).collect();
                    (issuer.value.clone(), subjects)
                }
                (None, _) => {
                    let Some(cluster) = providers.iter().find(|p| is_cluster_issuer(p)) else {
                        return Err(Unbound {
                            loc: auth.loc,
                            message: format!("`{name}` names no OIDC issuer, and the AWS target registers no cluster issuer to run it as a Kubernetes service account"),
                            help: "set `auth.issuer` and `auth.subject`, or register the EKS cluster's issuer in `targets.aws.oidc_providers`".to_owned(),
                        });
                    };
                    let subjects: Vec<String> = service_accounts(model, identity).into_iter().map(|(_, s)| s).collect();
                    ((*cluster).to_owned(), subjects)
                }
            };
            if subjects.is_empty() {
                return Err(Unbound {
                    loc: auth.loc,
                    message: format!("`{name}` runs as a Kubernetes service account but no namespace is known"),
                    help: "list its `context.namespaces`, or the workspace's in `targets.kubernetes.namespaces`".to_owned(),
                });
            }
            let host = issuer_host(&issuer).to_owned();
            if !providers.iter().any(|p| issuer_host(p) == host) {
                let loc = auth.issuer.as_ref().map_or(auth.loc, |i| i.loc);
                return Err(Unbound {
                    loc,
                    message: format!("OIDC issuer `{issuer}` of `{name}` is not registered with the AWS account"),
                    help: "add it to `targets.aws.oidc_providers` (the account's IAM OIDC identity providers)".to_owned(),
                });
            }
            Ok(AwsTrust::WebIdentity {
                provider_arn: format!("arn:aws:iam::{}:oidc-provider/{host}", target.account_id.value),
                issuer: host,
                audiences: vec![
                    auth.audience
                        .as_ref()
                        .map_or_else(|| "sts.amazonaws.com".to_owned(), |a| a.value.clone()),
                ],
                subjects,
            })
        }
        AuthMethod::Spiffe | AuthMethod::Mtls => {
            let Some(anchor) = &target.roles_anywhere_trust_anchor else {
                return Err(Unbound {
                    loc: auth.method.loc,
                    message: format!("`{name}` authenticates by certificate, and the AWS target names no IAM Roles Anywhere trust anchor"),
                    help: "set `targets.aws.roles_anywhere_trust_anchor`".to_owned(),
                });
            };
            let (attribute, values) = if auth.method.value == AuthMethod::Spiffe {
                let id = match (&auth.subject, &model.settings.trust_domain) {
                    (Some(s), _) if s.value.starts_with("spiffe://") => s.value.clone(),
                    (_, Some(domain)) => spiffe_id(&domain.value, model, identity),
                    _ => {
                        return Err(Unbound {
                            loc: auth.loc,
                            message: format!("`{name}` has no SPIFFE ID: no `auth.subject` and no workspace `trust_domain`"),
                            help: "set `auth.subject: spiffe://…`, or `trust_domain` in nhi.yaml".to_owned(),
                        });
                    }
                };
                ("x509SAN/URI", vec![id])
            } else {
                let cn = auth.subject.as_ref().map_or_else(|| name.to_string(), |s| s.value.clone());
                ("x509Subject/CN", vec![cn])
            };
            Ok(AwsTrust::RolesAnywhere {
                trust_anchor: anchor.value.clone(),
                attribute,
                values,
            })
        }
        AuthMethod::ApiKey => Ok(AwsTrust::User),
        AuthMethod::Attested => Err(Unbound {
            loc: auth.method.loc,
            message: format!("AWS cannot federate `{name}`'s attested credential"),
            help: "authenticate it with `oidc` (web identity) or `spiffe` (IAM Roles Anywhere) to give it an AWS role".to_owned(),
        }),
    }
}

/// The SPIFFE ID of an identity in a trust domain: by its first
/// Kubernetes namespace (`spiffe://DOMAIN/ns/NS/sa/NAME`), else by name.
#[must_use]
pub fn spiffe_id(domain: &str, model: &Model, identity: &Identity) -> String {
    match service_accounts(model, identity).first() {
        Some((ns, _)) => format!("spiffe://{domain}/ns/{ns}/sa/{}", identity.name.value),
        None => format!("spiffe://{domain}/{}", identity.name.value),
    }
}

/// Whether a cloud must grant the identity anything: one of its allowed
/// actions means something there.
#[must_use]
pub fn needs(model: &Model, identity: &Identity, cloud: Cloud) -> bool {
    let Some(catalogue) = &model.settings.actions else {
        return false;
    };
    identity.allowed.iter().any(|g| {
        catalogue.get(&g.action.value).is_some_and(|a| match cloud {
            Cloud::Aws => a.aws.as_ref().is_some_and(|m| !m.actions.is_empty()),
            Cloud::Gcp => a.gcp.as_ref().is_some_and(|m| !m.permissions.is_empty()),
            Cloud::Azure => a
                .azure
                .as_ref()
                .is_some_and(|m| !m.actions.is_empty() || !m.data_actions.is_empty()),
        })
    })
}

/// A cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    /// AWS.
    Aws,
    /// Google Cloud.
    Gcp,
    /// Azure.
    Azure,
}
