//! [`PgImport`]: one import into PostgreSQL, atomic like the embedded store's (SPEC 1.3):
//! everything runs in ONE transaction on the import's own connection, so a failed or
//! abandoned import leaves nothing behind (PostgreSQL rolls back a transaction whose
//! connection closes). Events are buffered per kind and written with binary COPY in
//! batches of [`BATCH_ROWS`]; before a batch, the day partitions it needs are created.
//! Memory: at most one batch of events.

use std::collections::{BTreeMap, BTreeSet};

use auction_trader_data::store::{ImportReport, ImportWriter};
use auction_trader_data::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};
use auction_trader_storage::import_writer::{MAX_STORED_QUARANTINE, MAX_STORED_WARNINGS};
use auction_trader_storage::schema::{ColumnClass, MAX_COLUMNS, Row, columns, encode};
use auction_trader_storage::{SourceImport, SourceInfo, StorageError};
use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind, UnixNanos};
use postgres::Client;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use crate::PgStoreError;
use crate::cell::Cell;
use crate::schema::{self, KEY_COLUMNS, TimeLayout};
use crate::store::PgStore;

/// Events buffered before they are copied (about 10 MB of events).
pub const BATCH_ROWS: usize = 100_000;

/// Rows, first and last `ts_recv` of one instrument, kind and day of the import.
#[derive(Debug, Clone, Copy)]
struct PartStats {
    rows: i64,
    first: i64,
    last: i64,
}

/// An import in progress.
pub struct PgImport<'a> {
    store: &'a PgStore,
    client: Client,
    source: SourceInfo,
    source_id: i32,
    /// Slot -> instrument and its id.
    instruments: Vec<(InstrumentKey, i32)>,
    /// Per kind (`StreamKind as usize`): instrument id, seq, event.
    buffers: Vec<Vec<(i32, i64, MarketEvent)>>,
    buffered: usize,
    next_seq: i64,
    /// (instrument id, kind, day start) -> stats: the `parts` rows written at commit.
    parts: BTreeMap<(i32, StreamKind, i64), PartStats>,
    /// Day partitions known to exist (created or checked by this import).
    days_ready: BTreeSet<(StreamKind, i64)>,
    quarantined: Vec<QuarantinedRow>,
    warnings: Vec<String>,
    /// The first failure; later events are dropped and commit reports it.
    failure: Option<PgStoreError>,
    finished: bool,
}

impl std::fmt::Debug for PgImport<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PgImport")
            .field("source", &self.source.name)
            .field("source_id", &self.source_id)
            .field("next_seq", &self.next_seq)
            .finish()
    }
}

fn column_type(class: ColumnClass) -> Type {
    match class {
        ColumnClass::Timestamp | ColumnClass::Fixed | ColumnClass::Unsigned => Type::INT8,
        ColumnClass::Wide => Type::NUMERIC,
        ColumnClass::Code | ColumnClass::Flags => Type::INT2,
    }
}

/// A raw column value as stored: `u64` ids by their bit pattern in a `bigint`.
pub(crate) fn stored_cell(class: ColumnClass, raw: i128) -> Cell {
    match class {
        ColumnClass::Unsigned => Cell(i128::from(raw as u64 as i64)),
        _ => Cell(raw),
    }
}

impl<'a> PgImport<'a> {
    pub(crate) fn begin(store: &'a PgStore, source: SourceInfo) -> Result<Self, PgStoreError> {
        let mut client = store.session()?;
        let step =
            |what: &'static str| move |error: postgres::Error| PgStoreError::query(what, &error);
        client
            .batch_execute("BEGIN")
            .map_err(step("starting the import"))?;
        // The same key imported again replaces what it wrote (TickStore::begin_import).
        if let Some(row) = client
            .query_opt("SELECT id FROM sources WHERE key = $1", &[&source.key])
            .map_err(step("looking up the source"))?
        {
            delete_source(&mut client, row.get(0))?;
        }
        let source_id: i32 = client
            .query_one(
                "INSERT INTO sources (key, name, size_bytes, content_hash, imported_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &source.key,
                    &source.name,
                    &source.size_bytes.map(|size| size as i64),
                    &source.content_hash,
                    &source.imported_at.map(|stamp| stamp.0),
                ],
            )
            .map_err(step("recording the source"))?
            .get(0);
        for (seq, file) in source.files.iter().enumerate() {
            client
                .execute(
                    "INSERT INTO source_files (source_id, seq, path, size_bytes, content_hash)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &source_id,
                        &(seq as i32),
                        &file.path,
                        &(file.size_bytes as i64),
                        &file.content_hash,
                    ],
                )
                .map_err(step("recording the source's files"))?;
        }
        Ok(Self {
            store,
            client,
            source,
            source_id,
            instruments: Vec::new(),
            buffers: vec![Vec::new(); StreamKind::ALL.len()],
            buffered: 0,
            next_seq: 0,
            parts: BTreeMap::new(),
            days_ready: BTreeSet::new(),
            quarantined: Vec::new(),
            warnings: Vec::new(),
            failure: None,
            finished: false,
        })
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    fn register(&mut self, key: &InstrumentKey) -> Result<i32, PgStoreError> {
        Ok(self
            .client
            .query_one(
                "INSERT INTO instruments (venue, symbol, market) VALUES ($1, $2, $3)
                 ON CONFLICT (venue, symbol, market) DO UPDATE SET venue = EXCLUDED.venue
                 RETURNING id",
                &[&key.venue, &key.symbol, &key.market.as_str()],
            )
            .map_err(|error| PgStoreError::query("registering an instrument", &error))?
            .get(0))
    }

    /// Creates the day partitions a batch needs (plain PostgreSQL; TimescaleDB makes its
    /// chunks itself).
    fn prepare_days(&mut self, kind: StreamKind) -> Result<(), PgStoreError> {
        if self.store.layout() != TimeLayout::Partitioned {
            return Ok(());
        }
        let days: BTreeSet<i64> = self.buffers[kind as usize]
            .iter()
            .map(|(_, _, event)| event.ts_recv().floor_day().0)
            .filter(|day| !self.days_ready.contains(&(kind, *day)))
            .collect();
        for day in days {
            self.client
                .batch_execute(&schema::partition_ddl(kind, UnixNanos(day)))
                .map_err(|error| PgStoreError::query("creating a day partition", &error))?;
            self.days_ready.insert((kind, day));
        }
        Ok(())
    }

    /// Copies one kind's buffered events.
    fn copy_kind(&mut self, kind: StreamKind) -> Result<(), PgStoreError> {
        if self.buffers[kind as usize].is_empty() {
            return Ok(());
        }
        self.prepare_days(kind)?;
        let specs = columns(kind);
        let mut types = vec![Type::INT4, Type::INT4, Type::INT8];
        types.extend(specs.iter().map(|spec| column_type(spec.class)));
        let statement = format!(
            "COPY {} ({}, {}) FROM STDIN (FORMAT binary)",
            schema::table(kind),
            KEY_COLUMNS.join(", "),
            schema::column_list(kind)
        );
        let copy_error = |error: postgres::Error| PgStoreError::query("COPY of a batch", &error);
        let sink = self.client.copy_in(&statement).map_err(copy_error)?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        let mut raw: Row = [0; MAX_COLUMNS];
        let mut cells = [Cell(0); MAX_COLUMNS + 3];
        let width = specs.len() + 3;
        cells[1] = Cell(i128::from(self.source_id));
        for (instrument, seq, event) in self.buffers[kind as usize].drain(..) {
            cells[0] = Cell(i128::from(instrument));
            cells[2] = Cell(i128::from(seq));
            encode(&event, &mut raw);
            for (index, spec) in specs.iter().enumerate() {
                cells[3 + index] = stored_cell(spec.class, raw[index]);
            }
            writer
                .write_raw(cells[..width].iter())
                .map_err(copy_error)?;
        }
        writer.finish().map_err(copy_error)?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), PgStoreError> {
        for kind in StreamKind::ALL {
            self.copy_kind(kind)?;
        }
        self.buffered = 0;
        Ok(())
    }

    fn push(&mut self, slot: InstrumentSlot, event: MarketEvent) -> Result<(), PgStoreError> {
        let Some(&(_, instrument)) = self.instruments.get(slot.0 as usize) else {
            return Err(PgStoreError::InvalidArgument(format!(
                "event for unregistered instrument slot {}",
                slot.0
            )));
        };
        let kind = event.kind();
        let ts = event.ts_recv().0;
        self.parts
            .entry((instrument, kind, event.ts_recv().floor_day().0))
            .and_modify(|stats| {
                stats.rows += 1;
                stats.first = stats.first.min(ts);
                stats.last = stats.last.max(ts);
            })
            .or_insert(PartStats {
                rows: 1,
                first: ts,
                last: ts,
            });
        self.buffers[kind as usize].push((instrument, self.next_seq, event));
        self.next_seq += 1;
        self.buffered += 1;
        if self.buffered >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn commit_inner(&mut self, summary: &ImportSummary) -> Result<ImportReport, PgStoreError> {
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        self.flush()?;
        self.replace_covered_sources()?;
        let step =
            |what: &'static str| move |error: postgres::Error| PgStoreError::query(what, &error);
        let mut rows_written: u64 = 0;
        for (&(instrument, kind, day), stats) in &self.parts {
            self.client
                .execute(
                    "INSERT INTO parts (instrument_id, kind, date, source_id, rows, first_ts_recv,
                                        last_ts_recv) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &instrument,
                        &kind.as_str(),
                        &UnixNanos(day).date_string(),
                        &self.source_id,
                        &stats.rows,
                        &stats.first,
                        &stats.last,
                    ],
                )
                .map_err(step("recording a partition"))?;
            rows_written += stats.rows as u64;
        }
        for row in &self.quarantined {
            self.client
                .execute(
                    "INSERT INTO quarantine (source_id, file, line, reason, content)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &self.source_id,
                        &row.source,
                        &(row.line as i64),
                        &row.reason,
                        &row.content,
                    ],
                )
                .map_err(step("recording quarantined rows"))?;
        }
        for (seq, message) in self.warnings.iter().enumerate() {
            self.client
                .execute(
                    "INSERT INTO warnings (source_id, seq, message) VALUES ($1, $2, $3)",
                    &[&self.source_id, &(seq as i32), message],
                )
                .map_err(step("recording warnings"))?;
        }
        let partitions = self.parts.len() as u32;
        self.client
            .execute(
                "UPDATE sources SET records_read = $2, events = $3, quarantined = $4,
                        rows_written = $5, partitions = $6 WHERE id = $1",
                &[
                    &self.source_id,
                    &(summary.records_read as i64),
                    &(summary.events as i64),
                    &(summary.quarantined as i64),
                    &(rows_written as i64),
                    &(partitions as i32),
                ],
            )
            .map_err(step("recording the import's counts"))?;
        self.client
            .batch_execute("COMMIT")
            .map_err(step("committing the import"))?;
        self.finished = true;
        self.analyze_written();
        Ok(ImportReport {
            summary: summary.clone(),
            partitions_written: partitions,
            rows_written,
        })
    }

    /// Refreshes the planner statistics of what the import wrote: a freshly filled day
    /// partition has none until autovacuum gets to it, and without them the planner sorts a
    /// day's read on disk instead of walking the read index. Best effort: the data is
    /// committed, and stale statistics only cost speed.
    fn analyze_written(&mut self) {
        let written: BTreeSet<String> = self
            .parts
            .keys()
            .map(|&(_, kind, day)| {
                schema::written_relation(self.store.layout(), kind, UnixNanos(day))
            })
            .collect();
        for relation in written {
            let _ = self.client.batch_execute(&format!("ANALYZE {relation}"));
        }
    }

    /// Stored sources whose files are all part of this one are replaced by it (see the
    /// storage crate's `sources` module), in this transaction.
    fn replace_covered_sources(&mut self) -> Result<(), PgStoreError> {
        let hashes: Vec<String> = self
            .source
            .files
            .iter()
            .map(|file| file.content_hash.clone())
            .collect();
        if hashes.is_empty() {
            return Ok(());
        }
        let covered: Vec<i32> = self
            .client
            .query(
                "SELECT s.id FROM sources s JOIN source_files f ON f.source_id = s.id
                 WHERE s.id <> $1
                 GROUP BY s.id HAVING bool_and(f.content_hash = ANY($2))",
                &[&self.source_id, &hashes],
            )
            .map_err(|error| PgStoreError::query("finding replaced sources", &error))?
            .into_iter()
            .map(|row| row.get(0))
            .collect();
        for id in covered {
            delete_source(&mut self.client, id)?;
        }
        Ok(())
    }

    /// Ends the transaction without writing anything.
    pub fn discard(&mut self) {
        if !self.finished {
            self.finished = true;
            // Best effort: if the connection is gone the server has rolled back already.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }

    pub fn commit_import(mut self, summary: ImportSummary) -> Result<ImportReport, PgStoreError> {
        let result = self.commit_inner(&summary);
        if result.is_err() {
            self.discard();
        }
        result
    }
}

/// Deletes a source's rows from every tick table, then the source (its catalog rows go
/// with it by cascade).
fn delete_source(client: &mut Client, source_id: i32) -> Result<(), PgStoreError> {
    for kind in StreamKind::ALL {
        client
            .execute(
                &format!("DELETE FROM {} WHERE source_id = $1", schema::table(kind)),
                &[&source_id],
            )
            .map_err(|error| PgStoreError::query("deleting a replaced source's rows", &error))?;
    }
    client
        .execute("DELETE FROM sources WHERE id = $1", &[&source_id])
        .map_err(|error| PgStoreError::query("deleting a replaced source", &error))?;
    Ok(())
}

impl EventSink for PgImport<'_> {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        if let Some(index) = self.instruments.iter().position(|(known, _)| known == key) {
            return InstrumentSlot(index as u32);
        }
        let id = match self.register(key) {
            Ok(id) => id,
            Err(error) => {
                self.failure.get_or_insert(error);
                -1
            }
        };
        self.instruments.push((key.clone(), id));
        InstrumentSlot((self.instruments.len() - 1) as u32)
    }

    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        if self.failure.is_some() {
            return;
        }
        if let Err(error) = self.push(instrument, event) {
            self.failure = Some(error);
        }
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        if self.quarantined.len() < MAX_STORED_QUARANTINE {
            self.quarantined.push(row);
        }
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_STORED_WARNINGS {
            self.warnings.push(message);
        }
    }
}

impl ImportWriter for PgImport<'_> {
    fn commit(self: Box<Self>, summary: ImportSummary) -> Result<ImportReport, DataError> {
        Ok((*self).commit_import(summary)?)
    }

    fn abort(mut self: Box<Self>) {
        self.discard();
    }
}

impl SourceImport for PgImport<'_> {
    fn commit_source(
        self: Box<Self>,
        summary: ImportSummary,
    ) -> Result<ImportReport, StorageError> {
        Ok((*self).commit_import(summary)?)
    }

    fn discard_source(mut self: Box<Self>) {
        self.discard();
    }
}

impl Drop for PgImport<'_> {
    fn drop(&mut self) {
        self.discard();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_ids_keep_their_bits_in_a_bigint() {
        assert_eq!(stored_cell(ColumnClass::Unsigned, 7), Cell(7));
        // u64::MAX is stored as -1 and read back by its bit pattern.
        assert_eq!(
            stored_cell(ColumnClass::Unsigned, i128::from(u64::MAX)),
            Cell(-1)
        );
        assert_eq!(stored_cell(ColumnClass::Wide, -5), Cell(-5));
    }
}
