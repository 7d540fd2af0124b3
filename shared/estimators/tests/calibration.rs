//! The committed fleet-calibration model on the committed (GENERATED) telemetry sample: on trips the
//! model never saw (ids recorded in its card by ml/calibrate.py), physics + the model's residual
//! must be clearly closer to the measured energy than physics alone, with tract doing the inference.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;

use twin_estimators::{ModelCard, ModelSource, OnnxModel};

fn ml_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml")
}

#[test]
fn calibration_reduces_held_out_trip_error_versus_physics_alone() {
    let text = std::fs::read_to_string(ml_dir().join("models/fleet_calibration.json")).unwrap();
    let card = ModelCard::from_json("fleet_calibration", &text).unwrap();
    let model = OnnxModel::load(
        card.clone(),
        ModelSource::File(&ml_dir().join("models").join(&card.file)),
    )
    .unwrap();
    let held: HashSet<String> = card.metrics["holdout_trip_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(held.len() >= 100, "too few held-out trips: {}", held.len());

    let csv = std::fs::read_to_string(ml_dir().join("data/telemetry_sample.csv")).unwrap();
    let mut lines = csv.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (mut err_phys, mut err_cal, mut n) = (0.0, 0.0, 0usize);
    let mut rows = Vec::new();
    let mut truth = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if !held.contains(f[col("trip_id")]) {
            continue;
        }
        let num = |name: &str| f[col(name)].parse::<f64>().unwrap();
        let d = num("distance_km");
        let physics = num("physics_kwh");
        // features in the card's order
        let row = vec![
            d / (num("duration_s") / 3600.0),
            num("ambient_temp_c"),
            num("payload_kg"),
            num("stops_per_km"),
            (num("elevation_gain_m") - num("elevation_loss_m")) / (d * 1000.0) * 100.0,
            physics / d,
        ];
        rows.push(row);
        truth.push((num("energy_kwh"), physics, d));
    }
    let names: Vec<&str> = card.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "avg_speed_kph",
            "ambient_temp_c",
            "payload_kg",
            "stops_per_km",
            "net_grade_pct",
            "physics_kwh_per_km"
        ]
    );
    // trips outside the card's ranges are answered by physics alone, as the service would
    let mut outside = 0;
    for (i, (row, (measured, physics, d))) in rows.iter().zip(&truth).enumerate() {
        let r = match card.check_row(i, row) {
            Ok(()) => model.run(std::slice::from_ref(row)).unwrap()[0],
            Err(e) => {
                assert!(e.is_input_error());
                outside += 1;
                0.0
            }
        };
        err_phys += (physics - measured).abs() / measured;
        err_cal += (physics + r * d - measured).abs() / measured;
        n += 1;
    }
    assert!(
        outside * 10 < n,
        "{outside} of {n} held-out trips outside the card's ranges"
    );
    assert_eq!(n, held.len());
    let (mape_phys, mape_cal) = (100.0 * err_phys / n as f64, 100.0 * err_cal / n as f64);
    // The generated fleet differs from physics in mass, heating and aux (learnable) plus ±4 % noise
    // (not learnable: mean |noise| ≈ 3.2 %), so calibrated error must fall well below physics' but
    // cannot reach zero.
    assert!(
        mape_cal < 0.6 * mape_phys,
        "physics {mape_phys:.1} %, calibrated {mape_cal:.1} %"
    );
    assert!(
        mape_cal > 2.0,
        "calibrated {mape_cal:.2} % is below the sample's noise floor: leak?"
    );
    // and the card reports the same held-out numbers the pipeline measured with onnxruntime
    let card_cal = card.metrics["calibrated"]["mean_abs_pct_error"]
        .as_f64()
        .unwrap();
    assert!(
        (card_cal - mape_cal).abs() < 0.05,
        "card {card_cal} vs tract {mape_cal}"
    );
}
