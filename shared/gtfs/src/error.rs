//! Errors of the GTFS and weather adapters: each names the file and what is wrong with it.

use std::path::PathBuf;

/// What can go wrong reading a feed or a weather file.
#[derive(Debug, thiserror::Error)]
pub enum GtfsError {
    /// The path does not exist or cannot be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a readable zip archive.
    #[error("{path} is not a readable GTFS zip archive ({detail})")]
    BrokenZip {
        /// The path given.
        path: PathBuf,
        /// The zip reader's message.
        detail: String,
    },
    /// A file GTFS requires is absent.
    #[error("GTFS feed {path} has no {file} (a required file)")]
    MissingFile {
        /// The feed.
        path: PathBuf,
        /// The missing file's name.
        file: String,
    },
    /// A reference to an id that is not defined (a `stop_id` or `trip_id` in `stop_times.txt`, say).
    #[error("GTFS feed {path} references unknown id `{id}` (stop_times.txt refers to a stop or trip that stops.txt / trips.txt does not define)")]
    UnknownId {
        /// The feed.
        path: PathBuf,
        /// The id.
        id: String,
    },
    /// A file cannot be parsed (bad CSV, bad time, bad number).
    #[error("GTFS feed {path}: {detail}")]
    Parse {
        /// The feed or weather file.
        path: PathBuf,
        /// What and where.
        detail: String,
    },
    /// A trip that cannot be used (no stop times, no times at its ends, runs backwards).
    #[error("GTFS feed {path}: trip `{trip}` {detail}")]
    BadTrip {
        /// The feed.
        path: PathBuf,
        /// The trip id.
        trip: String,
        /// What is wrong.
        detail: String,
    },
    /// No trip runs on the requested date.
    #[error("no service on {date} in {path} (the feed's calendar covers {first} to {last})")]
    NoService {
        /// The feed.
        path: PathBuf,
        /// The date asked for.
        date: String,
        /// First date the calendar covers.
        first: String,
        /// Last date the calendar covers.
        last: String,
    },
    /// Block building rejected the day's trips (e.g. overlapping trips in one `block_id`).
    #[error("GTFS feed {path}: {source}")]
    Blocks {
        /// The feed.
        path: PathBuf,
        /// The model's reason.
        #[source]
        source: twin_model::ModelError,
    },
}

impl GtfsError {
    /// Translates a `gtfs-structures` error into one that names the problem plainly.
    pub(crate) fn from_reader(path: PathBuf, e: gtfs_structures::Error) -> Self {
        use gtfs_structures::Error as E;
        match e {
            E::MissingFile(file) => GtfsError::MissingFile { path, file },
            E::ReferenceError(id) => GtfsError::UnknownId { path, id },
            E::Zip(z) => GtfsError::BrokenZip {
                path,
                detail: z.to_string(),
            },
            E::NotFileNorDirectory(_) => GtfsError::Open {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "neither a file nor a directory",
                ),
            },
            E::IO(source) => GtfsError::Open { path, source },
            E::InvalidTime(t) => GtfsError::Parse {
                path,
                detail: format!(
                    "'{t}' is not a GTFS time (H:MM:SS or HH:MM:SS, hours may exceed 24)"
                ),
            },
            E::CSVError {
                file_name,
                source,
                line_in_error,
            } => {
                let line = line_in_error
                    .map(|l| {
                        let pairs: Vec<String> = l
                            .headers
                            .iter()
                            .zip(&l.values)
                            .map(|(h, v)| format!("{h}={v:?}"))
                            .collect();
                        format!(" in row [{}]", pairs.join(", "))
                    })
                    .unwrap_or_default();
                GtfsError::Parse {
                    path,
                    detail: format!("{file_name}: {source}{line}"),
                }
            }
            E::NamedFileIO { file_name, source } => GtfsError::Parse {
                path,
                detail: format!("cannot read {file_name}: {source}"),
            },
            other => GtfsError::Parse {
                path,
                detail: other.to_string(),
            },
        }
    }
}
