//! JSON in, JSON out for the `twin estimators` subcommands (the CLI only does I/O around these).

use serde::{Deserialize, Serialize};

use crate::error::EstimatorError;
use crate::registry::{ModelSummary, Registry};

/// `twin estimators run` input: rows in the card's input order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// One row per prediction, values in the card's input order and units.
    pub rows: Vec<Vec<f64>>,
}

/// `twin estimators run` output: one raw model output per row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResponse {
    /// The model's raw output, one per row.
    pub outputs: Vec<f64>,
}

/// Largest number of rows one `run` accepts.
pub const MAX_ROWS: usize = 100_000;

/// `twin estimators list`: every loaded model, as a JSON array.
pub fn list_json(reg: &Registry) -> Result<String, serde_json::Error> {
    let list: Vec<ModelSummary> = reg.list();
    serde_json::to_string_pretty(&list)
}

/// Why a `run` failed: the request JSON, or the estimator.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The request is not `{"rows": [[...], ...]}`.
    #[error("inputs must be {{\"rows\": [[number, ...], ...]}}")]
    Request(#[source] serde_json::Error),
    /// Too many rows.
    #[error("{0} rows exceed the limit of {max}", max = MAX_ROWS)]
    TooManyRows(usize),
    /// The model is unknown or unavailable, or refused the rows.
    #[error(transparent)]
    Estimator(#[from] EstimatorError),
    /// Output serialisation.
    #[error("cannot write the outputs")]
    Output(#[source] serde_json::Error),
}

/// `twin estimators run <name> <inputs.json>`: parse the request, check every row against the
/// card (count, finiteness, range) and return `{"outputs": [...]}`.
pub fn run_json(reg: &Registry, name: &str, request_json: &str) -> Result<String, RunError> {
    let req: RunRequest = serde_json::from_str(request_json).map_err(RunError::Request)?;
    if req.rows.len() > MAX_ROWS {
        return Err(RunError::TooManyRows(req.rows.len()));
    }
    let model = reg.get(name)?;
    let outputs = model.run(&req.rows)?;
    serde_json::to_string(&RunResponse { outputs }).map_err(RunError::Output)
}
