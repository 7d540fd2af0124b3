//! Benchmark: cold-start load time and single-row inference latency of every model in ml/models.
//!
//!     cargo run --release -p twin-estimators --example bench_models [-- ROWS_PER_BATCH]
//!
//! Load = read card + sha256 + tract parse + optimise + runnable + self-check on the card's test
//! vectors (what a Lambda does at init). Latency = one `run` of one row (range check included).

use std::path::PathBuf;
use std::time::Instant;

use twin_estimators::{ModelCard, ModelSource, OnnxModel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml/models");
    let mut cards: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    cards.sort();
    println!("| model | file size | load (ms, median of 5) | 1-row run (µs, median of 2000) | {batch}-row run (µs per row) |");
    println!("|---|---|---|---|---|");
    for path in cards {
        let text = std::fs::read_to_string(&path)?;
        let card = ModelCard::from_json(&path.display().to_string(), &text)?;
        let bytes = std::fs::read(dir.join(&card.file))?;
        let mut loads = Vec::new();
        let mut model = None;
        for _ in 0..5 {
            let t = Instant::now();
            let m = OnnxModel::load(card.clone(), ModelSource::Bytes(&bytes))?;
            loads.push(t.elapsed().as_secs_f64() * 1e3);
            model = Some(m);
        }
        let Some(model) = model else { continue };
        let row: Vec<f64> = card.inputs.iter().map(|i| 0.5 * (i.min + i.max)).collect();
        let one = vec![row.clone()];
        let mut lat = Vec::with_capacity(2000);
        for _ in 0..2000 {
            let t = Instant::now();
            std::hint::black_box(model.run(&one)?);
            lat.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let many: Vec<Vec<f64>> = (0..batch)
            .map(|k| {
                card.inputs
                    .iter()
                    .map(|i| i.min + (i.max - i.min) * ((k * 7919 % 1000) as f64 / 1000.0))
                    .collect()
            })
            .collect();
        let t = Instant::now();
        std::hint::black_box(model.run(&many)?);
        let per_row = t.elapsed().as_secs_f64() * 1e6 / batch as f64;
        println!(
            "| {} | {:.0} kB | {:.1} | {:.1} | {:.2} |",
            card.name,
            bytes.len() as f64 / 1e3,
            median(&mut loads),
            median(&mut lat),
            per_row
        );
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
