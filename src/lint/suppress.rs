//! Suppressions: an identity may exempt itself from a lint rule only with
//! a written reason, and every exemption it takes is reported, so a
//! reviewer sees what was waived and why.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics, printable};
use crate::model::{Model, Suppression};
use crate::source::FileId;

/// Apply every identity's suppressions to the findings in its file:
/// each finding suppressed becomes a `SUP001` note with the reason; a
/// suppression that suppresses nothing is `SUP002`; one that is not
/// allowed is `SUP003` and suppresses nothing.
pub fn apply(model: &Model, out: &mut Diagnostics) {
    let mut valid: BTreeMap<(FileId, Code), Vec<&Suppression>> = BTreeMap::new();
    let mut reports = Diagnostics::new();
    for identity in model.identities.values() {
        for s in &identity.suppressions {
            if let Some(code) = allowed(s, &mut reports) {
                valid.entry((identity.file, code)).or_default().push(s);
            }
        }
    }
    let mut used: BTreeMap<(FileId, Code), usize> = BTreeMap::new();
    out.retain(|d| {
        let Some(file) = d.primary_loc().map(|l| l.file) else {
            return true;
        };
        let Some(by) = valid.get(&(file, d.code)) else {
            return true;
        };
        *used.entry((file, d.code)).or_default() += 1;
        for s in by {
            reports.push(
                Diagnostic::new(
                    Code::Suppressed,
                    format!(
                        "`{}` {} suppressed: {}",
                        d.code,
                        d.code.name(),
                        s.reason.value.trim()
                    ),
                )
                .primary(s.loc, "suppressed here")
                .note(format!("the finding: {}", d.message)),
            );
        }
        false
    });
    for ((file, code), by) in &valid {
        if used.contains_key(&(*file, *code)) {
            continue;
        }
        for s in by {
            reports.push(
                Diagnostic::new(
                    Code::UnusedSuppression,
                    format!("`{code}` {} reports nothing here", code.name()),
                )
                .primary(s.rule.loc, "suppresses nothing")
                .help("remove the suppression: the rule is satisfied"),
            );
        }
    }
    out.extend(reports);
}

/// The code a suppression names, if it may be suppressed.
fn allowed(s: &Suppression, out: &mut Diagnostics) -> Option<Code> {
    let Some(code) = Code::parse(s.rule.value.trim()) else {
        use strum::IntoEnumIterator;
        let known: Vec<&str> = Code::iter()
            .filter(|c| c.suppressible())
            .flat_map(|c| [c.as_str(), c.name()])
            .collect();
        out.push(
            Diagnostic::new(
                Code::InvalidSuppression,
                format!("unknown rule `{}`", printable(&s.rule.value)),
            )
            .primary(s.rule.loc, "no such rule")
            .suggest(&s.rule.value, known.iter().copied()),
        );
        return None;
    };
    if !code.suppressible() {
        out.push(
            Diagnostic::new(
                Code::InvalidSuppression,
                format!("`{code}` {} cannot be suppressed", code.name()),
            )
            .primary(s.rule.loc, "not a lint rule")
            .help("only lint rules can be waived; fix what it reports, or change its severity for the whole workspace under `lints` in nhi.yaml if that is allowed"),
        );
        return None;
    }
    if s.reason.value.trim().is_empty() {
        out.push(
            Diagnostic::new(
                Code::InvalidSuppression,
                format!("the suppression of `{code}` gives no reason"),
            )
            .primary(s.reason.loc, "empty")
            .help("say why the rule does not apply here, for the reviewer who reads it"),
        );
        return None;
    }
    Some(code)
}
