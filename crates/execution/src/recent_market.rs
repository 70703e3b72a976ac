//! The exchange's own, causal estimate of the market state the dynamic cost model needs
//! (SPEC 5: volatility, traded volume and Kyle's lambda "estimated from the data"), kept
//! cheaply from the events it replays, so that the part of a quote-only market order beyond
//! the quoted size pays the cost model's impact.
//!
//! One-second samples over a trailing window (default 30 minutes, the feature library's
//! `kyle_lambda_30m` window): for each second, `x` = signed traded quote notional in millions
//! (buyer-initiated +, seller-initiated −, unlabelled 0), `y` = the mid's log return over the
//! second in bps (`1e4 · ln(mid_end / mid_start)`, the mid the exchange sees: touches, else the
//! last trade), `n` = traded quote notional (linear: price × size × multiplier; inverse: the
//! contracts' USD face value). A second closes when the first quote or trade of a later second
//! arrives, with the mid as it was just before that event (the end of the second); seconds
//! with no event in between are samples with nothing traded and an unchanged mid. A second
//! that starts without any mid is not a sample.
//!
//! From the window: volume per minute = mean `n` × 60; σ per minute = the sample standard
//! deviation of `y` × √60; λ = the least-squares slope of `y` on `x` (bps per million), none
//! while `x` does not vary. No state before `min_samples` seconds or without any volume.
//!
//! Cost: a comparison per quote, a comparison and three additions per trade; a closed second
//! updates running sums (recomputed from the window once per window length, so rounding does
//! not accumulate).

use std::collections::VecDeque;

use auction_trader_types::{AggressorSide, ContractType, NANOS_PER_SECOND, Trade, UnixNanos};

/// One second of the window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sample {
    /// Signed traded quote notional, millions.
    flow: f64,
    /// Mid log return, bps.
    ret: f64,
    /// Traded quote notional.
    notional: f64,
}

/// Running sums over the window's samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    x: f64,
    y: f64,
    xx: f64,
    xy: f64,
    yy: f64,
    n: f64,
}

impl Sums {
    fn add(&mut self, sample: Sample, sign: f64) {
        self.x += sign * sample.flow;
        self.y += sign * sample.ret;
        self.xx += sign * sample.flow * sample.flow;
        self.xy += sign * sample.flow * sample.ret;
        self.yy += sign * sample.ret * sample.ret;
        self.n += sign * sample.notional;
    }
}

/// What the window says about the market (the cost model's inputs it can supply).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RecentEstimate {
    pub volatility_bps_per_minute: f64,
    pub volume_per_minute: f64,
    pub kyle_lambda_bps_per_million: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct RecentMarket {
    window: usize,
    min_samples: usize,
    samples: VecDeque<Sample>,
    sums: Sums,
    /// Samples pushed since the sums were last recomputed from the window.
    since_recompute: usize,
    /// End (exclusive, ns) of the second being accumulated; `i64::MIN` before any event.
    second_end: i64,
    flow: f64,
    notional: f64,
    /// The mid at the start of the current second.
    start_mid: Option<f64>,
    /// Quote notional of one unit at price 1 (linear) or of one contract (inverse).
    multiplier: f64,
    inverse: bool,
}

impl RecentMarket {
    /// A window of `window_seconds` one-second samples, estimating from `min_samples`.
    pub fn new(
        window_seconds: usize,
        min_samples: usize,
        contract_type: ContractType,
        multiplier: f64,
    ) -> Self {
        let window = window_seconds.max(2);
        Self {
            window,
            min_samples: min_samples.clamp(2, window),
            samples: VecDeque::with_capacity(window),
            sums: Sums::default(),
            since_recompute: 0,
            second_end: i64::MIN,
            flow: 0.0,
            notional: 0.0,
            start_mid: None,
            multiplier,
            inverse: contract_type == ContractType::Inverse,
        }
    }

    /// Whether an event stamped `ts` ends the current second: call
    /// [`close_seconds`](Self::close_seconds) before applying it.
    #[inline]
    pub fn due(&self, ts: UnixNanos) -> bool {
        ts.as_i64() >= self.second_end
    }

    /// Adds a trade to the current second (after closing the earlier ones).
    #[inline]
    pub fn on_trade(&mut self, trade: &Trade) {
        let size = trade.size.as_f64();
        let notional = if self.inverse {
            size * self.multiplier
        } else {
            trade.price.as_f64() * size * self.multiplier
        };
        self.notional += notional;
        self.flow += match trade.aggressor {
            AggressorSide::Buy => notional / 1e6,
            AggressorSide::Sell => -notional / 1e6,
            AggressorSide::Unknown => 0.0,
        };
    }

    /// Closes the seconds before the one of `ts`; `end_mid` is the mid just before the event
    /// stamped `ts` (the mid at the end of those seconds).
    #[cold]
    pub fn close_seconds(&mut self, ts: UnixNanos, end_mid: Option<f64>) {
        let second = ts.as_i64().div_euclid(NANOS_PER_SECOND);
        if self.second_end != i64::MIN
            && let (Some(start), Some(end)) = (self.start_mid, end_mid)
            && start > 0.0
            && end > 0.0
        {
            self.push(Sample {
                flow: self.flow,
                ret: 1e4 * (end / start).ln(),
                notional: self.notional,
            });
            // Whole seconds without an event: nothing traded, the mid unchanged.
            let skipped = second.saturating_sub(self.second_end.div_euclid(NANOS_PER_SECOND));
            let skipped = usize::try_from(skipped).unwrap_or(0).min(self.window);
            for _ in 0..skipped {
                self.push(Sample::default());
            }
        }
        self.flow = 0.0;
        self.notional = 0.0;
        self.start_mid = end_mid.or(self.start_mid);
        self.second_end = second.saturating_add(1).saturating_mul(NANOS_PER_SECOND);
    }

    fn push(&mut self, sample: Sample) {
        if self.samples.len() == self.window
            && let Some(old) = self.samples.pop_front()
        {
            self.sums.add(old, -1.0);
        }
        self.samples.push_back(sample);
        self.sums.add(sample, 1.0);
        self.since_recompute += 1;
        if self.since_recompute >= self.window {
            self.since_recompute = 0;
            let mut sums = Sums::default();
            for &sample in &self.samples {
                sums.add(sample, 1.0);
            }
            self.sums = sums;
        }
    }

    /// The estimate from the closed seconds of the window (see the module doc).
    pub fn estimate(&self) -> Option<RecentEstimate> {
        let count = self.samples.len();
        if count < self.min_samples || self.sums.n <= 0.0 {
            return None;
        }
        let len = count as f64;
        let sums = self.sums;
        let syy = (sums.yy - sums.y * sums.y / len).max(0.0);
        let sxx = sums.xx - sums.x * sums.x / len;
        let sxy = sums.xy - sums.x * sums.y / len;
        let lambda = (sxx > 1e-12 * sums.xx.max(1e-300)).then(|| sxy / sxx);
        Some(RecentEstimate {
            volatility_bps_per_minute: (syy / (len - 1.0)).sqrt() * 60_f64.sqrt(),
            volume_per_minute: sums.n / len * 60.0,
            kyle_lambda_bps_per_million: lambda.filter(|value| value.is_finite()),
        })
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, Quantity, TradeId};

    use super::*;

    fn trade(ts_ms: i64, price: &str, size: &str, aggressor: AggressorSide) -> Trade {
        Trade {
            ts_event: UnixNanos(ts_ms * 1_000_000),
            ts_recv: UnixNanos(ts_ms * 1_000_000),
            price: Price::from_decimal_str(price).unwrap(),
            size: Quantity::from_decimal_str(size).unwrap(),
            aggressor,
            trade_id: TradeId(0),
        }
    }

    fn roll(market: &mut RecentMarket, ts: UnixNanos, mid: Option<f64>) {
        if market.due(ts) {
            market.close_seconds(ts, mid);
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    #[test]
    fn volume_volatility_and_lambda_by_hand() {
        // Mids 100 at 0.5 s; second 1: buy 2 @ 100 (+200 = +0.0002 M), mid → 101;
        // second 2: sell 1 @ 101 (−101), mid → 100; second 3: nothing (skipped, a zero
        // sample); second 4 closes at 5.2 s with buy 1 @ 100 (+100), mid → 102.
        // Samples (x M, y bps, n): (0.0002, 1e4 ln 1.01, 200), (−0.000101, 1e4 ln(100/101),
        // 101), (0, 0, 0), (0.0001, 1e4 ln 1.02, 100).
        let mut market = RecentMarket::new(10, 4, ContractType::Linear, 1.0);
        // Before the first quote (0.5 s) and the quote at 0.6 s: no mid yet.
        roll(&mut market, UnixNanos(500_000_000), None);
        roll(&mut market, UnixNanos(600_000_000), None);
        let mut mid = 100.0;
        let steps = [
            (1_200, "100", "2", AggressorSide::Buy, 101.0),
            (2_200, "101", "1", AggressorSide::Sell, 100.0),
            (4_200, "100", "1", AggressorSide::Buy, 102.0),
        ];
        for (ts, price, size, aggressor, next_mid) in steps {
            let now = mid;
            roll(&mut market, UnixNanos(ts * 1_000_000), Some(now));
            market.on_trade(&trade(ts, price, size, aggressor));
            mid = next_mid;
        }
        assert!(market.estimate().is_none(), "four samples needed");
        let now = mid;
        roll(&mut market, UnixNanos(5_200_000_000), Some(now));
        let xs = [0.0002, -0.000101, 0.0, 0.0001];
        let ys = [
            1e4 * 1.01_f64.ln(),
            1e4 * (100.0_f64 / 101.0).ln(),
            0.0,
            1e4 * 1.02_f64.ln(),
        ];
        // Second 0 had no mid at its start: not a sample.
        let estimate = market.estimate().unwrap();
        let mean_x = xs.iter().sum::<f64>() / 4.0;
        let mean_y = ys.iter().sum::<f64>() / 4.0;
        let sxy: f64 = xs
            .iter()
            .zip(ys)
            .map(|(x, y)| (x - mean_x) * (y - mean_y))
            .sum();
        let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
        let syy: f64 = ys.iter().map(|y| (y - mean_y).powi(2)).sum();
        close(
            estimate.volume_per_minute,
            (200.0 + 101.0 + 100.0) / 4.0 * 60.0,
        );
        close(
            estimate.volatility_bps_per_minute,
            (syy / 3.0).sqrt() * 60_f64.sqrt(),
        );
        let lambda = estimate.kyle_lambda_bps_per_million.unwrap();
        assert!((lambda - sxy / sxx).abs() < 1e-6 * lambda.abs(), "{lambda}");
        // By hand: x̄ = 0.00004975, ȳ = (99.50331 − 99.50331 + 0 + 198.02627) / 4 = 49.50657;
        // Sxy = 0.0399013, Sxx = 5.030075e-8 → λ = 793,254.9 bps per million (tiny
        // notionals, big moves); σ = √(Syy / 3) × √60 = 992.09 bps a minute.
        assert!((lambda - 793_254.89).abs() < 0.1, "{lambda}");
        assert!((estimate.volatility_bps_per_minute - 992.095).abs() < 1e-3);
    }

    #[test]
    fn the_window_drops_old_seconds_and_a_gap_is_quiet_seconds() {
        // Window 3, mid 100 throughout: a buy of 1 @ 100 in second 1, then nothing until 10 s.
        let mut market = RecentMarket::new(3, 2, ContractType::Linear, 1.0);
        roll(&mut market, UnixNanos(500_000_000), Some(100.0));
        roll(&mut market, UnixNanos(1_100_000_000), Some(100.0));
        market.on_trade(&trade(1_100, "100", "1", AggressorSide::Buy));
        roll(&mut market, UnixNanos(3_100_000_000), Some(100.0));
        let estimate = market.estimate().unwrap();
        // At 3.1 s: seconds 0 (n 0), 1 (100) and 2 (0, quiet) → 100 / 3 a second = 2,000 a
        // minute.
        close(estimate.volume_per_minute, 2_000.0);
        // At 10 s: second 3 and six quiet seconds are pushed; the window keeps three quiet ones.
        roll(&mut market, UnixNanos(10_000_000_000), Some(100.0));
        assert!(market.estimate().is_none(), "no volume left in the window");
    }

    #[test]
    fn inverse_contracts_count_their_face_value() {
        let mut market = RecentMarket::new(10, 2, ContractType::Inverse, 100.0);
        roll(&mut market, UnixNanos(0), Some(60_000.0));
        market.on_trade(&trade(100, "60000", "3", AggressorSide::Sell));
        roll(&mut market, UnixNanos(1_000_000_000), Some(60_000.0));
        roll(&mut market, UnixNanos(2_000_000_000), Some(60_000.0));
        // 3 contracts × 100 USD = 300 in second 0, nothing in second 1: 150 a second.
        close(market.estimate().unwrap().volume_per_minute, 9_000.0);
    }
}
