//! A live session: the one engine driven by a feed, with the data directory's state around
//! it. The loop (per feed message, one thread):
//! 1. a market event is journaled (raw store), checked against the restart boundary, timed
//!    (feed latency, data-gap kill switch), written into the 5-minute snapshot schedule and
//!    the UTC-day schedule (daily report, journal purge), checked against the book
//!    ([`BookCheck`](crate::book_check::BookCheck)), then handed to the engine; the ledger's write-ahead rows, replay
//!    divergences and the drawdown/slippage switches are looked at after it;
//! 2. at least once per second of wall time (and at the first event) the control row is
//!    read; a change is journaled at its position in the stream and applied to the gate;
//! 3. `Closed` ends the session: the engine finishes as a backtest does (an open trade is
//!    closed at market), the final snapshot and daily report are written and the next start
//!    begins a new generation.
//!
//! A start within an unfinished generation first replays that generation's journal through
//! the fresh engine (catch-up: the same events, control changes and clock advances at the
//! same positions, so the same orders and fills, each found in execution.db instead of being
//! written or sent again), then reconciles (the latest snapshot + the fills after it, the
//! last recorded position, the engine's account, the venue: the recorded paper account or
//! the gateway's position); any mismatch alerts and halts until the operator enables
//! trading again. Feed events at or before the journal's end are skipped.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use auction_trader_backtest::run_config::configured_instrument;
use auction_trader_backtest::{
    BacktestConfig, RunObserver, build_engine, build_strategy, feature_engine, initial_equity,
};
use auction_trader_engine::{Engine, EngineSettings};
use auction_trader_risk::RiskManager;
use auction_trader_strategy::Strategy;
use auction_trader_types::{Instrument, NANOS_PER_SECOND, UnixNanos};
use auction_trader_venues::{Clock, TradingGateway};
use serde::Serialize;

use crate::config::SessionConfig;
use crate::control::Control;
use crate::execution_log::ExecutionLog;
use crate::feed_source::FeedHandle;
use crate::gate::{Gate, GatedStrategy};
use crate::gateway_venue::GatewayVenue;
use crate::metrics::{MetricValues, Metrics};
use crate::metrics_server::MetricsServer;
use crate::raw_journal::{JournalWriter, journal_files};
use crate::recorder::{Ledger, SessionRecorder, SharedLedger};
use crate::{LiveError, Mode};

mod runner;
mod twin;

pub use twin::ReconcileVenue;

use runner::Runner;
use twin::Twin;

/// The effective configuration's file in the data directory (SPEC 9).
pub const CONFIG_FILE: &str = "config.yaml";

/// Connects a venue's order entry with a client order id prefix.
pub type GatewayFactory =
    Box<dyn FnOnce(&str) -> Result<Box<dyn TradingGateway>, auction_trader_venues::VenueError>>;

/// How to run a session.
pub struct SessionOptions {
    pub mode: Mode,
    pub data_dir: PathBuf,
    pub clock: Arc<dyn Clock>,
    /// The alert webhook (normally from the environment).
    pub webhook: Option<String>,
    /// Serve `/metrics` here; the flag allows a non-loopback address.
    pub metrics: Option<(SocketAddr, bool)>,
    /// Live mode: connects the venue's order entry, given the session's client order id
    /// prefix (`at<first start, s>g<generation>-`: no two sessions name an order alike).
    pub gateway: Option<GatewayFactory>,
    /// Move the engine clock to the wall clock when the feed is idle (a real venue feed).
    pub advance_on_idle: bool,
    /// Recorded files whose events warm the engine up (SPEC 7: 240 minutes before any
    /// signal; recorded data may be used) before the feed, trading off. Fixed at a
    /// generation's first start: every restart warms up from the same files.
    pub warmup: Vec<PathBuf>,
    /// Shadow mode: the backtest replay's configuration (default: the session's own; a
    /// different one makes a deliberate divergence).
    pub shadow_config: Option<BacktestConfig>,
    /// Progress and alert lines (stderr in the CLI). Never receives secrets.
    pub log: Box<dyn FnMut(&str)>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SessionOptions")
            .field("mode", &self.mode)
            .field("data_dir", &self.data_dir)
            .field("metrics", &self.metrics)
            .field("gateway", &self.gateway.is_some())
            .finish_non_exhaustive()
    }
}

/// What a session did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionSummary {
    pub mode: String,
    pub generation: u32,
    pub start: u32,
    /// Journal entries replayed at the start (a restart's catch-up).
    pub catch_up_events: u64,
    /// Feed events skipped because the journal already had them.
    pub skipped_events: u64,
    /// Events processed (catch-up included).
    pub events: u64,
    pub book_checks: u64,
    pub book_mismatches: u64,
    pub book_gaps: u64,
    pub signals: u64,
    pub orders_new: u64,
    pub orders_replayed: u64,
    pub fills: u64,
    pub fills_replayed: u64,
    pub trades: u64,
    pub position: String,
    pub realized_pnl: String,
    pub halted: Option<String>,
    pub alerts: u64,
    pub shadow_signal_divergences: u64,
    pub shadow_fill_divergences: u64,
    /// The feed closed and the generation ended (false: stopped by an error).
    pub ended: bool,
}

/// The state snapshot written every 5 minutes of event time (SPEC 7).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StateSnapshot {
    pub ts: i64,
    pub generation: u32,
    pub start: u32,
    pub events: u64,
    /// Signed position (raw fixed-point) and how many fills of the generation it includes.
    pub position_raw: String,
    pub fills: u64,
    pub orders: u64,
    pub engine_position_raw: String,
    pub cash_raw: String,
    pub realized_pnl_raw: String,
    pub equity_raw: Option<String>,
    pub peak_equity_raw: Option<String>,
    pub trading_enabled: bool,
    pub halted: Option<String>,
    pub book_checks: u64,
    pub book_mismatches: u64,
}

/// The entry point.
#[derive(Debug)]
pub struct Session;

pub(crate) type BoxedStrategy = GatedStrategy<Box<dyn Strategy>>;

struct Warnings<'a>(&'a mut dyn FnMut(&str));

impl RunObserver for Warnings<'_> {
    fn warning(&mut self, line: &str) {
        (self.0)(&format!("warning: {line}"));
    }
}

impl Session {
    /// Runs a session until the feed closes (or a storage error stops it).
    pub fn run(
        config: &SessionConfig,
        mut options: SessionOptions,
        feed: FeedHandle,
    ) -> Result<SessionSummary, LiveError> {
        let data_dir = options.data_dir.clone();
        std::fs::create_dir_all(&data_dir).map_err(|cause| LiveError::io(&data_dir, cause))?;
        write_config(&data_dir, config)?;
        let log = ExecutionLog::open(&data_dir)?;
        let control = Control::open(&data_dir)?;
        if config.live.paper_trading_on_start
            && options.mode.simulated()
            && control.read()?.version == 0
        {
            let now = options.clock.now().0;
            control.set(true, "config: live.paper_trading_on_start", now)?;
        }
        let mut generation = log.generation()?;
        if check_mode_switch(&log, generation, options.mode)? {
            // A flat switch between paper and live starts a fresh generation.
            generation = log.end_generation()?;
        }
        let wall = options.clock.now();
        let start = log.begin_start(generation, options.mode.as_str(), wall.0)?;
        let tag_key = format!("client_tag_g{generation}");
        let tag = match log.meta(&tag_key)? {
            Some(tag) => tag,
            None => {
                let tag = format!("at{}g{generation}", wall.0.div_euclid(NANOS_PER_SECOND));
                log.set_meta(&tag_key, &tag)?;
                tag
            }
        };
        let instrument = configured_instrument(&config.run, &mut Warnings(options.log.as_mut()))?;
        let files = journal_files(&data_dir, generation)?;
        let warmup = warmup_files(&log, generation, files.is_empty(), &mut options)?;
        let snapshot = log.latest_snapshot(generation)?;
        let journal = JournalWriter::new(&data_dir, generation, start);
        let ledger: SharedLedger = Rc::new(RefCell::new(Ledger::new(
            log,
            journal,
            generation,
            start,
            tag,
            Arc::clone(&options.clock),
            options.mode.simulated(),
        )));
        let gate: Gate = Rc::default();
        let strategy = GatedStrategy::new(build_strategy(&config.run)?, Rc::clone(&gate));
        let recorder = SessionRecorder::new(Rc::clone(&ledger));
        let shadow = if options.mode == Mode::Shadow {
            ledger.borrow_mut().collect_for_shadow = true;
            let twin_config = options
                .shadow_config
                .clone()
                .unwrap_or_else(|| config.run.clone());
            Some(Twin::new(&twin_config, instrument.clone(), &config.live)?)
        } else {
            None
        };
        let metrics = Metrics::new();
        // The labels from the first scrape on (before the first event publishes the rest).
        metrics.publish(&MetricValues {
            mode: options.mode.as_str().to_owned(),
            symbol: instrument.key.symbol.to_string(),
            fill_rate: f64::NAN,
            fill_rate_expected: f64::NAN,
            ..MetricValues::default()
        });
        let metrics_server = match options.metrics {
            Some((bind, allow_remote)) => {
                let server = MetricsServer::start(bind, allow_remote, metrics.clone())?;
                (options.log)(&format!("metrics on http://{}/metrics", server.addr()));
                Some(server)
            }
            None => None,
        };
        let context = Context {
            config: config.clone(),
            control,
            ledger,
            gate,
            files,
            warmup,
            snapshot,
            shadow,
            data_dir,
            instrument: instrument.clone(),
            metrics,
        };
        match options.mode {
            Mode::Live => {
                let connect = options.gateway.take().ok_or_else(|| {
                    LiveError::Venue(
                        "live mode needs a venue gateway (none is wired for this venue)".to_owned(),
                    )
                })?;
                let prefix = format!("{}-", context.ledger.borrow().tag);
                let gateway = connect(&prefix).map_err(|error| {
                    LiveError::Venue(format!("connecting the venue's order entry: {error}"))
                })?;
                let venue = GatewayVenue::new(
                    gateway,
                    Rc::clone(&context.ledger),
                    &instrument.key.venue,
                    instrument.taker_fee,
                );
                let settings = EngineSettings {
                    initial_equity: initial_equity(&config.run)?,
                    max_leverage: config.run.risk.max_leverage,
                    trading_from: UnixNanos(i64::MIN),
                };
                let risk = RiskManager::new(config.run.risk.clone(), instrument.clone())
                    .map_err(|error| LiveError::Config(format!("risk: {error}")))?;
                let engine = Engine::new(
                    instrument.clone(),
                    settings,
                    feature_engine(&config.run, &instrument)?,
                    strategy,
                    risk,
                    venue,
                    recorder,
                );
                Runner::new(engine, context, options, metrics_server).run(feed)
            }
            _ => {
                let engine = build_engine(&config.run, instrument, strategy, recorder)?;
                Runner::new(engine, context, options, metrics_server).run(feed)
            }
        }
    }
}

/// The warm-up files of `generation` (SPEC 7: recorded data may warm the engine up). Once
/// the generation has a journal they are fixed (execution.db meta): every restart replays
/// the same warm-up before the journal, and a different `--warmup` is ignored with a
/// warning. Before that (`fresh`, e.g. a start whose warm-up file was unreadable) the
/// files asked for now replace them.
fn warmup_files(
    log: &ExecutionLog,
    generation: u32,
    fresh: bool,
    options: &mut SessionOptions,
) -> Result<Vec<PathBuf>, LiveError> {
    let key = format!("warmup_g{generation}");
    let asked = std::mem::take(&mut options.warmup);
    if fresh {
        let mut files = Vec::with_capacity(asked.len());
        for path in asked {
            files.push(std::fs::canonicalize(&path).map_err(|cause| LiveError::io(&path, cause))?);
        }
        let text =
            serde_json::to_string(&files).map_err(|error| LiveError::Data(error.to_string()))?;
        log.set_meta(&key, &text)?;
        return Ok(files);
    }
    let recorded: Vec<PathBuf> = match log.meta(&key)? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|error| LiveError::Data(format!("execution.db meta {key}: {error}")))?,
        None => Vec::new(),
    };
    if !asked.is_empty() && asked != recorded {
        (options.log)(
            "warning: --warmup ignored: this generation warms up as at its first start (a \
             restart must replay the same events)",
        );
    }
    Ok(recorded)
}

/// Writes the effective configuration (SPEC 9: stored with every session; no secrets can be
/// in it: the file format has no key for them).
fn write_config(data_dir: &Path, config: &SessionConfig) -> Result<(), LiveError> {
    let path = data_dir.join(CONFIG_FILE);
    let staging = data_dir.join(format!("{CONFIG_FILE}.tmp"));
    std::fs::write(&staging, config.to_yaml()?).map_err(|cause| LiveError::io(&staging, cause))?;
    std::fs::rename(&staging, &path).map_err(|cause| LiveError::io(&path, cause))
}

/// SPEC 7: switching between paper and live needs a flat position. `Ok(true)`: a flat
/// switch (the session starts a new generation).
fn check_mode_switch(log: &ExecutionLog, generation: u32, mode: Mode) -> Result<bool, LiveError> {
    let previous: Option<String> = log
        .connection()
        .query_row(
            "SELECT mode FROM starts WHERE generation = ?1 ORDER BY start DESC LIMIT 1",
            [generation],
            |row| row.get(0),
        )
        .ok();
    let Some(previous) = previous.and_then(|text| text.parse::<Mode>().ok()) else {
        return Ok(false);
    };
    if previous.simulated() == mode.simulated() {
        return Ok(false);
    }
    let position = log.last_position(generation)?;
    if !position.is_zero() {
        return Err(LiveError::Config(format!(
            "the previous start of this session ran in {previous} mode with position \
             {position} open: switching between paper and live needs a flat position \
             (SPEC 7); flatten it in {previous} mode first"
        )));
    }
    Ok(true)
}

/// Everything the runner owns besides the engine.
pub(crate) struct Context {
    config: SessionConfig,
    control: Control,
    ledger: SharedLedger,
    gate: Gate,
    files: Vec<PathBuf>,
    /// The generation's warm-up files.
    warmup: Vec<PathBuf>,
    snapshot: Option<(UnixNanos, String)>,
    shadow: Option<Twin>,
    data_dir: PathBuf,
    instrument: Instrument,
    metrics: Metrics,
}
