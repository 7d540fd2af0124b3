//! Trip energy for the block planner when only segment-level data exists (a timetable leg, a GTFS
//! trip: distance, duration, stops, climb), from the learned `energy_rate` model; the time-step
//! road-load simulation otherwise, and whenever the model cannot answer.
//!
//! ```text
//!  Trip ──duty cycle given?──yes──────────────────────────────► RoadLoadEnergy (time-step physics)
//!    │ no: SegmentFeatures (km/h = km ÷ scheduled h, net grade,
//!    │     stops/km, ambient, curb + payload)
//!    └──► energy_rate (ONNX) ──ok──► kWh/km × km
//!                 └─ not a 12 m bus / outside the card's ranges / failed ─► RoadLoadEnergy (+ reason)
//! ```
//!
//! With a fleet calibration (a residual model trained by `ml/calibrate.py` on the fleet's own
//! telemetry), every trip is simulated and the model's residual added:
//! `kWh = physics + residual(speed, T, payload, stops/km, net grade, physics kWh/km) × km`.
//!
//! Every trip's source is recorded, so a response can say, per trip, which estimator produced it.

use std::sync::Mutex;

use twin_model::energy::default_stops_per_km;
use twin_model::trip::{RoadLoadEnergy, Trip, TripEnergy};
use twin_model::vehicle::Vehicle;
use twin_model::ModelError;

use crate::error::EstimatorError;
use crate::onnx::OnnxModel;
use crate::rate::{
    energy_rate_model, trained_for, EnergyRateEstimator, SegmentFeatures, ENERGY_RATE_MODEL,
};
use crate::registry::{error_chain, Registry};
use crate::EstimatorInfo;

/// Which estimator produced one trip's energy.
#[derive(Debug, Clone, PartialEq)]
pub struct TripSource {
    /// The trip id.
    pub trip_id: String,
    /// The estimator (the model, or physics with the reason the model was not used, if any).
    pub estimator: EstimatorInfo,
}

/// The input order a fleet calibration model's card must have (output: residual kWh/km).
pub const CALIBRATION_INPUTS: [&str; 6] = [
    "avg_speed_kph",
    "ambient_temp_c",
    "payload_kg",
    "stops_per_km",
    "net_grade_pct",
    "physics_kwh_per_km",
];

/// [`TripEnergy`] from the `energy_rate` model for segment-level trips, physics otherwise; or
/// physics plus a fleet calibration's residual for every trip.
pub struct SegmentTripEnergy {
    model: Result<Box<dyn EnergyRateEstimator>, String>,
    calibration: Option<Result<OnnxModel, String>>,
    physics: RoadLoadEnergy,
    sources: Mutex<Vec<TripSource>>,
}

impl SegmentTripEnergy {
    /// The registry's `energy_rate` model (if loaded), with `physics` as the fallback.
    pub fn new(registry: &Registry, physics: RoadLoadEnergy) -> Self {
        Self {
            model: energy_rate_model(registry, twin_model::vehicle::VehicleClass::CityBus12m),
            calibration: None,
            physics,
            sources: Mutex::new(Vec::new()),
        }
    }

    /// Physics plus the residual of the fleet calibration model `name` from `registry`, for every
    /// trip. An unknown name is the caller's error; a model that failed to load, or whose card is
    /// not a calibration's, gives physics alone with the reason in each trip's estimator.
    pub fn calibrated(
        registry: &Registry,
        name: &str,
        physics: RoadLoadEnergy,
    ) -> Result<Self, EstimatorError> {
        let model = match registry.get(name) {
            Err(e @ EstimatorError::Unknown(_)) => return Err(e),
            Err(e) => Err(error_chain(&e)),
            Ok(m) => {
                let card = m.card();
                let names: Vec<&str> = card.inputs.iter().map(|i| i.name.as_str()).collect();
                if names == CALIBRATION_INPUTS && card.output.unit == "kWh/km" {
                    Ok(m.clone())
                } else {
                    Err(format!(
                        "{name} is not a fleet calibration model: inputs {names:?} -> {}, expected \
                         {CALIBRATION_INPUTS:?} -> kWh/km",
                        card.output.unit
                    ))
                }
            }
        };
        Ok(Self {
            model: Err(String::new()),
            calibration: Some(model),
            physics,
            sources: Mutex::new(Vec::new()),
        })
    }

    /// Physics for every trip (the caller asked for it, or no model is wanted).
    pub fn physics_only(physics: RoadLoadEnergy) -> Self {
        Self {
            model: Err(String::new()),
            calibration: None,
            physics,
            sources: Mutex::new(Vec::new()),
        }
    }

    /// Physics plus the calibration's residual × km, or why the residual could not be had.
    fn calibrate(
        &self,
        model: &OnnxModel,
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
        physics_kwh: f64,
    ) -> Result<f64, String> {
        let seg = Self::schedule_features(vehicle, trip, ambient_c)
            .ok_or("a trip without distance or duration has no rate to calibrate")?;
        let row = vec![
            seg.avg_speed_kph,
            seg.ambient_temp_c,
            trip.payload_kg.unwrap_or(vehicle.payload_kg),
            seg.stops_per_km,
            seg.grade_pct,
            physics_kwh / trip.distance_km,
        ];
        let residual = model
            .run(&[row])
            .map_err(|e| error_chain(&e))?
            .first()
            .copied()
            .ok_or_else(|| "the model returned no output".to_string())?;
        Ok(physics_kwh + residual * trip.distance_km)
    }

    /// The segment a trip is, when only segment-level data exists: `None` when the trip carries a
    /// duty cycle (time-step data; physics integrates it) or has no distance or duration.
    pub fn segment_features(
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
    ) -> Option<SegmentFeatures> {
        if trip.duty_cycle.is_some() {
            return None;
        }
        Self::schedule_features(vehicle, trip, ambient_c)
    }

    /// A trip's schedule as segment features (whether or not it also carries a duty cycle); `None`
    /// without distance or duration.
    fn schedule_features(
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
    ) -> Option<SegmentFeatures> {
        if trip.distance_km <= 0.0 || trip.duration_s() <= 0.0 {
            return None;
        }
        let rise_m = trip.elevation_gain_m - trip.elevation_loss_m;
        Some(SegmentFeatures {
            avg_speed_kph: trip.average_speed_kph(),
            grade_pct: rise_m / (trip.distance_km * 1000.0) * 100.0,
            stops_per_km: trip
                .stops_per_km
                .unwrap_or_else(|| default_stops_per_km(vehicle.class)),
            ambient_temp_c: ambient_c,
            mass_kg: vehicle.mass_kg + trip.payload_kg.unwrap_or(vehicle.payload_kg),
        })
    }

    /// Per trip evaluated so far, in evaluation order, which estimator produced its energy.
    pub fn sources(&self) -> Vec<TripSource> {
        self.sources.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The estimator of the most recent evaluation of trip `id`.
    pub fn source_of(&self, id: &str) -> Option<EstimatorInfo> {
        let s = self.sources.lock().ok()?;
        s.iter()
            .rev()
            .find(|t| t.trip_id == id)
            .map(|t| t.estimator.clone())
    }

    /// The response's `estimator` block: the model when it produced any trip's energy; physics
    /// otherwise, with the first reason a configured model was not used.
    pub fn summary(&self) -> EstimatorInfo {
        let sources = self.sources();
        if let Some(m) = sources.iter().find(|s| s.estimator.kind != "physics") {
            return m.estimator.clone();
        }
        sources
            .into_iter()
            .find(|s| s.estimator.fallback_reason.is_some())
            .map_or_else(EstimatorInfo::physics, |s| s.estimator)
    }

    /// (trips from the model, trips from physics).
    pub fn counts(&self) -> (usize, usize) {
        let s = self.sources();
        let model = s.iter().filter(|t| t.estimator.kind != "physics").count();
        (model, s.len() - model)
    }

    fn record(&self, trip: &Trip, estimator: EstimatorInfo) {
        if let Ok(mut s) = self.sources.lock() {
            s.push(TripSource {
                trip_id: trip.id.clone(),
                estimator,
            });
        }
    }
}

impl TripEnergy for SegmentTripEnergy {
    fn trip_energy_kwh(
        &self,
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
    ) -> Result<f64, ModelError> {
        if let Some(cal) = &self.calibration {
            let physics = self.physics.trip_energy_kwh(vehicle, trip, ambient_c)?;
            let (kwh, estimator) = match cal.as_ref().map_err(Clone::clone).and_then(|m| {
                Ok((
                    self.calibrate(m, vehicle, trip, ambient_c, physics)?,
                    m.info(),
                ))
            }) {
                Ok(done) => done,
                Err(reason) => (physics, EstimatorInfo::physics_fallback(reason)),
            };
            self.record(trip, estimator);
            return Ok(kwh);
        }
        let seg = Self::segment_features(vehicle, trip, ambient_c);
        let reason = match (&self.model, trained_for(vehicle.class), seg) {
            (Ok(_), Err(r), _) => Some(r),
            (Ok(m), Ok(()), Some(seg)) => match m.kwh_per_km(&seg) {
                Ok(rate) => {
                    self.record(trip, m.info());
                    return Ok(rate * trip.distance_km);
                }
                Err(e) => Some(error_chain(&e)),
            },
            // a duty cycle (time-step data) or no schedule: physics is the right tool, no excuse needed
            (Ok(_), Ok(()), None) => None,
            (Err(r), _, _) if r.is_empty() => None,
            (Err(r), _, _) => Some(r.clone()),
        };
        let kwh = self.physics.trip_energy_kwh(vehicle, trip, ambient_c)?;
        self.record(
            trip,
            reason.map_or_else(EstimatorInfo::physics, EstimatorInfo::physics_fallback),
        );
        Ok(kwh)
    }

    fn idle_power_kw(&self, vehicle: &Vehicle, ambient_c: f64) -> Result<f64, ModelError> {
        self.physics.idle_power_kw(vehicle, ambient_c)
    }

    fn describe(&self) -> String {
        let (model, physics) = self.counts();
        match self.summary() {
            e if e.kind != "physics" => format!(
                "{} {} (sha256 {}) for {model} trip evaluation(s) from segment-level data; physics \
                 (time-step road-load simulation) for {physics}",
                e.model.unwrap_or_default(),
                e.version.unwrap_or_default(),
                e.sha256.as_deref().map_or("?", |h| &h[..h.len().min(12)]),
            ),
            e => match e.fallback_reason {
                Some(r) => format!(
                    "physics (time-step road-load simulation); {ENERGY_RATE_MODEL} not used: {r}"
                ),
                None => self.physics.describe(),
            },
        }
    }
}
