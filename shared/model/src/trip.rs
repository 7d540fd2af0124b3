//! Blocks of trips: energy per trip, SoC timeline, feasibility and charging insertion.
//!
//! ```text
//!            trip 1            layover            trip 2               layover ...
//!   SoC ──[− E_trip(T)]──► ──[− P_idle(T)·t]──┬──► ──[− E_trip(T)]──►
//!                                             └─ charger here? + time_to_charge(SoC → target)
//!   E_trip: chemical kWh from the energy model (traction + aux + HVAC at the trip's ambient T)
//!   P_idle: aux + HVAC while parked (kW, chemical); covered by the charger while plugged in
//!   feasible ⇔ SoC ≥ reserve at every trip start and end; SoC stays within [0, max]
//! ```
//!
//! - [`blocks`]: group a day's trips into blocks (by `block_id`, or by the chaining heuristic).
//! - [`plan`]: the SoC timeline of one block and the fewest, shortest layover charges that keep it
//!   above reserve, or the first trip that fails and the shortfall.

pub mod blocks;
pub mod physics;
pub mod plan;

pub use blocks::{build_blocks, Block, BlockTrip, ChainOptions};
pub use physics::RoadLoadEnergy;
pub use plan::{
    plan_block, Ambient, BlockPlan, ChargeStop, LayoverCharger, PlanOptions, Trip, TripEnergy,
    TripResult,
};
