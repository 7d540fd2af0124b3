//! The energy-rate seam: the learned `energy_rate` model when it can answer, physics otherwise, and
//! every answer says which (and why physics was used).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use twin_estimators::rate::{EnergyRateService, SegmentFeatures};
use twin_estimators::{ModelCard, ModelSource, OnnxModel, Registry};
use twin_model::cycle::{StopAndGo, Trace};
use twin_model::energy::{simulate, Conditions};
use twin_model::vehicle::{Vehicle, VehicleClass};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ml/models")
}

fn bus() -> Vehicle {
    Vehicle::class_default(VehicleClass::CityBus12m)
}

fn seg(avg_speed_kph: f64, grade_pct: f64) -> SegmentFeatures {
    SegmentFeatures {
        avg_speed_kph,
        grade_pct,
        stops_per_km: 1.5,
        ambient_temp_c: 15.0,
        mass_kg: 15_500.0,
    }
}

/// kWh/km of the full time-step simulation on a stop-and-go cycle with these features.
fn simulated(s: &SegmentFeatures) -> f64 {
    let t = StopAndGo::new(s.avg_speed_kph, s.stops_per_km)
        .trace(3)
        .unwrap();
    let t = Trace::new(
        t.time_s().to_vec(),
        t.speed_mps().to_vec(),
        Some(vec![s.grade_pct / 100.0; t.len()]),
    )
    .unwrap();
    let mut v = bus();
    v.payload_kg = s.mass_kg - v.mass_kg;
    simulate(&v, &t, &Conditions::at(s.ambient_temp_c))
        .unwrap()
        .kwh_per_km()
        .unwrap()
}

#[test]
fn the_model_answers_in_range_segments_close_to_the_time_step_simulation() {
    // GIVEN the bundled energy_rate model and a 12 m bus
    let svc = EnergyRateService::new(&Registry::bundled(), bus());
    for s in [seg(12.0, 0.0), seg(25.0, 2.0), seg(35.0, -1.0)] {
        // WHEN a segment inside the card's ranges is estimated
        let est = svc.estimate(&s).unwrap();
        // THEN the model answered, named with its sha256, and it is within 15 % of the simulation
        // it was trained on (in-sample error is ≈ 3 %; stop-and-go cycles are its training family)
        assert_eq!(est.estimator.kind, "onnx");
        assert_eq!(est.estimator.model.as_deref(), Some("energy_rate"));
        assert_eq!(est.estimator.sha256.as_ref().map(String::len), Some(64));
        let sim = simulated(&s);
        assert!(
            (est.kwh_per_km - sim).abs() <= 0.15 * sim,
            "{s:?}: model {} vs simulation {sim}",
            est.kwh_per_km
        );
    }
}

#[test]
fn a_segment_outside_the_cards_range_falls_back_to_physics_and_says_why() {
    let svc = EnergyRateService::new(&Registry::bundled(), bus());
    // 95 km/h is beyond the card's 5–70 km/h
    let est = svc.estimate(&seg(95.0, 0.0)).unwrap();
    assert_eq!(est.estimator.kind, "physics");
    let why = est.estimator.fallback_reason.unwrap();
    assert!(
        why.contains("avg_speed_kph") && why.contains("outside the card's range"),
        "{why}"
    );
    // physics at 95 km/h on the flat: drag dominates, 0.8–2.5 kWh/km for a 12 m bus
    assert!((0.8..2.5).contains(&est.kwh_per_km), "{}", est.kwh_per_km);
}

#[test]
fn a_vehicle_of_another_class_uses_physics_and_says_the_model_does_not_fit_it() {
    let car = Vehicle::class_default(VehicleClass::Car);
    let svc = EnergyRateService::new(&Registry::bundled(), car);
    let est = svc
        .estimate(&SegmentFeatures {
            mass_kg: 1_900.0,
            ..seg(40.0, 0.0)
        })
        .unwrap();
    assert_eq!(est.estimator.kind, "physics");
    assert!(est
        .estimator
        .fallback_reason
        .unwrap()
        .contains("12 m city buses"));
    assert!(
        (0.08..0.4).contains(&est.kwh_per_km),
        "car at 40 km/h: {}",
        est.kwh_per_km
    );
}

#[test]
fn no_model_configured_is_plain_physics_and_a_failed_model_is_physics_with_the_failure() {
    let plain = EnergyRateService::new(&Registry::empty(), bus())
        .estimate(&seg(20.0, 0.0))
        .unwrap();
    assert_eq!(plain.estimator, twin_estimators::EstimatorInfo::physics());

    // a model whose bytes do not match its card is never served; the answer says so
    let text = std::fs::read_to_string(models_dir().join("energy_rate.json")).unwrap();
    let mut card = ModelCard::from_json("energy_rate", &text).unwrap();
    card.sha256 = "a".repeat(64);
    let bytes = std::fs::read(models_dir().join(&card.file)).unwrap();
    let mut reg = Registry::empty();
    reg.record(
        "energy_rate",
        OnnxModel::load(card, ModelSource::Bytes(&bytes)),
    );
    let est = EnergyRateService::new(&reg, bus())
        .estimate(&seg(20.0, 0.0))
        .unwrap();
    assert_eq!(est.estimator.kind, "physics");
    assert!(est
        .estimator
        .fallback_reason
        .unwrap()
        .contains("checksum mismatch"));
    assert!((est.kwh_per_km - plain.kwh_per_km).abs() < 1e-12);
}

#[test]
fn a_model_with_the_wrong_signature_is_not_used_for_energy_rate() {
    // the RouteE model (mph, percent -> kWh/mile) registered under the energy_rate name
    let text = std::fs::read_to_string(models_dir().join("routee_bolt_2017.json")).unwrap();
    let card = ModelCard::from_json("routee", &text).unwrap();
    let model = OnnxModel::load(
        card.clone(),
        ModelSource::File(&models_dir().join(&card.file)),
    )
    .unwrap();
    let mut reg = Registry::empty();
    reg.record("energy_rate", Ok(model));
    let svc = EnergyRateService::new(&reg, bus());
    let info = svc.primary_info();
    assert_eq!(info.kind, "physics");
    assert!(info.fallback_reason.unwrap().contains("expected"));
}

#[test]
fn the_service_answers_identically_from_several_threads() {
    let svc = Arc::new(EnergyRateService::new(&Registry::bundled(), bus()));
    let segs: Vec<SegmentFeatures> = (0..40)
        .map(|i| seg(6.0 + f64::from(i) * 1.5, f64::from(i % 7) - 3.0))
        .collect();
    let reference: Vec<f64> = segs
        .iter()
        .map(|s| svc.estimate(s).unwrap().kwh_per_km)
        .collect();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let svc = Arc::clone(&svc);
            let segs = segs.clone();
            std::thread::spawn(move || {
                segs.iter()
                    .map(|s| svc.estimate(s).unwrap().kwh_per_km)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), reference);
    }
}
