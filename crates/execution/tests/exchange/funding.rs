//! Recorded funding (SPEC 5): a settlement record charges the rate that settles at its stamp,
//! at the venue's recorded interval. Numbers worked by hand in the comments.

use auction_trader_types::{
    ExecutionReport, Funding, FundingPayment, MarketEvent, OrderSide, Price, Rate, UnixNanos,
};

use crate::support::*;

const HOUR: i64 = 3_600 * 1_000_000_000;

/// A row of Binance's fundingRate archive: stamped at the settlement, no mark or index price,
/// the next settlement one interval later.
fn settlement(ts: UnixNanos, rate: &str, interval_hours: i64) -> MarketEvent {
    MarketEvent::Funding(Funding {
        ts_event: ts,
        ts_recv: ts,
        rate: Rate::from_decimal_str(rate).unwrap(),
        next_funding_time: ts.saturating_add_nanos(interval_hours * HOUR),
        mark_price: Price::ZERO,
        index_price: Price::ZERO,
    })
}

fn payments(reports: &[ExecutionReport]) -> Vec<FundingPayment> {
    reports
        .iter()
        .filter_map(|report| match report {
            ExecutionReport::Funding(payment) => Some(*payment),
            _ => None,
        })
        .collect()
}

#[test]
fn a_settlement_record_charges_its_own_rate_at_the_recorded_interval() {
    // Regression: the 08:00 charge used the 04:00 row's rate (the 08:00 row replays after
    // the exchange reached 08:00) and 4-hour symbols were charged every configured 8 hours.
    // A 4-hour symbol; the configured interval stays the default 8 h.
    let day = UnixNanos::from_civil(2024, 8, 9, 0);
    let hour = |hours: i64| day.saturating_add_nanos(hours * HOUR);
    let mut exchange = exchange();
    let mut reports = Vec::new();
    exchange.on_market_event(&settlement(hour(0), "0.0001", 4), &mut reports);
    feed(
        &mut exchange,
        &snapshot(hour(1), &[("59999.9", "5")], &[("60000.1", "5")]),
        &mut reports,
    );
    // Long 2 from 01:00 (mid 60,000 throughout).
    exchange.submit(hour(1), market(1, OrderSide::Buy, "2"));
    exchange.on_market_event(&settlement(hour(4), "0.0003", 4), &mut reports);
    exchange.on_market_event(&settlement(hour(8), "-0.0002", 4), &mut reports);
    // 04:00: 2 × 60,000 × 0.0003 = 36 paid; 08:00: 2 × 60,000 × −0.0002 = −24 (received).
    let paid = payments(&reports);
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert_eq!(
        (paid[0].ts, paid[0].rate, paid[0].amount),
        (
            hour(4),
            Rate::from_decimal_str("0.0003").unwrap(),
            money("36")
        )
    );
    assert_eq!(
        (paid[1].ts, paid[1].rate, paid[1].amount),
        (
            hour(8),
            Rate::from_decimal_str("-0.0002").unwrap(),
            money("-24")
        )
    );
    assert_eq!(paid[1].mark_price, price("60000"));
    // The 12:00 row is missing from the archive: once the clock passes 12:00 the charge is
    // made, dated 12:00, with the latest recorded rate (−24 again).
    exchange.advance_to(hour(12).saturating_add_nanos(1), &mut reports);
    let paid = payments(&reports);
    assert_eq!(paid.len(), 3);
    assert_eq!((paid[2].ts, paid[2].amount), (hour(12), money("-24")));
    assert_eq!(exchange.account().funding_paid(), money("-12"));
}

#[test]
fn live_estimates_charge_at_the_venues_next_funding_time() {
    // markPriceUpdate-style rows (mark price, the rate estimated for next_funding_time): the
    // latest estimate for 08:00 is charged at 08:00 with the recorded mark.
    let day = UnixNanos::from_civil(2024, 8, 9, 0);
    let hour = |hours: i64| day.saturating_add_nanos(hours * HOUR);
    let estimate = |ts: UnixNanos, rate: &str, next: UnixNanos| {
        MarketEvent::Funding(Funding {
            ts_event: ts,
            ts_recv: ts,
            rate: Rate::from_decimal_str(rate).unwrap(),
            next_funding_time: next,
            mark_price: price("60500"),
            index_price: price("60490"),
        })
    };
    let mut exchange = exchange();
    let mut reports = Vec::new();
    feed(
        &mut exchange,
        &snapshot(hour(6), &[("59999.9", "5")], &[("60000.1", "5")]),
        &mut reports,
    );
    exchange.submit(hour(6), market(1, OrderSide::Buy, "2"));
    exchange.on_market_event(&estimate(hour(7), "0.0005", hour(8)), &mut reports);
    exchange.on_market_event(
        &estimate(hour(7).saturating_add_nanos(1), "0.0002", hour(8)),
        &mut reports,
    );
    // After 08:00 the estimates are for 16:00.
    exchange.on_market_event(
        &estimate(hour(8).saturating_add_nanos(1), "0.0009", hour(16)),
        &mut reports,
    );
    // 08:00: 2 × 60,500 × 0.0002 = 24.2.
    let paid = payments(&reports);
    assert_eq!(paid.len(), 1);
    assert_eq!((paid[0].ts, paid[0].amount), (hour(8), money("24.2")));
}
