//! The session's loop (see the `session` module documentation for the order of work).

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use auction_trader_engine::{Engine, Venue};
use auction_trader_execution::Account;
use auction_trader_types::{
    ExecutionReport, MarketEvent, Money, NANOS_PER_SECOND, Quantity, Rate, UnixNanos,
};
use auction_trader_venues::{FeedMessage, ResyncReason};

use crate::alerts::{Alert, AlertKind, Alerts};
use crate::book_check::BookCheck;
use crate::feed_source::{FeedHandle, replay_events};
use crate::kill_switch::{KillAction, KillSwitches};
use crate::live_state::{PublishedState, Tape, publish_state};
use crate::metrics::MetricValues;
use crate::metrics_server::MetricsServer;
use crate::raw_journal::{JournalEntry, purge, read_entries};
use crate::recorder::SessionRecorder;
use crate::report::{DailyCounters, write_daily_report};
use crate::shadow::Divergence;
use crate::{LiveError, Mode};

use super::twin::ReconcileVenue;
use super::{BoxedStrategy, Context, SessionOptions, SessionSummary, StateSnapshot};

const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_DAY: i64 = 24 * 60 * NANOS_PER_MINUTE;
/// Control polls, journal flushes and metric publications: at least this often (wall).
const HOUSEKEEPING_NANOS: i64 = NANOS_PER_SECOND;
/// Time given to an end-of-session exit to fill (as a backtest's end of data).
const SETTLE_NANOS: i64 = 5 * NANOS_PER_SECOND;
/// SPEC 7 reconciliation while running (live mode): the venue's position is read this often
/// (wall) ...
const POSITION_CHECK_NANOS: i64 = 5 * NANOS_PER_SECOND;
/// ... and a difference must outlast this (a fill the venue made whose report is still on
/// its way is not a mismatch) before the session halts.
const POSITION_GRACE_NANOS: i64 = 3 * NANOS_PER_SECOND;

pub(super) struct Runner<V: Venue> {
    /// `None` once finished.
    engine: Option<Engine<BoxedStrategy, V, SessionRecorder>>,
    final_account: Option<Account>,
    cx: Context,
    options: SessionOptions,
    _server: Option<MetricsServer>,
    values: MetricValues,
    alerts: Alerts,
    book: BookCheck,
    kill: KillSwitches,
    summary: SessionSummary,
    catching_up: bool,
    last_event: Option<UnixNanos>,
    /// Restart boundary: events before `.0`, and the first `.1` events at `.0`, are known.
    boundary: Option<(UnixNanos, u64)>,
    ties_at_last: u64,
    next_snapshot: Option<UnixNanos>,
    day: Option<i64>,
    day_counters: DailyCounters,
    control_version: Option<i64>,
    last_housekeeping: i64,
    /// Wall time of the last venue position read.
    last_position_check: i64,
    /// Wall time a venue position difference was first seen.
    position_suspect: Option<i64>,
    halted: Option<String>,
    /// Receive time of the event being handled (journal file choice before the first event).
    time_hint: UnixNanos,
    /// Last quote and minute bar, for the published live state.
    tape: Tape,
    /// The feed closed and the session finished (the last published state says so).
    ended: bool,
    /// A failed write of the live state was reported (once, not every second).
    state_error_reported: bool,
}

impl<V: Venue + ReconcileVenue> Runner<V> {
    pub(super) fn new(
        engine: Engine<BoxedStrategy, V, SessionRecorder>,
        cx: Context,
        options: SessionOptions,
        server: Option<MetricsServer>,
    ) -> Self {
        let values = MetricValues {
            mode: options.mode.as_str().to_owned(),
            symbol: cx.instrument.key.symbol.to_string(),
            fill_rate: f64::NAN,
            fill_rate_expected: f64::NAN,
            ..MetricValues::default()
        };
        let (generation, start) = {
            let ledger = cx.ledger.borrow();
            (ledger.generation, ledger.start)
        };
        // Labels are served from the start, before the first event.
        cx.metrics.publish(&values);
        let summary = SessionSummary {
            mode: options.mode.as_str().to_owned(),
            generation,
            start,
            ..SessionSummary::default()
        };
        Self {
            alerts: Alerts::new(options.webhook.clone()),
            book: BookCheck::for_venue(&cx.instrument.key.venue),
            kill: KillSwitches::new(&cx.config.live),
            _server: server,
            values,
            summary,
            engine: Some(engine),
            final_account: None,
            cx,
            options,
            catching_up: false,
            last_event: None,
            boundary: None,
            ties_at_last: 0,
            next_snapshot: None,
            day: None,
            day_counters: DailyCounters::default(),
            control_version: None,
            last_housekeeping: i64::MIN,
            last_position_check: i64::MIN,
            position_suspect: None,
            halted: None,
            time_hint: UnixNanos(0),
            tape: Tape::new(),
            ended: false,
            state_error_reported: false,
        }
    }

    fn engine(&mut self) -> Result<&mut Engine<BoxedStrategy, V, SessionRecorder>, LiveError> {
        self.engine
            .as_mut()
            .ok_or_else(|| LiveError::Data("the session's engine has finished".to_owned()))
    }

    /// The engine's account (the final one after the end).
    fn account(&self) -> Option<&Account> {
        self.engine
            .as_ref()
            .map(Engine::account)
            .or(self.final_account.as_ref())
    }

    pub(super) fn run(mut self, feed: FeedHandle) -> Result<SessionSummary, LiveError> {
        self.warm_up()?;
        self.catch_up()?;
        let outcome = self.main_loop(&feed);
        feed.join();
        outcome?;
        self.finish()
    }

    fn say(&mut self, line: &str) {
        (self.options.log)(line);
    }

    fn alert(&mut self, kind: AlertKind, message: String) {
        let ts = self.last_event.unwrap_or(UnixNanos(0));
        let alert = Alert {
            kind,
            ts,
            message,
            symbol: self.values.symbol.clone(),
            mode: self.values.mode.clone(),
        };
        if !self.alerts.raise(&alert) {
            // Counted; the same kind was stored and printed less than a minute ago.
            return;
        }
        let wall = self.options.clock.now().0;
        let stored =
            self.cx
                .ledger
                .borrow()
                .log
                .record_alert(wall, ts, kind.as_str(), &alert.message);
        if let Err(error) = stored {
            self.say(&format!("error: storing an alert: {error}"));
        }
        self.say(&format!("alert {}: {}", kind.as_str(), alert.message));
    }

    /// SPEC 7 warm-up: the generation's recorded warm-up files through the engine (and the
    /// shadow engine) with trading off and nothing recorded; feed events at or before their
    /// last one are skipped.
    fn warm_up(&mut self) -> Result<(), LiveError> {
        if self.cx.warmup.is_empty() {
            return Ok(());
        }
        let events = replay_events(&self.cx.warmup, &self.cx.instrument.key)?;
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        let (first, last) = (first.ts_recv(), last.ts_recv());
        let enabled = self.cx.gate.borrow().trading_enabled;
        self.set_trading(false);
        self.cx.ledger.borrow_mut().warming_up = true;
        let mut ties = 0;
        for event in &events {
            if let Some(twin) = self.cx.shadow.as_mut() {
                twin.gate.borrow_mut().trading_enabled = false;
                twin.engine.on_event(event);
            }
            self.engine()?.on_event(event);
            ties = if event.ts_recv() == last { ties + 1 } else { 0 };
        }
        self.cx.ledger.borrow_mut().warming_up = false;
        self.set_trading(enabled);
        if let Some(twin) = self.cx.shadow.as_mut() {
            // The comparison starts with the feed.
            let mut output = twin.output.borrow_mut();
            output.signals.clear();
            output.fills.clear();
        }
        self.boundary = Some((last, ties));
        let line = format!(
            "warm-up: {} events of {} file(s), {first} .. {last}, through the engine with \
             trading off",
            events.len(),
            self.cx.warmup.len()
        );
        self.say(&line);
        Ok(())
    }

    /// Replays the generation's journal (a restart), recovers what a live venue did while
    /// the process was down, and reconciles.
    fn catch_up(&mut self) -> Result<(), LiveError> {
        let files = std::mem::take(&mut self.cx.files);
        if files.is_empty() {
            return self.reconcile(false);
        }
        self.catching_up = true;
        self.engine()?.venue_mut().begin_replay();
        // An entry is replayed once the reports journaled after it are known.
        let mut held: Option<JournalEntry> = None;
        let mut reports: Vec<ExecutionReport> = Vec::new();
        read_entries(&files, |entry| {
            self.summary.catch_up_events += 1;
            if let JournalEntry::Reports { reports: more } = entry {
                reports.extend(more);
                return Ok(());
            }
            match held.replace(entry) {
                Some(previous) => self.replay_entry(previous, std::mem::take(&mut reports)),
                None => Ok(()),
            }
        })?;
        if let Some(last) = held {
            self.replay_entry(last, reports)?;
        }
        self.catching_up = false;
        if let Some(last) = self.last_event {
            self.boundary = Some((last, self.ties_at_last));
            // Quotes sent while the process was down are lost: none pairs across the restart
            // (journaled, so a later catch-up pairs none across it either).
            self.book.on_quote_stream_break();
            self.journal(JournalEntry::Feed {
                ts: last,
                note: "restart".to_owned(),
                quote_break: true,
            });
        }
        let line = format!(
            "restart: replayed {} journal entries through the engine ({} orders and {} fills \
             found in execution.db, not sent again)",
            self.summary.catch_up_events,
            self.cx.ledger.borrow().orders_replayed,
            self.cx.ledger.borrow().fills_replayed
        );
        self.say(&line);
        self.recover_from_venue()?;
        self.reconcile(true)
    }

    /// One journal entry of a catch-up, with the venue reports the engine took during it.
    fn replay_entry(
        &mut self,
        entry: JournalEntry,
        reports: Vec<ExecutionReport>,
    ) -> Result<(), LiveError> {
        if !reports.is_empty() {
            self.engine()?.venue_mut().load_replayed(reports);
        }
        match entry {
            JournalEntry::Event(event) => self.on_event(&event),
            JournalEntry::Control { enabled } => {
                self.set_trading(enabled);
                Ok(())
            }
            JournalEntry::Advance { ts } => {
                self.engine()?.advance_to(ts);
                self.after_engine(ts)
            }
            JournalEntry::Feed { quote_break, .. } => {
                if quote_break {
                    self.book.on_quote_stream_break();
                }
                Ok(())
            }
            JournalEntry::Reports { .. } => Ok(()),
        }
    }

    /// After a catch-up: the venue's record of every order still open (live mode), and the
    /// engine takes what it missed (journaled: a later restart replays it).
    fn recover_from_venue(&mut self) -> Result<(), LiveError> {
        let wall = self.options.clock.now();
        let lines = match self.engine()?.venue_mut().end_replay(wall) {
            Ok(lines) => lines,
            Err(error) => {
                self.halt(format!(
                    "the venue's order records could not be read after the restart: {error}"
                ));
                return Ok(());
            }
        };
        if lines.is_empty() {
            return Ok(());
        }
        for line in &lines {
            self.say(&format!("restart: {line}"));
        }
        // Delivered without moving the clock (the journal's last time).
        let ts = self.last_event.unwrap_or(wall);
        self.journal(JournalEntry::Advance { ts });
        self.engine()?.advance_to(ts);
        self.after_engine(ts)
    }

    /// SPEC 7: the system's position against the venue's; a mismatch halts.
    fn reconcile(&mut self, restarted: bool) -> Result<(), LiveError> {
        let (generation, ledger_position, logged_fills, last_row) = {
            let ledger = self.cx.ledger.borrow();
            let fills = ledger.log.fills(ledger.generation)?;
            let last_row = ledger.log.last_position(ledger.generation)?;
            (ledger.generation, ledger.position, fills, last_row)
        };
        let mut views: Vec<(String, Quantity)> = Vec::new();
        let paper_account = logged_fills.iter().fold(Quantity::ZERO, |sum, stored| {
            sum.saturating_add(signed(stored.fill.side, stored.fill.quantity))
        });
        if restarted {
            if let Some((ts, text)) = &self.cx.snapshot {
                let snapshot: StateSnapshot = serde_json::from_str(text).map_err(|error| {
                    LiveError::Data(format!(
                        "snapshot at {ts} of generation {generation}: {error}"
                    ))
                })?;
                let base = Quantity::from_raw(snapshot.position_raw.parse().unwrap_or_default());
                let after = logged_fills
                    .iter()
                    .skip(usize::try_from(snapshot.fills).unwrap_or(usize::MAX))
                    .fold(base, |sum, stored| {
                        sum.saturating_add(signed(stored.fill.side, stored.fill.quantity))
                    });
                views.push((format!("snapshot at {ts} + fills after it"), after));
            }
            views.push(("last recorded position".to_owned(), last_row));
            views.push(("replayed engine".to_owned(), ledger_position));
            if let Some(account) = self.account() {
                views.push(("replayed engine account".to_owned(), account.position()));
            }
        } else {
            views.push(("new session (flat)".to_owned(), Quantity::ZERO));
        }
        let venue = match self.engine()?.venue().venue_position() {
            Some(Ok(position)) => ("venue position".to_owned(), position),
            Some(Err(error)) => {
                self.halt(format!("the venue's position could not be read: {error}"));
                return Ok(());
            }
            None => (
                "recorded paper account (all fills)".to_owned(),
                paper_account,
            ),
        };
        let differing: Vec<String> = views
            .iter()
            .filter(|(_, quantity)| *quantity != venue.1)
            .map(|(name, quantity)| format!("{name} {quantity}"))
            .collect();
        if differing.is_empty() {
            if restarted {
                let line = format!("reconciled: position {} ({})", venue.1, venue.0);
                self.say(&line);
            }
            return Ok(());
        }
        self.halt(format!(
            "position mismatch: {} {} vs {}",
            venue.0,
            venue.1,
            differing.join(", ")
        ));
        Ok(())
    }

    /// Alert and halt until the operator enables trading again.
    fn halt(&mut self, reason: String) {
        self.alert(
            AlertKind::PositionMismatch,
            format!("{reason}: trading halted"),
        );
        self.halted = Some(reason.clone());
        self.summary.halted = Some(reason.clone());
        let wall = self.options.clock.now().0;
        let written = self.cx.control.set(false, &format!("halt: {reason}"), wall);
        match written {
            Ok(state) => self.control_version = Some(state.version),
            Err(error) => self.say(&format!("error: writing control.db: {error}")),
        }
        if self.cx.gate.borrow().trading_enabled {
            self.journal(JournalEntry::Control { enabled: false });
            self.set_trading(false);
        }
    }

    fn journal(&mut self, entry: JournalEntry) {
        if self.catching_up {
            return;
        }
        let ts = self.last_event.unwrap_or(self.time_hint);
        let appended = self.cx.ledger.borrow_mut().journal.append(ts, &entry);
        if let Err(error) = appended {
            self.cx.ledger.borrow_mut().error.get_or_insert(error);
        }
    }

    fn set_trading(&mut self, enabled: bool) {
        self.cx.gate.borrow_mut().trading_enabled = enabled;
    }

    fn main_loop(&mut self, feed: &FeedHandle) -> Result<(), LiveError> {
        loop {
            match feed.receiver.recv_timeout(Duration::from_millis(200)) {
                Ok(FeedMessage::Event(event)) => {
                    if self.before_boundary(&event) {
                        self.summary.skipped_events += 1;
                        continue;
                    }
                    self.time_hint = event.ts_recv();
                    self.housekeeping()?;
                    self.on_event(&event)?;
                }
                Ok(FeedMessage::Resync { at, reason }) => {
                    // The adapter rebuilds the book itself (the snapshot rows follow), so the
                    // session's own book sees a reset, not the gap: count it here.
                    match reason {
                        ResyncReason::Start => {}
                        ResyncReason::SequenceGap { .. } => {
                            self.values.feed_gaps += 1;
                            self.values.book_resyncs += 1;
                        }
                        ResyncReason::Reconnect => self.values.book_resyncs += 1,
                    }
                    self.journal(JournalEntry::Feed {
                        ts: at,
                        note: format!("resync {reason:?}"),
                        quote_break: false,
                    });
                    if !matches!(reason, ResyncReason::Start) {
                        self.alert(
                            AlertKind::FeedGap,
                            format!("book resync at {at}: {reason:?}"),
                        );
                    }
                }
                Ok(FeedMessage::Disconnected { at, reason }) => {
                    self.values.feed_disconnects += 1;
                    // Quotes sent while we were away are lost: none pairs across the gap.
                    self.book.on_quote_stream_break();
                    self.journal(JournalEntry::Feed {
                        ts: at,
                        note: format!("disconnected: {reason}"),
                        quote_break: true,
                    });
                    self.alert(
                        AlertKind::FeedGap,
                        format!("feed disconnected at {at}: {reason}"),
                    );
                }
                Ok(FeedMessage::Closed { at }) => {
                    self.journal(JournalEntry::Feed {
                        ts: at,
                        note: "closed".to_owned(),
                        quote_break: false,
                    });
                    return Ok(());
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.options.advance_on_idle {
                        let now = self.options.clock.now();
                        if self.last_event.is_some_and(|last| now > last) {
                            self.journal(JournalEntry::Advance { ts: now });
                            self.engine()?.advance_to(now);
                            self.after_engine(now)?;
                        }
                    }
                    self.housekeeping()?;
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }

    /// Whether a feed event is already in the journal (the restart boundary).
    fn before_boundary(&mut self, event: &MarketEvent) -> bool {
        let Some((last, remaining)) = self.boundary else {
            return false;
        };
        let ts = event.ts_recv();
        if ts < last {
            return true;
        }
        if ts == last && remaining > 0 {
            self.boundary = Some((last, remaining - 1));
            return true;
        }
        self.boundary = None;
        false
    }

    /// Control poll, journal flush, metrics: at the first event and once per wall second.
    fn housekeeping(&mut self) -> Result<(), LiveError> {
        let wall = self.options.clock.now().0;
        let first = self.control_version.is_none();
        if !first && wall.saturating_sub(self.last_housekeeping) < HOUSEKEEPING_NANOS {
            return Ok(());
        }
        self.last_housekeeping = wall;
        self.poll_control()?;
        self.check_venue_position(wall)?;
        self.cx.ledger.borrow_mut().journal.flush()?;
        self.publish();
        Ok(())
    }

    /// SPEC 7 reconciliation while running: the engine's position against the venue's
    /// (live mode only; paper has no venue position). A difference that outlasts the grace
    /// halts, as at a restart.
    fn check_venue_position(&mut self, wall: i64) -> Result<(), LiveError> {
        if self.halted.is_some() || self.catching_up {
            return Ok(());
        }
        let due = self.position_suspect.is_some()
            || wall.saturating_sub(self.last_position_check) >= POSITION_CHECK_NANOS;
        if !due {
            return Ok(());
        }
        self.last_position_check = wall;
        let ours = self.cx.ledger.borrow().position;
        let venue = match self.engine()?.venue().venue_position() {
            None => return Ok(()),
            Some(Ok(position)) => position,
            Some(Err(error)) => {
                self.say(&format!("warning: reading the venue's position: {error}"));
                return Ok(());
            }
        };
        if venue == ours {
            self.position_suspect = None;
            return Ok(());
        }
        match self.position_suspect {
            Some(since) if wall.saturating_sub(since) >= POSITION_GRACE_NANOS => {
                self.position_suspect = None;
                self.halt(format!(
                    "position mismatch: venue position {venue} vs engine {ours} for {} s",
                    wall.saturating_sub(since) / NANOS_PER_SECOND
                ));
            }
            Some(_) => {}
            None => self.position_suspect = Some(wall),
        }
        Ok(())
    }

    fn poll_control(&mut self) -> Result<(), LiveError> {
        let state = self.cx.control.read()?;
        if self.control_version == Some(state.version) {
            return Ok(());
        }
        self.control_version = Some(state.version);
        let now = self.last_event.unwrap_or(UnixNanos(0));
        let current = self.cx.gate.borrow().trading_enabled;
        let mut wanted = state.enabled;
        if wanted && self.options.mode == Mode::DryRun {
            self.say("dry-run: trading stays disabled (no execution in this mode)");
            wanted = false;
        }
        if wanted && self.kill.stopped(now) {
            let until = self.kill.stopped_until().unwrap_or(now);
            self.alert(
                AlertKind::KillSwitch,
                format!("enable refused: the drawdown kill switch stops trading until {until}"),
            );
            wanted = false;
        }
        if wanted && self.halted.is_some() {
            // The operator looked at the halt and enabled trading again.
            self.halted = None;
        }
        if wanted != current {
            self.journal(JournalEntry::Control { enabled: wanted });
            self.set_trading(wanted);
            self.alert(
                AlertKind::Control,
                format!(
                    "trading {} ({})",
                    if wanted { "enabled" } else { "disabled" },
                    state.reason
                ),
            );
        }
        Ok(())
    }

    fn on_event(&mut self, event: &MarketEvent) -> Result<(), LiveError> {
        let ts = event.ts_recv();
        if !self.catching_up {
            self.cx
                .ledger
                .borrow_mut()
                .journal
                .append(ts, &JournalEntry::Event(*event))?;
        }
        if self.last_event == Some(ts) {
            self.ties_at_last += 1;
        } else {
            self.ties_at_last = 1;
        }
        self.summary.events += 1;
        self.values.events += 1;
        // Feed latency (receive − exchange time).
        let exchange = event.ts_event();
        if exchange.0 > 0 && ts > exchange {
            #[allow(clippy::cast_precision_loss)]
            let latency = (ts.0 - exchange.0) as f64 / 1e9;
            self.values.feed_latency_seconds = latency;
            self.values.feed_latency_max_seconds =
                self.values.feed_latency_max_seconds.max(latency);
            if latency * 1000.0 > f64::from(self.cx.config.live.feed_latency_alert_ms) {
                self.values.feed_latency_alerts += 1;
                if !self.catching_up {
                    self.alert(
                        AlertKind::FeedLatency,
                        format!(
                            "feed latency {:.0} ms above {} ms",
                            latency * 1000.0,
                            self.cx.config.live.feed_latency_alert_ms
                        ),
                    );
                }
            }
        }
        // Snapshots and the UTC day, by event time (before the event changes anything).
        self.schedule(ts)?;
        if let Some(action) = self.kill.on_event(ts) {
            self.kill_action(action);
        }
        self.last_event = Some(ts);
        self.tape.on_event(event);
        let delta = self.book.on_event(event);
        self.values.book_checks += delta.new_checks;
        self.values.book_mismatches += delta.new_mismatches;
        self.values.feed_gaps += delta.new_gaps;
        self.values.book_resyncs += delta.new_resyncs;
        if delta.new_mismatches > 0 && !self.catching_up {
            let detail = delta
                .detail
                .unwrap_or_else(|| "top of book differs".to_owned());
            self.alert(AlertKind::BookMismatch, detail);
        }
        if delta.new_gaps > 0 && !self.catching_up {
            self.alert(
                AlertKind::FeedGap,
                format!("depth sequence gap at {ts}: resync"),
            );
        }
        if let Some(twin) = self.cx.shadow.as_mut() {
            // The backtest side sees the event as the journal recorded it.
            let line =
                serde_json::to_vec(event).map_err(|error| LiveError::Data(error.to_string()))?;
            let recorded: MarketEvent = serde_json::from_slice(&line)
                .map_err(|error| LiveError::Data(error.to_string()))?;
            {
                let main = self.cx.gate.borrow();
                let mut gate = twin.gate.borrow_mut();
                gate.trading_enabled = main.trading_enabled;
                gate.size_factor = main.size_factor;
            }
            twin.engine.on_event(&recorded);
        }
        self.engine()?.on_event(event);
        self.after_engine(ts)
    }

    /// What the engine's work produced: storage errors, replay divergences, kill switches,
    /// the shadow comparison.
    fn after_engine(&mut self, now: UnixNanos) -> Result<(), LiveError> {
        let (error, divergences) = {
            let mut ledger = self.cx.ledger.borrow_mut();
            (ledger.error.take(), std::mem::take(&mut ledger.divergences))
        };
        if let Some(error) = error {
            return Err(error);
        }
        if !divergences.is_empty() {
            for divergence in &divergences {
                self.alert(AlertKind::ReplayDivergence, divergence.clone());
            }
            if self.halted.is_none() {
                self.halt(format!(
                    "{} (and {} more)",
                    divergences[0],
                    divergences.len() - 1
                ));
            }
        }
        let (drawdown, ratio, samples) = {
            let ledger = self.cx.ledger.borrow();
            (
                ledger.drawdown(),
                ledger.slippage_ratio(),
                ledger.slippage_samples,
            )
        };
        if let Some(action) = self.kill.on_drawdown(now, drawdown) {
            self.kill_action(action);
        }
        if let Some(action) = self.kill.on_slippage(ratio, samples) {
            self.kill_action(action);
        }
        if self.cx.shadow.is_some() {
            self.compare_shadow(now);
        }
        Ok(())
    }

    fn compare_shadow(&mut self, now: UnixNanos) {
        let Some(twin) = self.cx.shadow.as_mut() else {
            return;
        };
        let paper = {
            let mut ledger = self.cx.ledger.borrow_mut();
            (
                std::mem::take(&mut ledger.shadow_signals),
                std::mem::take(&mut ledger.shadow_fills),
            )
        };
        let backtest = {
            let mut output = twin.output.borrow_mut();
            (
                std::mem::take(&mut output.signals),
                std::mem::take(&mut output.fills),
            )
        };
        twin.comparator.add(paper, backtest);
        let found = twin.comparator.compare(now);
        self.values.shadow_signal_divergences = twin.comparator.signal_divergences;
        self.values.shadow_fill_divergences = twin.comparator.fill_divergences;
        for divergence in found {
            let message = match divergence {
                Divergence::Signal(text) | Divergence::Fill(text) => text,
            };
            if !self.catching_up {
                self.alert(AlertKind::ShadowDivergence, message);
            }
        }
    }

    fn kill_action(&mut self, action: KillAction) {
        match action {
            KillAction::Flatten { reason } => {
                self.cx.gate.borrow_mut().flatten_requested = true;
                if !self.catching_up {
                    self.alert(AlertKind::KillSwitch, reason);
                }
            }
            KillAction::Stop { reason, .. } => {
                {
                    let mut gate = self.cx.gate.borrow_mut();
                    gate.flatten_requested = true;
                    gate.trading_enabled = false;
                }
                if !self.catching_up {
                    let wall = self.options.clock.now().0;
                    if let Ok(state) =
                        self.cx
                            .control
                            .set(false, &format!("kill switch: {reason}"), wall)
                    {
                        self.control_version = Some(state.version);
                    }
                    self.alert(AlertKind::KillSwitch, reason);
                }
            }
            KillAction::HalveSize { reason } => {
                let mut gate = self.cx.gate.borrow_mut();
                gate.size_factor = Rate::from_raw(Rate::ONE.raw() / 2);
                drop(gate);
                if !self.catching_up {
                    self.alert(AlertKind::KillSwitch, reason);
                }
            }
        }
    }

    /// The 5-minute snapshot and the UTC day's report, due before the event at `ts`.
    fn schedule(&mut self, ts: UnixNanos) -> Result<(), LiveError> {
        let period = i64::from(self.cx.config.live.snapshot_minutes) * NANOS_PER_MINUTE;
        match self.next_snapshot {
            None => self.next_snapshot = Some(UnixNanos((ts.0.div_euclid(period) + 1) * period)),
            Some(due) if ts >= due => {
                if !self.catching_up {
                    self.write_snapshot()?;
                }
                self.next_snapshot = Some(UnixNanos((ts.0.div_euclid(period) + 1) * period));
            }
            Some(_) => {}
        }
        let day = ts.0.div_euclid(NANOS_PER_DAY);
        match self.day {
            None => {
                self.day = Some(day);
                self.day_counters = self.counters();
            }
            Some(current) if day > current => {
                if !self.catching_up {
                    self.daily_report(current)?;
                    let removed =
                        purge(&self.cx.data_dir, ts, self.cx.config.live.retention_hours)?;
                    if removed > 0 {
                        let line =
                            format!("raw journal: {removed} file(s) past the retention purged");
                        self.say(&line);
                    }
                }
                self.day = Some(day);
                self.day_counters = self.counters();
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn counters(&self) -> DailyCounters {
        let ledger = self.cx.ledger.borrow();
        DailyCounters {
            events: self.values.events,
            book_checks: self.values.book_checks,
            book_mismatches: self.values.book_mismatches,
            feed_gaps: self.values.feed_gaps,
            signals: ledger.signals,
            orders: ledger.orders_new + ledger.orders_replayed,
            fills: ledger.fills,
            limit_entries: ledger.limit_entries,
            limit_entries_filled: ledger.limit_entries_filled,
            realized_pnl: ledger.realized_pnl.as_f64(),
            alerts: AlertKind::ALL
                .iter()
                .map(|kind| self.alerts.raised(*kind))
                .sum(),
            kill_switch_trips: self.kill.trips,
        }
    }

    fn daily_report(&mut self, day: i64) -> Result<(), LiveError> {
        let (position, equity, slippage) = {
            let ledger = self.cx.ledger.borrow();
            let slippage = (ledger.slippage_samples > 0).then(|| {
                #[allow(clippy::cast_precision_loss)]
                let samples = ledger.slippage_samples as f64;
                (
                    ledger.slippage_bps_sum / samples,
                    ledger.estimate_bps_sum / samples,
                )
            });
            (
                ledger.position,
                ledger.equity.map(|point| point.equity.as_f64()),
                slippage,
            )
        };
        let path = write_daily_report(
            &self.cx.data_dir,
            day,
            &self.values.mode,
            &self.values.symbol,
            &self.day_counters,
            &self.counters(),
            position,
            equity,
            slippage,
        )?;
        let line = format!("daily report: {}", path.display());
        self.say(&line);
        Ok(())
    }

    fn write_snapshot(&mut self) -> Result<(), LiveError> {
        let ts = self.last_event.unwrap_or(UnixNanos(0));
        let (position, cash) = self
            .account()
            .map_or((Quantity::ZERO, Money::ZERO), |account| {
                (account.position(), account.cash())
            });
        let mut ledger = self.cx.ledger.borrow_mut();
        let snapshot = StateSnapshot {
            ts: ts.0,
            generation: ledger.generation,
            start: ledger.start,
            events: self.summary.events,
            position_raw: ledger.position.raw().to_string(),
            fills: ledger.fills,
            orders: ledger.orders_new + ledger.orders_replayed,
            engine_position_raw: position.raw().to_string(),
            cash_raw: cash.raw().to_string(),
            realized_pnl_raw: ledger.realized_pnl.raw().to_string(),
            equity_raw: ledger.equity.map(|point| point.equity.raw().to_string()),
            peak_equity_raw: ledger.peak_equity.map(|equity| equity.raw().to_string()),
            trading_enabled: self.cx.gate.borrow().trading_enabled,
            halted: self.halted.clone(),
            book_checks: self.values.book_checks,
            book_mismatches: self.values.book_mismatches,
        };
        let text =
            serde_json::to_string(&snapshot).map_err(|error| LiveError::Data(error.to_string()))?;
        ledger.journal.flush()?;
        ledger.log.write_snapshot(ledger.generation, ts, &text)
    }

    fn publish(&mut self) {
        let ledger = self.cx.ledger.borrow();
        let values = &mut self.values;
        values.signals = ledger.signals;
        values.orders = ledger.orders_new;
        values.replayed_orders = ledger.orders_replayed;
        values.fills = ledger.fills;
        values.limit_orders = ledger.limit_entries;
        values.limit_orders_filled = ledger.limit_entries_filled;
        #[allow(clippy::cast_precision_loss)]
        {
            values.fill_rate = if ledger.limit_entries > 0 {
                ledger.limit_entries_filled as f64 / ledger.limit_entries as f64
            } else {
                f64::NAN
            };
            if ledger.slippage_samples > 0 {
                values.slippage_bps = ledger.slippage_bps_sum / ledger.slippage_samples as f64;
                values.slippage_estimate_bps =
                    ledger.estimate_bps_sum / ledger.slippage_samples as f64;
            }
        }
        if let Some(twin) = &self.cx.shadow {
            let output = twin.output.borrow();
            #[allow(clippy::cast_precision_loss)]
            if output.limit_entries > 0 {
                values.fill_rate_expected =
                    output.limit_entries_filled as f64 / output.limit_entries as f64;
            }
        }
        values.realized_pnl = ledger.realized_pnl.as_f64();
        if let Some(point) = ledger.equity {
            values.equity = point.equity.as_f64();
            values.unrealized_pnl = point.unrealized.as_f64();
        }
        values.position = ledger.position.as_f64();
        values.drawdown = ledger.drawdown();
        let gate = self.cx.gate.borrow();
        let average_entry = self
            .engine
            .as_ref()
            .map(Engine::account)
            .or(self.final_account.as_ref())
            .and_then(Account::average_entry);
        values.heat = match (gate.last_stop, average_entry, ledger.equity) {
            (Some(stop), Some(entry), Some(point))
                if point.equity.is_positive() && !ledger.position.is_zero() =>
            {
                (ledger.position.as_f64().abs() * (entry.as_f64() - stop.as_f64()).abs())
                    / point.equity.as_f64()
            }
            _ => 0.0,
        };
        values.trading_enabled = gate.trading_enabled;
        values.halted = self.halted.is_some();
        let now = self.last_event.unwrap_or(UnixNanos(0));
        values.kill_switches = self.kill.states(now);
        for (slot, kind) in values.alerts.iter_mut().zip(AlertKind::ALL) {
            *slot = self.alerts.raised(kind);
        }
        #[allow(clippy::cast_precision_loss)]
        {
            values.last_event_ts_seconds = now.0 as f64 / 1e9;
        }
        drop(gate);
        drop(ledger);
        self.cx.metrics.publish(&self.values);
        self.publish_live_state();
    }

    /// The dashboard's view of this session (`live-state.json`): the figures just published
    /// as metrics, exact where the ledger is, with the last quote and bar.
    fn publish_live_state(&mut self) {
        let ledger = self.cx.ledger.borrow();
        let state = PublishedState {
            pid: std::process::id(),
            wall_ns: self.options.clock.now().0,
            ended: self.ended,
            generation: ledger.generation,
            start: ledger.start,
            last_event_ts: self.last_event.unwrap_or(UnixNanos(0)).0.to_string(),
            position: ledger.position.to_string(),
            realized_pnl: ledger.realized_pnl.to_string(),
            unrealized_pnl: ledger.equity.map(|point| point.unrealized.to_string()),
            equity: ledger.equity.map(|point| point.equity.to_string()),
            peak_equity: ledger.peak_equity.map(|equity| equity.to_string()),
            halted: self.halted.clone(),
            last_quote: self.tape.last_quote(),
            last_bar: self.tape.last_bar(),
            ..PublishedState::from_metrics(&self.values, ledger.slippage_samples > 0)
        };
        drop(ledger);
        match publish_state(&self.cx.data_dir, &state) {
            Ok(()) => self.state_error_reported = false,
            Err(error) if !self.state_error_reported => {
                self.state_error_reported = true;
                self.say(&format!("error: writing the live state: {error}"));
            }
            Err(_) => {}
        }
    }

    fn finish(mut self) -> Result<SessionSummary, LiveError> {
        // The end of the feed: close what is open, as a backtest's end of data does.
        if let Some(engine) = self.engine.take() {
            let (_, _, account) = engine.finish(SETTLE_NANOS);
            self.final_account = Some(account);
        }
        self.after_engine(self.last_event.unwrap_or(UnixNanos(0)))?;
        if self.last_event.is_some() {
            self.write_snapshot()?;
            if let Some(day) = self.day {
                self.daily_report(day)?;
            }
        }
        self.ended = true;
        self.publish();
        let ledger = self.cx.ledger.borrow();
        let summary = &mut self.summary;
        summary.book_checks = self.values.book_checks;
        summary.book_mismatches = self.values.book_mismatches;
        summary.book_gaps = self.values.feed_gaps;
        summary.signals = ledger.signals;
        summary.orders_new = ledger.orders_new;
        summary.orders_replayed = ledger.orders_replayed;
        summary.fills = ledger.fills;
        summary.fills_replayed = ledger.fills_replayed;
        summary.trades = ledger.trades;
        summary.position = ledger.position.to_string();
        summary.realized_pnl = ledger.realized_pnl.to_string();
        summary.alerts = AlertKind::ALL
            .iter()
            .map(|kind| self.alerts.raised(*kind))
            .sum();
        summary.shadow_signal_divergences = self.values.shadow_signal_divergences;
        summary.shadow_fill_divergences = self.values.shadow_fill_divergences;
        summary.ended = true;
        drop(ledger);
        let generation = self.cx.ledger.borrow().log.end_generation()?;
        let note = format!(
            "ended: orders_new={} orders_replayed={} fills={} fills_replayed={}; next start: generation {generation}",
            self.summary.orders_new,
            self.summary.orders_replayed,
            self.summary.fills,
            self.summary.fills_replayed
        );
        {
            let mut ledger = self.cx.ledger.borrow_mut();
            ledger.journal.close()?;
            ledger.log.note_start(ledger.start, &note)?;
        }
        self.alerts.close();
        Ok(self.summary.clone())
    }
}

fn signed(side: auction_trader_types::OrderSide, quantity: Quantity) -> Quantity {
    match side {
        auction_trader_types::OrderSide::Buy => quantity,
        auction_trader_types::OrderSide::Sell => {
            Quantity::from_raw(quantity.raw().saturating_neg())
        }
    }
}
