//! A fleet deploys its own calibration model next to the binary (`TWIN_MODELS_DIR`) and asks for it
//! by name; a corrupt deployment falls back to physics and the response says why.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Deploys the bundled calibration under the name `depot_a`, its ONNX bytes passed through `edit`.
fn deploy(dir: &Path, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) {
    let models = root().join("ml/models");
    let mut card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("fleet_calibration.json")).unwrap())
            .unwrap();
    card["name"] = "depot_a".into();
    card["file"] = "depot_a.onnx".into();
    std::fs::write(dir.join("depot_a.json"), card.to_string()).unwrap();
    let onnx = std::fs::read(models.join("fleet_calibration.onnx")).unwrap();
    std::fs::write(dir.join("depot_a.onnx"), edit(onnx)).unwrap();
}

/// `twin invoke trip_planning` on the basic request with `calibration: depot_a`.
fn plan(models_dir: &Path) -> (i32, serde_json::Value) {
    let req: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("events/trip_planning/requests/basic.json")).unwrap(),
    )
    .unwrap();
    let mut req = req;
    req["calibration"] = "depot_a".into();
    let file = models_dir.join("request.json");
    std::fs::write(&file, req.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["invoke", "trip_planning"])
        .arg(&file)
        .env("TWIN_MODELS_DIR", models_dir)
        .env("TWIN_DATA_DIR", models_dir.join("data"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout))),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("twin-models-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_deployed_calibration_is_served_by_name() {
    let dir = temp("ok");
    deploy(&dir, |b| b);
    let (code, r) = plan(&dir);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["estimator"]["kind"], "onnx", "{r}");
    assert_eq!(r["estimator"]["model"], "depot_a");
    assert!(r["trips"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["estimator"] == "depot_a"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_deployed_model_falls_back_to_physics_and_says_why() {
    let dir = temp("corrupt");
    // One flipped byte: the file no longer matches the sha256 in its card.
    deploy(&dir, |mut b| {
        let i = b.len() / 2;
        b[i] ^= 0xff;
        b
    });
    // Every trip by physics, the reason naming the checksum.
    assert_physics_because(&dir, "checksum mismatch");
    // A missing file: the same, naming the file.
    std::fs::remove_file(dir.join("depot_a.onnx")).unwrap();
    assert_physics_because(&dir, "depot_a.onnx");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The plan succeeds by physics for every trip, with a fallback reason containing `reason`.
fn assert_physics_because(dir: &Path, reason: &str) {
    let (code, r) = plan(dir);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["estimator"]["kind"], "physics", "{r}");
    let why = r["estimator"]["fallback_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains(reason), "{why}");
    assert!(r["trips"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["estimator"] == "physics"));
}
