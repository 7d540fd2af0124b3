//! One contract, three doors: every event in events/ gives the same status class and the same JSON
//! through `twin invoke`, `twin serve` (HTTP on 127.0.0.1) and the Lambda handler.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // integration tests: failing loudly is the point

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn events() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(root().join("events")).unwrap().flatten() {
        if !d.path().is_dir() {
            continue;
        }
        let function = d.file_name().to_string_lossy().to_string();
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "json") {
                out.push((function.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

struct Server {
    child: Child,
    port: u16,
    _dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    // One data folder per server: the tests of this file run in parallel.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("twin-doors-{}-{n}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first stderr line that says where it listens (anything before it is kept for the message).
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let port = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("twin serve exited before listening; stderr:\n{seen}");
        }
        if let Some(addr) = line.trim().strip_prefix("twin serve: listening on http://") {
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
        seen.push_str(&line);
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stderr.read_to_string(&mut sink);
    });
    Server {
        child,
        port,
        _dir: dir,
    }
}

fn http_post(port: u16, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn invoke(function: &str, file: &PathBuf) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["invoke", function])
        .arg(file)
        .arg("--data-dir")
        .arg(std::env::temp_dir().join(format!("twin-invoke-{}", std::process::id())))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

async fn lambda(event: &str) -> (u16, String) {
    let req = lambda_http::request::from_str(event).unwrap();
    let resp = twin_api::lambda::handle_event(&twin_api::Deps::default(), req)
        .await
        .unwrap();
    let body = match resp.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("unexpected body {other:?}"),
    };
    (resp.status().as_u16(), body)
}

#[tokio::test]
async fn every_event_gives_identical_json_through_all_three_doors() {
    let server = start_server();
    let evs = events();
    assert!(
        evs.iter().any(|(f, _)| f == "time_to_charge"),
        "events/time_to_charge is missing"
    );
    for (function, file) in evs {
        let text = std::fs::read_to_string(&file).unwrap();
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let path = event["rawPath"].as_str().unwrap().to_string();
        let body = event["body"].as_str().unwrap().as_bytes().to_vec();
        let name = file.file_name().unwrap().to_string_lossy().to_string();

        let (l_status, l_body) = lambda(&text).await;
        let (h_status, h_body) = http_post(server.port, &path, &body);
        let (code, c_body) = invoke(&function, &file);

        let lv: serde_json::Value = serde_json::from_str(&l_body).unwrap();
        let hv: serde_json::Value = serde_json::from_str(&h_body).unwrap();
        let cv: serde_json::Value = serde_json::from_str(c_body.trim()).unwrap();
        assert_eq!(
            l_status, h_status,
            "{function}/{name}: lambda vs serve status"
        );
        let run_id_free = |mut v: serde_json::Value| {
            // Stored runs get fresh ids per door; everything else must be identical.
            if let Some(o) = v.as_object_mut() {
                o.remove("run_id");
                o.remove("artifacts");
            }
            v
        };
        assert_eq!(
            run_id_free(lv.clone()),
            run_id_free(hv),
            "{function}/{name}: lambda vs serve body"
        );
        if l_status < 300 {
            assert_eq!(code, 0, "{function}/{name}: invoke exit code");
            assert_eq!(
                run_id_free(lv.clone()),
                run_id_free(cv),
                "{function}/{name}: lambda vs invoke body"
            );
        } else {
            assert_eq!(
                code,
                if l_status < 500 { 2 } else { 1 },
                "{function}/{name}: invoke exit code"
            );
            assert_eq!(lv.clone(), cv, "{function}/{name}: lambda vs invoke error");
        }
        if name.starts_with("bad_") {
            assert!(
                (400..500).contains(&l_status),
                "{function}/{name}: expected a 4xx, got {l_status}"
            );
            assert!(
                lv["error"]["code"].is_string() && lv["error"]["message"].is_string(),
                "{function}/{name}: error shape"
            );
        } else {
            assert!(
                (200..300).contains(&l_status),
                "{function}/{name}: expected success, got {l_status}: {l_body}"
            );
        }
    }
}

#[test]
fn http_bodies_over_six_megabytes_get_413_from_the_server() {
    let server = start_server();
    let big = vec![b' '; 6 * 1024 * 1024 + 10];
    let (status, body) = http_post(server.port, "/v1/time-to-charge", &big);
    assert_eq!(status, 413);
    assert!(body.contains("too_large"));
}

#[test]
fn invoke_reads_request_files_of_any_size() {
    // 8 MB of whitespace around a valid request: over the HTTP limit, fine for the CLI.
    let dir = std::env::temp_dir().join(format!("twin-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("big.json");
    let req = r#"{"vehicle": {"model": "yutong_e12"}, "soc_pct": 20, "target_soc_pct": 80, "charger": {"kind": "dc", "max_power_kw": 150}}"#;
    std::fs::write(&f, format!("{}{}", " ".repeat(8 * 1024 * 1024), req)).unwrap();
    let (code, out) = invoke("time_to_charge", &f);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("duration_min"));
}
