//! `depot_simulation` on AWS Lambda: read the configuration and build the stores and clients once at cold
//! start, then serve API Gateway events (or, as the worker, run ids, sweep variants and the nightly
//! schedule) through the shared code in twin-api (the same code as `twin serve` and `twin invoke`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = twin_api::lambda::DepotConfig::from_env()?;
    let deps = config.connect().await?;
    twin_api::lambda::run_depot(&config, deps).await
}
