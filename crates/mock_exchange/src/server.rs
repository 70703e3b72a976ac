//! Serving: the router of the chosen venue plus the control API, the replay task that paces
//! the frames, and the end of the run (every WebSocket closed with a normal close frame, the
//! server stopped, a summary returned).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::capture::{Frame, Replay};
use crate::connections::Outgoing;
use crate::state::{Core, Counters, Delivery, Phase, Shared};
use crate::{MockConfig, MockError, Speed, Venue, binance, bybit, control};

/// How long the end of the replay waits for connections to flush their close frames, and
/// for the HTTP server to stop.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Frames replayed between two voluntary yields of the replay task.
const YIELD_EVERY: usize = 64;

/// Everything the handlers reach.
#[derive(Debug)]
pub struct AppState {
    pub shared: Shared,
    /// Sockets whose task is still running.
    pub live_sockets: AtomicUsize,
    pub messages_sent: AtomicU64,
}

pub type App = Arc<AppState>;

/// What a finished run did.
#[derive(Debug, Clone, Serialize)]
pub struct MockSummary {
    pub venue: &'static str,
    pub symbol: String,
    pub counters: Counters,
    pub messages_sent: u64,
    pub connections_accepted: u64,
    pub skipped_before_bridge: usize,
    /// Wall time from the start of the replay clock to its last frame.
    pub replay_seconds: f64,
    pub frames_per_second: f64,
    pub gaps_injected: u64,
    pub reorders_injected: u64,
    pub drops_injected: u64,
    pub rejects_injected: u64,
}

impl fmt::Display for MockSummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "mock-exchange {} {}: replayed {} frames ({} depth) in {:.2} s ({:.0} frames/s), \
             sent {} messages to {} connections, {} orders, {} fills; injected {} gaps, {} \
             reorders, {} drops, {} rejects; {} duplicate client ids",
            self.venue,
            self.symbol,
            self.counters.frames_replayed,
            self.counters.depth_frames_replayed,
            self.replay_seconds,
            self.frames_per_second,
            self.messages_sent,
            self.connections_accepted,
            self.counters.orders_received,
            self.counters.fills,
            self.gaps_injected,
            self.reorders_injected,
            self.drops_injected,
            self.rejects_injected,
            self.counters.duplicate_client_ids,
        )
    }
}

/// A running mock exchange.
#[derive(Debug)]
pub struct MockServer {
    address: SocketAddr,
    app: App,
    task: JoinHandle<Result<MockSummary, MockError>>,
}

impl MockServer {
    /// Loads the captures, binds 127.0.0.1:`port` and starts serving (the replay starts at the
    /// first subscription unless `wait_for_client` is off). Call inside a tokio runtime.
    pub async fn start(config: MockConfig) -> Result<Self, MockError> {
        let paths = config.replay.clone();
        let replay = tokio::task::spawn_blocking(move || Replay::load(&paths))
            .await
            .map_err(|error| MockError::Replay(format!("loading task: {error}")))??;
        Self::start_with(config, replay).await
    }

    /// Starts on an already loaded replay (tests reuse one load).
    pub async fn start_with(config: MockConfig, replay: Replay) -> Result<Self, MockError> {
        if config.accounts.is_empty() {
            return Err(MockError::InvalidSetting {
                setting: "accounts",
                reason: "at least one key pair is needed".to_owned(),
            });
        }
        let core = Core::new(&config, &replay)?;
        let app: App = Arc::new(AppState {
            shared: Shared::new(core, config.speed),
            live_sockets: AtomicUsize::new(0),
            messages_sent: AtomicU64::new(0),
        });
        let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| MockError::Io {
                address: bind.to_string(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| MockError::Io {
            address: bind.to_string(),
            source,
        })?;
        let router = router(config.venue, app.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        let task_app = app.clone();
        let symbol = replay.symbol().to_owned();
        let skipped = replay.skipped_before_bridge;
        let wait = config.wait_for_client;
        let task = tokio::spawn(async move {
            let seconds = run_replay(&task_app, replay.frames, wait).await;
            close_everything(&task_app).await;
            let _ = stop.send(());
            let _ = tokio::time::timeout(CLOSE_GRACE, server).await;
            Ok(summary(&task_app, config.venue, symbol, skipped, seconds))
        });
        Ok(Self { address, app, task })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `/mock/status` as a value (tests).
    pub fn status(&self) -> serde_json::Value {
        control::status_value(&self.app)
    }

    /// Waits for the end of the replay and the stop of the server.
    pub async fn wait(self) -> Result<MockSummary, MockError> {
        self.task
            .await
            .map_err(|error| MockError::Replay(format!("replay task: {error}")))?
    }
}

/// Runs a mock exchange to the end of its replay on its own runtime (the CLI's entry);
/// `ready` is told the address once it listens.
pub fn run_blocking(
    config: MockConfig,
    ready: impl FnOnce(SocketAddr),
) -> Result<MockSummary, MockError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| MockError::Io {
            address: "runtime".to_owned(),
            source,
        })?;
    runtime.block_on(async move {
        let server = MockServer::start(config).await?;
        ready(server.address());
        server.wait().await
    })
}

fn router(venue: Venue, app: App) -> Router {
    let venue_routes = match venue {
        Venue::BinanceUsdm => binance::routes(),
        Venue::Bybit => bybit::routes(),
    };
    venue_routes.merge(control::routes()).with_state(app)
}

/// Paces and replays every frame; returns the wall seconds from the first to the last.
async fn run_replay(app: &App, frames: Vec<Frame>, wait_for_client: bool) -> f64 {
    let shared = &app.shared;
    if wait_for_client {
        loop {
            if shared.lock().connections.subscribed_market_count() > 0 {
                break;
            }
            shared.client_arrived.notified().await;
        }
    }
    shared.lock().phase = Phase::Running;
    let start = Instant::now();
    let first_ts = frames.first().map_or(0, |frame| frame.ts_local.as_i64());
    let mut shift = Duration::ZERO;
    for (index, frame) in frames.iter().enumerate() {
        if index % YIELD_EVERY == 0 {
            // A frame nobody subscribed to costs no await: let the handlers run.
            tokio::task::yield_now().await;
        }
        let delay_ms = std::mem::take(&mut shared.lock().faults.pending_delay_ms);
        if delay_ms > 0 {
            match shared.speed {
                Speed::Factor(_) => shift += Duration::from_millis(delay_ms),
                Speed::AsFastAsRead => tokio::time::sleep(Duration::from_millis(delay_ms)).await,
            }
        }
        if let Speed::Factor(factor) = shared.speed {
            let offset_nanos = (frame.ts_local.as_i64() - first_ts).max(0) as f64 / factor;
            let due = start + shift + Duration::from_nanos(offset_nanos as u64);
            tokio::time::sleep_until(due).await;
        }
        let deliveries = shared.lock().process_frame(frame);
        deliver(app, deliveries).await;
    }
    let held = {
        let mut core = shared.lock();
        let mut deliveries = Vec::new();
        if let Some(message) = core.faults.take_held() {
            core.route_market(vec![message], &mut deliveries);
        }
        deliveries
    };
    deliver(app, held).await;
    start.elapsed().as_secs_f64()
}

/// Hands text frames to connections: paced replay never waits for a connection (a full
/// queue disconnects it as too slow); `AsFastAsRead` waits for each.
pub async fn deliver(app: &App, deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let mut failed: Vec<(u64, bool)> = Vec::new();
    let mut sent = 0;
    for (id, sender, text) in deliveries {
        let result = match app.shared.speed {
            Speed::AsFastAsRead => sender.send(Outgoing::Text(text)).await.map_err(|_| false),
            Speed::Factor(_) => sender
                .try_send(Outgoing::Text(text))
                .map_err(|error| matches!(error, mpsc::error::TrySendError::Full(_))),
        };
        match result {
            Ok(()) => sent += 1,
            Err(slow) => failed.push((id, slow)),
        }
    }
    app.messages_sent.fetch_add(sent, Ordering::Relaxed);
    if !failed.is_empty() {
        let mut core = app.shared.lock();
        for (id, slow) in failed {
            if slow {
                core.counters.slow_disconnects += 1;
                if let Some(connection) = core.connections.get_mut(id) {
                    let _ = connection.sender.try_send(Outgoing::Drop);
                }
            }
            core.connections.remove(id);
        }
    }
}

/// The end of the replay: every connection gets a normal close frame; waits (bounded) until
/// their tasks have sent it.
async fn close_everything(app: &App) {
    {
        let mut core = app.shared.lock();
        core.phase = Phase::Finished;
        core.connections.end_all(&Outgoing::Close);
        for account in &mut core.accounts {
            account.abandon_waiters();
        }
    }
    let deadline = Instant::now() + CLOSE_GRACE;
    while app.live_sockets.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn summary(
    app: &App,
    venue: Venue,
    symbol: String,
    skipped_before_bridge: usize,
    replay_seconds: f64,
) -> MockSummary {
    let core = app.shared.lock();
    let counters = core.counters;
    MockSummary {
        venue: venue.as_str(),
        symbol,
        counters,
        messages_sent: app.messages_sent.load(Ordering::Relaxed),
        connections_accepted: core.connections.accepted,
        skipped_before_bridge,
        replay_seconds,
        frames_per_second: if replay_seconds > 0.0 {
            counters.frames_replayed as f64 / replay_seconds
        } else {
            0.0
        },
        gaps_injected: core.faults.gaps_injected,
        reorders_injected: core.faults.reorders_injected,
        drops_injected: core.faults.drops_injected,
        rejects_injected: core.faults.rejects_injected,
    }
}

/// Runs one WebSocket: sends what the registry queues, answers client text frames with
/// `on_text` (its replies are sent at once), ends on close, error, `Drop` or `Close`.
pub async fn pump<F>(
    app: App,
    mut socket: WebSocket,
    id: u64,
    mut queue: mpsc::Receiver<Outgoing>,
    mut on_text: F,
) where
    F: FnMut(&App, &str) -> Vec<String> + Send,
{
    app.live_sockets.fetch_add(1, Ordering::AcqRel);
    loop {
        tokio::select! {
            outgoing = queue.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    if socket.send(Message::Text((&*text).into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Close) => {
                    let frame = CloseFrame { code: 1000, reason: "replay finished".into() };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    // Wait briefly for the client's close reply, then end.
                    let _ = tokio::time::timeout(Duration::from_millis(500), async {
                        while let Some(Ok(message)) = socket.recv().await {
                            if matches!(message, Message::Close(_)) {
                                break;
                            }
                        }
                    })
                    .await;
                    break;
                }
                Some(Outgoing::Drop) | None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let mut failed = false;
                    for reply in on_text(&app, text.as_str()) {
                        if socket.send(Message::Text(reply.into())).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    if failed {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    app.shared.lock().connections.remove(id);
    app.live_sockets.fetch_sub(1, Ordering::AcqRel);
}
