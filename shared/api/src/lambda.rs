//! The Lambda door: API Gateway (HTTP API v2 or REST) events through [`crate::http::route`].

use crate::{http, Deps, Door};
use lambda_http::{Body, Error, Request, RequestExt, Response};

/// Handles one API Gateway event. Routes on `raw_http_path()` (REST events carry the stage in `uri()`).
pub async fn handle_event(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let path = req.raw_http_path().to_string();
    let method = req.method().as_str().to_string();
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let reply = http::route(
        deps,
        Door::Lambda,
        &method,
        &path,
        headers,
        req.body().as_ref(),
    )
    .await;
    Ok(Response::builder()
        .status(reply.status)
        .header("content-type", "application/json")
        .body(Body::Text(reply.body))?)
}

/// Runs the Lambda runtime loop with `deps` built once at cold start.
pub async fn run(deps: Deps) -> Result<(), Error> {
    let deps = std::sync::Arc::new(deps);
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let deps = deps.clone();
        async move { handle_event(&deps, req).await }
    }))
    .await
}
