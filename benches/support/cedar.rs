//! The rendered Cedar of the generated workspace, in process through the
//! library: decisions with `authorize::Authorizer` (sliced and whole-set),
//! and the shape-based validation beside the full strict one.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::workspace::Rng;
use crate::{Stats, TODAY, seconds};
use nhi::analyse::Decision;
use nhi::authorize::{Authorizer, Query};
use nhi::cedar::{Rendering, verify};
use nhi::load::LoadOptions;
use nhi::model::{Identity, Model};
use nhi::source::Spanned;
use nhi::vocabulary::context;

/// Identities sampled for queries (all of them in a smaller workspace).
const SAMPLE: usize = 2_000;
/// The least number of warm decisions timed.
const DECISIONS: usize = 20_000;
/// Queries of each kind also decided on the whole policy set.
const WHOLE_PER_KIND: usize = 5;
/// The largest workspace `verify_full` runs on (it takes seconds at 1 000
/// identities and minutes at 10 000, so it runs once).
const FULL_VERIFY_MAX: usize = 10_000;

/// What a query asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// One of the principal's allowed actions, in its usual context.
    Allowed,
    /// One of its forbidden actions.
    Forbidden,
    /// An action it never mentions.
    Unmentioned,
    /// A delegated action, on behalf of its delegator.
    Delegated,
}

const KINDS: [Kind; 4] = [
    Kind::Allowed,
    Kind::Forbidden,
    Kind::Unmentioned,
    Kind::Delegated,
];

/// Decisions and validation at one size.
pub(crate) struct Figures {
    n: usize,
    policies: usize,
    shapes: usize,
    decided: Decided,
    verify: Stats,
    verify_full: Option<Duration>,
    /// The arguments of one `nhi can` question that the workspace allows.
    pub(crate) question: Vec<String>,
}

/// The decision figures.
struct Decided {
    /// Distinct queries.
    queries: usize,
    /// The first pass over them.
    cold: Duration,
    /// Warm decisions timed, and their total time.
    decisions: usize,
    warm: Duration,
    /// `decide_whole`: the first call (building the whole set), and the
    /// mean of the others.
    whole_build: Duration,
    whole_each: Duration,
}

/// Check and render the workspace at `root`, then time decisions and both
/// validations of the rendering.
pub(crate) fn measure(n: usize, root: &Path, runs: usize) -> Figures {
    let today = nhi::model::parse_date(TODAY).unwrap();
    let checked = nhi::check::workspace(root, LoadOptions::default(), today).unwrap();
    assert!(
        checked.diagnostics.is_empty(),
        "check::workspace found problems"
    );
    let start = Instant::now();
    let rendering = nhi::cedar::render(&checked.model, &checked.analysis, &checked.db).unwrap();
    let rendered = start.elapsed();
    let shapes = shapes(&rendering);
    eprintln!(
        "  cedar::render:                     {} ({} policies, {shapes} distinct shapes)",
        seconds(rendered),
        rendering.policies.len()
    );
    let decided = decisions(&checked.model, &rendering);
    let verify = crate::measure(runs, || verify::verify(&rendering).unwrap());
    eprintln!("  verify::verify (shapes):           {}", verify.cell());
    let verify_full = (n <= FULL_VERIFY_MAX).then(|| {
        let start = Instant::now();
        verify::verify_full(&rendering).unwrap();
        start.elapsed()
    });
    match verify_full {
        Some(full) => eprintln!("  verify::verify_full, one run:      {}", seconds(full)),
        None => eprintln!(
            "  verify::verify_full:               skipped above {FULL_VERIFY_MAX} identities"
        ),
    }
    Figures {
        n,
        policies: rendering.policies.len(),
        shapes,
        decided,
        verify,
        verify_full,
        question: question(&checked.model),
    }
}

/// The arguments of `nhi can` asking what the middle delegate of the
/// workspace may do in its usual context by a grant of its own (an allow):
/// the question must find its delegator among all the files.
fn question(model: &Model) -> Vec<String> {
    let delegates: Vec<&Identity> = model
        .identities
        .values()
        .flat_map(|i| &i.delegations)
        .filter_map(|d| model.identities.get(&d.to.value))
        .map(AsRef::as_ref)
        .filter(|id| id.allowed.iter().any(|g| g.conditions.is_empty()))
        .collect();
    let id = delegates[delegates.len() / 2];
    let grant = id
        .allowed
        .iter()
        .find(|g| g.conditions.is_empty())
        .expect("a plain grant");
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let mut args = vec![
        "can".to_owned(),
        id.name.value.as_str().to_owned(),
        grant.action.value.clone(),
    ];
    for (key, value) in usual_context(id, &mut rng, false) {
        args.push("--context".to_owned());
        args.push(format!("{key}={value}"));
    }
    args
}

/// The distinct policy shapes, as `verify::verify` validates them.
fn shapes(rendering: &Rendering) -> usize {
    let ns = rendering.prefix();
    let representative = rendering
        .schema
        .actions
        .keys()
        .next()
        .map_or("", String::as_str);
    rendering
        .policies
        .iter()
        .map(|p| p.shape(&ns, representative))
        .collect::<HashSet<_>>()
        .len()
}

/// Decide the queries cold, then warm at least [`DECISIONS`] times, then a
/// few on the whole set.
fn decisions(model: &Model, rendering: &Rendering) -> Decided {
    let authorizer = Authorizer::new(model, rendering).unwrap();
    let actions: Vec<&str> = rendering
        .schema
        .actions
        .keys()
        .map(String::as_str)
        .collect();
    let queries = queries(model, &actions);
    let mut by_kind: BTreeMap<Kind, [usize; 2]> = BTreeMap::new();
    let start = Instant::now();
    for (kind, q) in &queries {
        let decision = authorizer.decide(q).unwrap().decision;
        by_kind.entry(*kind).or_default()[usize::from(decision == Decision::Deny)] += 1;
    }
    let cold = start.elapsed();
    let passes = DECISIONS.div_ceil(queries.len().max(1));
    let (mut allow, mut deny) = (0_usize, 0_usize);
    let start = Instant::now();
    for _ in 0..passes {
        for (_, q) in &queries {
            match authorizer.decide(q).unwrap().decision {
                Decision::Allow => allow += 1,
                Decision::Deny => deny += 1,
            }
        }
    }
    let warm = start.elapsed();
    let decisions = allow + deny;
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(kind, [a, d])| format!("{kind:?} {a} allow / {d} deny"))
        .collect();
    eprintln!(
        "  decide: {} queries ({}); cold {:.1} µs each; warm {decisions} decisions \
         ({allow} allow, {deny} deny) in {}, {:.1} µs each",
        queries.len(),
        kinds.join(", "),
        micros(cold, queries.len()),
        seconds(warm),
        micros(warm, decisions)
    );
    assert!(
        allow > 0 && deny > 0,
        "the queries should be both allowed and denied ({allow} allow, {deny} deny)"
    );
    let (whole_build, whole_each) = whole(&authorizer, &queries);
    Decided {
        queries: queries.len(),
        cold,
        decisions,
        warm,
        whole_build,
        whole_each,
    }
}

/// Decide [`WHOLE_PER_KIND`] queries of each kind on the whole set, each the
/// same as on the slice: the first call's time (it builds the set), and the
/// mean of the others.
fn whole(authorizer: &Authorizer<'_>, queries: &[(Kind, Query)]) -> (Duration, Duration) {
    let mut picked: Vec<&Query> = Vec::new();
    for kind in KINDS {
        let of_kind: Vec<&Query> = queries
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, q)| q)
            .collect();
        let step = (of_kind.len() / WHOLE_PER_KIND).max(1);
        picked.extend(of_kind.into_iter().step_by(step).take(WHOLE_PER_KIND));
    }
    let mut times = Vec::with_capacity(picked.len());
    for q in &picked {
        let start = Instant::now();
        let whole = authorizer.decide_whole(q).unwrap().decision;
        times.push(start.elapsed());
        let sliced = authorizer.decide(q).unwrap().decision;
        assert_eq!(whole, sliced, "decide and decide_whole disagree on {q:?}");
    }
    let first = times.first().copied().unwrap_or_default();
    let rest = times.get(1..).unwrap_or_default();
    let each = rest.iter().sum::<Duration>() / u32::try_from(rest.len().max(1)).unwrap();
    eprintln!(
        "  decide_whole: {} queries agree with decide; first call {}, then {:.0} µs each",
        picked.len(),
        seconds(first),
        each.as_secs_f64() * 1e6
    );
    (first, each)
}

/// The queries: for each sampled identity an allowed action in its usual
/// context, a forbidden one, one it never mentions, and for a delegate a
/// delegated one on behalf of its delegator.
fn queries(model: &Model, actions: &[&str]) -> Vec<(Kind, Query)> {
    let identities: Vec<&Identity> = model.identities.values().map(AsRef::as_ref).collect();
    let mut delegated: BTreeMap<&str, (&str, &[Spanned<String>])> = BTreeMap::new();
    for id in &identities {
        for d in &id.delegations {
            delegated.insert(d.to.value.as_str(), (id.name.value.as_str(), &d.actions));
        }
    }
    let mut rng = Rng::new(0x5851_f42d_4c95_7f2d);
    let mut out = Vec::new();
    for i in sample(&mut rng, identities.len()) {
        let id = identities[i];
        let ask = |action: &str, attributes| Query {
            principal: id.name.value.as_str().to_owned(),
            action: action.to_owned(),
            resource: None,
            attributes,
            on_behalf_of: Vec::new(),
        };
        if !id.allowed.is_empty() {
            let grant = &id.allowed[rng.below(id.allowed.len())];
            let mut attributes = usual_context(id, &mut rng, !grant.conditions.is_empty());
            for (key, values) in &grant.conditions {
                if let Some(v) = values.first() {
                    attributes.insert(key.clone(), v.value.clone());
                }
            }
            out.push((Kind::Allowed, ask(&grant.action.value, attributes)));
        }
        if !id.forbidden.is_empty() {
            let action = &id.forbidden[rng.below(id.forbidden.len())].value;
            let attributes = usual_context(id, &mut rng, false);
            out.push((Kind::Forbidden, ask(action, attributes)));
        }
        let (allowed, forbidden) = (id.allowed_names(), id.forbidden_names());
        if let Some(action) = (0..1000)
            .map(|_| actions[rng.below(actions.len())])
            .find(|a| !allowed.contains(a) && !forbidden.contains(a))
        {
            let attributes = usual_context(id, &mut rng, false);
            out.push((Kind::Unmentioned, ask(action, attributes)));
        }
        if let Some(&(delegator, given)) = delegated.get(id.name.value.as_str())
            && !given.is_empty()
        {
            let action = &given[rng.below(given.len())].value;
            let mut q = ask(action, usual_context(id, &mut rng, false));
            q.on_behalf_of = vec![delegator.to_owned()];
            out.push((Kind::Delegated, q));
        }
    }
    out
}

/// `count` distinct indexes below `len` (all of them if there are fewer).
fn sample(rng: &mut Rng, len: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..len).collect();
    if len > SAMPLE {
        for k in 0..SAMPLE {
            let j = k + rng.below(len - k);
            all.swap(k, j);
        }
        all.truncate(SAMPLE);
    }
    all
}

/// The context an identity normally acts in: `production` or `staging`
/// (`staging` for a grant narrowed to it), its region and its namespace.
fn usual_context(id: &Identity, rng: &mut Rng, staging: bool) -> BTreeMap<String, String> {
    let accepts = |values: &Option<Vec<Spanned<String>>>, value: &str| {
        values
            .as_ref()
            .is_none_or(|v| v.iter().any(|s| s.value == value))
    };
    let first = |values: &Option<Vec<Spanned<String>>>| {
        values
            .as_ref()
            .and_then(|v| v.first())
            .map(|s| s.value.clone())
    };
    let environments: Vec<&str> = ["production", "staging"]
        .into_iter()
        .filter(|e| accepts(&id.context.environments, e))
        .collect();
    let environment = if staging || environments.is_empty() {
        "staging"
    } else {
        rng.pick(&environments)
    };
    let mut attributes = BTreeMap::new();
    attributes.insert(context::ENVIRONMENT.to_owned(), environment.to_owned());
    if let Some(region) = first(&id.context.regions) {
        attributes.insert(context::REGION.to_owned(), region);
    }
    if let Some(namespace) = first(&id.context.namespaces) {
        attributes.insert(context::NAMESPACE.to_owned(), namespace);
    }
    attributes
}

/// Mean microseconds per item.
fn micros(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1e6 / count.max(1) as f64
}

/// The Markdown table of decisions.
pub(crate) fn decision_table(rows: &[&Figures]) {
    println!();
    println!(
        "Decisions in process through the library, one thread: `check::workspace`, \
         `cedar::render`, then `authorize::Authorizer`. The queries, for a sample of \
         up to {SAMPLE} identities: an allowed action in the identity's usual context, a \
         forbidden one, one it never mentions and, for delegates, a delegated one. \
         `decide` evaluates only the policies that can apply (the principal's, its \
         delegators', the guardrails): warm over at least {DECISIONS} decisions, and the cold \
         first pass, in which the first decision for a principal parses its policies. \
         `decide_whole` evaluates the whole set on {} of the queries (same decisions): its \
         first call parses what is not yet parsed and builds the set.",
        WHOLE_PER_KIND * KINDS.len()
    );
    println!();
    println!(
        "| identities | policies in the set | sliced decisions/s | µs per sliced decision (warm) | µs per decision, cold first pass | whole set: first call (builds it) | µs per whole-set decision |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let d = &r.decided;
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} | {:.0} |",
            r.n,
            r.policies,
            d.decisions as f64 / d.warm.as_secs_f64(),
            micros(d.warm, d.decisions),
            micros(d.cold, d.queries),
            seconds(d.whole_build),
            d.whole_each.as_secs_f64() * 1e6,
        );
    }
}

/// The Markdown table of validation.
pub(crate) fn validation_table(rows: &[&Figures], cores: usize, runs: usize) {
    println!();
    println!(
        "Validation of the rendered Cedar in process: `verify::verify` validates each \
         distinct policy and entity shape once (collecting the shapes on {cores} cores), as \
         `nhi build` does (`nhi check` the same, one identity at a time), median of {runs} \
         runs (fastest in parentheses); `verify::verify_full` parses and strictly validates \
         every policy, on one core, timed once (it is slow)."
    );
    println!();
    println!(
        "| identities | policies | distinct policy shapes | `verify` (shapes) | `verify_full` (every policy) | full ÷ shapes |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (full, ratio) = r.verify_full.map_or_else(
            || ("skipped".to_owned(), "n/a".to_owned()),
            |f| {
                (
                    seconds(f),
                    format!("{:.0}×", f.as_secs_f64() / r.verify.median.as_secs_f64()),
                )
            },
        );
        println!(
            "| {} | {} | {} | {} | {full} | {ratio} |",
            r.n,
            r.policies,
            r.shapes,
            r.verify.cell(),
        );
    }
    if rows.iter().any(|r| r.verify_full.is_none()) {
        println!();
        println!(
            "`verify_full` is skipped above {FULL_VERIFY_MAX} identities (it takes minutes \
             at {FULL_VERIFY_MAX})."
        );
    }
}
