"""Small TreeEnsembleRegressor models that exercise every attribute the tract op supports, with the
outputs onnxruntime gives on fixed rows. Written to shared/estimators/tests/data/ for the Rust op tests.

    .venv/bin/python ml/make_op_test_models.py
"""
import json

import numpy as np
from onnx import TensorProto, helper
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from skl2onnx import to_onnx

from cardlib import ML_DIR, ort_predict

OUT = ML_DIR.parent / "shared/estimators/tests/data"
rng = np.random.default_rng(7)


def hand_model(name, aggregate, modes, nan_true, base, post="NONE", n_targets=1, double=False):
    """Two trees on two features. Tree 0: root splits feature 0 at 1.0 with modes[0]; tree 1: root
    splits feature 1 at -0.5 with modes[1], its true child splits feature 0 at 3.0 with modes[2]."""
    nodes = dict(
        nodes_treeids=[0, 0, 0, 1, 1, 1, 1, 1],
        nodes_nodeids=[0, 1, 2, 0, 1, 2, 3, 4],
        nodes_featureids=[0, 0, 0, 1, 0, 0, 0, 0],
        nodes_modes=[modes[0], "LEAF", "LEAF", modes[1], modes[2], "LEAF", "LEAF", "LEAF"],
        nodes_truenodeids=[1, 0, 0, 1, 3, 0, 0, 0],
        nodes_falsenodeids=[2, 0, 0, 2, 4, 0, 0, 0],
        nodes_missing_value_tracks_true=nan_true,
    )
    values = [1.0, 0, 0, -0.5, 3.0, 0, 0, 0]
    leaves = [(0, 1), (0, 2), (1, 2), (1, 3), (1, 4)]
    weights = [0.5, -1.25, 2.0, 0.75, -0.1]
    t_tree, t_node, t_id, t_w = [], [], [], []
    for (tr, nd), w in zip(leaves, weights):
        for t in range(n_targets):
            t_tree.append(tr); t_node.append(nd); t_id.append(t); t_w.append(w * (t + 1))
    attrs = dict(nodes, n_targets=n_targets, target_treeids=t_tree, target_nodeids=t_node, target_ids=t_id,
                 aggregate_function=aggregate, post_transform=post)
    if double:
        attrs["nodes_values_as_tensor"] = helper.make_tensor("v", TensorProto.DOUBLE, [len(values)], values)
        attrs["target_weights_as_tensor"] = helper.make_tensor("w", TensorProto.DOUBLE, [len(t_w)], t_w)
        if base is not None:
            attrs["base_values_as_tensor"] = helper.make_tensor("b", TensorProto.DOUBLE, [n_targets], base)
    else:
        attrs["nodes_values"] = values
        attrs["target_weights"] = t_w
        if base is not None:
            attrs["base_values"] = base
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", **attrs)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("X", TensorProto.DOUBLE if double else TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, n_targets])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", 3 if double else 1)])
    model.ir_version = 8
    return model.SerializeToString()


cases = {}
grid = np.array([[x0, x1] for x0 in (-2.0, 0.0, 1.0, 1.5, 3.0, 4.0, np.nan) for x1 in (-1.0, -0.5, 0.0, 2.0, np.nan)],
                dtype=np.float32)
cases["leq_sum"] = (hand_model("leq_sum", "SUM", ["BRANCH_LEQ"] * 3, [0] * 8, None), grid)
cases["lt_gte_avg_base"] = (hand_model("lt_gte_avg_base", "AVERAGE", ["BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"],
                                       [1, 0, 0, 0, 1, 0, 0, 0], [0.3]), grid)
cases["eq_neq_min"] = (hand_model("eq_neq_min", "MIN", ["BRANCH_EQ", "BRANCH_NEQ", "BRANCH_LEQ"], [0] * 8, [1.0]), grid)
cases["max_two_targets"] = (hand_model("max_two_targets", "MAX", ["BRANCH_LEQ"] * 3, [0, 0, 0, 1, 0, 0, 0, 0],
                                       [0.0, -1.0], n_targets=2), grid)
cases["two_targets_logistic"] = (hand_model("two_targets_logistic", "SUM", ["BRANCH_LEQ"] * 3, [0] * 8, [0.0, 0.2],
                                            post="LOGISTIC", n_targets=2), grid)
cases["two_targets_softmax"] = (hand_model("two_targets_softmax", "AVERAGE", ["BRANCH_LEQ"] * 3, [0] * 8, None,
                                           post="SOFTMAX", n_targets=2), grid)
# onnxruntime leaves a single-target score untransformed unless PROBIT; the op does the same
cases["double_tensors_logistic"] = (hand_model("double_tensors_logistic", "SUM", ["BRANCH_LEQ"] * 3, [0] * 8, [0.1],
                                               post="LOGISTIC", double=True), grid.astype(np.float64))

# Real exporters: skl2onnx random forest and gradient boosting on a smooth function of 3 features.
X = rng.uniform(-3, 3, size=(400, 3)).astype(np.float32)
y = np.sin(X[:, 0]) + 0.3 * X[:, 1] ** 2 - 0.5 * X[:, 2]
rows = rng.uniform(-3.5, 3.5, size=(64, 3)).astype(np.float32)
rf = RandomForestRegressor(n_estimators=8, max_depth=6, random_state=0).fit(X, y)
cases["sklearn_rf"] = (to_onnx(rf, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString(), rows)
gb = GradientBoostingRegressor(n_estimators=15, max_depth=3, random_state=0).fit(X, y)
cases["sklearn_gb"] = (to_onnx(gb, X[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString(), rows)

# Malformed ensembles (no expected output: loading must fail with a reason)
def malformed(name, **changes):
    m = hand_model(name, "SUM", ["BRANCH_LEQ"] * 3, [0] * 8, None)
    import onnx
    proto = onnx.load_from_string(m)
    for a in proto.graph.node[0].attribute:
        if a.name in changes:
            a.ClearField("ints"); a.ClearField("strings")
            v = changes[a.name]
            (a.strings if isinstance(v[0], bytes) else a.ints).extend(v)
    (OUT / f"{name}.onnx").write_bytes(proto.SerializeToString())


malformed("bad_dangling", nodes_truenodeids=[1, 0, 0, 1, 9, 0, 0, 0])
malformed("bad_cycle", nodes_truenodeids=[1, 0, 0, 1, 0, 0, 0, 0], nodes_falsenodeids=[2, 0, 0, 2, 4, 0, 0, 0])
malformed("bad_mode", nodes_modes=[b"BRANCH_FOO", b"LEAF", b"LEAF", b"BRANCH_LEQ", b"BRANCH_LEQ", b"LEAF", b"LEAF", b"LEAF"])

expected = {}
for name, (blob, x) in cases.items():
    path = OUT / f"{name}.onnx"
    path.write_bytes(blob)
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    expected[name] = {
        "rows": [[None if np.isnan(v) else float(v) for v in r] for r in x],
        "outputs": [[float(v) for v in r] for r in np.asarray(out).reshape(len(x), -1)],
    }
(OUT / "expected.json").write_text(json.dumps({"produced_by": f"onnxruntime {ort.__version__}", "cases": expected}) + "\n")
print("wrote", len(cases), "models to", OUT)
