//! The TreeEnsembleRegressor op against onnxruntime on small models covering every supported
//! attribute (modes, NaN tracking, SUM/AVERAGE/MIN/MAX, base values, multi-target transforms,
//! double `*_as_tensor` attributes) and two real skl2onnx exports (random forest, gradient
//! boosting). Models and expected outputs come from `ml/make_op_test_models.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use tract_onnx::prelude::*;
use twin_estimators::tree_ensemble::onnx_with_ml_ops;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(data_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run_case(name: &str, double: bool) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let exp = expected();
    let case = &exp["cases"][name];
    let rows: Vec<Vec<f64>> = case["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let want: Vec<Vec<f64>> = case["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    let n_cols = rows[0].len();
    let model = onnx_with_ml_ops()
        .model_for_path(data_dir().join(format!("{name}.onnx")))
        .unwrap();
    let n = model.sym("N");
    let dt = if double {
        f64::datum_type()
    } else {
        f32::datum_type()
    };
    let plan = model
        .with_input_fact(0, dt.fact(&[n.to_dim(), n_cols.to_dim()]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let input = if double {
        Tensor::from_shape(&[rows.len(), n_cols], &flat).unwrap()
    } else {
        let f: Vec<f32> = flat.iter().map(|&v| v as f32).collect();
        Tensor::from_shape(&[rows.len(), n_cols], &f).unwrap()
    };
    let out = plan.run(tvec!(input.into_tvalue())).unwrap();
    let out = out[0].cast_to::<f32>().unwrap().into_owned();
    assert_eq!(
        out.shape(),
        &[rows.len(), want[0].len()],
        "{name}: output shape"
    );
    let view = out.try_as_plain_ram().unwrap();
    let got: Vec<f64> = view
        .as_slice::<f32>()
        .unwrap()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let got = got.chunks(want[0].len()).map(|c| c.to_vec()).collect();
    (got, want)
}

fn assert_parity(name: &str, double: bool) {
    let (got, want) = run_case(name, double);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        for (a, b) in g.iter().zip(w) {
            // both sides emit f32; accumulation order differs, so allow 1e-5 relative
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "{name} row {i}: tract {g:?}, onnxruntime {w:?}"
            );
        }
    }
}

#[test]
fn branch_leq_with_sum_matches_onnxruntime() {
    assert_parity("leq_sum", false);
}

#[test]
fn lt_gte_gt_with_average_base_values_and_nan_tracking_match_onnxruntime() {
    assert_parity("lt_gte_avg_base", false);
}

#[test]
fn eq_neq_with_min_matches_onnxruntime() {
    assert_parity("eq_neq_min", false);
}

#[test]
fn max_over_two_targets_matches_onnxruntime() {
    assert_parity("max_two_targets", false);
}

#[test]
fn logistic_and_softmax_on_two_targets_match_onnxruntime() {
    assert_parity("two_targets_logistic", false);
    assert_parity("two_targets_softmax", false);
}

#[test]
fn double_tensor_attributes_and_double_input_match_onnxruntime() {
    assert_parity("double_tensors_logistic", true);
}

#[test]
fn sklearn_random_forest_export_matches_onnxruntime() {
    assert_parity("sklearn_rf", false);
}

#[test]
fn sklearn_gradient_boosting_export_matches_onnxruntime() {
    assert_parity("sklearn_gb", false);
}

#[test]
fn malformed_ensembles_are_refused_at_load_with_a_reason() {
    // GIVEN models whose trees point at a missing node, loop back to their root, or use an
    // unknown node mode (written by ml/make_op_test_models.py)
    for (name, needle) in [
        ("bad_dangling", "missing true child"),
        ("bad_cycle", "is not a tree"),
        ("bad_mode", "BRANCH_FOO"),
    ] {
        // WHEN tract parses them
        let err = onnx_with_ml_ops()
            .model_for_path(data_dir().join(format!("{name}.onnx")))
            .unwrap_err();
        // THEN parsing fails (no panic) and the error chain says why
        let chain = format!("{err:#}");
        assert!(chain.contains(needle), "{name}: {chain}");
    }
}
