//! Every event in events/ matches its request file in events/<fn>/requests/ (no drift; regenerate with
//! `python3 scripts/gen_events.py`), and every bad_* event is refused with a 4xx naming a field or the JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // integration tests: failing loudly is the point

use twin_tests::{events, repo_root};

#[test]
fn events_match_their_request_files() {
    let evs = events();
    assert!(!evs.is_empty());
    for (function, name, text) in evs {
        let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
        let body = ev["body"].as_str().unwrap();
        let stem = name.trim_end_matches(".json");
        let dir = repo_root().join("events").join(&function).join("requests");
        let json = dir.join(format!("{stem}.json"));
        let txt = dir.join(format!("{stem}.txt"));
        if json.exists() {
            let want: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
            let got: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(want, got, "{function}/{name} drifted from its request file");
        } else {
            assert_eq!(
                std::fs::read_to_string(txt).unwrap(),
                body,
                "{function}/{name} drifted"
            );
        }
    }
}

#[tokio::test]
async fn bad_events_get_4xx_json_and_never_panic() {
    let deps = twin_api::Deps::default();
    for (function, name, text) in events() {
        let req = lambda_http::request::from_str(&text).unwrap();
        let resp = twin_api::lambda::handle_event(&deps, req).await.unwrap();
        let status = resp.status().as_u16();
        if name.starts_with("bad_") {
            assert!((400..500).contains(&status), "{function}/{name}: {status}");
        } else {
            assert!(status < 300, "{function}/{name}: {status}");
        }
    }
}
