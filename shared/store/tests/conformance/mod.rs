//! One conformance suite, run against every backend (local files + SQLite, and S3 + DynamoDB on
//! a moto server). Each case gets a fresh, empty pair of stores plus a second, independent
//! handle on the same run storage (a second SQLite connection / a second DynamoDB client), so
//! races are real races between separate clients, not calls through one mutex.

#![allow(dead_code)]
// Test-support code: a failed call is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;
use twin_store::{ArtifactStore, Created, NewRun, RunStatus, RunStore, StoreError, Transition};

pub struct Fixture {
    pub artifacts: Arc<dyn ArtifactStore>,
    pub runs: Arc<dyn RunStore>,
    /// An independent client on the same run storage.
    pub runs2: Arc<dyn RunStore>,
    /// Keeps a temporary folder alive for the local backend.
    pub _guard: Option<Box<dyn std::any::Any + Send>>,
}

const T0: i64 = 1_764_800_000_000; // 2025-12-03T22:13:20Z, an arbitrary fixed instant
const LEASE_MS: i64 = 30_000;

fn new_run(run_id: &str, depot_id: &str, key: Option<&str>, now_ms: i64) -> NewRun {
    NewRun {
        run_id: run_id.into(),
        depot_id: depot_id.into(),
        kind: "depot_simulation".into(),
        idempotency_key: key.map(Into::into),
        request_key: Some(format!("runs/{run_id}/request.json")),
        request_digest: Some("sha256:abc".into()),
        now_ms,
    }
}

fn start(owner: &str, now_ms: i64) -> Transition {
    Transition::Start {
        owner: owner.into(),
        now_ms,
        lease_ms: LEASE_MS,
    }
}

fn succeed(owner: &str, now_ms: i64) -> Transition {
    Transition::Succeed {
        owner: owner.into(),
        now_ms,
        summary: serde_json::json!({"peak_kw": 412.5, "departures_short": 0}),
        artifacts: BTreeMap::from([("soc_csv".into(), "runs/r1/soc.csv".into())]),
    }
}

pub async fn create_refuses_to_overwrite(f: Fixture) {
    // GIVEN a run WHEN another create uses its id (even for another depot) THEN it is refused
    // and the stored record is untouched.
    let first = f
        .runs
        .create(new_run("r1", "north", None, T0))
        .await
        .unwrap();
    assert!(first.is_new());
    let again = f.runs2.create(new_run("r1", "south", None, T0 + 5)).await;
    assert!(
        matches!(again, Err(StoreError::AlreadyExists { ref run_id }) if run_id == "r1"),
        "{again:?}"
    );
    let stored = f.runs.get("r1").await.unwrap().unwrap();
    assert_eq!(&stored, first.record());
    assert_eq!(stored.depot_id, "north");
    assert_eq!(stored.status, RunStatus::Queued);
    assert_eq!(stored.version, 1);
    assert_eq!(f.runs.get("nope").await.unwrap(), None);
}

pub async fn racing_workers_exactly_one_wins(f: Fixture) {
    // GIVEN one queued run and 8 workers (half on each client) released at the same instant
    // WHEN each claims it THEN exactly one gets the lease; the others see a conflict.
    f.runs
        .create(new_run("r1", "north", None, T0))
        .await
        .unwrap();
    let workers = 8;
    let barrier = Arc::new(Barrier::new(workers));
    let mut handles = Vec::new();
    for i in 0..workers {
        let runs = if i % 2 == 0 {
            Arc::clone(&f.runs)
        } else {
            Arc::clone(&f.runs2)
        };
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let owner = format!("worker-{i}");
            (
                owner.clone(),
                runs.claim("r1", &owner, T0 + 1_000, LEASE_MS).await,
            )
        }));
    }
    let mut winners = Vec::new();
    for h in handles {
        let (owner, res) = h.await.unwrap();
        match res {
            Ok(rec) => winners.push((owner, rec)),
            Err(e) => assert!(e.is_conflict(), "a loser must see a conflict, got {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one worker may win");
    let (owner, rec) = &winners[0];
    let stored = f.runs.get("r1").await.unwrap().unwrap();
    assert_eq!(&stored, rec);
    assert_eq!(stored.status, RunStatus::Running);
    assert_eq!(stored.version, 2, "one start, one version bump");
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.lease.unwrap().owner, *owner);
}

pub async fn transitions_check_the_version(f: Fixture) {
    f.runs
        .create(new_run("r1", "north", None, T0))
        .await
        .unwrap();
    let running = f
        .runs
        .transition("r1", 1, start("a", T0 + 1))
        .await
        .unwrap();
    assert_eq!(running.version, 2);

    // A writer that still holds version 1 is refused, with the version it should re-read.
    let stale = f.runs2.transition("r1", 1, succeed("a", T0 + 2)).await;
    assert!(
        matches!(
            stale,
            Err(StoreError::VersionConflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "{stale:?}"
    );

    let renewed = f
        .runs2
        .transition(
            "r1",
            2,
            Transition::Renew {
                owner: "a".into(),
                now_ms: T0 + 10_000,
                lease_ms: LEASE_MS,
            },
        )
        .await
        .unwrap();
    assert_eq!(renewed.version, 3);
    assert_eq!(
        renewed.lease.as_ref().unwrap().expires_at_ms,
        T0 + 10_000 + LEASE_MS
    );

    let done = f
        .runs
        .transition("r1", 3, succeed("a", T0 + 20_000))
        .await
        .unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.version, 4);
    assert_eq!(done.lease, None);
    assert_eq!(done.summary.as_ref().unwrap()["peak_kw"], 412.5);
    assert_eq!(f.runs2.get("r1").await.unwrap().unwrap(), done);

    // Terminal: nothing moves it, and a missing run is NotFound.
    let again = f.runs.transition("r1", 4, start("b", i64::MAX / 2)).await;
    assert!(
        matches!(again, Err(StoreError::InvalidTransition { .. })),
        "{again:?}"
    );
    let missing = f.runs.transition("r2", 1, start("b", T0)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

pub async fn an_expired_lease_can_be_taken_over(f: Fixture) {
    // GIVEN worker a claims at T0 with a 30 s lease and then "crashes" (never renews)
    f.runs
        .create(new_run("r1", "north", None, T0))
        .await
        .unwrap();
    let a = f.runs.claim("r1", "a", T0, LEASE_MS).await.unwrap();
    // WHEN b tries 10 s later THEN the lease is still a's
    let early = f.runs2.claim("r1", "b", T0 + 10_000, LEASE_MS).await;
    assert!(
        matches!(early, Err(StoreError::LeaseHeld { ref owner, expires_at_ms, .. })
            if owner == "a" && expires_at_ms == T0 + LEASE_MS),
        "{early:?}"
    );
    // WHEN b tries when the lease expires THEN b takes the run over
    let b = f
        .runs2
        .claim("r1", "b", T0 + LEASE_MS, LEASE_MS)
        .await
        .unwrap();
    assert_eq!(b.attempts, 2);
    assert_eq!(b.lease.as_ref().unwrap().owner, "b");
    // AND a, waking up, cannot finish the run it lost (fenced by the version)
    let late = f
        .runs
        .transition("r1", a.version, succeed("a", T0 + 40_000))
        .await;
    assert!(
        matches!(late, Err(StoreError::VersionConflict { .. })),
        "{late:?}"
    );
    // AND nor can a with the current version, since b owns the lease
    let late = f
        .runs
        .transition("r1", b.version, succeed("a", T0 + 40_000))
        .await;
    assert!(
        matches!(late, Err(StoreError::LeaseHeld { .. })),
        "{late:?}"
    );
    let done = f
        .runs2
        .transition("r1", b.version, succeed("b", T0 + 45_000))
        .await
        .unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.attempts, 2);
}

pub async fn an_idempotency_key_returns_the_same_run(f: Fixture) {
    // GIVEN a run created with key K WHEN a retried POST (new run id, same key) creates again
    // THEN the first run comes back and no second run exists.
    let first = f
        .runs
        .create(new_run("r1", "north", Some("K-1"), T0))
        .await
        .unwrap();
    assert!(first.is_new());
    let retry = f
        .runs2
        .create(new_run("r2", "north", Some("K-1"), T0 + 100))
        .await
        .unwrap();
    assert!(matches!(retry, Created::Existing(_)), "{retry:?}");
    assert_eq!(retry.record(), first.record());
    assert_eq!(f.runs.get("r2").await.unwrap(), None);
    assert_eq!(
        f.runs2
            .find_by_idempotency_key("K-1")
            .await
            .unwrap()
            .as_ref(),
        Some(first.record())
    );
    assert_eq!(f.runs.find_by_idempotency_key("K-2").await.unwrap(), None);

    // Concurrent retries with a fresh key: one creates, all get the same run.
    let barrier = Arc::new(Barrier::new(6));
    let mut handles = Vec::new();
    for i in 0..6 {
        let runs = if i % 2 == 0 {
            Arc::clone(&f.runs)
        } else {
            Arc::clone(&f.runs2)
        };
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            runs.create(new_run(&format!("c{i}"), "north", Some("K-2"), T0 + 200))
                .await
        }));
    }
    let mut new = 0;
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(c) => {
                new += usize::from(c.is_new());
                ids.insert(c.record().run_id.clone());
            }
            // DynamoDB may cancel a transaction that collides with one in flight; the caller
            // retries and then finds the key.
            Err(StoreError::Dynamo { .. }) => {
                let found = f
                    .runs
                    .find_by_idempotency_key("K-2")
                    .await
                    .unwrap()
                    .unwrap();
                ids.insert(found.run_id);
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(new <= 1, "at most one create may write, got {new}");
    assert_eq!(ids.len(), 1, "every retry must see one run: {ids:?}");
    let all = f
        .runs
        .list_by_depot("north", T0, T0 + 1_000, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "r1 and one run for K-2: {all:?}");
}

pub async fn runs_list_by_depot_and_time_and_unfinished(f: Fixture) {
    for (i, depot) in ["north", "south", "north", "north"].iter().enumerate() {
        let t = T0 + 1_000 * i as i64;
        f.runs
            .create(new_run(&format!("r{i}"), depot, None, t))
            .await
            .unwrap();
    }
    let north = f
        .runs
        .list_by_depot("north", T0, T0 + 10_000, 10)
        .await
        .unwrap();
    let ids: Vec<_> = north.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r3", "r2", "r0"], "newest first, only north");
    let window = f
        .runs
        .list_by_depot("north", T0 + 500, T0 + 2_500, 10)
        .await
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].run_id, "r2");
    let limited = f
        .runs
        .list_by_depot("north", T0, T0 + 10_000, 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].run_id, "r3");

    // Finish r0 and start r1: unfinished = r1 (running), r2, r3 (queued), oldest first.
    let r0 = f.runs.claim("r0", "w", T0 + 5_000, LEASE_MS).await.unwrap();
    f.runs
        .transition("r0", r0.version, succeed("w", T0 + 6_000))
        .await
        .unwrap();
    f.runs.claim("r1", "w", T0 + 5_000, LEASE_MS).await.unwrap();
    let open = f.runs2.list_unfinished(10).await.unwrap();
    let ids: Vec<_> = open.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
}

async fn fetch_url(url: &str) -> Vec<u8> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::read(path).unwrap();
    }
    http_get(url).await
}

/// A minimal HTTP/1.1 GET over a TCP socket (the presigned URL of a moto server is plain http on
/// loopback), so the test needs no HTTP client crate.
async fn http_get(url: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("a plain http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "presigned GET failed: {head}"
    );
    let body = resp[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[eol + 2 + size + 2..];
    }
}

pub async fn artifacts_round_trip_and_list(f: Fixture) {
    let a = &f.artifacts;
    let csv = b"t_min,site_kw\n0,0\n1,150.5\n".to_vec();
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    a.put("runs/r1/timeseries.csv", csv.clone(), "text/csv")
        .await
        .unwrap();
    a.put(
        "runs/r1/soc.bin",
        binary.clone(),
        "application/octet-stream",
    )
    .await
    .unwrap();
    a.put(
        "runs/r1/charts/site.svg",
        b"<svg/>".to_vec(),
        "image/svg+xml",
    )
    .await
    .unwrap();
    a.put("runs/r10/request.json", b"{}".to_vec(), "application/json")
        .await
        .unwrap();

    assert_eq!(
        a.get("runs/r1/timeseries.csv").await.unwrap(),
        Some(csv.clone())
    );
    assert_eq!(
        a.get("runs/r1/soc.bin").await.unwrap(),
        Some(binary.clone())
    );
    assert_eq!(a.get("runs/r1/missing.csv").await.unwrap(), None);

    // "runs/r1/" must not match "runs/r10/...": a prefix is a string prefix.
    let listed = a.list("runs/r1/").await.unwrap();
    let keys: Vec<_> = listed.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "runs/r1/charts/site.svg",
            "runs/r1/soc.bin",
            "runs/r1/timeseries.csv"
        ]
    );
    assert_eq!(listed[1].size_bytes, 70_000);
    assert_eq!(
        a.list("runs/r1").await.unwrap().len(),
        4,
        "plain prefix: r1 and r10"
    );
    assert_eq!(a.list("").await.unwrap().len(), 4);
    assert!(a.list("plans/").await.unwrap().is_empty());

    // Overwrite replaces the whole blob.
    a.put("runs/r1/timeseries.csv", b"new".to_vec(), "text/csv")
        .await
        .unwrap();
    assert_eq!(
        a.get("runs/r1/timeseries.csv").await.unwrap(),
        Some(b"new".to_vec())
    );

    // The presigned URL serves the bytes.
    let url = a
        .presigned_url("runs/r1/soc.bin", Duration::from_secs(300))
        .await
        .unwrap();
    assert_eq!(fetch_url(&url).await, binary);

    for bad in ["../escape", "/abs", "a//b", ".hidden/x"] {
        let put = a.put(bad, vec![1], "text/plain").await;
        assert!(
            matches!(put, Err(StoreError::InvalidKey { .. })),
            "{bad}: {put:?}"
        );
        assert!(matches!(
            a.get(bad).await,
            Err(StoreError::InvalidKey { .. })
        ));
    }
}

/// Expands to one test per conformance case; `$fixture` is an async expression giving a Fixture
/// and `$m` an attribute for every test (`cfg(all())` for none, `ignore = "why"`).
macro_rules! conformance_tests {
    (meta = $m:meta, fixture = $fixture:expr) => {
        conformance_tests!(@cases $m, $fixture;
            create_refuses_to_overwrite,
            racing_workers_exactly_one_wins,
            transitions_check_the_version,
            an_expired_lease_can_be_taken_over,
            an_idempotency_key_returns_the_same_run,
            runs_list_by_depot_and_time_and_unfinished,
            artifacts_round_trip_and_list
        );
    };
    (@cases $m:meta, $fixture:expr; $($case:ident),*) => {
        $(
            #[$m]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                conformance::$case($fixture.await).await;
            }
        )*
    };
}
