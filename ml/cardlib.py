"""Shared helpers for the ml/ pipeline: sha256, onnxruntime test vectors, card writing."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

ML_DIR = Path(__file__).resolve().parent
MODELS_DIR = ML_DIR / "models"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def ort_predict(onnx_path: Path, rows: np.ndarray) -> np.ndarray:
    """Raw first-column output of the model on float32 rows, single-threaded (deterministic)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
    x = np.asarray(rows, dtype=np.float32)
    out = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    return np.asarray(out, dtype=np.float64).reshape(len(x), -1)[:, 0]


def test_vectors(onnx_path: Path, rows: np.ndarray) -> dict:
    rows32 = np.asarray(rows, dtype=np.float32)
    outputs = ort_predict(onnx_path, rows32)
    return {
        "produced_by": f"onnxruntime {ort.__version__}",
        # float32-exact values, so tract sees the very same inputs
        "rows": [[float(v) for v in r] for r in rows32],
        "outputs": [float(v) for v in outputs],
    }


def write_card(card: dict, path: Path) -> None:
    path.write_text(json.dumps(card, indent=1) + "\n")
