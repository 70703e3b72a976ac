//! `publicTrade.<symbol>` messages (Bybit v5 "Trade"): `{"topic":"publicTrade.BTCUSDT",
//! "type":"snapshot","ts":..,"data":[{"T":..,"s":..,"S":"Buy","v":"0.001","p":"16578.50",
//! "L":"PlusTick","i":"<trade id>","BT":false}]}` → one [`Trade`] per element. `S` is the
//! taker side; `T` (the fill time) is `ts_event`; `i` becomes the [`TradeId`] (numeric ids
//! kept, UUIDs hashed).

use std::borrow::Cow;

use auction_trader_types::{
    AggressorSide, MarketEvent, Price, Quantity, Trade, TradeId, UnixNanos,
};
use serde::Deserialize;

use super::{Channel, Decoded, Typed, TypedError, millis, push_all, symbol_of};
use crate::validity::check_event;

/// The v5 topic prefix.
pub const TOPIC: &str = "publicTrade.";
/// The topic spelling of the shared protocol example (`trade.linear.BTCUSDT`, written from
/// older documentation); same message shape.
pub const LEGACY_TOPIC: &str = "trade.";

#[derive(Debug, Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(borrow)]
    data: Vec<Print<'a>>,
}

#[derive(Debug, Deserialize)]
struct Print<'a> {
    #[serde(rename = "T")]
    time: i64,
    #[serde(borrow, default)]
    s: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "S")]
    side: Cow<'a, str>,
    #[serde(borrow)]
    v: Cow<'a, str>,
    #[serde(borrow)]
    p: Cow<'a, str>,
    #[serde(borrow)]
    i: Cow<'a, str>,
}

pub(crate) fn decode<'a>(
    json: &'a [u8],
    ts_recv: Option<UnixNanos>,
    out: &mut Vec<MarketEvent>,
) -> Typed<'a> {
    let message: Message<'a> = serde_json::from_slice(json).map_err(TypedError::Json)?;
    let topic = message.topic.unwrap_or_default();
    if !(topic.starts_with(TOPIC) || topic.starts_with(LEGACY_TOPIC)) {
        return Ok(None);
    }
    let sent = message.ts.map(millis).transpose()?;
    let first_symbol = message.data.first().and_then(|print| print.s.clone());
    let symbol = symbol_of(first_symbol, &topic, "trade message without symbol")?;
    push_all(&message.data, out, |print| trade(print, sent, ts_recv))?;
    Ok(Some(Decoded::Market {
        channel: Channel::Trade,
        symbol,
    }))
}

fn trade(
    print: &Print<'_>,
    sent: Option<UnixNanos>,
    ts_recv: Option<UnixNanos>,
) -> Result<MarketEvent, String> {
    let ts_event = millis(print.time)?;
    let aggressor = match print.side.as_ref() {
        "Buy" => AggressorSide::Buy,
        "Sell" => AggressorSide::Sell,
        other => return Err(format!("trade side {other:?}")),
    };
    let event = MarketEvent::Trade(Trade {
        ts_event,
        ts_recv: ts_recv.or(sent).unwrap_or(ts_event),
        price: Price::from_decimal_str(&print.p).map_err(|error| error.to_string())?,
        size: Quantity::from_decimal_str(&print.v).map_err(|error| error.to_string())?,
        aggressor,
        trade_id: TradeId::from_venue_str(&print.i),
    });
    check_event(&event).map_err(|invalid| invalid.0.to_owned())?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::super::BybitDecoder;
    use super::*;

    #[test]
    fn two_prints_become_two_trades() {
        let json = br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false},{"T":1672304486866,"s":"BTCUSDT","S":"Sell","v":"2","p":"16578","i":"123"}]}"#;
        let mut out = Vec::new();
        let decoded = BybitDecoder::default()
            .decode(json, Some(UnixNanos(99)), &mut out)
            .unwrap();
        assert!(
            matches!(decoded, Decoded::Market { channel: Channel::Trade, ref symbol } if symbol == "BTCUSDT")
        );
        let [MarketEvent::Trade(first), MarketEvent::Trade(second)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(first.ts_event, UnixNanos(1_672_304_486_865_000_000));
        assert_eq!(first.ts_recv, UnixNanos(99));
        // 16578.50 * 10^9 and 0.001 * 10^9.
        assert_eq!(first.price.raw(), 16_578_500_000_000);
        assert_eq!(first.size.raw(), 1_000_000);
        assert_eq!(first.aggressor, AggressorSide::Buy);
        assert_eq!(
            first.trade_id,
            TradeId::from_venue_str("20f43950-d8dd-5b31-9112-a178eb6023af")
        );
        assert_eq!(second.aggressor, AggressorSide::Sell);
        assert_eq!(second.trade_id, TradeId(123));
        // Without a receive time the message's ts stands in.
        let mut out = Vec::new();
        BybitDecoder::default()
            .decode(json, None, &mut out)
            .unwrap();
        assert_eq!(out[0].ts_recv(), UnixNanos(1_672_304_486_868_000_000));
    }

    #[test]
    fn a_zero_size_print_fails_the_whole_message() {
        let json = br#"{"topic":"publicTrade.BTCUSDT","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"2","i":"1"},{"T":1,"s":"BTCUSDT","S":"Buy","v":"0","p":"2","i":"2"}]}"#;
        let mut out = Vec::new();
        let error = BybitDecoder::default()
            .decode(json, None, &mut out)
            .unwrap_err();
        assert_eq!(error.0, "zero size");
        assert!(out.is_empty());
    }
}
