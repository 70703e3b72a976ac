//! Market-data layer of auction-trader: importers for venue captures, archives and CSV files
//! (SPEC 1.2), the validation report (SPEC 1.3), the storage trait every backend implements
//! (SPEC 1.4), the deterministic replay merge and the research loaders (SPEC 1.5), and the
//! public-archive downloader.
//!
//! Importers never build a whole file in memory: they push events into an [`EventSink`]
//! (a storage writer, a collector, a validator) in source order. Bad rows are quarantined with
//! file, line and reason; good rows are never dropped.
//!
//! This crate depends only on `auction-trader-types`. It must not depend on the order book,
//! features, strategies or any storage engine (those implement its traits from above).

pub mod download;
mod error;
pub mod import;
pub mod input;
pub mod instruments;
pub mod loader;
pub mod replay;
mod sink;
pub mod store;
pub mod validate;

pub use error::DataError;
pub use sink::{
    CollectedEvents, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow, TaggedEvent,
};
