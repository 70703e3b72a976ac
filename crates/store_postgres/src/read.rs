//! [`PgStream`]: one instrument and kind read back in replay order through a server-side
//! cursor on the stream's own connection, [`FETCH_ROWS`] rows at a time (bounded memory
//! however long the range). Order and duplicates follow the embedded store exactly (SPEC
//! 1.5: two backends, one replay): by `ts_recv`, ties in source-key order then row order,
//! and rows that repeat another source's row at the same `ts_recv` are skipped by the same
//! [`DuplicateFilter`].

use std::collections::VecDeque;

use auction_trader_storage::DuplicateFilter;
use auction_trader_storage::schema::{ColumnClass, MAX_COLUMNS, Row, columns, decode};
use auction_trader_types::{MarketEvent, StreamKind, UnixNanos};
use postgres::{Client, Statement};

use crate::PgStoreError;
use crate::cell::Cell;
use crate::schema;

/// Rows per round trip.
pub const FETCH_ROWS: usize = 20_000;

/// An open cursor.
struct Cursor {
    client: Client,
    fetch: Statement,
}

/// A lazily fetched, time-ordered stream.
pub struct PgStream {
    kind: StreamKind,
    cursor: Option<Cursor>,
    pending: VecDeque<(i32, MarketEvent)>,
    duplicates: DuplicateFilter,
    failed: bool,
}

impl std::fmt::Debug for PgStream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PgStream")
            .field("kind", &self.kind)
            .field("open", &self.cursor.is_some())
            .finish()
    }
}

impl PgStream {
    pub(crate) fn empty(kind: StreamKind) -> Self {
        Self {
            kind,
            cursor: None,
            pending: VecDeque::new(),
            duplicates: DuplicateFilter::default(),
            failed: false,
        }
    }

    /// Declares the cursor over `sources` (ids in source-key order: the tie order).
    pub(crate) fn open(
        mut client: Client,
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
        // partitions at plan time, which it cannot do for a cursor's parameters.
        let query = format!(
            "SELECT source_id, {columns} FROM {table}
             WHERE instrument_id = {instrument_id} AND ts_recv BETWEEN {from} AND {to}
             ORDER BY ts_recv, {tie}seq",
            columns = schema::column_list(kind),
            table = schema::table(kind),
            from = from.0,
            to = to.0,
        );
        client
            .batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
                 DECLARE events NO SCROLL CURSOR FOR {query}"
            ))
            .map_err(|error| PgStoreError::query("opening a read cursor", &error))?;
        let fetch = client
            .prepare(&format!("FETCH {FETCH_ROWS} FROM events"))
            .map_err(|error| PgStoreError::query("preparing the cursor fetch", &error))?;
        Ok(Self {
            cursor: Some(Cursor { client, fetch }),
            ..Self::empty(kind)
        })
    }

    /// Fetches the next batch; closes the cursor when the batch is short.
    fn fetch(&mut self) -> Result<(), PgStoreError> {
        let Some(cursor) = &mut self.cursor else {
            return Ok(());
        };
        let rows = cursor
            .client
            .query(&cursor.fetch, &[])
            .map_err(|error| PgStoreError::query("fetching rows", &error))?;
        let specs = columns(self.kind);
        let mut raw: Row = [0; MAX_COLUMNS];
        let count = rows.len();
        for row in rows {
            let corrupt = |message: String| PgStoreError::Corrupt {
                table: schema::table(self.kind).to_owned(),
                message,
            };
            let source: i32 = row.try_get(0).map_err(|error| corrupt(error.to_string()))?;
            for (index, spec) in specs.iter().enumerate() {
                let Cell(value) = row
                    .try_get(index + 1)
                    .map_err(|error| corrupt(format!("{}: {error}", spec.name)))?;
                raw[index] = match spec.class {
                    ColumnClass::Unsigned => i128::from(value as i64 as u64),
                    _ => value,
                };
            }
            let event = decode(self.kind, &raw).map_err(corrupt)?;
            self.pending.push_back((source, event));
        }
        if count < FETCH_ROWS {
            // The transaction only read: ending it just releases the snapshot.
            if let Some(mut cursor) = self.cursor.take() {
                let _ = cursor.client.batch_execute("COMMIT");
            }
        }
        Ok(())
    }

    fn next_event(&mut self) -> Result<Option<MarketEvent>, PgStoreError> {
        loop {
            while let Some((source, event)) = self.pending.pop_front() {
                if !self.duplicates.is_duplicate(&event, source as u32 as usize) {
                    return Ok(Some(event));
                }
            }
            if self.cursor.is_none() {
                return Ok(None);
            }
            self.fetch()?;
        }
    }

    /// Rows skipped so far as exact duplicates of another source's rows.
    pub fn duplicates_skipped(&self) -> u64 {
        self.duplicates.skipped()
    }
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
                self.cursor = None;
                Some(Err(error))
            }
        }
    }
}
