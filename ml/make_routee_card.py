"""Write the model card for NREL RouteE Powertrain's 2017 Chevrolet Bolt model (routee_bolt_2017).

The ONNX file is copied unchanged from routee-powertrain 2.0.2 (PyPI, BSD-3-Clause; license and the
package's metadata in ml/reference/routee/). This script records onnxruntime outputs on the
10-link test route of ml/reference/routee/routee_bolt_10link.json plus a speed x grade grid as the
card's test vectors.

    .venv/bin/python ml/make_routee_card.py
"""
import json

import numpy as np

from cardlib import MODELS_DIR, ML_DIR, sha256_file, test_vectors, write_card

onnx_path = MODELS_DIR / "routee_bolt_2017.onnx"
meta = json.loads((ML_DIR / "reference/routee/bolt_bev_2017_rf.metadata.json").read_text())
links = json.loads((ML_DIR / "reference/routee/routee_bolt_10link.json").read_text())["links"]

rows = [[l["speed_mph"], l["grade_percent"]] for l in links]
rows += [[s, g] for s in (0.0, 5.0, 22.5, 41.0, 63.3, 80.0, 119.0) for g in (-19.0, -6.0, -0.5, 0.0, 3.0, 12.0)]
feats = meta["contract"]["feature_set"]

card = {
    "name": "routee_bolt_2017",
    "version": "routee-powertrain-2.0.2/chevrolet/bolt_bev/2017/rf_c3326385/v1",
    "file": "routee_bolt_2017.onnx",
    "sha256": sha256_file(onnx_path),
    "description": "NREL RouteE Powertrain link energy-rate model for the 2017 Chevrolet Bolt EV: one ai.onnx.ml "
    "TreeEnsembleRegressor (20 trees). Raw output is kWh per mile; RouteE multiplies it by its real-world "
    "adjustment factor 1.3958 and the link distance.",
    "inputs": [
        {"name": "speed_mph", "unit": "mph", "min": feats[0]["constraints"]["lower"], "max": feats[0]["constraints"]["upper"],
         "description": "average link speed"},
        {"name": "grade_percent", "unit": "percent", "min": feats[1]["constraints"]["lower"], "max": feats[1]["constraints"]["upper"],
         "description": "average link grade, rise/run x 100"},
    ],
    "output": {"name": "energy_rate_kwh_per_mile", "unit": "kWh/mile",
               "description": "raw model output, before the real-world adjustment factor 1.3958"},
    "training_data": {"description": "NREL RouteE training data (not published with the model)",
                      "provenance": meta["provenance"]},
    "metrics": meta["errors"]["estimator_errors"]["error_by_target"]["kwh"],
    "source": "routee-powertrain 2.0.2 (PyPI), bundled registry model chevrolet/bolt_bev/2017; BSD-3-Clause, "
    "Copyright (c) 2023 Alliance for Energy Innovation, LLC; see ml/reference/routee/LICENSE",
    "test_vectors": test_vectors(onnx_path, np.array(rows)),
}
write_card(card, MODELS_DIR / "routee_bolt_2017.json")
print("wrote", MODELS_DIR / "routee_bolt_2017.json")
