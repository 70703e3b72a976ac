//! `allLiquidation.<symbol>` messages (Bybit v5 "All Liquidation"): `{"topic":
//! "allLiquidation.ROSEUSDT","type":"snapshot","ts":..,"data":[{"T":..,"s":"ROSEUSDT",
//! "S":"Sell","v":"20000","p":"0.04499"}]}` → one [`Liquidation`] per element. Bybit's `S` is
//! the side of the liquidated *position* ("Buy" = a long was liquidated); our
//! [`Liquidation::side`] is the side of the liquidation order, so `S = Buy` becomes `Sell`.

use std::borrow::Cow;

use auction_trader_types::{AggressorSide, Liquidation, MarketEvent, Price, Quantity, UnixNanos};
use serde::Deserialize;

use super::{Channel, Decoded, Typed, TypedError, millis, push_all, symbol_of};
use crate::validity::check_event;

/// The v5 topic prefix.
pub const TOPIC: &str = "allLiquidation.";

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
}

pub(crate) fn decode<'a>(
    json: &'a [u8],
    ts_recv: Option<UnixNanos>,
    out: &mut Vec<MarketEvent>,
) -> Typed<'a> {
    let message: Message<'a> = serde_json::from_slice(json).map_err(TypedError::Json)?;
    let topic = message.topic.unwrap_or_default();
    if !topic.starts_with(TOPIC) {
        return Ok(None);
    }
    let sent = message.ts.map(millis).transpose()?;
    let first_symbol = message.data.first().and_then(|print| print.s.clone());
    let symbol = symbol_of(first_symbol, &topic, "liquidation message without symbol")?;
    push_all(&message.data, out, |print| {
        liquidation(print, sent, ts_recv)
    })?;
    Ok(Some(Decoded::Market {
        channel: Channel::Liquidation,
        symbol,
    }))
}

fn liquidation(
    print: &Print<'_>,
    sent: Option<UnixNanos>,
    ts_recv: Option<UnixNanos>,
) -> Result<MarketEvent, String> {
    let ts_event = millis(print.time)?;
    let side = match print.side.as_ref() {
        "Buy" => AggressorSide::Sell,
        "Sell" => AggressorSide::Buy,
        other => return Err(format!("liquidation side {other:?}")),
    };
    let event = MarketEvent::Liquidation(Liquidation {
        ts_event,
        ts_recv: ts_recv.or(sent).unwrap_or(ts_event),
        side,
        price: Price::from_decimal_str(&print.p).map_err(|error| error.to_string())?,
        size: Quantity::from_decimal_str(&print.v).map_err(|error| error.to_string())?,
    });
    check_event(&event).map_err(|invalid| invalid.0.to_owned())?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::super::BybitDecoder;
    use super::*;

    #[test]
    fn a_liquidated_long_is_a_sell() {
        // The v5 documentation's example message.
        let json = br#"{"topic":"allLiquidation.ROSEUSDT","type":"snapshot","ts":1739502303204,"data":[{"T":1739502302929,"s":"ROSEUSDT","S":"Buy","v":"20000","p":"0.04499"}]}"#;
        let mut out = Vec::new();
        let decoded = BybitDecoder::default()
            .decode(json, Some(UnixNanos(3)), &mut out)
            .unwrap();
        assert!(
            matches!(decoded, Decoded::Market { channel: Channel::Liquidation, ref symbol } if symbol == "ROSEUSDT")
        );
        let [MarketEvent::Liquidation(liquidation)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(liquidation.side, AggressorSide::Sell);
        // 0.04499 * 10^9 = 44990000; 20000 * 10^9.
        assert_eq!(liquidation.price.raw(), 44_990_000);
        assert_eq!(liquidation.size.raw(), 20_000_000_000_000);
        assert_eq!(liquidation.ts_event, UnixNanos(1_739_502_302_929_000_000));
        assert_eq!(liquidation.ts_recv, UnixNanos(3));
    }
}
