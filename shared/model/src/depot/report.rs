//! Results and artifacts (CSV series, SVG chart, OCPP 2.0.1 charging profiles), all as strings.

use super::optimal::OptimalInfo;
use super::{time, DepotInput, Strategy};
use serde::Serialize;
use std::fmt::Write as _;

/// The summary of a run (API.md `summary`, plus extra fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Energy the site drew (kWh): chargers plus base load.
    pub energy_from_grid_kwh: f64,
    /// Energy stored in the batteries (kWh).
    pub energy_to_batteries_kwh: f64,
    /// Energy at the vehicle inlets (kWh).
    pub energy_at_inlets_kwh: f64,
    /// Energy the chargers drew (kWh) = inlets ÷ charger efficiency.
    pub charging_energy_from_grid_kwh: f64,
    /// Base load energy (kWh).
    pub base_load_kwh: f64,
    /// Highest step-average site power (kW).
    pub peak_kw: f64,
    /// Start of the step with the peak.
    pub peak_at: String,
    /// Energy cost (site energy × step price).
    pub energy_cost: f64,
    /// Demand charges.
    pub demand_cost: f64,
    /// Energy + demand.
    pub total_cost: f64,
    /// Peak of each demand-charge bucket (kW, window averages).
    pub demand_peaks_kw: Vec<f64>,
    /// Departures within the horizon.
    pub departures: usize,
    /// Departures below target (by more than 1e-5 of SoC).
    pub departures_short: usize,
    /// Energy missing at departures (kWh, into the cells).
    pub total_short_kwh: f64,
    /// Lowest departure SoC (%), when there are departures.
    pub min_departure_soc_pct: Option<f64>,
    /// Inlet energy ÷ (Σ charger rating × horizon).
    pub charger_utilisation: f64,
    /// Plugged time ÷ (connectors × horizon).
    pub connector_occupancy: f64,
    /// Visits that waited for a connector.
    pub visits_waited: usize,
    /// Longest wait (min).
    pub max_wait_min: f64,
    /// Steps simulated.
    pub steps: usize,
    /// Step (s).
    pub step_s: i64,
    /// Plugged vehicle-steps computed.
    pub vehicle_steps: u64,
}

/// One departure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartureReport {
    /// Departure time.
    pub depart: String,
    /// SoC at departure (%).
    pub soc_pct: f64,
    /// Target (%).
    pub target_soc_pct: f64,
    /// Energy missing to the target (kWh into the cells).
    pub short_kwh: f64,
    /// Below target by more than the tolerance.
    pub short: bool,
    /// Minutes waited for a connector on this visit.
    pub waited_min: f64,
}

/// Per vehicle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VehicleReport {
    /// Vehicle id.
    pub id: String,
    /// Its departures.
    pub departures: Vec<DepartureReport>,
}

/// Recorded series (with [`super::Record::Full`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Site power per step (kW, step average, grid side).
    pub site_kw: Vec<f64>,
    /// Price per step.
    pub prices: Vec<f64>,
    /// Vehicles plugged in per step.
    pub plugged: Vec<u16>,
    /// SoC (fraction) at each step start, row-major `[step][vehicle]`.
    pub soc: Vec<f32>,
    /// Per session: (step, average inlet kW) for steps with power.
    pub session_power: Vec<Vec<(u32, f32)>>,
}

impl Series {
    pub(crate) fn new(n: usize, nv: usize, ns: usize) -> Self {
        Series {
            site_kw: Vec::new(),
            prices: Vec::new(),
            plugged: vec![0; n],
            soc: vec![0.0; n * nv],
            session_power: vec![Vec::new(); ns],
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepotResult {
    /// Strategy run.
    pub strategy: Strategy,
    /// Summary.
    pub summary: Summary,
    /// Per vehicle departures.
    pub vehicles: Vec<VehicleReport>,
    /// What the caller should know (queueing, infeasible readiness, …).
    pub notes: Vec<String>,
    /// Recorded series.
    #[serde(skip)]
    pub series: Option<Series>,
    /// LP facts for `optimal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimal: Option<OptimalInfo>,
}

/// The four artifacts, as file contents.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifacts {
    /// `time, site_kw, chargers_kw, base_load_kw, grid_limit_kw, price_per_kwh, plugged`.
    pub timeseries_csv: String,
    /// `time, <vehicle id>…` SoC % at each step start.
    pub soc_csv: String,
    /// Site load vs limit and the fleet's SoC band.
    pub charts_svg: String,
    /// OCPP 2.0.1 `ChargingProfile`s (TxProfile, Absolute, periods in W) per vehicle and visit.
    pub ocpp_profiles_json: String,
}

/// Builds the artifacts of a run recorded with [`super::Record::Full`]; `None` otherwise.
pub fn artifacts(input: &DepotInput, result: &DepotResult) -> Option<Artifacts> {
    let s = result.series.as_ref()?;
    Some(Artifacts {
        timeseries_csv: timeseries_csv(input, s),
        soc_csv: soc_csv(input, s),
        charts_svg: chart_svg(input, s),
        ocpp_profiles_json: ocpp_profiles(input, s),
    })
}

fn timeseries_csv(input: &DepotInput, s: &Series) -> String {
    let mut out = String::with_capacity(s.site_kw.len() * 64);
    out.push_str("time,site_kw,chargers_kw,base_load_kw,grid_limit_kw,price_per_kwh,plugged\n");
    for (k, p) in s.site_kw.iter().enumerate() {
        let t = time::format(
            input.start_s + k as i64 * input.step_s,
            input.clock_offset_s,
        );
        let _ = writeln!(
            out,
            "{t},{p:.3},{:.3},{:.3},{:.3},{:.5},{}",
            p - input.base_load_kw,
            input.base_load_kw,
            input.grid_limit_kw,
            s.prices[k],
            s.plugged[k]
        );
    }
    out
}

fn soc_csv(input: &DepotInput, s: &Series) -> String {
    let nv = input.fleet.len();
    let mut out = String::with_capacity(s.site_kw.len() * (12 + 8 * nv));
    out.push_str("time");
    for f in &input.fleet {
        out.push(',');
        out.push_str(&csv_field(&f.id));
    }
    out.push('\n');
    for k in 0..s.site_kw.len() {
        out.push_str(&time::format(
            input.start_s + k as i64 * input.step_s,
            input.clock_offset_s,
        ));
        for v in 0..nv {
            let _ = write!(out, ",{:.3}", f64::from(s.soc[k * nv + v]) * 100.0);
        }
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn chart_svg(input: &DepotInput, s: &Series) -> String {
    let (w, h, pad) = (960.0, 560.0, 60.0);
    let top_h = 260.0;
    let bot_y0 = top_h + 90.0;
    let bot_h = h - bot_y0 - 40.0;
    let n = s.site_kw.len().max(1);
    let nv = input.fleet.len();
    let max_kw = s
        .site_kw
        .iter()
        .cloned()
        .fold(input.grid_limit_kw, f64::max)
        * 1.08;
    let x = |k: f64| pad + (w - 2.0 * pad) * k / n as f64;
    let y_kw = |p: f64| 30.0 + top_h * (1.0 - p / max_kw);
    let y_soc = |p: f64| bot_y0 + bot_h * (1.0 - p / 100.0);
    // Thin long series to at most ~2000 points (max per bucket keeps the peaks).
    let stride = n.div_ceil(2000).max(1);
    let mut load = String::new();
    let mut k = 0;
    while k < n {
        let e = (k + stride).min(n);
        let m = s.site_kw[k..e].iter().cloned().fold(0.0, f64::max);
        let _ = write!(
            load,
            "{:.1},{:.1} {:.1},{:.1} ",
            x(k as f64),
            y_kw(m),
            x(e as f64),
            y_kw(m)
        );
        k = e;
    }
    let mut band_hi = String::new();
    let mut band_lo = String::new();
    let mut mean = String::new();
    if nv > 0 {
        let mut k = 0;
        while k < n {
            let row = &s.soc[k * nv..(k + 1) * nv];
            let lo = row.iter().cloned().fold(f32::INFINITY, f32::min);
            let hi = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let mu = row.iter().sum::<f32>() / nv as f32;
            let xx = x(k as f64);
            let _ = write!(band_hi, "{xx:.1},{:.1} ", y_soc(f64::from(hi) * 100.0));
            band_lo.insert_str(0, &format!("{xx:.1},{:.1} ", y_soc(f64::from(lo) * 100.0)));
            let _ = write!(mean, "{xx:.1},{:.1} ", y_soc(f64::from(mu) * 100.0));
            k += stride;
        }
    }
    let t_first = time::format(input.start_s, input.clock_offset_s);
    let t_last = time::format(
        input.start_s + n as i64 * input.step_s,
        input.clock_offset_s,
    );
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="20" font-size="14">Site load vs grid limit ({strategy:?})</text>
<line x1="{pad}" y1="{yl:.1}" x2="{xr:.1}" y2="{yl:.1}" stroke="#d62728" stroke-dasharray="6 4"/>
<text x="{xr:.1}" y="{ylt:.1}" text-anchor="end" fill="#d62728">grid limit {lim:.0} kW</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="{load}"/>
<line x1="{pad}" y1="{yb:.1}" x2="{xr:.1}" y2="{yb:.1}" stroke="#888"/>
<text x="{pad}" y="{yb2:.1}" fill="#555">{t_first}</text><text x="{xr:.1}" y="{yb2:.1}" text-anchor="end" fill="#555">{t_last}</text>
<text x="8" y="{yk:.1}" fill="#555">{mk:.0} kW</text><text x="8" y="{yb:.1}" fill="#555">0</text>
<text x="{pad}" y="{ys:.1}" font-size="14">State of charge: fleet min–max band and mean (%)</text>
<polygon fill="#2ca02c" fill-opacity="0.25" stroke="none" points="{band_hi}{band_lo}"/>
<polyline fill="none" stroke="#2ca02c" stroke-width="1.2" points="{mean}"/>
<line x1="{pad}" y1="{y0s:.1}" x2="{xr:.1}" y2="{y0s:.1}" stroke="#888"/>
<text x="8" y="{y100:.1}" fill="#555">100</text><text x="8" y="{y0s:.1}" fill="#555">0</text>
</svg>
"##,
        strategy = input.strategy,
        yl = y_kw(input.grid_limit_kw),
        ylt = y_kw(input.grid_limit_kw) - 4.0,
        lim = input.grid_limit_kw,
        xr = w - pad,
        yb = y_kw(0.0),
        yb2 = y_kw(0.0) + 16.0,
        yk = y_kw(max_kw) + 10.0,
        mk = max_kw,
        ys = bot_y0 - 12.0,
        y0s = y_soc(0.0),
        y100 = y_soc(100.0) + 10.0,
        t_first = xml_escape(&t_first),
        t_last = xml_escape(&t_last),
    );
    out
}

fn ocpp_profiles(input: &DepotInput, s: &Series) -> String {
    let mut vehicles: Vec<serde_json::Value> = Vec::with_capacity(input.fleet.len());
    let sessions = super::sessions::build(input).unwrap_or_default();
    let mut profile_id = 1u64;
    for (vi, f) in input.fleet.iter().enumerate() {
        let mut profiles = Vec::new();
        for (si, ses) in sessions.iter().enumerate() {
            if ses.vehicle != vi {
                continue;
            }
            let Some((plug, c)) = ses.plug else { continue };
            let start = plug.max(input.start_s);
            let end = ses.depart_s.min(input.end_s);
            // Inlet average power per step → a limit in W from the step start (from plug-in in its step).
            let mut periods: Vec<serde_json::Value> = Vec::new();
            let mut last: Option<i64> = None;
            let mut pw = s.session_power.get(si).map(|v| v.iter().peekable());
            let first_step = ((start - input.start_s) / input.step_s) as usize;
            let last_step = (((end - input.start_s) + input.step_s - 1) / input.step_s) as usize;
            for k in first_step..last_step.min(s.site_kw.len()) {
                let mut p_kw = 0.0;
                if let Some(it) = pw.as_mut() {
                    while let Some(&&(step, p)) = it.peek() {
                        if (step as usize) < k {
                            it.next();
                        } else {
                            if step as usize == k {
                                p_kw = f64::from(p);
                            }
                            break;
                        }
                    }
                }
                // The step average spread over the part of the step the vehicle is plugged in.
                let t0 = input.start_s + k as i64 * input.step_s;
                let a = t0.max(start);
                let b = (t0 + input.step_s).min(end);
                let frac = if b > a {
                    (b - a) as f64 / input.step_s as f64
                } else {
                    1.0
                };
                let limit_w = (p_kw / frac * 1000.0 * 10.0).round() / 10.0;
                let limit_w = limit_w as i64;
                if last != Some(limit_w) {
                    periods.push(serde_json::json!({"startPeriod": a - start, "limit": limit_w as f64, "numberPhases": 3}));
                    last = Some(limit_w);
                }
            }
            if periods.is_empty() {
                periods
                    .push(serde_json::json!({"startPeriod": 0, "limit": 0.0, "numberPhases": 3}));
            }
            profiles.push(serde_json::json!({
                "evseId": c + 1,
                "charger_id": input.chargers[c].id,
                "chargingProfile": {
                    "id": profile_id,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxProfile",
                    "chargingProfileKind": "Absolute",
                    "validFrom": time::format(start, input.clock_offset_s.or(Some(0))),
                    "validTo": time::format(end, input.clock_offset_s.or(Some(0))),
                    "chargingSchedule": [{
                        "id": profile_id,
                        "startSchedule": time::format(start, input.clock_offset_s.or(Some(0))),
                        "duration": end - start,
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": periods,
                    }],
                },
            }));
            profile_id += 1;
        }
        vehicles.push(serde_json::json!({"vehicle_id": f.id, "profiles": profiles}));
    }
    serde_json::json!({"ocpp_version": "2.0.1", "note": "SetChargingProfileRequest payloads; limits are the planned inlet power per period (W). Times carry the request's UTC offset; a request without one is taken as UTC.", "vehicles": vehicles}).to_string()
}
