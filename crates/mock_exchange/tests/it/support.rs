//! Shared helpers: the capture, starting a server, clients.

use std::path::PathBuf;
use std::time::Duration;

use auction_trader_mock_exchange::{
    DEFAULT_API_KEY, DEFAULT_API_SECRET, MockConfig, MockServer, Replay, Speed, Venue,
};
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The capture with the REST snapshot line (3 minutes, 11.4k frames).
pub const CAPTURE: &str = "binance/usdm_btcusdt_20240718.gz";

pub fn capture() -> Option<PathBuf> {
    auction_trader_testkit::shared_data(CAPTURE)
}

pub fn load(path: &PathBuf) -> Replay {
    Replay::load(std::slice::from_ref(path)).expect("the capture loads")
}

pub async fn start(venue: Venue, path: &PathBuf, speed: Speed) -> (MockServer, Replay) {
    let replay = load(path);
    let mut config = MockConfig::new(venue, vec![path.clone()], 0);
    config.speed = speed;
    let server = MockServer::start_with(config, replay.clone())
        .await
        .expect("the server starts");
    (server, replay)
}

pub async fn connect(url: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connects");
    socket
}

/// What a socket received until it closed.
#[derive(Debug, Default)]
pub struct Received {
    pub texts: Vec<String>,
    /// The close code, if the server sent a close frame.
    pub close_code: Option<u16>,
}

/// Reads text frames until the server closes (bounded by `limit`).
pub async fn read_all(socket: &mut Socket, limit: Duration) -> Received {
    let mut received = Received::default();
    let _ = tokio::time::timeout(limit, async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) => received.texts.push(text.to_string()),
                Ok(Message::Close(frame)) => {
                    received.close_code = frame.map(|frame| u16::from(frame.code));
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    })
    .await;
    received
}

/// Reads the next text frame.
pub async fn next_text(socket: &mut Socket) -> Option<String> {
    let result = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) => return Some(text.to_string()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    })
    .await;
    result.ok().flatten()
}

/// A blocking HTTP call on the blocking pool: (status, JSON body).
pub async fn http(
    method: &'static str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
) -> (u16, serde_json::Value) {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let response = match method {
            "GET" => {
                let mut request = agent.get(&url);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                request.call()
            }
            "DELETE" => {
                let mut request = agent.delete(&url);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                request.call()
            }
            _ => {
                let mut request = agent.post(&url);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                request.send(body.unwrap_or_default())
            }
        };
        let mut response = response.expect("http call");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("body");
        (status, serde_json::from_str(&text).expect("json body"))
    })
    .await
    .expect("http task")
}

pub fn default_key() -> (&'static str, &'static str) {
    (DEFAULT_API_KEY, DEFAULT_API_SECRET)
}

/// Wall-clock milliseconds (the signing timestamp).
#[allow(clippy::disallowed_methods)] // a signed request carries the client's wall time
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}
