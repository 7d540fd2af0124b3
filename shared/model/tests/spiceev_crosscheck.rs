//! Cross-check against SpiceEV 1.1.0 on the reference 10-bus overnight depot
//! (`../shared/reference/spiceev`, rl-institut/spice_ev @2d96cf7, MIT; outputs are data).
//! The scenario is imported with SpiceEV's rules (events rounded up to the step, vehicle-id order,
//! price of the step start) and run at its 15-min step. The files must be there: a missing reference
//! fails the test rather than skipping it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use twin_model::depot::{self, spiceev, Strategy};

fn reference() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/spiceev")
}

fn read(rel: &str) -> String {
    let p = reference().join(rel);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("reference file {} is missing: {e}", p.display()))
}

fn summary(strategy: &str) -> serde_json::Value {
    serde_json::from_str(&read(&format!(
        "outputs/10bus_1day_{strategy}/summary.json"
    )))
    .unwrap()
}

fn run(strategy: Strategy) -> depot::DepotResult {
    let sc = spiceev::parse(&read("scenario_10bus_1day.json")).unwrap();
    let csv = read(sc.price_csv_file.as_deref().unwrap());
    let input = sc.to_input(Some(&csv), strategy).unwrap();
    depot::simulate(&input).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn uncontrolled_matches_spiceev_greedy() {
    let r = run(Strategy::Uncontrolled);
    let s = summary("greedy");
    let grid = s["grid_energy_kwh"].as_f64().unwrap();
    let peak = s["peak_kw"].as_f64().unwrap();
    let cost = s["energy_cost_eur"].as_f64().unwrap();
    let m = &r.summary;
    eprintln!("uncontrolled: grid {:.3} kWh (SpiceEV {grid}), peak {:.3} kW ({peak}), cost {:.3} ({cost})", m.energy_from_grid_kwh, m.peak_kw, m.energy_cost);
    assert!(
        rel(m.energy_from_grid_kwh, grid) < 0.005,
        "grid {} vs {grid}",
        m.energy_from_grid_kwh
    );
    assert!(rel(m.peak_kw, peak) < 0.01, "peak {} vs {peak}", m.peak_kw);
    assert!(
        rel(m.energy_cost, cost) < 0.01,
        "cost {} vs {cost}",
        m.energy_cost
    );
    assert_eq!(m.departures, s["n_departures"].as_u64().unwrap() as usize);
    assert_eq!(
        m.departures_short,
        s["n_departures_below_desired"].as_u64().unwrap() as usize
    );
    // Conservation: lossless chargers, so grid = batteries / 0.95.
    assert!(
        (m.energy_from_grid_kwh - m.energy_to_batteries_kwh / 0.95).abs()
            < 1e-6 * m.energy_from_grid_kwh
    );
}

#[test]
fn balanced_meets_every_departure_with_spiceevs_peak() {
    let r = run(Strategy::Balanced);
    let s = summary("balanced");
    let peak = s["peak_kw"].as_f64().unwrap();
    eprintln!(
        "balanced: peak {:.3} kW (SpiceEV {peak}), cost {:.3}, short {}",
        r.summary.peak_kw, r.summary.total_cost, r.summary.departures_short
    );
    assert_eq!(r.summary.departures, 10);
    assert_eq!(r.summary.departures_short, 0, "{:?}", r.vehicles);
    assert!(
        rel(r.summary.peak_kw, peak) < 0.03,
        "peak {} vs SpiceEV balanced {peak}",
        r.summary.peak_kw
    );
}

#[test]
fn optimal_fills_every_bus_at_no_more_than_any_other_cost() {
    let opt = run(Strategy::Optimal);
    assert_eq!(opt.summary.departures, 10);
    assert_eq!(opt.summary.departures_short, 0, "{:?}", opt.vehicles);
    assert!(opt.summary.min_departure_soc_pct.unwrap() > 100.0 - 1e-3);
    let mut best = f64::INFINITY;
    for st in [
        Strategy::Uncontrolled,
        Strategy::Balanced,
        Strategy::LeastLaxity,
    ] {
        best = best.min(run(st).summary.total_cost);
    }
    for s in ["greedy", "balanced", "peak_shaving"] {
        best = best.min(summary(s)["energy_cost_eur"].as_f64().unwrap());
    }
    eprintln!(
        "optimal: cost {:.3}, peak {:.3}, best other {best:.3}, {:?}",
        opt.summary.total_cost, opt.summary.peak_kw, opt.optimal
    );
    assert!(
        opt.summary.total_cost <= best + 1e-6,
        "optimal {} vs best other {best}",
        opt.summary.total_cost
    );
}
