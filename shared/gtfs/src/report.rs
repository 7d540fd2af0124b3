//! The electrification report: every block of a service day planned for one vehicle type.
//!
//! ```text
//!   ServiceDay (blocks of trips) ──per block: plan_block(vehicle, ambient, layover chargers)──►
//!     distance, energy, min SoC, feasible, first failing trip, shortfall, depot recharge time
//!   ──► summary: blocks and share feasible, energy per day   (JSON, text table, HTML with SVG)
//! ```

use crate::feed::{ImportedBlock, ServiceDay};
use serde::Serialize;
use std::fmt::Write as _;
use twin_model::charge_point::{default_efficiency, Charger, ChargerKind};
use twin_model::charging::{time_to_charge, ChargeConditions};
use twin_model::trip::{
    plan_block, Ambient, BlockPlan, LayoverCharger, PlanOptions, RoadLoadEnergy, Trip, TripEnergy,
};
use twin_model::vehicle::Vehicle;
use twin_model::weather::HourlyTemperature;
use twin_model::ModelError;

/// What to plan the day with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// The vehicle's catalogue id (or a label).
    pub vehicle_id: String,
    /// The vehicle.
    pub vehicle: Vehicle,
    /// The day's weather.
    pub weather: DayWeather,
    /// SoC at pull-out (%); `None`: the battery's max SoC.
    pub start_soc_pct: Option<f64>,
    /// Reserve (%).
    pub reserve_soc_pct: f64,
    /// Depot charger power (kW): how long the overnight recharge takes and whether it fits.
    pub depot_charger_kw: Option<f64>,
    /// Layover (opportunity) chargers: terminal location key and power (kW).
    pub layover_chargers: Vec<(String, f64)>,
}

/// Default reserve (%): a common planning floor for e-bus blocks (ESTIMATE: operators plan with
/// 10–20 % to cover detours, traffic and battery ageing).
pub const DEFAULT_RESERVE_SOC_PCT: f64 = 10.0;

/// The day's ambient temperature.
#[derive(Debug, Clone, PartialEq)]
pub enum DayWeather {
    /// One temperature all day (°C).
    Constant(f64),
    /// Hourly values from the service day's midnight (°C), at least 24; later hours cover trips past
    /// 24:00. `label` says where they came from.
    Hourly {
        /// Values, hour 0 = the service day's 00:00.
        temps_c: Vec<f64>,
        /// Source and day.
        label: String,
    },
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Totals.
    pub summary: Summary,
    /// Per block, in pull-out order (over several days: each block's worst day).
    pub blocks: Vec<BlockRow>,
    /// One line per weather day, when the report covers several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<DayLine>,
}

/// One weather day of a multi-day report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayLine {
    /// Where its temperatures came from.
    pub weather: String,
    /// Mean of its 24 hours (°C).
    pub ambient_c: f64,
    /// Blocks feasible that day.
    pub blocks_feasible: usize,
    /// Share feasible that day.
    pub share_feasible: f64,
    /// Energy that day (kWh).
    pub energy_kwh: f64,
}

/// Totals over the day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Service date.
    pub date: String,
    /// Vehicle id.
    pub vehicle: String,
    /// Usable battery energy between reserve and start SoC (kWh).
    pub usable_kwh: f64,
    /// Constant ambient (°C), or the day's mean of the hourly series.
    pub ambient_c: f64,
    /// Where the temperatures came from.
    pub weather: String,
    /// Reserve (%).
    pub reserve_soc_pct: f64,
    /// Blocks planned.
    pub blocks: usize,
    /// Blocks that keep SoC ≥ reserve (with layover charging where chargers are given).
    pub blocks_feasible: usize,
    /// blocks_feasible / blocks.
    pub share_feasible: f64,
    /// Whether the blocks were derived (no block_id in the feed).
    pub blocks_derived: bool,
    /// Trips.
    pub trips: usize,
    /// Distance per day (km).
    pub distance_km: f64,
    /// Energy drawn per day by all blocks (kWh, chemical: trips and layovers); over several days, the
    /// highest day.
    pub energy_kwh: f64,
    /// energy / distance (kWh/km).
    pub kwh_per_km: f64,
    /// Layover charging stops inserted.
    pub charging_stops: usize,
    /// Energy those stops put in (kWh).
    pub charged_kwh: f64,
    /// Depot charger power (kW), if given.
    pub depot_charger_kw: Option<f64>,
    /// Blocks whose depot recharge back to the start SoC fits before the next day's pull-out.
    pub depot_recharge_fits: Option<usize>,
    /// Where the trip energies came from (the learned link-energy model for segment-level trips,
    /// or the time-step simulation), with counts.
    pub energy_estimator: String,
}

/// One block's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockRow {
    /// Block id.
    pub id: String,
    /// Derived by chaining.
    pub derived: bool,
    /// Trips.
    pub trips: usize,
    /// Pull-out (ISO 8601).
    pub depart: String,
    /// Last arrival (ISO 8601).
    pub arrive: String,
    /// Distance (km).
    pub distance_km: f64,
    /// Energy drawn (kWh).
    pub energy_kwh: f64,
    /// kWh per km.
    pub kwh_per_km: f64,
    /// Lowest SoC (%).
    pub min_soc_pct: f64,
    /// SoC at the last arrival (%).
    pub end_soc_pct: f64,
    /// SoC ≥ reserve throughout.
    pub feasible: bool,
    /// First trip below reserve, when infeasible.
    pub first_failing_trip: Option<String>,
    /// Energy missing to stay above reserve (kWh).
    pub shortfall_kwh: f64,
    /// Layover charging stops.
    pub charging_stops: usize,
    /// Energy they put in (kWh).
    pub charged_kwh: f64,
    /// Depot recharge from end SoC to start SoC (min), when a depot charger is given.
    pub depot_recharge_min: Option<f64>,
    /// Whether that recharge fits between the last arrival and the next day's pull-out.
    pub depot_recharge_fits: Option<bool>,
    /// SoC after each trip, `[hours after the service day's midnight, soc_pct]`, for charts.
    #[serde(skip)]
    pub soc_trace: Vec<(f64, f64)>,
}

/// Plans every block of `day` with the road-load energy model.
pub fn plan_day(day: &ServiceDay, opts: &ReportOptions) -> Result<Report, ModelError> {
    plan_day_with(day, opts, &RoadLoadEnergy::default())
}

/// Plans every block of `day` with the given energy source.
pub fn plan_day_with(
    day: &ServiceDay,
    opts: &ReportOptions,
    energy: &dyn TripEnergy,
) -> Result<Report, ModelError> {
    let v = &opts.vehicle;
    let start_soc = opts.start_soc_pct.unwrap_or(v.battery.max_soc_pct);
    let (ambient, ambient_c, weather) = match &opts.weather {
        DayWeather::Constant(t) => (Ambient::Constant(*t), *t, format!("constant {t} °C")),
        DayWeather::Hourly { temps_c, label } => {
            let day_mean = temps_c.iter().take(24).sum::<f64>() / temps_c.len().clamp(1, 24) as f64;
            let series = HourlyTemperature::new(temps_c.clone())?;
            (
                Ambient::Hourly {
                    start_s: 0.0,
                    series,
                },
                day_mean,
                label.clone(),
            )
        }
    };
    let mut plan_opts = PlanOptions::new(start_soc, opts.reserve_soc_pct, ambient);
    for (loc, kw) in &opts.layover_chargers {
        plan_opts.chargers.push(LayoverCharger {
            location: loc.clone(),
            charger: dc(*kw),
        });
    }
    let mut rows = Vec::with_capacity(day.blocks.len());
    for b in &day.blocks {
        let trips = model_trips(b);
        let plan = plan_block(v, &trips, &plan_opts, energy).map_err(|e| in_block(&b.id, e))?;
        rows.push(row(b, &trips, &plan, opts, start_soc)?);
    }
    let n = rows.len();
    let feasible = rows.iter().filter(|r| r.feasible).count();
    let distance: f64 = rows.iter().map(|r| r.distance_km).sum();
    let energy_kwh: f64 = rows.iter().map(|r| r.energy_kwh).sum();
    Ok(Report {
        summary: Summary {
            date: day.date.clone(),
            vehicle: opts.vehicle_id.clone(),
            usable_kwh: r(
                v.battery.capacity_kwh * (start_soc - opts.reserve_soc_pct).max(0.0) / 100.0,
                3,
            ),
            ambient_c,
            weather,
            reserve_soc_pct: opts.reserve_soc_pct,
            blocks: n,
            blocks_feasible: feasible,
            share_feasible: if n > 0 {
                r(feasible as f64 / n as f64, 4)
            } else {
                0.0
            },
            blocks_derived: day.blocks.iter().any(|b| b.derived),
            trips: rows.iter().map(|r| r.trips).sum(),
            distance_km: r(distance, 3),
            energy_kwh: r(energy_kwh, 3),
            kwh_per_km: if distance > 0.0 {
                r(energy_kwh / distance, 4)
            } else {
                0.0
            },
            charging_stops: rows.iter().map(|r| r.charging_stops).sum(),
            charged_kwh: r(rows.iter().map(|r| r.charged_kwh).sum(), 3),
            depot_charger_kw: opts.depot_charger_kw,
            depot_recharge_fits: opts.depot_charger_kw.map(|_| {
                rows.iter()
                    .filter(|r| r.depot_recharge_fits == Some(true))
                    .count()
            }),
            energy_estimator: energy.describe(),
        },
        blocks: rows,
        days: Vec::new(),
    })
}

/// Plans the same service day under several days of weather (a coldest week, say): per block its
/// worst day (lowest minimum SoC), feasible only if feasible on every day; a line per day.
pub fn plan_days(
    day: &ServiceDay,
    opts: &ReportOptions,
    weathers: &[DayWeather],
    label: &str,
) -> Result<Report, ModelError> {
    plan_days_with(day, opts, weathers, label, &RoadLoadEnergy::default())
}

/// [`plan_days`] with the given energy source.
pub fn plan_days_with(
    day: &ServiceDay,
    opts: &ReportOptions,
    weathers: &[DayWeather],
    label: &str,
    energy: &dyn TripEnergy,
) -> Result<Report, ModelError> {
    let mut reports = Vec::with_capacity(weathers.len());
    for w in weathers {
        let o = ReportOptions {
            weather: w.clone(),
            ..opts.clone()
        };
        reports.push(plan_day_with(day, &o, energy)?);
    }
    let Some(first) = reports.first() else {
        return plan_day_with(day, opts, energy);
    };
    let mut blocks = first.blocks.clone();
    for r in &reports[1..] {
        for (acc, b) in blocks.iter_mut().zip(&r.blocks) {
            let all_feasible = acc.feasible && b.feasible;
            if b.min_soc_pct < acc.min_soc_pct
                || (!b.feasible && b.shortfall_kwh > acc.shortfall_kwh)
            {
                *acc = b.clone();
            }
            acc.feasible = all_feasible;
        }
    }
    let days: Vec<DayLine> = reports
        .iter()
        .map(|r| DayLine {
            weather: r.summary.weather.clone(),
            ambient_c: r.summary.ambient_c,
            blocks_feasible: r.summary.blocks_feasible,
            share_feasible: r.summary.share_feasible,
            energy_kwh: r.summary.energy_kwh,
        })
        .collect();
    let n = blocks.len();
    let feasible = blocks.iter().filter(|b| b.feasible).count();
    let mut summary = first.summary.clone();
    summary.weather = label.to_string();
    summary.energy_estimator = energy.describe();
    summary.ambient_c = days.iter().map(|d| d.ambient_c).sum::<f64>() / days.len() as f64;
    summary.blocks_feasible = feasible;
    summary.share_feasible = if n > 0 {
        feasible as f64 / n as f64
    } else {
        0.0
    };
    summary.energy_kwh = days
        .iter()
        .map(|d| d.energy_kwh)
        .fold(f64::NEG_INFINITY, f64::max);
    summary.kwh_per_km = if summary.distance_km > 0.0 {
        summary.energy_kwh / summary.distance_km
    } else {
        0.0
    };
    summary.charging_stops = blocks.iter().map(|b| b.charging_stops).sum();
    summary.charged_kwh = blocks.iter().map(|b| b.charged_kwh).sum();
    summary.depot_recharge_fits = opts.depot_charger_kw.map(|_| {
        blocks
            .iter()
            .filter(|b| b.depot_recharge_fits == Some(true))
            .count()
    });
    Ok(Report {
        summary,
        blocks,
        days,
    })
}

/// The block's trips as the planner takes them.
pub fn model_trips(b: &ImportedBlock) -> Vec<Trip> {
    b.trips
        .iter()
        .map(|t| Trip {
            id: t.id.clone(),
            depart_s: t.depart_s as f64,
            arrive_s: t.arrive_s as f64,
            distance_km: t.distance_km,
            stops_per_km: Some(t.stops_per_km),
            end_location: Some(t.end_location.clone()),
            ..Trip::default()
        })
        .collect()
}

/// The terminal where most layovers happen (the natural first place for a charger).
pub fn busiest_terminal(day: &ServiceDay) -> Option<String> {
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for b in &day.blocks {
        for t in b.trips.iter().take(b.trips.len().saturating_sub(1)) {
            *count.entry(t.end_location.as_str()).or_default() += 1;
        }
    }
    count
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
}

/// Rounds for output: `digits` decimals, and never a negative zero.
fn r(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k + 0.0
}

fn dc(kw: f64) -> Charger {
    Charger {
        kind: ChargerKind::Dc,
        max_power_kw: kw,
        max_current_a: None,
        phases: 3,
        voltage_v: 230.0,
        efficiency: default_efficiency(ChargerKind::Dc),
    }
}

fn in_block(id: &str, e: ModelError) -> ModelError {
    match e {
        ModelError::Invalid { field, message } => ModelError::Invalid {
            field,
            message: format!("block `{id}`: {message}"),
        },
        ModelError::Impossible { field, message } => ModelError::Impossible {
            field,
            message: format!("block `{id}`: {message}"),
        },
        other => other,
    }
}

fn row(
    b: &ImportedBlock,
    trips: &[Trip],
    plan: &BlockPlan,
    opts: &ReportOptions,
    start_soc: f64,
) -> Result<BlockRow, ModelError> {
    let (recharge_min, fits) = match opts.depot_charger_kw {
        Some(kw) => {
            // Overnight at the depot: a warm-enough pack (charging right after service).
            let cond = ChargeConditions {
                battery_temp_c: 20.0,
                site_limit_kw: None,
            };
            let from = plan.end_soc_pct.min(start_soc);
            let p = time_to_charge(&opts.vehicle, &dc(kw), &cond, from, start_soc)?;
            let first = trips.first().map_or(0.0, |t| t.depart_s);
            let last = trips.last().map_or(0.0, |t| t.arrive_s);
            let turnaround_min = (86_400.0 - (last - first)) / 60.0;
            (Some(p.duration_min), Some(p.duration_min <= turnaround_min))
        }
        None => (None, None),
    };
    let mut soc_trace = Vec::with_capacity(trips.len() + 1);
    if let (Some(t0), Some(r0)) = (trips.first(), plan.trips.first()) {
        soc_trace.push((t0.depart_s / 3600.0, r0.soc_start_pct));
    }
    for (t, r) in trips.iter().zip(&plan.trips) {
        soc_trace.push((t.arrive_s / 3600.0, r.soc_end_pct));
    }
    Ok(BlockRow {
        id: b.id.clone(),
        derived: b.derived,
        trips: b.trips.len(),
        depart: b.depart.clone(),
        arrive: b.arrive.clone(),
        distance_km: r(plan.distance_km, 3),
        energy_kwh: r(plan.energy_kwh, 3),
        kwh_per_km: if plan.distance_km > 0.0 {
            r(plan.energy_kwh / plan.distance_km, 4)
        } else {
            0.0
        },
        min_soc_pct: r(plan.min_soc_pct, 2),
        end_soc_pct: r(plan.end_soc_pct, 2),
        feasible: plan.feasible,
        first_failing_trip: plan.first_failing_trip.clone(),
        shortfall_kwh: r(plan.shortfall_kwh, 3),
        charging_stops: plan.charging.len(),
        charged_kwh: r(plan.charged_kwh, 3),
        depot_recharge_min: recharge_min.map(|m| r(m, 2)),
        depot_recharge_fits: fits,
        soc_trace,
    })
}

// ---- text table -------------------------------------------------------------------------------

impl Report {
    /// A fixed-width table for a terminal.
    pub fn to_table(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} · {} · {} · reserve {:.0} % · usable {:.0} kWh",
            s.date, s.vehicle, s.weather, s.reserve_soc_pct, s.usable_kwh
        );
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>5} {:>5} {:>7} {:>7} {:>6} {:>6} {:>4} {:>8}  first failing trip",
            "block", "trips", "out", "in", "km", "kWh", "kWh/km", "minSoC", "ok", "short"
        );
        for r in &self.blocks {
            let _ = writeln!(
                out,
                "{:<14} {:>5} {:>5} {:>5} {:>7.1} {:>7.1} {:>6.2} {:>5.1}% {:>4} {:>8}  {}",
                r.id,
                r.trips,
                clock(&r.depart),
                clock(&r.arrive),
                r.distance_km,
                r.energy_kwh,
                r.kwh_per_km,
                r.min_soc_pct,
                if r.feasible { "yes" } else { "NO" },
                if r.feasible {
                    String::from("-")
                } else {
                    format!("{:.1}", r.shortfall_kwh)
                },
                r.first_failing_trip.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(
            out,
            "{} of {} blocks feasible ({:.0} %) · {:.0} km · {:.0} kWh/day · {:.2} kWh/km{}",
            s.blocks_feasible,
            s.blocks,
            100.0 * s.share_feasible,
            s.distance_km,
            s.energy_kwh,
            s.kwh_per_km,
            match (s.depot_charger_kw, s.depot_recharge_fits) {
                (Some(kw), Some(n)) =>
                    format!(" · {n} of {} recharge overnight at {kw:.0} kW", s.blocks),
                _ => String::new(),
            }
        );
        out
    }

    /// A self-contained HTML page: the summary, charts (inline SVG) and the block table.
    pub fn to_html(&self) -> String {
        let s = &self.summary;
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Electrification report {date} · {veh}</title>\
<style>body{{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
.no{{color:#b00020;font-weight:600}}.kpi{{display:inline-block;margin:0 2em 1em 0}}.kpi b{{font-size:1.6em;display:block}}</style></head><body>\
<h1>Which blocks can go electric?</h1><p>{date} · vehicle <b>{veh}</b> · {weather} · reserve {res:.0} % · usable {usable:.0} kWh</p>",
            date = esc(&s.date),
            veh = esc(&s.vehicle),
            weather = esc(&s.weather),
            res = s.reserve_soc_pct,
            usable = s.usable_kwh
        );
        let _ = write!(
            h,
            "<div class=\"kpi\"><b>{}/{}</b>blocks feasible ({:.0} %)</div><div class=\"kpi\"><b>{:.0} kWh</b>per day</div>\
<div class=\"kpi\"><b>{:.0} km</b>per day</div><div class=\"kpi\"><b>{:.2}</b>kWh/km</div>",
            s.blocks_feasible,
            s.blocks,
            100.0 * s.share_feasible,
            s.energy_kwh,
            s.distance_km,
            s.kwh_per_km
        );
        if s.blocks_derived {
            h.push_str("<p><i>Blocks are derived (the feed has no block_id): trips chained at the same terminal after a minimum layover.</i></p>");
        }
        h.push_str("<h2>Energy per block</h2>");
        h.push_str(&self.energy_chart_svg());
        h.push_str("<h2>State of charge through the day</h2>");
        h.push_str(&self.soc_chart_svg());
        h.push_str("<h2>Blocks</h2><table><tr><th>block</th><th>trips</th><th>out</th><th>in</th><th>km</th><th>kWh</th><th>kWh/km</th><th>min SoC %</th><th>feasible</th><th>shortfall kWh</th><th>first failing trip</th><th>charging stops</th></tr>");
        for r in &self.blocks {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.2}</td><td>{:.1}</td><td{}>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                r.trips,
                clock(&r.depart),
                clock(&r.arrive),
                r.distance_km,
                r.energy_kwh,
                r.kwh_per_km,
                r.min_soc_pct,
                if r.feasible { "" } else { " class=\"no\"" },
                if r.feasible { "yes" } else { "no" },
                if r.feasible { String::new() } else { format!("{:.1}", r.shortfall_kwh) },
                esc(r.first_failing_trip.as_deref().unwrap_or("")),
                r.charging_stops
            );
        }
        h.push_str("</table></body></html>\n");
        h
    }

    /// Bars of energy per block against the usable battery energy.
    fn energy_chart_svg(&self) -> String {
        let (w, hgt, pad) = (900.0, 260.0, 40.0);
        let n = self.blocks.len().max(1) as f64;
        let usable = self.summary.usable_kwh;
        let ymax = self
            .blocks
            .iter()
            .map(|r| r.energy_kwh)
            .fold(usable, f64::max)
            .max(1.0)
            * 1.1;
        let y = |v: f64| hgt - pad - (hgt - 2.0 * pad) * v / ymax;
        let bw = (w - 2.0 * pad) / n;
        let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"energy per block\">");
        for (i, r) in self.blocks.iter().enumerate() {
            let x = pad + bw * i as f64;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {:.0} kWh</title></rect>",
                y(r.energy_kwh.max(0.0)),
                (bw * 0.8).max(1.0),
                (hgt - pad - y(r.energy_kwh.max(0.0))).max(0.0),
                if r.feasible { "#2e7d32" } else { "#c62828" },
                esc(&r.id),
                r.energy_kwh
            );
        }
        let _ = write!(
            s,
            "<line x1=\"{pad}\" x2=\"{:.1}\" y1=\"{u:.1}\" y2=\"{u:.1}\" stroke=\"#1565c0\" stroke-dasharray=\"6 4\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1565c0\" text-anchor=\"end\">usable {usable:.0} kWh</text>",
            w - pad,
            w - pad,
            y(usable) - 4.0,
            u = y(usable)
        );
        axes(&mut s, w, hgt, pad, ymax, "kWh");
        s.push_str("</svg>");
        s
    }

    /// SoC after each trip, per block, over the hours of the service day.
    fn soc_chart_svg(&self) -> String {
        let (w, hgt, pad) = (900.0, 300.0, 40.0);
        let t0 = self
            .blocks
            .iter()
            .flat_map(|r| r.soc_trace.first())
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min);
        let t1 = self
            .blocks
            .iter()
            .flat_map(|r| r.soc_trace.last())
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let (t0, t1) = if t0.is_finite() && t1 > t0 {
            (t0.floor(), t1.ceil())
        } else {
            (0.0, 24.0)
        };
        let x = |t: f64| pad + (w - 2.0 * pad) * (t - t0) / (t1 - t0);
        let y = |soc: f64| hgt - pad - (hgt - 2.0 * pad) * soc / 100.0;
        let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"state of charge\">");
        for r in &self.blocks {
            let pts: Vec<String> = r
                .soc_trace
                .iter()
                .map(|&(t, soc)| format!("{:.1},{:.1}", x(t), y(soc)))
                .collect();
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.6\" points=\"{}\"><title>{}</title></polyline>",
                if r.feasible { "#2e7d32" } else { "#c62828" },
                pts.join(" "),
                esc(&r.id)
            );
        }
        let ry = y(self.summary.reserve_soc_pct);
        let _ = write!(
            s,
            "<line x1=\"{pad}\" x2=\"{:.1}\" y1=\"{ry:.1}\" y2=\"{ry:.1}\" stroke=\"#1565c0\" stroke-dasharray=\"6 4\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1565c0\" text-anchor=\"end\">reserve</text>",
            w - pad,
            w - pad,
            ry - 4.0
        );
        let mut t = t0;
        while t <= t1 {
            let _ = write!(s, "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{:02}:00</text>", x(t), hgt - pad + 14.0, (t as i64) % 24);
            t += 2.0;
        }
        axes(&mut s, w, hgt, pad, 100.0, "SoC %");
        s.push_str("</svg>");
        s
    }
}

fn axes(s: &mut String, w: f64, h: f64, pad: f64, ymax: f64, label: &str) {
    let _ = write!(
        s,
        "<line x1=\"{pad}\" x2=\"{pad}\" y1=\"{pad}\" y2=\"{b}\" stroke=\"#444\"/><line x1=\"{pad}\" x2=\"{r}\" y1=\"{b}\" y2=\"{b}\" stroke=\"#444\"/>\
<text x=\"{pad}\" y=\"{t}\" font-size=\"11\">{label}</text><text x=\"{l}\" y=\"{top}\" font-size=\"11\" text-anchor=\"end\">{ymax:.0}</text>\
<text x=\"{l}\" y=\"{b}\" font-size=\"11\" text-anchor=\"end\">0</text>",
        b = h - pad,
        r = w - pad,
        t = pad - 8.0,
        l = pad - 4.0,
        top = pad + 4.0,
    );
}

/// `HH:MM` of an ISO 8601 date-time.
fn clock(iso: &str) -> &str {
    iso.get(11..16).unwrap_or(iso)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
