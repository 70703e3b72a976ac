//! `grid.db`: the results of grid searches (SPEC 6: every run's parameters and metrics in
//! SQLite). One row per finished combination, committed as it finishes, so a killed grid
//! resumes where it stopped and never runs a finished combination twice.
//!
//! Tables: `grids` (grid id, the base config and sweep it was made from, combination count,
//! a label) and `runs` (grid id, run id, sequence number in sweep order, the parameters and
//! metrics as JSON text, the effective config as YAML). The journal is WAL with
//! `synchronous = NORMAL`: a commit survives the process being killed.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::StorageError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS grids (
    grid_id TEXT PRIMARY KEY, base_config TEXT NOT NULL, sweep TEXT NOT NULL,
    combinations INTEGER NOT NULL, label TEXT NOT NULL, manifest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    grid_id TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL, params TEXT NOT NULL,
    metrics TEXT NOT NULL, config TEXT NOT NULL, PRIMARY KEY (grid_id, run_id));
CREATE INDEX IF NOT EXISTS runs_by_seq ON runs (grid_id, seq);
";

/// One grid as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridInfo {
    pub grid_id: String,
    pub base_config: String,
    pub sweep: String,
    pub combinations: u64,
    /// Free text recorded with the grid (e.g. that the toxicity priors were forced).
    pub label: String,
    /// The run manifest of the base config (JSON: program, inputs with content hashes); each
    /// row adds its effective config.
    pub manifest: String,
    /// Finished combinations.
    pub finished: u64,
}

/// One finished combination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    pub run_id: String,
    /// Position in the sweep's order.
    pub seq: u64,
    /// Parameters as a JSON object (key → value).
    pub params: String,
    /// Metrics as a JSON object (name → number or null).
    pub metrics: String,
    /// The effective config (YAML).
    pub config: String,
}

/// An open grid.db.
#[derive(Debug)]
pub struct GridDb {
    connection: Connection,
}

impl GridDb {
    /// Opens (creating when missing) a grid database.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|error| StorageError::io(parent, error))?;
        }
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.busy_timeout(std::time::Duration::from_secs(30))?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self { connection })
    }

    /// Records a grid (nothing changes when it is already there: a resumed grid).
    pub fn begin_grid(&self, grid: &GridInfo) -> Result<(), StorageError> {
        self.connection.execute(
            "INSERT OR IGNORE INTO grids (grid_id, base_config, sweep, combinations, label,
                                          manifest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                grid.grid_id,
                grid.base_config,
                grid.sweep,
                i64::try_from(grid.combinations).unwrap_or(i64::MAX),
                grid.label,
                grid.manifest
            ],
        )?;
        Ok(())
    }

    /// Run ids already finished in `grid_id`, sorted.
    pub fn finished_run_ids(&self, grid_id: &str) -> Result<Vec<String>, StorageError> {
        let mut statement = self
            .connection
            .prepare("SELECT run_id FROM runs WHERE grid_id = ?1 ORDER BY run_id")?;
        let ids = statement
            .query_map(params![grid_id], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    /// Stores one finished combination (committed at once). A row already stored is an
    /// error: a combination never runs twice.
    pub fn insert_row(&self, grid_id: &str, row: &GridRow) -> Result<(), StorageError> {
        self.connection.execute(
            "INSERT INTO runs (grid_id, run_id, seq, params, metrics, config)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                grid_id,
                row.run_id,
                i64::try_from(row.seq).unwrap_or(i64::MAX),
                row.params,
                row.metrics,
                row.config
            ],
        )?;
        Ok(())
    }

    /// Stores several finished combinations in one transaction.
    pub fn insert_rows(&mut self, grid_id: &str, rows: &[GridRow]) -> Result<(), StorageError> {
        let transaction = self.connection.transaction()?;
        {
            let mut statement = transaction.prepare(
                "INSERT INTO runs (grid_id, run_id, seq, params, metrics, config)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for row in rows {
                statement.execute(params![
                    grid_id,
                    row.run_id,
                    i64::try_from(row.seq).unwrap_or(i64::MAX),
                    row.params,
                    row.metrics,
                    row.config
                ])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Every grid, in the order they were first recorded.
    pub fn grids(&self) -> Result<Vec<GridInfo>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT g.grid_id, g.base_config, g.sweep, g.combinations, g.label, g.manifest,
                    (SELECT COUNT(*) FROM runs r WHERE r.grid_id = g.grid_id)
             FROM grids g ORDER BY g.rowid",
        )?;
        let grids = statement
            .query_map([], |row| {
                Ok(GridInfo {
                    grid_id: row.get(0)?,
                    base_config: row.get(1)?,
                    sweep: row.get(2)?,
                    combinations: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                    label: row.get(4)?,
                    manifest: row.get(5)?,
                    finished: u64::try_from(row.get::<_, i64>(6)?).unwrap_or(0),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(grids)
    }

    /// The finished rows of `grid_id` in sweep order.
    pub fn rows(&self, grid_id: &str) -> Result<Vec<GridRow>, StorageError> {
        let mut statement = self.connection.prepare(
            "SELECT run_id, seq, params, metrics, config FROM runs WHERE grid_id = ?1
             ORDER BY seq, run_id",
        )?;
        let rows = statement
            .query_map(params![grid_id], |row| {
                Ok(GridRow {
                    run_id: row.get(0)?,
                    seq: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                    params: row.get(2)?,
                    metrics: row.get(3)?,
                    config: row.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One row by run id (in any grid; the first grid recorded wins on a tie).
    pub fn row(&self, run_id: &str) -> Result<Option<(String, GridRow)>, StorageError> {
        self.connection
            .query_row(
                "SELECT r.grid_id, r.run_id, r.seq, r.params, r.metrics, r.config
                 FROM runs r JOIN grids g ON g.grid_id = r.grid_id
                 WHERE r.run_id = ?1 ORDER BY g.rowid LIMIT 1",
                params![run_id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        GridRow {
                            run_id: row.get(1)?,
                            seq: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                            params: row.get(3)?,
                            metrics: row.get(4)?,
                            config: row.get(5)?,
                        },
                    ))
                },
            )
            .optional()
            .map_err(StorageError::from)
    }
}

/// Where grid results are kept: [`GridDb`] (SQLite, the embedded default) or a PostgreSQL
/// database shared by several machines (the PostgreSQL store crate). The grid runner and
/// the distributed grid's driver write through it; every method is the [`GridDb`] one.
pub trait GridStore {
    /// Where the results are, for messages (a path, or a URL without its password).
    fn location(&self) -> String;
    /// Records a grid (nothing changes when it is already there: a resumed grid).
    fn begin_grid(&mut self, grid: &GridInfo) -> Result<(), StorageError>;
    /// Run ids already finished in `grid_id`, sorted.
    fn finished_run_ids(&mut self, grid_id: &str) -> Result<Vec<String>, StorageError>;
    /// Stores finished combinations in one transaction; a row already stored is an error.
    fn insert_rows(&mut self, grid_id: &str, rows: &[GridRow]) -> Result<(), StorageError>;
    /// Every grid, in the order they were first recorded.
    fn grids(&mut self) -> Result<Vec<GridInfo>, StorageError>;
    /// The finished rows of `grid_id` in sweep order.
    fn rows(&mut self, grid_id: &str) -> Result<Vec<GridRow>, StorageError>;
    /// One row by run id (in any grid; the first grid recorded wins on a tie).
    fn row(&mut self, run_id: &str) -> Result<Option<(String, GridRow)>, StorageError>;
}

impl GridStore for GridDb {
    fn location(&self) -> String {
        self.connection.path().unwrap_or("grid.db").to_owned()
    }

    fn begin_grid(&mut self, grid: &GridInfo) -> Result<(), StorageError> {
        GridDb::begin_grid(self, grid)
    }

    fn finished_run_ids(&mut self, grid_id: &str) -> Result<Vec<String>, StorageError> {
        GridDb::finished_run_ids(self, grid_id)
    }

    fn insert_rows(&mut self, grid_id: &str, rows: &[GridRow]) -> Result<(), StorageError> {
        GridDb::insert_rows(self, grid_id, rows)
    }

    fn grids(&mut self) -> Result<Vec<GridInfo>, StorageError> {
        GridDb::grids(self)
    }

    fn rows(&mut self, grid_id: &str) -> Result<Vec<GridRow>, StorageError> {
        GridDb::rows(self, grid_id)
    }

    fn row(&mut self, run_id: &str) -> Result<Option<(String, GridRow)>, StorageError> {
        GridDb::row(self, run_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, seq: u64) -> GridRow {
        GridRow {
            run_id: id.to_owned(),
            seq,
            params: "{\"a\":1}".to_owned(),
            metrics: "{\"net_pnl\":2.5}".to_owned(),
            config: "run: {}\n".to_owned(),
        }
    }

    #[test]
    fn rows_survive_reopening_and_never_repeat() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.db");
        let grid = GridInfo {
            grid_id: "g1".to_owned(),
            base_config: "base".to_owned(),
            sweep: "sweep".to_owned(),
            combinations: 3,
            label: String::new(),
            manifest: "{}".to_owned(),
            finished: 0,
        };
        {
            let mut db = GridDb::open(&path).unwrap();
            db.begin_grid(&grid).unwrap();
            db.insert_row("g1", &row("b", 1)).unwrap();
            db.insert_rows("g1", &[row("a", 0)]).unwrap();
        }
        let db = GridDb::open(&path).unwrap();
        db.begin_grid(&grid).unwrap();
        assert_eq!(db.finished_run_ids("g1").unwrap(), vec!["a", "b"]);
        let seqs: Vec<u64> = db.rows("g1").unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![0, 1]);
        assert!(db.insert_row("g1", &row("a", 0)).is_err());
        assert_eq!(db.grids().unwrap()[0].finished, 2);
        assert_eq!(db.row("b").unwrap().unwrap().0, "g1");
        assert!(db.row("zz").unwrap().is_none());
    }
}
