//! The planner's energy source in service: the road-load model of [`crate::energy`].
//!
//! ```text
//!   trip (km, s, stops/km, climb/descent, duty cycle?) ──energy::trip_energy(T)──► chemical kWh
//!   parked: (aux + HVAC(T)) ÷ η_batt ──► chemical kW
//! ```

use super::plan::{Trip, TripEnergy};
use crate::energy::{default_stops_per_km, trip_energy, Conditions, TripSpec};
use crate::error::ModelError;
use crate::hvac;
use crate::vehicle::Vehicle;

/// Trip energy from [`crate::energy::trip_energy`]: traction per km from the trip's duty cycle, or a
/// stop-and-go cycle at its scheduled average speed and stop density (the vehicle class's typical
/// density when the trip gives none), plus climb and descent, plus aux and HVAC for its duration.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RoadLoadEnergy {
    /// Site altitude (m): air density.
    pub elevation_m: f64,
}

impl TripEnergy for RoadLoadEnergy {
    fn trip_energy_kwh(
        &self,
        vehicle: &Vehicle,
        trip: &Trip,
        ambient_c: f64,
    ) -> Result<f64, ModelError> {
        let spec = TripSpec {
            distance_km: trip.distance_km,
            duration_s: trip.duration_s(),
            stops_per_km: trip
                .stops_per_km
                .unwrap_or_else(|| default_stops_per_km(vehicle.class)),
            duty_cycle: trip.duty_cycle.clone(),
            elevation_gain_m: trip.elevation_gain_m,
            elevation_loss_m: trip.elevation_loss_m,
        };
        let cond = Conditions {
            elevation_m: self.elevation_m,
            ..Conditions::at(ambient_c)
        };
        let e = match trip.payload_kg {
            Some(p) if p != vehicle.payload_kg => {
                let mut v = vehicle.clone();
                v.payload_kg = p;
                trip_energy(&v, &spec, &cond)?
            }
            _ => trip_energy(vehicle, &spec, &cond)?,
        };
        Ok(e.energy_kwh)
    }

    fn idle_power_kw(&self, vehicle: &Vehicle, ambient_c: f64) -> Result<f64, ModelError> {
        Ok((vehicle.aux_kw + hvac::power_kw(vehicle, ambient_c)) / vehicle.battery.efficiency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trip::plan::{plan_block, Ambient, PlanOptions};
    use crate::vehicle::lookup;

    fn bus_trip(i: usize) -> Trip {
        // 12 km in 40 min (18 km/h), 2.5 stops/km: a typical urban bus trip; 10 min layovers.
        let dep = i as f64 * 50.0 * 60.0;
        Trip {
            id: format!("t{i}"),
            depart_s: dep,
            arrive_s: dep + 2400.0,
            distance_km: 12.0,
            stops_per_km: Some(2.5),
            ..Trip::default()
        }
    }

    #[test]
    fn a_12m_bus_uses_what_buses_use_in_service() {
        // GIVEN the Yutong E12 on urban trips at a mild 20 °C; THEN 0.7–1.4 kWh/km (in-service 12 m
        // e-buses: 0.8–1.4 kWh/km, ../shared/reference/README.md), and more at −10 °C (heating).
        let v = &lookup("yutong_e12").unwrap().vehicle;
        let trips: Vec<Trip> = (0..10).map(bus_trip).collect();
        let mild = plan_block(
            v,
            &trips,
            &PlanOptions::new(100.0, 10.0, Ambient::Constant(20.0)),
            &RoadLoadEnergy::default(),
        )
        .unwrap();
        let per_km = mild.trip_energy_kwh / mild.distance_km;
        assert!(per_km > 0.7 && per_km < 1.4, "{per_km} kWh/km");
        let cold = plan_block(
            v,
            &trips,
            &PlanOptions::new(100.0, 10.0, Ambient::Constant(-10.0)),
            &RoadLoadEnergy::default(),
        )
        .unwrap();
        assert!(
            cold.energy_kwh > mild.energy_kwh * 1.15,
            "{} vs {}",
            cold.energy_kwh,
            mild.energy_kwh
        );
        // Parked with the heating on costs energy too: layovers draw more in the cold.
        assert!(cold.layover_energy_kwh > mild.layover_energy_kwh);
    }

    #[test]
    fn heavier_payload_and_climbing_cost_more() {
        let v = &lookup("yutong_e12").unwrap().vehicle;
        let e = RoadLoadEnergy::default();
        let base = e.trip_energy_kwh(v, &bus_trip(0), 20.0).unwrap();
        let loaded = Trip {
            payload_kg: Some(v.payload_kg + 3000.0),
            ..bus_trip(0)
        };
        assert!(e.trip_energy_kwh(v, &loaded, 20.0).unwrap() > base);
        let hilly = Trip {
            elevation_gain_m: 100.0,
            elevation_loss_m: 0.0,
            ..bus_trip(0)
        };
        // m g h / efficiencies: 15 t · 9.8 · 100 m ≈ 4.1 kWh at the wheel, more from the battery.
        let extra = e.trip_energy_kwh(v, &hilly, 20.0).unwrap() - base;
        assert!(extra > 4.0 && extra < 6.0, "{extra}");
    }
}
