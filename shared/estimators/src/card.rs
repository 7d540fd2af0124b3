//! Model cards: `ml/models/<name>.json`, one per ONNX model.
//!
//! A card names the model, pins its bytes by sha256, lists the inputs in the order the model
//! reads them (name, unit, valid range), says what the output means, and carries the training
//! data description, accuracy metrics and test vectors recorded from onnxruntime.

use serde::{Deserialize, Serialize};

use crate::error::EstimatorError;

/// One model input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardInput {
    /// Column name, e.g. `avg_speed_kph`.
    pub name: String,
    /// Unit the model expects the value in, exactly (`kph`, `percent`, `degC`, ...).
    pub unit: String,
    /// Lowest value the model was trained on / is valid for.
    pub min: f64,
    /// Highest value the model was trained on / is valid for.
    pub max: f64,
    /// Free-text meaning.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The model output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardOutput {
    /// Output name, e.g. `energy_rate_kwh_per_km`.
    pub name: String,
    /// Unit of the raw output.
    pub unit: String,
    /// Free-text meaning (including any scaling applied downstream).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Input rows and the outputs onnxruntime gave for them, recorded by the training pipeline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TestVectors {
    /// Which runtime produced `outputs` (e.g. `onnxruntime 1.32.0`).
    #[serde(default)]
    pub produced_by: String,
    /// Rows in card input order.
    pub rows: Vec<Vec<f64>>,
    /// One output per row.
    pub outputs: Vec<f64>,
}

/// A model card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Registry name, e.g. `energy_rate`.
    pub name: String,
    /// Model version.
    pub version: String,
    /// ONNX file name, relative to the card.
    pub file: String,
    /// Lower-case hex sha256 of the ONNX file.
    pub sha256: String,
    /// What the model estimates.
    #[serde(default)]
    pub description: String,
    /// Inputs, in the column order of the model's `[N, F]` float32 input.
    pub inputs: Vec<CardInput>,
    /// The output (column 0 of the model's first output).
    pub output: CardOutput,
    /// Where the training data came from.
    #[serde(default)]
    pub training_data: serde_json::Value,
    /// Accuracy metrics.
    #[serde(default)]
    pub metrics: serde_json::Value,
    /// Provenance and license for models from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Test vectors for the parity test.
    #[serde(default)]
    pub test_vectors: TestVectors,
}

impl ModelCard {
    /// Parse and check a card.
    pub fn from_json(name_hint: &str, text: &str) -> Result<Self, EstimatorError> {
        let card: ModelCard =
            serde_json::from_str(text).map_err(|source| EstimatorError::CardJson {
                name: name_hint.to_string(),
                source,
            })?;
        card.check()?;
        Ok(card)
    }

    /// Internal consistency: ranges ordered and finite, hash well-formed, vectors shaped.
    pub fn check(&self) -> Result<(), EstimatorError> {
        let bad = |reason: String| EstimatorError::Card {
            name: self.name.clone(),
            reason,
        };
        if self.name.is_empty() {
            return Err(bad("empty name".into()));
        }
        if self.inputs.is_empty() {
            return Err(bad("no inputs".into()));
        }
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "sha256 `{}` is not 64 hex digits",
                self.sha256
            )));
        }
        for i in &self.inputs {
            if !(i.min.is_finite() && i.max.is_finite() && i.min <= i.max) {
                return Err(bad(format!(
                    "input `{}` has range [{}, {}]",
                    i.name, i.min, i.max
                )));
            }
        }
        let tv = &self.test_vectors;
        if tv.rows.len() != tv.outputs.len() {
            return Err(bad(format!(
                "{} test rows but {} outputs",
                tv.rows.len(),
                tv.outputs.len()
            )));
        }
        if let Some(r) = tv.rows.iter().find(|r| r.len() != self.inputs.len()) {
            return Err(bad(format!(
                "a test row has {} values, expected {}",
                r.len(),
                self.inputs.len()
            )));
        }
        Ok(())
    }

    /// Check one row against the card: count, finiteness and range.
    pub fn check_row(&self, row_ix: usize, row: &[f64]) -> Result<(), EstimatorError> {
        if row.len() != self.inputs.len() {
            return Err(EstimatorError::Arity {
                name: self.name.clone(),
                row: row_ix,
                got: row.len(),
                expected: self.inputs.len(),
            });
        }
        for (v, i) in row.iter().zip(&self.inputs) {
            if !(v.is_finite() && *v >= i.min && *v <= i.max) {
                return Err(EstimatorError::OutOfRange {
                    name: self.name.clone(),
                    row: row_ix,
                    input: i.name.clone(),
                    unit: i.unit.clone(),
                    value: *v,
                    min: i.min,
                    max: i.max,
                });
            }
        }
        Ok(())
    }
}

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
