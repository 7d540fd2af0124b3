//! Cabin heating and cooling power vs ambient temperature, scaled by vehicle size.
//!
//! ```text
//!  thermal load  Q_heat = UA·(T_heat − T_amb)   below T_heat = 18 °C   (kW thermal)
//!                Q_cool = UA_c·(T_amb − T_cool) above T_cool = 24 °C
//!  electrical    P = Q_heat / COP_heat(T_amb) + Q_cool / COP_cool,  capped at the unit's size
//!                resistive: COP_heat = 1;  heat pump: COP(T) from the table below, resistive below −20 °C
//!  UA, UA_c and the caps scale with length / the class's typical length
//! ```
//! Between 18 and 24 °C the cabin needs only ventilation, which the constant `aux_kw` already covers, so
//! the HVAC draw there is zero. HVAC is a power (kW): it is charged per hour, not per km.
//!
//! All coefficients are ESTIMATES chosen to reproduce published orders of magnitude:
//! - cars: resistive (PTC) cabin heating ≈ 3–5 kW at −10 °C, heater rated ≈ 6 kW; A/C ≈ 1–2 kW
//!   electrical at 35 °C (cf. AAA 2019 "Electric vehicle range testing": range −41 % at −7 °C with
//!   heating, −17 % at 35 °C with A/C, on a ≈ 0.2 kWh/km car over a ≈ 40 km/h cycle);
//! - 12 m buses: electric heating ≈ 10–15 kW at −10 °C with a ≈ 20 kW heater (door openings dominate),
//!   A/C ≈ 8–12 kW electrical at 35 °C (orders of magnitude as in Göhlich et al. 2018, "Technology
//!   assessment of an electric urban bus system for Berlin", World Electric Vehicle Journal 9(4), and
//!   Vepsäläinen et al. 2019, Energy 169, on Finnish e-buses). Checked against the project reference's
//!   in-service figures: Foothill Transit Proterra 1.34 kWh/km (warm climate, A/C), a Yutong e-bus at
//!   −33 °C 1.56 kWh/km: this model gives ≈ 1.4 kWh/km at 35 °C and overestimates that extreme cold
//!   case (≈ 1.9 kWh/km), as many cold-climate buses heat partly with fuel-fired heaters;
//! - heat pump COP ≈ 3 at 7 °C, ≈ 2.3 at 0 °C, ≈ 1.6 at −10 °C, falling to 1 (resistive back-up) at
//!   −20 °C, as reported for R134a/R744 EV heat pumps.

use crate::curve::Curve;
use crate::vehicle::{Hvac, Vehicle, VehicleClass};

/// Ambient temperature below which the cabin is heated (°C).
pub const HEATING_BELOW_C: f64 = 18.0;
/// Ambient temperature above which the cabin is cooled (°C).
pub const COOLING_ABOVE_C: f64 = 24.0;
/// Coefficient of performance of vapour-compression A/C (ESTIMATE, typical 2–3).
pub const COOLING_COP: f64 = 2.5;

/// Size coefficients of one class at its typical length (ESTIMATES, see module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HvacSize {
    /// Heating thermal conductance incl. ventilation and door openings (kW per K below 18 °C).
    pub heat_kw_per_k: f64,
    /// Cooling thermal load incl. solar and passengers (kW per K above 24 °C).
    pub cool_kw_per_k: f64,
    /// Largest heating power the unit delivers (kW thermal).
    pub heat_max_kw: f64,
    /// Largest cooling power (kW thermal).
    pub cool_max_kw: f64,
}

impl HvacSize {
    /// The class's HVAC at its typical length.
    pub fn of_class(class: VehicleClass) -> Self {
        let (h, c, hm, cm) = match class {
            VehicleClass::Car => (0.15, 0.30, 6.0, 6.0),
            VehicleClass::VanLcv => (0.22, 0.40, 8.0, 8.0),
            VehicleClass::CityBus12m => (0.45, 2.20, 20.0, 35.0),
            VehicleClass::ArticulatedBus18m => (0.65, 3.20, 30.0, 50.0),
            VehicleClass::Class8Tractor => (0.18, 0.35, 6.0, 6.0),
        };
        Self {
            heat_kw_per_k: h,
            cool_kw_per_k: c,
            heat_max_kw: hm,
            cool_max_kw: cm,
        }
    }

    /// Scaled to a vehicle: linear in length relative to the class's typical length (envelope area and
    /// door count grow with length at a fixed cross-section).
    pub fn of_vehicle(v: &Vehicle) -> Self {
        let base = Self::of_class(v.class);
        let typical = v.class.typical_length_m();
        let k = if v.length_m.is_finite() && v.length_m > 0.0 {
            (v.length_m / typical).clamp(0.3, 3.0)
        } else {
            1.0
        };
        Self {
            heat_kw_per_k: base.heat_kw_per_k * k,
            cool_kw_per_k: base.cool_kw_per_k * k,
            heat_max_kw: base.heat_max_kw * k,
            cool_max_kw: base.cool_max_kw * k,
        }
    }
}

/// Heat-pump heating COP vs ambient (ESTIMATE, see module docs); 1.0 (resistive back-up) at and below −20 °C.
pub fn heat_pump_cop(ambient_c: f64) -> f64 {
    let pts = [
        (-20.0, 1.0),
        (-10.0, 1.6),
        (0.0, 2.3),
        (7.0, 3.0),
        (15.0, 3.5),
    ];
    Curve::new(pts.to_vec())
        .map(|c| c.at(ambient_c))
        .unwrap_or(1.0)
}

/// Thermal heating demand (kW) at `ambient_c`, capped at the unit's size.
pub fn heating_load_kw(size: &HvacSize, ambient_c: f64) -> f64 {
    (size.heat_kw_per_k * (HEATING_BELOW_C - ambient_c)).clamp(0.0, size.heat_max_kw)
}

/// Thermal cooling demand (kW) at `ambient_c`, capped at the unit's size.
pub fn cooling_load_kw(size: &HvacSize, ambient_c: f64) -> f64 {
    (size.cool_kw_per_k * (ambient_c - COOLING_ABOVE_C)).clamp(0.0, size.cool_max_kw)
}

/// Electrical HVAC power (kW) drawn at the battery terminals at `ambient_c`.
pub fn power_kw(vehicle: &Vehicle, ambient_c: f64) -> f64 {
    let size = HvacSize::of_vehicle(vehicle);
    match &vehicle.hvac {
        Hvac::None => 0.0,
        Hvac::Resistive => {
            heating_load_kw(&size, ambient_c) + cooling_load_kw(&size, ambient_c) / COOLING_COP
        }
        Hvac::HeatPump => {
            heating_load_kw(&size, ambient_c) / heat_pump_cop(ambient_c)
                + cooling_load_kw(&size, ambient_c) / COOLING_COP
        }
        Hvac::Table(c) => c.at(ambient_c).max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn car() -> Vehicle {
        Vehicle::class_default(VehicleClass::Car)
    }
    fn bus() -> Vehicle {
        Vehicle::class_default(VehicleClass::CityBus12m)
    }

    #[test]
    fn mild_weather_needs_no_hvac_beyond_aux() {
        for t in [18.0, 20.0, 22.0, 24.0] {
            assert_eq!(power_kw(&car(), t), 0.0);
            assert_eq!(power_kw(&bus(), t), 0.0);
        }
    }

    #[test]
    fn heating_magnitudes_match_published_orders() {
        // car PTC heating at −10 °C: 3–5 kW; 12 m bus: 10–15 kW
        let c = power_kw(&car(), -10.0);
        let b = power_kw(&bus(), -10.0);
        assert!((3.0..=5.0).contains(&c), "{c}");
        assert!((10.0..=15.0).contains(&b), "{b}");
        // A/C at 35 °C: car 1–2 kW, bus 8–12 kW electrical
        let c = power_kw(&car(), 35.0);
        let b = power_kw(&bus(), 35.0);
        assert!((1.0..=2.0).contains(&c), "{c}");
        assert!((8.0..=12.0).contains(&b), "{b}");
    }

    #[test]
    fn heat_pump_draws_less_than_resistive_and_never_more() {
        let mut hp = car();
        hp.hvac = Hvac::HeatPump;
        for t in [-30.0, -20.0, -10.0, 0.0, 10.0, 30.0] {
            assert!(power_kw(&hp, t) <= power_kw(&car(), t) + 1e-12);
        }
        assert!(power_kw(&hp, 0.0) < 0.6 * power_kw(&car(), 0.0));
    }

    #[test]
    fn colder_never_lowers_heating_and_longer_buses_draw_more() {
        let mut prev = 0.0;
        for i in 0..60 {
            let t = 18.0 - i as f64;
            let p = power_kw(&bus(), t);
            assert!(p >= prev);
            prev = p;
        }
        let mut art = bus();
        art.length_m = 18.0;
        assert!(power_kw(&art, -10.0) > power_kw(&bus(), -10.0));
    }
}
