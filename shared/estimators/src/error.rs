//! One error enum for the estimators subsystem.

use std::error::Error as StdError;

/// A boxed cause (tract errors, fetcher errors).
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why an estimator could not be loaded or could not answer.
#[derive(Debug, thiserror::Error)]
pub enum EstimatorError {
    /// No model of that name is registered.
    #[error("unknown estimator `{0}`")]
    Unknown(String),
    /// The model exists but failed to load or failed its checks at start-up.
    #[error("model `{name}` is unavailable: {reason}")]
    Unavailable {
        /// Model name.
        name: String,
        /// Why it was not loaded.
        reason: String,
    },
    /// The model card could not be parsed or is inconsistent.
    #[error("model card `{name}` is invalid: {reason}")]
    Card {
        /// Card name or path.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The model card JSON did not parse.
    #[error("model card `{name}` is not valid JSON")]
    CardJson {
        /// Card name or path.
        name: String,
        /// Parser error.
        #[source]
        source: serde_json::Error,
    },
    /// The model file could not be read.
    #[error("model `{name}`: cannot read {path}")]
    Io {
        /// Model name.
        name: String,
        /// File path.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Fetching the model from a URI failed.
    #[error("model `{name}`: cannot fetch {uri}")]
    Fetch {
        /// Model name.
        name: String,
        /// The URI.
        uri: String,
        /// Fetcher error.
        #[source]
        source: BoxError,
    },
    /// The model bytes do not hash to the card's sha256.
    #[error("model `{name}`: checksum mismatch (card {expected}, file {actual})")]
    Checksum {
        /// Model name.
        name: String,
        /// sha256 in the card.
        expected: String,
        /// sha256 of the bytes.
        actual: String,
    },
    /// tract could not parse or optimise the model.
    #[error("model `{name}`: ONNX model could not be loaded")]
    Load {
        /// Model name.
        name: String,
        /// tract error chain.
        #[source]
        source: BoxError,
    },
    /// The model's graph does not match its card.
    #[error("model `{name}` does not match its card: {reason}")]
    Signature {
        /// Model name.
        name: String,
        /// What differs.
        reason: String,
    },
    /// A row has the wrong number of values.
    #[error("model `{name}`: row {row} has {got} values, the card lists {expected} inputs")]
    Arity {
        /// Model name.
        name: String,
        /// Row index.
        row: usize,
        /// Values in the row.
        got: usize,
        /// Inputs on the card.
        expected: usize,
    },
    /// An input is not finite or lies outside the card's range.
    #[error("model `{name}`: row {row}, input `{input}` = {value} {unit} is outside the card's range [{min}, {max}]")]
    OutOfRange {
        /// Model name.
        name: String,
        /// Row index.
        row: usize,
        /// Input name.
        input: String,
        /// Its unit.
        unit: String,
        /// Value given.
        value: f64,
        /// Card minimum.
        min: f64,
        /// Card maximum.
        max: f64,
    },
    /// tract failed while running the model.
    #[error("model `{name}`: inference failed")]
    Inference {
        /// Model name.
        name: String,
        /// tract error chain.
        #[source]
        source: BoxError,
    },
    /// The model produced a non-finite or implausible output.
    #[error("model `{name}`: output {value} for row {row} is not a usable number")]
    BadOutput {
        /// Model name.
        name: String,
        /// Row index.
        row: usize,
        /// Output value.
        value: f64,
    },
    /// The physics fallback failed.
    #[error("physics estimate failed")]
    Physics(#[from] twin_model::ModelError),
}

impl EstimatorError {
    /// Box a tract (anyhow) error as a source.
    pub(crate) fn boxed(e: tract_onnx::prelude::TractError) -> BoxError {
        e.into()
    }

    /// Whether the input itself was bad (a caller error), as opposed to a model problem.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            EstimatorError::Arity { .. } | EstimatorError::OutOfRange { .. }
        )
    }
}
