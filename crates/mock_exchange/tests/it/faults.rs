//! Faults on command: dropped connections, reordered depth frames, rejected orders and a
//! forced position.

use std::time::Duration;

use auction_trader_mock_exchange::signing::sign_hex;
use auction_trader_mock_exchange::{Speed, Venue};
use serde_json::Value;

use crate::support::{capture, connect, default_key, http, next_text, now_ms, read_all, start};

fn signed(secret: &str, params: &str) -> String {
    let payload = format!("{params}&timestamp={}", now_ms());
    format!("{payload}&signature={}", sign_hex(secret, &payload))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_reorder_reject_and_position_faults() {
    let Some(path) = capture() else { return };
    // 178 s of capture at 60x: 3 s.
    let (server, _) = start(Venue::BinanceUsdm, &path, Speed::Factor(60.0)).await;
    let address = server.address();
    let depth_url = format!("ws://{address}/stream?streams=btcusdt@depth@0ms");
    let mut socket = connect(&depth_url).await;
    for _ in 0..5 {
        next_text(&mut socket).await.expect("a frame");
    }

    // Drop: the connection ends without a close frame; a new one gets frames again.
    let (_, body) = http(
        "POST",
        format!("http://{address}/mock/drop"),
        Vec::new(),
        None,
    )
    .await;
    assert_eq!(body["dropped"], 1);
    let dropped = read_all(&mut socket, Duration::from_secs(2)).await;
    assert_eq!(dropped.close_code, None);
    let mut socket = connect(&depth_url).await;
    // The reconnected client asks for a snapshot at once: Binance's procedure bridges (drop
    // `u < lastUpdateId`, the first kept frame has `U <= lastUpdateId <= u`).
    let (_, snapshot) = http(
        "GET",
        format!("http://{address}/fapi/v1/depth?symbol=BTCUSDT&limit=5"),
        Vec::new(),
        None,
    )
    .await;
    let snapshot_id = snapshot["lastUpdateId"].as_u64().expect("lastUpdateId");
    loop {
        let text = next_text(&mut socket)
            .await
            .expect("frames after reconnecting");
        let frame: Value = serde_json::from_str(&text).expect("json");
        let first = frame["data"]["U"].as_u64().expect("U");
        let last = frame["data"]["u"].as_u64().expect("u");
        if last >= snapshot_id {
            assert!(
                first <= snapshot_id,
                "U {first} > lastUpdateId {snapshot_id}"
            );
            break;
        }
    }

    // Reorder: two depth frames swap places; `u` goes back once.
    let (_, body) = http(
        "POST",
        format!("http://{address}/mock/reorder"),
        Vec::new(),
        None,
    )
    .await;
    assert_eq!(body["pending_reorders"], 1);
    let mut previous_u = 0;
    let mut backwards = 0;
    let mut breaks = 0;
    let mut previous_pu_target = None;
    for _ in 0..40 {
        let text = next_text(&mut socket).await.expect("a frame");
        let frame: Value = serde_json::from_str(&text).expect("json");
        let u = frame["data"]["u"].as_u64().expect("u");
        let pu = frame["data"]["pu"].as_u64().expect("pu");
        if u < previous_u {
            backwards += 1;
        }
        if previous_pu_target.is_some_and(|target| target != pu) {
            breaks += 1;
        }
        previous_pu_target = Some(u);
        previous_u = u;
    }
    assert_eq!(backwards, 1);
    assert!(breaks >= 2, "the swap breaks the pu chain ({breaks})");

    // Reject: the next order is refused with Binance's -2010; the one after is not refused.
    let (key, secret) = default_key();
    let headers = vec![("X-MBX-APIKEY", key.to_owned())];
    http(
        "POST",
        format!("http://{address}/mock/reject?n=1"),
        Vec::new(),
        None,
    )
    .await;
    let order = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    let (status, body) = http(
        "POST",
        format!("http://{address}/fapi/v1/order?{}", signed(secret, order)),
        headers.clone(),
        None,
    )
    .await;
    assert_eq!((status, body["code"].clone()), (400, Value::from(-2010)));
    let (status, body) = http(
        "POST",
        format!("http://{address}/fapi/v1/order?{}", signed(secret, order)),
        headers.clone(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["executedQty"], "0.001");

    // Position: the venue now reports 0.5 BTC whatever the account holds.
    let (_, body) = http(
        "POST",
        format!("http://{address}/mock/position?qty=0.5"),
        Vec::new(),
        None,
    )
    .await;
    assert_eq!(body["simulated_position"], "0.001");
    let (status, body) = http(
        "GET",
        format!(
            "http://{address}/fapi/v2/positionRisk?{}",
            signed(secret, "symbol=BTCUSDT")
        ),
        headers,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["positionAmt"], "0.500");
    let status = server.status();
    assert_eq!(status["faults"]["drops_injected"], 1);
    assert_eq!(status["faults"]["reorders_injected"], 1);
    assert_eq!(status["faults"]["rejects_injected"], 1);
    assert_eq!(status["faults"]["positions_forced"], 1);
}
