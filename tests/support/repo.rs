//! A Git repository in a temporary folder, built with git2, holding a small
//! workspace (a release assistant that delegates to a helper), for the
//! tests of `nhi diff`.

#![allow(dead_code, reason = "each test binary uses a part of this")]

use std::path::Path;

use serde_json::Value;

use crate::support::{nhi, text};

pub(crate) const NHI_YAML: &str = "\
teams:
  platform-team: {handle: \"@example/platform\"}
actions:
  read_ci_status:
    access: read
    aws: {actions: [\"codebuild:BatchGetBuilds\"], resources: [\"arn:aws:codebuild:eu-west-1:123456789012:project/web\"]}
  publish_artifact:
    access: write
    aws: {actions: [\"s3:PutObject\"], resources: [\"arn:aws:s3:::artifacts/*\"]}
  deploy_production:
    access: write
    aws: {actions: [\"codedeploy:CreateDeployment\"], resources: [\"*\"], wildcard_reason: one pipeline}
targets:
  aws:
    account_id: \"123456789012\"
    oidc_providers: [https://token.actions.githubusercontent.com]
default_targets: [aws]
";

pub(crate) const RELEASE: &str = "\
# the release assistant
agent: release-assistant
owner: platform-team
auth:
  method: oidc
  issuer: https://token.actions.githubusercontent.com
  subject: repo:example/web:ref:refs/heads/main
  ttl: 1h
allowed_actions: [read_ci_status, publish_artifact]
forbidden_actions: [deploy_production]
delegation:
  may_delegate_to:
    - agent: helper
      actions: [read_ci_status]
";

pub(crate) const HELPER: &str = "\
agent: helper
owner: platform-team
auth:
  method: oidc
  issuer: https://token.actions.githubusercontent.com
  subject: repo:example/web:ref:refs/heads/helper
allowed_actions: [read_ci_status]
";

/// A repository whose first commit holds the base workspace.
pub(crate) struct Repo {
    dir: tempfile::TempDir,
    repo: git2::Repository,
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let r = Self { dir, repo };
        r.write("nhi.yaml", NHI_YAML);
        r.write("identities/release-assistant.yaml", RELEASE);
        r.write("identities/helper.yaml", HELPER);
        r.commit("base");
        r
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, path: &str, text: &str) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).unwrap();
    }

    pub(crate) fn commit(&self, message: &str) {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig =
            git2::Signature::new("t", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let parent = self.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap();
    }

    /// `nhi diff --format json` against the base commit.
    pub(crate) fn diff(&self, args: &[&str]) -> (Option<i32>, Value) {
        let mut all = vec!["diff", "--format", "json"];
        all.extend(args);
        let out = nhi(self.path(), &all);
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
        (out.status.code(), json)
    }
}

/// The changes as `(risk, identity, kind)`.
pub(crate) fn kinds(report: &Value) -> Vec<(String, String, String)> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["risk"].as_str().unwrap().to_owned(),
                c["identity"].as_str().unwrap_or("").to_owned(),
                c["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}
