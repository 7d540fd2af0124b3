//! Time-of-use energy prices and demand charges.
//!
//! The form follows `../shared/reference/tariff_example.json` (OpenEI URDB-style field names):
//!
//! ```text
//!  energy:  periods[id].tiers[0].rate_per_kwh, weekday_schedule[month][hour] = period id,
//!           weekend_schedule (same shape; default: weekday), or price_per_kwh (flat),
//!           or series {start, step_s, values_per_kwh} (e.g. a day-ahead hourly price)
//!  demand:  window_minutes (averaging window of the metered peak, default 15),
//!           flat {periods[id].rate_per_kw, month_period[12]}: monthly peak × rate,
//!           tou  {periods[id].rate_per_kw, weekday_schedule, weekend_schedule}: monthly peak within
//!                each period × its rate
//!  cost = Σ_steps P_site·price·Δt  +  Σ_months (flat rate·peak + Σ_periods rate·peak in period)
//! ```
//! Times are the depot's wall-clock seconds (see [`crate::depot::time`]). Other URDB fields
//! (`fixed`, `subscription`, `export`, …) are accepted and ignored.

use crate::depot::time::{civil, parse};
use crate::error::ModelError;
use serde::{Deserialize, Serialize};

/// One tier of an energy period (only the first tier is used: depots are billed per kWh, untiered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyTier {
    /// Price (currency / kWh).
    pub rate_per_kwh: f64,
}

/// An energy price period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyPeriod {
    /// Period id, referenced by the schedules.
    pub id: usize,
    /// Label (e.g. `off_peak`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Tiers; the first one's rate applies.
    pub tiers: Vec<EnergyTier>,
}

/// A price series: `values_per_kwh[i]` holds from `start + i·step_s`; the ends extend outward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceSeries {
    /// ISO 8601 time of the first value.
    pub start: String,
    /// Seconds per value (3600 for hourly prices).
    pub step_s: f64,
    /// Prices (currency / kWh).
    pub values_per_kwh: Vec<f64>,
}

/// The energy part of a tariff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergySpec {
    /// A flat price (currency / kWh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_kwh: Option<f64>,
    /// Time-of-use periods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<EnergyPeriod>,
    /// `[month 0–11][hour 0–23]` → period id, Monday–Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekday_schedule: Vec<Vec<usize>>,
    /// Same for Saturday and Sunday (default: the weekday schedule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekend_schedule: Vec<Vec<usize>>,
    /// A price series (overrides periods when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<PriceSeries>,
}

/// A demand-charge period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandPeriod {
    /// Period id.
    pub id: usize,
    /// Charge per kW of the period's monthly peak.
    pub rate_per_kw: f64,
}

/// Flat (all-hours) monthly demand charge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlatDemand {
    /// Periods.
    pub periods: Vec<DemandPeriod>,
    /// Period id per month (12 entries; default: period 0 all year).
    #[serde(default)]
    pub month_period: Vec<usize>,
}

/// Time-of-use monthly demand charge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TouDemand {
    /// Periods.
    pub periods: Vec<DemandPeriod>,
    /// `[month][hour]` → period id, weekdays.
    pub weekday_schedule: Vec<Vec<usize>>,
    /// Weekends (default: weekdays).
    #[serde(default)]
    pub weekend_schedule: Vec<Vec<usize>>,
}

/// The demand part of a tariff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DemandSpec {
    /// Averaging window of the metered peak (minutes, default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<f64>,
    /// Flat monthly demand charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat: Option<FlatDemand>,
    /// Time-of-use demand charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tou: Option<TouDemand>,
}

/// A tariff as written (tariff_example.json style).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TariffSpec {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Energy prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<EnergySpec>,
    /// Demand charges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand: Option<DemandSpec>,
}

#[derive(Debug, Clone, PartialEq)]
enum EnergyPrice {
    Flat(f64),
    Tou {
        weekday: Vec<[f64; 24]>,
        weekend: Vec<[f64; 24]>,
    },
    Series {
        start: i64,
        step_s: f64,
        values: Vec<f64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct DemandTou {
    rates: Vec<f64>,
    weekday: Vec<[usize; 24]>,
    weekend: Vec<[usize; 24]>,
}

/// A checked tariff, ready to price a load series.
#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    energy: EnergyPrice,
    window_s: i64,
    flat_month_rate: [f64; 12],
    tou: Option<DemandTou>,
}

impl Default for Tariff {
    fn default() -> Self {
        Tariff {
            energy: EnergyPrice::Flat(0.0),
            window_s: 900,
            flat_month_rate: [0.0; 12],
            tou: None,
        }
    }
}

/// How the price of a step is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceSampling {
    /// The time-weighted mean price over the step (physical).
    #[default]
    StepAverage,
    /// The price in force when the step starts (SpiceEV's rule).
    StepStart,
}

/// A demand-charge bucket: which peak a window's average power counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DemandKey {
    /// Year·12 + month−1 of the window start.
    pub month: i64,
    /// `None` for the flat charge, `Some(period)` for a TOU demand period.
    pub period: Option<usize>,
}

/// A demand window: consecutive steps whose mean power is one metered value.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandWindow {
    /// First step index.
    pub first_step: usize,
    /// One past the last step index.
    pub end_step: usize,
    /// The buckets (flat and/or TOU) this window counts towards, with their rates per kW.
    pub keys: Vec<(DemandKey, f64)>,
}

fn schedule_table(
    field: &str,
    s: &[Vec<usize>],
    n_periods: usize,
) -> Result<Vec<[usize; 24]>, ModelError> {
    if s.len() != 12 {
        return Err(ModelError::invalid(
            field,
            "must have 12 months of 24 hours",
        ));
    }
    let mut out = Vec::with_capacity(12);
    for (m, row) in s.iter().enumerate() {
        if row.len() != 24 {
            return Err(ModelError::invalid(
                format!("{field}[{m}]"),
                "must have 24 hours",
            ));
        }
        let mut r = [0usize; 24];
        for (h, &p) in row.iter().enumerate() {
            if p >= n_periods {
                return Err(ModelError::invalid(
                    format!("{field}[{m}][{h}]"),
                    format!("period {p} is not defined"),
                ));
            }
            r[h] = p;
        }
        out.push(r);
    }
    Ok(out)
}

fn finite_nonneg(field: &str, x: f64) -> Result<f64, ModelError> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(ModelError::invalid(field, "must be a finite number ≥ 0"))
    }
}

impl Tariff {
    /// A flat energy price and no demand charge.
    pub fn flat(price_per_kwh: f64) -> Self {
        Tariff {
            energy: EnergyPrice::Flat(price_per_kwh),
            ..Tariff::default()
        }
    }

    /// Checks a written tariff. `clock` is the request's reference UTC offset (for series starts).
    pub fn from_spec(spec: &TariffSpec, clock: Option<i32>) -> Result<Self, ModelError> {
        let mut t = Tariff::default();
        if let Some(e) = &spec.energy {
            if let Some(s) = &e.series {
                let start = parse(&s.start)
                    .map_err(|m| ModelError::invalid("tariff.energy.series.start", m))?;
                if !(s.step_s.is_finite() && s.step_s >= 1.0) {
                    return Err(ModelError::invalid(
                        "tariff.energy.series.step_s",
                        "must be ≥ 1 s",
                    ));
                }
                if s.values_per_kwh.is_empty() {
                    return Err(ModelError::invalid(
                        "tariff.energy.series.values_per_kwh",
                        "must not be empty",
                    ));
                }
                for (i, v) in s.values_per_kwh.iter().enumerate() {
                    if !v.is_finite() {
                        return Err(ModelError::invalid(
                            format!("tariff.energy.series.values_per_kwh[{i}]"),
                            "must be finite",
                        ));
                    }
                }
                t.energy = EnergyPrice::Series {
                    start: start.on_clock(clock),
                    step_s: s.step_s,
                    values: s.values_per_kwh.clone(),
                };
            } else if !e.periods.is_empty() {
                let n = e.periods.iter().map(|p| p.id + 1).max().unwrap_or(0);
                let mut rates = vec![f64::NAN; n];
                for (i, p) in e.periods.iter().enumerate() {
                    let r = p.tiers.first().ok_or_else(|| {
                        ModelError::invalid(
                            format!("tariff.energy.periods[{i}].tiers"),
                            "needs at least one tier",
                        )
                    })?;
                    if !r.rate_per_kwh.is_finite() {
                        return Err(ModelError::invalid(
                            format!("tariff.energy.periods[{i}].tiers[0].rate_per_kwh"),
                            "must be finite",
                        ));
                    }
                    rates[p.id] = r.rate_per_kwh;
                }
                let wd = schedule_table("tariff.energy.weekday_schedule", &e.weekday_schedule, n)?;
                let we = if e.weekend_schedule.is_empty() {
                    wd.clone()
                } else {
                    schedule_table("tariff.energy.weekend_schedule", &e.weekend_schedule, n)?
                };
                let price = |tab: &[[usize; 24]]| -> Result<Vec<[f64; 24]>, ModelError> {
                    tab.iter()
                        .map(|row| {
                            let mut r = [0.0; 24];
                            for h in 0..24 {
                                r[h] = rates[row[h]];
                                if r[h].is_nan() {
                                    return Err(ModelError::invalid(
                                        "tariff.energy.periods",
                                        format!("period {} is scheduled but not defined", row[h]),
                                    ));
                                }
                            }
                            Ok(r)
                        })
                        .collect()
                };
                t.energy = EnergyPrice::Tou {
                    weekday: price(&wd)?,
                    weekend: price(&we)?,
                };
            } else if let Some(p) = e.price_per_kwh {
                if !p.is_finite() {
                    return Err(ModelError::invalid(
                        "tariff.energy.price_per_kwh",
                        "must be finite",
                    ));
                }
                t.energy = EnergyPrice::Flat(p);
            }
        }
        if let Some(d) = &spec.demand {
            if let Some(w) = d.window_minutes {
                if !(w.is_finite() && (1.0..=1440.0).contains(&w)) {
                    return Err(ModelError::invalid(
                        "tariff.demand.window_minutes",
                        "must be between 1 and 1440",
                    ));
                }
                t.window_s = (w * 60.0).round() as i64;
            }
            if let Some(f) = &d.flat {
                let n = f.periods.iter().map(|p| p.id + 1).max().unwrap_or(0);
                let mut rates = vec![0.0; n];
                for (i, p) in f.periods.iter().enumerate() {
                    rates[p.id] = finite_nonneg(
                        &format!("tariff.demand.flat.periods[{i}].rate_per_kw"),
                        p.rate_per_kw,
                    )?;
                }
                let months = if f.month_period.is_empty() {
                    vec![0; 12]
                } else {
                    f.month_period.clone()
                };
                if months.len() != 12 {
                    return Err(ModelError::invalid(
                        "tariff.demand.flat.month_period",
                        "must have 12 entries",
                    ));
                }
                for (m, &p) in months.iter().enumerate() {
                    t.flat_month_rate[m] = *rates.get(p).ok_or_else(|| {
                        ModelError::invalid(
                            format!("tariff.demand.flat.month_period[{m}]"),
                            format!("period {p} is not defined"),
                        )
                    })?;
                }
            }
            if let Some(tou) = &d.tou {
                let n = tou.periods.iter().map(|p| p.id + 1).max().unwrap_or(0);
                let mut rates = vec![0.0; n];
                for (i, p) in tou.periods.iter().enumerate() {
                    rates[p.id] = finite_nonneg(
                        &format!("tariff.demand.tou.periods[{i}].rate_per_kw"),
                        p.rate_per_kw,
                    )?;
                }
                let wd = schedule_table(
                    "tariff.demand.tou.weekday_schedule",
                    &tou.weekday_schedule,
                    n,
                )?;
                let we = if tou.weekend_schedule.is_empty() {
                    wd.clone()
                } else {
                    schedule_table(
                        "tariff.demand.tou.weekend_schedule",
                        &tou.weekend_schedule,
                        n,
                    )?
                };
                if rates.iter().any(|r| *r > 0.0) {
                    t.tou = Some(DemandTou {
                        rates,
                        weekday: wd,
                        weekend: we,
                    });
                }
            }
        }
        Ok(t)
    }

    /// Whether any demand charge is non-zero.
    pub fn has_demand_charge(&self) -> bool {
        self.flat_month_rate.iter().any(|r| *r > 0.0) || self.tou.is_some()
    }

    /// The demand averaging window (s).
    pub fn window_s(&self) -> i64 {
        self.window_s
    }

    /// Energy price at wall-clock time `t` (currency / kWh).
    pub fn price_at(&self, t: i64) -> f64 {
        match &self.energy {
            EnergyPrice::Flat(p) => *p,
            EnergyPrice::Tou { weekday, weekend } => {
                let c = civil(t);
                let tab = if c.weekday >= 5 { weekend } else { weekday };
                tab[(c.month - 1) as usize][c.hour as usize]
            }
            EnergyPrice::Series {
                start,
                step_s,
                values,
            } => {
                let i = ((t - start) as f64 / step_s).floor();
                let i = if i < 0.0 {
                    0
                } else {
                    (i as usize).min(values.len() - 1)
                };
                values[i]
            }
        }
    }

    /// The price of each of `n` steps of `step_s` from `start`.
    pub fn step_prices(
        &self,
        start: i64,
        step_s: i64,
        n: usize,
        sampling: PriceSampling,
    ) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        // Price changes happen at most on the hour (TOU) or on the series grid: sample the step at
        // its start and at each such boundary inside it, time-weighted.
        let grid = match &self.energy {
            EnergyPrice::Series { step_s: s, .. } => (*s as i64).max(1),
            _ => 3600,
        };
        let origin = match &self.energy {
            EnergyPrice::Series { start: s, .. } => *s,
            _ => 0,
        };
        for k in 0..n {
            let t0 = start + k as i64 * step_s;
            let t1 = t0 + step_s;
            let p = match (sampling, &self.energy) {
                (_, EnergyPrice::Flat(p)) => *p,
                (PriceSampling::StepStart, _) => self.price_at(t0),
                (PriceSampling::StepAverage, _) => {
                    let mut acc = 0.0;
                    let mut a = t0;
                    while a < t1 {
                        let next = origin + ((a - origin).div_euclid(grid) + 1) * grid;
                        let b = next.min(t1);
                        acc += self.price_at(a) * (b - a) as f64;
                        a = b;
                    }
                    acc / step_s as f64
                }
            };
            out.push(p);
        }
        out
    }

    /// The demand buckets of a window starting at `t` (flat and TOU), with their rates.
    fn keys_at(&self, t: i64) -> Vec<(DemandKey, f64)> {
        let c = civil(t);
        let month = c.year * 12 + i64::from(c.month) - 1;
        let mut keys = Vec::new();
        let r = self.flat_month_rate[(c.month - 1) as usize];
        if r > 0.0 {
            keys.push((
                DemandKey {
                    month,
                    period: None,
                },
                r,
            ));
        }
        if let Some(tou) = &self.tou {
            let tab = if c.weekday >= 5 {
                &tou.weekend
            } else {
                &tou.weekday
            };
            let p = tab[(c.month - 1) as usize][c.hour as usize];
            if tou.rates[p] > 0.0 {
                keys.push((
                    DemandKey {
                        month,
                        period: Some(p),
                    },
                    tou.rates[p],
                ));
            }
        }
        keys
    }

    /// Groups `n` steps from `start` into demand windows (steps longer than the window are their own).
    pub fn demand_windows(&self, start: i64, step_s: i64, n: usize) -> Vec<DemandWindow> {
        let mut out: Vec<DemandWindow> = Vec::new();
        if !self.has_demand_charge() {
            return out;
        }
        let w = self.window_s.max(1);
        let mut k = 0;
        while k < n {
            let t0 = start + k as i64 * step_s;
            let bucket = t0.div_euclid(w);
            let mut e = k + 1;
            if step_s < w {
                while e < n && (start + e as i64 * step_s).div_euclid(w) == bucket {
                    e += 1;
                }
            }
            out.push(DemandWindow {
                first_step: k,
                end_step: e,
                keys: self.keys_at(t0),
            });
            k = e;
        }
        out
    }

    /// Demand cost of a site power series (kW per step), and each bucket's peak.
    pub fn demand_cost(
        &self,
        windows: &[DemandWindow],
        site_kw: &[f64],
    ) -> (f64, Vec<(DemandKey, f64, f64)>) {
        let mut peaks: Vec<(DemandKey, f64, f64)> = Vec::new();
        for w in windows {
            let n = (w.end_step - w.first_step) as f64;
            let avg = site_kw[w.first_step..w.end_step].iter().sum::<f64>() / n;
            for &(key, rate) in &w.keys {
                match peaks.iter_mut().find(|p| p.0 == key) {
                    Some(p) => p.1 = p.1.max(avg),
                    None => peaks.push((key, avg, rate)),
                }
            }
        }
        // (+ 0.0: an empty f64 sum is −0.0)
        let cost = peaks.iter().map(|p| p.1 * p.2).sum::<f64>() + 0.0;
        (cost, peaks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The project's illustrative tariff, read from the reference set beside the repository.
    fn example() -> Tariff {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/tariff_example.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let spec: TariffSpec = serde_json::from_str(&text).unwrap();
        Tariff::from_spec(&spec, None).unwrap()
    }

    #[test]
    fn example_tariff_prices_by_hour_and_weekday() {
        let t = example();
        // Monday 2023-01-02: 03:00 off-peak 0.12, 17:00 on-peak 0.35, 10:00 mid 0.18.
        let day = parse("2023-01-02T00:00:00").unwrap().wall_s;
        assert_eq!(t.price_at(day + 3 * 3600), 0.12);
        assert_eq!(t.price_at(day + 17 * 3600), 0.35);
        assert_eq!(t.price_at(day + 10 * 3600), 0.18);
        assert!(t.has_demand_charge());
    }

    #[test]
    fn step_average_weights_a_step_across_the_hour() {
        let t = example();
        let day = parse("2023-01-02T00:00:00").unwrap().wall_s;
        // A 2 h step from 06:00: one hour at 0.12 and one at 0.18.
        let p = t.step_prices(day + 6 * 3600, 7200, 1, PriceSampling::StepAverage);
        assert!((p[0] - 0.15).abs() < 1e-12);
        let p = t.step_prices(day + 6 * 3600, 7200, 1, PriceSampling::StepStart);
        assert_eq!(p[0], 0.12);
    }

    #[test]
    fn demand_charge_uses_the_window_average() {
        let t = example();
        let day = parse("2023-01-02T00:00:00").unwrap().wall_s;
        // 5-min steps, 15-min windows: a single 5-min spike of 300 kW averages to 100 kW.
        let mut load = vec![0.0; 12];
        load[4] = 300.0;
        let w = t.demand_windows(day + 3 * 3600, 300, 12);
        assert_eq!(w.len(), 4);
        let (cost, _) = t.demand_cost(&w, &load);
        // Flat 15 $/kW on 100 kW; 03:00 is TOU period 0 (rate 0).
        assert!((cost - 1500.0).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn bad_schedule_names_the_field() {
        let spec: TariffSpec = serde_json::from_str(r#"{"energy": {"periods": [{"id": 0, "tiers": [{"rate_per_kwh": 0.1}]}], "weekday_schedule": [[0]]}}"#).unwrap();
        match Tariff::from_spec(&spec, None) {
            Err(ModelError::Invalid { field, .. }) => {
                assert_eq!(field, "tariff.energy.weekday_schedule")
            }
            other => panic!("{other:?}"),
        }
    }
}
