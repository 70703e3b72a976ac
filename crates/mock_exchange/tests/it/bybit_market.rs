//! Bybit v5 public data converted from the capture: the order book snapshot and deltas chain
//! by `u`, and the converted book is the top 50 of the Binance-side book at the same point.

use std::collections::BTreeMap;
use std::time::Duration;

use auction_trader_book::{AppliedMessage, OrderBook, SequenceRule, SequencedBook};
use auction_trader_mock_exchange::{Speed, Venue};
use auction_trader_types::{BookSide, MarketEvent, Price, Quantity};
use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{capture, connect, read_all, start};

/// One side of a Bybit book: price -> size.
type Side = BTreeMap<Price, Quantity>;

/// The converted book after one message: its `seq`, then the top bids and asks, best first.
type BookAt = (u64, Vec<(Price, Quantity)>, Vec<(Price, Quantity)>);

fn apply(side: &mut Side, levels: &Value) {
    for level in levels.as_array().expect("levels") {
        let price =
            Price::from_decimal_str(level[0].as_str().expect("price text")).expect("a price");
        let size =
            Quantity::from_decimal_str(level[1].as_str().expect("size text")).expect("a size");
        if size.is_zero() {
            side.remove(&price);
        } else {
            side.insert(price, size);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_book_chains_by_u_and_equals_the_binance_top_50_at_each_seq() {
    let Some(path) = capture() else { return };
    let (server, replay) = start(Venue::Bybit, &path, Speed::AsFastAsRead).await;
    let mut socket = connect(&format!("ws://{}/v5/public/linear", server.address())).await;
    let subscribe =
        r#"{"op":"subscribe","req_id":"s1","args":["orderbook.50.BTCUSDT","tickers.BTCUSDT"]}"#;
    socket.send(Message::text(subscribe)).await.expect("send");
    let received = read_all(&mut socket, Duration::from_secs(8)).await;
    assert_eq!(received.close_code, Some(1000));
    let ack: Value = serde_json::from_str(&received.texts[0]).unwrap();
    assert_eq!(ack["success"], true);
    assert_eq!(ack["op"], "subscribe");

    // Bybit side: apply snapshot + deltas, keep the top 50 after each delta by its seq.
    let mut bids = Side::new();
    let mut asks = Side::new();
    let mut last_u: Option<u64> = None;
    let mut books: Vec<BookAt> = Vec::new();
    let mut tickers = 0;
    for text in &received.texts[1..] {
        let message: Value = serde_json::from_str(text).unwrap();
        let topic = message["topic"].as_str().unwrap();
        if topic == "tickers.BTCUSDT" {
            tickers += 1;
            continue;
        }
        assert_eq!(topic, "orderbook.50.BTCUSDT");
        let data = &message["data"];
        let u = data["u"].as_u64().unwrap();
        match message["type"].as_str().unwrap() {
            "snapshot" => {
                assert!(last_u.is_none(), "one snapshot, first");
                bids.clear();
                asks.clear();
            }
            _ => assert_eq!(Some(u), last_u.map(|last| last + 1), "contiguous u"),
        }
        last_u = Some(u);
        apply(&mut bids, &data["b"]);
        apply(&mut asks, &data["a"]);
        assert!(bids.len() <= 50 && asks.len() <= 50);
        books.push((
            data["seq"].as_u64().unwrap(),
            bids.iter().rev().map(|(p, q)| (*p, *q)).collect(),
            asks.iter().map(|(p, q)| (*p, *q)).collect(),
        ));
    }
    assert!(books.len() > 1000, "many deltas: {}", books.len());
    assert!(tickers > 1000);

    // Binance side: the importer's book; compare at every seq (the Binance `u`).
    let collected = auction_trader_testkit::import_binance_capture(&[&path]).expect("import");
    let mut book = SequencedBook::new(
        SequenceRule::BinanceFutures,
        OrderBook::new(replay.instrument.tick_size).unwrap(),
    );
    let mut next = 0;
    let mut compared = 0;
    let mut observer = |message: &AppliedMessage, book: &OrderBook| {
        // The snapshot message is the Bybit snapshot's seq; deltas follow in order.
        while next < books.len() && books[next].0 == message.last_update_id {
            let (_, bids, asks) = &books[next];
            let want_bids: Vec<_> = book.top_levels(BookSide::Bid, 50).collect();
            let want_asks: Vec<_> = book.top_levels(BookSide::Ask, 50).collect();
            assert_eq!(bids, &want_bids, "bids at seq {}", message.last_update_id);
            assert_eq!(asks, &want_asks, "asks at seq {}", message.last_update_id);
            compared += 1;
            next += 1;
        }
    };
    for tagged in &collected.events {
        if let MarketEvent::Depth(row) = &tagged.event {
            book.apply_with(row, &mut observer);
        }
    }
    assert_eq!(compared, books.len(), "every Bybit book state was compared");
    server.wait().await.expect("summary");
}
