//! Which backend to use, from the environment (read once, in `main`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::aws::AwsStores;
use crate::error::{ConfigError, StoreError};
use crate::local;
use crate::{ArtifactStore, RunStore};

/// Default local data folder.
pub const DEFAULT_DATA_DIR: &str = ".twin-data";

/// The backend and its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// Files + SQLite under `data_dir`.
    Local {
        /// The data folder.
        data_dir: PathBuf,
    },
    /// S3 + DynamoDB.
    Aws {
        /// `TWIN_BUCKET`.
        bucket: String,
        /// `TWIN_TABLE`.
        table: String,
        /// Path-style S3 addressing: set when `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`
        /// overrides the endpoint (local S3-compatible servers need it).
        force_path_style: bool,
    },
}

impl StoreConfig {
    /// Reads `TWIN_BUCKET` + `TWIN_TABLE` (AWS; both or neither), else `TWIN_DATA_DIR`
    /// (local, default `.twin-data`). Empty values count as unset.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`StoreConfig::from_env`], with the variables looked up by `var`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.is_empty());
        match (get("TWIN_BUCKET"), get("TWIN_TABLE")) {
            (Some(bucket), Some(table)) => Ok(StoreConfig::Aws {
                bucket,
                table,
                force_path_style: get("AWS_ENDPOINT_URL").is_some()
                    || get("AWS_ENDPOINT_URL_S3").is_some(),
            }),
            (Some(_), None) => Err(ConfigError::Missing {
                missing: "TWIN_TABLE",
                because: "TWIN_BUCKET",
            }),
            (None, Some(_)) => Err(ConfigError::Missing {
                missing: "TWIN_BUCKET",
                because: "TWIN_TABLE",
            }),
            (None, None) => Ok(StoreConfig::Local {
                data_dir: get("TWIN_DATA_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            }),
        }
    }

    /// Builds the stores (for AWS: loads the SDK configuration once, one client per service).
    pub async fn connect(&self) -> Result<Stores, StoreError> {
        match self {
            StoreConfig::Local { data_dir } => {
                let (artifacts, runs) = local::open(data_dir)?;
                Ok(Stores {
                    artifacts: Arc::new(artifacts),
                    runs: Arc::new(runs),
                })
            }
            StoreConfig::Aws {
                bucket,
                table,
                force_path_style,
            } => {
                let aws =
                    AwsStores::connect(bucket.clone(), table.clone(), *force_path_style).await;
                Ok(Stores {
                    artifacts: Arc::new(aws.artifacts),
                    runs: Arc::new(aws.runs),
                })
            }
        }
    }
}

/// The pair of stores as trait objects, cheap to clone into the API's dependencies.
#[derive(Clone)]
pub struct Stores {
    /// Blobs.
    pub artifacts: Arc<dyn ArtifactStore>,
    /// Run records.
    pub runs: Arc<dyn RunStore>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn no_variables_means_the_local_default_folder() {
        assert_eq!(
            StoreConfig::from_lookup(env(&[])).unwrap(),
            StoreConfig::Local {
                data_dir: PathBuf::from(".twin-data")
            }
        );
        assert_eq!(
            StoreConfig::from_lookup(env(&[("TWIN_DATA_DIR", "/tmp/x")])).unwrap(),
            StoreConfig::Local {
                data_dir: PathBuf::from("/tmp/x")
            }
        );
    }

    #[test]
    fn bucket_and_table_select_aws_and_an_endpoint_override_forces_path_style() {
        let c = StoreConfig::from_lookup(env(&[("TWIN_BUCKET", "b"), ("TWIN_TABLE", "t")]));
        assert_eq!(
            c.unwrap(),
            StoreConfig::Aws {
                bucket: "b".into(),
                table: "t".into(),
                force_path_style: false
            }
        );
        let c = StoreConfig::from_lookup(env(&[
            ("TWIN_BUCKET", "b"),
            ("TWIN_TABLE", "t"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ]));
        assert!(matches!(
            c.unwrap(),
            StoreConfig::Aws {
                force_path_style: true,
                ..
            }
        ));
    }

    #[test]
    fn half_an_aws_configuration_names_the_missing_variable() {
        let err =
            StoreConfig::from_lookup(env(&[("TWIN_BUCKET", "b"), ("TWIN_TABLE", "")])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing {
                missing: "TWIN_TABLE",
                because: "TWIN_BUCKET"
            }
        );
        assert!(err.to_string().contains("TWIN_TABLE"));
    }
}
