//! `twin import spiceev <scenario.json>`: a SpiceEV scenario → a depot_simulation request on stdout.
//!
//! The price CSV named by `events.energy_price_from_csv.csv_file` is read relative to the scenario
//! file. The conversion itself is pure (`twin_model::depot::spiceev`); it selects SpiceEV's rules in
//! the request's `options` (events rounded up to the step, vehicle-id order, price of the step start)
//! and keeps its battery efficiency and lossless chargers.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use twin_model::depot::{spiceev, Strategy};

/// Arguments.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// SpiceEV scenario JSON (its price CSV is resolved relative to it).
    pub scenario: PathBuf,
}

/// Reads a SpiceEV scenario (and its price CSV) and returns our `depot_simulation` request
/// (strategy `uncontrolled`, SpiceEV's greedy).
pub fn import_spiceev(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let sc = spiceev::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let csv = match &sc.price_csv_file {
        Some(rel) => {
            let p = path.parent().unwrap_or(Path::new(".")).join(rel);
            Some(
                std::fs::read_to_string(&p)
                    .with_context(|| format!("reading the price CSV {}", p.display()))?,
            )
        }
        None => None,
    };
    sc.to_request(csv.as_deref(), Strategy::Uncontrolled)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Runs the import; returns the exit code.
pub fn run(args: ImportArgs) -> anyhow::Result<u8> {
    let req = import_spiceev(&args.scenario)?;
    println!("{}", serde_json::to_string_pretty(&req)?);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_scenario_imports_with_spiceevs_rules() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/spiceev/scenario_10bus_1day.json");
        let r = import_spiceev(&p).unwrap();
        assert_eq!(r["step_s"], 900);
        assert_eq!(r["fleet"].as_array().unwrap().len(), 10);
        assert_eq!(r["depot"]["grid_limit_kw"], 600.0);
        assert_eq!(r["options"]["event_timing"], "round_up_to_step");
        assert_eq!(r["options"]["sharing_order"], "vehicle_id");
        // The hourly price series came from the CSV: 9,600 hours.
        assert_eq!(
            r["tariff"]["energy"]["series"]["values_per_kwh"]
                .as_array()
                .unwrap()
                .len(),
            9600
        );
        assert_eq!(r["fleet"][0]["vehicle"]["battery"]["efficiency"], 0.95);
    }

    #[test]
    fn a_missing_file_is_an_error() {
        assert!(import_spiceev(Path::new("/nonexistent/scenario.json")).is_err());
    }
}
