//! Durable, asynchronous runs: `POST` → 202 + `run_id`, a worker runs the stored request, writes every
//! artifact, then marks the run succeeded; `GET /v1/depot-simulations/{run_id}` reads it back.
//!
//! ```text
//! submit:  request ──put──▶ runs/<id>/request.json      (artifact first, so a run never points at nothing)
//!                  ──create (Idempotency-Key)──▶ run record `queued`          → 202 {run_id, status}
//! execute: claim (lease) ─▶ load request ─▶ compute ─▶ put runs/<id>/<artifact>... ─▶ succeed (version-checked)
//!          a crash leaves the run `running`; once the lease expires, `resume_unfinished` (server start,
//!          schedule, Lambda retry) claims it again and runs it to the end.
//! ```
//!
//! The capability-specific part (what "compute" is) is a [`Compute`] function supplied by the capability
//! module; everything here is generic over it. Stores come from `twin-store` (S3 + DynamoDB, or files +
//! SQLite under the local data folder).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use twin_store::{Created, NewRun, RunRecord, RunStatus, StoreError, Stores, Transition};

use crate::error::ApiError;
use crate::{Ctx, Deps, Reply};

/// How long a worker's lease lasts unless set: the worker renews it every third of it while it computes,
/// so a live worker is never overtaken, and a crashed one's run is free again two minutes after its last
/// renewal (Lambda retries a failed asynchronous invocation after about one and then two minutes).
pub const LEASE_MS: i64 = 2 * 60 * 1000;
/// How long presigned artifact URLs in a GET reply stay valid.
pub const URL_TTL: Duration = Duration::from_secs(3600);
/// The run kind of depot simulations.
pub const KIND_DEPOT: &str = "depot_simulation";
/// The run kind of depot sizing sweeps (one run computing every variant).
pub const KIND_SWEEP: &str = "depot_sweep";

/// One artifact a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactOut {
    /// Its name in the reply's `artifacts` (e.g. `timeseries_csv`).
    pub name: String,
    /// File name under `runs/<run_id>/` (e.g. `timeseries.csv`).
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub body: Vec<u8>,
}

/// What a computation returns: the summary stored on the record, and the artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The response summary (stored on the run record).
    pub summary: serde_json::Value,
    /// Every artifact; all are written before the run is marked succeeded.
    pub artifacts: Vec<ArtifactOut>,
}

/// A boxed future, so computations can be passed around as plain functions.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The capability-specific work: the stored request's JSON in, the output (or a caller error) out.
pub type Compute = fn(serde_json::Value) -> BoxFuture<'static, Result<RunOutput, ApiError>>;

/// Milliseconds since the Unix epoch (the adapter's clock; the store reads none).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh run id: creation time (hex ms, so ids sort by time) and 64 random bits from the OS-seeded
/// hasher keys.
pub fn new_run_id(now_ms: i64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_ms);
    format!("{now_ms:011x}-{:016x}", h.finish())
}

/// A worker id for leases: host name (if the environment names it) and process id.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_STREAM_NAME"))
        .unwrap_or_else(|_| "local".to_owned());
    format!("{host}-{}", std::process::id())
}

pub(crate) fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { run_id } => {
            ApiError::not_found(format!("no depot simulation run `{run_id}`"))
        }
        StoreError::InvalidId { what, value } => ApiError::invalid(
            what,
            format!("{what} {value:?} must be 1-128 of [A-Za-z0-9._-]"),
        ),
        // Conflicts and infrastructure failures alike: transient for the caller, who may retry.
        e => ApiError::unavailable(e),
    }
}

fn request_key(run_id: &str) -> String {
    format!("runs/{run_id}/request.json")
}

/// Stores the request and creates a `queued` run for it (or, for a repeated `Idempotency-Key` with
/// the same request, returns the run that key created). The boolean says whether the run is new.
pub async fn submit(
    stores: &Stores,
    ctx: &Ctx,
    kind: &str,
    depot_id: &str,
    request: &[u8],
    now_ms: i64,
) -> Result<(RunRecord, bool), ApiError> {
    let key = ctx.header("idempotency-key").map(str::to_owned);
    if let Some(k) = &key {
        if k.is_empty() || k.len() > 256 || !k.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "Idempotency-Key must be 1-256 printable ASCII characters without spaces",
            ));
        }
        // A retry: answer from the existing run without writing anything.
        if let Some(existing) = stores
            .runs
            .find_by_idempotency_key(k)
            .await
            .map_err(store_err)?
        {
            check_same_request(stores, &existing, request).await?;
            return Ok((existing, false));
        }
    }
    let run_id = new_run_id(now_ms);
    let req_key = request_key(&run_id);
    stores
        .artifacts
        .put(&req_key, request.to_vec(), "application/json")
        .await
        .map_err(store_err)?;
    let created = stores
        .runs
        .create(NewRun {
            run_id,
            depot_id: depot_id.to_owned(),
            kind: kind.to_owned(),
            idempotency_key: key,
            request_key: Some(req_key),
            request_digest: None,
            now_ms,
        })
        .await
        .map_err(store_err)?;
    match created {
        Created::New(r) => Ok((r, true)),
        // Lost a race with a concurrent retry carrying the same key.
        Created::Existing(r) => {
            check_same_request(stores, &r, request).await?;
            Ok((r, false))
        }
    }
}

async fn check_same_request(
    stores: &Stores,
    existing: &RunRecord,
    request: &[u8],
) -> Result<(), ApiError> {
    let Some(k) = &existing.request_key else {
        return Ok(());
    };
    let stored = stores.artifacts.get(k).await.map_err(store_err)?;
    if stored.as_deref().is_some_and(|s| s != request) {
        return Err(ApiError::unprocessable(
            "Idempotency-Key",
            format!(
                "Idempotency-Key was already used for run {} with a different request",
                existing.run_id
            ),
        ));
    }
    Ok(())
}

/// The 202 reply for an accepted run.
pub fn accepted(record: &RunRecord) -> Reply {
    Reply {
        status: 202,
        body: json!({
            "run_id": record.run_id,
            "status": record.status.as_str(),
            "href": format!("/v1/depot-simulations/{}", record.run_id),
        }),
    }
}

/// Writes a run's artifacts as `runs/<run_id>/<file_name>`; returns artifact name → key.
pub async fn put_artifacts(
    stores: &Stores,
    run_id: &str,
    artifacts: Vec<ArtifactOut>,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut keys = BTreeMap::new();
    for a in artifacts {
        let key = format!("runs/{run_id}/{}", a.file_name);
        stores.artifacts.put(&key, a.body, &a.content_type).await?;
        keys.insert(a.name, key);
    }
    Ok(keys)
}

/// How an execution ended for this worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Executed {
    /// This worker ran it to `succeeded` or `failed`.
    Finished(RunRecord),
    /// Someone else holds it or finished it; nothing was done.
    Skipped(RunRecord),
}

/// A worker: the stores, who it is (lease owner), how long its leases last, and what it computes.
///
/// While it computes, the worker renews its lease every third of the lease, so a long run under a live
/// worker is never taken over, and a crashed worker's run is free again one lease after its last renewal.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Where runs and artifacts live.
    pub stores: Stores,
    /// The lease owner id.
    pub owner: String,
    /// The capability's computation.
    pub compute: Compute,
    /// Lease length (ms); [`LEASE_MS`] unless set.
    pub lease_ms: i64,
}

impl Worker {
    /// A worker with the default lease ([`LEASE_MS`]).
    pub fn new(stores: Stores, owner: impl Into<String>, compute: Compute) -> Self {
        Self {
            stores,
            owner: owner.into(),
            compute,
            lease_ms: LEASE_MS,
        }
    }

    /// The same worker with leases of `lease_ms` (at least 30 ms).
    pub fn with_lease_ms(mut self, lease_ms: i64) -> Self {
        self.lease_ms = lease_ms.max(30);
        self
    }

    /// Claims the run, runs the computation on the stored request (renewing the lease meanwhile),
    /// writes every artifact, then marks the run succeeded (or failed, for a request the computation
    /// rejects). A store error, or this future being dropped (a crash), leaves the run `running` under
    /// this worker's lease, to be taken over once it expires.
    pub async fn execute(&self, run_id: &str) -> Result<Executed, StoreError> {
        let runs = &self.stores.runs;
        let claimed = match runs
            .claim(run_id, &self.owner, now_ms(), self.lease_ms)
            .await
        {
            Ok(r) => r,
            Err(e) if e.is_conflict() => {
                let current = runs
                    .get(run_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound {
                        run_id: run_id.to_owned(),
                    })?;
                return Ok(Executed::Skipped(current));
            }
            Err(e) => return Err(e),
        };
        let request = match &claimed.request_key {
            Some(k) => self.stores.artifacts.get(k).await?,
            None => None,
        };
        let work = async {
            match request.map(|b| serde_json::from_slice::<serde_json::Value>(&b)) {
                Some(Ok(v)) => (self.compute)(v).await,
                Some(Err(e)) => Err(ApiError::malformed(format!("stored request: {e}"))),
                None => Err(ApiError::malformed("the stored request is missing")),
            }
        };
        let mut work = std::pin::pin!(work);
        let mut version = claimed.version;
        let renew_every = Duration::from_millis(u64::try_from(self.lease_ms / 3).unwrap_or(1));
        let outcome = loop {
            tokio::select! {
                out = &mut work => break out,
                _ = tokio::time::sleep(renew_every) => {
                    let renew = Transition::Renew {
                        owner: self.owner.clone(),
                        now_ms: now_ms(),
                        lease_ms: self.lease_ms,
                    };
                    version = runs.transition(run_id, version, renew).await?.version;
                }
            }
        };
        let t = match outcome {
            Ok(out) => Transition::Succeed {
                artifacts: put_artifacts(&self.stores, run_id, out.artifacts).await?,
                owner: self.owner.clone(),
                now_ms: now_ms(),
                summary: out.summary,
            },
            Err(e) => Transition::Fail {
                owner: self.owner.clone(),
                now_ms: now_ms(),
                error: e.to_json().to_string(),
            },
        };
        let done = runs.transition(run_id, version, t).await?;
        Ok(Executed::Finished(done))
    }

    /// Runs every unfinished run that can be claimed now (queued, or running with an expired lease),
    /// oldest first: what `twin serve` does at start and periodically, and the worker function on
    /// its schedule. Returns how many this worker finished.
    pub async fn resume_unfinished(&self) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut finished = 0;
        for r in self.stores.runs.list_unfinished(1000).await? {
            let claimable = r.status == RunStatus::Queued
                || r.lease.as_ref().is_none_or(|l| l.expires_at_ms <= now);
            if claimable {
                if let Executed::Finished(_) = self.execute(&r.run_id).await? {
                    finished += 1;
                }
            }
        }
        Ok(finished)
    }
}

/// Starts accepted runs without waiting for them (fire and forget: the run record tells the outcome).
pub trait Dispatch: Send + Sync + std::fmt::Debug {
    /// Starts the accepted run `run_id`.
    fn dispatch(&self, run_id: String) -> BoxFuture<'_, Result<(), ApiError>>;
}

/// The local door's background worker (`twin serve`): runs dispatched runs one at a time on the
/// runtime it was spawned on, and every `scan` (and once at start) resumes unfinished runs, which
/// picks up runs queued before a restart and runs whose worker died once their lease expires.
#[derive(Debug)]
pub struct LocalDispatch {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
}

impl LocalDispatch {
    /// Spawns the worker loop on the current tokio runtime. It ends when the dispatcher is dropped.
    pub fn spawn(worker: Worker, scan: Duration) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(scan);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let result = tokio::select! {
                    id = rx.recv() => match id {
                        Some(id) => worker.execute(&id).await.map(|_| ()),
                        None => break,
                    },
                    _ = tick.tick() => worker.resume_unfinished().await.map(|_| ()),
                };
                if let Err(e) = result {
                    // The run stays unfinished under its lease; the next scan retries it.
                    eprintln!("twin worker {}: {e}", worker.owner);
                }
            }
        });
        Self { tx }
    }
}

impl Dispatch for LocalDispatch {
    fn dispatch(&self, run_id: String) -> BoxFuture<'_, Result<(), ApiError>> {
        let sent = self
            .tx
            .send(run_id)
            .map_err(|_| ApiError::unavailable("the local worker has stopped"));
        Box::pin(async move { sent })
    }
}

/// The reply for one run: status, summary and artifact URLs.
pub async fn run_reply(stores: &Stores, run_id: &str) -> Result<Reply, ApiError> {
    crate::validate::id("run_id", run_id)?;
    let r = stores
        .runs
        .get(run_id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::not_found(format!("no depot simulation run `{run_id}`")))?;
    let mut artifacts = serde_json::Map::new();
    for (name, key) in &r.artifacts {
        let url = stores
            .artifacts
            .presigned_url(key, URL_TTL)
            .await
            .map_err(store_err)?;
        artifacts.insert(name.clone(), json!(url));
    }
    let error = r
        .error
        .as_deref()
        .map(|e| serde_json::from_str::<serde_json::Value>(e).unwrap_or_else(|_| json!(e)));
    let mut body = json!({
        "run_id": r.run_id,
        "status": r.status.as_str(),
        "kind": r.kind,
        "depot_id": r.depot_id,
        "created_at_ms": r.created_at_ms,
        "updated_at_ms": r.updated_at_ms,
        "attempts": r.attempts,
        "artifacts": artifacts,
    });
    if let Some(s) = &r.summary {
        // The stored summary is the synchronous response body minus artifacts; merge it in.
        if let (Some(obj), Some(sum)) = (body.as_object_mut(), s.as_object()) {
            for (k, v) in sum {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    if let (Some(obj), Some(e)) = (body.as_object_mut(), error) {
        obj.insert("error".to_owned(), e);
    }
    Ok(Reply { status: 200, body })
}

/// `GET /v1/depot-simulations/{run_id}`: 404 for an id no run has (or when no store is configured).
pub async fn get_run(deps: &Deps, _ctx: &Ctx, run_id: &str) -> Result<Reply, ApiError> {
    crate::validate::id("run_id", run_id)?;
    match &deps.stores {
        Some(stores) => run_reply(stores, run_id).await,
        None => Err(ApiError::not_found(format!(
            "no depot simulation run `{run_id}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    static COMPUTED: AtomicUsize = AtomicUsize::new(0);

    /// A stand-in computation: sums `loads_kw` and reports the peak (the depot engine's wiring is the
    /// depot module's); writes one CSV artifact. A request without `loads_kw` is the caller's error.
    fn fake_compute(v: serde_json::Value) -> BoxFuture<'static, Result<RunOutput, ApiError>> {
        Box::pin(async move {
            COMPUTED.fetch_add(1, Ordering::SeqCst);
            let loads: Vec<f64> = v["loads_kw"]
                .as_array()
                .ok_or_else(|| ApiError::invalid("loads_kw", "loads_kw is required"))?
                .iter()
                .filter_map(|x| x.as_f64())
                .collect();
            let peak = loads.iter().copied().fold(0.0, f64::max);
            let csv: String = loads.iter().map(|l| format!("{l}\n")).collect();
            Ok::<RunOutput, ApiError>(RunOutput {
                summary: json!({"summary": {"peak_kw": peak}}),
                artifacts: vec![ArtifactOut {
                    name: "timeseries_csv".into(),
                    file_name: "timeseries.csv".into(),
                    content_type: "text/csv".into(),
                    body: csv.into_bytes(),
                }],
            })
        })
    }

    fn temp_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("twin-runs-test-{}", new_run_id(now_ms())));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn stores_in(dir: &std::path::Path) -> Stores {
        let (a, r) = twin_store::local::open(dir).unwrap();
        Stores {
            artifacts: Arc::new(a),
            runs: Arc::new(r),
        }
    }

    fn ctx_with_key(key: Option<&str>) -> Ctx {
        let mut ctx = Ctx::new(crate::Door::Server);
        if let Some(k) = key {
            ctx.headers.push(("idempotency-key".into(), k.into()));
        }
        ctx
    }

    #[tokio::test]
    async fn an_async_run_goes_queued_to_succeeded_with_its_artifacts() {
        let dir = temp_dir();
        let stores = stores_in(&dir);
        let body = br#"{"loads_kw": [10.0, 250.5, 40.0]}"#;
        let (run, new) = submit(
            &stores,
            &ctx_with_key(None),
            KIND_DEPOT,
            "north",
            body,
            now_ms(),
        )
        .await
        .unwrap();
        assert!(new);
        assert_eq!(accepted(&run).status, 202);
        assert_eq!(run.status, RunStatus::Queued);

        let Executed::Finished(done) = Worker::new(stores.clone(), "w1", fake_compute)
            .execute(&run.run_id)
            .await
            .unwrap()
        else {
            panic!("the run should finish")
        };
        assert_eq!(done.status, RunStatus::Succeeded);
        let csv = stores
            .artifacts
            .get(&format!("runs/{}/timeseries.csv", run.run_id))
            .await
            .unwrap();
        assert_eq!(csv.as_deref(), Some(&b"10\n250.5\n40\n"[..]));

        // GET through the router's function, with the local data folder as `twin serve` has it.
        let deps = Deps::local(dir.clone()).unwrap();
        let reply = get_run(&deps, &ctx_with_key(None), &run.run_id)
            .await
            .unwrap();
        assert_eq!(reply.body["status"], "succeeded");
        assert_eq!(reply.body["summary"]["peak_kw"], 250.5);
        let url = reply.body["artifacts"]["timeseries_csv"].as_str().unwrap();
        assert!(
            url.starts_with("file://") && url.ends_with("timeseries.csv"),
            "{url}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_retried_post_with_the_same_key_creates_no_second_run() {
        let dir = temp_dir();
        let stores = stores_in(&dir);
        let body = br#"{"loads_kw": [1.0]}"#;
        let ctx = ctx_with_key(Some("retry-7"));
        let (a, new_a) = submit(&stores, &ctx, KIND_DEPOT, "north", body, now_ms())
            .await
            .unwrap();
        let (b, new_b) = submit(&stores, &ctx, KIND_DEPOT, "north", body, now_ms())
            .await
            .unwrap();
        assert!(new_a && !new_b);
        assert_eq!(a.run_id, b.run_id);
        let all = stores
            .runs
            .list_by_depot("north", 0, i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        // The same key with another request is refused, naming the header.
        let err = submit(
            &stores,
            &ctx,
            KIND_DEPOT,
            "north",
            br#"{"loads_kw": [2.0]}"#,
            now_ms(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status, 422);
        assert_eq!(err.field.as_deref(), Some("Idempotency-Key"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_crashed_run_is_taken_over_after_its_lease_and_finished_once() {
        // GIVEN a worker that claimed the run and died (its lease set to expire at once, as if the
        // 16 minutes had passed) WHEN the server restarts and resumes unfinished runs THEN the run
        // succeeds on attempt 2, with one set of artifacts.
        let dir = temp_dir();
        let stores = stores_in(&dir);
        let (run, _) = submit(
            &stores,
            &ctx_with_key(None),
            KIND_DEPOT,
            "north",
            br#"{"loads_kw": [5.0, 7.0]}"#,
            now_ms(),
        )
        .await
        .unwrap();
        stores
            .runs
            .claim(&run.run_id, "crashed", now_ms() - LEASE_MS - 1, LEASE_MS)
            .await
            .unwrap();
        drop(stores);

        // "Restart": reopen the data folder.
        let stores = stores_in(&dir);
        let before = COMPUTED.load(Ordering::SeqCst);
        let n = Worker::new(stores.clone(), "restarted", fake_compute)
            .resume_unfinished()
            .await
            .unwrap();
        assert!(n >= 1);
        assert!(COMPUTED.load(Ordering::SeqCst) > before);
        let r = stores.runs.get(&run.run_id).await.unwrap().unwrap();
        assert_eq!(r.status, RunStatus::Succeeded);
        assert_eq!(r.attempts, 2);
        let listed = stores
            .artifacts
            .list(&format!("runs/{}/", run.run_id))
            .await
            .unwrap();
        let keys: Vec<_> = listed
            .iter()
            .map(|a| a.key.rsplit('/').next().unwrap_or(""))
            .collect();
        assert_eq!(keys, ["request.json", "timeseries.csv"]);
        // Resuming again does nothing: the run is finished.
        assert_eq!(
            Worker::new(stores.clone(), "again", fake_compute)
                .resume_unfinished()
                .await
                .unwrap(),
            0
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_run_under_a_live_lease_is_not_taken_and_a_bad_request_fails_the_run() {
        let dir = temp_dir();
        let stores = stores_in(&dir);
        let (run, _) = submit(
            &stores,
            &ctx_with_key(None),
            KIND_DEPOT,
            "d",
            b"{}",
            now_ms(),
        )
        .await
        .unwrap();
        let claimed = stores
            .runs
            .claim(&run.run_id, "alive", now_ms(), LEASE_MS)
            .await
            .unwrap();
        let other = Worker::new(stores.clone(), "other", fake_compute)
            .execute(&run.run_id)
            .await
            .unwrap();
        assert!(matches!(other, Executed::Skipped(ref r) if r.version == claimed.version));
        // A second run whose request lacks `loads_kw` fails with the caller's error recorded.
        let (bad, _) = submit(
            &stores,
            &ctx_with_key(None),
            KIND_DEPOT,
            "d",
            b"{}",
            now_ms() + 1,
        )
        .await
        .unwrap();
        let Executed::Finished(r) = Worker::new(stores.clone(), "w", fake_compute)
            .execute(&bad.run_id)
            .await
            .unwrap()
        else {
            panic!("should finish")
        };
        assert_eq!(r.status, RunStatus::Failed);
        let reply = run_reply(&stores, &bad.run_id).await.unwrap();
        assert_eq!(reply.body["error"]["error"]["field"], "loads_kw");
        std::fs::remove_dir_all(dir).ok();
    }
}
