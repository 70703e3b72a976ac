//! Where a session's [`FeedMessage`]s come from: a replay of recorded files (capture files or
//! any importable format, decoded by the data crate's importers, merged in the store's
//! deterministic replay order and paced by `--speed`), or a venue's market-data adapter.
//!
//! The replay keeps the recorded receive times: the session's event time is the capture's,
//! so a paper session over a capture and a backtest over the same capture see the same
//! events in the same order. It ends with [`FeedMessage::Closed`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use auction_trader_data::CollectedEvents;
use auction_trader_data::import::format::{ImportFormat, ImportOptions, detect, import_paths};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind, UnixNanos};
use auction_trader_venues::{Clock, Endpoints, FeedMessage};
use auction_trader_venues::{binance_usdm, bybit};

use crate::LiveError;

/// Messages buffered between a feed thread and the trading loop.
const CHANNEL_CAPACITY: usize = 1 << 16;

/// A market-data source.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedSource {
    /// Recorded files replayed as a feed. `speed`: event-time seconds per wall second
    /// (`None`: as fast as the session consumes).
    Replay {
        files: Vec<PathBuf>,
        speed: Option<f64>,
    },
    /// A venue's market-data adapter (`binance-usdm`, `bybit-linear`) at `endpoints`.
    Venue { venue: String, endpoints: Endpoints },
}

/// A running feed: its messages and its thread.
#[derive(Debug)]
pub struct FeedHandle {
    pub receiver: Receiver<FeedMessage>,
    thread: Option<JoinHandle<()>>,
    /// A venue adapter's own handle (dropping it stops the connection).
    binance_usdm: Option<binance_usdm::FeedHandle>,
    bybit: Option<bybit::FeedHandle>,
}

impl FeedHandle {
    /// A feed whose messages some other code sends (a venue adapter spawned by the caller,
    /// a test).
    pub fn from_receiver(receiver: Receiver<FeedMessage>) -> Self {
        Self {
            receiver,
            thread: None,
            binance_usdm: None,
            bybit: None,
        }
    }

    /// Waits for the feed thread (after the receiver is dropped it ends at its next send).
    pub fn join(mut self) {
        if let Some(adapter) = self.binance_usdm.take() {
            adapter.stop();
            adapter.join();
        }
        if let Some(adapter) = self.bybit.take() {
            adapter.stop();
            adapter.join();
        }
        drop(self.receiver);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FeedSource {
    /// Whether idle periods should move the engine clock to the wall clock (a real feed).
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Venue { .. })
    }

    /// Starts the feed of `instrument` (`clock`: the receive times of a venue feed).
    pub fn spawn(
        &self,
        instrument: &InstrumentKey,
        clock: Arc<dyn Clock>,
    ) -> Result<FeedHandle, LiveError> {
        match self {
            Self::Replay { files, speed } => {
                let events = replay_events(files, instrument)?;
                let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
                let speed = *speed;
                let thread = std::thread::Builder::new()
                    .name("replay-feed".to_owned())
                    .spawn(move || send_replay(&events, speed, &sender))
                    .map_err(|error| LiveError::Data(format!("replay thread: {error}")))?;
                Ok(FeedHandle {
                    receiver,
                    thread: Some(thread),
                    binance_usdm: None,
                    bybit: None,
                })
            }
            // The venue adapters of crates/venues: each spawns its own thread and sends
            // `FeedMessage`s on the channel.
            Self::Venue { venue, endpoints } if venue == "binance-usdm" => {
                let (sender, receiver) = channel();
                let adapter = binance_usdm::MarketDataFeed::spawn(
                    endpoints.clone(),
                    &instrument.symbol,
                    binance_usdm::FeedOptions::default(),
                    clock,
                    sender,
                )
                .map_err(|error| LiveError::Venue(error.to_string()))?;
                Ok(FeedHandle {
                    receiver,
                    thread: None,
                    binance_usdm: Some(adapter),
                    bybit: None,
                })
            }
            Self::Venue { venue, endpoints } if venue == "bybit-linear" => {
                let (sender, receiver) = channel();
                let adapter = bybit::MarketDataFeed::spawn(
                    endpoints.clone(),
                    &instrument.symbol,
                    bybit::FeedOptions::default(),
                    clock,
                    sender,
                )
                .map_err(|error| LiveError::Venue(error.to_string()))?;
                Ok(FeedHandle {
                    receiver,
                    thread: None,
                    binance_usdm: None,
                    bybit: Some(adapter),
                })
            }
            Self::Venue { venue, endpoints } => Err(LiveError::Venue(format!(
                "no market-data adapter for {venue} is wired into this build (endpoint {}); \
                 replay recorded data with --replay <files>",
                endpoints.websocket
            ))),
        }
    }
}

/// Decodes `files` (grouped into jobs of one format, as an import does) and returns the
/// events of `instrument` in the store's replay order: per stream kind in receive order
/// (stable), merged by receive time then kind priority (SPEC 1.5).
pub fn replay_events(
    files: &[PathBuf],
    instrument: &InstrumentKey,
) -> Result<Vec<MarketEvent>, LiveError> {
    if files.is_empty() {
        return Err(LiveError::Config(
            "--replay needs at least one file".to_owned(),
        ));
    }
    let options = ImportOptions {
        venue: Some(instrument.venue.to_string()),
        symbol: Some(instrument.symbol.to_string()),
        market: Some(instrument.market),
        ..ImportOptions::default()
    };
    let mut collected = CollectedEvents::new();
    let mut job: Vec<PathBuf> = Vec::new();
    let mut job_format: Option<ImportFormat> = None;
    for path in files {
        let format = detect(path)
            .map_err(|error| LiveError::Data(format!("{}: {error}", path.display())))?;
        if job_format.is_some_and(|current| current != format) {
            import_job(job_format, &job, &options, &mut collected)?;
            job.clear();
        }
        job_format = Some(format);
        job.push(path.clone());
    }
    import_job(job_format, &job, &options, &mut collected)?;
    let Some(slot) = collected.slot_of(instrument) else {
        let found: Vec<String> = collected
            .instruments
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(LiveError::Data(format!(
            "the replay files hold no events of {instrument} (they hold {})",
            if found.is_empty() {
                "nothing".to_owned()
            } else {
                found.join(", ")
            }
        )));
    };
    let mut merge = ReplayMerge::new();
    for kind in StreamKind::ALL {
        let mut events: Vec<MarketEvent> = collected.of_kind(slot, kind).copied().collect();
        if events.is_empty() {
            continue;
        }
        // The store keeps each partition sorted by receive time, ties in source order.
        events.sort_by_key(MarketEvent::ts_recv);
        merge.add_events(events);
    }
    merge
        .map(|item| item.map(|replayed| replayed.event))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| LiveError::Data(error.to_string()))
}

fn import_job(
    format: Option<ImportFormat>,
    paths: &[PathBuf],
    options: &ImportOptions,
    collected: &mut CollectedEvents,
) -> Result<(), LiveError> {
    let Some(format) = format else {
        return Ok(());
    };
    import_paths(format, paths, options, collected)
        .map(drop)
        .map_err(|error| LiveError::Data(error.to_string()))
}

/// Sends the events (paced when `speed` is given), then `Closed`. Stops early when the
/// session hangs up.
fn send_replay(events: &[MarketEvent], speed: Option<f64>, sender: &SyncSender<FeedMessage>) {
    let pace = speed.filter(|speed| speed.is_finite() && *speed > 0.0);
    let first = events.first().map(MarketEvent::ts_recv);
    #[allow(clippy::disallowed_methods)] // Pacing a replay is wall-clock work by definition.
    let started = std::time::Instant::now();
    for event in events {
        if let (Some(speed), Some(first)) = (pace, first) {
            #[allow(clippy::cast_precision_loss)]
            let due = (event.ts_recv().0.saturating_sub(first.0)) as f64 / speed;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let due = Duration::from_nanos(due as u64);
            let elapsed = started.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
        if sender.send(FeedMessage::Event(*event)).is_err() {
            return;
        }
    }
    let at = events.last().map_or(UnixNanos(0), MarketEvent::ts_recv);
    let _ = sender.send(FeedMessage::Closed { at });
}
