//! The local default: artifacts as files under a data folder, runs in an embedded SQLite
//! database. Used by `twin serve` and `twin invoke`; survives restarts.
//!
//! ```text
//! <data_dir>/
//!   artifacts/<key>        one file per artifact (written to a temp file, then renamed)
//!   runs.sqlite3           table `runs` (WAL mode), safe for several processes
//! ```
//!
//! Blocking work (SQLite, file I/O) runs on tokio's blocking pool via `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;
use crate::key::{validate_key, validate_prefix};
use crate::run::{self, validate_id, Created, NewRun, RunRecord, RunStatus, Transition};
use crate::{ArtifactInfo, ArtifactStore, RunStore};

/// Name of the artifact folder inside the data folder.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Name of the SQLite file inside the data folder.
pub const RUNS_DB: &str = "runs.sqlite3";

async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(StoreError::Join)?
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io { op, path, source }
}

/// Artifacts as files under `<root>`.
#[derive(Debug, Clone)]
pub struct LocalArtifactStore {
    root: PathBuf,
}

impl LocalArtifactStore {
    /// Uses (and creates) `root` as the artifact folder.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(io("create folder", &root))?;
        let root = std::fs::canonicalize(&root).map_err(io("resolve", &root))?;
        Ok(Self { root })
    }

    /// The artifact folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

fn write_atomically(path: &Path, body: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create folder", dir))?;
    // Keys never have a segment starting with '.', so the temp name cannot collide with a key
    // and `list` skips it.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{name}",
        std::process::id(),
        unique_suffix()
    ));
    std::fs::write(&tmp, body).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        StoreError::Io {
            op: "rename",
            path: path.to_owned(),
            source: e,
        }
    })
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<ArtifactInfo>) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("read folder", dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io("read folder", dir))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // temp files of writes in progress
        }
        let path = entry.path();
        let meta = entry.metadata().map_err(io("stat", &path))?;
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(ArtifactInfo {
                key,
                size_bytes: meta.len(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl ArtifactStore for LocalArtifactStore {
    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        blocking(move || write_atomically(&path, &body)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(key)?;
        blocking(move || match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            // A key that names a folder ("runs" when "runs/r1" exists) holds no blob.
            Err(_) if path.is_dir() => Ok(None),
            Err(e) => Err(io("read", &path)(e)),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ArtifactInfo>, StoreError> {
        validate_prefix(prefix)?;
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        blocking(move || {
            // Walk only the deepest folder the prefix fully names.
            let start = match prefix.rfind('/') {
                Some(i) => root.join(&prefix[..i]),
                None => root.clone(),
            };
            let mut out = Vec::new();
            walk(&root, &start, &mut out)?;
            out.retain(|a| a.key.starts_with(&prefix));
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
        .await
    }

    async fn presigned_url(&self, key: &str, _expires_in: Duration) -> Result<String, StoreError> {
        let path = self.path_of(key)?;
        Ok(format!("file://{}", path.display()))
    }
}

/// Run records in SQLite.
///
/// Schema: `runs(run_id TEXT PRIMARY KEY, depot_id, created_at_ms, status, version,
/// idempotency_key UNIQUE, record JSON)`, indexed by `(depot_id, created_at_ms)` and
/// `(status, created_at_ms)`. The indexed columns mirror fields of the JSON record.
#[derive(Clone)]
pub struct SqliteRunStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteRunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRunStore").finish_non_exhaustive()
    }
}

fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id          TEXT PRIMARY KEY NOT NULL,
    depot_id        TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    idempotency_key TEXT UNIQUE,
    record          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_depot ON runs (depot_id, created_at_ms);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at_ms);
";

impl SqliteRunStore {
    /// Opens (and creates) the database file; several stores, in one process or many, may open
    /// the same file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("create folder", dir))?;
        }
        let conn = Connection::open(path).map_err(sql("open"))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(sql("set busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql("set WAL mode"))?;
        Self::init(conn)
    }

    /// A private in-memory database (tests, one-shot CLI runs).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(sql("open in memory"))?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA).map_err(sql("create schema"))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        blocking(move || {
            // A poisoned lock only means another call panicked mid-way; SQLite rolled its
            // transaction back, so the connection is still consistent.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
    }
}

fn decode(run_id: &str, json: &str) -> Result<RunRecord, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Json {
        what: format!("run record {run_id}"),
        source,
    })
}

fn encode(r: &RunRecord) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|source| StoreError::Json {
        what: format!("run record {}", r.run_id),
        source,
    })
}

fn get_in(conn: &Connection, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT record FROM runs WHERE run_id = ?1",
            params![run_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql("select run"))?;
    json.map(|j| decode(run_id, &j)).transpose()
}

fn by_idempotency_key(conn: &Connection, key: &str) -> Result<Option<RunRecord>, StoreError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT run_id, record FROM runs WHERE idempotency_key = ?1",
            params![key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(sql("select by idempotency key"))?;
    row.map(|(id, j)| decode(&id, &j)).transpose()
}

fn collect(rows: Vec<(String, String)>) -> Result<Vec<RunRecord>, StoreError> {
    rows.iter().map(|(id, j)| decode(id, j)).collect()
}

fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[async_trait]
impl RunStore for SqliteRunStore {
    async fn create(&self, new: NewRun) -> Result<Created, StoreError> {
        new.validate()?;
        self.with_conn(move |conn| {
            // IMMEDIATE: take the write lock before reading, so the idempotency check and the
            // insert are one atomic step even across processes.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql("begin"))?;
            if let Some(key) = &new.idempotency_key {
                if let Some(existing) = by_idempotency_key(&tx, key)? {
                    return Ok(Created::Existing(existing));
                }
            }
            let record = new.into_record();
            let inserted = tx
                .execute(
                    "INSERT INTO runs (run_id, depot_id, created_at_ms, status, version, idempotency_key, record)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (run_id) DO NOTHING",
                    params![
                        record.run_id,
                        record.depot_id,
                        record.created_at_ms,
                        record.status.as_str(),
                        record.version,
                        record.idempotency_key,
                        encode(&record)?,
                    ],
                )
                .map_err(sql("insert run"))?;
            if inserted == 0 {
                return Err(StoreError::AlreadyExists {
                    run_id: record.run_id,
                });
            }
            tx.commit().map_err(sql("commit"))?;
            Ok(Created::New(record))
        })
        .await
    }

    async fn get(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let run_id = run_id.to_owned();
        self.with_conn(move |conn| get_in(conn, &run_id)).await
    }

    async fn find_by_idempotency_key(&self, key: &str) -> Result<Option<RunRecord>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |conn| by_idempotency_key(conn, &key))
            .await
    }

    async fn transition(
        &self,
        run_id: &str,
        expected_version: u64,
        t: Transition,
    ) -> Result<RunRecord, StoreError> {
        validate_id("run_id", run_id)?;
        let run_id = run_id.to_owned();
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql("begin"))?;
            let current = get_in(&tx, &run_id)?.ok_or_else(|| StoreError::NotFound {
                run_id: run_id.clone(),
            })?;
            run::check(&current, expected_version, &t)?;
            let next = run::apply(&current, t);
            // The version condition is redundant under the write lock, and kept as the
            // compare-and-swap that the DynamoDB backend also does.
            let updated = tx
                .execute(
                    "UPDATE runs SET status = ?1, version = ?2, record = ?3
                     WHERE run_id = ?4 AND version = ?5",
                    params![
                        next.status.as_str(),
                        next.version,
                        encode(&next)?,
                        run_id,
                        expected_version
                    ],
                )
                .map_err(sql("update run"))?;
            if updated != 1 {
                return Err(StoreError::VersionConflict {
                    run_id,
                    expected: expected_version,
                    actual: current.version,
                });
            }
            tx.commit().map_err(sql("commit"))?;
            Ok(next)
        })
        .await
    }

    async fn list_by_depot(
        &self,
        depot_id: &str,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let depot_id = depot_id.to_owned();
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT run_id, record FROM runs
                     WHERE depot_id = ?1 AND created_at_ms BETWEEN ?2 AND ?3
                     ORDER BY created_at_ms DESC, run_id DESC LIMIT ?4",
                )
                .map_err(sql("prepare list by depot"))?;
            let rows = stmt
                .query_map(params![depot_id, from_ms, to_ms, limit_i64(limit)], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(sql("list by depot"))?
                .collect::<Result<Vec<(String, String)>, _>>()
                .map_err(sql("list by depot"))?;
            collect(rows)
        })
        .await
    }

    async fn list_unfinished(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.with_conn(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT run_id, record FROM runs WHERE status IN (?1, ?2)
                     ORDER BY created_at_ms ASC, run_id ASC LIMIT ?3",
                )
                .map_err(sql("prepare list unfinished"))?;
            let rows = stmt
                .query_map(
                    params![
                        RunStatus::Queued.as_str(),
                        RunStatus::Running.as_str(),
                        limit_i64(limit)
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .map_err(sql("list unfinished"))?
                .collect::<Result<Vec<(String, String)>, _>>()
                .map_err(sql("list unfinished"))?;
            collect(rows)
        })
        .await
    }
}

/// Opens the local pair under `data_dir`: `artifacts/` and `runs.sqlite3`.
pub fn open(data_dir: &Path) -> Result<(LocalArtifactStore, SqliteRunStore), StoreError> {
    let artifacts = LocalArtifactStore::open(data_dir.join(ARTIFACTS_DIR))?;
    let runs = SqliteRunStore::open(data_dir.join(RUNS_DB))?;
    Ok((artifacts, runs))
}
