//! The REST client against a loopback server: retCode 10006 is retried after the backoff and
//! then succeeds or ends as `RateLimited`; other failures are typed.

use std::sync::Arc;
use std::time::Duration;

use auction_trader_types::UnixNanos;
use auction_trader_venues::bybit::GatewayOptions;
use auction_trader_venues::bybit::common::backoff::Backoff;
use auction_trader_venues::bybit::http::HttpClient;
use auction_trader_venues::{Endpoints, VenueError};

use super::support::WallClock;

const RATE_LIMITED: &str =
    r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":1}"#;
const FUNDING: &str = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","fundingRate":"0.0001","fundingRateTimestamp":"1709884800000"}]},"time":1}"#;

/// Serves `answers` in order, one per request (status, body); returns the paths asked.
fn server(answers: Vec<(u16, &'static str)>) -> (Endpoints, std::thread::JoinHandle<Vec<String>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("server");
    let address = server.server_addr().to_ip().expect("address");
    let thread = std::thread::spawn(move || {
        let mut paths = Vec::new();
        for (status, body) in answers {
            let request = server
                .recv_timeout(Duration::from_secs(3))
                .expect("recv")
                .expect("a request");
            paths.push(request.url().to_owned());
            request
                .respond(tiny_http::Response::from_string(body).with_status_code(status))
                .expect("respond");
        }
        paths
    });
    let endpoints = Endpoints {
        rest: format!("http://{address}"),
        websocket: format!("ws://{address}"),
    };
    (endpoints, thread)
}

fn client(endpoints: &Endpoints) -> HttpClient {
    let options = GatewayOptions {
        rate_limit_retries: 2,
        rate_limit_backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
        },
        ..GatewayOptions::default()
    };
    HttpClient::new(endpoints, None, Arc::new(WallClock), &options)
}

#[test]
fn rate_limited_requests_are_retried_then_succeed() {
    let (endpoints, thread) = server(vec![
        (200, RATE_LIMITED),
        (200, RATE_LIMITED),
        (200, FUNDING),
    ]);
    let funding = client(&endpoints)
        .funding_history("BTCUSDT", 1)
        .expect("third answer");
    assert_eq!(funding.len(), 1);
    assert_eq!(funding[0].ts, UnixNanos(1_709_884_800_000_000_000));
    let paths = thread.join().expect("server");
    assert_eq!(paths.len(), 3);
    assert_eq!(
        paths[0],
        "/v5/market/funding/history?category=linear&symbol=BTCUSDT&limit=1"
    );
}

#[test]
fn rate_limits_that_persist_and_other_failures_are_typed() {
    // 1 try + 2 retries, all refused; then an HTTP 500 page; then a 403 (IP rate limit).
    let (endpoints, thread) = server(vec![
        (200, RATE_LIMITED),
        (200, RATE_LIMITED),
        (200, RATE_LIMITED),
        (500, "<html>oops</html>"),
        (403, "forbidden"),
        (403, "forbidden"),
        (403, "forbidden"),
    ]);
    let client = client(&endpoints);
    let mut rows = Vec::new();
    let error = client
        .orderbook("BTCUSDT", 50, UnixNanos(1), &mut rows)
        .expect_err("rate limited");
    // The wait it suggests is the next backoff step: 10 ms · 2² = 40 ms (the cap).
    assert!(
        matches!(
            error,
            VenueError::RateLimited {
                retry_after_ms: 40,
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.is_terminal());
    let error = client
        .orderbook("BTCUSDT", 50, UnixNanos(1), &mut rows)
        .expect_err("500");
    assert!(
        matches!(
            error,
            VenueError::Rejected {
                status: 500,
                code: 0,
                ..
            }
        ),
        "{error}"
    );
    let error = client.funding_history("BTCUSDT", 1).expect_err("403");
    assert!(matches!(error, VenueError::RateLimited { .. }), "{error}");
    assert!(rows.is_empty());
    assert_eq!(thread.join().expect("server").len(), 7);
}
