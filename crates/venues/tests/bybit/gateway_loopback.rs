//! The trading gateway against loopback servers: a private WebSocket server that checks the
//! auth signature and pushes Nautilus's recorded execution and order messages (their
//! `orderLinkId` rewritten to ours), and a REST server that checks every `X-BAPI-SIGN`.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use auction_trader_types::{
    ExecutionReport, Liquidity, Money, OrderCommand, OrderId, OrderKind, OrderRequest, OrderSide,
    Price, Quantity, RejectReason, UnixNanos,
};
use auction_trader_venues::bybit::common::backoff::Backoff;
use auction_trader_venues::bybit::common::signing::hmac_sha256_hex;
use auction_trader_venues::bybit::{Credentials, Gateway, GatewayOptions};
use auction_trader_venues::{Endpoints, TradingGateway, VenueError};

use super::support::{WallClock, next_op, recorded, send, ws_server};

const KEY: &str = "loopback-key";
const SECRET: &str = "loopback-secret";

fn order(id: u64, side: OrderSide, kind: OrderKind, reduce_only: bool) -> OrderRequest {
    OrderRequest {
        id: OrderId(id),
        side,
        quantity: Quantity::from_decimal_str("0.5").expect("qty"),
        kind,
        reduce_only,
        timeout: None,
        trigger: None,
    }
}

/// A REST server that checks every request's `X-BAPI-*` signature and answers with
/// `answer(path, query, body)` → (response body, last request?). Returns the paths seen.
fn signed_rest_server(
    mut answer: impl FnMut(&str, &str, &str) -> (String, bool) + Send + 'static,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("rest server");
    let address = server.server_addr().to_ip().expect("ip address");
    let thread = std::thread::spawn(move || {
        let mut paths = Vec::new();
        while let Ok(Some(mut request)) = server.recv_timeout(Duration::from_secs(4)) {
            let header = |name: &str| {
                request
                    .headers()
                    .iter()
                    .find(|header| header.field.as_str().as_str().eq_ignore_ascii_case(name))
                    .map(|header| header.value.as_str().to_owned())
                    .unwrap_or_default()
            };
            let (key, timestamp, window, sign) = (
                header("X-BAPI-API-KEY"),
                header("X-BAPI-TIMESTAMP"),
                header("X-BAPI-RECV-WINDOW"),
                header("X-BAPI-SIGN"),
            );
            let url = request.url().to_owned();
            let mut body = String::new();
            request.as_reader().read_to_string(&mut body).expect("body");
            let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
            let payload = if body.is_empty() {
                query
            } else {
                body.as_str()
            };
            let expected = hmac_sha256_hex(
                SECRET.as_bytes(),
                format!("{timestamp}{key}{window}{payload}").as_bytes(),
            );
            assert_eq!(key, KEY);
            assert_eq!(window, "5000");
            assert_eq!(sign, expected, "signature of {path}");
            paths.push(path.to_owned());
            let (response, last) = answer(path, query, &body);
            request
                .respond(tiny_http::Response::from_string(response))
                .expect("respond");
            if last {
                break;
            }
        }
        paths
    });
    (format!("http://{address}"), thread)
}

/// Answers create / cancel / position requests; sends each created `orderLinkId` to
/// `created`.
fn rest_server(created: Sender<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    signed_rest_server(move |path, query, body| {
        match path {
        "/v5/order/create" => {
            let order: serde_json::Value = serde_json::from_str(body).expect("json");
            let link = order["orderLinkId"].as_str().expect("link").to_owned();
            if order["reduceOnly"] == true {
                (r#"{"retCode":110017,"retMsg":"Reduce-only rule not satisfied","result":{},"retExtInfo":{},"time":1}"#.to_owned(), false)
            } else {
                let _ = created.send(link.clone());
                (format!(
                    r#"{{"retCode":0,"retMsg":"OK","result":{{"orderId":"9aac161b-8ed6-450d-9cab-c5cc67c21784","orderLinkId":"{link}"}},"retExtInfo":{{}},"time":1}}"#
                ), false)
            }
        }
        "/v5/order/cancel" => (
            r#"{"retCode":110001,"retMsg":"Order does not exist","result":{},"retExtInfo":{},"time":1}"#.to_owned(),
            false,
        ),
        "/v5/position/list" => {
            assert_eq!(query, "category=linear&symbol=BTCUSDT");
            (r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"positionIdx":0,"symbol":"BTCUSDT","side":"Sell","size":"0.5","avgPrice":"95900.1","markPrice":"95901.48","unrealisedPnl":"-0.69","updatedTime":"1746270400360"}],"nextPageCursor":"","category":"linear"},"retExtInfo":{},"time":1}"#.to_owned(), true)
        }
        other => panic!("unexpected path {other}"),
    }
    })
}

/// Reports until `count` arrived (3 s at most).
fn reports(gateway: &mut Gateway, count: usize) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    for _ in 0..300 {
        gateway.drain_reports(&mut out);
        if out.len() >= count {
            return out;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("only {out:?}");
}

fn private_server(
    created: Receiver<String>,
) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    ws_server(move |_, socket| {
        let auth = next_op(socket);
        assert_eq!(auth["op"], "auth");
        assert_eq!(auth["args"][0], KEY);
        let expires = auth["args"][1].as_u64().expect("expires");
        let expected = hmac_sha256_hex(
            SECRET.as_bytes(),
            format!("GET/realtime{expires}").as_bytes(),
        );
        assert_eq!(auth["args"][2], expected.as_str());
        send(socket, &recorded("ws_auth_success.json"));
        let subscribe = next_op(socket);
        assert_eq!(
            subscribe["args"],
            serde_json::json!(["order", "execution", "position", "wallet"])
        );
        send(
            socket,
            r#"{"success":true,"ret_msg":"","conn_id":"t","req_id":"subscribe","op":"subscribe"}"#,
        );
        let link = created
            .recv_timeout(Duration::from_secs(3))
            .expect("order created");
        send(
            socket,
            &recorded("ws_account_execution.json").replace("test-order-link-001", &link),
        );
        // The same execution again (as after a reconnect): reported once.
        send(
            socket,
            &recorded("ws_account_execution.json").replace("test-order-link-001", &link),
        );
        send(
            socket,
            &recorded("ws_account_order_filled.json").replace("test-client-order-001", &link),
        );
        send(socket, &recorded("ws_account_position.json"));
        send(socket, &recorded("ws_account_wallet.json"));
        // Keep the connection until the client closes it.
        while socket.read().is_ok() {}
        false
    })
}

#[test]
fn orders_reports_and_position_over_loopback() {
    let (created_sender, created) = mpsc::channel();
    let (ws_address, ws_thread) = private_server(created);
    let (rest, rest_thread) = rest_server(created_sender);
    let endpoints = Endpoints {
        rest,
        websocket: format!("ws://{ws_address}"),
    };
    let mut gateway = Gateway::connect(
        &endpoints,
        Credentials::new(KEY, SECRET),
        "BTCUSDT",
        Arc::new(WallClock),
        GatewayOptions::default(),
    )
    .expect("connect");
    assert!(gateway.status().stream_up);
    let debug = format!("{gateway:?}");
    assert!(!debug.contains(SECRET) && !debug.contains(KEY), "{debug}");

    gateway
        .send(
            UnixNanos(0),
            OrderCommand::Submit(order(1, OrderSide::Sell, OrderKind::Market, false)),
        )
        .expect("send");
    let got = reports(&mut gateway, 2);
    // ws_account_execution.json: execTime 1746270400353, execPrice 95900.1, execQty 0.5,
    // execFee 26.3725275, isMaker false, leavesQty 0, side Sell.
    let ts = UnixNanos(1_746_270_400_353_000_000);
    assert_eq!(
        got[0],
        ExecutionReport::Accepted {
            order_id: OrderId(1),
            ts
        }
    );
    let ExecutionReport::Filled(fill) = got[1] else {
        panic!("{got:?}");
    };
    assert_eq!(fill.order_id, OrderId(1));
    assert_eq!(fill.ts, ts);
    assert_eq!(fill.side, OrderSide::Sell);
    assert_eq!(
        fill.price,
        Price::from_decimal_str("95900.1").expect("price")
    );
    assert_eq!(
        fill.quantity,
        Quantity::from_decimal_str("0.5").expect("qty")
    );
    assert_eq!(fill.liquidity, Liquidity::Taker);
    assert_eq!(
        fill.fee,
        Money::from_decimal_str("26.3725275").expect("fee")
    );
    assert!(fill.leaves_quantity.is_zero());

    // A reduce-only order refused by REST (retCode 110017).
    let limit = OrderKind::Limit {
        price: Price::from_decimal_str("95000").expect("price"),
        post_only: true,
    };
    gateway
        .send(
            UnixNanos(0),
            OrderCommand::Submit(order(2, OrderSide::Buy, limit, true)),
        )
        .expect("send");
    // A cancel of an order that is complete (retCode 110001).
    gateway
        .send(UnixNanos(0), OrderCommand::Cancel(OrderId(1)))
        .expect("send");
    let got = reports(&mut gateway, 2);
    assert!(matches!(
        got[0],
        ExecutionReport::Rejected {
            order_id: OrderId(2),
            reason: RejectReason::NothingToReduce,
            ..
        }
    ));
    assert!(matches!(
        got[1],
        ExecutionReport::CancelRejected {
            order_id: OrderId(1),
            ..
        }
    ));
    let position = gateway.position().expect("position");
    assert_eq!(
        position.quantity,
        Quantity::from_decimal_str("-0.5").expect("qty")
    );
    // The stream's position (ETHUSDT in the recording: not our symbol) and wallet.
    // The rest of the stream (the repeated execution, the order, position and wallet
    // records) brings no report.
    let mut out = Vec::new();
    for _ in 0..200 {
        gateway.drain_reports(&mut out);
        if gateway.status().wallet.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(gateway.translator_stats().duplicate_executions, 1);
    let wallet = gateway.status().wallet.clone().expect("wallet");
    assert_eq!(
        wallet.total_equity,
        Money::from_decimal_str("10262.91335023").expect("equity")
    );
    drop(gateway);
    ws_thread.join().expect("ws server");
    let paths = rest_thread.join().expect("rest server");
    assert_eq!(
        paths,
        [
            "/v5/order/create",
            "/v5/order/create",
            "/v5/order/cancel",
            "/v5/position/list"
        ]
    );
}

#[test]
fn a_refused_auth_is_an_error_of_connect() {
    let (address, server) = ws_server(|_, socket| {
        next_op(socket);
        send(socket, &recorded("ws_auth_failure.json"));
        while socket.read().is_ok() {}
        false
    });
    let endpoints = Endpoints {
        rest: "http://127.0.0.1:9".to_owned(),
        websocket: format!("ws://{address}"),
    };
    let error = Gateway::connect(
        &endpoints,
        Credentials::new(KEY, SECRET),
        "BTCUSDT",
        Arc::new(WallClock),
        GatewayOptions::default(),
    )
    .expect_err("refused");
    // ws_auth_failure.json: retCode 10003, "Invalid apikey".
    assert!(
        matches!(error, VenueError::Rejected { code: 10003, ref message, .. } if message == "Invalid apikey"),
        "{error}"
    );
    server.join().expect("server");
}

/// Auth and subscribe on a private-stream connection (the signature checked).
fn accept_private(socket: &mut super::support::ServerSocket) {
    let auth = next_op(socket);
    let expires = auth["args"][1].as_u64().expect("expires");
    let expected = hmac_sha256_hex(
        SECRET.as_bytes(),
        format!("GET/realtime{expires}").as_bytes(),
    );
    assert_eq!(auth["args"][2], expected.as_str());
    send(socket, &recorded("ws_auth_success.json"));
    assert_eq!(next_op(socket)["op"], "subscribe");
}

#[test]
fn a_reconnect_replays_missed_executions_over_rest() {
    let (address, ws_thread) = ws_server(|connection, socket| {
        accept_private(socket);
        if connection == 0 {
            // Drop the connection: fills made meanwhile reach us only over REST.
            return true;
        }
        while socket.read().is_ok() {}
        false
    });
    let (rest, rest_thread) = signed_rest_server(|path, query, _| match path {
        "/v5/execution/list" => {
            assert!(
                query.starts_with("category=linear&symbol=BTCUSDT&startTime="),
                "{query}"
            );
            // Nautilus's recording: a BTCUSDT fill (ours once its link id is) and an ETHUSDT one.
            (
                recorded("http_get_executions.json").replace("test-order-001", "at-5"),
                false,
            )
        }
        "/v5/order/realtime" => (recorded("http_get_orders_realtime.json"), true),
        other => panic!("unexpected path {other}"),
    });
    let options = GatewayOptions {
        backoff: Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        ..GatewayOptions::default()
    };
    let endpoints = Endpoints {
        rest,
        websocket: format!("ws://{address}"),
    };
    let mut gateway = Gateway::connect(
        &endpoints,
        Credentials::new(KEY, SECRET),
        "btcusdt",
        Arc::new(WallClock),
        options,
    )
    .expect("connect");
    let got = reports(&mut gateway, 2);
    // execTime 1672282722429, Buy 0.100 @ 50000.00, maker, execFee 0.0150, leavesQty 0.000.
    let ts = UnixNanos(1_672_282_722_429_000_000);
    assert_eq!(
        got[0],
        ExecutionReport::Accepted {
            order_id: OrderId(5),
            ts
        }
    );
    let ExecutionReport::Filled(fill) = got[1] else {
        panic!("{got:?}");
    };
    assert_eq!((fill.order_id, fill.side), (OrderId(5), OrderSide::Buy));
    assert_eq!(fill.price, Price::from_decimal_str("50000").expect("price"));
    assert_eq!(
        fill.quantity,
        Quantity::from_decimal_str("0.1").expect("qty")
    );
    assert_eq!(fill.liquidity, Liquidity::Maker);
    assert_eq!(fill.fee, Money::from_decimal_str("0.015").expect("fee"));
    let paths = rest_thread.join().expect("rest server");
    assert_eq!(paths, ["/v5/execution/list", "/v5/order/realtime"]);
    // The ETHUSDT execution and the two ETHUSDT open orders are not ours: counted, no
    // report (the worker may still be posting them when the server has answered).
    let mut out = Vec::new();
    for _ in 0..200 {
        gateway.drain_reports(&mut out);
        if gateway.translator_stats().foreign_orders == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(gateway.translator_stats().foreign_orders, 3);
    assert_eq!(gateway.status().reconnects, 1);
    drop(gateway);
    ws_thread.join().expect("ws server");
}
