//! Depot engine throughput on SpiceEV's scaled pattern (`../shared/reference/README.md`).
//!
//! `cargo bench -p twin-model --bench depot [-- CASE]`, CASE one of `year15` (100 buses × 365 days at
//! 15 min, uncontrolled and balanced), `year1` (the same at 1 min), `optimal` (100 buses × 7 days at
//! 15 min), `all` (default). Vehicle-steps count buses × steps, as SpiceEV's figures do (3.5 M for the
//! 15-min year). SpiceEV 1.1.0 on this machine kind: 71.5 s greedy, 59.8 s balanced for the 15-min
//! year (≈ 20 µs per vehicle-step). Peak memory: run the bench binary under `/usr/bin/time -v`.

use std::hint::black_box;
use std::time::Instant;
use twin_model::depot::scenario::scaled_depot_scenario;
use twin_model::depot::{simulate, Record, Strategy};

fn case(
    label: &str,
    n: usize,
    days: usize,
    step_s: i64,
    strategy: Strategy,
    record: Record,
    spiceev_s: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut d = scaled_depot_scenario(n, days, step_s);
    d.strategy = strategy;
    d.record = record;
    let t = Instant::now();
    let r = black_box(simulate(black_box(&d))?);
    let s = t.elapsed().as_secs_f64();
    let vs = (n * r.summary.steps) as f64;
    let vs_plugged = r.summary.vehicle_steps as f64;
    print!(
        "{label}: {n} buses × {days} d at {step_s} s, {strategy:?}, {record:?}: {s:.3} s, {vs:.0} vehicle-steps → {:.2} M vehicle-steps/s ({:.1} ns each; {:.0} plugged vehicle-steps computed), grid {:.0} kWh, peak {:.0} kW, cost {:.0}, short departures {}/{}",
        vs / s / 1e6,
        s / vs * 1e9,
        vs_plugged,
        r.summary.energy_from_grid_kwh,
        r.summary.peak_kw,
        r.summary.total_cost,
        r.summary.departures_short,
        r.summary.departures
    );
    if let Some(sp) = spiceev_s {
        print!(", SpiceEV {sp:.1} s → {:.0}× faster", sp / s);
    }
    if let Some(o) = &r.optimal {
        print!(
            ", LP {} variables, {} constraints",
            o.variables, o.constraints
        );
    }
    println!();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "all".into());
    let all = which == "all";
    if all || which == "year15" {
        case(
            "year15",
            100,
            365,
            900,
            Strategy::Uncontrolled,
            Record::Summary,
            Some(71.5),
        )?;
        case(
            "year15",
            100,
            365,
            900,
            Strategy::Balanced,
            Record::Summary,
            Some(59.8),
        )?;
        case(
            "year15",
            100,
            365,
            900,
            Strategy::LeastLaxity,
            Record::Summary,
            None,
        )?;
        case(
            "year15",
            100,
            365,
            900,
            Strategy::Uncontrolled,
            Record::Full,
            Some(71.5),
        )?;
    }
    if all || which == "year1" {
        // SpiceEV's cost grows with the step count: 15× the steps ≈ 15 × 71.5 s.
        case(
            "year1",
            100,
            365,
            60,
            Strategy::Uncontrolled,
            Record::Summary,
            Some(71.5 * 15.0),
        )?;
        case(
            "year1",
            100,
            365,
            60,
            Strategy::Balanced,
            Record::Summary,
            Some(59.8 * 15.0),
        )?;
    }
    if all || which == "optimal" {
        case(
            "optimal",
            100,
            7,
            900,
            Strategy::Optimal,
            Record::Full,
            None,
        )?;
        // The LP plans in 15-min blocks; the replay runs at 1 min.
        case("optimal", 100, 7, 60, Strategy::Optimal, Record::Full, None)?;
        case(
            "week15",
            100,
            7,
            900,
            Strategy::Uncontrolled,
            Record::Full,
            Some(0.8),
        )?;
    }
    Ok(())
}
