//! AWS: `aws iam get-account-authorization-details` (roles, users,
//! groups and the managed policies they use) and, optionally, the
//! credential report (`aws iam get-credential-report`, as its JSON or the
//! CSV it carries), which tells people (a console password) from machines.
//!
//! Each role's trust decides its `auth`: a web identity federation is
//! `oidc` with the provider's issuer, subject and audience; IAM Roles
//! Anywhere is `mtls` or `spiffe` with the certificate's name; an AWS
//! service or principal is `attested` by it. A user is an `api_key`. Every
//! policy statement becomes a catalogue action (one per distinct
//! statement, named after its `Sid` or its policy): `Allow` statements
//! allowed, `Deny` statements forbidden.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AuthDoc, IDENTITIES_DIR, IdentityDoc, Imported, KnownAsDoc, Names, TeamDoc, identity_file,
    malformed, snake,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Date;
use crate::source::{FileId, SourceDb};
use crate::vocabulary::glob;

/// The path nhi gives the roles it renders.
const NHI_PATH: &str = "/nhi/";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct AuthorizationDetails {
    user_detail_list: Vec<User>,
    group_detail_list: Vec<Group>,
    role_detail_list: Vec<Role>,
    policies: Vec<ManagedPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Role {
    path: String,
    role_name: String,
    arn: String,
    assume_role_policy_document: Value,
    role_policy_list: Vec<InlinePolicy>,
    attached_managed_policies: Vec<Attached>,
    tags: Vec<Tag>,
    role_last_used: Option<LastUsed>,
    permissions_boundary: Option<Boundary>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct User {
    path: String,
    user_name: String,
    arn: String,
    user_policy_list: Vec<InlinePolicy>,
    attached_managed_policies: Vec<Attached>,
    group_list: Vec<String>,
    tags: Vec<Tag>,
    permissions_boundary: Option<Boundary>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Group {
    group_name: String,
    group_policy_list: Vec<InlinePolicy>,
    attached_managed_policies: Vec<Attached>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct InlinePolicy {
    policy_name: String,
    policy_document: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Attached {
    policy_name: String,
    policy_arn: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ManagedPolicy {
    policy_name: String,
    arn: String,
    default_version_id: String,
    policy_version_list: Vec<PolicyVersion>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PolicyVersion {
    document: Value,
    version_id: String,
    is_default_version: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Tag {
    key: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct LastUsed {
    last_used_date: Option<String>,
    region: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Boundary {
    permissions_boundary_arn: String,
}

/// The credential report wrapped as `get-credential-report` prints it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReportEnvelope {
    content: String,
}

/// One user's line of the credential report.
#[derive(Debug, Default, Clone)]
struct Credentials {
    password_enabled: bool,
    keys: Vec<String>,
    /// The last day a password or an access key of it was used.
    last_used: Option<Date>,
}

/// What each export file is, by its content.
enum Export {
    Details(AuthorizationDetails),
    Report(BTreeMap<String, Credentials>),
    Advisor(AccessAdvisor),
}

/// `aws iam get-service-last-accessed-details` output.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct LastAccessed {
    job_type: String,
    services_last_accessed: Vec<ServiceLastAccessed>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ServiceLastAccessed {
    service_namespace: String,
    last_authenticated: Option<String>,
    last_authenticated_entity: Option<String>,
    tracked_actions_last_accessed: Option<Vec<ActionLastAccessed>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ActionLastAccessed {
    action_name: String,
    last_accessed_entity: Option<String>,
    last_accessed_time: Option<String>,
}

/// One principal's IAM Access Advisor report.
#[derive(Clone, Debug)]
pub struct AccessAdvisor {
    /// The file it was read from.
    pub file: FileId,
    /// The file's name without its extension.
    pub stem: String,
    /// The role and user ARNs it names as having used something.
    pub entities: BTreeSet<String>,
    /// Whether it tracks actions (`ACTION_LEVEL`), not only services.
    pub action_level: bool,
    /// Each service the principal's policies allow.
    pub services: Vec<ServiceUse>,
}

/// When a service, and each of its tracked actions, was last used.
#[derive(Clone, Debug)]
pub struct ServiceUse {
    /// Its namespace (`s3`).
    pub namespace: String,
    /// The last day it was used.
    pub last: Option<Date>,
    /// Its tracked actions and the last day each was used (`None`: the
    /// service is tracked only as a whole).
    pub actions: Option<Vec<(String, Option<Date>)>>,
}

/// What the usage exports say.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// Every Access Advisor report.
    pub advisor: Vec<AccessAdvisor>,
    /// Each user of the credential report: whether it has a console
    /// password, and the last day it used a credential.
    pub users: BTreeMap<String, (bool, Option<Date>)>,
}

/// Read usage exports: IAM Access Advisor reports and credential reports.
///
/// # Errors
///
/// Every file that is neither, or that holds a credential, as located
/// diagnostics.
pub fn usage(db: &mut SourceDb, files: &[FileId]) -> Result<Usage, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut usage = Usage::default();
    for &file in files {
        if super::scan(db, file, &mut out) {
            continue;
        }
        match read(db, file) {
            Ok(Export::Advisor(a)) => usage.advisor.push(a),
            Ok(Export::Report(r)) => usage.users.extend(
                r.into_iter()
                    .map(|(user, c)| (user, (c.password_enabled, c.last_used))),
            ),
            Ok(Export::Details(_)) => out.push(whole_file(
                db,
                file,
                "it describes who may do what, not what was used: give `aws iam get-service-last-accessed-details` output or a credential report",
            )),
            Err(d) => out.push(d),
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok(usage)
}

/// The day of an AWS timestamp (`2026-11-20T08:00:00Z`, `…+00:00`).
fn day(text: &str) -> Option<Date> {
    text.get(..10).and_then(crate::model::parse_date)
}

fn advisor(db: &SourceDb, file: FileId, value: Value) -> Result<Export, Diagnostic> {
    let report: LastAccessed = serde_json::from_value(value)
        .map_err(|e| malformed(db, file, &e, "an Access Advisor report"))?;
    let mut entities = BTreeSet::new();
    let services = report
        .services_last_accessed
        .into_iter()
        .map(|s| {
            entities.extend(s.last_authenticated_entity.clone());
            let actions = s.tracked_actions_last_accessed.map(|tracked| {
                tracked
                    .into_iter()
                    .map(|a| {
                        entities.extend(a.last_accessed_entity);
                        let when = a.last_accessed_time.as_deref().and_then(day);
                        (format!("{}:{}", s.service_namespace, a.action_name), when)
                    })
                    .collect()
            });
            ServiceUse {
                last: s.last_authenticated.as_deref().and_then(day),
                namespace: s.service_namespace,
                actions,
            }
        })
        .collect();
    let stem = db
        .get(file)
        .and_then(|f| f.path().file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Export::Advisor(AccessAdvisor {
        file,
        stem,
        entities,
        action_level: report.job_type == "ACTION_LEVEL",
        services,
    }))
}

/// Read the exports, and make the workspace they describe.
///
/// # Errors
///
/// Every file that is not an AWS export nhi reads, or that holds a
/// credential, as located diagnostics; then nothing is made.
pub fn import(db: &mut SourceDb, files: &[FileId]) -> Result<Imported, Diagnostics> {
    let (details, report) = exports(db, files)?;
    Ok(Importer::new(&details, report.as_ref()).run(&details))
}

/// Whether a principal is an IAM role or user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A role.
    Role,
    /// A user.
    User,
}

/// One IAM role or user as the exports describe it.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Role or user.
    pub kind: Kind,
    /// Its path.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// A role's trust policy.
    pub trust: Option<Value>,
    /// Its inline policies, by name.
    pub inline: BTreeMap<String, Value>,
    /// The ARNs of the managed policies attached to it.
    pub attached: Vec<String>,
    /// A user's groups.
    pub groups: Vec<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its permissions boundary's ARN.
    pub boundary: Option<String>,
    /// Why it is no non-human identity nhi manages: a person, or AWS's own.
    pub not_managed: Option<&'static str>,
}

/// Every role and user the exports describe, by ARN order.
///
/// # Errors
///
/// As [`import`].
pub fn account(db: &mut SourceDb, files: &[FileId]) -> Result<Vec<Principal>, Diagnostics> {
    let (details, report) = exports(db, files)?;
    let tags = |t: &[Tag]| t.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    let inline = |p: &[InlinePolicy]| {
        p.iter()
            .map(|p| (p.policy_name.clone(), document(&p.policy_document)))
            .collect()
    };
    let attached = |a: &[Attached]| a.iter().map(|a| a.policy_arn.clone()).collect();
    let boundary = |b: &Option<Boundary>| b.as_ref().map(|b| b.permissions_boundary_arn.clone());
    let mut out: Vec<Principal> = details
        .role_detail_list
        .iter()
        .map(|r| {
            let trust = document(&r.assume_role_policy_document);
            Principal {
                kind: Kind::Role,
                path: r.path.clone(),
                name: r.role_name.clone(),
                arn: r.arn.clone(),
                not_managed: role_skip(r).or_else(|| people_trust(&trust)),
                trust: Some(trust),
                inline: inline(&r.role_policy_list),
                attached: attached(&r.attached_managed_policies),
                groups: Vec::new(),
                tags: tags(&r.tags),
                boundary: boundary(&r.permissions_boundary),
            }
        })
        .chain(details.user_detail_list.iter().map(|u| {
            Principal {
                kind: Kind::User,
                path: u.path.clone(),
                name: u.user_name.clone(),
                arn: u.arn.clone(),
                trust: None,
                inline: inline(&u.user_policy_list),
                attached: attached(&u.attached_managed_policies),
                groups: u.group_list.clone(),
                tags: tags(&u.tags),
                boundary: boundary(&u.permissions_boundary),
                not_managed: report
                    .as_ref()
                    .and_then(|r| r.get(&u.user_name))
                    .filter(|c| c.password_enabled)
                    .map(|_| PEOPLE),
            }
        }))
        .collect();
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    out.dedup_by(|a, b| a.arn == b.arn);
    Ok(out)
}

/// Why a user is no non-human identity.
const PEOPLE: &str = "users with a console password (people)";
/// Why a SAML-federated role is no non-human identity.
const SAML: &str = "roles that people sign in to through SAML";

/// Whether a trust lets people in through SAML.
fn people_trust(trust: &Value) -> Option<&'static str> {
    statements(trust)
        .into_iter()
        .flat_map(|s| strings(s.get("Principal").and_then(|p| p.get("Federated"))))
        .any(|f| f.contains(":saml-provider/"))
        .then_some(SAML)
}

type Exports = (AuthorizationDetails, Option<BTreeMap<String, Credentials>>);

fn exports(db: &mut SourceDb, files: &[FileId]) -> Result<Exports, Diagnostics> {
    let mut out = Diagnostics::new();
    let mut details = AuthorizationDetails::default();
    let mut report: Option<BTreeMap<String, Credentials>> = None;
    for &file in files {
        if super::scan(db, file, &mut out) {
            continue;
        }
        match read(db, file) {
            Ok(Export::Details(d)) => {
                details.user_detail_list.extend(d.user_detail_list);
                details.group_detail_list.extend(d.group_detail_list);
                details.role_detail_list.extend(d.role_detail_list);
                details.policies.extend(d.policies);
            }
            Ok(Export::Report(r)) => report.get_or_insert_with(BTreeMap::new).extend(r),
            Ok(Export::Advisor(_)) => out.push(whole_file(
                db,
                file,
                "it says what was used, not who may do what: give it to `nhi review --usage`",
            )),
            Err(d) => out.push(d),
        }
    }
    if out.has_errors() {
        return Err(out);
    }
    Ok((details, report))
}

fn read(db: &SourceDb, file: FileId) -> Result<Export, Diagnostic> {
    let text: Arc<str> = db.get(file).map(|f| f.text().clone()).unwrap_or_default();
    let trimmed = text.trim_start();
    if trimmed.starts_with("user,arn,") {
        return report(db, file, trimmed.as_bytes());
    }
    let value: Value =
        serde_json::from_str(&text).map_err(|e| malformed(db, file, &e, "an AWS export"))?;
    if value.get("Content").is_some() && value.get("ReportFormat").is_some() {
        let envelope: ReportEnvelope = serde_json::from_value(value)
            .map_err(|e| malformed(db, file, &e, "a credential report"))?;
        let csv = base64::engine::general_purpose::STANDARD
            .decode(envelope.content.trim())
            .map_err(|_| whole_file(db, file, "its `Content` is not base64"))?;
        return report(db, file, &csv);
    }
    if value.get("ServicesLastAccessed").is_some() {
        return advisor(db, file, value);
    }
    let known = [
        "RoleDetailList",
        "UserDetailList",
        "GroupDetailList",
        "Policies",
    ];
    if !known.iter().any(|k| value.get(k).is_some()) {
        return Err(whole_file(
            db,
            file,
            "it is neither `get-account-authorization-details` output, a credential report nor an Access Advisor report",
        ));
    }
    serde_json::from_value(value)
        .map(Export::Details)
        .map_err(|e| malformed(db, file, &e, "authorization details"))
}

fn whole_file(db: &SourceDb, file: FileId, why: &str) -> Diagnostic {
    super::not_an_export(
        db,
        file,
        "an AWS export",
        why,
        "give `aws iam get-account-authorization-details` output (JSON) and, optionally, `aws iam get-credential-report` output (its JSON or the CSV it carries)",
    )
}

fn report(db: &SourceDb, file: FileId, csv: &[u8]) -> Result<Export, Diagnostic> {
    let mut reader = csv::Reader::from_reader(csv);
    let headers = reader
        .headers()
        .map_err(|_| whole_file(db, file, "its header line does not read as CSV"))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(user), Some(password)) = (column("user"), column("password_enabled")) else {
        return Err(whole_file(
            db,
            file,
            "the credential report has no `user` or `password_enabled` column",
        ));
    };
    let mut users = BTreeMap::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            whole_file(
                db,
                file,
                &format!("line {} does not read as CSV: {e}", line + 2),
            )
        })?;
        let field = |i: usize| record.get(i).unwrap_or_default();
        let mut keys = Vec::new();
        let mut last_used = column("password_last_used").map(field).and_then(day);
        for n in 1..=2 {
            let get = |suffix: &str| column(&format!("access_key_{n}_{suffix}")).map_or("", field);
            last_used = last_used.max(day(get("last_used_date")));
            if get("active") == "true" {
                keys.push(format!(
                    "access key {n}: last rotated {}, last used {}",
                    get("last_rotated"),
                    get("last_used_date")
                ));
            }
        }
        users.insert(
            field(user).to_owned(),
            Credentials {
                password_enabled: field(password) == "true",
                keys,
                last_used,
            },
        );
    }
    Ok(Export::Report(users))
}

/// One IAM policy statement, as nhi can say it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Statement {
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// An AWS mapping as the catalogue writes it.
#[derive(Debug, Serialize)]
struct AwsDoc {
    actions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    conditions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Serialize)]
struct ActionDoc {
    description: String,
    aws: AwsDoc,
}

#[derive(Debug, Serialize)]
struct TargetsDoc {
    aws: AwsTargetDoc,
}

#[derive(Debug, Serialize)]
struct AwsTargetDoc {
    account_id: String,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    oidc_providers: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles_anywhere_trust_anchor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<String>,
}

/// A principal's permissions: statements with where they came from.
struct Granted {
    allow: Vec<(Statement, String, String)>,
    deny: Vec<(Statement, String, String)>,
    suspended: bool,
}

/// The state of one import.
struct Importer<'a> {
    report: Option<&'a BTreeMap<String, Credentials>>,
    policies: BTreeMap<&'a str, &'a Value>,
    groups: BTreeMap<&'a str, &'a Group>,
    names: Names,
    action_names: Names,
    /// Each distinct statement's action (looked up, never iterated: the
    /// names follow the principals' order).
    actions: HashMap<Statement, String>,
    catalogue: BTreeMap<String, ActionDoc>,
    teams: BTreeMap<String, TeamDoc>,
    oidc: BTreeSet<String>,
    anchors: BTreeSet<String>,
    boundaries: BTreeMap<String, Vec<String>>,
    accounts: BTreeMap<String, usize>,
    out: Imported,
}

impl<'a> Importer<'a> {
    fn new(
        details: &'a AuthorizationDetails,
        report: Option<&'a BTreeMap<String, Credentials>>,
    ) -> Self {
        let policies = details
            .policies
            .iter()
            .filter_map(|p| {
                let version = p
                    .policy_version_list
                    .iter()
                    .find(|v| v.is_default_version || v.version_id == p.default_version_id)?;
                Some((p.arn.as_str(), &version.document))
            })
            .collect();
        let groups = details
            .group_detail_list
            .iter()
            .map(|g| (g.group_name.as_str(), g))
            .collect();
        Self {
            report,
            policies,
            groups,
            names: Names::default(),
            action_names: Names::default(),
            actions: HashMap::new(),
            catalogue: BTreeMap::new(),
            teams: BTreeMap::new(),
            oidc: BTreeSet::new(),
            anchors: BTreeSet::new(),
            boundaries: BTreeMap::new(),
            accounts: BTreeMap::new(),
            out: Imported::default(),
        }
    }

    fn run(mut self, details: &'a AuthorizationDetails) -> Imported {
        let mut roles: Vec<&Role> = details.role_detail_list.iter().collect();
        roles.sort_by(|a, b| a.arn.cmp(&b.arn));
        roles.dedup_by(|a, b| a.arn == b.arn);
        let mut users: Vec<&User> = details.user_detail_list.iter().collect();
        users.sort_by(|a, b| a.arn.cmp(&b.arn));
        users.dedup_by(|a, b| a.arn == b.arn);
        // nhi's own names first, so that a role nhi rendered keeps its name
        for own in [true, false] {
            for role in roles
                .iter()
                .filter(|r| nhi_identity(&r.tags, &r.path).is_some() == own)
            {
                self.role(role);
            }
        }
        for user in users {
            self.user(user);
        }
        self.finish()
    }

    fn role(&mut self, role: &'a Role) {
        if let Some(reason) = role_skip(role) {
            self.skip(reason, &role.arn);
            return;
        }
        let mut notes = Vec::new();
        let Some(auth) = self.trust(role, &mut notes) else {
            return;
        };
        let name = self.name_of(&role.role_name, &role.path, &role.tags);
        let mut policies: Vec<(String, &Value)> = role
            .role_policy_list
            .iter()
            .map(|p| {
                (
                    format!(
                        "inline policy `{}` of role `{}`",
                        p.policy_name, role.role_name
                    ),
                    &p.policy_document,
                )
            })
            .collect();
        self.attached(&role.attached_managed_policies, &mut policies, &mut notes);
        let used = match &role.role_last_used {
            Some(LastUsed {
                last_used_date: Some(d),
                region,
            }) => format!(
                "last used {d}{}",
                region
                    .as_ref()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default()
            ),
            _ => "never used, as far as the export says".to_owned(),
        };
        notes.insert(0, used);
        let kind = if auth.method == "oidc" && auth.issuer.as_deref().is_some_and(is_ci_issuer) {
            "pipeline"
        } else {
            "workload"
        };
        let identity_type = if auth.method == "oidc" {
            "workload_identity"
        } else {
            "service_account"
        };
        self.identity(Candidate {
            name,
            arn: &role.arn,
            path: &role.path,
            iam_name: &role.role_name,
            kind,
            identity_type,
            auth,
            tags: &role.tags,
            boundary: role.permissions_boundary.as_ref(),
            policies,
            notes,
        });
    }

    fn user(&mut self, user: &'a User) {
        let credentials = self
            .report
            .map(|r| r.get(&user.user_name).cloned().unwrap_or_default());
        let mut notes = Vec::new();
        match &credentials {
            Some(c) if c.password_enabled => {
                self.skip(PEOPLE, &user.arn);
                return;
            }
            Some(c) if c.keys.is_empty() => notes.push("it has no active access key".to_owned()),
            Some(c) => notes.extend(c.keys.iter().cloned()),
            None => notes.push("no credential report was given: nhi could not tell whether it is a person with a console password".to_owned()),
        }
        let name = self.name_of(&user.user_name, &user.path, &user.tags);
        let mut policies: Vec<(String, &Value)> = user
            .user_policy_list
            .iter()
            .map(|p| {
                (
                    format!(
                        "inline policy `{}` of user `{}`",
                        p.policy_name, user.user_name
                    ),
                    &p.policy_document,
                )
            })
            .collect();
        self.attached(&user.attached_managed_policies, &mut policies, &mut notes);
        for g in &user.group_list {
            let Some(group) = self.groups.get(g.as_str()).copied() else {
                notes.push(format!(
                    "its group `{g}` is not in the export: what it grants is left out"
                ));
                continue;
            };
            policies.extend(group.group_policy_list.iter().map(|p| {
                (
                    format!("inline policy `{}` of group `{g}`", p.policy_name),
                    &p.policy_document,
                )
            }));
            self.attached(&group.attached_managed_policies, &mut policies, &mut notes);
        }
        self.identity(Candidate {
            name,
            arn: &user.arn,
            path: &user.path,
            iam_name: &user.user_name,
            kind: "service",
            identity_type: "machine_user",
            auth: AuthDoc {
                method: "api_key",
                issuer: None,
                subject: None,
                audience: None,
                client_id: None,
            },
            tags: &user.tags,
            boundary: user.permissions_boundary.as_ref(),
            policies,
            notes,
        });
    }

    fn attached(
        &self,
        attached: &[Attached],
        policies: &mut Vec<(String, &'a Value)>,
        notes: &mut Vec<String>,
    ) {
        for a in attached {
            match self.policies.get(a.policy_arn.as_str()) {
                Some(doc) => policies.push((format!("managed policy `{}`", a.policy_name), doc)),
                None => notes.push(format!(
                    "managed policy `{}` is not in the export: what it grants is left out (export with `--filter LocalManagedPolicy AWSManagedPolicy`)",
                    a.policy_arn
                )),
            }
        }
    }

    fn skip(&mut self, reason: &'static str, arn: &str) {
        self.out
            .skipped
            .entry(reason)
            .or_default()
            .push(arn.to_owned());
    }

    fn name_of(&mut self, iam_name: &str, path: &str, tags: &[Tag]) -> String {
        match nhi_identity(tags, path) {
            Some(own) => self.names.identity(own),
            None => self.names.identity(iam_name),
        }
    }

    /// A role's `auth`, from its trust policy; `None` (and skipped) when
    /// it trusts people or everyone.
    fn trust(&mut self, role: &Role, notes: &mut Vec<String>) -> Option<AuthDoc> {
        let doc = document(&role.assume_role_policy_document);
        let allows: Vec<&Value> = statements(&doc)
            .into_iter()
            .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
            .collect();
        let Some(first) = allows.first() else {
            self.skip(
                "roles whose trust policy lets no one assume them",
                &role.arn,
            );
            return None;
        };
        if allows.len() > 1 {
            notes.push(format!(
                "its trust policy has {} statements: only the first is kept; decide whether the others need identities of their own",
                allows.len()
            ));
        }
        let principal = first.get("Principal");
        let federated = strings(principal.and_then(|p| p.get("Federated")));
        let services = strings(principal.and_then(|p| p.get("Service")));
        let aws = strings(principal.and_then(|p| p.get("AWS")));
        if principal.and_then(Value::as_str) == Some("*") || aws.iter().any(|a| a == "*") {
            self.skip("roles that trust any principal (`*`)", &role.arn);
            return None;
        }
        if let Some(provider) = federated.first() {
            if provider.contains(":saml-provider/") {
                self.skip(SAML, &role.arn);
                return None;
            }
            return Some(self.web_identity(provider, first, notes));
        }
        if services.iter().any(|s| s == "rolesanywhere.amazonaws.com") {
            return Some(self.roles_anywhere(first, notes));
        }
        let all: Vec<&String> = services.iter().chain(&aws).collect();
        let Some(by) = all.first() else {
            self.skip("roles whose trust names no principal nhi reads", &role.arn);
            return None;
        };
        if all.len() > 1 {
            let rest: Vec<&str> = all.iter().skip(1).map(|s| s.as_str()).collect();
            notes.push(format!(
                "its trust also admits {}: only `{by}` is kept; decide whether the others need identities of their own",
                rest.join(", ")
            ));
        }
        if first.get("Condition").is_some() {
            notes.push("the condition of its trust statement is not carried over".to_owned());
        }
        Some(AuthDoc {
            method: "attested",
            issuer: Some((*by).clone()),
            subject: None,
            audience: None,
            client_id: None,
        })
    }

    fn web_identity(
        &mut self,
        provider: &str,
        statement: &Value,
        notes: &mut Vec<String>,
    ) -> AuthDoc {
        let host = provider
            .split_once(":oidc-provider/")
            .map_or(provider, |(_, h)| h)
            .to_owned();
        self.oidc.insert(format!("https://{host}"));
        let conditions = conditions(statement.get("Condition"));
        let find = |suffix: &str| -> Vec<String> {
            conditions
                .iter()
                .filter(|(op, _)| op.starts_with("String"))
                .flat_map(|(_, keys)| keys.iter())
                .filter(|(k, _)| k.as_str() == format!("{host}:{suffix}"))
                .flat_map(|(_, v)| v.iter().cloned())
                .collect()
        };
        let subjects = find("sub");
        let audiences = find("aud");
        if let [kept, _, ..] = subjects.as_slice() {
            notes.push(format!(
                "its trust admits {} subjects: only `{kept}` is kept",
                subjects.len()
            ));
        }
        AuthDoc {
            method: "oidc",
            issuer: Some(format!("https://{host}")),
            subject: subjects.into_iter().next(),
            audience: audiences.into_iter().next(),
            client_id: None,
        }
    }

    fn roles_anywhere(&mut self, statement: &Value, notes: &mut Vec<String>) -> AuthDoc {
        let conditions = conditions(statement.get("Condition"));
        let value = |key: &str| {
            conditions
                .values()
                .filter_map(|keys| keys.get(key))
                .flatten()
                .next()
                .cloned()
        };
        if let Some(anchor) = value("aws:SourceArn") {
            self.anchors.insert(anchor);
        }
        if let Some(uri) = value("aws:PrincipalTag/x509SAN/URI") {
            return AuthDoc {
                method: "spiffe",
                issuer: None,
                subject: Some(uri),
                audience: None,
                client_id: None,
            };
        }
        let cn = value("aws:PrincipalTag/x509Subject/CN");
        if cn.is_none() {
            notes.push("its trust does not pin the certificate's name: any certificate of the trust anchor may assume it".to_owned());
        }
        AuthDoc {
            method: "mtls",
            issuer: None,
            subject: cn,
            audience: None,
            client_id: None,
        }
    }
}

/// What a principal's tags say.
struct FromTags {
    owner: String,
    purpose: Option<String>,
    expires: Option<String>,
    labels: BTreeMap<String, String>,
}

/// One principal on its way to an identity file.
struct Candidate<'a> {
    name: String,
    arn: &'a str,
    path: &'a str,
    iam_name: &'a str,
    kind: &'static str,
    identity_type: &'static str,
    auth: AuthDoc,
    tags: &'a [Tag],
    boundary: Option<&'a Boundary>,
    policies: Vec<(String, &'a Value)>,
    notes: Vec<String>,
}

impl<'a> Importer<'a> {
    fn identity(&mut self, mut p: Candidate<'a>) {
        if let Some(account) = p.arn.split(':').nth(4).filter(|a| !a.is_empty()) {
            *self.accounts.entry(account.to_owned()).or_default() += 1;
        }
        if let Some(b) = p.boundary {
            self.boundaries
                .entry(b.permissions_boundary_arn.clone())
                .or_default()
                .push(p.name.clone());
        }
        let granted = granted(&p.policies, &mut p.notes);
        let forbidden = self.actions_for(&granted.deny);
        let mut allowed = self.actions_for(&granted.allow);
        // a statement the same principal denies grants nothing
        allowed.retain(|a| {
            let denied = forbidden.contains(a);
            if denied {
                p.notes.push(format!(
                    "`{a}` is both allowed and denied: deny wins, so it is only forbidden"
                ));
            }
            !denied
        });
        let FromTags {
            owner,
            purpose,
            expires,
            labels,
        } = self.tags(p.tags, &mut p.notes);
        let known_as = (p.path != NHI_PATH || p.iam_name != p.name).then(|| KnownAsDoc {
            aws: if p.path == "/" {
                p.iam_name.to_owned()
            } else {
                format!("{}{}", p.path, p.iam_name)
            },
        });
        let doc = IdentityDoc {
            agent: p.name.clone(),
            kind: p.kind,
            owner,
            purpose,
            identity_type: p.identity_type,
            auth: p.auth,
            targets: vec!["aws"],
            existing: vec!["aws"],
            known_as,
            state: granted.suspended.then_some("suspended"),
            expires,
            allowed_actions: allowed,
            forbidden_actions: forbidden,
            context: None,
            labels,
        };
        let text = identity_file(&doc, p.arn, &p.notes);
        self.out
            .files
            .insert(format!("{IDENTITIES_DIR}/{}.yaml", p.name), text);
        self.out.identities.push(p.name.clone());
        self.out.notes.insert(p.name, p.notes);
    }

    /// The catalogue actions of statements, each distinct statement once
    /// in the whole workspace.
    fn actions_for(&mut self, statements: &[(Statement, String, String)]) -> Vec<String> {
        let mut names = Vec::new();
        for (statement, base, origin) in statements {
            let name = match self.actions.get(statement) {
                Some(n) => n.clone(),
                None => {
                    let n = self.action_names.action(base);
                    self.actions.insert(statement.clone(), n.clone());
                    self.catalogue.insert(
                        n.clone(),
                        ActionDoc {
                            description: format!("Imported from {origin}"),
                            aws: AwsDoc {
                                actions: statement.actions.clone(),
                                resources: statement.resources.clone(),
                                conditions: statement.conditions.clone(),
                            },
                        },
                    );
                    n
                }
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Owner, purpose and labels from tags.
    fn tags(&mut self, tags: &[Tag], notes: &mut Vec<String>) -> FromTags {
        let mut owner = None;
        let mut purpose = None;
        let mut expires = None;
        let mut labels = BTreeMap::new();
        for t in tags {
            let key = t.key.to_ascii_lowercase();
            match key.as_str() {
                "nhi:owner" | "owner" | "team" => owner = Some(t.value.clone()),
                "nhi:purpose" | "purpose" | "description" => purpose = Some(t.value.clone()),
                "nhi:expires" | "expires" => match crate::model::parse_date(&t.value) {
                    Some(d) => expires = Some(d.to_string()),
                    None => notes.push(format!(
                        "its tag `{}` is not a date (`YYYY-MM-DD`): not carried over",
                        t.key
                    )),
                },
                _ if key.starts_with("nhi:") => {}
                _ if key.starts_with("aws:") => notes.push(format!(
                    "tag `{}` is AWS's own and is not carried over",
                    t.key
                )),
                _ => {
                    labels.insert(t.key.clone(), t.value.clone());
                }
            }
        }
        FromTags {
            owner: super::owner_team(&mut self.teams, owner.as_deref()),
            purpose: purpose.filter(|p| !p.trim().is_empty()),
            expires,
            labels,
        }
    }

    fn finish(mut self) -> Imported {
        let account = self
            .accounts
            .iter()
            .max_by_key(|(a, n)| (**n, std::cmp::Reverse((*a).clone())))
            .map_or_else(|| "000000000000".to_owned(), |(a, _)| a.clone());
        let boundary = match self.boundaries.len() {
            0 => None,
            1 => self.boundaries.keys().next().cloned(),
            _ => {
                for (arn, names) in &self.boundaries {
                    for n in names {
                        self.out.notes.entry(n.clone()).or_default().push(format!(
                            "its permissions boundary `{arn}` is one of several in the account: the workspace names none, decide which"
                        ));
                    }
                }
                None
            }
        };
        super::write_workspace(
            &mut self.out,
            "aws",
            std::mem::take(&mut self.teams),
            TargetsDoc {
                aws: AwsTargetDoc {
                    account_id: account,
                    oidc_providers: std::mem::take(&mut self.oidc),
                    roles_anywhere_trust_anchor: self.anchors.iter().next().cloned(),
                    permissions_boundary: boundary,
                },
            },
            std::mem::take(&mut self.catalogue),
            "what the imported policies grant and deny, one action per distinct statement",
        );
        self.out
    }
}

/// Why a role is not a non-human identity nhi imports.
fn role_skip(role: &Role) -> Option<&'static str> {
    if role.path.starts_with("/aws-service-role/") {
        Some("service-linked roles (AWS's own)")
    } else if role.path.starts_with("/aws-reserved/")
        || role.role_name.starts_with("AWSReservedSSO_")
    {
        Some("IAM Identity Center permission-set roles (people)")
    } else {
        None
    }
}

/// The identity nhi rendered a role or user for, by its tag, when it is
/// under nhi's path.
fn nhi_identity<'t>(tags: &'t [Tag], path: &str) -> Option<&'t str> {
    (path == NHI_PATH)
        .then(|| tags.iter().find(|t| t.key == "nhi:identity"))
        .flatten()
        .map(|t| t.value.as_str())
}

fn is_ci_issuer(issuer: &str) -> bool {
    [
        "token.actions.githubusercontent.com",
        "gitlab.com",
        "app.terraform.io",
    ]
    .iter()
    .any(|h| issuer.trim_start_matches("https://").trim_end_matches('/') == *h)
}

/// A policy document: JSON, or JSON in the URL encoding the IAM API uses.
fn document(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

/// A string or a list of strings.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn conditions(value: Option<&Value>) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let Some(Value::Object(ops)) = value else {
        return BTreeMap::new();
    };
    ops.iter()
        .filter_map(|(op, keys)| {
            let Value::Object(keys) = keys else {
                return None;
            };
            let keys: BTreeMap<String, Vec<String>> = keys
                .iter()
                .map(|(k, v)| {
                    let values = match v {
                        Value::Array(_) => strings(Some(v)),
                        other => scalar(other).into_iter().collect(),
                    };
                    (k.clone(), values)
                })
                .collect();
            Some((op.clone(), keys))
        })
        .collect()
}

/// Every statement of a principal's policies, as allowed and forbidden
/// catalogue statements with a name each and where they came from.
fn granted(policies: &[(String, &Value)], notes: &mut Vec<String>) -> Granted {
    let mut g = Granted {
        allow: Vec::new(),
        deny: Vec::new(),
        suspended: false,
    };
    for (origin, doc) in policies {
        let doc = document(doc);
        let all = statements(&doc);
        let several = all.len() > 1;
        for (i, s) in all.into_iter().enumerate() {
            let here = if several {
                format!("statement {} of {origin}", i + 1)
            } else {
                origin.clone()
            };
            let deny = s.get("Effect").and_then(Value::as_str) == Some("Deny");
            if let Some(key) = ["NotAction", "NotResource", "NotPrincipal"]
                .into_iter()
                .find(|k| s.get(*k).is_some())
            {
                notes.push(format!("{here} uses `{key}`, which nhi cannot say: it is left out, so the identity may do {} than the role", if deny { "more" } else { "less" }));
                continue;
            }
            let mut actions = strings(s.get("Action"));
            actions.sort();
            actions.dedup();
            let mut resources = strings(s.get("Resource"));
            resources.sort();
            resources.dedup();
            if resources == ["*"] {
                resources.clear();
            }
            if actions.is_empty() {
                continue;
            }
            let mut conditions = conditions(s.get("Condition"));
            if deny && actions == ["*"] && resources.is_empty() && conditions.is_empty() {
                g.suspended = true;
                continue;
            }
            if deny && !conditions.is_empty() {
                notes.push(format!("{here} denies under a condition: nhi denies unconditionally, so the condition is dropped"));
                conditions.clear();
            }
            let base = action_base(
                s.get("Sid").and_then(Value::as_str),
                origin,
                several.then_some(i + 1),
            );
            let statement = Statement {
                actions,
                resources,
                conditions,
            };
            if deny {
                g.deny.push((statement, base, here));
            } else {
                g.allow.push((statement, base, here));
            }
        }
    }
    narrow_overlaps(&mut g, notes);
    g
}

/// The most actions an Allow is written out as, when a Deny of the same
/// principal takes part of it back.
const MAX_WRITTEN_OUT: usize = 200;

/// nhi forbids an allowed action to share a permission with a forbidden
/// one (`AC005`): an Allow that a Deny of the same principal partly takes
/// back (`s3:*` but not `s3:PutBucketPolicy`) is written out as the
/// actions it grants that no such Deny names; one that would take more
/// than [`MAX_WRITTEN_OUT`] actions to write out, or nothing, is left out.
/// Either way the identity may do no more than the principal.
fn narrow_overlaps(g: &mut Granted, notes: &mut Vec<String>) {
    let Some(reference) = crate::vocabulary::aws::reference() else {
        return;
    };
    let expand = |patterns: &[String]| -> BTreeSet<String> {
        patterns
            .iter()
            .flat_map(|p| reference.expand(p).unwrap_or_default())
            .map(|a| a.to_ascii_lowercase())
            .collect()
    };
    let any = |r: &[String]| {
        if r.is_empty() {
            vec!["*".to_owned()]
        } else {
            r.to_vec()
        }
    };
    let denies: Vec<(BTreeSet<String>, Vec<String>)> = g
        .deny
        .iter()
        .map(|(s, _, _)| (expand(&s.actions), any(&s.resources)))
        .collect();
    let mut kept = Vec::new();
    for (mut statement, base, here) in std::mem::take(&mut g.allow) {
        let resources = any(&statement.resources);
        let denied: BTreeSet<String> = denies
            .iter()
            .filter(|(_, dr)| {
                resources
                    .iter()
                    .any(|r| dr.iter().any(|d| glob::overlap(r, d, false)))
            })
            .flat_map(|(actions, _)| actions.iter().cloned())
            .collect();
        let granted = expand(&statement.actions);
        if granted.is_disjoint(&denied) {
            kept.push((statement, base, here));
            continue;
        }
        let spelled: BTreeMap<String, String> = statement
            .actions
            .iter()
            .flat_map(|p| reference.expand(p).unwrap_or_default())
            .map(|a| (a.to_ascii_lowercase(), a))
            .collect();
        let left: Vec<String> = spelled
            .into_iter()
            .filter(|(lower, _)| !denied.contains(lower))
            .map(|(_, a)| a)
            .collect();
        if left.is_empty() {
            notes.push(format!(
                "{here} allows {}, all of which a Deny takes back: it is left out",
                crate::diag::backticked(statement.actions.iter().map(String::as_str))
            ));
            continue;
        }
        if left.len() > MAX_WRITTEN_OUT {
            notes.push(format!(
                "{here} allows {} and a Deny takes part of it back: the {} actions left are too many to write out, so it is left out",
                crate::diag::backticked(statement.actions.iter().map(String::as_str)),
                left.len()
            ));
            continue;
        }
        notes.push(format!(
            "{here} allows {} and a Deny takes part of it back: written out as the {} actions it grants that no Deny names",
            crate::diag::backticked(statement.actions.iter().map(String::as_str)),
            left.len()
        ));
        statement.actions = left;
        kept.push((statement, base, here));
    }
    g.allow = kept;
}

/// The name an action would take: its `Sid` (nhi's own without its
/// effect), unless the console made it up (`VisualEditor0`, `Stmt1`);
/// else the policy's name and the statement's number.
fn action_base(sid: Option<&str>, origin: &str, number: Option<usize>) -> String {
    if let Some(sid) = sid {
        for prefix in ["Allow", "Deny", "Guardrail"] {
            if let Some(rest) = sid.strip_prefix(prefix)
                && rest.starts_with(|c: char| c.is_ascii_uppercase())
            {
                return snake(rest);
            }
        }
        let generated = ["VisualEditor", "Stmt", "Statement", "Sid"]
            .iter()
            .any(|g| {
                sid.strip_prefix(g)
                    .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
            });
        if !generated && sid.chars().any(|c| c.is_ascii_alphabetic()) {
            return snake(sid);
        }
    }
    let policy = origin.split('`').nth(1).unwrap_or(origin);
    match number {
        Some(n) => snake(&format!("{policy} {n}")),
        None => snake(policy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_come_from_nhi_sids_or_policies() {
        assert_eq!(
            action_base(Some("AllowReadTerraformState"), "x", None),
            "read_terraform_state"
        );
        assert_eq!(
            action_base(Some("GuardrailManageIam"), "x", None),
            "manage_iam"
        );
        assert_eq!(
            action_base(Some("VisualEditor0"), "managed policy `ReadOnly`", Some(2)),
            "read_only_2"
        );
        assert_eq!(action_base(Some("PushImages"), "x", Some(1)), "push_images");
        assert_eq!(
            action_base(Some("Stmt1500000000000"), "inline policy `sync`", None),
            "sync"
        );
    }
}
