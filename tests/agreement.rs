//! Every target decides as Cedar does. For every shipped workspace, every
//! identity × catalogue action × context — the one each action is declared
//! for, and one outside it for each of its conditions — the Cedar
//! authorizer's decision is held against what each target grants, read
//! from the rendered files:
//!
//! - AWS, by an independent IAM evaluator (`@cloud-copilot/iam-simulate`,
//!   pinned, installed by `scripts/install-iam-simulate.sh`) over the
//!   rendered permissions policy, with only the request context AWS itself
//!   supplies for the action (`scripts/conformance/iam-simulate/
//!   evaluate.mjs`), and the rendered trust for who may assume the role;
//! - Kubernetes, by matching each request against the rendered Roles,
//!   ClusterRoles and their bindings, as RBAC does;
//! - Google Cloud, by the rendered custom roles, the IAM conditions of
//!   their bindings (evaluated by an independent CEL evaluator,
//!   `@marcbachmann/cel-js`, over the resource each request names:
//!   `scripts/conformance/iam-simulate/cel.mjs`), the deny policy and the
//!   pool principals that may act as the service account;
//! - Azure, by the rendered role definitions (their operations, what they
//!   subtract, the scope each is assigned at) and the subjects of the
//!   managed identity's federated credentials.
//!
//! An AWS request is allowed when Cedar allows any catalogue action that
//! maps to it (two actions may share a permission). A condition nhi says a
//! target cannot enforce (`TG011`) is one the target does not see: there,
//! the target is held to Cedar's decision with that condition met.
//! A disagreement names the identity, the target, the request, the context
//! and both decisions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build workspaces on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nhi::analyse::enforce::{self, Unenforceable, Unenforced};
use nhi::analyse::{Decision, federation, grant_of};
use nhi::authorize::{Authorizer, Query};
use nhi::cedar;
use nhi::check::{self, Checked};
use nhi::load::{self, LoadOptions};
use nhi::model::time_text;
use nhi::model::{Action, Identity, Model, Platform};
use nhi::vocabulary::context::{APPROVED_AT, ENVIRONMENT, NAMESPACE, NOW, REGION};
use nhi::vocabulary::{aws, glob, regions};
use serde_json::{Value, json};
use support::{TODAY, date, repo, text, workspaces};

/// A request context: key → value.
type Ctx = BTreeMap<String, String>;

/// A workspace, checked and built.
struct Built {
    checked: Checked,
    files: BTreeMap<String, String>,
}

fn built(ws: &Path) -> Built {
    let root = load::find_root(ws).unwrap();
    let checked = check::workspace(&root, LoadOptions::default(), date(TODAY)).unwrap();
    let (_out, files) = support::build_files(ws);
    Built { checked, files }
}

/// One decision two sides disagree on.
#[derive(Debug)]
struct Disagreement {
    identity: String,
    target: &'static str,
    request: String,
    context: Ctx,
    cedar: bool,
    target_allows: bool,
    why: String,
}

/// What the agreement found.
#[derive(Debug, Default)]
struct Report {
    asked: usize,
    allowed: usize,
    disagreements: Vec<Disagreement>,
}

impl Report {
    fn hold(&mut self, d: Disagreement) {
        self.asked += 1;
        self.allowed += usize::from(d.target_allows);
        if d.cedar != d.target_allows {
            self.disagreements.push(d);
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.disagreements {
            let _ = writeln!(
                out,
                "{} in {}: {} with {:?}: Cedar {}, {} {} ({})",
                d.identity,
                d.target,
                d.request,
                d.context,
                if d.cedar { "allows" } else { "denies" },
                d.target,
                if d.target_allows { "allows" } else { "denies" },
                d.why
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Contexts and Cedar

/// An outside value for a key: another region of the same cloud, or a
/// value no file uses.
fn outside(key: &str, value: &str) -> String {
    match key {
        REGION if regions::is_aws(value) => "ap-southeast-4".to_owned(),
        REGION if regions::is_gcp(value) => "asia-south2".to_owned(),
        REGION if regions::is_azure(value) => "brazilsouth".to_owned(),
        _ => "elsewhere".to_owned(),
    }
}

/// The context an action is declared for, in one target: the first value
/// of each of the identity's context lists (of a region list, the first
/// of the target's own regions), and of the action's `where`.
fn home(identity: &Identity, action: &str, platform: Platform) -> Ctx {
    let mut out = Ctx::new();
    let c = &identity.context;
    let of_target = |r: &str| match platform {
        Platform::Aws => regions::is_aws(r),
        Platform::Gcp => regions::is_gcp(r),
        Platform::Azure => regions::is_azure(r),
        Platform::Kubernetes => true,
    };
    if let Some(r) = c.regions.iter().flatten().find(|r| of_target(&r.value)) {
        out.insert(REGION.to_owned(), r.value.clone());
    }
    for (key, list) in [(ENVIRONMENT, &c.environments), (NAMESPACE, &c.namespaces)] {
        if let Some(first) = list.iter().flatten().next() {
            out.insert(key.to_owned(), first.value.clone());
        }
    }
    for (key, list) in &c.attributes {
        if let Some(first) = list.first() {
            out.insert(key.clone(), first.value.clone());
        }
    }
    if let Some(grant) = grant_of(identity, action) {
        for (key, list) in &grant.conditions {
            if let Some(first) = list.first() {
                out.insert(key.clone(), first.value.clone());
            }
        }
        // a target that cannot ask for the approval sees it given
        if let Some(team) = &grant.terms().approval {
            out.insert(
                nhi::vocabulary::context::APPROVED_BY.to_owned(),
                team.value.clone(),
            );
        }
        // a time-boxed grant is asked about inside its window, approved
        // at that instant
        let (from, until) = (&grant.terms().valid_from, &grant.terms().valid_until);
        if from.is_some() || until.is_some() || grant.terms().valid_for.is_some() {
            let inside = match (from, until) {
                (Some(f), _) => f.value,
                (None, Some(u)) => u.value - jiff::SignedDuration::from_secs(1),
                (None, None) => time(NOW_DEFAULT),
            };
            out.insert(NOW.to_owned(), time_text(inside));
            if grant.terms().valid_for.is_some() {
                out.insert(APPROVED_AT.to_owned(), time_text(inside));
            }
        }
    }
    out
}

/// The instant every request is made at unless its context says another:
/// AWS and Google Cloud always know the time of a request.
const NOW_DEFAULT: &str = "2026-11-22T12:00:00Z";

fn time(text: &str) -> nhi::model::Time {
    nhi::model::parse_time(text).unwrap()
}

/// The time of a request in `ctx`.
fn now_of(ctx: &Ctx) -> &str {
    ctx.get(NOW).map_or(NOW_DEFAULT, String::as_str)
}

/// The declared context, and one outside it for each of its keys (for the
/// time of a request, one before and one after any window).
fn variants(home: &Ctx) -> Vec<Ctx> {
    let mut out = vec![home.clone()];
    for (key, value) in home {
        let others = match key.as_str() {
            NOW => vec![EARLY.to_owned(), LATE.to_owned()],
            APPROVED_AT => vec![EARLY.to_owned()],
            _ => vec![outside(key, value)],
        };
        for other in others {
            let mut changed = home.clone();
            changed.insert(key.clone(), other);
            out.push(changed);
        }
    }
    out
}

/// Instants before and after every window of the shipped workspaces.
const EARLY: &str = "1999-01-01T00:00:00Z";
const LATE: &str = "2999-01-01T00:00:00Z";

/// Every action of the workspace's catalogue.
fn catalogue(model: &Model) -> Vec<&Action> {
    model
        .settings
        .actions
        .iter()
        .flat_map(|c| c.values())
        .collect()
}

/// The Cedar authorizer over the workspace's rendered policies.
struct CedarSide<'m> {
    model: &'m Model,
    authorizer: Authorizer<'m>,
    known: BTreeSet<String>,
}

impl CedarSide<'_> {
    fn allows(&self, identity: &Identity, action: &str, ctx: &Ctx) -> bool {
        let mut attributes = ctx.clone();
        attributes.insert(NOW.to_owned(), now_of(ctx).to_owned());
        attributes.retain(|k, _| self.known.contains(k));
        let q = Query {
            principal: identity.name.value.to_string(),
            action: action.to_owned(),
            resource: None,
            attributes,
            on_behalf_of: Vec::new(),
        };
        self.authorizer.decide(&q).unwrap().decision == Decision::Allow
    }
}

/// The keys of `ctx` a target cannot see for `action` of `identity`, set
/// back to where the action is declared: what the target must decide.
fn seen_by_target(
    model: &Model,
    identity: &Identity,
    action: &Action,
    platform: Platform,
    iam_action: Option<&str>,
    ctx: &Ctx,
    home: &Ctx,
) -> Ctx {
    let Some(grant) = grant_of(identity, &action.name.value) else {
        return ctx.clone();
    };
    let unenforced: Vec<Unenforced> = match (platform, &action.aws) {
        (Platform::Aws, Some(mapping)) => federation::aws(model, identity)
            .map(|trust| enforce::aws(model, identity, grant, mapping, &trust).unenforced)
            .unwrap_or_default(),
        _ => enforce::plan(model, identity, grant, action, platform).unenforced,
    };
    let mut out = ctx.clone();
    for u in unenforced {
        let applies = match (&u.why, iam_action) {
            (Unenforceable::Untaggable(patterns), Some(a)) => {
                patterns.iter().any(|p| glob::matches(p, a, true))
            }
            (Unenforceable::Unnamed(items), Some(a)) => items.iter().any(|i| i == a),
            _ => true,
        };
        // an approval the target cannot ask for was given when asked
        if applies && u.check.key == APPROVED_AT {
            out.insert(APPROVED_AT.to_owned(), now_of(ctx).to_owned());
        } else if applies && let Some(v) = home.get(&u.check.key) {
            out.insert(u.check.key.clone(), v.clone());
        }
    }
    out
}

/// Whether Cedar allows the identity any of `actions` in what the target
/// sees of `ctx`.
fn cedar_allows_any(
    cedar: &CedarSide<'_>,
    identity: &Identity,
    actions: &[&Action],
    platform: Platform,
    iam_action: Option<&str>,
    ctx: &Ctx,
) -> bool {
    actions.iter().any(|a| {
        let home = home(identity, &a.name.value, platform);
        let seen = seen_by_target(cedar.model, identity, a, platform, iam_action, ctx, &home);
        cedar.allows(identity, &a.name.value, &seen)
    })
}

// ---------------------------------------------------------------------------
// Trust: who may become the identity in a target

/// A subject as a caller in `ctx` would present it: its environment and
/// namespace segments set to the context's.
fn caller_subject(subject: &str, ctx: &Ctx) -> String {
    let mut s = subject.to_owned();
    if let (Some(env), Some((head, rest))) = (ctx.get(ENVIRONMENT), s.split_once(":environment:")) {
        let tail = rest.split_once(':').map(|(_, t)| format!(":{t}"));
        s = format!("{head}:environment:{env}{}", tail.unwrap_or_default());
    }
    if let Some(ns) = ctx.get(NAMESPACE) {
        if let Some(rest) = s.strip_prefix("system:serviceaccount:")
            && let Some((_, name)) = rest.split_once(':')
        {
            s = format!("system:serviceaccount:{ns}:{name}");
        } else if let Some((head, rest)) = s.split_once("/ns/")
            && let Some((_, tail)) = rest.split_once('/')
        {
            s = format!("{head}/ns/{ns}/{tail}");
        }
    }
    s
}

/// Whether the cluster lets a caller in `ctx` reach it: a cluster that
/// declares its environments runs workloads of no other (`environment`),
/// and one that declares its regions is in no other (`region`).
fn cluster_admits(model: &Model, ctx: &Ctx, environment: bool, region: bool) -> bool {
    let Some(k) = &model.settings.targets.kubernetes else {
        return true;
    };
    let within = |key: &str, declared: &[nhi::model::Spanned<String>]| {
        declared.is_empty()
            || ctx
                .get(key)
                .is_none_or(|v| declared.iter().any(|d| &d.value == v))
    };
    (!environment || within(ENVIRONMENT, &k.environments))
        && (!region || within(REGION, &k.regions))
}

/// Whether a trusted subject (as rendered) admits the caller of `ctx`: its
/// pattern matches the subject that caller presents, and a subject of the
/// cluster's workloads only comes from a cluster that runs in the context.
fn subject_admits(model: &Model, trusted: &str, ctx: &Ctx) -> bool {
    let caller = caller_subject(trusted, ctx);
    let cluster = trusted.starts_with("system:serviceaccount:")
        || trusted.starts_with("spiffe://") && trusted.contains("/ns/");
    glob::matches(trusted, &caller, false) && (!cluster || cluster_admits(model, ctx, true, false))
}

/// The subjects an AWS role's rendered trust pins (`…:sub` values, or the
/// certificate's SAN URI or CN).
fn aws_trusted(trust: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for st in trust["Statement"].as_array().into_iter().flatten() {
        for op in st["Condition"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for (key, values) in op.as_object().into_iter().flatten() {
                if key.ends_with(":sub") || key.starts_with("aws:PrincipalTag/x509") {
                    out.extend(
                        values
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|v| v.as_str().unwrap().to_owned()),
                    );
                }
            }
        }
    }
    out
}

/// Whether a caller in `ctx` can become the identity in AWS: some subject
/// the rendered trust pins admits it.
fn aws_admits(model: &Model, files: &BTreeMap<String, String>, name: &str, ctx: &Ctx) -> bool {
    let Some(text) = files.get(&format!("aws/{name}/trust-policy.json")) else {
        return true; // an IAM user: its key is wherever it is
    };
    let trusted = aws_trusted(&serde_json::from_str(text).unwrap());
    trusted.iter().any(|t| subject_admits(model, t, ctx))
}

// ---------------------------------------------------------------------------
// AWS

/// The folder holding the pinned IAM evaluator, with the evaluation script
/// beside its modules.
fn evaluator() -> PathBuf {
    let dir = std::env::var_os("IAM_SIMULATE")
        .filter(|p| !p.is_empty())
        .map_or_else(|| repo().join("target/iam-simulate"), PathBuf::from);
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate")
            .is_dir(),
        "the agreement test needs the IAM evaluator: run scripts/install-iam-simulate.sh (Node.js 20 or later), or set IAM_SIMULATE to the folder it installs"
    );
    let script = repo().join("scripts/conformance/iam-simulate/evaluate.mjs");
    std::fs::copy(&script, dir.join("evaluate.mjs")).unwrap();
    dir
}

/// Run a script of the evaluators' folder on `input`: its output.
fn run_node(dir: &Path, script: &Path, input: &str) -> Vec<u8> {
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Node.js 20 or later)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    output.stdout
}

/// A few of the actions a pattern names: all of them up to six, else six
/// spread over the list.
fn concrete_actions(pattern: &str) -> Vec<String> {
    let all = aws::reference().unwrap().expand(pattern).unwrap();
    if all.len() <= 6 {
        return all;
    }
    (0..6)
        .map(|i| all[i * (all.len() - 1) / 5].clone())
        .collect()
}

/// A token of an ARN pattern (`*`, `?`) or of an ARN format (`${Var}`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*` of a pattern: any text.
    Star,
    /// `?` of a pattern: one character.
    One,
    /// `${Var}` of a format: some text.
    Var,
}

fn pattern_tokens(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Char(c),
        })
        .collect()
}

fn format_tokens(format: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.extend(rest[..start].chars().map(Token::Char));
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push(Token::Var);
        rest = &rest[end..];
    }
    out.extend(rest.chars().map(Token::Char));
    out
}

/// A resource both a mapping's pattern and a resource type's ARN format
/// describe, if there is one: what a request for that type under that
/// pattern names.
fn witness(
    p: &[Token],
    f: &[Token],
    memo: &mut BTreeMap<(usize, usize, bool), Option<String>>,
    i: usize,
    j: usize,
    in_var: bool,
) -> Option<String> {
    if let Some(known) = memo.get(&(i, j, in_var)) {
        return known.clone();
    }
    let prefixed = |c: char, rest: Option<String>| rest.map(|r| format!("{c}{r}"));
    let found = match (p.get(i), f.get(j)) {
        (None, None) => Some(String::new()),
        (_, Some(Token::Var)) => {
            let end = if in_var {
                witness(p, f, memo, i, j + 1, false)
            } else {
                None
            };
            end.or_else(|| match p.get(i) {
                Some(Token::Char(c)) => prefixed(*c, witness(p, f, memo, i + 1, j, true)),
                Some(Token::One) => prefixed('x', witness(p, f, memo, i + 1, j, true)),
                Some(Token::Star) => witness(p, f, memo, i + 1, j, in_var)
                    .or_else(|| prefixed('x', witness(p, f, memo, i, j, true))),
                _ => None,
            })
        }
        (Some(Token::Star), next) => witness(p, f, memo, i + 1, j, false).or_else(|| match next {
            Some(Token::Char(c)) => prefixed(*c, witness(p, f, memo, i, j + 1, false)),
            _ => None,
        }),
        (Some(Token::Char(a)), Some(Token::Char(b))) if a == b => {
            prefixed(*a, witness(p, f, memo, i + 1, j + 1, false))
        }
        (Some(Token::One), Some(Token::Char(b))) => {
            prefixed(*b, witness(p, f, memo, i + 1, j + 1, false))
        }
        _ => None,
    };
    memo.insert((i, j, in_var), found.clone());
    found
}

/// The resources a request for `action` under a mapping's resource
/// pattern may name: one per resource type of the action the pattern can
/// describe (`*` for an action on `*` only, whatever the pattern).
fn concrete_resources(
    pattern: &str,
    action: &str,
    account: &str,
    region: &str,
    user: &str,
) -> Vec<String> {
    let reference = aws::reference().unwrap();
    let info = reference.action(action).unwrap();
    if info.resources.is_empty() {
        return vec!["*".to_owned()];
    }
    let service = &reference.services[action.split(':').next().unwrap()];
    let pattern = pattern.replace("${aws:username}", user);
    let mut out: Vec<String> = info
        .resources
        .iter()
        .filter_map(|t| {
            let format = service.resources[t].replace("${Partition}", "aws");
            // the request's own region and account where the pattern leaves
            // them open, else the pattern's
            let placed = format
                .replace("${Region}", region)
                .replace("${Account}", account);
            [placed, format].iter().find_map(|f| {
                witness(
                    &pattern_tokens(&pattern),
                    &format_tokens(f),
                    &mut BTreeMap::new(),
                    0,
                    0,
                    false,
                )
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether an AWS mapping allows or denies `action` on `resource`.
fn aws_covers(action: &Action, iam_action: &str, resource: &str) -> bool {
    action.aws.as_ref().is_some_and(|m| {
        m.actions
            .iter()
            .any(|p| glob::matches(&p.value, iam_action, true))
            && (m.resources.is_empty()
                || m.resources
                    .iter()
                    .any(|r| glob::matches(&r.value, resource, false)))
    })
}

/// One AWS question: a request, its context, what Cedar decides of it, and
/// whether a caller in that context can assume the role.
struct AwsAsk {
    identity: String,
    principal: String,
    action: String,
    resource: String,
    ctx: Ctx,
    cedar: bool,
    admitted: bool,
}

/// Every AWS question of one identity.
fn aws_asks(b: &Built, cedar: &CedarSide<'_>, identity: &Identity, out: &mut Vec<AwsAsk>) {
    let model = &b.checked.model;
    let name = identity.name.value.to_string();
    let account = &model
        .settings
        .targets
        .aws
        .as_ref()
        .unwrap()
        .account_id
        .value;
    let kind = if b.files.contains_key(&format!("aws/{name}/role.json")) {
        "role"
    } else {
        "user"
    };
    let principal = format!("arn:aws:iam::{account}:{kind}/nhi/{name}");
    let catalogue = catalogue(model);
    // what the catalogue maps, each action in the context it is declared
    // for; and what the rendered policy allows, whatever maps it
    let mut sources: Vec<(Ctx, Vec<String>, Vec<String>)> = Vec::new();
    for a in &catalogue {
        let Some(mapping) = a.aws.as_ref() else {
            continue;
        };
        let resources = if mapping.resources.is_empty() {
            vec!["*".to_owned()]
        } else {
            mapping.resources.iter().map(|r| r.value.clone()).collect()
        };
        let actions = mapping.actions.iter().map(|p| p.value.clone()).collect();
        sources.push((
            home(identity, &a.name.value, Platform::Aws),
            actions,
            resources,
        ));
    }
    let policy: Value =
        serde_json::from_str(&b.files[&format!("aws/{name}/permissions-policy.json")]).unwrap();
    for st in policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
    {
        sources.push((
            home(identity, "", Platform::Aws),
            strings(&st["Action"]),
            strings(&st["Resource"]),
        ));
    }
    let mut seen = BTreeSet::new();
    for (home, patterns, resources) in sources {
        let region = home
            .get(REGION)
            .cloned()
            .unwrap_or_else(|| "us-east-1".to_owned());
        for iam_action in patterns.iter().flat_map(|p| concrete_actions(p)) {
            let named: BTreeSet<String> = resources
                .iter()
                .flat_map(|r| concrete_resources(r, &iam_action, account, &region, &name))
                .collect();
            for resource in named {
                for ctx in variants(&home) {
                    if !seen.insert((iam_action.clone(), resource.clone(), ctx.clone())) {
                        continue;
                    }
                    let covering: Vec<&Action> = catalogue
                        .iter()
                        .copied()
                        .filter(|c| aws_covers(c, &iam_action, &resource))
                        .collect();
                    out.push(AwsAsk {
                        identity: name.clone(),
                        principal: principal.clone(),
                        cedar: cedar_allows_any(
                            cedar,
                            identity,
                            &covering,
                            Platform::Aws,
                            Some(&iam_action),
                            &ctx,
                        ),
                        admitted: aws_admits(model, &b.files, &name, &ctx),
                        action: iam_action.clone(),
                        resource: resource.clone(),
                        ctx,
                    });
                }
            }
        }
    }
}

/// Decide every question with the independent evaluator.
fn evaluate(b: &Built, asks: &[AwsAsk]) -> Vec<(String, String)> {
    let mut policies = serde_json::Map::new();
    for ask in asks {
        let path = format!("aws/{}/permissions-policy.json", ask.identity);
        let policy: Value = serde_json::from_str(&b.files[&path]).unwrap();
        policies.insert(ask.identity.clone(), policy);
    }
    let requests: Vec<Value> = asks
        .iter()
        .map(|a| {
            let tags: BTreeMap<&String, &String> = a
                .ctx
                .iter()
                .filter(|(k, _)| {
                    ![ENVIRONMENT, NAMESPACE, REGION, NOW, APPROVED_AT].contains(&k.as_str())
                })
                .collect();
            json!({
                "policy": a.identity,
                "principal": a.principal,
                "action": a.action,
                "resource": a.resource,
                "region": a.ctx.get(REGION).filter(|r| regions::is_aws(r)).map_or("us-east-1", String::as_str),
                "time": now_of(&a.ctx),
                "tags": tags,
            })
        })
        .collect();
    let input = json!({"policies": policies, "requests": requests}).to_string();
    let dir = evaluator();
    let output = run_node(&dir, &dir.join("evaluate.mjs"), &input);
    let decisions: Vec<Value> = serde_json::from_slice(&output).unwrap();
    assert_eq!(decisions.len(), asks.len());
    decisions
        .into_iter()
        .map(|d| {
            (
                d["decision"].as_str().unwrap().to_owned(),
                d["why"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Hold every AWS decision of the workspace against Cedar's.
fn agree_aws(b: &Built, cedar: &CedarSide<'_>, report: &mut Report) {
    let model = &b.checked.model;
    let mut asks = Vec::new();
    for identity in b.checked.analysis.live(model) {
        if b.files.contains_key(&format!(
            "aws/{}/permissions-policy.json",
            identity.name.value
        )) {
            aws_asks(b, cedar, identity, &mut asks);
        }
    }
    if asks.is_empty() {
        return;
    }
    for (ask, (decision, why)) in asks.iter().zip(evaluate(b, &asks)) {
        assert_ne!(
            decision, "error",
            "{} {} {}: {why}",
            ask.identity, ask.action, ask.resource
        );
        if decision == "no-request" {
            continue;
        }
        report.hold(Disagreement {
            identity: ask.identity.clone(),
            target: "AWS",
            request: format!("{} on {}", ask.action, ask.resource),
            context: ask.ctx.clone(),
            cedar: ask.cedar,
            target_allows: ask.admitted && decision == "allow",
            why: if ask.admitted {
                why
            } else {
                "the trust admits no such caller".to_owned()
            },
        });
    }
}

// ---------------------------------------------------------------------------
// Kubernetes

/// One RBAC rule as rendered.
#[derive(Clone, Debug)]
struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
    names: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn rules_of(role: &Value) -> Vec<Rule> {
    role["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Rule {
            groups: strings(&r["apiGroups"]),
            resources: strings(&r["resources"]),
            verbs: strings(&r["verbs"]),
            names: strings(&r["resourceNames"]),
        })
        .collect()
}

/// What the cluster grants one identity, as rendered: as its service
/// accounts, or as the group an EKS access entry maps its AWS role to. The
/// namespaces it acts in, and the rules bound to it there.
#[derive(Debug, Default)]
struct Granted {
    /// It acts as the group of its access entry.
    as_group: bool,
    namespaces: BTreeSet<String>,
    /// (namespace, rule): a Role's rules in its namespace.
    namespaced: Vec<(String, Rule)>,
    /// Rules of ClusterRoles bound to it (in the namespace of the subject).
    cluster: Vec<(String, Rule)>,
}

/// `group` is the Kubernetes group its AWS role is mapped to by a rendered
/// access entry, if one is.
fn granted(manifest: &str, name: &str, group: Option<&str>) -> Granted {
    let docs: Vec<Value> = serde_saphyr::from_multiple(manifest).unwrap();
    let kind = |d: &Value| d["kind"].as_str().unwrap_or("").to_owned();
    let named = |d: &Value| {
        (
            d["metadata"]["namespace"].as_str().unwrap_or("").to_owned(),
            d["metadata"]["name"].as_str().unwrap().to_owned(),
        )
    };
    let mut out = Granted::default();
    let roles: BTreeMap<(String, String), &Value> = docs
        .iter()
        .filter(|d| kind(d) == "Role")
        .map(|d| (named(d), d))
        .collect();
    let cluster_roles: BTreeMap<String, &Value> = docs
        .iter()
        .filter(|d| kind(d) == "ClusterRole")
        .map(|d| (named(d).1, d))
        .collect();
    for d in &docs {
        match kind(d).as_str() {
            "ServiceAccount" if named(d).1 == name => {
                out.namespaces.insert(named(d).0);
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let (ns, _) = named(d);
                let role_ref = &d["roleRef"];
                let role_name = role_ref["name"].as_str().unwrap().to_owned();
                for subject in d["subjects"].as_array().into_iter().flatten() {
                    let account = subject["kind"] == "ServiceAccount" && subject["name"] == name;
                    let as_group =
                        subject["kind"] == "Group" && group.is_some_and(|g| subject["name"] == g);
                    if !account && !as_group {
                        continue;
                    }
                    if as_group {
                        out.as_group = true;
                        if kind(d) == "RoleBinding" {
                            out.namespaces.insert(ns.clone());
                        }
                    }
                    let at = subject["namespace"].as_str().unwrap_or("").to_owned();
                    match role_ref["kind"].as_str().unwrap() {
                        "Role" => {
                            let role = roles[&(ns.clone(), role_name.clone())];
                            out.namespaced
                                .extend(rules_of(role).into_iter().map(|r| (ns.clone(), r)));
                        }
                        _ => {
                            let role = cluster_roles[&role_name];
                            let scope = if kind(d) == "RoleBinding" {
                                ns.clone()
                            } else {
                                at
                            };
                            out.cluster
                                .extend(rules_of(role).into_iter().map(|r| (scope.clone(), r)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // a group bound cluster-wide acts in every namespace it acts in
    if out.as_group {
        let namespaces = out.namespaces.clone();
        let rules = std::mem::take(&mut out.cluster);
        for (_, rule) in rules {
            for ns in &namespaces {
                out.cluster.push((ns.clone(), rule.clone()));
            }
        }
    }
    out
}

/// The group a rendered EKS access entry maps an identity's role to, when
/// the entry names that role.
fn access_group(files: &BTreeMap<String, String>, model: &Model, name: &str) -> Option<String> {
    let entry: Value =
        serde_json::from_str(files.get(&format!("aws/{name}/eks-access-entry.json"))?).unwrap();
    let account = &model.settings.targets.aws.as_ref()?.account_id.value;
    (entry["principalArn"] == format!("arn:aws:iam::{account}:role/nhi/{name}"))
        .then(|| entry["kubernetesGroups"][0].as_str().map(str::to_owned))
        .flatten()
}

/// One request to the API server: as a service account in `namespace`, a
/// verb on a resource of an API group, naming an object or not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct KubeRequest {
    namespace: String,
    group: String,
    resource: String,
    verb: String,
    name: Option<String>,
}

fn matches(rule: &Rule, q: &KubeRequest) -> bool {
    let has = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
    has(&rule.groups, &q.group)
        && has(&rule.resources, &q.resource)
        && has(&rule.verbs, &q.verb)
        && (rule.names.is_empty() || q.name.as_ref().is_some_and(|n| rule.names.contains(n)))
}

/// Whether RBAC allows the request, as rendered.
fn rbac_allows(g: &Granted, q: &KubeRequest) -> bool {
    g.namespaces.contains(&q.namespace)
        && (g
            .namespaced
            .iter()
            .any(|(ns, r)| ns == &q.namespace && matches(r, q))
            || g.cluster
                .iter()
                .any(|(ns, r)| ns == &q.namespace && matches(r, q)))
}

/// Whether Cedar allows any of `actions` the request: the object it names
/// is the value of each action's `names` key.
fn cedar_allows_request(
    cedar: &CedarSide<'_>,
    identity: &Identity,
    actions: &[&Action],
    q: &KubeRequest,
    ctx: &Ctx,
) -> bool {
    actions.iter().any(|a| {
        let mut ctx = ctx.clone();
        if let (Some(key), Some(name)) = (
            a.kubernetes.as_ref().and_then(|k| k.names.as_ref()),
            &q.name,
        ) {
            ctx.insert(key.value.clone(), name.clone());
        }
        cedar_allows_any(cedar, identity, &[*a], Platform::Kubernetes, None, &ctx)
    })
}

/// Whether a catalogue action's rules grant the request.
fn kube_covers(action: &Action, q: &KubeRequest) -> bool {
    action
        .kubernetes
        .as_ref()
        .is_some_and(|k| k.rules.iter().any(|r| matches(&catalogue_rule(r), q)))
}

/// A catalogue rule in the shape of a rendered one.
fn catalogue_rule(r: &nhi::model::RbacRule) -> Rule {
    let values = |v: &[nhi::model::Spanned<String>]| v.iter().map(|x| x.value.clone()).collect();
    Rule {
        groups: values(&r.api_groups),
        resources: values(&r.resources),
        verbs: values(&r.verbs),
        names: values(&r.resource_names),
    }
}

/// The rules whose requests are asked of one identity, each in its
/// context: every catalogue action's (in the context it is declared for,
/// with the `where` key that names its objects), and every rendered one.
fn kube_sources(
    identity: &Identity,
    catalogue: &[&Action],
    g: &Granted,
) -> Vec<(Ctx, Rule, Option<String>)> {
    let mut out = Vec::new();
    for a in catalogue {
        let Some(k) = a.kubernetes.as_ref() else {
            continue;
        };
        for r in &k.rules {
            let names = k.names.as_ref().map(|n| n.value.clone());
            out.push((
                home(identity, &a.name.value, Platform::Kubernetes),
                catalogue_rule(r),
                names,
            ));
        }
    }
    let general = home(identity, "", Platform::Kubernetes);
    for (_, r) in g.namespaced.iter().chain(&g.cluster) {
        out.push((general.clone(), r.clone(), None));
    }
    out
}

/// Every request a rule stands for in a context: each group, resource and
/// verb, naming the object the context's `names` key gives (or the rule's
/// first name) where the verb names one.
fn kube_requests(
    rule: &Rule,
    names: Option<&String>,
    ctx: &Ctx,
    namespace: &str,
) -> Vec<KubeRequest> {
    let object = names
        .and_then(|key| ctx.get(key).cloned())
        .or_else(|| rule.names.first().cloned())
        .unwrap_or_else(|| "some-object".to_owned());
    let mut out = Vec::new();
    for group in &rule.groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let unnamed = enforce::UNNAMED_VERBS.contains(&verb.as_str());
                out.push(KubeRequest {
                    namespace: namespace.to_owned(),
                    group: group.clone(),
                    resource: resource.clone(),
                    verb: verb.clone(),
                    name: (!unnamed).then(|| object.clone()),
                });
            }
        }
    }
    out
}

/// Hold every cluster decision of the workspace against Cedar's.
fn agree_kubernetes(b: &Built, cedar: &CedarSide<'_>, report: &mut Report) {
    let model = &b.checked.model;
    let catalogue = catalogue(model);
    for identity in b.checked.analysis.live(model) {
        let name = identity.name.value.to_string();
        let Some(manifest) = b.files.get(&format!("kubernetes/{name}.yaml")) else {
            continue;
        };
        let group = access_group(&b.files, model, &name);
        let g = granted(manifest, &name, group.as_deref());
        let mut seen = BTreeSet::new();
        for (home, rule, names) in kube_sources(identity, &catalogue, &g) {
            for ctx in variants(&home) {
                let namespace = ctx
                    .get(NAMESPACE)
                    .cloned()
                    .or_else(|| g.namespaces.first().cloned())
                    .unwrap_or_default();
                for q in kube_requests(&rule, names.as_ref(), &ctx, &namespace) {
                    if !seen.insert((q.clone(), ctx.clone())) {
                        continue;
                    }
                    let covering: Vec<&Action> = catalogue
                        .iter()
                        .copied()
                        .filter(|c| kube_covers(c, &q))
                        .collect();
                    report.hold(Disagreement {
                        identity: name.clone(),
                        target: "Kubernetes",
                        request: format!("{q:?}"),
                        context: ctx.clone(),
                        cedar: cedar_allows_request(cedar, identity, &covering, &q, &ctx),
                        // a workload is held by the cluster it runs in; a
                        // pipeline by whom its AWS role admits
                        target_allows: if g.as_group {
                            aws_admits(model, &b.files, &name, &ctx)
                                && cluster_admits(model, &ctx, false, true)
                        } else {
                            cluster_admits(model, &ctx, true, true)
                        } && rbac_allows(&g, &q),
                        why: "RBAC over the rendered Roles and bindings".to_owned(),
                    });
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Google Cloud

/// What Google Cloud grants one service account, as rendered: its
/// unconditional role, its roles bound under a condition, what its deny
/// policy denies, and the subjects that may act as it.
struct GcpGranted {
    permissions: BTreeSet<String>,
    conditional: Vec<(BTreeSet<String>, String)>,
    denied: BTreeSet<String>,
    enabled: bool,
    subjects: Option<Vec<String>>,
}

fn gcp_granted(files: &BTreeMap<String, String>, name: &str) -> Option<GcpGranted> {
    let read = |file: &str| -> Option<Value> {
        files
            .get(&format!("gcp/{name}/{file}"))
            .map(|t| serde_json::from_str(t).unwrap())
    };
    let role = read("role.json")?;
    let account = read("service-account.json").unwrap();
    let denied = read("deny-policy.json")
        .map(|d| {
            d["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| strings(&r["denyRule"]["deniedPermissions"]))
                .collect()
        })
        .unwrap_or_default();
    let subjects = read("service-account-policy.json").map(|p| {
        p["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| strings(&b["members"]))
            .filter_map(|m| {
                // a pool principal's subject, or a GKE workload
                // identity member's service account
                m.split_once("/subject/")
                    .map(|(_, s)| s.to_owned())
                    .or_else(|| {
                        let (_, rest) = m.split_once(".svc.id.goog[")?;
                        let (ns, name) = rest.strip_suffix(']')?.split_once('/')?;
                        Some(format!("system:serviceaccount:{ns}:{name}"))
                    })
            })
            .collect()
    });
    let mut enabled = role["stage"] != "DISABLED" && account["disabled"] != true;
    let mut conditional = Vec::new();
    for n in 2.. {
        let (Some(role), Some(binding)) = (
            read(&format!("role-{n}.json")),
            read(&format!("project-binding-{n}.json")),
        ) else {
            break;
        };
        enabled &= role["stage"] != "DISABLED";
        let expression = binding["condition"]["expression"]
            .as_str()
            .expect("a role after the first is bound under a condition")
            .to_owned();
        let permissions = strings(&role["includedPermissions"]).into_iter().collect();
        conditional.push((permissions, expression));
    }
    Some(GcpGranted {
        permissions: strings(&role["includedPermissions"]).into_iter().collect(),
        conditional,
        denied,
        enabled,
        subjects,
    })
}

/// A permission as a deny policy names it (`run.services.update` is
/// `run.googleapis.com/services.update`).
fn deny_form(permission: &str) -> String {
    let (service, rest) = permission.split_once('.').unwrap();
    format!("{service}.googleapis.com/{rest}")
}

/// The resource a Google Cloud request in `ctx` acts on, as IAM Conditions
/// see it: by the mapping of `action` (else of the first action mapping
/// `permission` that names its resources), named by the context's value of
/// the mapping's `names` key.
fn gcp_resource(model: &Model, action: Option<&Action>, covering: &[&Action], ctx: &Ctx) -> Value {
    let project = &model.settings.targets.gcp.as_ref().unwrap().project.value;
    let named = action
        .into_iter()
        .chain(covering.iter().copied())
        .filter_map(|a| a.gcp.as_ref())
        .find_map(|g| Some((g.names.as_ref()?, g.resource.as_ref()?)));
    let Some((key, resource)) = named else {
        return json!({"type": "cloudresourcemanager.googleapis.com/Project", "service": "cloudresourcemanager.googleapis.com", "name": format!("projects/{project}")});
    };
    let value = ctx.get(&key.value).map_or("unnamed", String::as_str);
    let kind = &resource.kind.value;
    json!({
        "type": kind,
        "service": kind.split_once('/').unwrap().0,
        "name": nhi::vocabulary::gcp::resource_name(&resource.name.value, project, value),
    })
}

/// Whether each IAM condition holds on its resource, by the independent
/// CEL evaluator (`scripts/conformance/iam-simulate/cel.mjs`).
fn conditions_hold(asks: &[(String, Value, String)]) -> Vec<bool> {
    if asks.is_empty() {
        return Vec::new();
    }
    let input: Vec<Value> = asks
        .iter()
        .map(|(expression, resource, time)| {
            json!({"expression": expression, "resource": resource, "time": time})
        })
        .collect();
    let dir = evaluator();
    let script = dir.join("cel.mjs");
    std::fs::copy(
        repo().join("scripts/conformance/iam-simulate/cel.mjs"),
        &script,
    )
    .unwrap();
    let output = run_node(&dir, &script, &Value::from(input).to_string());
    let holds: Vec<bool> = serde_json::from_slice(&output).unwrap();
    assert_eq!(holds.len(), asks.len());
    holds
}

/// One Google Cloud request: its disagreement record with the target's
/// decision before conditions, and the condition asks that decide it.
struct GcpAsk {
    record: Disagreement,
    unconditional: bool,
    conditions: Vec<usize>,
}

/// Hold every Google Cloud decision of the workspace against Cedar's.
fn agree_gcp(b: &Built, cedar: &CedarSide<'_>, report: &mut Report) {
    let model = &b.checked.model;
    let catalogue = catalogue(model);
    let mut asks: Vec<GcpAsk> = Vec::new();
    let mut cel: Vec<(String, Value, String)> = Vec::new();
    for identity in b.checked.analysis.live(model) {
        let name = identity.name.value.to_string();
        let Some(g) = gcp_granted(&b.files, &name) else {
            continue;
        };
        // what the catalogue maps, each action in the context it is
        // declared for; and what the rendered roles hold, whatever maps it
        let mut sources: Vec<(Option<&Action>, Ctx, Vec<String>)> = catalogue
            .iter()
            .filter_map(|a| {
                let m = a.gcp.as_ref()?;
                Some((
                    Some(*a),
                    home(identity, &a.name.value, Platform::Gcp),
                    m.permissions.iter().map(|p| p.value.clone()).collect(),
                ))
            })
            .collect();
        let rendered = g
            .permissions
            .iter()
            .chain(g.conditional.iter().flat_map(|(p, _)| p))
            .cloned()
            .collect::<BTreeSet<_>>();
        sources.push((
            None,
            home(identity, "", Platform::Gcp),
            rendered.into_iter().collect(),
        ));
        for (action, home, permissions) in sources {
            for ctx in variants(&home) {
                let admitted = g
                    .subjects
                    .as_ref()
                    .is_none_or(|subjects| subjects.iter().any(|s| subject_admits(model, s, &ctx)));
                for p in &permissions {
                    let covering: Vec<&Action> = catalogue
                        .iter()
                        .copied()
                        .filter(|c| {
                            c.gcp
                                .as_ref()
                                .is_some_and(|m| m.permissions.iter().any(|x| &x.value == p))
                        })
                        .collect();
                    let base = admitted && g.enabled && !g.denied.contains(&deny_form(p));
                    let mut conditions = Vec::new();
                    for (granted, expression) in &g.conditional {
                        if base && !g.permissions.contains(p) && granted.contains(p) {
                            conditions.push(cel.len());
                            cel.push((
                                expression.clone(),
                                gcp_resource(model, action, &covering, &ctx),
                                now_of(&ctx).to_owned(),
                            ));
                        }
                    }
                    asks.push(GcpAsk {
                        unconditional: base && g.permissions.contains(p),
                        conditions,
                        record: Disagreement {
                            identity: name.clone(),
                            target: "Google Cloud",
                            request: p.clone(),
                            context: ctx.clone(),
                            cedar: cedar_allows_any(
                                cedar,
                                identity,
                                &covering,
                                Platform::Gcp,
                                Some(p),
                                &ctx,
                            ),
                            target_allows: false,
                            why: "the rendered custom roles, their conditions (by a CEL evaluator), the deny policy and pool principals".to_owned(),
                        },
                    });
                }
            }
        }
    }
    let holds = conditions_hold(&cel);
    for ask in asks {
        let mut record = ask.record;
        record.target_allows = ask.unconditional || ask.conditions.iter().any(|&i| holds[i]);
        report.hold(record);
    }
}

// ---------------------------------------------------------------------------
// Azure

/// One custom role as rendered, and the scope it is assigned at.
struct AzureRole {
    scope: String,
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
}

/// What Azure grants one managed identity, as rendered: its roles, and the
/// subjects its federated credentials admit.
struct AzureGranted {
    roles: Vec<AzureRole>,
    subjects: Vec<String>,
}

fn azure_granted(files: &BTreeMap<String, String>, name: &str) -> Option<AzureGranted> {
    let prefix = format!("azure/{name}/role-definition");
    let roles: Vec<AzureRole> = files
        .iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .map(|(_, text)| {
            let role: Value = serde_json::from_str(text).unwrap();
            AzureRole {
                scope: role["AssignableScopes"][0].as_str().unwrap().to_owned(),
                actions: strings(&role["Actions"]),
                not_actions: strings(&role["NotActions"]),
                data_actions: strings(&role["DataActions"]),
                not_data_actions: strings(&role["NotDataActions"]),
            }
        })
        .collect();
    if roles.is_empty() {
        return None;
    }
    let credentials: Value =
        serde_json::from_str(&files[&format!("azure/{name}/federated-credentials.json")]).unwrap();
    let subjects = credentials
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["properties"]["subject"].as_str().unwrap().to_owned())
        .collect();
    Some(AzureGranted { roles, subjects })
}

/// Whether Azure grants an operation at a scope, as its role definitions
/// say: a role assigned at the scope or above it whose `Actions` (or
/// `DataActions`) match it and whose `NotActions` do not. Azure compares
/// operations without regard to case.
fn azure_allows(g: &AzureGranted, data: bool, operation: &str, scope: &str) -> bool {
    let any = |patterns: &[String]| patterns.iter().any(|p| glob::matches(p, operation, true));
    g.roles.iter().any(|r| {
        let (allow, not) = if data {
            (&r.data_actions, &r.not_data_actions)
        } else {
            (&r.actions, &r.not_actions)
        };
        (scope == r.scope || scope.starts_with(&format!("{}/", r.scope))) && any(allow) && !any(not)
    })
}

/// Hold every Azure decision of the workspace against Cedar's.
fn agree_azure(b: &Built, cedar: &CedarSide<'_>, report: &mut Report) {
    let model = &b.checked.model;
    let Some(target) = &model.settings.targets.azure else {
        return;
    };
    let default_scope = target.scope.as_ref().map_or_else(
        || {
            let subscription = format!("/subscriptions/{}", target.subscription_id.value);
            target
                .resource_group
                .as_ref()
                .map_or(subscription.clone(), |g| {
                    format!("{subscription}/resourceGroups/{}", g.value)
                })
        },
        |s| s.value.clone(),
    );
    let catalogue = catalogue(model);
    for identity in b.checked.analysis.live(model) {
        let name = identity.name.value.to_string();
        let Some(g) = azure_granted(&b.files, &name) else {
            continue;
        };
        for a in &catalogue {
            let Some(m) = a.azure.as_ref() else { continue };
            let scope = m
                .scope
                .as_ref()
                .map_or(default_scope.as_str(), |s| s.value.as_str());
            let home = home(identity, &a.name.value, Platform::Azure);
            let operations = m
                .actions
                .iter()
                .map(|o| (false, o))
                .chain(m.data_actions.iter().map(|o| (true, o)));
            for (data, op) in operations {
                // a wildcard names one operation it covers
                let operation = op.value.replace('*', "x");
                let covering: Vec<&Action> = catalogue
                    .iter()
                    .copied()
                    .filter(|c| {
                        c.azure.as_ref().is_some_and(|cm| {
                            let ops = if data { &cm.data_actions } else { &cm.actions };
                            let at = cm
                                .scope
                                .as_ref()
                                .map_or(default_scope.as_str(), |s| s.value.as_str());
                            at == scope
                                && ops
                                    .iter()
                                    .any(|p| glob::matches(&p.value, &operation, true))
                        })
                    })
                    .collect();
                for ctx in variants(&home) {
                    let admitted = g.subjects.iter().any(|s| subject_admits(model, s, &ctx));
                    report.hold(Disagreement {
                        identity: name.clone(),
                        target: "Azure",
                        request: format!("{operation} at {scope}"),
                        context: ctx.clone(),
                        cedar: cedar_allows_any(cedar, identity, &covering, Platform::Azure, None, &ctx),
                        target_allows: admitted && azure_allows(&g, data, &operation, scope),
                        why: "the rendered role definitions, their scopes and the federated credentials".to_owned(),
                    });
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The agreement

fn agree(b: &Built) -> Report {
    let model = &b.checked.model;
    let rendering = cedar::render(model, &b.checked.analysis, &b.checked.db).unwrap();
    let cedar = CedarSide {
        model,
        authorizer: Authorizer::new(model, &rendering).unwrap(),
        known: rendering
            .schema
            .context()
            .keys()
            .map(|k| (*k).to_owned())
            .collect(),
    };
    let mut report = Report::default();
    agree_aws(b, &cedar, &mut report);
    agree_kubernetes(b, &cedar, &mut report);
    agree_gcp(b, &cedar, &mut report);
    agree_azure(b, &cedar, &mut report);
    report
}

#[test]
fn every_target_decides_every_shipped_request_as_cedar_does() {
    let mut all = workspaces();
    all.push(repo().join("tests/fixtures/state"));
    for ws in all {
        let b = built(&ws);
        let report = agree(&b);
        assert!(
            report.disagreements.is_empty(),
            "{}: {} of {} decisions disagree:\n{}",
            ws.display(),
            report.disagreements.len(),
            report.asked,
            report.render()
        );
        eprintln!(
            "{}: {} decisions agree ({} allowed)",
            ws.display(),
            report.asked,
            report.allowed
        );
        assert!(
            report.asked > 20,
            "{}: only {} asked",
            ws.display(),
            report.asked
        );
        assert!(report.allowed > 0, "{}: nothing allowed", ws.display());
    }
}

/// The disagreements of a report about one identity in one target.
fn found<'r>(report: &'r Report, identity: &str, target: &str) -> Vec<&'r Disagreement> {
    report
        .disagreements
        .iter()
        .filter(|d| d.identity == identity && d.target == target)
        .collect()
}

#[test]
fn a_broken_rendering_is_a_disagreement() {
    // a dead condition: a tag AWS never supplies for `ec2:Describe*`
    let mut b = built(&repo().join("examples/cicd-pipelines"));
    let path = "aws/terraform-plan/permissions-policy.json";
    let mut policy: Value = serde_json::from_str(&b.files[path]).unwrap();
    for st in policy["Statement"].as_array_mut().unwrap() {
        if st["Effect"] == "Allow" {
            st["Condition"] = json!({"StringEquals": {"aws:ResourceTag/environment": ["ci"]}});
        }
    }
    b.files.insert(path.to_owned(), policy.to_string());
    // a condition that lost its names: the deployer may push to every
    // repository of the project
    let path = "gcp/storefront-deployer/project-binding-2.json";
    let mut binding: Value = serde_json::from_str(&b.files[path]).unwrap();
    binding["condition"]["expression"] =
        json!("resource.type == \"artifactregistry.googleapis.com/Repository\"");
    b.files.insert(path.to_owned(), binding.to_string());
    let report = agree(&b);
    let dead = found(&report, "terraform-plan", "AWS");
    assert!(
        dead.iter()
            .any(|d| d.cedar && !d.target_allows && d.request.starts_with("ec2:Describe")),
        "{}",
        report.render()
    );
    let widened = found(&report, "storefront-deployer", "Google Cloud");
    assert!(
        !widened.is_empty()
            && widened.iter().all(|d| !d.cedar
                && d.target_allows
                && d.request == "artifactregistry.repositories.uploadArtifacts"
                && d.context
                    .get("repository")
                    .is_none_or(|r| r != "storefront")),
        "{}",
        report.render()
    );
    assert_eq!(
        report.disagreements.len(),
        dead.len() + widened.len(),
        "{}",
        report.render()
    );

    // a missing Deny: the quarantined identity's role keeps what it allows
    let mut b = built(&repo().join("tests/fixtures/state"));
    let path = "aws/quarantined-bot/permissions-policy.json";
    let mut policy: Value = serde_json::from_str(&b.files[path]).unwrap();
    policy["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|st| st["Sid"] != "Suspended");
    b.files.insert(path.to_owned(), policy.to_string());
    // an extra RBAC verb: the working identity may delete what it reads
    let manifest =
        b.files["kubernetes/working-bot.yaml"].replace("  - get\n---", "  - get\n  - delete\n---");
    assert_ne!(manifest, b.files["kubernetes/working-bot.yaml"]);
    b.files
        .insert("kubernetes/working-bot.yaml".to_owned(), manifest);
    // a permission nothing maps
    let path = "gcp/working-bot/role.json";
    let mut role: Value = serde_json::from_str(&b.files[path]).unwrap();
    role["includedPermissions"]
        .as_array_mut()
        .unwrap()
        .push(json!("storage.objects.delete"));
    b.files.insert(path.to_owned(), role.to_string());
    // a dead grant: the working identity's Azure role loses what it reads
    let path = "azure/working-bot/role-definition.json";
    let mut role: Value = serde_json::from_str(&b.files[path]).unwrap();
    role["Actions"] = json!([]);
    b.files.insert(path.to_owned(), role.to_string());
    let report = agree(&b);
    let unquarantined = found(&report, "quarantined-bot", "AWS");
    assert!(
        unquarantined
            .iter()
            .any(|d| !d.cedar && d.target_allows && d.request.starts_with("logs:GetLogEvents")),
        "{}",
        report.render()
    );
    let extra_verb = found(&report, "working-bot", "Kubernetes");
    assert!(
        !extra_verb.is_empty()
            && extra_verb
                .iter()
                .all(|d| !d.cedar && d.target_allows && d.request.contains("\"delete\"")),
        "{}",
        report.render()
    );
    let extra_permission = found(&report, "working-bot", "Google Cloud");
    assert!(
        extra_permission
            .iter()
            .any(|d| !d.cedar && d.target_allows && d.request == "storage.objects.delete"),
        "{}",
        report.render()
    );
    let dead = found(&report, "working-bot", "Azure");
    assert!(
        !dead.is_empty()
            && dead.iter().all(|d| d.cedar
                && !d.target_allows
                && d.request.starts_with("Microsoft.Insights/logs/read")),
        "{}",
        report.render()
    );
    // and nothing else
    assert_eq!(
        report.disagreements.len(),
        unquarantined.len() + extra_verb.len() + extra_permission.len() + dead.len(),
        "{}",
        report.render()
    );
}
