//! `nhi import aws`: real-format exports in, a workspace that checks out:
//! each trust read as the `auth` it is, people and AWS's own roles left
//! out and counted, and nothing written from a bad or secret-bearing
//! export.

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

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{check_json, files_under, nhi, repo, text};

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/import/aws").join(name)
}

/// Import `files` into `into`, from a scratch folder.
fn import(into: &Path, files: &[PathBuf]) -> std::process::Output {
    let mut args = vec!["import".to_owned(), "aws".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.extend(["--into".to_owned(), into.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    nhi(into.parent().unwrap(), &args)
}

/// Import every file of a fixture folder into `into`; what it said.
fn import_folder(cloud: &str, dir: &Path, into: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    let mut args = vec!["import", cloud];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--into", into.to_str().unwrap()]);
    let out = nhi(into.parent().unwrap(), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

fn errors(dir: &Path) -> Vec<Value> {
    let (_, diagnostics) = check_json(dir);
    diagnostics
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect()
}

fn yaml(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn each_trust_becomes_the_auth_it_is_and_people_are_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("estate");
    let out = import(
        &into,
        &[
            fixture("authorization-details.json"),
            fixture("credential-report.csv"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("imported 6 identities"), "{stderr}");
    for skipped in [
        "skipped 1 IAM Identity Center permission-set roles (people)",
        "skipped 1 roles that people sign in to through SAML",
        "skipped 1 roles that trust any principal (`*`)",
        "skipped 1 service-linked roles (AWS's own)",
        "skipped 1 users with a console password (people)",
    ] {
        assert!(stderr.contains(skipped), "{skipped}: {stderr}");
    }
    let mut names: Vec<String> = std::fs::read_dir(into.join("identities"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backupagent.yaml",
            "legacy-sync.yaml",
            "orders-consumer.yaml",
            "reportrenderer.yaml",
            "tools-deployer.yaml",
            "web-deployer.yaml"
        ]
    );
    // a GitHub Actions federation: issuer, subject and audience, its
    // owner and purpose from its tags, its Deny forbidden
    let web = yaml(&into, "identities/web-deployer.yaml");
    for line in [
        "kind: pipeline",
        "owner: release-engineering",
        "purpose: Pushes the web image on every release",
        "  issuer: https://token.actions.githubusercontent.com",
        "  subject: repo:example/web:environment:production",
        "- push_images",
        "forbidden_actions:",
        "  cost-center: cc-42",
        "# last used 2026-11-20T08:00:00+00:00 in eu-west-1",
    ] {
        assert!(web.contains(line), "{line}:\n{web}");
    }
    // a role nhi rendered keeps its name, its path and no known_as
    let consumer = yaml(&into, "identities/orders-consumer.yaml");
    assert!(consumer.contains("subject: system:serviceaccount:orders:orders-consumer"));
    assert!(!consumer.contains("known_as"), "{consumer}");
    // a Lambda role keeps its path and name; what nhi cannot say is written down
    let lambda = yaml(&into, "identities/reportrenderer.yaml");
    assert!(lambda.contains("  method: attested\n  issuer: lambda.amazonaws.com"));
    assert!(lambda.contains("  aws: /service-role/ReportRenderer"));
    assert!(
        lambda.contains("uses `NotAction`, which nhi cannot say"),
        "{lambda}"
    );
    // Roles Anywhere by certificate name, another account's root attested
    assert!(
        yaml(&into, "identities/backupagent.yaml")
            .contains("  method: mtls\n  subject: backup-agent")
    );
    assert!(
        yaml(&into, "identities/tools-deployer.yaml")
            .contains("issuer: arn:aws:iam::210987654321:root")
    );
    // a user with a key: its key's age, and its group's grants
    let user = yaml(&into, "identities/legacy-sync.yaml");
    assert!(user.contains("method: api_key"));
    assert!(
        user.contains("access key 1: last rotated 2024-02-10"),
        "{user}"
    );
    assert!(user.contains("- list_drop"), "{user}");
    // the settings the trusts need, and every identity exists already
    let settings = yaml(&into, "nhi.yaml");
    for line in [
        "account_id: \"123456789012\"",
        "- https://token.actions.githubusercontent.com",
        "roles_anywhere_trust_anchor: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/3e7a1c5b",
        "permissions_boundary: arn:aws:iam::123456789012:policy/nhi/nhi-boundary",
    ] {
        assert!(settings.contains(line), "{line}:\n{settings}");
    }
    // it checks: what a person must still decide are warnings
    assert_eq!(errors(&into), Vec::<Value>::new());
    let (_, diagnostics) = check_json(&into);
    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    for code in ["OWN001", "LC002", "OWN002"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
}

#[test]
fn an_import_renders_back_the_roles_it_read() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("estate");
    let out = import(
        &into,
        &[
            fixture("authorization-details.json"),
            fixture("credential-report.csv"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_dist, files) = support::build_files(&into);
    let json = |p: &str| -> Value { serde_json::from_str(&files[p]).unwrap() };
    let export: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("authorization-details.json")).unwrap(),
    )
    .unwrap();
    let role = |name: &str| -> Value {
        export["RoleDetailList"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["RoleName"] == name)
            .unwrap()
            .clone()
    };
    // the trust is the export's, statement for statement
    for (identity, name) in [
        ("web-deployer", "web-deployer"),
        ("backupagent", "BackupAgent"),
    ] {
        let got = json(&format!("aws/{identity}/trust-policy.json"));
        let want = &role(name)["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(
            got["Statement"][0]["Principal"], want["Principal"],
            "{identity}"
        );
        assert_eq!(got["Statement"].as_array().unwrap().len(), 1);
    }
    let spec = json("aws/reportrenderer/role.json");
    assert_eq!(spec["RoleName"], "ReportRenderer");
    assert_eq!(spec["Path"], "/service-role/");
    // its allowed statement with its condition; the NotAction one is not
    let policy = json("aws/reportrenderer/permissions-policy.json");
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    assert_eq!(statements[0]["Action"], serde_json::json!(["s3:GetObject"]));
    assert_eq!(
        statements[0]["Condition"],
        serde_json::json!({"Bool": {"aws:SecureTransport": ["true"]}})
    );
    // the managed policy's default version, not its older one granting `*`
    let tools = json("aws/tools-deployer/permissions-policy.json");
    assert_eq!(
        tools["Statement"][0]["Action"],
        serde_json::json!(["ec2:Describe*", "s3:Get*", "s3:List*"])
    );
    // every imported role is adopted, under the name it has
    let root = json("terraform/aws/main.tf.json");
    let ids: Vec<&str> = root["import"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "BackupAgent",
            "legacy-sync",
            "orders-consumer",
            "ReportRenderer",
            "tools-deployer",
            "web-deployer"
        ]
    );
}

#[test]
fn a_real_account_imports_and_its_escalation_paths_are_reported() {
    // cloudsplaining's example account (BSD-3-Clause, see the LICENSE
    // beside it): 78 roles, 44 users, 5 groups, 84 policies
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("estate");
    let out = import(&into, &[fixture("cloudsplaining-example.json")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // 68 roles and every user (no credential report tells people apart)
    assert!(stderr.contains("imported 112 identities"), "{stderr}");
    assert!(
        stderr.contains("skipped 2 IAM Identity Center permission-set roles (people)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped 8 service-linked roles (AWS's own)"),
        "{stderr}"
    );
    assert!(
        !into
            .join("identities/awsreservedsso-administratoraccess-dc6414f7f2ab04fc.yaml")
            .exists()
    );
    assert!(
        yaml(&into, "identities/obama.yaml").contains("no credential report was given"),
        "a user is imported with what nhi could not tell"
    );
    assert_eq!(errors(&into), Vec::<Value>::new());
    let (_, diagnostics) = check_json(&into);
    let escalations: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["code"] == "PRV004")
        .filter_map(|d| d["message"].as_str())
        .collect();
    // each of the account's privilege-escalation users, by its method
    for (user, action) in [
        (
            "privesc1-createnewpolicyversion-user",
            "iam:CreatePolicyVersion",
        ),
        ("privesc4-createaccesskey-user", "iam:CreateAccessKey"),
        ("privesc9-attachrolepolicy-user", "iam:AttachRolePolicy"),
        ("privesc12-putrolepolicy-user", "iam:PutRolePolicy"),
        (
            "privesc14-updatingassumerolepolicy-user",
            "iam:UpdateAssumeRolePolicy",
        ),
        (
            "privesc15-passexistingroletonewlambdatheninvoke-user",
            "lambda:CreateFunction",
        ),
        (
            "privesc20-passexistingroletocloudformation-user",
            "cloudformation:CreateStack",
        ),
    ] {
        assert!(
            escalations
                .iter()
                .any(|m| m.starts_with(&format!("`{user}`")) && m.contains(action)),
            "{user} {action}: {escalations:#?}"
        );
    }
    // a read-only role holds no path
    assert!(
        !escalations
            .iter()
            .any(|m| m.starts_with("`aws-quicksetup-stackset-local-administrationrole`"))
    );
}

#[test]
fn the_same_exports_give_the_same_workspace_in_any_order() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let details = fixture("authorization-details.json");
    let report = fixture("credential-report.csv");
    assert_eq!(
        import(&a, &[details.clone(), report.clone()]).status.code(),
        Some(0)
    );
    assert_eq!(import(&b, &[report, details]).status.code(), Some(0));
    assert_eq!(files_under(&a), files_under(&b));
}

#[test]
fn a_bad_export_is_reported_at_its_place_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("details.json");
    std::fs::write(
        &bad,
        "{\n  \"RoleDetailList\": [\n    {\"RoleName\": 7,}\n  ]\n}\n",
    )
    .unwrap();
    let into = tmp.path().join("estate");
    let out = import(&into, std::slice::from_ref(&bad));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("details.json:3:"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!into.exists());
    // a JSON file that is no AWS export says what nhi expected
    std::fs::write(&bad, "{\"items\": []}").unwrap();
    let out = import(&into, &[bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("get-account-authorization-details"));
    assert!(!into.exists());
}

#[test]
fn a_secret_in_an_export_is_never_repeated_and_stops_the_import() {
    let tmp = tempfile::tempdir().unwrap();
    let key = "AKIAIOSFODNN7EXAMPLE";
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let details = std::fs::read_to_string(fixture("authorization-details.json"))
        .unwrap()
        .replace("\"cc-42\"", &format!("\"{key}\""))
        .replace(
            "\"Pushes the web image on every release\"",
            &format!("\"aws_secret_access_key={secret}\""),
        );
    let path = tmp.path().join("details.json");
    std::fs::write(&path, details).unwrap();
    let into = tmp.path().join("estate");
    let out = import(&into, &[path]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("SE001"), "{all}");
    assert!(!all.contains(key) && !all.contains(secret), "{all}");
    assert!(!into.exists());
}

#[test]
fn an_import_never_writes_into_a_folder_that_holds_something() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("estate");
    std::fs::create_dir(&into).unwrap();
    std::fs::write(into.join("notes.txt"), "mine").unwrap();
    let out = import(&into, &[fixture("authorization-details.json")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(&into).unwrap().count(), 1);
    // an empty folder is fine
    std::fs::remove_file(into.join("notes.txt")).unwrap();
    let out = import(&into, &[fixture("authorization-details.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(into.join("nhi.yaml").is_file());
    // and nothing is left beside it
    let beside: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
}

/// What an account holds once the workspace's AWS output is applied, as
/// `get-account-authorization-details` describes it.
fn applied(files: &std::collections::BTreeMap<String, String>) -> Value {
    let mut roles = Vec::new();
    let mut users = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| p.starts_with("aws/")) {
        let Some(dir) = path
            .strip_suffix("/role.json")
            .or_else(|| path.strip_suffix("/user.json"))
        else {
            continue;
        };
        let spec: Value = serde_json::from_str(text).unwrap();
        let policy: Value =
            serde_json::from_str(&files[&format!("{dir}/permissions-policy.json")]).unwrap();
        let mut p = serde_json::json!({
            "Path": spec["Path"],
            "Tags": spec["Tags"],
            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": spec["PermissionsBoundary"]},
            "AttachedManagedPolicies": [],
        });
        if path.ends_with("role.json") {
            let name = spec["RoleName"].as_str().unwrap();
            p["RoleName"] = name.into();
            p["Arn"] = format!(
                "arn:aws:iam::123456789012:role{}{name}",
                spec["Path"].as_str().unwrap()
            )
            .into();
            p["AssumeRolePolicyDocument"] =
                serde_json::from_str(&files[&format!("{dir}/trust-policy.json")]).unwrap();
            p["RolePolicyList"] =
                serde_json::json!([{"PolicyName": "nhi-permissions", "PolicyDocument": policy}]);
            roles.push(p);
        } else {
            let name = spec["UserName"].as_str().unwrap();
            p["UserName"] = name.into();
            p["Arn"] = format!(
                "arn:aws:iam::123456789012:user{}{name}",
                spec["Path"].as_str().unwrap()
            )
            .into();
            p["UserPolicyList"] =
                serde_json::json!([{"PolicyName": "nhi-permissions", "PolicyDocument": policy}]);
            p["GroupList"] = serde_json::json!([]);
            users.push(p);
        }
    }
    serde_json::json!({"RoleDetailList": roles, "UserDetailList": users, "GroupDetailList": [], "Policies": []})
}

fn drift(ws: &Path, export: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["drift", "aws", export.to_str().unwrap()];
    args.extend(extra);
    let out = nhi(ws, &args);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn drift_finds_nothing_in_what_was_applied_and_every_change_made_by_hand() {
    let ws = repo().join("examples/ai-agent-platform");
    let (_dist, files) = support::build_files(&ws);
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("details.json");
    let mut account = applied(&files);
    std::fs::write(&export, account.to_string()).unwrap();
    let (code, stdout, stderr) = drift(&ws, &export, &["--format", "json", "--fail-on", "low"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["drifts"], serde_json::json!([]), "{stdout}");
    assert_eq!(report["compared"], 3);

    // by hand: a managed policy attached, a statement added, a tag edited,
    // a role made, and a role deleted
    let roles = account["RoleDetailList"].as_array_mut().unwrap();
    let gone = roles.pop().unwrap();
    roles[0]["AttachedManagedPolicies"] = serde_json::json!([{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]);
    roles[0]["RolePolicyList"][0]["PolicyDocument"]["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}));
    roles[0]["Tags"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Key": "edited", "Value": "by-hand"}));
    let first = roles[0]["RoleName"].as_str().unwrap().to_owned();
    roles.push(serde_json::json!({
        "Path": "/", "RoleName": "made-by-hand", "Arn": "arn:aws:iam::123456789012:role/made-by-hand",
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    }));
    // people and AWS's own roles are no drift
    roles.push(serde_json::json!({
        "Path": "/aws-service-role/support.amazonaws.com/", "RoleName": "AWSServiceRoleForSupport",
        "Arn": "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport",
    }));
    std::fs::write(&export, account.to_string()).unwrap();
    let (code, stdout, stderr) = drift(&ws, &export, &["--format", "json", "--fail-on", "high"]);
    assert_eq!(code, Some(1), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let found: Vec<(String, String, String)> = report["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["risk"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["identity"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let gone = gone["RoleName"].as_str().unwrap().to_owned();
    let expect =
        |risk: &str, kind: &str, who: &str| (risk.to_owned(), kind.to_owned(), who.to_owned());
    assert_eq!(
        found,
        [
            expect("high", "grant-added", &first),
            expect("high", "permissions-differ", &first),
            expect("high", "principal-unmanaged", "-"),
            expect("medium", "principal-missing", &gone),
            expect("low", "tags-differ", &first),
        ],
        "{stdout}"
    );
    assert!(stdout.contains("role/made-by-hand"), "{stdout}");
    assert_eq!(
        report["left_aside"]["service-linked roles (AWS's own)"], 1,
        "{stdout}"
    );
    // the same in the other formats
    let (_, sarif, _) = drift(&ws, &export, &["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5);
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    assert_eq!(sarif["runs"][0]["results"][4]["level"], "note");
    let (_, markdown, _) = drift(&ws, &export, &["--format", "markdown"]);
    assert!(
        markdown.contains("| high | `principal-unmanaged` |"),
        "{markdown}"
    );
    let (code, _, human) = drift(&ws, &export, &[]);
    assert_eq!(
        code,
        Some(0),
        "without --fail-on, differences are reported, not failed"
    );
    assert!(
        human.contains("2 compared, 5 difference(s); left aside: 1 service-linked roles"),
        "{human}"
    );
}

#[test]
fn a_cluster_imports_its_service_accounts_with_the_rules_bound_to_them() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("cluster");
    let rbac = repo().join("tests/fixtures/import/kubernetes/rbac.json");
    let out = nhi(
        tmp.path(),
        &[
            "import",
            "kubernetes",
            rbac.to_str().unwrap(),
            "--into",
            into.to_str().unwrap(),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in [
        "imported 2 identities",
        "skipped 2 bindings to people (`User` and `Group` subjects)",
        "skipped 2 service accounts the cluster runs itself with",
        "skipped 1 `default` service accounts bound to nothing",
        "skipped 1 bindings of the cluster's own `system:` roles",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    let consumer = yaml(&into, "identities/orders-consumer.yaml");
    for line in [
        "targets:\n- kubernetes",
        "context:\n  namespaces:\n  - orders",
        "- orders_consumer",
        "bound by RoleBinding `orders/orders-consumer`",
        "`eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/orders-consumer`",
    ] {
        assert!(consumer.contains(line), "{line}:\n{consumer}");
    }
    assert!(!consumer.contains("managed-by"), "{consumer}");
    let catalogue = yaml(&into, "catalogue/kubernetes.yaml");
    assert!(
        catalogue.contains("resource_names:\n        - orders-config"),
        "{catalogue}"
    );
    assert!(
        catalogue.contains("rollout_reader:") && catalogue.contains("cluster_wide: true"),
        "{catalogue}"
    );
    assert_eq!(errors(&into), Vec::<Value>::new());
    // rendered: the same rules, bound to the same ServiceAccount, in its
    // namespace; a cluster-wide grant as a ClusterRole
    let (_dist, files) = support::build_files(&into);
    let manifests = &files["kubernetes/orders-consumer.yaml"];
    assert!(manifests.contains("kind: Role\n"), "{manifests}");
    assert!(
        manifests.contains("  - orders-feature-flags\n  resources:\n  - configmaps"),
        "{manifests}"
    );
    assert!(
        manifests.contains("- kind: ServiceAccount\n  name: orders-consumer\n  namespace: orders"),
        "{manifests}"
    );
    assert!(files["kubernetes/rollout-coordinator.yaml"].contains("kind: ClusterRole\n"));
}

#[test]
fn usage_reports_name_each_unused_action_at_its_line() {
    let ws = repo().join("examples/cicd-pipelines");
    let fixtures = repo().join("tests/fixtures/usage/aws");
    let advisor = fixtures.join("terraform-plan-access-advisor.json");
    // matched by the file's name, as its report names no one who used anything
    let idle = fixtures.join("web-deployer.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "review",
            "--format",
            "json",
            "--usage",
            advisor.to_str().unwrap(),
            idle.to_str().unwrap(),
        ];
        args.extend(extra);
        let out = nhi(&ws, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let found = |report: &Value| -> Vec<(String, String, String, u64, u64)> {
        report["unused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["identity"].as_str().unwrap().to_owned(),
                    u["finding"].as_str().unwrap().to_owned(),
                    u["action"].as_str().unwrap_or("-").to_owned(),
                    u["line"].as_u64().unwrap(),
                    u["column"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let row = |i: &str, f: &str, a: &str, line: u64, column: u64| {
        (i.to_owned(), f.to_owned(), a.to_owned(), line, column)
    };
    let report = run(&[]);
    assert_eq!(report["since"], "2026-08-24");
    assert_eq!(
        found(&report),
        [
            // S3 was read yesterday: the state stays; EC2 was never described
            row(
                "terraform-plan",
                "unused-action",
                "describe_cloud_resources",
                18,
                41
            ),
            // nothing since May: the pipeline itself, and each of its actions
            row("web-deployer", "unused-identity", "-", 2, 8),
            row("web-deployer", "unused-action", "deploy_service", 15, 13),
            row(
                "web-deployer",
                "unused-action",
                "read_service_health",
                18,
                5
            ),
        ]
    );
    assert_eq!(
        report["covered"],
        serde_json::json!(["terraform-plan", "web-deployer"])
    );
    // a longer window: May counts as use
    let year = run(&["--unused-for", "365d"]);
    assert_eq!(
        found(&year),
        [row(
            "terraform-plan",
            "unused-action",
            "describe_cloud_resources",
            18,
            41
        )]
    );
    // the table says it at the line, for people
    let out = nhi(&ws, &["review", "--usage", advisor.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains("identities/terraform/terraform-plan.yaml:18:41: unused-action terraform-plan (NHI5) `describe_cloud_resources`"),
        "{}",
        text(&out.stdout)
    );
    // an export of who may do what is no usage report
    let details = fixture("authorization-details.json");
    let out = nhi(&ws, &["review", "--usage", details.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not what was used"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_project_imports_its_service_accounts_with_their_roles_and_federation() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("project");
    let dir = repo().join("tests/fixtures/import/gcp");
    let stderr = import_folder("gcp", &dir, &into);
    for line in [
        "imported 3 identities",
        "skipped 2 Google-made default service accounts",
        "skipped 2 project bindings to people and groups",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    // federated from GitHub through the pool, with its custom role's permissions
    let deployer = yaml(&into, "identities/ci-deployer.yaml");
    for line in [
        "  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/web:environment:production",
        "existing:\n- gcp",
        "- ci_deployer",
        "it has a user-managed key valid from 2024-02-14T10:22:31Z",
    ] {
        assert!(deployer.contains(line), "{line}:\n{deployer}");
    }
    // a disabled account is suspended; a conditional binding is not widened
    let billing = yaml(&into, "identities/billing-export.yaml");
    assert!(billing.contains("state: suspended"), "{billing}");
    assert!(
        billing.contains("gcloud iam roles describe roles/bigquery.dataEditor"),
        "{billing}"
    );
    let mirror = yaml(&into, "identities/image-mirror.yaml");
    assert!(mirror.contains("  method: attested"), "{mirror}");
    assert!(!mirror.contains("allowed_actions"), "{mirror}");
    assert!(
        mirror.contains("holds a condition nhi cannot say"),
        "{mirror}"
    );
    let settings = yaml(&into, "nhi.yaml");
    assert!(settings.contains("project: example-prod\n    project_number: \"734512345678\"\n    workload_identity_pool: ci-pool"), "{settings}");
    assert_eq!(errors(&into), Vec::<Value>::new());
    // rendered: the same pool principal may act as the same account,
    // which the root adopts
    let (_dist, built) = support::build_files(&into);
    let policy: Value =
        serde_json::from_str(&built["gcp/ci-deployer/service-account-policy.json"]).unwrap();
    let export: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("sa-ci-deployer-iam-policy.json")).unwrap(),
    )
    .unwrap();
    let federation = |p: &Value| -> Value {
        p["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["role"] == "roles/iam.workloadIdentityUser")
            .unwrap()["members"]
            .clone()
    };
    assert_eq!(federation(&policy), federation(&export));
    let role: Value = serde_json::from_str(&built["gcp/ci-deployer/role.json"]).unwrap();
    assert_eq!(
        role["includedPermissions"].as_array().unwrap().len(),
        8,
        "{role}"
    );
    assert!(built["terraform/gcp/main.tf.json"].contains(
        "projects/example-prod/serviceAccounts/ci-deployer@example-prod.iam.gserviceaccount.com"
    ));
}

#[test]
fn a_subscription_imports_its_managed_identities_and_their_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("subscription");
    let dir = repo().join("tests/fixtures/import/azure");
    let stderr = import_folder("azure", &dir, &into);
    for line in [
        "imported 2 identities",
        "skipped 2 role assignments to people and groups",
        "skipped 1 service principals that are no user-assigned managed identity",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    let deployer = yaml(&into, "identities/web-deployer.yaml");
    for line in [
        "  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/web:environment:production\n  audience: api://AzureADTokenExchange\n  client_id: c1c1c1c1-0001-4001-8001-000000000001",
        "owner: platform",
        "- web_deployer",
        // the role's not-actions take part of a pattern back: the pattern goes
        "`Microsoft.Web/sites/slots/*` is left out",
    ] {
        assert!(deployer.contains(line), "{line}:\n{deployer}");
    }
    let catalogue = yaml(&into, "catalogue/azure.yaml");
    assert!(!catalogue.contains("slots"), "{catalogue}");
    assert!(
        catalogue.contains(
            "scope: /subscriptions/9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d/resourceGroups/web-prod"
        ),
        "{catalogue}"
    );
    let reader = yaml(&into, "identities/report-reader.yaml");
    assert!(reader.contains("method: attested"), "{reader}");
    assert!(
        reader.contains("holds a condition nhi cannot say"),
        "{reader}"
    );
    assert_eq!(errors(&into), Vec::<Value>::new());
    // rendered: the same federated credential on the same identity, adopted
    let (_dist, built) = support::build_files(&into);
    let tf = &built["azure/main.tf.json"];
    assert!(
        tf.contains("repo:example/web:environment:production"),
        "{tf}"
    );
    assert!(built["terraform/azure/main.tf.json"].contains("userAssignedIdentities/web-deployer"));
}

#[test]
fn an_allow_a_deny_takes_part_of_back_is_written_out_never_widened() {
    let tmp = tempfile::tempdir().unwrap();
    let trust = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = |name: &str, allow: &str, deny: &str| {
        serde_json::json!({
            "Path": "/", "RoleName": name, "Arn": format!("arn:aws:iam::123456789012:role/{name}"),
            "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": allow, "Resource": "*"},
                {"Effect": "Deny", "Action": deny, "Resource": "*"}
            ]}}],
        })
    };
    let export = serde_json::json!({"RoleDetailList": [
        role("bucket-admin", "s3:*", "s3:PutBucketPolicy"),
        role("almost-admin", "*", "iam:*"),
    ]});
    let path = tmp.path().join("details.json");
    std::fs::write(&path, export.to_string()).unwrap();
    let into = tmp.path().join("estate");
    let out = import(&into, &[path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // no allowed action shares a permission with a forbidden one (AC005)
    assert_eq!(errors(&into), Vec::<Value>::new());
    let catalogue = yaml(&into, "catalogue/aws.yaml");
    assert!(catalogue.contains("- s3:GetObject"), "{catalogue}");
    assert!(
        !catalogue.contains("- s3:PutBucketPolicy\n      - s3:PutBucketPublicAccessBlock"),
        "{catalogue}"
    );
    let bucket = yaml(&into, "identities/bucket-admin.yaml");
    assert!(bucket.contains("written out as the"), "{bucket}");
    // everything but IAM is too much to write out: left out, not widened
    let almost = yaml(&into, "identities/almost-admin.yaml");
    assert!(
        almost.contains("too many to write out, so it is left out"),
        "{almost}"
    );
    assert!(!almost.contains("allowed_actions"), "{almost}");
    let (_dist, built) = support::build_files(&into);
    let policy: Value =
        serde_json::from_str(&built["aws/bucket-admin/permissions-policy.json"]).unwrap();
    let allow = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Effect"] == "Allow")
        .unwrap();
    let actions: Vec<&str> = allow["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"s3:GetObject") && !actions.contains(&"s3:PutBucketPolicy"),
        "{actions:?}"
    );
}
