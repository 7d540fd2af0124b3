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

/// Which part the depot_simulation binary plays: the API behind API Gateway, or the worker (invoked
/// asynchronously with `{"run_id"}`, by the sweep state machine, and by the nightly schedule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// API Gateway events.
    Api,
    /// Run ids, sweep variants and schedule events (`TWIN_ROLE=worker`).
    Worker,
}

/// The depot function's configuration, read once from the environment (names as in template.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotConfig {
    /// `TWIN_ROLE`: `worker`, or anything else / unset for the API.
    pub role: Role,
    /// `TWIN_BUCKET` + `TWIN_TABLE`, else the local data folder.
    pub store: twin_store::StoreConfig,
    /// `TWIN_WORKER_FUNCTION`: the function accepted runs (and sweeps) are invoked on asynchronously.
    pub worker_function: Option<String>,
}

impl DepotConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self, twin_store::ConfigError> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Ok(Self {
            role: match var("TWIN_ROLE").as_deref() {
                Some("worker") => Role::Worker,
                _ => Role::Api,
            },
            store: twin_store::StoreConfig::from_env()?,
            worker_function: var("TWIN_WORKER_FUNCTION"),
        })
    }

    /// Builds the dependencies once (cold start): one AWS SDK configuration, and from it the S3 and
    /// DynamoDB clients of the stores and the Lambda client the API starts runs with. (Without
    /// `TWIN_BUCKET`/`TWIN_TABLE`, e.g. `sam local`, the local store and no dispatcher.)
    pub async fn connect(&self) -> Result<Deps, Error> {
        let twin_store::StoreConfig::Aws {
            bucket,
            table,
            force_path_style,
        } = &self.store
        else {
            return Ok(Deps::from_config(&self.store).await?);
        };
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let aws =
            twin_store::aws::AwsStores::from_sdk_config(&sdk, bucket, table, *force_path_style);
        let mut deps = Deps {
            stores: Some(std::sync::Arc::new(twin_store::Stores {
                artifacts: std::sync::Arc::new(aws.artifacts),
                runs: std::sync::Arc::new(aws.runs),
            })),
            ..Deps::default()
        };
        if let (Role::Api, Some(function)) = (self.role, &self.worker_function) {
            deps = deps.with_dispatch(std::sync::Arc::new(LambdaDispatch {
                lambda: aws_sdk_lambda::Client::new(&sdk),
                worker_function: function.clone(),
            }));
        }
        Ok(deps)
    }
}

/// Starts accepted runs in AWS: an asynchronous (`Event`) invocation of the worker function with
/// `{"run_id": ...}`; Lambda queues it and retries a failed one twice. A sweep is one such run (its
/// variants on the worker's cores).
#[derive(Debug)]
pub struct LambdaDispatch {
    lambda: aws_sdk_lambda::Client,
    worker_function: String,
}

impl crate::runs::Dispatch for LambdaDispatch {
    fn dispatch(&self, run_id: String) -> crate::runs::BoxFuture<'_, Result<(), crate::ApiError>> {
        Box::pin(async move {
            let payload = serde_json::json!({ "run_id": run_id }).to_string();
            self.lambda
                .invoke()
                .function_name(&self.worker_function)
                .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
                .payload(aws_sdk_lambda::primitives::Blob::new(payload))
                .send()
                .await
                .map_err(|e| {
                    crate::ApiError::unavailable(aws_sdk_lambda::error::DisplayErrorContext(e))
                })?;
            Ok(())
        })
    }
}

/// Runs the depot function: API Gateway events for the API role, worker events for the worker.
pub async fn run_depot(config: &DepotConfig, deps: Deps) -> Result<(), Error> {
    match config.role {
        Role::Api => run(deps).await,
        Role::Worker => {
            let Some(stores) = deps.stores.clone() else {
                return Err("the worker needs TWIN_BUCKET and TWIN_TABLE".into());
            };
            let worker = crate::runs::Worker::new(
                (*stores).clone(),
                crate::runs::worker_id(),
                crate::depot_simulation::run_compute,
            );
            let worker = std::sync::Arc::new(worker);
            lambda_http::lambda_runtime::run(lambda_http::service_fn(
                move |ev: lambda_http::LambdaEvent<serde_json::Value>| {
                    let worker = worker.clone();
                    async move { worker_event(&worker, ev.payload).await }
                },
            ))
            .await
        }
    }
}

/// One worker event: `{"run_id"}` (an accepted run or a sweep variant) → that run executed;
/// `{"action": "replan"}` (the nightly schedule) → every plan under `plans/` re-planned for the next
/// day and run, then unfinished runs resumed; `{"action": "resume"}` → unfinished runs resumed.
pub async fn worker_event(
    worker: &crate::runs::Worker,
    event: serde_json::Value,
) -> Result<serde_json::Value, Error> {
    if let Some(id) = event.get("run_id").and_then(|v| v.as_str()) {
        crate::validate::id("run_id", id)?;
        let r = match worker.execute(id).await? {
            crate::runs::Executed::Finished(r) | crate::runs::Executed::Skipped(r) => r,
        };
        return Ok(serde_json::json!({ "run_id": r.run_id, "status": r.status.as_str() }));
    }
    match event.get("action").and_then(|v| v.as_str()) {
        Some("replan") => {
            let runs = crate::nightly::replan_all(worker, crate::runs::now_ms()).await?;
            let resumed = worker.resume_unfinished().await?;
            Ok(serde_json::json!({ "replanned": runs, "resumed": resumed }))
        }
        Some("resume") => {
            let resumed = worker.resume_unfinished().await?;
            Ok(serde_json::json!({ "resumed": resumed }))
        }
        _ => Err(format!("unknown worker event: {event}").into()),
    }
}
