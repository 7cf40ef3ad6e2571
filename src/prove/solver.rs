//! The SMT solver behind the proofs: a cvc5 1.3 process spoken to in
//! SMT-LIB over its standard input and output, found at the path the
//! caller names (the `CVC5` environment variable) or as `cvc5` on the
//! `PATH`, and refused unless it says it is version 1.3.

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use cedar_policy_symcc::solver::LocalSolver;

use super::ProveError;

/// The solver version the proofs are written for.
pub const REQUIRED: &str = "1.3";

/// Where the solver is and how long each query may take.
#[derive(Clone, Debug)]
pub struct SolverConfig {
    /// The executable (`cvc5` by default, looked up on the `PATH`).
    pub program: OsString,
    /// The time limit of one query.
    pub limit: Duration,
}

impl SolverConfig {
    /// The solver at `program` (or `cvc5` on the `PATH` when `None`), with
    /// a time limit per query.
    #[must_use]
    pub fn new(program: Option<OsString>, limit: Duration) -> Self {
        Self {
            program: program
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "cvc5".into()),
            limit,
        }
    }

    fn name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// Ask the solver its version and refuse any but 1.3.x.
    ///
    /// # Errors
    ///
    /// When it cannot be run, or is another version.
    pub fn version(&self) -> Result<String, ProveError> {
        let out = Command::new(&self.program)
            .arg("--version")
            .output()
            .map_err(|e| self.not_found(&e))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let found = parse_version(&text).ok_or_else(|| ProveError::SolverVersion {
            program: self.name(),
            found: first_line(&text, &out.stderr),
        })?;
        if found == REQUIRED || found.starts_with(&format!("{REQUIRED}.")) {
            Ok(found)
        } else {
            Err(ProveError::SolverVersion {
                program: self.name(),
                found: format!("version {found}"),
            })
        }
    }

    /// Start a solver process, with the per-query time limit.
    ///
    /// # Errors
    ///
    /// When the process cannot be started.
    pub fn spawn(&self) -> Result<LocalSolver, ProveError> {
        let limit = format!("--tlimit-per={}", self.limit.as_millis().max(1));
        let mut command = tokio::process::Command::new(&self.program);
        command.args(["--lang", "smt", &limit]).kill_on_drop(true);
        LocalSolver::from_command(&mut command).map_err(|e| ProveError::Solver {
            message: format!("cannot start `{}`: {e}", self.name()),
        })
    }

    fn not_found(&self, e: &std::io::Error) -> ProveError {
        ProveError::SolverNotFound {
            program: self.name(),
            reason: e.to_string(),
        }
    }
}

/// `1.3.1` from `This is cvc5 version 1.3.1 [git tag …]`.
fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains("cvc5 version"))?;
    let rest = line.split("cvc5 version").nth(1)?.trim();
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

fn first_line(stdout: &str, stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    let line = stdout
        .lines()
        .chain(err.lines())
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    format!(
        "`--version` printed: {}",
        line.chars().take(120).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn the_version_is_read_from_cvc5s_banner() {
        assert_eq!(
            parse_version(
                "This is cvc5 version 1.3.1 [git tag 1.3.1 branch HEAD]\ncompiled with GCC\n"
            )
            .as_deref(),
            Some("1.3.1")
        );
        assert_eq!(
            parse_version("This is cvc5 version 1.2.0\n").as_deref(),
            Some("1.2.0")
        );
        assert_eq!(parse_version("Z3 version 4.13.0\n"), None);
    }
}
