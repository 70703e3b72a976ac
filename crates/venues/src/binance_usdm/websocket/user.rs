//! The user-data stream (`/ws/<listenKey>`): `ORDER_TRADE_UPDATE` becomes our
//! [`ExecutionReport`]s, `ACCOUNT_UPDATE` the venue's position, `listenKeyExpired` a signal to
//! open a new key. Orders we did not send (another client id prefix) are ignored.

use auction_trader_types::{
    CancelReason, ExecutionReport, Fill, Liquidity, Money, OrderSide, Price, Quantity,
    RejectReason, UnixNanos,
};
use serde_json::Value;

use crate::{ClientIds, VenueError};

/// The net position of our symbol as an `ACCOUNT_UPDATE` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPosition {
    pub ts: UnixNanos,
    /// Signed (long > 0); in hedge mode the sum of the LONG and SHORT legs.
    pub quantity: Quantity,
}

/// One decoded user-data event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    Report(ExecutionReport),
    Position(AccountPosition),
    /// The listen key expired: the stream ends; a new key is needed.
    ListenKeyExpired,
}

/// Decodes one user-data message for `symbol`; messages of other kinds, symbols or orders
/// give no event.
pub fn parse_user_event(
    message: &[u8],
    symbol: &str,
    ids: &ClientIds,
) -> Result<Vec<UserEvent>, VenueError> {
    let value: Value = serde_json::from_slice(message).map_err(|error| protocol(&error))?;
    // A combined-stream envelope wraps the payload in `data`.
    let payload = value.get("data").unwrap_or(&value);
    match payload.get("e").and_then(Value::as_str) {
        Some("ORDER_TRADE_UPDATE") => order_update(payload, symbol, ids),
        Some("ACCOUNT_UPDATE") => account_update(payload, symbol),
        Some("listenKeyExpired") => Ok(vec![UserEvent::ListenKeyExpired]),
        _ => Ok(Vec::new()),
    }
}

fn protocol(reason: &dyn std::fmt::Display) -> VenueError {
    VenueError::Protocol {
        context: "binance-usdm user-data stream".to_owned(),
        reason: reason.to_string(),
    }
}

fn field<'a>(object: &'a Value, key: &str) -> Result<&'a Value, VenueError> {
    object
        .get(key)
        .ok_or_else(|| protocol(&format!("missing field {key:?}")))
}

fn text<'a>(object: &'a Value, key: &str) -> Result<&'a str, VenueError> {
    field(object, key)?
        .as_str()
        .ok_or_else(|| protocol(&format!("field {key:?} is not a string")))
}

fn millis(object: &Value, key: &str) -> Result<UnixNanos, VenueError> {
    let ms = field(object, key)?
        .as_i64()
        .ok_or_else(|| protocol(&format!("field {key:?} is not an integer")))?;
    ms.checked_mul(1_000_000)
        .map(UnixNanos)
        .ok_or_else(|| protocol(&format!("field {key:?} overflows")))
}

fn quantity(object: &Value, key: &str) -> Result<Quantity, VenueError> {
    Quantity::from_decimal_str(text(object, key)?).map_err(|error| protocol(&error))
}

fn price(object: &Value, key: &str) -> Result<Price, VenueError> {
    Price::from_decimal_str(text(object, key)?).map_err(|error| protocol(&error))
}

fn order_update(
    payload: &Value,
    symbol: &str,
    ids: &ClientIds,
) -> Result<Vec<UserEvent>, VenueError> {
    let order = field(payload, "o")?;
    if !text(order, "s")?.eq_ignore_ascii_case(symbol) {
        return Ok(Vec::new());
    }
    let Some(order_id) = ids.order(text(order, "c")?) else {
        return Ok(Vec::new());
    };
    // Time of the update: the order's trade time `T`, else the event's transaction time.
    let ts = millis(order, "T").or_else(|_| millis(payload, "T"))?;
    let report = match text(order, "x")? {
        "NEW" => ExecutionReport::Accepted { order_id, ts },
        "TRADE" => {
            let side = match text(order, "S")? {
                "BUY" => OrderSide::Buy,
                "SELL" => OrderSide::Sell,
                other => return Err(protocol(&format!("unknown side {other:?}"))),
            };
            let filled = quantity(order, "z")?;
            let ordered = quantity(order, "q")?;
            let maker = field(order, "m")?.as_bool().unwrap_or(false);
            // Commission `n` in asset `N` (USDT for USD-M unless paid in BNB).
            let fee =
                Money::from_decimal_str(text(order, "n")?).map_err(|error| protocol(&error))?;
            ExecutionReport::Filled(Fill {
                order_id,
                ts,
                side,
                price: price(order, "L")?,
                quantity: quantity(order, "l")?,
                liquidity: if maker {
                    Liquidity::Maker
                } else {
                    Liquidity::Taker
                },
                fee,
                reference_mid: None,
                leaves_quantity: Quantity::from_raw((ordered.raw() - filled.raw()).max(0)),
            })
        }
        "CANCELED" => ExecutionReport::Canceled {
            order_id,
            ts,
            reason: CancelReason::Requested,
        },
        "EXPIRED" => {
            let unfilled = quantity(order, "z")?.raw() == 0;
            // Binance expires a GTX (post-only) order that would take liquidity.
            if text(order, "f")? == "GTX" && unfilled {
                ExecutionReport::Rejected {
                    order_id,
                    ts,
                    reason: RejectReason::PostOnlyWouldCross,
                }
            } else {
                ExecutionReport::Canceled {
                    order_id,
                    ts,
                    reason: CancelReason::Expired,
                }
            }
        }
        "REJECTED" => ExecutionReport::Rejected {
            order_id,
            ts,
            reason: RejectReason::VenueRefused,
        },
        // AMENDMENT, CALCULATED (liquidation), TRADE_PREVENTION: no report of ours.
        _ => return Ok(Vec::new()),
    };
    Ok(vec![UserEvent::Report(report)])
}

fn account_update(payload: &Value, symbol: &str) -> Result<Vec<UserEvent>, VenueError> {
    let ts = millis(payload, "T").or_else(|_| millis(payload, "E"))?;
    let positions = field(field(payload, "a")?, "P")?
        .as_array()
        .ok_or_else(|| protocol(&"ACCOUNT_UPDATE positions are not an array"))?;
    let mut net: Option<i128> = None;
    for position in positions {
        if text(position, "s")?.eq_ignore_ascii_case(symbol) {
            let amount = quantity(position, "pa")?.raw();
            net = Some(net.unwrap_or(0) + amount);
        }
    }
    Ok(net
        .map(|raw| {
            UserEvent::Position(AccountPosition {
                ts,
                quantity: Quantity::from_raw(raw),
            })
        })
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::OrderId;

    use super::*;

    /// The recorded messages' orders carry `at-<id>` client ids.
    fn at() -> ClientIds {
        ClientIds::new("at-").unwrap()
    }

    /// Nautilus's recorded messages use the client id `TEST`; ours are `at-<id>`.
    fn recorded(text: &str) -> Vec<u8> {
        text.replace("\"c\": \"TEST\"", "\"c\": \"at-7\"")
            .into_bytes()
    }

    fn parse(text: &str) -> Vec<UserEvent> {
        parse_user_event(&recorded(text), "BTCUSDT", &at()).unwrap()
    }

    #[test]
    fn a_new_order_is_accepted() {
        let events = parse(include_str!(
            "../../../test_data/binance_usdm/order_update_new.json"
        ));
        assert_eq!(
            events,
            [UserEvent::Report(ExecutionReport::Accepted {
                order_id: OrderId(7),
                ts: UnixNanos(1_568_879_465_651_000_000),
            })]
        );
    }

    #[test]
    fn trades_are_maker_fills_with_fee_and_leaves() {
        let fill = |text: &str| match parse(text).as_slice() {
            [UserEvent::Report(ExecutionReport::Filled(fill))] => *fill,
            other => panic!("{other:?}"),
        };
        let full = fill(include_str!(
            "../../../test_data/binance_usdm/order_update_trade.json"
        ));
        assert_eq!(full.order_id, OrderId(7));
        assert_eq!(full.side, OrderSide::Buy);
        assert_eq!(full.price, Price::from_decimal_str("7100.50").unwrap());
        assert_eq!(full.quantity, Quantity::from_decimal_str("0.001").unwrap());
        assert_eq!(full.liquidity, Liquidity::Maker);
        assert_eq!(full.fee, Money::from_decimal_str("0.01").unwrap());
        // q = 0.001, z = 0.001: nothing left.
        assert_eq!(full.leaves_quantity, Quantity::ZERO);
        let partial = fill(include_str!(
            "../../../test_data/binance_usdm/order_update_trade_partial.json"
        ));
        // q = 0.002, z = 0.001: 0.001 left.
        assert_eq!(
            partial.leaves_quantity,
            Quantity::from_decimal_str("0.001").unwrap()
        );
    }

    #[test]
    fn orders_of_others_and_other_symbols_give_nothing() {
        let text = include_str!("../../../test_data/binance_usdm/order_update_trade.json");
        assert!(
            parse_user_event(text.as_bytes(), "BTCUSDT", &at())
                .unwrap()
                .is_empty()
        );
        assert!(
            parse_user_event(&recorded(text), "ETHUSDT", &at())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn account_update_nets_the_position_sides() {
        let events = parse(include_str!(
            "../../../test_data/binance_usdm/account_update.json"
        ));
        // BOTH 0 + LONG 20 + SHORT -10 = 10.
        assert_eq!(
            events,
            [UserEvent::Position(AccountPosition {
                ts: UnixNanos(1_564_745_798_939_000_000),
                quantity: Quantity::from_decimal_str("10").unwrap(),
            })]
        );
    }

    #[test]
    fn expiries_cancels_and_key_expiry() {
        let text = recorded(include_str!(
            "../../../test_data/binance_usdm/order_update_new.json"
        ));
        let text = String::from_utf8(text).unwrap();
        let with = |execution: &str, time_in_force: &str| {
            let changed = text
                .replace("\"x\": \"NEW\"", &format!("\"x\": \"{execution}\""))
                .replace("\"f\": \"GTC\"", &format!("\"f\": \"{time_in_force}\""));
            parse_user_event(changed.as_bytes(), "BTCUSDT", &at()).unwrap()
        };
        let ts = UnixNanos(1_568_879_465_651_000_000);
        let order_id = OrderId(7);
        assert_eq!(
            with("EXPIRED", "GTX"),
            [UserEvent::Report(ExecutionReport::Rejected {
                order_id,
                ts,
                reason: RejectReason::PostOnlyWouldCross
            })]
        );
        assert_eq!(
            with("EXPIRED", "GTC"),
            [UserEvent::Report(ExecutionReport::Canceled {
                order_id,
                ts,
                reason: CancelReason::Expired
            })]
        );
        assert_eq!(
            with("CANCELED", "GTC"),
            [UserEvent::Report(ExecutionReport::Canceled {
                order_id,
                ts,
                reason: CancelReason::Requested
            })]
        );
        assert!(with("AMENDMENT", "GTC").is_empty());
        assert_eq!(
            parse_user_event(
                br#"{"e":"listenKeyExpired","E":1576653824250}"#,
                "BTCUSDT",
                &at()
            )
            .unwrap(),
            [UserEvent::ListenKeyExpired]
        );
        assert!(parse_user_event(b"not json", "BTCUSDT", &at()).is_err());
    }
}
