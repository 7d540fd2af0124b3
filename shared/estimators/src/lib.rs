#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod card;
pub mod commands;
pub mod error;
pub mod onnx;
pub mod rate;
pub mod registry;
pub mod tree_ensemble;
pub mod trip;

pub use card::{sha256_hex, CardInput, CardOutput, ModelCard, TestVectors};
pub use error::EstimatorError;
pub use onnx::{BlobFetcher, ModelSource, OnnxModel};
pub use registry::{ModelSummary, Registry};

/// Which estimator produced a result, as reported in every response's `estimator` block.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct EstimatorInfo {
    /// `physics` or `onnx`.
    pub kind: String,
    /// Model name, for ONNX estimators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// sha256 of the model file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// When `kind` is `physics` because a configured model could not be used: why (checksum
    /// mismatch, load failure, input outside the card's range, ...). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

impl EstimatorInfo {
    /// The physics model, no learned estimator.
    pub fn physics() -> Self {
        Self {
            kind: "physics".into(),
            model: None,
            version: None,
            sha256: None,
            fallback_reason: None,
        }
    }

    /// The physics model, used because the configured learned model could not be (`reason`).
    pub fn physics_fallback(reason: impl Into<String>) -> Self {
        Self {
            fallback_reason: Some(reason.into()),
            ..Self::physics()
        }
    }

    /// An ONNX model.
    pub fn onnx(name: &str, version: &str, sha256: &str) -> Self {
        Self {
            kind: "onnx".into(),
            model: Some(name.into()),
            version: Some(version.into()),
            sha256: Some(sha256.into()),
            fallback_reason: None,
        }
    }
}
