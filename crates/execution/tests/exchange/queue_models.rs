//! Queue models (SPEC 5): the 0.3 rule, risk-averse and probabilistic families side by side,
//! our own orders queueing behind each other, and the depth assumed where it is unknown.
//! Numbers worked by hand in the comments.

use auction_trader_execution::{FillModelConfig, QueueModelKind, SimulatedExchange};
use auction_trader_types::{AggressorSide, BookSide, ExecutionReport, OrderId, OrderSide};

use crate::support::*;

/// Bid 100.0 × 0.050 (50 lots), ask 100.1 × 0.010; a 1-lot bid of ours arrives at 130 ms.
fn joined(model: QueueModelKind) -> (SimulatedExchange, Vec<ExecutionReport>) {
    let mut exchange = exchange_with(FillModelConfig {
        queue_model: model,
        ..FillModelConfig::default()
    });
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "0.050")], &[("100.1", "0.010")]),
        &mut reports,
    );
    exchange.submit(ms(0), limit(1, OrderSide::Buy, "100.0", "0.001"));
    exchange.advance_to(ms(130), &mut reports);
    (exchange, reports)
}

fn sell_print(
    exchange: &mut SimulatedExchange,
    ts: i64,
    size: &str,
    reports: &mut Vec<ExecutionReport>,
) {
    exchange.on_market_event(&trade(ms(ts), "100.0", size, AggressorSide::Sell), reports);
}

#[test]
fn risk_averse_waits_for_the_whole_level_but_a_shrinking_level_caps_the_queue() {
    let (mut exchange, mut reports) = joined(QueueModelKind::RiskAverse);
    // Back of the queue: all 50 lots ahead (the 0.3 rule would put 14 ahead).
    assert_eq!(exchange.queue_ahead(OrderId(1)), Some(qty("0.050")));
    // 30 lots cancelled: the level shows 20, so at most 20 can be ahead.
    exchange.on_market_event(
        &level(ms(200), BookSide::Bid, "100.0", "0.020"),
        &mut reports,
    );
    assert_eq!(exchange.queue_ahead(OrderId(1)), Some(qty("0.020")));
    // 20 lots trade: the queue is gone but nothing traded beyond it; one more lot fills us.
    sell_print(&mut exchange, 300, "0.020", &mut reports);
    assert!(fills(&reports).is_empty());
    sell_print(&mut exchange, 400, "0.001", &mut reports);
    assert_eq!(fills(&reports).len(), 1);
    assert_eq!(fills(&reports)[0].ts, ms(400));
}

#[test]
fn probabilistic_models_advance_by_the_share_of_cancels_ahead() {
    // We join 50 lots (front 0.050); 30 lots join behind us (level 0.080), then 20 lots are
    // cancelled with no trade (level 0.060): front 0.05, back 0.03, decrease 0.02.
    // p = f(back) / (f(back) + f(front)) is the chance a cancel was behind us; we advance by
    // (1 − p) × 0.02:
    //   x²: p = 0.0009 / 0.0034 = 0.264706 -> 0.05 − 0.014706 = 0.035294118
    //   x³: p = 0.000027 / 0.000152 = 0.177632 -> 0.05 − 0.016447 = 0.033552632
    //   ln(1 + x): p = 0.0295588 / 0.0783490 = 0.377271 -> 0.05 − 0.012455 = 0.037545422
    let cases = [
        (QueueModelKind::ProbPower2, "0.035294118"),
        (QueueModelKind::ProbPower3, "0.033552632"),
        (QueueModelKind::ProbLog, "0.037545422"),
    ];
    for (model, expected) in cases {
        let (mut exchange, mut reports) = joined(model);
        assert_eq!(exchange.queue_ahead(OrderId(1)), Some(qty("0.050")));
        exchange.on_market_event(
            &level(ms(200), BookSide::Bid, "100.0", "0.080"),
            &mut reports,
        );
        assert_eq!(
            exchange.queue_ahead(OrderId(1)),
            Some(qty("0.050")),
            "{model}"
        );
        exchange.on_market_event(
            &level(ms(300), BookSide::Bid, "100.0", "0.060"),
            &mut reports,
        );
        assert_eq!(
            exchange.queue_ahead(OrderId(1)),
            Some(qty(expected)),
            "{model}"
        );
    }
    // The 0.3 rule ignores the book: 14 lots ahead whatever the level does.
    let (mut exchange, mut reports) = joined(QueueModelKind::QueueFraction);
    exchange.on_market_event(
        &level(ms(300), BookSide::Bid, "100.0", "0.010"),
        &mut reports,
    );
    assert_eq!(exchange.queue_ahead(OrderId(1)), Some(qty("0.014")));
}

#[test]
fn queue_models_are_named_in_the_config() {
    let names: Vec<&str> = QueueModelKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "queue_fraction",
            "risk_averse",
            "prob_power2",
            "prob_power3",
            "prob_log",
            "random_position"
        ]
    );
    for kind in QueueModelKind::ALL {
        assert_eq!(kind.as_str().parse::<QueueModelKind>().unwrap(), kind);
    }
    assert_eq!(
        QueueModelKind::parse("fraction"),
        Some(QueueModelKind::QueueFraction)
    );
    assert_eq!(
        QueueModelKind::parse("prob_power"),
        Some(QueueModelKind::ProbPower)
    );
    let error = "prob_power4"
        .parse::<QueueModelKind>()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("unknown queue model `prob_power4`"),
        "{error}"
    );
    // prob_power with a configured exponent: n = 2 behaves as prob_power2.
    let mut exchange = exchange_with(FillModelConfig {
        queue_model: QueueModelKind::ProbPower,
        queue_power: 2.0,
        ..FillModelConfig::default()
    });
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "0.050")], &[("100.1", "0.010")]),
        &mut reports,
    );
    exchange.submit(ms(0), limit(1, OrderSide::Buy, "100.0", "0.001"));
    exchange.advance_to(ms(130), &mut reports);
    exchange.on_market_event(
        &level(ms(200), BookSide::Bid, "100.0", "0.080"),
        &mut reports,
    );
    exchange.on_market_event(
        &level(ms(300), BookSide::Bid, "100.0", "0.060"),
        &mut reports,
    );
    assert_eq!(exchange.queue_ahead(OrderId(1)), Some(qty("0.035294118")));
    let bad = FillModelConfig {
        queue_power: 0.0,
        ..FillModelConfig::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("queue_power")
    );
}

#[test]
fn our_own_resting_orders_at_one_price_queue_behind_each_other() {
    // Regression: each of our orders was measured against the venue's queue only, so two of
    // our bids at one price filled from the same traded volume.
    // Bid 100.0 × 50 lots, 0.3 rule: our first bid has 14 lots ahead, the second 14 + our
    // first (1 lot) = 15, the third 16.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "0.050")], &[("100.1", "0.010")]),
        &mut reports,
    );
    for id in 1..=3 {
        exchange.submit(ms(0), limit(id, OrderSide::Buy, "100.0", "0.001"));
    }
    exchange.advance_to(ms(130), &mut reports);
    let ahead: Vec<_> = (1..=3)
        .map(|id| exchange.queue_ahead(OrderId(id)))
        .collect();
    assert_eq!(
        ahead,
        [Some(qty("0.014")), Some(qty("0.015")), Some(qty("0.016"))]
    );
    // The first bid is cancelled before anything trades: the others move up one lot.
    exchange.cancel(ms(130), OrderId(1));
    exchange.advance_to(ms(260), &mut reports);
    assert_eq!(exchange.queue_ahead(OrderId(2)), Some(qty("0.014")));
    assert_eq!(exchange.queue_ahead(OrderId(3)), Some(qty("0.015")));
    // 15 lots trade: 1 lot beyond the second bid's 14 fills it; the third needs one more.
    sell_print(&mut exchange, 300, "0.015", &mut reports);
    let filled = fills(&reports);
    assert_eq!(filled.len(), 1);
    assert_eq!(filled[0].order_id, OrderId(2));
    sell_print(&mut exchange, 400, "0.001", &mut reports);
    let filled = fills(&reports);
    assert_eq!(filled.len(), 2);
    assert_eq!((filled[1].order_id, filled[1].ts), (OrderId(3), ms(400)));
}

#[test]
fn prints_reach_the_orders_that_arrived_and_not_those_that_left() {
    // The exchange skips prints outside the price range of its resting orders; the range
    // must follow every arrival and cancel. Book: bid 99.5, ask 100.5; our bids at 99.5 and
    // 100.0 arrive at 130 ms.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("99.5", "1.000")], &[("100.5", "1.000")]),
        &mut reports,
    );
    exchange.submit(ms(0), limit(1, OrderSide::Buy, "99.5", "0.001"));
    exchange.submit(ms(0), limit(2, OrderSide::Buy, "100.0", "0.001"));
    exchange.advance_to(ms(130), &mut reports);
    let sell_at = |exchange: &mut SimulatedExchange, ts, px, reports: &mut Vec<_>| {
        exchange.on_market_event(&trade(ms(ts), px, "0.001", AggressorSide::Sell), reports);
    };
    let filled = |reports: &[ExecutionReport]| {
        fills(reports)
            .iter()
            .map(|fill| (fill.order_id, fill.price))
            .collect::<Vec<_>>()
    };
    // A sell at 99.9 trades through the 100.0 bid (fills it whole), not the 99.5 one.
    sell_at(&mut exchange, 200, "99.9", &mut reports);
    assert_eq!(filled(&reports), [(OrderId(2), price("100.0"))]);
    // Another bid at 100.0 arrives at 330 ms and its cancel at 460 ms: a print at 99.9 after
    // that fills nothing.
    exchange.submit(ms(200), limit(3, OrderSide::Buy, "100.0", "0.001"));
    exchange.advance_to(ms(330), &mut reports);
    exchange.cancel(ms(330), OrderId(3));
    exchange.advance_to(ms(460), &mut reports);
    assert_eq!(exchange.open_order_count(), 1);
    sell_at(&mut exchange, 500, "99.9", &mut reports);
    assert_eq!(filled(&reports).len(), 1);
    // A sell at 99.4 trades through the 99.5 bid.
    sell_at(&mut exchange, 600, "99.4", &mut reports);
    assert_eq!(
        filled(&reports),
        [(OrderId(2), price("100.0")), (OrderId(1), price("99.5"))]
    );
}

#[test]
fn unknown_depth_behind_the_touch_is_the_last_known_or_the_median_touch_size() {
    // Regression: quote-only data put no one ahead of a bid behind the touch, so the first
    // print at its price filled it (the front of the queue by default).
    // Quotes: 99.9 × 4 / 100.1 × 1, then 99.8 × 0.5 / 100.0 × 2, then 100.0 × 3 / 100.1 × 2:
    // touch sizes 4, 1, 0.5, 2, 3, 2 -> median 2.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    exchange.on_market_event(&quote(ms(0), "99.9", "4", "100.1", "1"), &mut reports);
    exchange.on_market_event(&quote(ms(10), "99.8", "0.5", "100.0", "2"), &mut reports);
    exchange.on_market_event(&quote(ms(20), "100.0", "3", "100.1", "2"), &mut reports);
    // At the touch 100.0: its size 3 -> 0.3 × 3 − 1 lot = 0.899 ahead.
    // 99.9, last seen with 4 (> median 2): 0.3 × 4 − 0.001 = 1.199.
    // 99.8, last seen with 0.5 (< median 2): 0.3 × 2 − 0.001 = 0.599; 99.7 never seen: 0.599.
    let bids = [(1, "100.0"), (2, "99.9"), (3, "99.8"), (4, "99.7")];
    for (id, px) in bids {
        exchange.submit(ms(20), limit(id, OrderSide::Buy, px, "0.001"));
    }
    exchange.advance_to(ms(150), &mut reports);
    let ahead: Vec<_> = (1..=4)
        .map(|id| exchange.queue_ahead(OrderId(id)))
        .collect();
    assert_eq!(
        ahead,
        [
            Some(qty("0.899")),
            Some(qty("1.199")),
            Some(qty("0.599")),
            Some(qty("0.599"))
        ]
    );
    // 0.5 sells at 99.8 (through the bids at 100.0 and 99.9, which fill at once): the bid at
    // 99.8 still has 0.099 ahead; 0.1 more: 0.001 beyond -> its lot fills.
    let filled_ids = |reports: &[ExecutionReport]| -> Vec<OrderId> {
        fills(reports).iter().map(|fill| fill.order_id).collect()
    };
    exchange.on_market_event(
        &trade(ms(200), "99.8", "0.5", AggressorSide::Sell),
        &mut reports,
    );
    assert_eq!(filled_ids(&reports), [OrderId(1), OrderId(2)]);
    exchange.on_market_event(
        &trade(ms(300), "99.8", "0.1", AggressorSide::Sell),
        &mut reports,
    );
    assert_eq!(filled_ids(&reports), [OrderId(1), OrderId(2), OrderId(3)]);
}
