//! `twin serve` keeps asynchronous runs across restarts: the server (a real process on 127.0.0.1, a
//! temporary data folder) is killed while a run is in progress and started again on the same folder; the
//! run is taken over once its lease expires and finishes, and finished runs are still served.

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

/// Starts `twin serve` on a free port with a 2 s run lease.
fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["serve", "--port", "0", "--run-lease-s", "2", "--data-dir"])
        .arg(dir)
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

#[test]
fn serve_keeps_runs_across_restarts_and_finishes_a_run_it_was_killed_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());

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

    let server = start(dir.path());
    // Finished runs survive the restart, unchanged.
    let again = status_of(server.port, &small_id);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(again["summary"], done["summary"]);
    assert_eq!(again["artifacts"], done["artifacts"]);
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
    for name in [
        "timeseries_csv",
        "soc_csv",
        "charts_svg",
        "ocpp_profiles_json",
    ] {
        let url = big_done["artifacts"][name].as_str().unwrap();
        let path = url.strip_prefix("file://").unwrap();
        assert!(std::fs::metadata(path).unwrap().len() > 0, "{name}");
    }
    assert!(
        killed_mid_run,
        "the run finished before the kill; the test did not exercise a restart mid-run"
    );
}
