//! Test and example support: where the shared real data is, and loading it; and
//! hand-written events and decimals for scenario tests ([`events`]); a throwaway PostgreSQL
//! server for the PostgreSQL store's tests ([`postgres`]).
//!
//! The real data (`/work/shared/data`, described in its README) is read in place, never copied
//! into the repository. Tests call [`shared_data`] / [`shared_files`] (or the `load_*`
//! helpers) and SKIP — print a note and pass — when a file is absent; examples call
//! [`shared_path`] and fail on a missing file. This is a dev-only crate: other crates take it
//! as a dev-dependency, never as a dependency. The `load_*` helpers panic on a file that is
//! present but does not import (a test failure, not a skip).

pub mod events;
pub mod offsets;
pub mod postgres;

use std::path::{Path, PathBuf};

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::import::bitflyer;
use auction_trader_data::{CollectedEvents, DataError, InstrumentSlot};
use auction_trader_types::{MarketEvent, StreamKind, Trade};

/// The shared data folder, relative to this crate (`crates/testkit` → `../shared/data` of the
/// checkout's parent), as every test of the workspace has always located it.
pub const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/");

/// A month of FTX BTC-PERP one-minute bars (Nautilus CSV; timestamps label the bar close).
pub const NAUTILUS_BTC_PERP_MONTH: &str = "nautilus/btc-perp_1m_20211231-20220201.csv";

/// The path of a file of the shared data, whether it exists or not (for examples, which fail
/// on a missing file instead of skipping).
pub fn shared_path(relative: &str) -> PathBuf {
    PathBuf::from(SHARED_DATA).join(relative)
}

/// The path of a file of the shared data when it exists; otherwise prints
/// `SKIP: <path> not found` and returns None (the caller returns: the test passes).
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = shared_path(relative);
    if path.exists() {
        Some(path)
    } else {
        println!("SKIP: {} not found", path.display());
        None
    }
}

/// The paths of `files` in the shared-data `folder` when all exist; None (with a skip note
/// for the first missing one) otherwise.
pub fn shared_files(folder: &str, files: &[&str]) -> Option<Vec<PathBuf>> {
    files
        .iter()
        .map(|file| shared_data(&format!("{folder}/{file}")))
        .collect()
}

/// Imports Binance WebSocket capture files (default options) into memory.
/// A run config (YAML) of the auction strategy over bitFlyer BTC_JPY of the JST day
/// 2018-01-21 (both files imported when missing), with `data.dir` and `run.output_dir` under
/// `dir`; `None` when the shared files are absent.
pub fn bitflyer_day_auction_yaml(dir: &Path, run_name: &str) -> Option<String> {
    let data = shared_files(
        "bitflyer",
        &[
            "bitflyer.execution.20180121.BTC_JPY.csv.gz",
            "bitflyer.ticker.20180121.BTC_JPY.csv.gz",
        ],
    )?;
    Some(format!(
        "run:\n  name: {run_name}\n  output_dir: {}\ndata:\n  dir: {}\n  import: [{}, {}]\n  \
         venue: bitflyer\n  symbol: BTC_JPY\n  market: spot\ninstrument:\n  \
         maker_fee_bps: 2\n  taker_fee_bps: 5\naccount:\n  initial_equity: 1000000\n\
         strategy:\n  kind: auction\n",
        dir.join("runs").display(),
        dir.join("data").display(),
        data[0].display(),
        data[1].display()
    ))
}

pub fn import_binance_capture<P: AsRef<Path>>(paths: &[P]) -> Result<CollectedEvents, DataError> {
    let mut collected = CollectedEvents::new();
    import_capture_files(paths, &CaptureOptions::default(), &mut collected)?;
    Ok(collected)
}

/// The Binance captures `files` of `shared/data/binance`, imported; None when one is absent.
///
/// # Panics
/// When a present file does not import (a test failure).
pub fn load_binance_capture(files: &[&str]) -> Option<CollectedEvents> {
    let paths = shared_files("binance", files)?;
    Some(import_binance_capture(&paths).expect("capture imports"))
}

/// The bitFlyer execution tapes `files` of `shared/data/bitflyer` (trades only), imported;
/// None when one is absent.
///
/// # Panics
/// When a present file does not import (a test failure).
pub fn load_bitflyer_executions(files: &[&str]) -> Option<CollectedEvents> {
    let paths = shared_files("bitflyer", files)?;
    let mut collected = CollectedEvents::new();
    bitflyer::import_executions(&paths, &mut collected).expect("bitFlyer tape imports");
    Some(collected)
}

/// The bitFlyer BTC_JPY executions and tickers (as quotes) of `days` (`"20180122"`, ...),
/// imported; None when a file is absent.
///
/// # Panics
/// When a present file does not import (a test failure).
pub fn load_bitflyer_days(days: &[&str]) -> Option<CollectedEvents> {
    let names: Vec<String> = ["execution", "ticker"]
        .iter()
        .flat_map(|kind| {
            days.iter()
                .map(move |day| format!("bitflyer.{kind}.{day}.BTC_JPY.csv.gz"))
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let paths = shared_files("bitflyer", &names)?;
    let mut collected = CollectedEvents::new();
    bitflyer::import_files(&paths, &mut collected).expect("bitFlyer files import");
    Some(collected)
}

/// The instrument with the most events of `kind` (the last of equals); None without
/// instruments.
pub fn busiest_instrument(collected: &CollectedEvents, kind: StreamKind) -> Option<InstrumentSlot> {
    (0..collected.instruments.len() as u32)
        .map(InstrumentSlot)
        .max_by_key(|slot| collected.of_kind(*slot, kind).count())
}

/// Every trade of the collection (all instruments), in source order.
pub fn trades(collected: &CollectedEvents) -> Vec<Trade> {
    collected
        .events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Trade(trade) => Some(trade),
            _ => None,
        })
        .collect()
}

/// Sorts events into replay order (SPEC 1.5): `ts_recv`, then the stream priority (depth,
/// quote, trade, ...); the sort is stable, so source order breaks the remaining ties.
pub fn sort_replay_order(events: &mut [MarketEvent]) {
    events.sort_by_key(|event| (event.ts_recv(), event.kind().priority()));
}

/// The events of one instrument in replay order (SPEC 1.5).
pub fn replay_order(collected: &CollectedEvents, slot: InstrumentSlot) -> Vec<MarketEvent> {
    let mut events: Vec<MarketEvent> = collected.events_of(slot).copied().collect();
    sort_replay_order(&mut events);
    events
}

/// Every event of every instrument in replay order (SPEC 1.5).
pub fn replay_order_all(collected: &CollectedEvents) -> Vec<MarketEvent> {
    let mut events: Vec<MarketEvent> = collected.events.iter().map(|tagged| tagged.event).collect();
    sort_replay_order(&mut events);
    events
}

#[cfg(test)]
mod tests {
    use auction_trader_data::EventSink;
    use auction_trader_types::{
        AggressorSide, InstrumentKey, MarketKind, NANOS_PER_SECOND, Price, Quantity, Quote,
        QuoteFlags, Trade, TradeId, UnixNanos,
    };

    use super::*;

    fn trade(second: i64, id: u64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(second * NANOS_PER_SECOND),
            ts_recv: UnixNanos(second * NANOS_PER_SECOND),
            price: Price::ONE,
            size: Quantity::ONE,
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(id),
        })
    }

    fn quote(second: i64) -> MarketEvent {
        MarketEvent::Quote(Quote {
            ts_event: UnixNanos(second * NANOS_PER_SECOND),
            ts_recv: UnixNanos(second * NANOS_PER_SECOND),
            bid_price: Price::ONE,
            bid_size: Quantity::ONE,
            ask_price: Price::ONE,
            ask_size: Quantity::ONE,
            update_id: 0,
            flags: QuoteFlags::default(),
        })
    }

    /// Instrument A: trade@2 s (id 1), quote@1 s, trade@1 s (id 2); instrument B: trade@0 s.
    fn two_instruments() -> (CollectedEvents, InstrumentSlot, InstrumentSlot) {
        let mut collected = CollectedEvents::new();
        let a = collected.instrument(&InstrumentKey::new("test", "A", MarketKind::Spot));
        let b = collected.instrument(&InstrumentKey::new("test", "B", MarketKind::Spot));
        collected.event(a, trade(2, 1));
        collected.event(b, trade(0, 3));
        collected.event(a, quote(1));
        collected.event(a, trade(1, 2));
        (collected, a, b)
    }

    #[test]
    fn replay_order_is_time_then_stream_priority_then_source_order() {
        let (collected, a, b) = two_instruments();
        // At 1 s the quote (priority 1) goes before the trade (priority 2).
        assert_eq!(
            replay_order(&collected, a),
            vec![quote(1), trade(1, 2), trade(2, 1)]
        );
        assert_eq!(replay_order(&collected, b), vec![trade(0, 3)]);
        let in_source_order: Vec<MarketEvent> = trades(&collected)
            .into_iter()
            .map(MarketEvent::Trade)
            .collect();
        assert_eq!(in_source_order, vec![trade(2, 1), trade(0, 3), trade(1, 2)]);
        assert_eq!(
            replay_order_all(&collected),
            vec![trade(0, 3), quote(1), trade(1, 2), trade(2, 1)]
        );
    }

    #[test]
    fn busiest_instrument_counts_one_kind() {
        let (collected, a, b) = two_instruments();
        // Trades: A 2, B 1. Depth rows: 0 each, the last of equals wins (max_by_key).
        assert_eq!(busiest_instrument(&collected, StreamKind::Trade), Some(a));
        assert_eq!(busiest_instrument(&collected, StreamKind::Depth), Some(b));
        assert_eq!(
            busiest_instrument(&CollectedEvents::new(), StreamKind::Trade),
            None
        );
    }

    #[test]
    fn a_missing_file_is_a_skip_not_a_failure() {
        assert_eq!(shared_data("no/such/file.csv"), None);
        assert_eq!(shared_files("no", &["such", "files"]), None);
        assert!(load_binance_capture(&["no_such_capture.gz"]).is_none());
        assert!(load_bitflyer_executions(&["no_such_tape.csv.gz"]).is_none());
        assert!(load_bitflyer_days(&["19700101"]).is_none());
        assert!(shared_path("x/y.csv").ends_with("shared/data/x/y.csv"));
    }

    #[test]
    fn bitflyer_days_name_executions_then_tickers() {
        // Both days present: the executions are imported as trades, the tickers as quotes.
        let Some(collected) = load_bitflyer_days(&["20180122", "20180123"]) else {
            return;
        };
        assert!(collected.count_of_kind(StreamKind::Trade) > 100_000);
        assert!(collected.count_of_kind(StreamKind::Quote) > 1_000);
    }
}
