//! Trading control (SPEC 7: live trading starts in observe mode; the operator enables it
//! explicitly): one row in `control.db` of the data directory. `auction-trader control`
//! writes it; the session reads it at least once per second (wall time) and at its first
//! event. A fresh data directory is disabled. A session that halts (a reconciliation
//! mismatch, a kill switch) writes `enabled = 0` with the reason, so trading stays off until
//! the operator has looked and enables it again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::LiveError;

/// The control file's name in the data directory.
pub const CONTROL_DB: &str = "control.db";

/// What the control row says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlState {
    pub enabled: bool,
    /// Who set it and why (`operator`, `halt: position mismatch ...`).
    pub reason: String,
    /// Wall time of the change (ns), 0 for a fresh directory.
    pub updated_ns: i64,
    /// Incremented at every write: a session applies each change once.
    pub version: i64,
}

/// The control row of one data directory.
#[derive(Debug)]
pub struct Control {
    path: PathBuf,
    connection: Connection,
}

impl Control {
    /// Opens (creating when missing) `control.db` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, LiveError> {
        std::fs::create_dir_all(data_dir).map_err(|cause| LiveError::io(data_dir, cause))?;
        let path = data_dir.join(CONTROL_DB);
        let connection = Connection::open(&path).map_err(|error| db_error(&path, &error))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(|error| db_error(&path, &error))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode=WAL;
                 CREATE TABLE IF NOT EXISTS control (
                     id INTEGER PRIMARY KEY CHECK (id = 1),
                     enabled INTEGER NOT NULL,
                     reason TEXT NOT NULL,
                     updated_ns INTEGER NOT NULL,
                     version INTEGER NOT NULL
                 );
                 INSERT OR IGNORE INTO control (id, enabled, reason, updated_ns, version)
                     VALUES (1, 0, 'new data directory: observe mode', 0, 0);",
            )
            .map_err(|error| db_error(&path, &error))?;
        Ok(Self { path, connection })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read(&self) -> Result<ControlState, LiveError> {
        self.connection
            .query_row(
                "SELECT enabled, reason, updated_ns, version FROM control WHERE id = 1",
                [],
                |row| {
                    Ok(ControlState {
                        enabled: row.get::<_, i64>(0)? != 0,
                        reason: row.get(1)?,
                        updated_ns: row.get(2)?,
                        version: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|error| db_error(&self.path, &error))?
            .ok_or_else(|| LiveError::Database {
                path: self.path.clone(),
                message: "the control row is missing".to_owned(),
            })
    }

    /// Writes the row (a new version).
    pub fn set(&self, enabled: bool, reason: &str, now_ns: i64) -> Result<ControlState, LiveError> {
        self.connection
            .execute(
                "UPDATE control SET enabled = ?1, reason = ?2, updated_ns = ?3,
                     version = version + 1 WHERE id = 1",
                params![i64::from(enabled), reason, now_ns],
            )
            .map_err(|error| db_error(&self.path, &error))?;
        self.read()
    }
}

/// The control row of `data_dir`, `None` when the directory has no `control.db` (a status
/// query creates nothing).
pub fn read_control(data_dir: &Path) -> Result<Option<ControlState>, LiveError> {
    if !data_dir.join(CONTROL_DB).is_file() {
        return Ok(None);
    }
    Control::open(data_dir)?.read().map(Some)
}

/// The operator's decision: trading on (leaving observe mode; also acknowledges a halt) or
/// off (no new entries; exits still run). `source` says who asked (`control`, `dashboard`)
/// and goes into the row's reason. The one write path of `auction-trader control` and the
/// dashboard.
pub fn operator_set(
    data_dir: &Path,
    enabled: bool,
    source: &str,
    now_ns: i64,
) -> Result<ControlState, LiveError> {
    let verb = if enabled { "enable" } else { "disable" };
    Control::open(data_dir)?.set(enabled, &format!("operator: {source} {verb}"), now_ns)
}

fn db_error(path: &Path, error: &rusqlite::Error) -> LiveError {
    LiveError::Database {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_directory_is_disabled_and_every_write_is_a_new_version() {
        let dir = tempfile::tempdir().unwrap();
        let control = Control::open(dir.path()).unwrap();
        let state = control.read().unwrap();
        assert!(!state.enabled);
        assert_eq!(state.version, 0);
        let state = control.set(true, "operator", 7).unwrap();
        assert!(state.enabled);
        assert_eq!((state.version, state.updated_ns), (1, 7));
        // A second handle (the `control` command while a session runs) sees the change.
        let other = Control::open(dir.path()).unwrap();
        assert_eq!(other.read().unwrap(), state);
        other.set(false, "operator", 9).unwrap();
        assert_eq!(control.read().unwrap().version, 2);
    }

    #[test]
    fn a_status_read_creates_nothing_and_the_operator_write_names_its_source() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_control(dir.path()).unwrap(), None);
        assert!(!dir.path().join(CONTROL_DB).exists());
        let state = operator_set(dir.path(), true, "dashboard", 11).unwrap();
        assert_eq!(state.reason, "operator: dashboard enable");
        assert_eq!((state.enabled, state.version), (true, 1));
        let state = operator_set(dir.path(), false, "control", 12).unwrap();
        assert_eq!(state.reason, "operator: control disable");
        assert_eq!(read_control(dir.path()).unwrap(), Some(state));
    }
}
