//! `nhi can`: may this identity take this action? Answered by the Cedar
//! authorizer on the rendered policies, with the policies that decided it
//! and the YAML they come from.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::analyse::{Analysis, Decision};
use crate::authorize::{Answer, AuthorizeError, Authorizer, Query, parse_resource};
use crate::cedar;
use crate::cedar::policy::Policy;
use crate::check::Checked;
use crate::diag::did_you_mean;
use crate::load;
use crate::load::involve::Needs;
use crate::model::{Model, State, time_text};
use crate::source::SourceDb;
use crate::vocabulary::context::{NOW, RESERVED_CONTEXT_KEYS, declared_as};

use super::{CliError, Context, ExitStatus, Involving, Io};

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
    let asking = Involving::open(cx)?;
    let involved = involved(args, cx, io, &asking);
    asking.leave();
    let (checked, rendering) = involved?;
    let (text, status) = answer(args, cx, &checked, &rendering)?;
    io.stdout.write_all(text.as_bytes())?;
    Ok(status)
}

/// Load and check what the question involves, and render it.
fn involved(
    args: &CanArgs,
    cx: &Context,
    io: &mut Io<'_>,
    asking: &Involving,
) -> Result<(Checked, cedar::Rendering), CliError> {
    let mut needs = Needs::request(&args.principal, &args.on_behalf_of);
    let checked = clean(cx, io, asking, &needs)?;
    let rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    // an action or context key the files read do not declare may be
    // declared by another file: read those too
    needs.terms = undeclared(args, &rendering);
    if needs.terms.is_empty() {
        return Ok((checked, rendering));
    }
    let checked = clean(cx, io, asking, &needs)?;
    let rendering = cedar::render(&checked.model, &checked.analysis, &checked.db)?;
    Ok((checked, rendering))
}

/// The answer as printed, and the exit status it gives.
fn answer(
    args: &CanArgs,
    cx: &Context,
    checked: &Checked,
    rendering: &cedar::Rendering,
) -> Result<(String, ExitStatus), CliError> {
    known(args, checked)?;
    let authorizer = Authorizer::new(&checked.model, rendering)?;
    let mut query = query(args, &rendering.prefix())?;
    declared(&query, cx, checked, rendering)?;
    // a time-boxed grant is asked about now, unless the question says when
    if authorizer.reads(&query.principal, NOW) && !query.attributes.contains_key(NOW) {
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
    let text = match args.format {
        CanFormat::Human => view.human(&query),
        CanFormat::Json => serde_json::to_string_pretty(&view).unwrap_or_default() + "\n",
    };
    let status = match answer.decision {
        Decision::Allow => ExitStatus::Clean,
        Decision::Deny => ExitStatus::Findings,
    };
    // the question itself may quote a credential of the workspace
    Ok((checked.db.mask(&text), status))
}

/// The workspace as far as `needs` involves it, clean.
fn clean(
    cx: &Context,
    io: &mut Io<'_>,
    asking: &Involving,
    needs: &Needs,
) -> Result<Checked, CliError> {
    asking.clean(cx, io, needs)?.ok_or_else(|| {
        CliError::usage(
            "cannot answer: the files the question involves have errors",
            Some("fix them first (`nhi check` lists them)".to_owned()),
        )
    })
}

/// What identity files must hold to declare the question's action and
/// context keys, of those the rendering does not declare.
fn undeclared(args: &CanArgs, rendering: &cedar::Rendering) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    if !rendering.schema.actions.contains_key(&args.action) {
        terms.insert(args.action.clone());
    }
    let context = rendering.schema.context();
    for pair in &args.context {
        let key = pair
            .split_once('=')
            .map_or(pair.as_str(), |(k, _)| k.trim());
        if !context.contains_key(key) {
            terms.insert(declared_as(key).to_owned());
        }
    }
    terms
}

/// The principal and its delegators must be identities of the workspace:
/// of the whole of it, not only of the files read.
fn known(args: &CanArgs, checked: &Checked) -> Result<(), AuthorizeError> {
    let names = checked.identity_names();
    let asked = std::iter::once(("principal", &args.principal))
        .chain(args.on_behalf_of.iter().map(|d| ("delegator", d)));
    for (what, name) in asked {
        if !checked.model.identities.contains_key(name.as_str()) {
            return Err(AuthorizeError::Unknown {
                what,
                name: name.clone(),
                help: did_you_mean(name, names.iter().map(String::as_str)),
            });
        }
    }
    Ok(())
}

/// The action and context keys of the question must be declared, as the
/// authorizer holds them; of a partial load, what it suggests in their
/// place comes from the whole workspace (read only then, to say so).
fn declared(
    query: &Query,
    cx: &Context,
    checked: &Checked,
    rendering: &cedar::Rendering,
) -> Result<(), CliError> {
    let schema = &rendering.schema;
    let context = schema.context();
    let key = query
        .attributes
        .keys()
        .take_while(|k| !RESERVED_CONTEXT_KEYS.contains(&k.as_str()))
        .find(|k| !context.contains_key(k.as_str()));
    let (what, name) = match (schema.actions.contains_key(&query.action), key) {
        (false, _) => ("action", &query.action),
        (true, Some(key)) => ("context key", key),
        (true, None) => return Ok(()),
    };
    let whole = match checked.partial {
        None => schema.clone(),
        Some(_) => {
            let root = load::find_root(&cx.start)?;
            let whole = crate::check::workspace(&root, cx.load_options(), cx.today)?;
            cedar::Renderer::new(&whole.model, &whole.analysis, &whole.db)?
                .schema()
                .clone()
        }
    };
    let help = if what == "action" {
        did_you_mean(name, whole.actions.keys().map(String::as_str))
    } else {
        did_you_mean(name, whole.context().keys().copied())
    };
    Err(AuthorizeError::Unknown {
        what,
        name: name.clone(),
        help,
    }
    .into())
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

#[cfg(test)]
#[expect(clippy::disallowed_methods, reason = "the tests write workspaces")]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    use miette::Diagnostic as _;

    use super::{CanArgs, CanFormat, Checked, answer, involved};
    use crate::cli::{Context, Involving, Io};
    use crate::diag::human::Style;
    use crate::load::{self, LoadOptions};
    use crate::model::Date;

    const TODAY: &str = "2026-11-22";

    /// A workspace whose delegation reaches a principal from far: a chain
    /// of two hops, a delegator in a subfolder, one that spells the
    /// delegate's name with an escape, and actions, context keys and
    /// time-boxed grants that only files the question does not otherwise
    /// involve declare.
    pub(crate) const CHAINS: &[(&str, &str)] = &[
        ("nhi.yaml", "teams:\n  t: {handle: \"@example/t\"}\n"),
        (
            "identities/root.yaml",
            "agent: root\nowner: t\nauth: oidc\nallowed_actions: [deploy, read]\n\
             delegation:\n  may_delegate_to:\n    - {agent: mid, actions: [deploy, read], max_depth: 2}\n",
        ),
        (
            "identities/mid.yaml",
            "agent: mid\nowner: t\nauth: oidc\nallowed_actions: [deploy, read]\n\
             delegation:\n  may_delegate_to:\n    - {agent: leaf, actions: [deploy, read]}\n",
        ),
        (
            "identities/leaf.yaml",
            "agent: leaf\nowner: t\nauth: oidc\n\
             allowed_actions:\n  - {action: read, where: {ticket: [T1]}}\n",
        ),
        (
            "identities/team/far.yaml",
            "agent: far\nowner: t\nauth: oidc\nallowed_actions: [read]\n\
             delegation:\n  may_delegate_to:\n    - {agent: mid, actions: [read]}\n",
        ),
        (
            "identities/esc.yaml",
            "agent: esc\nowner: t\nauth: oidc\nallowed_actions: [read]\n\
             delegation:\n  may_delegate_to:\n    - {agent: \"le\\x61f\", actions: [read]}\n",
        ),
        (
            "identities/timed.yaml",
            "agent: timed\nowner: t\nauth: oidc\nallowed_actions:\n  \
             - {action: audit, valid_until: \"2030-01-01T00:00:00Z\"}\n  \
             - {action: pay, approval: t, valid_for: 15m}\n",
        ),
        (
            "identities/lone.yaml",
            "agent: lone\nowner: t\nauth: oidc\nallowed_actions: [read]\n",
        ),
    ];

    /// [`CHAINS`] in a new folder.
    pub(crate) fn chains() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("a folder");
        for (path, text) in CHAINS {
            let path = tmp.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
            std::fs::write(path, text).expect("written");
        }
        tmp
    }

    pub(crate) fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    pub(crate) fn context(root: &Path) -> Context {
        let today: Date = crate::model::parse_date(TODAY).expect("a date");
        Context {
            start: root.to_path_buf(),
            today,
            now: crate::analyse::lifecycle::start_of(today).expect("a start"),
            cache: false,
            style: Style {
                color: false,
                width: 100,
            },
            stdout_color: false,
        }
    }

    /// What `nhi can` prints, or the error it reports.
    fn said(result: Result<(String, super::ExitStatus), super::CliError>) -> String {
        match result {
            Ok((text, status)) => format!("{status:?}\n{text}"),
            Err(e) => format!("error: {e}\nhelp: {:?}", e.help().map(|h| h.to_string())),
        }
    }

    /// Ask as `nhi can` does, from the files the question involves: what
    /// it says, and what it writes on stderr.
    fn ask(args: &CanArgs, cx: &Context) -> (String, String) {
        let mut stderr = Vec::new();
        let mut io = Io {
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(&mut stderr),
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            no_color: true,
        };
        let asking = Involving::open(cx).expect("a workspace");
        let said =
            said(involved(args, cx, &mut io, &asking).and_then(|(c, r)| answer(args, cx, &c, &r)));
        drop(io);
        (said, String::from_utf8_lossy(&stderr).into_owned())
    }

    fn args(principal: &str, action: &str, chain: &[String], context: &[&str]) -> CanArgs {
        CanArgs {
            principal: principal.to_owned(),
            action: action.to_owned(),
            resource: None,
            context: context.iter().map(|c| (*c).to_owned()).collect(),
            on_behalf_of: chain.to_vec(),
            format: CanFormat::Json,
        }
    }

    /// Every question about `root`'s identities, actions and delegation
    /// chains gets the same answer, byte for byte, from the files it
    /// involves as from the whole workspace.
    fn same_answers(root: &Path, contexts: &[&[&str]]) -> usize {
        let cx = context(root);
        let whole: Checked = crate::check::workspace(
            &load::find_root(root).expect("a root"),
            LoadOptions::default(),
            cx.today,
        )
        .expect("loads");
        assert!(
            !whole.diagnostics.has_errors(),
            "{}: {}",
            root.display(),
            crate::diag::human::render(&whole.diagnostics, &whole.db, cx.style)
        );
        let rendering =
            crate::cedar::render(&whole.model, &whole.analysis, &whole.db).expect("renders");
        let chains = whole.analysis.chains().expect("chains");
        if let Some(leaf) = chains.get("leaf") {
            // the generated workspace: `leaf` is reached two hops away, from
            // a subfolder and through an escaped name
            let from: Vec<&str> = leaf
                .iter()
                .filter_map(|c| c.delegators.last())
                .map(|n| n.as_str())
                .collect();
            assert_eq!(from, ["esc", "mid", "far", "root"], "{leaf:?}");
        }
        let mut names: Vec<String> = whole
            .model
            .identities
            .keys()
            .map(|n| n.as_str().to_owned())
            .collect();
        let mut actions: Vec<String> = rendering.schema.actions.keys().cloned().collect();
        actions.push("no_such_action".to_owned());
        // misspelt, to be told what was meant
        actions.push("deplyo".to_owned());
        let first = names.first().cloned().unwrap_or_default();
        names.push("no-such-identity".to_owned());
        let mut asked = 0;
        for principal in &names {
            let mut questions: Vec<(&str, Vec<String>)> = Vec::new();
            let own = chains.get(principal.as_str()).into_iter().flatten();
            let behalf: Vec<Vec<String>> = std::iter::once(Vec::new())
                .chain(own.map(|c| c.delegators.iter().map(|n| n.as_str().to_owned()).collect()))
                .collect();
            for action in &actions {
                questions.extend(behalf.iter().map(|b| (action.as_str(), b.clone())));
            }
            // on behalf of one that does not delegate to it, or of no one known
            for wrong in [&first, "no-such-identity"] {
                for action in [&actions[0], "no_such_action"] {
                    questions.push((action, vec![wrong.to_owned()]));
                }
            }
            for (action, chain) in &questions {
                for context in contexts.iter().copied() {
                    let args = args(principal, action, chain, context);
                    let expected = said(answer(&args, &cx, &whole, &rendering));
                    let (got, _) = ask(&args, &cx);
                    assert_eq!(
                        got,
                        expected,
                        "{}: {principal} {action} on behalf of {chain:?} with {context:?}",
                        root.display()
                    );
                    asked += 1;
                }
            }
        }
        asked
    }

    #[test]
    fn a_question_gets_the_whole_workspace_answer_from_the_files_it_involves() {
        let tmp = chains();
        let mut asked = same_answers(
            tmp.path(),
            &[
                &[],
                &["ticket=T1", "environment=production"],
                &["now=2031-01-01T00:00:00Z", "approved_by=t"],
                &["tickte=T1"],
            ],
        );
        for example in [".", "examples/ai-agent-platform", "examples/cicd-pipelines"] {
            asked += same_answers(&repo().join(example), &[&[]]);
        }
        assert!(asked > 900, "{asked} questions");
    }

    /// Output to nowhere.
    pub(crate) fn quiet<'a>() -> Io<'a> {
        Io {
            stdout: Box::new(std::io::sink()),
            stderr: Box::new(std::io::sink()),
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            no_color: true,
        }
    }

    /// The names of the identities a question loads.
    fn loaded(root: &Path, principal: &str, chain: &[&str], action: &str) -> Vec<String> {
        let chain: Vec<String> = chain.iter().map(|c| (*c).to_owned()).collect();
        let cx = context(root);
        let asking = Involving::open(&cx).expect("a workspace");
        let (checked, _) = involved(
            &args(principal, action, &chain, &[]),
            &cx,
            &mut quiet(),
            &asking,
        )
        .expect("clean");
        checked.model.names().into_iter().collect()
    }

    #[test]
    fn a_question_loads_its_principal_and_every_delegator_of_it_and_no_more() {
        let tmp = chains();
        let root = tmp.path();
        assert_eq!(loaded(root, "lone", &[], "read"), ["lone"]);
        // two hops up, one in a subfolder, one naming it with an escape
        assert_eq!(
            loaded(root, "leaf", &[], "read"),
            ["esc", "far", "leaf", "mid", "root"]
        );
        assert_eq!(
            loaded(root, "mid", &["lone"], "read"),
            ["far", "lone", "mid", "root"]
        );
        // an action only another file names: the files naming it, too
        assert_eq!(loaded(root, "lone", &[], "audit"), ["lone", "timed"]);
    }

    #[test]
    fn an_error_elsewhere_does_not_stop_a_question_and_one_it_involves_does() {
        let tmp = chains();
        let root = tmp.path();
        std::fs::write(
            root.join("identities/broken.yaml"),
            "agent: broken\nowner: [",
        )
        .expect("written");
        std::fs::write(
            root.join("identities/lone.yaml"),
            "agent: lone\nowner: t\nauth: oidc\nallowed_actions: [read]\nforbidden_actions: [read]\n",
        )
        .expect("written");
        let cx = context(root);
        let ask = |principal: &str| ask(&args(principal, "read", &[], &[]), &cx);
        let (said, stderr) = ask("root");
        assert!(said.starts_with("Clean\n"), "{said}\n{stderr}");
        assert_eq!(stderr, "");
        // `mid` is a delegator of `leaf`: its error is the question's
        std::fs::write(
            root.join("identities/mid.yaml"),
            "agent: mid\nowner: t\nauth: oidc\nallowed_actions: [read]\n\
             delegation:\n  may_delegate_to:\n    - {agent: leaf, actions: [deploy]}\n",
        )
        .expect("written");
        let (said, stderr) = ask("leaf");
        assert!(
            said.contains("the files the question involves have errors"),
            "{said}"
        );
        assert!(stderr.contains("delegates `deploy`"), "{stderr}");
        assert!(!stderr.contains("broken.yaml"), "{stderr}");
        let (said, stderr) = ask("lone");
        assert!(said.contains("have errors"), "{said}");
        assert!(stderr.contains("lone.yaml"), "{stderr}");
    }
}
