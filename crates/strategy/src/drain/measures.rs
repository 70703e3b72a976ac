//! [`SecondMeasures`]: what the drain strategy measures at each one-second close besides the
//! toxicity filters — the signal half-life paths (SPEC 3.2), the ADF test of the recent mids
//! beside it (SPEC 2.6), the realized-volatility rank (SPEC 3.2 sizing, SPEC 6 terciles) and
//! the typical spread (SPEC 6 autopsy: spread at entry / typical spread).

use std::collections::VecDeque;

use auction_trader_features::toxicity::stats::{RealizedVolatility, TypicalSpread};
use auction_trader_research::{AdfResult, adf_test};
use auction_trader_types::{NANOS_PER_SECOND, Price, Session};

use super::DrainConfig;
use super::half_life::{CompletedPath, SignalHalfLife};
use super::sizing::VolatilityRank;

/// One-second seconds of mids kept for paths that start late (verdicts come 2 s after).
const RECENT_SECONDS: usize = 16;
/// SPEC 2.5 / 2.1: realized volatility over 5 minutes, typical spread over 60 minutes.
const VOLATILITY_SECONDS: usize = 300;
const TYPICAL_SPREAD_SECONDS: usize = 3_600;
/// One-minute realized volatility recorded with each signal: the research reports' volatility
/// terciles need a reading on captures of a few minutes, where rv_5m is not yet defined.
const SHORT_VOLATILITY_SECONDS: usize = 60;
/// Lagged differences in the ADF regression.
const ADF_LAGS: usize = 1;
/// More seconds than this without a record is a break in the data (another capture, an
/// outage): paths in progress are dropped and the mid history restarts. Shorter gaps
/// (seconds without a usable book) repeat the last mid in the paths.
const BREAK_SECONDS: i64 = 60;

/// Per-second measurements of one instrument.
#[derive(Debug)]
pub struct SecondMeasures {
    half_life: SignalHalfLife,
    volatility: VolatilityRank,
    short_volatility: RealizedVolatility,
    last_mid: Option<f64>,
    typical_spread: TypicalSpread,
    adf_window: usize,
    log_mids: VecDeque<f64>,
    /// `(second close ns, mid)` of the last seconds, oldest first.
    recent: VecDeque<(i64, Option<f64>)>,
    spread: Option<i64>,
    last_ts: Option<i64>,
}

impl SecondMeasures {
    pub fn new(config: &DrainConfig) -> Self {
        Self {
            half_life: SignalHalfLife::new(config.half_life_horizon_seconds),
            volatility: VolatilityRank::new(
                VOLATILITY_SECONDS,
                config.volatility_history_seconds as usize,
                VOLATILITY_SECONDS,
            ),
            short_volatility: RealizedVolatility::new(
                SHORT_VOLATILITY_SECONDS,
                SHORT_VOLATILITY_SECONDS,
            ),
            last_mid: None,
            typical_spread: TypicalSpread::new(TYPICAL_SPREAD_SECONDS),
            adf_window: config.adf_window_seconds as usize,
            log_mids: VecDeque::new(),
            recent: VecDeque::new(),
            spread: None,
            last_ts: None,
        }
    }

    /// The second closing at `ts` with the best bid / ask the strategy sees then; completed
    /// half-life paths are appended to `completed`.
    pub fn on_second(
        &mut self,
        ts: i64,
        bid: Option<Price>,
        ask: Option<Price>,
        completed: &mut Vec<CompletedPath>,
    ) {
        if let Some(last) = self.last_ts.replace(ts) {
            let missing = (ts - last) / NANOS_PER_SECOND - 1;
            if missing > BREAK_SECONDS {
                self.half_life.abandon_open();
                self.log_mids.clear();
                self.recent.clear();
                self.volatility.on_second(None);
                self.last_mid = None;
            } else {
                for _ in 0..missing.max(0) {
                    self.half_life.on_second(None, completed);
                }
            }
        }
        let quote = bid
            .zip(ask)
            .filter(|(bid, ask)| bid.raw() > 0 && ask.raw() > bid.raw());
        let mid = quote.map(|(bid, ask)| (bid.raw() as f64 + ask.raw() as f64) / 2.0);
        self.spread = quote.map(|(bid, ask)| ask.raw() - bid.raw());
        if let Some(spread) = self.spread {
            self.typical_spread.push(spread);
        }
        self.volatility.on_second(mid);
        if let (Some(previous), Some(mid)) = (self.last_mid, mid) {
            self.short_volatility.push((mid / previous).ln());
        }
        self.last_mid = mid;
        if let Some(mid) = mid {
            self.log_mids.push_back(mid.ln());
            while self.log_mids.len() > self.adf_window {
                self.log_mids.pop_front();
            }
        }
        self.half_life.on_second(mid, completed);
        self.recent.push_back((ts, mid));
        while self.recent.len() > RECENT_SECONDS {
            self.recent.pop_front();
        }
    }

    /// Starts the half-life path of a REAL_PRESSURE signal at `signal_ts` (a second close
    /// already seen); false when its mid is unknown (the path is not measured).
    pub fn start_path(&mut self, signal_ts: i64, long: bool) -> bool {
        let Some(index) = self.recent.iter().position(|&(ts, _)| ts == signal_ts) else {
            return false;
        };
        let Some(mid) = self.recent[index].1 else {
            return false;
        };
        // Seconds after the signal, one per second (a missing close repeats the last mid).
        let mut since = Vec::new();
        let mut expected = signal_ts + NANOS_PER_SECOND;
        for &(ts, later) in self.recent.iter().skip(index + 1) {
            while expected < ts {
                since.push(None);
                expected += NANOS_PER_SECOND;
            }
            since.push(later);
            expected = ts + NANOS_PER_SECOND;
        }
        self.half_life.start(
            signal_ts,
            Session::of(auction_trader_types::UnixNanos(signal_ts)),
            long,
            mid,
            &since,
        );
        true
    }

    pub fn half_life(&self) -> &SignalHalfLife {
        &self.half_life
    }

    /// ADF test of the last `adf_window_seconds` one-second log mids.
    pub fn adf(&self) -> Option<AdfResult> {
        let (front, back) = self.log_mids.as_slices();
        if back.is_empty() {
            adf_test(front, ADF_LAGS)
        } else {
            adf_test(&self.log_mids.iter().copied().collect::<Vec<_>>(), ADF_LAGS)
        }
    }

    /// rv_5m and its rank among the recent readings.
    pub fn volatility(&self) -> (Option<f64>, Option<f64>) {
        (self.volatility.current(), self.volatility.rank())
    }

    /// Realized volatility of the last 60 one-second mid log returns.
    pub fn short_volatility(&self) -> Option<f64> {
        self.short_volatility.pair().map(|(short, _)| short)
    }

    /// Spread at the last second / typical spread (mean of the last 60 minutes' one-second
    /// spreads).
    pub fn spread_ratio(&self) -> Option<f64> {
        let typical = self.typical_spread.mean_raw()?;
        let spread = self.spread?;
        (typical > 0.0).then(|| spread as f64 / typical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(raw: i64) -> Option<Price> {
        Some(Price::from_raw(raw))
    }

    #[test]
    fn late_paths_include_the_seconds_before_the_verdict() {
        let config = DrainConfig {
            half_life_horizon_seconds: 3,
            ..DrainConfig::default()
        };
        let mut measures = SecondMeasures::new(&config);
        let mut completed = Vec::new();
        let second = NANOS_PER_SECOND;
        // Mids 1,000 (bid 999, ask 1,001), 1,001, (no quote), then 1,002.
        measures.on_second(10 * second, price(999), price(1_001), &mut completed);
        measures.on_second(11 * second, price(1_000), price(1_002), &mut completed);
        measures.on_second(12 * second, None, price(1_002), &mut completed);
        // The verdict of the signal at 10 s arrives now: two seconds already closed.
        assert!(measures.start_path(10 * second, true));
        assert!(!measures.start_path(12 * second, true), "no mid at 12 s");
        assert!(!measures.start_path(9 * second, true), "unseen second");
        measures.on_second(13 * second, price(1_001), price(1_003), &mut completed);
        assert_eq!(completed.len(), 1);
        // +10 bps at 11 s, repeated at 12 s (no quote), +20 bps at 13 s.
        let moves = &completed[0].moves;
        assert_eq!(moves.len(), 3);
        assert!((moves[0] - 10.0).abs() < 1e-9 && (moves[1] - 10.0).abs() < 1e-9);
        assert!((moves[2] - 20.0).abs() < 1e-9);
        assert_eq!(completed[0].session, Session::Asia);
        // Spreads 2, 2, 2 (the quoteless second is skipped): ratio 1.
        assert_eq!(measures.spread_ratio(), Some(1.0));
    }

    #[test]
    fn missing_seconds_repeat_the_mid_and_a_break_drops_open_paths() {
        let config = DrainConfig {
            half_life_horizon_seconds: 4,
            ..DrainConfig::default()
        };
        let mut measures = SecondMeasures::new(&config);
        let mut completed = Vec::new();
        let second = NANOS_PER_SECOND;
        measures.on_second(10 * second, price(999), price(1_001), &mut completed);
        assert!(measures.start_path(10 * second, true));
        // No record for 11 s and 12 s (no usable book): they repeat mid 1,000 (0 bps).
        measures.on_second(13 * second, price(1_000), price(1_002), &mut completed);
        assert!(completed.is_empty());
        measures.on_second(14 * second, price(1_001), price(1_003), &mut completed);
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].moves[..2], [0.0, 0.0]);
        assert!((completed[0].moves[2] - 10.0).abs() < 1e-9);
        assert!((completed[0].moves[3] - 20.0).abs() < 1e-9);
        // A path open when the data breaks (61 s without a record) never completes.
        assert!(measures.start_path(14 * second, false));
        measures.on_second(76 * second, price(1_001), price(1_003), &mut completed);
        for offset in 1..=5 {
            measures.on_second(
                (76 + offset) * second,
                price(1_001),
                price(1_003),
                &mut completed,
            );
        }
        assert_eq!(completed.len(), 1);
        assert_eq!(measures.half_life().open_paths(), 0);
    }
}
