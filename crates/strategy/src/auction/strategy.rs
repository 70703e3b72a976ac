//! [`AuctionStrategy`]: the SPEC 3.1 auction setups behind the [`Strategy`] trait. At each bar
//! close it judges the bar against the profile computed at the previous close (SPEC 2.2),
//! steps the breakout machines and failed-breakout watches, evaluates the break-ins, applies
//! the priority Break-in > Failed breakout > Breakout, the position rule and the entry order,
//! and logs every transition, near-miss, superseded and suppressed setup.
//!
//! Decisions beyond the letter of SPEC 3.1 (all logged in the `detail` strings):
//! * Every level of a signal comes from the profile judging the signal bar (the
//!   `prior_profile` of its snapshot): POC target = the POC bin's centre (`poc_mid`), and the
//!   breakout's "VA at entry" height is VAH − VAL of that profile.
//! * Priority first, then the position rule: the bar's signal is the highest-priority
//!   confirmed setup; when it points the way of the open position (or pending entry) it is
//!   suppressed (`reason=position_open`); an opposite signal is emitted (risk decides the
//!   flip). Two confirmed setups of the same rank in opposite directions: long first.
//! * An intent needs a stop strictly on the losing side of the entry price and TP2 strictly
//!   on the winning side (else `reason=invalid_geometry`); a TP1 not beyond the entry is
//!   dropped (single-target trade, `tp1=none`).
//! * While entries are blocked by risk the intent is still emitted (the engine refuses and
//!   logs it), with `entries_blocked=true` in the detail.

use auction_trader_features::FeatureSnapshot;
use auction_trader_types::{MarketEvent, Price, Rate, TimeoutAction, UnixNanos};
use serde::Serialize;

use super::break_in;
use super::breakout::{BreakoutBar, BreakoutMachine, BreakoutRules, BreakoutState, BreakoutStep};
use super::candidate::{Candidate, Origin, check_geometry};
use super::config::{AuctionConfig, BreakoutEntry, EntryOrderMode, scale, ticks_price};
use super::confirmation::{confirmed, describe};
use super::failed_breakout::{FailedBreakoutWatch, WatchHit};
use super::levels::{Levels, beyond, offset};
use super::signal_log::{
    Detail, OUTCOME_NEAR_MISS, OUTCOME_SIGNAL, OUTCOME_SUPERSEDED, OUTCOME_SUPPRESSED, WARM_UP,
    record, transition,
};
use super::touch::{TouchTracker, Watch, range_touches};
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecordKind, Strategy,
    StrategyContext, TradeIntent,
};
use crate::error::StrategyError;

/// Counts of one run (for reports and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AuctionCounters {
    pub bars: u64,
    /// Bars judged against a valid profile after the warm-up.
    pub bars_evaluated: u64,
    pub transitions: u64,
    pub intents: u64,
    pub near_misses: u64,
    pub superseded: u64,
    pub suppressed: u64,
    pub exits: u64,
    /// Touch tests answered from the bar's range (no trade events for the bar).
    pub range_touch_tests: u64,
}

const WARMING: &str = "warming";
const READY: &str = "ready";

/// The auction strategy (SPEC 3.1). Build with [`AuctionStrategy::new`].
#[derive(Debug, Clone)]
pub struct AuctionStrategy {
    config: AuctionConfig,
    ready: bool,
    tracker: TouchTracker,
    /// Up (long) and down (short).
    breakouts: [BreakoutMachine; 2],
    /// Up excursion (short trade) and down excursion (long trade).
    watches: [FailedBreakoutWatch; 2],
    /// Direction of the last intent, while its entry may still be pending (`PositionView`
    /// carries no direction for an unfilled entry).
    pending_direction: Option<Direction>,
    counters: AuctionCounters,
}

const SIDES: [Direction; 2] = [Direction::Long, Direction::Short];

fn index(side: Direction) -> usize {
    match side {
        Direction::Long => 0,
        Direction::Short => 1,
    }
}

impl AuctionStrategy {
    /// A strategy with a validated config. Tick size and quotes come from the context of each
    /// call (`context.instrument.tick_size`).
    pub fn new(config: AuctionConfig) -> Result<Self, StrategyError> {
        config.validate()?;
        Ok(Self {
            config,
            ready: false,
            tracker: TouchTracker::default(),
            breakouts: SIDES.map(BreakoutMachine::new),
            watches: SIDES.map(FailedBreakoutWatch::new),
            pending_direction: None,
            counters: AuctionCounters::default(),
        })
    }

    pub fn config(&self) -> &AuctionConfig {
        &self.config
    }

    pub fn counters(&self) -> AuctionCounters {
        self.counters
    }

    /// The breakout machine of `side` (up = long).
    pub fn breakout(&self, side: Direction) -> &BreakoutMachine {
        &self.breakouts[index(side)]
    }

    /// The failed-breakout watch of an excursion toward `side`.
    pub fn failed_breakout_watch(&self, side: Direction) -> &FailedBreakoutWatch {
        &self.watches[index(side)]
    }

    fn rules(&self) -> BreakoutRules {
        BreakoutRules {
            acceptance_closes: self.config.acceptance_closes,
            retest_max_bars: self.config.retest_max_bars,
        }
    }

    fn tick(context: &StrategyContext<'_>) -> Price {
        let tick = context.instrument.tick_size;
        if tick.is_positive() {
            tick
        } else {
            Price::from_raw(1)
        }
    }

    /// Logs warm-up transitions; when the profile stops being valid, active machines reset.
    fn update_readiness(&mut self, ready: bool, snapshot: &FeatureSnapshot, actions: &mut Actions) {
        if ready == self.ready {
            return;
        }
        let (from, to) = if ready {
            (WARMING, READY)
        } else {
            (READY, WARMING)
        };
        actions.signals.push(transition(
            snapshot.ts,
            WARM_UP,
            from,
            to,
            None,
            Detail::new()
                .put("warmed_up", snapshot.warmed_up)
                .put("profile_valid", snapshot.prior_profile.valid)
                .put("bars_seen", snapshot.bars_seen),
        ));
        self.ready = ready;
        if !ready {
            for machine in &mut self.breakouts {
                if machine.is_active() {
                    machine.reset(snapshot.ts, "profile_invalid", &mut actions.signals);
                }
            }
            for watch in &mut self.watches {
                watch.reset(snapshot.ts, "profile_invalid", &mut actions.signals);
            }
        }
    }

    /// The direction of the open position or of the pending entry.
    fn position_direction(&self, context: &StrategyContext<'_>) -> Option<Direction> {
        let position = context.position;
        position.direction().or_else(|| {
            position
                .entry_pending
                .then_some(self.pending_direction)
                .flatten()
        })
    }

    /// SPEC 3.1 breakout exit: a close back inside value (close <= locked VAH for a long);
    /// the machine also returns to idle once its position is gone.
    fn manage_positions(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let position = context.position;
        if position.is_flat() {
            self.pending_direction = None;
        }
        let breakout_setup = matches!(
            position.setup,
            None | Some(SetupKind::Breakout | SetupKind::BreakoutRetest)
        );
        let direction = self.position_direction(context);
        for machine in &mut self.breakouts {
            let Some(locked) = machine.position_level() else {
                continue;
            };
            let side = machine.side();
            if direction != Some(side) || !breakout_setup {
                machine.reset(snapshot.ts, "position_gone", &mut actions.signals);
                continue;
            }
            let held = position.direction() == Some(side);
            if held && !beyond(side, snapshot.bar.close, locked) {
                actions.exits.push(ExitRequest {
                    ts: snapshot.ts,
                    reason: ExitReason::CloseInsideValue,
                });
                self.counters.exits += 1;
                machine.reset(
                    snapshot.ts,
                    ExitReason::CloseInsideValue.as_str(),
                    &mut actions.signals,
                );
            }
        }
    }

    /// The gap-rule touch of `level` during this bar: from the trades seen, else (no trade
    /// events for the bar, or another level was watched) from the bar's range.
    fn touched(
        &mut self,
        snapshot: &FeatureSnapshot,
        watch: Watch,
        level: Price,
        distance: Price,
    ) -> bool {
        let bar = &snapshot.bar;
        if let Some(touched) = self.tracker.touched(bar.ts_open, watch, level) {
            return touched;
        }
        if bar.volume.is_zero() {
            return false;
        }
        self.counters.range_touch_tests += 1;
        range_touches(bar.low, bar.high, level, distance)
    }

    fn spread_distance(&self, snapshot: &FeatureSnapshot, tick: Price, multiple: f64) -> Price {
        let spread = snapshot
            .typical_spread
            .filter(|spread| spread.is_positive())
            .unwrap_or_else(|| ticks_price(self.config.spread_fallback_ticks, tick));
        scale(spread, multiple)
    }

    /// Everything that happens at a bar close with a valid profile.
    fn evaluate(
        &mut self,
        snapshot: &FeatureSnapshot,
        levels: Levels,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.bars_evaluated += 1;
        let tick = Self::tick(context);
        // SPEC 3.1: 1 × typical spread by default (the fallback ticks while it is unknown),
        // rounded up to whole ticks so stops sit on the price grid.
        let buffer = self.config.stop_buffer.resolve(
            snapshot.typical_spread,
            tick,
            self.config.spread_fallback_ticks,
        );
        let tick_raw = tick.raw().max(1);
        let buffer = Price::from_raw(
            buffer
                .raw()
                .saturating_add(tick_raw - 1)
                .div_euclid(tick_raw)
                .saturating_mul(tick_raw),
        );
        let ts = snapshot.ts;
        let bar = &snapshot.bar;
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut retest_failures: [Option<Price>; 2] = [None, None];

        // Breakout acceptance (SPEC 3.1).
        if self.config.enable_breakout {
            // N as known at the bar's start (armed at the previous close), else from now.
            let touch_distance = self.tracker.distance_for(bar.ts_open).unwrap_or_else(|| {
                self.config.touch_distance.resolve(
                    snapshot.typical_spread,
                    tick,
                    self.config.spread_fallback_ticks,
                )
            });
            let retest_distance =
                self.spread_distance(snapshot, tick, self.config.retest_distance_spreads);
            for side in SIDES {
                let (candidate_watch, locked_watch) = match side {
                    Direction::Long => (Watch::CandidateUp, Watch::LockedUp),
                    Direction::Short => (Watch::CandidateDown, Watch::LockedDown),
                };
                let touched_candidate =
                    self.touched(snapshot, candidate_watch, levels.edge(side), touch_distance);
                let touched_locked = match self.breakouts[index(side)].counting_level() {
                    Some(locked) => self.touched(snapshot, locked_watch, locked, touch_distance),
                    None => false,
                };
                let input = BreakoutBar {
                    ts,
                    bar,
                    levels,
                    touched_candidate,
                    touched_locked,
                    touch_distance,
                    retest_distance,
                };
                let rules = self.rules();
                let machine = &mut self.breakouts[index(side)];
                match machine.step(&input, rules, &mut actions.signals) {
                    BreakoutStep::Nothing => {}
                    BreakoutStep::Accepted {
                        locked,
                        adverse,
                        favourable: _,
                    } => {
                        let is_confirmed = confirmed(snapshot, side);
                        match self.config.breakout_entry {
                            BreakoutEntry::Retest if is_confirmed => {
                                machine.await_retest(ts, &mut actions.signals);
                            }
                            BreakoutEntry::Retest => {
                                // Not an entry: the near-miss is logged here, not ranked.
                                let detail = describe(
                                    snapshot,
                                    side,
                                    Detail::new().put("locked", locked).put("close", bar.close),
                                );
                                actions.signals.push(record(
                                    ts,
                                    SignalRecordKind::NearMiss,
                                    Some(SetupKind::BreakoutRetest),
                                    Some(side),
                                    machine.name(),
                                    machine.state().name(),
                                    OUTCOME_NEAR_MISS,
                                    detail,
                                ));
                                self.counters.near_misses += 1;
                                machine.reset(ts, OUTCOME_NEAR_MISS, &mut actions.signals);
                            }
                            BreakoutEntry::Immediate => {
                                candidates.push(self.breakout_candidate(
                                    snapshot,
                                    &levels,
                                    side,
                                    SetupKind::Breakout,
                                    locked,
                                    adverse,
                                    buffer,
                                    is_confirmed,
                                ));
                            }
                        }
                    }
                    BreakoutStep::RetestEntry { locked, pullback } => {
                        // SPEC 3.1: the retest bar enters (confirmation was at acceptance).
                        let mut candidate = self.breakout_candidate(
                            snapshot,
                            &levels,
                            side,
                            SetupKind::BreakoutRetest,
                            locked,
                            pullback,
                            buffer,
                            true,
                        );
                        candidate.from_state = super::breakout::RETEST_ENTRY;
                        candidates.push(candidate);
                    }
                    BreakoutStep::RetestFailed { favourable, .. } => {
                        retest_failures[index(side)] = Some(favourable);
                    }
                }
            }
        }

        // Failed breakouts (SPEC 3.1), including failed retests.
        if self.config.enable_failed_breakout {
            for excursion in SIDES {
                let hit = self.watches[index(excursion)].step(
                    ts,
                    bar,
                    &levels,
                    self.config.failed_breakout_max_bars,
                    &mut actions.signals,
                );
                let retest = retest_failures[index(excursion)];
                if let Some(candidate) =
                    failed_breakout_candidate(snapshot, &levels, excursion, hit, retest, buffer)
                {
                    candidates.push(candidate);
                }
            }
        }

        // Break-ins (SPEC 3.1): a pierce below VAL is a long, above VAH a short.
        if self.config.enable_break_in {
            for excursion in [Direction::Short, Direction::Long] {
                if let Some(candidate) = break_in::evaluate(snapshot, &levels, excursion, buffer) {
                    candidates.push(candidate);
                }
            }
        }

        self.decide(snapshot, context, candidates, actions);
    }

    #[allow(clippy::too_many_arguments)]
    fn breakout_candidate(
        &self,
        snapshot: &FeatureSnapshot,
        levels: &Levels,
        side: Direction,
        setup: SetupKind,
        locked: Price,
        adverse: Price,
        buffer: Price,
        is_confirmed: bool,
    ) -> Candidate {
        // SPEC 3.1: TP1/TP2 = locked ± 0.5/1.0 × VA height (VA at entry).
        let height = levels.height();
        let detail = Detail::new()
            .put("locked", locked)
            .put("close", snapshot.bar.close)
            .put("stop_ref", adverse)
            .put("va_height", height);
        Candidate {
            setup,
            direction: side,
            origin: Origin::Breakout(side),
            machine: self.breakouts[index(side)].name(),
            from_state: self.breakouts[index(side)].state().name(),
            confirmed: is_confirmed,
            stop: offset(side.opposite(), adverse, buffer),
            take_profit_1: offset(
                side,
                locked,
                scale(height, self.config.breakout_tp1_va_multiple),
            ),
            take_profit_2: offset(
                side,
                locked,
                scale(height, self.config.breakout_tp2_va_multiple),
            ),
            detail: describe(snapshot, side, detail),
        }
    }

    /// Near-misses, priority, the position rule, the order; then resolves the machines.
    fn decide(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        candidates: Vec<Candidate>,
        actions: &mut Actions,
    ) {
        let ts = snapshot.ts;
        let mut fired: Vec<Candidate> = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            if candidate.confirmed {
                fired.push(candidate);
            } else {
                // SPEC 3.1: a setup that failed only its confirmation is a near-miss.
                self.counters.near_misses += 1;
                let kind = SignalRecordKind::NearMiss;
                self.settle(ts, &candidate, kind, OUTCOME_NEAR_MISS, None, actions);
            }
        }
        // SPEC 3.1: Break-in > Failed breakout > Breakout; long first within a rank.
        fired.sort_by_key(|candidate| (candidate.rank(), candidate.direction));
        let mut fired = fired.into_iter();
        let Some(winner) = fired.next() else {
            return;
        };
        for other in fired {
            self.counters.superseded += 1;
            let reason = Detail::new().put("superseded_by", winner.setup.as_str());
            let kind = SignalRecordKind::Suppressed;
            self.settle(ts, &other, kind, OUTCOME_SUPERSEDED, Some(reason), actions);
        }
        if self.position_direction(context) == Some(winner.direction) {
            let reason = Detail::new().put("reason", "position_open");
            self.suppress(ts, &winner, reason, actions);
            return;
        }
        let (entry, entry_price) = self.entry_order(snapshot, context, winner.direction);
        match check_geometry(
            winner.direction,
            entry_price,
            winner.stop,
            winner.take_profit_1,
            winner.take_profit_2,
        ) {
            Err(problem) => {
                let reason = Detail::new()
                    .put("reason", "invalid_geometry")
                    .put("problem", problem)
                    .put("entry", entry_price);
                self.suppress(ts, &winner, reason, actions);
            }
            Ok(take_profit_1) => {
                let intent = TradeIntent {
                    ts,
                    setup: winner.setup,
                    direction: winner.direction,
                    entry,
                    entry_price,
                    stop: winner.stop,
                    take_profit_1,
                    take_profit_2: winner.take_profit_2,
                    size_factor: Rate::ONE,
                };
                let order = match entry {
                    EntryOrder::Market => "market",
                    EntryOrder::Limit { .. } => "limit",
                };
                let mut extra = Detail::new()
                    .put("entry", entry_price)
                    .put("entry_order", order)
                    .put("stop", intent.stop)
                    .put_option("tp1", intent.take_profit_1)
                    .put("tp2", intent.take_profit_2);
                if context.entries_blocked {
                    extra.push("entries_blocked", true);
                }
                let kind = SignalRecordKind::Signal;
                self.settle(ts, &winner, kind, OUTCOME_SIGNAL, Some(extra), actions);
                actions.intents.push(intent);
                self.counters.intents += 1;
                self.pending_direction = Some(winner.direction);
            }
        }
    }

    /// A decided candidate: its outcome row (with the `extra` detail), then its machine
    /// resolved by the outcome.
    fn settle(
        &mut self,
        ts: UnixNanos,
        candidate: &Candidate,
        kind: SignalRecordKind,
        outcome: &'static str,
        extra: Option<Detail>,
        actions: &mut Actions,
    ) {
        let mut detail = candidate.detail.clone();
        if let Some(extra) = extra {
            detail.push_detail(&extra);
        }
        actions.signals.push(record(
            ts,
            kind,
            Some(candidate.setup),
            Some(candidate.direction),
            candidate.machine,
            candidate.from_state,
            outcome,
            detail,
        ));
        self.resolve(candidate, outcome, ts, actions);
    }

    /// A fired setup suppressed for `reason` (counted).
    fn suppress(
        &mut self,
        ts: UnixNanos,
        candidate: &Candidate,
        reason: Detail,
        actions: &mut Actions,
    ) {
        self.counters.suppressed += 1;
        let kind = SignalRecordKind::Suppressed;
        self.settle(
            ts,
            candidate,
            kind,
            OUTCOME_SUPPRESSED,
            Some(reason),
            actions,
        );
    }

    /// A breakout candidate's machine enters its position (`outcome` = signal) or returns
    /// to idle with the outcome as the reason.
    fn resolve(
        &mut self,
        candidate: &Candidate,
        outcome: &'static str,
        ts: UnixNanos,
        actions: &mut Actions,
    ) {
        if let Origin::Breakout(side) = candidate.origin {
            let machine = &mut self.breakouts[index(side)];
            if outcome == OUTCOME_SIGNAL {
                machine.enter_position(ts, &mut actions.signals);
            } else {
                machine.reset(ts, outcome, &mut actions.signals);
            }
        }
    }

    /// SPEC 5: a limit at the best bid (long) / best ask (short) at the bar close, from the
    /// snapshot, else the engine's latest quote, else a market order at the close; converted
    /// to market after the timeout. Market entries are sized at the opposite best price.
    fn entry_order(
        &self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        direction: Direction,
    ) -> (EntryOrder, Price) {
        let bid = snapshot
            .bid_price
            .or(context.best_bid)
            .filter(|price| price.is_positive());
        let ask = snapshot
            .ask_price
            .or(context.best_ask)
            .filter(|price| price.is_positive());
        let (passive, aggressive) = match direction {
            Direction::Long => (bid, ask),
            Direction::Short => (ask, bid),
        };
        match (self.config.entry_order, passive) {
            (EntryOrderMode::Limit, Some(price)) => (
                EntryOrder::Limit {
                    price,
                    post_only: false,
                    timeout_nanos: self.config.entry_timeout_nanos(),
                    on_timeout: TimeoutAction::ConvertToMarket,
                },
                price,
            ),
            _ => (EntryOrder::Market, aggressive.unwrap_or(snapshot.bar.close)),
        }
    }

    /// Arms the touch tracker for the next bar: the levels of the profile computed at this
    /// close (SPEC 2.2) and the locked levels of sequences being counted.
    fn arm_tracker(&mut self, snapshot: &FeatureSnapshot, tick: Price) {
        let next = if snapshot.warmed_up {
            Levels::from_profile(&snapshot.profile)
        } else {
            None
        };
        let levels = [
            next.map(|levels| levels.vah),
            next.map(|levels| levels.val),
            self.breakouts[0].counting_level(),
            self.breakouts[1].counting_level(),
        ];
        let distance = self.config.touch_distance.resolve(
            snapshot.typical_spread,
            tick,
            self.config.spread_fallback_ticks,
        );
        self.tracker.arm(snapshot.ts, levels, distance);
    }
}

/// The failed-breakout candidate after an excursion toward `excursion`: from the watch's
/// close back inside within the window and/or a failed retest; the stop uses the more
/// extreme of their breakout extremes (both are "since the first close outside").
fn failed_breakout_candidate(
    snapshot: &FeatureSnapshot,
    levels: &Levels,
    excursion: Direction,
    hit: Option<WatchHit>,
    retest_extreme: Option<Price>,
    buffer: Price,
) -> Option<Candidate> {
    let close = snapshot.bar.close;
    let extreme = match (hit, retest_extreme) {
        (Some(hit), Some(retest)) => super::levels::further(excursion, hit.extreme, retest),
        (Some(hit), None) => hit.extreme,
        (None, Some(retest)) if levels.is_inside(close) => retest,
        _ => return None,
    };
    let direction = excursion.opposite();
    let (machine, from_state) = match (hit, excursion) {
        (Some(_), Direction::Long) => (
            super::signal_log::FAILED_BREAKOUT_UP,
            super::failed_breakout::WATCHING,
        ),
        (Some(_), Direction::Short) => (
            super::signal_log::FAILED_BREAKOUT_DOWN,
            super::failed_breakout::WATCHING,
        ),
        (None, Direction::Long) => (
            super::signal_log::BREAKOUT_UP,
            super::breakout::AWAITING_RETEST,
        ),
        (None, Direction::Short) => (
            super::signal_log::BREAKOUT_DOWN,
            super::breakout::AWAITING_RETEST,
        ),
    };
    let mut detail = Detail::new()
        .put("close", close)
        .put("extreme", extreme)
        .put("val", levels.val)
        .put("vah", levels.vah)
        .put("poc", levels.poc)
        .put("retest_failed", retest_extreme.is_some());
    if let Some(hit) = hit {
        detail.push("level", hit.level);
        detail.push("bars", hit.bars);
    }
    Some(Candidate {
        setup: SetupKind::FailedBreakout,
        direction,
        origin: Origin::FailedBreakout(excursion),
        machine,
        from_state,
        confirmed: confirmed(snapshot, direction),
        // SPEC 3.1: stop = the breakout's extreme since the first close outside + buffer.
        stop: offset(excursion, extreme, buffer),
        take_profit_1: levels.poc,
        take_profit_2: levels.edge(direction),
        detail: describe(snapshot, direction, detail),
    })
}

impl Strategy for AuctionStrategy {
    fn name(&self) -> &'static str {
        "auction"
    }

    /// Trades (or bars) feed the gap rule's touch tracker only.
    fn wants_market_events(&self) -> bool {
        true
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        match event {
            MarketEvent::Trade(trade) => self.tracker.on_trade(trade.price),
            MarketEvent::Bar(bar) => self.tracker.on_bar(bar),
            _ => {}
        }
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.bars += 1;
        let first_signal = actions.signals.len();
        // SPEC 3.1: no signals before the full warm-up; SPEC 2.2: bar t is judged against the
        // profile computed at the close of bar t−1.
        let levels = if snapshot.warmed_up {
            Levels::from_profile(&snapshot.prior_profile)
        } else {
            None
        };
        self.update_readiness(levels.is_some(), snapshot, actions);
        self.manage_positions(snapshot, context, actions);
        if let Some(levels) = levels {
            self.evaluate(snapshot, levels, context, actions);
        }
        self.arm_tracker(snapshot, Self::tick(context));
        self.counters.transitions += actions.signals[first_signal..]
            .iter()
            .filter(|signal| signal.kind == SignalRecordKind::Transition)
            .count() as u64;
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.pending_direction = None;
        for machine in &mut self.breakouts {
            if matches!(machine.state(), BreakoutState::InPosition { .. }) {
                machine.reset(context.now, reason.as_str(), &mut actions.signals);
                self.counters.transitions += 1;
            }
        }
    }
}
