//! Unused Kubernetes access, from the API server's audit logs.
//!
//! Each identity that runs on the cluster as its ServiceAccounts is
//! `system:serviceaccount:NS:NAME` in each namespace it runs in (the
//! renderer's names). An allowed action is `unused-action` when no request
//! of those ServiceAccounts in the window matched the RBAC rules nhi
//! renders for it (API group, resource and subresource, verb, the
//! `resourceNames` its `where` narrows to, and the namespace its Role is
//! bound in, or any for a ClusterRole); an identity none of whose
//! ServiceAccounts made any request is `unused-identity`.
//!
//! Logs are claimed from only when they cover the whole window: their
//! earliest event on or before its first day, their latest at most
//! [`super::LAG_DAYS`] before today. Otherwise the report says how
//! many days they cover, and claims nothing for Kubernetes. An identity
//! that acts on the cluster through its AWS role (an EKS access entry) is
//! not a ServiceAccount: the logs are not read for it.

use super::{Report, current_from};
use crate::analyse::{Analysis, enforce};
use crate::import::audit::{AuditLog, Request, Requests, SERVICE_ACCOUNT_USER};
use crate::model::{Date, Identity, KubernetesMapping, Model, Platform, RbacRule};
use crate::source::SourceDb;

/// One identity's ServiceAccounts: namespace, and what the logs hold of
/// it (`None`: no request at all).
type Accounts<'a> = Vec<(&'a str, Option<&'a Requests>)>;

/// The unused Kubernetes access of the workspace's identities since
/// `since`, as of the analysis's day.
#[must_use]
pub fn report(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    log: &AuditLog,
    since: Date,
) -> Report {
    let mut report = Report::new(since);
    let today = analysis.today();
    let covers = match (log.first, log.last) {
        (Some(first), Some(last)) => {
            let covers = first <= since && last >= current_from(today);
            if !covers {
                report.notes.push(coverage_note(first, last, since, today));
            }
            covers
        }
        _ => {
            report.notes.push(
                "Kubernetes: the audit logs hold no event: nothing is claimed for Kubernetes"
                    .to_owned(),
            );
            false
        }
    };
    let mut through_role = Vec::new();
    for identity in analysis.live(model) {
        let lands = analysis.lands(identity);
        let Some(namespaces) = &lands.kubernetes else {
            continue;
        };
        if lands.through_role {
            through_role.push(identity.name.value.to_string());
            continue;
        }
        let accounts: Accounts<'_> = namespaces
            .iter()
            .map(|ns| {
                let key = (ns.clone(), identity.name.value.to_string());
                (ns.as_str(), log.accounts.get(&key))
            })
            .collect();
        one(model, db, identity, &accounts, (since, covers), &mut report);
    }
    if !through_role.is_empty() {
        report.notes.push(format!(
            "Kubernetes: {} act on the cluster through their AWS role, not as ServiceAccounts: the audit logs are not read for them",
            crate::diag::backticked(through_role.iter().map(String::as_str))
        ));
    }
    report
}

/// Say how many days the logs cover, and that nothing is claimed.
fn coverage_note(first: Date, last: Date, since: Date, today: Date) -> String {
    let days = |from: Date, to: Date| from.until(to).map_or(0, |s| s.get_days());
    // the logs' days counted both ends in: one day of events covers a day
    format!(
        "Kubernetes: the audit logs cover {} days ({first} to {last}), not the whole window of {} days ({since} to {today}): nothing is claimed for Kubernetes",
        days(first, last) + 1,
        days(since, today)
    )
}

/// What the logs show of one identity, in the window from `since`
/// (claimed only when the logs cover it).
fn one(
    model: &Model,
    db: &SourceDb,
    identity: &Identity,
    accounts: &Accounts<'_>,
    (since, covers): (Date, bool),
    report: &mut Report,
) {
    let name = identity.name.value.to_string();
    let users: Vec<String> = accounts
        .iter()
        .map(|(ns, _)| format!("{SERVICE_ACCOUNT_USER}{ns}:{name}"))
        .collect();
    let users = crate::diag::backticked(users.iter().map(String::as_str));
    let last_any = accounts
        .iter()
        .filter_map(|(_, r)| r.and_then(|r| r.last))
        .max();
    if last_any.is_some_and(|d| d >= since) {
        report.used.insert((name.clone(), None));
    } else if covers {
        let detail = format!("the audit logs record no request of {users} in the window");
        report.unused_identity(db, identity, last_any, &detail);
    }
    let overflow = accounts.iter().any(|(_, r)| r.is_some_and(|r| r.overflow));
    if overflow {
        report.notes.push(format!(
            "Kubernetes: the audit logs hold more distinct requests than nhi keeps: the actions of `{name}` are not claimed unused"
        ));
    }
    let catalogue = model.settings.actions.as_ref();
    for grant in &identity.allowed {
        let Some(action) = catalogue.and_then(|c| c.get(&grant.action.value)) else {
            continue;
        };
        let Some(mapping) = action.kubernetes.as_ref().filter(|k| !k.rules.is_empty()) else {
            continue;
        };
        let plan = enforce::plan(model, identity, grant, action, Platform::Kubernetes);
        if !plan.granted {
            continue;
        }
        let last = last_match(mapping, plan.names.as_deref(), accounts);
        if last.is_some_and(|d| d >= since) {
            report
                .used
                .insert((name.clone(), Some(grant.action.value.clone())));
        } else if covers && !overflow {
            let detail = format!("no request of {users} in the window matched its RBAC rules");
            report.unused_action(db, identity, &grant.action, last, detail);
        }
    }
    if covers {
        report.covered.push(name);
    }
}

/// The last day a request of the ServiceAccounts matched one of the
/// mapping's rules: in the ServiceAccount's own namespace (its Role is
/// bound there), or anywhere for a cluster-wide mapping.
fn last_match(
    mapping: &KubernetesMapping,
    names: Option<&[String]>,
    accounts: &Accounts<'_>,
) -> Option<Date> {
    accounts
        .iter()
        .filter_map(|(ns, r)| r.map(|r| (*ns, r)))
        .flat_map(|(ns, r)| {
            r.seen.iter().filter(move |(request, _)| {
                (mapping.cluster_wide || request.namespace == ns)
                    && mapping
                        .rules
                        .iter()
                        .any(|rule| allows(rule, names, request))
            })
        })
        .map(|(_, day)| *day)
        .max()
}

/// Whether an RBAC rule, as nhi renders it, allows a request: Kubernetes'
/// own matching (`*` for any group, resource or verb; `*/SUB` for a
/// subresource of any resource), with `resourceNames` narrowed to
/// `names` on the verbs RBAC narrows by name.
fn allows(rule: &RbacRule, names: Option<&[String]>, request: &Request) -> bool {
    if request.resource.is_empty() {
        return false;
    }
    let full = if request.subresource.is_empty() {
        request.resource.clone()
    } else {
        format!("{}/{}", request.resource, request.subresource)
    };
    let group = rule
        .api_groups
        .iter()
        .any(|g| g.value == "*" || g.value == request.api_group);
    let resource = rule.resources.iter().any(|r| {
        r.value == "*"
            || r.value == full
            || (!request.subresource.is_empty()
                && r.value.strip_prefix("*/") == Some(request.subresource.as_str()))
    });
    let own: Vec<&str> = rule
        .resource_names
        .iter()
        .map(|n| n.value.as_str())
        .collect();
    let verb = rule
        .verbs
        .iter()
        .map(|v| v.value.as_str())
        .filter(|v| *v == "*" || *v == request.verb)
        .any(|v| match names {
            Some(names) if !enforce::UNNAMED_VERBS.contains(&v) => names
                .iter()
                .any(|n| *n == request.name && (own.is_empty() || own.contains(&n.as_str()))),
            _ => own.is_empty() || own.contains(&request.name.as_str()),
        });
    group && resource && verb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Loc, Span, Spanned};

    fn strings(v: &[&str]) -> Vec<Spanned<String>> {
        let loc = Loc::new(FileId::default(), Span::new(0, 0));
        v.iter()
            .map(|s| Spanned::new((*s).to_owned(), loc))
            .collect()
    }

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str], names: &[&str]) -> RbacRule {
        RbacRule {
            api_groups: strings(groups),
            resources: strings(resources),
            verbs: strings(verbs),
            resource_names: strings(names),
            loc: Loc::new(FileId::default(), Span::new(0, 0)),
        }
    }

    fn request(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> Request {
        Request {
            verb: verb.to_owned(),
            api_group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: sub.to_owned(),
            namespace: "apps".to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn rules_match_as_rbac_does() {
        let pods = rule(&[""], &["pods", "pods/log"], &["get", "list"], &[]);
        assert!(allows(
            &pods,
            None,
            &request("get", "", "pods", "log", "p-1")
        ));
        assert!(allows(&pods, None, &request("list", "", "pods", "", "")));
        assert!(!allows(
            &pods,
            None,
            &request("delete", "", "pods", "", "p-1")
        ));
        assert!(!allows(
            &pods,
            None,
            &request("get", "apps", "pods", "", "p-1")
        ));
        assert!(!allows(
            &pods,
            None,
            &request("get", "", "pods", "exec", "p-1")
        ));
        let scale = rule(&["*"], &["*/scale"], &["*"], &[]);
        assert!(allows(
            &scale,
            None,
            &request("patch", "apps", "deployments", "scale", "web")
        ));
        assert!(!allows(
            &scale,
            None,
            &request("patch", "apps", "deployments", "", "web")
        ));
        // narrowed to `web` by a `where` on get and patch, not on list
        let deployments = rule(&["apps"], &["deployments"], &["get", "patch", "list"], &[]);
        let web = ["web".to_owned()];
        let names = Some(&web[..]);
        assert!(allows(
            &deployments,
            names,
            &request("patch", "apps", "deployments", "", "web")
        ));
        assert!(!allows(
            &deployments,
            names,
            &request("patch", "apps", "deployments", "", "api")
        ));
        assert!(allows(
            &deployments,
            names,
            &request("list", "apps", "deployments", "", "")
        ));
        // the rule's own names
        let own = rule(&[""], &["configmaps"], &["get"], &["flags"]);
        assert!(allows(
            &own,
            None,
            &request("get", "", "configmaps", "", "flags")
        ));
        assert!(!allows(
            &own,
            None,
            &request("get", "", "configmaps", "", "other")
        ));
        // a request to no resource (`/healthz`) matches no rule
        assert!(!allows(&scale, None, &request("get", "", "", "", "")));
    }
}
