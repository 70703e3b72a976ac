//! The exchange's state behind one lock: the venue's book after the last replayed depth
//! frame, the accounts, the open connections, the pending faults and the counters. The replay
//! task advances it frame by frame; the REST and WebSocket handlers read and change it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use auction_trader_book::{OrderBook, SequenceRule, SequencedBook};
use auction_trader_types::{ExecutionReport, Instrument, MarketEvent, UnixNanos};
use serde::Serialize;
use tokio::sync::{Notify, mpsc};

use crate::account::{MockAccount, OrderUpdate};
use crate::capture::{Frame, FrameKind, Replay};
use crate::connections::{Connections, Outgoing};
use crate::faults::{Faults, MarketMessage};
use crate::{MockConfig, MockError, Speed, Venue, binance, bybit};

/// Where the replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for the first market-data subscription.
    Waiting,
    Running,
    Finished,
}

/// Counts reported by `/mock/status` and the final summary.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counters {
    pub frames_total: u64,
    pub frames_replayed: u64,
    pub depth_frames_replayed: u64,
    /// Text frames handed to connections (market and private).
    pub messages_sent: u64,
    pub slow_disconnects: u64,
    pub orders_received: u64,
    pub orders_rejected: u64,
    /// Orders refused because their client id was used before (an order sent twice).
    pub duplicate_client_ids: u64,
    pub cancels_received: u64,
    pub fills: u64,
    pub signature_failures: u64,
}

/// The last replayed depth frame (what a REST snapshot reflects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthPoint {
    /// Binance `u` of that frame (the recorded snapshot's `lastUpdateId` before the first).
    pub update_id: u64,
    pub ts_event: UnixNanos,
}

/// Everything behind the lock.
#[derive(Debug)]
pub struct Core {
    pub venue: Venue,
    pub instrument: Instrument,
    /// The venue's book (all levels) after the last replayed depth frame.
    pub book: SequencedBook,
    pub last_depth: DepthPoint,
    /// Replay time of the last processed frame (orders are sent at this time).
    pub replay_now: UnixNanos,
    pub accounts: Vec<MockAccount>,
    pub connections: Connections,
    pub faults: Faults,
    pub counters: Counters,
    pub phase: Phase,
    /// Binance listen keys and their accounts.
    pub listen_keys: BTreeMap<String, usize>,
    pub next_order_id: u64,
    /// The Bybit conversion of the replay (Bybit venue only).
    pub bybit: Option<bybit::convert::BybitFeed>,
}

/// A text frame for one connection.
pub type Delivery = (u64, mpsc::Sender<Outgoing>, Arc<str>);

impl Core {
    pub fn new(config: &MockConfig, replay: &Replay) -> Result<Self, MockError> {
        let tick = replay.instrument.tick_size;
        let order_book = OrderBook::new(tick)
            .map_err(|error| MockError::Replay(format!("order book of tick {tick}: {error}")))?;
        let mut book = SequencedBook::new(SequenceRule::BinanceFutures, order_book);
        for row in &replay.snapshot_rows {
            book.apply(row);
        }
        if !book.is_synced() {
            return Err(MockError::Replay(
                "the capture's snapshot did not start a book".to_owned(),
            ));
        }
        let start_ts = replay.start_time();
        let ts_event = replay
            .snapshot_rows
            .first()
            .map_or(start_ts, |row| row.ts_event);
        let mut accounts = Vec::with_capacity(config.accounts.len());
        let start_events = replay.start_events();
        let mut reports = Vec::new();
        for credentials in &config.accounts {
            let mut account = MockAccount::new(
                credentials.clone(),
                replay.instrument.clone(),
                config.fill_model.clone(),
                config.balance,
            )?;
            // The venue's book at the start is the snapshot, for the fill model too.
            for event in &start_events {
                account.exchange.on_market_event(event, &mut reports);
            }
            accounts.push(account);
        }
        let bybit = match config.venue {
            Venue::Bybit => Some(
                bybit::convert::BybitFeed::new(
                    replay.symbol(),
                    book.book(),
                    replay.snapshot_update_id,
                    ts_event,
                )
                .with_size_decimals(crate::format::decimals_of_step(
                    replay.instrument.lot_size.raw(),
                )),
            ),
            Venue::BinanceUsdm => None,
        };
        Ok(Self {
            venue: config.venue,
            instrument: replay.instrument.clone(),
            book,
            last_depth: DepthPoint {
                update_id: replay.snapshot_update_id,
                ts_event,
            },
            replay_now: start_ts,
            accounts,
            connections: Connections::default(),
            faults: Faults::default(),
            counters: Counters {
                frames_total: replay.frames.len() as u64,
                ..Counters::default()
            },
            phase: Phase::Waiting,
            listen_keys: BTreeMap::new(),
            next_order_id: 4_000_000_001,
            bybit,
        })
    }

    /// The book (all levels) the venue has now.
    pub fn order_book(&self) -> &OrderBook {
        self.book.book()
    }

    /// Index of the account with this API key.
    pub fn account_of_key(&self, api_key: &str) -> Option<usize> {
        self.accounts
            .iter()
            .position(|account| account.credentials.api_key == api_key)
    }

    /// A new venue order id.
    pub fn allocate_order_id(&mut self) -> u64 {
        let id = self.next_order_id;
        self.next_order_id += 1;
        id
    }

    /// Replays one frame: the simulated exchanges of every account, the venue's book, the
    /// venue's messages (with the pending faults applied) and the private updates. Returns
    /// what to send to whom.
    pub fn process_frame(&mut self, frame: &Frame) -> Vec<Delivery> {
        self.replay_now = frame.ts_local;
        self.counters.frames_replayed += 1;
        let mut deliveries = Vec::new();
        let mut reports: Vec<ExecutionReport> = Vec::new();
        for index in 0..self.accounts.len() {
            reports.clear();
            let account = &mut self.accounts[index];
            for event in &frame.events {
                account.exchange.on_market_event(event, &mut reports);
            }
            let updates = account.apply_reports(&reports);
            if !updates.is_empty() {
                self.deliver_updates(index, &updates, &mut deliveries);
            }
        }
        if let FrameKind::Depth(ids) = frame.kind {
            self.counters.depth_frames_replayed += 1;
            for event in &frame.events {
                if let MarketEvent::Depth(row) = event {
                    self.book.apply(row);
                }
            }
            let ts_event = frame
                .events
                .first()
                .map_or(frame.ts_local, MarketEvent::ts_event);
            self.last_depth = DepthPoint {
                update_id: ids.last,
                ts_event,
            };
        }
        let messages = match self.venue {
            Venue::BinanceUsdm => vec![MarketMessage {
                topic: frame.stream.clone(),
                text: frame.text.clone(),
                depth: matches!(frame.kind, FrameKind::Depth(_)),
            }],
            Venue::Bybit => match self.bybit.as_mut() {
                Some(feed) => feed.on_frame(frame, self.book.book()),
                None => Vec::new(),
            },
        };
        let messages = self.faults.filter(messages);
        self.route_market(messages, &mut deliveries);
        deliveries
    }

    /// Routes market messages to their subscribers.
    pub fn route_market(&mut self, messages: Vec<MarketMessage>, deliveries: &mut Vec<Delivery>) {
        for message in messages {
            for (id, sender) in self.connections.market_subscribers(&message.topic) {
                deliveries.push((id, sender, message.text.clone()));
            }
        }
    }

    /// Renders an account's order updates in the venue's private messages.
    pub fn deliver_updates(
        &mut self,
        account: usize,
        updates: &[OrderUpdate],
        deliveries: &mut Vec<Delivery>,
    ) {
        self.counters.fills += updates
            .iter()
            .filter(|update| update.fill.is_some())
            .count() as u64;
        let messages: Vec<(Option<&'static str>, String)> = match self.venue {
            Venue::BinanceUsdm => binance::user_stream::render(self, account, updates),
            Venue::Bybit => bybit::private_stream::render(self, account, updates),
        };
        for (topic, text) in messages {
            let text: Arc<str> = Arc::from(text);
            for (id, sender) in self.connections.user_subscribers(account, topic) {
                deliveries.push((id, sender, text.clone()));
            }
        }
    }
}

/// The state shared by the replay task and the handlers.
#[derive(Debug)]
pub struct Shared {
    core: Mutex<Core>,
    /// Signalled when a market-data client subscribes (starts a waiting replay).
    pub client_arrived: Notify,
    pub speed: Speed,
}

impl Shared {
    pub fn new(core: Core, speed: Speed) -> Self {
        Self {
            core: Mutex::new(core),
            client_arrived: Notify::new(),
            speed,
        }
    }

    /// The lock (a poisoned lock is still usable: every change is complete under it).
    pub fn lock(&self) -> MutexGuard<'_, Core> {
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
