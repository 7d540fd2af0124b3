//! `twin import gtfs` and `twin plan gtfs`. (Owned by the trip-planning work; not built yet.)

use std::path::PathBuf;

/// `twin import gtfs <feed.zip> [--date YYYY-MM-DD]`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// GTFS feed zip.
    pub feed: PathBuf,
    /// Service date (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<String>,
}

/// `twin plan gtfs <feed.zip> --vehicle <id> --ambient-c <T>`.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// GTFS feed zip.
    pub feed: PathBuf,
    /// Service date (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<String>,
    /// Catalogue vehicle id.
    #[arg(long)]
    pub vehicle: String,
    /// Ambient temperature (°C).
    #[arg(long = "ambient-c", allow_hyphen_values = true)]
    pub ambient_c: Option<f64>,
}

/// Runs the import; returns the exit code.
pub fn import(args: ImportArgs) -> anyhow::Result<u8> {
    anyhow::bail!(
        "twin import gtfs is not built yet ({})",
        args.feed.display()
    )
}

/// Runs the report; returns the exit code.
pub fn plan(args: PlanArgs) -> anyhow::Result<u8> {
    anyhow::bail!(
        "twin plan gtfs is not built yet ({} {} {:?} {:?})",
        args.feed.display(),
        args.vehicle,
        args.ambient_c,
        args.date
    )
}
