//! What the server reads: the runs directory (one run directory per backtest, written by the
//! backtest crate's `write_run`), the grid databases, and the data directory of stored market
//! data (for the volume profile). The server never writes a run or a grid database and never
//! creates a store; opening an existing store does what every reader's open does (it rolls
//! an interrupted import commit forward, see `ParquetStore::open`).

use std::path::{Path, PathBuf};

use crate::error::ApiError;

/// The directories and files behind the API.
#[derive(Debug, Clone)]
pub struct Library {
    /// Folder of run directories (`runs/<name>/execution.db`, ...).
    pub runs_dir: PathBuf,
    /// Stored market data (`--data-dir`), for volume profiles; `None` when absent.
    pub data_dir: Option<PathBuf>,
    /// Grid result databases (`grid.db` files).
    pub grid_dbs: Vec<PathBuf>,
    /// The data directory of a live session (`run --data-dir`), for the live view and the
    /// trading control; `None` serves no live session.
    pub session_dir: Option<PathBuf>,
}

/// Longest run name accepted in a URL.
const MAX_NAME_CHARS: usize = 200;

impl Library {
    /// The directory of the run `name`, which must exist and hold an `execution.db`.
    pub fn run_dir(&self, name: &str) -> Result<PathBuf, ApiError> {
        check_name(name, "run")?;
        let dir = self.runs_dir.join(name);
        if dir.join("execution.db").is_file() {
            Ok(dir)
        } else {
            Err(ApiError::NotFound(format!("no run named {name:?}")))
        }
    }

    /// Names of every run directory (holding an `execution.db`), sorted.
    pub fn run_names(&self) -> Result<Vec<String>, ApiError> {
        let entries = match std::fs::read_dir(&self.runs_dir) {
            Ok(entries) => entries,
            // No runs yet: an empty list, not an error.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(ApiError::internal(error)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(ApiError::internal)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Hidden entries are runs being written (the staging folders of `write_run`).
            if check_name(&name, "run").is_ok() && entry.path().join("execution.db").is_file() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// The grid databases that exist.
    pub fn existing_grid_dbs(&self) -> Vec<&Path> {
        self.grid_dbs
            .iter()
            .map(PathBuf::as_path)
            .filter(|path| path.is_file())
            .collect()
    }
}

/// A run or grid name from a URL: 1-200 characters of `A-Z a-z 0-9 . _ -`, not starting with
/// a dot (so never `..`, a hidden staging folder or a path).
pub fn check_name(name: &str, what: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{what} names are 1-{MAX_NAME_CHARS} characters of A-Z a-z 0-9 . _ - not starting \
             with a dot"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_runs_directory_are_rejected() {
        for bad in ["", "..", ".hidden", "a/b", "a\\b", "run name", "é"] {
            assert!(
                matches!(check_name(bad, "run"), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
        for good in ["bitflyer-auction", "grid_1.2", "A-z_0"] {
            assert!(check_name(good, "run").is_ok(), "{good:?}");
        }
        assert!(check_name(&"a".repeat(201), "run").is_err());
    }
}
