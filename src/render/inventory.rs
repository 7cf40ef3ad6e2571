//! The inventory: the record of every identity the workspace declares —
//! active, suspended, revoked or expired — with who answers for it, what
//! it is for, where it stands in its lifecycle and the targets it is
//! rendered into. `inventory.json` for tools, `inventory.csv` for a
//! spreadsheet.
//!
//! The targets are read from what the other renderers produced (the
//! identity each per-identity file names, and the identities in Cedar's
//! entities), never decided again here, so the inventory cannot disagree
//! with the output it describes. It names the authentication method only:
//! no issuer, subject, secret reference or credential reaches it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyse::{Analysis, lifecycle};
use crate::cedar::Rendering;
use crate::cedar::entities::Attrs;
use crate::model::{Identity, Model};
use crate::source::SourceDb;

use super::{Artifact, Artifacts, Target};

/// The JSON file's path in the output folder.
pub const JSON_FILE: &str = "inventory.json";
/// The CSV file's path in the output folder.
pub const CSV_FILE: &str = "inventory.csv";
/// The version of the JSON format.
pub const VERSION: u32 = 1;

/// The columns of the CSV file, in order: the JSON field names.
pub const COLUMNS: [&str; 23] = [
    "name",
    "kind",
    "identity_type",
    "owner",
    "accountable",
    "purpose",
    "acts",
    "auth_method",
    "risk_tier",
    "provider",
    "model",
    "mcp_servers",
    "requests_per_minute",
    "concurrent_claims",
    "state",
    "last_reviewed",
    "reviewer",
    "review_cycle",
    "review_due",
    "expires",
    "renders",
    "targets",
    "source",
];

/// The inventory file: `{"version": 1, "identities": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// The format's version.
    pub version: u32,
    /// Every identity, in name order.
    pub identities: Vec<Entry>,
}

/// One identity in the inventory. Absent values are `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// `agent`, `workload`, `pipeline` or `service`.
    pub kind: &'static str,
    /// Its `identity_type`.
    pub identity_type: Option<&'static str>,
    /// The owning team.
    pub owner: String,
    /// The accountable human.
    pub accountable: Option<String>,
    /// The business purpose.
    pub purpose: Option<String>,
    /// `autonomous` or `on_behalf_of_user`.
    pub acts: Option<&'static str>,
    /// The authentication method (never a secret or its reference).
    pub auth_method: &'static str,
    /// `low`, `medium` or `high`.
    pub risk_tier: Option<&'static str>,
    /// What is acting: its provider (`provenance.provider`).
    pub provider: Option<String>,
    /// And its model (`provenance.model`).
    pub model: Option<String>,
    /// The MCP servers it may call tools on, in name order.
    pub mcp_servers: Vec<String>,
    /// The requests a minute it may make at its gateways.
    pub requests_per_minute: Option<u32>,
    /// The resource claims it may hold at once.
    pub concurrent_claims: Option<u32>,
    /// `active`, `suspended` or `revoked`.
    pub state: &'static str,
    /// The date of its last review.
    pub last_reviewed: Option<String>,
    /// Who reviewed it last.
    pub reviewer: Option<String>,
    /// Its review cycle (`quarterly`, `90d`).
    pub review_cycle: Option<String>,
    /// The date its next review is due: the last review plus the cycle.
    pub review_due: Option<String>,
    /// The date its purpose ends.
    pub expires: Option<String>,
    /// Whether it renders at all (not revoked, not expired).
    pub renders: bool,
    /// The targets `nhi build` rendered objects into for it, in target
    /// order.
    pub targets: Vec<&'static str>,
    /// The file that declares it, relative to the workspace.
    pub source: String,
}

/// The targets each identity was rendered into: the folder of every file
/// that names it as its source, and Cedar when an entity stands for it.
#[must_use]
pub fn rendered_targets(
    cedar: &Rendering,
    artifacts: &Artifacts,
) -> BTreeMap<String, BTreeSet<Target>> {
    let mut out: BTreeMap<String, BTreeSet<Target>> = BTreeMap::new();
    for artifact in artifacts.iter() {
        let Some(source) = &artifact.source else {
            continue;
        };
        let folder = artifact.path.split('/').next().unwrap_or_default();
        if let Some(target) = Target::ALL.into_iter().find(|t| t.dir() == folder) {
            out.entry(source.clone()).or_default().insert(target);
        }
    }
    for entity in &cedar.entities {
        if matches!(entity.attrs, Attrs::Identity(_)) {
            out.entry(entity.uid.id.clone())
                .or_default()
                .insert(Target::Cedar);
        }
    }
    out
}

/// The inventory of every identity, with the targets each was rendered
/// into.
#[must_use]
pub fn inventory(
    model: &Model,
    analysis: &Analysis,
    db: &SourceDb,
    targets: &BTreeMap<String, BTreeSet<Target>>,
) -> Inventory {
    let identities = model
        .identities
        .values()
        .map(|identity| entry(identity, analysis, db, targets))
        .collect();
    Inventory {
        version: VERSION,
        identities,
    }
}

fn entry(
    identity: &Identity,
    analysis: &Analysis,
    db: &SourceDb,
    targets: &BTreeMap<String, BTreeSet<Target>>,
) -> Entry {
    let name = identity.name.value.to_string();
    let targets = targets
        .get(&name)
        .into_iter()
        .flatten()
        .map(|t| t.dir())
        .collect();
    Entry {
        kind: identity.kind.as_str(),
        identity_type: identity.identity_type.as_ref().map(|t| t.value.as_str()),
        owner: identity.owner.value.clone(),
        accountable: identity
            .accountable
            .as_ref()
            .map(|a| a.value.as_str().to_owned()),
        purpose: identity.purpose.as_ref().map(|p| p.value.clone()),
        acts: identity.acts.as_ref().map(|a| a.value.as_str()),
        auth_method: identity.auth.method.value.as_str(),
        risk_tier: identity.risk_tier.as_ref().map(|r| r.value.as_str()),
        provider: identity
            .provenance
            .provider
            .as_ref()
            .map(|p| p.value.clone()),
        model: identity.provenance.model.as_ref().map(|m| m.value.clone()),
        mcp_servers: identity
            .mcp
            .iter()
            .filter(|g| !g.tools.is_empty())
            .map(|g| g.server.value.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        requests_per_minute: identity
            .rate_limits
            .requests_per_minute
            .as_ref()
            .map(|r| r.value),
        concurrent_claims: identity
            .rate_limits
            .concurrent_claims
            .as_ref()
            .map(|c| c.value),
        state: identity.state.value.as_str(),
        last_reviewed: identity.last_reviewed.as_ref().map(|d| d.value.to_string()),
        reviewer: identity.reviewer.as_ref().map(|r| r.value.clone()),
        review_cycle: identity.review_cycle.as_ref().map(|c| c.value.to_string()),
        review_due: lifecycle::review_due(identity).map(|d| d.to_string()),
        expires: identity.expires.as_ref().map(|e| e.value.to_string()),
        renders: analysis.renders(identity),
        targets,
        source: db.display_path(identity.file),
        name,
    }
}

impl Entry {
    /// Its CSV row, in [`COLUMNS`] order: absent values empty, targets
    /// separated by spaces.
    fn row(&self) -> [String; COLUMNS.len()] {
        let text = |v: Option<&str>| v.map(spreadsheet_cell).unwrap_or_default();
        [
            spreadsheet_cell(&self.name),
            spreadsheet_cell(self.kind),
            text(self.identity_type),
            spreadsheet_cell(&self.owner),
            text(self.accountable.as_deref()),
            text(self.purpose.as_deref()),
            text(self.acts),
            spreadsheet_cell(self.auth_method),
            text(self.risk_tier),
            text(self.provider.as_deref()),
            text(self.model.as_deref()),
            self.mcp_servers
                .iter()
                .map(|s| spreadsheet_cell(s))
                .collect::<Vec<_>>()
                .join(" "),
            self.requests_per_minute
                .map(|n| n.to_string())
                .unwrap_or_default(),
            self.concurrent_claims
                .map(|n| n.to_string())
                .unwrap_or_default(),
            spreadsheet_cell(self.state),
            text(self.last_reviewed.as_deref()),
            text(self.reviewer.as_deref()),
            text(self.review_cycle.as_deref()),
            text(self.review_due.as_deref()),
            text(self.expires.as_deref()),
            self.renders.to_string(),
            self.targets.join(" "),
            spreadsheet_cell(&self.source),
        ]
    }
}

/// A CSV cell a spreadsheet shows as text: one that would start a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`,
/// as OWASP advises against CSV injection.
pub fn spreadsheet_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// The CSV file's text: the header row, then one row per identity.
fn csv_text(inventory: &Inventory) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // writing into memory fails only on a record of the wrong length,
    // which the fixed-size rows rule out
    let _ = writer.write_record(COLUMNS);
    for entry in &inventory.identities {
        let _ = writer.write_record(entry.row());
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Render `inventory.json` and `inventory.csv`.
#[must_use]
pub fn render(inventory: &Inventory) -> Artifacts {
    let mut out = Artifacts::new();
    out.insert(Artifact::new(JSON_FILE, super::json_file(inventory), None));
    out.insert(Artifact::new(CSV_FILE, csv_text(inventory), None));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            name: "a".to_owned(),
            kind: "agent",
            identity_type: None,
            owner: "t".to_owned(),
            accountable: Some("ada@example.com".to_owned()),
            purpose: Some("=HYPERLINK(\"x\"), and \"quotes\"".to_owned()),
            acts: None,
            auth_method: "oidc",
            risk_tier: Some("low"),
            provider: Some("anthropic".to_owned()),
            model: Some("claude-sonnet".to_owned()),
            mcp_servers: vec!["argocd".to_owned(), "kubectl".to_owned()],
            requests_per_minute: Some(60),
            concurrent_claims: None,
            state: "suspended",
            last_reviewed: None,
            reviewer: None,
            review_cycle: Some("90d".to_owned()),
            review_due: None,
            expires: None,
            renders: true,
            targets: vec!["cedar", "aws"],
            source: "identities/a.yaml".to_owned(),
        }
    }

    #[test]
    fn the_csv_header_names_the_json_fields_in_order() {
        let json = serde_json::to_string(&entry()).unwrap();
        let at: Vec<usize> = COLUMNS
            .iter()
            .map(|c| json.find(&format!("\"{c}\":")).unwrap())
            .collect();
        assert!(at.is_sorted(), "{json}");
        let fields = serde_json::to_value(entry()).unwrap();
        assert_eq!(fields.as_object().unwrap().len(), COLUMNS.len());
    }

    #[test]
    fn csv_rows_quote_and_defuse_what_a_spreadsheet_would_run() {
        let text = csv_text(&Inventory {
            version: VERSION,
            identities: vec![entry()],
        });
        insta::assert_snapshot!(text, @r#"
        name,kind,identity_type,owner,accountable,purpose,acts,auth_method,risk_tier,provider,model,mcp_servers,requests_per_minute,concurrent_claims,state,last_reviewed,reviewer,review_cycle,review_due,expires,renders,targets,source
        a,agent,,t,ada@example.com,"'=HYPERLINK(""x""), and ""quotes""",,oidc,low,anthropic,claude-sonnet,argocd kubectl,60,,suspended,,,90d,,,true,cedar aws,identities/a.yaml
        "#);
    }
}
