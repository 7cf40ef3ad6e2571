//! The workspace generator of the `check` bench: a deterministic workspace
//! of `n` realistic identities (10–30 actions each, `where` narrowing,
//! delegation, labels, provenance; a 300-action catalogue, 20 teams,
//! guardrails) that checks clean.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A small deterministic generator (xorshift64*), so every run writes the
/// same workspace.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator started from `seed` (not zero).
    pub(crate) const fn new(seed: u64) -> Self {
        Self(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TEAMS: [&str; 20] = [
    "platform",
    "payments",
    "billing",
    "identity",
    "data-eng",
    "ml-infra",
    "support",
    "growth",
    "security",
    "sre",
    "mobile",
    "web",
    "search",
    "logistics",
    "finance",
    "legal-ops",
    "hr-systems",
    "analytics",
    "release-eng",
    "partner-api",
];

/// 15 verbs × 20 nouns: a catalogue of 300 actions.
const VERBS: [(&str, &str); 15] = [
    ("read", "read"),
    ("list", "list"),
    ("get", "read"),
    ("search", "read"),
    ("export", "read"),
    ("create", "write"),
    ("update", "write"),
    ("approve", "write"),
    ("cancel", "write"),
    ("sync", "write"),
    ("import", "write"),
    ("archive", "write"),
    ("tag", "tagging"),
    ("delete", "write"),
    ("grant", "permissions_management"),
];
const NOUNS: [&str; 20] = [
    "invoice",
    "ticket",
    "order",
    "build",
    "report",
    "ledger",
    "customer_profile",
    "artifact",
    "metric",
    "schedule",
    "payment",
    "refund",
    "shipment",
    "contract",
    "dataset",
    "model_card",
    "deployment",
    "incident",
    "secret_ref",
    "audit_event",
];
const ACTIONS: usize = VERBS.len() * NOUNS.len();
/// The last two actions are forbidden by the guardrails; nobody uses them.
const GUARDED: usize = 2;
/// Identity-level forbidden actions come from the last actions before the
/// guarded ones; allowed actions from everything before that, so the two are
/// always disjoint and a delegation never hands on a forbidden action.
const FORBIDDEN_POOL: usize = 40;
pub(crate) const GRANTABLE: usize = ACTIONS - GUARDED - FORBIDDEN_POOL;

const PURPOSES: [&str; 12] = [
    "importer",
    "reconciler",
    "notifier",
    "reviewer",
    "exporter",
    "triager",
    "summarizer",
    "scheduler",
    "auditor",
    "router",
    "syncer",
    "planner",
];

pub(crate) fn action(i: usize) -> String {
    let (verb, _) = VERBS[i % VERBS.len()];
    format!("{verb}_{}", NOUNS[i / VERBS.len()])
}

/// `svc-000123-invoice-importer`: a DNS-1123 label, unique per index.
fn name(i: usize) -> String {
    let noun = NOUNS[i % NOUNS.len()].replace('_', "-");
    format!("svc-{i:06}-{noun}-{}", PURPOSES[(i / 7) % PURPOSES.len()])
}

fn workspace_file() -> String {
    let mut s = String::from("identities: identities\ntrust_domain: example.org\n");
    s.push_str("teams:\n");
    for team in TEAMS {
        let _ = writeln!(
            s,
            "  {team}:\n    description: The {team} team\n    handle: \"@example/{team}\"\n    email: {team}@example.com"
        );
    }
    s.push_str("actions:\n");
    for a in 0..ACTIONS {
        let (verb, access) = VERBS[a % VERBS.len()];
        let noun = NOUNS[a / VERBS.len()].replace('_', " ");
        let _ = writeln!(
            s,
            "  {}:\n    description: {}s {noun} records in the system of record\n    access: {access}",
            action(a),
            capitalise(verb),
        );
    }
    let _ = writeln!(
        s,
        "lints:\n  suppressed: off\nguardrails:\n  forbidden_actions: [{}, {}]\n  max_token_ttl: 1h\n  max_delegation_depth: 4\n  # identities act in staging and production, so conditions on both are\n  # measured; regulated workloads stay apart\n  isolated_environments: [pci]",
        action(ACTIONS - 1),
        action(ACTIONS - 2)
    );
    s
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// Distinct numbers in `base..base + range`, `count` of them.
fn distinct(rng: &mut Rng, count: usize, base: usize, range: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(count);
    while out.len() < count {
        let a = base + rng.below(range);
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// Whether identity `i` delegates (to `i + 1`, which never delegates
/// itself, so there are no cycles and every chain is one hop).
const fn delegates(i: usize, n: usize) -> bool {
    i.is_multiple_of(5) && i + 1 < n
}

fn identity_file(i: usize, n: usize, rng: &mut Rng) -> String {
    let count = 10 + rng.below(21);
    let allowed = distinct(rng, count, 0, GRANTABLE);
    let count = 2 + rng.below(4);
    let forbidden = distinct(rng, count, GRANTABLE, FORBIDDEN_POOL);
    // a few grants are narrowed to staging; delegations hand on only the
    // plain ones
    let narrowed = |k: usize| k % 6 == 5;
    let mut s = String::with_capacity(1600);
    let _ = writeln!(s, "agent: {}", name(i));
    let kind = rng.pick(&["agent", "agent", "workload", "pipeline", "service"]);
    let _ = writeln!(s, "kind: {kind}");
    let _ = writeln!(s, "owner: {}", TEAMS[i % TEAMS.len()]);
    s.push_str("identity_type: workload_identity\n");
    let _ = writeln!(
        s,
        "purpose: {} {} for the {} team; flags anomalies for human review",
        capitalise(&NOUNS[i % NOUNS.len()].replace('_', " ")),
        PURPOSES[(i / 7) % PURPOSES.len()],
        TEAMS[i % TEAMS.len()],
    );
    let _ = writeln!(
        s,
        "accountable: {}.{}@example.com",
        rng.pick(&[
            "ana", "ben", "chen", "dara", "eli", "fatima", "goran", "hana"
        ]),
        rng.pick(&[
            "silva", "okafor", "li", "novak", "schmidt", "tanaka", "haddad"
        ]),
    );
    let _ = writeln!(
        s,
        "acts: {}",
        if kind == "agent" {
            "on_behalf_of_user"
        } else {
            "autonomous"
        }
    );
    let _ = writeln!(
        s,
        "auth:\n  method: oidc\n  issuer: https://token.actions.githubusercontent.com\n  subject: repo:example/{}:ref:refs/heads/main\n  audience: sts.amazonaws.com\n  ttl: 1h",
        name(i)
    );
    s.push_str("allowed_actions:\n");
    for (k, a) in allowed.iter().enumerate() {
        if narrowed(k) {
            let _ = writeln!(
                s,
                "  - action: {}\n    where:\n      env: [staging]",
                action(*a)
            );
        } else {
            let _ = writeln!(s, "  - {}", action(*a));
        }
    }
    s.push_str("forbidden_actions:\n");
    for a in &forbidden {
        let _ = writeln!(s, "  - {}", action(*a));
    }
    s.push_str("audit_log: required\n");
    let high = i % 10 == 3;
    if high {
        s.push_str("decision_log: required\nrisk_tier: high\n");
    } else {
        let _ = writeln!(s, "risk_tier: {}", rng.pick(&["low", "medium"]));
    }
    let _ = writeln!(
        s,
        "review_cycle: {}",
        rng.pick(&["monthly", "quarterly", "semiannual", "90d"])
    );
    let _ = writeln!(s, "last_reviewed: 2026-11-{:02}", 1 + rng.below(20));
    let _ = writeln!(
        s,
        "reviewer: {}@example.com",
        rng.pick(&["security-lead", "iam-review", "ciso-office"])
    );
    // the five identities of a group act in one region, so that a
    // delegation (from the first of a group to the second) can be used
    let _ = writeln!(
        s,
        "context:\n  environments: [staging, production]\n  regions: [{}]\n  namespaces: [{}]",
        ["eu-west-1", "us-east-1", "ap-southeast-2"][(i / 5) % 3],
        TEAMS[i % TEAMS.len()],
    );
    let _ = writeln!(
        s,
        "provenance:\n  provider: {}\n  model: {}\n  version: \"{}\"\n  runtime: {}",
        rng.pick(&["example-ai", "in-house"]),
        rng.pick(&["agent-large", "agent-small", "classifier-v2"]),
        1 + rng.below(5),
        rng.pick(&["kubernetes", "github-actions", "lambda"]),
    );
    s.push_str("labels:\n");
    let labels = [
        ("cost-center", format!("cc-{:04}", i % 250)),
        (
            "data-class",
            rng.pick(&["public", "internal", "confidential"]).to_owned(),
        ),
        ("system", NOUNS[i % NOUNS.len()].replace('_', "-")),
        ("tier", rng.pick(&["gold", "silver", "bronze"]).to_owned()),
        ("compliance", rng.pick(&["sox", "gdpr", "pci"]).to_owned()),
    ];
    for (key, value) in labels.iter().take(3 + rng.below(3)) {
        let _ = writeln!(s, "  {key}: {value}");
    }
    if delegates(i, n) {
        let plain: Vec<String> = allowed
            .iter()
            .enumerate()
            .filter(|&(k, _)| !narrowed(k))
            .map(|(_, a)| action(*a))
            .collect();
        let give = &plain[..(2 + rng.below(3)).min(plain.len())];
        let _ = writeln!(
            s,
            "delegation:\n  may_delegate_to:\n    - agent: {}\n      actions: [{}]\n      ttl: 30m\n      max_depth: 0",
            name(i + 1),
            give.join(", ")
        );
    }
    // granting access is what these identities are for: waived, with the
    // reason, as a team would (PRV001)
    if allowed
        .iter()
        .any(|a| VERBS[a % VERBS.len()].1 == "permissions_management")
    {
        s.push_str("suppress:\n  - rule: admin-permission\n    reason: provisions access for its system's users, reviewed every cycle\n");
    }
    s
}

/// Write the workspace; return the identity files' paths and total bytes.
pub(crate) fn generate(dir: &Path, n: usize) -> (Vec<PathBuf>, u64) {
    let identities = dir.join("identities");
    std::fs::create_dir_all(&identities).unwrap();
    let workspace = workspace_file();
    std::fs::write(dir.join("nhi.yaml"), &workspace).unwrap();
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut bytes = workspace.len() as u64;
    let mut paths = Vec::with_capacity(n);
    for i in 0..n {
        let text = identity_file(i, n, &mut rng);
        bytes += text.len() as u64;
        let path = identities.join(format!("{}.yaml", name(i)));
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    (paths, bytes)
}
