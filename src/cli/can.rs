//! `nhi can`: may this identity take this action? Answered by the Cedar
//! authorizer on the rendered policies, with the policies that decided it
//! and the YAML they come from.

use std::collections::BTreeMap;
use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::analyse::{Analysis, Decision};
use crate::authorize::{Answer, Authorizer, Query, parse_resource};
use crate::cedar;
use crate::cedar::policy::Policy;
use crate::model::{Model, State, time_text};
use crate::source::SourceDb;
use crate::vocabulary::context::NOW;

use super::{CliError, Context, ExitStatus, Io, clean_workspace};

/// Arguments of `nhi can`.
#[derive(Debug, Args)]
pub struct CanArgs {
    /// The identity that acts
    #[arg(value_name = "PRINCIPAL")]
    pub principal: String,
    /// The action it asks for
    #[arg(value_name = "ACTION")]
    pub action: String,
    /// The resource, as TYPE::ID (default: any resource of the action)
    #[arg(long, value_name = "TYPE::ID")]
    pub resource: Option<String>,
    /// A context attribute of the request (`environment=production`);
    /// repeat for more
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The identity it acts on behalf of; repeat for a chain, the immediate
    /// delegator first
    #[arg(long = "on-behalf-of", value_name = "AGENT")]
    pub on_behalf_of: Vec<String>,
    /// Output format (stdout)
    #[arg(long, value_enum, default_value_t = CanFormat::Human)]
    pub format: CanFormat,
}

/// Formats of `nhi can`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CanFormat {
    /// ALLOW or DENY and the deciding policies.
    Human,
    /// One JSON document.
    Json,
}

/// Run `nhi can`: exit 0 when allowed, 1 when denied.
///
/// # Errors
///
/// When the workspace has errors or cannot be loaded, or the query names
/// something the workspace does not have.
pub fn run(args: &CanArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let Some((_, checked)) = clean_workspace(cx, io, false)? else {
        return Err(CliError::usage(
            "cannot answer: the workspace has errors",
            Some("fix them first (`nhi check` lists them)".to_owned()),
        ));
    };
    let rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    let authorizer = Authorizer::new(&checked.model, &rendering)?;
    let mut query = query(args, &rendering.prefix())?;
    // a time-boxed grant is asked about now, unless the question says when
    if rendering.schema.context().contains_key(NOW) && !query.attributes.contains_key(NOW) {
        query.attributes.insert(NOW.to_owned(), time_text(cx.now));
    }
    let answer = authorizer.decide(&query)?;
    let view = View::new(
        &query,
        &answer,
        &checked.model,
        &checked.analysis,
        &checked.db,
    );
    let mut text = match args.format {
        CanFormat::Human => view.human(&query),
        CanFormat::Json => serde_json::to_string_pretty(&view).unwrap_or_default() + "\n",
    };
    // the question itself may quote a credential of the workspace
    text = checked.db.mask(&text);
    io.stdout.write_all(text.as_bytes())?;
    Ok(match answer.decision {
        Decision::Allow => ExitStatus::Clean,
        Decision::Deny => ExitStatus::Findings,
    })
}

fn query(args: &CanArgs, prefix: &str) -> Result<Query, CliError> {
    let mut attributes = BTreeMap::new();
    for pair in &args.context {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(CliError::usage(
                format!("`--context {pair}` is not KEY=VALUE"),
                Some("write it as `--context environment=production`".to_owned()),
            ));
        };
        attributes.insert(key.trim().to_owned(), value.to_owned());
    }
    let resource = match &args.resource {
        None => None,
        Some(text) => Some(parse_resource(text, prefix).ok_or_else(|| {
            CliError::usage(
                format!("`--resource {text}` is not TYPE::ID"),
                Some("write it as `--resource BuildPipeline::web-build`".to_owned()),
            )
        })?),
    };
    Ok(Query {
        principal: args.principal.clone(),
        action: args.action.clone(),
        resource,
        attributes,
        on_behalf_of: args.on_behalf_of.clone(),
    })
}

/// The answer as printed: the JSON shape of `--format json`.
#[derive(Debug, Serialize)]
struct View {
    version: u32,
    decision: &'static str,
    request: RequestView,
    policies: Vec<PolicyView>,
    /// Of a default deny: each permit that could have decided it, and the
    /// conditions the request fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unmet: Vec<UnmetView>,
    /// Whether the principal, as rendered, holds no grant of the action.
    #[serde(skip)]
    ungranted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
struct UnmetView {
    policy: PolicyView,
    failed: Vec<FailedView>,
}

#[derive(Debug, Serialize)]
struct FailedView {
    condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

#[derive(Debug, Serialize)]
struct RequestView {
    principal: String,
    action: String,
    resource: String,
    context: BTreeMap<String, String>,
    on_behalf_of: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PolicyView {
    id: String,
    effect: &'static str,
    file: String,
    line: usize,
    column: usize,
}

impl View {
    fn new(
        query: &Query,
        answer: &Answer<'_>,
        model: &Model,
        analysis: &Analysis,
        db: &SourceDb,
    ) -> Self {
        let policy_view = |policy: &Policy| {
            let loc = policy.origin.loc_for(&query.action);
            let at = db.line_col(loc);
            PolicyView {
                id: policy.id.clone(),
                effect: policy.effect.as_str(),
                file: db.display_path(loc.file),
                line: at.line,
                column: at.column,
            }
        };
        let policies = answer
            .deciders
            .iter()
            .map(|d| policy_view(d.policy))
            .collect();
        let unmet = answer
            .unmet
            .iter()
            .map(|u| UnmetView {
                policy: policy_view(u.policy),
                failed: u
                    .failed
                    .iter()
                    .map(|(condition, loc)| {
                        let at = loc.map(|l| db.line_col(l));
                        FailedView {
                            condition: condition.clone(),
                            file: loc.map(|l| db.display_path(l.file)),
                            line: at.map(|a| a.line),
                            column: at.map(|a| a.column),
                        }
                    })
                    .collect(),
            })
            .collect();
        let note = model
            .identities
            .get(query.principal.as_str())
            .and_then(|i| {
                if i.state.value == State::Revoked {
                    Some(format!(
                        "`{}` is revoked: it renders to nothing",
                        i.name.value
                    ))
                } else if analysis.renders(i) {
                    analysis.suspended(i).then(|| {
                        format!(
                            "`{}` is suspended: every target denies it everything",
                            i.name.value
                        )
                    })
                } else {
                    i.expires.as_ref().map(|e| {
                        format!(
                            "`{}` expired on {}: it renders to nothing",
                            i.name.value, e.value
                        )
                    })
                }
            });
        Self {
            version: 1,
            decision: answer.decision.as_str(),
            request: RequestView {
                principal: answer.principal.clone(),
                action: answer.action.clone(),
                resource: answer.resource.clone(),
                context: query.attributes.clone(),
                on_behalf_of: query.on_behalf_of.clone(),
            },
            policies,
            ungranted: note.is_none()
                && model
                    .identities
                    .get(query.principal.as_str())
                    .is_some_and(|i| crate::analyse::grant_of(i, &query.action).is_none()),
            unmet,
            note,
            errors: answer.errors.clone(),
        }
    }

    fn human(&self, query: &Query) -> String {
        let mut out = format!(
            "{} {} {}",
            self.decision.to_uppercase(),
            query.principal,
            query.action
        );
        if query.resource.is_some() {
            out.push_str(&format!(" on {}", self.request.resource));
        }
        if !self.request.on_behalf_of.is_empty() {
            out.push_str(&format!(
                " on behalf of {}",
                self.request.on_behalf_of.join(", ")
            ));
        }
        out.push('\n');
        for p in &self.policies {
            let verb = if p.effect == "permit" {
                "permitted"
            } else {
                "forbidden"
            };
            out.push_str(&format!(
                "  {verb} by {} ({}:{}:{})\n",
                p.id, p.file, p.line, p.column
            ));
        }
        if self.policies.is_empty() && self.decision == "deny" {
            if self.unmet.is_empty() && self.ungranted {
                out.push_str(&format!(
                    "  no policy permits it: default deny (`{}` holds no grant of `{}`)\n",
                    query.principal, query.action
                ));
            } else {
                out.push_str("  no policy permits it: default deny\n");
            }
        }
        for u in &self.unmet {
            let p = &u.policy;
            out.push_str(&format!(
                "  {} ({}:{}:{}) would permit it, but\n",
                p.id, p.file, p.line, p.column
            ));
            for f in &u.failed {
                match (&f.file, f.line, f.column) {
                    (Some(file), Some(line), Some(column)) => {
                        out.push_str(&format!("    {} ({file}:{line}:{column})\n", f.condition))
                    }
                    _ => out.push_str(&format!("    {}\n", f.condition)),
                }
            }
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("  note: {note}\n"));
        }
        for e in &self.errors {
            out.push_str(&format!("  error: {e}\n"));
        }
        out
    }
}
