//! One blocking WebSocket connection (plain `ws://` or rustls `wss://`) whose reads wake up
//! every poll interval, so a connection thread can notice a stop request.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::VenueError;

/// A connected WebSocket.
pub(crate) type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Timeout of the TCP connect and of the opening handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` (`ws://host:port/path` or `wss://...`); reads then wait at most `poll`.
pub(crate) fn connect(url: &str, poll: Duration) -> Result<Socket, VenueError> {
    let failed = |reason: String| VenueError::Transport {
        context: format!("connect {url}"),
        reason,
    };
    let uri: tungstenite::http::Uri = url.parse().map_err(|error| VenueError::Endpoint {
        endpoint: url.to_owned(),
        reason: format!("{error}"),
    })?;
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => {
            return Err(VenueError::Endpoint {
                endpoint: url.to_owned(),
                reason: "the scheme must be ws or wss".to_owned(),
            });
        }
    };
    let host = uri.host().ok_or_else(|| VenueError::Endpoint {
        endpoint: url.to_owned(),
        reason: "no host".to_owned(),
    })?;
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let addresses = (host, port)
        .to_socket_addrs()
        .map_err(|error| failed(error.to_string()))?;
    let mut last_error = String::from("no address");
    let mut stream = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(error) => last_error = error.to_string(),
        }
    }
    let stream = stream.ok_or_else(|| failed(last_error))?;
    let handle = stream
        .try_clone()
        .map_err(|error| failed(error.to_string()))?;
    let timeouts = |timeout| {
        handle
            .set_read_timeout(Some(timeout))
            .and_then(|()| handle.set_write_timeout(Some(CONNECT_TIMEOUT)))
            .map_err(|error| failed(error.to_string()))
    };
    timeouts(CONNECT_TIMEOUT)?;
    // Latency matters more than packet count for small frames.
    stream
        .set_nodelay(true)
        .map_err(|error| failed(error.to_string()))?;
    let (socket, _response) = tungstenite::client_tls_with_config(url, stream, None, None)
        .map_err(|error| failed(error.to_string()))?;
    timeouts(poll.max(Duration::from_millis(1)))?;
    Ok(socket)
}

/// What one read gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// A text or binary message's payload.
    Data(Vec<u8>),
    /// Nothing within the poll interval, or a control frame (answered by tungstenite).
    Idle,
    /// The server closed the connection (close frame or end of stream).
    Closed(String),
    /// The connection failed.
    Failed(String),
}

/// Reads the next message, waiting at most the poll interval.
pub(crate) fn read_message(socket: &mut Socket) -> Read {
    match socket.read() {
        Ok(Message::Text(text)) => Read::Data(text.as_bytes().to_vec()),
        Ok(Message::Binary(bytes)) => Read::Data(bytes.to_vec()),
        Ok(Message::Close(frame)) => {
            // Our close reply goes out now, so the server's close handshake completes.
            let _ = socket.flush();
            Read::Closed(match frame {
                Some(frame) => format!("close frame {} {}", u16::from(frame.code), frame.reason),
                None => "close frame".to_owned(),
            })
        }
        Ok(_) => Read::Idle,
        Err(tungstenite::Error::Io(error))
            if matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            // Pending pongs go out with the next flush.
            let _ = socket.flush();
            Read::Idle
        }
        Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
            Read::Closed("connection closed".to_owned())
        }
        Err(error) => Read::Failed(error.to_string()),
    }
}
