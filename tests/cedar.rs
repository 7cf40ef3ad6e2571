//! The Cedar target: the rendered files, strict validation of every
//! shipped workspace, injection safety, the shape shortcut held against
//! full validation, lifecycle states, and `nhi build` on disk.

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
use std::path::{Path, PathBuf};

use nhi::analyse::Analysis;
use nhi::analyse::{Check, Test};
use nhi::authorize::{Authorizer, Query};
use nhi::cedar::policy::{Cond, Effect, Origin, Policy, Rule};
use nhi::cedar::{self, Rendering, verify};
use nhi::check::{self, Checked};
use nhi::load::{self, LoadOptions};

use support::{TODAY, date, files_under, nhi, repo, seed, text, workspace, workspaces};

fn check_dir(dir: &Path, today: &str) -> Checked {
    let root = load::find_root(dir).unwrap();
    let checked = check::workspace(&root, LoadOptions::default(), date(today)).unwrap();
    assert!(
        !checked.diagnostics.has_errors(),
        "{}: {:?}",
        dir.display(),
        checked
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    checked
}

fn render(c: &Checked, today: &str) -> Rendering {
    cedar::render(&c.model, &Analysis::new(&c.model, date(today)), &c.db).unwrap()
}

fn copy_dir(from: &Path, to: &Path, reverse: bool) {
    std::fs::create_dir_all(to).unwrap();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if reverse {
        entries.reverse();
    }
    for path in entries {
        let name = path.file_name().unwrap();
        if name == "dist" || name == "target" || name == ".git" || name == "fuzz" {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &to.join(name), reverse);
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn query(principal: &str, action: &str) -> Query {
    Query {
        principal: principal.to_owned(),
        action: action.to_owned(),
        ..Query::default()
    }
}

// ---------------------------------------------------------------------------
// The rendered files

#[test]
fn the_seed_example_alone_builds_to_cedar() {
    let tmp = seed();
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dist = tmp.path().join("dist/cedar");
    insta::assert_snapshot!(
        "seed-policies",
        std::fs::read_to_string(dist.join("policies.cedar")).unwrap()
    );
    insta::assert_snapshot!(
        "seed-schema",
        std::fs::read_to_string(dist.join("schema.cedarschema")).unwrap()
    );
    insta::assert_snapshot!(
        "seed-entities",
        std::fs::read_to_string(dist.join("entities.json")).unwrap()
    );
}

#[test]
fn every_shipped_workspace_passes_strict_validation() {
    for ws in workspaces() {
        let c = check_dir(&ws, TODAY);
        let r = render(&c, TODAY);
        verify::verify_full(&r).unwrap_or_else(|e| panic!("{}: {e}", ws.display()));
        verify::verify(&r).unwrap_or_else(|e| panic!("{}: {e}", ws.display()));
        verify::verify_model(&c.model, &c.analysis, &c.db, None)
            .unwrap_or_else(|e| panic!("{}: {e}", ws.display()));
        let warnings = verify::warnings(&r).unwrap();
        assert!(warnings.is_empty(), "{}: {warnings:?}", ws.display());
        assert!(r.policies.len() >= 10, "{}", ws.display());
        // every policy names its identity (or the guardrails) and its file
        for p in &r.policies {
            match &p.origin.owner {
                Some(owner) => assert!(p.id.starts_with(&format!("{owner}:")), "{}", p.id),
                None => assert!(p.id.starts_with("nhi.yaml:guardrail:"), "{}", p.id),
            }
            assert!(
                p.text(&r.prefix())
                    .contains(&format!("@source(\"{}\")", p.origin.source))
            );
        }
    }
}

#[test]
fn the_policy_file_parses_to_exactly_the_rendered_policies() {
    for ws in workspaces() {
        let c = check_dir(&ws, TODAY);
        let r = render(&c, TODAY);
        let set: cedar_policy::PolicySet = r.policies_text().parse().unwrap();
        let mut ids: Vec<String> = set
            .policies()
            .map(|p| p.annotation("id").unwrap().to_owned())
            .collect();
        ids.sort();
        let mut rendered: Vec<String> = r.policies.iter().map(|p| p.id.clone()).collect();
        rendered.sort();
        assert_eq!(ids, rendered, "{}", ws.display());
        rendered.dedup();
        assert_eq!(rendered.len(), r.policies.len(), "ids are unique");
    }
}

// ---------------------------------------------------------------------------
// The shape shortcut against full validation

/// Both validations on one rendering: `Ok` or the id of the failing
/// policy (or the part that failed).
fn both(r: &Rendering) -> (Result<(), String>, Result<(), String>) {
    let short = verify::verify(r).map_err(|e| e.to_string());
    let full = verify::verify_full(r).map_err(|e| e.to_string());
    (short, full)
}

fn extra_policy(when: Vec<Cond>, actions: Vec<String>) -> Policy {
    Policy {
        id: "tampered:allow".to_owned(),
        effect: Effect::Permit,
        principal: Some(("Agent", nhi::model::Name::parse("tampered").unwrap())),
        actions: Some(actions),
        when,
        origin: Origin {
            owner: None,
            via: Vec::new(),
            rule: Rule::Allow,
            source: "tampered".to_owned(),
            loc: nhi::source::Loc::default(),
            actions: BTreeMap::new(),
        },
    }
}

#[test]
fn the_shape_shortcut_fails_exactly_when_full_validation_fails() {
    let c = check_dir(&repo(), TODAY);
    let good = render(&c, TODAY);
    let (short, full) = both(&good);
    assert!(short.is_ok() && full.is_ok(), "{short:?} {full:?}");

    // a condition on a context key the schema does not declare
    let mut r = good.clone();
    assert!(r.schema.context_keys.remove("dataset"));
    let (short, full) = both(&r);
    assert!(short.is_err() && full.is_err(), "{short:?} {full:?}");
    assert!(
        short
            .unwrap_err()
            .contains("warehouse-reporter:allow:query_warehouse")
    );

    // an action the schema does not declare
    let mut r = good.clone();
    assert!(r.schema.actions.remove("open_incident").is_some());
    let (short, full) = both(&r);
    assert!(short.is_err() && full.is_err(), "{short:?} {full:?}");

    // an empty set literal, which strict mode refuses
    let mut r = good.clone();
    r.policies.push(extra_policy(
        vec![Cond::Holds(Check {
            key: "environment".to_owned(),
            test: Test::OneOf(Vec::new()),
        })],
        vec!["read_ci_status".to_owned()],
    ));
    let (short, full) = both(&r);
    assert!(short.is_err() && full.is_err(), "{short:?} {full:?}");

    // an entity of a type the schema does not declare
    let mut r = good.clone();
    let mut ghost = r.entities.last().unwrap().clone();
    ghost.uid.ty = "Example::Ghost".to_owned();
    r.entities.push(ghost);
    let (short, full) = both(&r);
    assert!(short.is_err() && full.is_err(), "{short:?} {full:?}");

    // a valid extra policy of a new shape passes both
    let mut r = good.clone();
    r.policies.push(extra_policy(
        vec![Cond::ChainContains(nhi::model::Name::parse("x").unwrap())],
        vec!["read_ci_status".to_owned(), "read_metrics".to_owned()],
    ));
    let (short, full) = both(&r);
    assert!(short.is_ok() && full.is_ok(), "{short:?} {full:?}");
}

// ---------------------------------------------------------------------------
// Injection

/// Values that would end a string, a policy or a comment if spliced in.
const HOSTILE: &[&str] = &[
    r#"x"); permit (principal, action, resource); //"#,
    r#"\"#,
    r#"a\"b"#,
    "line\nbreak */ permit",
    "tab\there",
    "bidi \u{202e}reversed\u{202c}",
    "}; forbid (principal, action, resource) when { true",
    "Zürich ✓",
];

fn hostile_workspace() -> tempfile::TempDir {
    let mut identity = String::from(
        "agent: refunder\nowner: \"team\\\"); permit(principal, action, resource); //\"\nauth: oidc_short_lived_token\n\
         purpose: \"*/ permit (principal, action, resource); /*\"\nallowed_actions:\n  - action: issue_refund\n    where:\n      \"odd key\\\"]\":\n",
    );
    for v in HOSTILE {
        identity.push_str(&format!(
            "        - {}\n",
            serde_json::to_string(v).unwrap()
        ));
    }
    identity.push_str("      has: [\"in\"]\ncontext:\n  environments:\n");
    for v in HOSTILE {
        identity.push_str(&format!("    - {}\n", serde_json::to_string(v).unwrap()));
    }
    identity.push_str("labels:\n  \"k\\\"\": \"v\\\\\"\n");
    workspace(&[("identities/refunder.yaml", &identity)])
}

#[test]
fn hostile_values_reach_cedar_only_as_string_literals() {
    let tmp = hostile_workspace();
    let c = check_dir(tmp.path(), TODAY);
    let r = render(&c, TODAY);
    verify::verify_full(&r).unwrap();
    // the file holds exactly the policies rendered, no more
    let set: cedar_policy::PolicySet = r.policies_text().parse().unwrap();
    assert_eq!(set.policies().count(), r.policies.len());
    assert_eq!(r.policies.len(), 1, "one permit: {:?}", r.policies);
    // every value means itself and nothing near it
    let authorizer = Authorizer::new(&c.model, &r).unwrap();
    for value in HOSTILE {
        for env in HOSTILE {
            let mut q = query("refunder", "issue_refund");
            q.attributes
                .insert("odd key\"]".to_owned(), (*value).to_owned());
            q.attributes.insert("has".to_owned(), "in".to_owned());
            q.attributes
                .insert("environment".to_owned(), (*env).to_owned());
            let a = authorizer.decide(&q).unwrap();
            assert_eq!(
                a.decision,
                nhi::analyse::Decision::Allow,
                "{value:?} {env:?}"
            );
            q.attributes
                .insert("odd key\"]".to_owned(), format!("{value} "));
            let a = authorizer.decide(&q).unwrap();
            assert_eq!(a.decision, nhi::analyse::Decision::Deny, "{value:?}");
        }
    }
    // the entities keep the hostile owner, purpose and label as data
    verify::entities(&r, &verify::schema(&r).unwrap()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&r.entities_text()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2, "a team and the identity");
    assert_eq!(
        json[1]["attrs"]["purpose"],
        "*/ permit (principal, action, resource); /*"
    );
    assert_eq!(json[1]["tags"]["k\""], "v\\");
}

#[test]
fn hostile_names_are_refused_before_anything_renders() {
    let tmp = workspace(&[(
        "identities/x.yaml",
        "agent: 'x\", action, resource); permit (principal'\nowner: t\nauth: oidc\nallowed_actions: [\"a\\\"); permit (principal, action, resource); //\"]\n",
    )]);
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("NM001"), "{stderr}");
    assert!(stderr.contains("nothing built"), "{stderr}");
    assert!(!tmp.path().join("dist").exists());
}

#[test]
fn cedar_words_as_names_keys_and_actions_stay_data() {
    let tmp = workspace(&[
        (
            "nhi.yaml",
            "actions:\n  in: {cedar: {resource_types: [Thing]}}\n  permit: {}\n  when: {}\n",
        ),
        (
            "identities/forbid.yaml",
            "agent: forbid\nowner: principal\nauth: oidc\nallowed_actions:\n  - in\n  - action: permit\n    where: {principal: p, context: c, \"\": e}\nforbidden_actions: [when]\n",
        ),
    ]);
    let c = check_dir(tmp.path(), TODAY);
    let r = render(&c, TODAY);
    verify::verify_full(&r).unwrap();
    verify::verify(&r).unwrap();
    let authorizer = Authorizer::new(&c.model, &r).unwrap();
    assert_eq!(
        authorizer.decide(&query("forbid", "in")).unwrap().decision,
        nhi::analyse::Decision::Allow
    );
    let mut q = query("forbid", "permit");
    q.attributes = [("principal", "p"), ("context", "c"), ("", "e")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(
        authorizer.decide(&q).unwrap().decision,
        nhi::analyse::Decision::Allow
    );
    q.attributes.insert("context".to_owned(), "x".to_owned());
    assert_eq!(
        authorizer.decide(&q).unwrap().decision,
        nhi::analyse::Decision::Deny
    );
    let a = authorizer.decide(&query("forbid", "when")).unwrap();
    assert_eq!(a.deciders[0].policy.id, "forbid:forbid");
}

// ---------------------------------------------------------------------------
// Lifecycle states

const STATE_NHI: &str = "actions:\n  read: {}\n  write: {}\n";

fn lifecycle(state: &str, expires: &str) -> tempfile::TempDir {
    workspace(&[
        ("nhi.yaml", STATE_NHI),
        (
            "identities/lead.yaml",
            &format!(
                "agent: lead\nowner: t\nauth: oidc\nallowed_actions: [read, write]\nforbidden_actions: []\n{state}{expires}\
                 delegation:\n  may_delegate_to:\n    - agent: helper\n      actions: [read]\n"
            ),
        ),
        (
            "identities/helper.yaml",
            "agent: helper\nowner: t\nauth: oidc\nallowed_actions: [read]\n",
        ),
    ])
}

fn decide(
    r: &Rendering,
    c: &Checked,
    principal: &str,
    action: &str,
    on_behalf_of: &[&str],
) -> nhi::analyse::Decision {
    let authorizer = Authorizer::new(&c.model, r).unwrap();
    let mut q = query(principal, action);
    q.on_behalf_of = on_behalf_of.iter().map(|s| (*s).to_owned()).collect();
    authorizer.decide(&q).unwrap().decision
}

#[test]
fn a_suspended_identity_keeps_its_objects_and_is_denied_everything() {
    use nhi::analyse::Decision::{Allow, Deny};
    let tmp = lifecycle("", "");
    let c = check_dir(tmp.path(), TODAY);
    let r = render(&c, TODAY);
    assert_eq!(decide(&r, &c, "lead", "write", &[]), Allow);
    assert_eq!(decide(&r, &c, "helper", "read", &["lead"]), Allow);

    let tmp = lifecycle("state: suspended\n", "");
    let c = check_dir(tmp.path(), TODAY);
    let r = render(&c, TODAY);
    verify::verify_full(&r).unwrap();
    let ids: Vec<&str> = r.policies.iter().map(|p| p.id.as_str()).collect();
    for id in ["lead:allow", "lead:suspended", "lead:suspended-delegation"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert!(r.entities_text().contains("\"suspended\""));
    assert_eq!(decide(&r, &c, "lead", "write", &[]), Deny);
    assert_eq!(decide(&r, &c, "lead", "read", &[]), Deny);
    // nobody acts on behalf of a quarantined identity, even along a
    // declared delegation
    assert_eq!(decide(&r, &c, "helper", "read", &["lead"]), Deny);
    assert_eq!(decide(&r, &c, "helper", "read", &[]), Allow);
}

#[test]
fn revoked_and_expired_identities_render_to_nothing() {
    use nhi::analyse::Decision::{Allow, Deny};
    for (state, expires) in [
        ("state: revoked\n", ""),
        ("", "expires: 2026-11-22\n"),
        ("", "expires: 2026-01-01\n"),
    ] {
        let tmp = lifecycle(state, expires);
        let c = check_dir(tmp.path(), TODAY);
        let r = render(&c, TODAY);
        verify::verify_full(&r).unwrap();
        assert!(
            r.policies.iter().all(|p| !p.id.starts_with("lead:")),
            "{state}{expires}"
        );
        assert!(!r.entities_text().contains("\"lead\""));
        // its delegations die with it
        assert!(
            r.policies
                .iter()
                .all(|p| !p.origin.via.iter().any(|v| v.as_str() == "lead"))
        );
        assert_eq!(decide(&r, &c, "lead", "read", &[]), Deny);
        assert_eq!(decide(&r, &c, "helper", "read", &["lead"]), Deny);
        assert_eq!(decide(&r, &c, "helper", "read", &[]), Allow);
    }
    // the day before it expires, it still renders
    let tmp = lifecycle("", "expires: 2026-11-23\n");
    let c = check_dir(tmp.path(), TODAY);
    let r = render(&c, TODAY);
    assert_eq!(decide(&r, &c, "lead", "read", &[]), Allow);
}

// ---------------------------------------------------------------------------
// `nhi build` on disk

#[test]
fn build_output_is_byte_identical_in_any_file_order_and_folder() {
    for ws in workspaces() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let deep = b.path().join("some/deeper/copy");
        copy_dir(&ws, a.path(), false);
        copy_dir(&ws, &deep, true);
        for dir in [a.path(), deep.as_path()] {
            let out = nhi(dir, &["build", "--out", "out"]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        }
        let first = files_under(&a.path().join("out"));
        let second = files_under(&deep.join("out"));
        for file in [
            ".nhi-manifest.json",
            "cedar/entities.json",
            "cedar/policies.cedar",
            "cedar/schema.cedarschema",
        ] {
            assert!(first.contains_key(file), "{}: {file}", ws.display());
        }
        assert_eq!(first, second, "{}", ws.display());
        // and rendering twice in one process gives the same text
        let c = check_dir(&ws, TODAY);
        assert_eq!(
            nhi::render::cedar::artifacts(&render(&c, TODAY)),
            nhi::render::cedar::artifacts(&render(&c, TODAY))
        );
    }
}

#[test]
fn build_check_lists_what_is_stale_and_build_repairs_it() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("examples/ai-agent-platform"),
        tmp.path(),
        false,
    );
    let ws = tmp.path();
    let out = nhi(ws, &["build", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing            dist/cedar/policies.cedar"));

    let out = nhi(ws, &["build"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let files = files_under(&ws.join("dist")).len();
    assert!(
        text(&out.stderr).contains(&format!(
            "built dist/: {files} created, 0 updated, 0 removed, 0 unchanged"
        )),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(ws.join("dist/NOTES.md"), "not nhi's").unwrap();
    let out = nhi(ws, &["build", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("dist/ is up to date ({files} files)")));

    // an identity changes and a file is lost: both are reported
    let path = ws.join("identities/coding-assistant.yaml");
    let yaml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, yaml.replacen("purpose: ", "purpose: Now ", 1)).unwrap();
    std::fs::remove_file(ws.join("dist/cedar/policies.cedar")).unwrap();
    let out = nhi(ws, &["build", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("differs            dist/cedar/entities.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing            dist/cedar/policies.cedar"),
        "{stderr}"
    );
    // the purpose reaches the entities and every cloud's objects; the count
    // says as much as the list
    let listed = stderr
        .lines()
        .filter(|l| l.starts_with("  differs") || l.starts_with("  missing"))
        .count();
    assert!(listed >= 3, "{stderr}");
    assert!(
        stderr.contains(&format!("{listed} of {files} files differ")),
        "{stderr}"
    );

    let out = nhi(ws, &["build"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(nhi(ws, &["build", "--check"]).status.success());
    assert_eq!(
        std::fs::read_to_string(ws.join("dist/NOTES.md")).unwrap(),
        "not nhi's",
        "files nhi did not write are left alone"
    );
}

#[test]
fn build_of_a_workspace_with_errors_writes_nothing() {
    let tmp = workspace(&[(
        "identities/a.yaml",
        "agent: a\nowner: t\nauth: oidc\nallowed_actions: [x]\nforbidden_actions: [x]\n",
    )]);
    let out = nhi(tmp.path(), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("AC001"));
    assert!(!tmp.path().join("dist").exists());
}

#[test]
fn a_credential_never_reaches_the_output_and_its_check_cannot_be_turned_off() {
    let key = "AKIAZ7QXJ4MDNBWLV3TR";
    let tmp = workspace(&[
        ("nhi.yaml", "lints:\n  SE001: off\n"),
        (
            "identities/a.yaml",
            &format!(
                "agent: a\nowner: t\nauth: oidc\nallowed_actions: [read]\nlabels:\n  note: {key}\n"
            ),
        ),
        (
            "decisions/a.yaml",
            &format!(
                "tests:\n  - name: reads {key}\n    principal: a\n    action: read\n    expect: allow\n"
            ),
        ),
    ]);
    let out = nhi(tmp.path(), &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("`SE001` cannot be turned down: a credential in the workspace is always an"),
        "{stderr}"
    );
    assert!(
        stderr.contains("value looks like an AWS access key"),
        "{stderr}"
    );
    assert!(!stderr.contains(key));
    for command in [&["build"][..], &["test", "--format", "json"]] {
        let out = nhi(tmp.path(), command);
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert!(!text(&out.stderr).contains(key) && !text(&out.stdout).contains(key));
    }
    assert!(!tmp.path().join("dist").exists());
}

#[test]
fn verification_through_the_cache_renders_again_only_what_changed_and_its_delegates() {
    let tmp = support::example("ai-agent-platform");
    let dir = tmp.path();
    let cache = load::cache::Session::memory(dir);
    let verify =
        |c: &Checked| verify::verify_model(&c.model, &c.analysis, &c.db, Some(&cache)).unwrap();
    let rendered = |c: &Checked| verify(c).rendered;
    let edit = |path: &str| {
        let file = dir.join(path);
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("# edited\n");
        std::fs::write(file, text).unwrap();
    };
    let c = check_dir(dir, TODAY);
    let live = c.analysis.live(&c.model).count();
    assert!(live >= 3);
    let first = verify(&c);
    assert_eq!(first.rendered, live, "the first run renders every identity");
    assert!(first.validated);
    let again = verify(&c);
    assert_eq!(again.rendered, 0, "nothing changed, nothing rendered");
    assert!(!again.validated, "the same shapes passed before");
    // the identities support-triage's delegations reach
    let chains = c.analysis.chains().unwrap();
    let delegates: Vec<_> = chains
        .iter()
        .filter(|(_, cs)| {
            cs.iter()
                .any(|ch| ch.delegators.iter().any(|d| d.as_str() == "support-triage"))
        })
        .map(|(d, _)| d.clone())
        .collect();
    assert!(!delegates.is_empty());
    edit("identities/support-triage.yaml");
    let c = check_dir(dir, TODAY);
    assert_eq!(
        rendered(&c),
        1 + delegates.len(),
        "support-triage and {delegates:?} render again"
    );
    // a delegate alone renders again by itself
    edit(&format!("identities/{}.yaml", delegates[0].as_str()));
    let c = check_dir(dir, TODAY);
    assert_eq!(rendered(&c), 1);
    // the settings touch everyone
    edit("nhi.yaml");
    let c = check_dir(dir, TODAY);
    assert_eq!(rendered(&c), live);
    // and the answer is the one a run without the cache gives
    assert_eq!(
        verify::verify_model(&c.model, &c.analysis, &c.db, None)
            .unwrap()
            .rendered,
        live
    );
}
