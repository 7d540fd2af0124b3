//! The committed models (ml/models/*.json + .onnx): load, parity with onnxruntime, RouteE's
//! published predictions, robustness (corrupt bytes, checksum mismatch, missing file, out-of-range
//! inputs) and use from several threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use twin_estimators::onnx::within_parity;
use twin_estimators::{BlobFetcher, EstimatorError, ModelCard, ModelSource, OnnxModel, Registry};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml/models")
}

fn card(name: &str) -> ModelCard {
    let text = std::fs::read_to_string(models_dir().join(format!("{name}.json"))).unwrap();
    ModelCard::from_json(name, &text).unwrap()
}

fn load_file(name: &str) -> OnnxModel {
    let c = card(name);
    let path = models_dir().join(&c.file);
    OnnxModel::load(c, ModelSource::File(&path)).unwrap()
}

#[test]
fn every_committed_card_loads_and_matches_its_onnxruntime_test_vectors() {
    // GIVEN every card in ml/models, WHEN loaded from its file,
    // THEN tract reproduces onnxruntime's recorded outputs within 1e-4 relative
    let reg = Registry::from_dir(&models_dir()).unwrap();
    let failures: Vec<_> = reg.failures().collect();
    assert!(failures.is_empty(), "models failed to load: {failures:?}");
    let listed = reg.list();
    assert!(listed.iter().any(|m| m.name == "routee_bolt_2017"));
    for summary in listed {
        let model = reg.get(&summary.name).unwrap();
        let tv = &model.card().test_vectors;
        assert!(!tv.rows.is_empty(), "{} has no test vectors", summary.name);
        let got = model.run_unchecked(&tv.rows).unwrap();
        for (i, (g, w)) in got.iter().zip(&tv.outputs).enumerate() {
            assert!(
                within_parity(*g, *w),
                "{} vector {i}: tract {g}, onnxruntime {w}",
                summary.name
            );
        }
    }
}

#[test]
fn bundled_registry_serves_the_same_models_as_the_folder() {
    let bundled = Registry::bundled();
    assert_eq!(
        bundled.failures().count(),
        0,
        "{:?}",
        bundled.failures().collect::<Vec<_>>()
    );
    let folder = Registry::from_dir(&models_dir()).unwrap();
    assert_eq!(bundled.list(), folder.list());
}

#[test]
fn routee_bolt_reproduces_the_published_10_link_predictions() {
    // ml/reference/routee/routee_bolt_10link.json holds routee-powertrain 2.0.2's raw predictions
    // (kWh/mile, before the 1.3958 real-world factor) on a 10-link route.
    let text =
        std::fs::read_to_string(models_dir().join("../reference/routee/routee_bolt_10link.json"))
            .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let links = doc["links"].as_array().unwrap();
    let rows: Vec<Vec<f64>> = links
        .iter()
        .map(|l| {
            vec![
                l["speed_mph"].as_f64().unwrap(),
                l["grade_percent"].as_f64().unwrap(),
            ]
        })
        .collect();
    let want: Vec<f64> = links
        .iter()
        .map(|l| l["onnx_raw_kwh_per_mile"].as_f64().unwrap())
        .collect();
    let reg = Registry::bundled();
    let model = reg.get("routee_bolt_2017").unwrap();
    let got = model.run(&rows).unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            within_parity(*g, *w),
            "link {i}: tract {g} kWh/mile, RouteE {w}"
        );
    }
    // and the route total with the real-world factor, as RouteE reports it
    let total: f64 = got
        .iter()
        .zip(links)
        .map(|(rate, l)| rate * l["distance_miles"].as_f64().unwrap() * 1.3958)
        .sum();
    let want_total = doc["totals"]["total_kwh_with_rwaf"].as_f64().unwrap();
    assert!(
        (total - want_total).abs() <= 1e-4 * want_total,
        "total {total} vs {want_total}"
    );

    // the speed sweep at 0 % grade and the grade sweep at 40 mph (Wh/km in the file)
    let wh_km_to_kwh_mile = 1.609344 / 1000.0;
    for (key, fixed_grade) in [
        ("raw_wh_per_km_vs_speed_mph_grade0", Some(0.0)),
        ("raw_wh_per_km_vs_grade_pct_at_40mph", None),
    ] {
        for (k, v) in doc[key].as_object().unwrap() {
            let x: f64 = k.parse().unwrap();
            let row = match fixed_grade {
                Some(g) => vec![x, g],
                None => vec![40.0, x],
            };
            let got = model.run(&[row]).unwrap()[0];
            let want = v.as_f64().unwrap() * wh_km_to_kwh_mile;
            assert!(
                within_parity(got, want),
                "{key} at {k}: tract {got}, RouteE {want}"
            );
        }
    }
}

#[test]
fn models_run_from_several_threads_with_the_same_answers() {
    let model = Arc::new(load_file("routee_bolt_2017"));
    let rows: Vec<Vec<f64>> = (0..50)
        .map(|i| vec![f64::from(i) * 2.0, f64::from(i % 9) - 4.0])
        .collect();
    let reference = model.run(&rows).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let model = Arc::clone(&model);
            let rows = rows.clone();
            std::thread::spawn(move || {
                (0..20)
                    .map(|_| model.run(&rows).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for out in h.join().unwrap() {
            assert_eq!(out, reference);
        }
    }
}

#[test]
fn a_checksum_mismatch_is_refused_and_named() {
    let mut c = card("routee_bolt_2017");
    c.sha256 = "0".repeat(64);
    let bytes = std::fs::read(models_dir().join(&c.file)).unwrap();
    let err = OnnxModel::load(c, ModelSource::Bytes(&bytes)).unwrap_err();
    assert!(matches!(err, EstimatorError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"));
}

#[test]
fn corrupt_bytes_with_a_matching_checksum_fail_to_load_without_panicking() {
    // GIVEN a card whose sha256 is that of garbage bytes (so only the ONNX parse can catch it)
    let mut c = card("routee_bolt_2017");
    let mut bytes = std::fs::read(models_dir().join(&c.file)).unwrap();
    bytes.truncate(bytes.len() / 3);
    c.sha256 = twin_estimators::sha256_hex(&bytes);
    let err = OnnxModel::load(c, ModelSource::Bytes(&bytes)).unwrap_err();
    assert!(matches!(err, EstimatorError::Load { .. }), "{err}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_the_path() {
    let c = card("routee_bolt_2017");
    let err =
        OnnxModel::load(c, ModelSource::File(Path::new("/nonexistent/model.onnx"))).unwrap_err();
    assert!(matches!(err, EstimatorError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/model.onnx"));
}

#[test]
fn a_failed_model_is_reported_unavailable_by_the_registry_not_served() {
    let mut reg = Registry::empty();
    let mut c = card("routee_bolt_2017");
    c.sha256 = "f".repeat(64);
    let bytes = std::fs::read(models_dir().join(&c.file)).unwrap();
    reg.record(
        "routee_bolt_2017",
        OnnxModel::load(c, ModelSource::Bytes(&bytes)),
    );
    let err = reg.get("routee_bolt_2017").unwrap_err();
    assert!(
        err.to_string().contains("unavailable") && err.to_string().contains("checksum"),
        "{err}"
    );
    assert!(matches!(reg.get("nope"), Err(EstimatorError::Unknown(_))));
    assert!(reg.list().is_empty());
}

#[test]
fn inputs_outside_the_cards_ranges_or_not_finite_are_refused_naming_the_input() {
    let model = load_file("routee_bolt_2017");
    // 130 mph exceeds the card's 0–120 mph
    let err = model.run(&[vec![30.0, 1.0], vec![130.0, 1.0]]).unwrap_err();
    match &err {
        EstimatorError::OutOfRange {
            row, input, unit, ..
        } => {
            assert_eq!(
                (*row, input.as_str(), unit.as_str()),
                (1, "speed_mph", "mph")
            );
        }
        other => panic!("expected OutOfRange, got {other}"),
    }
    assert!(err.is_input_error());
    assert!(matches!(
        model.run(&[vec![30.0, f64::NAN]]),
        Err(EstimatorError::OutOfRange { .. })
    ));
    assert!(matches!(
        model.run(&[vec![30.0]]),
        Err(EstimatorError::Arity { .. })
    ));
}

struct MapFetcher(Vec<u8>);

impl BlobFetcher for MapFetcher {
    fn fetch(&self, uri: &str) -> Result<Vec<u8>, twin_estimators::error::BoxError> {
        if uri == "s3://models/routee_bolt_2017.onnx" {
            Ok(self.0.clone())
        } else {
            Err(format!("no such object {uri}").into())
        }
    }
}

#[test]
fn a_model_loads_from_a_uri_through_a_fetcher_and_a_failed_fetch_is_named() {
    let c = card("routee_bolt_2017");
    let fetcher = MapFetcher(std::fs::read(models_dir().join(&c.file)).unwrap());
    let ok = OnnxModel::load(
        c.clone(),
        ModelSource::Uri("s3://models/routee_bolt_2017.onnx", &fetcher),
    )
    .unwrap();
    assert_eq!(ok.info().sha256.as_deref(), Some(c.sha256.as_str()));
    let err =
        OnnxModel::load(c, ModelSource::Uri("s3://models/missing.onnx", &fetcher)).unwrap_err();
    assert!(
        matches!(err, EstimatorError::Fetch { .. })
            && err.to_string().contains("s3://models/missing.onnx")
    );
}
