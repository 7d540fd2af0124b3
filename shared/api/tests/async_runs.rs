//! Asynchronous depot runs end to end, on the local store (files + SQLite) and on S3 + DynamoDB (a moto
//! server on loopback: `eval "$(scripts/moto.sh start)"` sets `TWIN_TEST_MOTO_ENDPOINT`; those tests are
//! `#[ignore]`d unless asked for with `--include-ignored`, as scripts/test.sh does).
//!
//! Each flow is written once and run on both backends; the second store handle is a second SQLite
//! connection or a second pair of AWS clients, as a second worker process would have.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};
use twin_api::depot_simulation::run_compute;
use twin_api::http::route;
use twin_api::runs::{BoxFuture, Executed, LocalDispatch, RunOutput, Worker};
use twin_api::{ApiError, Deps, Door};
use twin_store::{RunStatus, Stores};

const BASIC: &str = include_str!("../../../events/depot_simulation/requests/basic.json");
const MOTO: &str = "TWIN_TEST_MOTO_ENDPOINT";
const ARTIFACT_FILES: [&str; 5] = [
    "chart.svg",
    "ocpp_profiles.json",
    "request.json",
    "soc.csv",
    "timeseries.csv",
];

struct Fixture {
    a: Stores,
    b: Stores,
    _dir: Option<tempfile::TempDir>,
}

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "twin-api-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn local() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let (a, r) = twin_store::local::open(dir.path()).unwrap();
        Stores {
            artifacts: Arc::new(a),
            runs: Arc::new(r),
        }
    };
    Fixture {
        a: open(),
        b: open(),
        _dir: Some(dir),
    }
}

async fn moto() -> Fixture {
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_s3::config::Credentials;
    let endpoint = std::env::var(MOTO)
        .unwrap_or_else(|_| panic!("{MOTO} is not set: run `eval \"$(scripts/moto.sh start)\"`"));
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "moto-test"))
        .load()
        .await;
    let name = unique();
    let a = twin_store::aws::AwsStores::from_sdk_config(&sdk, &name, &name, true);
    a.create_resources().await.unwrap();
    let b = twin_store::aws::AwsStores::from_sdk_config(&sdk, &name, &name, true);
    Fixture {
        a: Stores {
            artifacts: Arc::new(a.artifacts),
            runs: Arc::new(a.runs),
        },
        b: Stores {
            artifacts: Arc::new(b.artifacts),
            runs: Arc::new(b.runs),
        },
        _dir: None,
    }
}

/// The basic depot request of events/, on depot `north`, with `mode` set.
fn request(mode: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(BASIC).unwrap();
    v["depot"]["id"] = json!("north");
    v["mode"] = json!(mode);
    serde_json::to_vec(&v).unwrap()
}

fn deps(stores: &Stores) -> Deps {
    Deps {
        stores: Some(Arc::new(stores.clone())),
        ..Deps::default()
    }
}

async fn post(deps: &Deps, key: Option<&str>, body: &[u8]) -> (u16, Value) {
    let headers = key
        .map(|k| vec![("idempotency-key".to_string(), k.to_string())])
        .unwrap_or_default();
    let r = route(
        deps,
        Door::Server,
        "POST",
        "/v1/depot-simulations",
        headers,
        body,
    )
    .await;
    (r.status, serde_json::from_str(&r.body).unwrap())
}

async fn get(deps: &Deps, run_id: &str) -> (u16, Value) {
    let r = route(
        deps,
        Door::Server,
        "GET",
        &format!("/v1/depot-simulations/{run_id}"),
        Vec::new(),
        b"",
    )
    .await;
    (r.status, serde_json::from_str(&r.body).unwrap())
}

async fn stored_files(stores: &Stores, run_id: &str) -> Vec<String> {
    stores
        .artifacts
        .list(&format!("runs/{run_id}/"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key.rsplit('/').next().unwrap().to_string())
        .collect()
}

fn worker(stores: &Stores, owner: &str) -> Worker {
    Worker::new(stores.clone(), owner, run_compute)
}

// ---- the flows -------------------------------------------------------------------------------------

/// GIVEN an async request WHEN posted THEN 202 + a queued run; WHEN a worker runs it THEN the run is
/// succeeded, the four artifacts and the request are in the bucket, the record (read through a second
/// client) holds the summary and artifact keys, and GET returns exactly what the synchronous run of the
/// same request returns (summary, vehicles, artifact bytes).
async fn async_run_goes_202_to_succeeded(fx: Fixture) {
    let d = deps(&fx.a);
    let (status, accepted) = post(&d, None, &request("async")).await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["status"], "queued");
    let id = accepted["run_id"].as_str().unwrap().to_string();
    assert_eq!(accepted["href"], format!("/v1/depot-simulations/{id}"));
    let (s, queued) = get(&d, &id).await;
    assert_eq!((s, queued["status"].as_str()), (200, Some("queued")));

    let Executed::Finished(rec) = worker(&fx.a, "w1").execute(&id).await.unwrap() else {
        panic!("the only worker should run it")
    };
    assert_eq!(rec.status, RunStatus::Succeeded);
    assert_eq!(stored_files(&fx.a, &id).await, ARTIFACT_FILES);
    let rec = fx.b.runs.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, RunStatus::Succeeded);
    assert_eq!(rec.depot_id, "north");
    assert_eq!(rec.artifacts.len(), 4);

    let (s, done) = get(&d, &id).await;
    assert_eq!(s, 200);
    assert_eq!(done["status"], "succeeded");
    // The synchronous answer (no store: artifacts inline) is the reference.
    let (s, sync) = post(&Deps::default(), None, &request("sync")).await;
    assert_eq!(s, 200);
    assert_eq!(done["summary"], sync["summary"]);
    assert_eq!(done["vehicles"], sync["vehicles"]);
    for (name, key) in &rec.artifacts {
        let stored = fx.b.artifacts.get(key).await.unwrap().unwrap();
        let inline = sync["artifacts"][name].as_str().unwrap();
        let b64 = inline.split_once("base64,").unwrap().1;
        let want = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(stored, want, "{name}");
        assert!(done["artifacts"][name].is_string(), "{name} URL");
    }
}

/// GIVEN a POST with an Idempotency-Key WHEN retried THEN the same run comes back and the depot has one
/// run; the same key with another request is a 422 naming the header.
async fn a_retried_post_creates_no_second_run(fx: Fixture) {
    let d = deps(&fx.a);
    let (s1, r1) = post(&d, Some("planner-7"), &request("async")).await;
    let (s2, r2) = post(&deps(&fx.b), Some("planner-7"), &request("async")).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(r1["run_id"], r2["run_id"]);
    let listed =
        fx.a.runs
            .list_by_depot("north", 0, i64::MAX, 10)
            .await
            .unwrap();
    assert_eq!(listed.len(), 1);
    let mut other: Value = serde_json::from_slice(&request("async")).unwrap();
    other["depot"]["grid_limit_kw"] = json!(250);
    let (s3, e) = post(&d, Some("planner-7"), &serde_json::to_vec(&other).unwrap()).await;
    assert_eq!(s3, 422, "{e}");
    assert_eq!(e["error"]["field"], "Idempotency-Key");
    assert_eq!(
        fx.a.runs
            .list_by_depot("north", 0, i64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// GIVEN one queued run WHEN two workers (separate store handles, separate tasks) execute it at once
/// THEN exactly one runs it (attempts = 1) and the other skips it.
async fn two_racing_workers_one_wins(fx: Fixture) {
    for round in 0..3 {
        let (_, acc) = post(&deps(&fx.a), None, &request("async")).await;
        let id = acc["run_id"].as_str().unwrap().to_string();
        let (wa, wb) = (worker(&fx.a, "wa"), worker(&fx.b, "wb"));
        let (ia, ib) = (id.clone(), id.clone());
        let ta = tokio::spawn(async move { wa.execute(&ia).await.unwrap() });
        let tb = tokio::spawn(async move { wb.execute(&ib).await.unwrap() });
        let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
        let finished = [&ra, &rb]
            .iter()
            .filter(|r| matches!(r, Executed::Finished(_)))
            .count();
        assert_eq!(finished, 1, "round {round}: {ra:?} / {rb:?}");
        let rec = fx.a.runs.get(&id).await.unwrap().unwrap();
        assert_eq!(rec.status, RunStatus::Succeeded);
        assert_eq!(rec.attempts, 1);
        assert_eq!(stored_files(&fx.a, &id).await, ARTIFACT_FILES);
    }
}

fn hang(_: Value) -> BoxFuture<'static, Result<RunOutput, ApiError>> {
    Box::pin(std::future::pending())
}

/// GIVEN a worker with a 600 ms lease that claims a run and dies mid-computation (its future dropped)
/// WHEN another worker resumes unfinished runs THEN nothing happens while the lease lives, and once it
/// has expired the run is taken over and finished: attempt 2, one set of artifacts, one run, and the dead
/// worker can no longer finish it.
async fn a_crashed_run_is_retried_to_success(fx: Fixture) {
    let (_, acc) = post(&deps(&fx.a), None, &request("async")).await;
    let id = acc["run_id"].as_str().unwrap().to_string();
    let crashy = Worker::new(fx.a.clone(), "crashy", hang).with_lease_ms(600);
    assert!(
        tokio::time::timeout(Duration::from_millis(250), crashy.execute(&id))
            .await
            .is_err(),
        "the hanging worker cannot finish"
    );
    let rec = fx.b.runs.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, RunStatus::Running);
    assert_eq!(rec.lease.as_ref().unwrap().owner, "crashy");

    let rescuer = worker(&fx.b, "rescuer");
    assert_eq!(
        rescuer.resume_unfinished().await.unwrap(),
        0,
        "lease still live"
    );
    let expires =
        fx.b.runs
            .get(&id)
            .await
            .unwrap()
            .unwrap()
            .lease
            .unwrap()
            .expires_at_ms;
    let wait = (expires - twin_api::runs::now_ms()).max(0) as u64 + 50;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    assert!(rescuer.resume_unfinished().await.unwrap() >= 1);

    let rec = fx.a.runs.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, RunStatus::Succeeded);
    assert_eq!(rec.attempts, 2);
    assert_eq!(stored_files(&fx.a, &id).await, ARTIFACT_FILES);
    assert_eq!(
        fx.a.runs
            .list_by_depot("north", 0, i64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The dead worker's lease is gone: it cannot mark the run again.
    let late =
        fx.a.runs
            .transition(
                &id,
                rec.version,
                twin_store::Transition::Fail {
                    owner: "crashy".into(),
                    now_ms: twin_api::runs::now_ms(),
                    error: "late".into(),
                },
            )
            .await;
    assert!(late.unwrap_err().is_conflict());
}

/// GIVEN the local background worker as dispatcher (what `twin serve` runs) WHEN an async run is posted
/// THEN it reaches `succeeded` on its own.
async fn the_background_worker_runs_accepted_runs(fx: Fixture) {
    let w = worker(&fx.a, "bg").with_lease_ms(2_000);
    let d = deps(&fx.a).with_dispatch(Arc::new(LocalDispatch::spawn(w, Duration::from_secs(1))));
    let (s, acc) = post(&d, None, &request("async")).await;
    assert_eq!(s, 202);
    let id = acc["run_id"].as_str().unwrap();
    let mut last = Value::Null;
    for _ in 0..600 {
        last = get(&d, id).await.1;
        if last["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "succeeded", "{last}");
    assert!(last["summary"]["peak_kw"].as_f64().unwrap() > 0.0);
}

/// GIVEN a sweep (2 grid limits × 2 charger counts) posted through HTTP with a store THEN it is one stored
/// run (202); WHEN a worker runs it THEN the record holds the table of 4 variants, `sweep.csv` is in the
/// bucket, and the table equals the one the CLI door computes at once.
async fn a_sweep_is_one_stored_run_with_its_table(fx: Fixture) {
    let mut v: Value = serde_json::from_slice(&request("sync")).unwrap();
    v["sweep"] = json!({"grid_limit_kw": [150, 300], "chargers": [1, 2]});
    let body = serde_json::to_vec(&v).unwrap();
    let (s, acc) = post(&deps(&fx.a), None, &body).await;
    assert_eq!(s, 202, "{acc}");
    let id = acc["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        fx.b.runs.get(&id).await.unwrap().unwrap().kind,
        "depot_sweep"
    );
    let Executed::Finished(rec) = worker(&fx.b, "w").execute(&id).await.unwrap() else {
        panic!("should run")
    };
    assert_eq!(rec.status, RunStatus::Succeeded);
    let stored =
        fx.a.artifacts
            .get(&rec.artifacts["sweep_csv"])
            .await
            .unwrap()
            .unwrap();
    assert_eq!(String::from_utf8(stored).unwrap().lines().count(), 1 + 4);
    let (_, done) = get(&deps(&fx.a), &id).await;
    assert_eq!(done["sweep"]["variants"], 4);
    let cli = route(
        &Deps::default(),
        Door::Cli,
        "POST",
        "/v1/depot-simulations",
        Vec::new(),
        &body,
    )
    .await;
    assert_eq!(cli.status, 200);
    let cli: Value = serde_json::from_str(&cli.body).unwrap();
    assert_eq!(done["sweep"], cli["sweep"]);
}

/// GIVEN a plan stored under plans/ (the basic request, starting 2026-12-04T12:00 on a clock without offset)
/// and a broken one WHEN the schedule fires on 2026-12-10 at 18:00 UTC THEN the plan runs for the next day
/// (start 2026-12-11T12:00, every event moved by the same 7 days) and succeeds, the broken plan is
/// reported without stopping it, and a second firing on the same day creates no second run.
async fn the_nightly_replan_runs_each_plan_for_the_next_day(fx: Fixture) {
    let plan: Value = serde_json::from_slice(&request("sync")).unwrap();
    fx.a.artifacts
        .put(
            "plans/north.json",
            serde_json::to_vec(&plan).unwrap(),
            "application/json",
        )
        .await
        .unwrap();
    fx.a.artifacts
        .put("plans/broken.json", b"{}".to_vec(), "application/json")
        .await
        .unwrap();
    let now = 1_796_925_600_000; // 2026-12-10T18:00:00Z
    let w = worker(&fx.b, "nightly");
    let out = twin_api::nightly::replan_all(&w, now).await.unwrap();
    assert_eq!(out.len(), 2, "{out:?}");
    let broken = out
        .iter()
        .find(|e| e["plan"] == "plans/broken.json")
        .unwrap();
    assert!(broken["error"]["message"].is_string(), "{broken}");
    let north = out
        .iter()
        .find(|e| e["plan"] == "plans/north.json")
        .unwrap();
    assert_eq!(north["status"], "succeeded", "{north}");
    let id = north["run_id"].as_str().unwrap();
    let rec = fx.a.runs.get(id).await.unwrap().unwrap();
    assert_eq!(rec.depot_id, "north");
    let req: Value = serde_json::from_slice(
        &fx.a
            .artifacts
            .get(rec.request_key.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(req["start"], "2026-12-11T12:00:00");
    assert_eq!(req["end"], "2026-12-12T12:00:00");
    assert_eq!(
        plan["fleet"][0]["events"][0]["arrive"],
        "2026-12-04T18:40:00"
    );
    assert_eq!(
        req["fleet"][0]["events"][0]["arrive"],
        "2026-12-11T18:40:00"
    );
    let again = twin_api::nightly::replan_all(&w, now + 60_000)
        .await
        .unwrap();
    let north2 = again
        .iter()
        .find(|e| e["plan"] == "plans/north.json")
        .unwrap();
    assert_eq!(north2["run_id"], north["run_id"]);
    assert_eq!(
        fx.a.runs
            .list_by_depot("north", 0, i64::MAX, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The Lambda worker's events: `{"run_id"}` runs that run; `{"action": "resume"}` finds nothing left;
/// anything else is an error (so Lambda retries and alarms see it).
#[cfg(feature = "lambda")]
async fn the_lambda_worker_runs_run_ids_and_refuses_unknown_events(fx: Fixture) {
    let (_, acc) = post(&deps(&fx.a), None, &request("async")).await;
    let id = acc["run_id"].as_str().unwrap();
    let w = worker(&fx.b, "lambda-worker");
    let out = twin_api::lambda::worker_event(&w, json!({"run_id": id}))
        .await
        .unwrap();
    assert_eq!(out["status"], "succeeded");
    let out = twin_api::lambda::worker_event(&w, json!({"action": "resume"}))
        .await
        .unwrap();
    assert_eq!(out["resumed"], 0);
    assert!(twin_api::lambda::worker_event(&w, json!({"what": 1}))
        .await
        .is_err());
    assert!(
        twin_api::lambda::worker_event(&w, json!({"run_id": "../x"}))
            .await
            .is_err()
    );
}

// ---- on both backends ------------------------------------------------------------------------------

macro_rules! on_both {
    ($($flow:ident),* $(,)?) => {
        mod local_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $flow() {
                    super::$flow(super::local()).await
                }
            )*
        }
        mod moto_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs a moto server: set TWIN_TEST_MOTO_ENDPOINT (scripts/moto.sh start)"]
                async fn $flow() {
                    super::$flow(super::moto().await).await
                }
            )*
        }
    };
}

on_both!(
    a_sweep_is_one_stored_run_with_its_table,
    the_nightly_replan_runs_each_plan_for_the_next_day,
    async_run_goes_202_to_succeeded,
    a_retried_post_creates_no_second_run,
    two_racing_workers_one_wins,
    a_crashed_run_is_retried_to_success,
    the_background_worker_runs_accepted_runs,
);

#[cfg(feature = "lambda")]
mod lambda_worker {
    use super::*;
    on_both!(the_lambda_worker_runs_run_ids_and_refuses_unknown_events);
}
