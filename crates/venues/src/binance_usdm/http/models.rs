//! Shapes of the REST answers we read (unknown fields ignored: the venue adds fields over
//! time). Decimal strings stay strings here and are parsed into fixed point where used.

use serde::Deserialize;

/// The error body of a failed request: `{"code":-2010,"msg":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    pub code: i64,
    pub msg: String,
}

/// An order as `POST/DELETE /fapi/v1/order` and `GET /fapi/v1/openOrders` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    pub order_id: u64,
    pub symbol: String,
    pub status: String,
    pub client_order_id: String,
    pub price: String,
    pub orig_qty: String,
    pub executed_qty: String,
    pub side: String,
    #[serde(rename = "type")]
    pub order_type: String,
    pub time_in_force: String,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub update_time: i64,
}

/// One row of `GET /fapi/v1/userTrades` (an account trade).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTrade {
    pub id: u64,
    pub order_id: u64,
    pub symbol: String,
    pub side: String,
    pub price: String,
    pub qty: String,
    /// Paid in `commission_asset` (negative = rebate), as the user stream's `n`.
    pub commission: String,
    #[serde(default)]
    pub commission_asset: String,
    pub maker: bool,
    /// Trade time, ms.
    pub time: i64,
}

/// One row of `GET /fapi/v2/positionRisk`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRisk {
    pub symbol: String,
    /// Signed position size (`"-0.010"` is short).
    pub position_amt: String,
    pub entry_price: String,
    #[serde(default)]
    pub mark_price: String,
    /// `BOTH` in one-way mode; `LONG`/`SHORT` in hedge mode.
    pub position_side: String,
}

/// One row of `GET /fapi/v2/balance`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub asset: String,
    pub balance: String,
    #[serde(default)]
    pub available_balance: String,
}

/// `POST/PUT /fapi/v1/listenKey`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenKey {
    pub listen_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_rest_answers_parse() {
        let order: OrderResponse = serde_json::from_str(include_str!(
            "../../../test_data/binance_usdm/order_response.json"
        ))
        .unwrap();
        assert_eq!(order.order_id, 12_345_678);
        assert_eq!(order.client_order_id, "testOrder123");
        assert_eq!(
            (order.price.as_str(), order.orig_qty.as_str()),
            ("50000.00", "0.001")
        );
        assert_eq!(
            (order.order_type.as_str(), order.time_in_force.as_str()),
            ("LIMIT", "GTC")
        );
        let positions: Vec<PositionRisk> = serde_json::from_str(include_str!(
            "../../../test_data/binance_usdm/position_risk.json"
        ))
        .unwrap();
        assert_eq!(positions.len(), 1);
        assert_eq!(positions[0].position_amt, "0.001");
        assert_eq!(positions[0].position_side, "BOTH");
        let balances: Vec<Balance> =
            serde_json::from_str(include_str!("../../../test_data/binance_usdm/balance.json"))
                .unwrap();
        assert_eq!(balances[0].asset, "USDT");
        assert_eq!(balances[0].available_balance, "122.12345678");
        let error: ApiError =
            serde_json::from_str(r#"{"code":-5022,"msg":"Due to the order could not be executed as maker, the Post Only order will be rejected."}"#)
                .unwrap();
        assert_eq!(error.code, -5022);
    }
}
