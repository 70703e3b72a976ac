//! The market-data connection: the combined market streams of one symbol over one WebSocket,
//! decoded by the data crate's shared Binance decoder (the capture importer's code), with the
//! depth snapshot + `pu` procedure (SPEC 1.2, 1.3), reconnects with capped exponential
//! backoff and seeded jitter (SPEC 7), and the end of the feed for good.
//!
//! One thread per feed; everything goes to the trading loop as [`FeedMessage`]s on a
//! `std::sync::mpsc` channel, in arrival order:
//! - on every (re)connection and after every sequence gap: `Resync`, then the REST snapshot
//!   as `Depth` rows flagged SNAPSHOT (CLEAR first, LAST last), then only the depth updates
//!   that continue it (older ones are dropped, a break triggers the next resync);
//! - quotes, trades, funding and liquidations as they arrive;
//! - `Disconnected` when an established connection is lost (a reconnect follows);
//! - `Closed` once, at the end: after a stop request, or when `give_up_after_failures`
//!   consecutive connection attempts failed since the last connection that worked (a server
//!   that closed its stream and stopped listening, like the mock exchange at the end of its
//!   replay). Nothing follows `Closed`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use auction_trader_data::import::binance_capture::StreamDecoder;
use auction_trader_data::instruments::BINANCE_USDM;
use auction_trader_types::{DeltaFlags, MarketEvent};

use super::connection::{Read, Socket, connect, read_message};
use crate::binance_usdm::common::{Backoff, DepthSequencer, DepthVerdict};
use crate::binance_usdm::config::FeedOptions;
use crate::binance_usdm::http::RestClient;
use crate::{Clock, Endpoints, FeedMessage, ResyncReason, VenueError};

/// The market-data feed of Binance USD-M (or of a mock exchange speaking its protocol).
#[derive(Debug)]
pub struct MarketDataFeed;

/// Counts of a feed since it started (for metrics; the messages themselves say the rest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// WebSocket messages received.
    pub messages: u64,
    /// Messages the shared decoder refused (malformed, or a known kind with a bad value).
    pub rejected: u64,
    /// Depth updates dropped as older than the snapshot (`u < lastUpdateId`).
    pub stale_depth: u64,
    /// REST snapshots taken (the start, every reconnect and every sequence gap).
    pub snapshots: u64,
}

/// The shared counters behind [`FeedStats`].
#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    rejected: AtomicU64,
    stale_depth: AtomicU64,
    snapshots: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The running feed: stop it, read its counts, or wait for it to end.
#[derive(Debug)]
pub struct FeedHandle {
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
}

impl FeedHandle {
    /// Asks the feed to end: it closes its connection and sends `Closed`.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// The counts so far.
    pub fn stats(&self) -> FeedStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        FeedStats {
            messages: read(&self.counters.messages),
            rejected: read(&self.counters.rejected),
            stale_depth: read(&self.counters.stale_depth),
            snapshots: read(&self.counters.snapshots),
        }
    }

    /// Whether the feed's thread has ended (after `Closed`, or when the receiver was dropped).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the feed's thread to end (call [`FeedHandle::stop`] first to end it now).
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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

impl MarketDataFeed {
    /// Starts the feed of `symbol` (e.g. `BTCUSDT`) at `endpoints` on its own thread.
    pub fn spawn(
        endpoints: Endpoints,
        symbol: &str,
        options: FeedOptions,
        clock: Arc<dyn Clock>,
        sender: Sender<FeedMessage>,
    ) -> Result<FeedHandle, VenueError> {
        let symbol = symbol.to_ascii_uppercase();
        let decoder =
            StreamDecoder::new(BINANCE_USDM, &symbol).map_err(|error| VenueError::Protocol {
                context: "binance-usdm decoder".to_owned(),
                reason: error.to_string(),
            })?;
        let url = format!(
            "{}/stream?streams={}",
            endpoints.websocket.trim_end_matches('/'),
            options.stream_names(&symbol).join("/")
        );
        let rest = RestClient::new(
            &endpoints.rest,
            None,
            Arc::clone(&clock),
            5_000,
            options.rest_weight_limit,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let worker = Worker {
            counters: Arc::clone(&counters),
            url,
            symbol: symbol.clone(),
            backoff: Backoff::new(&options.backoff),
            options,
            clock,
            sender,
            stop: Arc::clone(&stop),
            rest,
            decoder,
            sequencer: DepthSequencer::default(),
            events: Vec::with_capacity(2048),
        };
        let thread = std::thread::Builder::new()
            .name(format!("binance-usdm-feed-{symbol}"))
            .spawn(move || worker.run())
            .map_err(|error| VenueError::Transport {
                context: "spawn the feed thread".to_owned(),
                reason: error.to_string(),
            })?;
        Ok(FeedHandle {
            stop,
            counters,
            thread: Some(thread),
        })
    }
}

/// How a connection ended.
#[derive(Debug)]
enum End {
    /// A stop was requested.
    Stopped,
    /// The trading loop dropped its receiver: nobody listens any more.
    ReceiverGone,
    /// The connection failed or was closed; `established` when it had delivered a snapshot.
    Lost { reason: String, established: bool },
}

struct Worker {
    url: String,
    symbol: String,
    options: FeedOptions,
    clock: Arc<dyn Clock>,
    sender: Sender<FeedMessage>,
    stop: Arc<AtomicBool>,
    rest: RestClient,
    decoder: StreamDecoder,
    sequencer: DepthSequencer,
    backoff: Backoff,
    /// Reused per message.
    events: Vec<MarketEvent>,
    counters: Arc<Counters>,
}

impl Worker {
    fn run(mut self) {
        let mut failures: u32 = 0;
        let mut reason = ResyncReason::Start;
        while !self.stopped() {
            match self.connection(reason.clone()) {
                End::Stopped => break,
                End::ReceiverGone => return,
                End::Lost {
                    reason: why,
                    established,
                } => {
                    if established {
                        failures = 0;
                        self.backoff.reset();
                        let at = self.clock.now();
                        if self
                            .sender
                            .send(FeedMessage::Disconnected { at, reason: why })
                            .is_err()
                        {
                            return;
                        }
                    } else {
                        failures = failures.saturating_add(1);
                    }
                    if self
                        .options
                        .give_up_after_failures
                        .is_some_and(|limit| failures >= limit)
                    {
                        break;
                    }
                    let delay = self.backoff.next_delay_ms();
                    if !self.pause(delay) {
                        break;
                    }
                    reason = ResyncReason::Reconnect;
                }
            }
        }
        let _ = self.sender.send(FeedMessage::Closed {
            at: self.clock.now(),
        });
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps `delay_ms` in poll-sized steps; false when a stop came meanwhile.
    fn pause(&self, delay_ms: u64) -> bool {
        let step = self.options.poll_ms.max(1);
        let mut left = delay_ms;
        while left > 0 {
            if self.stopped() {
                return false;
            }
            let now = left.min(step);
            std::thread::sleep(Duration::from_millis(now));
            left -= now;
        }
        !self.stopped()
    }

    /// One connection: connect, snapshot, then messages until it ends.
    fn connection(&mut self, reason: ResyncReason) -> End {
        let poll = Duration::from_millis(self.options.poll_ms.max(1));
        let mut socket = match connect(&self.url, poll) {
            Ok(socket) => socket,
            Err(error) => {
                return End::Lost {
                    reason: error.to_string(),
                    established: false,
                };
            }
        };
        self.sequencer.reset();
        // The stream is subscribed already: its messages wait in the socket while the
        // snapshot is fetched (Binance: buffer the stream, then take the snapshot).
        if let Err(end) = self.resync(reason, false) {
            close(&mut socket);
            return end;
        }
        loop {
            if self.stopped() {
                close(&mut socket);
                return End::Stopped;
            }
            match read_message(&mut socket) {
                Read::Data(bytes) => {
                    if let Err(end) = self.on_message(&bytes) {
                        close(&mut socket);
                        return end;
                    }
                }
                Read::Idle => {}
                Read::Closed(why) | Read::Failed(why) => {
                    return End::Lost {
                        reason: why,
                        established: true,
                    };
                }
            }
        }
    }

    fn send(&self, message: FeedMessage) -> Result<(), End> {
        self.sender.send(message).map_err(|_| End::ReceiverGone)
    }

    /// `Resync`, the REST snapshot, its rows; the sequencer then expects updates after it.
    fn resync(&mut self, reason: ResyncReason, established: bool) -> Result<(), End> {
        self.send(FeedMessage::Resync {
            at: self.clock.now(),
            reason,
        })?;
        let lost = |reason: String| End::Lost {
            reason,
            established,
        };
        let body = self
            .rest
            .depth_snapshot(&self.symbol, self.options.snapshot_limit)
            .map_err(|error| lost(error.to_string()))?;
        self.events.clear();
        let received = self.clock.now();
        self.decoder
            .decode(&body, received, &mut self.events)
            .map_err(|error| lost(format!("depth snapshot: {error}")))?;
        let last_update_id = match self.events.first() {
            Some(MarketEvent::Depth(row)) if row.flags.0 & DeltaFlags::SNAPSHOT != 0 => {
                row.last_update_id
            }
            _ => {
                return Err(lost(
                    "the depth snapshot answer has no snapshot rows".to_owned(),
                ));
            }
        };
        self.sequencer.on_snapshot(last_update_id);
        Counters::add(&self.counters.snapshots);
        self.forward()
    }

    /// Sends the decoded events of one message.
    fn forward(&mut self) -> Result<(), End> {
        for event in self.events.drain(..) {
            self.sender
                .send(FeedMessage::Event(event))
                .map_err(|_| End::ReceiverGone)?;
        }
        Ok(())
    }

    fn on_message(&mut self, message: &[u8]) -> Result<(), End> {
        self.events.clear();
        Counters::add(&self.counters.messages);
        let received = self.clock.now();
        // A message the decoder refuses carries no event; if it was a depth update, the next
        // one's `pu` shows the break and triggers the resync.
        let decoded = self.decoder.decode(message, received, &mut self.events);
        // Warnings (unsupported kinds, counted once per kind) are not the trading loop's.
        drop(self.decoder.take_warnings());
        if decoded.is_err() {
            Counters::add(&self.counters.rejected);
            return Ok(());
        }
        let update = match self.events.first() {
            Some(MarketEvent::Depth(row)) if row.flags.0 & DeltaFlags::SNAPSHOT == 0 => {
                (row.first_update_id, row.last_update_id, row.prev_update_id)
            }
            // A snapshot pushed on the stream is not part of the procedure: ignored.
            Some(MarketEvent::Depth(_)) => return Ok(()),
            _ => return self.forward(),
        };
        let (first, last, previous) = update;
        match self.sequencer.check(first, last, previous) {
            DepthVerdict::Apply => self.forward(),
            DepthVerdict::Stale => {
                Counters::add(&self.counters.stale_depth);
                Ok(())
            }
            DepthVerdict::Gap { expected, received } => {
                let rows = std::mem::take(&mut self.events);
                self.resync(ResyncReason::SequenceGap { expected, received }, true)?;
                // The update that showed the gap may straddle the fresh snapshot.
                self.events = rows;
                match self.sequencer.check(first, last, previous) {
                    DepthVerdict::Apply => self.forward(),
                    verdict => {
                        if verdict == DepthVerdict::Stale {
                            Counters::add(&self.counters.stale_depth);
                        }
                        self.events.clear();
                        Ok(())
                    }
                }
            }
        }
    }
}

/// Closes a connection politely (best effort: it is being abandoned anyway).
fn close(socket: &mut Socket) {
    let _ = socket.close(None);
    let _ = socket.flush();
}
