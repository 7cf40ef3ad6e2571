//! `nhi diff`: what a change does, between two Git revisions (or a
//! revision and the working tree): each identity's changes with their
//! risk, permission-level new access, and the rendered artifacts' diffs.

use std::collections::BTreeSet;
use std::io::Write;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::analyse::Analysis;
use crate::cedar::Rendering;
use crate::cedar::index::Index;
use crate::cedar::schema::SchemaDoc;
use crate::check::{self, Checked};
use crate::diag::tamed;
use crate::diff::{self, Report, Risk, Side};
use crate::load::cache::Session;
use crate::load::git::Repo;
use crate::load::{self, LoadError, LoadOptions};
use crate::model::Model;
use crate::prove::access::{self, AccessProof, Outcome};
use crate::prove::{Prover, SolverConfig, slice};
use crate::render::{self, Artifacts};

use super::prove::{ProveArgs, elapsed};
use super::{CliError, Context, ExitStatus, Io, show_diagnostics};

/// Arguments of `nhi diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The revision to compare from
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub base: String,
    /// The revision to compare to (default: the working tree)
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Output format (stdout)
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    /// Exit 1 when any change reaches this risk
    #[arg(long, value_enum, value_name = "RISK")]
    pub fail_on: Option<Risk>,
    /// Also print the rendered artifacts' diffs (human format)
    #[arg(long)]
    pub artifacts: bool,
    /// Prove, for every identity whose Cedar changed, that the head grants
    /// no request the base denied
    #[command(flatten)]
    pub prove: ProveArgs,
}

/// Formats of `nhi diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Changes by identity, coloured on a terminal.
    Human,
    /// A pull-request comment.
    Markdown,
    /// One JSON document (`version: 1`).
    Json,
}

/// One side of the comparison: the workspace at a revision or in the
/// working tree, checked, if it exists there.
struct Revision {
    label: String,
    commit: Option<String>,
    checked: Option<Checked>,
    /// What a workspace that does not exist stands for: nothing.
    empty: (Model, Analysis),
}

impl Revision {
    fn new(label: &str, commit: Option<String>, checked: Option<Checked>, cx: &Context) -> Self {
        let empty = Model::default();
        let analysis = Analysis::new(&empty, cx.today);
        Self {
            label: label.to_owned(),
            commit,
            checked,
            empty: (empty, analysis),
        }
    }

    /// The checked model and its analysis (empty where the workspace does
    /// not exist).
    fn side(&self) -> Side<'_> {
        self.checked.as_ref().map_or(
            Side {
                model: &self.empty.0,
                analysis: &self.empty.1,
            },
            Side::of,
        )
    }
}

/// The workspace at a revision, parsed through `cache` (which it hands
/// back: a file the other side has too is parsed once).
fn at_revision(
    repo: &Repo,
    rev: &str,
    cx: &Context,
    cache: &mut Option<Session>,
) -> Result<Revision, CliError> {
    let options = LoadOptions::default();
    let (source, commit) = repo.workspace_at(rev, options.files.max_file_bytes)?;
    let checked = match check::source_cached(&source, options, cx.today, cache.take()) {
        Ok(mut c) => {
            *cache = c.cache.take();
            Some(c)
        }
        // no identity folder at that revision: the workspace is new there
        Err(LoadError::IdentityDir { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Revision::new(rev, Some(commit), checked, cx))
}

fn rendered(revision: &Revision, prefix: &str) -> Option<Artifacts> {
    let c = revision.checked.as_ref()?;
    render::render(
        &c.model,
        &c.analysis,
        &c.db,
        &render::Options {
            repo_prefix: prefix.to_owned(),
        },
    )
    .ok()
}

/// Run `nhi diff`.
///
/// # Errors
///
/// When the workspace is not in a Git repository, a revision is missing,
/// or output fails.
pub fn run(args: &DiffArgs, cx: &Context, io: &mut Io<'_>) -> Result<ExitStatus, CliError> {
    let root = load::find_root(&cx.start)?;
    let repo = Repo::discover(&root)?;
    // one parse cache for both sides: what they share is parsed once
    let mut cache = Some(if cx.cache {
        Session::open(&root)
    } else {
        Session::memory(&root)
    });
    let base = at_revision(&repo, &args.base, cx, &mut cache)?;
    let head = match &args.head {
        Some(rev) => at_revision(&repo, rev, cx, &mut cache)?,
        None => {
            let mut checked =
                check::workspace_cached(&root, cx.load_options(), cx.today, cache.take())?;
            cache = checked.cache.take();
            Revision::new("working tree", None, Some(checked), cx)
        }
    };
    if let Some(cache) = cache {
        crate::emit::store_cache(cache);
    }
    if let Some(c) = head.checked.as_ref().filter(|c| c.diagnostics.has_errors()) {
        show_diagnostics(&c.diagnostics, &c.db, cx, io)?;
        writeln!(io.stderr, "no diff: `{}` does not check clean", head.label)?;
        return Ok(ExitStatus::Findings);
    }
    let prefix = repo.slash_prefix();
    // the two sides render independently: at once
    let (base_artifacts, head_artifacts) =
        rayon::join(|| rendered(&base, &prefix), || rendered(&head, &prefix));
    let mut report = diff::diff(
        (&base.label, base.side(), base_artifacts.as_ref()),
        (&head.label, head.side(), head_artifacts.as_ref()),
    );
    if let Some(config) = args.prove.config() {
        report.add_proof(prove_access(&base, &head, &config)?);
    }
    let text = match args.format {
        // what a terminal or a page would hide or reorder is shown
        DiffFormat::Markdown => tamed(&diff::markdown::render(&report)),
        DiffFormat::Json => json(&report, &base, &head),
        DiffFormat::Human => human(&report, args.artifacts, cx.stdout_color),
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(match (args.fail_on, report.highest()) {
        (Some(level), Some(highest)) if highest >= level => ExitStatus::Findings,
        _ => ExitStatus::Clean,
    })
}

/// The revision's Cedar (none where the workspace does not exist).
fn cedar(revision: &Revision) -> Result<Rendering, CliError> {
    Ok(match &revision.checked {
        Some(c) => crate::cedar::render(&c.model, &c.analysis, &c.db)?,
        None => Rendering {
            schema: SchemaDoc::default(),
            policies: Vec::new(),
            entities: Vec::new(),
        },
    })
}

/// The identities of the head whose file differs from the base's.
fn changed_files(base: &Revision, head: &Revision) -> BTreeSet<String> {
    let text = |side: &Revision, name: &crate::model::Name| {
        let c = side.checked.as_ref()?;
        let identity = c.model.identities.get(name)?;
        c.db.get(identity.file).map(|f| f.text().clone())
    };
    let Some(h) = head.checked.as_ref() else {
        return BTreeSet::new();
    };
    h.model
        .identities
        .keys()
        .filter(|name| text(base, name) != text(head, name))
        .map(|name| name.as_str().to_owned())
        .collect()
}

fn prove_access(
    base: &Revision,
    head: &Revision,
    config: &SolverConfig,
) -> Result<AccessProof, CliError> {
    let (b, h) = (cedar(base)?, cedar(head)?);
    let schema = slice::union_schema(&b.schema, &h.schema);
    let (bi, hi) = (Index::new(&b), Index::new(&h));
    let touched = access::touched(&bi, &hi, &changed_files(base, head), &h.prefix());
    let mut prover = Prover::start(config, &schema)?;
    Ok(access::prove(&mut prover, &bi, &hi, &touched, &schema)?)
}

#[derive(Serialize)]
struct JsonSide<'a> {
    rev: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    base: JsonSide<'a>,
    head: JsonSide<'a>,
    summary: std::collections::BTreeMap<&'static str, usize>,
    changes: &'a [diff::Change],
    delegation: &'a [diff::Edge],
    artifacts: &'a [diff::FileDiff],
    #[serde(skip_serializing_if = "Option::is_none")]
    proof: Option<&'a AccessProof>,
}

fn json(report: &Report, base: &Revision, head: &Revision) -> String {
    let summary = [Risk::High, Risk::Medium, Risk::Low, Risk::Info]
        .into_iter()
        .map(|r| (r.as_str(), report.count(r)))
        .collect();
    let doc = JsonReport {
        version: 1,
        base: JsonSide {
            rev: &base.label,
            commit: base.commit.as_deref(),
        },
        head: JsonSide {
            rev: &head.label,
            commit: head.commit.as_deref(),
        },
        summary,
        changes: &report.changes,
        delegation: &report.delegation,
        artifacts: &report.artifacts,
        proof: report.proof.as_ref(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn paint(text: &str, risk: Risk, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match risk {
        Risk::High => "31;1",
        Risk::Medium => "33",
        Risk::Low => "32",
        Risk::Info => "2",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

fn human(report: &Report, artifacts: bool, color: bool) -> String {
    let mut out = format!("nhi diff {} → {}: ", report.base, report.head);
    if report.changes.is_empty() {
        out.push_str("no identity changes\n");
    } else {
        let counts: Vec<String> = [Risk::High, Risk::Medium, Risk::Low, Risk::Info]
            .into_iter()
            .filter(|r| report.count(*r) > 0)
            .map(|r| format!("{} {}", report.count(r), r.as_str()))
            .collect();
        out.push_str(&format!(
            "{} changes ({})\n",
            report.changes.len(),
            counts.join(", ")
        ));
    }
    let mut by_identity: std::collections::BTreeMap<String, Vec<&diff::Change>> =
        std::collections::BTreeMap::new();
    for c in &report.changes {
        by_identity
            .entry(
                c.identity
                    .clone()
                    .unwrap_or_else(|| "(workspace)".to_owned()),
            )
            .or_default()
            .push(c);
    }
    for (who, changes) in by_identity {
        out.push_str(&format!("\n{}\n", tamed(&who)));
        for c in changes {
            let risk = paint(&format!("{:<7}", c.risk.as_str()), c.risk, color);
            out.push_str(&format!("  {risk} {:<22} {}\n", c.kind, tamed(&c.summary)));
        }
    }
    if let Some(proof) = &report.proof {
        out.push_str(&proof_text(proof, color));
    }
    if !report.artifacts.is_empty() {
        out.push_str(&format!(
            "\n{} rendered files differ:\n",
            report.artifacts.len()
        ));
        for f in &report.artifacts {
            out.push_str(&format!("  {:<8} {}\n", f.status, tamed(&f.path)));
            if artifacts {
                out.push_str(&tamed(&f.diff));
            }
        }
    }
    out
}

fn proof_text(proof: &AccessProof, color: bool) -> String {
    let mut out = format!(
        "\nproof ({}, {} per query): {} in {} ({} queries)\n",
        proof.solver,
        elapsed(proof.limit_millis),
        match proof.identities.len() {
            1 => "1 identity".to_owned(),
            n => format!("{n} identities"),
        },
        elapsed(proof.stats.millis),
        proof.stats.queries,
    );
    if proof.identities.is_empty() {
        out.push_str("  nothing to prove: no identity's Cedar changed\n");
    }
    for p in &proof.identities {
        let risk = if p.outcome == Outcome::NoNewAccess {
            Risk::Low
        } else {
            Risk::High
        };
        out.push_str(&format!(
            "  {:<24} {}\n",
            p.identity,
            paint(p.outcome.words(), risk, color)
        ));
        for cex in &p.counterexamples {
            out.push_str(&format!("    allows {}\n", tamed(&cex.to_string())));
        }
        for cex in &p.forbidden_allowed {
            out.push_str(&format!(
                "    allows a forbidden action: {}\n",
                tamed(&cex.to_string())
            ));
        }
    }
    out
}
