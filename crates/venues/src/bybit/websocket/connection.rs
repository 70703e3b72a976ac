//! One blocking WebSocket connection (`tungstenite`; `wss://` over rustls with the webpki
//! roots, `ws://` for the local mock exchange), read with a short timeout so the owning thread
//! can ping, watch its deadlines and stop between frames.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long one read waits before the thread checks its timers again.
pub const POLL: Duration = Duration::from_millis(50);

/// An open connection.
pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens `base + path` (`ws://` or `wss://`), with `timeout` for the TCP connect and the
/// handshake; the socket then reads with [`POLL`] timeouts.
pub fn connect(base: &str, path: &str, timeout: Duration) -> Result<Socket, String> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let request = url
        .as_str()
        .into_client_request()
        .map_err(|error| format!("{url}: {error}"))?;
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or_else(|| format!("{url}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("wss") {
            443
        } else {
            80
        });
    let addresses = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|error| format!("{url}: {error}"))?;
    let mut last_error = format!("{url}: no address");
    let mut stream = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(error) => last_error = format!("{url}: {error}"),
        }
    }
    let stream = stream.ok_or(last_error)?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|error| format!("{url}: {error}"))?;
    let (socket, _response) = tungstenite::client_tls_with_config(request, stream, None, None)
        .map_err(|error| format!("{url}: handshake: {error}"))?;
    set_read_timeout(&socket, POLL).map_err(|error| format!("{url}: {error}"))?;
    Ok(socket)
}

fn set_read_timeout(socket: &Socket, timeout: Duration) -> std::io::Result<()> {
    match socket.get_ref() {
        MaybeTlsStream::Plain(stream) => stream.set_read_timeout(Some(timeout)),
        MaybeTlsStream::Rustls(stream) => stream.sock.set_read_timeout(Some(timeout)),
        _ => Ok(()),
    }
}

/// What one poll of the socket gave.
#[derive(Debug)]
pub enum Polled {
    Text(String),
    /// Nothing within [`POLL`] (or a control frame tungstenite answered itself).
    Idle,
    /// The connection ended (close frame, reset, protocol error), with why.
    Closed(String),
}

/// Reads at most one frame.
pub fn poll(socket: &mut Socket) -> Polled {
    match socket.read() {
        Ok(Message::Text(text)) => Polled::Text(text.as_str().to_owned()),
        Ok(Message::Binary(bytes)) => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Polled::Text(text),
            Err(_) => Polled::Closed("binary frame that is not UTF-8".to_owned()),
        },
        Ok(Message::Close(frame)) => Polled::Closed(match frame {
            Some(frame) => format!("closed by the server ({} {})", frame.code, frame.reason),
            None => "closed by the server".to_owned(),
        }),
        Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Polled::Idle,
        Err(tungstenite::Error::Io(error))
            if matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Polled::Idle
        }
        Err(error) => Polled::Closed(error.to_string()),
    }
}

/// Sends one text frame.
pub fn send_text(socket: &mut Socket, text: String) -> Result<(), String> {
    socket
        .send(Message::text(text))
        .map_err(|error| format!("send: {error}"))
}
