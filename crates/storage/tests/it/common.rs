//! Shared helpers: instruments, hand-made events, reading whole streams back.

use auction_trader_data::store::TickStore;
use auction_trader_storage::{ParquetStore, StoreTuning};
use auction_trader_types::{
    AggressorSide, InstrumentKey, MarketEvent, MarketKind, Price, Quantity, StreamKind, Trade,
    TradeId, UnixNanos,
};

/// 2024-08-08T00:00:00Z.
pub const DAY: i64 = 1_723_075_200 * 1_000_000_000;
pub const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

pub fn btcusdt() -> InstrumentKey {
    InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual)
}

pub fn trade(ts_recv: i64, id: u64, price: i64) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: UnixNanos(ts_recv - 1_000),
        ts_recv: UnixNanos(ts_recv),
        price: Price(price),
        size: Quantity(1_000_000),
        aggressor: AggressorSide::Buy,
        trade_id: TradeId(id),
    })
}

/// Every stored event of one instrument and kind.
pub fn read_all(
    store: &ParquetStore,
    instrument: &InstrumentKey,
    kind: StreamKind,
) -> Vec<MarketEvent> {
    store
        .read_stream(instrument, kind, UnixNanos(i64::MIN), UnixNanos::MAX)
        .expect("stream opens")
        .collect::<Result<Vec<_>, _>>()
        .expect("stream reads")
}

/// Small bounds that force every path: tiny row groups, early writes, closed segments and
/// multi-pass merges.
pub fn tiny_tuning() -> StoreTuning {
    StoreTuning {
        row_group_rows: 5,
        max_buffered_rows: 12,
        max_open_writers: 2,
        merge_fan_in: 2,
    }
}

/// `events` stably sorted by `ts_recv` (the order the store promises within one source).
pub fn stable_sorted(mut events: Vec<MarketEvent>) -> Vec<MarketEvent> {
    events.sort_by_key(MarketEvent::ts_recv);
    events
}

/// Files ending in `.parquet` under `dir`, recursively.
pub fn parquet_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(parquet_files(&path));
        } else if path
            .extension()
            .is_some_and(|extension| extension == "parquet")
        {
            found.push(path);
        }
    }
    found.sort();
    found
}
