//! `twin estimators list` / `run` JSON, as the CLI prints it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use twin_estimators::commands::{list_json, run_json, RunError};
use twin_estimators::Registry;

#[test]
fn list_prints_every_bundled_model_with_inputs_units_and_output() {
    let v: serde_json::Value =
        serde_json::from_str(&list_json(&Registry::bundled()).unwrap()).unwrap();
    let models = v.as_array().unwrap();
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["energy_rate", "fleet_calibration", "routee_bolt_2017"]
    );
    let routee = &models[2];
    assert_eq!(
        routee["sha256"],
        "bf1bfca4b03402350eff7d236dd00e7f9ba5ffcc74ca2929b515d85a7bf4879c"
    );
    assert_eq!(routee["inputs"][0]["name"], "speed_mph");
    assert_eq!(routee["inputs"][0]["unit"], "mph");
    assert_eq!(routee["inputs"][1]["unit"], "percent");
    assert_eq!(routee["output"]["unit"], "kWh/mile");
    assert!(routee["version"].as_str().unwrap().contains("2.0.2"));
}

#[test]
fn run_returns_one_raw_output_per_row() {
    let reg = Registry::bundled();
    let out = run_json(
        &reg,
        "routee_bolt_2017",
        r#"{"rows": [[15.0, 0.0], [25.0, 2.0]]}"#,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let outputs = v["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    // routee_bolt_10link.json links 0 and 1 (kWh/mile)
    assert!((outputs[0].as_f64().unwrap() - 0.040_501_862_764_358_52).abs() < 1e-6);
    assert!((outputs[1].as_f64().unwrap() - 0.308_781_147_003_173_83).abs() < 1e-5);
}

#[test]
fn run_refuses_bad_requests_with_a_clear_error() {
    let reg = Registry::bundled();
    assert!(matches!(
        run_json(&reg, "routee_bolt_2017", r#"{"row": []}"#),
        Err(RunError::Request(_))
    ));
    let e = run_json(&reg, "nope", r#"{"rows": []}"#).unwrap_err();
    assert!(e.to_string().contains("unknown estimator `nope`"), "{e}");
    let e = run_json(&reg, "routee_bolt_2017", r#"{"rows": [[200.0, 0.0]]}"#).unwrap_err();
    assert!(
        e.to_string().contains("speed_mph") && e.to_string().contains("outside"),
        "{e}"
    );
    let e = run_json(&reg, "routee_bolt_2017", r#"{"rows": [[20.0, 0.0, 1.0]]}"#).unwrap_err();
    assert!(e.to_string().contains("3 values"), "{e}");
}
