//! Binance USD-M adapter against a tiny loopback exchange (std TCP + tungstenite's server
//! side on 127.0.0.1:0): REST depth snapshots and scripted WebSocket frames, with an injected
//! `pu` gap, a dropped connection and a final close; and the shared decoder on the recorded
//! protocol examples.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use auction_trader_types::{BookSide, DeltaFlags, MarketEvent, Price, Quantity, UnixNanos};
use auction_trader_venues::binance_usdm::{BackoffOptions, FeedOptions, FeedStats, MarketDataFeed};
use auction_trader_venues::{Clock, Endpoints, FeedMessage};
use tungstenite::Message;

/// A clock that advances one millisecond per reading (deterministic, never the wall).
#[derive(Debug)]
struct StepClock(AtomicI64);

impl StepClock {
    fn new() -> Arc<Self> {
        // 2024-08-08 23:54:00 UTC.
        Arc::new(Self(AtomicI64::new(1_723_161_240_000_000_000)))
    }
}

impl Clock for StepClock {
    fn now(&self) -> UnixNanos {
        UnixNanos(self.0.fetch_add(1_000_000, Ordering::SeqCst))
    }
}

/// How a scripted WebSocket connection ends after its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The TCP connection is dropped without a close frame.
    Drop,
    /// A normal close frame, then the server stops listening for good.
    CloseAndStop,
}

/// One scripted WebSocket connection: its frames and its end.
#[derive(Debug, Clone)]
struct Session {
    frames: Vec<String>,
    ending: Ending,
}

/// Serves REST depth snapshots (one per request, in order; the last one repeats) and the
/// WebSocket sessions (one per connection, in order) on one port, like the mock exchange.
/// After the session that ends with `CloseAndStop` the port stops listening.
fn serve(snapshots: Vec<String>, sessions: Vec<Session>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    std::thread::spawn(move || {
        let mut snapshots = VecDeque::from(snapshots);
        let mut sessions = VecDeque::from(sessions);
        let mut last_session: Option<std::thread::JoinHandle<()>> = None;
        loop {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    // The port closes once the last session has ended.
                    if last_session
                        .as_ref()
                        .is_some_and(|worker| worker.is_finished())
                    {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                }
                Err(_) => return,
            };
            stream.set_nonblocking(false).expect("blocking stream");
            let mut head = [0_u8; 512];
            let length = stream.peek(&mut head).unwrap_or(0);
            if head[..length].starts_with(b"GET /fapi/v1/depth") {
                let body = if snapshots.len() > 1 {
                    snapshots.pop_front().unwrap_or_default()
                } else {
                    snapshots.front().cloned().unwrap_or_default()
                };
                std::thread::spawn(move || answer_rest(&mut stream, &body));
                continue;
            }
            let Some(session) = sessions.pop_front() else {
                continue;
            };
            let last = session.ending == Ending::CloseAndStop;
            let worker = std::thread::spawn(move || play(stream, &session));
            if last {
                last_session = Some(worker);
            }
        }
    });
    port
}

fn answer_rest(stream: &mut TcpStream, body: &str) {
    let mut request = [0_u8; 2048];
    let _ = stream.read(&mut request);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 20\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

fn play(stream: TcpStream, session: &Session) {
    let mut socket = tungstenite::accept(stream).expect("handshake");
    for frame in &session.frames {
        socket.send(Message::text(frame.clone())).expect("send");
    }
    match session.ending {
        Ending::Drop => drop(socket),
        Ending::CloseAndStop => {
            let _ = socket.close(None);
            // Let the client read the close frame before the socket goes.
            let deadline = std::time::Duration::from_secs(2);
            let _ = socket.get_mut().set_read_timeout(Some(deadline));
            while socket.read().is_ok() {}
        }
    }
}

fn snapshot(last_update_id: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> String {
    let levels = |levels: &[(&str, &str)]| {
        levels
            .iter()
            .map(|(price, size)| format!("[\"{price}\",\"{size}\"]"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"lastUpdateId\":{last_update_id},\"E\":1723161256313,\"T\":1723161256300,\
         \"bids\":[{}],\"asks\":[{}]}}",
        levels(bids),
        levels(asks)
    )
}

fn depth(
    first: u64,
    last: u64,
    previous: u64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> String {
    let levels = |levels: &[(&str, &str)]| {
        levels
            .iter()
            .map(|(price, size)| format!("[\"{price}\",\"{size}\"]"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"stream\":\"btcusdt@depth@0ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":1723161256322,\
         \"T\":1723161256320,\"s\":\"BTCUSDT\",\"U\":{first},\"u\":{last},\"pu\":{previous},\
         \"b\":[{}],\"a\":[{}]}}}}",
        levels(bids),
        levels(asks)
    )
}

const QUOTE: &str = r#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":101,"s":"BTCUSDT","b":"100.0","B":"1.5","a":"101.0","A":"1","T":1723161256313,"E":1723161256314}}"#;
const TRADE: &str = r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"101.0","q":"0.006","X":"MARKET","m":false}}"#;

/// Every message until `Closed` (the test fails after 5 s).
fn collect(receiver: &Receiver<FeedMessage>) -> Vec<FeedMessage> {
    let mut messages = Vec::new();
    loop {
        let message = receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("the feed ends with Closed within 5 s");
        let closed = matches!(message, FeedMessage::Closed { .. });
        messages.push(message);
        if closed {
            return messages;
        }
    }
}

/// A plain L2 book: price -> size per side, as the runner's book keeps it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Book {
    bids: BTreeMap<Price, Quantity>,
    asks: BTreeMap<Price, Quantity>,
}

impl Book {
    fn apply(&mut self, event: &MarketEvent) {
        let MarketEvent::Depth(row) = event else {
            return;
        };
        if row.flags.0 & DeltaFlags::CLEAR != 0 {
            self.bids.clear();
            self.asks.clear();
        }
        if row.flags.0 & DeltaFlags::EMPTY != 0 {
            return;
        }
        let side = match row.side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        };
        if row.size == Quantity::ZERO {
            side.remove(&row.price);
        } else {
            side.insert(row.price, row.size);
        }
    }

    fn of(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Self {
        let side = |levels: &[(&str, &str)]| {
            levels
                .iter()
                .map(|(price, size)| {
                    (
                        Price::from_decimal_str(price).expect("price"),
                        Quantity::from_decimal_str(size).expect("size"),
                    )
                })
                .collect()
        };
        Self {
            bids: side(bids),
            asks: side(asks),
        }
    }
}

/// What a message is, in one word, for comparing sequences.
fn kind(message: &FeedMessage) -> String {
    match message {
        FeedMessage::Event(MarketEvent::Depth(row)) if row.flags.0 & DeltaFlags::SNAPSHOT != 0 => {
            format!("snapshot@{}", row.last_update_id)
        }
        FeedMessage::Event(MarketEvent::Depth(row)) => format!("depth@{}", row.last_update_id),
        FeedMessage::Event(MarketEvent::Quote(_)) => "quote".to_owned(),
        FeedMessage::Event(MarketEvent::Trade(_)) => "trade".to_owned(),
        FeedMessage::Event(other) => format!("{other:?}"),
        FeedMessage::Resync { reason, .. } => format!("resync {reason:?}"),
        FeedMessage::Disconnected { .. } => "disconnected".to_owned(),
        FeedMessage::Closed { .. } => "closed".to_owned(),
    }
}

fn test_options() -> FeedOptions {
    FeedOptions {
        backoff: BackoffOptions {
            initial_ms: 20,
            max_ms: 200,
            jitter_seed: 11,
        },
        give_up_after_failures: Some(2),
        poll_ms: 20,
        ..FeedOptions::default()
    }
}

#[test]
fn gap_and_dropped_connection_resync_and_the_rebuilt_book_is_exact() {
    let first = Session {
        frames: vec![
            // u = 99 < 100: older than the snapshot, dropped.
            depth(95, 99, 94, &[("100.0", "5")], &[]),
            // U = 100 <= 100 <= u = 102: the first applied update.
            depth(100, 102, 99, &[("100.0", "1.5")], &[]),
            QUOTE.to_owned(),
            TRADE.to_owned(),
            // pu = 102: continues; removes the 101.0 ask.
            depth(103, 105, 102, &[], &[("101.0", "0")]),
            // pu = 108 != 105: a gap -> resync from the second snapshot (id 115); this
            // update itself is older than it (u = 112 < 115) and is dropped.
            depth(110, 112, 108, &[("100.0", "9")], &[]),
            // U = 113 <= 115 <= u = 116: the first update after the new snapshot.
            depth(113, 116, 112, &[], &[("102.0", "4")]),
        ],
        ending: Ending::Drop,
    };
    let second = Session {
        frames: vec![depth(199, 201, 198, &[("98.0", "7")], &[("104.0", "2")])],
        ending: Ending::CloseAndStop,
    };
    let snapshots = vec![
        snapshot(
            100,
            &[("100.0", "1"), ("99.0", "2")],
            &[("101.0", "1"), ("102.0", "3")],
        ),
        snapshot(115, &[("100.0", "2"), ("99.0", "2")], &[("102.0", "3")]),
        snapshot(200, &[("98.0", "1")], &[("103.0", "1")]),
    ];
    let port = serve(snapshots, vec![first, second]);
    let (sender, receiver) = channel();
    let endpoints = Endpoints::from_override(&format!("http://127.0.0.1:{port}")).unwrap();
    let handle = MarketDataFeed::spawn(
        endpoints,
        "BTCUSDT",
        test_options(),
        StepClock::new(),
        sender,
    )
    .unwrap();
    let messages = collect(&receiver);
    // Stale: u = 99 (before snapshot 100) and u = 112 (the gap's own update, before 115).
    assert_eq!(
        handle.stats(),
        FeedStats {
            messages: 8,
            rejected: 0,
            stale_depth: 2,
            snapshots: 3
        }
    );
    handle.join();
    let kinds: Vec<String> = messages.iter().map(kind).collect();
    let expected: Vec<String> = [
        "resync Start",
        "snapshot@100",
        "snapshot@100",
        "snapshot@100",
        "snapshot@100",
        "depth@102",
        "quote",
        "trade",
        "depth@105",
        "resync SequenceGap { expected: 105, received: 108 }",
        "snapshot@115",
        "snapshot@115",
        "snapshot@115",
        "depth@116",
        "disconnected",
        "resync Reconnect",
        "snapshot@200",
        "snapshot@200",
        "depth@201",
        "depth@201",
        "disconnected",
        "closed",
    ]
    .iter()
    .map(|text| (*text).to_owned())
    .collect();
    assert_eq!(kinds, expected);
    // The book just before the drop: snapshot 115 + update 113..116 (ask 102.0 -> 4).
    let drop_at = kinds
        .iter()
        .position(|kind| kind == "disconnected")
        .unwrap();
    let mut book = Book::default();
    for message in &messages[..drop_at] {
        if let FeedMessage::Event(event) = message {
            book.apply(event);
        }
    }
    assert_eq!(
        book,
        Book::of(&[("100.0", "2"), ("99.0", "2")], &[("102.0", "4")])
    );
    // The final book: snapshot 200 + update 199..201.
    let mut book = Book::default();
    for message in &messages {
        if let FeedMessage::Event(event) = message {
            book.apply(event);
        }
    }
    assert_eq!(
        book,
        Book::of(&[("98.0", "7")], &[("103.0", "1"), ("104.0", "2")])
    );
}

#[test]
fn a_stop_request_ends_the_feed_with_closed() {
    let port = serve(
        vec![snapshot(10, &[("1.0", "1")], &[("2.0", "1")])],
        vec![Session {
            frames: vec![depth(10, 11, 9, &[("1.0", "3")], &[])],
            ending: Ending::CloseAndStop,
        }],
    );
    let (sender, receiver) = channel();
    let endpoints = Endpoints::from_override(&format!("http://127.0.0.1:{port}")).unwrap();
    let options = FeedOptions {
        give_up_after_failures: None,
        ..test_options()
    };
    let handle =
        MarketDataFeed::spawn(endpoints, "BTCUSDT", options, StepClock::new(), sender).unwrap();
    // Wait for the applied update, then stop.
    loop {
        let message = receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        if kind(&message) == "depth@11" {
            break;
        }
    }
    handle.stop();
    let rest = collect(&receiver);
    assert!(matches!(rest.last(), Some(FeedMessage::Closed { .. })));
    handle.join();
}

#[test]
fn an_unreachable_endpoint_closes_after_the_configured_failures() {
    // Bind and drop: nothing listens on this port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (sender, receiver) = channel();
    let endpoints = Endpoints::from_override(&format!("http://127.0.0.1:{port}")).unwrap();
    let handle = MarketDataFeed::spawn(
        endpoints,
        "BTCUSDT",
        test_options(),
        StepClock::new(),
        sender,
    )
    .unwrap();
    let messages = collect(&receiver);
    // Never connected: no Resync, no Disconnected; just the end.
    assert_eq!(messages.iter().map(kind).collect::<Vec<_>>(), ["closed"]);
    handle.join();
}

/// The market-stream examples of `../shared/data/protocol_examples/` through the shared
/// decoder, values worked out by hand from each file.
#[test]
fn protocol_examples_decode_to_hand_worked_events() {
    use auction_trader_data::import::binance_capture::StreamDecoder;
    use auction_trader_types::{AggressorSide, Rate, TradeId};

    let read = |name: &str| {
        auction_trader_testkit::shared_data(&format!("protocol_examples/{name}"))
            .map(|path| std::fs::read(path).expect("readable example"))
    };
    let decode = |symbol: &str, bytes: &[u8]| {
        let mut decoder = StreamDecoder::new("binance-usdm", symbol).unwrap();
        let mut events = Vec::new();
        decoder.decode(bytes, UnixNanos(7), &mut events).unwrap();
        events
    };
    let price = |text: &str| Price::from_decimal_str(text).unwrap();
    let size = |text: &str| Quantity::from_decimal_str(text).unwrap();
    let Some(trade) = read("binance_usdm_trade_stream.json") else {
        return;
    };
    match decode("BTCUSDT", &trade).as_slice() {
        [MarketEvent::Trade(trade)] => {
            assert_eq!(trade.price, price("0.001"));
            assert_eq!(trade.size, size("100"));
            // m = true: the buyer was the maker, so the aggressor sold.
            assert_eq!(trade.aggressor, AggressorSide::Sell);
            assert_eq!(trade.trade_id, TradeId(5_933_014));
            assert_eq!(trade.ts_event, UnixNanos(123_456_785_000_000));
            assert_eq!(trade.ts_recv, UnixNanos(7));
        }
        other => panic!("trade: {other:?}"),
    }
    if let Some(bytes) = read("binance_usdm_agg_trade_stream.json") {
        match decode("BTCUSDT", &bytes).as_slice() {
            [MarketEvent::Trade(trade)] => {
                assert_eq!(trade.trade_id, TradeId(5_933_014));
                assert_eq!(trade.aggressor, AggressorSide::Sell);
            }
            other => panic!("aggTrade: {other:?}"),
        }
    }
    if let Some(bytes) = read("binance_usdm_book_ticker_stream.json") {
        match decode("BNBUSDT", &bytes).as_slice() {
            [MarketEvent::Quote(quote)] => {
                assert_eq!(quote.bid_price, price("25.3519"));
                assert_eq!(quote.bid_size, size("31.21"));
                assert_eq!(quote.ask_price, price("25.3652"));
                assert_eq!(quote.ask_size, size("40.66"));
                assert_eq!(quote.update_id, 400_900_217);
                assert_eq!(quote.ts_event, UnixNanos(1_568_014_460_891_000_000));
            }
            other => panic!("bookTicker: {other:?}"),
        }
    }
    if let Some(bytes) = read("binance_usdm_depth_update_stream.json") {
        match decode("BTCUSDT", &bytes).as_slice() {
            [MarketEvent::Depth(bid), MarketEvent::Depth(ask)] => {
                assert_eq!(
                    (bid.side, bid.price, bid.size),
                    (BookSide::Bid, price("0.0024"), size("10"))
                );
                assert_eq!(
                    (ask.side, ask.price, ask.size),
                    (BookSide::Ask, price("0.0026"), size("100"))
                );
                assert_eq!(
                    (bid.first_update_id, bid.last_update_id, bid.prev_update_id),
                    (157, 160, 149)
                );
                assert_eq!(bid.flags, DeltaFlags(0));
                assert_eq!(ask.flags, DeltaFlags(DeltaFlags::LAST));
            }
            other => panic!("depthUpdate: {other:?}"),
        }
    }
    if let Some(bytes) = read("binance_usdm_mark_price_stream.json") {
        match decode("BTCUSDT", &bytes).as_slice() {
            [MarketEvent::Funding(funding)] => {
                assert_eq!(funding.rate, Rate::from_decimal_str("0.00038167").unwrap());
                assert_eq!(funding.mark_price, price("11794.15"));
                assert_eq!(funding.index_price, price("11784.62659091"));
                assert_eq!(
                    funding.next_funding_time,
                    UnixNanos(1_562_306_400_000_000_000)
                );
            }
            other => panic!("markPriceUpdate: {other:?}"),
        }
    }
    if let Some(bytes) = read("binance_usdm_liquidation_stream.json") {
        match decode("BTCUSDT", &bytes).as_slice() {
            [MarketEvent::Liquidation(liquidation)] => {
                assert_eq!(liquidation.side, AggressorSide::Sell);
                // Filled: the average price `ap` and the filled size `z`.
                assert_eq!(liquidation.price, price("9910.12345678"));
                assert_eq!(liquidation.size, size("0.014"));
            }
            other => panic!("forceOrder: {other:?}"),
        }
    }
}

/// Reads one HTTP request head (our REST requests have no body).
fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 7\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/// A loopback venue for the gateway: listen key, a user-data stream that reports the order
/// accepted and filled, an order endpoint that refuses post-only orders (code -5022) and
/// accepts the rest, and a position. Every REST request head is kept for the test.
fn serve_trading(user_frames: Vec<String>, heads: Arc<std::sync::Mutex<Vec<String>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let frames = user_frames.clone();
            let heads = Arc::clone(&heads);
            std::thread::spawn(move || {
                let mut peek = [0_u8; 64];
                let length = stream.peek(&mut peek).unwrap_or(0);
                if peek[..length].starts_with(b"GET /ws/") {
                    let Ok(mut socket) = tungstenite::accept(stream) else {
                        return;
                    };
                    for frame in frames {
                        let _ = socket.send(Message::text(frame));
                    }
                    while socket.read().is_ok() {}
                    return;
                }
                let head = read_head(&mut stream);
                heads.lock().expect("lock").push(head.clone());
                let request_line = head.lines().next().unwrap_or_default().to_owned();
                if request_line.starts_with("POST /fapi/v1/listenKey") {
                    respond(&mut stream, "200 OK", r#"{"listenKey":"key-1"}"#);
                } else if request_line.starts_with("POST /fapi/v1/order") {
                    if request_line.contains("timeInForce=GTX") {
                        respond(
                            &mut stream,
                            "400 Bad Request",
                            r#"{"code":-5022,"msg":"Due to the order could not be executed as maker, the Post Only order will be rejected."}"#,
                        );
                    } else {
                        respond(
                            &mut stream,
                            "200 OK",
                            include_str!("../test_data/binance_usdm/order_response.json"),
                        );
                    }
                } else if request_line.starts_with("GET /fapi/v2/positionRisk") {
                    respond(
                        &mut stream,
                        "200 OK",
                        include_str!("../test_data/binance_usdm/position_risk.json"),
                    );
                } else {
                    respond(&mut stream, "200 OK", "{}");
                }
            });
        }
    });
    port
}

#[test]
fn gateway_signs_orders_and_reports_from_the_user_stream() {
    use auction_trader_types::{
        ExecutionReport, OrderCommand, OrderId, OrderKind, OrderRequest, OrderSide, RejectReason,
    };
    use auction_trader_venues::TradingGateway;
    use auction_trader_venues::binance_usdm::http::sign;
    use auction_trader_venues::binance_usdm::{Credentials, Gateway, GatewayOptions};

    let recorded = |text: &str| text.replace("\"c\": \"TEST\"", "\"c\": \"at-8\"");
    let frames = vec![
        recorded(include_str!(
            "../test_data/binance_usdm/order_update_new.json"
        )),
        recorded(include_str!(
            "../test_data/binance_usdm/order_update_trade.json"
        )),
    ];
    let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let port = serve_trading(frames, Arc::clone(&heads));
    let endpoints = Endpoints::from_override(&format!("http://127.0.0.1:{port}")).unwrap();
    let options = GatewayOptions {
        poll_ms: 20,
        // The step clock moves 1 ms per reading: keep-alives go out within the test.
        keep_alive_ms: 5,
        ..GatewayOptions::default()
    };
    let mut gateway = Gateway::connect(
        &endpoints,
        Credentials::new("key-abc", SECRET),
        "BTCUSDT",
        StepClock::new(),
        options,
    )
    .unwrap();
    let limit = |id, post_only| {
        OrderCommand::Submit(OrderRequest {
            id: OrderId(id),
            side: OrderSide::Buy,
            quantity: Quantity::from_decimal_str("0.001").unwrap(),
            kind: OrderKind::Limit {
                price: Price::from_decimal_str("7100.5").unwrap(),
                post_only,
            },
            reduce_only: false,
            timeout: None,
            trigger: None,
        })
    };
    gateway.send(UnixNanos(1), limit(9, true)).unwrap();
    gateway.send(UnixNanos(2), limit(8, false)).unwrap();
    let mut reports = Vec::new();
    for _ in 0..250 {
        gateway.drain_reports(&mut reports);
        if reports.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let rejected = reports.iter().find_map(|report| match report {
        ExecutionReport::Rejected {
            order_id, reason, ..
        } => Some((*order_id, *reason)),
        _ => None,
    });
    assert_eq!(
        rejected,
        Some((OrderId(9), RejectReason::PostOnlyWouldCross))
    );
    assert!(reports.iter().any(|report| matches!(
        report,
        ExecutionReport::Accepted {
            order_id: OrderId(8),
            ..
        }
    )));
    assert!(reports.iter().any(|report| matches!(
        report,
        ExecutionReport::Filled(fill) if fill.order_id == OrderId(8)
    )));
    // positionRisk: 0.001 long.
    let position = gateway.position().unwrap();
    assert_eq!(
        position.quantity,
        Quantity::from_decimal_str("0.001").unwrap()
    );
    let kept_alive = || {
        let heads = heads.lock().unwrap();
        heads
            .iter()
            .any(|head| head.starts_with("PUT /fapi/v1/listenKey"))
    };
    for _ in 0..100 {
        if kept_alive() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(gateway);
    let heads = heads.lock().unwrap().clone();
    let order_heads: Vec<&String> = heads
        .iter()
        .filter(|head| head.starts_with("POST /fapi/v1/order"))
        .collect();
    assert_eq!(order_heads.len(), 2);
    for head in &order_heads {
        assert!(head.to_ascii_lowercase().contains("x-mbx-apikey: key-abc"));
        let target = head.split(' ').nth(1).unwrap();
        let query = target.split_once('?').unwrap().1;
        let (payload, signature) = query.rsplit_once("&signature=").unwrap();
        assert_eq!(signature, sign(SECRET.as_bytes(), payload));
        assert!(payload.contains("symbol=BTCUSDT&side=BUY&quantity=0.001&type=LIMIT"));
        assert!(payload.contains("&price=7100.5&"));
        assert!(payload.contains("recvWindow=5000&timestamp="));
    }
    assert!(order_heads.iter().any(|head| head.contains("timeInForce=GTX&") && head.contains("newClientOrderId=at-9")));
    assert!(order_heads.iter().any(|head| head.contains("timeInForce=GTC&") && head.contains("newClientOrderId=at-8")));
    // The listen key was kept alive, and is closed when the gateway goes.
    assert!(
        heads
            .iter()
            .any(|head| head.starts_with("PUT /fapi/v1/listenKey")),
        "{heads:#?}"
    );
    assert!(
        heads
            .iter()
            .any(|head| head.starts_with("DELETE /fapi/v1/listenKey"))
    );
    // The secret never travels.
    assert!(heads.iter().all(|head| !head.contains(SECRET)));
}

/// A real capture through the loopback exchange: its REST snapshot line served by
/// `/fapi/v1/depth`, every other message as a WebSocket frame, in recorded order (the
/// snapshot was taken after the first diffs, so the feed must drop the older ones). The book
/// the runner would keep from the feed's messages matches the venue's bookTicker at every
/// check, without a gap, and no trade or quote is lost.
#[test]
fn a_real_capture_through_the_feed_keeps_a_book_equal_to_every_book_ticker() {
    use std::io::BufRead as _;

    use auction_trader_book::{SequenceRule, verify_events};

    let Some(path) = auction_trader_testkit::shared_data("binance/usdm_btcusdt_20240808.gz") else {
        return;
    };
    let file = std::fs::File::open(&path).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    // The first 20,000 messages (about 80 s of the capture) keep the test within seconds.
    let mut snapshot_json = None;
    let mut frames = Vec::new();
    for line in reader.lines().take(20_000) {
        let line = line.unwrap();
        let Some((_, json)) = line.split_once(' ') else {
            continue;
        };
        if json.starts_with("{\"lastUpdateId\"") {
            snapshot_json = Some(json.to_owned());
        } else {
            frames.push(json.to_owned());
        }
    }
    let snapshot_json = snapshot_json.expect("the capture holds its snapshot line");
    let trades = frames
        .iter()
        .filter(|frame| frame.contains("@trade\""))
        .count();
    let quotes = frames
        .iter()
        .filter(|frame| frame.contains("@bookTicker\""))
        .count();
    let port = serve(
        vec![snapshot_json],
        vec![Session {
            frames,
            ending: Ending::CloseAndStop,
        }],
    );
    let (sender, receiver) = channel();
    let endpoints = Endpoints::from_override(&format!("http://127.0.0.1:{port}")).unwrap();
    let handle = MarketDataFeed::spawn(
        endpoints,
        "BTCUSDT",
        test_options(),
        StepClock::new(),
        sender,
    )
    .unwrap();
    let messages = collect(&receiver);
    handle.join();
    let events: Vec<MarketEvent> = messages
        .iter()
        .filter_map(|message| match message {
            FeedMessage::Event(event) => Some(*event),
            _ => None,
        })
        .collect();
    let resyncs = messages
        .iter()
        .filter(|message| matches!(message, FeedMessage::Resync { .. }))
        .count();
    assert_eq!(resyncs, 1, "one resync: the start");
    let report = verify_events(SequenceRule::BinanceFutures, &events);
    // 956 settled checks in this span (118 by quote id, 838 by message end).
    assert!(report.checks >= 900, "{report}");
    assert_eq!(report.mismatches, 0, "{report}");
    assert_eq!(report.gaps, 0, "{report}");
    let count =
        |wanted: fn(&MarketEvent) -> bool| events.iter().filter(|event| wanted(event)).count();
    assert_eq!(
        count(|event| matches!(event, MarketEvent::Trade(_))),
        trades
    );
    assert_eq!(
        count(|event| matches!(event, MarketEvent::Quote(_))),
        quotes
    );
}
