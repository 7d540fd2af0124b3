//! twin-api: the one contract behind all three doors (Lambda, `twin serve`, `twin invoke`).
//!
//! Every capability is one async handler taking the request body and returning a [`Reply`] or an
//! [`ApiError`]; [`http::route`] maps method + path onto them, and the Lambda adapter
//! ([`lambda`], feature `lambda`) and the local server both call [`http::route`].
#![forbid(unsafe_code)]

pub mod depot_simulation;
pub mod error;
pub mod event;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod nightly;
pub mod openapi;
pub mod range_remaining;
pub mod runs;
pub mod strict;
pub mod sweep;
pub mod time_to_charge;
pub mod trip_planning;
pub mod validate;
pub mod vehicle;

pub use error::ApiError;

use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use twin_estimators::Registry;
use twin_store::{StoreConfig, StoreError, Stores};

/// Largest HTTP body accepted (bytes): API Gateway's and Lambda's 6 MB payload limit.
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// The four capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// `POST /v1/time-to-charge`
    TimeToCharge,
    /// `POST /v1/range-remaining`
    RangeRemaining,
    /// `POST /v1/trip-plans`
    TripPlanning,
    /// `POST /v1/depot-simulations`
    DepotSimulation,
}

impl Capability {
    /// All capabilities.
    pub const ALL: [Capability; 4] = [
        Capability::TimeToCharge,
        Capability::RangeRemaining,
        Capability::TripPlanning,
        Capability::DepotSimulation,
    ];

    /// snake_case name (function, binary, events folder, `twin invoke` argument).
    pub fn name(self) -> &'static str {
        match self {
            Capability::TimeToCharge => "time_to_charge",
            Capability::RangeRemaining => "range_remaining",
            Capability::TripPlanning => "trip_planning",
            Capability::DepotSimulation => "depot_simulation",
        }
    }

    /// HTTP path of the capability's POST route.
    pub fn path(self) -> &'static str {
        match self {
            Capability::TimeToCharge => "/v1/time-to-charge",
            Capability::RangeRemaining => "/v1/range-remaining",
            Capability::TripPlanning => "/v1/trip-plans",
            Capability::DepotSimulation => "/v1/depot-simulations",
        }
    }

    /// Parses a snake_case name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Which door a request came through; `twin invoke` always runs to completion (never a 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// API Gateway / Lambda.
    Lambda,
    /// `twin serve`.
    Server,
    /// `twin invoke`.
    Cli,
}

/// Everything a handler borrows, built once at start-up (cold start).
///
/// `stores` holds the run and artifact stores (S3 + DynamoDB in AWS, files + SQLite locally); without
/// them depot artifacts come back inline as `data:` URLs and no run is stored. `dispatch` starts an
/// accepted asynchronous run (a background task in `twin serve`, an asynchronous invocation of the
/// worker function in AWS); without it an accepted run waits for the next resume (schedule, restart).
#[derive(Debug, Clone)]
pub struct Deps {
    /// Local data folder (`twin serve --data-dir`, `TWIN_DATA_DIR`), when running locally.
    pub data_dir: Option<PathBuf>,
    /// The learned estimators (the models bundled in the binary, loaded and self-checked once; a
    /// model that fails its checks is recorded there and the handlers fall back to physics).
    pub estimators: Arc<Registry>,
    /// Run and artifact stores.
    pub stores: Option<Arc<Stores>>,
    /// Starts accepted runs.
    pub dispatch: Option<Arc<dyn runs::Dispatch>>,
}

/// The estimators every door serves: the models bundled in the binary, then the model cards (and
/// their ONNX files) in the folder `TWIN_MODELS_DIR` names, if set, replacing bundled models of the
/// same name. A folder that cannot be read is recorded as a failure, never fatal: physics answers.
pub fn estimators_from_env() -> Registry {
    let mut reg = Registry::bundled();
    if let Some(dir) = std::env::var_os("TWIN_MODELS_DIR") {
        let dir = PathBuf::from(dir);
        match Registry::from_dir(&dir) {
            Ok(more) => reg.merge(more),
            Err(e) => reg.record("TWIN_MODELS_DIR", Err(e)),
        }
    }
    reg
}

impl Default for Deps {
    fn default() -> Self {
        Self {
            data_dir: None,
            estimators: Arc::new(estimators_from_env()),
            stores: None,
            dispatch: None,
        }
    }
}

impl Deps {
    /// Local dependencies rooted at `data_dir`: the local store (`artifacts/`, `runs.sqlite3`) in it.
    pub fn local(data_dir: PathBuf) -> Result<Self, StoreError> {
        let (artifacts, runs) = twin_store::local::open(&data_dir)?;
        Ok(Self {
            data_dir: Some(data_dir),
            stores: Some(Arc::new(Stores {
                artifacts: Arc::new(artifacts),
                runs: Arc::new(runs),
            })),
            ..Self::default()
        })
    }

    /// Dependencies on the stores `config` names (connects once: one client per AWS service).
    pub async fn from_config(config: &StoreConfig) -> Result<Self, StoreError> {
        let stores = config.connect().await?;
        Ok(Self {
            data_dir: match config {
                StoreConfig::Local { data_dir } => Some(data_dir.clone()),
                StoreConfig::Aws { .. } => None,
            },
            stores: Some(Arc::new(stores)),
            ..Self::default()
        })
    }

    /// The same dependencies, starting accepted runs with `dispatch`.
    pub fn with_dispatch(mut self, dispatch: Arc<dyn runs::Dispatch>) -> Self {
        self.dispatch = Some(dispatch);
        self
    }
}

/// A request context: the door and the request's headers (lower-case names).
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The door.
    pub door: Door,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Ctx {
    /// A context for a door with no headers.
    pub fn new(door: Door) -> Self {
        Self {
            door,
            headers: Vec::new(),
        }
    }
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A successful reply: status (200, or 202 for accepted async work) and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: serde_json::Value,
}

impl Reply {
    /// 200 with `body` serialised.
    pub fn ok<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        serde_json::to_value(body)
            .map(|b| Reply {
                status: 200,
                body: b,
            })
            .map_err(ApiError::internal)
    }
}

/// Runs one capability on a raw JSON body.
pub async fn handle(
    deps: &Deps,
    ctx: &Ctx,
    cap: Capability,
    body: &[u8],
) -> Result<Reply, ApiError> {
    match cap {
        Capability::TimeToCharge => time_to_charge::handle(deps, ctx, body).await,
        Capability::RangeRemaining => range_remaining::handle(deps, ctx, body).await,
        Capability::TripPlanning => trip_planning::handle(deps, ctx, body).await,
        Capability::DepotSimulation => depot_simulation::handle(deps, ctx, body).await,
    }
}
