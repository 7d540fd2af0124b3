//! Loading ONNX models with tract (once, at cold start) and running them row by row.

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::card::{sha256_hex, ModelCard};
use crate::error::{BoxError, EstimatorError};
use crate::tree_ensemble::onnx_with_ml_ops;
use crate::EstimatorInfo;

/// Fetches model bytes from a URI such as `s3://bucket/key.onnx`.
///
/// The estimators crate stays free of the AWS SDK: the API layer implements this over its
/// artifact store (or fetches the bytes itself and calls [`OnnxModel::from_bytes`]).
pub trait BlobFetcher: Send + Sync {
    /// Return the object's bytes.
    fn fetch(&self, uri: &str) -> Result<Vec<u8>, BoxError>;
}

/// Where a model's bytes come from.
pub enum ModelSource<'a> {
    /// Bytes already in memory (bundled with `include_bytes!`, or fetched by the caller).
    Bytes(&'a [u8]),
    /// A file on disk.
    File(&'a Path),
    /// A URI resolved by a fetcher (e.g. `s3://...`).
    Uri(&'a str, &'a dyn BlobFetcher),
}

type Plan = Arc<TypedRunnableModel>;

/// A loaded, checked, optimised ONNX model and its card. Cheap to share across threads: `run`
/// takes `&self` and each call builds its own tract state.
#[derive(Debug, Clone)]
pub struct OnnxModel {
    card: Arc<ModelCard>,
    plan: Plan,
}

impl OnnxModel {
    /// Load from any source: read the bytes, verify the card's sha256, parse with tract (with
    /// `TreeEnsembleRegressor` registered), fix the input to `[N, inputs]` float32, optimise.
    pub fn load(card: ModelCard, source: ModelSource<'_>) -> Result<Self, EstimatorError> {
        match source {
            ModelSource::Bytes(b) => Self::from_bytes(card, b),
            ModelSource::File(p) => {
                let bytes = std::fs::read(p).map_err(|source| EstimatorError::Io {
                    name: card.name.clone(),
                    path: p.display().to_string(),
                    source,
                })?;
                Self::from_bytes(card, &bytes)
            }
            ModelSource::Uri(uri, fetcher) => {
                let bytes = fetcher.fetch(uri).map_err(|source| EstimatorError::Fetch {
                    name: card.name.clone(),
                    uri: uri.to_string(),
                    source,
                })?;
                Self::from_bytes(card, &bytes)
            }
        }
    }

    /// Load from bytes, checking them against the card's sha256 first.
    pub fn from_bytes(card: ModelCard, bytes: &[u8]) -> Result<Self, EstimatorError> {
        card.check()?;
        let actual = sha256_hex(bytes);
        if !actual.eq_ignore_ascii_case(&card.sha256) {
            return Err(EstimatorError::Checksum {
                name: card.name.clone(),
                expected: card.sha256.clone(),
                actual,
            });
        }
        let name = card.name.clone();
        let load_err = |e: TractError| EstimatorError::Load {
            name: name.clone(),
            source: EstimatorError::boxed(e),
        };
        let model = onnx_with_ml_ops()
            .model_for_read(&mut &bytes[..])
            .map_err(load_err)?;
        if model.inputs.len() != 1 || model.outputs.is_empty() {
            return Err(EstimatorError::Signature {
                name: card.name.clone(),
                reason: format!(
                    "expected 1 input and at least 1 output, found {} and {}",
                    model.inputs.len(),
                    model.outputs.len()
                ),
            });
        }
        let n = model.sym("N");
        let f = card.inputs.len();
        let plan = model
            .with_input_fact(0, f32::fact(&[n.to_dim(), f.to_dim()]).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(load_err)?;
        let loaded = Self {
            card: Arc::new(card),
            plan,
        };
        // A model that fails its own recorded vectors is not served.
        loaded.self_check()?;
        Ok(loaded)
    }

    /// The model card.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The `estimator` block for responses produced by this model.
    pub fn info(&self) -> EstimatorInfo {
        EstimatorInfo::onnx(&self.card.name, &self.card.version, &self.card.sha256)
    }

    /// Run rows through the model after checking each against the card (count, finiteness,
    /// range). Returns the model's raw output (first column of the first output) per row.
    pub fn run(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, EstimatorError> {
        for (i, r) in rows.iter().enumerate() {
            self.card.check_row(i, r)?;
        }
        self.run_unchecked(rows)
    }

    /// Run without the range check (count is still checked); used by the parity self-check and
    /// by callers that deliberately extrapolate.
    pub fn run_unchecked(&self, rows: &[Vec<f64>]) -> Result<Vec<f64>, EstimatorError> {
        let f = self.card.inputs.len();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut flat = Vec::with_capacity(rows.len() * f);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != f {
                return Err(EstimatorError::Arity {
                    name: self.card.name.clone(),
                    row: i,
                    got: r.len(),
                    expected: f,
                });
            }
            flat.extend(r.iter().map(|&v| v as f32));
        }
        let name = &self.card.name;
        let infer_err = |e: TractError| EstimatorError::Inference {
            name: name.clone(),
            source: EstimatorError::boxed(e),
        };
        let input = Tensor::from_shape(&[rows.len(), f], &flat).map_err(infer_err)?;
        let outputs = self
            .plan
            .run(tvec!(input.into_tvalue()))
            .map_err(infer_err)?;
        let first = outputs.first().ok_or_else(|| EstimatorError::Signature {
            name: name.clone(),
            reason: "model returned no output".into(),
        })?;
        let as_f32 = first.cast_to::<f32>().map_err(infer_err)?;
        let view = as_f32.try_as_plain_ram().map_err(infer_err)?;
        let values = view.as_slice::<f32>().map_err(infer_err)?;
        if values.len() % rows.len() != 0 || values.is_empty() {
            return Err(EstimatorError::Signature {
                name: name.clone(),
                reason: format!("{} output values for {} rows", values.len(), rows.len()),
            });
        }
        let per_row = values.len() / rows.len();
        let out: Vec<f64> = (0..rows.len())
            .map(|r| f64::from(values[r * per_row]))
            .collect();
        if let Some((row, v)) = out.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EstimatorError::BadOutput {
                name: name.clone(),
                row,
                value: *v,
            });
        }
        Ok(out)
    }

    /// Compare against the card's recorded onnxruntime outputs: relative 1e-4 (absolute 1e-6
    /// near zero, since f32 sums of opposite-signed leaves cancel).
    pub fn self_check(&self) -> Result<(), EstimatorError> {
        let tv = &self.card.test_vectors;
        if tv.rows.is_empty() {
            return Ok(());
        }
        let got = self.run_unchecked(&tv.rows)?;
        for (i, (g, want)) in got.iter().zip(&tv.outputs).enumerate() {
            if !within_parity(*g, *want) {
                return Err(EstimatorError::Signature {
                    name: self.card.name.clone(),
                    reason: format!(
                        "test vector {i}: tract gives {g}, onnxruntime recorded {want}"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The parity tolerance: 1e-4 relative, with a 1e-6 absolute floor.
pub fn within_parity(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-4 * want.abs().max(1e-2)
}
