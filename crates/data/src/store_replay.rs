//! Building a [`ReplayMerge`] from a [`TickStore`] (SPEC 1.5): which stored streams a replay
//! reads (instruments, kinds, a `ts_recv` range), registered in one fixed order so two replays
//! of the same selection give the same stream ids and the same sequence.

use auction_trader_types::{InstrumentKey, StreamKind, UnixNanos};

use crate::DataError;
use crate::replay::ReplayMerge;
use crate::store::{PartitionFilter, PartitionInfo, TickStore};

/// Which stored streams a replay reads.
#[derive(Debug, Clone, Default)]
pub struct ReplaySelection {
    /// Exact instruments, in stream-registration order. Empty: every instrument that
    /// `venue`/`symbol` match, in catalog order.
    pub instruments: Vec<InstrumentKey>,
    /// Venue filter when `instruments` is empty.
    pub venue: Option<String>,
    /// Symbol filter when `instruments` is empty.
    pub symbol: Option<String>,
    /// Stream kinds to read; empty reads every stored kind.
    pub kinds: Vec<StreamKind>,
    /// Inclusive range on `ts_recv`; `None` is open.
    pub from: Option<UnixNanos>,
    pub to: Option<UnixNanos>,
}

impl ReplaySelection {
    /// Every stored stream of one instrument.
    pub fn instrument(key: InstrumentKey) -> Self {
        Self {
            instruments: vec![key],
            ..Self::default()
        }
    }

    /// Only these kinds (empty keeps all).
    pub fn with_kinds(mut self, kinds: Vec<StreamKind>) -> Self {
        self.kinds = kinds;
        self
    }

    /// Only events with `from <= ts_recv <= to`.
    pub fn with_range(mut self, from: Option<UnixNanos>, to: Option<UnixNanos>) -> Self {
        self.from = from;
        self.to = to;
        self
    }

    fn filter(&self, instrument: Option<&InstrumentKey>) -> PartitionFilter {
        PartitionFilter {
            venue: instrument
                .map(|key| key.venue.to_string())
                .or_else(|| self.venue.clone()),
            symbol: instrument
                .map(|key| key.symbol.to_string())
                .or_else(|| self.symbol.clone()),
            kind: match self.kinds.as_slice() {
                [only] => Some(*only),
                _ => None,
            },
            from: self.from,
            to: self.to,
        }
    }

    fn wanted(&self, partition: &PartitionInfo) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&partition.kind)
    }
}

/// One stream of a store replay: what its [`StreamId`](crate::replay::StreamId) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedStream {
    pub instrument: InstrumentKey,
    pub kind: StreamKind,
    /// Stored rows of the stream's selected partitions (whole partitions: an upper bound of
    /// what a bounded range replays, for progress bars).
    pub rows: u64,
}

/// A replay over stored streams, with what each stream id reads.
#[derive(Debug)]
pub struct StoreReplay<'a> {
    pub merge: ReplayMerge<'a>,
    /// Indexed by stream id.
    pub streams: Vec<SelectedStream>,
}

impl StoreReplay<'_> {
    /// Stored rows of every selected partition.
    pub fn rows(&self) -> u64 {
        self.streams.iter().map(|stream| stream.rows).sum()
    }

    /// The distinct kinds read, in [`StreamKind`] order.
    pub fn kinds(&self) -> Vec<StreamKind> {
        let mut kinds: Vec<StreamKind> = self.streams.iter().map(|stream| stream.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }
}

/// The stored streams `selection` names, from the catalog alone (nothing is read): instrument
/// by instrument (the selection's order, else the catalog's), each instrument's kinds in
/// catalog order, with their row counts. What a replay reads, and what a run manifest hashes.
pub fn selected_streams<S: TickStore + ?Sized>(
    store: &S,
    selection: &ReplaySelection,
) -> Result<Vec<SelectedStream>, DataError> {
    let mut streams: Vec<SelectedStream> = Vec::new();
    let mut add = |partition: PartitionInfo| match streams
        .iter_mut()
        .find(|stream| stream.instrument == partition.instrument && stream.kind == partition.kind)
    {
        Some(stream) => stream.rows += partition.rows,
        None => streams.push(SelectedStream {
            instrument: partition.instrument,
            kind: partition.kind,
            rows: partition.rows,
        }),
    };
    if selection.instruments.is_empty() {
        for partition in store.partitions(&selection.filter(None))? {
            if selection.wanted(&partition) {
                add(partition);
            }
        }
    } else {
        for instrument in &selection.instruments {
            for partition in store.partitions(&selection.filter(Some(instrument)))? {
                if &partition.instrument == instrument && selection.wanted(&partition) {
                    add(partition);
                }
            }
        }
    }
    Ok(streams)
}

impl<'a> ReplayMerge<'a> {
    /// The streams `selection` names, read from `store` and merged in replay order (the
    /// streams of [`selected_streams`], each opened over the selection's range). A selection
    /// that matches nothing gives a merge with no stream (the caller says what it expected).
    pub fn from_store<S: TickStore + ?Sized>(
        store: &'a S,
        selection: &ReplaySelection,
    ) -> Result<StoreReplay<'a>, DataError> {
        let streams = selected_streams(store, selection)?;
        let from = selection.from.unwrap_or(UnixNanos(i64::MIN));
        let to = selection.to.unwrap_or(UnixNanos::MAX);
        let mut merge = ReplayMerge::new();
        for stream in &streams {
            merge.add_stream(store.read_stream(&stream.instrument, stream.kind, from, to)?);
        }
        Ok(StoreReplay { merge, streams })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ImportWriter, StoredEvents};
    use auction_trader_types::{
        AggressorSide, MarketEvent, MarketKind, Price, Quantity, Quote, QuoteFlags, Trade, TradeId,
    };

    /// A store of fixed in-memory streams.
    struct MemoryStore {
        streams: Vec<(InstrumentKey, StreamKind, Vec<MarketEvent>)>,
    }

    impl TickStore for MemoryStore {
        fn begin_import(&self, _: &str) -> Result<Box<dyn ImportWriter + '_>, DataError> {
            Err(DataError::Storage("read-only".to_owned()))
        }

        fn partitions(&self, filter: &PartitionFilter) -> Result<Vec<PartitionInfo>, DataError> {
            Ok(self
                .streams
                .iter()
                .filter(|(key, kind, _)| {
                    filter
                        .venue
                        .as_deref()
                        .is_none_or(|venue| key.venue == venue)
                        && filter.symbol.as_deref().is_none_or(|s| key.symbol == s)
                        && filter.kind.is_none_or(|wanted| wanted == *kind)
                })
                .map(|(key, kind, events)| PartitionInfo {
                    instrument: key.clone(),
                    kind: *kind,
                    date: "2024-01-01".to_owned(),
                    rows: events.len() as u64,
                    first_ts_recv: UnixNanos(0),
                    last_ts_recv: UnixNanos(0),
                    files: 1,
                })
                .collect())
        }

        fn read_stream(
            &self,
            instrument: &InstrumentKey,
            kind: StreamKind,
            from: UnixNanos,
            to: UnixNanos,
        ) -> Result<StoredEvents<'_>, DataError> {
            let events: Vec<MarketEvent> = self
                .streams
                .iter()
                .filter(|(key, stored, _)| key == instrument && *stored == kind)
                .flat_map(|(_, _, events)| events.iter().copied())
                .filter(|event| event.ts_recv() >= from && event.ts_recv() <= to)
                .collect();
            Ok(Box::new(events.into_iter().map(Ok)))
        }
    }

    fn trade(ts: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            price: Price::from_raw(100),
            size: Quantity::from_raw(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(ts as u64),
        })
    }

    fn quote(ts: i64) -> MarketEvent {
        MarketEvent::Quote(Quote {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            bid_price: Price::from_raw(99),
            bid_size: Quantity::from_raw(1),
            ask_price: Price::from_raw(101),
            ask_size: Quantity::from_raw(1),
            update_id: 0,
            flags: QuoteFlags::default(),
        })
    }

    fn store() -> (MemoryStore, InstrumentKey, InstrumentKey) {
        let btc = InstrumentKey::new("v", "BTC", MarketKind::Perpetual);
        let eth = InstrumentKey::new("v", "ETH", MarketKind::Perpetual);
        let store = MemoryStore {
            streams: vec![
                (btc.clone(), StreamKind::Quote, vec![quote(1), quote(3)]),
                (
                    btc.clone(),
                    StreamKind::Trade,
                    vec![trade(2), trade(3), trade(5)],
                ),
                (eth.clone(), StreamKind::Trade, vec![trade(4)]),
            ],
        };
        (store, btc, eth)
    }

    #[test]
    fn one_instrument_reads_its_kinds_in_time_order() {
        let (store, btc, _) = store();
        let replay =
            ReplayMerge::from_store(&store, &ReplaySelection::instrument(btc.clone())).unwrap();
        assert_eq!(replay.rows(), 5);
        assert_eq!(replay.kinds(), vec![StreamKind::Quote, StreamKind::Trade]);
        let stamps: Vec<i64> = replay
            .merge
            .map(|item| item.unwrap().event.ts_recv().0)
            .collect();
        // At ts 3 the quote comes before the trade (SPEC 1.5 kind priority).
        assert_eq!(stamps, vec![1, 2, 3, 3, 5]);
    }

    #[test]
    fn kinds_range_and_instrument_order_are_applied() {
        let (store, btc, eth) = store();
        let selection = ReplaySelection {
            instruments: vec![eth.clone(), btc.clone()],
            ..ReplaySelection::default()
        }
        .with_kinds(vec![StreamKind::Trade])
        .with_range(Some(UnixNanos(3)), Some(UnixNanos(4)));
        let replay = ReplayMerge::from_store(&store, &selection).unwrap();
        let order: Vec<&InstrumentKey> = replay.streams.iter().map(|s| &s.instrument).collect();
        assert_eq!(order, vec![&eth, &btc]);
        let events: Vec<(u32, i64)> = replay
            .merge
            .map(|item| {
                let item = item.unwrap();
                (item.stream.0, item.event.ts_recv().0)
            })
            .collect();
        assert_eq!(events, vec![(1, 3), (0, 4)]);
    }

    #[test]
    fn an_unknown_instrument_selects_nothing() {
        let (store, _, _) = store();
        let other = InstrumentKey::new("v", "SOL", MarketKind::Perpetual);
        let replay = ReplayMerge::from_store(&store, &ReplaySelection::instrument(other)).unwrap();
        assert!(replay.streams.is_empty());
        assert_eq!(replay.merge.count(), 0);
    }
}
