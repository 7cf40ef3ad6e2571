//! `nhi explain`: every rule documented, found by code or name, listed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "tests fail loudly"
)]

#[path = "support/workspaces.rs"]
mod support;

use strum::IntoEnumIterator;
use support::{nhi, repo, text};

#[test]
fn every_rule_is_explained_with_its_owasp_risk() {
    for code in nhi::diag::Code::iter() {
        let out = nhi(&repo(), &["explain", code.as_str()]);
        assert_eq!(out.status.code(), Some(0), "{code}");
        let page = text(&out.stdout);
        assert!(
            page.starts_with(&format!("{} {}\n", code.as_str(), code.name())),
            "{page}"
        );
        let owasp = code
            .owasp()
            .map_or("none".to_owned(), |o| o.as_str().to_owned());
        assert!(
            page.contains(&format!("OWASP NHI Top 10: {owasp}")),
            "{code}: {page}"
        );
        for section in ["\n## Bad\n", "\n## Good\n", "\n## Fix\n"] {
            assert!(page.contains(section), "{code}: {section}");
        }
        // fence attributes are turned into words for the reader
        assert!(!page.contains("```yaml file="), "{code}");
    }
}

#[test]
fn a_rule_is_found_by_name_in_any_case_and_a_typo_gets_a_suggestion() {
    let by_code = nhi(&repo(), &["explain", "cr001"]);
    let by_name = nhi(&repo(), &["explain", "static-credential"]);
    assert_eq!(by_code.stdout, by_name.stdout);
    let page = text(&by_code.stdout);
    assert!(page.contains("`identities/release-assistant.yaml`, reported at line 6:\n"));
    assert!(page.contains("suppressible by an identity: yes"));

    let out = nhi(&repo(), &["explain", "static-credentail"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `static-credential`?"));
    let out = nhi(&repo(), &["explain", "SE001"]);
    assert!(text(&out.stdout).contains("suppressible by an identity: no"));
}

#[test]
fn the_list_holds_every_rule_once() {
    let out = nhi(&repo(), &["explain", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let listed = text(&out.stdout);
    let codes: Vec<&str> = listed
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let all: Vec<&str> = nhi::diag::Code::iter()
        .map(nhi::diag::Code::as_str)
        .collect();
    assert_eq!(codes, all);
    assert!(listed.starts_with("CODE "));

    let out = nhi(&repo(), &["explain", "--list", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), all.len());
    let cr003 = rules.iter().find(|r| r["code"] == "CR003").unwrap();
    assert_eq!(cr003["owasp"], "NHI7");
    assert_eq!(cr003["default_severity"], "error");
    assert_eq!(cr003["suppressible"], false);
    // one rule in full, for tools
    let out = nhi(&repo(), &["explain", "OWN003", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["rule"]["doc"]
            .as_str()
            .unwrap()
            .starts_with("# OWN003 human-principal\n")
    );
}
