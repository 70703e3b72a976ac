//! The running session's state for the dashboard (SPEC 8: "updates live while the engine
//! runs"). The session writes [`PublishedState`] to `live-state.json` in its data directory
//! at every metrics publication (once per wall second and at the end), atomically (a
//! temporary file renamed over the old one, so a reader never sees half a file). A reader —
//! the dashboard server, a test — calls [`read_live_view`], which joins that file with the
//! control row and what `execution.db` holds (open orders, recent fills, alerts). Nothing is
//! computed twice: the figures are the ones the metrics endpoint serves, the rows are the
//! rows the session committed.
//!
//! The file says whether the session ended; a file not rewritten for [`STALE_AFTER_NANOS`]
//! belongs to a session that died (killed, crashed), so the view is `running: false` then
//! too, and a directory without a session reads as empty, never as an error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use auction_trader_features::interval_bars::BarBuilder;
use auction_trader_types::{Bar, MarketEvent, NANOS_PER_SECOND, Quote};
use serde::{Deserialize, Serialize};

use crate::LiveError;
use crate::alerts::AlertKind;
use crate::control::{ControlState, read_control};
use crate::execution_log::{EXECUTION_DB, ExecutionLog, LoggedAlert, OpenOrder, RecentFill};
use crate::metrics::{KILL_SWITCHES, MetricValues};

/// The state file's name in the data directory.
pub const LIVE_STATE_FILE: &str = "live-state.json";
/// A state older than this (wall time) is a session that stopped without ending: the
/// session rewrites it every second.
pub const STALE_AFTER_NANOS: i64 = 5 * NANOS_PER_SECOND;
/// How many fills and alerts the view carries (newest first).
pub const RECENT_ROWS: usize = 50;

/// The best bid and ask the session last received (decimal text, `ts` in ns as text: exact
/// for a JavaScript reader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveQuote {
    pub ts: String,
    pub bid: String,
    pub bid_size: String,
    pub ask: String,
    pub ask_size: String,
}

/// The last closed one-minute bar of the feed (the loader's bar builder: SPEC 2.1 bars).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBar {
    /// First nanosecond of the minute (ns as text).
    pub ts_open: String,
    /// `ts_open` in whole UTC seconds (a chart's time axis).
    pub time: i64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
}

/// What the session publishes. Prices, quantities and money are exact (fixed point, written
/// as decimal text); ratios are f64 and `None` where undefined (no fill yet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishedState {
    /// The session's process id.
    pub pid: u32,
    /// Wall time of this publication (ns).
    pub wall_ns: i64,
    /// The feed closed and the session finished (the file stays behind).
    pub ended: bool,
    pub mode: String,
    pub symbol: String,
    pub generation: u32,
    pub start: u32,
    pub events: u64,
    /// Receive time of the newest event (ns as text), "0" before the first.
    pub last_event_ts: String,
    pub position: String,
    pub realized_pnl: String,
    pub unrealized_pnl: Option<String>,
    pub equity: Option<String>,
    pub peak_equity: Option<String>,
    /// Fraction below the equity peak (≥ 0).
    pub drawdown: f64,
    /// Open risk to the stop / equity (SPEC 4 heat).
    pub heat: f64,
    /// Whether the engine trades now (the control row, unless refused: dry-run, a kill
    /// switch, a halt).
    pub trading_enabled: bool,
    pub halted: Option<String>,
    /// Kill switch name → holding.
    pub kill_switches: BTreeMap<String, bool>,
    pub signals: u64,
    pub orders: u64,
    pub fills: u64,
    pub limit_orders: u64,
    pub limit_orders_filled: u64,
    pub fill_rate: Option<f64>,
    /// The backtest replay's fill rate (shadow mode).
    pub fill_rate_expected: Option<f64>,
    pub slippage_bps: Option<f64>,
    pub slippage_estimate_bps: Option<f64>,
    pub book_checks: u64,
    pub book_mismatches: u64,
    pub feed_gaps: u64,
    pub feed_latency_seconds: f64,
    /// Alert kind → times raised by this process.
    pub alerts_raised: BTreeMap<String, u64>,
    pub last_quote: Option<LiveQuote>,
    pub last_bar: Option<LiveBar>,
}

impl PublishedState {
    /// The fields the metrics carry (the rest — ledger figures, process, quote and bar —
    /// left at their defaults for the session to fill). `slipped`: at least one taker fill
    /// measured its slippage (before that the means are undefined).
    pub fn from_metrics(values: &MetricValues, slipped: bool) -> Self {
        let finite = |value: f64| value.is_finite().then_some(value);
        Self {
            mode: values.mode.clone(),
            symbol: values.symbol.clone(),
            events: values.events,
            drawdown: values.drawdown,
            heat: values.heat,
            trading_enabled: values.trading_enabled,
            kill_switches: KILL_SWITCHES
                .iter()
                .zip(values.kill_switches)
                .map(|(name, holding)| ((*name).to_owned(), holding))
                .collect(),
            signals: values.signals,
            orders: values.orders,
            fills: values.fills,
            limit_orders: values.limit_orders,
            limit_orders_filled: values.limit_orders_filled,
            fill_rate: finite(values.fill_rate),
            fill_rate_expected: finite(values.fill_rate_expected),
            slippage_bps: slipped.then_some(values.slippage_bps),
            slippage_estimate_bps: slipped.then_some(values.slippage_estimate_bps),
            book_checks: values.book_checks,
            book_mismatches: values.book_mismatches,
            feed_gaps: values.feed_gaps,
            feed_latency_seconds: values.feed_latency_seconds,
            alerts_raised: AlertKind::ALL
                .iter()
                .zip(values.alerts)
                .map(|(kind, count)| (kind.as_str().to_owned(), count))
                .collect(),
            ..Self::default()
        }
    }
}

/// The last quote and the last closed minute bar of the feed, as the session sees it.
#[derive(Debug, Clone)]
pub struct Tape {
    bars: BarBuilder,
    last_quote: Option<Quote>,
    last_bar: Option<Bar>,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl Tape {
    pub fn new() -> Self {
        Self {
            // One minute is within the builder's accepted range: this cannot fail.
            bars: BarBuilder::new(60 * NANOS_PER_SECOND).unwrap_or_else(|_| unreachable!()),
            last_quote: None,
            last_bar: None,
        }
    }

    pub fn on_event(&mut self, event: &MarketEvent) {
        if let MarketEvent::Quote(quote) = event {
            self.last_quote = Some(*quote);
        }
        let last_bar = &mut self.last_bar;
        self.bars.on_event(event, &mut |interval| {
            if interval.bar.is_some() {
                *last_bar = interval.bar;
            }
        });
    }

    pub fn last_quote(&self) -> Option<LiveQuote> {
        self.last_quote.map(|quote| LiveQuote {
            ts: quote.ts_recv.0.to_string(),
            bid: quote.bid_price.to_string(),
            bid_size: quote.bid_size.to_string(),
            ask: quote.ask_price.to_string(),
            ask_size: quote.ask_size.to_string(),
        })
    }

    pub fn last_bar(&self) -> Option<LiveBar> {
        self.last_bar.map(|bar| LiveBar {
            ts_open: bar.ts_open.0.to_string(),
            time: bar.ts_open.0.div_euclid(NANOS_PER_SECOND),
            open: bar.open.to_string(),
            high: bar.high.to_string(),
            low: bar.low.to_string(),
            close: bar.close.to_string(),
            volume: bar.volume.to_string(),
        })
    }
}

/// Writes `state` to `live-state.json` in `data_dir`, atomically.
pub fn publish_state(data_dir: &Path, state: &PublishedState) -> Result<(), LiveError> {
    let text = serde_json::to_vec(state).map_err(|error| LiveError::Data(error.to_string()))?;
    let path = data_dir.join(LIVE_STATE_FILE);
    let staging = data_dir.join(format!(".{LIVE_STATE_FILE}.tmp"));
    let mut file =
        std::fs::File::create(&staging).map_err(|cause| LiveError::io(&staging, cause))?;
    file.write_all(&text)
        .map_err(|cause| LiveError::io(&staging, cause))?;
    drop(file);
    std::fs::rename(&staging, &path).map_err(|cause| LiveError::io(&path, cause))
}

/// The published state of `data_dir`, `None` when no session ever published there.
pub fn read_state(data_dir: &Path) -> Result<Option<PublishedState>, LiveError> {
    let path = data_dir.join(LIVE_STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| LiveError::Data(format!("{}: {error}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(cause) => Err(LiveError::io(path, cause)),
    }
}

/// Whether the session behind a state is running now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// No session ever published in this directory.
    None,
    Running,
    /// The session finished (its feed closed).
    Ended,
    /// Not rewritten for [`STALE_AFTER_NANOS`]: the process stopped without ending.
    Stopped,
}

/// A session's state as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveView {
    pub status: SessionStatus,
    pub running: bool,
    /// Wall-time age of the published state (ns), `None` without one.
    pub age_ns: Option<i64>,
    pub state: Option<PublishedState>,
    /// The control row (what the operator asked); `None` when the directory has none.
    pub control: Option<ControlState>,
    /// The orders of the state's generation still working (sent, accepted, partly filled).
    pub open_orders: Vec<OpenOrder>,
    /// The newest fills of the generation, newest first (at most [`RECENT_ROWS`]).
    pub recent_fills: Vec<RecentFill>,
    /// The newest alerts, newest first (at most [`RECENT_ROWS`]).
    pub alerts: Vec<LoggedAlert>,
}

/// Reads the view of the session in `data_dir` at wall time `now_ns`. Creates nothing: a
/// directory without a session (or that does not exist) is `status: none` with empty lists.
pub fn read_live_view(data_dir: &Path, now_ns: i64) -> Result<LiveView, LiveError> {
    let state = read_state(data_dir)?;
    let control = read_control(data_dir)?;
    let age_ns = state
        .as_ref()
        .map(|state| now_ns.saturating_sub(state.wall_ns));
    let status = match (&state, age_ns) {
        (None, _) => SessionStatus::None,
        (Some(state), _) if state.ended => SessionStatus::Ended,
        (Some(_), Some(age)) if age > STALE_AFTER_NANOS => SessionStatus::Stopped,
        (Some(_), _) => SessionStatus::Running,
    };
    let (mut open_orders, mut recent_fills, mut alerts) = (Vec::new(), Vec::new(), Vec::new());
    if data_dir.join(EXECUTION_DB).is_file() {
        let log = ExecutionLog::open_read_only(data_dir)?;
        let generation = match &state {
            Some(state) => state.generation,
            None => log.generation()?,
        };
        open_orders = log.open_orders(generation)?;
        recent_fills = log.recent_fills(generation, RECENT_ROWS)?;
        alerts = log.recent_alerts(RECENT_ROWS)?;
    }
    Ok(LiveView {
        running: status == SessionStatus::Running,
        status,
        age_ns,
        state,
        control,
        open_orders,
        recent_fills,
        alerts,
    })
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        AggressorSide, Money, OrderSide, Price, Quantity, QuoteFlags, Trade, TradeId, UnixNanos,
    };

    use super::*;
    use crate::control::Control;
    use crate::execution_log::{FillRow, OrderRow};

    fn state(wall_ns: i64, ended: bool) -> PublishedState {
        PublishedState {
            pid: 1,
            wall_ns,
            ended,
            mode: "paper".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            generation: 0,
            start: 1,
            events: 10,
            last_event_ts: "5".to_owned(),
            position: "0".to_owned(),
            realized_pnl: "0".to_owned(),
            unrealized_pnl: None,
            equity: None,
            peak_equity: None,
            drawdown: 0.0,
            heat: 0.0,
            trading_enabled: true,
            halted: None,
            kill_switches: BTreeMap::new(),
            signals: 0,
            orders: 0,
            fills: 0,
            limit_orders: 0,
            limit_orders_filled: 0,
            fill_rate: None,
            fill_rate_expected: None,
            slippage_bps: None,
            slippage_estimate_bps: None,
            book_checks: 0,
            book_mismatches: 0,
            feed_gaps: 0,
            feed_latency_seconds: 0.0,
            alerts_raised: BTreeMap::new(),
            last_quote: None,
            last_bar: None,
        }
    }

    #[test]
    fn an_empty_directory_is_no_session_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nothing-here");
        let view = read_live_view(&missing, 0).unwrap();
        assert_eq!(view.status, SessionStatus::None);
        assert!(!view.running && view.control.is_none() && view.recent_fills.is_empty());
        assert!(!missing.exists());
    }

    #[test]
    fn running_ended_and_stopped_sessions_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        publish_state(dir.path(), &state(1_000, false)).unwrap();
        let view = read_live_view(dir.path(), 1_000 + STALE_AFTER_NANOS).unwrap();
        assert_eq!((view.status, view.running), (SessionStatus::Running, true));
        assert_eq!(view.age_ns, Some(STALE_AFTER_NANOS));
        let view = read_live_view(dir.path(), 1_001 + STALE_AFTER_NANOS).unwrap();
        assert_eq!((view.status, view.running), (SessionStatus::Stopped, false));
        publish_state(dir.path(), &state(2_000, true)).unwrap();
        let view = read_live_view(dir.path(), 2_000).unwrap();
        assert_eq!((view.status, view.running), (SessionStatus::Ended, false));
        assert_eq!(read_state(dir.path()).unwrap(), Some(state(2_000, true)));
    }

    #[test]
    fn the_view_carries_the_logged_rows_newest_first_and_only_working_orders() {
        let dir = tempfile::tempdir().unwrap();
        let log = ExecutionLog::open(dir.path()).unwrap();
        for id in 1..=3_u64 {
            let order = OrderRow {
                client_id: format!("c{id}"),
                order_id: id,
                ts_submit: UnixNanos(i64::try_from(id).unwrap()),
                side: OrderSide::Buy,
                kind: "limit".to_owned(),
                purpose: "entry".to_owned(),
                limit_price: Some(Price::from_raw(100)),
                quantity: Quantity::from_raw(5),
            };
            log.record_order(0, 1, &order, 0).unwrap();
        }
        log.set_order_status("c1", "filled", UnixNanos(9)).unwrap();
        log.set_order_status("c2", "accepted", UnixNanos(9))
            .unwrap();
        for seq in 0..2_u32 {
            let fill = FillRow {
                seq,
                ts: UnixNanos(10 + i64::from(seq)),
                side: OrderSide::Buy,
                price: Price::from_raw(100),
                quantity: Quantity::from_raw(2),
                maker: true,
                fee: Money::from_raw(1),
                reference_mid: None,
            };
            log.record_fill(0, 1, "c1", &fill, Quantity::from_raw(2))
                .unwrap();
        }
        log.record_alert(1, UnixNanos(1), "control", "trading enabled")
            .unwrap();
        log.record_alert(2, UnixNanos(2), "feed_gap", "gap")
            .unwrap();
        Control::open(dir.path()).unwrap();
        let view = read_live_view(dir.path(), 0).unwrap();
        let open: Vec<_> = view
            .open_orders
            .iter()
            .map(|o| o.client_id.as_str())
            .collect();
        assert_eq!(open, ["c2", "c3"]);
        assert_eq!(view.open_orders[0].status, "accepted");
        let seqs: Vec<_> = view.recent_fills.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, [1, 0]);
        let kinds: Vec<_> = view.alerts.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(kinds, ["feed_gap", "control"]);
        assert_eq!(view.control.map(|c| c.enabled), Some(false));
    }

    #[test]
    fn metrics_map_by_name_and_undefined_ratios_are_absent() {
        let mut values = MetricValues {
            mode: "live".to_owned(),
            fill_rate: f64::NAN,
            fill_rate_expected: 0.5,
            slippage_bps: 1.5,
            ..MetricValues::default()
        };
        values.kill_switches[1] = true;
        values.alerts[0] = 3;
        let state = PublishedState::from_metrics(&values, false);
        assert_eq!(state.mode, "live");
        assert_eq!(
            (state.fill_rate, state.fill_rate_expected),
            (None, Some(0.5))
        );
        assert_eq!(state.slippage_bps, None, "no taker fill measured yet");
        assert_eq!(
            PublishedState::from_metrics(&values, true).slippage_bps,
            Some(1.5)
        );
        assert_eq!(state.kill_switches.get(KILL_SWITCHES[1]), Some(&true));
        assert_eq!(state.kill_switches.values().filter(|on| **on).count(), 1);
        assert_eq!(
            state.alerts_raised.get(AlertKind::ALL[0].as_str()),
            Some(&3)
        );
    }

    #[test]
    fn the_tape_keeps_the_last_quote_and_the_last_closed_minute() {
        let mut tape = Tape::new();
        let minute = 60 * NANOS_PER_SECOND;
        let trade = |ts: i64, price: i64| {
            MarketEvent::Trade(Trade {
                ts_event: UnixNanos(ts),
                ts_recv: UnixNanos(ts),
                price: Price::from_raw(price),
                size: Quantity::from_raw(1),
                aggressor: AggressorSide::Buy,
                trade_id: TradeId::default(),
            })
        };
        tape.on_event(&trade(minute + 1, 10));
        tape.on_event(&trade(minute + 2, 12));
        tape.on_event(&trade(minute + 3, 9));
        assert!(tape.last_bar().is_none(), "the minute is still open");
        tape.on_event(&MarketEvent::Quote(Quote {
            ts_event: UnixNanos(2 * minute),
            ts_recv: UnixNanos(2 * minute),
            bid_price: Price::from_raw(11),
            bid_size: Quantity::from_raw(3),
            ask_price: Price::from_raw(13),
            ask_size: Quantity::from_raw(4),
            update_id: 0,
            flags: QuoteFlags::default(),
        }));
        let bar = tape.last_bar().unwrap();
        assert_eq!((bar.ts_open.as_str(), bar.time), ("60000000000", 60));
        let price = |raw: i64| Price::from_raw(raw).to_string();
        assert_eq!(
            [bar.open, bar.high, bar.low, bar.close],
            [price(10), price(12), price(9), price(9)]
        );
        assert_eq!(bar.volume, Quantity::from_raw(3).to_string());
        let quote = tape.last_quote().unwrap();
        assert_eq!((quote.bid, quote.ask), (price(11), price(13)));
    }
}
