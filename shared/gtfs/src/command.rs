//! What `twin import gtfs` and `twin plan gtfs` do, without the argument parsing: the CLI maps its
//! flags onto [`ImportCommand`] and [`PlanCommand`] and prints what these return.

use crate::error::GtfsError;
use crate::feed::{load_feed, parse_date, ImportOptions, ServiceDay};
use crate::report::{
    busiest_terminal, plan_day_with, plan_days_with, DayWeather, Report, ReportOptions,
    DEFAULT_RESERVE_SOC_PCT,
};
use crate::weather::{read_series, TemperatureSeries};
use std::path::PathBuf;
use twin_model::trip::{ChainOptions, RoadLoadEnergy, TripEnergy};
use twin_model::ModelError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Reading the feed or weather file.
    #[error(transparent)]
    Gtfs(#[from] GtfsError),
    /// The model refused (unknown vehicle, impossible parameters).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A flag's value is wrong; names the flag.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
}

fn usage(flag: &'static str, message: impl Into<String>) -> CommandError {
    CommandError::Usage {
        flag,
        message: message.into(),
    }
}

/// `twin import gtfs <feed> [--date] [--min-layover-min] [--max-layover-min] [--terminal-radius-m]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportCommand {
    /// Feed (zip or folder).
    pub feed: PathBuf,
    /// Service date, YYYY-MM-DD.
    pub date: Option<String>,
    /// Least layover when chaining (min); default 5.
    pub min_layover_min: Option<f64>,
    /// Longest wait at a terminal before the vehicle counts as back at the depot (min).
    pub max_layover_min: Option<f64>,
    /// Stops this close form one terminal (m); default 200.
    pub terminal_radius_m: Option<f64>,
}

impl ImportCommand {
    fn options(&self) -> Result<ImportOptions, CommandError> {
        let mut o = ImportOptions::default();
        if let Some(d) = &self.date {
            o.date = Some(parse_date(d).map_err(|m| usage("--date", m))?);
        }
        let minutes = |flag: &'static str, v: f64| -> Result<i64, CommandError> {
            if v.is_finite() && (0.0..=1440.0).contains(&v) {
                Ok((v * 60.0).round() as i64)
            } else {
                Err(usage(flag, "must be between 0 and 1440 minutes"))
            }
        };
        o.chain = ChainOptions {
            min_layover_s: match self.min_layover_min {
                Some(v) => minutes("--min-layover-min", v)?,
                None => o.chain.min_layover_s,
            },
            max_layover_s: self
                .max_layover_min
                .map(|v| minutes("--max-layover-min", v))
                .transpose()?,
        };
        if let Some(r) = self.terminal_radius_m {
            if !r.is_finite() || !(0.0..=2000.0).contains(&r) {
                return Err(usage("--terminal-radius-m", "must be between 0 and 2000 m"));
            }
            o.terminal_radius_m = r;
        }
        Ok(o)
    }

    /// Reads the feed and builds the day's blocks.
    pub fn run(&self) -> Result<ServiceDay, CommandError> {
        let opts = self.options()?;
        Ok(load_feed(&self.feed)?.service_day(&opts)?)
    }
}

/// `twin plan gtfs <feed> --vehicle <id> (--ambient-c <T> | --weather <csv> [--weather-day ...]) ...`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanCommand {
    /// The feed and how to cut it into blocks.
    pub import: ImportCommand,
    /// Catalogue vehicle id.
    pub vehicle: String,
    /// Constant ambient temperature (°C).
    pub ambient_c: Option<f64>,
    /// An hourly temperature file (TMY3 or ERA5 CSV).
    pub weather: Option<PathBuf>,
    /// Which day of it: `coldest` (default), `hottest`, `coldest-week`, `hottest-week`, or a date
    /// (YYYY-MM-DD; TMY3 files are read as the year 2015).
    pub weather_day: Option<String>,
    /// Depot charger power (kW): overnight recharge time and whether it fits.
    pub charger_kw: Option<f64>,
    /// Layover charger power (kW) at the terminals in `layover_charger_at` (default: the busiest).
    pub layover_charger_kw: Option<f64>,
    /// Terminal stop ids with a layover charger.
    pub layover_charger_at: Vec<String>,
    /// Reserve (%); default 10.
    pub reserve_soc_pct: Option<f64>,
    /// SoC at pull-out (%); default the battery's max.
    pub start_soc_pct: Option<f64>,
}

impl PlanCommand {
    /// Builds the day's blocks and plans them with the road-load (time-step) energy model.
    pub fn run(&self) -> Result<Report, CommandError> {
        self.run_with(&RoadLoadEnergy::default())
    }

    /// Builds the day's blocks and plans them with `energy` for the trip energies.
    pub fn run_with(&self, energy: &dyn TripEnergy) -> Result<Report, CommandError> {
        let entry = twin_model::vehicle::lookup(&self.vehicle)?;
        let pct = |flag: &'static str, v: Option<f64>| -> Result<Option<f64>, CommandError> {
            match v {
                Some(x) if !x.is_finite() || !(0.0..=100.0).contains(&x) => {
                    Err(usage(flag, "must be between 0 and 100 %"))
                }
                _ => Ok(v),
            }
        };
        let kw = |flag: &'static str, v: Option<f64>| -> Result<Option<f64>, CommandError> {
            match v {
                Some(x) if !x.is_finite() || x <= 0.0 || x > 5000.0 => {
                    Err(usage(flag, "must be > 0 and at most 5000 kW"))
                }
                _ => Ok(v),
            }
        };
        let reserve =
            pct("--reserve-soc-pct", self.reserve_soc_pct)?.unwrap_or(DEFAULT_RESERVE_SOC_PCT);
        let start = pct("--start-soc-pct", self.start_soc_pct)?;
        let depot_kw = kw("--charger-kw", self.charger_kw)?;
        let layover_kw = kw("--layover-charger-kw", self.layover_charger_kw)?;
        if !self.layover_charger_at.is_empty() && layover_kw.is_none() {
            return Err(usage("--layover-charger-at", "needs --layover-charger-kw"));
        }
        let day = self.import.run()?;
        let mut layover_chargers = Vec::new();
        if let Some(p) = layover_kw {
            let places = if self.layover_charger_at.is_empty() {
                busiest_terminal(&day).into_iter().collect()
            } else {
                self.layover_charger_at.clone()
            };
            for stop in places {
                // Chargers are named by stop id; trips end at terminal keys (the smallest stop id of a
                // terminal), so translate through the day's trips.
                let key = day
                    .blocks
                    .iter()
                    .flat_map(|b| b.trips.iter())
                    .find(|t| t.end_stop == stop || t.end_location == stop)
                    .map(|t| t.end_location.clone())
                    .ok_or_else(|| {
                        usage(
                            "--layover-charger-at",
                            format!("no trip of {} ends at stop `{stop}`", day.date),
                        )
                    })?;
                layover_chargers.push((key, p));
            }
        }
        let mut opts = ReportOptions {
            vehicle_id: self.vehicle.clone(),
            vehicle: entry.vehicle.clone(),
            weather: DayWeather::Constant(20.0),
            start_soc_pct: start,
            reserve_soc_pct: reserve,
            depot_charger_kw: depot_kw,
            layover_chargers,
        };
        match (self.ambient_c, &self.weather) {
            (Some(_), Some(_)) => Err(usage(
                "--weather",
                "give either --ambient-c or --weather, not both",
            )),
            (None, None) => Err(usage(
                "--ambient-c",
                "give --ambient-c <°C> or --weather <file>",
            )),
            (Some(t), None) => {
                if !t.is_finite() || !(-60.0..=60.0).contains(&t) {
                    return Err(usage("--ambient-c", "must be between -60 and 60 °C"));
                }
                opts.weather = DayWeather::Constant(t);
                Ok(plan_day_with(&day, &opts, energy)?)
            }
            (None, Some(path)) => {
                let series = read_series(path)?;
                let pick = self.weather_day.as_deref().unwrap_or("coldest");
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                match pick {
                    "coldest-week" | "hottest-week" => {
                        let w = series
                            .extreme_window(168, pick == "coldest-week")
                            .ok_or_else(|| usage("--weather", "shorter than a week"))?;
                        let m = series.midnight_before(w.start_index);
                        let days: Vec<DayWeather> = (0..7)
                            .map(|k| day_weather(&series, m + 24 * k, &name))
                            .collect();
                        let label = format!(
                            "{pick} of {name} from {} (mean {:.1} °C)",
                            date_of(&series, m),
                            w.mean_c
                        );
                        Ok(plan_days_with(&day, &opts, &days, &label, energy)?)
                    }
                    "coldest" | "hottest" => {
                        let (m, _) = series
                            .extreme_day(pick == "coldest")
                            .ok_or_else(|| usage("--weather", "shorter than a day"))?;
                        opts.weather = day_weather(&series, m, &name);
                        Ok(plan_day_with(&day, &opts, energy)?)
                    }
                    date => {
                        let d = parse_date(date).map_err(|m| usage("--weather-day", m))?;
                        let m = (0..series.temps_c.len())
                            .find(|&i| {
                                series
                                    .time_of(i)
                                    .is_some_and(|t| t.date() == d && t.hour() == 0)
                            })
                            .ok_or_else(|| {
                                usage("--weather-day", format!("{date} is not in {name}"))
                            })?;
                        opts.weather = day_weather(&series, m, &name);
                        Ok(plan_day_with(&day, &opts, energy)?)
                    }
                }
            }
        }
    }
}

/// 48 hours from a midnight (the service day and the night after, for trips past 24:00).
fn day_weather(series: &TemperatureSeries, midnight: usize, name: &str) -> DayWeather {
    let temps = series.hours_from(midnight, 48);
    let mean = temps.iter().take(24).sum::<f64>() / 24.0;
    DayWeather::Hourly {
        temps_c: temps,
        label: format!("{name} {} (mean {mean:.1} °C)", date_of(series, midnight)),
    }
}

fn date_of(series: &TemperatureSeries, i: usize) -> String {
    series
        .time_of(i)
        .map_or_else(|| "?".into(), |t| t.date().to_string())
}
