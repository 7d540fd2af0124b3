//! `ai.onnx.ml` `TreeEnsembleRegressor` for tract.
//!
//! tract 0.23 parses `TreeEnsembleClassifier` but not the regressor, which is what scikit-learn
//! random forests and gradient boosting export to (through skl2onnx) and what NREL RouteE
//! Powertrain ships. This module parses the operator's attributes into a compact ensemble,
//! registers a builder under the op name in tract-onnx's [`OnnxOpRegister`], and evaluates it as a
//! typed tract op.
//!
//! Semantics follow the ONNX operator spec (ai.onnx.ml opset 1 and 3):
//! ```text
//!   per row x, per tree k:   walk from the root; at a branch compare x[feature] with the threshold
//!                            (BRANCH_LEQ / LT / GTE / GT / EQ / NEQ); NaN goes to the true child
//!                            when nodes_missing_value_tracks_true is set, otherwise it follows IEEE
//!                            comparison (false, except NEQ); the leaf adds its weights per target
//!   aggregate over trees:    SUM | AVERAGE | MIN | MAX, then + base_values[target]
//!   post_transform:          NONE | LOGISTIC | SOFTMAX | SOFTMAX_ZERO (applied with >= 2 targets;
//!                            a single score is left as is, as onnxruntime does)
//! ```
//! Thresholds and weights are held in f64: f32 attributes convert exactly, so the comparison
//! `x <= t` gives the same branch as onnxruntime's f32 comparison, and `*_as_tensor` (double)
//! attributes keep their precision. The output is f32 `[N, n_targets]`, as the spec requires.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::{NodeProto, TensorProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

/// Register `TreeEnsembleRegressor` in an ONNX op register.
pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("TreeEnsembleRegressor", build_regressor);
}

/// tract-onnx's ONNX framework with this crate's extra ops registered.
pub fn onnx_with_ml_ops() -> tract_onnx::Onnx {
    let mut onnx = tract_onnx::onnx();
    register(&mut onnx.op_register);
    onnx
}

/// Branch comparison of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

impl Mode {
    fn parse(s: &str) -> TractResult<Option<Mode>> {
        Ok(Some(match s {
            "BRANCH_LEQ" => Mode::Leq,
            "BRANCH_LT" => Mode::Lt,
            "BRANCH_GTE" => Mode::Gte,
            "BRANCH_GT" => Mode::Gt,
            "BRANCH_EQ" => Mode::Eq,
            "BRANCH_NEQ" => Mode::Neq,
            "LEAF" => return Ok(None),
            other => bail!("unsupported node mode {other:?}"),
        }))
    }

    /// Whether `x` goes to the true child. IEEE semantics for NaN: every ordered comparison is
    /// false and `!=` is true; `nan_true` sends NaN to the true child regardless.
    fn goes_true(self, x: f64, threshold: f64, nan_true: bool) -> bool {
        if x.is_nan() && nan_true {
            return true;
        }
        match self {
            Mode::Leq => x <= threshold,
            Mode::Lt => x < threshold,
            Mode::Gte => x >= threshold,
            Mode::Gt => x > threshold,
            Mode::Eq => x == threshold,
            Mode::Neq => x != threshold,
        }
    }
}

/// How per-tree values combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

/// Transform applied to the aggregated scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
}

/// One node of the flattened forest.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Branch {
        feature: usize,
        mode: Mode,
        threshold: f64,
        nan_true: bool,
        on_true: usize,
        on_false: usize,
    },
    /// Leaf contributions are `leaf_values[start..end]`.
    Leaf { start: usize, end: usize },
}

/// A parsed regressor ensemble, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressorEnsemble {
    nodes: Vec<Node>,
    /// Index of each tree's root in `nodes`.
    roots: Vec<usize>,
    /// (target, weight) contributions, referenced by leaves.
    leaf_values: Vec<(usize, f64)>,
    n_targets: usize,
    /// Number of input columns the trees read (max feature id + 1).
    n_features: usize,
    aggregate: Aggregate,
    base_values: Vec<f64>,
    post_transform: PostTransform,
}

// Equality is only used by tract to deduplicate identical ops; compare floats by their bits so the
// relation is reflexive (NaN thresholds are legal in a file, if pointless).
impl Eq for RegressorEnsemble {}

impl RegressorEnsemble {
    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// Number of output targets.
    pub fn n_targets(&self) -> usize {
        self.n_targets
    }

    /// Evaluate one row; `out` has `n_targets` slots.
    fn eval_row(&self, row: &[f64], out: &mut [f64]) -> TractResult<()> {
        let n_t = self.n_targets;
        // per-target accumulator; for MIN/MAX track whether any tree contributed
        let mut acc = vec![0f64; n_t];
        let mut seen = vec![false; n_t];
        let mut tree_vals = vec![0f64; n_t];
        let mut tree_hit = vec![false; n_t];
        for &root in &self.roots {
            let mut ix = root;
            // a well-formed tree reaches a leaf in fewer steps than it has nodes; bound the walk so
            // a cyclic file fails instead of hanging
            let mut steps = 0usize;
            let (start, end) = loop {
                match self.nodes.get(ix) {
                    Some(Node::Leaf { start, end }) => break (*start, *end),
                    Some(Node::Branch {
                        feature,
                        mode,
                        threshold,
                        nan_true,
                        on_true,
                        on_false,
                    }) => {
                        let x = *row
                            .get(*feature)
                            .ok_or_else(|| format_err!("feature {feature} out of the row"))?;
                        ix = if mode.goes_true(x, *threshold, *nan_true) {
                            *on_true
                        } else {
                            *on_false
                        };
                    }
                    None => bail!("node index {ix} out of range"),
                }
                steps += 1;
                if steps > self.nodes.len() {
                    bail!("tree starting at node {root} has a cycle");
                }
            };
            tree_vals.iter_mut().for_each(|v| *v = 0.0);
            tree_hit.iter_mut().for_each(|v| *v = false);
            for &(t, w) in &self.leaf_values[start..end] {
                tree_vals[t] += w;
                tree_hit[t] = true;
            }
            for t in 0..n_t {
                match self.aggregate {
                    Aggregate::Sum | Aggregate::Average => acc[t] += tree_vals[t],
                    Aggregate::Min | Aggregate::Max if tree_hit[t] => {
                        let better = match self.aggregate {
                            Aggregate::Min => tree_vals[t] < acc[t],
                            _ => tree_vals[t] > acc[t],
                        };
                        if !seen[t] || better {
                            acc[t] = tree_vals[t];
                            seen[t] = true;
                        }
                    }
                    _ => {}
                }
            }
        }
        if self.aggregate == Aggregate::Average && !self.roots.is_empty() {
            let n = self.roots.len() as f64;
            acc.iter_mut().for_each(|v| *v /= n);
        }
        for (t, v) in acc.iter_mut().enumerate() {
            *v += self.base_values.get(t).copied().unwrap_or(0.0);
        }
        // onnxruntime transforms a single score only for PROBIT (unsupported here); follow it so
        // that parity holds on single-target models exported with a transform.
        let transform = if n_t == 1 {
            PostTransform::None
        } else {
            self.post_transform
        };
        match transform {
            PostTransform::None => {}
            PostTransform::Logistic => acc.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
            PostTransform::Softmax | PostTransform::SoftmaxZero => {
                let zero = self.post_transform == PostTransform::SoftmaxZero;
                let max = acc
                    .iter()
                    .copied()
                    .filter(|v| !(zero && *v == 0.0))
                    .fold(f64::MIN, f64::max);
                let mut sum = 0.0;
                for v in acc.iter_mut() {
                    if !(zero && *v == 0.0) {
                        *v = (*v - max).exp();
                        sum += *v;
                    }
                }
                if sum > 0.0 {
                    acc.iter_mut().for_each(|v| *v /= sum);
                }
            }
        }
        out.copy_from_slice(&acc);
        Ok(())
    }

    /// Evaluate a `[N, F]` matrix given row-major; returns `[N, n_targets]` row-major.
    pub fn eval_rows(&self, data: &[f64], n_rows: usize, n_cols: usize) -> TractResult<Vec<f64>> {
        if n_cols < self.n_features {
            bail!(
                "input has {n_cols} columns, the trees read {} features",
                self.n_features
            );
        }
        if data.len() != n_rows * n_cols {
            bail!(
                "input holds {} values, expected {n_rows}×{n_cols}",
                data.len()
            );
        }
        let mut out = vec![0f64; n_rows * self.n_targets];
        for r in 0..n_rows {
            let row = &data[r * n_cols..(r + 1) * n_cols];
            self.eval_row(row, &mut out[r * self.n_targets..(r + 1) * self.n_targets])?;
        }
        Ok(out)
    }
}

/// Read a float-list attribute, or its `*_as_tensor` twin (float or double), as f64.
fn floats_attr(
    ctx: &ParsingContext,
    node: &NodeProto,
    name: &str,
) -> TractResult<Option<Vec<f64>>> {
    if let Some(v) = node.get_attr_opt_vec::<f32>(name)? {
        if !v.is_empty() {
            return Ok(Some(v.into_iter().map(f64::from).collect()));
        }
    }
    let tensor_name = format!("{name}_as_tensor");
    if let Some(proto) = node.get_attr_opt::<&TensorProto>(&tensor_name)? {
        let t = ctx.load_tensor(proto)?;
        let t = t.cast_to::<f64>()?;
        let view = t.try_as_plain_ram()?;
        return Ok(Some(view.as_slice::<f64>()?.to_vec()));
    }
    Ok(None)
}

fn ints_attr(node: &NodeProto, name: &str) -> TractResult<Vec<usize>> {
    let raw = node.get_attr_slice::<i64>(name)?;
    raw.iter()
        .map(|&v| usize::try_from(v).map_err(|_| format_err!("{name} holds a negative value {v}")))
        .collect()
}

fn check_len(name: &str, len: usize, expected: usize) -> TractResult<()> {
    if len != expected {
        bail!("attribute {name} has {len} entries, expected {expected}");
    }
    Ok(())
}

/// Parse a `TreeEnsembleRegressor` node into an ensemble, validating every index.
pub fn parse_regressor(ctx: &ParsingContext, node: &NodeProto) -> TractResult<RegressorEnsemble> {
    let n_targets: usize = node
        .get_attr_opt::<i64>("n_targets")?
        .unwrap_or(1)
        .try_into()
        .unwrap_or(0);
    if n_targets == 0 {
        bail!("n_targets must be at least 1");
    }
    let tree_ids = ints_attr(node, "nodes_treeids")?;
    let n_nodes = tree_ids.len();
    if n_nodes == 0 {
        bail!("the ensemble has no nodes");
    }
    let node_ids = ints_attr(node, "nodes_nodeids")?;
    let feature_ids = ints_attr(node, "nodes_featureids")?;
    let true_ids = ints_attr(node, "nodes_truenodeids")?;
    let false_ids = ints_attr(node, "nodes_falsenodeids")?;
    let modes: Vec<Option<Mode>> = node
        .get_attr_tvec::<&str>("nodes_modes")?
        .iter()
        .map(|s| Mode::parse(s))
        .collect::<TractResult<_>>()?;
    let values = floats_attr(ctx, node, "nodes_values")?.unwrap_or_else(|| vec![0.0; n_nodes]);
    let nan_true: Vec<bool> =
        match node.get_attr_opt_slice::<i64>("nodes_missing_value_tracks_true")? {
            Some(v) if !v.is_empty() => v.iter().map(|&b| b != 0).collect(),
            _ => vec![false; n_nodes],
        };
    check_len("nodes_nodeids", node_ids.len(), n_nodes)?;
    check_len("nodes_featureids", feature_ids.len(), n_nodes)?;
    check_len("nodes_truenodeids", true_ids.len(), n_nodes)?;
    check_len("nodes_falsenodeids", false_ids.len(), n_nodes)?;
    check_len("nodes_modes", modes.len(), n_nodes)?;
    check_len("nodes_values", values.len(), n_nodes)?;
    check_len("nodes_missing_value_tracks_true", nan_true.len(), n_nodes)?;

    let leaf_tree = ints_attr(node, "target_treeids")?;
    let n_leaf_entries = leaf_tree.len();
    let leaf_node = ints_attr(node, "target_nodeids")?;
    let leaf_target = ints_attr(node, "target_ids")?;
    let leaf_weight = floats_attr(ctx, node, "target_weights")?.unwrap_or_default();
    check_len("target_nodeids", leaf_node.len(), n_leaf_entries)?;
    check_len("target_ids", leaf_target.len(), n_leaf_entries)?;
    check_len("target_weights", leaf_weight.len(), n_leaf_entries)?;
    if let Some(t) = leaf_target.iter().find(|&&t| t >= n_targets) {
        bail!("target_ids holds {t}, but n_targets is {n_targets}");
    }

    let aggregate = match node
        .get_attr_opt::<&str>("aggregate_function")?
        .unwrap_or("SUM")
    {
        "SUM" => Aggregate::Sum,
        "AVERAGE" => Aggregate::Average,
        "MIN" => Aggregate::Min,
        "MAX" => Aggregate::Max,
        other => bail!("unsupported aggregate_function {other:?}"),
    };
    let post_transform = match node
        .get_attr_opt::<&str>("post_transform")?
        .unwrap_or("NONE")
    {
        "NONE" => PostTransform::None,
        "LOGISTIC" => PostTransform::Logistic,
        "SOFTMAX" => PostTransform::Softmax,
        "SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
        other => bail!("unsupported post_transform {other:?}"),
    };
    let base_values = floats_attr(ctx, node, "base_values")?.unwrap_or_default();
    if !base_values.is_empty() {
        check_len("base_values", base_values.len(), n_targets)?;
    }

    // Map (tree id, node id) to a dense index; tree ids need not be contiguous.
    let mut order: Vec<usize> = (0..n_nodes).collect();
    order.sort_by_key(|&i| (tree_ids[i], node_ids[i]));
    let mut dense = std::collections::HashMap::with_capacity(n_nodes);
    for (d, &i) in order.iter().enumerate() {
        if dense.insert((tree_ids[i], node_ids[i]), d).is_some() {
            bail!("node ({}, {}) is defined twice", tree_ids[i], node_ids[i]);
        }
    }
    // Leaf contributions grouped per (tree, node).
    let mut leaf_order: Vec<usize> = (0..n_leaf_entries).collect();
    leaf_order.sort_by_key(|&i| (leaf_tree[i], leaf_node[i]));
    let mut leaf_values = Vec::with_capacity(n_leaf_entries);
    let mut leaf_ranges = std::collections::HashMap::new();
    let mut k = 0;
    while k < leaf_order.len() {
        let key = (leaf_tree[leaf_order[k]], leaf_node[leaf_order[k]]);
        if !dense.contains_key(&key) {
            bail!("target entry refers to missing node {key:?}");
        }
        let start = leaf_values.len();
        while k < leaf_order.len() && (leaf_tree[leaf_order[k]], leaf_node[leaf_order[k]]) == key {
            let i = leaf_order[k];
            leaf_values.push((leaf_target[i], leaf_weight[i]));
            k += 1;
        }
        leaf_ranges.insert(key, (start, leaf_values.len()));
    }

    let mut nodes = Vec::with_capacity(n_nodes);
    let mut is_child = vec![false; n_nodes];
    let mut n_features = 0;
    for &i in &order {
        let tree = tree_ids[i];
        let built = match modes[i] {
            None => {
                let (start, end) = leaf_ranges
                    .get(&(tree, node_ids[i]))
                    .copied()
                    .unwrap_or((0, 0));
                Node::Leaf { start, end }
            }
            Some(mode) => {
                let child = |id: usize, what: &str| {
                    dense.get(&(tree, id)).copied().ok_or_else(|| {
                        format_err!(
                            "node ({tree}, {}) has missing {what} child {id}",
                            node_ids[i]
                        )
                    })
                };
                let on_true = child(true_ids[i], "true")?;
                let on_false = child(false_ids[i], "false")?;
                is_child[on_true] = true;
                is_child[on_false] = true;
                n_features = n_features.max(feature_ids[i] + 1);
                Node::Branch {
                    feature: feature_ids[i],
                    mode,
                    threshold: values[i],
                    nan_true: nan_true[i],
                    on_true,
                    on_false,
                }
            }
        };
        nodes.push(built);
    }
    // A tree's root is its one node that no branch points to; every node of the tree must then be
    // reached exactly once from it (no cycles, no shared or orphan nodes).
    let mut roots = Vec::new();
    let mut visited = vec![false; n_nodes];
    let mut d = 0;
    while d < order.len() {
        let tree = tree_ids[order[d]];
        let first = d;
        let mut found = Vec::new();
        while d < order.len() && tree_ids[order[d]] == tree {
            if !is_child[d] {
                found.push(d);
            }
            d += 1;
        }
        if found.len() != 1 {
            bail!("tree {tree} is not a tree: {} roots", found.len());
        }
        let root = found[0];
        let mut stack = vec![root];
        let mut reached = 0usize;
        while let Some(ix) = stack.pop() {
            if !(first..d).contains(&ix) || visited[ix] {
                bail!(
                    "tree {tree} is not a tree: node {} is reached twice",
                    node_ids[order[ix]]
                );
            }
            visited[ix] = true;
            reached += 1;
            if let Node::Branch {
                on_true, on_false, ..
            } = nodes[ix]
            {
                stack.push(on_true);
                stack.push(on_false);
            }
        }
        if reached != d - first {
            bail!(
                "tree {tree} is not a tree: {} nodes are unreachable from its root",
                d - first - reached
            );
        }
        roots.push(root);
    }
    Ok(RegressorEnsemble {
        nodes,
        roots,
        leaf_values,
        n_targets,
        n_features,
        aggregate,
        base_values,
        post_transform,
    })
}

fn build_regressor(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let ensemble = parse_regressor(ctx, node)?;
    Ok((expand(RegressorExpansion(Arc::new(ensemble))), vec![]))
}

/// Inference-time face of the op: shape rules, then wires the typed op.
#[derive(Debug, Clone)]
struct RegressorExpansion(Arc<RegressorEnsemble>);

impl Expansion for RegressorExpansion {
    fn name(&self) -> StaticName {
        "TreeEnsembleRegressor".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].rank, 2)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].rank, 2)?;
        s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
        s.equals(&outputs[0].shape[1], self.0.n_targets.to_dim())?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, TreeEnsembleRegressorOp(self.0.clone()), inputs)
    }
}

/// The typed, runnable op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEnsembleRegressorOp(Arc<RegressorEnsemble>);

impl Op for TreeEnsembleRegressorOp {
    fn name(&self) -> StaticName {
        "TreeEnsembleRegressor".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "{} trees, {} targets, {:?}",
            self.0.n_trees(),
            self.0.n_targets,
            self.0.aggregate
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for TreeEnsembleRegressorOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let shape = input.shape().to_vec();
        if shape.len() != 2 {
            bail!("TreeEnsembleRegressor expects a [N, F] input, got shape {shape:?}");
        }
        let as_f64 = input.cast_to::<f64>()?;
        let view = as_f64.try_as_plain_ram()?;
        let data = view.as_slice::<f64>()?;
        let out = self.0.eval_rows(data, shape[0], shape[1])?;
        let out: Vec<f32> = out.into_iter().map(|v| v as f32).collect();
        let tensor = Tensor::from_shape(&[shape[0], self.0.n_targets], &out)?;
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl TypedOp for TreeEnsembleRegressorOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let n = inputs[0].shape[0].clone();
        Ok(tvec!(f32::fact(&[n, self.0.n_targets.to_dim()])))
    }

    as_op!();
}
