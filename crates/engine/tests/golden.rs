//! Golden scenarios of the whole engine loop (SPEC 4, 5, 11): a scripted strategy emits
//! intents and exits at given bar closes, the simulated exchange fills them, and every fill
//! and trade is compared with numbers worked out by hand in the comments.
//!
//! Common to every scenario (support/mod.rs): instrument tick 0.1, lot 0.001, maker 2 bps,
//! taker 5 bps, multiplier 1; SPEC 10 risk (2% of available margin, 10×, TP1 30%, max hold
//! 60 min, cooldown 3 min, kill switch 3%) and fill model (latency 130 ms, queue fraction
//! 0.3, funding 0.0001 per 8 h). Times are offsets from 2024-08-01 01:00:00 UTC (`at`), "B1"
//! is the first bar close (01:01:00), "B2" the next one, and so on. Decisions are taken at
//! bar closes: an order decided at B1 reaches the exchange at B1 + 130 ms.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use auction_trader_strategy::{Direction, ExitReason, SignalRecordKind};
use auction_trader_types::{AggressorSide, BookSide, Money};
use support::*;

/// Opening book of most scenarios: bid 100.0 × 500, ask 100.1 × 500, and a first print so
/// that the minute [01:00, 01:01) has a bar.
fn opening() -> Vec<auction_trader_types::MarketEvent> {
    let mut events = touch(at(0), "100.0", "100.1");
    events.push(tick(at(SECOND), "100.0"));
    events
}

/// [`opening`] plus prints at B1 and B1 + 1 s: the first minute closes at B1 (the scripted
/// entry) and the entry order meets a print after its arrival.
fn opening_through_the_first_close() -> Vec<auction_trader_types::MarketEvent> {
    let mut events = opening();
    events.extend([
        tick(at(MINUTE), "100.0"),
        tick(at(MINUTE + SECOND), "100.0"),
    ]);
    events
}

#[test]
fn a_limit_entry_fills_after_the_queue_fraction_has_traded() {
    // Book bid 100.0 × 500, 99.9 × 500 / ask 100.1 × 200, 100.2 × 300.
    // B1: long limit 100.0, stop 98.0 → size = 10,000 × 2% / 2.0 = 100 (notional 10,000 ≤
    // 10×). Sent at B1, arrives B1 + 130 ms.
    // 200 trade at 100.0 at B1 + 100 ms: before the arrival, not ahead of us.
    // Arrival: 500 rest at 100.0 → 0.3 × 500 = 150 must trade; 149.999 are strictly ahead
    // (the 150th unit is ours, SPEC 11.5).
    // B1 + 1 s: 149.998 trade → 0.001 still ahead: no fill.
    // B1 + 2 s: 100.001 trade → 100.000 beyond the queue → the whole 100 fills as maker at
    // 100.0, fee 100 × 100.0 × 0.0002 = 2.0.
    // B2: strategy exit → market sell 100 at B2 + 130 ms into bid 100.0 × 500: fee
    // 100 × 100.0 × 0.0005 = 5.0. Trade: gross 0, fees 7.0, net −7.0.
    let mut events = book(
        at(0),
        &[("100.0", "500"), ("99.9", "500")],
        &[("100.1", "200"), ("100.2", "300")],
    );
    events.extend([
        tick(at(SECOND), "100.0"),
        tick(at(MINUTE), "100.1"),
        trade(at(MINUTE + 100), "100.0", "200", AggressorSide::Sell),
        trade(at(MINUTE + SECOND), "100.0", "149.998", AggressorSide::Sell),
        trade(
            at(MINUTE + 2 * SECOND),
            "100.0",
            "100.001",
            AggressorSide::Sell,
        ),
        tick(at(2 * MINUTE), "100.0"),
        tick(at(2 * MINUTE + SECOND), "100.0"),
    ]);
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(limit_intent(
                at(MINUTE),
                Direction::Long,
                "100.0",
                "98.0",
                "105.0",
            )),
        ),
        (at(2 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(
                1,
                at(MINUTE + 2 * SECOND),
                "buy",
                "100.0",
                "100",
                "maker",
                "2.0"
            ),
            fill(
                2,
                at(2 * MINUTE + 130),
                "sell",
                "100.0",
                "100",
                "taker",
                "5.0"
            ),
        ]
    );
    assert_eq!(outcome.records.orders[0].ts_submit, at(MINUTE));
    assert_eq!(outcome.records.orders[0].status, "filled");
    let trade = outcome.trade(0);
    assert_eq!(trade.entry_liquidity, "maker");
    assert_eq!(trade.entry_price, price("100.0"));
    assert_eq!(trade.exit_reason, "strategy");
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (Money::ZERO, money("7.0"), money("-7.0"))
    );
}

#[test]
fn an_unfilled_limit_entry_converts_to_market_after_its_timeout() {
    // B1: long limit 99.9, stop 97.9 → size 200 / 2.0 = 100; arrives B1 + 130 ms and rests
    // behind 150 of the 500 at 99.9. Nothing ever trades at 99.9.
    // B1 + 30 s: the 100.1 ask is pulled → best ask 100.2 × 300.
    // Timeout at B1 + 130 ms + 60 s = B2 + 130 ms: ConvertedToMarket, market buy 100 at the
    // then best ask 100.2, taker: fee 100 × 100.2 × 0.0005 = 5.01.
    // B3: exit → sell 100 at 100.0 (B3 + 130 ms), fee 5.0.
    // Trade: gross (100.0 − 100.2) × 100 = −20, fees 10.01, net −30.01.
    let mut events = book(
        at(0),
        &[("100.0", "500"), ("99.9", "500")],
        &[("100.1", "200"), ("100.2", "300")],
    );
    events.extend([
        tick(at(SECOND), "100.0"),
        tick(at(MINUTE), "100.0"),
        level(at(MINUTE + 30 * SECOND), BookSide::Ask, "100.1", "0"),
        trade(at(MINUTE + 31 * SECOND), "100.2", "1", AggressorSide::Buy),
        trade(at(2 * MINUTE), "100.2", "1", AggressorSide::Buy),
        trade(at(2 * MINUTE + SECOND), "100.2", "1", AggressorSide::Buy),
        tick(at(3 * MINUTE), "100.0"),
        tick(at(3 * MINUTE + SECOND), "100.0"),
    ]);
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(limit_intent(
                at(MINUTE),
                Direction::Long,
                "99.9",
                "97.9",
                "105.0",
            )),
        ),
        (at(3 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(
                1,
                at(2 * MINUTE + 130),
                "buy",
                "100.2",
                "100",
                "taker",
                "5.01"
            ),
            fill(
                2,
                at(3 * MINUTE + 130),
                "sell",
                "100.0",
                "100",
                "taker",
                "5.0"
            ),
        ]
    );
    assert_eq!(outcome.records.orders[0].status, "converted");
    assert_eq!(outcome.records.orders[0].filled_quantity, qty("100"));
    let trade = outcome.trade(0);
    assert_eq!(trade.entry_liquidity, "taker");
    assert_eq!(trade.entry_ts, at(2 * MINUTE + 130));
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("-20"), money("10.01"), money("-30.01"))
    );
}

#[test]
fn a_market_entry_walks_two_levels() {
    // Asks 100.1 × 40, 100.2 × 300. B1: long market, expected entry 100.1, stop 98.1 →
    // 200 / 2.0 = 100. At B1 + 130 ms it takes 40 at 100.1 (fee 40 × 100.1 × 0.0005 = 2.002)
    // and 60 at 100.2 (fee 60 × 100.2 × 0.0005 = 3.006).
    // VWAP = (40 × 100.1 + 60 × 100.2) / 100 = (4,004 + 6,012) / 100 = 100.16.
    // B2: exit → sell 100 at 100.0, fee 5.0. Gross (100.0 − 100.16) × 100 = −16,
    // fees 2.002 + 3.006 + 5.0 = 10.008, net −26.008.
    let mut events = book(
        at(0),
        &[("100.0", "500")],
        &[("100.1", "40"), ("100.2", "300")],
    );
    events.extend([
        tick(at(SECOND), "100.0"),
        tick(at(MINUTE), "100.0"),
        tick(at(MINUTE + SECOND), "100.0"),
        tick(at(2 * MINUTE), "100.0"),
        tick(at(2 * MINUTE + SECOND), "100.0"),
    ]);
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(market_intent(
                at(MINUTE),
                Direction::Long,
                "100.1",
                "98.1",
                None,
                "105.0",
            )),
        ),
        (at(2 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "40", "taker", "2.002"),
            fill(1, at(MINUTE + 130), "buy", "100.2", "60", "taker", "3.006"),
            fill(
                2,
                at(2 * MINUTE + 130),
                "sell",
                "100.0",
                "100",
                "taker",
                "5.0"
            ),
        ]
    );
    let trade = outcome.trade(0);
    assert_eq!(trade.entry_price, price("100.16"));
    assert_eq!(trade.quantity, qty("100"));
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("-16"), money("10.008"), money("-26.008"))
    );
}

#[test]
fn funding_is_charged_at_midnight_on_an_open_long() {
    // From 2024-07-31 23:57. Bar close 23:58: long market 100 at 100.1 (fee 5.005), filled
    // at 23:58:00.130. At 00:00:00 UTC the long pays 0.0001 × 100 × mark, mark = mid of
    // 100.0 / 100.1 = 100.05 → 1.0005. Close 00:01: exit at 100.0 (fee 5.0).
    // Trade: gross −10, fees 10.005, funding 1.0005, net −10 − 10.005 − 1.0005 = −21.0055.
    let start = MIDNIGHT_2024_08_01 - 180;
    let t = |millis| at_from(start, millis);
    let mut events = touch(t(0), "100.0", "100.1");
    for millis in [
        SECOND,
        MINUTE,
        MINUTE + SECOND,
        2 * MINUTE,
        3 * MINUTE,
        4 * MINUTE,
        4 * MINUTE + SECOND,
    ] {
        events.push(tick(t(millis), "100.0"));
    }
    let script = vec![
        (
            t(MINUTE),
            Scripted::Intent(market_intent(
                t(MINUTE),
                Direction::Long,
                "100.1",
                "98.1",
                None,
                "110.0",
            )),
        ),
        (t(4 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    let midnight = at_from(MIDNIGHT_2024_08_01, 0);
    assert_eq!(outcome.records.funding.len(), 1);
    let payment = outcome.records.funding[0];
    assert_eq!(payment.ts, midnight);
    assert_eq!(payment.mark_price, price("100.05"));
    assert_eq!(payment.position, qty("100"));
    assert_eq!(payment.amount, money("1.0005"));
    let trade = outcome.trade(0);
    assert_eq!(trade.funding, money("1.0005"));
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("-10"), money("10.005"), money("-21.0055"))
    );
}

#[test]
fn take_profit_1_then_breakeven_stop() {
    // Equity 10,000.5 → budget 200.01; long market, entry 100.1, stop 98.1 → 100.005
    // (100,005 lots). TP1 = 30% of 100,005 lots = 30,001.5 → 30,002 lots (half up) = 30.002;
    // TP2 keeps 70.003.
    // Entry at B1 + 130 ms: 100.005 at 100.1, fee 100.005 × 100.1 × 0.0005 = 5.00525025.
    // B1 + 10 s the book moves to 101.0 / 101.1; the print at 101.0 (B1 + 11 s) hits TP1 →
    // sell 30.002 at B1 + 11.130 s at 101.0, fee 30.002 × 101.0 × 0.0005 = 1.515101. The stop
    // moves to the entry, 100.1.
    // B1 + 20 s book 100.1 / 100.2; the print at 100.1 (B1 + 21 s) hits the breakeven stop →
    // sell 70.003 at B1 + 21.130 s at 100.1, fee 70.003 × 100.1 × 0.0005 = 3.50365015.
    // Gross: 30.002 × (101.0 − 100.1) + 0 = 27.0018; fees 10.0240014; net 16.9777986.
    let mut events = opening_through_the_first_close();
    events.extend(touch(at(MINUTE + 10 * SECOND), "101.0", "101.1"));
    events.push(tick(at(MINUTE + 11 * SECOND), "101.0"));
    events.push(tick(at(MINUTE + 12 * SECOND), "101.0"));
    events.extend(touch(at(MINUTE + 20 * SECOND), "100.1", "100.2"));
    events.push(tick(at(MINUTE + 21 * SECOND), "100.1"));
    events.push(tick(at(MINUTE + 22 * SECOND), "100.1"));
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(market_intent(
            at(MINUTE),
            Direction::Long,
            "100.1",
            "98.1",
            Some("101.0"),
            "103.0",
        )),
    )];
    let outcome = run("10000.5", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(
                1,
                at(MINUTE + 130),
                "buy",
                "100.1",
                "100.005",
                "taker",
                "5.00525025"
            ),
            fill(
                2,
                at(MINUTE + 11_130),
                "sell",
                "101.0",
                "30.002",
                "taker",
                "1.515101"
            ),
            fill(
                3,
                at(MINUTE + 21_130),
                "sell",
                "100.1",
                "70.003",
                "taker",
                "3.50365015"
            ),
        ]
    );
    let trade = outcome.trade(0);
    let legs: Vec<_> = trade
        .legs
        .iter()
        .map(|leg| (leg.reason.as_str(), leg.quantity, leg.price))
        .collect();
    assert_eq!(
        legs,
        vec![
            ("take_profit_1", qty("30.002"), price("101.0")),
            ("breakeven_stop", qty("70.003"), price("100.1")),
        ]
    );
    assert_eq!(trade.exit_reason, "breakeven_stop");
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("27.0018"), money("10.0240014"), money("16.9777986"))
    );
    assert_eq!(outcome.closed, vec![ExitReason::BreakevenStop]);
}

#[test]
fn max_hold_keeps_a_profitable_position_and_closes_it_when_it_is_not() {
    // Long market 100 at 100.1 at B1 + 130 ms (fee 5.005). The max-hold clock starts at the
    // first close after the fill, B2 (01:02), so max hold is reached at 01:62 = 02:02.
    // 01:30 the book moves to 100.3 / 100.4. At the 02:02 close (SPEC 11.7 logic): unrealized
    // (100.3 − 100.1) × 100 = 20, − entry fee 5.005, − taker exit 100 × 100.3 × 0.0005 = 5.015,
    // − funding 0 → 9.98 > 0 → hold.
    // 02:02:30 the book moves to 100.2 / 100.3. At the 02:03 close: 10 − 5.005 − 5.01 = −0.015
    // → not profitable → exit at this close: sell 100 at 100.2 at 02:03:00.130, fee 5.01.
    // Trade: gross 10, fees 10.015, net −0.015, reason max_hold.
    let mut events = opening_through_the_first_close();
    events.extend(touch(at(30 * MINUTE), "100.3", "100.4"));
    events.push(tick(at(30 * MINUTE + SECOND), "100.3"));
    events.push(tick(at(62 * MINUTE), "100.3"));
    events.extend(touch(at(62 * MINUTE + 30 * SECOND), "100.2", "100.3"));
    events.push(tick(at(63 * MINUTE), "100.2"));
    events.push(tick(at(63 * MINUTE + SECOND), "100.2"));
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(market_intent(
            at(MINUTE),
            Direction::Long,
            "100.1",
            "98.1",
            None,
            "105.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(63 * MINUTE + 130),
                "sell",
                "100.2",
                "100",
                "taker",
                "5.01"
            ),
        ]
    );
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "max_hold");
    assert_eq!(outcome.records.orders[1].ts_submit, at(63 * MINUTE));
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("10"), money("10.015"), money("-0.015"))
    );
}

#[test]
fn cooldown_refuses_a_signal_two_minutes_after_a_full_exit_and_takes_one_at_three() {
    // Long market 100 at 100.1 (B1 + 130 ms, fee 5.005). B2 − 1 s the book drops to
    // 98.0 / 98.1; the print at 98.0 at B2 − 130 ms hits the stop 98.1 → sell 100 arrives at
    // B2 exactly: 98.0, fee 4.9. Full exit at B2 → cooldown until B2 + 3 min = B5.
    // Trade 1: gross −210, fees 9.905, net −219.905.
    // B4 (2 min after): refused, signals.db `suppressed`. B5 (3 min after): taken. Equity
    // 10,000 − 219.905 = 9,780.095 → budget 195.6019 / 2.0 = 97.80095 → 97.800 lots-rounded;
    // buy 97.8 at 98.1 (B5 + 130 ms), fee 97.8 × 98.1 × 0.0005 = 4.79709.
    // B6: exit → sell 97.8 at 98.0, fee 97.8 × 98.0 × 0.0005 = 4.7922.
    let mut events = opening_through_the_first_close();
    events.extend(touch(at(2 * MINUTE - SECOND), "98.0", "98.1"));
    events.push(tick(at(2 * MINUTE - 130), "98.0"));
    for minute in 2..=6 {
        events.push(tick(at(minute * MINUTE), "98.0"));
        events.push(tick(at(minute * MINUTE + SECOND), "98.0"));
    }
    let long = |minute| {
        Scripted::Intent(market_intent(
            at(minute * MINUTE),
            Direction::Long,
            if minute == 1 { "100.1" } else { "98.1" },
            if minute == 1 { "98.1" } else { "96.1" },
            None,
            "105.0",
        ))
    };
    let script = vec![
        (at(MINUTE), long(1)),
        (at(4 * MINUTE), long(4)),
        (at(5 * MINUTE), long(5)),
        (at(6 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(2, at(2 * MINUTE), "sell", "98.0", "100", "taker", "4.9"),
            fill(
                3,
                at(5 * MINUTE + 130),
                "buy",
                "98.1",
                "97.8",
                "taker",
                "4.79709"
            ),
            fill(
                4,
                at(6 * MINUTE + 130),
                "sell",
                "98.0",
                "97.8",
                "taker",
                "4.7922"
            ),
        ]
    );
    assert_eq!(outcome.trade(0).exit_reason, "stop_loss");
    assert_eq!(outcome.trade(0).net_pnl, money("-219.905"));
    assert_eq!(outcome.trade(1).signal_ts, at(5 * MINUTE));
    let suppressed = outcome.suppressed();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].ts, at(4 * MINUTE));
    assert_eq!(suppressed[0].kind, SignalRecordKind::Suppressed);
    assert!(
        suppressed[0].detail.contains("cooldown"),
        "{}",
        suppressed[0].detail
    );
    // The strategy saw the block at B3 and B4 (at B2 the close comes before the exit fill),
    // not at B5.
    let blocked: Vec<_> = outcome
        .closes
        .iter()
        .filter(|(_, blocked)| *blocked)
        .map(|(ts, _)| *ts)
        .collect();
    assert_eq!(blocked, vec![at(3 * MINUTE), at(4 * MINUTE)]);
    assert_eq!(outcome.counters.intents_refused, 1);
}

#[test]
fn an_opposite_signal_flips_as_two_trades_without_cooldown() {
    // Long market 100 at 100.1 (B1 + 130 ms, fee 5.005). B2: short signal (entry 100.0,
    // stop 102.0) while long → close at market (reason flip): sell 100 at 100.0 at
    // B2 + 130 ms, fee 5.0. Trade 1: gross −10, fees 10.005, net −20.005.
    // The fill is seen at the B2 + 1 s event; the short entry goes out then (no cooldown):
    // equity 9,979.995 → budget 199.5999 / 2.0 = 99.79995 → 99.799; sell 99.799 at 100.0 at
    // B2 + 1.130 s, fee 99.799 × 100.0 × 0.0005 = 4.98995.
    // B3: exit → buy 99.799 at 100.1, fee 9,989.8799 × 0.0005 = 4.99493995.
    // Trade 2: gross −0.1 × 99.799 = −9.9799, fees 4.98995 + 4.99493995 = 9.98488995,
    // net −19.96478995.
    let mut events = opening();
    for millis in [
        MINUTE,
        MINUTE + SECOND,
        2 * MINUTE,
        2 * MINUTE + SECOND,
        2 * MINUTE + 2 * SECOND,
        3 * MINUTE,
        3 * MINUTE + SECOND,
    ] {
        events.push(tick(at(millis), "100.0"));
    }
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(market_intent(
                at(MINUTE),
                Direction::Long,
                "100.1",
                "98.1",
                None,
                "105.0",
            )),
        ),
        (
            at(2 * MINUTE),
            Scripted::Intent(market_intent(
                at(2 * MINUTE),
                Direction::Short,
                "100.0",
                "102.0",
                None,
                "95.0",
            )),
        ),
        (at(3 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(2 * MINUTE + 130),
                "sell",
                "100.0",
                "100",
                "taker",
                "5.0"
            ),
            fill(
                3,
                at(2 * MINUTE + 1_130),
                "sell",
                "100.0",
                "99.799",
                "taker",
                "4.98995"
            ),
            fill(
                4,
                at(3 * MINUTE + 130),
                "buy",
                "100.1",
                "99.799",
                "taker",
                "4.99493995"
            ),
        ]
    );
    assert_eq!(outcome.records.trades.len(), 2);
    let (first, second) = (outcome.trade(0), outcome.trade(1));
    assert_eq!(
        (first.direction.as_str(), first.exit_reason.as_str()),
        ("long", "flip")
    );
    assert_eq!(first.net_pnl, money("-20.005"));
    assert_eq!(second.direction, "short");
    assert_eq!(second.trade_id, 2);
    assert_eq!(second.signal_ts, at(2 * MINUTE));
    assert_eq!(
        (second.gross_pnl, second.fees, second.net_pnl),
        (money("-9.9799"), money("9.98488995"), money("-19.96478995"))
    );
    assert!(outcome.suppressed().is_empty());
    assert_eq!(outcome.closed, vec![ExitReason::Flip, ExitReason::Strategy]);
}

#[test]
fn the_daily_kill_switch_halts_entries_until_midnight() {
    // From 2024-08-01 23:50. The day's starting equity is 10,000 (first close, 23:51), the
    // limit −3% = −300. Long market 100 at 100.1 (23:51:00.130, fee 5.005). 23:51:30 the
    // book gaps to 96.0 / 96.1; the print at 96.0 hits the stop 98.1 → sell 100 at 96.0 at
    // 23:51:31.130, fee 4.8. Day P&L: −410 − 5.005 − 4.8 = −419.805 < −300 → halted until
    // 2024-08-02 00:00.
    // 23:58 (cooldown long over): refused by the kill switch. 00:00: taken. Equity 9,580.195
    // → budget 191.6039 / 2.0 = 95.80195 → 95.801; buy at 96.1 at 00:00:00.130 (after the
    // 00:00 funding time, flat then: no funding), fee 95.801 × 96.1 × 0.0005 = 4.60323805.
    // 00:01: exit → sell 95.801 at 96.0, fee 95.801 × 96.0 × 0.0005 = 4.598448.
    let start = MIDNIGHT_2024_08_01 + 86_400 - 600;
    let t = |millis| at_from(start, millis);
    let mut events = touch(t(0), "100.0", "100.1");
    events.push(tick(t(SECOND), "100.0"));
    events.push(tick(t(MINUTE), "100.0"));
    events.push(tick(t(MINUTE + SECOND), "100.0"));
    events.extend(touch(t(MINUTE + 30 * SECOND), "96.0", "96.1"));
    events.push(tick(t(MINUTE + 31 * SECOND), "96.0"));
    events.push(tick(t(MINUTE + 32 * SECOND), "96.0"));
    for minute in 5..=11 {
        events.push(tick(t(minute * MINUTE), "96.0"));
        events.push(tick(t(minute * MINUTE + SECOND), "96.0"));
    }
    let long = |minute, entry, stop| {
        Scripted::Intent(market_intent(
            t(minute * MINUTE),
            Direction::Long,
            entry,
            stop,
            None,
            "110.0",
        ))
    };
    let script = vec![
        (t(MINUTE), long(1, "100.1", "98.1")),
        (t(8 * MINUTE), long(8, "96.1", "94.1")),
        (t(10 * MINUTE), long(10, "96.1", "94.1")),
        (t(11 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, t(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(2, t(MINUTE + 31_130), "sell", "96.0", "100", "taker", "4.8"),
            fill(
                3,
                t(10 * MINUTE + 130),
                "buy",
                "96.1",
                "95.801",
                "taker",
                "4.60323805"
            ),
            fill(
                4,
                t(11 * MINUTE + 130),
                "sell",
                "96.0",
                "95.801",
                "taker",
                "4.598448"
            ),
        ]
    );
    assert_eq!(outcome.trade(0).net_pnl, money("-419.805"));
    let suppressed = outcome.suppressed();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].ts, t(8 * MINUTE));
    assert!(
        suppressed[0].detail.contains("daily loss limit"),
        "{}",
        suppressed[0].detail
    );
    assert_eq!(outcome.trade(1).signal_ts, t(10 * MINUTE));
    assert!(outcome.records.funding.is_empty());
}

#[test]
fn bar_only_data_a_stop_and_a_target_in_one_bar_take_the_stop() {
    // Bars only (no trades, quotes or depth). Bar 1 closes at B1 at 100.0 → long market,
    // stop 98.1, TP1 102.0, TP2 104.0 → 100. At B1 + 130 ms there is no book: the fill is the
    // last trade (bar 1 close 100.0) + half the typical spread (1 tick) = 100.1, fee 5.005.
    // Bar 2 (B2): low 97.5 ≤ stop 98.1 and high 104.5 ≥ both targets → stop first (SPEC 5
    // worst case): sell 100 at B2 + 130 ms at the stop level (bar 2 opened at 100.0, above
    // the stop: no gap) − half the spread (1 tick) = 98.0, fee 100 × 98.0 × 5 bps = 4.9.
    // (Regression: it used to fill at bar 2's close 100.5 − 1 tick = 100.4, a stop that made
    // money.) Trade: reason stop_loss, gross (98.0 − 100.1) × 100 = −210, fees 9.905,
    // net −219.905.
    let events = vec![
        bar(at(MINUTE), "100.0", "100.2", "99.9", "100.0"),
        bar(at(2 * MINUTE), "100.0", "104.5", "97.5", "100.5"),
        bar(at(3 * MINUTE), "100.5", "100.6", "100.4", "100.5"),
    ];
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(market_intent(
            at(MINUTE),
            Direction::Long,
            "100.1",
            "98.1",
            Some("102.0"),
            "104.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    // One bar close per bar, at the bar's own close, with the bar's own prices.
    assert_eq!(
        outcome.bars,
        vec![
            (at(MINUTE), price("100.2"), price("99.9"), price("100.0")),
            (
                at(2 * MINUTE),
                price("104.5"),
                price("97.5"),
                price("100.5")
            ),
            (
                at(3 * MINUTE),
                price("100.6"),
                price("100.4"),
                price("100.5")
            ),
        ]
    );
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(2 * MINUTE + 130),
                "sell",
                "98.0",
                "100",
                "taker",
                "4.9"
            ),
        ]
    );
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "stop_loss");
    assert_eq!(trade.legs.len(), 1);
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("-210"), money("9.905"), money("-219.905"))
    );
}

#[test]
fn bars_with_quotes_a_stop_and_a_target_in_one_bar_take_the_stop_at_its_level() {
    // The bar-only scenario above with a quote at each bar close (LEAN trade + quote files),
    // replayed in merge order (the quote before the bar at the same time). Regression: a quote
    // switched the exchange to tick mode, which ignored bars, while the engine still fired the
    // stop from bar 2's low: the stop filled at bar 2's closing bid 100.4, a stop that made
    // money.
    // B1: quote 99.9 / 100.1 × 500 → the long market 100 fills at the fresh quote's ask 100.1
    // (100 <= 500 quoted), fee 5.005. B2: the stop 98.1 fills at its level − half the typical
    // spread (0.2 / 2 = one tick) = 98.0, fee 4.9. Trade: gross −210, fees 9.905.
    use auction_trader_testkit::events::quote;
    let events = vec![
        quote(at(MINUTE), "99.9", "500", "100.1", "500"),
        bar(at(MINUTE), "100.0", "100.2", "99.9", "100.0"),
        quote(at(2 * MINUTE), "100.4", "500", "100.6", "500"),
        bar(at(2 * MINUTE), "100.0", "104.5", "97.5", "100.5"),
        quote(at(3 * MINUTE), "100.4", "500", "100.6", "500"),
        bar(at(3 * MINUTE), "100.5", "100.6", "100.4", "100.5"),
    ];
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(market_intent(
            at(MINUTE),
            Direction::Long,
            "100.1",
            "98.1",
            Some("102.0"),
            "104.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(2 * MINUTE + 130),
                "sell",
                "98.0",
                "100",
                "taker",
                "4.9"
            ),
        ]
    );
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "stop_loss");
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("-210"), money("9.905"), money("-219.905"))
    );
}

#[test]
fn orders_decided_at_a_close_leave_at_the_close_not_at_the_next_event() {
    // Regression: the minute [01:00, 01:01) is closed by the first event after it, a book
    // move to 101.0 / 101.1 at B1 + 5 s. The decision belongs to the close B1: the market buy
    // is sent at B1, reaches the exchange at B1 + 130 ms and fills at the book of that moment
    // (ask 100.1), before the move: 100 at 100.1, fee 5.005. (Sent at the event instead, it
    // would have filled at 101.1 at B1 + 5.130 s.)
    let mut events = opening();
    events.extend(touch(at(MINUTE + 5 * SECOND), "101.0", "101.1"));
    events.push(tick(at(MINUTE + 6 * SECOND), "101.0"));
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(market_intent(
            at(MINUTE),
            Direction::Long,
            "100.1",
            "98.1",
            None,
            "105.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    assert_eq!(outcome.records.orders[0].ts_submit, at(MINUTE));
    assert_eq!(
        outcome.fills()[0],
        fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005")
    );
}

#[test]
fn a_bar_in_a_trade_stream_does_not_trigger_stops() {
    // Regression: trades and bars mixed (both stored for one instrument). Long 100 at 100.1
    // (B1 + 130 ms). The bar of [01:01, 01:02) arrives at B2 with low 97.0 (below the stop
    // 98.1), but no trade printed at or below 98.1: the trades are the truth, the position
    // stays open until the strategy exit at B3 (sell 100 at 100.0, fee 5.0).
    let mut events = opening();
    events.extend([
        tick(at(MINUTE), "100.0"),
        tick(at(MINUTE + SECOND), "100.0"),
        tick(at(2 * MINUTE), "100.0"),
        bar(at(2 * MINUTE), "100.0", "100.1", "97.0", "100.0"),
        tick(at(3 * MINUTE), "100.0"),
        tick(at(3 * MINUTE + SECOND), "100.0"),
    ]);
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(market_intent(
                at(MINUTE),
                Direction::Long,
                "100.1",
                "98.1",
                None,
                "105.0",
            )),
        ),
        (at(3 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(3 * MINUTE + 130),
                "sell",
                "100.0",
                "100",
                "taker",
                "5.0"
            ),
        ]
    );
    assert_eq!(outcome.trade(0).exit_reason, "strategy");
}
