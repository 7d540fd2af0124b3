//! twin-estimators: ONNX estimators run by tract, each with a model card. (Built in the estimators issue.)
#![forbid(unsafe_code)]

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
}

impl EstimatorInfo {
    /// The physics model, no learned estimator.
    pub fn physics() -> Self {
        Self {
            kind: "physics".into(),
            model: None,
            version: None,
            sha256: None,
        }
    }
}
