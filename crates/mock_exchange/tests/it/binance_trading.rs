//! Binance USD-M trading: signatures, and orders filled exactly as the simulated exchange
//! fills them on the same events.

use std::time::Duration;

use auction_trader_execution::{FillModelConfig, SimulatedExchange};
use auction_trader_mock_exchange::format::fixed;
use auction_trader_mock_exchange::signing::sign_hex;
use auction_trader_mock_exchange::{Speed, Venue};
use auction_trader_types::{
    ExecutionReport, Money, OrderId, OrderKind, OrderRequest, OrderSide, Quantity,
};
use serde_json::Value;

use crate::support::{capture, connect, default_key, http, now_ms, read_all, start};

fn signed_query(secret: &str, params: &str) -> String {
    let payload = format!("{params}&recvWindow=5000&timestamp={}", now_ms());
    let signature = sign_hex(secret, &payload);
    format!("{payload}&signature={signature}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_or_an_unknown_key_is_refused_with_binance_errors() {
    let Some(path) = capture() else { return };
    let (server, _) = start(Venue::BinanceUsdm, &path, Speed::AsFastAsRead).await;
    let address = server.address();
    let (key, secret) = default_key();
    let params = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    let url = |query: String| format!("http://{address}/fapi/v1/order?{query}");
    let (status, body) = http(
        "POST",
        url(signed_query("not-the-secret", params)),
        vec![("X-MBX-APIKEY", key.to_owned())],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], -1022);
    let (status, body) = http(
        "POST",
        url(signed_query(secret, params)),
        vec![("X-MBX-APIKEY", "someone-else".to_owned())],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], -2015);
    // A signed read with the right pair passes.
    let (status, body) = http(
        "GET",
        format!(
            "http://{address}/fapi/v2/positionRisk?{}",
            signed_query(secret, "symbol=BTCUSDT")
        ),
        vec![("X-MBX-APIKEY", key.to_owned())],
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["positionAmt"], "0.000");
    assert_eq!(server.status()["counters"]["signature_failures"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_orders_fill_exactly_as_the_simulated_exchange_fills_them() {
    let Some(path) = capture() else { return };
    let (server, replay) = start(Venue::BinanceUsdm, &path, Speed::AsFastAsRead).await;
    let address = server.address();
    let (key, secret) = default_key();
    let headers = vec![("X-MBX-APIKEY", key.to_owned())];
    // The user-data stream first.
    let (status, body) = http(
        "POST",
        format!("http://{address}/fapi/v1/listenKey"),
        headers.clone(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let listen_key = body["listenKey"].as_str().expect("listenKey").to_owned();
    let mut user = connect(&format!("ws://{address}/ws/{listen_key}")).await;
    // Two orders sent before the replay starts (at the first frame's time): a market buy of
    // 0.250 BTC (walks the book) and a resting limit sell of 0.100 BTC 2 ticks above the
    // snapshot's best ask (fills by the queue model when trades reach it).
    let best_ask = replay
        .snapshot_rows
        .iter()
        .filter(|row| row.side == auction_trader_types::BookSide::Ask && row.size.is_positive())
        .map(|row| row.price)
        .min()
        .expect("an ask");
    let tick = replay.instrument.tick_size;
    let limit_price = auction_trader_types::Price::from_raw(best_ask.raw() + 2 * tick.raw());
    let market = tokio::spawn(http(
        "POST",
        format!(
            "http://{address}/fapi/v1/order?{}",
            signed_query(
                secret,
                "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.250&newClientOrderId=m1"
            )
        ),
        headers.clone(),
        None,
    ));
    wait_for_orders(&server, 1).await;
    let limit_params = format!(
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.100&price={}&newClientOrderId=l1",
        fixed(i128::from(limit_price.raw()), 1)
    );
    let limit = tokio::spawn(http(
        "POST",
        format!(
            "http://{address}/fapi/v1/order?{}",
            signed_query(secret, &limit_params)
        ),
        headers.clone(),
        None,
    ));
    wait_for_orders(&server, 2).await;
    // A market-data subscription starts the replay.
    let mut market_data =
        connect(&format!("ws://{address}/stream?streams=btcusdt@bookTicker")).await;
    let drain =
        tokio::spawn(async move { read_all(&mut market_data, Duration::from_secs(8)).await });
    let (status, market_answer) = market.await.expect("task");
    assert_eq!(status, 200, "{market_answer}");
    assert_eq!(market_answer["status"], "FILLED");
    assert_eq!(market_answer["executedQty"], "0.250");
    let (status, limit_answer) = limit.await.expect("task");
    assert_eq!(status, 200, "{limit_answer}");
    assert_eq!(limit_answer["status"], "NEW");
    let received = read_all(&mut user, Duration::from_secs(8)).await;
    drain.await.expect("drain");
    assert_eq!(received.close_code, Some(1000));

    // The same orders through a SimulatedExchange fed with the same events.
    let mut exchange =
        SimulatedExchange::new(replay.instrument.clone(), FillModelConfig::default()).unwrap();
    exchange.deposit(Money::from_units(10_000).unwrap());
    let start = replay.start_time();
    let mut reports = Vec::new();
    for event in replay.start_events() {
        exchange.on_market_event(&event, &mut reports);
    }
    assert!(reports.is_empty());
    let request = |id: u64, side: OrderSide, quantity: &str, kind: OrderKind| OrderRequest {
        id: OrderId(id),
        side,
        quantity: Quantity::from_decimal_str(quantity).unwrap(),
        kind,
        reduce_only: false,
        timeout: None,
        trigger: None,
    };
    exchange.submit(
        start,
        request(1, OrderSide::Buy, "0.250", OrderKind::Market),
    );
    exchange.submit(
        start,
        request(
            2,
            OrderSide::Sell,
            "0.100",
            OrderKind::Limit {
                price: limit_price,
                post_only: false,
            },
        ),
    );
    for frame in &replay.frames {
        for event in &frame.events {
            exchange.on_market_event(event, &mut reports);
        }
    }
    let expected: Vec<(String, String, String, String)> = reports
        .iter()
        .filter_map(|report| match report {
            ExecutionReport::Filled(fill) => Some((
                if fill.order_id == OrderId(1) {
                    "m1"
                } else {
                    "l1"
                }
                .to_owned(),
                fixed(i128::from(fill.price.raw()), 1),
                fixed(fill.quantity.raw(), 3),
                fixed(fill.fee.raw(), 8),
            )),
            _ => None,
        })
        .collect();
    let trades: Vec<(String, String, String, String)> = received
        .texts
        .iter()
        .map(|text| serde_json::from_str::<Value>(text).expect("json"))
        .filter(|message| message["e"] == "ORDER_TRADE_UPDATE" && message["o"]["x"] == "TRADE")
        .map(|message| {
            let order = &message["o"];
            let text = |name: &str| order[name].as_str().expect("field").to_owned();
            (text("c"), text("L"), text("l"), text("n"))
        })
        .collect();
    assert!(!expected.is_empty());
    assert!(
        expected.iter().any(|fill| fill.0 == "l1"),
        "the resting sell fills too"
    );
    assert_eq!(trades, expected);
    // The account: long the market buy, short the filled part of the sell.
    let position = exchange.account().position();
    let status = server.status();
    assert_eq!(
        status["accounts"][0]["position"],
        position.to_string(),
        "{status}"
    );
    assert_eq!(status["counters"]["fills"], expected.len());
    let account_updates = received
        .texts
        .iter()
        .filter(|text| text.contains("\"ACCOUNT_UPDATE\""))
        .count();
    assert_eq!(account_updates, expected.len());
}

async fn wait_for_orders(server: &auction_trader_mock_exchange::MockServer, count: u64) {
    for _ in 0..500 {
        if server.status()["counters"]["orders_received"].as_u64() == Some(count) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the order did not reach the server");
}
