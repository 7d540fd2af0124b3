//! The set of models a process serves: bundled in the binary, or loaded from a folder of cards.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::card::ModelCard;
use crate::error::EstimatorError;
use crate::onnx::{ModelSource, OnnxModel};

/// A model compiled into the binary: its card JSON and ONNX bytes.
struct Bundled {
    name: &'static str,
    card: &'static str,
    onnx: &'static [u8],
}

const BUNDLED: &[Bundled] = &[
    Bundled {
        name: "energy_rate",
        card: include_str!("../../../ml/models/energy_rate.json"),
        onnx: include_bytes!("../../../ml/models/energy_rate.onnx"),
    },
    Bundled {
        name: "fleet_calibration",
        card: include_str!("../../../ml/models/fleet_calibration.json"),
        onnx: include_bytes!("../../../ml/models/fleet_calibration.onnx"),
    },
    Bundled {
        name: "routee_bolt_2017",
        card: include_str!("../../../ml/models/routee_bolt_2017.json"),
        onnx: include_bytes!("../../../ml/models/routee_bolt_2017.onnx"),
    },
];

/// One input as listed by `twin estimators list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSummary {
    /// Input name.
    pub name: String,
    /// Unit.
    pub unit: String,
}

/// The output as listed by `twin estimators list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputSummary {
    /// Output name.
    pub name: String,
    /// Unit.
    pub unit: String,
}

/// One model as listed by `twin estimators list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    /// Registry name.
    pub name: String,
    /// Version.
    pub version: String,
    /// sha256 of the ONNX file.
    pub sha256: String,
    /// Inputs in row order.
    pub inputs: Vec<InputSummary>,
    /// Output.
    pub output: OutputSummary,
}

impl From<&ModelCard> for ModelSummary {
    fn from(c: &ModelCard) -> Self {
        Self {
            name: c.name.clone(),
            version: c.version.clone(),
            sha256: c.sha256.clone(),
            inputs: c
                .inputs
                .iter()
                .map(|i| InputSummary {
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                })
                .collect(),
            output: OutputSummary {
                name: c.output.name.clone(),
                unit: c.output.unit.clone(),
            },
        }
    }
}

/// Loaded models by name, plus the ones that failed to load and why (they are never served;
/// callers fall back to physics and say so).
#[derive(Debug, Default, Clone)]
pub struct Registry {
    models: BTreeMap<String, OnnxModel>,
    failed: BTreeMap<String, String>,
}

impl Registry {
    /// An empty registry (physics only).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every model bundled in the binary, loaded and self-checked. A bundled model that fails
    /// is recorded in [`Registry::failures`], not fatal.
    pub fn bundled() -> Self {
        let mut reg = Self::default();
        for b in BUNDLED {
            let loaded = ModelCard::from_json(b.name, b.card)
                .and_then(|c| OnnxModel::load(c, ModelSource::Bytes(b.onnx)));
            reg.record(b.name, loaded);
        }
        reg
    }

    /// Load every `*.json` card in `dir`, each with the ONNX file its `file` field names.
    pub fn from_dir(dir: &Path) -> Result<Self, EstimatorError> {
        let mut reg = Self::default();
        let entries = std::fs::read_dir(dir).map_err(|source| EstimatorError::Io {
            name: "registry".into(),
            path: dir.display().to_string(),
            source,
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let hint = p.display().to_string();
            let card = std::fs::read_to_string(&p)
                .map_err(|source| EstimatorError::Io {
                    name: hint.clone(),
                    path: hint.clone(),
                    source,
                })
                .and_then(|text| ModelCard::from_json(&hint, &text));
            match card {
                Ok(card) => {
                    let name = card.name.clone();
                    let file = dir.join(&card.file);
                    reg.record(&name, OnnxModel::load(card, ModelSource::File(&file)));
                }
                Err(e) => reg.record(&hint, Err(e)),
            }
        }
        Ok(reg)
    }

    /// Add a loaded model (or the reason it could not be loaded).
    pub fn record(&mut self, name: &str, loaded: Result<OnnxModel, EstimatorError>) {
        match loaded {
            Ok(m) => {
                self.failed.remove(name);
                self.models.insert(name.to_string(), m);
            }
            Err(e) => {
                self.models.remove(name);
                self.failed.insert(name.to_string(), error_chain(&e));
            }
        }
    }

    /// Adds every model (and failure) of `other`, replacing those of the same name: a deployment's
    /// own models over the bundled ones.
    pub fn merge(&mut self, other: Registry) {
        for (name, m) in other.models {
            self.record(&name, Ok(m));
        }
        for (name, reason) in other.failed {
            self.models.remove(&name);
            self.failed.insert(name, reason);
        }
    }

    /// The model of that name, or why it is not available.
    pub fn get(&self, name: &str) -> Result<&OnnxModel, EstimatorError> {
        if let Some(m) = self.models.get(name) {
            return Ok(m);
        }
        match self.failed.get(name) {
            Some(reason) => Err(EstimatorError::Unavailable {
                name: name.to_string(),
                reason: reason.clone(),
            }),
            None => Err(EstimatorError::Unknown(name.to_string())),
        }
    }

    /// Loaded models, by name.
    pub fn list(&self) -> Vec<ModelSummary> {
        self.models
            .values()
            .map(|m| ModelSummary::from(m.card()))
            .collect()
    }

    /// Models that failed to load, with the reason.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.failed.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// An error and its causes on one line, for reports ("a: b: c").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
