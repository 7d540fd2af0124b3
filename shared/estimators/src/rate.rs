//! The estimator seam for link energy: a domain trait with an ONNX implementation and the physics
//! model as the second implementation and fallback.
//!
//! ```text
//!  SegmentFeatures ──► EnergyRateService ──► OnnxEnergyRate (energy_rate.onnx, tract)
//!  (kph, %, 1/km,            │ model missing / failed its checks / input outside card range /
//!   °C, kg)                  │ vehicle not the class it was trained for
//!                            └─────────► PhysicsEnergyRate (twin_model::energy::trip_energy)
//!  ──► RateEstimate { kwh_per_km, estimator: EstimatorInfo (which model, or physics + why) }
//! ```

use twin_model::energy::{trip_energy, Conditions, TripSpec};
use twin_model::vehicle::{Vehicle, VehicleClass};

use crate::error::EstimatorError;
use crate::onnx::OnnxModel;
use crate::registry::{error_chain, Registry};
use crate::EstimatorInfo;

/// Registry name of the link-energy model.
pub const ENERGY_RATE_MODEL: &str = "energy_rate";

/// The card input order the energy-rate model must have.
pub const ENERGY_RATE_INPUTS: [&str; 5] = [
    "avg_speed_kph",
    "grade_pct",
    "stops_per_km",
    "ambient_temp_c",
    "mass_kg",
];

/// What is known about a road segment (a link, a timetable leg).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentFeatures {
    /// Average speed over the segment, dwell included (km/h).
    pub avg_speed_kph: f64,
    /// Average grade (percent, rise/run × 100).
    pub grade_pct: f64,
    /// Stops per km.
    pub stops_per_km: f64,
    /// Ambient temperature (°C).
    pub ambient_temp_c: f64,
    /// Total moving mass, vehicle + payload (kg).
    pub mass_kg: f64,
}

impl SegmentFeatures {
    fn row(&self) -> Vec<f64> {
        vec![
            self.avg_speed_kph,
            self.grade_pct,
            self.stops_per_km,
            self.ambient_temp_c,
            self.mass_kg,
        ]
    }
}

/// An energy rate and who produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct RateEstimate {
    /// Battery (chemical) energy per km, traction + aux + HVAC (kWh/km).
    pub kwh_per_km: f64,
    /// Which estimator produced it.
    pub estimator: EstimatorInfo,
}

/// Estimates battery energy per km of a segment.
pub trait EnergyRateEstimator: Send + Sync {
    /// Who this estimator is.
    fn info(&self) -> EstimatorInfo;
    /// kWh per km for the segment.
    fn kwh_per_km(&self, seg: &SegmentFeatures) -> Result<f64, EstimatorError>;
}

/// The learned model, checked against the expected card signature.
#[derive(Debug, Clone)]
pub struct OnnxEnergyRate {
    model: OnnxModel,
}

impl OnnxEnergyRate {
    /// Wrap a loaded model whose card lists [`ENERGY_RATE_INPUTS`] and outputs kWh/km.
    pub fn new(model: OnnxModel) -> Result<Self, EstimatorError> {
        let card = model.card();
        let names: Vec<&str> = card.inputs.iter().map(|i| i.name.as_str()).collect();
        if names != ENERGY_RATE_INPUTS || card.output.unit != "kWh/km" {
            return Err(EstimatorError::Signature {
                name: card.name.clone(),
                reason: format!(
                    "inputs {names:?} -> {}, expected {ENERGY_RATE_INPUTS:?} -> kWh/km",
                    card.output.unit
                ),
            });
        }
        Ok(Self { model })
    }
}

impl EnergyRateEstimator for OnnxEnergyRate {
    fn info(&self) -> EstimatorInfo {
        self.model.info()
    }

    fn kwh_per_km(&self, seg: &SegmentFeatures) -> Result<f64, EstimatorError> {
        let out = self.model.run(&[seg.row()])?;
        out.first()
            .copied()
            .ok_or_else(|| EstimatorError::Signature {
                name: self.model.card().name.clone(),
                reason: "no output".into(),
            })
    }
}

/// Physics: the twin's trip energy over a 1 km segment (stop-and-go cycle at the segment's average
/// speed and stop density, aux and HVAC for its duration, climb or descent at its grade).
#[derive(Debug, Clone)]
pub struct PhysicsEnergyRate {
    vehicle: Vehicle,
}

impl PhysicsEnergyRate {
    /// Physics for this vehicle; the segment's `mass_kg` sets the payload (never below zero).
    pub fn new(vehicle: Vehicle) -> Self {
        Self { vehicle }
    }
}

impl EnergyRateEstimator for PhysicsEnergyRate {
    fn info(&self) -> EstimatorInfo {
        EstimatorInfo::physics()
    }

    fn kwh_per_km(&self, seg: &SegmentFeatures) -> Result<f64, EstimatorError> {
        let mut v = self.vehicle.clone();
        v.payload_kg = (seg.mass_kg - v.mass_kg).max(0.0);
        if !(seg.avg_speed_kph.is_finite() && seg.avg_speed_kph > 0.0) {
            return Err(twin_model::ModelError::invalid(
                "avg_speed_kph",
                "must be a finite number > 0",
            )
            .into());
        }
        let rise_m = seg.grade_pct / 100.0 * 1000.0;
        let trip = TripSpec {
            distance_km: 1.0,
            duration_s: 3600.0 / seg.avg_speed_kph,
            stops_per_km: seg.stops_per_km,
            duty_cycle: None,
            elevation_gain_m: rise_m.max(0.0),
            elevation_loss_m: (-rise_m).max(0.0),
        };
        Ok(trip_energy(&v, &trip, &Conditions::at(seg.ambient_temp_c))?.energy_kwh)
    }
}

/// The learned model when it can answer, physics otherwise, saying which and why.
pub struct EnergyRateService {
    primary: Result<Box<dyn EnergyRateEstimator>, String>,
    physics: PhysicsEnergyRate,
}

impl EnergyRateService {
    /// Use the registry's `energy_rate` model for `vehicle` when the model is loaded, matches its
    /// expected signature and was trained for the vehicle's class (12 m city bus); physics otherwise.
    pub fn new(registry: &Registry, vehicle: Vehicle) -> Self {
        Self {
            primary: energy_rate_model(registry, vehicle.class),
            physics: PhysicsEnergyRate::new(vehicle),
        }
    }

    /// Who answers in-range requests: the model's `EstimatorInfo`, or physics (with the reason the
    /// model is not used, if one was configured).
    pub fn primary_info(&self) -> EstimatorInfo {
        match &self.primary {
            Ok(m) => m.info(),
            Err(r) if r.is_empty() => EstimatorInfo::physics(),
            Err(r) => EstimatorInfo::physics_fallback(r.clone()),
        }
    }

    /// Physics only (no model configured).
    pub fn physics_only(vehicle: Vehicle) -> Self {
        Self {
            primary: Err(String::new()),
            physics: PhysicsEnergyRate::new(vehicle),
        }
    }

    /// With an explicit primary estimator (tests, other models).
    pub fn with_primary(primary: Box<dyn EnergyRateEstimator>, vehicle: Vehicle) -> Self {
        Self {
            primary: Ok(primary),
            physics: PhysicsEnergyRate::new(vehicle),
        }
    }

    /// Estimate a segment. A model error (input outside the card's range, failed inference) falls
    /// back to physics with the reason in `estimator.fallback_reason`; only a physics error fails.
    pub fn estimate(&self, seg: &SegmentFeatures) -> Result<RateEstimate, EstimatorError> {
        let reason = match self.model_estimate(seg) {
            Ok(r) => return Ok(r),
            Err(reason) => reason,
        };
        let kwh_per_km = self.physics.kwh_per_km(seg)?;
        let estimator = match reason {
            Some(r) => EstimatorInfo::physics_fallback(r),
            None => EstimatorInfo::physics(),
        };
        Ok(RateEstimate {
            kwh_per_km,
            estimator,
        })
    }

    /// The learned model's answer alone, or why it gives none: `Err(None)` when no model is
    /// configured, `Err(Some(reason))` when one is but cannot answer this segment.
    pub fn model_estimate(&self, seg: &SegmentFeatures) -> Result<RateEstimate, Option<String>> {
        match &self.primary {
            Ok(m) => m
                .kwh_per_km(seg)
                .map(|kwh_per_km| RateEstimate {
                    kwh_per_km,
                    estimator: m.info(),
                })
                .map_err(|e| Some(error_chain(&e))),
            Err(r) if r.is_empty() => Err(None),
            Err(r) => Err(Some(r.clone())),
        }
    }
}

/// The registry's `energy_rate` model for a vehicle class, or why not: an empty reason when no model
/// is configured at all (plain physics, nothing to explain).
pub(crate) fn energy_rate_model(
    registry: &Registry,
    class: VehicleClass,
) -> Result<Box<dyn EnergyRateEstimator>, String> {
    trained_for(class)?;
    match registry.get(ENERGY_RATE_MODEL) {
        Err(EstimatorError::Unknown(_)) => Err(String::new()),
        other => other
            .and_then(|m| OnnxEnergyRate::new(m.clone()))
            .map(|m| Box::new(m) as Box<dyn EnergyRateEstimator>)
            .map_err(|e| error_chain(&e)),
    }
}

/// Whether the `energy_rate` model was trained for this vehicle class, or why not.
pub(crate) fn trained_for(class: VehicleClass) -> Result<(), String> {
    if class == VehicleClass::CityBus12m {
        Ok(())
    } else {
        Err(format!(
            "{ENERGY_RATE_MODEL} is trained for 12 m city buses, not {class:?}"
        ))
    }
}
