//! Helpers for the end-to-end tests: locating the repository's events and the shared reference data.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// The repository root (this crate lives in `<root>/tests`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shared reference data folder, beside the repository (`<root>/../shared/reference`).
pub fn reference_dir() -> PathBuf {
    repo_root().join("..").join("shared").join("reference")
}

/// Every `events/<function>/*.json` file, sorted, as (function, file name, contents).
pub fn events() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(repo_root().join("events")) else {
        return out;
    };
    for d in dirs.flatten() {
        let function = d.file_name().to_string_lossy().to_string();
        let Ok(files) = std::fs::read_dir(d.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") {
                if let Ok(s) = std::fs::read_to_string(f.path()) {
                    out.push((function.clone(), name, s));
                }
            }
        }
    }
    out.sort();
    out
}
