//! Google Cloud's naming rules: the service account and custom role ids
//! nhi derives from identity names, and how deny policies name a
//! permission.

/// A service account id for an identity's name: 6–30 characters, a letter
/// first (Google's rule), the name itself when it fits.
#[must_use]
pub fn account_id(name: &str) -> String {
    let mut id = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{name}")
    } else {
        name.to_owned()
    };
    if id.len() > 30 {
        id.truncate(30);
        while id.ends_with('-') {
            id.pop();
        }
    }
    if id.len() < 6 {
        id.push_str("-sa-nhi");
    }
    id
}

/// A custom role id for an identity's name: `nhi_` and the name with `_`
/// for `-`, at most 64 characters.
#[must_use]
pub fn role_id(name: &str) -> String {
    let mut id = format!("nhi_{}", name.replace('-', "_"));
    id.truncate(64);
    id
}

/// The id of an identity's `n`th custom role (from 2: those bound under a
/// condition): its first role's id and `.n`, which no identity's own role
/// id holds.
#[must_use]
pub fn numbered_role_id(name: &str, n: usize) -> String {
    let suffix = format!(".{n}");
    let mut id = role_id(name);
    id.truncate(64 - suffix.len());
    id + &suffix
}

/// A workload identity pool provider id for an issuer's host: 4–32
/// lower-case letters, digits and `-` (Google's rule), never `gcp-`
/// first (Google's own).
#[must_use]
pub fn provider_id(host: &str) -> String {
    let mut id: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if id.starts_with("gcp-") {
        id.insert_str(0, "nhi-");
    }
    id.truncate(32);
    let mut id = id.trim_matches('-').to_owned();
    while id.contains("--") {
        id = id.replace("--", "-");
    }
    if id.len() < 4 {
        id.push_str("-nhi");
    }
    id
}

/// A permission (`storage.objects.delete`) as deny policies name it
/// (`storage.googleapis.com/objects.delete`).
#[must_use]
pub fn deny_permission(permission: &str) -> String {
    match permission.split_once('.') {
        Some((service, rest)) => format!("{service}.googleapis.com/{rest}"),
        None => permission.to_owned(),
    }
}

/// The most logical operators (`&&`, `||`) Google Cloud accepts in one IAM
/// condition expression.
pub const MAX_CONDITION_OPERATORS: usize = 12;

/// The most resource names one IAM condition can name: one `&&` after
/// the type, one `||` between each two names.
pub const MAX_CONDITION_NAMES: usize = MAX_CONDITION_OPERATORS;

/// Whether `s` is a resource type as IAM Conditions see it:
/// `SERVICE.googleapis.com/Type`.
#[must_use]
pub fn is_resource_type(s: &str) -> bool {
    let Some((service, kind)) = s.split_once('/') else {
        return false;
    };
    service.strip_suffix(".googleapis.com").is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    }) && kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphanumeric())
}

/// What is wrong with a resource name template, if anything: it must name
/// `{name}` exactly once, may name `{project}`, and holds no spaces,
/// quotes or other placeholders.
#[must_use]
pub fn template_problem(template: &str) -> Option<&'static str> {
    if template.matches("{name}").count() != 1 {
        return Some("it must hold `{name}` exactly once");
    }
    let rest = template.replace("{name}", "").replace("{project}", "");
    if rest.contains(['{', '}']) {
        return Some("only `{name}` and `{project}` are replaced");
    }
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\')
    {
        return Some("a resource name has no spaces, quotes or backslashes");
    }
    None
}

/// The full name of the resource `name` in `project`, by `template`.
#[must_use]
pub fn resource_name(template: &str, project: &str, name: &str) -> String {
    template
        .replace("{project}", project)
        .replace("{name}", name)
}

/// Whether a binding's condition on resources of type `kind` narrows
/// `permission`: Google checks it on a resource of that service, and on the
/// resource itself, not on its parent as it does to list or create.
#[must_use]
pub fn narrows(kind: &str, permission: &str) -> bool {
    let service = kind.split_once('.').map_or(kind, |(s, _)| s);
    let mut parts = permission.split('.');
    parts.next() == Some(service)
        && !matches!(permission.rsplit('.').next(), Some("list" | "create"))
}

/// The IAM condition that holds a binding to the resources of type `kind`
/// with one of `names` (full resource names), in the Common Expression
/// Language.
#[must_use]
pub fn condition(kind: &str, names: &[String]) -> String {
    let lit = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    let names: Vec<String> = names
        .iter()
        .map(|n| format!("resource.name == {}", lit(n)))
        .collect();
    let names = match names.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", names.join(" || ")),
    };
    format!("resource.type == {} && {names}", lit(kind))
}

/// An IAM condition holding a binding to a time window: `request.time`
/// at or after `from` (when given) and before `until` (when given).
#[must_use]
pub fn time_condition(from: Option<&str>, until: Option<&str>) -> Option<String> {
    let lit = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    let parts: Vec<String> = [(from, ">="), (until, "<")]
        .into_iter()
        .filter_map(|(t, op)| t.map(|t| format!("request.time {op} timestamp({})", lit(t))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" && "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_and_templates() {
        assert!(is_resource_type(
            "artifactregistry.googleapis.com/Repository"
        ));
        assert!(!is_resource_type("artifactregistry/Repository"));
        assert!(!is_resource_type("storage.googleapis.com/bucket"));
        assert_eq!(template_problem("projects/{project}/buckets/{name}"), None);
        assert!(template_problem("projects/{project}/buckets/").is_some());
        assert!(template_problem("projects/{region}/buckets/{name}").is_some());
        assert!(template_problem("buckets/{name}/\"x").is_some());
    }

    #[test]
    fn conditions_narrow_what_acts_on_the_resource() {
        let repo = "artifactregistry.googleapis.com/Repository";
        assert!(narrows(
            repo,
            "artifactregistry.repositories.uploadArtifacts"
        ));
        assert!(!narrows(repo, "artifactregistry.repositories.list"));
        assert!(!narrows(repo, "iam.serviceAccounts.actAs"));
        assert_eq!(
            condition(repo, &["a".to_owned(), "b\"c".to_owned()]),
            r#"resource.type == "artifactregistry.googleapis.com/Repository" && (resource.name == "a" || resource.name == "b\"c")"#
        );
    }
}
