//! Hand-worked crossovers. Closes 10 10 10 12 14 13 9 8 10 13 with fast 2, slow 3:
//! sums·(3, 2) compare 60=60, 66>64 (cross above at bar 3, close 12), 78>72, 81>78,
//! 66<72 (cross below at bar 6, close 9), 51<60, 54=54, 69>62 (cross above at bar 9, the
//! last bar, close 13).

use auction_trader_analytics::RunRecords;
use auction_trader_data::instruments::instrument_or_default;
use auction_trader_types::{
    Bar, Direction, ExitReason, Instrument, InstrumentKey, MarketKind, Money, NANOS_PER_MINUTE,
    Price, Quantity, Rate, UnixNanos,
};

use super::*;

const CLOSES: [i64; 10] = [10, 10, 10, 12, 14, 13, 9, 8, 10, 13];

fn bar(index: usize, close: i64) -> Bar {
    let price = Price::from_units(close).unwrap();
    let ts = UnixNanos(1_700_000_000_000_000_000 + index as i64 * NANOS_PER_MINUTE);
    Bar {
        ts_open: UnixNanos(ts.0 - NANOS_PER_MINUTE),
        ts_event: ts,
        ts_recv: ts,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: Quantity::from_units(1).unwrap(),
        vwap: price,
        buy_volume: Quantity::ZERO,
        sell_volume: Quantity::ZERO,
        trade_count: 1,
    }
}

fn series() -> BarSeries {
    BarSeries::from_bars(
        CLOSES
            .iter()
            .enumerate()
            .map(|(index, close)| bar(index, *close))
            .collect(),
    )
}

fn instrument(fee: &str, lot: &str) -> Instrument {
    let mut instrument = instrument_or_default(&InstrumentKey::new(
        "test",
        "BTC-PERP",
        MarketKind::Perpetual,
    ));
    instrument.taker_fee = Rate::from_decimal_str(fee).unwrap();
    instrument.lot_size = Quantity::from_decimal_str(lot).unwrap();
    instrument.min_size = instrument.lot_size;
    instrument
}

fn run(direction: SmaDirection, fee: &str, lot: &str) -> RunRecords {
    let config = SmaCrossConfig {
        fast: 2,
        slow: 3,
        direction,
    };
    let records = RunRecords::new("t", "BTC-PERP", Money::from_units(100).unwrap());
    simulate_records(
        &series(),
        &config,
        &instrument(fee, lot),
        records,
        UnixNanos(i64::MIN),
        EquityDetail::Full,
    )
    .unwrap()
}

fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap()
}

fn final_equity(records: &RunRecords) -> Money {
    records.equity.last().unwrap().equity
}

#[test]
fn crossings_follow_the_hand_worked_sums() {
    let mut seen = Vec::new();
    let config = SmaCrossConfig {
        fast: 2,
        slow: 3,
        direction: SmaDirection::Long,
    };
    crossings(&series(), &config, 0, |index, action| {
        seen.push((index, action))
    });
    assert_eq!(
        seen,
        vec![
            (3, Action::Enter(1)),
            (6, Action::Exit),
            (9, Action::Enter(1)),
            (9, Action::Exit),
        ]
    );
}

#[test]
fn long_without_fees_in_whole_units() {
    // 100 cash: 8 at 12 (cash 4), out at 9 (76); 5 at 13, closed at 13 at the end (76).
    let records = run(SmaDirection::Long, "0", "1");
    let nets: Vec<Money> = records.trades.iter().map(|trade| trade.net_pnl).collect();
    assert_eq!(nets, vec![money("-24"), money("0")]);
    assert_eq!(records.trades[1].exit_reason, ExitReason::EndOfData);
    assert_eq!(final_equity(&records), money("76"));
}

#[test]
fn long_with_five_bps_and_a_thousandth_lot() {
    // 100 / (12 × 1.0005) = 8.32917 → 8.329: notional 99.948, fee 0.049974, cash 0.002026;
    // out at 9: 74.961 − 0.0374805 → 74.9255455. 74.9255455 / 13.0065 → 5.760: notional
    // 74.88, fee 0.03744 (twice, in and out at 13) → 74.8506655.
    let records = run(SmaDirection::Long, "0.0005", "0.001");
    assert_eq!(
        records.trades[0].quantity,
        Quantity::from_decimal_str("8.329").unwrap()
    );
    assert_eq!(records.trades[0].fees, money("0.0874545"));
    assert_eq!(
        records.trades[1].quantity,
        Quantity::from_decimal_str("5.76").unwrap()
    );
    assert_eq!(final_equity(&records), money("74.8506655"));
    assert_eq!(records.fills.len(), 4);
}

#[test]
fn short_and_both_directions() {
    // Short: 11 sold at 9 (cash 199), bought back at 13 (56).
    let short = run(SmaDirection::Short, "0", "1");
    assert_eq!(short.trades.len(), 1);
    assert_eq!(short.trades[0].direction, Direction::Short);
    assert_eq!(final_equity(&short), money("56"));
    // Both: long 8 at 12 → 9 (76), short 8 at 9 → 13 (44), long 3 at 13 → 13 (44).
    let both = run(SmaDirection::Both, "0", "1");
    let directions: Vec<&str> = both.trades.iter().map(|t| t.direction.as_str()).collect();
    assert_eq!(directions, vec!["long", "short", "long"]);
    assert_eq!(final_equity(&both), money("44"));
}

#[test]
fn warm_up_bars_never_trade_and_changes_only_keeps_the_metrics() {
    let config = SmaCrossConfig {
        fast: 2,
        slow: 3,
        direction: SmaDirection::Long,
    };
    let records = RunRecords::new("t", "BTC-PERP", Money::from_units(100).unwrap());
    // Trading from bar 4: the cross above at bar 3 is missed, the one at bar 9 is taken.
    let late = simulate_records(
        &series(),
        &config,
        &instrument("0", "1"),
        records.clone(),
        series().bars[4].ts_recv,
        EquityDetail::Full,
    )
    .unwrap();
    assert_eq!(late.trades.len(), 1);
    assert_eq!(late.trades[0].entry_price, Price::from_units(13).unwrap());
    let full = run(SmaDirection::Long, "0.0005", "0.001");
    let sparse = simulate_records(
        &series(),
        &config,
        &instrument("0.0005", "0.001"),
        RunRecords::new("t", "BTC-PERP", Money::from_units(100).unwrap()),
        UnixNanos(i64::MIN),
        EquityDetail::Changes,
    )
    .unwrap();
    assert!(sparse.equity.len() < full.equity.len());
    let (a, b) = (
        auction_trader_analytics::compute_metrics(&full),
        auction_trader_analytics::compute_metrics(&sparse),
    );
    assert_eq!(a.net_pnl, b.net_pnl);
    assert_eq!(a.final_equity, b.final_equity);
    assert_eq!(a.sharpe, b.sharpe);
    assert_eq!(
        a.max_drawdown.map(|d| d.amount),
        b.max_drawdown.map(|d| d.amount)
    );
}

#[test]
fn fast_must_be_shorter_than_slow() {
    let config = SmaCrossConfig {
        fast: 30,
        slow: 30,
        direction: SmaDirection::Long,
    };
    assert!(config.validate().unwrap_err().contains("shorter"));
}
