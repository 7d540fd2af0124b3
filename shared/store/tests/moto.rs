//! The conformance suite on S3 + DynamoDB, against a moto server on loopback
//! (`scripts/moto.sh start` prints `TWIN_TEST_MOTO_ENDPOINT=...`). Each test gets its own bucket
//! and table; the second run-store handle is a second DynamoDB client.
//!
//! Ignored unless asked for: `cargo test -p twin-store --test moto -- --include-ignored`.

// Test-support code: a failed call is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod conformance;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::Credentials;
use conformance::Fixture;
use twin_store::aws::AwsStores;

const ENDPOINT_VAR: &str = "TWIN_TEST_MOTO_ENDPOINT";

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "twin-test-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

async fn sdk_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VAR} is not set: run `eval \"$(scripts/moto.sh start)\"` first")
    });
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "moto-test"))
        .load()
        .await
}

async fn fixture() -> Fixture {
    let sdk = sdk_config().await;
    let name = unique_name();
    let a = AwsStores::from_sdk_config(&sdk, &name, &name, true);
    a.create_resources().await.unwrap();
    let b = AwsStores::from_sdk_config(&sdk, &name, &name, true);
    Fixture {
        artifacts: Arc::new(a.artifacts),
        runs: Arc::new(a.runs),
        runs2: Arc::new(b.runs),
        _guard: None,
    }
}

conformance_tests!(
    meta = ignore = "needs a moto server: set TWIN_TEST_MOTO_ENDPOINT (scripts/moto.sh start)",
    fixture = fixture()
);

#[tokio::test]
#[ignore = "needs a moto server: set TWIN_TEST_MOTO_ENDPOINT (scripts/moto.sh start)"]
async fn creating_resources_twice_is_harmless() {
    let sdk = sdk_config().await;
    let name = unique_name();
    let a = AwsStores::from_sdk_config(&sdk, &name, &name, true);
    a.create_resources().await.unwrap();
    a.create_resources().await.unwrap();
}
