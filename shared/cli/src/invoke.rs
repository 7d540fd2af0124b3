//! `twin invoke <capability> <file|->`: one request through the shared handler, always to completion.

use anyhow::Context;
use std::io::Read;
use std::path::PathBuf;
use twin_api::{ApiError, Capability, Ctx, Door};

/// Reads the input, unwraps an API Gateway event if given one, runs the capability, prints the JSON.
/// Returns the exit code: 0 success, 2 rejected request, 1 internal failure.
pub fn run(capability: &str, input: &str, data_dir: PathBuf) -> anyhow::Result<u8> {
    let Some(cap) = Capability::from_name(capability) else {
        let e = ApiError::invalid(
            "capability",
            format!("unknown capability `{capability}`; use time_to_charge, range_remaining, trip_planning or depot_simulation"),
        );
        println!("{}", e.to_json());
        return Ok(2);
    };
    let raw = read_input(input)?;
    let body = match serde_json::from_slice::<serde_json::Value>(&raw)
        .ok()
        .as_ref()
        .and_then(twin_api::event::body_of_event)
    {
        Some(Ok(b)) => b,
        Some(Err(m)) => {
            println!("{}", ApiError::malformed(m).to_json());
            return Ok(2);
        }
        None => raw,
    };
    if cap == Capability::DepotSimulation {
        if let Some(code) = run_sweep(&body) {
            return Ok(code);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let result = rt.block_on(async {
        let deps = crate::store_deps(data_dir).await?;
        anyhow::Ok(twin_api::handle(&deps, &Ctx::new(Door::Cli), cap, &body).await)
    })?;
    Ok(match result {
        Ok(reply) => {
            print_line(&reply.body.to_string());
            0
        }
        Err(e) => {
            print_line(&e.to_json().to_string());
            if e.status < 500 {
                2
            } else {
                1
            }
        }
    })
}

/// A depot request with a `sweep`: run its variants on every core with a progress bar on stderr, print
/// the table. `None` when the body is not a sweep (the shared handler then runs it).
fn run_sweep(body: &[u8]) -> Option<u8> {
    let req: twin_api::depot_simulation::DepotSimulationRequest =
        twin_api::validate::parse(body).ok()?;
    let spec = req.sweep.clone()?;
    let result = twin_api::sweep::run(
        &req,
        &spec,
        twin_api::sweep::default_threads(),
        &progress_bar,
    );
    eprintln!();
    Some(match result {
        Ok(r) => {
            print_line(&serde_json::json!({"status": "succeeded", "sweep": r}).to_string());
            0
        }
        Err(e) => {
            print_line(&e.to_json().to_string());
            if e.status < 500 {
                2
            } else {
                1
            }
        }
    })
}

/// `sweep [#########...........]  45/200 variants` on stderr, redrawn in place.
pub fn progress_bar(done: usize, total: usize) {
    use std::io::Write;
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\rsweep [{}{}] {done:>4}/{total} variants",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    );
    let _ = err.flush();
}

fn read_input(input: &str) -> anyhow::Result<Vec<u8>> {
    if input == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading stdin")?;
        Ok(buf)
    } else {
        std::fs::read(input).with_context(|| format!("reading {input}"))
    }
}

/// Prints one line to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print_line(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
}
