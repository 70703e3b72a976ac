//! Bar data (SPEC 5): bars that arrive with quotes (LEAN trade + quote files) still drive
//! resting limits and stop/target exits, and a bar fills only limits that rested through all
//! of it. Numbers worked by hand in the comments.

use auction_trader_types::{AggressorSide, Crossing, Liquidity, OrderSide, Trigger};

use crate::support::*;

#[test]
fn bars_with_quotes_fill_stops_at_their_level_and_resting_limits_from_the_bar() {
    // Regression: a quote used to switch the exchange to tick mode, where bars were ignored:
    // the stop below filled at the closing quote's bid (a stop that made money) and the
    // resting limit never filled from a bar.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    // B1 (1 min): quote 99.9 / 100.1 × 5 at the close, then the bar.
    exchange.on_market_event(&quote(ms(60_000), "99.9", "5", "100.1", "5"), &mut reports);
    exchange.on_market_event(
        &bar(ms(60_000), "100.0", "100.2", "99.9", "100.0"),
        &mut reports,
    );
    // Long 2 at market: the fresh quote's ask 100.1 (2 <= 5 quoted); a bid at 98.5 rests.
    exchange.submit(ms(60_000), market(1, OrderSide::Buy, "2"));
    exchange.submit(ms(60_000), limit(2, OrderSide::Buy, "98.5", "1"));
    exchange.advance_to(ms(60_130), &mut reports);
    assert_eq!(fills(&reports)[0].price, price("100.1"));
    // B2: opens 100.0, pierces 97.5, closes 100.5; closing quote 100.4 / 100.6.
    exchange.on_market_event(
        &quote(ms(120_000), "100.4", "5", "100.6", "5"),
        &mut reports,
    );
    exchange.on_market_event(
        &bar(ms(120_000), "100.0", "104.5", "97.5", "100.5"),
        &mut reports,
    );
    // The bid at 98.5 arrived at B1 + 130 ms, after B2 opened: B2's low may have come before
    // it, so B2 does not fill it.
    assert_eq!(fills(&reports).len(), 1);
    // The engine saw the stop 98.1 inside B2 and sends a market sell with the trigger: it
    // fills at the level 98.1 (B2 opened above it) − half the typical spread (0.2 / 2 = one
    // tick) = 98.0, not at the closing bid 100.4.
    let mut stop = market(3, OrderSide::Sell, "1");
    stop.trigger = Some(Trigger {
        price: price("98.1"),
        crossing: Crossing::Falling,
    });
    exchange.submit(ms(120_000), stop);
    exchange.advance_to(ms(120_130), &mut reports);
    let filled = fills(&reports);
    assert_eq!(filled.len(), 2);
    assert_eq!(
        (filled[1].price, filled[1].quantity, filled[1].liquidity),
        (price("98.0"), qty("1"), Liquidity::Taker)
    );
    // B3 (opened at B2, after the bid arrived) trades through 98.5 (low 98.0): the bid fills
    // at 98.5 as maker.
    exchange.on_market_event(
        &quote(ms(180_000), "100.3", "5", "100.5", "5"),
        &mut reports,
    );
    exchange.on_market_event(
        &bar(ms(180_000), "100.5", "100.6", "98.0", "100.4"),
        &mut reports,
    );
    let filled = fills(&reports);
    assert_eq!(filled.len(), 3);
    assert_eq!(
        (filled[2].price, filled[2].quantity, filled[2].liquidity),
        (price("98.5"), qty("1"), Liquidity::Maker)
    );
    // Once trades flow they are the truth: a later bar through a new bid fills nothing.
    exchange.submit(ms(180_000), limit(4, OrderSide::Buy, "99.0", "1"));
    exchange.on_market_event(
        &trade(ms(190_000), "100.4", "0.1", AggressorSide::Buy),
        &mut reports,
    );
    exchange.on_market_event(
        &bar(ms(300_000), "100.4", "100.5", "98.0", "100.0"),
        &mut reports,
    );
    assert_eq!(fills(&reports).len(), 3);
}

#[test]
fn a_bar_fills_only_limits_that_rested_before_it_opened() {
    // Regression: the eligibility test compared the arrival with the bar's close, so a bid
    // arriving in the middle of a bar filled from a low printed before it arrived.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    exchange.on_market_event(
        &bar(ms(60_000), "100.0", "100.2", "99.9", "100.0"),
        &mut reports,
    );
    // Sent at B1, arrives B1 + 130 ms: inside bar 2 [B1, B2).
    exchange.submit(ms(60_000), limit(1, OrderSide::Buy, "99.5", "1"));
    exchange.advance_to(ms(60_130), &mut reports);
    // Bar 2 trades through 99.5 (low 99.0): not filled.
    exchange.on_market_event(
        &bar(ms(120_000), "100.0", "100.1", "99.0", "99.8"),
        &mut reports,
    );
    assert!(fills(&reports).is_empty());
    assert_eq!(exchange.open_order_count(), 1);
    // Bar 3 [B2, B3) opened after the arrival: its low 99.4 fills the bid at 99.5.
    exchange.on_market_event(
        &bar(ms(180_000), "99.8", "99.9", "99.4", "99.6"),
        &mut reports,
    );
    let filled = fills(&reports);
    assert_eq!(filled.len(), 1);
    assert_eq!(
        (filled[0].price, filled[0].ts, filled[0].liquidity),
        (price("99.5"), ms(180_000), Liquidity::Maker)
    );
}
