//! `twin bench <what>`: throughput figures, measured in-process with wall clocks (benchmarks only;
//! tests never assert time). Run from a release build: `cargo run --release -p twin -- bench all`.

use std::hint::black_box;
use std::time::{Duration, Instant};
use twin_api::{Capability, Ctx, Deps, Door};

/// Arguments.
#[derive(clap::Args)]
pub struct Args {
    /// What to measure: time_to_charge | range_remaining | trip_planning | all.
    #[arg(default_value = "all")]
    pub what: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
}

const TTC_BASIC: &str = r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 20, "target_soc_pct": 90,
  "charger": {"kind": "dc", "max_power_kw": 150}, "ambient_temp_c": 5}"#;

/// The basic requests of events/ (what `twin invoke <fn> events/<fn>/basic.json` runs).
const RANGE_BASIC: &str = include_str!("../../../events/range_remaining/requests/basic.json");
const TRIPS_BASIC: &str = include_str!("../../../events/trip_planning/requests/basic.json");

/// Runs the benchmarks and prints a JSON summary.
pub fn run(args: Args) -> anyhow::Result<u8> {
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
