"""Train the `energy_rate` link-energy model: segment features -> kWh/km, on energy computed by the
twin's own time-step physics (RouteE's approach: learn simulated energy over many drive segments).

    cargo run --release -p twin-estimators --example energy_segments -- ml/data/energy_segments.csv
    .venv/bin/python ml/train_energy_rate.py [--segments ml/data/energy_segments.csv] [--seed 2026]

Training rows: split == train, inside the card ranges. Held-out: the WLTC 3b, NREL13 and US06 cycles
(windows and whole runs), never seen in training; their error against the time-step simulation is
recorded in the card (mean and worst) and printed.
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
    ("avg_speed_kph", "kph", 5.0, 70.0, "distance / duration of the segment, dwell included"),
    ("grade_pct", "percent", -6.0, 6.0, "average grade, rise/run x 100"),
    ("stops_per_km", "1/km", 0.0, 5.0, "arrivals at standstill per km"),
    ("ambient_temp_c", "degC", -20.0, 40.0, "ambient air temperature (sets air density and HVAC load)"),
    ("mass_kg", "kg", 13500.0, 19500.0, "total moving mass: 12 m bus curb 13,500 kg + payload 0-6,000 kg"),
]
VERSION = "1.0.0"


def load(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    out = {k: v for k, v in cols.items() if k in ("source", "split")}
    for k, v in cols.items():
        if k not in out:
            out[k] = v.astype(np.float64)
    return out


def stats(pred: np.ndarray, actual: np.ndarray, duration_s: np.ndarray | None = None) -> dict:
    err = pred - actual
    big = np.abs(actual) >= 0.2
    rel = np.abs(err[big]) / np.abs(actual[big])
    return {
        "n": int(len(actual)),
        "mean_abs_error_kwh_per_km": float(np.mean(np.abs(err))),
        "worst_abs_error_kwh_per_km": float(np.max(np.abs(err))),
        "mean_abs_pct_error": float(100 * np.mean(rel)),
        "worst_abs_pct_error": float(100 * np.max(rel)),
        "pct_error_counted_where": "|simulated| >= 0.2 kWh/km",
        "mean_signed_error_kwh_per_km": float(np.mean(err)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", default=str(ML_DIR / "data/energy_segments.csv"))
    ap.add_argument("--out-dir", default=str(MODELS_DIR))
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    seg_path = Path(args.segments).resolve()
    d = load(seg_path)
    X = np.stack([d[n] for n, *_ in FEATURES], axis=1).astype(np.float32)
    y = d["kwh_per_km"]
    ok = np.ones(len(y), dtype=bool)  # rows where the bus could not follow the trace are kept (see generator)
    in_range = np.all([(X[:, i] >= lo) & (X[:, i] <= hi) for i, (_, _, lo, hi, _) in enumerate(FEATURES)], axis=0)
    train = (d["split"] == "train") & ok & in_range
    held = (d["split"] == "heldout") & ok & in_range
    model = GradientBoostingRegressor(n_estimators=300, max_depth=5, learning_rate=0.08, subsample=0.8,
                                      random_state=args.seed)
    model.fit(X[train], y[train])
    out_dir = Path(args.out_dir).resolve()
    onnx_path = out_dir / "energy_rate.onnx"
    onnx_path.write_bytes(to_onnx(model, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString())

    pred_held = ort_predict(onnx_path, X[held])
    src = d["source"][held]
    whole = np.array([s.endswith(":whole") for s in src])
    per_cycle = {}
    for c in sorted(set(s.split(":")[1] for s in src)):
        m = np.array([s.split(":")[1] == c for s in src])
        per_cycle[c] = {"windows": stats(pred_held[m & ~whole], y[held][m & ~whole]) if np.any(m & ~whole) else None,
                        "whole": stats(pred_held[m & whole], y[held][m & whole]) if np.any(m & whole) else None}
    metrics = {
        "target": "kWh/km of the twin's time-step simulation (twin_model::energy::simulate) on the same segment",
        "train_rows": int(train.sum()),
        "train_in_sample": stats(ort_predict(onnx_path, X[train]), y[train]),
        "heldout_cycles": ["wltc_3b", "nrel13", "us06"],
        "heldout_all": stats(pred_held, y[held]),
        "heldout_whole_cycles": stats(pred_held[whole], y[held][whole]),
        "heldout_per_cycle": per_cycle,
        "trace_missed_rows": int((d["trace_missed"] == 1).sum()),
        "excluded_outside_card_ranges": int((~in_range).sum()),
        "sklearn_vs_onnxruntime_max_abs_diff": float(np.max(np.abs(model.predict(X[held]) - pred_held))),
    }
    rng = np.random.default_rng(args.seed)
    tv_rows = X[held][rng.choice(int(held.sum()), size=24, replace=False)]
    card = {
        "name": "energy_rate",
        "version": VERSION,
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "description": "Link energy rate of a 12 m battery-electric city bus (catalogue class defaults): chemical "
        "battery energy per km including traction, aux and HVAC, learned from the twin's own time-step "
        "simulation. For segment-level data (timetables, GTFS) where no speed trace exists.",
        "inputs": [{"name": n, "unit": u, "min": lo, "max": hi, "description": desc} for n, u, lo, hi, desc in FEATURES],
        "output": {"name": "energy_rate_kwh_per_km", "unit": "kWh/km",
                   "description": "battery (chemical) energy per km; negative on steep descents (regen)"},
        "training_data": {
            "segments": str(seg_path.relative_to(ML_DIR.parent)) if seg_path.is_relative_to(ML_DIR.parent) else str(seg_path),
            "segments_sha256": sha256_file(seg_path),
            "generator": "cargo run --release -p twin-estimators --example energy_segments (seed 2026): synthesised "
            "stop-and-go segments + 300 s windows and whole runs of UDDS, HWFET, HHDDT cruise; random grade, "
            "ambient temperature, payload",
            "vehicle": "Vehicle::class_default(CityBus12m)",
            "algorithm": "scikit-learn GradientBoostingRegressor(n_estimators=300, max_depth=5, learning_rate=0.08, "
            "subsample=0.8) exported with skl2onnx (TreeEnsembleRegressor)",
        },
        "metrics": metrics,
        "source": "ml/train_energy_rate.py",
        "test_vectors": test_vectors(onnx_path, tv_rows),
    }
    write_card(card, out_dir / "energy_rate.json")
    print(json.dumps({k: metrics[k] for k in ("train_rows", "heldout_all", "heldout_whole_cycles")}, indent=1))


if __name__ == "__main__":
    main()
