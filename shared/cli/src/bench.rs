//! `twin bench <what>`: throughput figures, measured in-process with wall clocks (benchmarks only;
//! tests never assert time). Run from a release build: `cargo run --release -p twin -- bench all`.

use std::hint::black_box;
use std::time::{Duration, Instant};
use twin_api::{Capability, Ctx, Deps, Door};

/// Arguments.
#[derive(clap::Args)]
pub struct Args {
    /// What to measure: time_to_charge | range_remaining | trip_planning | all, or sweep (a depot
    /// sizing sweep: 20 grid limits × 10 charger counts of the scaled depot; not part of `all`).
    #[arg(default_value = "all")]
    pub what: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// sweep: buses of the scaled depot (../shared/reference/README.md).
    #[arg(long, default_value_t = 100)]
    pub buses: usize,
    /// sweep: days.
    #[arg(long, default_value_t = 7)]
    pub days: usize,
    /// sweep: simulation step (s); 900 as SpiceEV's scaled runs.
    #[arg(long, default_value_t = 900)]
    pub step_s: u32,
    /// sweep: worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
}

const TTC_BASIC: &str = r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 20, "target_soc_pct": 90,
  "charger": {"kind": "dc", "max_power_kw": 150}, "ambient_temp_c": 5}"#;

/// The basic requests of events/ (what `twin invoke <fn> events/<fn>/basic.json` runs).
const RANGE_BASIC: &str = include_str!("../../../events/range_remaining/requests/basic.json");
const TRIPS_BASIC: &str = include_str!("../../../events/trip_planning/requests/basic.json");

/// Runs the benchmarks and prints a JSON summary.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.what == "sweep" {
        return bench_sweep(&args);
    }
    let budget = Duration::from_secs_f64(args.seconds.clamp(0.1, 600.0));
    let mut out = serde_json::Map::new();
    let cases = [
        (Capability::TimeToCharge, TTC_BASIC),
        (Capability::RangeRemaining, RANGE_BASIC),
        (Capability::TripPlanning, TRIPS_BASIC),
    ];
    let t0 = Instant::now();
    let deps = Deps::default();
    out.insert(
        "deps_init_ms".into(),
        serde_json::json!((t0.elapsed().as_secs_f64() * 1e4).round() / 10.0),
    );
    for (cap, body) in cases {
        if args.what == cap.name() || args.what == "all" {
            out.insert(cap.name().into(), bench_handler(&deps, cap, body, budget)?);
        }
    }
    if out.len() == 1 {
        anyhow::bail!("unknown benchmark `{}`", args.what);
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}

/// A 200-variant sizing sweep of the scaled depot (grid limit 25 %–100 % of 60 kW per bus in 20 steps ×
/// 10–100 % of one charger per bus in 10 steps), run as `twin invoke` runs sweeps: every variant on the
/// worker threads, a progress bar on stderr. Reports wall time, variants/s and vehicle-steps/s.
fn bench_sweep(args: &Args) -> anyhow::Result<u8> {
    let buses = args.buses.max(1);
    let mut req =
        twin_api::depot_simulation::scaled_depot_request(buses, args.days.max(1), args.step_s);
    let full = 60.0 * buses as f64;
    let limits: Vec<f64> = (1..=20)
        .map(|k| (full * (0.25 + 0.75 * f64::from(k - 1) / 19.0)).round())
        .collect();
    let counts: Vec<usize> = (1..=10).map(|k| (buses * k).div_ceil(10)).collect();
    req["sweep"] = serde_json::json!({"grid_limit_kw": limits, "chargers": counts});
    let req: twin_api::depot_simulation::DepotSimulationRequest = serde_json::from_value(req)?;
    let spec = req.sweep.clone().unwrap_or_default();
    let threads = args
        .threads
        .unwrap_or_else(twin_api::sweep::default_threads);
    let t0 = Instant::now();
    let variants = twin_api::sweep::expand(&req, &spec).map_err(|e| anyhow::anyhow!("{e}"))?;
    let expand_s = t0.elapsed().as_secs_f64();
    let table = twin_api::sweep::run_all(&variants, threads, &crate::invoke::progress_bar);
    let wall = t0.elapsed().as_secs_f64();
    eprintln!();
    let result = twin_api::sweep::summarise(table);
    let steps: u64 = variants
        .iter()
        .map(|v| {
            let h = u64::try_from(v.input.end_s - v.input.start_s).unwrap_or(0);
            (v.input.fleet.len() as u64) * h.div_ceil(u64::try_from(v.input.step_s).unwrap_or(1))
        })
        .sum();
    let out = serde_json::json!({"sweep": {
        "buses": buses, "days": args.days, "step_s": args.step_s, "threads": threads,
        "variants": result.variants, "ready_variants": result.ready_variants,
        "wall_s": (wall * 1000.0).round() / 1000.0,
        "expand_s": (expand_s * 1000.0).round() / 1000.0,
        "variants_per_s": (result.variants as f64 / wall * 10.0).round() / 10.0,
        "vehicle_steps_per_s": (steps as f64 / wall).round(),
        "cheapest_ready": result.cheapest_ready,
    }});
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}

/// Requests per second through the full handler (parse, validate, model, serialise), single thread,
/// and the latency distribution of warm calls.
fn bench_handler(
    deps: &Deps,
    cap: Capability,
    body: &str,
    budget: Duration,
) -> anyhow::Result<serde_json::Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ctx = Ctx::new(Door::Cli);
    // Warm up once (catalogue parse, allocator).
    rt.block_on(twin_api::handle(deps, &ctx, cap, body.as_bytes()))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut lat = Vec::new();
    let start = Instant::now();
    while start.elapsed() < budget {
        let t = Instant::now();
        let r = rt.block_on(twin_api::handle(
            deps,
            &ctx,
            cap,
            black_box(body.as_bytes()),
        ));
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        black_box(r.ok());
    }
    let total = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    Ok(serde_json::json!({
        "requests": lat.len(),
        "requests_per_s": (lat.len() as f64 / total).round(),
        "latency_us_p50": (pct(0.5) * 10.0).round() / 10.0,
        "latency_us_p99": (pct(0.99) * 10.0).round() / 10.0,
    }))
}
