//! The REST order-book snapshot (Bybit v5 `GET /v5/market/orderbook`): `{"retCode":0,
//! "retMsg":"OK","result":{"s":..,"b":..,"a":..,"ts":..,"u":..,"seq":..,"cts":..},"time":..}`
//! → snapshot rows flagged exactly like a WebSocket snapshot (SNAPSHOT on every row, CLEAR on
//! the first, LAST on the final one), with `u` and `seq` in the same fields.

use std::borrow::Cow;

use auction_trader_types::{MarketEvent, UnixNanos};
use serde::Deserialize;

use super::orderbook::{Book, push_rows};
use super::{MessageError, millis};

#[derive(Debug, Deserialize)]
struct Response<'a> {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(borrow, rename = "retMsg", default)]
    ret_msg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    result: Option<Snapshot<'a>>,
}

#[derive(Debug, Deserialize)]
struct Snapshot<'a> {
    #[serde(borrow, default)]
    s: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    b: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    a: Vec<Vec<Cow<'a, str>>>,
    // Optional so an error reply (`"result":{}`) parses and reports its retCode.
    #[serde(default)]
    u: Option<u64>,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default)]
    cts: Option<i64>,
}

/// What a REST snapshot was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestBook {
    pub symbol: String,
    /// `u`.
    pub update_id: u64,
    /// `seq` (the cross sequence).
    pub sequence: u64,
}

/// Decodes one `/v5/market/orderbook` response body into snapshot rows appended to `out`
/// (`ts_recv` = our receive time, `None` = the response's `ts`). A `retCode` other than 0 is
/// an error naming it. On error `out` is unchanged.
pub fn decode_orderbook_response(
    json: &[u8],
    ts_recv: Option<UnixNanos>,
    out: &mut Vec<MarketEvent>,
) -> Result<RestBook, MessageError> {
    let response: Response<'_> = serde_json::from_slice(json)
        .map_err(|error| MessageError(format!("malformed order-book response: {error}")))?;
    if response.ret_code != 0 {
        return Err(MessageError(format!(
            "order-book request failed: retCode {} {}",
            response.ret_code,
            response.ret_msg.as_deref().unwrap_or_default()
        )));
    }
    let snapshot = response
        .result
        .ok_or("order-book response without result")?;
    let sent = millis(snapshot.ts.ok_or("order-book response without ts")?)?;
    let update_id = snapshot.u.ok_or("order-book response without u")?;
    let ts_event = match snapshot.cts {
        Some(cts) => millis(cts)?,
        None => sent,
    };
    let symbol = snapshot
        .s
        .as_deref()
        .filter(|symbol| !symbol.is_empty())
        .ok_or("order-book response without symbol")?
        .to_owned();
    let book = Book {
        s: None,
        b: snapshot.b,
        a: snapshot.a,
        u: update_id,
        seq: snapshot.seq,
    };
    push_rows(&book, ts_event, ts_recv.unwrap_or(sent), true, out)?;
    Ok(RestBook {
        symbol,
        update_id: book.u,
        sequence: book.seq,
    })
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{BookSide, DeltaFlags};

    use super::*;

    #[test]
    fn snapshot_rows_and_errors() {
        let json = br#"{"retCode":0,"retMsg":"OK","result":{"s":"BTCUSDT","b":[["27450.50","1.500"],["27450.00","2.000"]],"a":[["27451.00","1.200"]],"ts":1709891679000,"u":1234567,"seq":9876543,"cts":1709891678990},"time":1709891679050}"#;
        let mut out = Vec::new();
        let book = decode_orderbook_response(json, Some(UnixNanos(11)), &mut out).unwrap();
        assert_eq!(
            book,
            RestBook {
                symbol: "BTCUSDT".to_owned(),
                update_id: 1_234_567,
                sequence: 9_876_543
            }
        );
        let rows: Vec<_> = out
            .iter()
            .map(|event| match event {
                MarketEvent::Depth(row) => *row,
                other => panic!("{other:?}"),
            })
            .collect();
        let flags: Vec<u8> = rows.iter().map(|row| row.flags.0).collect();
        assert_eq!(
            flags,
            [
                DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
                DeltaFlags::SNAPSHOT,
                DeltaFlags::SNAPSHOT | DeltaFlags::LAST
            ]
        );
        assert_eq!(rows[2].side, BookSide::Ask);
        // 27450.50 * 10^9; 1.500 * 10^9.
        assert_eq!(rows[0].price.raw(), 27_450_500_000_000);
        assert_eq!(rows[0].size.raw(), 1_500_000_000);
        assert_eq!(rows[0].last_update_id, 1_234_567);
        assert_eq!(rows[0].prev_update_id, 9_876_543);
        assert_eq!(rows[0].ts_event, UnixNanos(1_709_891_678_990_000_000));
        assert_eq!(rows[0].ts_recv, UnixNanos(11));

        let failed = br#"{"retCode":10001,"retMsg":"params error","result":{},"time":1}"#;
        let error = decode_orderbook_response(failed, None, &mut out).unwrap_err();
        assert_eq!(
            error.0,
            "order-book request failed: retCode 10001 params error"
        );
        assert_eq!(out.len(), 3);
    }
}
