//! `twin`: the local door to ev-twin. Same handlers as the Lambda functions, on local storage.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod bench;
mod estimators_cmd;
mod gtfs_cmd;
mod invoke;
mod serve;
mod spiceev;

#[derive(Parser)]
#[command(
    name = "twin",
    version,
    about = "ev-twin: an electric-fleet digital twin (local door)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one capability on a request (or API Gateway event) file, or `-` for stdin.
    /// Exit 0 on success, 2 with the error JSON for a rejected request, 1 for an internal failure.
    Invoke {
        /// time_to_charge | range_remaining | trip_planning | depot_simulation
        capability: String,
        /// Request JSON file, or `-` for stdin.
        input: String,
        /// Local data folder (default `.twin-data`, or TWIN_DATA_DIR).
        #[arg(long, env = "TWIN_DATA_DIR", default_value = ".twin-data")]
        data_dir: PathBuf,
    },
    /// Serve every route of the API on one local port.
    Serve {
        /// Port.
        #[arg(long, default_value_t = 9000)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Local data folder (default `.twin-data`, or TWIN_DATA_DIR).
        #[arg(long, env = "TWIN_DATA_DIR", default_value = ".twin-data")]
        data_dir: PathBuf,
        /// Lease of a running asynchronous run (s): renewed while it runs; a run whose server died
        /// is taken over this long after its last renewal.
        #[arg(long, default_value_t = 30.0)]
        run_lease_s: f64,
    },
    /// Convert another tool's input into a twin request.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Plan over a whole schedule.
    #[command(subcommand)]
    Plan(PlanCmd),
    /// ONNX estimators: list and run.
    #[command(subcommand)]
    Estimators(estimators_cmd::Cmd),
    /// Measure throughput (release builds only give meaningful numbers).
    Bench(bench::Args),
    /// Print the vehicle catalogue.
    Vehicles,
    /// Print openapi.yaml, generated from the wire types (`twin openapi > openapi.yaml`).
    Openapi {
        /// The events folder whose `<capability>/requests/basic.json` become the examples.
        #[arg(long, default_value = "events")]
        events: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// A SpiceEV scenario JSON → a depot_simulation request on stdout.
    Spiceev(spiceev::ImportArgs),
    /// A GTFS feed zip → blocks of trips on stdout.
    Gtfs(gtfs_cmd::ImportArgs),
}

#[derive(Subcommand)]
enum PlanCmd {
    /// Electrification report over a GTFS feed.
    Gtfs(Box<gtfs_cmd::PlanArgs>),
}

/// The stores of `twin serve` and `twin invoke`: S3 + DynamoDB when `TWIN_BUCKET` and `TWIN_TABLE`
/// are set, else the local store in `data_dir`.
async fn store_deps(data_dir: PathBuf) -> anyhow::Result<twin_api::Deps> {
    use twin_store::StoreConfig;
    let config = match StoreConfig::from_env()? {
        StoreConfig::Local { .. } => StoreConfig::Local { data_dir },
        aws => aws,
    };
    twin_api::Deps::from_config(&config)
        .await
        .with_context(|| format!("opening the store ({config:?})"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<u8> = match cli.cmd {
        Cmd::Invoke {
            capability,
            input,
            data_dir,
        } => invoke::run(&capability, &input, data_dir),
        Cmd::Serve {
            port,
            host,
            data_dir,
            run_lease_s,
        } => serve::run(&host, port, data_dir, run_lease_s).map(|_| 0),
        Cmd::Import(ImportCmd::Spiceev(a)) => spiceev::run(a),
        Cmd::Import(ImportCmd::Gtfs(a)) => gtfs_cmd::import(a),
        Cmd::Plan(PlanCmd::Gtfs(a)) => gtfs_cmd::plan(*a),
        Cmd::Estimators(c) => estimators_cmd::run(c),
        Cmd::Bench(a) => bench::run(a),
        Cmd::Openapi { events } => {
            let spec = twin_api::openapi::spec(Some(&events));
            print!("{}", twin_api::openapi::to_yaml(&spec));
            Ok(0)
        }
        Cmd::Vehicles => {
            println!("{}", twin_api::http::vehicles_json());
            Ok(0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("twin: {e:#}");
            ExitCode::from(1)
        }
    }
}
