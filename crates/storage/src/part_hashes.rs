//! Content hashes of the stored part files a replay reads (SPEC 6 run manifest: two runs
//! over different bytes are told apart, and a run can be re-made from the same ones).

use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::{ParquetStore, SourceFile, StorageError};

/// One part file of a replay with the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartHash {
    /// `venue:symbol:market`.
    pub instrument: String,
    pub kind: String,
    /// UTC date of the partition.
    pub date: String,
    /// Relative to the data directory.
    pub path: String,
    pub size_bytes: u64,
    /// `sha256:<hex>`.
    pub content_hash: String,
}

impl PartHash {
    /// `venue:symbol:market`, as [`PartHash::instrument`] names it.
    pub fn instrument_label(instrument: &InstrumentKey) -> String {
        format!(
            "{}:{}:{}",
            instrument.venue,
            instrument.symbol,
            instrument.market.as_str()
        )
    }
}

impl ParquetStore {
    /// The part files `read_stream(instrument, kind, from, to)` reads, in read order, hashed.
    pub fn part_hashes(
        &self,
        instrument: &InstrumentKey,
        kind: StreamKind,
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Vec<PartHash>, StorageError> {
        if from > to {
            return Ok(Vec::new());
        }
        self.catalog()
            .parts_of(instrument, kind, from, to)?
            .into_iter()
            .map(|part| {
                let file = SourceFile::read(&self.data_dir().join(&part.path))?;
                Ok(PartHash {
                    instrument: PartHash::instrument_label(instrument),
                    kind: kind.as_str().to_owned(),
                    date: part.date,
                    path: part.path,
                    size_bytes: file.size_bytes,
                    content_hash: file.content_hash,
                })
            })
            .collect()
    }
}
