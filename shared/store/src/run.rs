//! Run records and the state machine every `RunStore` enforces.
//!
//! ```text
//!            Start (lease)            Succeed (artifacts already written)
//!  queued ─────────────────▶ running ─────────────────────────────────▶ succeeded
//!                             │  ▲  │
//!             Renew (owner) ──┘  │  └──── Fail (owner) ──────────────────▶ failed
//!                                │
//!             Start by another worker once `lease.expires_at_ms <= now_ms` (takeover)
//! ```
//!
//! Every successful transition increments `version` by one; a transition names the version it
//! read, so of two writers that read the same version exactly one succeeds (optimistic
//! concurrency). The pure functions [`check`] and [`apply`] hold the rules; the backends only
//! add the atomic compare-and-swap on `version`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Created, waiting for a worker.
    Queued,
    /// A worker holds the lease and is computing.
    Running,
    /// Finished; every artifact was written before this state was recorded.
    Succeeded,
    /// Finished with an error.
    Failed,
}

impl RunStatus {
    /// The wire and storage spelling (`queued`, `running`, `succeeded`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(RunStatus::Queued),
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }

    /// `succeeded` or `failed`: no transition leaves these.
    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A worker's claim on a running run, valid until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it (a worker id: Lambda request id, host + pid, ...).
    pub owner: String,
    /// Milliseconds since the Unix epoch after which another worker may take the run over.
    pub expires_at_ms: i64,
}

/// The stored record of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique id, chosen by the caller (URL-safe).
    pub run_id: String,
    /// The depot (or plan) the run belongs to; runs are listed per depot.
    pub depot_id: String,
    /// What kind of run this is (e.g. `depot_simulation`, `sweep`).
    pub kind: String,
    /// Where the run is in its life.
    pub status: RunStatus,
    /// Incremented by every transition; starts at 1.
    pub version: u64,
    /// Creation time, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// Time of the last transition, ms since the Unix epoch.
    pub updated_at_ms: i64,
    /// The client's `Idempotency-Key`, if any: a retried create with it returns this run.
    pub idempotency_key: Option<String>,
    /// Artifact key of the stored request the worker runs.
    pub request_key: Option<String>,
    /// A digest of the request (lets a caller tell a retry from a different request reusing a key).
    pub request_digest: Option<String>,
    /// Set while `running`.
    pub lease: Option<Lease>,
    /// How many times a worker started this run (takeovers count).
    pub attempts: u32,
    /// The result summary, set on `succeeded`.
    pub summary: Option<serde_json::Value>,
    /// Artifact name → artifact key, set on `succeeded`.
    pub artifacts: BTreeMap<String, String>,
    /// Why it failed, set on `failed`.
    pub error: Option<String>,
}

/// What a caller supplies to create a run (always created `queued`, version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// Unique id (URL-safe: `[A-Za-z0-9._-]`, 1..=128 chars).
    pub run_id: String,
    /// The depot the run belongs to (same character set).
    pub depot_id: String,
    /// The kind of run.
    pub kind: String,
    /// Optional idempotency key (1..=256 printable ASCII chars).
    pub idempotency_key: Option<String>,
    /// Artifact key of the stored request.
    pub request_key: Option<String>,
    /// Digest of the request.
    pub request_digest: Option<String>,
    /// Creation time, ms since the Unix epoch.
    pub now_ms: i64,
}

impl NewRun {
    /// The record this creates.
    pub fn into_record(self) -> RunRecord {
        RunRecord {
            run_id: self.run_id,
            depot_id: self.depot_id,
            kind: self.kind,
            status: RunStatus::Queued,
            version: 1,
            created_at_ms: self.now_ms,
            updated_at_ms: self.now_ms,
            idempotency_key: self.idempotency_key,
            request_key: self.request_key,
            request_digest: self.request_digest,
            lease: None,
            attempts: 0,
            summary: None,
            artifacts: BTreeMap::new(),
            error: None,
        }
    }

    /// Checks ids and key for the allowed characters and lengths.
    pub fn validate(&self) -> Result<(), StoreError> {
        validate_id("run_id", &self.run_id)?;
        validate_id("depot_id", &self.depot_id)?;
        validate_id("kind", &self.kind)?;
        if let Some(key) = &self.idempotency_key {
            let ok = !key.is_empty()
                && key.len() <= 256
                && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
            if !ok {
                return Err(StoreError::InvalidId {
                    what: "idempotency_key",
                    value: key.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Ids: 1..=128 chars of `[A-Za-z0-9._-]`.
pub(crate) fn validate_id(what: &'static str, value: &str) -> Result<(), StoreError> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidId {
            what,
            value: value.to_owned(),
        })
    }
}

/// The outcome of [`crate::RunStore::create`].
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A new record was written.
    New(RunRecord),
    /// The idempotency key was already used: this is the run it created (nothing was written).
    Existing(RunRecord),
}

impl Created {
    /// The record, new or existing.
    pub fn record(&self) -> &RunRecord {
        match self {
            Created::New(r) | Created::Existing(r) => r,
        }
    }

    /// The record, new or existing.
    pub fn into_record(self) -> RunRecord {
        match self {
            Created::New(r) | Created::Existing(r) => r,
        }
    }

    /// True when this call wrote the record.
    pub fn is_new(&self) -> bool {
        matches!(self, Created::New(_))
    }
}

/// A state change requested by a worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// `queued → running`, or take over a `running` run whose lease has expired.
    Start {
        /// The worker taking the lease.
        owner: String,
        /// Now, ms since the Unix epoch.
        now_ms: i64,
        /// How long the lease lasts.
        lease_ms: i64,
    },
    /// `running → running` by the lease owner: extend the lease (heartbeat).
    Renew {
        /// The lease owner.
        owner: String,
        /// Now, ms since the Unix epoch.
        now_ms: i64,
        /// How long the renewed lease lasts from now.
        lease_ms: i64,
    },
    /// `running → succeeded` by the lease owner. Write every artifact first.
    Succeed {
        /// The lease owner.
        owner: String,
        /// Now, ms since the Unix epoch.
        now_ms: i64,
        /// The result summary.
        summary: serde_json::Value,
        /// Artifact name → key (already written).
        artifacts: BTreeMap<String, String>,
    },
    /// `running → failed` by the lease owner.
    Fail {
        /// The lease owner.
        owner: String,
        /// Now, ms since the Unix epoch.
        now_ms: i64,
        /// Why.
        error: String,
    },
}

impl Transition {
    /// The status this transition leads to.
    pub fn target(&self) -> RunStatus {
        match self {
            Transition::Start { .. } | Transition::Renew { .. } => RunStatus::Running,
            Transition::Succeed { .. } => RunStatus::Succeeded,
            Transition::Fail { .. } => RunStatus::Failed,
        }
    }
}

/// Is `t` allowed on `current`, which the caller read at `expected_version`?
///
/// Errors: [`StoreError::VersionConflict`] when the record moved on,
/// [`StoreError::InvalidTransition`] for a move the state machine forbids,
/// [`StoreError::LeaseHeld`] when another worker's lease is still valid (or the caller is not
/// the lease owner).
pub fn check(current: &RunRecord, expected_version: u64, t: &Transition) -> Result<(), StoreError> {
    if current.version != expected_version {
        return Err(StoreError::VersionConflict {
            run_id: current.run_id.clone(),
            expected: expected_version,
            actual: current.version,
        });
    }
    let invalid = || StoreError::InvalidTransition {
        run_id: current.run_id.clone(),
        from: current.status,
        to: t.target(),
    };
    let held = |lease: &Lease| StoreError::LeaseHeld {
        run_id: current.run_id.clone(),
        owner: lease.owner.clone(),
        expires_at_ms: lease.expires_at_ms,
    };
    match (current.status, t) {
        (RunStatus::Queued, Transition::Start { .. }) => Ok(()),
        (RunStatus::Running, Transition::Start { now_ms, .. }) => match &current.lease {
            Some(lease) if lease.expires_at_ms > *now_ms => Err(held(lease)),
            _ => Ok(()),
        },
        (
            RunStatus::Running,
            Transition::Renew { owner, .. }
            | Transition::Succeed { owner, .. }
            | Transition::Fail { owner, .. },
        ) => match &current.lease {
            Some(lease) if &lease.owner == owner => Ok(()),
            Some(lease) => Err(held(lease)),
            None => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

/// The record after `t` (call [`check`] first).
pub fn apply(current: &RunRecord, t: Transition) -> RunRecord {
    let mut next = current.clone();
    next.version = current.version + 1;
    next.status = t.target();
    match t {
        Transition::Start {
            owner,
            now_ms,
            lease_ms,
        } => {
            next.updated_at_ms = now_ms;
            next.attempts = current.attempts.saturating_add(1);
            next.lease = Some(Lease {
                owner,
                expires_at_ms: now_ms.saturating_add(lease_ms),
            });
        }
        Transition::Renew {
            owner,
            now_ms,
            lease_ms,
        } => {
            next.updated_at_ms = now_ms;
            next.lease = Some(Lease {
                owner,
                expires_at_ms: now_ms.saturating_add(lease_ms),
            });
        }
        Transition::Succeed {
            now_ms,
            summary,
            artifacts,
            ..
        } => {
            next.updated_at_ms = now_ms;
            next.lease = None;
            next.summary = Some(summary);
            next.artifacts = artifacts;
            next.error = None;
        }
        Transition::Fail { now_ms, error, .. } => {
            next.updated_at_ms = now_ms;
            next.lease = None;
            next.error = Some(error);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued() -> RunRecord {
        NewRun {
            run_id: "r1".into(),
            depot_id: "d1".into(),
            kind: "depot_simulation".into(),
            idempotency_key: None,
            request_key: None,
            request_digest: None,
            now_ms: 1_000,
        }
        .into_record()
    }

    fn start(owner: &str, now_ms: i64) -> Transition {
        Transition::Start {
            owner: owner.into(),
            now_ms,
            lease_ms: 500,
        }
    }

    #[test]
    fn start_from_queued_takes_a_lease_and_bumps_version() {
        // GIVEN a queued run WHEN a worker starts it THEN it is running under that worker's lease
        let r = queued();
        check(&r, 1, &start("a", 2_000)).unwrap();
        let next = apply(&r, start("a", 2_000));
        assert_eq!(next.status, RunStatus::Running);
        assert_eq!(next.version, 2);
        assert_eq!(next.attempts, 1);
        assert_eq!(
            next.lease,
            Some(Lease {
                owner: "a".into(),
                expires_at_ms: 2_500
            })
        );
    }

    #[test]
    fn a_stale_version_is_a_conflict() {
        let r = apply(&queued(), start("a", 2_000));
        let err = check(&r, 1, &start("b", 2_100)).unwrap_err();
        assert!(matches!(
            err,
            StoreError::VersionConflict {
                expected: 1,
                actual: 2,
                ..
            }
        ));
    }

    #[test]
    fn takeover_waits_for_the_lease_to_expire() {
        // Lease of "a" runs 2_000 + 500 = 2_500: at 2_499 it is held, at 2_500 it is free.
        let r = apply(&queued(), start("a", 2_000));
        assert!(matches!(
            check(&r, 2, &start("b", 2_499)),
            Err(StoreError::LeaseHeld { .. })
        ));
        check(&r, 2, &start("b", 2_500)).unwrap();
        let taken = apply(&r, start("b", 2_500));
        assert_eq!(taken.attempts, 2);
        assert_eq!(taken.lease.unwrap().owner, "b");
    }

    #[test]
    fn only_the_owner_finishes_and_terminal_states_are_final() {
        let r = apply(&queued(), start("a", 2_000));
        let fail_by_b = Transition::Fail {
            owner: "b".into(),
            now_ms: 2_100,
            error: "x".into(),
        };
        assert!(matches!(
            check(&r, 2, &fail_by_b),
            Err(StoreError::LeaseHeld { .. })
        ));
        let ok = Transition::Succeed {
            owner: "a".into(),
            now_ms: 2_200,
            summary: serde_json::json!({"peak_kw": 10.0}),
            artifacts: BTreeMap::from([("soc_csv".into(), "runs/r1/soc.csv".into())]),
        };
        check(&r, 2, &ok).unwrap();
        let done = apply(&r, ok);
        assert_eq!(done.status, RunStatus::Succeeded);
        assert_eq!(done.lease, None);
        // No way out of a terminal state, not even by starting again after any delay.
        assert!(matches!(
            check(&done, 3, &start("a", i64::MAX)),
            Err(StoreError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn a_queued_run_cannot_be_finished_without_being_started() {
        let r = queued();
        let t = Transition::Succeed {
            owner: "a".into(),
            now_ms: 2_000,
            summary: serde_json::Value::Null,
            artifacts: BTreeMap::new(),
        };
        assert!(matches!(
            check(&r, 1, &t),
            Err(StoreError::InvalidTransition {
                from: RunStatus::Queued,
                to: RunStatus::Succeeded,
                ..
            })
        ));
    }

    #[test]
    fn ids_are_url_safe() {
        assert!(validate_id("run_id", "run-2026_12.04").is_ok());
        for bad in ["", "a/b", "a b", "ü", &"x".repeat(129)] {
            assert!(validate_id("run_id", bad).is_err(), "{bad:?}");
        }
    }
}
