//! The depot simulation engine and its charging strategies.
//!
//! ```text
//!            grid_limit_kw (grid side, step average)
//!  grid ──┬── base_load_kw
//!         └── charger c (max_power_kw at its outputs, shared by its connectors, ÷ efficiency at the grid)
//!               └── connector ── vehicle inlet P ──(× η_cells)──► cells (SoC = stored / capacity)
//!
//!  each step [t, t+Δt):  arrivals → plug-in (FIFO queue for a free connector) → strategy request per
//!  plugged vehicle → allocation in priority order under charger and site budgets → exact integration
//!  of the curve within the step (charge_ops) → departures (SoC recorded against the target)
//! ```
//! Plug-in times depend only on arrivals and departures (a connector frees when its vehicle leaves),
//! so they are computed once ([`sessions`]) and every strategy sees the same sessions.
//! Strategies: `uncontrolled` (everyone at maximum, site budget in arrival order), `balanced` (least
//! constant power that meets the departure), `least_laxity` (maximum power, least slack first) and
//! `optimal` (a linear programme over the horizon, [`optimal`]).
//!
//! Physical defaults: events take effect at their exact time (a vehicle present for part of a step
//! charges for that part), the site budget is shared in arrival order, and a step's price is the
//! time-weighted mean. [`Semantics`] selects SpiceEV's rules instead (events rounded up to the step,
//! vehicle-id order, the price at the step start), which the SpiceEV importer asks for.
//!
//! Known limit: with exact timing, a vehicle that leaves and comes back inside one step has its second
//! arrival applied at that step's start (before the first departure is recorded); use a step shorter
//! than the shortest time away.

pub mod charge_ops;
pub mod engine;
pub mod optimal;
pub mod report;
pub mod scenario;
pub mod sessions;
pub mod spiceev;
pub mod time;

use crate::error::ModelError;
use crate::tariff::{PriceSampling, Tariff};
use crate::vehicle::Vehicle;
use serde::{Deserialize, Serialize};

pub use engine::simulate;
pub use report::{artifacts, Artifacts, DepartureReport, DepotResult, Summary, VehicleReport};

/// How power is allocated among plugged vehicles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every plugged vehicle at its maximum, the site budget in priority (arrival) order.
    #[default]
    Uncontrolled,
    /// Each vehicle at the least constant power that meets its departure target.
    Balanced,
    /// Maximum power, least laxity (slack time) first.
    LeastLaxity,
    /// A linear programme over the horizon: least energy cost + demand charge subject to readiness.
    Optimal,
}

/// When an arrival or departure takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EventTiming {
    /// At its exact time; partial steps charge for the part the vehicle is there (physical).
    #[default]
    Exact,
    /// At the start of the first step that begins at or after it (SpiceEV).
    RoundUpToStep,
}

/// Which plugged vehicle gets the site budget first (under `uncontrolled` and `balanced`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SharingOrder {
    /// Earliest plug-in first (physical: first come, first served).
    #[default]
    Arrival,
    /// Sorted vehicle id (SpiceEV).
    VehicleId,
}

/// Simulation rules that differ between our physical defaults and SpiceEV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Semantics {
    /// Event timing.
    pub event_timing: EventTiming,
    /// Budget order.
    pub sharing_order: SharingOrder,
    /// Step price.
    pub price_sampling: PriceSampling,
    /// Refuse scenarios where a vehicle would wait for a connector (instead of queueing it).
    pub no_queue: bool,
}

/// What the engine keeps besides the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Record {
    /// Site series, SoC per vehicle per step, per-session power (for artifacts).
    #[default]
    Full,
    /// Only the summary and departures (benchmarks, sweeps).
    Summary,
}

/// A charger (DC unless said otherwise) with one or more connectors sharing its power.
#[derive(Debug, Clone, PartialEq)]
pub struct DepotCharger {
    /// Id.
    pub id: String,
    /// Rated output (kW at the connectors, shared).
    pub max_power_kw: f64,
    /// Connectors (vehicles charging at once).
    pub connectors: u32,
    /// Grid-to-inlet efficiency.
    pub efficiency: f64,
}

/// The vehicle's state when it arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArrivalState {
    /// SoC on arrival (%).
    SocPct(f64),
    /// Energy used since the last departure (kWh from the cells).
    EnergyUsedKwh(f64),
}

/// One stay at the depot.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// Arrival (wall-clock s).
    pub arrive_s: i64,
    /// Departure (wall-clock s).
    pub depart_s: i64,
    /// State on arrival.
    pub arrival: ArrivalState,
    /// SoC wanted at departure (%), overriding the vehicle's.
    pub target_soc_pct: Option<f64>,
}

/// A vehicle of the fleet and its schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetVehicle {
    /// Id.
    pub id: String,
    /// Resolved vehicle.
    pub vehicle: Vehicle,
    /// SoC at `start` (%).
    pub initial_soc_pct: f64,
    /// Default SoC wanted at departures (%; default 100, capped by the battery's max).
    pub target_soc_pct: Option<f64>,
    /// Charger index it must use, if pinned.
    pub charger: Option<usize>,
    /// Stays, in time order.
    pub visits: Vec<Visit>,
}

/// A checked depot scenario in model units.
#[derive(Debug, Clone, PartialEq)]
pub struct DepotInput {
    /// Start (wall-clock s).
    pub start_s: i64,
    /// End (wall-clock s).
    pub end_s: i64,
    /// Step (s).
    pub step_s: i64,
    /// The UTC offset the times are written on (for output formatting).
    pub clock_offset_s: Option<i32>,
    /// Strategy.
    pub strategy: Strategy,
    /// Grid connection limit (kW, grid side).
    pub grid_limit_kw: f64,
    /// Constant non-charging site load (kW).
    pub base_load_kw: f64,
    /// Chargers.
    pub chargers: Vec<DepotCharger>,
    /// Fleet.
    pub fleet: Vec<FleetVehicle>,
    /// Tariff.
    pub tariff: Tariff,
    /// Rules.
    pub semantics: Semantics,
    /// What to keep.
    pub record: Record,
}

/// Largest number of steps in one run.
pub const MAX_STEPS: usize = 2_000_000;
/// Largest steps × vehicles kept for artifacts ([`Record::Full`]).
pub const MAX_RECORDED_CELLS: usize = 60_000_000;

fn check(cond: bool, field: impl Into<String>, msg: &str) -> Result<(), ModelError> {
    if cond {
        Ok(())
    } else {
        Err(ModelError::invalid(field, msg))
    }
}

impl DepotInput {
    /// Number of steps.
    pub fn steps(&self) -> usize {
        ((self.end_s - self.start_s) as f64 / self.step_s as f64)
            .ceil()
            .max(0.0) as usize
    }

    /// Checks the scenario; errors name the wire field.
    pub fn validate(&self) -> Result<(), ModelError> {
        check(self.step_s >= 1, "step_s", "must be ≥ 1 s")?;
        check(self.end_s > self.start_s, "end", "must be after start")?;
        let n = self.steps();
        check(
            n <= MAX_STEPS,
            "step_s",
            "too many steps (at most 2,000,000): use a longer step or a shorter horizon",
        )?;
        if self.record == Record::Full {
            check(
                n.saturating_mul(self.fleet.len().max(1)) <= MAX_RECORDED_CELLS,
                "fleet",
                "steps × vehicles is too large to record (at most 60 million)",
            )?;
        }
        check(
            self.grid_limit_kw.is_finite() && self.grid_limit_kw > 0.0,
            "depot.grid_limit_kw",
            "must be > 0",
        )?;
        check(
            self.base_load_kw.is_finite() && self.base_load_kw >= 0.0,
            "depot.base_load_kw",
            "must be ≥ 0",
        )?;
        if self.base_load_kw > self.grid_limit_kw {
            return Err(ModelError::impossible(
                "depot.base_load_kw",
                "exceeds depot.grid_limit_kw: the site is over its limit before any charging",
            ));
        }
        if !self.fleet.is_empty() {
            check(
                !self.chargers.is_empty(),
                "depot.chargers",
                "a fleet needs at least one charger",
            )?;
        }
        for (i, c) in self.chargers.iter().enumerate() {
            let f = |x: &str| format!("depot.chargers[{i}].{x}");
            check(!c.id.is_empty(), f("id"), "must not be empty")?;
            check(
                c.max_power_kw.is_finite() && c.max_power_kw > 0.0,
                f("max_power_kw"),
                "must be > 0",
            )?;
            check(c.connectors >= 1, f("connectors"), "must be ≥ 1")?;
            check(
                c.efficiency.is_finite() && c.efficiency > 0.0 && c.efficiency <= 1.0,
                f("efficiency"),
                "must be in (0, 1]",
            )?;
            check(
                !self.chargers[..i].iter().any(|o| o.id == c.id),
                f("id"),
                "is used twice",
            )?;
        }
        for (i, v) in self.fleet.iter().enumerate() {
            let f = |x: &str| format!("fleet[{i}].{x}");
            check(!v.id.is_empty(), f("id"), "must not be empty")?;
            check(
                !self.fleet[..i].iter().any(|o| o.id == v.id),
                f("id"),
                "is used twice",
            )?;
            check(
                (0.0..=100.0).contains(&v.initial_soc_pct),
                f("initial_soc_pct"),
                "must be between 0 and 100",
            )?;
            if let Some(t) = v.target_soc_pct {
                check(
                    (0.0..=100.0).contains(&t),
                    f("target_soc_pct"),
                    "must be between 0 and 100",
                )?;
            }
            if let Some(c) = v.charger {
                check(
                    c < self.chargers.len(),
                    f("charger"),
                    "names no charger of depot.chargers",
                )?;
            }
            let b = &v.vehicle.battery;
            check(
                b.capacity_kwh.is_finite() && b.capacity_kwh > 0.0,
                f("vehicle.battery.capacity_kwh"),
                "must be > 0",
            )?;
            check(
                b.efficiency > 0.0 && b.efficiency <= 1.0,
                f("vehicle.battery.efficiency"),
                "must be in (0, 1]",
            )?;
            for (j, e) in v.visits.iter().enumerate() {
                let g = |x: &str| format!("fleet[{i}].events[{j}].{x}");
                check(e.depart_s > e.arrive_s, g("depart"), "must be after arrive")?;
                if j > 0 {
                    check(
                        e.arrive_s >= v.visits[j - 1].depart_s,
                        g("arrive"),
                        "overlaps the vehicle's previous event (arrive before its depart)",
                    )?;
                }
                match e.arrival {
                    ArrivalState::SocPct(s) => check(
                        (0.0..=100.0).contains(&s),
                        g("soc_on_arrival_pct"),
                        "must be between 0 and 100",
                    )?,
                    ArrivalState::EnergyUsedKwh(x) => check(
                        x.is_finite() && x >= 0.0,
                        g("energy_used_kwh"),
                        "must be ≥ 0",
                    )?,
                }
                if let Some(t) = e.target_soc_pct {
                    check(
                        (0.0..=100.0).contains(&t),
                        g("target_soc_pct"),
                        "must be between 0 and 100",
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
