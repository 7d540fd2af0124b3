//! `twin serve`: every route of the API in one local process.

use anyhow::Context;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use twin_api::runs::{LocalDispatch, Worker};
use twin_api::{http, ApiError, Deps, Door, MAX_BODY_BYTES};

/// Binds `host:port` and serves until Ctrl-C. Asynchronous depot runs execute in a background task
/// on this process (leases of `lease_s`, renewed while running); at start, and every half lease, it
/// resumes unfinished runs, so runs accepted before a restart (or left by a killed server) finish.
pub fn run(host: &str, port: u16, data_dir: PathBuf, lease_s: f64) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let deps = crate::store_deps(data_dir).await?;
        let stores = deps
            .stores
            .as_deref()
            .cloned()
            .context("no store configured")?;
        let lease = Duration::from_secs_f64(lease_s.clamp(0.1, 3600.0));
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let worker = Worker::new(
            stores,
            twin_api::runs::worker_id(),
            twin_api::depot_simulation::run_compute,
        )
        .with_lease_ms(lease_ms);
        let dispatch = LocalDispatch::spawn(worker, lease / 2);
        let deps = Arc::new(deps.with_dispatch(Arc::new(dispatch)));
        let app = Router::new().fallback(handler).with_state(deps);
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .with_context(|| format!("binding {host}:{port}"))?;
        eprintln!("twin serve: listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}

async fn handler(
    State(deps): State<Arc<Deps>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES + 1).await {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::too_large(
                None,
                format!("request body over the {MAX_BODY_BYTES}-byte (6 MB) limit; use `twin invoke` or an async run"),
            );
            return json_response(e.status, e.to_json().to_string());
        }
    };
    let headers = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let reply = http::route(
        &deps,
        Door::Server,
        method.as_str(),
        uri.path(),
        headers,
        &bytes,
    )
    .await;
    json_response(reply.status, reply.body)
}

fn json_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
