//! Hand-worked examples of every drain research table.

use auction_trader_types::{
    Direction, EntryLiquidity, Money, Price, Quantity, SetupKind, UnixNanos,
};

use super::*;
use crate::test_support::{HOUR, money};

fn trade(id: u64, signal_ts: i64, gross: &str, fees: &str, net: &str, exit: &str) -> TradeRecord {
    TradeRecord {
        trade_id: id,
        setup: SetupKind::Drain,
        direction: Direction::Long,
        signal_ts: UnixNanos(signal_ts),
        entry_ts: UnixNanos(signal_ts + 1),
        entry_price: Price::from_units(60_000).unwrap(),
        quantity: Quantity::ONE,
        entry_liquidity: EntryLiquidity::Maker,
        stop: Price::from_units(59_928).unwrap(),
        take_profit_1: None,
        take_profit_2: Price::from_units(60_048).unwrap(),
        exit_ts: UnixNanos(signal_ts + 2),
        exit_price: Price::from_units(60_000).unwrap(),
        exit_reason: exit.parse().unwrap(),
        legs: Vec::new(),
        gross_pnl: money(gross),
        fees: money(fees),
        funding: Money::ZERO,
        slippage: money("0.5"),
        net_pnl: money(net),
    }
}

fn verdict(ts: i64, outcome: &str, detail: &str) -> SignalEntry {
    SignalEntry {
        ts: UnixNanos(ts),
        kind: "signal".to_owned(),
        direction: Some("long".to_owned()),
        machine: "drain_long".to_owned(),
        from_state: "verdict".to_owned(),
        to_state: outcome.to_owned(),
        detail: format!("signal_ts={} {detail}", ts - 2),
    }
}

fn row(machine: &str, from: &str, to: &str, detail: &str) -> SignalEntry {
    SignalEntry {
        ts: UnixNanos(0),
        kind: "transition".to_owned(),
        direction: None,
        machine: machine.to_owned(),
        from_state: from.to_owned(),
        to_state: to.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Four placed signals in hour 1 (Asia) and one in hour 17 (US), one spoof cleanup.
fn sample() -> (Vec<TradeRecord>, Vec<SignalEntry>) {
    let h1 = HOUR + 10;
    let h17 = 17 * HOUR + 10;
    let real = "regime=real_pressure";
    let entries = vec![
        verdict(
            h1,
            "signal",
            &format!(
                "{real} book_ctr=5.0 absorption=0.1 churn=high spread_ratio=2.0 recent_ghost=false rv_1m=1.0 placement=touch time_exit_source=fallback"
            ),
        ),
        verdict(
            h1 + 100,
            "signal",
            &format!(
                "{real} book_ctr=1.0 absorption=0.5 churn=calm spread_ratio=1.0 recent_ghost=true rv_1m=2.0 placement=touch time_exit_source=measured"
            ),
        ),
        verdict(
            h1 + 200,
            "signal",
            &format!(
                "{real} book_ctr=1.0 absorption=0.3 churn=calm spread_ratio=1.0 recent_ghost=false rv_1m=3.0 placement=improve time_exit_source=fallback"
            ),
        ),
        verdict(
            h1 + 300,
            "low_confidence",
            &format!("{real} rv_1m=4.0 absorption=0.9"),
        ),
        verdict(
            h17,
            "signal",
            &format!(
                "{real} book_ctr=0.5 absorption=0.2 churn=calm spread_ratio=1.0 recent_ghost=false rv_1m=5.0 placement=touch time_exit_source=fallback"
            ),
        ),
        verdict(h17 + 100, "spoof_cleanup", "regime=spoof_cleanup"),
        row("drain_long", "working", "filled", "placement=touch"),
        row("drain_long", "working", "filled", "placement=touch"),
        row("drain_long", "working", "filled", "placement=improve"),
        row("drain_long", "working", "filled", "placement=touch"),
        row("drain_long", "working", "cancelled", "placement=touch"),
        row("drain_long", "working", "cancelled", "placement=improve"),
        row(
            "drain_half_life",
            "measuring",
            "measured",
            "session=asia signals=1 peak_bps=2.0 peak_s=5 half_life_s=none adf_stat=-1.0 adf_p=0.7",
        ),
        row(
            "drain_half_life",
            "measuring",
            "measured",
            "session=asia signals=2 peak_bps=3.0 peak_s=4 half_life_s=12.5 adf_stat=-3.5 adf_p=0.008",
        ),
    ];
    // Gross 30 + 10 + 40 − 20 = 60; fees 12 × 4 = 48 → net 18 − 2 + 28 − 32 = 12.
    let trades = vec![
        trade(1, h1, "30", "12", "18", "take_profit_2"),
        trade(2, h1 + 100, "10", "12", "-2", "strategy"),
        trade(3, h1 + 200, "40", "12", "28", "take_profit_2"),
        trade(4, h17, "-20", "12", "-32", "stop_loss"),
    ];
    (trades, entries)
}

#[test]
fn cost_report_and_verdicts() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    let cost = &research.cost;
    assert_eq!(
        (cost.gross, cost.fees, cost.net),
        (money("60"), money("48"), money("12"))
    );
    assert_eq!(cost.slippage, money("2"));
    // Fees ate 48 / 60 = 80% of the gross edge.
    assert!((cost.fees_share_of_gross.unwrap() - 0.8).abs() < 1e-12);
    assert_eq!(cost.costs_share_of_gross, cost.fees_share_of_gross);
    let v = research.verdicts;
    assert_eq!((v.verdicts, v.real_pressure, v.spoof_cleanup), (6, 5, 1));
    assert_eq!((v.low_confidence, v.placed), (1, 4));
}

#[test]
fn half_life_table_uses_the_last_estimate_of_each_session() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    assert_eq!(
        research.half_life.len(),
        2,
        "Asia (estimate) and US (exits only)"
    );
    let asia = &research.half_life[0];
    assert_eq!((asia.session, asia.signals), (Session::Asia, 2));
    assert_eq!(asia.half_life_seconds, Some(12.5));
    assert_eq!(asia.unit_root_rejected, Some(true), "p 0.008 < 0.10");
    assert_eq!((asia.measured_exits, asia.fallback_exits), (1, 2));
    let us = &research.half_life[1];
    assert_eq!(
        (us.session, us.signals, us.half_life_seconds),
        (Session::Us, 0, None)
    );
    assert_eq!((us.measured_exits, us.fallback_exits), (0, 1));
}

#[test]
fn distribution_buckets_and_toxic_periods() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    // Hour 01: 4 signals, 3 trades, 2 wins, net 44; hour 17: 1 signal, 1 losing trade.
    // Median count (4, 1) = 2.5: hour 01 is busy but wins 67% → not toxic; hour 17 loses
    // but is quiet → not toxic.
    let hours: Vec<(&str, usize, usize, usize, bool)> = research
        .by_hour
        .iter()
        .map(|b| (b.key.as_str(), b.signals, b.trades, b.wins, b.toxic))
        .collect();
    assert_eq!(hours, vec![("01", 4, 3, 2, false), ("17", 1, 1, 0, false)]);
    assert_eq!(research.by_hour[0].net, money("44"));
    assert_eq!(research.by_session[0].key, "0 asia");
    // Terciles of rv_1m 1..5: cuts at 2.333 and 3.667 → low {1, 2}, mid {3}, high {4, 5}.
    let (low, high) = research.volatility_cuts.unwrap();
    assert!((low - 7.0 / 3.0).abs() < 1e-12 && (high - 11.0 / 3.0).abs() < 1e-12);
    let terciles: Vec<(&str, usize, usize, bool)> = research
        .by_volatility
        .iter()
        .map(|b| (b.key.as_str(), b.signals, b.trades, b.toxic))
        .collect();
    // Median count (2, 1, 2) = 2: none above it → no toxic tercile.
    assert_eq!(
        terciles,
        vec![
            ("1 low", 2, 2, false),
            ("2 mid", 1, 1, false),
            ("3 high", 2, 1, false)
        ]
    );
    // A busy losing bucket is toxic: hour 17 with three more signals.
    let mut busy = entries.clone();
    for offset in 1..=4 {
        busy.push(verdict(
            17 * HOUR + 10 + offset * 1_000,
            "unstable",
            "regime=real_pressure",
        ));
    }
    let research = drain_research("BTCUSDT", &trades, &busy);
    assert!(research.by_hour[1].toxic && !research.by_hour[0].toxic);
}

#[test]
fn autopsy_tags_and_patterns() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    // Losing trades: 4 (−32) then 2 (−2); ⌈2/10⌉ = 1 worst-decile trade.
    let ids: Vec<(u64, bool)> = research
        .autopsy
        .iter()
        .map(|row| (row.trade_id, row.worst_decile))
        .collect();
    assert_eq!(ids, vec![(4, true), (2, false)]);
    // Absorption median of the 5 signals (0.1, 0.5, 0.3, 0.9, 0.2) = 0.3: trade 4 (0.2) is
    // absorbed; trade 2 (0.5) is not but had a ghost.
    assert_eq!(research.autopsy[0].tags, vec!["absorbed", "stop_loss"]);
    assert_eq!(research.autopsy[1].tags, vec!["ghost", "strategy"]);
    assert_eq!(research.autopsy[0].regime, "real_pressure");
    let patterns: Vec<(&str, usize, usize)> = research
        .patterns
        .iter()
        .map(|p| (p.tags.as_str(), p.trades, p.in_worst_decile))
        .collect();
    // Equal counts: the larger loss first.
    assert_eq!(
        patterns,
        vec![("absorbed+stop_loss", 1, 1), ("ghost+strategy", 1, 0)]
    );
}

#[test]
fn fill_rates_against_expected_ranges() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    // Improve: 1 of 2 = 50% (within 50–65%); touch: 3 of 4 = 75% (above 25–40%).
    let improve = &research.fill_rates[0];
    assert_eq!(
        (improve.placed, improve.filled, improve.within),
        (2, 1, Some(true))
    );
    let touch = &research.fill_rates[1];
    assert_eq!((touch.placed, touch.filled), (4, 3));
    assert_eq!((touch.rate, touch.within), (Some(0.75), Some(false)));
}

#[test]
fn validation_against_the_seed_expectations() {
    let (trades, entries) = sample();
    let filtered = run_side(&trades, &entries);
    // Filtered: 5 signals, 4 trades, 2 wins (50%); nets 18, −2, 28, −32: mean 3,
    // sample std = sqrt((225 + 25 + 625 + 1225) / 3) = sqrt(700) = 26.458 → 0.11339.
    assert_eq!(
        (filtered.verdicts, filtered.signals, filtered.trades),
        (6, 5, 4)
    );
    assert!((filtered.trade_sharpe.unwrap() - 3.0 / 700f64.sqrt()).abs() < 1e-12);
    // Raw: 7 signals, 3 trades of which 1 won (33.3%).
    let mut raw_entries = entries.clone();
    raw_entries.push(verdict(5 * HOUR, "unstable", "regime=real_pressure"));
    raw_entries.push(verdict(6 * HOUR, "unstable", "regime=real_pressure"));
    let raw_trades = vec![trades[0].clone(), trades[1].clone(), trades[3].clone()];
    let raw = run_side(&raw_trades, &raw_entries);
    assert_eq!(raw.signals, 7);
    let validation = validation(filtered, raw);
    // 5 / 7 − 1 = −28.6% (within −35..−20%); 50 − 33.3 = +16.7 points (above +4..+8).
    assert!((validation.signal_delta.unwrap() + 2.0 / 7.0).abs() < 1e-12);
    assert_eq!(validation.signal_delta_within, Some(true));
    assert!((validation.win_rate_delta_points.unwrap() - 50.0 / 3.0).abs() < 1e-9);
    assert_eq!(validation.win_rate_delta_within, Some(false));
    assert!(validation.sharpe_delta.is_some());
    // `report <run>` carries an earlier validation over through drain_research.json.
    let text = serde_json::to_string(&validation).unwrap();
    let mut back: Validation = serde_json::from_str(&text).unwrap();
    // JSON floats come back within an ulp (serde_json without float_roundtrip).
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
        (a, b) => a == b,
    };
    assert!(close(
        back.filtered.trade_sharpe,
        validation.filtered.trade_sharpe
    ));
    assert!(close(back.sharpe_delta, validation.sharpe_delta));
    back.filtered.trade_sharpe = validation.filtered.trade_sharpe;
    back.raw.trade_sharpe = validation.raw.trade_sharpe;
    back.sharpe_delta = validation.sharpe_delta;
    assert_eq!(back, validation);
}

#[test]
fn text_rendering_names_every_section() {
    let (trades, entries) = sample();
    let research = drain_research("BTCUSDT", &trades, &entries);
    let text = crate::drain_research::research_text(&research, "USDT");
    for needle in [
        "cost-adjusted P&L (4 trades)",
        "80.0%",
        "signal half-life",
        "by volatility tercile",
        "losing-trade autopsy (2 losing trades",
        "absorbed+stop_loss",
        "fill rates",
        "no raw-depth run given",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}
