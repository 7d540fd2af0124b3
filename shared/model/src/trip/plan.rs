//! The SoC timeline of one block and charging insertion at layover chargers.
//!
//! Energies per trip and per layover do not depend on SoC, so they are computed once; the timeline is
//! then replayed cheaply for each candidate charging plan:
//!
//! 1. Without charging: if SoC stays ≥ reserve everywhere, done.
//! 2. Fewest stops (greedy, as in the minimum-refuelling-stops problem): at the first failing trip,
//!    add the not-yet-used charger layover before it that, charging as long as the layover allows,
//!    pushes the first failure latest (ties: the highest SoC at the old failure point). Repeat.
//!    When no layover with a charger is left before the failure, the block is infeasible: that trip is
//!    named and the shortfall is the largest energy deficit below reserve, with all charging done.
//! 3. Shortest stops: in time order, each stop is cut (bisection on its duration) to the least that
//!    keeps the block feasible with the later stops still charging as long as they can.
//!
//! Charging within a layover: the vehicle plugs in after `plug_overhead_min`, the charge follows
//! [`crate::charging::time_to_charge`] (curve, vehicle, charger, battery temperature), and while plugged
//! the charger also carries the hotel load (aux + HVAC), which the grid energy includes.

use crate::charge_point::Charger;
use crate::charging::{inlet_to_cells, time_to_charge, ChargeConditions};
use crate::cycle::DutyCycle;
use crate::error::ModelError;
use crate::vehicle::Vehicle;
use crate::weather::HourlyTemperature;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;

/// One trip of a block, as the planner needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trip {
    /// Trip id.
    pub id: String,
    /// Departure (s since a reference shared by all trips of the block).
    pub depart_s: f64,
    /// Arrival (s, same reference).
    pub arrive_s: f64,
    /// Distance (km).
    pub distance_km: f64,
    /// Stops per km, when known (sets the synthesised duty cycle's stop density).
    pub stops_per_km: Option<f64>,
    /// Total climb (m).
    pub elevation_gain_m: f64,
    /// Total descent (m).
    pub elevation_loss_m: f64,
    /// Payload (kg) on this trip; `None` uses the vehicle's.
    pub payload_kg: Option<f64>,
    /// Where the trip ends (matched against charger locations).
    pub end_location: Option<String>,
    /// A duty cycle whose per-km traction to use instead of one synthesised from the schedule.
    pub duty_cycle: Option<DutyCycle>,
}

impl Trip {
    /// Scheduled duration (s), never negative.
    pub fn duration_s(&self) -> f64 {
        (self.arrive_s - self.depart_s).max(0.0)
    }
    /// Scheduled average speed (km/h); 0 for a zero-length schedule.
    pub fn average_speed_kph(&self) -> f64 {
        let h = self.duration_s() / 3600.0;
        if h > 0.0 {
            self.distance_km / h
        } else {
            0.0
        }
    }
}

/// Where the per-trip energy comes from: the energy model, or a stand-in in tests.
pub trait TripEnergy {
    /// Chemical energy drawn from the battery over `trip` at ambient `ambient_c` (kWh): traction,
    /// aux and HVAC. May be negative on a long descent.
    fn trip_energy_kwh(
        &self,
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
    ) -> Result<f64, ModelError>;
    /// Chemical power drawn while parked with the systems on (aux + HVAC) at `ambient_c` (kW, ≥ 0).
    fn idle_power_kw(&self, vehicle: &Vehicle, ambient_c: f64) -> Result<f64, ModelError>;
    /// One line for reports: where the trip energies computed so far came from.
    fn describe(&self) -> String {
        "physics: the time-step road-load simulation".into()
    }
}

/// Ambient temperature over the block.
#[derive(Debug, Clone, PartialEq)]
pub enum Ambient {
    /// One temperature all day (°C).
    Constant(f64),
    /// An hourly series; `start_s` is the time of its first value on the trips' clock.
    Hourly {
        /// Time of the series' first value (s, same reference as the trips).
        start_s: f64,
        /// The series (linear between values, held beyond the ends).
        series: HourlyTemperature,
    },
}

impl Ambient {
    /// Temperature at time `t_s`.
    pub fn at(&self, t_s: f64) -> f64 {
        match self {
            Ambient::Constant(t) => *t,
            Ambient::Hourly { start_s, series } => series.at_hour((t_s - start_s) / 3600.0),
        }
    }

    /// Time-weighted mean temperature over `[a_s, b_s]`.
    pub fn mean_over(&self, a_s: f64, b_s: f64) -> f64 {
        match self {
            Ambient::Constant(t) => *t,
            Ambient::Hourly { start_s, series } => {
                series.mean_between((a_s - start_s) / 3600.0, (b_s - start_s) / 3600.0)
            }
        }
    }

    /// Checks the values are usable (the series is checked when built).
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            Ambient::Constant(t) if !t.is_finite() || !(-60.0..=60.0).contains(t) => Err(
                ModelError::invalid("ambient_temp_c", "must be within −60…60 °C"),
            ),
            Ambient::Hourly { start_s, .. } if !start_s.is_finite() => Err(ModelError::invalid(
                "weather.start",
                "must be a finite time",
            )),
            _ => Ok(()),
        }
    }
}

/// A charger at a layover location.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoverCharger {
    /// Location key (matched against [`Trip::end_location`]).
    pub location: String,
    /// The charger.
    pub charger: Charger,
}

/// Everything about a block plan except the vehicle and the trips.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// SoC when the block starts (%).
    pub start_soc_pct: f64,
    /// SoC the vehicle must not go below (%).
    pub reserve_soc_pct: f64,
    /// Ambient temperature.
    pub ambient: Ambient,
    /// Chargers at layover locations.
    pub chargers: Vec<LayoverCharger>,
    /// Time from arrival to the start of charging (docking, handshake), min.
    pub plug_overhead_min: f64,
    /// Battery temperature while charging (°C); `None`: the ambient, but no colder than 15 °C.
    pub battery_temp_c: Option<f64>,
}

/// Default time from arrival to current flowing (min). ESTIMATE: pantograph and plug-in
/// (CCS) handshakes take 0.5–2 min; 2 min also covers docking.
pub const DEFAULT_PLUG_OVERHEAD_MIN: f64 = 2.0;

/// Lowest battery temperature assumed for in-service charging when none is given (°C). ESTIMATE:
/// e-bus packs are thermally managed (heated in winter) and warmed by driving, so a bus arriving at a
/// terminal charger is rarely colder than this even on a cold day.
pub const IN_SERVICE_MIN_BATTERY_TEMP_C: f64 = 15.0;

impl PlanOptions {
    /// Options with the defaults: no chargers, 2 min plug overhead, automatic battery temperature.
    pub fn new(start_soc_pct: f64, reserve_soc_pct: f64, ambient: Ambient) -> Self {
        Self {
            start_soc_pct,
            reserve_soc_pct,
            ambient,
            chargers: Vec::new(),
            plug_overhead_min: DEFAULT_PLUG_OVERHEAD_MIN,
            battery_temp_c: None,
        }
    }
}

/// One trip in the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripResult {
    /// Trip id.
    pub id: String,
    /// Chemical energy drawn over the trip (kWh).
    pub energy_kwh: f64,
    /// Chemical energy drawn while parked after this trip and before the next, not plugged in (kWh).
    pub layover_energy_kwh: f64,
    /// Mean ambient over the trip (°C).
    pub ambient_c: f64,
    /// SoC at departure (%).
    pub soc_start_pct: f64,
    /// SoC at arrival (%).
    pub soc_end_pct: f64,
    /// Whether SoC is below reserve at the start or end of this trip.
    pub below_reserve: bool,
}

/// One inserted charging stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeStop {
    /// Index of the trip after which the vehicle charges.
    pub after_trip_index: usize,
    /// Id of that trip.
    pub after_trip: String,
    /// Charger location.
    pub location: String,
    /// When current starts to flow (s, the trips' clock).
    pub start_s: f64,
    /// Plugged-in charging time (min).
    pub duration_min: f64,
    /// Energy into the cells (kWh).
    pub energy_kwh: f64,
    /// Energy from the grid, including the hotel load carried while plugged in (kWh).
    pub energy_from_grid_kwh: f64,
    /// SoC when charging starts (%).
    pub soc_before_pct: f64,
    /// SoC when charging ends (%).
    pub soc_after_pct: f64,
}

/// The plan of one block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockPlan {
    /// SoC ≥ reserve throughout, with the charging below.
    pub feasible: bool,
    /// Lowest SoC of the timeline (%), never below 0.
    pub min_soc_pct: f64,
    /// SoC at the end of the last trip (%).
    pub end_soc_pct: f64,
    /// Chemical energy drawn over the block: trips plus unplugged layovers (kWh).
    pub energy_kwh: f64,
    /// Of which trips (kWh).
    pub trip_energy_kwh: f64,
    /// Of which unplugged layovers (kWh).
    pub layover_energy_kwh: f64,
    /// Energy put into the cells by charging stops (kWh).
    pub charged_kwh: f64,
    /// Regenerated energy that could not be stored because the battery was at its max SoC (kWh).
    pub clipped_kwh: f64,
    /// Distance (km).
    pub distance_km: f64,
    /// Per trip.
    pub trips: Vec<TripResult>,
    /// Charging stops, in time order.
    pub charging: Vec<ChargeStop>,
    /// The first trip during or before which SoC falls below reserve, when infeasible.
    pub first_failing_trip: Option<String>,
    /// Its index.
    pub first_failing_trip_index: Option<usize>,
    /// Energy missing to stay at or above reserve throughout (kWh); 0 when feasible.
    pub shortfall_kwh: f64,
}

/// Plans `trips` (in time order) for `vehicle`: energy per trip, the SoC timeline and, where needed
/// and possible, layover charging.
pub fn plan_block(
    vehicle: &Vehicle,
    trips: &[Trip],
    opts: &PlanOptions,
    energy: &dyn TripEnergy,
) -> Result<BlockPlan, ModelError> {
    let ctx = Context::new(vehicle, trips, opts, energy)?;
    let n = trips.len();
    // Candidate layovers: after trip j (before trip j+1) at a charger location with time to charge.
    let mut candidates: Vec<usize> = Vec::new();
    for j in 0..n.saturating_sub(1) {
        if ctx.charger_at[j].is_some() && ctx.plug_window_min(j) > 0.0 {
            candidates.push(j);
        }
    }
    let mut durations: Vec<Option<f64>> = vec![None; n];
    let mut run = ctx.replay(&durations)?;
    // 2. Fewest stops.
    while let Some(k) = run.first_fail {
        let mut best: Option<(usize, Run)> = None;
        for &c in candidates
            .iter()
            .filter(|&&c| c < k && durations[c].is_none())
        {
            let mut trial = durations.clone();
            trial[c] = Some(ctx.plug_window_min(c));
            let r = ctx.replay(&trial)?;
            let better = match &best {
                None => true,
                Some((_, b)) => {
                    let (rf, bf) = (r.first_fail.unwrap_or(n), b.first_fail.unwrap_or(n));
                    rf > bf || (rf == bf && r.stored_end[k] > b.stored_end[k] + 1e-9)
                }
            };
            if better {
                best = Some((c, r));
            }
        }
        match best {
            // Only accept a stop that helps: it must add energy at the failure point.
            Some((c, r))
                if r.first_fail.unwrap_or(n) > k || r.stored_end[k] > run.stored_end[k] + 1e-9 =>
            {
                durations[c] = Some(ctx.plug_window_min(c));
                run = r;
            }
            _ => break,
        }
    }
    // 3. Shortest stops.
    if run.first_fail.is_none() {
        for j in 0..n {
            let Some(max_d) = durations[j] else { continue };
            let mut lo = 0.0;
            let mut hi = max_d;
            let mut trial = durations.clone();
            trial[j] = None;
            if ctx.replay(&trial)?.first_fail.is_none() {
                durations[j] = None;
                continue;
            }
            while hi - lo > 0.05 {
                let mid = 0.5 * (lo + hi);
                trial[j] = Some(mid);
                if ctx.replay(&trial)?.first_fail.is_none() {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            durations[j] = Some(hi);
        }
        run = ctx.replay(&durations)?;
    }
    Ok(ctx.finish(run))
}

/// Precomputed energies and lookups for one block.
struct Context<'a> {
    vehicle: &'a Vehicle,
    trips: &'a [Trip],
    opts: &'a PlanOptions,
    trip_kwh: Vec<f64>,
    trip_ambient: Vec<f64>,
    /// Idle chemical power during the layover after each trip (kW).
    idle_kw: Vec<f64>,
    /// Charger usable in the layover after each trip.
    charger_at: Vec<Option<&'a LayoverCharger>>,
    capacity_kwh: f64,
    max_kwh: f64,
    reserve_kwh: f64,
    /// Charge tables by (charger, battery temperature).
    tables: RefCell<Vec<TableEntry>>,
}

/// A cached charge table, keyed by (charger address, battery temperature bits).
type TableEntry = ((usize, u64), Rc<ChargeTable>);

/// Time (min) to charge from 0 % to each SoC, at ≈ 1 % points, for one charger and battery
/// temperature; linear between points.
#[derive(Debug)]
struct ChargeTable {
    /// `(soc_pct, t_min)`, both increasing.
    points: Vec<(f64, f64)>,
}

impl ChargeTable {
    fn t_at(&self, soc: f64) -> f64 {
        interp(&self.points, soc, |p| p.0, |p| p.1)
    }
    fn soc_at(&self, t_min: f64) -> f64 {
        interp(&self.points, t_min, |p| p.1, |p| p.0)
    }
}

/// Linear interpolation over points sorted by `x(p)`, clamped at the ends.
fn interp(
    pts: &[(f64, f64)],
    at: f64,
    x: impl Fn(&(f64, f64)) -> f64,
    y: impl Fn(&(f64, f64)) -> f64,
) -> f64 {
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return 0.0;
    };
    if at <= x(first) {
        return y(first);
    }
    if at >= x(last) {
        return y(last);
    }
    let i = pts.partition_point(|p| x(p) <= at).clamp(1, pts.len() - 1);
    let (a, b) = (&pts[i - 1], &pts[i]);
    let span = x(b) - x(a);
    if span > 0.0 {
        y(a) + (at - x(a)) / span * (y(b) - y(a))
    } else {
        y(b)
    }
}

/// One replay of the timeline.
#[derive(Debug, Clone)]
struct Run {
    /// Stored energy at each trip's start and end (kWh; may be negative: no clamping below).
    stored_start: Vec<f64>,
    stored_end: Vec<f64>,
    /// Unplugged layover energy after each trip (kWh).
    layover_kwh: Vec<f64>,
    stops: Vec<ChargeStop>,
    clipped_kwh: f64,
    first_fail: Option<usize>,
}

impl<'a> Context<'a> {
    fn new(
        vehicle: &'a Vehicle,
        trips: &'a [Trip],
        opts: &'a PlanOptions,
        energy: &dyn TripEnergy,
    ) -> Result<Self, ModelError> {
        let b = &vehicle.battery;
        if !b.capacity_kwh.is_finite() || b.capacity_kwh <= 0.0 {
            return Err(ModelError::invalid(
                "vehicle.battery.capacity_kwh",
                "must be > 0",
            ));
        }
        check_pct("start_soc_pct", opts.start_soc_pct)?;
        check_pct("reserve_soc_pct", opts.reserve_soc_pct)?;
        opts.ambient.validate()?;
        if !opts.plug_overhead_min.is_finite() || opts.plug_overhead_min < 0.0 {
            return Err(ModelError::invalid("plug_overhead_min", "must be ≥ 0"));
        }
        for (i, t) in trips.iter().enumerate() {
            if !t.depart_s.is_finite() || !t.arrive_s.is_finite() || t.arrive_s < t.depart_s {
                return Err(ModelError::invalid(
                    format!("trips[{i}].arrive"),
                    "must be at or after depart",
                ));
            }
            if i > 0 && t.depart_s < trips[i - 1].arrive_s {
                return Err(ModelError::invalid(
                    format!("trips[{i}].depart"),
                    format!(
                        "trip `{}` departs before trip `{}` arrives",
                        t.id,
                        trips[i - 1].id
                    ),
                ));
            }
            if !t.distance_km.is_finite() || t.distance_km < 0.0 {
                return Err(ModelError::invalid(
                    format!("trips[{i}].distance_km"),
                    "must be ≥ 0",
                ));
            }
        }
        let mut trip_kwh = Vec::with_capacity(trips.len());
        let mut trip_ambient = Vec::with_capacity(trips.len());
        let mut idle_kw = Vec::with_capacity(trips.len());
        for (i, t) in trips.iter().enumerate() {
            let amb = opts.ambient.mean_over(t.depart_s, t.arrive_s);
            let e = energy
                .trip_energy_kwh(vehicle, t, amb)
                .map_err(|e| in_trip(i, &t.id, e))?;
            if !e.is_finite() {
                return Err(ModelError::impossible(
                    format!("trips[{i}]"),
                    "trip energy is not finite",
                ));
            }
            trip_kwh.push(e);
            trip_ambient.push(amb);
            let idle = match trips.get(i + 1) {
                Some(next) => energy
                    .idle_power_kw(vehicle, opts.ambient.mean_over(t.arrive_s, next.depart_s))?
                    .max(0.0),
                None => 0.0,
            };
            idle_kw.push(idle);
        }
        let charger_at = trips
            .iter()
            .map(|t| {
                t.end_location
                    .as_deref()
                    .and_then(|loc| opts.chargers.iter().find(|c| c.location == loc))
            })
            .collect();
        let cap = b.capacity_kwh;
        Ok(Self {
            vehicle,
            trips,
            opts,
            trip_kwh,
            trip_ambient,
            idle_kw,
            charger_at,
            capacity_kwh: cap,
            max_kwh: cap * b.max_soc_pct.min(100.0) / 100.0,
            reserve_kwh: cap * opts.reserve_soc_pct / 100.0,
            tables: RefCell::new(Vec::new()),
        })
    }

    fn layover_min(&self, j: usize) -> f64 {
        match self.trips.get(j + 1) {
            Some(next) => (next.depart_s - self.trips[j].arrive_s).max(0.0) / 60.0,
            None => 0.0,
        }
    }

    /// Longest plugged time in the layover after trip `j` (min).
    fn plug_window_min(&self, j: usize) -> f64 {
        (self.layover_min(j) - self.opts.plug_overhead_min).max(0.0)
    }

    fn battery_temp_c(&self, t_s: f64) -> f64 {
        self.opts
            .battery_temp_c
            .unwrap_or_else(|| self.opts.ambient.at(t_s).max(IN_SERVICE_MIN_BATTERY_TEMP_C))
    }

    fn replay(&self, durations: &[Option<f64>]) -> Result<Run, ModelError> {
        let n = self.trips.len();
        let mut stored = self.capacity_kwh
            * self
                .opts
                .start_soc_pct
                .min(self.vehicle.battery.max_soc_pct)
            / 100.0;
        let mut run = Run {
            stored_start: Vec::with_capacity(n),
            stored_end: Vec::with_capacity(n),
            layover_kwh: vec![0.0; n],
            stops: Vec::new(),
            clipped_kwh: 0.0,
            first_fail: None,
        };
        let tol = 1e-9;
        for (i, t) in self.trips.iter().enumerate() {
            run.stored_start.push(stored);
            stored -= self.trip_kwh[i];
            if stored > self.max_kwh {
                run.clipped_kwh += stored - self.max_kwh;
                stored = self.max_kwh;
            }
            run.stored_end.push(stored);
            if run.first_fail.is_none()
                && (run.stored_start[i].min(stored) < self.reserve_kwh - tol)
            {
                run.first_fail = Some(i);
            }
            if i + 1 == n {
                break;
            }
            // Layover after trip i.
            let layover_min = self.layover_min(i);
            let mut unplugged_min = layover_min;
            if let (Some(d), Some(lc)) = (durations[i].filter(|d| *d > 0.0), self.charger_at[i]) {
                // Drain during the plug overhead, then charge for up to `d` minutes.
                let overhead = self.opts.plug_overhead_min.min(layover_min);
                let drain = self.idle_kw[i] * overhead / 60.0;
                stored -= drain;
                let start_s = t.arrive_s + overhead * 60.0;
                let stop = self.charge(i, lc, stored, d.min(self.plug_window_min(i)), start_s)?;
                unplugged_min = layover_min - overhead - stop.duration_min;
                stored += stop.energy_kwh;
                run.layover_kwh[i] += drain;
                run.stops.push(stop);
            }
            let drain = self.idle_kw[i] * unplugged_min.max(0.0) / 60.0;
            stored -= drain;
            run.layover_kwh[i] += drain;
        }
        Ok(run)
    }

    /// The cached 0 % → max charge table of `lc` at `cond`'s battery temperature; `None` when the
    /// charge from 0 % is impossible (then the caller integrates from its own SoC).
    fn table(&self, lc: &LayoverCharger, cond: &ChargeConditions) -> Option<Rc<ChargeTable>> {
        let key = (
            lc as *const LayoverCharger as usize,
            cond.battery_temp_c.to_bits(),
        );
        if let Some((_, t)) = self.tables.borrow().iter().find(|(k, _)| *k == key) {
            return Some(Rc::clone(t));
        }
        let plan = time_to_charge(
            self.vehicle,
            &lc.charger,
            cond,
            0.0,
            self.vehicle.battery.max_soc_pct,
        )
        .ok()?;
        let table = Rc::new(ChargeTable {
            points: plan.profile.iter().map(|p| (p.soc_pct, p.t_min)).collect(),
        });
        self.tables.borrow_mut().push((key, Rc::clone(&table)));
        Some(table)
    }

    /// Charges for up to `minutes` from `stored` kWh; stops at the max SoC.
    fn charge(
        &self,
        j: usize,
        lc: &LayoverCharger,
        stored: f64,
        minutes: f64,
        start_s: f64,
    ) -> Result<ChargeStop, ModelError> {
        let b = &self.vehicle.battery;
        let soc0 = (100.0 * stored / self.capacity_kwh).max(0.0);
        let cond = ChargeConditions {
            battery_temp_c: self.battery_temp_c(start_s),
            site_limit_kw: None,
        };
        let mut stop = ChargeStop {
            after_trip_index: j,
            after_trip: self.trips[j].id.clone(),
            location: lc.location.clone(),
            start_s,
            duration_min: 0.0,
            energy_kwh: 0.0,
            energy_from_grid_kwh: 0.0,
            soc_before_pct: soc0,
            soc_after_pct: soc0,
        };
        if soc0 >= b.max_soc_pct - 1e-9 || minutes <= 0.0 {
            return Ok(stop);
        }
        let (duration_min, soc1) = match self.table(lc, &cond) {
            // One time_to_charge integration per charger and battery temperature, from 0 % to the
            // max: time from s0 to s1 is T(s1) − T(s0), since power depends on SoC alone.
            Some(table) => {
                let t0 = table.t_at(soc0);
                let full = table.t_at(b.max_soc_pct) - t0;
                if full <= minutes {
                    (full.max(0.0), b.max_soc_pct)
                } else {
                    (
                        minutes,
                        table.soc_at(t0 + minutes).clamp(soc0, b.max_soc_pct),
                    )
                }
            }
            None => {
                let full = time_to_charge(self.vehicle, &lc.charger, &cond, soc0, b.max_soc_pct)?;
                if full.duration_min <= minutes {
                    (full.duration_min, full.final_soc_pct)
                } else {
                    (minutes, soc_at_minutes(&full.profile, minutes))
                }
            }
        };
        let gained = self.capacity_kwh * (soc1 - soc0) / 100.0;
        let eta = inlet_to_cells(self.vehicle, &lc.charger) * lc.charger.efficiency;
        let hotel_kwh =
            self.idle_kw[j] * b.efficiency * duration_min / 60.0 / lc.charger.efficiency;
        stop.duration_min = duration_min;
        stop.energy_kwh = gained;
        stop.energy_from_grid_kwh = gained / eta + hotel_kwh;
        stop.soc_after_pct = soc1;
        Ok(stop)
    }

    fn finish(&self, run: Run) -> BlockPlan {
        let cap = self.capacity_kwh;
        let pct = |e: f64| (100.0 * e / cap).clamp(0.0, 100.0);
        let reserve = self.reserve_kwh;
        let mut trips = Vec::with_capacity(self.trips.len());
        let mut min_stored = f64::INFINITY;
        let mut deficit: f64 = 0.0;
        for (i, t) in self.trips.iter().enumerate() {
            let (s, e) = (run.stored_start[i], run.stored_end[i]);
            min_stored = min_stored.min(s).min(e);
            deficit = deficit.max(reserve - s.min(e));
            trips.push(TripResult {
                id: t.id.clone(),
                energy_kwh: self.trip_kwh[i],
                layover_energy_kwh: run.layover_kwh[i],
                ambient_c: self.trip_ambient[i],
                soc_start_pct: pct(s),
                soc_end_pct: pct(e),
                below_reserve: s.min(e) < reserve - 1e-9,
            });
        }
        let trip_energy: f64 = self.trip_kwh.iter().sum();
        let layover_energy: f64 = run.layover_kwh.iter().sum();
        let first = run.first_fail;
        BlockPlan {
            feasible: first.is_none(),
            min_soc_pct: if min_stored.is_finite() {
                pct(min_stored)
            } else {
                pct(self.capacity_kwh * self.opts.start_soc_pct / 100.0)
            },
            end_soc_pct: run
                .stored_end
                .last()
                .map_or(self.opts.start_soc_pct, |&e| pct(e)),
            energy_kwh: trip_energy + layover_energy,
            trip_energy_kwh: trip_energy,
            layover_energy_kwh: layover_energy,
            // `+ 0.0`: an empty f64 sum is −0.0.
            charged_kwh: run.stops.iter().map(|s| s.energy_kwh).sum::<f64>() + 0.0,
            clipped_kwh: run.clipped_kwh,
            distance_km: self.trips.iter().map(|t| t.distance_km).sum(),
            trips,
            charging: run.stops,
            first_failing_trip: first.map(|k| self.trips[k].id.clone()),
            first_failing_trip_index: first,
            shortfall_kwh: if first.is_some() {
                deficit.max(0.0)
            } else {
                0.0
            },
        }
    }
}

/// Puts a trip's index and id in front of an energy-model error's field and message.
fn in_trip(i: usize, id: &str, e: ModelError) -> ModelError {
    match e {
        ModelError::Invalid { field, message } => ModelError::Invalid {
            field: format!("trips[{i}].{field}"),
            message: format!("trip `{id}`: {message}"),
        },
        ModelError::Impossible { field, message } => ModelError::Impossible {
            field: format!("trips[{i}].{field}"),
            message: format!("trip `{id}`: {message}"),
        },
        other => other,
    }
}

fn check_pct(field: &str, v: f64) -> Result<(), ModelError> {
    if v.is_finite() && (0.0..=100.0).contains(&v) {
        Ok(())
    } else {
        Err(ModelError::invalid(field, "must be within 0…100 %"))
    }
}

/// SoC reached after `minutes` along a charge profile (linear between its ≈1 % points).
fn soc_at_minutes(profile: &[crate::charging::ProfilePoint], minutes: f64) -> f64 {
    let Some(first) = profile.first() else {
        return 0.0;
    };
    if minutes <= first.t_min {
        return first.soc_pct;
    }
    for w in profile.windows(2) {
        let (a, b) = (w[0], w[1]);
        if minutes <= b.t_min {
            let span = b.t_min - a.t_min;
            let f = if span > 0.0 {
                (minutes - a.t_min) / span
            } else {
                1.0
            };
            return a.soc_pct + f * (b.soc_pct - a.soc_pct);
        }
    }
    profile.last().map_or(first.soc_pct, |p| p.soc_pct)
}

#[cfg(test)]
mod tests;
