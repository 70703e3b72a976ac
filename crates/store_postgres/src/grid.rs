//! [`PgGridStore`]: grid results (SPEC 6) in the PostgreSQL store's database, so the
//! machines of a distributed grid and the people reading it share one place. The same rows
//! as `grid.db` (parameters and metrics as JSON text, the effective config as YAML): a grid
//! reads back identically from either.

use auction_trader_storage::{GridInfo, GridRow, GridStore, StorageError};
use postgres::Client;

use crate::PgStoreError;
use crate::connect::PgLocation;

/// Serializes the creation of the grid tables between processes opening a fresh database.
const GRID_CREATE_LOCK: i64 = 0x67_7269_6473; // "grids"

const GRID_DDL: &str = "
CREATE TABLE IF NOT EXISTS grids (
    recorded bigserial NOT NULL, grid_id text PRIMARY KEY, base_config text NOT NULL,
    sweep text NOT NULL, combinations bigint NOT NULL, label text NOT NULL,
    manifest text NOT NULL);
CREATE TABLE IF NOT EXISTS grid_runs (
    grid_id text NOT NULL REFERENCES grids ON DELETE CASCADE, run_id text NOT NULL,
    seq bigint NOT NULL, params text NOT NULL, metrics text NOT NULL, config text NOT NULL,
    PRIMARY KEY (grid_id, run_id));
CREATE INDEX IF NOT EXISTS grid_runs_by_seq ON grid_runs (grid_id, seq);
";

/// Grid results in PostgreSQL (tables `grids` and `grid_runs` of the store's schema).
pub struct PgGridStore {
    location: PgLocation,
    client: Client,
}

impl std::fmt::Debug for PgGridStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PgGridStore")
            .field("location", &self.location)
            .finish()
    }
}

impl PgGridStore {
    /// Connects and creates the grid tables when missing.
    pub fn open(location: PgLocation) -> Result<Self, PgStoreError> {
        let mut client = crate::store::session(&location)?;
        client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({GRID_CREATE_LOCK}); {GRID_DDL} COMMIT;"
            ))
            .map_err(|error| PgStoreError::query("creating the grid tables", &error))?;
        Ok(Self { location, client })
    }

    /// Parses `url` (password from `PGPASSWORD` when the URL has none) and opens it.
    pub fn open_url(url: &str) -> Result<Self, PgStoreError> {
        Self::open(PgLocation::from_url(url)?)
    }
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn grid_row(row: &postgres::Row, first: usize) -> GridRow {
    GridRow {
        run_id: row.get(first),
        seq: unsigned(row.get(first + 1)),
        params: row.get(first + 2),
        metrics: row.get(first + 3),
        config: row.get(first + 4),
    }
}

impl GridStore for PgGridStore {
    fn location(&self) -> String {
        self.location.to_string()
    }

    fn begin_grid(&mut self, grid: &GridInfo) -> Result<(), StorageError> {
        self.client
            .execute(
                "INSERT INTO grids (grid_id, base_config, sweep, combinations, label, manifest)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (grid_id) DO NOTHING",
                &[
                    &grid.grid_id,
                    &grid.base_config,
                    &grid.sweep,
                    &signed(grid.combinations),
                    &grid.label,
                    &grid.manifest,
                ],
            )
            .map_err(|error| PgStoreError::query("recording a grid", &error))?;
        Ok(())
    }

    fn finished_run_ids(&mut self, grid_id: &str) -> Result<Vec<String>, StorageError> {
        // Byte order, as SQLite sorts text (the caller binary-searches the list).
        let rows = self
            .client
            .query(
                "SELECT run_id FROM grid_runs WHERE grid_id = $1 ORDER BY run_id COLLATE \"C\"",
                &[&grid_id],
            )
            .map_err(|error| PgStoreError::query("listing finished combinations", &error))?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }

    fn insert_rows(&mut self, grid_id: &str, rows: &[GridRow]) -> Result<(), StorageError> {
        let mut transaction = self
            .client
            .transaction()
            .map_err(|error| PgStoreError::query("starting a transaction", &error))?;
        let insert = transaction
            .prepare(
                "INSERT INTO grid_runs (grid_id, run_id, seq, params, metrics, config)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .map_err(|error| PgStoreError::query("preparing a grid row insert", &error))?;
        for row in rows {
            transaction
                .execute(
                    &insert,
                    &[
                        &grid_id,
                        &row.run_id,
                        &signed(row.seq),
                        &row.params,
                        &row.metrics,
                        &row.config,
                    ],
                )
                .map_err(|error| PgStoreError::query("storing a grid row", &error))?;
        }
        transaction
            .commit()
            .map_err(|error| PgStoreError::query("committing grid rows", &error))?;
        Ok(())
    }

    fn grids(&mut self) -> Result<Vec<GridInfo>, StorageError> {
        let rows = self
            .client
            .query(
                "SELECT g.grid_id, g.base_config, g.sweep, g.combinations, g.label, g.manifest,
                        (SELECT count(*) FROM grid_runs r WHERE r.grid_id = g.grid_id)
                 FROM grids g ORDER BY g.recorded",
                &[],
            )
            .map_err(|error| PgStoreError::query("listing grids", &error))?;
        Ok(rows
            .into_iter()
            .map(|row| GridInfo {
                grid_id: row.get(0),
                base_config: row.get(1),
                sweep: row.get(2),
                combinations: unsigned(row.get(3)),
                label: row.get(4),
                manifest: row.get(5),
                finished: unsigned(row.get(6)),
            })
            .collect())
    }

    fn rows(&mut self, grid_id: &str) -> Result<Vec<GridRow>, StorageError> {
        let rows = self
            .client
            .query(
                "SELECT run_id, seq, params, metrics, config FROM grid_runs WHERE grid_id = $1
                 ORDER BY seq, run_id COLLATE \"C\"",
                &[&grid_id],
            )
            .map_err(|error| PgStoreError::query("reading grid rows", &error))?;
        Ok(rows.iter().map(|row| grid_row(row, 0)).collect())
    }

    fn row(&mut self, run_id: &str) -> Result<Option<(String, GridRow)>, StorageError> {
        let row = self
            .client
            .query_opt(
                "SELECT r.grid_id, r.run_id, r.seq, r.params, r.metrics, r.config
                 FROM grid_runs r JOIN grids g ON g.grid_id = r.grid_id
                 WHERE r.run_id = $1 ORDER BY g.recorded LIMIT 1",
                &[&run_id],
            )
            .map_err(|error| PgStoreError::query("reading a grid row", &error))?;
        Ok(row.map(|row| (row.get(0), grid_row(&row, 1))))
    }
}
