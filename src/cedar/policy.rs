//! Cedar policies as values: a small syntax tree for exactly the policies
//! nhi renders, printed to Cedar text, and printed once more as a *shape*
//! (every workspace-supplied literal replaced by a placeholder) for the
//! shortcut validation in [`super::verify`].

use std::collections::BTreeMap;

use crate::analyse::{Check, Test};
use crate::model::{Kind, Name, Time, time_text};
use crate::source::Loc;
use crate::vocabulary::context;

use super::syntax::{push_access, push_has, push_string};

/// `permit` or `forbid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// Allows when it applies.
    Permit,
    /// Denies when it applies; wins over every permit.
    Forbid,
}

impl Effect {
    /// The Cedar keyword.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Permit => "permit",
            Self::Forbid => "forbid",
        }
    }
}

/// The entity type of each kind of identity.
#[must_use]
pub const fn principal_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Agent => "Agent",
        Kind::Workload => "Workload",
        Kind::Pipeline => "Pipeline",
        Kind::Service => "Service",
    }
}

/// A condition of a `when` clause. All conditions of a policy must hold.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cond {
    /// The principal acts for itself: no `delegator` in the context.
    NotDelegated,
    /// The principal acts on behalf of this identity.
    Delegator(Name),
    /// The delegation chain is exactly these identities.
    ChainIs(Vec<Name>),
    /// The delegation chain includes this identity.
    ChainContains(Name),
    /// A context attribute passes a test: one of the accepted values, or
    /// an instant in a window.
    Holds(Check),
}

/// What rule of the workspace a policy renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An organisation guardrail (`nhi.yaml`).
    Guardrail,
    /// An identity's `forbidden_actions`.
    Forbid,
    /// A suspended identity: deny everything it does.
    Suspended,
    /// A suspended identity: deny everything done on its behalf.
    SuspendedDelegation,
    /// An identity's `allowed_actions`.
    Allow,
    /// A delegation chain ending at the identity.
    Delegated,
}

/// Where a policy comes from, so a decision can point at the YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The identity the policy belongs to (`None`: a guardrail).
    pub owner: Option<Name>,
    /// Every identity the policy concerns besides its owner (the
    /// delegators of a chain).
    pub via: Vec<Name>,
    /// The rule it renders.
    pub rule: Rule,
    /// The workspace-relative file it comes from.
    pub source: String,
    /// The place of the rule as a whole.
    pub loc: Loc,
    /// The place of each action's entry, where it has one.
    pub actions: BTreeMap<String, Loc>,
}

impl Origin {
    /// The place to show for a decision on `action`.
    #[must_use]
    pub fn loc_for(&self, action: &str) -> Loc {
        self.actions.get(action).copied().unwrap_or(self.loc)
    }
}

/// One rendered policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Its `@id`: unique, naming the identity and the rule.
    pub id: String,
    /// Permit or forbid.
    pub effect: Effect,
    /// `principal == Type::"name"`, or any principal.
    pub principal: Option<(&'static str, Name)>,
    /// `action in [...]`, or any action.
    pub actions: Option<Vec<String>>,
    /// The `when` conditions.
    pub when: Vec<Cond>,
    /// Where it comes from.
    pub origin: Origin,
}

/// How to print: the real policy, or its shape.
#[derive(Clone, Copy)]
enum Mode<'a> {
    Text,
    /// Literals replaced, the action list replaced by this one action.
    Shape(&'a str),
}

impl Policy {
    /// The policy as Cedar text, under a namespace prefix (`Acme::` or
    /// empty).
    #[must_use]
    pub fn text(&self, ns: &str) -> String {
        let mut out = String::with_capacity(256);
        self.write(ns, Mode::Text, &mut out);
        out
    }

    /// The policy's shape: the same text with the principal's name, every
    /// string value and the action list replaced by placeholders. Two
    /// policies with the same shape validate the same way against a schema
    /// in which every action applies to every principal type with one
    /// context type, since their conditions read only the context.
    #[must_use]
    pub fn shape(&self, ns: &str, representative_action: &str) -> String {
        let mut out = String::with_capacity(128);
        self.write(ns, Mode::Shape(representative_action), &mut out);
        out
    }

    fn write(&self, ns: &str, mode: Mode<'_>, out: &mut String) {
        let text = matches!(mode, Mode::Text);
        out.push_str("@id(");
        push_string(out, if text { &self.id } else { "_" });
        out.push_str(")\n");
        if text {
            out.push_str("@source(");
            push_string(out, &self.origin.source);
            out.push_str(")\n");
        }
        out.push_str(self.effect.as_str());
        out.push_str(" (\n  principal");
        if let Some((ty, name)) = &self.principal {
            out.push_str(" == ");
            entity(out, ns, ty, if text { name.as_str() } else { "_" });
        }
        out.push_str(",\n  action");
        match (&self.actions, mode) {
            (None, _) => {}
            (Some(actions), Mode::Shape(a)) => {
                out.push_str(" in [");
                if !actions.is_empty() {
                    entity(out, ns, "Action", a);
                }
                out.push(']');
            }
            (Some(actions), Mode::Text) => write_actions(out, ns, actions),
        }
        out.push_str(",\n  resource\n)");
        if !self.when.is_empty() {
            out.push_str("\nwhen {");
            for (i, cond) in self.when.iter().enumerate() {
                out.push_str(if i == 0 { "\n  " } else { " &&\n  " });
                write_cond(out, cond, text);
            }
            out.push_str("\n}");
        }
        out.push_str(";\n");
    }
}

fn write_actions(out: &mut String, ns: &str, actions: &[String]) {
    match actions {
        [one] => {
            out.push_str(" in [");
            entity(out, ns, "Action", one);
            out.push(']');
        }
        many => {
            out.push_str(" in [");
            for (i, a) in many.iter().enumerate() {
                out.push_str(if i == 0 { "\n    " } else { ",\n    " });
                entity(out, ns, "Action", a);
            }
            out.push_str("\n  ]");
        }
    }
}

/// `Ns::Type::"id"`.
fn entity(out: &mut String, ns: &str, ty: &str, id: &str) {
    out.push_str(ns);
    out.push_str(ty);
    out.push_str("::");
    push_string(out, id);
}

fn write_cond(out: &mut String, cond: &Cond, text: bool) {
    let lit = |s: &str| if text { s.to_owned() } else { "_".to_owned() };
    match cond {
        Cond::NotDelegated => {
            out.push_str("!(");
            push_has(out, "context", context::DELEGATOR);
            out.push(')');
        }
        Cond::Delegator(name) => {
            push_has(out, "context", context::DELEGATOR);
            out.push_str(" && ");
            push_access(out, "context", context::DELEGATOR);
            out.push_str(" == ");
            push_string(out, &lit(name.as_str()));
        }
        Cond::ChainIs(names) => {
            push_has(out, "context", context::DELEGATION_CHAIN);
            out.push_str(" && ");
            push_access(out, "context", context::DELEGATION_CHAIN);
            out.push_str(" == ");
            let values: Vec<&str> = if text {
                names.iter().map(Name::as_str).collect()
            } else {
                vec!["_"]
            };
            set(out, &values);
        }
        Cond::ChainContains(name) => {
            push_has(out, "context", context::DELEGATION_CHAIN);
            out.push_str(" && ");
            push_access(out, "context", context::DELEGATION_CHAIN);
            out.push_str(".contains(");
            push_string(out, &lit(name.as_str()));
            out.push(')');
        }
        Cond::Holds(check) => write_check(out, check, text),
    }
}

/// A context attribute's test.
fn write_check(out: &mut String, check: &Check, text: bool) {
    let lit = |s: &str| if text { s.to_owned() } else { "_".to_owned() };
    // a shape keeps literals Cedar checks: a valid instant and duration
    let time = |t: Time| {
        if text {
            time_text(t)
        } else {
            SHAPE_TIME.to_owned()
        }
    };
    push_has(out, "context", &check.key);
    match &check.test {
        Test::OneOf(values) => {
            out.push_str(" && ");
            match values.as_slice() {
                [one] => {
                    push_access(out, "context", &check.key);
                    out.push_str(" == ");
                    push_string(out, &lit(one));
                }
                many => {
                    let values: Vec<&str> = if text {
                        many.iter().map(String::as_str).collect()
                    } else if many.is_empty() {
                        Vec::new()
                    } else {
                        vec!["_", "_"]
                    };
                    set(out, &values);
                    out.push_str(".contains(");
                    push_access(out, "context", &check.key);
                    out.push(')');
                }
            }
        }
        Test::Between { from, until } => {
            for (bound, op) in [(from, " >= "), (until, " < ")] {
                if let Some(t) = bound {
                    out.push_str(" && ");
                    push_access(out, "context", &check.key);
                    out.push_str(op);
                    extension(out, "datetime", &time(*t));
                }
            }
        }
        Test::Within(d) => {
            // from the approval on, for `d`: `now - d < approved_at`, which
            // cannot overflow, as an approval at `EPOCH` or later at or before
            // `now` keeps `now - d` in range (`approved_at + d` could leave it)
            out.push_str(" && ");
            push_has(out, "context", context::NOW);
            out.push_str(" &&\n    ");
            extension(out, "datetime", EPOCH);
            out.push_str(" <= ");
            push_access(out, "context", &check.key);
            out.push_str(" &&\n    ");
            push_access(out, "context", &check.key);
            out.push_str(" <= ");
            push_access(out, "context", context::NOW);
            out.push_str(" &&\n    ");
            push_access(out, "context", context::NOW);
            out.push_str(".offset(");
            let d = if text {
                format!("-{d}")
            } else {
                "-1s".to_owned()
            };
            extension(out, "duration", &d);
            out.push_str(") < ");
            push_access(out, "context", &check.key);
        }
    }
}

/// The earliest approval a grant counts from.
pub const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The placeholder instant of a policy's shape.
const SHAPE_TIME: &str = "1970-01-01T00:00:00Z";

/// `datetime("…")`, `duration("…")`.
fn extension(out: &mut String, function: &str, arg: &str) {
    out.push_str(function);
    out.push('(');
    push_string(out, arg);
    out.push(')');
}

fn set(out: &mut String, values: &[&str]) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_string(out, v);
    }
    out.push(']');
}
