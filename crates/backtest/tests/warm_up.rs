//! SPEC 7 warm-up: events before `data.start` warm features and strategy state up but open no
//! trade and leave no bar or equity record. Skipped when /work/shared/data/bitflyer is absent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use auction_trader_types::UnixNanos;

#[test]
fn nothing_trades_or_is_recorded_before_the_start() {
    let Some(events) = support::bitflyer_events(&["20180121", "20180122"]) else {
        return;
    };
    let mut config = support::config();
    // 2018-01-21T12:00:00Z: well inside the tape (which starts 2018-01-20T15:00Z).
    config.data.start = Some("2018-01-21T12:00:00Z".to_owned());
    let start = config.data.start_time().unwrap().unwrap();
    assert_eq!(start, UnixNanos(1_516_536_000_000_000_000));
    let warm = support::run(&config, &events);
    assert!(warm.records.bars.iter().all(|bar| bar.ts > start));
    assert!(warm.records.equity.iter().all(|point| point.ts >= start));
    assert!(
        warm.records
            .orders
            .iter()
            .all(|order| order.ts_submit >= start)
    );
    assert!(
        warm.records
            .trades
            .iter()
            .all(|trade| trade.entry_ts >= start)
    );
    // Intents before the start are refused and logged as such.
    assert!(warm.signals.iter().any(|signal| signal.ts < start
        && signal.to_state == "refused"
        && signal.detail.contains("warm-up")));
    // The same events without a start trade before it.
    let cold = support::run(&support::config(), &events);
    assert!(
        cold.records
            .orders
            .iter()
            .any(|order| order.ts_submit < start)
    );
}
