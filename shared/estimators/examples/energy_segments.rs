//! Training data for the `energy_rate` model: drive segments simulated by the twin's time-step
//! road-load model (`twin_model::energy::simulate`), as RouteE trains on simulated energy over traces.
//!
//!     cargo run --release -p twin-estimators --example energy_segments -- ml/data/energy_segments.csv [SEED] [N_SYNTH]
//!
//! Vehicle: the catalogue's 12 m city-bus class defaults (`Vehicle::class_default(CityBus12m)`), mass
//! varied through payload. Rows:
//! - `synth`: stop-and-go cycles (`cycle::StopAndGo`) at random average speed and stop density;
//! - `cycle:<name>`: windows and whole runs of the bundled standard cycles (training cycles also
//!   scaled in speed; see below).
//!
//! Each row gets a random constant grade, ambient temperature and payload (seeded xorshift, so the
//! file is reproducible). Features are measured on the trace the same way for every source:
//! average speed = distance / duration (dwell included), stops per km = arrivals at standstill per
//! km. Target: chemical battery energy per km driven, traction + aux + HVAC (kWh/km). Where the bus
//! cannot follow the trace (power limit) the row is kept and flagged `trace_missed`: the simulated
//! vehicle drives it as a real one would, slower on the climbs.
//! Split: synthesised segments and the UDDS, HWFET and HHDDT-cruise cycles train; WLTC 3b, NREL13
//! and US06 are held out whole (`split = heldout`).

use std::fmt::Write as _;
use std::io::Write as _;

use twin_model::cycle::{StandardCycle, StopAndGo, Trace};
use twin_model::energy::{simulate, Conditions};
use twin_model::vehicle::{Vehicle, VehicleClass};

/// Ranges the generator draws from; the card's input ranges are these.
const SPEED_KPH: (f64, f64) = (5.0, 70.0);
const GRADE_PCT: (f64, f64) = (-6.0, 6.0);
const STOPS_PER_KM: (f64, f64) = (0.0, 5.0);
const TEMP_C: (f64, f64) = (-20.0, 40.0);
const PAYLOAD_KG: (f64, f64) = (0.0, 6000.0);

struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, (lo, hi): (f64, f64)) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

struct Features {
    distance_km: f64,
    avg_speed_kph: f64,
    stops_per_km: f64,
}

fn features(t: &Trace) -> Features {
    let distance_km = t.distance_m() / 1000.0;
    let duration_s = t.duration_s();
    let v = t.speed_mps();
    let stops = v.windows(2).filter(|w| w[0] > 0.1 && w[1] <= 0.1).count();
    Features {
        distance_km,
        avg_speed_kph: distance_km / (duration_s / 3600.0),
        stops_per_km: if distance_km > 0.0 {
            stops as f64 / distance_km
        } else {
            0.0
        },
    }
}

fn with_grade(t: &Trace, grade_pct: f64) -> Result<Trace, twin_model::ModelError> {
    Trace::new(
        t.time_s().to_vec(),
        t.speed_mps().to_vec(),
        Some(vec![grade_pct / 100.0; t.len()]),
    )
}

fn window(t: &Trace, start: usize, end: usize) -> Result<Trace, twin_model::ModelError> {
    let t0 = t.time_s()[start];
    Trace::new(
        t.time_s()[start..end].iter().map(|x| x - t0).collect(),
        t.speed_mps()[start..end].to_vec(),
        None,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: energy_segments OUT.csv [SEED] [N_SYNTH]")?;
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2026);
    let n_synth: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(8000);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let base = Vehicle::class_default(VehicleClass::CityBus12m);

    let mut csv = String::from(
        "source,split,avg_speed_kph,grade_pct,stops_per_km,ambient_temp_c,mass_kg,distance_km,duration_s,energy_kwh,kwh_per_km,trace_missed\n",
    );
    let mut rows = 0usize;
    let mut emit = |csv: &mut String,
                    rng: &mut Rng,
                    source: &str,
                    split: &str,
                    t: &Trace|
     -> Result<(), Box<dyn std::error::Error>> {
        let f = features(t);
        if f.distance_km < 0.3 {
            return Ok(());
        }
        let grade = rng.uniform(GRADE_PCT);
        let temp = rng.uniform(TEMP_C);
        let mut v = base.clone();
        v.payload_kg = rng.uniform(PAYLOAD_KG);
        let r = simulate(&v, &with_grade(t, grade)?, &Conditions::at(temp))?;
        writeln!(
            csv,
            "{source},{split},{:.4},{grade:.4},{:.4},{temp:.3},{:.1},{:.5},{:.2},{:.6},{:.6},{}",
            f.avg_speed_kph,
            f.stops_per_km,
            v.total_mass_kg(),
            r.distance_km,
            r.duration_s,
            r.energy_kwh,
            r.energy_kwh / r.distance_km,
            u8::from(r.trace_missed)
        )?;
        rows += 1;
        Ok(())
    };

    // Synthesised stop-and-go segments.
    let mut made = 0;
    let mut tries = 0;
    while made < n_synth && tries < n_synth * 10 {
        tries += 1;
        let speed = rng.uniform(SPEED_KPH);
        let stops = rng.uniform(STOPS_PER_KM);
        // some segments run long with few stops, some are a single stop-to-stop hop
        let n_seg = 1 + (rng.next_f64() * 4.0) as usize;
        let Ok(trace) = StopAndGo::new(speed, stops).trace(n_seg) else {
            continue;
        };
        if trace.distance_m() > 25_000.0 {
            continue;
        }
        emit(&mut csv, &mut rng, "synth", "train", &trace)?;
        made += 1;
    }

    // Standard cycles. Training cycles: windows of 150, 300 and 600 s (100 s stride) of the trace
    // scaled in speed by 0.6-1.15 (milder and more aggressive drivers), 3 draws each. Held-out
    // cycles: 300 s windows of the trace as published (8 draws each) and whole runs (24 draws).
    for cycle in StandardCycle::ALL {
        let heldout = matches!(
            cycle,
            StandardCycle::Wltc3b | StandardCycle::Nrel13 | StandardCycle::Us06
        );
        let split = if heldout { "heldout" } else { "train" };
        let published = cycle.trace()?;
        let source = format!("cycle:{}", cycle.name());
        let (scales, lengths, draws): (&[f64], &[f64], usize) = if heldout {
            (&[1.0], &[300.0], 8)
        } else {
            (&[0.6, 0.8, 1.0, 1.15], &[150.0, 300.0, 600.0], 3)
        };
        for &k in scales {
            let trace = published.speed_scaled(k);
            let times = trace.time_s();
            for &len in lengths {
                let mut start = 0;
                while start < trace.len() {
                    let end = times
                        .iter()
                        .position(|&x| x >= times[start] + len)
                        .unwrap_or(trace.len() - 1);
                    if end <= start + 1 {
                        break;
                    }
                    let w = window(&trace, start, end + 1)?;
                    for _ in 0..draws {
                        emit(&mut csv, &mut rng, &format!("{source}:window"), split, &w)?;
                    }
                    start = times
                        .iter()
                        .position(|&x| x >= times[start] + 100.0)
                        .unwrap_or(trace.len());
                }
            }
            for _ in 0..(if heldout { 24 } else { 6 }) {
                emit(
                    &mut csv,
                    &mut rng,
                    &format!("{source}:whole"),
                    split,
                    &trace,
                )?;
            }
        }
    }
    std::fs::File::create(&out)?.write_all(csv.as_bytes())?;
    eprintln!("wrote {rows} segments ({made} synthesised) to {out}");
    Ok(())
}
