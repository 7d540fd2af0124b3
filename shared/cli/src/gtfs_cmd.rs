//! `twin import gtfs` and `twin plan gtfs`: flags in, [`twin_gtfs::command`] does the work, JSON
//! out on stdout (a readable table on stderr, or on stdout with `--table`; `--html` writes a report).

use anyhow::Context as _;
use std::io::Write as _;
use std::path::PathBuf;
use twin_estimators::trip::SegmentTripEnergy;
use twin_gtfs::command::{ImportCommand, PlanCommand};

/// `twin import gtfs <feed.zip> [--date YYYY-MM-DD]`: the day's blocks of trips as JSON.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// GTFS feed (zip, or an unpacked folder).
    pub feed: PathBuf,
    /// Service date (YYYY-MM-DD); default: the busiest of the feed's first seven days.
    #[arg(long)]
    pub date: Option<String>,
    /// Least layover between chained trips (min); default 5.
    #[arg(long = "min-layover-min")]
    pub min_layover_min: Option<f64>,
    /// Longest wait at a terminal before the vehicle counts as back at the depot (min); default none.
    #[arg(long = "max-layover-min")]
    pub max_layover_min: Option<f64>,
    /// Stops this close form one terminal for chaining (m); default 200.
    #[arg(long = "terminal-radius-m")]
    pub terminal_radius_m: Option<f64>,
}

impl ImportArgs {
    fn command(&self) -> ImportCommand {
        ImportCommand {
            feed: self.feed.clone(),
            date: self.date.clone(),
            min_layover_min: self.min_layover_min,
            max_layover_min: self.max_layover_min,
            terminal_radius_m: self.terminal_radius_m,
        }
    }
}

/// `twin plan gtfs <feed.zip> --vehicle <id> --ambient-c <T>`: the electrification report.
#[derive(clap::Args)]
pub struct PlanArgs {
    /// GTFS feed (zip, or an unpacked folder).
    pub feed: PathBuf,
    /// Service date (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<String>,
    /// Catalogue vehicle id (e.g. yutong_e12).
    #[arg(long)]
    pub vehicle: String,
    /// Ambient temperature all day (°C).
    #[arg(long = "ambient-c", allow_hyphen_values = true)]
    pub ambient_c: Option<f64>,
    /// Hourly temperature file (TMY3 or ERA5 CSV) instead of --ambient-c.
    #[arg(long)]
    pub weather: Option<PathBuf>,
    /// Which part of --weather: coldest (default), hottest, coldest-week, hottest-week, or YYYY-MM-DD.
    #[arg(long = "weather-day")]
    pub weather_day: Option<String>,
    /// Depot charger power (kW): overnight recharge time per block and whether it fits.
    #[arg(long = "charger-kw")]
    pub charger_kw: Option<f64>,
    /// Layover charger power (kW) at the terminals of --layover-charger-at (default: the busiest).
    #[arg(long = "layover-charger-kw")]
    pub layover_charger_kw: Option<f64>,
    /// Stop id of a terminal with a layover charger (repeatable).
    #[arg(long = "layover-charger-at")]
    pub layover_charger_at: Vec<String>,
    /// Reserve SoC (%); default 10.
    #[arg(long = "reserve-soc-pct")]
    pub reserve_soc_pct: Option<f64>,
    /// SoC at pull-out (%); default the battery's max.
    #[arg(long = "start-soc-pct")]
    pub start_soc_pct: Option<f64>,
    /// Least layover between chained trips (min); default 5.
    #[arg(long = "min-layover-min")]
    pub min_layover_min: Option<f64>,
    /// Longest wait at a terminal before the vehicle counts as back at the depot (min).
    #[arg(long = "max-layover-min")]
    pub max_layover_min: Option<f64>,
    /// Print the table on stdout instead of the JSON.
    #[arg(long)]
    pub table: bool,
    /// Write an HTML report with charts to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Trip energy: `auto` (the learned energy_rate model for these segment-level trips where it
    /// applies, physics otherwise) or `physics` (the time-step simulation for every trip).
    #[arg(long, default_value = "auto", value_parser = ["auto", "physics"])]
    pub estimator: String,
}

/// Runs the import; returns the exit code.
pub fn import(args: ImportArgs) -> anyhow::Result<u8> {
    let day = args.command().run()?;
    eprintln!(
        "{}: {} trips in {} blocks ({}){}",
        day.date,
        day.trip_count,
        day.blocks.len(),
        day.blocks_from,
        if day.interpolated_times > 0 {
            format!(", {} empty stop times interpolated", day.interpolated_times)
        } else {
            String::new()
        }
    );
    print_json(&day)?;
    Ok(0)
}

/// Runs the report; returns the exit code.
pub fn plan(args: PlanArgs) -> anyhow::Result<u8> {
    let cmd = PlanCommand {
        import: ImportCommand {
            feed: args.feed.clone(),
            date: args.date.clone(),
            min_layover_min: args.min_layover_min,
            max_layover_min: args.max_layover_min,
            terminal_radius_m: None,
        },
        vehicle: args.vehicle.clone(),
        ambient_c: args.ambient_c,
        weather: args.weather.clone(),
        weather_day: args.weather_day.clone(),
        charger_kw: args.charger_kw,
        layover_charger_kw: args.layover_charger_kw,
        layover_charger_at: args.layover_charger_at.clone(),
        reserve_soc_pct: args.reserve_soc_pct,
        start_soc_pct: args.start_soc_pct,
    };
    let t0 = std::time::Instant::now();
    let physics = twin_model::trip::RoadLoadEnergy::default();
    let energy = if args.estimator == "physics" {
        SegmentTripEnergy::physics_only(physics)
    } else {
        SegmentTripEnergy::new(&twin_api::estimators_from_env(), physics)
    };
    let report = cmd.run_with(&energy)?;
    let elapsed = t0.elapsed();
    if let Some(path) = &args.html {
        std::fs::write(path, report.to_html())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.table {
        print!("{}", report.to_table());
    } else {
        eprint!("{}", report.to_table());
        print_json(&report)?;
    }
    eprintln!("planned in {:.0} ms", elapsed.as_secs_f64() * 1000.0);
    Ok(0)
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}
