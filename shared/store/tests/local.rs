//! The conformance suite on the local store: files + SQLite in a temporary folder, with the
//! second run-store handle a separate SQLite connection to the same file (as a second process).

// Test-support code: a failed call is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod conformance;

use std::sync::Arc;

use conformance::Fixture;
use twin_store::local::{self, SqliteRunStore};

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (artifacts, runs) = local::open(dir.path()).unwrap();
    let runs2 = SqliteRunStore::open(dir.path().join(local::RUNS_DB)).unwrap();
    Fixture {
        artifacts: Arc::new(artifacts),
        runs: Arc::new(runs),
        runs2: Arc::new(runs2),
        _guard: Some(Box::new(dir)),
    }
}

conformance_tests!(meta = cfg(all()), fixture = fixture());

#[tokio::test]
async fn runs_survive_reopening_the_data_folder() {
    // GIVEN a run and an artifact written by one "process" WHEN the folder is opened anew
    // THEN both are there (what `twin serve` relies on across restarts).
    use twin_store::{ArtifactStore, NewRun, RunStore};
    let dir = tempfile::tempdir().unwrap();
    {
        let (a, r) = local::open(dir.path()).unwrap();
        r.create(NewRun {
            run_id: "r1".into(),
            depot_id: "d".into(),
            kind: "depot_simulation".into(),
            idempotency_key: Some("k".into()),
            request_key: None,
            request_digest: None,
            now_ms: 1,
        })
        .await
        .unwrap();
        a.put("runs/r1/x.csv", b"1,2".to_vec(), "text/csv")
            .await
            .unwrap();
    }
    let (a, r) = local::open(dir.path()).unwrap();
    assert_eq!(
        r.get("r1")
            .await
            .unwrap()
            .unwrap()
            .idempotency_key
            .as_deref(),
        Some("k")
    );
    assert_eq!(
        r.find_by_idempotency_key("k")
            .await
            .unwrap()
            .unwrap()
            .run_id,
        "r1"
    );
    assert_eq!(a.get("runs/r1/x.csv").await.unwrap(), Some(b"1,2".to_vec()));
}

#[tokio::test]
async fn the_in_memory_run_store_behaves_like_the_file_one() {
    use twin_store::{NewRun, RunStore};
    let r = SqliteRunStore::in_memory().unwrap();
    let new = NewRun {
        run_id: "r1".into(),
        depot_id: "d".into(),
        kind: "k".into(),
        idempotency_key: None,
        request_key: None,
        request_digest: None,
        now_ms: 1,
    };
    assert!(r.create(new.clone()).await.unwrap().is_new());
    assert!(r.create(new).await.is_err());
}
