//! [`PgStream`]: one instrument and kind read back in replay order by one binary
//! `COPY (SELECT ...) TO STDOUT` on the stream's own connection, read and decoded on a
//! reader thread (see `read_worker`) that hands over batches of events (bounded memory
//! however long the range). Order and duplicates follow the embedded store exactly (SPEC
//! 1.5: two backends, one replay): by `ts_recv`, ties in source-key order then row order,
//! and rows that repeat another source's row at the same `ts_recv` are skipped by the same
//! [`DuplicateFilter`].

use std::sync::mpsc::Receiver;

use auction_trader_storage::DuplicateFilter;
use auction_trader_types::{MarketEvent, StreamKind, UnixNanos};

use crate::PgStoreError;
use crate::connect::PgLocation;
use crate::read_worker::{self, Message, SourcedEvent};
use crate::schema::{self, SCHEMA};

/// A lazily read, time-ordered stream.
pub struct PgStream {
    kind: StreamKind,
    /// The reader thread's messages; `None` once the rows have ended (or never began).
    batches: Option<Receiver<Message>>,
    batch: std::vec::IntoIter<SourcedEvent>,
    duplicates: DuplicateFilter,
    /// Only another source's rows can be duplicates: with one source the filter (a map
    /// insert per event) is skipped.
    one_source: bool,
    failed: bool,
}

impl std::fmt::Debug for PgStream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PgStream")
            .field("kind", &self.kind)
            .field("open", &self.batches.is_some())
            .finish()
    }
}

impl PgStream {
    pub(crate) fn empty(kind: StreamKind) -> Self {
        Self {
            kind,
            batches: None,
            batch: Vec::new().into_iter(),
            duplicates: DuplicateFilter::default(),
            one_source: true,
            failed: false,
        }
    }

    /// Connects and starts the read over `sources` (ids in source-key order: the tie
    /// order). One statement reads one snapshot, so no transaction is needed. A refused
    /// connection or statement is an error here, not of the first event.
    pub(crate) fn open(
        location: &PgLocation,
        kind: StreamKind,
        instrument_id: i32,
        sources: &[i32],
        from: UnixNanos,
        to: UnixNanos,
    ) -> Result<Self, PgStoreError> {
        let tie = match sources {
            [_] => String::new(),
            _ => format!(
                "array_position(ARRAY[{}]::integer[], source_id), ",
                sources
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        // Literal bounds (integers only, nothing user-typed): the planner prunes day
        // partitions at plan time.
        let copy = format!(
            "COPY (SELECT source_id, {columns} FROM {SCHEMA}.{table}
                   WHERE instrument_id = {instrument_id} AND ts_recv BETWEEN {from} AND {to}
                   ORDER BY ts_recv, {tie}seq) TO STDOUT (FORMAT binary)",
            columns = schema::column_list(kind),
            table = schema::table(kind),
            from = from.0,
            to = to.0,
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| PgStoreError::ReadThread(format!("no runtime: {error}")))?;
        let (client, rows) = runtime.block_on(async {
            let client = location.connect_async().await?;
            let rows = client
                .copy_out(copy.as_str())
                .await
                .map_err(|error| PgStoreError::query("starting the read COPY", &error))?;
            Ok::<_, PgStoreError>((client, rows))
        })?;
        Ok(Self {
            batches: Some(read_worker::spawn(runtime, client, rows, kind)?),
            one_source: sources.len() == 1,
            ..Self::empty(kind)
        })
    }

    fn next_event(&mut self) -> Result<Option<MarketEvent>, PgStoreError> {
        loop {
            for (source, event) in self.batch.by_ref() {
                if self.one_source || !self.duplicates.is_duplicate(&event, source as u32 as usize)
                {
                    return Ok(Some(event));
                }
            }
            let Some(batches) = &self.batches else {
                return Ok(None);
            };
            match batches.recv() {
                Ok(Message::Rows(rows)) => self.batch = rows.into_iter(),
                Ok(Message::Finished) => self.batches = None,
                Ok(Message::Failed(error)) => return Err(error),
                Err(_) => return Err(thread_stopped()),
            }
        }
    }

    /// Rows skipped so far as exact duplicates of another source's rows.
    pub fn duplicates_skipped(&self) -> u64 {
        self.duplicates.skipped()
    }
}

/// The reader thread went away without saying how the read ended (it panicked).
fn thread_stopped() -> PgStoreError {
    PgStoreError::ReadThread("stopped before the end of the rows".to_owned())
}

impl Iterator for PgStream {
    type Item = Result<MarketEvent, PgStoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_event() {
            Ok(event) => event.map(Ok),
            Err(error) => {
                self.failed = true;
                // Dropping the receiver stops the reader thread.
                self.batches = None;
                Some(Err(error))
            }
        }
    }
}
