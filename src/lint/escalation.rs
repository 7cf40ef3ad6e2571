//! AWS privilege escalation: the IAM permissions with which an identity
//! can give itself, or a principal it controls, more than it holds — the
//! paths Rhino Security Labs catalogued and cloud security scanners check
//! (a new version of a policy it is attached to, a policy put on itself,
//! keys for another user, a role passed to compute it can start).

use std::collections::BTreeSet;

use crate::analyse::enforce;
use crate::diag::{Code, Diagnostic, Diagnostics, backticked};
use crate::model::{Grant, Identity, Model, Platform};
use crate::vocabulary::glob;

/// One escalation path: the actions it needs, all of them, and what the
/// holder can do with them.
struct Path {
    actions: &'static [&'static str],
    how: &'static str,
}

/// The paths, each named by what it takes.
const PATHS: &[Path] = &[
    Path {
        actions: &["iam:CreatePolicyVersion"],
        how: "write a new default version of a managed policy, granting anything",
    },
    Path {
        actions: &["iam:SetDefaultPolicyVersion"],
        how: "switch a managed policy to an older, broader version",
    },
    Path {
        actions: &["iam:CreateAccessKey"],
        how: "create access keys for another user and act as it",
    },
    Path {
        actions: &["iam:CreateLoginProfile"],
        how: "give another user a console password and sign in as it",
    },
    Path {
        actions: &["iam:UpdateLoginProfile"],
        how: "change another user's console password and sign in as it",
    },
    Path {
        actions: &["iam:AttachUserPolicy"],
        how: "attach any managed policy to a user, `AdministratorAccess` included",
    },
    Path {
        actions: &["iam:AttachGroupPolicy"],
        how: "attach any managed policy to a group it is in",
    },
    Path {
        actions: &["iam:AttachRolePolicy"],
        how: "attach any managed policy to a role it can assume",
    },
    Path {
        actions: &["iam:PutUserPolicy"],
        how: "write an inline policy granting anything onto a user",
    },
    Path {
        actions: &["iam:PutGroupPolicy"],
        how: "write an inline policy granting anything onto a group",
    },
    Path {
        actions: &["iam:PutRolePolicy"],
        how: "write an inline policy granting anything onto a role",
    },
    Path {
        actions: &["iam:AddUserToGroup"],
        how: "add a user to a more privileged group",
    },
    Path {
        actions: &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
        how: "rewrite a role's trust to admit itself, and assume it",
    },
    Path {
        actions: &["iam:PassRole", "ec2:RunInstances"],
        how: "start an instance with a more privileged role and use its credentials",
    },
    Path {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        how: "run code as a more privileged role in a new Lambda function",
    },
    Path {
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        how: "run code as a more privileged role in a new Lambda function triggered by an event source",
    },
    Path {
        actions: &["lambda:UpdateFunctionCode"],
        how: "replace the code of a function that runs as a more privileged role",
    },
    Path {
        actions: &["iam:PassRole", "glue:CreateDevEndpoint"],
        how: "open a Glue development endpoint as a more privileged role",
    },
    Path {
        actions: &["glue:UpdateDevEndpoint"],
        how: "add its own SSH key to a Glue endpoint that runs as a more privileged role",
    },
    Path {
        actions: &["iam:PassRole", "cloudformation:CreateStack"],
        how: "create a stack that runs as a more privileged role",
    },
    Path {
        actions: &["cloudformation:UpdateStack"],
        how: "change a stack that runs as a more privileged role",
    },
    Path {
        actions: &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        how: "run a data pipeline as a more privileged role",
    },
    Path {
        actions: &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
        how: "run a build as a more privileged role",
    },
    Path {
        actions: &[
            "iam:PassRole",
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
        how: "open a notebook that runs as a more privileged role",
    },
    Path {
        actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        how: "open an existing notebook and act as its role",
    },
    Path {
        actions: &["iam:PassRole", "sagemaker:CreateProcessingJob"],
        how: "run a processing job as a more privileged role",
    },
    Path {
        actions: &["iam:PassRole", "sagemaker:CreateTrainingJob"],
        how: "run a training job as a more privileged role",
    },
    Path {
        actions: &["ssm:SendCommand"],
        how: "run commands on instances, with their roles' credentials",
    },
    Path {
        actions: &["ssm:StartSession"],
        how: "open a shell on instances, with their roles' credentials",
    },
    Path {
        actions: &["ec2-instance-connect:SendSSHPublicKey"],
        how: "log in to instances, with their roles' credentials",
    },
];

/// Report the escalation paths an identity's AWS permissions hold, once,
/// at the first grant that contributes to the first of them.
pub fn check(model: &Model, identity: &Identity, out: &mut Diagnostics) {
    let catalogue = model.settings.actions.as_ref();
    let granted: BTreeSet<&str> = enforce::granted(model, identity, Platform::Aws).collect();
    let grants: Vec<(&Grant, Vec<&str>)> = identity
        .allowed
        .iter()
        .filter(|g| granted.contains(g.action.value.as_str()))
        .filter_map(|g| {
            let mapping = catalogue?.get(&g.action.value)?.aws.as_ref()?;
            Some((
                g,
                mapping.actions.iter().map(|a| a.value.as_str()).collect(),
            ))
        })
        .collect();
    let denied = denied(model, identity);
    let holds = |action: &str| -> Option<&Grant> {
        if denied.iter().any(|d| glob::matches(d, action, true)) {
            return None;
        }
        grants
            .iter()
            .find(|(_, patterns)| patterns.iter().any(|p| glob::matches(p, action, true)))
            .map(|(g, _)| *g)
    };
    let held: Vec<(&Path, &Grant)> = PATHS
        .iter()
        .filter_map(|path| {
            let grants: Option<Vec<&Grant>> = path.actions.iter().map(|a| holds(a)).collect();
            Some((path, *grants?.first()?))
        })
        .collect();
    let Some((path, grant)) = held.first() else {
        return;
    };
    // one finding per identity: an administrator holds every path
    let more = match held.len() {
        1 => String::new(),
        n => format!(
            "; {} other paths too, through {}",
            n - 1,
            backticked(
                held.iter()
                    .skip(1)
                    .filter_map(|(p, _)| p.actions.last().copied())
            )
        ),
    };
    out.push(
        Diagnostic::new(
            Code::AwsPrivilegeEscalation,
            format!(
                "`{}` can escalate its privileges in AWS: with {} it can {}{more}",
                identity.name.value,
                backticked(path.actions.iter().copied()),
                path.how
            ),
        )
        .primary(grant.action.loc, "grants it")
        .help("narrow the action's AWS mapping to the resources it must change, or forbid the escalating actions; if it is the identity's job, suppress this rule with the reason a reviewer should read"),
    );
}

/// The IAM action patterns the identity's forbidden actions and the
/// guardrails deny on every resource.
fn denied<'m>(model: &'m Model, identity: &'m Identity) -> Vec<&'m str> {
    let catalogue = model.settings.actions.as_ref();
    identity
        .forbidden
        .iter()
        .chain(&model.settings.guardrails.forbidden_actions)
        .filter_map(|f| catalogue?.get(&f.value)?.aws.as_ref())
        .filter(|m| m.resources.is_empty() || m.resources.iter().any(|r| r.value == "*"))
        .flat_map(|m| m.actions.iter().map(|a| a.value.as_str()))
        .collect()
}
