//! Circuit breaker of the drain strategy (SPEC 4): three breaches are watched,
//! (a) the signal count since the session start above 2 × the session baseline (per symbol;
//! defaults Asia 00–08 UTC 15, Europe 08–16 35, US 16–24 60 signals), (b) the rolling 20-trade
//! win rate below 45% (only once 20 trades exist), (c) drawdown since the UTC day's start above
//! 3%; two or more at once halve the position size until the end of the session.
//!
//! Drawdown (c) is measured from the highest equity seen since 00:00 UTC (the day's starting
//! equity included) to the current equity, so a day that first gains and then gives back more
//! than 3% of its peak counts. The win-rate window spans sessions and days (it is a rolling
//! count of trades); the signal count restarts at each session start. All maths is exact
//! integer arithmetic on the fixed-point values, except the z-score option's statistic.
//!
//! The z-score option (SPEC 4 "a later option", `signal_test: z_score`, off by default)
//! replaces breach (a): `z = (signals − baseline) / √baseline` (the session count against a
//! Poisson baseline) above `z_threshold` (2.0) AND an accelerating drawdown — the day drawdown
//! measured at the last three closed trades `d₁, d₂, d₃` (oldest first) with
//! `d₃ − d₂ > d₂ − d₁` and `d₃ > d₂` (it grew at the last trade, faster than at the one
//! before; drawdown 0 when at the day's peak).

use std::collections::{BTreeMap, VecDeque};

pub use auction_trader_types::Session;
use auction_trader_types::{Money, Quantity, Rate, SESSION_NANOS, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::RiskError;
use crate::value::SCALE;

const NANOS_PER_HOUR: i64 = 3_600_000_000_000;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
/// Expected drain signals per session for one symbol (SPEC 4 defaults 15 / 35 / 60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionBaselines {
    pub asia: u32,
    pub europe: u32,
    pub us: u32,
}

impl Default for SessionBaselines {
    fn default() -> Self {
        Self {
            asia: 15,
            europe: 35,
            us: 60,
        }
    }
}

impl SessionBaselines {
    pub fn of(&self, session: Session) -> u32 {
        match session {
            Session::Asia => self.asia,
            Session::Europe => self.europe,
            Session::Us => self.us,
        }
    }
}

/// How breach (a) judges the session's signal count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalTest {
    /// Signals above `signal_multiple` × the baseline (SPEC 4 default).
    #[default]
    Multiple,
    /// z-score above `z_threshold` AND an accelerating drawdown (SPEC 4 later option).
    ZScore,
}

/// Circuit-breaker parameters (SPEC 4, SPEC 10: 2 of 3 breaches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitBreakerConfig {
    /// Off: the size factor is always 1.
    pub enabled: bool,
    /// Baselines for symbols not listed in `symbol_baselines`.
    pub baselines: SessionBaselines,
    /// Per-symbol baselines (exact symbol, e.g. `BTCUSDT`).
    pub symbol_baselines: BTreeMap<String, SessionBaselines>,
    /// Breach (a): signals since the session start > this × the baseline (SPEC 4: 2).
    pub signal_multiple: u32,
    /// Breach (a) by the multiple (default) or by the z-score option.
    pub signal_test: SignalTest,
    /// z-score threshold of the option (SPEC 4: 2.0).
    pub z_threshold: f64,
    /// Breach (b): rolling window of closed trades (SPEC 4: 20) ...
    pub win_rate_trades: u32,
    /// ... whose win rate below this is a breach (SPEC 4: 45%).
    #[serde(with = "crate::decimal_serde")]
    pub min_win_rate: Rate,
    /// Breach (c): drawdown since the UTC day's start above this share (SPEC 4: 3%).
    #[serde(with = "crate::decimal_serde")]
    pub max_day_drawdown: Rate,
    /// Breaches at once that trip the breaker (SPEC 4: 2).
    pub breaches_to_trip: u32,
    /// Position-size factor until the end of the session once tripped (SPEC 4: 0.5).
    #[serde(with = "crate::decimal_serde")]
    pub tripped_size_factor: Rate,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            baselines: SessionBaselines::default(),
            symbol_baselines: BTreeMap::new(),
            signal_multiple: 2,
            signal_test: SignalTest::Multiple,
            z_threshold: 2.0,
            win_rate_trades: 20,
            min_win_rate: Rate::from_raw(450_000_000),
            max_day_drawdown: Rate::from_raw(30_000_000),
            breaches_to_trip: 2,
            tripped_size_factor: Rate::from_raw(500_000_000),
        }
    }
}

impl CircuitBreakerConfig {
    pub fn validate(&self) -> Result<(), RiskError> {
        let invalid = |field, reason| Err(RiskError::InvalidConfig { field, reason });
        if self.signal_multiple == 0 {
            return invalid("circuit_breaker.signal_multiple", "must be at least 1");
        }
        if !(self.z_threshold.is_finite() && self.z_threshold > 0.0) {
            return invalid("circuit_breaker.z_threshold", "must be a positive number");
        }
        if self.win_rate_trades == 0 || self.win_rate_trades > 10_000 {
            return invalid("circuit_breaker.win_rate_trades", "must be 1..=10000");
        }
        if !(0..=SCALE).contains(&wide(self.min_win_rate.raw())) {
            return invalid("circuit_breaker.min_win_rate", "must lie in [0, 1]");
        }
        if !(1..=SCALE).contains(&wide(self.max_day_drawdown.raw())) {
            return invalid("circuit_breaker.max_day_drawdown", "must lie in (0, 1]");
        }
        if !(1..=3).contains(&self.breaches_to_trip) {
            return invalid("circuit_breaker.breaches_to_trip", "must be 1, 2 or 3");
        }
        if !(1..=SCALE).contains(&wide(self.tripped_size_factor.raw())) {
            return invalid("circuit_breaker.tripped_size_factor", "must lie in (0, 1]");
        }
        Ok(())
    }

    /// The baselines of `symbol`.
    pub fn baselines_for(&self, symbol: &str) -> SessionBaselines {
        self.symbol_baselines
            .get(symbol)
            .copied()
            .unwrap_or(self.baselines)
    }
}

/// `(signals − baseline) / √baseline`; `None` for a zero baseline.
pub fn signal_z_score(signals: u32, baseline: u64) -> Option<f64> {
    (baseline > 0).then(|| (f64::from(signals) - baseline as f64) / (baseline as f64).sqrt())
}

/// A fixed-point raw value as i128, whatever its raw width.
fn wide<T: Into<i128>>(raw: T) -> i128 {
    raw.into()
}

/// `quantity × factor` rounded down to whole lots (zero when below one lot).
pub fn scale_quantity(quantity: Quantity, factor: Rate, lot: Quantity) -> Quantity {
    let Some(lots) = quantity.div_floor_steps(lot) else {
        return Quantity::ZERO;
    };
    let scaled = wide(lots) * wide(factor.raw()) / SCALE;
    Quantity::from_steps(i64::try_from(scaled).unwrap_or(0), lot).unwrap_or(Quantity::ZERO)
}

/// Which breaches hold at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Breaches {
    pub signal_count: bool,
    pub win_rate: bool,
    pub drawdown: bool,
}

impl Breaches {
    pub fn count(self) -> u32 {
        u32::from(self.signal_count) + u32::from(self.win_rate) + u32::from(self.drawdown)
    }
}

/// The breaker of one symbol on one account.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: CircuitBreakerConfig,
    baselines: SessionBaselines,
    session_start: Option<UnixNanos>,
    session_signals: u32,
    /// Outcomes of the last closed trades (true = won), newest last.
    outcomes: VecDeque<bool>,
    day_start: Option<UnixNanos>,
    day_peak: Option<Money>,
    equity: Option<Money>,
    /// The breaker tripped in this session (until its end).
    tripped_until: Option<UnixNanos>,
    trips: u32,
    /// Net P&L (realized, fees, funding) of the trade in progress.
    open_trade_pnl: Money,
    /// Day drawdown × SCALE at the last three closed trades (z-score option), oldest first.
    trade_drawdowns: VecDeque<i128>,
}

impl CircuitBreaker {
    pub fn new(config: &CircuitBreakerConfig, symbol: &str) -> Result<Self, RiskError> {
        config.validate()?;
        Ok(Self {
            config: config.clone(),
            baselines: config.baselines_for(symbol),
            session_start: None,
            session_signals: 0,
            outcomes: VecDeque::new(),
            day_start: None,
            day_peak: None,
            equity: None,
            tripped_until: None,
            trips: 0,
            open_trade_pnl: Money::ZERO,
            trade_drawdowns: VecDeque::new(),
        })
    }

    /// A P&L component of the trade in progress (realized, fees and funding as negative
    /// costs); [`on_full_exit`](Self::on_full_exit) closes the trade.
    pub fn on_trade_pnl(&mut self, pnl: Money) {
        self.open_trade_pnl = self.open_trade_pnl.saturating_add(pnl);
    }

    /// The position went flat: the trade counts as won when its net P&L is positive.
    pub fn on_full_exit(&mut self, ts: UnixNanos) {
        let won = self.open_trade_pnl.is_positive();
        self.open_trade_pnl = Money::ZERO;
        self.on_trade_closed(ts, won);
    }

    fn roll(&mut self, ts: UnixNanos) {
        let session = Session::start_of(ts);
        if self.session_start.is_none_or(|start| session > start) {
            self.session_start = Some(session);
            self.session_signals = 0;
        }
        let day = UnixNanos(ts.as_i64().div_euclid(NANOS_PER_DAY) * NANOS_PER_DAY);
        if self.day_start.is_none_or(|start| day > start) {
            self.day_start = Some(day);
            // The day starts from the last known equity.
            self.day_peak = self.equity;
        }
    }

    /// A drain signal (SPEC 3.2) at `ts`.
    pub fn on_signal(&mut self, ts: UnixNanos) {
        self.roll(ts);
        self.session_signals = self.session_signals.saturating_add(1);
        self.check(ts);
    }

    /// A closed trade at `ts`: won when its net P&L (after fees and funding) was positive.
    pub fn on_trade_closed(&mut self, ts: UnixNanos, won: bool) {
        self.roll(ts);
        self.trade_drawdowns.push_back(self.day_drawdown_scaled());
        while self.trade_drawdowns.len() > 3 {
            self.trade_drawdowns.pop_front();
        }
        self.outcomes.push_back(won);
        while self.outcomes.len() > self.config.win_rate_trades as usize {
            self.outcomes.pop_front();
        }
        self.check(ts);
    }

    /// The account equity at `ts` (mark-to-market).
    pub fn on_equity(&mut self, ts: UnixNanos, equity: Money) {
        self.roll(ts);
        self.equity = Some(equity);
        self.day_peak = Some(self.day_peak.map_or(equity, |peak| peak.max(equity)));
        self.check(ts);
    }

    /// The breaches holding now.
    pub fn breaches(&self) -> Breaches {
        let baseline = u64::from(
            self.baselines
                .of(Session::of(self.session_start.unwrap_or(UnixNanos::ZERO))),
        );
        let signal_count = match self.config.signal_test {
            SignalTest::Multiple => {
                u64::from(self.session_signals) > u64::from(self.config.signal_multiple) * baseline
            }
            SignalTest::ZScore => {
                signal_z_score(self.session_signals, baseline)
                    .is_some_and(|z| z > self.config.z_threshold)
                    && self.drawdown_accelerating()
            }
        };
        let window = self.config.win_rate_trades as usize;
        let win_rate = self.outcomes.len() >= window && {
            // wins / n < min  ⇔  wins × SCALE < min_raw × n (exact).
            let wins = self.outcomes.iter().filter(|&&won| won).count() as i128;
            wins * SCALE < wide(self.config.min_win_rate.raw()) * window as i128
        };
        let drawdown = match (self.day_peak, self.equity) {
            (Some(peak), Some(equity)) if peak.is_positive() => {
                // (peak − equity) / peak > limit  ⇔  (peak − equity) × SCALE > limit × peak.
                let loss = wide(peak.raw()) - wide(equity.raw());
                loss * SCALE > wide(self.config.max_day_drawdown.raw()) * wide(peak.raw())
            }
            _ => false,
        };
        Breaches {
            signal_count,
            win_rate,
            drawdown,
        }
    }

    /// `(peak − equity) / peak × SCALE` since the day's start (0 at or above the peak or
    /// without equity).
    fn day_drawdown_scaled(&self) -> i128 {
        match (self.day_peak, self.equity) {
            (Some(peak), Some(equity)) if peak.is_positive() => {
                let loss = wide(peak.raw()) - wide(equity.raw());
                (loss.max(0) * SCALE) / wide(peak.raw())
            }
            _ => 0,
        }
    }

    /// The z-score option's accelerating drawdown over the last three closed trades.
    pub fn drawdown_accelerating(&self) -> bool {
        let mut last = self.trade_drawdowns.iter().copied();
        match (last.next(), last.next(), last.next()) {
            (Some(first), Some(second), Some(third)) => {
                third > second && third - second > second - first
            }
            _ => false,
        }
    }

    fn check(&mut self, ts: UnixNanos) {
        if !self.config.enabled || self.is_tripped(ts) {
            return;
        }
        if self.breaches().count() >= self.config.breaches_to_trip {
            self.tripped_until = Some(Session::start_of(ts).saturating_add_nanos(SESSION_NANOS));
            self.trips += 1;
        }
    }

    /// True while the size is reduced (until the end of the session it tripped in).
    pub fn is_tripped(&self, ts: UnixNanos) -> bool {
        self.tripped_until.is_some_and(|until| ts < until)
    }

    /// How many times the breaker tripped.
    pub fn trips(&self) -> u32 {
        self.trips
    }

    /// Signals counted in the current session.
    pub fn session_signals(&self) -> u32 {
        self.session_signals
    }

    /// The factor to apply to a position size at `ts` (1 or the tripped factor).
    pub fn size_factor(&self, ts: UnixNanos) -> Rate {
        if self.is_tripped(ts) {
            self.config.tripped_size_factor
        } else {
            Rate::from_raw(1_000_000_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = NANOS_PER_HOUR;

    fn at(hours: i64, minutes: i64) -> UnixNanos {
        // 2024-08-08 00:00 UTC
        UnixNanos(1_723_075_200_000_000_000 + hours * HOUR + minutes * 60_000_000_000)
    }

    fn money(units: i64) -> Money {
        Money::from_units(units).unwrap()
    }

    #[test]
    fn sessions_follow_utc_hours() {
        assert_eq!(Session::of(at(0, 0)), Session::Asia);
        assert_eq!(Session::of(at(7, 59)), Session::Asia);
        assert_eq!(Session::of(at(8, 0)), Session::Europe);
        assert_eq!(Session::of(at(16, 0)), Session::Us);
        assert_eq!(Session::of(at(23, 59)), Session::Us);
        assert_eq!(Session::start_of(at(9, 30)), at(8, 0));
    }

    #[test]
    fn one_breach_alone_does_not_trip() {
        let mut breaker = CircuitBreaker::new(&CircuitBreakerConfig::default(), "BTCUSDT").unwrap();
        // Asia baseline 15: 31 signals > 30 is a breach, but alone.
        for minute in 0..31 {
            breaker.on_signal(at(1, minute));
        }
        assert!(breaker.breaches().signal_count);
        assert_eq!(breaker.breaches().count(), 1);
        assert_eq!(
            breaker.size_factor(at(1, 40)),
            Rate::from_raw(1_000_000_000)
        );
        // Exactly 30 in the next session's... Europe baseline 35: counts restart.
        breaker.on_signal(at(8, 1));
        assert_eq!(breaker.session_signals(), 1);
        assert!(!breaker.breaches().signal_count);
    }

    #[test]
    fn signals_and_drawdown_halve_size_until_the_session_ends() {
        let mut breaker = CircuitBreaker::new(&CircuitBreakerConfig::default(), "BTCUSDT").unwrap();
        // Europe session; equity 10,000 at the day start, peak 10,200 at 09:00.
        breaker.on_equity(at(0, 0), money(10_000));
        breaker.on_equity(at(9, 0), money(10_200));
        // 10,200 − 9,894 = 306 = 3.0% of 10,200: not above 3%.
        breaker.on_equity(at(9, 10), money(9_894));
        assert!(!breaker.breaches().drawdown);
        // 9,893: 307 / 10,200 = 3.01% > 3%.
        breaker.on_equity(at(9, 11), money(9_893));
        assert!(breaker.breaches().drawdown);
        assert!(!breaker.is_tripped(at(9, 11)));
        // Europe baseline 35: the 71st signal breaches (a) -> 2 of 3 -> half size.
        for index in 0..71 {
            breaker.on_signal(at(9, 12 + index / 10));
        }
        assert!(breaker.is_tripped(at(9, 30)));
        assert_eq!(breaker.size_factor(at(15, 59)), Rate::from_raw(500_000_000));
        // Until the end of the session, even after equity recovers.
        breaker.on_equity(at(12, 0), money(10_300));
        assert!(breaker.is_tripped(at(15, 59)));
        assert!(!breaker.is_tripped(at(16, 0)));
        assert_eq!(
            breaker.size_factor(at(16, 0)),
            Rate::from_raw(1_000_000_000)
        );
        assert_eq!(breaker.trips(), 1);
    }

    #[test]
    fn z_score_option_needs_a_high_count_and_an_accelerating_drawdown() {
        // Asia baseline 15: z = (count − 15) / √15; 23 → 2.066 > 2, 22 → 1.807.
        assert!((signal_z_score(23, 15).unwrap() - 8.0 / 15f64.sqrt()).abs() < 1e-12);
        assert_eq!(signal_z_score(3, 0), None);
        let config = CircuitBreakerConfig {
            signal_test: SignalTest::ZScore,
            ..CircuitBreakerConfig::default()
        };
        let mut breaker = CircuitBreaker::new(&config, "BTCUSDT").unwrap();
        breaker.on_equity(at(0, 0), money(10_000));
        for minute in 0..23 {
            breaker.on_signal(at(1, minute));
        }
        // z > 2 but no drawdown history: no breach (the multiple test would need 31).
        assert!(!breaker.breaches().signal_count);
        // Drawdowns at three closed trades: 0.5%, 1.0%, 2.0% of the 10,000 peak: steps 0.5
        // then 1.0 point → accelerating.
        for (minute, equity) in [(30, 9_950), (31, 9_900), (32, 9_800)] {
            breaker.on_equity(at(1, minute), money(equity));
            breaker.on_trade_closed(at(1, minute), false);
        }
        assert!(breaker.drawdown_accelerating());
        assert!(breaker.breaches().signal_count);
        // A fourth trade at 2.4%: step 0.4 < 1.0 → decelerating, no breach.
        breaker.on_equity(at(1, 40), money(9_760));
        breaker.on_trade_closed(at(1, 40), false);
        assert!(!breaker.drawdown_accelerating());
        assert!(!breaker.breaches().signal_count);
        // 22 signals (z 1.81) with an accelerating drawdown: no breach.
        let mut low = CircuitBreaker::new(&config, "BTCUSDT").unwrap();
        low.on_equity(at(0, 0), money(10_000));
        for (minute, equity) in [(30, 9_950), (31, 9_900), (32, 9_800)] {
            low.on_equity(at(1, minute), money(equity));
            low.on_trade_closed(at(1, minute), false);
        }
        for minute in 0..22 {
            low.on_signal(at(2, minute));
        }
        assert!(low.drawdown_accelerating() && !low.breaches().signal_count);
        let bad = CircuitBreakerConfig {
            z_threshold: f64::NAN,
            ..CircuitBreakerConfig::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn win_rate_needs_twenty_trades() {
        let mut breaker = CircuitBreaker::new(&CircuitBreakerConfig::default(), "ETHUSDT").unwrap();
        // 19 losses: no verdict yet.
        for minute in 0..19 {
            breaker.on_trade_closed(at(17, minute), false);
        }
        assert!(!breaker.breaches().win_rate);
        // 20 trades, 8 wins would be 40%; here 1 win of 20 = 5% < 45%.
        breaker.on_trade_closed(at(17, 30), true);
        assert!(breaker.breaches().win_rate);
        // Rolling: 8 more wins push 8 losses out -> 9 wins of 20 = 45%, not below 45%.
        for minute in 0..8 {
            breaker.on_trade_closed(at(18, minute), true);
        }
        assert!(!breaker.breaches().win_rate);
        let mut fresh = CircuitBreaker::new(&CircuitBreakerConfig::default(), "ETHUSDT").unwrap();
        for index in 0..20 {
            fresh.on_trade_closed(at(17, index), index < 9);
        }
        assert!(!fresh.breaches().win_rate, "9 of 20 = 45%");
        fresh.on_trade_closed(at(17, 30), false); // drops a win: 8 of 20 = 40%
        assert!(fresh.breaches().win_rate);
    }

    #[test]
    fn trade_outcomes_from_pnl_components_and_half_size_in_lots() {
        let mut breaker = CircuitBreaker::new(&CircuitBreakerConfig::default(), "BTCUSDT").unwrap();
        // +34.77 gross, −70.01 fees: a loss.
        breaker.on_trade_pnl(Money::from_raw(34_770_000_000));
        breaker.on_trade_pnl(Money::from_raw(-70_010_000_000));
        breaker.on_full_exit(at(1, 0));
        breaker.on_trade_pnl(Money::from_raw(5_000_000_000));
        breaker.on_full_exit(at(1, 1));
        assert_eq!(breaker.outcomes, [false, true]);
        // 1.567 BTC × 0.5 = 0.7835 -> 0.783 (lot 0.001); 0.001 × 0.5 -> 0.
        let lot = Quantity::from_raw(1_000_000);
        let half = Rate::from_raw(500_000_000);
        assert_eq!(
            scale_quantity(Quantity::from_raw(1_567_000_000), half, lot),
            Quantity::from_raw(783_000_000)
        );
        assert_eq!(scale_quantity(lot, half, lot), Quantity::ZERO);
    }

    #[test]
    fn per_symbol_baselines_and_validation() {
        let mut config = CircuitBreakerConfig::default();
        config.symbol_baselines.insert(
            "SOLUSDT".to_owned(),
            SessionBaselines {
                asia: 2,
                europe: 3,
                us: 4,
            },
        );
        let mut breaker = CircuitBreaker::new(&config, "SOLUSDT").unwrap();
        for minute in 0..5 {
            breaker.on_signal(at(2, minute));
        }
        assert!(breaker.breaches().signal_count, "5 > 2 × 2");
        let bad = CircuitBreakerConfig {
            breaches_to_trip: 4,
            ..CircuitBreakerConfig::default()
        };
        assert!(CircuitBreaker::new(&bad, "BTCUSDT").is_err());
        // Disabled: never trips.
        let off = CircuitBreakerConfig {
            enabled: false,
            breaches_to_trip: 1,
            ..CircuitBreakerConfig::default()
        };
        let mut breaker = CircuitBreaker::new(&off, "BTCUSDT").unwrap();
        for minute in 0..40 {
            breaker.on_signal(at(2, minute));
        }
        assert!(!breaker.is_tripped(at(2, 50)));
    }
}
