//! The AWS Service Authorization Reference: every service's IAM actions
//! with their access level, resource types and the tag condition AWS
//! evaluates for them, and each resource type's ARN format. Generated into `data/aws-service-reference.json` by
//! `scripts/aws-service-reference.py` (from the parliament package's copy
//! of the reference; `--check` says whether the shipped file is current).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::glob;

/// The condition key of the time AWS receives a request at.
pub const CURRENT_TIME: &str = "aws:CurrentTime";

/// `value` as a literal in an IAM policy: `${` starts a policy variable
/// there (`${aws:username}`), so it is written `${$}{`, which AWS reads as
/// the characters `${`.
#[must_use]
pub fn literal(value: &str) -> String {
    value.replace("${", "${$}{")
}

/// How much an action can do, as AWS classifies it; ordered from least to
/// most sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads data or configuration.
    Read,
    /// Tags resources.
    Tagging,
    /// Creates, changes or deletes resources or data.
    Write,
    /// Changes who may do what.
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
}

impl AccessLevel {
    /// The level as AWS writes it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::List => "List",
            Self::Read => "Read",
            Self::Tagging => "Tagging",
            Self::Write => "Write",
            Self::PermissionsManagement => "Permissions management",
        }
    }
}

/// The tag condition AWS evaluates for an action: the only way an IAM
/// policy can narrow it by an attribute of what it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tags {
    /// It acts on resources that all carry tags: `aws:ResourceTag/KEY`.
    Resource,
    /// It creates what it is authorized on, tagged by the request:
    /// `aws:RequestTag/KEY` (the resource has no tags yet).
    Request,
}

impl Tags {
    /// The condition key prefix (`aws:ResourceTag/`, `aws:RequestTag/`).
    #[must_use]
    pub const fn key_prefix(self) -> &'static str {
        match self {
            Self::Resource => "aws:ResourceTag/",
            Self::Request => "aws:RequestTag/",
        }
    }
}

/// One action of a service.
#[derive(Clone, Debug, Deserialize)]
pub struct ActionInfo {
    /// Its access level.
    pub access: AccessLevel,
    /// The resource types it can be scoped to (none: only `*`).
    pub resources: Vec<String>,
    /// The tag condition AWS evaluates for it (none: it acts on `*` only or
    /// on untaggable resources, and no tag condition narrows it).
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// One service (`s3`, `codebuild`…).
#[derive(Clone, Debug, Deserialize)]
pub struct Service {
    /// Its names in the reference.
    pub names: Vec<String>,
    /// Its actions, by name as AWS spells them.
    pub actions: BTreeMap<String, ActionInfo>,
    /// Its resource types and their ARN formats.
    pub resources: BTreeMap<String, String>,
    /// Its condition keys.
    pub conditions: Vec<String>,
}

/// The whole reference.
#[derive(Clone, Debug, Deserialize)]
pub struct Reference {
    /// Where the data comes from.
    pub source: String,
    /// Every service by its prefix.
    pub services: BTreeMap<String, Service>,
}

static REFERENCE: LazyLock<Option<Reference>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../data/aws-service-reference.json")).ok()
});

/// The shipped reference (`None` only if the shipped file were unreadable,
/// which a test rules out).
#[must_use]
pub fn reference() -> Option<&'static Reference> {
    REFERENCE.as_ref()
}

/// An action pattern that names nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// A likely intended action, if one is close.
    pub suggestion: Option<String>,
    /// Whether the service prefix itself is unknown.
    pub unknown_service: bool,
}

impl Reference {
    /// The actions a pattern (`s3:GetObject`, `s3:Get*`, `*`) names, as
    /// `service:Action`, matched case-insensitively as IAM does.
    ///
    /// # Errors
    ///
    /// When it names no action, with a suggestion when one is close.
    pub fn expand(&self, pattern: &str) -> Result<Vec<String>, Unknown> {
        if pattern == "*" {
            return Ok(self.all().collect());
        }
        let Some((prefix, name)) = pattern.split_once(':') else {
            return Err(Unknown {
                suggestion: None,
                unknown_service: true,
            });
        };
        let prefix_lower = prefix.to_ascii_lowercase();
        let services: Vec<(&String, &Service)> = if glob::is_pattern(prefix) {
            self.services
                .iter()
                .filter(|(p, _)| glob::matches(&prefix_lower, p, true))
                .collect()
        } else {
            self.services
                .get_key_value(&prefix_lower)
                .into_iter()
                .collect()
        };
        if services.is_empty() {
            return Err(Unknown {
                suggestion: crate::diag::did_you_mean(
                    &prefix_lower,
                    self.services.keys().map(String::as_str),
                ),
                unknown_service: true,
            });
        }
        let found: Vec<String> = if glob::is_pattern(name) {
            services
                .iter()
                .flat_map(|(p, s)| {
                    s.actions
                        .keys()
                        .filter(|a| glob::matches(name, a, true))
                        .map(move |a| format!("{p}:{a}"))
                })
                .collect()
        } else {
            services
                .iter()
                .filter_map(|(p, s)| {
                    s.actions
                        .get_key_value(name)
                        .or_else(|| s.actions.iter().find(|(a, _)| a.eq_ignore_ascii_case(name)))
                        .map(|(a, _)| format!("{p}:{a}"))
                })
                .collect()
        };
        if found.is_empty() {
            let candidates: Vec<String> = services
                .iter()
                .flat_map(|(p, s)| s.actions.keys().map(move |a| format!("{p}:{a}")))
                .collect();
            return Err(Unknown {
                suggestion: crate::diag::did_you_mean(
                    pattern,
                    candidates.iter().map(String::as_str),
                ),
                unknown_service: false,
            });
        }
        Ok(found)
    }

    /// Every action of every service.
    pub fn all(&self) -> impl Iterator<Item = String> + '_ {
        self.services
            .iter()
            .flat_map(|(p, s)| s.actions.keys().map(move |a| format!("{p}:{a}")))
    }

    /// An action's entry (`s3:GetObject`, any case).
    #[must_use]
    pub fn action(&self, action: &str) -> Option<&ActionInfo> {
        let (prefix, name) = action.split_once(':')?;
        let service = self.services.get(&prefix.to_ascii_lowercase())?;
        service.actions.get(name).or_else(|| {
            service
                .actions
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(name))
                .map(|(_, info)| info)
        })
    }

    /// The tag condition AWS evaluates for every action a pattern names,
    /// or `None` when one of them has none or they differ.
    #[must_use]
    pub fn tags(&self, pattern: &str) -> Option<Tags> {
        let actions = self.expand(pattern).ok()?;
        let mut tags = actions.iter().map(|a| self.action(a).and_then(|i| i.tags));
        let first = tags.next()??;
        tags.all(|t| t == Some(first)).then_some(first)
    }

    /// The highest access level among the actions a pattern names.
    #[must_use]
    pub fn highest_access(&self, pattern: &str) -> Option<AccessLevel> {
        self.expand(pattern)
            .ok()?
            .iter()
            .filter_map(|a| self.action(a).map(|i| i.access))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_loads_and_knows_its_actions() {
        let r = reference().expect("the shipped reference parses");
        assert!(r.services.len() > 400);
        assert_eq!(
            r.action("s3:GetObject").map(|a| a.access),
            Some(AccessLevel::Read)
        );
        assert_eq!(
            r.action("IAM:putrolepolicy").map(|a| a.access),
            Some(AccessLevel::PermissionsManagement)
        );
        let gets = r.expand("s3:GetObject*").unwrap();
        assert!(gets.contains(&"s3:GetObjectAcl".to_owned()));
        assert!(gets.iter().all(|a| a.starts_with("s3:GetObject")));
        let unknown = r.expand("s3:GetObjekt").unwrap_err();
        assert_eq!(
            unknown.suggestion.as_deref(),
            Some("did you mean `s3:GetObject`?")
        );
        assert!(r.expand("s4:GetObject").unwrap_err().unknown_service);
        assert!(AccessLevel::PermissionsManagement > AccessLevel::Write);
        // tags: on a taggable resource, on what a create makes, or none
        assert_eq!(r.tags("logs:GetLogEvents"), Some(Tags::Resource));
        assert_eq!(r.tags("rds:CreateDBSnapshot"), Some(Tags::Request));
        assert_eq!(
            r.tags("s3:GetObject"),
            None,
            "S3 objects take no tag condition"
        );
        assert_eq!(r.tags("ec2:DescribeInstances"), None, "only on `*`");
        assert_eq!(
            r.tags("bedrock:InvokeModel"),
            None,
            "foundation models carry no tags"
        );
        // a pattern is only as taggable as every action it names
        assert_eq!(r.tags("logs:GetLogE*"), Some(Tags::Resource));
        assert_eq!(r.tags("logs:GetLog*"), None, "logs:GetLogDelivery has none");
        assert_eq!(r.tags("ec2:Describe*"), None);
        assert!(AccessLevel::Write > AccessLevel::Read);
    }

    #[test]
    fn policy_variables_are_written_as_literals() {
        assert_eq!(literal("${aws:username}"), "${$}{aws:username}");
        assert_eq!(literal("team-$5"), "team-$5");
    }
}
