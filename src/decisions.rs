//! Decision tests: requests written in the workspace with the decision the
//! rendered policies must give them, run with the Cedar authorizer.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyse::Decision;
use crate::authorize::{Answer, Authorizer, Query, parse_resource};
use crate::cedar::Rendering;
use crate::cedar::schema::SchemaDoc;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean, printable};
use crate::load::involve::Needs;
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

/// What the tests of `files` involve: each test's principal with its
/// delegators, and the identities it names on behalf of.
#[must_use]
pub fn needs(files: &[(FileId, DecisionFile)]) -> Needs {
    let mut needs = Needs::default();
    for test in files.iter().flat_map(|(_, doc)| &doc.tests) {
        let t = &test.value;
        needs.names.insert(t.principal.value.clone());
        needs.delegated.insert(t.principal.value.clone());
        needs
            .names
            .extend(t.on_behalf_of.iter().flatten().map(|d| d.value.clone()));
    }
    needs
}

/// What identity files must hold to declare the tests' actions and context
/// keys, of those `schema` does not declare.
#[must_use]
pub fn undeclared(files: &[(FileId, DecisionFile)], schema: &SchemaDoc) -> BTreeSet<String> {
    let declared = schema.context();
    let mut terms = BTreeSet::new();
    for test in files.iter().flat_map(|(_, doc)| &doc.tests) {
        let t = &test.value;
        if !schema.actions.contains_key(&t.action.value) {
            terms.insert(t.action.value.clone());
        }
        for (key, _) in t.context.iter().flat_map(|c| c.iter()) {
            if !declared.contains_key(key.value.as_str()) {
                terms.insert(context::declared_as(&key.value).to_owned());
            }
        }
    }
    terms
}

/// Where the names a test may mean come from, to suggest one in place of
/// a name the workspace does not have.
#[derive(Clone, Copy, Debug)]
pub struct Known<'k> {
    /// Every identity of the workspace.
    pub identities: &'k BTreeSet<String>,
    /// The whole workspace's schema: its actions and context keys.
    pub schema: &'k SchemaDoc,
}

/// Run every test of the files.
#[must_use]
pub fn run<'a, 'r>(
    model: &Model,
    rendering: &'r Rendering,
    authorizer: &Authorizer<'r>,
    files: &'a [(FileId, DecisionFile)],
) -> Report<'a, 'r> {
    let identities = model.names();
    let known = Known {
        identities: &identities,
        schema: &rendering.schema,
    };
    run_with(model, rendering, authorizer, files, known)
}

/// Run every test of the files on a model of part of the workspace (see
/// [`needs`]), suggesting names from what `known` says of the whole.
#[must_use]
pub fn run_with<'a, 'r>(
    model: &Model,
    rendering: &'r Rendering,
    authorizer: &Authorizer<'r>,
    files: &'a [(FileId, DecisionFile)],
    known: Known<'_>,
) -> Report<'a, 'r> {
    let mut report = Report::default();
    for (file, doc) in files {
        for test in &doc.tests {
            let t = &test.value;
            let name = t.name.as_ref().map_or_else(
                || format!("{} {}", t.principal.value, t.action.value),
                |n| n.value.clone(),
            );
            let (answer, problem) = match query(model, rendering, t, known) {
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
fn query(
    model: &Model,
    rendering: &Rendering,
    t: &DecisionTest,
    known: Known<'_>,
) -> Result<Query, Box<Diagnostic>> {
    let identities = || known.identities.iter().map(String::as_str);
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
            did_you_mean(
                &t.action.value,
                known.schema.actions.keys().map(String::as_str),
            ),
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
    let declared = schema.context();
    let mut attributes = BTreeMap::new();
    for (key, value) in t.context.iter().flat_map(|c| c.iter()) {
        if !declared.contains_key(key.value.as_str())
            || context::RESERVED_CONTEXT_KEYS.contains(&key.value.as_str())
        {
            let help = if context::RESERVED_CONTEXT_KEYS.contains(&key.value.as_str()) {
                Some("name the delegators under `on_behalf_of`".to_owned())
            } else {
                did_you_mean(&key.value, known.schema.context().keys().copied())
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
