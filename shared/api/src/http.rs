//! HTTP routing shared by the Lambda adapter and `twin serve`: method + path + body → status + JSON.

use crate::error::ApiError;
use crate::{handle, Capability, Ctx, Deps, Door, MAX_BODY_BYTES};
use serde_json::json;

/// An HTTP reply: status and JSON body (always `application/json`).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Serialised JSON body.
    pub body: String,
}

impl HttpReply {
    fn json(status: u16, v: &serde_json::Value) -> Self {
        Self {
            status,
            body: v.to_string(),
        }
    }
    fn error(e: &ApiError) -> Self {
        Self::json(e.status, &e.to_json())
    }
}

/// Routes one request. `path` is the raw path without the API Gateway stage (use `raw_http_path()`).
pub async fn route(
    deps: &Deps,
    door: Door,
    method: &str,
    path: &str,
    headers: Vec<(String, String)>,
    body: &[u8],
) -> HttpReply {
    if body.len() > MAX_BODY_BYTES {
        return HttpReply::error(&ApiError::too_large(
            None,
            format!("request body is {} bytes; the limit is {MAX_BODY_BYTES} (6 MB). Store large scenarios and run them asynchronously, or use `twin invoke`.", body.len()),
        ));
    }
    let ctx = Ctx { door, headers };
    let path = path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let result = match (method, segments.as_slice()) {
        (_, ["health"]) | (_, ["v1", "health"]) if method == "GET" => Ok(crate::Reply {
            status: 200,
            body: json!({"status": "ok"}),
        }),
        ("GET", ["v1", "vehicles"]) => Ok(crate::Reply {
            status: 200,
            body: vehicles_json(),
        }),
        ("GET", ["v1", "depot-simulations", run_id]) => {
            crate::runs::get_run(deps, &ctx, run_id).await
        }
        (_, ["v1", "depot-simulations", _]) => Err(ApiError::method_not_allowed(
            "use GET for /v1/depot-simulations/{run_id}",
        )),
        _ => match Capability::ALL.into_iter().find(|c| c.path() == path) {
            Some(cap) if method == "POST" => handle(deps, &ctx, cap, body).await,
            Some(cap) => Err(ApiError::method_not_allowed(format!(
                "use POST for {}",
                cap.path()
            ))),
            None => Err(ApiError::not_found(format!("no route for {method} {path}"))),
        },
    };
    match result {
        Ok(r) => HttpReply::json(r.status, &r.body),
        Err(e) => HttpReply::error(&e),
    }
}

/// The catalogue as JSON: id, name, class, capacity, charge power and which fields are estimates.
pub fn vehicles_json() -> serde_json::Value {
    let list: Vec<serde_json::Value> = twin_model::vehicle::catalogue()
        .iter()
        .map(|e| {
            json!({
                "id": e.vehicle.id,
                "name": e.name,
                "class": e.vehicle.class,
                "capacity_kwh": e.vehicle.battery.capacity_kwh,
                "max_charge_kw": e.vehicle.battery.max_charge_kw,
                "mass_kg": e.vehicle.mass_kg,
                "estimated_fields": e.estimated_fields,
                "source": e.source,
            })
        })
        .collect();
    json!({ "vehicles": list })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn call(method: &str, path: &str, body: &str) -> HttpReply {
        route(
            &Deps::default(),
            Door::Server,
            method,
            path,
            Vec::new(),
            body.as_bytes(),
        )
        .await
    }

    #[tokio::test]
    async fn routes_and_errors_are_json() {
        assert_eq!(call("GET", "/health", "").await.status, 200);
        assert_eq!(call("GET", "/nope", "").await.status, 404);
        assert_eq!(call("GET", "/v1/time-to-charge", "").await.status, 405);
        let r = call("POST", "/v1/time-to-charge", "{").await;
        assert_eq!(r.status, 400);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "malformed_json");
    }

    #[tokio::test]
    async fn bodies_over_six_megabytes_get_413() {
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(call("POST", "/v1/time-to-charge", &big).await.status, 413);
    }

    #[tokio::test]
    async fn run_ids_with_traversal_are_refused() {
        assert_eq!(
            call("GET", "/v1/depot-simulations/..", "").await.status,
            400
        );
        assert_eq!(
            call("GET", "/v1/depot-simulations/abc", "").await.status,
            404
        );
    }
}
