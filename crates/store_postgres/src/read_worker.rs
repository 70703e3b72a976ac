//! The thread behind a [`PgStream`](crate::PgStream). It owns the stream's connection and
//! the current-thread tokio runtime that drives it, reads the rows of one binary `COPY
//! (SELECT ...) TO STDOUT`, decodes tuples into events and hands them over in batches of
//! about [`READ_BATCH_ROWS`] through a channel of [`BATCHES_IN_FLIGHT`] slots: memory stays
//! at a few batches per stream however long the range, and decoding overlaps with the
//! consumer. (tokio-postgres rather than the synchronous client: the latter enters its
//! runtime once per CopyData message, that is per row, which cost twice the client CPU.)
//!
//! Stopping early: when the stream is dropped the thread's next send fails; it cancels the
//! statement on the server and drops the runtime, which closes the socket without reading
//! the rest. Nobody joins the thread, so dropping a stream never waits.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use auction_trader_storage::schema::{MAX_COLUMNS, Row, columns, decode};
use auction_trader_types::{MarketEvent, StreamKind};
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio_postgres::{Client, CopyOutStream, NoTls};

use crate::PgStoreError;
use crate::binary_copy::BinaryCopyParser;
use crate::cell::{decode_integer, decode_value};
use crate::schema;

/// Events per batch handed from the reader thread to its stream (a batch closes at the
/// first piece of input that reaches this many).
pub const READ_BATCH_ROWS: usize = 8192;

/// Batches waiting in the channel (one more is being filled, one being consumed).
const BATCHES_IN_FLIGHT: usize = 2;

/// A source id and an event read from it.
pub(crate) type SourcedEvent = (i32, MarketEvent);

/// What the reader thread sends: `Rows` batches, then `Finished` or `Failed`.
#[derive(Debug)]
pub(crate) enum Message {
    Rows(Vec<SourcedEvent>),
    Finished,
    Failed(PgStoreError),
}

/// How the COPY ended when nothing failed.
enum Outcome {
    Finished,
    /// The stream was dropped before the end.
    Abandoned,
}

/// Starts the thread reading `rows` (a started `COPY (SELECT source_id, <kind's columns>
/// ...) TO STDOUT (FORMAT binary)` on `client`, whose connection runs on `runtime`); returns
/// the receiving end of its messages.
pub(crate) fn spawn(
    runtime: Runtime,
    client: Client,
    rows: CopyOutStream,
    kind: StreamKind,
) -> Result<Receiver<Message>, PgStoreError> {
    let (sender, receiver) = sync_channel(BATCHES_IN_FLIGHT);
    std::thread::Builder::new()
        .name(format!("pg-read-{}", schema::table(kind)))
        .spawn(move || run(&runtime, &client, rows, kind, &sender))
        .map_err(|error| PgStoreError::ReadThread(format!("cannot start: {error}")))?;
    Ok(receiver)
}

fn run(
    runtime: &Runtime,
    client: &Client,
    rows: CopyOutStream,
    kind: StreamKind,
    sender: &SyncSender<Message>,
) {
    let outcome = runtime.block_on(pump(rows, kind, sender));
    let cancel = match outcome {
        Ok(Outcome::Finished) => {
            let _ = sender.send(Message::Finished);
            false
        }
        Ok(Outcome::Abandoned) => true,
        Err(error) => {
            let _ = sender.send(Message::Failed(error));
            true
        }
    };
    if cancel {
        // Best effort, for an orderly end on the server; closing the socket (dropping the
        // runtime) also ends the statement, at its next write.
        let _ = runtime.block_on(client.cancel_token().cancel_query(NoTls));
    }
}

/// Reads every piece of the COPY and sends the events in batches; the events before a bad
/// row are sent before its error. Sends block the runtime's only thread: that is the
/// back-pressure (the connection is not read while the consumer is behind).
async fn pump(
    rows: CopyOutStream,
    kind: StreamKind,
    sender: &SyncSender<Message>,
) -> Result<Outcome, PgStoreError> {
    let mut rows = std::pin::pin!(rows);
    let mut parser = BinaryCopyParser::new(schema::table(kind));
    let mut raw: Row = [0; MAX_COLUMNS];
    let mut batch = Vec::with_capacity(READ_BATCH_ROWS);
    let end = loop {
        let piece = match rows.next().await {
            Some(Ok(piece)) => piece,
            Some(Err(error)) => break Err(PgStoreError::query("reading rows", &error)),
            None => break parser.finish().map(|()| Outcome::Finished),
        };
        let parsed = parser.push(&piece, |fields| {
            batch.push(decode_tuple(kind, fields, &mut raw)?);
            Ok(())
        });
        if let Err(error) = parsed {
            break Err(error);
        }
        if batch.len() >= READ_BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH_ROWS));
            if sender.send(Message::Rows(full)).is_err() {
                return Ok(Outcome::Abandoned);
            }
        }
    };
    if !batch.is_empty() && sender.send(Message::Rows(batch)).is_err() {
        return Ok(Outcome::Abandoned);
    }
    end
}

/// One tuple (`source_id`, then the kind's columns in schema order) as a sourced event.
fn decode_tuple(
    kind: StreamKind,
    fields: &[Option<&[u8]>],
    raw: &mut Row,
) -> Result<SourcedEvent, PgStoreError> {
    let corrupt = |message: String| PgStoreError::Corrupt {
        table: schema::table(kind).to_owned(),
        message,
    };
    let specs = columns(kind);
    let [source, values @ ..] = fields else {
        return Err(corrupt("a row without columns".to_owned()));
    };
    if values.len() != specs.len() {
        return Err(corrupt(format!(
            "{} columns, expected {}",
            fields.len(),
            specs.len() + 1
        )));
    }
    let source = source
        .ok_or_else(|| "NULL".to_owned())
        .and_then(decode_integer)
        .and_then(|id| i32::try_from(id).map_err(|_| format!("{id} out of range")))
        .map_err(|message| corrupt(format!("source_id: {message}")))?;
    for ((spec, value), slot) in specs.iter().zip(values).zip(raw.iter_mut()) {
        *slot = value
            .ok_or_else(|| "NULL".to_owned())
            .and_then(|bytes| decode_value(spec.class, bytes))
            .map_err(|message| corrupt(format!("{}: {message}", spec.name)))?;
    }
    let event = decode(kind, raw).map_err(corrupt)?;
    Ok((source, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId, UnixNanos};

    use crate::cell::encode_numeric;

    #[test]
    fn a_trade_tuple_decodes_into_its_event() {
        // source_id, ts_event, ts_recv, price, size, aggressor, trade_id.
        let fields: [&[u8]; 7] = [
            &7_i32.to_be_bytes(),
            &10_i64.to_be_bytes(),
            &11_i64.to_be_bytes(),
            &61_000_000_000_000_i64.to_be_bytes(),
            &encode_numeric(1_500_000_000),
            &(-1_i16).to_be_bytes(),
            &(-1_i64).to_be_bytes(),
        ];
        let fields: Vec<Option<&[u8]>> = fields.into_iter().map(Some).collect();
        let mut raw: Row = [0; MAX_COLUMNS];
        let (source, event) = decode_tuple(StreamKind::Trade, &fields, &mut raw).unwrap();
        assert_eq!(source, 7);
        assert_eq!(
            event,
            MarketEvent::Trade(Trade {
                ts_event: UnixNanos(10),
                ts_recv: UnixNanos(11),
                price: Price::from_raw(61_000_000_000_000),
                size: Quantity::from_raw(1_500_000_000),
                aggressor: AggressorSide::Sell,
                trade_id: TradeId(u64::MAX),
            })
        );
        let mut nulled = fields.clone();
        nulled[4] = None;
        let error = decode_tuple(StreamKind::Trade, &nulled, &mut raw).unwrap_err();
        assert_eq!(
            error.to_string(),
            "PostgreSQL table trades: corrupt row: size: NULL"
        );
        let error = decode_tuple(StreamKind::Trade, &fields[..3], &mut raw).unwrap_err();
        assert!(
            error.to_string().ends_with("3 columns, expected 7"),
            "{error}"
        );
    }
}
