//! Bybit v5 trading: signed REST, the private stream's auth and topics, a fill.

use std::time::Duration;

use auction_trader_mock_exchange::signing::sign_hex;
use auction_trader_mock_exchange::{Speed, Venue};
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{capture, connect, default_key, http, next_text, now_ms, read_all, start};

fn bybit_headers(key: &str, secret: &str, text: &str) -> Vec<(&'static str, String)> {
    let timestamp = now_ms().to_string();
    let window = "5000";
    let signature = sign_hex(secret, &format!("{timestamp}{key}{window}{text}"));
    vec![
        ("X-BAPI-API-KEY", key.to_owned()),
        ("X-BAPI-TIMESTAMP", timestamp),
        ("X-BAPI-RECV-WINDOW", window.to_owned()),
        ("X-BAPI-SIGN", signature),
        ("Content-Type", "application/json".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_bybit_market_order_fills_and_the_private_topics_report_it() {
    let Some(path) = capture() else { return };
    let (server, _replay) = start(Venue::Bybit, &path, Speed::AsFastAsRead).await;
    let address = server.address();
    let (key, secret) = default_key();

    // Private stream: a wrong signature is refused, the right one authenticates.
    let mut private = connect(&format!("ws://{address}/v5/private")).await;
    let expires = (now_ms() + 10_000).to_string();
    let bad = json!({"op": "auth", "args": [key, expires, sign_hex("wrong", "GET/realtime")]});
    private.send(Message::text(bad.to_string())).await.unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut private).await.unwrap()).unwrap();
    assert_eq!(answer["success"], false);
    let signature = sign_hex(secret, &format!("GET/realtime{expires}"));
    let auth = json!({"op": "auth", "args": [key, expires, signature]});
    private.send(Message::text(auth.to_string())).await.unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut private).await.unwrap()).unwrap();
    assert_eq!(answer["success"], true, "{answer}");
    let subscribe =
        json!({"op": "subscribe", "args": ["order", "execution", "position", "wallet"]});
    private
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&next_text(&mut private).await.unwrap()).unwrap();
    assert_eq!(answer["success"], true, "{answer}");

    // A wrong REST signature.
    let body = json!({"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
        "orderType": "Market", "qty": "0.100", "orderLinkId": "b1"})
    .to_string();
    let (_, answer) = http(
        "POST",
        format!("http://{address}/v5/order/create"),
        bybit_headers(key, "wrong", &body),
        Some(body.clone()),
    )
    .await;
    assert_eq!(answer["retCode"], 10004);

    // The order, sent before the replay starts; a public subscription starts it.
    let order = tokio::spawn(http(
        "POST",
        format!("http://{address}/v5/order/create"),
        bybit_headers(key, secret, &body),
        Some(body),
    ));
    for _ in 0..500 {
        if server.status()["counters"]["orders_received"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut public = connect(&format!("ws://{address}/v5/public/linear")).await;
    public
        .send(Message::text(
            r#"{"op":"subscribe","args":["publicTrade.BTCUSDT"]}"#,
        ))
        .await
        .unwrap();
    let drain = tokio::spawn(async move { read_all(&mut public, Duration::from_secs(8)).await });
    let (status, answer) = order.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(answer["retCode"], 0, "{answer}");
    assert_eq!(answer["result"]["orderLinkId"], "b1");
    let received = read_all(&mut private, Duration::from_secs(8)).await;
    drain.await.unwrap();
    let topics: Vec<String> = received
        .texts
        .iter()
        .map(|text| {
            serde_json::from_str::<Value>(text).unwrap()["topic"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(topics.first().map(String::as_str), Some("order"));
    assert!(topics.iter().any(|topic| topic == "execution"));
    assert!(topics.iter().any(|topic| topic == "position"));
    assert!(topics.iter().any(|topic| topic == "wallet"));
    let executed: f64 = received
        .texts
        .iter()
        .map(|text| serde_json::from_str::<Value>(text).unwrap())
        .filter(|message| message["topic"] == "execution")
        .map(|message| {
            message["data"][0]["execQty"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!((executed - 0.1).abs() < 1e-9, "executed {executed}");
    let last_position = received
        .texts
        .iter()
        .rev()
        .map(|text| serde_json::from_str::<Value>(text).unwrap())
        .find(|message| message["topic"] == "position")
        .unwrap();
    assert_eq!(last_position["data"][0]["size"], "0.100");
    assert_eq!(last_position["data"][0]["side"], "Buy");
    assert_eq!(received.close_code, Some(1000));
}
