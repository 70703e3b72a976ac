//! Test support: a wall clock, a blocking WebSocket server and a book built from rows.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use auction_trader_types::{BookDelta, BookSide, MarketEvent, UnixNanos};
use auction_trader_venues::Clock;
use tungstenite::{Message, WebSocket};

/// The system clock (tests only: the crates themselves never read it).
#[derive(Debug)]
pub struct WallClock;

impl Clock for WallClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> UnixNanos {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970");
        UnixNanos(i64::try_from(since.as_nanos()).expect("fits"))
    }
}

/// A committed recorded message of `crates/venues/test_data/bybit/`.
pub fn recorded(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/bybit")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub type ServerSocket = WebSocket<TcpStream>;

/// Listens on 127.0.0.1:0; `serve` is called with each accepted connection (numbered from 0)
/// and returns whether to accept another. The listener closes when `serve` says no, so later
/// connects are refused.
pub fn ws_server(
    mut serve: impl FnMut(usize, &mut ServerSocket) -> bool + Send + 'static,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let thread = std::thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let stream = stream.expect("accept");
            stream
                .set_read_timeout(Some(Duration::from_secs(3)))
                .expect("timeout");
            let mut socket = tungstenite::accept(stream).expect("handshake");
            let again = serve(index, &mut socket);
            if !again {
                return;
            }
        }
    });
    (address, thread)
}

/// Sends one text frame.
pub fn send(socket: &mut ServerSocket, text: &str) {
    socket.send(Message::text(text)).expect("send");
}

/// The next JSON op from the client, skipping pings (answered with a pong).
pub fn next_op(socket: &mut ServerSocket) -> serde_json::Value {
    loop {
        match socket.read().expect("read") {
            Message::Text(text) => {
                let value: serde_json::Value = serde_json::from_str(text.as_str()).expect("json");
                if value["op"] == "ping" {
                    send(
                        socket,
                        r#"{"success":true,"ret_msg":"pong","conn_id":"t","req_id":"","op":"ping"}"#,
                    );
                    continue;
                }
                return value;
            }
            Message::Close(_) => panic!("client closed"),
            _ => {}
        }
    }
}

/// A book rebuilt from Depth rows exactly as their flags say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Book {
    pub bids: BTreeMap<i64, i128>,
    pub asks: BTreeMap<i64, i128>,
}

impl Book {
    pub fn apply(&mut self, row: &BookDelta) {
        if row.flags.is_clear() {
            self.bids.clear();
            self.asks.clear();
        }
        if row.flags.is_empty_message() {
            return;
        }
        let side = match row.side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        };
        if row.size.is_zero() {
            side.remove(&row.price.raw());
        } else {
            side.insert(row.price.raw(), row.size.raw());
        }
    }

    pub fn apply_event(&mut self, event: &MarketEvent) {
        if let MarketEvent::Depth(row) = event {
            self.apply(row);
        }
    }

    /// A book from `(price, size)` decimal pairs.
    pub fn from_levels(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Self {
        let raw = |levels: &[(&str, &str)]| {
            levels
                .iter()
                .map(|(price, size)| {
                    (
                        auction_trader_types::Price::from_decimal_str(price)
                            .expect("price")
                            .raw(),
                        auction_trader_types::Quantity::from_decimal_str(size)
                            .expect("size")
                            .raw(),
                    )
                })
                .collect()
        };
        Self {
            bids: raw(bids),
            asks: raw(asks),
        }
    }
}

/// A v5 order-book message.
pub fn book_message(kind: &str, u: u64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> String {
    let levels = |levels: &[(&str, &str)]| {
        levels
            .iter()
            .map(|(price, size)| format!(r#"["{price}","{size}"]"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":1709891679000,"data":{{"s":"BTCUSDT","b":[{}],"a":[{}],"u":{u},"seq":{}}},"cts":1709891678999}}"#,
        levels(bids),
        levels(asks),
        u + 1_000_000
    )
}
