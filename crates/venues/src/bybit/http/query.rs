//! Request bodies and query strings of the order and account endpoints, built from our order
//! vocabulary. Field order is fixed (serde writes struct order), so the signed body is the
//! body sent.

use auction_trader_types::{OrderId, OrderKind, OrderRequest, OrderSide, Price, Quantity};
use serde::Serialize;

use crate::bybit::config::CATEGORY;
use crate::client_ids::ClientIds;

/// `POST /v5/order/create`: Limit PostOnly, Limit GTC or Market, optionally reduce-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrder {
    pub category: &'static str,
    pub symbol: String,
    pub side: &'static str,
    pub order_type: &'static str,
    pub qty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// Omitted for market orders (Bybit executes them IOC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    pub order_link_id: String,
    pub reduce_only: bool,
}

impl CreateOrder {
    pub fn new(symbol: &str, request: &OrderRequest, links: &ClientIds) -> Self {
        let (order_type, price, time_in_force) = match request.kind {
            OrderKind::Market => ("Market", None, None),
            OrderKind::Limit { price, post_only } => (
                "Limit",
                Some(price.to_string()),
                Some(if post_only { "PostOnly" } else { "GTC" }),
            ),
        };
        Self {
            category: CATEGORY,
            symbol: symbol.to_owned(),
            side: side_name(request.side),
            order_type,
            qty: request.quantity.to_string(),
            price,
            time_in_force,
            order_link_id: links.link(request.id),
            reduce_only: request.reduce_only,
        }
    }
}

/// `POST /v5/order/amend`: a new quantity and/or price for a resting order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmendOrder {
    pub category: &'static str,
    pub symbol: String,
    pub order_link_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

impl AmendOrder {
    pub fn new(
        symbol: &str,
        id: OrderId,
        quantity: Option<Quantity>,
        price: Option<Price>,
        links: &ClientIds,
    ) -> Self {
        Self {
            category: CATEGORY,
            symbol: symbol.to_owned(),
            order_link_id: links.link(id),
            qty: quantity.map(|quantity| quantity.to_string()),
            price: price.map(|price| price.to_string()),
        }
    }
}

/// `POST /v5/order/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrder {
    pub category: &'static str,
    pub symbol: String,
    pub order_link_id: String,
}

impl CancelOrder {
    pub fn new(symbol: &str, id: OrderId, links: &ClientIds) -> Self {
        Self {
            category: CATEGORY,
            symbol: symbol.to_owned(),
            order_link_id: links.link(id),
        }
    }
}

/// Bybit's side names.
pub fn side_name(side: OrderSide) -> &'static str {
    match side {
        OrderSide::Buy => "Buy",
        OrderSide::Sell => "Sell",
    }
}

/// A query string `k1=v1&k2=v2` in the given order (the order signed is the order sent).
/// Values are percent-encoded outside `A-Z a-z 0-9 - _ . ~`.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        for byte in value.bytes() {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use auction_trader_types::TimeoutAction;

    use super::*;

    fn request(kind: OrderKind, reduce_only: bool) -> OrderRequest {
        OrderRequest {
            id: OrderId(7),
            side: OrderSide::Buy,
            quantity: Quantity::from_decimal_str("0.001").unwrap(),
            kind,
            reduce_only,
            timeout: Some((1_000_000_000, TimeoutAction::Cancel)),
            trigger: None,
        }
    }

    #[test]
    fn create_bodies_are_the_signed_ones() {
        let links = ClientIds::new("at-").unwrap();
        let post_only = OrderKind::Limit {
            price: Price::from_decimal_str("27450.5").unwrap(),
            post_only: true,
        };
        let body = serde_json::to_string(&CreateOrder::new(
            "BTCUSDT",
            &request(post_only, false),
            &links,
        ))
        .unwrap();
        // The body whose signature signing.rs checks against Python's hmac.
        assert_eq!(
            body,
            r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"27450.5","timeInForce":"PostOnly","orderLinkId":"at-7","reduceOnly":false}"#
        );
        let gtc = OrderKind::Limit {
            price: Price::from_decimal_str("100").unwrap(),
            post_only: false,
        };
        let body =
            serde_json::to_string(&CreateOrder::new("BTCUSDT", &request(gtc, false), &links))
                .unwrap();
        assert!(
            body.contains(r#""price":"100","timeInForce":"GTC""#),
            "{body}"
        );
        let body = serde_json::to_string(&CreateOrder::new(
            "BTCUSDT",
            &request(OrderKind::Market, true),
            &links,
        ))
        .unwrap();
        assert_eq!(
            body,
            r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.001","orderLinkId":"at-7","reduceOnly":true}"#
        );
    }

    #[test]
    fn amend_cancel_and_queries() {
        let links = ClientIds::new("at-").unwrap();
        let amend = AmendOrder::new(
            "BTCUSDT",
            OrderId(9),
            None,
            Some(Price::from_decimal_str("101.25").unwrap()),
            &links,
        );
        assert_eq!(
            serde_json::to_string(&amend).unwrap(),
            r#"{"category":"linear","symbol":"BTCUSDT","orderLinkId":"at-9","price":"101.25"}"#
        );
        assert_eq!(
            serde_json::to_string(&CancelOrder::new("BTCUSDT", OrderId(9), &links)).unwrap(),
            r#"{"category":"linear","symbol":"BTCUSDT","orderLinkId":"at-9"}"#
        );
        assert_eq!(
            query_string(&[("category", "linear"), ("symbol", "BTC USDT/1")]),
            "category=linear&symbol=BTC%20USDT%2F1"
        );
    }
}
