//! Proofs about the rendered Cedar, by Cedar's symbolic compiler
//! (cedar-policy-symcc) and the cvc5 SMT solver: that a change grants no
//! new access ([`access`]), and that forbidden actions are denied, no
//! policy can error and no delegate exceeds its delegator
//! ([`properties`]).
//!
//! Every query is asked of a *slice*: the policies that can apply to one
//! principal ([`slice`]), in one request environment (a principal type,
//! an action and a resource type). A proof's cost therefore follows the
//! identities it concerns, not the size of the workspace.
//!
//! A query the solver cannot decide within its time limit is *undecided*:
//! never counted as proven.

pub mod access;
pub mod properties;
pub mod slice;
pub mod solver;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use cedar_policy::{EntityTypeName, EntityUid, PolicyId, PolicySet, RequestEnv, Schema};
use cedar_policy_symcc::solver::LocalSolver;
use cedar_policy_symcc::{CedarSymCompiler, CompiledPolicy, CompiledPolicySet, Env};
use serde::Serialize;

use crate::cedar::policy::{Cond, Policy};
use crate::cedar::schema::SchemaDoc;
use crate::cedar::verify;
use crate::vocabulary::context;

pub use solver::SolverConfig;

/// Why a proof could not be attempted.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ProveError {
    /// No solver at the configured place.
    #[error("cannot run the SMT solver `{program}`: {reason}")]
    #[diagnostic(
        code(nhi::prove::solver_missing),
        help(
            "`--prove` needs cvc5 1.3: install it (a release binary from github.com/cvc5/cvc5 or your package manager), then put `cvc5` on the PATH or set CVC5 to its path"
        )
    )]
    SolverNotFound {
        /// The program tried.
        program: String,
        /// What the system said.
        reason: String,
    },
    /// The solver is not cvc5 1.3.
    #[error("`{program}` is not cvc5 {required}: {found}", required = solver::REQUIRED)]
    #[diagnostic(
        code(nhi::prove::solver_version),
        help("`--prove` is written for cvc5 1.3.x; point CVC5 at a cvc5 1.3 executable")
    )]
    SolverVersion {
        /// The program tried.
        program: String,
        /// What it reported.
        found: String,
    },
    /// The solver failed while answering.
    #[error("the SMT solver failed: {message}")]
    #[diagnostic(code(nhi::prove::solver))]
    Solver {
        /// What went wrong.
        message: String,
    },
    /// The rendered Cedar could not be compiled to a query (an internal
    /// error: the rendering passed Cedar's validator).
    #[error("cannot compile `{subject}` for the solver: {message}")]
    #[diagnostic(code(nhi::prove::compile))]
    Compile {
        /// The policy set or policy.
        subject: String,
        /// The symbolic compiler's message.
        message: String,
    },
}

/// A request that a proof found, in the solver's words made plain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Counterexample {
    /// The principal (`Agent::"release-assistant"`).
    pub principal: String,
    /// The action (`Action::"deploy"`).
    pub action: String,
    /// The resource (`Resource::"…"`).
    pub resource: String,
    /// The context attributes of the request that the policies read, as
    /// Cedar values.
    pub context: BTreeMap<String, String>,
    /// The `@id` of each policy that allowed it (or errored on it).
    pub policies: Vec<String>,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} doing {} on {}",
            self.principal, self.action, self.resource
        )?;
        if self.context.is_empty() {
            f.write_str(" with an empty context")?;
        } else {
            f.write_str(" with context ")?;
            for (i, (k, v)) in self.context.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k} = {v}")?;
            }
        }
        Ok(())
    }
}

/// What one query established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The property holds for every request of the environment.
    Proven,
    /// A request breaks it.
    Refuted(Box<Counterexample>),
    /// The solver did not decide within the time limit.
    Undecided,
}

/// How much proving cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Queries sent to the solver.
    pub queries: usize,
    /// Properties settled without the solver (no permit can apply, so
    /// Cedar denies by default).
    pub without_solver: usize,
    /// Time spent, compiling and solving, in milliseconds.
    pub millis: u128,
}

/// One request environment: the principal type, the action and the
/// resource type, with the namespace prefix applied.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestType {
    /// `Agent`, `Pipeline`…
    pub principal: &'static str,
    /// The action's name.
    pub action: String,
    /// The resource type.
    pub resource: String,
}

/// A solver session, with the schema of the renderings it proves about.
pub struct Prover {
    runtime: tokio::runtime::Runtime,
    symcc: CedarSymCompiler<LocalSolver>,
    config: SolverConfig,
    version: String,
    schema: Schema,
    prefix: String,
    stats: Stats,
}

impl fmt::Debug for Prover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prover")
            .field("config", &self.config)
            .field("version", &self.version)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Prover {
    /// Check the solver's version, start it, and parse `schema` (under the
    /// namespace prefix `prefix`, `Acme::` or empty).
    ///
    /// # Errors
    ///
    /// When the solver is absent, of another version, or does not start,
    /// or the schema is rejected.
    pub fn start(config: &SolverConfig, schema: &SchemaDoc) -> Result<Self, ProveError> {
        let version = config.version()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| ProveError::Solver {
                message: format!("cannot start the solver's runtime: {e}"),
            })?;
        // the process is spawned inside the runtime, which owns its pipes
        let solver = {
            let _guard = runtime.enter();
            config.spawn()?
        };
        let symcc = CedarSymCompiler::new(solver).map_err(|e| ProveError::Solver {
            message: e.to_string(),
        })?;
        let parsed = verify::parse_schema(schema).map_err(|e| ProveError::Compile {
            subject: "the schema".to_owned(),
            message: e.to_string(),
        })?;
        let prefix = schema.prefix();
        Ok(Self {
            runtime,
            symcc,
            config: config.clone(),
            version,
            schema: parsed,
            prefix,
            stats: Stats::default(),
        })
    }

    /// The solver's version (`1.3.1`).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The time limit of one query.
    #[must_use]
    pub const fn limit(&self) -> Duration {
        self.config.limit
    }

    /// What proving has cost so far.
    #[must_use]
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// Count a property settled without the solver.
    pub const fn settled_without_solver(&mut self) {
        self.stats.without_solver += 1;
    }

    /// The request environment of a [`RequestType`].
    fn env(&self, ty: &RequestType) -> Result<RequestEnv, ProveError> {
        let name = |t: &str| {
            format!("{}{t}", self.prefix)
                .parse::<EntityTypeName>()
                .map_err(|e| compile_error(t, &e))
        };
        let action_text = format!(
            "{}Action::{}",
            self.prefix,
            crate::cedar::syntax::string(&ty.action)
        );
        let action: EntityUid = action_text
            .parse()
            .map_err(|e| compile_error(&action_text, &e))?;
        Ok(RequestEnv::new(
            name(ty.principal)?,
            action,
            name(&ty.resource)?,
        ))
    }

    /// One rendered policy as Cedar parses it.
    fn parse(&self, policy: &Policy) -> Result<cedar_policy::Policy, ProveError> {
        verify::parse(policy, &self.prefix).map_err(|e| compile_error(&policy.id, &e))
    }

    /// The policies as a Cedar policy set.
    fn policy_set(&self, policies: &[Policy]) -> Result<PolicySet, ProveError> {
        let mut set = PolicySet::new();
        for p in policies {
            set.add(self.parse(p)?)
                .map_err(|e| compile_error(&p.id, &e))?;
        }
        Ok(set)
    }

    fn compile_set(
        &self,
        policies: &[Policy],
        env: &RequestEnv,
    ) -> Result<(PolicySet, CompiledPolicySet), ProveError> {
        let set = self.policy_set(policies)?;
        let compiled = CompiledPolicySet::compile(&set, env, &self.schema)
            .map_err(|e| compile_error("a policy slice", &e))?;
        Ok((set, compiled))
    }

    /// Does every request that `stronger` allows, `weaker` allow too? A
    /// refutation is a request `stronger` allows and `weaker` denies.
    ///
    /// # Errors
    ///
    /// When the solver fails or a slice cannot be compiled.
    pub fn implies(
        &mut self,
        stronger: &[Policy],
        weaker: &[Policy],
        ty: &RequestType,
    ) -> Result<Verdict, ProveError> {
        let started = Instant::now();
        let env = self.env(ty)?;
        let (set, a) = self.compile_set(stronger, &env)?;
        let (_, b) = self.compile_set(weaker, &env)?;
        let answer = self
            .runtime
            .block_on(self.symcc.check_implies_with_counterexample_opt(&a, &b));
        let read = context_read(stronger.iter().chain(weaker));
        self.finish(started, answer, &set, Some(&read))
    }

    /// Does `policies` deny every request of the environment?
    ///
    /// # Errors
    ///
    /// When the solver fails or the slice cannot be compiled.
    pub fn always_denies(
        &mut self,
        policies: &[Policy],
        ty: &RequestType,
    ) -> Result<Verdict, ProveError> {
        let started = Instant::now();
        let env = self.env(ty)?;
        let (set, compiled) = self.compile_set(policies, &env)?;
        let answer = self.runtime.block_on(
            self.symcc
                .check_always_denies_with_counterexample_opt(&compiled),
        );
        let read = context_read(policies.iter());
        self.finish(started, answer, &set, Some(&read))
    }

    /// Can `policy` never fail to evaluate in the environment?
    ///
    /// # Errors
    ///
    /// When the solver fails or the policy cannot be compiled.
    pub fn never_errors(
        &mut self,
        policy: &Policy,
        ty: &RequestType,
    ) -> Result<Verdict, ProveError> {
        let parsed = self.parse(policy)?;
        self.never_errors_cedar(&parsed, ty)
    }

    /// Can a Cedar policy never fail to evaluate in the environment?
    ///
    /// # Errors
    ///
    /// When the solver fails or the policy cannot be compiled.
    pub fn never_errors_cedar(
        &mut self,
        policy: &cedar_policy::Policy,
        ty: &RequestType,
    ) -> Result<Verdict, ProveError> {
        let started = Instant::now();
        let env = self.env(ty)?;
        let compiled = CompiledPolicy::compile(policy, &env, &self.schema)
            .map_err(|e| compile_error(policy.id().as_ref(), &e))?;
        let answer = self.runtime.block_on(
            self.symcc
                .check_never_errors_with_counterexample_opt(&compiled),
        );
        let mut set = PolicySet::new();
        set.add(policy.clone())
            .map_err(|e| compile_error(policy.id().as_ref(), &e))?;
        self.finish(started, answer, &set, None)
    }

    fn finish(
        &mut self,
        started: Instant,
        answer: Result<Option<Env>, cedar_policy_symcc::err::Error>,
        set: &PolicySet,
        read: Option<&BTreeSet<&str>>,
    ) -> Result<Verdict, ProveError> {
        self.stats.queries += 1;
        self.stats.millis += started.elapsed().as_millis();
        match answer {
            Ok(None) => Ok(Verdict::Proven),
            Ok(Some(env)) => Ok(Verdict::Refuted(Box::new(counterexample(&env, set, read)))),
            Err(cedar_policy_symcc::err::Error::SolverUnknown) => Ok(Verdict::Undecided),
            Err(cedar_policy_symcc::err::Error::SolverError(e)) => Err(ProveError::Solver {
                message: e.to_string(),
            }),
            Err(e) => Err(compile_error("a query", &e)),
        }
    }
}

fn compile_error(subject: &str, e: &dyn fmt::Display) -> ProveError {
    ProveError::Compile {
        subject: subject.to_owned(),
        message: e.to_string(),
    }
}

/// The context attributes that `policies` read: their conditions' keys,
/// and the delegation's when a condition concerns it.
fn context_read<'p>(policies: impl Iterator<Item = &'p Policy>) -> BTreeSet<&'p str> {
    let mut keys = BTreeSet::new();
    for cond in policies.flat_map(|p| &p.when) {
        match cond {
            Cond::Holds(check) => {
                keys.insert(check.key.as_str());
            }
            Cond::NotDelegated | Cond::Delegator(_) => {
                keys.insert(context::DELEGATOR);
            }
            Cond::ChainIs(_) | Cond::ChainContains(_) => {
                keys.insert(context::DELEGATION_CHAIN);
            }
        }
    }
    keys
}

/// The solver's request in plain words, with the policies that allowed
/// it when evaluated on the solver's entities. Context attributes that
/// no policy reads (`read`, when known) are left out: any value would do.
fn counterexample(env: &Env, set: &PolicySet, read: Option<&BTreeSet<&str>>) -> Counterexample {
    let request = &env.request;
    let show =
        |uid: Option<&EntityUid>| uid.map_or_else(|| "(unknown)".to_owned(), ToString::to_string);
    let context = request
        .context()
        .cloned()
        .map(|c| {
            c.into_iter()
                .filter(|(k, _)| read.is_none_or(|r| r.contains(k.as_str())))
                .map(|(k, v)| (k, v.as_ref().to_string()))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    let response = cedar_policy::Authorizer::new().is_authorized(request, set, &env.entities);
    let mut policies: Vec<String> = response
        .diagnostics()
        .reason()
        .chain(response.diagnostics().errors().map(|e| match e {
            cedar_policy::AuthorizationError::PolicyEvaluationError(e) => e.policy_id(),
        }))
        .map(PolicyId::to_string)
        .collect();
    policies.sort();
    policies.dedup();
    Counterexample {
        principal: show(request.principal()),
        action: show(request.action()),
        resource: show(request.resource()),
        context,
        policies,
    }
}
