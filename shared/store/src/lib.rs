#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub mod aws;
mod config;
mod error;
mod key;
pub mod local;
pub mod run;

pub use config::{StoreConfig, Stores};
pub use error::{BoxError, ConfigError, StoreError};
pub use key::validate_key;
pub use run::{Created, Lease, NewRun, RunRecord, RunStatus, Transition};

/// One stored blob, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactInfo {
    /// Its key (a relative path such as `runs/r1/soc.csv`).
    pub key: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// Blobs by key: run requests, CSV series, SVG charts, OCPP profiles, stored depot plans.
///
/// Keys are relative paths of `[A-Za-z0-9._=+-]` segments separated by `/` (see
/// [`validate_key`]); both backends refuse anything else, so a key that works locally works in S3.
#[async_trait]
pub trait ArtifactStore: Send + Sync {
    /// Writes `body` under `key`, replacing what was there. The write is atomic: a reader sees
    /// the old blob or the whole new one, never a part.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), StoreError>;

    /// Reads the blob under `key`; `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every blob whose key starts with `prefix` (plain string prefix, as S3), sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ArtifactInfo>, StoreError>;

    /// A URL from which the blob can be fetched without credentials for `expires_in`
    /// (S3: a presigned GET; local: a `file://` URL, which does not expire).
    async fn presigned_url(&self, key: &str, expires_in: Duration) -> Result<String, StoreError>;
}

/// Durable run records with conditional creation, versioned transitions and leases.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Creates a `queued` run, never overwriting one.
    ///
    /// If `new.idempotency_key` was already used, nothing is written and the run created with
    /// it is returned as [`Created::Existing`]; otherwise an existing `run_id` is
    /// [`StoreError::AlreadyExists`]. The record and its key are written atomically.
    async fn create(&self, new: NewRun) -> Result<Created, StoreError>;

    /// The run with this id (a strongly consistent read).
    async fn get(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError>;

    /// The run created with this idempotency key.
    async fn find_by_idempotency_key(&self, key: &str) -> Result<Option<RunRecord>, StoreError>;

    /// Applies `t` if the stored record is still at `expected_version` and the state machine
    /// allows it (see [`run::check`]); returns the new record (version + 1).
    async fn transition(
        &self,
        run_id: &str,
        expected_version: u64,
        t: Transition,
    ) -> Result<RunRecord, StoreError>;

    /// Runs of one depot created in `[from_ms, to_ms]`, newest first, at most `limit`.
    async fn list_by_depot(
        &self,
        depot_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError>;

    /// Runs not yet finished (`queued` or `running`), oldest first, at most `limit`: what a
    /// restarted worker or a sweeper looks at to resume work.
    async fn list_unfinished(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError>;

    /// The run, or [`StoreError::NotFound`].
    async fn require(&self, run_id: &str) -> Result<RunRecord, StoreError> {
        self.get(run_id).await?.ok_or_else(|| StoreError::NotFound {
            run_id: run_id.to_owned(),
        })
    }

    /// Reads the run and starts it for `owner` (queued, or running with an expired lease).
    ///
    /// Of several workers calling this at once for one run, exactly one gets `Ok`; the others
    /// get a conflict ([`StoreError::is_conflict`]).
    async fn claim(
        &self,
        run_id: &str,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<RunRecord, StoreError> {
        let current = self.require(run_id).await?;
        self.transition(
            run_id,
            current.version,
            Transition::Start {
                owner: owner.to_owned(),
                now_ms,
                lease_ms,
            },
        )
        .await
    }
}

/// Shared handles, as held in the API's dependencies.
pub type DynArtifactStore = Arc<dyn ArtifactStore>;
/// Shared handles, as held in the API's dependencies.
pub type DynRunStore = Arc<dyn RunStore>;
