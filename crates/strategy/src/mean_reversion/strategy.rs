//! The statistical mean-reversion strategy (SPEC 3.3), evaluated at one-minute bar closes.
//!
//! At each close: the OU half-life h of ln(close) over the last 240 pairs; the z-score of the
//! close against its EMA (or VWAP) over a lookback of round(3·h) minutes; when flat and
//! |z| ≥ 1.5, the filters in order (h within 15–240 minutes, ADF over the last 240 ln closes
//! rejecting the unit root at 10%, ADX(14) ≤ 25, 60-minute realized volatility at or below
//! its 75th percentile) and then a trade toward the mean: stop at 2 × the expected reversion
//! |entry − fair| beyond the entry, target at the fair value (watched on every print), exit at
//! the first close where z has crossed back to 0 (the lookback locked at entry), or at the
//! first close 3·h minutes (h at entry) after the fill. Passive (post-only at the touch,
//! cancelled after a timeout) or aggressive (market) entries.
//!
//! The variants (`variant`, rules in `variants`) change only the entry evidence: the
//! imbalance overshoot reads each bar's classified buy/sell volume (order-flow imbalance and
//! the bar VPIN of the research library), the funding extreme reads the instrument's funding
//! events (the research library's funding z-score); their lookback and holding cap use the
//! half-life clamped to the configured range.
//!
//! Everything it reads is the closed bar, the funding events and the engine's context: the
//! same code runs in every mode. A candidate that fails a filter is logged once per excursion (near-miss, naming the
//! filter).

use std::collections::VecDeque;

use auction_trader_features::FeatureSnapshot;
use auction_trader_research::extended::{BarVpin, FundingFeatures, VolatilityRegime};
use auction_trader_research::{Adx, OuHalfLife, ResearchFeature, adfuller};
use auction_trader_types::{
    MarketEvent, NANOS_PER_MINUTE, NANOS_PER_SECOND, Price, Rate, TimeoutAction, UnixNanos,
};
use serde::Serialize;

use super::config::{ExecutionStyle, MeanReversionConfig, Variant, lookback_minutes};
use super::signal::{
    FILTER_ADF, FILTER_ADX, FILTER_HALF_LIFE, FILTER_VOLATILITY, FilterInputs, MinuteClose,
    blocking_filter, entry_direction, exit_reached, holding_cap_minutes, trade_prices, z_score,
};
use super::variants::{
    FILTER_FUNDING, FILTER_IMBALANCE, FILTER_VPIN, FundingReading, MinuteFlow, order_flow_imbalance,
};
use crate::api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, SetupKind, SignalRecord,
    SignalRecordKind, Strategy, StrategyContext, TradeIntent,
};
use crate::auction::signal_log::Detail;
use crate::error::StrategyError;

/// The signal-log machine name.
pub const MACHINE: &str = "mean_reversion";
/// Minutes of realized volatility ranked by the regime filter (SPEC 2.6 `vol_percentile`).
const VOLATILITY_RETURNS_WINDOW: usize = 60;
/// History values the volatility percentile needs before it is defined.
const VOLATILITY_MIN_HISTORY: usize = 30;

/// What the strategy did over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MeanReversionCounters {
    pub bars: u64,
    /// Closes with |z| ≥ entry_z while flat.
    pub candidates: u64,
    pub blocked_half_life: u64,
    pub blocked_adf: u64,
    pub blocked_adx: u64,
    pub blocked_volatility: u64,
    /// Imbalance-overshoot variant: no pushing imbalance / VPIN too high or unknown.
    pub blocked_imbalance: u64,
    pub blocked_vpin: u64,
    /// Funding-extreme variant: no fresh extreme print on the fade side.
    pub blocked_funding: u64,
    /// Candidates that passed the filters but had no valid stop/target on the tick grid.
    pub blocked_geometry: u64,
    pub signals: u64,
    pub exits_mean: u64,
    pub exits_holding_cap: u64,
}

/// The trade the strategy asked for, locked at the signal.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OpenTrade {
    direction: Direction,
    lookback: usize,
    cap_minutes: i64,
    exit_requested: bool,
}

/// SPEC 3.3 statistical mean reversion.
#[derive(Debug)]
pub struct MeanReversionStrategy {
    config: MeanReversionConfig,
    history: VecDeque<MinuteClose>,
    capacity: usize,
    half_life: OuHalfLife,
    adx: Adx,
    regime: VolatilityRegime,
    volatility_percentile: Option<f64>,
    /// Imbalance-overshoot inputs: the newest minutes' classified flow and the bar VPIN.
    flows: VecDeque<MinuteFlow>,
    vpin: BarVpin,
    /// Funding-extreme inputs: the research funding features and the latest print.
    funding: FundingFeatures,
    funding_zscore: Option<f64>,
    latest_funding: Option<(f64, UnixNanos)>,
    trade: Option<OpenTrade>,
    /// A near-miss was logged for the current excursion (|z| ≥ entry_z), reset below it.
    near_miss_logged: bool,
    counters: MeanReversionCounters,
}

impl MeanReversionStrategy {
    pub fn new(config: MeanReversionConfig) -> Result<Self, StrategyError> {
        config.validate()?;
        let to_error = |field: &'static str| {
            move |error: auction_trader_research::ResearchError| StrategyError::InvalidConfig {
                field,
                reason: error.to_string(),
            }
        };
        let half_life = OuHalfLife::new(config.half_life_window)
            .map_err(to_error("mean_reversion.half_life_window"))?;
        let adx = Adx::new(config.adx_period).map_err(to_error("mean_reversion.adx_period"))?;
        let capacity = (crate::mean_reversion::signal::EMA_SEED_LOOKBACKS
            * config.max_lookback_minutes())
        .max(config.adf_window)
        .max(config.half_life_window + 1);
        Ok(Self {
            regime: VolatilityRegime::new(
                VOLATILITY_RETURNS_WINDOW,
                config.volatility_history_minutes,
                VOLATILITY_MIN_HISTORY,
            ),
            history: VecDeque::with_capacity(capacity + 1),
            capacity,
            half_life,
            adx,
            volatility_percentile: None,
            flows: VecDeque::with_capacity(config.imbalance.window_minutes + 1),
            vpin: BarVpin::calibrated(
                config.imbalance.vpin_calibration_minutes,
                config.imbalance.vpin_buckets,
            ),
            funding: FundingFeatures::default(),
            funding_zscore: None,
            latest_funding: None,
            trade: None,
            near_miss_logged: false,
            counters: MeanReversionCounters::default(),
            config,
        })
    }

    /// The newest close seen (None before the first bar).
    pub fn last_close(&self) -> Option<f64> {
        self.history.back().map(|minute| minute.close)
    }

    pub fn counters(&self) -> MeanReversionCounters {
        self.counters
    }

    /// Feeds the closed bar to every estimator.
    fn observe(&mut self, snapshot: &FeatureSnapshot) {
        let bar = &snapshot.bar;
        let close = bar.close.as_f64();
        if self.history.len() == self.capacity {
            self.history.pop_front();
        }
        self.history.push_back(MinuteClose {
            close,
            vwap: bar.vwap.as_f64(),
            volume: bar.volume.as_f64(),
        });
        if close > 0.0 {
            self.half_life.update(close.ln());
        }
        self.adx.update(bar.high.as_f64(), bar.low.as_f64(), close);
        let mut regime = [f64::NAN; 2];
        self.regime.on_minute(snapshot, &mut regime);
        self.volatility_percentile = regime[1].is_finite().then_some(regime[1]);
        match self.config.variant {
            Variant::Statistical => {}
            Variant::ImbalanceOvershoot => {
                let (buy, sell) = (bar.buy_volume.as_f64(), bar.sell_volume.as_f64());
                if self.flows.len() == self.config.imbalance.window_minutes {
                    self.flows.pop_front();
                }
                self.flows.push_back(MinuteFlow {
                    buy,
                    sell,
                    volume: bar.volume.as_f64(),
                });
                self.vpin.update(buy, sell);
            }
            Variant::FundingExtreme => {
                let mut funding = [f64::NAN; 5];
                self.funding.on_minute(snapshot, &mut funding);
                self.funding_zscore = funding[0].is_finite().then_some(funding[0]);
            }
        }
    }

    /// The latest funding print as of `now` (funding-extreme variant).
    fn funding_reading(&self, now: UnixNanos) -> Option<FundingReading> {
        let (rate, received) = self.latest_funding?;
        Some(FundingReading {
            rate,
            zscore: self.funding_zscore,
            age_minutes: (now.as_i64() - received.as_i64()) / NANOS_PER_MINUTE,
        })
    }

    /// The ADF p-value over the newest `adf_window` ln closes (computed only for candidates).
    fn adf_p_value(&mut self) -> Option<f64> {
        let window = self.config.adf_window;
        if self.history.len() < window {
            return None;
        }
        let logs: Vec<f64> = self
            .history
            .range(self.history.len() - window..)
            .map(|minute| minute.close.ln())
            .collect();
        adfuller(&logs).map(|result| result.p_value)
    }

    fn manage_position(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        let Some(trade) = self.trade.as_mut() else {
            return;
        };
        if trade.exit_requested || context.position.quantity.is_zero() {
            return;
        }
        let history = self.history.make_contiguous();
        let z = z_score(history, trade.lookback, self.config.fair_value);
        let held_minutes = context
            .position
            .entry_ts
            .map(|entry| (context.now.as_i64() - entry.as_i64()) / NANOS_PER_MINUTE);
        let why = if z.is_some_and(|z| exit_reached(trade.direction, z.z, self.config.exit_z)) {
            self.counters.exits_mean += 1;
            "z_back_to_mean"
        } else if held_minutes.is_some_and(|held| held >= trade.cap_minutes) {
            self.counters.exits_holding_cap += 1;
            "holding_cap"
        } else {
            return;
        };
        trade.exit_requested = true;
        actions.exits.push(ExitRequest {
            ts: context.now,
            reason: ExitReason::Strategy,
        });
        let detail = Detail::new()
            .put_option("z", z.map(|z| format!("{:.4}", z.z)))
            .put_option("fair", z.map(|z| format!("{:.6}", z.fair)))
            .put("lookback_min", trade.lookback)
            .put_option("held_min", held_minutes)
            .put("cap_min", trade.cap_minutes);
        actions.signals.push(row(
            context,
            SignalRecordKind::Transition,
            Some(trade.direction),
            "in_position",
            why,
            detail,
        ));
    }

    fn evaluate_entry(&mut self, context: &StrategyContext<'_>, actions: &mut Actions) {
        let Some(half_life) = self.half_life.value() else {
            return;
        };
        // The variants trade without the half-life evidence: it only sets their horizon.
        let horizon_half_life = match self.config.variant {
            Variant::Statistical => half_life,
            _ => half_life.clamp(
                self.config.min_half_life_minutes,
                self.config.max_half_life_minutes,
            ),
        };
        let lookback = lookback_minutes(horizon_half_life, self.config.lookback_half_lives)
            .min(self.config.max_lookback_minutes());
        let Some(z) = z_score(
            self.history.make_contiguous(),
            lookback,
            self.config.fair_value,
        ) else {
            return;
        };
        let Some(direction) = entry_direction(z.z, self.config.entry_z) else {
            self.near_miss_logged = false;
            return;
        };
        if direction == Direction::Short && !self.config.shorts {
            return;
        }
        self.counters.candidates += 1;
        let variant = self.config.variant;
        let inputs = FilterInputs {
            half_life_minutes: Some(half_life),
            adf_p_value: if variant == Variant::Statistical {
                self.adf_p_value()
            } else {
                None
            },
            adx: self.adx.value(),
            volatility_percentile: self.volatility_percentile,
            imbalance: order_flow_imbalance(
                self.flows.make_contiguous(),
                self.config.imbalance.window_minutes,
            ),
            vpin: self.vpin.value(),
            funding: self.funding_reading(context.now),
        };
        let mut detail = Detail::new()
            .put("z", format!("{:.4}", z.z))
            .put("fair", format!("{:.6}", z.fair))
            .put("sd", format!("{:.6}", z.sd))
            .put("lookback_min", lookback)
            .put("half_life_min", format!("{half_life:.2}"))
            .put_option("adf_p", inputs.adf_p_value.map(|p| format!("{p:.4}")))
            .put_option("adx", inputs.adx.map(|adx| format!("{adx:.2}")))
            .put_option(
                "vol_pct",
                inputs.volatility_percentile.map(|pct| format!("{pct:.3}")),
            );
        match variant {
            Variant::Statistical => {}
            Variant::ImbalanceOvershoot => {
                detail = detail
                    .put_option("imbalance", inputs.imbalance.map(|x| format!("{x:.4}")))
                    .put_option("vpin", inputs.vpin.map(|x| format!("{x:.4}")));
            }
            Variant::FundingExtreme => {
                detail = detail
                    .put_option(
                        "funding_bps",
                        inputs.funding.map(|f| format!("{:.3}", f.rate * 1e4)),
                    )
                    .put_option(
                        "funding_z",
                        inputs
                            .funding
                            .and_then(|f| f.zscore)
                            .map(|z| format!("{z:.3}")),
                    )
                    .put_option("funding_age_min", inputs.funding.map(|f| f.age_minutes));
            }
        }
        if let Some(filter) = blocking_filter(&self.config, direction, &inputs) {
            match filter {
                FILTER_HALF_LIFE => self.counters.blocked_half_life += 1,
                FILTER_ADF => self.counters.blocked_adf += 1,
                FILTER_ADX => self.counters.blocked_adx += 1,
                FILTER_VOLATILITY => self.counters.blocked_volatility += 1,
                FILTER_IMBALANCE => self.counters.blocked_imbalance += 1,
                FILTER_VPIN => self.counters.blocked_vpin += 1,
                FILTER_FUNDING => self.counters.blocked_funding += 1,
                _ => {}
            }
            if !self.near_miss_logged {
                self.near_miss_logged = true;
                detail.push("blocked_by", filter);
                actions.signals.push(row(
                    context,
                    SignalRecordKind::NearMiss,
                    Some(direction),
                    "flat",
                    "near_miss",
                    detail,
                ));
            }
            return;
        }
        let close = self.history.back().map_or(z.fair, |minute| minute.close);
        let close_price = Price::from_f64_rounded(close);
        let (entry, entry_price) = match self.config.execution {
            ExecutionStyle::Passive => {
                let touch = match direction {
                    Direction::Long => context.best_bid,
                    Direction::Short => context.best_ask,
                };
                let Some(price) = touch.or(close_price) else {
                    return;
                };
                (
                    EntryOrder::Limit {
                        price,
                        post_only: true,
                        timeout_nanos: i64::from(self.config.entry_timeout_seconds)
                            * NANOS_PER_SECOND,
                        on_timeout: TimeoutAction::Cancel,
                    },
                    price,
                )
            }
            ExecutionStyle::Aggressive => {
                let touch = match direction {
                    Direction::Long => context.best_ask,
                    Direction::Short => context.best_bid,
                };
                let Some(price) = touch.or(close_price) else {
                    return;
                };
                (EntryOrder::Market, price)
            }
        };
        let Some((stop, target)) = trade_prices(
            direction,
            entry_price,
            z.fair,
            self.config.stop_reversion_multiple,
            context.instrument.tick_size,
        ) else {
            self.counters.blocked_geometry += 1;
            return;
        };
        let cap_minutes = holding_cap_minutes(horizon_half_life, self.config.max_hold_half_lives);
        detail.push("entry", entry_price);
        detail.push("stop", stop);
        detail.push("target", target);
        detail.push("cap_min", cap_minutes);
        actions.intents.push(TradeIntent {
            ts: context.now,
            setup: SetupKind::MeanReversion,
            direction,
            entry,
            entry_price,
            stop,
            take_profit_1: None,
            take_profit_2: target,
            size_factor: Rate::ONE,
        });
        actions.signals.push(row(
            context,
            SignalRecordKind::Signal,
            Some(direction),
            "flat",
            "signal",
            detail,
        ));
        self.counters.signals += 1;
        self.near_miss_logged = true;
        self.trade = Some(OpenTrade {
            direction,
            lookback,
            cap_minutes,
            exit_requested: false,
        });
    }
}

fn row(
    context: &StrategyContext<'_>,
    kind: SignalRecordKind,
    direction: Option<Direction>,
    from_state: &'static str,
    to_state: &'static str,
    detail: Detail,
) -> SignalRecord {
    SignalRecord {
        ts: context.now,
        kind,
        setup: Some(SetupKind::MeanReversion),
        direction,
        machine: MACHINE,
        from_state,
        to_state,
        detail: detail.finish(),
    }
}

impl Strategy for MeanReversionStrategy {
    fn name(&self) -> &'static str {
        "mean_reversion"
    }

    /// Only the funding-extreme variant reads events (the funding prints).
    fn wants_market_events(&self) -> bool {
        self.config.variant == Variant::FundingExtreme
    }

    fn on_market_event(
        &mut self,
        event: &MarketEvent,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        if self.config.variant != Variant::FundingExtreme {
            return;
        }
        self.funding.on_event(0, event);
        if let MarketEvent::Funding(funding) = event {
            self.latest_funding = Some((funding.rate.as_f64(), funding.ts_recv));
        }
    }

    fn on_bar(
        &mut self,
        snapshot: &FeatureSnapshot,
        context: &StrategyContext<'_>,
        actions: &mut Actions,
    ) {
        self.counters.bars += 1;
        self.observe(snapshot);
        if context.position.is_flat() {
            // Flat with no working entry: a trade that never filled (cancelled) or closed.
            self.trade = None;
            self.evaluate_entry(context, actions);
        } else {
            self.manage_position(context, actions);
        }
    }

    fn on_position_closed(
        &mut self,
        _reason: ExitReason,
        _context: &StrategyContext<'_>,
        _actions: &mut Actions,
    ) {
        self.trade = None;
    }
}
