//! Decision tests: requests written in the workspace with the decision the
//! rendered policies must give them, run with the Cedar authorizer.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::Decision;
use crate::authorize::{Answer, Authorizer, Query, parse_resource};
use crate::cedar::Rendering;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean, printable};
use crate::model::Model;
use crate::raw::Spanned;
use crate::raw::decision::{DecisionFile, DecisionTest, Expectation};
use crate::source::{FileId, Loc};
use crate::vocabulary::context;

/// How one test went.
#[derive(Debug)]
pub struct Outcome<'a, 'r> {
    /// The file it is written in.
    pub file: FileId,
    /// The test as written.
    pub test: &'a Spanned<DecisionTest>,
    /// Its name.
    pub name: String,
    /// The answer, when the test could be asked.
    pub answer: Option<Answer<'r>>,
    /// Whether the answer is the expected one.
    pub passed: bool,
}

/// Every test's outcome and the problems found.
#[derive(Debug, Default)]
pub struct Report<'a, 'r> {
    /// One per test, in file and then written order.
    pub outcomes: Vec<Outcome<'a, 'r>>,
    /// A diagnostic per failed test.
    pub diagnostics: Diagnostics,
}

impl Report<'_, '_> {
    /// Tests that passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }

    /// Tests that failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

/// The expected decision as a decision.
#[must_use]
pub const fn expected(e: Expectation) -> Decision {
    match e {
        Expectation::Allow => Decision::Allow,
        Expectation::Deny => Decision::Deny,
    }
}

/// Run every test of the files.
#[must_use]
pub fn run<'a, 'r>(
    model: &Model,
    rendering: &'r Rendering,
    authorizer: &Authorizer<'r>,
    files: &'a [(FileId, DecisionFile)],
) -> Report<'a, 'r> {
    let mut report = Report::default();
    for (file, doc) in files {
        for test in &doc.tests {
            let t = &test.value;
            let name = t.name.as_ref().map_or_else(
                || format!("{} {}", t.principal.value, t.action.value),
                |n| n.value.clone(),
            );
            let (answer, problem) = match query(model, rendering, t) {
                Err(d) => (None, Some(*d)),
                Ok(q) => match authorizer.decide(&q) {
                    Err(e) => (
                        None,
                        Some(
                            Diagnostic::new(Code::UnknownTestReference, e.to_string())
                                .primary(test.loc, "this test cannot be asked"),
                        ),
                    ),
                    Ok(answer) => {
                        let wrong = answer.decision != expected(t.expect.value);
                        let problem = wrong.then(|| mismatch(t, &name, &answer));
                        (Some(answer), problem)
                    }
                },
            };
            let outcome = Outcome {
                file: *file,
                test,
                name,
                passed: problem.is_none(),
                answer,
            };
            if let Some(d) = problem {
                report.diagnostics.push(d);
            }
            report.outcomes.push(outcome);
        }
    }
    report
}

fn unknown(value: &Spanned<String>, what: &str, help: Option<String>) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(
            Code::UnknownTestReference,
            format!(
                "{what} `{}` is not in the workspace",
                printable(&value.value)
            ),
        )
        .primary(value.loc, format!("unknown {what}"))
        .maybe_help(help),
    )
}

/// The query a test asks, or the diagnostic of the name it gets wrong.
fn query(model: &Model, rendering: &Rendering, t: &DecisionTest) -> Result<Query, Box<Diagnostic>> {
    let identities = || model.identities.keys().map(crate::model::Name::as_str);
    if !model.identities.contains_key(t.principal.value.as_str()) {
        return Err(unknown(
            &t.principal,
            "principal",
            did_you_mean(&t.principal.value, identities()),
        ));
    }
    for d in t.on_behalf_of.iter().flatten() {
        if !model.identities.contains_key(d.value.as_str()) {
            return Err(unknown(
                d,
                "delegator",
                did_you_mean(&d.value, identities()),
            ));
        }
    }
    let schema = &rendering.schema;
    let Some(types) = schema.actions.get(&t.action.value) else {
        return Err(unknown(
            &t.action,
            "action",
            did_you_mean(&t.action.value, schema.actions.keys().map(String::as_str)),
        ));
    };
    let resource = match &t.resource {
        None => None,
        Some(r) => {
            let parsed =
                parse_resource(&r.value, &rendering.prefix()).filter(|(ty, _)| types.contains(ty));
            if parsed.is_none() {
                return Err(Box::new(resource_mismatch(r, &t.action.value, types)));
            }
            parsed
        }
    };
    let known = schema.context();
    let mut attributes = BTreeMap::new();
    for (key, value) in t.context.iter().flat_map(|c| c.iter()) {
        if !known.contains_key(key.value.as_str())
            || context::RESERVED_CONTEXT_KEYS.contains(&key.value.as_str())
        {
            let help = if context::RESERVED_CONTEXT_KEYS.contains(&key.value.as_str()) {
                Some("name the delegators under `on_behalf_of`".to_owned())
            } else {
                did_you_mean(&key.value, known.keys().copied())
            };
            return Err(unknown(key, "context key", help));
        }
        if context::TIME_KEYS.contains(&key.value.as_str())
            && crate::model::parse_time(&value.value).is_none()
        {
            return Err(Box::new(
                Diagnostic::new(
                    Code::InvalidDate,
                    format!("`{}` is `{}`, not an instant", key.value, printable(&value.value)),
                )
                .primary(value.loc, "not an instant")
                .help("write it in UTC, such as `2026-12-31T17:00:00Z` (or with an offset, `+01:00`), or as a date for its midnight in UTC"),
            ));
        }
        attributes.insert(key.value.clone(), value.value.clone());
    }
    Ok(Query {
        principal: t.principal.value.clone(),
        action: t.action.value.clone(),
        resource,
        attributes,
        on_behalf_of: t
            .on_behalf_of
            .iter()
            .flatten()
            .map(|d| d.value.clone())
            .collect(),
    })
}

fn resource_mismatch(r: &Spanned<String>, action: &str, types: &BTreeSet<String>) -> Diagnostic {
    let list: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
    Diagnostic::new(
        Code::UnknownTestReference,
        format!(
            "resource `{}` is not one action `{action}` applies to",
            printable(&r.value)
        ),
    )
    .primary(r.loc, "not a resource of this action")
    .help(format!(
        "write `Type::id` with a type of {}",
        list.join(", ")
    ))
}

fn mismatch(t: &DecisionTest, name: &str, answer: &Answer<'_>) -> Diagnostic {
    let got = answer.decision.as_str();
    let want = expected(t.expect.value).as_str();
    let mut d = Diagnostic::new(
        Code::DecisionMismatch,
        format!(
            "decision test `{}` expects {want}, the policies {got}",
            printable(name)
        ),
    )
    .primary(t.expect.loc, format!("expected {want}"));
    let action = t.action.value.as_str();
    let mut decided: Vec<Loc> = Vec::new();
    for decider in &answer.deciders {
        let p = decider.policy;
        let loc = p.origin.loc_for(action);
        if !decided.contains(&loc) {
            decided.push(loc);
            d = d.secondary(loc, format!("{} by `{}`", verb(p.effect), p.id));
        }
    }
    if answer.deciders.is_empty() {
        d = d.note("no policy permits the request: default deny");
    }
    d.help(if answer.decision == Decision::Deny {
        "grant the action (or its delegation) in the identity's file, or fix the test's context"
    } else {
        "forbid the action in the identity's file, or fix the test"
    })
}

/// How a policy effect reads in a message.
#[must_use]
pub const fn verb(effect: crate::cedar::policy::Effect) -> &'static str {
    match effect {
        crate::cedar::policy::Effect::Permit => "permitted",
        crate::cedar::policy::Effect::Forbid => "forbidden",
    }
}
