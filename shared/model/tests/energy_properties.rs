//! Property tests of the energy model: invariants that must hold for any vehicle, cycle and weather.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test file

use proptest::prelude::*;
use twin_model::cycle::{StandardCycle, StopAndGo, Trace};
use twin_model::energy::range::{range_remaining, RangeInput, RangeUncertainty};
use twin_model::energy::{simulate, Conditions};
use twin_model::hvac;
use twin_model::vehicle::{Hvac, Vehicle, VehicleClass};

const CLASSES: [VehicleClass; 5] = [
    VehicleClass::Car,
    VehicleClass::VanLcv,
    VehicleClass::CityBus12m,
    VehicleClass::ArticulatedBus18m,
    VehicleClass::Class8Tractor,
];

fn vehicle(class_i: usize, payload_kg: f64, cd: f64, hvac_i: usize) -> Vehicle {
    let mut v = Vehicle::class_default(CLASSES[class_i % CLASSES.len()]);
    v.payload_kg = payload_kg;
    v.drag_coefficient = cd;
    v.hvac = [Hvac::None, Hvac::Resistive, Hvac::HeatPump][hvac_i % 3].clone();
    v
}

/// Flat cycles only: on a net descent more mass *does* lower consumption (it is physics, not a bug).
fn cycle(i: usize, avg_kph: f64, stops: f64) -> Trace {
    if i < StandardCycle::ALL.len() {
        StandardCycle::ALL[i].trace().unwrap().clone()
    } else {
        StopAndGo::new(avg_kph, stops).trace(4).unwrap()
    }
}

fn per_km(v: &Vehicle, t: &Trace, temp_c: f64) -> (f64, bool) {
    let r = simulate(v, t, &Conditions::at(temp_c)).unwrap();
    (r.kwh_per_km().unwrap(), r.trace_missed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn energy_terms_add_up_to_the_total(
        class_i in 0usize..5, payload in 0.0..3000.0f64, cd in 0.2..0.9f64, hvac_i in 0usize..3,
        cyc in 0usize..8, avg in 10.0..30.0f64, stops in 0.5..2.5f64, temp in -30.0..40.0f64,
        elev in 0.0..3000.0f64,
    ) {
        let v = vehicle(class_i, payload, cd, hvac_i);
        let t = cycle(cyc, avg, stops);
        let r = simulate(&v, &t, &Conditions { ambient_temp_c: temp, elevation_m: elev, hvac_kw: None }).unwrap();
        let tol = 1e-9 * r.energy_kwh.abs().max(1.0);
        prop_assert!((r.terms_sum_kwh() - r.energy_kwh).abs() < tol, "{:?}", r);
        prop_assert!((r.tractive_pos_kwh - r.tractive_neg_kwh - r.wheel_net_kwh()).abs() < tol);
        prop_assert!((r.energy_terminal_kwh + r.battery_loss_kwh - r.energy_kwh).abs() < tol);
        prop_assert!(r.drivetrain_loss_kwh >= 0.0 && r.battery_loss_kwh >= 0.0 && r.friction_brake_kwh >= -1e-12);
    }

    #[test]
    fn more_payload_never_lowers_consumption(
        class_i in 0usize..5, payload in 0.0..3000.0f64, extra in 1.0..5000.0f64,
        cyc in 0usize..8, avg in 10.0..30.0f64, stops in 0.5..2.5f64, temp in -20.0..35.0f64,
    ) {
        let t = cycle(cyc, avg, stops);
        let (light, m1) = per_km(&vehicle(class_i, payload, 0.5, 1), &t, temp);
        let (heavy, m2) = per_km(&vehicle(class_i, payload + extra, 0.5, 1), &t, temp);
        // A vehicle that cannot follow the trace drives a different (slower) cycle: not comparable.
        prop_assume!(!m1 && !m2);
        prop_assert!(heavy >= light * (1.0 - 1e-12), "{heavy} < {light}");
    }

    #[test]
    fn more_drag_never_lowers_consumption(
        class_i in 0usize..5, cd in 0.2..0.8f64, extra in 0.01..0.5f64,
        cyc in 0usize..8, avg in 10.0..30.0f64, stops in 0.5..2.5f64, temp in -20.0..35.0f64,
    ) {
        let t = cycle(cyc, avg, stops);
        let (lo, m1) = per_km(&vehicle(class_i, 500.0, cd, 1), &t, temp);
        let (hi, m2) = per_km(&vehicle(class_i, 500.0, cd + extra, 1), &t, temp);
        prop_assume!(!m1 && !m2);
        prop_assert!(hi >= lo * (1.0 - 1e-12), "{hi} < {lo}");
    }

    #[test]
    fn colder_weather_below_the_setpoint_never_lowers_consumption(
        class_i in 0usize..5, hvac_i in 0usize..3, t_warm in -30.0..18.0f64, drop in 0.1..30.0f64,
        cyc in 0usize..8, avg in 10.0..30.0f64, stops in 0.5..2.5f64,
    ) {
        let v = vehicle(class_i, 500.0, 0.5, hvac_i);
        let t = cycle(cyc, avg, stops);
        let (warm, m1) = per_km(&v, &t, t_warm);
        let (cold, m2) = per_km(&v, &t, t_warm - drop);
        prop_assume!(!m1 && !m2);
        prop_assert!(cold >= warm * (1.0 - 1e-12), "{cold} < {warm}");
    }

    #[test]
    fn range_is_monotone_in_soc(
        class_i in 0usize..5, soc in 0.0..99.0f64, more in 0.01..50.0f64, temp in -20.0..35.0f64,
        reserve in 0.0..30.0f64,
    ) {
        let v = vehicle(class_i, 500.0, 0.5, 1);
        let t = StandardCycle::Udds.trace().unwrap();
        let at = |s: f64| range_remaining(&RangeInput {
            vehicle: &v, payload_stated: false, soc_pct: s, reserve_soc_pct: reserve, battery_temp_c: None,
            conditions: Conditions::at(temp), trace: t, uncertainty: RangeUncertainty::default(),
        }).unwrap();
        let (a, b) = (at(soc), at((soc + more).min(100.0)));
        prop_assert!(b.range_km >= a.range_km && b.range_km_p10 >= a.range_km_p10 && b.range_km_p90 >= a.range_km_p90);
        prop_assert!(a.range_km_p10 <= a.range_km && a.range_km <= a.range_km_p90);
    }

    #[test]
    fn an_hour_at_zero_speed_costs_exactly_aux_and_hvac(
        class_i in 0usize..5, hvac_i in 0usize..3, temp in -30.0..45.0f64, aux in 0.0..10.0f64,
        steps in 1usize..400,
    ) {
        let mut v = vehicle(class_i, 500.0, 0.5, hvac_i);
        v.aux_kw = aux;
        // any (non-uniform) split of the hour
        let times: Vec<f64> = (0..=steps).map(|i| 3600.0 * ((i as f64) / steps as f64).powf(1.3)).collect();
        let t = Trace::new(times, vec![0.0; steps + 1], None).unwrap();
        let r = simulate(&v, &t, &Conditions::at(temp)).unwrap();
        let kw = aux + hvac::power_kw(&v, temp);
        prop_assert!((r.energy_terminal_kwh - kw).abs() < 1e-9 * kw.max(1.0));
        prop_assert!((r.aux_kwh + r.hvac_kwh - kw).abs() < 1e-9 * kw.max(1.0));
        prop_assert!((r.energy_kwh - kw / v.battery.efficiency).abs() < 1e-9 * kw.max(1.0));
        prop_assert_eq!(r.distance_km, 0.0);
    }
}
