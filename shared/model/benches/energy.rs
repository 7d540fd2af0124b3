//! Throughput of the energy model (benches may use clocks; the model never does).
//!
//! `cargo bench -p twin-model --bench energy` prints simulated steps per second on one UDDS pass
//! (FASTSim 3.1.0 through its Python API: ≈ 35 µs per step, ≈ 28,600 steps/s on a 2-vCPU machine)
//! and model-level range estimates per second (7 UDDS passes each: base + HVAC, payload, style spreads).

use std::hint::black_box;
use std::time::Instant;
use twin_model::cycle::{StandardCycle, StopAndGo};
use twin_model::energy::range::{range_remaining, RangeInput, RangeUncertainty};
use twin_model::energy::{simulate, Conditions};
use twin_model::vehicle::lookup;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let car = lookup("tesla_model3_lr_2021")?.vehicle.clone();
    let bus = lookup("yutong_e12")?.vehicle.clone();
    let udds = StandardCycle::Udds.trace()?;
    let cond = Conditions::at(20.0);

    // warm-up, then time whole passes for ≈ 2 s
    for _ in 0..200 {
        black_box(simulate(&car, udds, &cond)?);
    }
    let steps_per_pass = udds.len() - 1;
    let start = Instant::now();
    let mut passes = 0u64;
    while start.elapsed().as_secs_f64() < 2.0 {
        for _ in 0..100 {
            black_box(simulate(
                black_box(&car),
                black_box(udds),
                black_box(&cond),
            )?);
        }
        passes += 100;
    }
    let s = start.elapsed().as_secs_f64();
    let steps = passes as f64 * steps_per_pass as f64;
    println!(
        "udds pass: {passes} passes × {steps_per_pass} steps in {s:.3} s → {:.0} steps/s, {:.1} ns/step, {:.1} µs/pass (FASTSim ≈ 35 µs/step: {:.0}× fewer)",
        steps / s,
        s / steps * 1e9,
        s / passes as f64 * 1e6,
        35e-6 / (s / steps)
    );

    let town = StopAndGo::new(18.0, 2.5).trace_covering(5000.0)?;
    for (label, v, trace) in [
        ("car, udds", &car, udds),
        ("12 m bus, stop-and-go 18 km/h", &bus, &town),
    ] {
        let input = RangeInput {
            vehicle: v,
            payload_stated: false,
            soc_pct: 80.0,
            reserve_soc_pct: 10.0,
            battery_temp_c: None,
            conditions: Conditions::at(-5.0),
            trace,
            uncertainty: RangeUncertainty::default(),
        };
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < 1.0 {
            for _ in 0..20 {
                black_box(range_remaining(black_box(&input))?);
            }
            n += 20;
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "range_remaining (model, {label}): {:.0} estimates/s, {:.1} µs each",
            n as f64 / s,
            s / n as f64 * 1e6
        );
    }
    Ok(())
}
