//! Depot sizing sweeps: `sweep: {"grid_limit_kw": [...], "chargers": [...]}` in a depot request expands
//! into the Cartesian product of variants of the base scenario; each runs the engine (summary only), and
//! the answer is a table of variants (readiness, peak, cost) with the cheapest variant that keeps every
//! departure.
//!
//! ```text
//! request ─to_input─▶ base DepotInput ─┬─ grid_limit_kw[0] × chargers[0] ─▶ simulate ─▶ row 0 ─┐
//!                                      ├─ ...                                               ├─▶ table + cheapest_ready
//!                                      └─ grid_limit_kw[g] × chargers[c] ─▶ simulate ─▶ row n ─┘
//!          (n worker threads take the next variant from a shared counter; progress after each)
//! ```
//!
//! `chargers: [n, ...]` is a number of chargers: variant n uses `depot.chargers` in order, cycling
//! through the list (ids suffixed `~2`, `~3`, ... on repeats) when n exceeds it; a vehicle assigned to a
//! charger the variant does not have may use any free connector. A missing list keeps the base value.
//! Through the HTTP doors with a store, a sweep is one stored run (`mode` async is implied); `twin
//! invoke` runs it at once, with a progress bar on stderr.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use twin_model::depot::{self, DepotCharger, DepotInput, Record};

use crate::depot_simulation::{to_input, DepotSimulationRequest};
use crate::error::ApiError;
use crate::runs::{ArtifactOut, RunOutput};

/// Most variants in one sweep.
pub const MAX_VARIANTS: usize = 1_000;

/// What to vary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Grid connection limits to try (kW); default: the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_limit_kw: Option<Vec<f64>>,
    /// Numbers of chargers to try; default: the request's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chargers: Option<Vec<u32>>,
}

/// One row of the result table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VariantRow {
    /// Index in the expansion (grid limits outer, charger counts inner).
    pub variant: usize,
    /// Grid limit (kW).
    pub grid_limit_kw: f64,
    /// Chargers.
    pub chargers: usize,
    /// Every departure met its target.
    pub ready: bool,
    /// Departures below target.
    pub departures_short: usize,
    /// Energy missing at departures (kWh).
    pub total_short_kwh: f64,
    /// Site peak (kW).
    pub peak_kw: f64,
    /// Energy cost.
    pub energy_cost: f64,
    /// Demand charges.
    pub demand_cost: f64,
    /// Energy + demand.
    pub total_cost: f64,
    /// Why the engine refused this variant (then `ready` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The sweep's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SweepResult {
    /// Variants run.
    pub variants: usize,
    /// Variants with every departure met.
    pub ready_variants: usize,
    /// The cheapest (total cost) variant that keeps every departure; ties go to fewer chargers, then the
    /// lower grid limit. `None` when no variant is ready.
    pub cheapest_ready: Option<VariantRow>,
    /// Every variant, in expansion order.
    pub table: Vec<VariantRow>,
}

/// A variant's parameters and its engine input.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Grid limit (kW).
    pub grid_limit_kw: f64,
    /// Chargers.
    pub chargers: usize,
    /// The input to simulate (summary only).
    pub input: DepotInput,
}

/// Checks the sweep lists and expands the request into its variants.
pub fn expand(req: &DepotSimulationRequest, spec: &SweepSpec) -> Result<Vec<Variant>, ApiError> {
    let (base, _) = to_input(req)?;
    let limits = spec
        .grid_limit_kw
        .clone()
        .unwrap_or_else(|| vec![base.grid_limit_kw]);
    let counts: Vec<usize> = match &spec.chargers {
        Some(c) => c.iter().map(|&n| n as usize).collect(),
        None => vec![base.chargers.len()],
    };
    if limits.is_empty() {
        return Err(ApiError::invalid(
            "sweep.grid_limit_kw",
            "must not be empty",
        ));
    }
    if counts.is_empty() {
        return Err(ApiError::invalid("sweep.chargers", "must not be empty"));
    }
    for (i, l) in limits.iter().enumerate() {
        crate::validate::positive(&format!("sweep.grid_limit_kw[{i}]"), *l, 1.0e7)?;
    }
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 || n > crate::validate::MAX_CHARGERS {
            return Err(ApiError::invalid(
                format!("sweep.chargers[{i}]"),
                format!("must be between 1 and {}", crate::validate::MAX_CHARGERS),
            ));
        }
    }
    if base.chargers.is_empty() {
        return Err(ApiError::invalid(
            "depot.chargers",
            "a charger sweep needs at least one charger to copy",
        ));
    }
    let total = limits.len().saturating_mul(counts.len());
    if total > MAX_VARIANTS {
        return Err(ApiError::too_large(
            Some("sweep"),
            format!("sweep: {total} variants; the limit is {MAX_VARIANTS}"),
        ));
    }
    let mut out = Vec::with_capacity(total);
    for &limit in &limits {
        for &n in &counts {
            let mut input = base.clone();
            input.record = Record::Summary;
            input.grid_limit_kw = limit;
            input.chargers = with_charger_count(&base.chargers, n);
            for v in &mut input.fleet {
                v.charger = v.charger.filter(|&c| c < n);
            }
            out.push(Variant {
                grid_limit_kw: limit,
                chargers: n,
                input,
            });
        }
    }
    Ok(out)
}

fn with_charger_count(base: &[DepotCharger], n: usize) -> Vec<DepotCharger> {
    (0..n)
        .map(|k| {
            let mut c = base[k % base.len()].clone();
            let copy = k / base.len();
            if copy > 0 {
                c.id = format!("{}~{}", c.id, copy + 1);
            }
            c
        })
        .collect()
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// Simulates one variant into its row (an engine refusal becomes a row with `error`).
pub fn run_variant(index: usize, v: &Variant) -> VariantRow {
    let mut row = VariantRow {
        variant: index,
        grid_limit_kw: v.grid_limit_kw,
        chargers: v.chargers,
        ready: false,
        departures_short: 0,
        total_short_kwh: 0.0,
        peak_kw: 0.0,
        energy_cost: 0.0,
        demand_cost: 0.0,
        total_cost: 0.0,
        error: None,
    };
    match v.input.validate().and_then(|()| depot::simulate(&v.input)) {
        Ok(r) => {
            let s = &r.summary;
            row.ready = s.departures_short == 0;
            row.departures_short = s.departures_short;
            row.total_short_kwh = round(s.total_short_kwh, 3);
            row.peak_kw = round(s.peak_kw, 3);
            row.energy_cost = round(s.energy_cost, 4);
            row.demand_cost = round(s.demand_cost, 4);
            row.total_cost = round(s.total_cost, 4);
        }
        Err(e) => row.error = Some(ApiError::from(e).message),
    }
    row
}

/// Runs the variants on `threads` threads (each takes the next variant from a shared counter) and calls
/// `progress(done, total)` after each.
pub fn run_all(
    variants: &[Variant],
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<VariantRow> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let rows: Mutex<Vec<VariantRow>> = Mutex::new(Vec::with_capacity(variants.len()));
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, variants.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(v) = variants.get(i) else { break };
                let row = run_variant(i, v);
                if let Ok(mut r) = rows.lock() {
                    r.push(row);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, variants.len());
            });
        }
    });
    let mut rows = rows.into_inner().unwrap_or_else(|p| p.into_inner());
    rows.sort_by_key(|r| r.variant);
    rows
}

/// The table and the cheapest ready variant.
pub fn summarise(table: Vec<VariantRow>) -> SweepResult {
    let cheapest_ready = table
        .iter()
        .filter(|r| r.ready)
        .min_by(|a, b| {
            a.total_cost
                .total_cmp(&b.total_cost)
                .then(a.chargers.cmp(&b.chargers))
                .then(a.grid_limit_kw.total_cmp(&b.grid_limit_kw))
        })
        .cloned();
    SweepResult {
        variants: table.len(),
        ready_variants: table.iter().filter(|r| r.ready).count(),
        cheapest_ready,
        table,
    }
}

/// The worker threads a local sweep uses: the machine's parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Expands and runs a sweep request at once (the CLI, and a stored sweep run's computation).
pub fn run(
    req: &DepotSimulationRequest,
    spec: &SweepSpec,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepResult, ApiError> {
    let variants = expand(req, spec)?;
    Ok(summarise(run_all(&variants, threads, progress)))
}

/// The table as CSV (one row per variant).
pub fn to_csv(r: &SweepResult) -> String {
    let mut out = String::from(
        "variant,grid_limit_kw,chargers,ready,departures_short,total_short_kwh,peak_kw,energy_cost,demand_cost,total_cost,error\n",
    );
    for v in &r.table {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            v.variant,
            v.grid_limit_kw,
            v.chargers,
            v.ready,
            v.departures_short,
            v.total_short_kwh,
            v.peak_kw,
            v.energy_cost,
            v.demand_cost,
            v.total_cost,
            v.error.as_deref().unwrap_or("").replace([',', '\n'], ";")
        ));
    }
    out
}

/// A stored sweep run's output: the result as the summary (`{"sweep": ...}`) and `sweep.csv`.
pub fn run_output(req: &DepotSimulationRequest, spec: &SweepSpec) -> Result<RunOutput, ApiError> {
    let result = run(req, spec, default_threads(), &|_, _| {})?;
    let csv = to_csv(&result);
    Ok(RunOutput {
        summary: serde_json::json!({ "sweep": result }),
        artifacts: vec![ArtifactOut {
            name: "sweep_csv".into(),
            file_name: "sweep.csv".into(),
            content_type: "text/csv".into(),
            body: csv.into_bytes(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(buses: usize) -> DepotSimulationRequest {
        serde_json::from_value(crate::depot_simulation::scaled_depot_request(buses, 1, 300))
            .unwrap()
    }

    #[test]
    fn variants_are_the_product_and_more_grid_and_chargers_never_hurt_readiness() {
        // GIVEN 12 buses, each needing 40–80 % of 300 kWh overnight (≈ 9.5 h at the depot)
        // WHEN the grid limit and the charger count are swept
        let req = scaled(12);
        let spec = SweepSpec {
            grid_limit_kw: Some(vec![60.0, 300.0, 720.0]),
            chargers: Some(vec![2, 6, 12]),
        };
        let r = run(&req, &spec, 2, &|_, _| {}).unwrap();
        // THEN there are 3 × 3 variants in expansion order
        assert_eq!(r.variants, 9);
        let keys: Vec<(f64, usize)> = r
            .table
            .iter()
            .map(|v| (v.grid_limit_kw, v.chargers))
            .collect();
        assert_eq!(keys[0], (60.0, 2));
        assert_eq!(keys[8], (720.0, 12));
        // 60 kW × 9.5 h ≈ 570 kWh cannot refill ≈ 12 × 180 kWh: short; 12 chargers at 720 kW can.
        assert!(!r.table[0].ready);
        assert!(r.table[8].ready, "{:?}", r.table[8]);
        // The site never draws more than its limit.
        for v in &r.table {
            assert!(v.peak_kw <= v.grid_limit_kw + 1e-6, "{v:?}");
        }
        // More grid (same chargers) never leaves more energy missing.
        for c in 0..3 {
            for g in 1..3 {
                let (lo, hi) = (&r.table[(g - 1) * 3 + c], &r.table[g * 3 + c]);
                assert!(
                    hi.total_short_kwh <= lo.total_short_kwh + 1e-6,
                    "{lo:?} {hi:?}"
                );
            }
        }
        // The cheapest ready variant is ready and no ready variant is cheaper.
        let best = r.cheapest_ready.clone().unwrap();
        assert!(best.ready);
        assert!(r
            .table
            .iter()
            .filter(|v| v.ready)
            .all(|v| v.total_cost >= best.total_cost));
    }

    #[test]
    fn sweeps_run_the_same_on_one_thread_or_many() {
        let req = scaled(6);
        let spec = SweepSpec {
            grid_limit_kw: Some(vec![100.0, 200.0, 400.0]),
            chargers: None,
        };
        let calls = AtomicUsize::new(0);
        let one = run(&req, &spec, 1, &|_, _| {}).unwrap();
        let four = run(&req, &spec, 4, &|done, total| {
            assert!(done <= total);
            calls.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(one, four);
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn bad_sweeps_name_the_field() {
        let req = scaled(2);
        let bad = |spec: SweepSpec| expand(&req, &spec).unwrap_err().field;
        assert_eq!(
            bad(SweepSpec {
                grid_limit_kw: Some(vec![]),
                chargers: None
            })
            .as_deref(),
            Some("sweep.grid_limit_kw")
        );
        assert_eq!(
            bad(SweepSpec {
                grid_limit_kw: Some(vec![10.0, -1.0]),
                chargers: None
            })
            .as_deref(),
            Some("sweep.grid_limit_kw[1]")
        );
        assert_eq!(
            bad(SweepSpec {
                grid_limit_kw: None,
                chargers: Some(vec![0])
            })
            .as_deref(),
            Some("sweep.chargers[0]")
        );
        let e = expand(
            &req,
            &SweepSpec {
                grid_limit_kw: Some(vec![100.0; 101]),
                chargers: Some(vec![1; 10]),
            },
        )
        .unwrap_err();
        assert_eq!(e.status, 413);
    }

    #[test]
    fn charger_counts_beyond_the_list_cycle_with_new_ids() {
        let req = scaled(2);
        let v = expand(
            &req,
            &SweepSpec {
                grid_limit_kw: None,
                chargers: Some(vec![1, 5]),
            },
        )
        .unwrap();
        assert_eq!(v[0].input.chargers.len(), 1);
        // bus-001 was assigned c001, which the 1-charger variant lacks: it may use any connector.
        assert_eq!(v[0].input.fleet[1].charger, None);
        let ids: Vec<&str> = v[1].input.chargers.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c000", "c001", "c000~2", "c001~2", "c000~3"]);
    }
}
