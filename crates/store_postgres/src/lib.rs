//! The scale-out storage backend of auction-trader (SPEC 1.4): ticks in PostgreSQL, behind
//! the same [`TickStore`](auction_trader_data::store::TickStore) trait and content-keyed
//! import flow ([`SourceStore`](auction_trader_storage::SourceStore)) as the embedded
//! Parquet + SQLite store, so import, catalog, replay and `book verify` give the same
//! results from either.
//!
//! - [`schema`]: one table per event kind with the Parquet schema's columns, split by UTC
//!   day (declarative partitions, or TimescaleDB hypertables with a continuous aggregate of
//!   one-minute trade flow when the server has the extension);
//! - ingest ([`PgImport`]): one transaction per import, binary COPY in batches;
//! - reads ([`PgStream`]): one binary `COPY ... TO STDOUT` per stream, parsed and decoded on
//!   its own thread, in the embedded store's order;
//! - [`connect`]: the `postgres://USER@HOST:PORT/DB` location, password from `PGPASSWORD`;
//! - [`PgGridStore`]: grid results (the rows of `grid.db`) in the same database;
//! - [`runs`]: a backtest's execution and signal records, copied from its run directory;
//! - [`backend`]: the choice between the embedded store and this one from a `--store` value
//!   (and between `grid.db` and [`PgGridStore`] from a `--db` value).
//!
//! A storage crate like the embedded store (which it reuses for the column schema, source
//! planning and duplicate filter): the run API (backtest crate), the CLI and tests depend on
//! it; engine code sees only the `TickStore` trait. It must not depend on anything above
//! storage.

pub mod backend;
mod binary_copy;
mod cell;
pub mod connect;
mod error;
mod grid;
mod ingest;
mod read;
mod read_worker;
pub mod runs;
pub mod schema;
mod store;

pub use backend::{StoreBackend, open_grid_store};
pub use connect::{PgLocation, is_postgres_url};
pub use error::PgStoreError;
pub use grid::PgGridStore;
pub use ingest::{BATCH_ROWS, PgImport};
pub use read::PgStream;
pub use read_worker::READ_BATCH_ROWS;
pub use runs::RunEntry;
pub use schema::TimeLayout;
pub use store::PgStore;
