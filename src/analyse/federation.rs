//! How each identity proves who it is to a cloud: which issuer, subject
//! and audience a cloud's trust must name, derived from its `auth` and the
//! workspace's target settings — or why it cannot be federated.
//!
//! An identity that names no issuer runs as its Kubernetes service account
//! (`system:serviceaccount:NAMESPACE:NAME`, in its own namespaces or the
//! workspace's), trusted through the cluster's OIDC issuer.

use super::subject::{self, Reach};
use crate::diag::printable;
use crate::model::{AuthMethod, AwsPrerequisite, ClusterPlatform, Identity, Model, Platform};
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
        /// The trust anchor's ARN (`None`: the one the workspace's
        /// Terraform creates, `manage: [roles_anywhere]`).
        trust_anchor: Option<String>,
        /// The certificate attribute the role is bound to
        /// (`x509SAN/URI`, `x509Subject/CN`).
        attribute: &'static str,
        /// Its accepted values.
        values: Vec<String>,
    },
    /// A long-lived IAM user (the identity declares `api_key`).
    User,
    /// A role AWS itself hands out (the identity declares `attested`):
    /// to an AWS service acting for the workload (`lambda.amazonaws.com`)
    /// or to another AWS principal (an account, a role, a user).
    Assumed(AwsPrincipal),
}

/// Who may assume a role that AWS itself authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// An AWS service principal (`ec2.amazonaws.com`).
    Service(String),
    /// An AWS account id or the ARN of an account root, role, user or
    /// assumed-role session.
    Aws(String),
}

impl AwsPrincipal {
    /// What `issuer` names, if it is an AWS service principal, an account
    /// id or an IAM or STS principal ARN.
    #[must_use]
    pub fn parse(issuer: &str) -> Option<Self> {
        let label = |l: &str| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let service = issuer
            .strip_suffix(".amazonaws.com")
            .or_else(|| issuer.strip_suffix(".amazonaws.com.cn"));
        if let Some(host) = service {
            return host
                .split('.')
                .all(label)
                .then(|| Self::Service(issuer.to_owned()));
        }
        let account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
        if account(issuer) {
            return Some(Self::Aws(issuer.to_owned()));
        }
        let mut parts = issuer.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(""), Some(id), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let kind = resource.split('/').next().unwrap_or_default();
        let known = match service {
            "iam" => resource == "root" || matches!(kind, "role" | "user"),
            "sts" => kind == "assumed-role",
            _ => false,
        };
        (partition.starts_with("aws")
            && account(id)
            && known
            && !resource.contains(char::is_whitespace))
        .then(|| Self::Aws(issuer.to_owned()))
    }
}

/// The platform the cluster runs on: as `nhi.yaml` says, else the one its
/// issuer names (EKS, GKE, AKS), else another.
#[must_use]
pub fn cluster_platform(model: &Model) -> ClusterPlatform {
    let Some(cluster) = model.settings.targets.kubernetes.as_ref() else {
        return ClusterPlatform::Other;
    };
    if let Some(p) = &cluster.platform {
        return p.value;
    }
    let Some(issuer) = cluster.oidc_issuer.as_ref() else {
        return ClusterPlatform::Other;
    };
    let host = issuer_host(&issuer.value);
    if host.starts_with("oidc.eks.") && host.contains(".amazonaws.com") {
        ClusterPlatform::Eks
    } else if host.starts_with("container.googleapis.com") {
        ClusterPlatform::Gke
    } else if host.contains(".oic.prod-aks.azure.com") || host.contains(".prod-aks.azure.com") {
        ClusterPlatform::Aks
    } else {
        ClusterPlatform::Other
    }
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
        .flat_map(|k| k.namespaces.iter())
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

/// The issuer and subjects an OIDC identity presents: its own, or, when
/// it names no issuer (or names the cluster's without a subject), its
/// Kubernetes service accounts through the cluster's issuer.
///
/// # Errors
///
/// When nothing pins the subject.
pub fn oidc_subjects(model: &Model, identity: &Identity) -> Result<(String, Vec<String>), Unbound> {
    let auth = &identity.auth;
    let name = &identity.name.value;
    let cluster = model.settings.targets.cluster_issuer();
    let (issuer, subjects) = match (&auth.issuer, &auth.subject) {
        (Some(issuer), Some(subject)) => {
            return Ok((issuer.value.clone(), vec![subject.value.clone()]));
        }
        (Some(issuer), None) => {
            if cluster.is_none_or(|c| issuer_host(&c.value) != issuer_host(&issuer.value)) {
                return Err(Unbound {
                    loc: issuer.loc,
                    message: format!(
                        "`{name}` names an OIDC issuer but no subject: a cloud trusting it would trust every token the issuer signs"
                    ),
                    help: "set `auth.subject` to the one workload it is for".to_owned(),
                });
            }
            (issuer.value.clone(), service_accounts(model, identity))
        }
        (None, _) => {
            let Some(cluster) = cluster else {
                return Err(Unbound {
                    loc: auth.loc,
                    message: format!("`{name}` names no OIDC issuer, and the workspace names no cluster issuer to run it as a Kubernetes service account"),
                    help: "set `auth.issuer` and `auth.subject`, or the cluster's `targets.kubernetes.oidc_issuer`".to_owned(),
                });
            };
            (cluster.value.clone(), service_accounts(model, identity))
        }
    };
    if subjects.is_empty() {
        return Err(Unbound {
            loc: auth.loc,
            message: format!("`{name}` runs as a Kubernetes service account but no namespace is known"),
            help: "list its `context.namespaces`, or the workspace's in `targets.kubernetes.namespaces`".to_owned(),
        });
    }
    Ok((issuer, subjects.into_iter().map(|(_, s)| s).collect()))
}

/// The identity's own subject, unless a wildcard lets it match another
/// repository's, project's or workload's tokens: then no cloud trusts it
/// (`CR006` reports it at its line).
fn subject_pinned(identity: &Identity) -> Result<(), Unbound> {
    match &identity.auth.subject {
        Some(s) if subject::reach(&s.value) == Reach::Open => Err(Unbound {
            loc: s.loc,
            message: format!(
                "the subject of `{}` could match another repository's, project's or workload's tokens",
                identity.name.value
            ),
            help:
                "pin the repository or project (`repo:org/app:…`), and use a wildcard only after it"
                    .to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The identity's own subject, for a trust that compares it exactly
/// (`trust` names it): a wildcard there would match no token.
fn subject_exact(identity: &Identity, trust: &str) -> Result<(), Unbound> {
    subject_pinned(identity)?;
    match &identity.auth.subject {
        Some(s) if subject::reach(&s.value) != Reach::Exact => Err(Unbound {
            loc: s.loc,
            message: format!(
                "{trust} compares the subject exactly: the wildcard subject of `{}` would match no token",
                identity.name.value
            ),
            help: format!("give {trust} the exact subject of the one workload it trusts"),
        }),
        _ => Ok(()),
    }
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
        .map(|p| p.value.as_str())
        .collect();
    match auth.method.value {
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials => {
            // web identity trusts compare the subject with `StringLike`
            subject_pinned(identity)?;
            let (issuer, subjects) = oidc_subjects(model, identity)?;
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
                provider_arn: format!(
                    "arn:aws:iam::{}:oidc-provider/{host}",
                    target.account_id.value
                ),
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
            subject_exact(identity, "IAM Roles Anywhere")?;
            let managed = target.manages(AwsPrerequisite::RolesAnywhere);
            let anchor = target.roles_anywhere_trust_anchor.as_ref();
            if anchor.is_none() && !managed {
                return Err(Unbound {
                    loc: auth.method.loc,
                    message: format!("`{name}` authenticates by certificate, and the AWS target names no IAM Roles Anywhere trust anchor"),
                    help: "set `targets.aws.roles_anywhere_trust_anchor`, or let nhi render one (`manage: [roles_anywhere]`)".to_owned(),
                });
            }
            let (attribute, values) = if auth.method.value == AuthMethod::Spiffe {
                ("x509SAN/URI", vec![spiffe_of(model, identity)?])
            } else {
                let cn = auth
                    .subject
                    .as_ref()
                    .map_or_else(|| name.to_string(), |s| s.value.clone());
                ("x509Subject/CN", vec![cn])
            };
            Ok(AwsTrust::RolesAnywhere {
                trust_anchor: anchor.map(|a| a.value.clone()),
                attribute,
                values,
            })
        }
        AuthMethod::ApiKey => Ok(AwsTrust::User),
        AuthMethod::Attested => {
            let Some(issuer) = &auth.issuer else {
                return Err(Unbound {
                    loc: auth.method.loc,
                    message: format!("`{name}` is attested, and names no AWS service or principal that AWS hands its role to"),
                    help: "set `auth.issuer` to the AWS service that runs it (`lambda.amazonaws.com`) or the AWS principal that assumes its role (an account id or ARN)".to_owned(),
                });
            };
            AwsPrincipal::parse(&issuer.value)
                .map(AwsTrust::Assumed)
                .ok_or_else(|| Unbound {
                    loc: issuer.loc,
                    message: format!("`{}` is neither an AWS service principal nor an AWS account id or principal ARN", printable(&issuer.value)),
                    help: "name a service (`ec2.amazonaws.com`), an account (`123456789012`) or an IAM or STS principal ARN (`arn:aws:iam::123456789012:role/deployer`)".to_owned(),
                })
        }
    }
}

/// The SPIFFE ID an identity presents: its `auth.subject`, or the one its
/// trust domain and namespace give it.
///
/// # Errors
///
/// When it has neither a SPIFFE subject nor a workspace trust domain.
pub fn spiffe_of(model: &Model, identity: &Identity) -> Result<String, Unbound> {
    let auth = &identity.auth;
    match (&auth.subject, &model.settings.trust_domain) {
        (Some(s), _) if s.value.starts_with("spiffe://") => Ok(s.value.clone()),
        (_, Some(domain)) => Ok(spiffe_id(&domain.value, model, identity)),
        _ => Err(Unbound {
            loc: auth.loc,
            message: format!(
                "`{}` has no SPIFFE ID: no `auth.subject` and no workspace `trust_domain`",
                identity.name.value
            ),
            help: "set `auth.subject: spiffe://…`, or `trust_domain` in nhi.yaml".to_owned(),
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

/// How an identity reaches its Google Cloud service account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcpTrust {
    /// Workload identity federation: the pool principals that may act as
    /// the service account.
    Pool {
        /// `principal://…/subject/SUBJECT`, one per subject.
        members: Vec<String>,
    },
    /// A service account key (the identity declares `api_key`), issued
    /// out of band.
    Key,
    /// A workload Google Cloud runs as the service account itself
    /// (`attested`): a Compute Engine instance, a Cloud Run service or a
    /// function the account is attached to. Nobody else is bound to it.
    Attached,
}

/// How an identity reaches its Google Cloud service account.
///
/// # Errors
///
/// When the workspace names no workload identity pool (or project
/// number), or nothing pins the identity's subject.
pub fn gcp(model: &Model, identity: &Identity) -> Result<GcpTrust, Unbound> {
    let auth = &identity.auth;
    let name = &identity.name.value;
    match auth.method.value {
        AuthMethod::ApiKey => return Ok(GcpTrust::Key),
        AuthMethod::Attested => return Ok(GcpTrust::Attached),
        _ => {}
    }
    subject_exact(identity, "Google Cloud")?;
    if let Some(members) = gke_members(model, identity)? {
        return Ok(GcpTrust::Pool { members });
    }
    let target = model.settings.targets.gcp.as_ref();
    let (Some(number), Some(pool)) = (
        target.and_then(|t| t.project_number.as_ref()),
        target.and_then(|t| t.workload_identity_pool.as_ref()),
    ) else {
        return Err(Unbound {
            loc: auth.loc,
            message: format!(
                "`{name}` needs Google Cloud, and the GCP target names no workload identity pool and project number to federate it through"
            ),
            help: "set `targets.gcp.project_number` and `targets.gcp.workload_identity_pool`"
                .to_owned(),
        });
    };
    let subjects = match auth.method.value {
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials => oidc_subjects(model, identity)?.1,
        AuthMethod::Spiffe => vec![spiffe_of(model, identity)?],
        AuthMethod::Mtls => vec![
            auth.subject
                .as_ref()
                .map_or_else(|| name.to_string(), |s| s.value.clone()),
        ],
        AuthMethod::ApiKey => return Ok(GcpTrust::Key),
        AuthMethod::Attested => return Ok(GcpTrust::Attached),
    };
    Ok(GcpTrust::Pool {
        members: subjects
            .into_iter()
            .map(|s| {
                format!(
                    "principal://iam.googleapis.com/projects/{}/locations/global/workloadIdentityPools/{}/subject/{s}",
                    number.value, pool.value
                )
            })
            .collect(),
    })
}

/// On GKE, an identity that runs as its service accounts through the
/// cluster's issuer acts as its Google service account by GKE workload
/// identity: `serviceAccount:PROJECT.svc.id.goog[NS/NAME]`, no pool needed.
fn gke_members(model: &Model, identity: &Identity) -> Result<Option<Vec<String>>, Unbound> {
    let auth = &identity.auth;
    let cluster = model.settings.targets.cluster_issuer();
    let through_cluster = match &auth.issuer {
        None => true,
        Some(issuer) => {
            auth.subject.is_none()
                && cluster.is_some_and(|c| issuer_host(&c.value) == issuer_host(&issuer.value))
        }
    };
    let Some(project) = model.settings.targets.gcp.as_ref().map(|g| &g.project) else {
        return Ok(None);
    };
    if cluster_platform(model) != ClusterPlatform::Gke
        || auth.method.value != AuthMethod::Oidc
        || !through_cluster
    {
        return Ok(None);
    }
    let accounts = service_accounts(model, identity);
    if accounts.is_empty() {
        return Err(Unbound {
            loc: auth.loc,
            message: format!(
                "`{}` runs as a Kubernetes service account but no namespace is known",
                identity.name.value
            ),
            help: "list its `context.namespaces`, or the workspace's in `targets.kubernetes.namespaces`".to_owned(),
        });
    }
    Ok(Some(
        accounts
            .into_iter()
            .map(|(ns, _)| {
                format!(
                    "serviceAccount:{}.svc.id.goog[{ns}/{}]",
                    project.value, identity.name.value
                )
            })
            .collect(),
    ))
}

/// A federated identity credential of an Azure managed identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureCredential {
    /// The token issuer.
    pub issuer: String,
    /// The token subject.
    pub subject: String,
}

/// The audience Azure expects in federated tokens.
pub const AZURE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// The federated credentials of an identity's Azure managed identity.
///
/// # Errors
///
/// When Azure cannot federate it: a managed identity takes no secret or
/// client certificate, and a SPIFFE identity needs the JWT-SVID issuer.
pub fn azure(model: &Model, identity: &Identity) -> Result<Vec<AzureCredential>, Unbound> {
    let auth = &identity.auth;
    let name = &identity.name.value;
    if matches!(
        auth.method.value,
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials | AuthMethod::Spiffe
    ) {
        subject_exact(identity, "Azure")?;
    }
    match auth.method.value {
        AuthMethod::Oidc | AuthMethod::OauthClientCredentials => {
            let (issuer, subjects) = oidc_subjects(model, identity)?;
            Ok(subjects
                .into_iter()
                .map(|subject| AzureCredential {
                    issuer: issuer.clone(),
                    subject,
                })
                .collect())
        }
        AuthMethod::Spiffe => {
            let issuer = model
                .settings
                .targets
                .azure
                .as_ref()
                .and_then(|a| a.spiffe_issuer.as_ref())
                .ok_or_else(|| Unbound {
                    loc: auth.method.loc,
                    message: format!("`{name}` is a SPIFFE identity, and the Azure target names no JWT-SVID issuer to federate it through"),
                    help: "set `targets.azure.spiffe_issuer` to SPIRE's OIDC discovery issuer".to_owned(),
                })?;
            Ok(vec![AzureCredential {
                issuer: issuer.value.clone(),
                subject: spiffe_of(model, identity)?,
            }])
        }
        // Azure runs the workload the identity is attached to (a virtual
        // machine, an App Service, a function): nothing to federate
        AuthMethod::Attested => Ok(Vec::new()),
        AuthMethod::Mtls | AuthMethod::ApiKey => Err(Unbound {
            loc: auth.method.loc,
            message: format!(
                "an Azure managed identity takes no secret or certificate: `{name}` cannot be federated into Azure"
            ),
            help: "authenticate it with `oidc` or `spiffe`, or `attested` when Azure runs it, to give it an Azure managed identity"
                .to_owned(),
        }),
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
        catalogue
            .get(&g.action.value)
            .is_some_and(|a| a.means_something_in(cloud.platform()))
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

impl Cloud {
    /// The target it is.
    #[must_use]
    pub const fn platform(self) -> Platform {
        match self {
            Self::Aws => Platform::Aws,
            Self::Gcp => Platform::Gcp,
            Self::Azure => Platform::Azure,
        }
    }
}
