//! Remaining range: usable energy ÷ consumption on a duty cycle, with p10/p90 from stated input
//! uncertainty.
//!
//! ```text
//!  usable_kwh = capacity · (SoC − max(reserve, min SoC))/100 · f_cap(chemistry, T_batt)
//!  consumption = chemical kWh per km of one pass of the duty cycle           (energy::simulate)
//!  range_km    = usable_kwh / consumption
//!
//!  p10 / p90: each unknown input i is moved to its own 10th / 90th percentile value, one at a time;
//!  its effect is the log-ratio of consumption  δᵢ = ln(c(xᵢ)/c);  the usable energy has its own δ_E.
//!  independent inputs add in quadrature:  ln(range_p10) = ln(range) − √(Σ δᵢ⁺² + δ_E²)
//!                                         ln(range_p90) = ln(range) + √(Σ δᵢ⁻² + δ_E²)
//! ```
//! The unknowns and their default spreads are in [`RangeUncertainty`]; each default is an ESTIMATE and
//! says why. A caller who knows an input better states a smaller spread.

use super::{simulate, Conditions, CycleResult};
use crate::battery::capacity_temperature_factor;
use crate::cycle::Trace;
use crate::error::ModelError;
use crate::hvac::{self, HvacSize};
use crate::vehicle::{Hvac, Vehicle, VehicleClass};
use serde::{Deserialize, Serialize};

/// Spreads (10th/90th percentile) of the inputs a range estimate cannot know.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RangeUncertainty {
    /// Relative spread of the HVAC power (±, fraction). Default 0.3: cabin setpoint, door openings,
    /// solar load and defrost vary the draw by about a third around the model (ESTIMATE).
    pub hvac_rel: f64,
    /// Extra HVAC power someone may run even in mild weather (kW at p90). Default: the draw of heating
    /// the cabin 3 K beyond the model's deadband (`HvacSize::heat_kw_per_k × 3`; 0 without HVAC).
    pub hvac_floor_kw: Option<f64>,
    /// Payload spread (± kg). Default by class when the payload was not stated (ESTIMATES: car 100 kg,
    /// van 400 kg, 12 m bus 1,500 kg ≈ 20 passengers, 18 m bus 2,200 kg, tractor 8,000 kg of cargo);
    /// 10 % of the stated payload when it was.
    pub payload_kg: Option<f64>,
    /// Driving style as a speed scale (±, fraction) on the duty cycle: speeds and accelerations ×(1 ± k).
    /// Default 0.05: eco vs brisk driving changes traction energy by roughly 5–15 % (ESTIMATE).
    pub driving_style_rel: f64,
    /// Relative spread of the usable energy (±, fraction). Default 0.03: BMS SoC estimation error and
    /// unknown state of health (ESTIMATE).
    pub usable_energy_rel: f64,
}

impl Default for RangeUncertainty {
    fn default() -> Self {
        Self {
            hvac_rel: 0.3,
            hvac_floor_kw: None,
            payload_kg: None,
            driving_style_rel: 0.05,
            usable_energy_rel: 0.03,
        }
    }
}

impl RangeUncertainty {
    fn validate(&self) -> Result<(), ModelError> {
        let rel = [
            ("uncertainty.hvac_rel", self.hvac_rel),
            ("uncertainty.driving_style_rel", self.driving_style_rel),
            ("uncertainty.usable_energy_rel", self.usable_energy_rel),
        ];
        for (f, x) in rel {
            if !x.is_finite() || !(0.0..0.9).contains(&x) {
                return Err(ModelError::invalid(f, "must be a fraction in [0, 0.9)"));
            }
        }
        for (f, x) in [
            ("uncertainty.hvac_floor_kw", self.hvac_floor_kw),
            ("uncertainty.payload_kg", self.payload_kg),
        ] {
            if let Some(x) = x {
                if !x.is_finite() || x < 0.0 {
                    return Err(ModelError::invalid(f, "must be a finite number >= 0"));
                }
            }
        }
        Ok(())
    }
}

/// Default payload spread (± kg) of a class when the payload is unknown (see [`RangeUncertainty`]).
pub fn default_payload_spread_kg(class: VehicleClass) -> f64 {
    match class {
        VehicleClass::Car => 100.0,
        VehicleClass::VanLcv => 400.0,
        VehicleClass::CityBus12m => 1500.0,
        VehicleClass::ArticulatedBus18m => 2200.0,
        VehicleClass::Class8Tractor => 8000.0,
    }
}

/// What a range estimate needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeInput<'a> {
    /// The vehicle (its `payload_kg` is the best guess of the payload).
    pub vehicle: &'a Vehicle,
    /// Whether the payload was stated by the caller (sets the default payload spread).
    pub payload_stated: bool,
    /// State of charge now (%).
    pub soc_pct: f64,
    /// SoC the driver keeps in reserve (%); the usable window ends at max(reserve, battery min SoC).
    pub reserve_soc_pct: f64,
    /// Battery temperature (°C) for the usable-capacity factor; `None` = ambient.
    pub battery_temp_c: Option<f64>,
    /// Ambient conditions.
    pub conditions: Conditions,
    /// The duty cycle to drive.
    pub trace: &'a Trace,
    /// Input spreads.
    pub uncertainty: RangeUncertainty,
}

/// Consumption per km by term (kWh/km, chemical); the four add up to the consumption.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Breakdown {
    /// Net road demand at the wheels: drag + rolling + grade + kinetic + wheel inertia.
    pub traction: f64,
    /// Cabin HVAC at the terminals.
    pub hvac: f64,
    /// Auxiliaries at the terminals.
    pub aux: f64,
    /// Drivetrain, friction-brake and battery losses.
    pub losses: f64,
}

/// A range estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RangeResult {
    /// Expected range (km).
    pub range_km: f64,
    /// 10th percentile (km): 90 % of the time the vehicle gets at least this far.
    pub range_km_p10: f64,
    /// 90th percentile (km).
    pub range_km_p90: f64,
    /// Energy available above the floor, after the cold-capacity factor (kWh).
    pub usable_energy_kwh: f64,
    /// Fraction of nominal capacity available at the battery temperature.
    pub capacity_factor: f64,
    /// Chemical energy per km on the duty cycle (kWh/km).
    pub consumption_kwh_per_km: f64,
    /// Consumption by term (kWh/km).
    pub breakdown_kwh_per_km: Breakdown,
    /// HVAC power used (kW at the terminals).
    pub hvac_kw: f64,
    /// One pass of the duty cycle.
    pub cycle: CycleResult,
}

/// Estimates the remaining range (see the module docs).
pub fn range_remaining(input: &RangeInput<'_>) -> Result<RangeResult, ModelError> {
    let v = input.vehicle;
    let b = &v.battery;
    for (f, x) in [
        ("soc_pct", input.soc_pct),
        ("reserve_soc_pct", input.reserve_soc_pct),
    ] {
        if !x.is_finite() || !(0.0..=100.0).contains(&x) {
            return Err(ModelError::invalid(f, "must be a number between 0 and 100"));
        }
    }
    if let Some(t) = input.battery_temp_c {
        if !t.is_finite() || !(-60.0..=80.0).contains(&t) {
            return Err(ModelError::invalid(
                "battery_temp_c",
                "must be a number between -60 and 80 °C",
            ));
        }
    }
    input.uncertainty.validate()?;
    let base_hvac_kw = match input.conditions.hvac_kw {
        Some(h) => h,
        None => hvac::power_kw(v, input.conditions.ambient_temp_c),
    };
    let cond = Conditions {
        hvac_kw: Some(base_hvac_kw),
        ..input.conditions
    };
    let cycle = simulate(v, input.trace, &cond)?;
    let Some(c) = cycle.kwh_per_km() else {
        return Err(ModelError::invalid(
            "duty_cycle",
            "covers no distance: range needs a cycle that moves",
        ));
    };
    if c <= 0.0 {
        return Err(ModelError::impossible(
            "duty_cycle",
            "the cycle gains energy (net descent): range is unbounded",
        ));
    }

    let floor = input.reserve_soc_pct.max(b.min_soc_pct);
    let t_batt = input
        .battery_temp_c
        .unwrap_or(input.conditions.ambient_temp_c);
    let capacity_factor = capacity_temperature_factor(b.chemistry, t_batt);
    let usable = (b.capacity_kwh * (input.soc_pct - floor) / 100.0).max(0.0) * capacity_factor;
    let range_km = usable / c;

    // Each unknown at its p10/p90 value, one at a time: log-ratio of consumption.
    let u = &input.uncertainty;
    let per_km = |veh: &Vehicle, cond: &Conditions, trace: &Trace| -> Result<f64, ModelError> {
        let r = simulate(veh, trace, cond)?;
        Ok(r.kwh_per_km().unwrap_or(c).max(1e-9))
    };
    let mut up2 = 0.0; // Σ δ⁺² (consumption higher)
    let mut down2 = 0.0; // Σ δ⁻²
    let mut add = |lo: f64, hi: f64| {
        for x in [lo, hi] {
            let d = (x / c).ln();
            if d > 0.0 {
                up2 += d * d;
            } else {
                down2 += d * d;
            }
        }
    };
    // HVAC
    if !matches!(v.hvac, Hvac::None) || input.conditions.hvac_kw.is_some() {
        let floor_kw = u.hvac_floor_kw.unwrap_or_else(|| {
            if matches!(v.hvac, Hvac::None) {
                0.0
            } else {
                HvacSize::of_vehicle(v).heat_kw_per_k * 3.0
            }
        });
        let hi = base_hvac_kw * (1.0 + u.hvac_rel) + floor_kw;
        let lo = base_hvac_kw * (1.0 - u.hvac_rel);
        let c_hi = per_km(
            v,
            &Conditions {
                hvac_kw: Some(hi),
                ..cond
            },
            input.trace,
        )?;
        let c_lo = per_km(
            v,
            &Conditions {
                hvac_kw: Some(lo),
                ..cond
            },
            input.trace,
        )?;
        add(c_lo, c_hi);
    }
    // Payload
    let spread = u.payload_kg.unwrap_or(if input.payload_stated {
        0.1 * v.payload_kg
    } else {
        default_payload_spread_kg(v.class)
    });
    if spread > 0.0 {
        let mut heavy = v.clone();
        heavy.payload_kg = v.payload_kg + spread;
        let mut light = v.clone();
        light.payload_kg = (v.payload_kg - spread).max(0.0);
        add(
            per_km(&light, &cond, input.trace)?,
            per_km(&heavy, &cond, input.trace)?,
        );
    }
    // Driving style
    if u.driving_style_rel > 0.0 {
        let brisk = input.trace.speed_scaled(1.0 + u.driving_style_rel);
        let calm = input.trace.speed_scaled(1.0 - u.driving_style_rel);
        add(per_km(v, &cond, &calm)?, per_km(v, &cond, &brisk)?);
    }
    let de = -(1.0 - u.usable_energy_rel).ln();
    let spread_lo = (up2 + de * de).sqrt();
    let spread_hi = (down2 + de * de).sqrt();

    let km = cycle.distance_km;
    let breakdown = Breakdown {
        traction: cycle.wheel_net_kwh() / km,
        hvac: cycle.hvac_kwh / km,
        aux: cycle.aux_kwh / km,
        losses: cycle.losses_kwh() / km,
    };
    Ok(RangeResult {
        range_km,
        range_km_p10: range_km * (-spread_lo).exp(),
        range_km_p90: range_km * spread_hi.exp(),
        usable_energy_kwh: usable,
        capacity_factor,
        consumption_kwh_per_km: c,
        breakdown_kwh_per_km: breakdown,
        hvac_kw: base_hvac_kw,
        cycle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cycle::{StandardCycle, StopAndGo};
    use crate::vehicle::lookup;

    fn input<'a>(v: &'a Vehicle, trace: &'a Trace, soc: f64, temp: f64) -> RangeInput<'a> {
        RangeInput {
            vehicle: v,
            payload_stated: false,
            soc_pct: soc,
            reserve_soc_pct: 10.0,
            battery_temp_c: None,
            conditions: Conditions::at(temp),
            trace,
            uncertainty: RangeUncertainty::default(),
        }
    }

    #[test]
    fn range_is_usable_energy_over_consumption_and_the_breakdown_adds_up() {
        let v = lookup("tesla_model3_lr_2021").unwrap().vehicle.clone();
        let t = StandardCycle::Wltc3b.trace().unwrap();
        let r = range_remaining(&input(&v, t, 80.0, 25.0)).unwrap();
        // 76 kWh × 70 % = 53.2 kWh at 25 °C (factor 1)
        assert!((r.usable_energy_kwh - 53.2).abs() < 1e-9);
        assert!((r.range_km - r.usable_energy_kwh / r.consumption_kwh_per_km).abs() < 1e-9);
        let b = r.breakdown_kwh_per_km;
        assert!((b.traction + b.hvac + b.aux + b.losses - r.consumption_kwh_per_km).abs() < 1e-9);
        assert!(r.range_km_p10 < r.range_km && r.range_km < r.range_km_p90);
        // WLTP-like: 53 kWh at ~0.15 kWh/km ≈ 350 km
        assert!((280.0..420.0).contains(&r.range_km), "{}", r.range_km);
    }

    #[test]
    fn the_cold_cuts_range_through_heating_and_capacity() {
        let v = lookup("yutong_e12").unwrap().vehicle.clone();
        let t = StopAndGo::new(18.0, 2.5).trace(20).unwrap();
        let warm = range_remaining(&input(&v, &t, 90.0, 20.0)).unwrap();
        let cold = range_remaining(&input(&v, &t, 90.0, -10.0)).unwrap();
        assert!(
            cold.range_km < 0.75 * warm.range_km,
            "{} vs {}",
            cold.range_km,
            warm.range_km
        );
        assert!(cold.capacity_factor < 1.0 && cold.breakdown_kwh_per_km.hvac > 0.5);
        // the HVAC uncertainty widens the cold band more than the warm one (relative)
        let rel = |r: &RangeResult| (r.range_km_p90 - r.range_km_p10) / r.range_km;
        assert!(rel(&cold) > rel(&warm));
    }

    #[test]
    fn nothing_above_the_reserve_means_zero_range() {
        let v = lookup("yutong_e12").unwrap().vehicle.clone();
        let t = StandardCycle::Udds.trace().unwrap();
        let r = range_remaining(&input(&v, t, 8.0, 20.0)).unwrap();
        assert_eq!(r.range_km, 0.0);
        assert_eq!(r.range_km_p90, 0.0);
    }

    #[test]
    fn a_cycle_that_never_moves_is_rejected() {
        let v = lookup("yutong_e12").unwrap().vehicle.clone();
        let t = Trace::new(vec![0.0, 60.0], vec![0.0, 0.0], None).unwrap();
        assert!(matches!(
            range_remaining(&input(&v, &t, 50.0, 20.0)),
            Err(ModelError::Invalid { .. })
        ));
    }

    #[test]
    fn stating_the_spreads_as_zero_collapses_the_band_to_the_estimate() {
        let v = lookup("yutong_e12").unwrap().vehicle.clone();
        let t = StandardCycle::Udds.trace().unwrap();
        let mut i = input(&v, t, 60.0, 0.0);
        i.uncertainty = RangeUncertainty {
            hvac_rel: 0.0,
            hvac_floor_kw: Some(0.0),
            payload_kg: Some(0.0),
            driving_style_rel: 0.0,
            usable_energy_rel: 0.0,
        };
        let r = range_remaining(&i).unwrap();
        assert!(
            (r.range_km_p10 - r.range_km).abs() < 1e-9
                && (r.range_km_p90 - r.range_km).abs() < 1e-9
        );
    }
}
