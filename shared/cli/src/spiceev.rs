//! `twin import spiceev <scenario.json>`: a SpiceEV scenario → a depot_simulation request.
//! (Owned by the depot work; not built yet.)

use std::path::PathBuf;

/// Arguments.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// SpiceEV scenario JSON (its price CSV is resolved relative to it).
    pub scenario: PathBuf,
}

/// Runs the import; returns the exit code.
pub fn run(args: ImportArgs) -> anyhow::Result<u8> {
    anyhow::bail!(
        "twin import spiceev is not built yet ({})",
        args.scenario.display()
    )
}
