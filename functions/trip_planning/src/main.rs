//! `trip_planning` on AWS Lambda: build dependencies once at cold start, then serve API Gateway events through
//! the shared handler in twin-api (the same code as `twin serve` and `twin invoke`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let deps = twin_api::Deps::default();
    twin_api::lambda::run(deps).await
}
