"""The fleet calibration pipeline on the committed (generated) telemetry sample.

Run: .venv/bin/python -m pytest ml/tests -q
"""
import sys
from pathlib import Path

import numpy as np
import pytest

ML = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ML))

import calibrate  # noqa: E402
from cardlib import ort_predict, sha256_file  # noqa: E402

SAMPLE = ML / "data/telemetry_sample.csv"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal")
    card = calibrate.calibrate(SAMPLE, out, "fleet_calibration", seed=2026)
    return out, card


def test_calibration_reduces_held_out_error_versus_physics_alone(trained):
    # GIVEN trips the model never saw (25 % held out by a seeded permutation)
    # WHEN the residual model corrects the physics estimate
    # THEN the mean absolute error on those trips falls clearly (the generated fleet differs from
    # the physics in mass, heating and aux draw, which the residual can learn; the ±4 % noise it cannot)
    _, card = trained
    phys = card["metrics"]["physics_only"]["mean_abs_pct_error"]
    cal = card["metrics"]["calibrated"]["mean_abs_pct_error"]
    assert cal < 0.6 * phys, (phys, cal)
    # and cannot beat the noise floor of the sample (4 % normal noise: mean |e| ≈ 3.2 %)
    assert cal > 2.0


def test_calibration_is_deterministic_for_a_seed(trained, tmp_path):
    out, card = trained
    again = calibrate.calibrate(SAMPLE, tmp_path, "fleet_calibration", seed=2026)
    assert again["sha256"] == card["sha256"]
    assert sha256_file(tmp_path / "fleet_calibration.onnx") == sha256_file(out / "fleet_calibration.onnx")


def test_card_test_vectors_are_onnxruntime_outputs_and_inside_the_card_ranges(trained):
    out, card = trained
    tv = card["test_vectors"]
    got = ort_predict(out / card["file"], np.array(tv["rows"]))
    assert np.allclose(got, tv["outputs"], rtol=1e-6, atol=1e-7)
    for row in tv["rows"]:
        for v, spec in zip(row, card["inputs"]):
            assert spec["min"] <= v <= spec["max"], (spec["name"], v)


def test_the_committed_calibration_model_matches_a_fresh_run(trained):
    # retraining on the committed sample reproduces the committed model (reviewable retraining)
    _, card = trained
    import json
    committed = ML / "models/fleet_calibration.json"
    assert json.loads(committed.read_text())["sha256"] == card["sha256"]
