//! `twin estimators list` and `twin estimators run <name> <inputs.json|->`.
//!
//! Models come from the binary (bundled) or, with `--models-dir`, from a folder of cards and ONNX
//! files (e.g. `ml/models`). The JSON logic lives in `twin_estimators::commands`; this module only
//! reads files, prints, and reports models that failed to load (on stderr; they are not served).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use twin_estimators::{commands, Registry};

/// Subcommands.
#[derive(clap::Subcommand)]
pub enum Cmd {
    /// List the registered models as JSON: `[{"name","version","sha256","inputs":[{"name","unit"}],"output"}]`.
    List {
        /// Load cards and models from this folder instead of the bundled ones.
        #[arg(long)]
        models_dir: Option<PathBuf>,
    },
    /// Run a model on `{"rows": [[...], ...]}` (card input order); prints `{"outputs": [...]}`.
    Run {
        /// Model name.
        name: String,
        /// Inputs JSON file, or `-` for stdin.
        inputs: PathBuf,
        /// Load cards and models from this folder instead of the bundled ones.
        #[arg(long)]
        models_dir: Option<PathBuf>,
    },
}

/// Runs the subcommand, printing its JSON; returns the exit code.
pub fn run(cmd: Cmd) -> anyhow::Result<u8> {
    let out = match cmd {
        Cmd::List { models_dir } => list(models_dir.as_deref())?,
        Cmd::Run {
            name,
            inputs,
            models_dir,
        } => run_model(models_dir.as_deref(), &name, &inputs)?,
    };
    println!("{out}");
    Ok(0)
}

/// Load the registry: every card in `models_dir`, or what the server serves (bundled models and
/// `TWIN_MODELS_DIR`).
pub fn registry(models_dir: Option<&Path>) -> anyhow::Result<Registry> {
    let reg = match models_dir {
        Some(dir) => Registry::from_dir(dir)
            .with_context(|| format!("loading models from {}", dir.display()))?,
        None => twin_api::estimators_from_env(),
    };
    for (name, reason) in reg.failures() {
        eprintln!("warning: model {name} not loaded: {reason}");
    }
    Ok(reg)
}

/// `twin estimators list` as a JSON string.
pub fn list(models_dir: Option<&Path>) -> anyhow::Result<String> {
    let reg = registry(models_dir)?;
    Ok(commands::list_json(&reg)?)
}

/// `twin estimators run` as a JSON string.
pub fn run_model(models_dir: Option<&Path>, name: &str, inputs: &Path) -> anyhow::Result<String> {
    let text = if inputs == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading inputs from stdin")?;
        s
    } else {
        let meta =
            std::fs::metadata(inputs).with_context(|| format!("reading {}", inputs.display()))?;
        if meta.len() > 64 * 1024 * 1024 {
            bail!("{} is larger than 64 MiB", inputs.display());
        }
        std::fs::read_to_string(inputs).with_context(|| format!("reading {}", inputs.display()))?
    };
    let reg = registry(models_dir)?;
    Ok(commands::run_json(&reg, name, &text)?)
}
