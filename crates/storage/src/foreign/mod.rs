//! Importers of other people's Parquet files (SPEC 1.2: "Crypto-Lake-style Parquet (book
//! deltas, trades, funding, liquidations)"), pushing events into any [`EventSink`] in file
//! order, like the data crate's CSV and capture importers:
//! - [`crypto_lake`]: Crypto-Lake `trades`, `book_delta_v2`, `funding`, `liquidations`
//!   tables, with a column mapping for renamed columns;
//! - [`hyperliquid`]: Hyperliquid fills (one row per counterparty, naive local time);
//! - [`nautilus`]: the Binance spot trade and quote tables of the Nautilus test data;
//! - [`import_parquet_file`]: which of those reads a given Parquet file.
//!
//! Float columns are converted exactly (see [`columns`]); a row that cannot be converted is
//! quarantined with its 1-based row number and reason, never dropped silently.

pub mod columns;
pub mod crypto_lake;
pub mod hyperliquid;
pub mod nautilus;
mod route;

pub use route::import_parquet_file;

use std::path::Path;

use arrow::array::RecordBatch;
use arrow::util::display::array_value_to_string;
use auction_trader_data::validity::check_event;
use auction_trader_data::{DataError, EventSink, ImportSummary, QuarantinedRow};
use auction_trader_types::MarketEvent;

use columns::SnapLog;

/// The data crate's one value rule (SPEC 1.3), as a quarantine reason.
pub(crate) fn check(event: &MarketEvent) -> Result<(), String> {
    check_event(event).map_err(|invalid| invalid.0.to_owned())
}

/// Counters and helpers shared by one foreign import.
#[derive(Debug)]
pub(crate) struct ForeignRun {
    pub source: String,
    pub summary: ImportSummary,
    pub snaps: SnapLog,
}

impl ForeignRun {
    pub(crate) fn new(path: &Path) -> Self {
        let source = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Self {
            source,
            summary: ImportSummary::default(),
            snaps: SnapLog::default(),
        }
    }

    /// Quarantines row `row` of `batch` (file row number `line`, 1-based).
    pub(crate) fn quarantine(
        &mut self,
        sink: &mut dyn EventSink,
        line: u64,
        reason: impl Into<String>,
        batch: &RecordBatch,
        row: usize,
    ) {
        let schema = batch.schema();
        let content = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| {
                let value = array_value_to_string(array, row).unwrap_or_else(|_| "?".to_owned());
                format!("{}={value}", field.name())
            })
            .collect::<Vec<_>>()
            .join(",");
        self.summary.quarantined += 1;
        sink.quarantine(QuarantinedRow::new(
            &self.source,
            line,
            reason,
            content.as_bytes(),
        ));
    }

    /// Emits the end-of-import warnings and returns the summary.
    pub(crate) fn finish(self, sink: &mut dyn EventSink) -> ImportSummary {
        if let Some(warning) = self.snaps.warning(&self.source) {
            sink.warn(warning);
        }
        self.summary
    }
}

/// An error for a file whose columns do not fit the expected layout.
/// Checks that `path` is a readable Parquet file (footer and schema), so a corrupt or
/// truncated file is reported as such before anything asks what its columns mean.
pub fn check_readable(path: &Path) -> Result<(), DataError> {
    columns::file_schema(path).map(|_| ())
}

pub(crate) fn layout_error(path: &Path, message: impl Into<String>) -> DataError {
    DataError::InvalidInput {
        path: path.to_owned(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_data::CollectedEvents;
    use auction_trader_types::{InstrumentKey, MarketKind};
    use proptest::prelude::*;

    use super::crypto_lake::{LakeOptions, import_crypto_lake};
    use super::hyperliquid::{HyperliquidOptions, import_hyperliquid_trades};
    use super::nautilus::{import_nautilus_quotes, import_nautilus_trades};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Arbitrary bytes framed as Parquet (magic at both ends, a random footer length)
        /// are an error or nothing, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300), footer in any::<u32>()) {
            let directory = tempfile::tempdir().unwrap();
            let path = directory.path().join("fuzz.parquet");
            let mut bytes = b"PAR1".to_vec();
            bytes.extend_from_slice(&body);
            bytes.extend_from_slice(&footer.to_le_bytes());
            bytes.extend_from_slice(b"PAR1");
            std::fs::write(&path, &bytes).unwrap();
            let key = InstrumentKey::new("x", "Y", MarketKind::Spot);
            let mut sink = CollectedEvents::new();
            let _ = import_crypto_lake(&path, &LakeOptions::new(key.clone()), &mut sink);
            let _ = import_hyperliquid_trades(&path, HyperliquidOptions::default(), &mut sink);
            let _ = import_nautilus_trades(&path, &key, &mut sink);
            let _ = import_nautilus_quotes(&path, &key, &mut sink);
        }
    }
}
