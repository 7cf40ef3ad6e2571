//! Authorization: `nhi can` and `nhi test` end to end, and the property
//! that the Cedar authorizer on the rendered policies (on the slice that
//! can apply, and on the whole set) decides every request as the
//! compiler's own model does.

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

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use nhi::analyse::{self, Analysis, Decision};
use nhi::authorize::{Authorizer, Query};
use nhi::cedar;
use nhi::check;
use nhi::load::{self, LoadOptions};
use nhi::model::{
    Auth, AuthMethod, Context, Delegation, Grant, Identity, Kind, Model, Name, Provenance, Spanned,
    State, Terms,
};
use nhi::source::{Loc, SourceDb};

use support::{TODAY, date, nhi, repo, seed, text, workspace, workspaces};

// ---------------------------------------------------------------------------
// `nhi can`

#[test]
fn the_release_assistant_may_read_ci_status_and_nothing_it_is_not_granted() {
    // the user's example alone, and the repository's workspace around it
    for (dir, tmp) in [(None, Some(seed())), (Some(repo()), None)] {
        let dir = dir.unwrap_or_else(|| tmp.as_ref().unwrap().path().to_path_buf());
        let out = nhi(&dir, &["can", "release-assistant", "read_ci_status"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "ALLOW release-assistant read_ci_status\n  permitted by release-assistant:allow (identities/release-assistant.yaml:6:19)\n"
        );

        let out = nhi(&dir, &["can", "release-assistant", "deploy_production"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stdout),
            "DENY release-assistant deploy_production\n  forbidden by release-assistant:forbid (identities/release-assistant.yaml:7:21)\n"
        );

        // an action it never mentions, known to the workspace
        let out = nhi(
            &dir,
            &[
                "can",
                "release-assistant",
                "export_customer_data",
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["decision"], "deny");
        assert!(
            json["policies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == "release-assistant:forbid" && p["line"] == 7)
        );
    }
    // in the repository's workspace, actions it never mentions fall to
    // default deny, and the guardrail names its line in nhi.yaml
    let out = nhi(&repo(), &["can", "release-assistant", "rotate_secrets"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "DENY release-assistant rotate_secrets\n  no policy permits it: default deny (`release-assistant` holds no grant of `rotate_secrets`)\n"
    );
    let out = nhi(&repo(), &["can", "release-assistant", "change_permissions"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("forbidden by nhi.yaml:guardrail:change_permissions (nhi.yaml:"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "forbidden by release-assistant:forbid (identities/release-assistant.yaml:7:42)"
        ),
        "{stdout}"
    );
}

#[test]
fn can_asks_a_time_boxed_grant_at_the_time_of_the_question() {
    let ws = repo().join("examples/ai-agent-platform");
    let ask = |today: &str, extra: &[&str]| {
        let mut args = vec![
            "--today",
            today,
            "can",
            "support-triage",
            "sync_knowledge_base",
            "--context",
            "environment=production",
            "--context",
            "region=eu-west-1",
            "--context",
            "namespace=agents",
            "--context",
            "channel=email",
        ];
        args.extend(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_nhi"))
            .arg("-C")
            .arg(&ws)
            .args(&args)
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout))
    };
    // on a day inside the help centre's move (at its start, UTC)
    assert_eq!(
        ask("2026-11-22", &[]),
        (
            Some(0),
            s(
                "ALLOW support-triage sync_knowledge_base\n  permitted by support-triage:allow:sync_knowledge_base (identities/support-triage.yaml:29:13)\n"
            )
        )
    );
    // after it, the window and its line say why not
    let (code, stdout) = ask("2027-02-01", &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.ends_with("    `now` is `2027-02-01T00:00:00Z`, not from 2026-11-16T08:00:00Z until 2027-01-31T18:00:00Z (identities/support-triage.yaml:31:18)\n"),
        "{stdout}"
    );
    // the question's own time wins over the day
    let (code, _) = ask(
        "2027-02-01",
        &["--context", "now=2026-12-24T18:00:00+01:00"],
    );
    assert_eq!(code, Some(0));
    let out = nhi(
        &ws,
        &[
            "can",
            "support-triage",
            "sync_knowledge_base",
            "--context",
            "now=soon",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`now` is `soon`, not an instant"));
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn a_default_deny_names_each_condition_the_request_fails_and_its_line() {
    let ws = repo().join("examples/cicd-pipelines");
    let ask = |extra: &[&str]| {
        let mut args = vec!["can", "web-deployer", "deploy_service"];
        args.extend(extra);
        let out = nhi(&ws, &args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let stdout = ask(&[
        "--context",
        "environment=production",
        "--context",
        "service=api",
    ]);
    assert!(
        stdout.starts_with(
            "DENY web-deployer deploy_service\n  no policy permits it: default deny\n  web-deployer:allow:deploy_service (identities/aws/web-deployer.yaml:15:13) would permit it, but\n    the request has no `region`: it must be one of `eu-west-1` (identities/aws/web-deployer.yaml:27:13)\n    `service` is `api`, not one of `web` (identities/aws/web-deployer.yaml:17:16)\n"
        ),
        "{stdout}"
    );
    // the same in JSON, for a machine
    let out = nhi(
        &ws,
        &[
            "can",
            "web-deployer",
            "deploy_service",
            "--format",
            "json",
            "--context",
            "environment=production",
            "--context",
            "region=eu-west-1",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let own = &json["unmet"][0];
    assert_eq!(own["policy"]["id"], "web-deployer:allow:deploy_service");
    assert_eq!(
        own["failed"],
        serde_json::json!([{
            "condition": "the request has no `service`: it must be one of `web`",
            "file": "identities/aws/web-deployer.yaml",
            "line": 17,
            "column": 16
        }])
    );
    // acting for another where only acting for itself is permitted
    let stdout = ask(&[
        "--context",
        "environment=production",
        "--context",
        "region=eu-west-1",
        "--context",
        "service=web",
        "--on-behalf-of",
        "image-mirror",
    ]);
    assert!(
        stdout.contains(
            "would permit it, but\n    it permits acting for itself, not on behalf of another\n"
        ),
        "{stdout}"
    );
}

#[test]
fn can_explains_delegation_context_and_bad_questions() {
    let ws = repo();
    let delegated = [
        "can",
        "metrics-collector",
        "read_metrics",
        "--on-behalf-of",
        "incident-triage",
        "--context",
        "environment=production",
        "--context",
        "region=eu-west-1",
        "--context",
        "namespace=delivery",
    ];
    let out = nhi(&ws, &delegated);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(
        "permitted by metrics-collector:delegated:incident-triage (identities/incident-triage.yaml:"
    ));
    let out = nhi(&ws, &delegated[..delegated.len() - 2]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without its namespace it is denied"
    );

    for (args, message) in [
        (
            vec!["can", "release-asistant", "read_ci_status"],
            "did you mean `release-assistant`?",
        ),
        (
            vec!["can", "release-assistant", "read_ci_statu"],
            "did you mean `read_ci_status`?",
        ),
        (
            vec![
                "can",
                "release-assistant",
                "read_ci_status",
                "--context",
                "enviroment=ci",
            ],
            "did you mean `environment`?",
        ),
        (
            vec![
                "can",
                "release-assistant",
                "read_ci_status",
                "--context",
                "ci",
            ],
            "is not KEY=VALUE",
        ),
        (
            vec![
                "can",
                "release-assistant",
                "read_ci_status",
                "--resource",
                "Release::v1",
            ],
            "applies to resources of type `BuildPipeline`",
        ),
    ] {
        let out = nhi(&ws, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = nhi(
        &ws,
        &[
            "can",
            "release-assistant",
            "read_ci_status",
            "--resource",
            "Example::BuildPipeline::\"web-build\"",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with(
        "ALLOW release-assistant read_ci_status on Example::BuildPipeline::\"web-build\"\n"
    ));
}

#[test]
fn can_refuses_to_answer_for_a_broken_workspace() {
    let tmp = workspace(&[(
        "identities/a.yaml",
        "agent: a\nowner: t\nauth: oidc\nallowed_actions: [x]\nforbidden_actions: [x]\n",
    )]);
    let out = nhi(tmp.path(), &["can", "a", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("AC001"));
    assert!(
        text(&out.stderr).contains("cannot answer: the files the question involves have errors")
    );
}

// ---------------------------------------------------------------------------
// `nhi test`

#[test]
fn every_shipped_workspace_passes_its_decision_tests() {
    for ws in workspaces() {
        let out = nhi(&ws, &["test"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}:\n{stderr}", ws.display());
        let summary = stderr.lines().last().unwrap();
        let passed: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
        assert!(passed >= 5, "{}: {summary}", ws.display());
        assert!(summary.ends_with("passed, 0 failed"), "{summary}");
    }
}

const FAILING_TESTS: &str = "\
tests:
  - name: expects too much
    principal: release-assistant
    action: deploy_production
    expect: allow
  - principal: release-asistant
    action: read_ci_status
    expect: allow
  - principal: release-assistant
    action: read_ci_status
    resource: Release::v1
    expect: allow
  - principal: release-assistant
    action: read_ci_status
    on_behalf_of: [nobody]
    expect: deny
  - principal: release-assistant
    action: read_ci_status
    expect: allow
";

#[test]
fn failing_decision_tests_are_reported_at_their_place() {
    let tmp = seed();
    std::fs::create_dir_all(tmp.path().join("decisions")).unwrap();
    std::fs::write(tmp.path().join("decisions/release.yaml"), FAILING_TESTS).unwrap();
    let out = nhi(tmp.path(), &["test"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.ends_with("1 passed, 4 failed\n"), "{stderr}");
    // DT001 at the expectation, with the policy that decided otherwise
    assert!(
        stderr.contains("decision test `expects too much` expects allow, the policies deny"),
        "{stderr}"
    );
    assert!(stderr.contains("[decisions/release.yaml:5:13]"), "{stderr}");
    assert!(
        stderr.contains("forbidden by `release-assistant:forbid`"),
        "{stderr}"
    );
    // DT002 at the unknown names
    assert!(
        stderr.contains("principal `release-asistant` is not in the workspace"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `release-assistant`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("resource `Release::v1` is not one action `read_ci_status` applies to"),
        "{stderr}"
    );
    assert!(
        stderr.contains("delegator `nobody` is not in the workspace"),
        "{stderr}"
    );

    let out = nhi(tmp.path(), &["test", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], 1);
    assert_eq!(json["failed"], 4);
    let first = &json["tests"][0];
    assert_eq!(first["name"], "expects too much");
    assert_eq!(first["line"], 2);
    assert_eq!(first["expected"], "allow");
    assert_eq!(first["actual"], "deny");
    assert_eq!(first["policies"][0], "release-assistant:forbid");

    // the codes, through the library
    let root = load::find_root(tmp.path()).unwrap();
    let mut c = check::workspace(&root, LoadOptions::default(), date(TODAY)).unwrap();
    let loaded = load::decisions(
        &root,
        Path::new("decisions"),
        &mut c.db,
        LoadOptions::default(),
    )
    .unwrap();
    let r = cedar::render(&c.model, &c.analysis, &c.db).unwrap();
    let authorizer = Authorizer::new(&c.model, &r).unwrap();
    let report = nhi::decisions::run(&c.model, &r, &authorizer, &loaded.files);
    let places: Vec<(String, usize)> = report
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code.as_str().to_owned(),
                c.db.line_col(d.primary_loc().unwrap()).line,
            )
        })
        .collect();
    assert_eq!(
        places,
        [("DT001", 5), ("DT002", 6), ("DT002", 11), ("DT002", 15)].map(|(c, l)| (c.to_owned(), l))
    );
}

#[test]
fn a_workspace_without_tests_says_so() {
    let tmp = seed();
    let out = nhi(tmp.path(), &["test"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("no decision tests in decisions/"));
}

// ---------------------------------------------------------------------------
// Cedar decides as the model does

/// The context an identity normally acts in: the first of each of its
/// context values and `where` values.
fn home(identity: &Identity) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let c = &identity.context;
    for (key, list) in [
        ("environment", &c.environments),
        ("region", &c.regions),
        ("namespace", &c.namespaces),
    ] {
        if let Some(first) = list.as_ref().and_then(|l| l.first()) {
            out.insert(key.to_owned(), first.value.clone());
        }
    }
    for (key, list) in c
        .attributes
        .iter()
        .chain(identity.allowed.iter().flat_map(|g| g.conditions.iter()))
    {
        if let Some(first) = list.first() {
            out.entry(key.clone())
                .or_insert_with(|| first.value.clone());
        }
    }
    // inside the first time window, approved at that instant
    for g in &identity.allowed {
        let inside = match (&g.terms().valid_from, &g.terms().valid_until) {
            (Some(f), _) => Some(f.value),
            (None, Some(u)) => Some(u.value - jiff::SignedDuration::from_secs(1)),
            (None, None) => g.terms().valid_for.as_ref().map(|_| time(TIMES[1])),
        };
        if let Some(t) = inside {
            let t = nhi::model::time_text(t);
            out.entry("now".to_owned()).or_insert_with(|| t.clone());
            out.entry("approved_at".to_owned()).or_insert(t);
        }
    }
    out
}

fn time(text: &str) -> nhi::model::Time {
    nhi::model::parse_time(text).unwrap()
}

/// Requests around a context: itself, without each key, with each key
/// changed, and a few fixed ones.
fn variants(
    base: &BTreeMap<String, String>,
    fixed: &[BTreeMap<String, String>],
) -> Vec<BTreeMap<String, String>> {
    let mut out = vec![base.clone()];
    for key in base.keys() {
        let mut without = base.clone();
        without.remove(key);
        out.push(without);
        let others: &[&str] = match key.as_str() {
            "now" => &["1999-01-01T00:00:00Z", "2999-01-01T00:00:00Z"],
            "approved_at" => &["1999-01-01T00:00:00Z"],
            _ => &["elsewhere"],
        };
        for other in others {
            let mut changed = base.clone();
            changed.insert(key.clone(), (*other).to_owned());
            out.push(changed);
        }
    }
    out.extend(fixed.iter().cloned());
    out
}

/// Ask every question of every identity and action, alone and along every
/// chain (and some lists that are not chains), in contexts around where
/// each acts; compare the model, the sliced and the whole-set answers.
/// Returns how many were asked and how many allowed.
fn assert_cedar_agrees(
    model: &Model,
    db: &SourceDb,
    today: &str,
    fixed: &[BTreeMap<String, String>],
) -> (usize, usize) {
    let analysis = Analysis::new(model, date(today));
    let r = cedar::render(model, &analysis, db).unwrap();
    cedar::verify::verify(&r).unwrap();
    let authorizer = Authorizer::new(model, &r).unwrap();
    let names: Vec<String> = model.identities.keys().map(|n| n.to_string()).collect();
    let mut chains: Vec<Vec<String>> = vec![Vec::new()];
    for chain in analysis.chains().unwrap().values().flatten() {
        chains.push(chain.delegators.iter().map(|n| n.to_string()).collect());
    }
    for (i, a) in names.iter().enumerate() {
        chains.push(vec![a.clone()]);
        if let Some(b) = names.get(i + 1) {
            chains.push(vec![a.clone(), b.clone()]);
        }
    }
    let (mut asked, mut allowed) = (0, 0);
    for principal in &names {
        let identity = &model.identities[principal.as_str()];
        for chain in &chains {
            // the delegate acts from its own place, with what its
            // delegators' grants need
            let mut base = home(identity);
            for d in chain {
                for (k, v) in home(&model.identities[d.as_str()]) {
                    base.entry(k).or_insert(v);
                }
            }
            let known = r.schema.context();
            for mut attributes in variants(&base, fixed) {
                attributes.retain(|k, _| known.contains_key(k.as_str()));
                for action in r.schema.actions.keys() {
                    let q = Query {
                        principal: principal.clone(),
                        action: action.clone(),
                        resource: None,
                        attributes: attributes.clone(),
                        on_behalf_of: chain.clone(),
                    };
                    let (expected, reason) = analyse::decide(model, &analysis, &q.request());
                    let sliced = authorizer.decide(&q).unwrap();
                    let whole = authorizer.decide_whole(&q).unwrap();
                    assert_eq!(sliced.decision, expected, "{q:?}: model says {reason:?}");
                    assert_eq!(
                        whole.decision, expected,
                        "{q:?}: whole set, model says {reason:?}"
                    );
                    let ids = |a: &nhi::authorize::Answer<'_>| {
                        a.deciders
                            .iter()
                            .map(|d| d.policy.id.clone())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(ids(&sliced), ids(&whole), "{q:?}");
                    assert!(sliced.errors.is_empty(), "{:?}", sliced.errors);
                    asked += 1;
                    allowed += usize::from(expected == Decision::Allow);
                }
            }
        }
    }
    (asked, allowed)
}

#[test]
fn cedar_decides_every_shipped_request_as_the_model_does() {
    for ws in workspaces() {
        let root = load::find_root(&ws).unwrap();
        let c = check::workspace(&root, LoadOptions::default(), date(TODAY)).unwrap();
        let (asked, allowed) = assert_cedar_agrees(&c.model, &c.db, TODAY, &[BTreeMap::new()]);
        assert!(asked > 1000, "{}: {asked}", ws.display());
        assert!(
            allowed > 20,
            "{}: only {allowed} of {asked} allowed",
            ws.display()
        );
    }
}

// --- generated models

fn sp<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Loc::default())
}

const ACTIONS: [&str; 5] = ["a0", "a1", "a2", "a3", "a4"];
const KEYS: [&str; 2] = ["k0", "k1"];
const VALUES: [&str; 3] = ["v0", "v1", "v2"];
const ENVS: [&str; 2] = ["prod", "stage"];
const TIMES: [&str; 3] = [
    "2026-01-01T00:00:00Z",
    "2026-06-01T00:00:00Z",
    "2027-01-01T00:00:00Z",
];
/// One hour, and 200 days.
const DURATIONS: [u64; 2] = [3_600, 17_280_000];

/// A `where` narrowing: a key and its accepted values.
type Narrowing = Option<(usize, Vec<usize>)>;

/// A time window: `valid_from` and `valid_until` (of [`TIMES`]) and
/// `valid_for` (of [`DURATIONS`]).
type Window = Option<(Option<usize>, Option<usize>, Option<usize>)>;

#[derive(Clone, Debug)]
struct Spec {
    kind: usize,
    state: usize,
    expired: bool,
    allowed: Vec<(usize, Narrowing, Window)>,
    forbidden: Vec<usize>,
    environments: Option<Vec<usize>>,
    attribute: Option<(usize, Vec<usize>)>,
    delegations: Vec<(usize, Vec<usize>, Option<u32>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..4usize,
        prop::sample::select(vec![0usize, 0, 0, 1, 2]),
        prop::bool::weighted(0.15),
        prop::collection::vec(
            (
                0..5usize,
                prop::option::weighted(0.4, (0..2usize, prop::collection::vec(0..3usize, 0..3))),
                prop::option::weighted(
                    0.3,
                    (
                        prop::option::of(0..3usize),
                        prop::option::of(0..3usize),
                        prop::option::of(0..2usize),
                    ),
                ),
            ),
            0..4,
        ),
        prop::collection::vec(0..5usize, 0..2),
        prop::option::weighted(0.4, prop::collection::vec(0..2usize, 0..3)),
        prop::option::weighted(0.3, (0..2usize, prop::collection::vec(0..3usize, 1..3))),
        prop::collection::vec(
            (
                1..4usize,
                prop::collection::vec(0..5usize, 1..4),
                prop::option::of(0..3u32),
            ),
            0..3,
        ),
    )
        .prop_map(
            |(kind, state, expired, allowed, forbidden, environments, attribute, delegations)| {
                Spec {
                    kind,
                    state,
                    expired,
                    allowed,
                    forbidden,
                    environments,
                    attribute,
                    delegations,
                }
            },
        )
}

fn values(ix: &[usize], from: &[&str]) -> Vec<Spanned<String>> {
    ix.iter().map(|&i| sp(from[i].to_owned())).collect()
}

fn identity(i: usize, s: &Spec, count: usize) -> Identity {
    let name = Name::parse(&format!("i{i}")).unwrap();
    Identity {
        name: sp(name),
        file: nhi::source::FileId::default(),
        kind: [Kind::Agent, Kind::Workload, Kind::Pipeline, Kind::Service][s.kind],
        owner: sp("team".to_owned()),
        identity_type: None,
        purpose: None,
        accountable: None,
        acts: None,
        auth: Auth {
            method: sp(AuthMethod::Oidc),
            issuer: None,
            subject: None,
            audience: None,
            ttl: None,
            rotation: None,
            secret_ref: None,
            client_id: None,
            loc: Loc::default(),
        },
        allowed: s
            .allowed
            .iter()
            .map(|(a, narrowing, window)| {
                let (from, until, valid_for) = window.unwrap_or_default();
                Grant::new(
                    sp(ACTIONS[*a].to_owned()),
                    narrowing
                        .iter()
                        .map(|(k, vs)| (KEYS[*k].to_owned(), values(vs, &VALUES)))
                        .collect(),
                    Terms {
                        approval: None,
                        valid_from: from.map(|t| sp(time(TIMES[t]))),
                        valid_until: until.map(|t| sp(time(TIMES[t]))),
                        valid_for: valid_for
                            .map(|d| sp(nhi::model::Duration::from_secs(DURATIONS[d]))),
                        malformed_window: false,
                    },
                )
            })
            .collect(),
        forbidden: values(&s.forbidden, &ACTIONS),
        audit_log: None,
        decision_log: None,
        review_cycle: None,
        last_reviewed: None,
        reviewer: None,
        expires: s.expired.then(|| sp(date("2026-01-01"))),
        context: Context {
            environments: s.environments.as_ref().map(|e| values(e, &ENVS)),
            regions: None,
            namespaces: None,
            attributes: s
                .attribute
                .iter()
                .map(|(k, vs)| (KEYS[*k].to_owned(), values(vs, &VALUES)))
                .collect(),
        },
        targets: None,
        existing: Vec::new(),
        known_as: nhi::model::KnownAs::default(),
        mcp: Vec::new(),
        rate_limits: nhi::model::RateLimits::default(),
        // delegations only to later identities: the graph stays acyclic,
        // as `nhi check` requires
        delegations: s
            .delegations
            .iter()
            .filter(|(offset, _, _)| i + offset < count)
            .map(|(offset, actions, depth)| Delegation {
                to: sp(Name::parse(&format!("i{}", i + offset)).unwrap()),
                actions: values(actions, &ACTIONS),
                ttl: None,
                max_depth: depth.map(sp),
                loc: Loc::default(),
            })
            .collect(),
        provenance: Provenance::default(),
        risk_tier: None,
        labels: Default::default(),
        state: sp([State::Active, State::Suspended, State::Revoked][s.state]),
        suppressions: Vec::new(),
        unreadable: std::collections::BTreeSet::new(),
    }
}

fn model(specs: &[Spec], guardrail: &[usize], depth: Option<u32>) -> Model {
    let mut m = Model::default();
    m.settings.guardrails.forbidden_actions = values(guardrail, &ACTIONS);
    m.settings.guardrails.max_delegation_depth = depth.map(sp);
    for (i, s) in specs.iter().enumerate() {
        let identity = identity(i, s, specs.len());
        m.identities
            .insert(identity.name.value.clone(), Box::new(identity));
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn cedar_decides_generated_workspaces_as_the_model_does(
        specs in prop::collection::vec(spec(), 1..6),
        guardrail in prop::collection::vec(0..5usize, 0..2),
        depth in prop::option::of(1..3u32),
    ) {
        let m = model(&specs, &guardrail, depth);
        let fixed: Vec<BTreeMap<String, String>> = [
            vec![],
            vec![("environment", "prod"), ("k0", "v0"), ("k1", "v0")],
            vec![("environment", "stage"), ("k0", "v1"), ("k1", "v2")],
            vec![("k0", "v2"), ("k1", "v1")],
            vec![("now", "2026-03-01T00:00:00Z"), ("approved_at", "2026-02-28T23:30:00Z")],
            vec![("now", "2026-08-01T00:00:00Z"), ("approved_at", "2026-01-15T00:00:00Z"), ("k0", "v0")],
            vec![("now", "2027-02-01T00:00:00Z"), ("approved_at", "2027-02-01T00:00:00Z")],
            vec![("now", "2026-06-01T00:00:00Z"), ("approved_at", "2026-06-01T00:00:00Z")],
        ]
        .into_iter()
        .map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
        .collect();
        assert_cedar_agrees(&m, &SourceDb::new(), TODAY, &fixed);
    }
}

#[test]
fn can_says_when_a_principal_renders_to_nothing() {
    let tmp = workspace(&[
        (
            "identities/old.yaml",
            "agent: old\nowner: t\nauth: oidc\nallowed_actions: [read]\nexpires: 2026-06-30\n",
        ),
        (
            "identities/gone.yaml",
            "agent: gone\nowner: t\nauth: oidc\nallowed_actions: [read]\nstate: revoked\n",
        ),
    ]);
    let out = nhi(tmp.path(), &["can", "old", "read"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "DENY old read\n  no policy permits it: default deny\n  note: `old` expired on 2026-06-30: it renders to nothing\n"
    );
    let out = nhi(tmp.path(), &["can", "gone", "read", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["note"], "`gone` is revoked: it renders to nothing");
    // the day before it expired, it could
    let out = Command::new(env!("CARGO_BIN_EXE_nhi"))
        .args(["-C"])
        .arg(tmp.path())
        .args(["--today", "2026-06-29", "can", "old", "read"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
