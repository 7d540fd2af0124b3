//! `range_remaining`: not built yet; answers 501 with the JSON error shape so the route exists from day one.

use crate::error::ApiError;
use crate::{Ctx, Deps, Reply};

/// The handler.
pub async fn handle(_deps: &Deps, _ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    // Malformed JSON is still the caller's error, even before the capability exists.
    let _: serde_json::Value = crate::validate::parse(body)?;
    Err(ApiError::not_implemented("range_remaining"))
}
