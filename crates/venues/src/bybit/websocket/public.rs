//! The public market-data feed (`/v5/public/linear`): one thread per feed with a blocking
//! connection, delivering [`FeedMessage`]s on a `std::sync::mpsc` channel.
//!
//! Procedure:
//! 1. Connect; send [`FeedMessage::Resync`] (`Start` the first time, `Reconnect` after) —
//!    the snapshot rows follow; subscribe `orderbook.<depth>`, `publicTrade`, `tickers`,
//!    `allLiquidation` of the symbol in one `subscribe` op.
//! 2. Every text frame goes through the data crate's v5 decoder (the importer's decoder).
//!    Book messages pass [`BookSequence`]: applied rows are sent as `Event(Depth)`, deltas
//!    before the first snapshot are dropped, a gap (or a malformed book message) sends
//!    `Resync { SequenceGap }` and resubscribes the book topic, whose fresh snapshot
//!    rebuilds the book (Bybit's REST book carries the `u` of another depth, so it cannot be
//!    chained with these deltas; the resubscribe snapshot can).
//! 3. `{"op":"ping"}` every `ping_interval`; reconnect when nothing arrived for
//!    `idle_timeout`, or no snapshot came `resync_timeout` after a (re)subscribe.
//! 4. A lost connection sends `Disconnected` and reconnects after the backoff
//!    (`base · 2^n`, capped at 60 s, jittered by a seeded generator; `n` restarts at 0 after
//!    a connection that delivered a snapshot).
//! 5. **Closed for good** ([`FeedMessage::Closed`], then the thread ends): after
//!    `give_up_after` consecutive connection attempts that gave no book — refused,
//!    unreachable, a failed handshake (e.g. the local mock exchange exited), or a connection
//!    that ended before its first snapshot (a server that accepts but has nothing to send) —
//!    or when [`FeedHandle::stop`] was called (or the handle dropped). A connection that
//!    delivered a snapshot resets the count. A receiver that hung up ends the thread
//!    silently.
//!
//! Timers use the injected [`Clock`]; only the socket's read timeout and the backoff sleeps
//! are real time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use auction_trader_data::import::bybit_ws::{BybitDecoder, Channel, Decoded, TopicSet};
use auction_trader_types::{MarketEvent, UnixNanos};

use super::book_sequence::{BookSequence, BookStep};
use super::connection::{Polled, Socket, connect, poll, send_text};
use crate::bybit::common::backoff::Jitter;
use crate::bybit::config::{FeedOptions, PUBLIC_LINEAR_PATH};
use crate::{Clock, Endpoints, FeedMessage, ResyncReason, VenueError};

/// Counters of a feed (read any time through [`FeedHandle::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Successful connections (the first included).
    pub connections: u64,
    /// Failed connection attempts.
    pub failed_connects: u64,
    /// Text frames received.
    pub messages: u64,
    /// `Event`s delivered.
    pub events: u64,
    /// Book messages applied / dropped while waiting for a snapshot.
    pub book_messages: u64,
    pub dropped_book_messages: u64,
    /// Sequence gaps detected (each one a resync).
    pub gaps: u64,
    /// Messages the decoder rejected.
    pub malformed: u64,
    /// Subscribe / ping / other op replies.
    pub control: u64,
    /// Subscribe replies with `success: false`.
    pub subscribe_failures: u64,
    /// Valid messages of topics not decoded, per kind.
    pub skipped: Vec<(String, u64)>,
    /// The last malformed-message reason, if any.
    pub last_error: Option<String>,
}

/// Bybit's public feed of one linear symbol.
#[derive(Debug, Clone, Copy)]
pub struct MarketDataFeed;

impl MarketDataFeed {
    /// Starts the feed thread. `endpoints.websocket` is the host part (`wss://stream.bybit.com`
    /// or the mock's `ws://127.0.0.1:P`); the path is `/v5/public/linear`.
    pub fn spawn(
        endpoints: Endpoints,
        symbol: &str,
        options: FeedOptions,
        clock: Arc<dyn Clock>,
        sender: Sender<FeedMessage>,
    ) -> Result<FeedHandle, VenueError> {
        options.validate()?;
        // Bybit symbols are upper case (`BTCUSDT`); topics with another case are refused.
        let symbol = symbol.to_ascii_uppercase();
        let symbol = symbol.as_str();
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(FeedStats::default()));
        let worker = Worker {
            jitter: Jitter::new(options.seed),
            endpoints,
            symbol: symbol.to_owned(),
            book_topic: options.book_topic(symbol),
            options,
            clock,
            sender,
            stop: Arc::clone(&stop),
            stats: Arc::clone(&stats),
            decoder: BybitDecoder::new(TopicSet::All),
            events: Vec::new(),
            request: 0,
        };
        let thread = std::thread::Builder::new()
            .name(format!("bybit-feed-{symbol}"))
            .spawn(move || worker.run())
            .map_err(|error| VenueError::Transport {
                context: "bybit feed thread".to_owned(),
                reason: error.to_string(),
            })?;
        Ok(FeedHandle {
            stop,
            stats,
            thread: Some(thread),
        })
    }
}

/// The running feed: stop it, read its counters, wait for it.
#[derive(Debug)]
pub struct FeedHandle {
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<FeedStats>>,
    thread: Option<JoinHandle<()>>,
}

impl FeedHandle {
    /// Asks the feed to end: it sends `Closed` and its thread ends within a poll interval
    /// (or the connect timeout, while a connection attempt is under way).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stats(&self) -> FeedStats {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the feed thread has ended (after `Closed`).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the feed and waits for its thread; returns the final counters.
    pub fn join(mut self) -> FeedStats {
        self.stop();
        if let Some(thread) = self.thread.take() {
            // A panicking feed thread has already delivered what it could; its counters stand.
            let _ = thread.join();
        }
        self.stats()
    }
}

impl Drop for FeedHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How a connection ended.
enum SessionEnd {
    Stopped,
    ReceiverGone,
    Lost { reason: String, synced: bool },
}

struct Worker {
    endpoints: Endpoints,
    symbol: String,
    book_topic: String,
    options: FeedOptions,
    clock: Arc<dyn Clock>,
    sender: Sender<FeedMessage>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<FeedStats>>,
    decoder: BybitDecoder,
    jitter: Jitter,
    events: Vec<MarketEvent>,
    request: u64,
}

impl Worker {
    fn run(mut self) {
        let mut failures = 0_u32;
        let mut attempt = 0_u32;
        let mut first = true;
        while !self.stopped() {
            let socket = match connect(
                &self.endpoints.websocket,
                PUBLIC_LINEAR_PATH,
                self.options.connect_timeout,
            ) {
                Ok(socket) => socket,
                Err(_) => {
                    self.update(|stats| stats.failed_connects += 1);
                    failures += 1;
                    if failures >= self.options.give_up_after || !self.back_off(&mut attempt) {
                        break;
                    }
                    continue;
                }
            };
            self.update(|stats| stats.connections += 1);
            let reason = if first {
                ResyncReason::Start
            } else {
                ResyncReason::Reconnect
            };
            first = false;
            match self.session(socket, reason) {
                SessionEnd::Stopped => break,
                SessionEnd::ReceiverGone => return,
                SessionEnd::Lost { reason, synced } => {
                    let at = self.clock.now();
                    if self
                        .sender
                        .send(FeedMessage::Disconnected { at, reason })
                        .is_err()
                    {
                        return;
                    }
                    if synced {
                        failures = 0;
                        attempt = 0;
                    } else {
                        // Connected but never got a book: counts toward giving up.
                        failures += 1;
                        if failures >= self.options.give_up_after {
                            break;
                        }
                    }
                    if !self.back_off(&mut attempt) {
                        break;
                    }
                }
            }
        }
        let at = self.clock.now();
        // The receiver may already be gone; nothing else to tell.
        let _ = self.sender.send(FeedMessage::Closed { at });
    }

    fn session(&mut self, mut socket: Socket, reason: ResyncReason) -> SessionEnd {
        let mut book = BookSequence::default();
        let mut synced_once = false;
        if self
            .deliver(FeedMessage::Resync {
                at: self.clock.now(),
                reason,
            })
            .is_err()
        {
            return SessionEnd::ReceiverGone;
        }
        let topics = self.options.topics(&self.symbol);
        if let Err(reason) = self.send_op(&mut socket, "subscribe", &topics) {
            return SessionEnd::Lost {
                reason,
                synced: false,
            };
        }
        let now = self.clock.now();
        let mut last_ping = now;
        let mut last_heard = now;
        let mut snapshot_deadline = Some(after(now, self.options.resync_timeout));
        loop {
            if self.stopped() {
                let _ = socket.close(None);
                let _ = socket.flush();
                return SessionEnd::Stopped;
            }
            let now = self.clock.now();
            if elapsed(last_ping, now) >= self.options.ping_interval {
                last_ping = now;
                if let Err(reason) = self.send_op(&mut socket, "ping", &[]) {
                    return SessionEnd::Lost {
                        reason,
                        synced: synced_once,
                    };
                }
            }
            if elapsed(last_heard, now) >= self.options.idle_timeout {
                return SessionEnd::Lost {
                    reason: format!("nothing received for {:?}", self.options.idle_timeout),
                    synced: synced_once,
                };
            }
            if snapshot_deadline.is_some_and(|deadline| now >= deadline) {
                return SessionEnd::Lost {
                    reason: format!(
                        "no {} snapshot within {:?}",
                        self.book_topic, self.options.resync_timeout
                    ),
                    synced: synced_once,
                };
            }
            let text = match poll(&mut socket) {
                Polled::Idle => continue,
                Polled::Closed(reason) => {
                    return SessionEnd::Lost {
                        reason,
                        synced: synced_once,
                    };
                }
                Polled::Text(text) => text,
            };
            last_heard = self.clock.now();
            match self.handle(&text, last_heard, &mut book) {
                Handled::Ok => {}
                Handled::Snapshot => {
                    synced_once = true;
                    snapshot_deadline = None;
                }
                Handled::Gap { expected, received } => {
                    self.update(|stats| stats.gaps += 1);
                    let resync = FeedMessage::Resync {
                        at: last_heard,
                        reason: ResyncReason::SequenceGap { expected, received },
                    };
                    if self.deliver(resync).is_err() {
                        return SessionEnd::ReceiverGone;
                    }
                    let topic = [self.book_topic.clone()];
                    let resubscribed = self
                        .send_op(&mut socket, "unsubscribe", &topic)
                        .and_then(|()| self.send_op(&mut socket, "subscribe", &topic));
                    if let Err(reason) = resubscribed {
                        return SessionEnd::Lost {
                            reason,
                            synced: synced_once,
                        };
                    }
                    snapshot_deadline = Some(after(last_heard, self.options.resync_timeout));
                }
                Handled::ReceiverGone => return SessionEnd::ReceiverGone,
            }
        }
    }

    /// Decodes and delivers one text frame.
    fn handle(&mut self, text: &str, now: UnixNanos, book: &mut BookSequence) -> Handled {
        self.update(|stats| stats.messages += 1);
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        let decoded = self.decoder.decode(text.as_bytes(), Some(now), &mut events);
        let outcome = match decoded {
            Err(error) => {
                let is_book = text.contains(self.book_topic.as_str());
                self.update(|stats| {
                    stats.malformed += 1;
                    stats.last_error = Some(error.0.clone());
                });
                if let (true, Some(expected)) = (is_book, book.expected()) {
                    // A book message we cannot read breaks the book like a gap; its `u` is
                    // unknown (reported as 0).
                    book.reset();
                    Handled::Gap {
                        expected,
                        received: 0,
                    }
                } else {
                    Handled::Ok
                }
            }
            Ok(Decoded::Control { success, .. }) => {
                self.update(|stats| {
                    stats.control += 1;
                    if success == Some(false) {
                        stats.subscribe_failures += 1;
                    }
                });
                Handled::Ok
            }
            Ok(Decoded::Skipped { .. }) => {
                let skipped = self.decoder.skipped().to_vec();
                self.update(|stats| stats.skipped = skipped);
                Handled::Ok
            }
            Ok(Decoded::Market { channel, symbol }) if symbol == self.symbol.as_str() => {
                match channel {
                    Channel::Orderbook {
                        snapshot,
                        update_id,
                        ..
                    } => match book.on_message(snapshot, update_id) {
                        BookStep::Apply => {
                            self.update(|stats| stats.book_messages += 1);
                            if snapshot || update_id == 1 {
                                self.emit(&events, Handled::Snapshot)
                            } else {
                                self.emit(&events, Handled::Ok)
                            }
                        }
                        BookStep::Drop => {
                            self.update(|stats| stats.dropped_book_messages += 1);
                            Handled::Ok
                        }
                        BookStep::Gap { expected, received } => Handled::Gap { expected, received },
                    },
                    Channel::Trade | Channel::Ticker | Channel::Liquidation => {
                        self.emit(&events, Handled::Ok)
                    }
                }
            }
            // Another symbol's message on this connection: not ours.
            Ok(Decoded::Market { .. }) => Handled::Ok,
        };
        self.events = events;
        outcome
    }

    fn emit(&self, events: &[MarketEvent], outcome: Handled) -> Handled {
        for event in events {
            if self.deliver(FeedMessage::Event(*event)).is_err() {
                return Handled::ReceiverGone;
            }
        }
        self.update(|stats| stats.events += events.len() as u64);
        outcome
    }

    fn deliver(&self, message: FeedMessage) -> Result<(), ()> {
        self.sender.send(message).map_err(|_| ())
    }

    fn send_op(&mut self, socket: &mut Socket, op: &str, args: &[String]) -> Result<(), String> {
        self.request += 1;
        let text = serde_json::json!({
            "req_id": self.request.to_string(),
            "op": op,
            "args": args,
        })
        .to_string();
        send_text(socket, text)
    }

    /// Sleeps the next backoff delay; false when a stop came meanwhile.
    fn back_off(&mut self, attempt: &mut u32) -> bool {
        let delay = self.jitter.apply(self.options.backoff.delay(*attempt));
        *attempt = attempt.saturating_add(1);
        sleep_unless_stopped(&self.stop, delay)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn update(&self, change: impl FnOnce(&mut FeedStats)) {
        change(&mut self.stats.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// What one frame did to the feed.
enum Handled {
    Ok,
    Snapshot,
    Gap { expected: u64, received: u64 },
    ReceiverGone,
}

/// Sleeps `delay` in short slices; false when `stop` was set meanwhile.
pub(crate) fn sleep_unless_stopped(stop: &AtomicBool, delay: Duration) -> bool {
    let slice = Duration::from_millis(20);
    let mut left = delay;
    while !left.is_zero() {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let step = left.min(slice);
        std::thread::sleep(step);
        left -= step;
    }
    !stop.load(Ordering::Relaxed)
}

pub(crate) fn elapsed(since: UnixNanos, now: UnixNanos) -> Duration {
    Duration::from_nanos(u64::try_from(now.0.saturating_sub(since.0)).unwrap_or(0))
}

pub(crate) fn after(now: UnixNanos, delay: Duration) -> UnixNanos {
    UnixNanos(
        now.0
            .saturating_add(i64::try_from(delay.as_nanos()).unwrap_or(i64::MAX)),
    )
}
