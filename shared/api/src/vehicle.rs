//! The `vehicle` object of every request: a catalogue id, parameters, or both (parameters override).

use crate::error::ApiError;
use crate::validate::{positive, range};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_model::battery::Chemistry;
use twin_model::curve::Curve;
use twin_model::vehicle::{self, Hvac, Vehicle, VehicleClass};

/// Wire form of a vehicle. Every field is optional; what is missing comes from the catalogue entry
/// (`model`) or the class defaults, and the response lists what was assumed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleSpec {
    /// Catalogue id, e.g. `yutong_e12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Class for defaults when no `model` is given: `car`, `van_lcv`, `city_bus_12m` (default),
    /// `articulated_bus_18m`, `class8_tractor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<VehicleClass>,
    /// Length (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    /// Curb mass (kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_kg: Option<f64>,
    /// Payload (kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_kg: Option<f64>,
    /// Drag coefficient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drag_coefficient: Option<f64>,
    /// Frontal area (m²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontal_area_m2: Option<f64>,
    /// Rolling resistance coefficient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_resistance: Option<f64>,
    /// Inertia of one wheel (kg·m²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_inertia_kg_m2: Option<f64>,
    /// Number of wheels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_count: Option<u32>,
    /// Wheel radius (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_radius_m: Option<f64>,
    /// Motor peak power (kW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motor_max_kw: Option<f64>,
    /// A number, or `[fraction_of_motor_max_kw, efficiency]` points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motor_efficiency: Option<EfficiencySpec>,
    /// Transmission efficiency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transmission_efficiency: Option<f64>,
    /// Fixed motor efficiency while regenerating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regen_efficiency: Option<f64>,
    /// Auxiliary load (kW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_kw: Option<f64>,
    /// Climate system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hvac: Option<HvacSpec>,
    /// Battery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<BatterySpec>,
    /// AC on-board charger (kW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboard_charger_kw: Option<f64>,
    /// AC on-board charger efficiency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboard_charger_efficiency: Option<f64>,
}

/// Motor efficiency: a constant or a curve over the fraction of peak power.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EfficiencySpec {
    /// One efficiency everywhere.
    Constant(f64),
    /// `[fraction_of_motor_max_kw, efficiency]` points.
    Curve(Vec<[f64; 2]>),
}

/// `hvac`: `{"kind": "none"|"resistive"|"heat_pump"}` or `{"table": [[temp_c, kw], ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HvacSpec {
    /// `none`, `resistive` or `heat_pump`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<HvacKind>,
    /// `[ambient °C, electrical kW]` points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<[f64; 2]>>,
}

/// Climate system kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HvacKind {
    /// No climate load.
    None,
    /// Resistive heating.
    Resistive,
    /// Heat pump.
    HeatPump,
}

/// Battery parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatterySpec {
    /// Capacity (kWh); SoC is stored energy over this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_kwh: Option<f64>,
    /// Lowest usable SoC (%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_soc_pct: Option<f64>,
    /// Highest SoC the BMS charges to (%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_soc_pct: Option<f64>,
    /// One-way efficiency between terminals and chemical energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
    /// `lfp`, `nmc` or `lto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chemistry: Option<Chemistry>,
    /// DC charge power limit (kW at the inlet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_charge_kw: Option<f64>,
    /// Discharge power limit (kW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_discharge_kw: Option<f64>,
    /// Nominal pack voltage (V).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominal_voltage_v: Option<f64>,
    /// `[soc_pct, max kW at the inlet]` points, linear interpolation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_curve: Option<Vec<[f64; 2]>>,
}

/// A resolved vehicle and the parameters that were not given by the caller.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The vehicle.
    pub vehicle: Vehicle,
    /// Dotted names of parameters that took a catalogue or class default, or are estimates.
    pub assumed: Vec<String>,
}

macro_rules! take {
    ($spec:expr, $target:expr, $name:literal, $assumed:ident, $check:expr) => {
        match $spec {
            Some(v) => $target = $check(v)?,
            None => $assumed.push(concat!("vehicle.", $name).to_string()),
        }
    };
}

impl VehicleSpec {
    /// Resolves the spec against the catalogue and class defaults, checking every given value.
    pub fn resolve(&self) -> Result<Resolved, ApiError> {
        let mut assumed = Vec::new();
        let mut v = match &self.model {
            Some(id) => {
                let e = vehicle::lookup(id).map_err(|_| {
                    ApiError::invalid(
                        "vehicle.model",
                        format!("unknown vehicle model `{id}` (see GET /v1/vehicles)"),
                    )
                })?;
                assumed.extend(e.estimated_fields.iter().map(|f| format!("vehicle.{f}")));
                e.vehicle.clone()
            }
            None => Vehicle::class_default(self.class.unwrap_or(VehicleClass::CityBus12m)),
        };
        if let (Some(_), Some(c)) = (&self.model, self.class) {
            if c != v.class {
                return Err(ApiError::invalid(
                    "vehicle.class",
                    "does not match the catalogue model's class",
                ));
            }
        }
        let mut ignore = Vec::new();
        let sink = if self.model.is_some() {
            &mut ignore
        } else {
            &mut assumed
        };
        take!(self.length_m, v.length_m, "length_m", sink, |x| positive(
            "vehicle.length_m",
            x,
            40.0
        ));
        take!(self.mass_kg, v.mass_kg, "mass_kg", sink, |x| positive(
            "vehicle.mass_kg",
            x,
            60_000.0
        ));
        take!(
            self.payload_kg,
            v.payload_kg,
            "payload_kg",
            sink,
            |x| range("vehicle.payload_kg", x, 0.0, 40_000.0)
        );
        take!(
            self.drag_coefficient,
            v.drag_coefficient,
            "drag_coefficient",
            sink,
            |x| positive("vehicle.drag_coefficient", x, 2.0)
        );
        take!(
            self.frontal_area_m2,
            v.frontal_area_m2,
            "frontal_area_m2",
            sink,
            |x| positive("vehicle.frontal_area_m2", x, 20.0)
        );
        take!(
            self.rolling_resistance,
            v.rolling_resistance,
            "rolling_resistance",
            sink,
            |x| range("vehicle.rolling_resistance", x, 0.0, 0.1)
        );
        take!(
            self.wheel_inertia_kg_m2,
            v.wheel_inertia_kg_m2,
            "wheel_inertia_kg_m2",
            sink,
            |x| range("vehicle.wheel_inertia_kg_m2", x, 0.0, 200.0)
        );
        take!(
            self.wheel_count,
            v.wheel_count,
            "wheel_count",
            sink,
            |x: u32| if (2..=40).contains(&x) {
                Ok(x)
            } else {
                Err(ApiError::invalid(
                    "vehicle.wheel_count",
                    "must be between 2 and 40",
                ))
            }
        );
        take!(
            self.wheel_radius_m,
            v.wheel_radius_m,
            "wheel_radius_m",
            sink,
            |x| positive("vehicle.wheel_radius_m", x, 2.0)
        );
        take!(
            self.motor_max_kw,
            v.motor_max_kw,
            "motor_max_kw",
            sink,
            |x| positive("vehicle.motor_max_kw", x, 5_000.0)
        );
        if let Some(m) = &self.motor_efficiency {
            v.motor_efficiency = match m {
                EfficiencySpec::Constant(x) => {
                    Curve::constant(positive("vehicle.motor_efficiency", *x, 1.0)?)
                }
                EfficiencySpec::Curve(pts) => curve(
                    "vehicle.motor_efficiency",
                    pts,
                    (0.0, 1.0),
                    (0.0, 1.0),
                    true,
                )?,
            };
        } else {
            sink.push("vehicle.motor_efficiency".into());
        }
        take!(
            self.transmission_efficiency,
            v.transmission_efficiency,
            "transmission_efficiency",
            sink,
            |x| positive("vehicle.transmission_efficiency", x, 1.0)
        );
        if let Some(r) = self.regen_efficiency {
            v.regen_efficiency = Some(range("vehicle.regen_efficiency", r, 0.0, 1.0)?);
        }
        take!(self.aux_kw, v.aux_kw, "aux_kw", sink, |x| range(
            "vehicle.aux_kw",
            x,
            0.0,
            200.0
        ));
        match &self.hvac {
            Some(h) => {
                v.hvac = match (&h.kind, &h.table) {
                    (Some(_), Some(_)) => {
                        return Err(ApiError::invalid(
                            "vehicle.hvac",
                            "give either kind or table, not both",
                        ))
                    }
                    (Some(HvacKind::None), None) => Hvac::None,
                    (Some(HvacKind::Resistive), None) => Hvac::Resistive,
                    (Some(HvacKind::HeatPump), None) => Hvac::HeatPump,
                    (None, Some(t)) => Hvac::Table(curve(
                        "vehicle.hvac.table",
                        t,
                        (-60.0, 60.0),
                        (0.0, 200.0),
                        true,
                    )?),
                    (None, None) => {
                        return Err(ApiError::invalid("vehicle.hvac", "needs kind or table"))
                    }
                }
            }
            None => sink.push("vehicle.hvac".into()),
        }
        let b = self.battery.clone().unwrap_or_default();
        let bat = &mut v.battery;
        take!(
            b.capacity_kwh,
            bat.capacity_kwh,
            "battery.capacity_kwh",
            sink,
            |x| positive("vehicle.battery.capacity_kwh", x, 5_000.0)
        );
        take!(
            b.min_soc_pct,
            bat.min_soc_pct,
            "battery.min_soc_pct",
            sink,
            |x| range("vehicle.battery.min_soc_pct", x, 0.0, 100.0)
        );
        take!(
            b.max_soc_pct,
            bat.max_soc_pct,
            "battery.max_soc_pct",
            sink,
            |x| range("vehicle.battery.max_soc_pct", x, 0.0, 100.0)
        );
        if bat.min_soc_pct >= bat.max_soc_pct {
            return Err(ApiError::invalid(
                "vehicle.battery.min_soc_pct",
                "must be below max_soc_pct",
            ));
        }
        take!(
            b.efficiency,
            bat.efficiency,
            "battery.efficiency",
            sink,
            |x| positive("vehicle.battery.efficiency", x, 1.0)
        );
        take!(
            b.chemistry,
            bat.chemistry,
            "battery.chemistry",
            sink,
            Ok::<Chemistry, ApiError>
        );
        take!(
            b.max_charge_kw,
            bat.max_charge_kw,
            "battery.max_charge_kw",
            sink,
            |x| positive("vehicle.battery.max_charge_kw", x, 5_000.0)
        );
        take!(
            b.max_discharge_kw,
            bat.max_discharge_kw,
            "battery.max_discharge_kw",
            sink,
            |x| positive("vehicle.battery.max_discharge_kw", x, 10_000.0)
        );
        take!(
            b.nominal_voltage_v,
            bat.nominal_voltage_v,
            "battery.nominal_voltage_v",
            sink,
            |x| range("vehicle.battery.nominal_voltage_v", x, 12.0, 1_500.0)
        );
        match &b.charge_curve {
            Some(pts) => {
                let c = curve(
                    "vehicle.battery.charge_curve",
                    pts,
                    (0.0, 100.0),
                    (0.0, 5_000.0),
                    false,
                )?;
                if c.max_y() <= 0.0 {
                    return Err(ApiError::unprocessable(
                        "vehicle.battery.charge_curve",
                        "delivers no power at any SoC",
                    ));
                }
                bat.charge_curve = c;
            }
            None => {
                if self.model.is_none() {
                    bat.charge_curve = vehicle::generic_curve(bat.chemistry, bat.max_charge_kw);
                } else if b.max_charge_kw.is_some() {
                    // A new vehicle limit rescales the catalogue curve's shape to it.
                    bat.charge_curve = bat
                        .charge_curve
                        .scaled(bat.max_charge_kw / bat.charge_curve.max_y().max(1e-9));
                }
                sink.push("vehicle.battery.charge_curve".into());
            }
        }
        take!(
            self.onboard_charger_kw,
            v.onboard_charger_kw,
            "onboard_charger_kw",
            sink,
            |x| positive("vehicle.onboard_charger_kw", x, 1_000.0)
        );
        take!(
            self.onboard_charger_efficiency,
            v.onboard_charger_efficiency,
            "onboard_charger_efficiency",
            sink,
            |x| { positive("vehicle.onboard_charger_efficiency", x, 1.0) }
        );
        assumed.dedup();
        Ok(Resolved {
            vehicle: v,
            assumed,
        })
    }
}

/// Checks and builds a curve: finite points, x strictly increasing within `xr`, y within `yr`.
pub fn curve(
    field: &str,
    pts: &[[f64; 2]],
    xr: (f64, f64),
    yr: (f64, f64),
    positive_y: bool,
) -> Result<Curve, ApiError> {
    if pts.is_empty() {
        return Err(ApiError::invalid(field, "must have at least one point"));
    }
    if pts.len() > 1_000 {
        return Err(ApiError::too_large(
            Some(field),
            format!("{field}: at most 1000 points"),
        ));
    }
    for (i, p) in pts.iter().enumerate() {
        let f = format!("{field}[{i}]");
        range(&f, p[0], xr.0, xr.1)?;
        range(&f, p[1], yr.0, yr.1)?;
        if positive_y && p[1] <= 0.0 {
            return Err(ApiError::invalid(f, "must be > 0"));
        }
    }
    Curve::new(pts.iter().map(|p| (p[0], p[1])).collect()).map_err(|m| ApiError::invalid(field, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_model_with_override() {
        let s: VehicleSpec =
            serde_json::from_str(r#"{"model": "yutong_e12", "battery": {"capacity_kwh": 300}}"#)
                .unwrap();
        let r = s.resolve().unwrap();
        assert_eq!(r.vehicle.battery.capacity_kwh, 300.0);
        assert_eq!(r.vehicle.mass_kg, 13750.0);
    }

    #[test]
    fn parameters_only_use_class_defaults_and_say_so() {
        let s: VehicleSpec = serde_json::from_str(r#"{"battery": {"capacity_kwh": 300}}"#).unwrap();
        let r = s.resolve().unwrap();
        assert!(r.assumed.iter().any(|a| a == "vehicle.mass_kg"));
        assert!(!r
            .assumed
            .iter()
            .any(|a| a == "vehicle.battery.capacity_kwh"));
    }

    #[test]
    fn empty_or_zero_curves_are_refused() {
        let s: VehicleSpec = serde_json::from_str(r#"{"battery": {"charge_curve": []}}"#).unwrap();
        assert_eq!(
            s.resolve().unwrap_err().field.as_deref(),
            Some("vehicle.battery.charge_curve")
        );
        let s: VehicleSpec =
            serde_json::from_str(r#"{"battery": {"charge_curve": [[0, 0], [100, 0]]}}"#).unwrap();
        assert_eq!(s.resolve().unwrap_err().status, 422);
    }

    #[test]
    fn unknown_model_names_the_field() {
        let s: VehicleSpec = serde_json::from_str(r#"{"model": "nope"}"#).unwrap();
        assert_eq!(
            s.resolve().unwrap_err().field.as_deref(),
            Some("vehicle.model")
        );
    }
}
