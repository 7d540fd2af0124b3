//! Stored depot runs: `GET /v1/depot-simulations/{run_id}`. (Durable runs arrive with the storage issue;
//! until then no run is ever stored, so every id is unknown.)

use crate::error::ApiError;
use crate::{Ctx, Deps, Reply};

/// Looks a run up by id.
pub async fn get_run(_deps: &Deps, _ctx: &Ctx, run_id: &str) -> Result<Reply, ApiError> {
    crate::validate::id("run_id", run_id)?;
    Err(ApiError::not_found(format!(
        "no depot simulation run `{run_id}`"
    )))
}
