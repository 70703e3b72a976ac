//! Taker fills without depth and our own liquidity (SPEC 5), and the staleness limit of the
//! L2 book. Numbers worked by hand in the comments.

use auction_trader_execution::{BeyondTouchPricing, FillModelConfig};
use auction_trader_types::{AggressorSide, BookSide, Liquidity, OrderSide};

use crate::support::*;

#[test]
fn without_depth_a_market_order_takes_at_most_the_quoted_size() {
    // Regression: a quote-only market order filled any size at the touch.
    // Quote 99.9 × 1 / 100.1 × 2; market buy 5: 2 at the touch 100.1, the other 3 beyond it
    // at the impact price (one tick, 100.2: no minute of trading seen, so no market state
    // for the cost model). Taker fees 5 bps: 200.2 × 0.0005 = 0.1001 and
    // 300.6 × 0.0005 = 0.1503.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    exchange.on_market_event(&quote(ms(0), "99.9", "1", "100.1", "2"), &mut reports);
    exchange.submit(ms(0), market(1, OrderSide::Buy, "5"));
    exchange.advance_to(ms(130), &mut reports);
    let filled = fills(&reports);
    let rows: Vec<_> = filled
        .iter()
        .map(|fill| (fill.price, fill.quantity, fill.leaves_quantity, fill.fee))
        .collect();
    assert_eq!(
        rows,
        [
            (price("100.1"), qty("2"), qty("3"), money("0.1001")),
            (price("100.2"), qty("3"), qty("0"), money("0.1503")),
        ]
    );
    assert!(filled.iter().all(|fill| fill.liquidity == Liquidity::Taker));
    // A marketable limit at 100.1 takes only what the touch has left for us (nothing: our
    // market order took it) and rests the rest; a sell of 0.5 takes the bid's 1 whole.
    exchange.submit(ms(10), limit(2, OrderSide::Buy, "100.1", "1"));
    exchange.submit(ms(10), market(3, OrderSide::Sell, "0.5"));
    exchange.advance_to(ms(140), &mut reports);
    let filled = fills(&reports);
    assert_eq!(filled.len(), 3);
    assert_eq!(
        (filled[2].price, filled[2].quantity),
        (price("99.9"), qty("0.5"))
    );
    assert_eq!(
        exchange.resting_quantity(auction_trader_types::OrderId(2)),
        Some(qty("1"))
    );
}

/// A minute of two-sided trading on quotes only: in second s (1..=60) 10 BTC trade at
/// 100,000 (1 M notional), bought when s is odd and sold when even, and the quote follows:
/// mid 100,010 (100,005 / 100,015) after a buy, 100,000 (99,995 / 100,005) after a sell.
/// At 61.1 s the ask shows only 0.5.
fn a_minute_of_trading(exchange: &mut auction_trader_execution::SimulatedExchange) {
    let mut reports = Vec::new();
    exchange.on_market_event(&quote(ms(900), "99995", "5", "100005", "5"), &mut reports);
    for second in 1..=60 {
        let (aggressor, bid, ask) = if second % 2 == 1 {
            (AggressorSide::Buy, "100005", "100015")
        } else {
            (AggressorSide::Sell, "99995", "100005")
        };
        let at = second * 1_000;
        exchange.on_market_event(
            &trade(ms(at + 200), "100000", "10", aggressor),
            &mut reports,
        );
        exchange.on_market_event(&quote(ms(at + 400), bid, "5", ask, "5"), &mut reports);
    }
    exchange.on_market_event(
        &quote(ms(61_100), "99995", "5", "100005", "0.5"),
        &mut reports,
    );
    assert!(fills(&reports).is_empty());
}

#[test]
fn beyond_the_quoted_size_a_market_order_pays_the_cost_models_impact() {
    // Regression: the size beyond the touch filled one tick behind it whatever the order's
    // size and the market. The exchange's market state over the 60 one-second samples:
    // x = ±1 (signed notional, M), y = ±r with r = 1e4 ln(100,010 / 100,000) = 0.99995 bps;
    // means 0, Sxx = 60, Sxy = 60 r -> Kyle λ = r bps per million; σ_second = r √(60/59),
    // σ_minute = r · 60/√59 = 7.810944, σ_day = σ_minute √1440 = 296.404489 bps; volume
    // 1 M a second. Market buy 2 at mid 100,000 = 200,000 notional: participation 0.2;
    // temporary 0.142 × 296.404489 × 0.2^0.6 (0.380731) = 16.024745 bps; permanent
    // λ × 0.2 = 0.199990 bps; impact 16.224735 bps of 100,000 = 162.247 -> 1,623 ticks.
    // 0.5 at the touch 100,005, 1.5 at 100,005 + 162.3 = 100,167.3. Taker fees 5 bps:
    // 100,005 × 0.5 × 0.0005 = 25.00125; 100,167.3 × 1.5 × 0.0005 = 75.125475.
    let mut exchange = exchange();
    a_minute_of_trading(&mut exchange);
    let mut reports = Vec::new();
    exchange.submit(ms(61_000), market(1, OrderSide::Buy, "2"));
    exchange.advance_to(ms(61_130), &mut reports);
    let rows: Vec<_> = fills(&reports)
        .iter()
        .map(|fill| (fill.price, fill.quantity, fill.leaves_quantity, fill.fee))
        .collect();
    assert_eq!(
        rows,
        [
            (price("100005"), qty("0.5"), qty("1.5"), money("25.00125")),
            (price("100167.3"), qty("1.5"), qty("0"), money("75.125475")),
        ]
    );
}

#[test]
fn beyond_the_touch_one_tick_and_slippage_stay_fixed_options() {
    // The same minute with `beyond_touch: one_tick` and 10 bps slippage: the touch part at
    // 100,005 × 1.001 = 100,105.005 -> 100,105.1 (rounded up to the tick), the rest one tick
    // behind the touch, 100,005.1 × 1.001 = 100,105.1051 -> 100,105.2.
    let mut exchange = exchange_with(FillModelConfig {
        beyond_touch: BeyondTouchPricing::OneTick,
        slippage_bps: 10.0,
        ..FillModelConfig::default()
    });
    a_minute_of_trading(&mut exchange);
    let mut reports = Vec::new();
    exchange.submit(ms(61_000), market(1, OrderSide::Buy, "2"));
    exchange.advance_to(ms(61_130), &mut reports);
    let rows: Vec<_> = fills(&reports)
        .iter()
        .map(|fill| (fill.price, fill.quantity))
        .collect();
    assert_eq!(
        rows,
        [
            (price("100105.1"), qty("0.5")),
            (price("100105.2"), qty("1.5"))
        ]
    );
}

#[test]
fn size_we_took_at_the_touch_is_gone_until_the_quote_shows_it_refilled() {
    // Quote ask 100.1 × 2. Buy 2: both at 100.1; the touch has nothing left for us.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    exchange.on_market_event(&quote(ms(0), "99.9", "1", "100.1", "2"), &mut reports);
    exchange.submit(ms(0), market(1, OrderSide::Buy, "2"));
    exchange.advance_to(ms(130), &mut reports);
    // Buy 1 on the same quote: beyond the touch, 100.2.
    exchange.submit(ms(100), market(2, OrderSide::Buy, "1"));
    exchange.advance_to(ms(230), &mut reports);
    // The quote shows 100.1 × 2 again (not more than it showed): still nothing for us -> 100.2.
    exchange.on_market_event(&quote(ms(300), "99.9", "1", "100.1", "2"), &mut reports);
    exchange.submit(ms(300), market(3, OrderSide::Buy, "1"));
    exchange.advance_to(ms(430), &mut reports);
    // 100.1 × 3: one more than shown joined -> 1 of our 2 refilled -> 2 available -> 100.1.
    exchange.on_market_event(&quote(ms(500), "99.9", "1", "100.1", "3"), &mut reports);
    exchange.submit(ms(500), market(4, OrderSide::Buy, "1"));
    exchange.advance_to(ms(630), &mut reports);
    let prices: Vec<_> = fills(&reports).iter().map(|fill| fill.price).collect();
    assert_eq!(
        prices,
        [
            price("100.1"),
            price("100.2"),
            price("100.2"),
            price("100.1")
        ]
    );
}

#[test]
fn depth_we_took_is_gone_until_the_book_shows_the_level_refilled() {
    // Regression: any update of a level we had taken (even a smaller size) gave its whole
    // size back to our next order.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "3")], &[("100.1", "2"), ("100.2", "5")]),
        &mut reports,
    );
    // Buy 2: the whole 100.1 level.
    exchange.submit(ms(0), market(1, OrderSide::Buy, "2"));
    exchange.advance_to(ms(130), &mut reports);
    // The venue's 100.1 shrinks to 1 (someone else traded or cancelled): our 2 are still gone.
    exchange.on_market_event(&level(ms(200), BookSide::Ask, "100.1", "1"), &mut reports);
    exchange.submit(ms(200), market(2, OrderSide::Buy, "1"));
    exchange.advance_to(ms(330), &mut reports);
    // 100.1 grows to 4 (3 joined): 3 of the 2 we took refilled -> all 4 there for us.
    exchange.on_market_event(&level(ms(400), BookSide::Ask, "100.1", "4"), &mut reports);
    exchange.submit(ms(400), market(3, OrderSide::Buy, "3"));
    exchange.advance_to(ms(530), &mut reports);
    let rows: Vec<_> = fills(&reports)
        .iter()
        .map(|fill| (fill.price, fill.quantity))
        .collect();
    assert_eq!(
        rows,
        [
            (price("100.1"), qty("2")),
            (price("100.2"), qty("1")),
            (price("100.1"), qty("3")),
        ]
    );
}

#[test]
fn a_stale_book_does_not_price_takers() {
    // Regression: a book whose last update was minutes old still priced market orders.
    // Book 100.0 / 100.1 at 0; a print at 100.5 at 60 s; no depth since. A buy arriving at
    // 60.13 s: the book is 60 s old (> 1 s), no quote: the last trade 100.5 + half the
    // typical spread (no quote spread known: 1 tick) = 100.6. With a fresh book it is 100.1.
    let mut exchange = exchange();
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(ms(0), &[("100.0", "3")], &[("100.1", "2")]),
        &mut reports,
    );
    exchange.submit(ms(0), market(1, OrderSide::Buy, "1"));
    exchange.on_market_event(
        &trade(ms(60_000), "100.5", "0.1", AggressorSide::Buy),
        &mut reports,
    );
    exchange.submit(ms(60_000), market(2, OrderSide::Buy, "1"));
    exchange.advance_to(ms(60_130), &mut reports);
    let prices: Vec<_> = fills(&reports).iter().map(|fill| fill.price).collect();
    assert_eq!(prices, [price("100.1"), price("100.6")]);
    // The limit is configurable and validated.
    let config = FillModelConfig {
        stale_book_ms: -1.0,
        ..FillModelConfig::default()
    };
    assert!(
        config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("stale_book_ms")
    );
}
