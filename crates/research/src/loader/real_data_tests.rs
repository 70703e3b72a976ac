//! Real-data checks of the loaders on a Binance USD-M capture (shared/data/binance, see
//! shared/data/README.md): book rows at 1 s are aligned to whole seconds and never crossed,
//! and the loader's one-minute bars equal the feature engine's. Skips (prints a note, passes)
//! when the files are absent.

use auction_trader_data::InstrumentSlot;
use auction_trader_testkit::{load_binance_capture, replay_order};
use auction_trader_types::{
    MarketEvent, NANOS_PER_MINUTE, NANOS_PER_SECOND, Price, StreamKind, UnixNanos,
};

use super::*;
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSnapshot};

/// The BTCUSDT events of the capture in replay order (ts_recv, then the fixed stream
/// priority; source order within ties), or None when the file is absent.
fn capture_events() -> Option<Vec<MarketEvent>> {
    let collected = load_binance_capture(&["usdm_btcusdt_20240808.gz"])?;
    let slot = collected
        .instruments
        .iter()
        .position(|key| key.symbol == "BTCUSDT")
        .expect("BTCUSDT in the capture");
    Some(replay_order(&collected, InstrumentSlot(slot as u32)))
}

#[test]
fn binance_capture_book_rows_and_aligned_minutes() {
    let Some(events) = capture_events() else {
        return;
    };
    let config = LoaderConfig {
        book_interval_ms: 1_000,
        depth_levels: 20,
        ..LoaderConfig::for_venue("binance-usdm")
    };
    let data = load_all(events.iter().copied(), &config).unwrap();
    let depth_events = events
        .iter()
        .filter(|event| event.kind() == StreamKind::Depth)
        .count();
    println!(
        "events {} (depth rows {depth_events}), trades {}, quotes {}, book rows {}, \
         minute bars {}, aligned rows {}, book counters {:?}",
        events.len(),
        data.trades.len(),
        data.quotes.len(),
        data.book.len(),
        data.bars.len(),
        data.aligned.len(),
        data.book_counters
    );
    // 5.7 minutes of capture: one row a second once the book is synced.
    assert!(data.book.len() > 250, "book rows {}", data.book.len());
    assert_eq!(data.book_counters.crossed_rows, 0);
    for row in &data.book {
        assert_eq!(
            row.ts.as_i64() % NANOS_PER_SECOND,
            0,
            "row not on a whole second"
        );
        assert!(!row.is_crossed(), "crossed book at {}", row.ts);
        assert_eq!((row.bids.len(), row.asks.len()), (20, 20));
        assert!(row.bids.windows(2).all(|pair| pair[0].0 > pair[1].0));
        assert!(row.asks.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
    for pair in data.book.windows(2) {
        assert_eq!(pair[1].ts.as_i64() - pair[0].ts.as_i64(), NANOS_PER_SECOND);
    }
    // Aligned minutes: whole minutes, quotes present, depth from the synced book.
    assert!(
        data.aligned.len() >= 4,
        "aligned rows {}",
        data.aligned.len()
    );
    for row in &data.aligned {
        assert_eq!(row.ts.as_i64() % NANOS_PER_MINUTE, 0);
        if let (Some(bid), Some(ask)) = (row.best_bid, row.best_ask) {
            assert!(bid < ask, "crossed top at {}", row.ts);
            assert!(row.spread.is_some_and(Price::is_positive));
        }
        if let Some(imbalance) = row.imbalance {
            assert!((-1.0..=1.0).contains(&imbalance));
        }
    }
    assert!(data.aligned.iter().any(|row| row.bid_depth.is_some()));

    // The loader's one-minute bars are the feature engine's bars (same bucketing by ts_recv).
    let mut engine =
        FeatureEngine::new(&FeatureConfig::default(), Price::from_raw(100_000_000)).unwrap();
    let mut snapshots: Vec<FeatureSnapshot> = Vec::new();
    for event in &events {
        engine.on_event(event, &mut snapshots);
    }
    let engine_bars: Vec<_> = snapshots.iter().map(|snapshot| snapshot.bar).collect();
    let common = engine_bars.len().min(data.bars.len());
    assert!(common >= 4);
    let offset = data.bars.len() - common;
    let engine_offset = engine_bars.len() - common;
    for (loader, engine) in data.bars[offset..]
        .iter()
        .zip(&engine_bars[engine_offset..])
    {
        assert_eq!(
            (
                loader.ts_open,
                loader.open,
                loader.high,
                loader.low,
                loader.close
            ),
            (
                engine.ts_open,
                engine.open,
                engine.high,
                engine.low,
                engine.close
            )
        );
        assert_eq!(
            (
                loader.volume,
                loader.vwap,
                loader.buy_volume,
                loader.sell_volume
            ),
            (
                engine.volume,
                engine.vwap,
                engine.buy_volume,
                engine.sell_volume
            )
        );
        assert_eq!(loader.trade_count, engine.trade_count);
    }
    let first = data.book.first().map_or(UnixNanos::ZERO, |row| row.ts);
    println!(
        "first book row {first}, last {}",
        data.book.last().map_or(UnixNanos::ZERO, |row| row.ts)
    );
}
