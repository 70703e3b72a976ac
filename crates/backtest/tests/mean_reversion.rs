//! Scenario test of the SPEC 3.3 statistical mean-reversion strategy on real data: three
//! days of the bitFlyer BTC_JPY tape through the full engine (features, strategy, risk per
//! SPEC 4's mean-reversion column, the simulated exchange), twice. Every signal the strategy
//! logged must satisfy the entry rules it claims (|z| ≥ 1.5, half-life in 15–240 minutes,
//! ADF p < 10%, ADX ≤ 25, volatility percentile ≤ 75%, stop at 2 × the expected reversion),
//! every trade must end by a rule (mean, holding cap, stop, target, end of data), no trade may
//! be held past its cap by more than a bar, and the two runs must be identical. Skipped when
//! /work/shared/data/bitflyer is absent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use auction_trader_backtest::BacktestConfig;
use auction_trader_strategy::SignalRecordKind;
use auction_trader_types::NANOS_PER_MINUTE;

const CONFIG: &str = "\
run:
  name: mean_reversion_scenario
data:
  venue: bitflyer
  symbol: BTC_JPY
  market: spot
account:
  initial_equity: 1000000
instrument:
  maker_fee_bps: 2
  taker_fee_bps: 5
strategy:
  kind: mean_reversion
risk:
  tp1_fraction: 0
  breakeven_after_tp1: false
  max_hold_minutes: 1440
  trail_while_profitable: false
  flip_on_opposite_signal: false
";

fn field(detail: &str, key: &str) -> f64 {
    detail
        .split(' ')
        .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{key} in {detail}"))
}

#[test]
fn mean_reversion_over_three_bitflyer_days_follows_its_rules() {
    let Some(events) = support::bitflyer_events(&["20180121", "20180122", "20180123"]) else {
        return;
    };
    let config = BacktestConfig::parse(CONFIG).unwrap();
    let first = support::run(&config, &events);
    let second = support::run(&config, &events);
    assert_eq!(first.records.trades, second.records.trades);
    assert_eq!(first.records.fills, second.records.fills);
    assert_eq!(first.signals, second.signals);

    let signals: Vec<_> = first
        .signals
        .iter()
        .filter(|row| row.machine == "mean_reversion" && row.kind == SignalRecordKind::Signal)
        .collect();
    let near_misses = first
        .signals
        .iter()
        .filter(|row| row.machine == "mean_reversion" && row.kind == SignalRecordKind::NearMiss)
        .count();
    assert!(near_misses > 0, "the filters never blocked a candidate");
    let mut caps = std::collections::BTreeMap::new();
    for row in &signals {
        let detail = &row.detail;
        assert!(field(detail, "z").abs() >= 1.5, "{detail}");
        let half_life = field(detail, "half_life_min");
        assert!((15.0..=240.0).contains(&half_life), "{detail}");
        assert!(field(detail, "adf_p") < 0.10, "{detail}");
        assert!(field(detail, "adx") <= 25.0, "{detail}");
        assert!(field(detail, "vol_pct") <= 0.75, "{detail}");
        let (entry, fair, stop) = (
            field(detail, "entry"),
            field(detail, "fair"),
            field(detail, "stop"),
        );
        // Stop 2 × |fair − entry| beyond the entry, on the 1 JPY grid away from it.
        let raw_stop = entry - (fair - entry) * 2.0;
        assert!((stop - raw_stop).abs() < 1.0 + 1e-6, "{detail}");
        assert!(
            (entry - stop).abs() >= (entry - raw_stop).abs() - 1e-6,
            "{detail}"
        );
        caps.insert(row.ts, field(detail, "cap_min") as i64);
    }
    for trade in &first.records.trades {
        assert_eq!(trade.setup, "mean_reversion");
        assert!(
            matches!(
                trade.exit_reason.as_str(),
                "strategy" | "stop_loss" | "take_profit_2" | "end_of_data"
            ),
            "{trade:?}"
        );
        let cap = caps[&trade.signal_ts];
        let held = (trade.exit_ts.as_i64() - trade.entry_ts.as_i64()) / NANOS_PER_MINUTE;
        assert!(
            held <= cap + 1,
            "held {held} min past the {cap}-minute cap: {trade:?}"
        );
    }
    eprintln!(
        "mean reversion, 3 bitFlyer days: {} signals, {} near-misses, {} trades, net {:?}",
        signals.len(),
        near_misses,
        first.records.trades.len(),
        first.metrics.net_pnl
    );
}
