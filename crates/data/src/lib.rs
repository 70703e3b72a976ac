//! Market-data layer of auction-trader: importers for venue captures, archives and CSV files
//! (SPEC 1.2), the validation report (SPEC 1.3), the storage trait every backend implements
//! (SPEC 1.4), the deterministic replay merge (SPEC 1.5) and its construction from a store, and the public-archive downloader.
//! The research loaders of SPEC 1.5 live in `auction_trader_research::loader` (they need the
//! order book and the bar conventions of the feature engine).
//!
//! Venue message decoders that the live adapters share with the capture importers live with
//! the importers (`import::bybit_ws` for Bybit v5): one decoder per venue.
//!
//! Importers never build a whole file in memory: they push events into an [`EventSink`]
//! (a storage writer, a collector, a validator) in source order. Every importer applies the
//! one value rule of [`validity`] before an event leaves it; bad rows are quarantined with
//! file, line and reason; good rows are never dropped.
//!
//! This crate depends only on `auction-trader-types`. It must not depend on the order book,
//! features, strategies or any storage engine (those implement its traits from above).

pub mod download;
mod error;
pub mod import;
pub mod input;
pub mod instruments;
pub mod replay;
mod sink;
pub mod store;
pub mod store_replay;
pub mod validate;
pub mod validity;

pub use error::DataError;
pub use sink::{
    CollectedEvents, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow, TaggedEvent,
};
