//! Property test (brief: random events -> write -> read back -> equal), for every kind,
//! across several days and two instruments, with bounds small enough to exercise segments,
//! early writes and multi-pass merges of out-of-order input.

use std::collections::BTreeMap;

use auction_trader_data::EventSink;
use auction_trader_data::store::{PartitionFilter, TickStore};
use auction_trader_storage::{ParquetStore, SourceInfo};
use auction_trader_types::{
    AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Funding, InstrumentKey, Liquidation,
    MarketEvent, MarketKind, Price, Quantity, Quote, QuoteFlags, Rate, StreamKind, Trade, TradeId,
    UnixNanos,
};
use proptest::prelude::*;

use crate::common::{DAY, NANOS_PER_DAY, read_all, stable_sorted, tiny_tuning};

fn stamp() -> impl Strategy<Value = UnixNanos> {
    prop_oneof![
        // A handful of shared values: ties in ts_recv are common in real data.
        (0_i64..4).prop_map(|step| UnixNanos(DAY + step * NANOS_PER_DAY / 3)),
        (DAY - NANOS_PER_DAY..DAY + 3 * NANOS_PER_DAY).prop_map(UnixNanos),
    ]
}

fn any_stamp() -> impl Strategy<Value = UnixNanos> {
    any::<i64>().prop_map(UnixNanos)
}

fn aggressor() -> impl Strategy<Value = AggressorSide> {
    prop_oneof![
        Just(AggressorSide::Buy),
        Just(AggressorSide::Sell),
        Just(AggressorSide::Unknown)
    ]
}

fn event() -> impl Strategy<Value = MarketEvent> {
    let fixed = any::<i64>;
    prop_oneof![
        (
            any_stamp(),
            stamp(),
            any::<bool>(),
            fixed(),
            fixed(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u8>()
        )
            .prop_map(
                |(ts_event, ts_recv, bid, price, size, first, last, prev, flags)| {
                    MarketEvent::Depth(BookDelta {
                        ts_event,
                        ts_recv,
                        side: if bid { BookSide::Bid } else { BookSide::Ask },
                        price: Price(price),
                        size: Quantity(i128::from(size)),
                        first_update_id: first,
                        last_update_id: last,
                        prev_update_id: prev,
                        flags: DeltaFlags(flags),
                    })
                }
            ),
        (
            any_stamp(),
            stamp(),
            fixed(),
            fixed(),
            fixed(),
            fixed(),
            any::<u64>(),
            any::<u8>()
        )
            .prop_map(
                |(
                    ts_event,
                    ts_recv,
                    bid_price,
                    bid_size,
                    ask_price,
                    ask_size,
                    update_id,
                    flags,
                )| {
                    MarketEvent::Quote(Quote {
                        ts_event,
                        ts_recv,
                        bid_price: Price(bid_price),
                        bid_size: Quantity(i128::from(bid_size)),
                        ask_price: Price(ask_price),
                        ask_size: Quantity(i128::from(ask_size)),
                        update_id,
                        flags: QuoteFlags(flags),
                    })
                }
            ),
        (
            any_stamp(),
            stamp(),
            fixed(),
            fixed(),
            aggressor(),
            any::<u64>()
        )
            .prop_map(|(ts_event, ts_recv, price, size, aggressor, id)| {
                MarketEvent::Trade(Trade {
                    ts_event,
                    ts_recv,
                    price: Price(price),
                    size: Quantity(i128::from(size)),
                    aggressor,
                    trade_id: TradeId(id),
                })
            }),
        (any_stamp(), stamp(), aggressor(), fixed(), fixed()).prop_map(
            |(ts_event, ts_recv, side, price, size)| {
                MarketEvent::Liquidation(Liquidation {
                    ts_event,
                    ts_recv,
                    side,
                    price: Price(price),
                    size: Quantity(i128::from(size)),
                })
            }
        ),
        (any_stamp(), stamp(), fixed(), any_stamp(), fixed(), fixed()).prop_map(
            |(ts_event, ts_recv, rate, next_funding_time, mark, index)| {
                MarketEvent::Funding(Funding {
                    ts_event,
                    ts_recv,
                    rate: Rate(rate),
                    next_funding_time,
                    mark_price: Price(mark),
                    index_price: Price(index),
                })
            }
        ),
        (
            any_stamp(),
            any_stamp(),
            stamp(),
            proptest::array::uniform8(fixed()),
            any::<u64>()
        )
            .prop_map(|(ts_open, ts_event, ts_recv, values, trade_count)| {
                MarketEvent::Bar(Bar {
                    ts_open,
                    ts_event,
                    ts_recv,
                    open: Price(values[0]),
                    high: Price(values[1]),
                    low: Price(values[2]),
                    close: Price(values[3]),
                    volume: Quantity(i128::from(values[4])),
                    vwap: Price(values[5]),
                    buy_volume: Quantity(i128::from(values[6])),
                    sell_volume: Quantity(i128::from(values[7])),
                    trade_count,
                })
            }),
    ]
}

fn instruments() -> [InstrumentKey; 2] {
    [
        InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
        InstrumentKey::new("bybit-spot", "1INCH/USDT", MarketKind::Spot),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_events_round_trip_exactly(events in proptest::collection::vec((0_usize..2, event()), 0..120)) {
        let directory = tempfile::tempdir().unwrap();
        let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
        let keys = instruments();
        let mut writer = store.begin_import("random").unwrap();
        let slots = [writer.instrument(&keys[0]), writer.instrument(&keys[1])];
        let mut expected: BTreeMap<(usize, StreamKind), Vec<MarketEvent>> = BTreeMap::new();
        for &(instrument, event) in &events {
            writer.event(slots[instrument], event);
            expected.entry((instrument, event.kind())).or_default().push(event);
        }
        let report = writer.commit(Default::default()).unwrap();
        prop_assert_eq!(report.rows_written, events.len() as u64);
        for (instrument, key) in keys.iter().enumerate() {
            for kind in StreamKind::ALL {
                let want = stable_sorted(expected.remove(&(instrument, kind)).unwrap_or_default());
                prop_assert_eq!(read_all(&store, key, kind), want);
            }
        }
        let partitions = store.partitions(&PartitionFilter::default()).unwrap();
        prop_assert_eq!(partitions.iter().map(|partition| partition.rows).sum::<u64>(), events.len() as u64);
        // Sorted by instrument, kind, date; every partition holds exactly one day.
        let order: Vec<_> = partitions.iter().map(|p| (p.instrument.clone(), p.kind, p.date.clone())).collect();
        let mut sorted = order.clone();
        sorted.sort();
        prop_assert_eq!(order, sorted);
        for partition in &partitions {
            prop_assert_eq!(partition.first_ts_recv.date_string(), partition.date.clone());
            prop_assert_eq!(partition.last_ts_recv.date_string(), partition.date.clone());
        }
    }
}

#[test]
fn range_reads_cut_inclusively_at_both_ends() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open_with(directory.path(), tiny_tuning()).unwrap();
    let key = crate::common::btcusdt();
    let mut writer = store
        .begin_source_import(SourceInfo::named("range"))
        .unwrap();
    let slot = writer.instrument(&key);
    // 40 trades one hour apart from DAY - 10 h: 10 on 08-07, 24 on 08-08, 6 on 08-09.
    let hour = 3_600_000_000_000_i64;
    let events: Vec<MarketEvent> = (0..40)
        .map(|index| crate::common::trade(DAY - 10 * hour + index * hour, index as u64, 1))
        .collect();
    for event in &events {
        writer.event(slot, *event);
    }
    writer.commit_import(Default::default()).unwrap();
    // [DAY - 2 h, DAY + 3 h] inclusive -> indices 8..=13.
    let window: Vec<MarketEvent> = store
        .read_stream(
            &key,
            StreamKind::Trade,
            UnixNanos(DAY - 2 * hour),
            UnixNanos(DAY + 3 * hour),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(window, events[8..=13].to_vec());
    let empty = store
        .read_stream(&key, StreamKind::Trade, UnixNanos(DAY), UnixNanos(DAY - 1))
        .unwrap();
    assert_eq!(empty.count(), 0);
    let filter = PartitionFilter {
        from: Some(UnixNanos(DAY)),
        to: Some(UnixNanos(DAY + 5 * hour)),
        ..PartitionFilter::default()
    };
    let partitions = store.partitions(&filter).unwrap();
    assert_eq!(partitions.len(), 1);
    assert_eq!(
        (partitions[0].date.as_str(), partitions[0].rows),
        ("2024-08-08", 24)
    );
    let other_kind = PartitionFilter {
        kind: Some(StreamKind::Quote),
        ..PartitionFilter::default()
    };
    assert!(store.partitions(&other_kind).unwrap().is_empty());
    let by_name = PartitionFilter {
        venue: Some("BINANCE-USDM".to_owned()),
        symbol: Some("btcusdt".to_owned()),
        ..PartitionFilter::default()
    };
    assert_eq!(store.partitions(&by_name).unwrap().len(), 3);
}
