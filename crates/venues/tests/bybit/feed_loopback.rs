//! The public feed against a scripted loopback server: snapshot + deltas, a sequence gap
//! (resubscribe → new snapshot), a dropped connection (reconnect → new snapshot), a `u = 1`
//! restart, and the feed closing for good once the server is gone.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use auction_trader_types::{AggressorSide, MarketEvent};
use auction_trader_venues::bybit::common::backoff::Backoff;
use auction_trader_venues::bybit::{FeedOptions, MarketDataFeed};
use auction_trader_venues::{Endpoints, FeedMessage, ResyncReason};

use super::support::{Book, WallClock, book_message, next_op, send, ws_server};

fn options() -> FeedOptions {
    FeedOptions {
        backoff: Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        give_up_after: 2,
        // No client writes the scripts do not read (unread bytes would turn a close into a
        // reset); the ping is tested on its own below.
        ping_interval: Duration::from_secs(10),
        resync_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..FeedOptions::default()
    }
}

/// Every message until `Closed` (panics after 4 s: each test stays under 5 s).
fn collect(receiver: &Receiver<FeedMessage>) -> Vec<FeedMessage> {
    let mut messages = Vec::new();
    loop {
        let message = receiver
            .recv_timeout(Duration::from_secs(4))
            .unwrap_or_else(|_| panic!("no Closed; got {messages:#?}"));
        let closed = matches!(message, FeedMessage::Closed { .. });
        messages.push(message);
        if closed {
            return messages;
        }
    }
}

fn endpoints(address: std::net::SocketAddr) -> Endpoints {
    Endpoints {
        rest: format!("http://{address}"),
        websocket: format!("ws://{address}"),
    }
}

#[test]
fn gap_and_dropped_connection_resync_to_the_expected_book() {
    let (address, server) = ws_server(|connection, socket| {
        let subscribe = next_op(socket);
        assert_eq!(subscribe["op"], "subscribe");
        assert_eq!(
            subscribe["args"],
            serde_json::json!([
                "orderbook.50.BTCUSDT",
                "publicTrade.BTCUSDT",
                "tickers.BTCUSDT",
                "allLiquidation.BTCUSDT"
            ])
        );
        send(
            socket,
            r#"{"success":true,"ret_msg":"","conn_id":"t","req_id":"1","op":"subscribe"}"#,
        );
        if connection == 0 {
            // A delta before any snapshot is dropped.
            send(socket, &book_message("delta", 99, &[("1", "1")], &[]));
            send(
                socket,
                &book_message(
                    "snapshot",
                    100,
                    &[("100", "1"), ("99", "2")],
                    &[("101", "1"), ("102", "3")],
                ),
            );
            send(socket, &book_message("delta", 101, &[("100", "1.5")], &[]));
            // u = 103 after 101: a gap.
            send(socket, &book_message("delta", 103, &[("98", "7")], &[]));
            // Still in flight before the resubscribe: dropped.
            send(socket, &book_message("delta", 104, &[("97", "7")], &[]));
            let unsubscribe = next_op(socket);
            assert_eq!(unsubscribe["op"], "unsubscribe");
            assert_eq!(
                unsubscribe["args"],
                serde_json::json!(["orderbook.50.BTCUSDT"])
            );
            let resubscribe = next_op(socket);
            assert_eq!(resubscribe["op"], "subscribe");
            assert_eq!(
                resubscribe["args"],
                serde_json::json!(["orderbook.50.BTCUSDT"])
            );
            send(
                socket,
                &book_message("snapshot", 200, &[("100", "4")], &[("101", "5")]),
            );
            send(
                socket,
                &book_message(
                    "delta",
                    201,
                    &[("99.5", "1")],
                    &[("101", "0"), ("101.5", "2")],
                ),
            );
            send(
                socket,
                r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1709891679005,"data":[{"T":1709891679000,"s":"BTCUSDT","S":"Sell","v":"0.010","p":"100","i":"9dc75fca-4bdd-4773-9f78-6f5d7ab2a110","BT":false}]}"#,
            );
            // Drop the connection without a close frame.
            true
        } else {
            send(
                socket,
                &book_message(
                    "snapshot",
                    300,
                    &[("100", "2"), ("99", "1")],
                    &[("100.5", "1")],
                ),
            );
            send(
                socket,
                &book_message("delta", 301, &[("99", "0")], &[("100.5", "3")]),
            );
            // Wait for the client to have read everything, then go away for good.
            std::thread::sleep(Duration::from_millis(300));
            let _ = socket.close(None);
            let _ = socket.flush();
            false
        }
    });
    let (sender, receiver) = mpsc::channel();
    let handle = MarketDataFeed::spawn(
        endpoints(address),
        "BTCUSDT",
        options(),
        Arc::new(WallClock),
        sender,
    )
    .expect("spawn");
    let messages = collect(&receiver);
    server.join().expect("server");

    let resyncs: Vec<&ResyncReason> = messages
        .iter()
        .filter_map(|message| match message {
            FeedMessage::Resync { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        resyncs,
        [
            &ResyncReason::Start,
            &ResyncReason::SequenceGap {
                expected: 102,
                received: 103
            },
            &ResyncReason::Reconnect
        ]
    );
    assert!(
        messages
            .iter()
            .any(|message| matches!(message, FeedMessage::Disconnected { .. }))
    );

    // The book after each resync equals the server's book; the final one is connection 1's.
    let mut book = Book::default();
    let mut books_at_resync = Vec::new();
    for message in &messages {
        match message {
            FeedMessage::Event(event) => book.apply_event(event),
            FeedMessage::Resync { .. } | FeedMessage::Disconnected { .. } => {
                books_at_resync.push(book.clone());
            }
            FeedMessage::Closed { .. } => {}
        }
    }
    // Before the gap: snapshot 100 + delta 101 (the 103 and 104 deltas never applied).
    assert_eq!(
        books_at_resync[1],
        Book::from_levels(
            &[("100", "1.5"), ("99", "2")],
            &[("101", "1"), ("102", "3")]
        )
    );
    // At the drop: snapshot 200 + delta 201.
    assert_eq!(
        books_at_resync[2],
        Book::from_levels(&[("100", "4"), ("99.5", "1")], &[("101.5", "2")])
    );
    assert_eq!(book, Book::from_levels(&[("100", "2")], &[("100.5", "3")]));
    let trades: Vec<_> = messages
        .iter()
        .filter_map(|message| match message {
            FeedMessage::Event(MarketEvent::Trade(trade)) => Some(trade),
            _ => None,
        })
        .collect();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].aggressor, AggressorSide::Sell);

    let stats = handle.join();
    assert_eq!(stats.gaps, 1);
    assert_eq!(stats.connections, 2);
    // 99 before the first snapshot, 104 after the gap.
    assert_eq!(stats.dropped_book_messages, 2);
    assert_eq!(stats.malformed, 0);
}

#[test]
fn restart_delta_with_u_one_is_a_new_snapshot_and_stop_closes() {
    let (release, wait) = mpsc::channel::<()>();
    let (address, server) = ws_server(move |_, socket| {
        next_op(socket);
        send(
            socket,
            &book_message("snapshot", 50, &[("10", "1")], &[("11", "1")]),
        );
        send(socket, &book_message("delta", 51, &[("10", "2")], &[]));
        // Bybit restarted: u = 1 carries the whole new book.
        send(
            socket,
            &book_message("delta", 1, &[("20", "1")], &[("21", "1")]),
        );
        send(socket, &book_message("delta", 2, &[("20", "3")], &[]));
        // An unknown topic is counted, a malformed ticker is counted and skipped.
        send(
            socket,
            r#"{"topic":"kline.1.BTCUSDT","type":"snapshot","ts":1,"data":[]}"#,
        );
        send(
            socket,
            r#"{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1,"data":5}"#,
        );
        // The client pings within its 150 ms interval.
        loop {
            if let tungstenite::Message::Text(text) = socket.read().expect("read") {
                let op: serde_json::Value = serde_json::from_str(text.as_str()).expect("json");
                if op["op"] == "ping" {
                    break;
                }
            }
        }
        let _ = wait.recv_timeout(Duration::from_secs(3));
        false
    });
    let (sender, receiver) = mpsc::channel();
    let handle = MarketDataFeed::spawn(
        endpoints(address),
        "BTCUSDT",
        FeedOptions {
            ping_interval: Duration::from_millis(150),
            ..options()
        },
        Arc::new(WallClock),
        sender,
    )
    .expect("spawn");
    let mut book = Book::default();
    let mut resyncs = 0;
    // Rows of the four book messages: 2 + 1 + 2 + 1.
    let mut rows = 0;
    while rows < 6 {
        match receiver
            .recv_timeout(Duration::from_secs(3))
            .expect("message")
        {
            FeedMessage::Event(event) => {
                rows += usize::from(matches!(event, MarketEvent::Depth(_)));
                book.apply_event(&event);
            }
            FeedMessage::Resync { .. } => resyncs += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(resyncs, 1, "only the start resync: u = 1 is not a gap");
    assert_eq!(book, Book::from_levels(&[("20", "3")], &[("21", "1")]));
    // Let the last two frames arrive, then stop: the feed says Closed.
    std::thread::sleep(Duration::from_millis(200));
    handle.stop();
    let rest = collect(&receiver);
    assert!(matches!(rest.last(), Some(FeedMessage::Closed { .. })));
    let stats = handle.join();
    assert_eq!(stats.gaps, 0);
    assert_eq!(stats.skipped, [("kline".to_owned(), 1)]);
    assert_eq!(stats.malformed, 1);
    let _ = release.send(());
    server.join().expect("server");
}

#[test]
fn nothing_listening_closes_for_good() {
    // Bind and drop: the port is closed.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    let (sender, receiver) = mpsc::channel();
    let handle = MarketDataFeed::spawn(
        endpoints(address),
        "BTCUSDT",
        options(),
        Arc::new(WallClock),
        sender,
    )
    .expect("spawn");
    let messages = collect(&receiver);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let stats = handle.join();
    assert_eq!((stats.connections, stats.failed_connects), (0, 2));
}

#[test]
fn connections_that_never_give_a_book_close_for_good() {
    // Accepts, reads the subscription, hangs up: twice (give_up_after = 2).
    let (address, server) = ws_server(|connection, socket| {
        assert_eq!(next_op(socket)["op"], "subscribe");
        let _ = socket.close(None);
        let _ = socket.flush();
        connection == 0
    });
    let (sender, receiver) = mpsc::channel();
    let handle = MarketDataFeed::spawn(
        endpoints(address),
        "BTCUSDT",
        options(),
        Arc::new(WallClock),
        sender,
    )
    .expect("spawn");
    let messages = collect(&receiver);
    server.join().expect("server");
    let kinds: Vec<&str> = messages
        .iter()
        .map(|message| match message {
            FeedMessage::Resync { .. } => "resync",
            FeedMessage::Disconnected { .. } => "disconnected",
            FeedMessage::Closed { .. } => "closed",
            FeedMessage::Event(_) => "event",
        })
        .collect();
    assert_eq!(
        kinds,
        ["resync", "disconnected", "resync", "disconnected", "closed"]
    );
    let stats = handle.join();
    assert_eq!((stats.connections, stats.failed_connects), (2, 0));
}

/// Bybit's official order-book history dump (`orderbook.500.XRPUSDT`, 1 snapshot + 49 deltas,
/// real v5 WebSocket messages) served line by line: the feed applies every message without a
/// gap and ends with the book the dump importer builds from the same file.
#[test]
fn the_real_xrpusdt_dump_through_the_feed_equals_the_importer_book() {
    use std::io::BufRead;

    use auction_trader_data::CollectedEvents;
    use auction_trader_data::import::bybit_orderbook::{
        BybitOrderbookOptions, import_orderbook_file,
    };

    let Some(path) = auction_trader_testkit::shared_data(
        "nautilus/bybit_linear_XRPUSDT_ob500_2024-12-01.data.zip",
    ) else {
        return;
    };
    let mut lines = Vec::new();
    auction_trader_data::input::for_each_input(&path, |_, reader| {
        for line in reader.lines() {
            let line = line.map_err(|error| auction_trader_data::DataError::io("dump", error))?;
            if !line.trim().is_empty() {
                lines.push(line);
            }
        }
        Ok(())
    })
    .expect("read dump");
    assert_eq!(lines.len(), 50);
    let mut imported = CollectedEvents::new();
    import_orderbook_file(&path, &BybitOrderbookOptions::default(), &mut imported).expect("import");
    let mut expected = Book::default();
    for tagged in &imported.events {
        expected.apply_event(&tagged.event);
    }

    let (address, server) = ws_server(move |_, socket| {
        assert_eq!(
            next_op(socket)["args"][0],
            "orderbook.500.XRPUSDT",
            "the book topic first"
        );
        for line in &lines {
            send(socket, line);
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = socket.close(None);
        let _ = socket.flush();
        false
    });
    let (sender, receiver) = mpsc::channel();
    let handle = MarketDataFeed::spawn(
        endpoints(address),
        "XRPUSDT",
        FeedOptions {
            depth: 500,
            ..options()
        },
        Arc::new(WallClock),
        sender,
    )
    .expect("spawn");
    let messages = collect(&receiver);
    server.join().expect("server");
    let mut book = Book::default();
    let mut rows = 0;
    for message in &messages {
        if let FeedMessage::Event(event) = message {
            rows += 1;
            book.apply_event(event);
        }
    }
    assert_eq!(rows, imported.events.len());
    assert_eq!(book, expected);
    // Counted independently from the file (Python's json over the 50 lines): 3,966 level
    // rows, u 20254869..=20254918 without a hole, 500 bids and 500 asks at the end, best bid
    // 1.9537 and best ask 1.9538.
    assert_eq!(rows, 3966);
    assert_eq!((book.bids.len(), book.asks.len()), (500, 500));
    let best_bid = *book.bids.keys().next_back().expect("bids");
    let best_ask = *book.asks.keys().next().expect("asks");
    assert_eq!((best_bid, best_ask), (1_953_700_000, 1_953_800_000));
    let stats = handle.join();
    assert_eq!(
        (stats.book_messages, stats.gaps, stats.malformed),
        (50, 0, 0)
    );
}
