//! `--prove` with the real solver: `nhi diff --prove` over Git repositories
//! (new access with its counterexample, narrowing and reformatting proven
//! harmless, a dropped forbid, a changed environment), `nhi check --prove`
//! on every shipped workspace and on renderings broken on purpose, the
//! solver's absence, and a property test holding the proof against
//! `nhi diff`'s own permission-level answer.
//!
//! The solver is cvc5 1.3: `CVC5`, or what `scripts/install-cvc5.sh`
//! installs under `target/cvc5`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::disallowed_methods,
    reason = "tests build repositories on disk and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

#[path = "support/repo.rs"]
mod repo;

use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::Value;

use nhi::cedar::index::Index;
use nhi::cedar::policy::{Cond, Rule};
use nhi::check::{self, Checked};
use nhi::diff::Side;
use nhi::load::LoadOptions;
use nhi::prove::slice;
use nhi::prove::{Prover, SolverConfig, Verdict, access, properties};

use repo::{HELPER, RELEASE, Repo, kinds};
use support::{date, nhi, solver, text, workspaces};

fn config() -> SolverConfig {
    SolverConfig::new(Some(solver().into()), Duration::from_secs(30))
}

/// The proof of one identity in a `diff --format json --prove` report.
fn proof_of<'a>(report: &'a Value, identity: &str) -> &'a Value {
    report["proof"]["identities"]
        .as_array()
        .unwrap_or_else(|| panic!("no proof in {report}"))
        .iter()
        .find(|p| p["identity"] == identity)
        .unwrap_or_else(|| panic!("no proof of {identity} in {}", report["proof"]))
}

fn has(report: &Value, change: (&str, &str, &str)) -> bool {
    kinds(report).contains(&(change.0.into(), change.1.into(), change.2.into()))
}

#[test]
fn an_action_gained_is_new_access_with_a_counterexample_naming_it() {
    let r = Repo::new();
    r.write(
        "identities/helper.yaml",
        &HELPER.replace("[read_ci_status]", "[read_ci_status, publish_artifact]"),
    );
    let (code, report) = r.diff(&["--prove"]);
    assert_eq!(code, Some(0));
    let helper = proof_of(&report, "helper");
    assert_eq!(helper["outcome"], "new-access");
    let cex = &helper["counterexamples"][0];
    assert_eq!(cex["principal"], "Agent::\"helper\"");
    assert_eq!(cex["action"], "Action::\"publish_artifact\"");
    assert_eq!(cex["policies"], serde_json::json!(["helper:allow"]));
    assert!(
        has(&report, ("high", "helper", "new-access-proven")),
        "{report}"
    );
    assert!(report["proof"]["stats"]["queries"].as_u64().unwrap() >= 1);
    // it counts as high for --fail-on
    let (code, _) = r.diff(&["--prove", "--fail-on", "high"]);
    assert_eq!(code, Some(1));
    // and reads as a sentence in the human output, with the time it took
    let out = nhi(r.path(), &["diff", "--prove"]);
    let human = text(&out.stdout);
    assert!(human.contains("proof (cvc5 1.3."), "{human}");
    assert!(
        human.contains("helper                   new access\n    allows Agent::\"helper\" doing Action::\"publish_artifact\" on Resource::\"\""),
        "{human}"
    );
}

#[test]
fn a_where_narrowed_is_proven_no_new_access() {
    let r = Repo::new();
    let wide = RELEASE.replace(
        "allowed_actions: [read_ci_status, publish_artifact]",
        "allowed_actions:\n  - read_ci_status\n  - action: publish_artifact\n    where: {repository: [web, api]}",
    );
    r.write("identities/release-assistant.yaml", &wide);
    r.commit("publish only web and api");
    r.write(
        "identities/release-assistant.yaml",
        &wide.replace("[web, api]", "[web]"),
    );
    let (code, report) = r.diff(&["--prove", "--fail-on", "high"]);
    assert_eq!(code, Some(0), "{report}");
    let proof = proof_of(&report, "release-assistant");
    assert_eq!(proof["outcome"], "no-new-access");
    assert!(proof["environments"].as_u64().unwrap() >= 2, "{proof}");
    assert!(proof.get("counterexamples").is_none(), "{proof}");
    // widening it back is new access, in that narrowing's terms
    r.commit("web only");
    r.write("identities/release-assistant.yaml", &wide);
    let (_, report) = r.diff(&["--prove"]);
    let cex = &proof_of(&report, "release-assistant")["counterexamples"][0];
    assert_eq!(cex["action"], "Action::\"publish_artifact\"");
    assert_eq!(cex["context"]["repository"], "\"api\"");
}

#[test]
fn reordered_or_reformatted_policies_are_proven_unchanged() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        "agent: release-assistant   # reordered\nforbidden_actions:\n  - deploy_production\nallowed_actions:\n  - publish_artifact\n  - read_ci_status\nauth: {method: oidc, issuer: \"https://token.actions.githubusercontent.com\", ttl: 60m, subject: \"repo:example/web:ref:refs/heads/main\"}\nowner: platform-team\ndelegation: {may_delegate_to: [{agent: helper, actions: [read_ci_status]}]}\n",
    );
    let (code, report) = r.diff(&["--prove", "--fail-on", "low"]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(kinds(&report), []);
    let identities = report["proof"]["identities"].as_array().unwrap();
    assert_eq!(
        identities.len(),
        1,
        "only the file that changed: {identities:?}"
    );
    assert_eq!(identities[0]["identity"], "release-assistant");
    assert_eq!(identities[0]["outcome"], "no-new-access");
    // both its actions (deploy_production, which nothing permits, stays
    // denied without a query)
    assert_eq!(identities[0]["environments"], 2);
}

#[test]
fn a_forbidden_action_dropped_fails_the_always_denies_proof() {
    let r = Repo::new();
    r.write(
        "identities/release-assistant.yaml",
        &RELEASE
            .replace("forbidden_actions: [deploy_production]\n", "")
            .replace(
                "[read_ci_status, publish_artifact]",
                "[read_ci_status, publish_artifact, deploy_production]",
            ),
    );
    let (_, report) = r.diff(&["--prove"]);
    let proof = proof_of(&report, "release-assistant");
    assert_eq!(proof["outcome"], "new-access");
    let cex = &proof["forbidden_allowed"][0];
    assert_eq!(cex["action"], "Action::\"deploy_production\"");
    assert_eq!(
        cex["policies"],
        serde_json::json!(["release-assistant:allow"])
    );
    assert!(
        has(&report, ("high", "release-assistant", "forbidden-allowed")),
        "{report}"
    );
}

#[test]
fn an_environment_condition_changed_gives_a_counterexample_in_that_context() {
    let r = Repo::new();
    let staging = format!("{HELPER}context:\n  environments: [staging]\n");
    r.write("identities/helper.yaml", &staging);
    r.commit("helper in staging");
    r.write(
        "identities/helper.yaml",
        &staging.replace("[staging]", "[production]"),
    );
    let (_, report) = r.diff(&["--prove"]);
    let proof = proof_of(&report, "helper");
    assert_eq!(proof["outcome"], "new-access");
    let cex = &proof["counterexamples"][0];
    assert_eq!(cex["action"], "Action::\"read_ci_status\"");
    assert_eq!(cex["context"]["environment"], "\"production\"");
    // the markdown comment carries it too
    let out = nhi(r.path(), &["diff", "--prove", "--format", "markdown"]);
    let comment = text(&out.stdout);
    assert!(
        comment.contains("environment = \"production\""),
        "{comment}"
    );
}

#[test]
fn without_cvc5_1_3_prove_stops_with_exit_2() {
    let r = Repo::new();
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("cvc5");
    std::fs::write(
        &old,
        "#!/bin/sh\necho 'This is cvc5 version 1.2.0 [git tag 1.2.0]'\n",
    )
    .unwrap();
    make_executable(&old);
    for (program, says) in [
        (
            "/nonexistent/cvc5",
            "cannot run the SMT solver `/nonexistent/cvc5`",
        ),
        (old.to_str().unwrap(), "is not cvc5 1.3: version 1.2.0"),
    ] {
        for args in [&["check", "--prove"][..], &["diff", "--prove"][..]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi"))
                .arg("-C")
                .arg(r.path())
                .args(args)
                .env("CVC5", program)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {err}");
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(out.stdout.is_empty(), "nothing half-done on stdout");
        }
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_undecided_query_is_pf004_never_proven() {
    // a solver that gives up on everything
    let dir = tempfile::tempdir().unwrap();
    let lazy = dir.path().join("cvc5");
    std::fs::write(
        &lazy,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'This is cvc5 version 1.3.1'; exit 0; fi\nwhile read -r line; do case \"$line\" in *check-sat*) echo unknown;; esac; done\n",
    )
    .unwrap();
    make_executable(&lazy);
    let release = format!("{RELEASE}context:\n  environments: [staging]\n");
    let ws = support::workspace(&[
        ("nhi.yaml", repo::NHI_YAML),
        ("identities/release-assistant.yaml", &release),
        ("identities/helper.yaml", HELPER),
    ]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nhi"))
        .arg("-C")
        .arg(ws.path())
        .args(["check", "--prove", "--format", "json"])
        .env("CVC5", &lazy)
        .env("NHI_TODAY", support::TODAY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"PF004"), "{codes:?}");
}

#[test]
fn check_prove_proves_every_shipped_workspace() {
    for ws in workspaces() {
        let out = nhi(&ws, &["check", "--prove"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", ws.display());
        assert!(!err.contains("PF00"), "{}: {err}", ws.display());
        let summary = err
            .lines()
            .find(|l| l.starts_with("proof (cvc5 1.3."))
            .unwrap_or_else(|| panic!("{}: no proof summary in {err}", ws.display()));
        assert!(summary.contains(" queries, "), "{summary}");
    }
}

// ---------------------------------------------------------------------------
// Renderings broken on purpose: the proofs look at the rendered policies,
// not at the model.

fn checked(files: &[(&str, &str)]) -> (tempfile::TempDir, Checked) {
    let ws = support::workspace(files);
    let c = check::workspace(ws.path(), LoadOptions::default(), date(support::TODAY)).unwrap();
    assert!(!c.diagnostics.has_errors(), "{:?}", c.diagnostics);
    (ws, c)
}

fn codes(d: &nhi::diag::Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn a_rendering_that_loses_a_forbid_is_pf001_with_the_request() {
    let (_ws, c) = checked(&[
        ("nhi.yaml", repo::NHI_YAML),
        ("identities/release-assistant.yaml", RELEASE),
        ("identities/helper.yaml", HELPER),
    ]);
    let mut rendering = nhi::cedar::render(&c.model, &c.analysis, &c.db).unwrap();
    let mut prover = Prover::start(&config(), &rendering.schema).unwrap();
    let (summary, found) =
        properties::prove(&mut prover, &c.model, &c.analysis, &rendering).unwrap();
    assert_eq!(codes(&found), [""; 0], "the real rendering proves");
    assert!(summary.denied >= 1 && summary.never_errors >= 1 && summary.delegations >= 1);
    // a renderer that forgot the forbid and folded the action into the permit
    rendering
        .policies
        .retain(|p| p.id != "release-assistant:forbid");
    let allow = rendering
        .policies
        .iter_mut()
        .find(|p| p.id == "release-assistant:allow")
        .unwrap();
    allow
        .actions
        .as_mut()
        .unwrap()
        .push("deploy_production".into());
    let (_, found) = properties::prove(&mut prover, &c.model, &c.analysis, &rendering).unwrap();
    assert_eq!(codes(&found), ["PF001"]);
    let d = found.iter().next().unwrap();
    assert_eq!(
        d.message,
        "the rendered policies allow `release-assistant` `deploy_production`, which it forbids"
    );
    // at the YAML that forbids it
    let line = c.db.line_col(d.primary_loc().unwrap()).line;
    assert_eq!(
        RELEASE.lines().nth(line - 1).unwrap(),
        "forbidden_actions: [deploy_production]"
    );
    assert!(
        d.notes[0].starts_with(
            "the request: Agent::\"release-assistant\" doing Action::\"deploy_production\""
        ),
        "{:?}",
        d.notes
    );
}

#[test]
fn a_delegation_that_loses_its_delegators_environment_is_pf003() {
    let release = format!("{RELEASE}context:\n  environments: [staging]\n");
    let (_ws, c) = checked(&[
        ("nhi.yaml", repo::NHI_YAML),
        ("identities/release-assistant.yaml", &release),
        ("identities/helper.yaml", HELPER),
    ]);
    let mut rendering = nhi::cedar::render(&c.model, &c.analysis, &c.db).unwrap();
    let mut prover = Prover::start(&config(), &rendering.schema).unwrap();
    let (_, found) = properties::prove(&mut prover, &c.model, &c.analysis, &rendering).unwrap();
    assert_eq!(codes(&found), [""; 0]);
    // the delegated permit without the delegator's environment
    let delegated = rendering
        .policies
        .iter_mut()
        .find(|p| p.origin.rule == Rule::Delegated)
        .unwrap();
    assert!(delegated.when.iter().any(|c| matches!(c, Cond::Holds(_))));
    delegated.when.retain(|c| !matches!(c, Cond::Holds(_)));
    let (_, found) = properties::prove(&mut prover, &c.model, &c.analysis, &rendering).unwrap();
    assert_eq!(codes(&found), ["PF003"]);
    let d = found.iter().next().unwrap();
    assert_eq!(
        d.message,
        "`helper` acting for `release-assistant` may do `read_ci_status` in a request that `release-assistant` itself may not"
    );
    assert!(
        d.notes[0].contains("Agent::\"release-assistant\" doing Action::\"read_ci_status\""),
        "{:?}",
        d.notes
    );
    assert!(
        !d.notes[0].contains("environment = \"staging\""),
        "{:?}",
        d.notes
    );
}

#[test]
fn a_policy_that_can_error_is_refuted_by_never_errors() {
    // nhi renders no such policy (every attribute it reads is guarded by
    // `has`, every value is a string), so the PF002 proof is shown on one
    // written by hand: the sum overflows in one region
    let (_ws, c) = checked(&[
        ("nhi.yaml", repo::NHI_YAML),
        ("identities/helper.yaml", HELPER),
    ]);
    let rendering = nhi::cedar::render(&c.model, &c.analysis, &c.db).unwrap();
    let mut prover = Prover::start(&config(), &rendering.schema).unwrap();
    let env = slice::request_types(&rendering.schema, "Agent", "read_ci_status")
        .pop()
        .unwrap();
    let fails = cedar_policy::Policy::parse(
        Some(cedar_policy::PolicyId::new("hand-written")),
        "permit (principal, action, resource) when { context has region && 9223372036854775807 + (if context.region == \"eu-west-1\" then 1 else 0) > 0 };",
    )
    .unwrap();
    let Verdict::Refuted(cex) = prover.never_errors_cedar(&fails, &env).unwrap() else {
        panic!("PF002: the sum can overflow");
    };
    assert_eq!(cex.context["region"], "\"eu-west-1\"", "{cex}");
    let rendered = rendering
        .policies
        .iter()
        .find(|p| p.id == "helper:allow")
        .unwrap();
    assert_eq!(
        prover.never_errors(rendered, &env).unwrap(),
        Verdict::Proven
    );
}

// ---------------------------------------------------------------------------
// The proof and `nhi diff`'s own answer agree on Cedar.

/// One identity's rights: which of three actions, in which environments
/// (none: any), and a `where` narrowing of the first one.
#[derive(Clone, Debug)]
struct Rights {
    actions: [bool; 3],
    environments: Vec<&'static str>,
    repositories: Option<Vec<&'static str>>,
}

const ACTIONS: [&str; 3] = ["read_ci_status", "publish_artifact", "deploy_production"];

fn rights() -> impl Strategy<Value = Rights> {
    let envs = proptest::sample::subsequence(vec!["staging", "production"], 0..=2);
    let repos = proptest::option::of(proptest::sample::subsequence(vec!["web", "api"], 1..=2));
    (any::<[bool; 3]>(), envs, repos).prop_map(|(actions, environments, repositories)| Rights {
        actions,
        environments,
        repositories,
    })
}

fn helper_yaml(r: &Rights) -> String {
    let mut out = String::from(
        "agent: helper\nowner: platform-team\nauth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/web:ref:refs/heads/helper\nallowed_actions:\n",
    );
    let mut any = false;
    for (i, action) in ACTIONS.iter().enumerate() {
        if !r.actions[i] {
            continue;
        }
        any = true;
        match (&r.repositories, i) {
            (Some(repos), 0) => out.push_str(&format!(
                "  - action: {action}\n    where: {{repository: [{}]}}\n",
                repos.join(", ")
            )),
            _ => out.push_str(&format!("  - {action}\n")),
        }
    }
    if !any {
        out = out.replace("allowed_actions:\n", "allowed_actions: []\n");
    }
    if !r.environments.is_empty() {
        out.push_str(&format!(
            "context:\n  environments: [{}]\n",
            r.environments.join(", ")
        ));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_proof_agrees_with_diffs_permission_level_answer(base in rights(), head in rights()) {
        let (_b, b) = checked(&[("nhi.yaml", repo::NHI_YAML), ("identities/helper.yaml", &helper_yaml(&base))]);
        let (_h, h) = checked(&[("nhi.yaml", repo::NHI_YAML), ("identities/helper.yaml", &helper_yaml(&head))]);
        // nhi diff's answer, on Cedar
        let by_diff = nhi::diff::access::new_access(Side::of(&b), Side::of(&h))
            .iter()
            .any(|c| c.summary.contains("Cedar `"));
        // the solver's
        let (br, hr) = (
            nhi::cedar::render(&b.model, &b.analysis, &b.db).unwrap(),
            nhi::cedar::render(&h.model, &h.analysis, &h.db).unwrap(),
        );
        let schema = slice::union_schema(&br.schema, &hr.schema);
        let (bi, hi) = (Index::new(&br), Index::new(&hr));
        let everyone = ["helper".to_owned()].into_iter().collect();
        let mut prover = Prover::start(&config(), &schema).unwrap();
        let proof = access::prove(&mut prover, &bi, &hi, &everyone, &schema).unwrap();
        let by_proof = proof.identities.iter().any(|p| !p.counterexamples.is_empty());
        prop_assert_eq!(by_diff, by_proof, "base {:?} head {:?}: {:?}", base, head, proof.identities);
        // nothing forbidden, and nothing undecided
        prop_assert!(proof.identities.iter().all(|p| p.forbidden_allowed.is_empty() && p.undecided.is_empty()));
    }
}
