//! Privilege rules: an identity that may change permissions, or holds
//! everything in a target, is flagged where it is granted (OWASP NHI5).

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Access, Action};

use super::LintContext;

/// Why holding the action is administrative, if it is.
fn administrative(action: &Action) -> Option<String> {
    if action.access.as_ref().map(|a| a.value) == Some(Access::PermissionsManagement) {
        return Some("it manages permissions".to_owned());
    }
    if let Some(aws) = &action.aws
        && let Some(a) = aws
            .actions
            .iter()
            .find(|a| a.value == "*" || a.value.eq_ignore_ascii_case("iam:*"))
    {
        return Some(format!("its AWS mapping grants `{}`", a.value));
    }
    if let Some(az) = &action.azure
        && az
            .actions
            .iter()
            .chain(&az.data_actions)
            .any(|a| a.value == "*")
    {
        return Some("its Azure mapping grants `*`".to_owned());
    }
    if let Some(k) = &action.kubernetes
        && k.rules.iter().any(|r| {
            r.verbs.iter().any(|v| v.value == "*") && r.resources.iter().any(|x| x.value == "*")
        })
    {
        return Some("its Kubernetes rules grant every verb on every resource".to_owned());
    }
    None
}

/// Report every allowed action that makes its identity an administrator.
pub fn check(cx: &LintContext<'_>, out: &mut Diagnostics) {
    let Some(catalogue) = cx.model.settings.actions.as_ref() else {
        return;
    };
    for identity in cx.analysis.live(cx.model) {
        for grant in &identity.allowed {
            let Some(action) = catalogue.get(&grant.action.value) else {
                continue;
            };
            if let Some(why) = administrative(action) {
                out.push(
                    Diagnostic::new(
                        Code::AdminPermission,
                        format!(
                            "`{}` may `{}`: {why}",
                            identity.name.value, grant.action.value
                        ),
                    )
                    .primary(grant.action.loc, "administrative access")
                    .secondary(action.name.loc, "defined here")
                    .help("split the task so the identity needs less, narrow the action with `where`, or keep it and suppress this rule with the reason a reviewer should read"),
                );
            }
        }
    }
}
