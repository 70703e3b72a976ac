//! The one value rule every importer applies before an event leaves it (SPEC 1.3: "no
//! negative prices or sizes; no zero trade price/size or zero quote price; zero is valid only
//! as a depth-delta size"). An event that breaks it is quarantined with the reason returned
//! here, never stored.
//!
//! Per event kind:
//! - trade, liquidation: price > 0 and size > 0;
//! - quote: bid and ask price > 0, bid and ask size > 0 (a quote names a level that exists);
//! - depth delta: price > 0 and size >= 0 (zero removes the level); a row flagged EMPTY
//!   carries no level, so its zero price and size are by design;
//! - bar: open, high, low, close > 0; VWAP and the volumes >= 0 (a minute without trades has
//!   zero volume);
//! - funding: the rate may be negative; mark and index price >= 0 (zero means absent).
//!
//! Unparsable text (NaN, infinity, values beyond the fixed-point range, non-UTF-8 bytes) never
//! becomes an event: each importer's field parsers reject it and quarantine the row.

use auction_trader_types::{MarketEvent, Price, Quantity};

/// Why an event's values are not acceptable (the quarantine reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue(pub &'static str);

impl std::fmt::Display for InvalidValue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.0)
    }
}

/// Checks one event against the rule above.
#[inline]
pub fn check_event(event: &MarketEvent) -> Result<(), InvalidValue> {
    match event {
        MarketEvent::Trade(trade) => {
            positive_price(trade.price, "zero price", "negative price")?;
            positive_size(trade.size, "zero size", "negative size")
        }
        MarketEvent::Liquidation(liquidation) => {
            positive_price(liquidation.price, "zero price", "negative price")?;
            positive_size(liquidation.size, "zero size", "negative size")
        }
        MarketEvent::Quote(quote) => {
            positive_price(quote.bid_price, "zero bid price", "negative bid price")?;
            positive_price(quote.ask_price, "zero ask price", "negative ask price")?;
            positive_size(quote.bid_size, "zero bid size", "negative bid size")?;
            positive_size(quote.ask_size, "zero ask size", "negative ask size")
        }
        MarketEvent::Depth(delta) => {
            if delta.flags.is_empty_message() {
                if delta.price.is_zero() && delta.size.is_zero() {
                    return Ok(());
                }
                return Err(InvalidValue("empty depth message with a level"));
            }
            positive_price(delta.price, "zero depth price", "negative depth price")?;
            if delta.size.is_negative() {
                return Err(InvalidValue("negative depth size"));
            }
            Ok(())
        }
        MarketEvent::Bar(bar) => {
            for price in [bar.open, bar.high, bar.low, bar.close] {
                positive_price(price, "zero bar price", "negative bar price")?;
            }
            if bar.vwap.is_negative() {
                return Err(InvalidValue("negative bar vwap"));
            }
            if [bar.volume, bar.buy_volume, bar.sell_volume]
                .iter()
                .any(|volume| volume.is_negative())
            {
                return Err(InvalidValue("negative bar volume"));
            }
            Ok(())
        }
        MarketEvent::Funding(funding) => {
            if funding.mark_price.is_negative() || funding.index_price.is_negative() {
                return Err(InvalidValue("negative mark or index price"));
            }
            Ok(())
        }
    }
}

#[inline]
fn positive_price(
    price: Price,
    zero: &'static str,
    negative: &'static str,
) -> Result<(), InvalidValue> {
    if price.is_positive() {
        Ok(())
    } else if price.is_zero() {
        Err(InvalidValue(zero))
    } else {
        Err(InvalidValue(negative))
    }
}

#[inline]
fn positive_size(
    size: Quantity,
    zero: &'static str,
    negative: &'static str,
) -> Result<(), InvalidValue> {
    if size.is_positive() {
        Ok(())
    } else if size.is_zero() {
        Err(InvalidValue(zero))
    } else {
        Err(InvalidValue(negative))
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        AggressorSide, Bar, BookDelta, BookSide, DeltaFlags, Funding, Quote, QuoteFlags, Rate,
        Trade, TradeId, UnixNanos,
    };

    use super::*;

    fn trade(price: i64, size: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(1),
            ts_recv: UnixNanos(1),
            price: Price::from_raw(price),
            size: Quantity::from_raw(size),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(1),
        })
    }

    fn delta(price: i64, size: i64, flags: u8) -> MarketEvent {
        MarketEvent::Depth(BookDelta {
            ts_event: UnixNanos(1),
            ts_recv: UnixNanos(1),
            side: BookSide::Bid,
            price: Price::from_raw(price),
            size: Quantity::from_raw(size),
            first_update_id: 0,
            last_update_id: 0,
            prev_update_id: 0,
            flags: DeltaFlags(flags),
        })
    }

    #[test]
    fn trades_need_a_positive_price_and_size() {
        assert_eq!(check_event(&trade(61_804, 1)), Ok(()));
        assert_eq!(
            check_event(&trade(-61_804, 1)),
            Err(InvalidValue("negative price"))
        );
        assert_eq!(check_event(&trade(0, 1)), Err(InvalidValue("zero price")));
        assert_eq!(check_event(&trade(1, 0)), Err(InvalidValue("zero size")));
        assert_eq!(
            check_event(&trade(1, -1)),
            Err(InvalidValue("negative size"))
        );
    }

    #[test]
    fn zero_is_a_valid_size_only_for_a_depth_delta() {
        assert_eq!(check_event(&delta(100, 0, 0)), Ok(()));
        assert_eq!(
            check_event(&delta(100, -1, 0)),
            Err(InvalidValue("negative depth size"))
        );
        assert_eq!(
            check_event(&delta(0, 5, 0)),
            Err(InvalidValue("zero depth price"))
        );
        // An EMPTY message row has no level: zero price and size by design.
        assert_eq!(check_event(&delta(0, 0, DeltaFlags::EMPTY)), Ok(()));
        assert!(check_event(&delta(5, 0, DeltaFlags::EMPTY)).is_err());
        let quote = |bid_size: i64| {
            MarketEvent::Quote(Quote {
                ts_event: UnixNanos(1),
                ts_recv: UnixNanos(1),
                bid_price: Price::from_raw(99),
                bid_size: Quantity::from_raw(bid_size),
                ask_price: Price::from_raw(100),
                ask_size: Quantity::from_raw(1),
                update_id: 0,
                flags: QuoteFlags::default(),
            })
        };
        assert_eq!(check_event(&quote(1)), Ok(()));
        assert_eq!(check_event(&quote(0)), Err(InvalidValue("zero bid size")));
    }

    #[test]
    fn bars_allow_zero_volume_and_funding_a_negative_rate() {
        let bar = Bar {
            ts_open: UnixNanos(0),
            ts_event: UnixNanos(60),
            ts_recv: UnixNanos(60),
            open: Price::from_raw(10),
            high: Price::from_raw(10),
            low: Price::from_raw(10),
            close: Price::from_raw(10),
            volume: Quantity::ZERO,
            vwap: Price::from_raw(10),
            buy_volume: Quantity::ZERO,
            sell_volume: Quantity::ZERO,
            trade_count: 0,
        };
        assert_eq!(check_event(&MarketEvent::Bar(bar)), Ok(()));
        let bad = Bar {
            low: Price::from_raw(-1),
            ..bar
        };
        assert_eq!(
            check_event(&MarketEvent::Bar(bad)),
            Err(InvalidValue("negative bar price"))
        );
        let funding = Funding {
            ts_event: UnixNanos(1),
            ts_recv: UnixNanos(1),
            rate: Rate::from_raw(-100),
            next_funding_time: UnixNanos(2),
            mark_price: Price::ZERO,
            index_price: Price::ZERO,
        };
        assert_eq!(check_event(&MarketEvent::Funding(funding)), Ok(()));
    }
}
