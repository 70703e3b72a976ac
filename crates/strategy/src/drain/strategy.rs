//! [`DrainStrategy`]: the liquidity-drain reversal of SPEC 3.2 on the engine. It runs the
//! toxicity filters of SPEC 2.5 on the raw events and acts on each drain verdict:
//! 1. SPOOF_CLEANUP → near-miss (the decline had no real pressure behind it);
//! 2. REAL_PRESSURE → the entry delay: the mid over `[signal, signal + 1.5 s]` must stay
//!    within 5 bps of the mid at the signal, else near-miss `unstable`;
//! 3. the confidence score decides the placement (one tick inside / at the touch / near-miss
//!    `low_confidence`);
//! 4. a post-only limit entry cancelled after 1 s, TP 8 bps and stop 12 bps from the entry
//!    price, and a time exit after the fill at the signal half-life measured in the signal's
//!    session (the configured 30 s until enough signals back it), the size scaled by the
//!    optional volatility and session factors.
//!
//! Every REAL_PRESSURE verdict also starts a half-life path; each finished path is a
//! `drain_half_life` row with the session's estimate and the ADF test of the recent mids.
//!
//! The verdict needs the 1.5 s trailing check, so it is known at the first one-second close
//! after `signal + 1.5 s` (`signal + 2 s`): the order leaves then, never earlier (no
//! look-ahead). Bid drains give longs (sellers exhausted the bid: reversal up), ask drains
//! shorts. Every verdict, skip and order transition is a signals.db row.

use std::collections::VecDeque;

use auction_trader_features::toxicity::{
    DrainRegime, DrainVerdict, ToxicityEngine, ToxicitySecond,
};
use auction_trader_types::{
    BookSide, ExecutionReport, Instrument, MarketEvent, NANOS_PER_MILLI, NANOS_PER_SECOND, Price,
    Rate, Session, TimeoutAction, UnixNanos,
};

use super::confidence::{Confidence, ConfidenceInputs, Placement, confidence, placement};
use super::half_life::CompletedPath;
use super::measures::SecondMeasures;
use super::sizing::size_factor;
use super::{DrainConfig, TimeExitSource};
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord,
    SignalRecordKind, Strategy, StrategyContext, TradeIntent,
};
use crate::auction::signal_log::Detail;
use crate::error::{StrategyError, invalid};

/// signals.db machine names.
pub const MACHINE_LONG: &str = "drain_long";
pub const MACHINE_SHORT: &str = "drain_short";
/// signals.db machine of the finished half-life paths.
pub const MACHINE_HALF_LIFE: &str = "drain_half_life";

/// What the strategy did, for reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainCounters {
    /// Drain verdicts seen (both regimes).
    pub verdicts: u64,
    pub spoof_cleanup: u64,
    pub unstable: u64,
    pub low_confidence: u64,
    /// Signals that could not be acted on (position open, entries blocked).
    pub suppressed: u64,
    /// Entries placed one tick inside / at the touch.
    pub placed_improve: u64,
    pub placed_touch: u64,
    /// Improve placements that fell back to the touch because one tick inside would cross.
    pub improve_fell_back: u64,
    pub time_exits: u64,
    /// Entries whose time exit used a measured half-life (the rest used the fallback).
    pub measured_time_exits: u64,
    /// Half-life paths completed.
    pub half_life_paths: u64,
}

/// The liquidity-drain reversal (SPEC 3.2).
#[derive(Debug)]
pub struct DrainStrategy {
    config: DrainConfig,
    toxicity: Option<ToxicityEngine>,
    records: Vec<ToxicitySecond>,
    /// The last few records (the signal second's CTR and churn are read from here).
    recent: VecDeque<ToxicitySecond>,
    /// Last ghost confirmation per side (bid, ask).
    last_ghost: [Option<UnixNanos>; 2],
    /// `(ts, mid raw)` of the last seconds, from the engine's best bid/ask.
    mids: VecDeque<(i64, i64)>,
    exit_requested: bool,
    counters: DrainCounters,
    measures: SecondMeasures,
    completed: Vec<CompletedPath>,
    /// Time exit of the entry in flight, in seconds after the fill.
    trade_time_exit: u32,
    /// The entry order working: its direction and placement (`improve` / `touch`).
    working: Option<(Direction, &'static str)>,
}

impl DrainStrategy {
    pub fn new(config: DrainConfig) -> Result<Self, StrategyError> {
        config.validate()?;
        Ok(Self {
            measures: SecondMeasures::new(&config),
            completed: Vec::new(),
            trade_time_exit: config.time_exit_seconds,
            working: None,
            config,
            toxicity: None,
            records: Vec::new(),
            recent: VecDeque::new(),
            last_ghost: [None, None],
            mids: VecDeque::new(),
            exit_requested: false,
            counters: DrainCounters::default(),
        })
    }

    pub fn counters(&self) -> DrainCounters {
        self.counters
    }

    pub fn config(&self) -> &DrainConfig {
        &self.config
    }

    fn engine(&mut self, instrument: &Instrument) -> Result<&mut ToxicityEngine, StrategyError> {
        if self.toxicity.is_none() {
            let engine = ToxicityEngine::new(
                &self.config.toxicity,
                &instrument.key,
                Some(instrument.tick_size),
            )
            .map_err(|error| invalid("drain.toxicity", error.to_string()))?;
            self.toxicity = Some(engine);
        }
        // Just created when absent.
        self.toxicity
            .as_mut()
            .ok_or_else(|| invalid("drain.toxicity", "engine"))
    }

    fn track_mid(&mut self, context: &StrategyContext<'_>) {
        let (Some(bid), Some(ask)) = (context.best_bid, context.best_ask) else {
            return;
        };
        let mid = ((i128::from(bid.raw()) + i128::from(ask.raw())) / 2) as i64;
        let now = context.now.as_i64();
        if self.mids.back().is_some_and(|&(_, last)| last == mid) {
            return;
        }
        self.mids.push_back((now, mid));
        let keep = 10 * NANOS_PER_SECOND + i64::from(self.config.entry_delay_ms) * NANOS_PER_MILLI;
        while self.mids.len() > 1 && self.mids.front().is_some_and(|&(ts, _)| now - ts > keep) {
            self.mids.pop_front();
        }
    }

    /// Largest |mid − mid at the signal| in bps over `[signal, signal + delay]`; `None`
    /// without a mid at the signal.
    fn move_during_delay(&self, signal: i64) -> Option<f64> {
        let until = signal + i64::from(self.config.entry_delay_ms) * NANOS_PER_MILLI;
        let at_signal = self
            .mids
            .iter()
            .rev()
            .find(|&&(ts, _)| ts <= signal)
            .map(|&(_, mid)| mid)?;
        if at_signal <= 0 {
            return None;
        }
        let largest = self
            .mids
            .iter()
            .filter(|&&(ts, _)| ts > signal && ts <= until)
            .map(|&(_, mid)| (mid - at_signal).abs())
            .max()
            .unwrap_or(0);
        Some(largest as f64 / at_signal as f64 * 10_000.0)
    }

    fn on_record(
        &mut self,
        record: ToxicitySecond,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        let mut completed = std::mem::take(&mut self.completed);
        self.measures.on_second(
            record.ts.as_i64(),
            context.best_bid,
            context.best_ask,
            &mut completed,
        );
        for path in completed.drain(..) {
            self.on_path_completed(&path, context, actions);
        }
        self.completed = completed;
        if record.ghosts_bid > 0 {
            self.last_ghost[0] = Some(record.ts);
        }
        if record.ghosts_ask > 0 {
            self.last_ghost[1] = Some(record.ts);
        }
        self.recent.push_back(record);
        while self.recent.len() > 8 {
            self.recent.pop_front();
        }
        for verdict in [record.drain_bid, record.drain_ask].into_iter().flatten() {
            self.on_verdict(&verdict, context, actions);
        }
    }

    fn on_verdict(
        &mut self,
        verdict: &DrainVerdict,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.verdicts += 1;
        let (direction, machine, side_slot) = match verdict.side {
            BookSide::Bid => (Direction::Long, MACHINE_LONG, 0),
            BookSide::Ask => (Direction::Short, MACHINE_SHORT, 1),
        };
        let mut detail = Detail::new()
            .put("signal_ts", verdict.signal_ts.as_i64())
            .put("regime", regime_name(verdict.regime))
            .put("decline", format!("{:.4}", verdict.decline))
            .put("pressure", format!("{:.6}", verdict.pressure_volume))
            .put("opposing", format!("{:.6}", verdict.opposing_volume))
            .put("follow_through", format!("{:.6}", verdict.follow_through))
            .put("passive_drain", format!("{:.6}", verdict.passive_drain));
        let near_miss = |detail: Detail, reason: &'static str, actions: &mut Actions| {
            actions.signals.push(row(
                context.now,
                SignalRecordKind::NearMiss,
                direction,
                machine,
                "verdict",
                reason,
                detail.finish(),
            ));
        };
        if direction == Direction::Short && !self.config.shorts {
            self.counters.suppressed += 1;
            near_miss(detail.put("why", "shorts_off"), "suppressed", actions);
            return;
        }
        if verdict.regime == DrainRegime::SpoofCleanup {
            self.counters.spoof_cleanup += 1;
            near_miss(detail, "spoof_cleanup", actions);
            return;
        }
        // Every REAL_PRESSURE signal feeds the half-life of its session (SPEC 3.2), traded
        // or not.
        let session = Session::of(verdict.signal_ts);
        self.measures
            .start_path(verdict.signal_ts.as_i64(), direction == Direction::Long);
        let (volatility, volatility_rank) = self.measures.volatility();
        let optional = |value: Option<f64>, digits: usize| {
            value.map_or_else(|| "none".to_owned(), |value| format!("{value:.digits$}"))
        };
        detail.push("session", session.as_str());
        detail.push("rv_5m", optional(volatility.map(|rv| rv * 10_000.0), 4));
        detail.push("rv_rank", optional(volatility_rank, 4));
        detail.push(
            "rv_1m",
            optional(self.measures.short_volatility().map(|rv| rv * 10_000.0), 4),
        );
        detail.push("spread_ratio", optional(self.measures.spread_ratio(), 4));
        detail.push("absorption", optional(verdict.absorption, 6));
        // SPEC 3.2 entry delay: skip when the mid moved more than 5 bps during it.
        let moved = self.move_during_delay(verdict.signal_ts.as_i64());
        detail.push(
            "mid_move_bps",
            moved.map_or_else(|| "none".to_owned(), |bps| format!("{bps:.3}")),
        );
        if moved.is_none_or(|bps| bps > f64::from(self.config.stability_bps)) {
            self.counters.unstable += 1;
            near_miss(detail, "unstable", actions);
            return;
        }
        let at_signal = self
            .recent
            .iter()
            .find(|record| record.ts == verdict.signal_ts)
            .copied();
        let (book_ctr, high_churn) = at_signal.map_or((None, None), |record| {
            let ctr = match verdict.side {
                BookSide::Bid => record.book_ctr_bid,
                BookSide::Ask => record.book_ctr_ask,
            };
            (ctr, record.churn)
        });
        detail.push(
            "obi_velocity",
            optional(at_signal.and_then(|record| record.obi_velocity), 4),
        );
        let memory = i64::from(self.config.ghost_memory_seconds) * NANOS_PER_SECOND;
        let recent_ghost = self.last_ghost[side_slot]
            .is_some_and(|ts| context.now.as_i64() - ts.as_i64() <= memory);
        let score = confidence(
            &ConfidenceInputs {
                decline: verdict.decline,
                pressure: verdict.pressure_volume,
                opposing: verdict.opposing_volume,
                book_ctr,
                recent_ghost,
                high_churn,
            },
            self.config.toxicity.drain_decline,
            self.config.toxicity.drain_ratio,
        );
        push_confidence(&mut detail, &score, book_ctr, recent_ghost, high_churn);
        let (Some(bid), Some(ask)) = (context.best_bid, context.best_ask) else {
            near_miss(detail.put("why", "no_quote"), "suppressed", actions);
            self.counters.suppressed += 1;
            return;
        };
        let place = placement(
            direction,
            score.score,
            bid,
            ask,
            context.instrument.tick_size,
            self.config.improve_above,
            self.config.touch_above,
        );
        detail.push("placement", place.as_str());
        let Some(price) = place.price() else {
            self.counters.low_confidence += 1;
            near_miss(detail, "low_confidence", actions);
            return;
        };
        if !context.position.is_flat() || context.entries_blocked {
            self.counters.suppressed += 1;
            let why = if context.entries_blocked {
                "entries_blocked"
            } else {
                "position_open"
            };
            actions.signals.push(row(
                context.now,
                SignalRecordKind::Suppressed,
                direction,
                machine,
                "verdict",
                "suppressed",
                detail.put("why", why).finish(),
            ));
            return;
        }
        match place {
            Placement::Improve(_) => self.counters.placed_improve += 1,
            Placement::Touch(_) => {
                self.counters.placed_touch += 1;
                if score.score > self.config.improve_above {
                    self.counters.improve_fell_back += 1;
                    detail.push("fell_back", "would_cross");
                }
            }
            Placement::Skip => {}
        }
        let (stop, target) = exits(
            direction,
            price,
            context.instrument.tick_size,
            self.config.stop_bps,
            self.config.take_profit_bps,
        );
        detail.push("entry", price);
        detail.push("stop", stop);
        detail.push("target", target);
        // SPEC 3.2 sizing options and the time exit of this entry.
        let factor = size_factor(
            volatility_rank,
            self.config.volatility_sizing,
            self.config.volatility_size_percentile,
            self.config.volatility_size_factor,
            self.config.session_size.of(session),
        );
        let (time_exit, measured) = match self.config.time_exit {
            TimeExitSource::Measured => self.measures.half_life().time_exit_seconds(
                session,
                self.config.half_life_min_signals,
                self.config.time_exit_seconds,
            ),
            TimeExitSource::Fixed => (self.config.time_exit_seconds, false),
        };
        self.trade_time_exit = time_exit;
        if measured {
            self.counters.measured_time_exits += 1;
        }
        detail.push("size_factor", format!("{factor:.4}"));
        detail.push("time_exit_s", time_exit);
        detail.push(
            "time_exit_source",
            if measured { "measured" } else { "fallback" },
        );
        actions.intents.push(TradeIntent {
            ts: context.now,
            setup: SetupKind::Drain,
            direction,
            entry: EntryOrder::Limit {
                price,
                post_only: true,
                timeout_nanos: i64::from(self.config.entry_timeout_ms) * NANOS_PER_MILLI,
                on_timeout: TimeoutAction::Cancel,
            },
            entry_price: price,
            stop,
            take_profit_1: None,
            take_profit_2: target,
            size_factor: Rate::from_f64_rounded(factor).unwrap_or(Rate::ONE),
        });
        actions.signals.push(row(
            context.now,
            SignalRecordKind::Signal,
            direction,
            machine,
            "verdict",
            "signal",
            detail.finish(),
        ));
        self.working = Some((direction, place.as_str()));
        self.exit_requested = false;
    }

    /// SPEC 3.2 time exit at the half-life after the fill.
    fn check_time_exit(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        if self.exit_requested || context.position.quantity.is_zero() {
            return;
        }
        let Some(entry_ts) = context.position.entry_ts else {
            return;
        };
        let due = entry_ts
            .as_i64()
            .saturating_add(i64::from(self.trade_time_exit) * NANOS_PER_SECOND);
        if context.now.as_i64() >= due {
            self.exit_requested = true;
            self.counters.time_exits += 1;
            let direction = context.position.direction().unwrap_or(Direction::Long);
            actions.exits.push(ExitRequest {
                ts: context.now,
                reason: ExitReason::Strategy,
            });
            actions.signals.push(row(
                context.now,
                SignalRecordKind::Transition,
                direction,
                machine_of(direction),
                "in_position",
                "time_exit",
                Detail::new()
                    .put("entry_ts", entry_ts.as_i64())
                    .put("half_life_s", self.trade_time_exit)
                    .finish(),
            ));
        }
    }
}

impl DrainStrategy {
    /// A finished half-life path: one `drain_half_life` row with the session's estimate, the
    /// ADF test of the recent mids beside it (SPEC 2.6) and the path itself (bps per second).
    fn on_path_completed(
        &mut self,
        path: &CompletedPath,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.half_life_paths += 1;
        let estimate = path.estimate;
        let adf = self.measures.adf();
        let direction = if path.sign > 0.0 {
            Direction::Long
        } else {
            Direction::Short
        };
        // `+ 0.0` turns −0.0 into 0.0 (no "-0.000" in the row).
        let moves: Vec<String> = path
            .moves
            .iter()
            .map(|bps| format!("{:.3}", bps + 0.0))
            .collect();
        let detail = Detail::new()
            .put("signal_ts", path.signal_ts)
            .put("session", path.session.as_str())
            .put("signals", estimate.signals)
            .put("peak_bps", format!("{:.4}", estimate.peak_bps))
            .put("peak_s", estimate.peak_seconds)
            .put(
                "half_life_s",
                estimate
                    .half_life_seconds
                    .map_or_else(|| "none".to_owned(), |seconds| format!("{seconds:.3}")),
            )
            .put(
                "adf_stat",
                adf.map_or_else(|| "none".to_owned(), |adf| format!("{:.4}", adf.statistic)),
            )
            .put(
                "adf_p",
                adf.map_or_else(|| "none".to_owned(), |adf| format!("{:.4}", adf.p_value)),
            )
            .put("adf_n", adf.map_or(0, |adf| adf.observations))
            .put("path_bps", moves.join(","));
        actions.signals.push(row(
            context.now,
            SignalRecordKind::Transition,
            direction,
            MACHINE_HALF_LIFE,
            "measuring",
            "measured",
            detail.finish(),
        ));
    }
}

fn machine_of(direction: Direction) -> &'static str {
    match direction {
        Direction::Long => MACHINE_LONG,
        Direction::Short => MACHINE_SHORT,
    }
}

fn regime_name(regime: DrainRegime) -> &'static str {
    match regime {
        DrainRegime::RealPressure => "real_pressure",
        DrainRegime::SpoofCleanup => "spoof_cleanup",
    }
}

fn push_confidence(
    detail: &mut Detail,
    score: &Confidence,
    book_ctr: Option<f64>,
    recent_ghost: bool,
    high_churn: Option<bool>,
) {
    detail.push("confidence", format!("{:.2}", score.score));
    detail.push("s_drain", format!("{:.4}", score.s_drain));
    detail.push("s_active", format!("{:.4}", score.s_active));
    detail.push("s_clean", format!("{:.4}", score.s_clean));
    detail.push("s_calm", format!("{:.0}", score.s_calm));
    detail.push(
        "book_ctr",
        book_ctr.map_or_else(|| "none".to_owned(), |ctr| format!("{ctr:.4}")),
    );
    detail.push("recent_ghost", recent_ghost);
    detail.push(
        "churn",
        high_churn.map_or("warm_up", |high| if high { "high" } else { "calm" }),
    );
}

/// Stop and target `stop_bps` / `target_bps` away from `entry`, on the tick grid (the stop
/// rounded away from the entry, the target toward it: never tighter than asked for the stop,
/// never more generous for the target).
pub fn exits(
    direction: Direction,
    entry: Price,
    tick: Price,
    stop_bps: u32,
    target_bps: u32,
) -> (Price, Price) {
    let entry_raw = i128::from(entry.raw());
    let tick_raw = i128::from(tick.raw().max(1));
    let offset = |bps: u32| entry_raw * i128::from(bps) / 10_000;
    let (stop_distance, target_distance) = (offset(stop_bps), offset(target_bps));
    // Distances in whole ticks: the stop's rounded up, the target's down (at least 1 tick).
    let stop_ticks = ((stop_distance + tick_raw - 1) / tick_raw).max(1);
    let target_ticks = (target_distance / tick_raw).max(1);
    let sign = i128::from(direction.sign());
    let at = |ticks: i128| {
        let raw = entry_raw + sign * ticks * tick_raw;
        Price::from_raw(i64::try_from(raw).unwrap_or(entry.raw()))
    };
    (at(-stop_ticks), at(target_ticks))
}

fn row(
    ts: UnixNanos,
    kind: SignalRecordKind,
    direction: Direction,
    machine: &'static str,
    from_state: &'static str,
    to_state: &'static str,
    detail: String,
) -> SignalRecord {
    SignalRecord {
        ts,
        kind,
        setup: Some(SetupKind::Drain),
        direction: Some(direction),
        machine,
        from_state,
        to_state,
        detail,
    }
}

impl Strategy for DrainStrategy {
    fn name(&self) -> &'static str {
        "drain"
    }

    fn wants_market_events(&self) -> bool {
        true
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.track_mid(context);
        let mut records = std::mem::take(&mut self.records);
        records.clear();
        match self.engine(context.instrument) {
            Ok(engine) => engine.on_event(event, &mut records),
            Err(_) => return, // validated at construction: cannot happen
        }
        for record in &records {
            self.on_record(*record, context, actions);
        }
        self.records = records;
        self.check_time_exit(context, actions);
    }

    fn on_bar(
        &mut self,
        _snapshot: &auction_trader_features::FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.check_time_exit(context, actions);
    }

    fn on_execution(
        &mut self,
        report: &ExecutionReport,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        // The entry's outcome, once: its first fill, or its cancellation unfilled (the fill
        // rates of SPEC 3.2 per placement are read from these rows).
        let Some((direction, placement)) = self.working else {
            return;
        };
        let to = match report {
            ExecutionReport::Filled(_) => "filled",
            ExecutionReport::Canceled { .. } if context.position.quantity.is_zero() => "cancelled",
            _ => return,
        };
        self.working = None;
        actions.signals.push(SignalRecord {
            ts: context.now,
            kind: SignalRecordKind::Transition,
            setup: Some(SetupKind::Drain),
            direction: Some(direction),
            machine: machine_of(direction),
            from_state: "working",
            to_state: to,
            detail: Detail::new().put("placement", placement).finish(),
        });
    }

    fn on_position_closed(
        &mut self,
        reason: ExitReason,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.exit_requested = false;
        actions.signals.push(SignalRecord {
            ts: context.now,
            kind: SignalRecordKind::Transition,
            setup: Some(SetupKind::Drain),
            direction: None,
            machine: "drain_position",
            from_state: "in_position",
            to_state: "flat",
            detail: Detail::new().put("reason", reason.as_str()).finish(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_in_bps_on_the_tick_grid() {
        // Entry 60,000.0, tick 0.1: 12 bps = 72.0 -> stop 59,928.0; 8 bps = 48.0 -> 60,048.0.
        let tick = Price::from_raw(100_000_000);
        let entry = Price::from_raw(60_000 * 1_000_000_000);
        let (stop, target) = exits(Direction::Long, entry, tick, 12, 8);
        assert_eq!(stop, Price::from_raw(59_928 * 1_000_000_000));
        assert_eq!(target, Price::from_raw(60_048 * 1_000_000_000));
        // Entry 3,001.37 tick 0.01: 12 bps = 3.601644 -> 361 ticks (up) -> stop 3,004.98 for
        // a short; 8 bps = 2.401096 -> 240 ticks (down) -> target 2,998.97.
        let tick = Price::from_raw(10_000_000);
        let entry = Price::from_raw(3_001_370_000_000);
        let (stop, target) = exits(Direction::Short, entry, tick, 12, 8);
        assert_eq!(stop, Price::from_raw(3_004_980_000_000));
        assert_eq!(target, Price::from_raw(2_998_970_000_000));
    }
}
