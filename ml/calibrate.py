"""Fleet calibration: telemetry CSV (per trip) -> residual model over the twin's physics estimate.

    .venv/bin/python ml/calibrate.py [--telemetry ml/data/telemetry_sample.csv] [--out-dir ml/models]
                                     [--name fleet_calibration] [--seed 2026]

Input: a telemetry CSV in the format of ml/README.md whose physics_kwh column has been filled by
`cargo run --release -p twin-estimators --example physics_annotate -- IN.csv OUT.csv`.

The model learns r = (energy_kwh - physics_kwh) / distance_km (kWh/km) from per-trip features;
a calibrated estimate is physics_kwh + r * distance_km. Trips are split into training and held-out
sets with a seeded permutation; the card records held-out error of physics alone and calibrated.
Deterministic for a given seed and input.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from skl2onnx import to_onnx

from cardlib import MODELS_DIR, ML_DIR, ort_predict, sha256_file, test_vectors, write_card

FEATURES = [
    ("avg_speed_kph", "kph", "distance / duration, dwell included"),
    ("ambient_temp_c", "degC", "mean ambient temperature over the trip"),
    ("payload_kg", "kg", "passengers and load"),
    ("stops_per_km", "1/km", "stops (incl. traffic) per km"),
    ("net_grade_pct", "percent", "(elevation gain - loss) / distance x 100"),
    ("physics_kwh_per_km", "kWh/km", "the twin's physics estimate (trip_energy) per km"),
]
VERSION = "1.0.0"


def read_telemetry(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        lines = [l for l in f if not l.startswith("#")]
    rows = list(csv.DictReader(lines))
    if not rows:
        raise SystemExit(f"{path}: no trips")
    missing = [r["trip_id"] for r in rows if not r.get("physics_kwh")]
    if missing:
        raise SystemExit(f"{path}: physics_kwh is empty for {len(missing)} trips (run the physics_annotate example)")
    return rows


def features(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X (float32, card order), residual target (kWh/km), measured and physics energy (kWh)."""
    X, y, measured, physics = [], [], [], []
    for r in rows:
        d = float(r["distance_km"])
        dur = float(r["duration_s"])
        net = (float(r["elevation_gain_m"]) - float(r["elevation_loss_m"])) / (d * 1000.0) * 100.0
        p = float(r["physics_kwh"])
        e = float(r["energy_kwh"])
        X.append([d / (dur / 3600.0), float(r["ambient_temp_c"]), float(r["payload_kg"]), float(r["stops_per_km"]), net, p / d])
        y.append((e - p) / d)
        measured.append(e)
        physics.append(p)
    return np.array(X, dtype=np.float32), np.array(y), np.array(measured), np.array(physics)


def split(n: int, seed: int, holdout: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(n * holdout))
    return np.sort(perm[k:]), np.sort(perm[:k])


def error_stats(pred_kwh: np.ndarray, measured_kwh: np.ndarray) -> dict:
    rel = np.abs(pred_kwh - measured_kwh) / measured_kwh
    return {
        "mean_abs_error_kwh": float(np.mean(np.abs(pred_kwh - measured_kwh))),
        "mean_abs_pct_error": float(100 * np.mean(rel)),
        "worst_abs_pct_error": float(100 * np.max(rel)),
    }


def calibrate(telemetry: Path, out_dir: Path, name: str, seed: int) -> dict:
    rows = read_telemetry(telemetry)
    X, y, measured, physics = features(rows)
    dist = np.array([float(r["distance_km"]) for r in rows])
    train, held = split(len(rows), seed)
    model = GradientBoostingRegressor(n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8,
                                      random_state=seed)
    model.fit(X[train], y[train])
    onx = to_onnx(model, X[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    onnx_path = out_dir / f"{name}.onnx"
    onnx_path.write_bytes(onx.SerializeToString())

    # Card ranges: the training range widened by 10 % of its span on each side. Trips outside them
    # are answered by physics alone (as the service does), in the metrics too.
    Xd = X.astype(np.float64)
    lo, hi = Xd[train].min(axis=0), Xd[train].max(axis=0)
    span = hi - lo
    lo_card = np.round(lo - 0.1 * span, 3)
    nonneg = [0, 2, 3]  # speed, payload, stops cannot be negative
    lo_card[nonneg] = np.maximum(lo_card[nonneg], 0.0)
    hi_card = np.round(hi + 0.1 * span, 3)

    # held-out error, with the residual as the exported ONNX model computes it
    r_held = ort_predict(onnx_path, X[held])
    in_range = np.all((Xd[held] >= lo_card) & (Xd[held] <= hi_card), axis=1)
    calibrated = physics[held] + np.where(in_range, r_held, 0.0) * dist[held]
    metrics = {
        "holdout_trips": int(len(held)),
        "holdout_trips_outside_card_ranges_physics_only": int((~in_range).sum()),
        "holdout_trip_ids": [rows[i]["trip_id"] for i in held],
        "train_trips": int(len(train)),
        "physics_only": error_stats(physics[held], measured[held]),
        "calibrated": error_stats(calibrated, measured[held]),
        "sklearn_vs_onnxruntime_max_abs_diff_kwh_per_km": float(np.max(np.abs(model.predict(X[held]) - r_held))),
    }
    card = {
        "name": name,
        "version": VERSION,
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "description": "Fleet calibration: residual energy per km over the twin's physics estimate, learned from "
        "per-trip telemetry. calibrated_kwh = physics_kwh + output * distance_km.",
        "inputs": [
            {"name": n, "unit": u, "min": float(lo_card[i]), "max": float(hi_card[i]), "description": d}
            for i, (n, u, d) in enumerate(FEATURES)
        ],
        "output": {"name": "residual_kwh_per_km", "unit": "kWh/km",
                   "description": "measured minus physics energy per km; add to the physics estimate"},
        "training_data": {
            "telemetry": str(telemetry.relative_to(ML_DIR.parent)) if telemetry.is_relative_to(ML_DIR.parent) else str(telemetry),
            "telemetry_sha256": sha256_file(telemetry),
            "trips": len(rows),
            "generated": "GENERATED sample" in telemetry.read_text()[:200],
            "split": f"seeded permutation (seed {seed}), 25 % of trips held out",
            "algorithm": "scikit-learn GradientBoostingRegressor(n_estimators=200, max_depth=3, learning_rate=0.05, "
            "subsample=0.8) exported with skl2onnx (TreeEnsembleRegressor)",
        },
        "metrics": metrics,
        "source": "ml/calibrate.py",
        "test_vectors": test_vectors(onnx_path, X[held][in_range][:24]),
    }
    write_card(card, out_dir / f"{name}.json")
    return card


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--telemetry", default=str(ML_DIR / "data/telemetry_sample.csv"))
    ap.add_argument("--out-dir", default=str(MODELS_DIR))
    ap.add_argument("--name", default="fleet_calibration")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    card = calibrate(Path(args.telemetry).resolve(), Path(args.out_dir).resolve(), args.name, args.seed)
    print(json.dumps(card["metrics"], indent=1))


if __name__ == "__main__":
    main()
