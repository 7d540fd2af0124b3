//! `twin estimators list|run`. (Owned by the estimators work; not built yet.)

use std::path::PathBuf;

/// Subcommands.
#[derive(clap::Subcommand)]
pub enum Cmd {
    /// List the registered models as JSON.
    List,
    /// Run a model on `{"rows": [[...]]}`.
    Run {
        /// Model name.
        name: String,
        /// Inputs JSON file.
        inputs: PathBuf,
    },
}

/// Runs the subcommand; returns the exit code.
pub fn run(cmd: Cmd) -> anyhow::Result<u8> {
    match cmd {
        Cmd::List => anyhow::bail!("twin estimators is not built yet"),
        Cmd::Run { name, inputs } => {
            anyhow::bail!(
                "twin estimators run is not built yet ({name}, {})",
                inputs.display()
            )
        }
    }
}
