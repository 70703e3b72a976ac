//! The private stream (`/v5/private`): authenticate (`{"op":"auth","args":[apiKey, expires,
//! signature]}`, `expires` = now + 10 s in ms from the injected clock, signature =
//! HMAC-SHA256(secret, "GET/realtime" + expires)), subscribe `order`, `execution`,
//! `position` and `wallet`, ping every 20 s, and hand every message to the gateway. A lost
//! connection reconnects with the same backoff as the public feed; a refused `auth` is
//! terminal (wrong keys do not fix themselves) and ends the thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::connection::{Polled, Socket, connect, poll, send_text};
use super::private_messages::{PrivateMessage, parse};
use super::public::{after, elapsed, sleep_unless_stopped};
use crate::Clock;
use crate::bybit::common::backoff::{Backoff, Jitter};
use crate::bybit::common::credentials::Credentials;
use crate::bybit::common::signing::websocket_signature;
use crate::bybit::config::PRIVATE_PATH;

/// Topics of the private stream.
pub const PRIVATE_TOPICS: [&str; 4] = ["order", "execution", "position", "wallet"];
/// Lifetime of an auth signature.
const AUTH_VALIDITY: Duration = Duration::from_secs(10);

/// What the private stream reports to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Authenticated and subscribed (again, after a reconnect).
    Up,
    Message(PrivateMessage),
    /// A message that did not decode (the stream goes on).
    Malformed(String),
    /// The connection was lost; reconnecting.
    Down(String),
    /// `auth` was refused (`retCode`, message): the stream has ended.
    AuthFailed {
        code: i64,
        message: String,
    },
    /// Gave up reconnecting (or stopped): the stream has ended.
    Ended,
}

/// Settings of one private stream.
#[derive(Debug, Clone)]
pub struct PrivateStreamConfig {
    pub websocket: String,
    pub credentials: Credentials,
    pub ping_interval: Duration,
    pub backoff: Backoff,
    pub seed: u64,
    pub connect_timeout: Duration,
    pub give_up_after: u32,
}

/// Runs the stream on the calling thread until `stop`, a refused auth, `give_up_after`
/// connection attempts in a row that never came up (refused, unreachable, no auth answer), or
/// `sink` returning false (its owner is gone).
pub fn run(
    config: &PrivateStreamConfig,
    clock: &Arc<dyn Clock>,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(StreamEvent) -> bool,
) {
    let mut jitter = Jitter::new(config.seed);
    let mut attempt = 0_u32;
    let mut failures = 0_u32;
    let mut request = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        let outcome = match connect(&config.websocket, PRIVATE_PATH, config.connect_timeout) {
            Ok(mut socket) => session(config, clock, stop, sink, &mut socket, &mut request),
            Err(reason) => Outcome::Lost(reason, false),
        };
        match outcome {
            Outcome::Ended => return,
            Outcome::Lost(reason, was_up) => {
                if was_up {
                    failures = 0;
                    attempt = 0;
                    if !sink(StreamEvent::Down(reason)) {
                        return;
                    }
                } else {
                    // Refused, unreachable, or connected but never authenticated.
                    failures += 1;
                    if failures >= config.give_up_after {
                        break;
                    }
                }
                let delay = jitter.apply(config.backoff.delay(attempt));
                attempt = attempt.saturating_add(1);
                if !sleep_unless_stopped(stop, delay) {
                    break;
                }
            }
        }
    }
    sink(StreamEvent::Ended);
}

enum Outcome {
    /// The stream must end (auth refused, stop, owner gone); already reported.
    Ended,
    /// Reconnect; whether the session had been up.
    Lost(String, bool),
}

fn session(
    config: &PrivateStreamConfig,
    clock: &Arc<dyn Clock>,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(StreamEvent) -> bool,
    socket: &mut Socket,
    request: &mut u64,
) -> Outcome {
    let now = clock.now();
    let expires = u64::try_from(after(now, AUTH_VALIDITY).0 / 1_000_000).unwrap_or(0);
    let signature = websocket_signature(&config.credentials, expires);
    let auth = serde_json::json!({
        "req_id": "auth",
        "op": "auth",
        "args": [config.credentials.api_key(), expires, signature],
    });
    if let Err(reason) = send_text(socket, auth.to_string()) {
        return Outcome::Lost(reason, false);
    }
    let mut up = false;
    let mut last_ping = now;
    let mut last_heard = now;
    let auth_deadline = after(now, config.connect_timeout);
    loop {
        if stop.load(Ordering::Relaxed) {
            let _ = socket.close(None);
            let _ = socket.flush();
            sink(StreamEvent::Ended);
            return Outcome::Ended;
        }
        let now = clock.now();
        if !up && now >= auth_deadline {
            return Outcome::Lost("no auth reply".to_owned(), false);
        }
        if up && elapsed(last_ping, now) >= config.ping_interval {
            last_ping = now;
            *request += 1;
            let ping = serde_json::json!({"req_id": request.to_string(), "op": "ping"});
            if let Err(reason) = send_text(socket, ping.to_string()) {
                return Outcome::Lost(reason, up);
            }
        }
        if up && elapsed(last_heard, now) >= config.ping_interval * 2 + config.connect_timeout {
            return Outcome::Lost("private stream silent".to_owned(), up);
        }
        let text = match poll(socket) {
            Polled::Idle => continue,
            Polled::Closed(reason) => return Outcome::Lost(reason, up),
            Polled::Text(text) => text,
        };
        last_heard = clock.now();
        let message = match parse(&text) {
            Ok(message) => message,
            Err(error) => {
                if !sink(StreamEvent::Malformed(error.to_string())) {
                    return Outcome::Ended;
                }
                continue;
            }
        };
        if let PrivateMessage::Control {
            op,
            success,
            code,
            message,
        } = &message
            && op == "auth"
        {
            if *success != Some(true) {
                sink(StreamEvent::AuthFailed {
                    code: code.unwrap_or(0),
                    message: message.clone(),
                });
                return Outcome::Ended;
            }
            let subscribe = serde_json::json!({
                "req_id": "subscribe",
                "op": "subscribe",
                "args": PRIVATE_TOPICS,
            });
            if let Err(reason) = send_text(socket, subscribe.to_string()) {
                return Outcome::Lost(reason, false);
            }
            up = true;
            last_ping = clock.now();
            if !sink(StreamEvent::Up) {
                return Outcome::Ended;
            }
            continue;
        }
        if !sink(StreamEvent::Message(message)) {
            return Outcome::Ended;
        }
    }
}
