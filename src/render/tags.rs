//! What every cloud object nhi renders says about its identity: owner,
//! purpose, review date, expiry, source file, suspension and labels — written within
//! each cloud's rules for tag and label keys and values.

use crate::analyse::Analysis;
use crate::model::Identity;
use crate::source::SourceDb;

/// Tag key → value, in key order.
pub type Tags = Vec<(String, String)>;

/// The facts about an identity, as `(key, value)` with keys such as
/// `nhi:owner`; labels follow under their own keys.
#[must_use]
pub fn facts(identity: &Identity, analysis: &Analysis, db: &SourceDb) -> Vec<(String, String)> {
    let mut out = vec![
        ("nhi:identity".to_owned(), identity.name.value.to_string()),
        ("nhi:owner".to_owned(), identity.owner.value.clone()),
        ("nhi:source".to_owned(), db.display_path(identity.file)),
    ];
    if let Some(p) = &identity.purpose {
        out.push(("nhi:purpose".to_owned(), p.value.clone()));
    }
    if let Some(due) = review_due(identity) {
        out.push(("nhi:review-due".to_owned(), due));
    }
    if let Some(e) = &identity.expires {
        out.push(("nhi:expires".to_owned(), e.value.to_string()));
    }
    // only a suspended identity renders in a state other than the default
    if analysis.suspended(identity) {
        out.push((
            "nhi:state".to_owned(),
            identity.state.value.as_str().to_owned(),
        ));
    }
    for (k, v) in &identity.labels {
        out.push((k.clone(), v.value.clone()));
    }
    out
}

/// The date the next review is due (`YYYY-MM-DD`), as the lifecycle
/// rules and `nhi review` count it.
#[must_use]
pub fn review_due(identity: &Identity) -> Option<String> {
    crate::analyse::lifecycle::review_due(identity).map(|d| d.to_string())
}

/// A one-line description: the purpose, or the identity's name.
#[must_use]
pub fn description(identity: &Identity) -> String {
    identity.purpose.as_ref().map_or_else(
        || format!("nhi identity {}", identity.name.value),
        |p| p.value.clone(),
    )
}

fn clip(s: String, max: usize) -> String {
    if s.chars().count() > max {
        s.chars().take(max).collect()
    } else {
        s
    }
}

/// AWS tags: letters, digits, spaces and `_ . : / = + - @`; keys up to
/// 128 characters (never `aws:`), values up to 256; at most 50.
#[must_use]
pub fn aws(facts: &[(String, String)]) -> Tags {
    let keep = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let clean = |s: &str, with: char| -> String {
        s.chars()
            .map(|c| if keep(c) && !c.is_control() { c } else { with })
            .collect()
    };
    let mut out: Tags = facts
        .iter()
        .map(|(k, v)| {
            let mut key = clip(clean(k, '_'), 128);
            if key.to_ascii_lowercase().starts_with("aws:") {
                key.insert_str(0, "label:");
            }
            (key, clip(clean(v, ' ').trim().to_owned(), 256))
        })
        .collect();
    finish(&mut out, 50);
    out
}

/// Google Cloud labels: lower-case letters, digits, `_` and `-`, keys
/// starting with a letter, up to 63 characters each; at most 64.
#[must_use]
pub fn gcp(facts: &[(String, String)]) -> Tags {
    let clean = |s: &str| -> String {
        s.chars()
            .flat_map(char::to_lowercase)
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut out: Tags = facts
        .iter()
        // free text does not fit in a label: the purpose stays in the description
        .filter(|(k, _)| k != "nhi:purpose" && k != "nhi:source")
        .map(|(k, v)| {
            let mut key = clean(&k.replace(':', "-"));
            if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
                key.insert_str(0, "l-");
            }
            (clip(key, 63), clip(clean(v), 63))
        })
        .collect();
    finish(&mut out, 64);
    out
}

/// Azure tags: keys up to 512 characters without `< > % & \ ? /`, values
/// up to 256; at most 50.
#[must_use]
pub fn azure(facts: &[(String, String)]) -> Tags {
    let mut out: Tags = facts
        .iter()
        .map(|(k, v)| {
            let key: String = k
                .chars()
                .map(|c| {
                    if "<>%&\\?/".contains(c) || c.is_control() {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            let value: String = v
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            (clip(key, 512), clip(value, 256))
        })
        .collect();
    finish(&mut out, 50);
    out
}

/// Sorted by key, the first of equal keys kept, cut to the cloud's limit.
fn finish(tags: &mut Tags, max: usize) {
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    tags.dedup_by(|a, b| a.0 == b.0);
    tags.truncate(max);
}
