//! `tickers.<symbol>` messages (Bybit v5 "Ticker", linear): `{"topic":"tickers.BTCUSDT",
//! "type":"snapshot"|"delta","data":{"symbol":..,"bid1Price":..,"bid1Size":..,"ask1Price":..,
//! "ask1Size":..,"markPrice":..,"indexPrice":..,"fundingRate":..,"nextFundingTime":..,...},
//! "cs":..,"ts":..}`. Linear tickers send one snapshot, then deltas holding only the fields
//! that changed, so the last value of every field is kept per symbol (a snapshot replaces
//! them all). A message that names a best bid/ask field yields a [`Quote`] once all four are
//! known; one that names a funding field (rate, next funding time, mark or index price) yields
//! a [`Funding`] once the rate and the next funding time are known (mark/index zero = not yet
//! known). `ts_event` = `ts`; the quote's `update_id` is `cs`, Bybit's cross sequence, the
//! same counter as the order book's `seq` (our [`BookDelta::prev_update_id`]): a quote with
//! `cs = c` shows the book after the last depth message with `seq <= c`.
//!
//! [`BookDelta::prev_update_id`]: auction_trader_types::BookDelta::prev_update_id

use std::borrow::Cow;

use auction_trader_types::{
    Funding, MarketEvent, Price, Quantity, Quote, QuoteFlags, Rate, UnixNanos,
};
use serde::Deserialize;

use super::{Channel, Decoded, Typed, TypedError, millis, symbol_of};
use crate::validity::check_event;

/// The v5 topic prefix.
pub const TOPIC: &str = "tickers.";

#[derive(Debug, Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    cs: Option<u64>,
    #[serde(borrow)]
    data: Fields<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    #[serde(borrow, default)]
    symbol: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    bid1_price: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    bid1_size: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ask1_price: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ask1_size: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    mark_price: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    index_price: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    funding_rate: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    next_funding_time: Option<Cow<'a, str>>,
}

/// The last known value of each field of one symbol's ticker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TickerState {
    bid_price: Option<Price>,
    bid_size: Option<Quantity>,
    ask_price: Option<Price>,
    ask_size: Option<Quantity>,
    mark_price: Option<Price>,
    index_price: Option<Price>,
    rate: Option<Rate>,
    next_funding_time: Option<UnixNanos>,
}

/// Ticker states per symbol.
#[derive(Debug, Clone, Default)]
pub(crate) struct TickerBook {
    states: Vec<(String, TickerState)>,
}

impl TickerBook {
    pub(crate) fn decode<'a>(
        &mut self,
        json: &'a [u8],
        ts_recv: Option<UnixNanos>,
        out: &mut Vec<MarketEvent>,
    ) -> Typed<'a> {
        let message: Message<'a> = serde_json::from_slice(json).map_err(TypedError::Json)?;
        let topic = message.topic.unwrap_or_default();
        if !topic.starts_with(TOPIC) {
            return Ok(None);
        }
        let snapshot = match message.kind.as_deref() {
            Some("snapshot") => true,
            Some("delta") => false,
            Some(other) => return Err(format!("unknown ticker message type {other:?}").into()),
            None => return Err("ticker message without type".into()),
        };
        let ts_event = millis(message.ts.ok_or("ticker message without ts")?)?;
        let ts_recv = ts_recv.unwrap_or(ts_event);
        let fields = &message.data;
        let symbol = symbol_of(
            fields.symbol.clone(),
            &topic,
            "ticker message without symbol",
        )?;
        let index = match self.states.iter().position(|(known, _)| *known == symbol) {
            Some(index) => index,
            None => {
                self.states
                    .push((symbol.clone().into_owned(), TickerState::default()));
                self.states.len() - 1
            }
        };
        let previous = if snapshot {
            TickerState::default()
        } else {
            self.states[index].1
        };
        let state = TickerState {
            bid_price: update(previous.bid_price, &fields.bid1_price)?,
            bid_size: update(previous.bid_size, &fields.bid1_size)?,
            ask_price: update(previous.ask_price, &fields.ask1_price)?,
            ask_size: update(previous.ask_size, &fields.ask1_size)?,
            mark_price: update(previous.mark_price, &fields.mark_price)?,
            index_price: update(previous.index_price, &fields.index_price)?,
            rate: update(previous.rate, &fields.funding_rate)?,
            next_funding_time: match present(&fields.next_funding_time) {
                Some(text) => Some(millis(
                    text.parse::<i64>()
                        .map_err(|_| format!("nextFundingTime {text:?}"))?,
                )?),
                None => previous.next_funding_time,
            },
        };
        let start = out.len();
        let names_quote = [
            &fields.bid1_price,
            &fields.bid1_size,
            &fields.ask1_price,
            &fields.ask1_size,
        ]
        .iter()
        .any(|field| field.is_some());
        if let (true, Some(bid_price), Some(bid_size), Some(ask_price), Some(ask_size)) = (
            names_quote,
            state.bid_price,
            state.bid_size,
            state.ask_price,
            state.ask_size,
        ) {
            out.push(MarketEvent::Quote(Quote {
                ts_event,
                ts_recv,
                bid_price,
                bid_size,
                ask_price,
                ask_size,
                update_id: message.cs.unwrap_or(0),
                flags: QuoteFlags::default(),
            }));
        }
        let names_funding = [
            &fields.funding_rate,
            &fields.next_funding_time,
            &fields.mark_price,
            &fields.index_price,
        ]
        .iter()
        .any(|field| field.is_some());
        if let (true, Some(rate), Some(next_funding_time)) =
            (names_funding, state.rate, state.next_funding_time)
        {
            out.push(MarketEvent::Funding(Funding {
                ts_event,
                ts_recv,
                rate,
                next_funding_time,
                mark_price: state.mark_price.unwrap_or(Price::ZERO),
                index_price: state.index_price.unwrap_or(Price::ZERO),
            }));
        }
        if let Some(invalid) = out[start..]
            .iter()
            .find_map(|event| check_event(event).err())
        {
            out.truncate(start);
            return Err(TypedError::Invalid(invalid.0.to_owned()));
        }
        self.states[index].1 = state;
        Ok(Some(Decoded::Market {
            channel: Channel::Ticker,
            symbol,
        }))
    }
}

/// A field present with a non-empty value (Bybit sends `""` for "not applicable").
fn present<'b>(field: &'b Option<Cow<'_, str>>) -> Option<&'b str> {
    field.as_deref().filter(|text| !text.is_empty())
}

/// The new value of a decimal field: parsed when present, else the previous one.
fn update<T: Decimal>(
    previous: Option<T>,
    field: &Option<Cow<'_, str>>,
) -> Result<Option<T>, String> {
    match present(field) {
        Some(text) => T::parse(text).map(Some),
        None => Ok(previous),
    }
}

/// The fixed-point types a ticker field parses into.
trait Decimal: Sized {
    fn parse(text: &str) -> Result<Self, String>;
}

macro_rules! decimal {
    ($($name:ident),*) => {$(
        impl Decimal for $name {
            fn parse(text: &str) -> Result<Self, String> {
                $name::from_decimal_str(text).map_err(|error| error.to_string())
            }
        }
    )*};
}

decimal!(Price, Quantity, Rate);

#[cfg(test)]
mod tests {
    use super::super::BybitDecoder;
    use super::*;

    const SNAPSHOT: &str = r#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","tickDirection":"PlusTick","lastPrice":"17216.00","markPrice":"17217.33","indexPrice":"17227.36","nextFundingTime":"1673280000000","fundingRate":"-0.000212","bid1Price":"17215.50","bid1Size":"84.489","ask1Price":"17216.00","ask1Size":"83.020"},"cs":24987956059,"ts":1673272861686}"#;

    #[test]
    fn snapshot_gives_quote_and_funding_then_deltas_merge() {
        let mut decoder = BybitDecoder::default();
        let mut out = Vec::new();
        decoder
            .decode(SNAPSHOT.as_bytes(), Some(UnixNanos(5)), &mut out)
            .unwrap();
        let [MarketEvent::Quote(quote), MarketEvent::Funding(funding)] = out.as_slice() else {
            panic!("{out:?}");
        };
        // 17215.50 * 10^9; 84.489 * 10^9; ts 1673272861686 ms.
        assert_eq!(quote.bid_price.raw(), 17_215_500_000_000);
        assert_eq!(quote.bid_size.raw(), 84_489_000_000);
        assert_eq!(quote.ask_price.raw(), 17_216_000_000_000);
        assert_eq!(quote.ask_size.raw(), 83_020_000_000);
        assert_eq!(quote.update_id, 24_987_956_059);
        assert_eq!(quote.ts_event, UnixNanos(1_673_272_861_686_000_000));
        assert_eq!(quote.ts_recv, UnixNanos(5));
        // -0.000212 * 10^9 = -212000.
        assert_eq!(funding.rate.raw(), -212_000);
        assert_eq!(
            funding.next_funding_time,
            UnixNanos(1_673_280_000_000_000_000)
        );
        assert_eq!(funding.mark_price.raw(), 17_217_330_000_000);
        assert_eq!(funding.index_price.raw(), 17_227_360_000_000);

        // A delta with only the bid size: a quote with the other three kept, no funding.
        let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Size":"1.5"},"cs":24987956060,"ts":1673272861700}"#;
        out.clear();
        decoder.decode(delta.as_bytes(), None, &mut out).unwrap();
        let [MarketEvent::Quote(quote)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(quote.bid_size.raw(), 1_500_000_000);
        assert_eq!(quote.bid_price.raw(), 17_215_500_000_000);
        assert_eq!(quote.update_id, 24_987_956_060);
        // A delta with only the mark price: funding with the kept rate.
        let mark = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"17218"},"cs":1,"ts":1673272861800}"#;
        out.clear();
        decoder.decode(mark.as_bytes(), None, &mut out).unwrap();
        let [MarketEvent::Funding(funding)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(funding.mark_price.raw(), 17_218_000_000_000);
        assert_eq!(funding.rate.raw(), -212_000);
        // A delta naming neither: no event.
        let other = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","volume24h":"5"},"cs":2,"ts":1673272861900}"#;
        out.clear();
        let decoded = decoder.decode(other.as_bytes(), None, &mut out).unwrap();
        assert!(matches!(
            decoded,
            Decoded::Market {
                channel: Channel::Ticker,
                ..
            }
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn a_delta_before_any_snapshot_waits_for_the_missing_fields() {
        let mut decoder = BybitDecoder::default();
        let mut out = Vec::new();
        let delta = r#"{"topic":"tickers.ETHUSDT","type":"delta","data":{"symbol":"ETHUSDT","bid1Price":"3000","fundingRate":"0.0001"},"cs":1,"ts":1}"#;
        decoder.decode(delta.as_bytes(), None, &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn an_invalid_quote_keeps_the_previous_state() {
        let mut decoder = BybitDecoder::default();
        let mut out = Vec::new();
        decoder.decode(SNAPSHOT.as_bytes(), None, &mut out).unwrap();
        let zero = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","ask1Size":"0"},"cs":3,"ts":1673272861900}"#;
        out.clear();
        let error = decoder.decode(zero.as_bytes(), None, &mut out).unwrap_err();
        assert_eq!(error.0, "zero ask size");
        assert!(out.is_empty());
        let bid = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Size":"2"},"cs":4,"ts":1673272862000}"#;
        decoder.decode(bid.as_bytes(), None, &mut out).unwrap();
        let [MarketEvent::Quote(quote)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(quote.ask_size.raw(), 83_020_000_000);
    }
}
