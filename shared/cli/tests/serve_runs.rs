//! `twin serve` keeps asynchronous runs across restarts: the server (a real process on 127.0.0.1) is
//! killed while a run is in progress and started again on the same store; the run is taken over once its
//! lease expires and finishes, and finished runs are still served. On the local store (a temporary data
//! folder) and on S3 + DynamoDB (a moto server: `TWIN_TEST_MOTO_ENDPOINT`, `#[ignore]`d unless asked for).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // integration tests: failing loudly is the point

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `twin serve` on a free port with a 2 s run lease, with extra environment `env`.
fn start(dir: &Path, env: &[(String, String)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["serve", "--port", "0", "--run-lease-s", "2", "--data-dir"])
        .arg(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stderr.read_to_string(&mut sink);
    });
    Server { child, port }
}

fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

fn status_of(port: u16, id: &str) -> serde_json::Value {
    let (code, v) = http(port, "GET", &format!("/v1/depot-simulations/{id}"), b"");
    assert_eq!(code, 200, "{v}");
    v
}

fn wait_for(port: u16, id: &str, want: &[&str], within: Duration) -> serde_json::Value {
    let t0 = Instant::now();
    loop {
        let v = status_of(port, id);
        if want.iter().any(|w| v["status"] == *w) || t0.elapsed() > within {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn async_request(buses: usize, days: usize) -> Vec<u8> {
    let mut v = twin_api::depot_simulation::scaled_depot_request(buses, days, 60);
    v["mode"] = "async".into();
    serde_json::to_vec(&v).unwrap()
}

/// GIVEN `twin serve` on a store WHEN a small run finishes, a large one is killed mid-run with the server,
/// and the server is started again THEN the finished run is served unchanged and the interrupted one is
/// taken over (attempt 2) and finishes with its artifacts in the store, once.
fn serve_keeps_runs_across_restarts(
    dir: &Path,
    env: &[(String, String)],
    stores: twin_store::Stores,
) {
    let server = start(dir, env);

    // A small run finishes before the restart.
    let (code, small) = http(
        server.port,
        "POST",
        "/v1/depot-simulations",
        &async_request(3, 1),
    );
    assert_eq!(code, 202, "{small}");
    let small_id = small["run_id"].as_str().unwrap().to_string();
    let done = wait_for(
        server.port,
        &small_id,
        &["succeeded", "failed"],
        Duration::from_secs(120),
    );
    assert_eq!(done["status"], "succeeded", "{done}");

    // A larger one (100 buses × 7 days at 60 s: 1.008 M vehicle-steps) is killed while running.
    let (code, big) = http(
        server.port,
        "POST",
        "/v1/depot-simulations",
        &async_request(100, 7),
    );
    assert_eq!(code, 202, "{big}");
    let big_id = big["run_id"].as_str().unwrap().to_string();
    let seen = wait_for(
        server.port,
        &big_id,
        &["running", "succeeded"],
        Duration::from_secs(60),
    );
    let killed_mid_run = seen["status"] == "running";
    drop(server); // SIGKILL: no chance to finish or clean up

    let server = start(dir, env);
    // Finished runs survive the restart, unchanged.
    let again = status_of(server.port, &small_id);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["summary"], done["summary"]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["artifacts"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(names(&again), names(&done));
    assert_eq!(names(&done).len(), 4);
    // The interrupted run is taken over after its 2 s lease and finished, once.
    let big_done = wait_for(
        server.port,
        &big_id,
        &["succeeded", "failed"],
        Duration::from_secs(300),
    );
    assert_eq!(big_done["status"], "succeeded", "{big_done}");
    if killed_mid_run {
        assert_eq!(big_done["attempts"], 2, "{big_done}");
    }
    assert_eq!(big_done["summary"]["departures"], 700);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let files: Vec<String> = rt
        .block_on(stores.artifacts.list(&format!("runs/{big_id}/")))
        .unwrap()
        .into_iter()
        .map(|a| a.key.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "chart.svg",
            "ocpp_profiles.json",
            "request.json",
            "soc.csv",
            "timeseries.csv"
        ]
    );
    let listed = rt
        .block_on(stores.runs.list_by_depot("scaled", 0, i64::MAX, 10))
        .unwrap();
    assert_eq!(listed.len(), 2, "one record per posted run");
    assert!(
        killed_mid_run,
        "the run finished before the kill; the test did not exercise a restart mid-run"
    );
}

#[test]
fn serve_keeps_runs_across_restarts_on_the_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let (a, r) = twin_store::local::open(dir.path()).unwrap();
    let stores = twin_store::Stores {
        artifacts: std::sync::Arc::new(a),
        runs: std::sync::Arc::new(r),
    };
    serve_keeps_runs_across_restarts(dir.path(), &[], stores);
}

#[test]
#[ignore = "needs a moto server: set TWIN_TEST_MOTO_ENDPOINT (scripts/moto.sh start)"]
fn serve_keeps_runs_across_restarts_on_s3_and_dynamodb() {
    use aws_sdk_s3::config::{Credentials, Region};
    let endpoint = std::env::var("TWIN_TEST_MOTO_ENDPOINT").expect("TWIN_TEST_MOTO_ENDPOINT");
    let name = format!("twin-serve-{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sdk = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "moto-test"))
            .load(),
    );
    let aws = twin_store::aws::AwsStores::from_sdk_config(&sdk, &name, &name, true);
    rt.block_on(aws.create_resources()).unwrap();
    let stores = twin_store::Stores {
        artifacts: std::sync::Arc::new(aws.artifacts),
        runs: std::sync::Arc::new(aws.runs),
    };
    let env: Vec<(String, String)> = [
        ("TWIN_BUCKET", name.as_str()),
        ("TWIN_TABLE", name.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    serve_keeps_runs_across_restarts(dir.path(), &env, stores);
}
