//! The lint rules beyond their documented examples (each rule's bad and
//! good example is run by tests/rules.rs): the settings that tune them,
//! suppressions, and which identities they judge.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "tests write workspaces and fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use serde_json::Value;
use support::{nhi, text, workspace};

const NHI_YAML: &str = "\
teams:
  platform-team: {email: platform@example.com, members: [ada@example.com]}
actions:
  read_ci_status: {access: read}
  change_permissions: {access: permissions_management}
";

/// A complete identity that no lint rule reports, as of 2026-11-22.
const CLEAN: &str = "\
agent: release-assistant
owner: platform-team
purpose: Publish release notes
accountable: ada@example.com
auth:
  method: oidc
  issuer: https://token.actions.githubusercontent.com
  subject: repo:example/web:ref:refs/heads/main
  ttl: 1h
allowed_actions: [read_ci_status]
review_cycle: quarterly
last_reviewed: 2026-10-01
";

/// (code, line) of every diagnostic, and the exit code.
fn check(nhi_yaml: &str, identity: &str) -> (Option<i32>, Vec<(String, u64)>, Value) {
    let ws = workspace(&[
        ("nhi.yaml", nhi_yaml),
        ("identities/release-assistant.yaml", identity),
    ]);
    let out = nhi(ws.path(), &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (out.status.code(), found, json)
}

fn codes(found: &[(String, u64)]) -> Vec<&str> {
    found.iter().map(|(c, _)| c.as_str()).collect()
}

#[test]
fn a_complete_identity_is_clean() {
    let (status, found, _) = check(NHI_YAML, CLEAN);
    assert_eq!((status, found), (Some(0), Vec::new()));
}

#[test]
fn a_subject_that_others_tokens_can_match_is_an_error_at_its_line() {
    for open in [
        "\"*\"",
        "\"repo:*\"",
        "\"repo:*/web:ref:refs/heads/main\"",
        "\"repo:example/*\"",
        "repo:example/web*",
        "\"system:serviceaccount:*:deployer\"",
    ] {
        let identity = CLEAN.replace("repo:example/web:ref:refs/heads/main", open);
        let (status, found, json) = check(NHI_YAML, &identity);
        assert_eq!(
            (status, found),
            (Some(1), vec![("CR006".to_owned(), 8)]),
            "{open}"
        );
        assert_eq!(json["diagnostics"][0]["severity"], "error");
    }
    for pinned in [
        "repo:example/web:ref:refs/heads/release-*",
        "repo:example/web:*",
        "project_path:example/group/web:ref_type:branch:ref:*",
    ] {
        let identity = CLEAN.replace("repo:example/web:ref:refs/heads/main", pinned);
        assert_eq!(check(NHI_YAML, &identity).1, Vec::new(), "{pinned}");
    }
}

#[test]
fn guardrails_tune_the_limits() {
    let long = CLEAN.replace("ttl: 1h", "ttl: 2h");
    assert_eq!(check(NHI_YAML, &long).1, Vec::new(), "2h is within 12h");
    let strict = format!("{NHI_YAML}guardrails: {{max_token_ttl: 1h}}\n");
    let (status, found, json) = check(&strict, &long);
    assert_eq!((status, codes(&found)), (Some(1), vec!["CR003"]));
    assert_eq!(found[0].1, 9);
    let d = &json["diagnostics"][0];
    assert_eq!(
        d["message"],
        "tokens of `release-assistant` last 2h, longer than the 1h allowed"
    );
    // the guardrail is shown beside the token
    assert_eq!(d["labels"][1]["file"], "nhi.yaml");

    let keyed = CLEAN.replace(
        "  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/web:ref:refs/heads/main\n  ttl: 1h\n",
        "  method: oauth_client_credentials\n  secret_ref: vault://kv/ra\n  rotation: 60d\n",
    );
    assert_eq!(check(NHI_YAML, &keyed).1, Vec::new(), "60d is within 90d");
    let strict = format!("{NHI_YAML}guardrails: {{max_secret_rotation: 30d}}\n");
    assert_eq!(codes(&check(&strict, &keyed).1), vec!["CR002"]);

    let expiring = format!("{CLEAN}expires: 2027-01-10\n");
    assert_eq!(check(NHI_YAML, &expiring).1, Vec::new(), "49 days away");
    let notice = format!("{NHI_YAML}guardrails: {{expiry_notice: 60d}}\n");
    assert_eq!(check(&notice, &expiring).1, vec![("LC004".to_owned(), 13)]);

    let staged = format!("{CLEAN}context: {{environments: [staging, preview]}}\n");
    assert_eq!(check(NHI_YAML, &staged).1, Vec::new());
    let isolated = format!("{NHI_YAML}guardrails: {{isolated_environments: [staging]}}\n");
    assert_eq!(codes(&check(&isolated, &staged).1), vec!["ENV001"]);
}

#[test]
fn severities_are_configurable() {
    let bare = CLEAN.replace("accountable: ada@example.com\n", "");
    assert_eq!(codes(&check(NHI_YAML, &bare).1), vec!["OWN001"]);
    let (status, found, _) = check(&format!("{NHI_YAML}lints: {{OWN001: error}}\n"), &bare);
    assert_eq!((status, codes(&found)), (Some(1), vec!["OWN001"]));
    let (status, found, _) = check(
        &format!("{NHI_YAML}lints: {{accountable-missing: off}}\n"),
        &bare,
    );
    assert_eq!((status, found), (Some(0), Vec::new()));
}

#[test]
fn a_suppression_needs_a_reason_and_is_reported() {
    let admin = CLEAN.replace(
        "allowed_actions: [read_ci_status]",
        "allowed_actions: [read_ci_status, change_permissions]",
    );
    assert_eq!(check(NHI_YAML, &admin).1, vec![("PRV001".to_owned(), 10)]);

    let waived = format!(
        "{admin}suppress:\n  - rule: admin-permission\n    reason: grants deploy keys to new repositories, reviewed monthly\n"
    );
    let (status, found, json) = check(NHI_YAML, &waived);
    assert_eq!((status, found), (Some(0), vec![("SUP001".to_owned(), 14)]));
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "info");
    assert_eq!(
        d["message"],
        "`PRV001` admin-permission suppressed: grants deploy keys to new repositories, reviewed monthly"
    );
    assert_eq!(
        d["notes"][0],
        "the finding: `release-assistant` may `change_permissions`: it manages permissions"
    );

    // no reason, or a rule that is not a lint: an error, and nothing is waived
    let empty = format!("{admin}suppress:\n  - rule: PRV001\n    reason: \"  \"\n");
    let (status, found, _) = check(NHI_YAML, &empty);
    assert_eq!((status, codes(&found)), (Some(1), vec!["PRV001", "SUP003"]));
    let guard = format!("{CLEAN}suppress:\n  - rule: RF001\n    reason: legacy\n");
    let (status, found, json) = check(NHI_YAML, &guard);
    assert_eq!((status, codes(&found)), (Some(1), vec!["SUP003"]));
    assert_eq!(
        json["diagnostics"][0]["message"],
        "`RF001` unknown-action cannot be suppressed"
    );
    let typo = format!("{CLEAN}suppress:\n  - rule: admin-permision\n    reason: legacy\n");
    let (_, _, json) = check(NHI_YAML, &typo);
    assert_eq!(
        json["diagnostics"][0]["help"],
        "did you mean `admin-permission`?"
    );
    // a suppression without a reason key is a schema error
    let missing = format!("{CLEAN}suppress:\n  - rule: PRV001\n");
    assert_eq!(codes(&check(NHI_YAML, &missing).1), vec!["SC003"]);
}

#[test]
fn a_suppression_covers_only_its_own_identity() {
    let ws = workspace(&[
        ("nhi.yaml", NHI_YAML),
        (
            "identities/release-assistant.yaml",
            &format!(
                "{}suppress:\n  - rule: OWN001\n    reason: being staffed\n",
                CLEAN.replace("accountable: ada@example.com\n", "")
            ),
        ),
        (
            "identities/helper.yaml",
            &CLEAN
                .replace("agent: release-assistant", "agent: helper")
                .replace("accountable: ada@example.com\n", "")
                .replace("refs/heads/main", "refs/heads/helper"),
        ),
    ]);
    let out = nhi(ws.path(), &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(&str, &str)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("OWN001", "identities/helper.yaml"),
            ("SUP001", "identities/release-assistant.yaml"),
        ]
    );
}

#[test]
fn offboarded_identities_are_not_asked_for_reviews() {
    // revoked: access is gone, so nothing about its review or owner matters
    let revoked = format!(
        "{}state: revoked\n",
        CLEAN
            .replace("accountable: ada@example.com\n", "")
            .replace("last_reviewed: 2026-10-01\n", "last_reviewed: 2020-01-01\n")
    );
    assert_eq!(check(NHI_YAML, &revoked).1, Vec::new());
    // expired: only that it expired, so the file is removed
    let expired = format!(
        "{}expires: 2026-11-01\n",
        CLEAN.replace("last_reviewed: 2026-10-01\n", "last_reviewed: 2020-01-01\n")
    );
    assert_eq!(check(NHI_YAML, &expired).1, vec![("LC003".to_owned(), 13)]);
    // suspended: still an identity under review
    let suspended = format!(
        "{}state: suspended\n",
        CLEAN.replace("last_reviewed: 2026-10-01\n", "last_reviewed: 2020-01-01\n")
    );
    assert_eq!(
        check(NHI_YAML, &suspended).1,
        vec![("LC001".to_owned(), 12)]
    );
}

/// A workspace rendering into AWS: a read on taggable log streams, a
/// describe on `*` only, a snapshot that creates what it is authorized on.
const AWS_YAML: &str = "\
teams:
  platform-team: {email: platform@example.com, members: [ada@example.com]}
actions:
  read_logs:
    access: read
    aws: {actions: [\"logs:GetLogEvents\"], resources: [\"arn:aws:logs:*:123456789012:log-group:app:*\"]}
  describe_instances:
    access: list
    aws: {actions: [\"ec2:DescribeInstances\"], resources: [\"*\"], wildcard_reason: describe calls take no resource}
  snapshot_database:
    access: write
    aws: {actions: [\"rds:CreateDBSnapshot\"], resources: [\"arn:aws:rds:eu-west-1:123456789012:db:orders\", \"arn:aws:rds:eu-west-1:123456789012:snapshot:orders-*\"]}
targets:
  aws:
    account_id: \"123456789012\"
    oidc_providers: [https://token.actions.githubusercontent.com]
default_targets: [aws]
";

#[test]
fn what_aws_cannot_enforce_is_said_once_at_its_line() {
    let identity = CLEAN.replace(
        "allowed_actions: [read_ci_status]",
        "allowed_actions:\n  - read_logs\n  - action: describe_instances\n    where: {team: [payments]}\n  - snapshot_database",
    ) + "context:\n  environments: [ci]\n  attributes:\n    team: [payments, billing]\n";
    let (status, found, json) = check(AWS_YAML, &identity);
    // the environment once, at the context; the untaggable describe at
    // its `where`; the taggable read and the create are narrowed by tags
    assert_eq!(
        (status, found),
        (
            Some(0),
            vec![("TG011".to_owned(), 13), ("TG011".to_owned(), 18)]
        )
    );
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "AWS evaluates no tag condition for `ec2:DescribeInstances` of `release-assistant`: its role allows them whatever their `team`, and only Cedar holds it to `payments`",
            "AWS cannot see the environment of `release-assistant`'s requests, and its role's trust does not pin it: its role allows `describe_instances`, `read_logs`, `snapshot_database` in every environment, and only Cedar holds it to `ci`",
        ]
    );
    assert_eq!(json["diagnostics"][0]["severity"], "warning");

    // a subject pinned to the environment enforces it in the trust
    let pinned = identity.replace(
        "repo:example/web:ref:refs/heads/main",
        "repo:example/web:environment:ci",
    );
    assert_eq!(check(AWS_YAML, &pinned).1, vec![("TG011".to_owned(), 13)]);
    // accepted, with a reason
    let accepted = format!(
        "{pinned}suppress:\n  - rule: unenforced-condition\n    reason: describe calls read no team's data\n"
    );
    assert_eq!(codes(&check(AWS_YAML, &accepted).1), vec!["SUP001"]);
}

#[test]
fn a_time_window_is_enforced_where_a_target_can_and_said_where_it_cannot() {
    // AWS holds the window to `aws:CurrentTime`: nothing to say
    let boxed = CLEAN.replace(
        "allowed_actions: [read_ci_status]",
        "allowed_actions:\n  - read_logs\n  - action: snapshot_database\n    valid_from: 2026-11-20T08:00:00Z\n    valid_until: 2026-12-20T08:00:00Z",
    );
    assert_eq!(check(AWS_YAML, &boxed).1, Vec::new());
    // once it has ended, the entry should go
    let ended = boxed.replace("2026-12-20T08:00:00Z", "2026-11-21T08:00:00Z");
    let (status, found, json) = check(AWS_YAML, &ended);
    assert_eq!((status, found), (Some(0), vec![("LC005".to_owned(), 14)]));
    assert_eq!(
        json["diagnostics"][0]["message"],
        "the window of `snapshot_database` of `release-assistant` ended at 2026-11-21T08:00:00Z: its entry should go"
    );
    // a time after an approval is the approval's, which AWS cannot ask for
    let approved = boxed.replace(
        "    valid_from: 2026-11-20T08:00:00Z\n    valid_until: 2026-12-20T08:00:00Z",
        "    approval: platform-team\n    valid_for: 30m",
    );
    let (_, found, json) = check(AWS_YAML, &approved);
    assert_eq!(
        found,
        vec![("TG011".to_owned(), 13), ("TG011".to_owned(), 14)]
    );
    assert_eq!(
        json["diagnostics"][1]["message"],
        "AWS cannot ask for a human's approval: its role allows `snapshot_database` of `release-assistant` without one, and only Cedar holds it to requests less than 30m after their approval"
    );
}

/// `(line, message)` of each DG007 of a workspace of these identities.
fn never_applies(identities: &[(&str, &str)]) -> Vec<(u64, String)> {
    let mut files = vec![("nhi.yaml", NHI_YAML)];
    let paths: Vec<String> = identities
        .iter()
        .map(|(name, _)| format!("identities/{name}.yaml"))
        .collect();
    files.extend(
        paths
            .iter()
            .map(String::as_str)
            .zip(identities.iter().map(|(_, y)| *y)),
    );
    let ws = workspace(&files);
    let out = nhi(ws.path(), &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "DG007")
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An identity holding `read_ci_status` (narrowed by `narrowing`) in
/// `regions`, delegating it to `to`.
fn delegating(name: &str, regions: &str, narrowing: &str, to: &str) -> String {
    let delegation = if to.is_empty() {
        String::new()
    } else {
        format!(
            "delegation:\n  may_delegate_to:\n    - agent: {to}\n      actions: [read_ci_status]\n"
        )
    };
    format!(
        "agent: {name}\nowner: platform-team\nauth: oidc\nallowed_actions:\n  - action: read_ci_status\n{narrowing}context:\n  regions: [{regions}]\n{delegation}"
    )
}

#[test]
fn a_delegation_no_request_can_use_is_dg007_at_its_action() {
    let helper = |regions: &str, state: &str| {
        format!(
            "agent: helper\nowner: platform-team\nauth: oidc\n{state}context:\n  regions: [{regions}]\n"
        )
    };
    let lead = delegating("lead", "eu-west-1", "", "helper");
    // the two act in no common region: reported at the delegated action
    let found = never_applies(&[("lead", &lead), ("helper", &helper("us-east-1", ""))]);
    assert_eq!(
        found,
        [(
            11,
            "`helper` can never use `read_ci_status` on behalf of `lead`: no request meets the conditions of both on `region`".to_owned()
        )]
    );
    // a region in common: the delegation is used there
    let both = helper("us-east-1, eu-west-1", "");
    assert_eq!(never_applies(&[("lead", &lead), ("helper", &both)]), []);
    // the delegator's own `where` can leave nothing in common as well
    let narrowed = delegating(
        "lead",
        "eu-west-1, us-east-1",
        "    where: {region: [eu-west-1]}\n",
        "helper",
    );
    let found = never_applies(&[("lead", &narrowed), ("helper", &helper("us-east-1", ""))]);
    assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [12]);
    // a delegate whose own `where` leaves its context nothing is that
    // grant's problem, not the delegation's
    let own = "agent: helper\nowner: platform-team\nauth: oidc\nallowed_actions:\n  - action: read_ci_status\n    where: {region: [eu-west-1]}\ncontext:\n  regions: [us-east-1]\n";
    assert_eq!(never_applies(&[("lead", &lead), ("helper", own)]), []);
    // a revoked delegate renders nothing, and is not judged
    let revoked = helper("us-east-1", "state: revoked\n");
    assert_eq!(never_applies(&[("lead", &lead), ("helper", &revoked)]), []);
    // a longer chain that cannot carry the action is no one entry's mistake:
    // origin (eu-west-1) -> middle (both) -> end (us-east-1)
    let origin = delegating("origin", "eu-west-1", "", "middle");
    let middle = delegating("middle", "eu-west-1, us-east-1", "", "end");
    let end = helper("us-east-1", "").replace("helper", "end");
    assert_eq!(
        never_applies(&[("origin", &origin), ("middle", &middle), ("end", &end)]),
        []
    );
}

#[test]
fn regions_that_leave_a_cloud_none_of_its_own_are_an_error() {
    let identity = CLEAN.replace(
        "allowed_actions: [read_ci_status]",
        "allowed_actions: [read_logs]",
    ) + "context:\n  regions: [europe-west1, westeurope]\n";
    let (status, found, json) = check(AWS_YAML, &identity);
    assert_eq!((status, found), (Some(1), vec![("TG012".to_owned(), 14)]));
    assert_eq!(
        json["diagnostics"][0]["message"],
        "`release-assistant` runs in AWS, but its regions (`europe-west1`, `westeurope`) name none of AWS's: AWS would deny it everything"
    );
    // each cloud takes its own from the list
    let both = identity.replace("[europe-west1, westeurope]", "[eu-west-1, europe-west1]");
    assert_eq!(check(AWS_YAML, &both).1, Vec::new());
}

/// One workload (one subject) declared four times, twice with each of two
/// sets of permissions: each repeat is REU001, named after the first
/// identity with its permissions, whatever order the actions are in.
#[test]
fn a_workload_declared_again_with_the_same_permissions_names_the_first() {
    let identity = |name: &str, actions: &str| {
        CLEAN
            .replace("release-assistant", name)
            .replace("[read_ci_status]", actions)
    };
    let a = identity("a-publisher", "[read_ci_status]");
    let b = identity("b-publisher", "[read_ci_status, change_permissions]");
    let c = identity("c-publisher", "[read_ci_status]");
    let d = identity("d-publisher", "[change_permissions, read_ci_status]");
    let other =
        identity("e-publisher", "[read_ci_status]").replace("refs/heads/main", "refs/heads/next");
    let ws = workspace(&[
        ("nhi.yaml", NHI_YAML),
        ("identities/a-publisher.yaml", &a),
        ("identities/b-publisher.yaml", &b),
        ("identities/c-publisher.yaml", &c),
        ("identities/d-publisher.yaml", &d),
        ("identities/e-publisher.yaml", &other),
    ]);
    let out = nhi(ws.path(), &["check", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let reuse: Vec<(&str, &str)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "REU001")
        .map(|d| (d["file"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reuse,
        [
            (
                "identities/c-publisher.yaml",
                "`a-publisher` and `c-publisher` are the same workload with the same permissions"
            ),
            (
                "identities/d-publisher.yaml",
                "`b-publisher` and `d-publisher` are the same workload with the same permissions"
            ),
        ]
    );
}
