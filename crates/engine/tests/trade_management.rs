//! Golden scenarios of the engine's order and trade management beyond the happy path: a
//! partly filled entry, entries whose stop or target makes them pointless (SPEC 3.1), the
//! order of venue processing and bar closes, cancels that overtake their order, rejected
//! exits, and max hold at the exit-side price with the venue's fee (SPEC 4, 11.7).
//!
//! Conventions as in `golden.rs`: tick 0.1, lot 0.001, maker 2 bps, taker 5 bps, SPEC 10 risk
//! and fill model; times are offsets from 2024-08-01 01:00:00 UTC, B1 = 01:01:00.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use auction_trader_engine::{Engine, EngineSettings, RunCollector, Venue};
use auction_trader_execution::{FillModelConfig, LatencyConfig, SimulatedExchange};
use auction_trader_features::FeatureEngine;
use auction_trader_risk::{RiskConfig, RiskManager};
use auction_trader_strategy::{Direction, ExitReason};
use auction_trader_types::{
    AggressorSide, ExecutionReport, MarketEvent, NANOS_PER_MILLI, NANOS_PER_SECOND, OrderId,
    OrderRequest, OrderSide, Price, Rate, RejectReason, UnixNanos,
};
use support::*;

fn opening() -> Vec<auction_trader_types::MarketEvent> {
    let mut events = touch(at(0), "100.0", "100.1");
    events.push(tick(at(SECOND), "100.0"));
    events
}

#[test]
fn a_partly_filled_entry_sizes_tp1_on_its_fill_and_its_rest_is_cancelled_never_converted() {
    // B1: long limit 100.0, stop 98.0, TP1 101.0, TP2 102.0 → 100 (200 / 2.0). Arrives
    // B1 + 130 ms behind 149.999 of the 500 at 100.0.
    // B1 + 1 s: 199.999 trade at 100.0 → 50.000 beyond the queue → 50 fill as maker, fee
    // 50 × 100 × 0.0002 = 1.0; 50 still work.
    // B1 + 2 s: the book moves to 100.9 / 101.0; B1 + 2.5 s a print at 101.0 hits TP1:
    // 30 % of the FILLED 50 = 15 (not 30 % of 100), and the entry's rest is cancelled.
    // TP1 sells 15 at 100.9 at B1 + 2.63 s (fee 15 × 100.9 × 0.0005 = 0.75675).
    // B1 + 3 s: book 101.9 / 102.0; B1 + 4 s a print at 102.0 hits TP2: 35 sold at 101.9
    // (fee 35 × 101.9 × 0.0005 = 1.78325). B1 + 10 s the book is back at 100.4 / 100.5; the
    // entry's timeout (B2 + 130 ms) finds nothing: no conversion, no new position.
    // Trade: gross 15 × 0.9 + 35 × 1.9 = 80, fees 3.54, net 76.46.
    let mut events = opening();
    events.extend([
        tick(at(MINUTE), "100.0"),
        trade(at(MINUTE + SECOND), "100.0", "199.999", AggressorSide::Sell),
    ]);
    events.extend(touch(at(MINUTE + 2 * SECOND), "100.9", "101.0"));
    events.push(trade(at(MINUTE + 2_500), "101.0", "1", AggressorSide::Buy));
    events.extend(touch(at(MINUTE + 3 * SECOND), "101.9", "102.0"));
    events.push(trade(
        at(MINUTE + 4 * SECOND),
        "102.0",
        "1",
        AggressorSide::Buy,
    ));
    // The market comes back between the stop and TP1 before the entry's timeout: a rest
    // still working would convert here and open a new position.
    events.extend(touch(at(MINUTE + 10 * SECOND), "100.4", "100.5"));
    events.extend([
        tick(at(2 * MINUTE), "100.4"),
        tick(at(2 * MINUTE + SECOND), "100.4"),
        tick(at(3 * MINUTE), "100.4"),
    ]);
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(limit_intent_with_targets(
            at(MINUTE),
            Direction::Long,
            "100.0",
            "98.0",
            "101.0",
            "102.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + SECOND), "buy", "100.0", "50", "maker", "1.0"),
            fill(
                2,
                at(MINUTE + 2_630),
                "sell",
                "100.9",
                "15",
                "taker",
                "0.75675"
            ),
            fill(
                3,
                at(MINUTE + 4_130),
                "sell",
                "101.9",
                "35",
                "taker",
                "1.78325"
            ),
        ]
    );
    assert_eq!(outcome.records.orders[0].status, "canceled");
    assert_eq!(outcome.records.trades.len(), 1);
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "take_profit_2");
    assert_eq!(trade.quantity, qty("50"));
    assert_eq!(
        (trade.gross_pnl, trade.fees, trade.net_pnl),
        (money("80"), money("3.54"), money("76.46"))
    );
}

#[test]
fn an_entry_is_not_converted_to_market_beyond_its_first_target() {
    // B1: long limit 99.9 (rests, nothing trades there), stop 97.9, TP1 100.5, TP2 101.0.
    // B1 + 30 s the market moves to 100.5 / 100.6: at the timeout (B2 + 130 ms) a market buy
    // would pay 100.6, beyond TP1 100.5 — the move is over. The venue cancels instead of
    // converting (no fill, no trade) and signals.db gets the cancelled entry.
    let mut events = book(
        at(0),
        &[("100.0", "500"), ("99.9", "500")],
        &[("100.1", "500")],
    );
    events.push(tick(at(SECOND), "100.0"));
    events.push(tick(at(MINUTE), "100.0"));
    events.extend(book(
        at(MINUTE + 30 * SECOND),
        &[("100.5", "500"), ("99.9", "500")],
        &[("100.6", "500")],
    ));
    events.extend([
        trade(at(MINUTE + 31 * SECOND), "100.6", "1", AggressorSide::Buy),
        trade(at(2 * MINUTE + SECOND), "100.6", "1", AggressorSide::Buy),
        trade(at(3 * MINUTE), "100.6", "1", AggressorSide::Buy),
    ]);
    let script = vec![(
        at(MINUTE),
        Scripted::Intent(limit_intent_with_targets(
            at(MINUTE),
            Direction::Long,
            "99.9",
            "97.9",
            "100.5",
            "101.0",
        )),
    )];
    let outcome = run("10000", script, &events);
    assert_eq!(outcome.fills(), vec![]);
    assert!(outcome.records.trades.is_empty());
    assert_eq!(outcome.records.orders[0].status, "canceled");
    let cancelled: Vec<_> = outcome
        .suppressed()
        .into_iter()
        .filter(|signal| signal.to_state == "entry_cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1, "{:?}", outcome.signals);
    assert!(
        cancelled[0].detail.contains("reason=price_beyond_target"),
        "{}",
        cancelled[0].detail
    );
    assert_eq!(cancelled[0].ts, at(2 * MINUTE + SECOND));
}

#[test]
fn an_entry_closer_to_its_stop_than_one_typical_spread_is_cancelled() {
    // Quotes 100.0 / 100.5 from the start: typical spread 0.5 at the B1 close.
    // B1: long limit 100.0 with stop 99.7 — the fill would leave 0.3 < 0.5 to the stop
    // (SPEC 3.1): not sent, logged. B2: the same entry with stop 99.5 (exactly one typical
    // spread) is sent.
    let mut events = vec![
        quote(at(0), "100.0", "500", "100.5", "500"),
        trade(at(SECOND), "100.0", "1", AggressorSide::Sell),
        quote(at(MINUTE), "100.0", "500", "100.5", "500"),
        trade(at(MINUTE + SECOND), "100.0", "1", AggressorSide::Sell),
        quote(at(2 * MINUTE), "100.0", "500", "100.5", "500"),
        trade(at(2 * MINUTE + SECOND), "100.0", "1", AggressorSide::Sell),
    ];
    events.push(tick(at(2 * MINUTE + 2 * SECOND), "100.0"));
    let script = vec![
        (
            at(MINUTE),
            Scripted::Intent(limit_intent(
                at(MINUTE),
                Direction::Long,
                "100.0",
                "99.7",
                "105.0",
            )),
        ),
        (
            at(2 * MINUTE),
            Scripted::Intent(limit_intent(
                at(2 * MINUTE),
                Direction::Long,
                "100.0",
                "99.5",
                "105.0",
            )),
        ),
    ];
    let outcome = run("10000", script, &events);
    let cancelled: Vec<_> = outcome
        .suppressed()
        .into_iter()
        .filter(|signal| signal.to_state == "entry_cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1, "{:?}", outcome.signals);
    assert_eq!(cancelled[0].ts, at(MINUTE));
    assert!(
        cancelled[0].detail.contains("reason=stop_within_buffer"),
        "{}",
        cancelled[0].detail
    );
    assert_eq!(outcome.records.orders.len(), 1);
    assert_eq!(outcome.records.orders[0].ts_submit, at(2 * MINUTE));
}

#[test]
fn a_bar_close_sees_the_exit_that_filled_before_it_so_no_flip_past_the_cooldown() {
    // B1: long market, stop 98.1 → 100 bought at 100.1 (B1 + 130 ms).
    // B2 − 300 ms the book is 98.0 / 98.1; B2 − 200 ms a print at 98.0 hits the stop; the
    // market sell arrives at B2 − 70 ms and fills 100 at the bid 98.0 (fee 4.9). The next
    // event comes at B2 + 1 s.
    // B2: the strategy signals a short. The exit filled before the close, so the position is
    // flat and the cooldown (SPEC 4: 3 minutes after a full exit) refuses it — it must not be
    // taken as a flip of a position that only looked open.
    let mut events = opening();
    events.push(tick(at(MINUTE), "100.0"));
    events.extend(touch(at(2 * MINUTE - 300), "98.0", "98.1"));
    events.extend([
        trade(at(2 * MINUTE - 200), "98.0", "1", AggressorSide::Sell),
        tick(at(2 * MINUTE + SECOND), "100.0"),
        tick(at(3 * MINUTE), "100.0"),
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
    ];
    let outcome = run("10000", script, &events);
    assert_eq!(
        outcome.fills(),
        vec![
            fill(1, at(MINUTE + 130), "buy", "100.1", "100", "taker", "5.005"),
            fill(
                2,
                at(2 * MINUTE - 70),
                "sell",
                "98.0",
                "100",
                "taker",
                "4.9"
            ),
        ]
    );
    assert_eq!(outcome.records.trades.len(), 1);
    assert_eq!(outcome.trade(0).exit_reason, "stop_loss");
    let refused = outcome.suppressed();
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].detail.contains("cooldown"),
        "{}",
        refused[0].detail
    );
}

#[test]
fn a_cancel_that_overtakes_its_order_is_sent_again() {
    // Entry latency 190 ms, cancel latency 70 ms (as the uniform model can draw them).
    // B1: a long limit 99.9 and, in the same close, a short signal: a flip of a pending
    // entry cancels it. The cancel reaches the venue at B1 + 70 ms, before the order
    // (B1 + 190 ms): CancelRejected. The engine sends it again (at B1 + 100 ms, the next
    // event; it lands at B1 + 170 ms, still early; again at B1 + 1 s → lands B1 + 1.07 s)
    // and the entry is cancelled: it never converts to market (B2 + 190 ms), and the short
    // entry follows when the engine hears of the cancel (the next event, B1 + 2 s).
    let config = FillModelConfig {
        latency: LatencyConfig {
            entry_ms: 190.0,
            cancel_ms: 70.0,
            ..LatencyConfig::default()
        },
        ..FillModelConfig::default()
    };
    let mut events = book(
        at(0),
        &[("100.0", "500"), ("99.9", "500")],
        &[("100.1", "500"), ("100.2", "500")],
    );
    events.extend([
        tick(at(SECOND), "100.0"),
        tick(at(MINUTE), "100.0"),
        tick(at(MINUTE + 100), "100.0"),
        tick(at(MINUTE + SECOND), "100.0"),
        tick(at(MINUTE + 2 * SECOND), "100.0"),
        tick(at(2 * MINUTE + SECOND), "100.0"),
        tick(at(3 * MINUTE), "100.0"),
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
        (
            at(MINUTE),
            Scripted::Intent(limit_intent(
                at(MINUTE),
                Direction::Short,
                "100.2",
                "102.2",
                "95.0",
            )),
        ),
    ];
    let outcome = run_with(config, "10000", script, &events);
    let entry = &outcome.records.orders[0];
    assert_eq!(entry.status, "canceled");
    assert!(entry.filled_quantity.is_zero());
    assert!(
        outcome.fills().iter().all(|fill| fill.0 != 1),
        "the long entry never fills: {:?}",
        outcome.fills()
    );
    // The flip's short entry was sent once the long entry was gone (it converts at its own
    // timeout and is closed at the end of data).
    assert_eq!(outcome.records.orders[1].side, "sell");
    assert_eq!(outcome.records.orders[1].purpose, "entry");
    assert_eq!(outcome.records.orders[1].ts_submit, at(MINUTE + 2 * SECOND));
}

/// The simulated exchange, except that the first reduce-only order is rejected 130 ms after
/// it is sent (a live venue rejects for reasons a simulation never has: rate limits,
/// maintenance, a margin check).
struct RejectingFirstExit {
    inner: SimulatedExchange,
    rejection: Option<(UnixNanos, OrderId)>,
    used: bool,
}

impl RejectingFirstExit {
    fn flush(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        if let Some((due, order_id)) = self.rejection
            && due <= now
        {
            self.rejection = None;
            self.inner.advance_to(due, reports);
            reports.push(ExecutionReport::Rejected {
                order_id,
                ts: due,
                reason: RejectReason::NoLiquidity,
            });
        }
    }
}

impl Venue for RejectingFirstExit {
    fn submit(&mut self, now: UnixNanos, request: OrderRequest) {
        if request.reduce_only && !self.used {
            self.used = true;
            self.rejection = Some((now.saturating_add_nanos(130 * NANOS_PER_MILLI), request.id));
            return;
        }
        self.inner.submit(now, request);
    }

    fn cancel(&mut self, now: UnixNanos, order_id: OrderId) {
        self.inner.cancel(now, order_id);
    }

    fn on_market_event(&mut self, event: &MarketEvent, reports: &mut Vec<ExecutionReport>) {
        self.flush(event.ts_recv(), reports);
        self.inner.on_market_event(event, reports);
    }

    fn advance_to(&mut self, now: UnixNanos, reports: &mut Vec<ExecutionReport>) {
        self.flush(now, reports);
        self.inner.advance_to(now, reports);
    }

    fn best_bid(&self) -> Option<Price> {
        self.inner.best_bid()
    }

    fn best_ask(&self) -> Option<Price> {
        self.inner.best_ask()
    }

    fn mark_price(&self) -> Option<Price> {
        self.inner.mark_price()
    }

    fn taker_price(&self, side: OrderSide) -> Option<Price> {
        self.inner.taker_price(side)
    }

    fn taker_fee(&self) -> Rate {
        self.inner.taker_fee()
    }
}

#[test]
fn a_rejected_strategy_exit_is_sent_again_at_the_next_bar_close() {
    // B1: long market 100 at 100.1 (fee 5.005). B2: the strategy exits; the venue rejects
    // that sell (B2 + 130 ms). The exit is requested until the trade is closed: at B3 it is
    // sent again and sells 100 at the bid 100.0 (B3 + 130 ms, fee 5.0), reason `strategy` —
    // not left open until the end of data.
    let mut events = opening();
    for minute in 1..=4 {
        events.push(tick(at(minute * MINUTE), "100.0"));
        events.push(tick(at(minute * MINUTE + SECOND), "100.0"));
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
        (at(2 * MINUTE), Scripted::Exit(ExitReason::Strategy)),
    ];
    let instrument = instrument();
    let venue = RejectingFirstExit {
        inner: SimulatedExchange::new(instrument.clone(), FillModelConfig::default()).unwrap(),
        rejection: None,
        used: false,
    };
    let mut engine = Engine::new(
        instrument.clone(),
        EngineSettings {
            initial_equity: money("10000"),
            max_leverage: RiskConfig::default().max_leverage,
            trading_from: UnixNanos(i64::MIN),
        },
        FeatureEngine::for_instrument(&feature_config(), &instrument).unwrap(),
        ScriptedStrategy::new(script),
        RiskManager::new(RiskConfig::default(), instrument).unwrap(),
        venue,
        RunCollector::new("reject".to_owned(), "BTCUSDT".to_owned(), money("10000")),
    );
    for event in &events {
        engine.on_event(event);
    }
    let (collector, _, _) = engine.finish(5 * NANOS_PER_SECOND);
    let records = collector.records;
    let fills: Vec<_> = records
        .fills
        .iter()
        .map(|fill| (fill.order_id, fill.ts, fill.price, fill.quantity))
        .collect();
    assert_eq!(
        fills,
        vec![
            (1, at(MINUTE + 130), price("100.1"), qty("100")),
            (3, at(3 * MINUTE + 130), price("100.0"), qty("100")),
        ]
    );
    assert_eq!(records.orders[1].status, "rejected");
    assert_eq!(records.orders[2].ts_submit, at(3 * MINUTE));
    assert_eq!(records.trades[0].exit_reason, "strategy");
}

/// Quotes at the start and at B1 only (stale afterwards), a print every minute.
fn stale_quote_tape(last_trade: &str) -> Vec<auction_trader_types::MarketEvent> {
    let mut events = vec![
        quote(at(0), "100.0", "500", "100.1", "500"),
        trade(at(SECOND), "100.0", "1", AggressorSide::Sell),
        quote(at(MINUTE), "100.0", "500", "100.1", "500"),
    ];
    for minute in 1..=63 {
        let px = if minute >= 61 { last_trade } else { "100.1" };
        events.push(trade(
            at(minute * MINUTE + SECOND),
            px,
            "1",
            AggressorSide::Buy,
        ));
    }
    events
}

#[test]
fn max_hold_with_stale_quotes_values_the_exit_at_last_trade_minus_half_the_spread() {
    // B1: long market 100 at the fresh ask 100.1 (fee 5.005). The quotes then go stale. The
    // max-hold clock starts at B2 and is due at the 01:62 close. The last trade before it is
    // 100.3 (01:61:01); the typical spread 0.1 → half 0.05, rounded up to a tick = 0.1, so a
    // market sell would get 100.2 (SPEC 5, 11.7): 10 − 5.005 − 100 × 100.2 × 0.0005 (5.01)
    // = −0.015 → exit at that close. (At the last trade itself, 100.3: 20 − 5.005 − 5.015
    // = +9.98 → it would be held.) The exit sells at 100.2 at 01:62:00.130.
    let events = stale_quote_tape("100.3");
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
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "max_hold");
    assert_eq!(trade.exit_ts, at(62 * MINUTE + 130));
    assert_eq!(trade.exit_price, price("100.2"));
    assert_eq!(trade.net_pnl, money("-0.015"));
}

#[test]
fn max_hold_uses_the_fee_the_exchange_charges() {
    // Taker fee 10 bps set on the exchange (the instrument says 5). Long market 100 at 100.1
    // (fee 10.01); from 01:30 the book is 100.3 / 100.4. At the 01:62 close: 20 − 10.01 −
    // 100 × 100.3 × 0.001 (10.03) = −0.04 → exit (with the instrument's 5 bps it would be
    // +4.975 and held). Sold at 100.3 at 01:62:00.130, fee 10.03.
    let config = FillModelConfig {
        taker_fee_bps: Some(10.0),
        ..FillModelConfig::default()
    };
    let mut events = opening();
    events.extend([
        tick(at(MINUTE), "100.0"),
        tick(at(MINUTE + SECOND), "100.0"),
    ]);
    events.extend(touch(at(30 * MINUTE), "100.3", "100.4"));
    events.push(tick(at(30 * MINUTE + SECOND), "100.3"));
    events.push(tick(at(62 * MINUTE), "100.3"));
    events.push(tick(at(62 * MINUTE + SECOND), "100.3"));
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
    let outcome = run_with(config, "10000", script, &events);
    let trade = outcome.trade(0);
    assert_eq!(trade.exit_reason, "max_hold");
    assert_eq!(trade.exit_ts, at(62 * MINUTE + 130));
    assert_eq!(
        (trade.fees, trade.net_pnl),
        (money("20.04"), money("-0.04"))
    );
}
