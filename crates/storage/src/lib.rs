//! The embedded storage backend of auction-trader (SPEC 1.4): Parquet tick partitions and a
//! SQLite catalog in one data directory, implementing the data crate's
//! [`TickStore`](auction_trader_data::store::TickStore) trait.
//!
//! Layout (the private `layout` module has the details):
//! `raw/venue=<venue>/symbol=<symbol>/market=<market>/kind=<kind>/date=<YYYY-MM-DD>/part-<source-hash>.parquet`
//! (hive-style, so DuckDB, Polars and pandas read it directly), `features/` for per-minute
//! feature tables, `catalog.db` for sources and partitions; [`grid_db`] keeps grid-search
//! results and [`result_table`] exports them as typed Parquet columns.
//!
//! Encoding ([`schema`] has the columns): timestamps are INT64 nanoseconds with the
//! Parquet `TIMESTAMP(NANOS, UTC)` type; prices and rates are INT64 raw fixed-point with scale
//! 10^9 (`value = raw / 1e9`, also stated in every file's key-value metadata) and sizes are
//! DECIMAL(38, 9) (the `i128` raw value of a quantity), so a round trip is exact. Rows of a
//! part file are sorted by `ts_recv`, ties in source order.
//!
//! Imports stage files and commit atomically (one catalog transaction plus journaled
//! renames); reads stream one batch per part file at a time. [`foreign`] reads other
//! people's Parquet files (Crypto-Lake, Hyperliquid, Nautilus) into any
//! [`EventSink`](auction_trader_data::EventSink); [`mod@import_job`] groups input files into
//! jobs and imports each atomically with validation.
//!
//! This is the heavy leaf crate (Arrow, Parquet, bundled SQLite). Only the run layer (the
//! backtest crate's run API) and the CLI depend on it: engine code sees only the `TickStore`
//! trait.

mod catalog;
mod columns;
mod error;
pub mod event_table;
pub mod features;
pub mod foreign;
pub mod grid_db;
pub mod import_job;
pub mod import_writer;
mod layout;
pub mod matrix;
mod merge;
mod part_file;
pub mod part_hashes;
pub mod result_table;
pub mod run_db;
pub mod schema;
pub mod sources;
mod stamped;
mod store;
mod stream;

pub use catalog::{SourceRecord, StoredQuarantineRow};
pub use error::StorageError;
pub use event_table::{NumberForm, events_batch};
pub use grid_db::{GridDb, GridInfo, GridRow, GridStore};
pub use import_job::{ImportJob, JobOutcome, SourceImport, SourceStore, import_job, plan_jobs};
pub use import_writer::ParquetImport;
pub use matrix::{MatrixFile, read_matrix, write_matrix};
pub use merge::{DuplicateFilter, MERGE_FAN_IN};
pub use part_file::ROW_GROUP_ROWS;
pub use sources::{ImportPlan, SourceFile, SourceInfo, StoredSource, plan_files};
pub use store::{ParquetStore, StoreTuning};
pub use stream::StoredStream;
