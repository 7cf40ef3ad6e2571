//! The `--prove` options that `nhi check` and `nhi diff` share.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::prove::SolverConfig;

/// Arguments of `--prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// Prove with the cvc5 1.3 SMT solver: for `check`, that forbidden
    /// actions are denied, no policy can error and no delegate exceeds its
    /// delegator; for `diff`, that the head grants no new access
    #[arg(long)]
    pub prove: bool,
    /// Time limit of each solver query, in seconds
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub prove_timeout: Duration,
    /// The cvc5 executable (default: `cvc5` on the PATH)
    #[arg(long, value_name = "PATH", env = "CVC5", hide_env_values = true)]
    pub solver: Option<PathBuf>,
}

impl ProveArgs {
    /// The solver to use, when proving.
    #[must_use]
    pub fn config(&self) -> Option<SolverConfig> {
        self.prove.then(|| {
            SolverConfig::new(
                self.solver.as_ref().map(|p| p.as_os_str().to_owned()),
                self.prove_timeout,
            )
        })
    }
}

fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(value.is_finite() && value > 0.0 && value <= 86_400.0) {
        return Err(format!(
            "`{text}`: give a time limit above 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// How long proving took, for people: `0.42 s`.
#[must_use]
pub fn elapsed(millis: u128) -> String {
    let hundredths = millis / 10;
    format!("{}.{:02} s", hundredths / 100, hundredths % 100)
}
