//! Errors of the stores and of their configuration.

use std::path::PathBuf;

use crate::run::RunStatus;

/// A boxed SDK or runtime error, kept whole as the `source` (never turned into a string).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a store call can fail with.
///
/// The first group is the caller's business (conflicts, missing records, bad keys): map them to
/// 4xx or retry logic. The second group is infrastructure (SDK, SQLite, file system): transient
/// or a misconfiguration; the cause is chained as `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `create` found a run with this id already (and no matching idempotency key).
    #[error("run {run_id} already exists")]
    AlreadyExists {
        /// The id.
        run_id: String,
    },
    /// No run with this id.
    #[error("run {run_id} not found")]
    NotFound {
        /// The id.
        run_id: String,
    },
    /// Optimistic concurrency: the record moved on since the caller read it.
    #[error("run {run_id} is at version {actual}, the caller expected version {expected}")]
    VersionConflict {
        /// The id.
        run_id: String,
        /// The version the caller read.
        expected: u64,
        /// The version stored now.
        actual: u64,
    },
    /// The state machine forbids this move.
    #[error("run {run_id} cannot go from {from} to {to}")]
    InvalidTransition {
        /// The id.
        run_id: String,
        /// The current status.
        from: RunStatus,
        /// The requested status.
        to: RunStatus,
    },
    /// Another worker holds a valid lease (or the caller does not own the lease).
    #[error("run {run_id} is leased by {owner} until {expires_at_ms} ms")]
    LeaseHeld {
        /// The id.
        run_id: String,
        /// The lease owner.
        owner: String,
        /// When the lease expires (ms since the Unix epoch).
        expires_at_ms: i64,
    },
    /// An id or idempotency key with characters or a length the stores do not accept.
    #[error("invalid {what}: {value:?}")]
    InvalidId {
        /// Which field.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// An artifact key that is not a clean relative path.
    #[error("invalid artifact key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A stored record that does not decode (written by something else, or corrupted).
    #[error("stored record {id} is malformed: {what}")]
    Corrupt {
        /// Which record.
        id: String,
        /// What is wrong.
        what: String,
    },
    /// JSON (de)serialisation of a stored record or summary.
    #[error("JSON encoding of {what} failed")]
    Json {
        /// What was being encoded or decoded.
        what: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// An S3 call failed.
    #[error("S3 {op} failed for s3://{bucket}/{key}")]
    S3 {
        /// The operation (`PutObject`, ...).
        op: &'static str,
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// A DynamoDB call failed.
    #[error("DynamoDB {op} failed on table {table} for {id}")]
    Dynamo {
        /// The operation (`PutItem`, ...).
        op: &'static str,
        /// The table.
        table: String,
        /// The item or query it was about.
        id: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// A SQLite call failed.
    #[error("SQLite {op} failed")]
    Sqlite {
        /// What was being done.
        op: &'static str,
        /// The rusqlite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file-system call failed.
    #[error("{op} {} failed", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A blocking task (SQLite or file I/O on the blocking pool) panicked or was cancelled.
    #[error("blocking store task did not complete")]
    Join(#[source] tokio::task::JoinError),
}

impl StoreError {
    /// True for errors that say "someone else got there first" (a conflict, a held lease, an
    /// existing id): the caller should re-read rather than retry blindly.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StoreError::AlreadyExists { .. }
                | StoreError::VersionConflict { .. }
                | StoreError::LeaseHeld { .. }
                | StoreError::InvalidTransition { .. }
        )
    }
}

/// Configuration read from the environment is incomplete or wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A variable is required (because a related one is set) but missing.
    #[error("environment variable {missing} must be set when {because} is set")]
    Missing {
        /// The missing variable.
        missing: &'static str,
        /// The variable that requires it.
        because: &'static str,
    },
}
