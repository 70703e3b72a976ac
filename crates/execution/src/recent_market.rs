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
//! Cost: a comparison per quote, a comparison and a few additions per trade; a closed second
//! keeps its totals and mids only when something happened in it (seconds are mostly quiet
//! in a window of 1,800), and the window's sums are computed when an estimate is asked for
//! (a taker order beyond the touch), which is rare next to the seconds that pass.

use std::collections::VecDeque;

use auction_trader_types::{
    AggressorSide, ContractType, FIXED_SCALE, NANOS_PER_SECOND, Trade, UnixNanos,
};

/// One second in which something happened (a trade, or a mid that moved); every other
/// second of the window is a sample with nothing traded and an unchanged mid.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ActiveSecond {
    /// Which sample it is (samples are numbered from 0 in time order).
    number: u64,
    /// Signed traded quote notional, millions.
    flow: f64,
    /// Traded quote notional.
    notional: f64,
    /// The mids at the start and the end of the second (> 0).
    start_mid: f64,
    end_mid: f64,
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
    /// The active seconds among the last `window` samples, oldest first.
    active: VecDeque<ActiveSecond>,
    /// Samples taken so far (active or quiet).
    taken: u64,
    /// End (exclusive, ns) of the second being accumulated; `i64::MIN` before any event.
    second_end: i64,
    /// Signed and unsigned traded notional of the current second in raw units (linear:
    /// raw price × raw size; inverse: raw size), scaled once when the second closes.
    raw_flow: f64,
    raw_notional: f64,
    /// The mid at the start of the current second.
    start_mid: Option<f64>,
    /// Quote notional of one raw unit (see `raw_notional`).
    notional_per_raw: f64,
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
            active: VecDeque::new(),
            taken: 0,
            second_end: i64::MIN,
            raw_flow: 0.0,
            raw_notional: 0.0,
            start_mid: None,
            notional_per_raw: if contract_type == ContractType::Inverse {
                multiplier / FIXED_SCALE as f64
            } else {
                multiplier / (FIXED_SCALE as f64 * FIXED_SCALE as f64)
            },
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
        // Raw units: no division per trade (the scale is applied once per second).
        let size = trade.size.raw_f64();
        let notional = if self.inverse {
            size
        } else {
            trade.price.raw_f64() * size
        };
        self.raw_notional += notional;
        self.raw_flow += match trade.aggressor {
            AggressorSide::Buy => notional,
            AggressorSide::Sell => -notional,
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
            if self.raw_notional != 0.0 || end != start {
                self.active.push_back(ActiveSecond {
                    number: self.taken,
                    flow: self.raw_flow * self.notional_per_raw / 1e6,
                    notional: self.raw_notional * self.notional_per_raw,
                    start_mid: start,
                    end_mid: end,
                });
            }
            // Whole seconds without an event: nothing traded, the mid unchanged.
            let skipped = second.saturating_sub(self.second_end.div_euclid(NANOS_PER_SECOND));
            let skipped = u64::try_from(skipped).unwrap_or(0).min(self.window as u64);
            self.taken += 1 + skipped;
            let oldest = self.taken.saturating_sub(self.window as u64);
            while self
                .active
                .front()
                .is_some_and(|first| first.number < oldest)
            {
                self.active.pop_front();
            }
        }
        self.raw_flow = 0.0;
        self.raw_notional = 0.0;
        self.start_mid = end_mid.or(self.start_mid);
        self.second_end = second.saturating_add(1).saturating_mul(NANOS_PER_SECOND);
    }

    /// The estimate from the closed seconds of the window (see the module doc).
    pub fn estimate(&self) -> Option<RecentEstimate> {
        let count = usize::try_from(self.taken)
            .unwrap_or(usize::MAX)
            .min(self.window);
        if count < self.min_samples {
            return None;
        }
        // Quiet seconds add nothing to the sums: only the count sees them.
        let (mut x, mut y, mut xx, mut xy, mut yy, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for second in &self.active {
            let ret = 1e4 * (second.end_mid / second.start_mid).ln();
            x += second.flow;
            y += ret;
            xx += second.flow * second.flow;
            xy += second.flow * ret;
            yy += ret * ret;
            n += second.notional;
        }
        if n <= 0.0 {
            return None;
        }
        let len = count as f64;
        let syy = (yy - y * y / len).max(0.0);
        let sxx = xx - x * x / len;
        let sxy = xy - x * y / len;
        let lambda = (sxx > 1e-12 * xx.max(1e-300)).then(|| sxy / sxx);
        Some(RecentEstimate {
            volatility_bps_per_minute: (syy / (len - 1.0)).sqrt() * 60_f64.sqrt(),
            volume_per_minute: n / len * 60.0,
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

    /// The window's samples written out one by one (every second, quiet or not), the way the
    /// module doc defines them.
    fn reference_estimate(samples: &[(f64, f64, f64)], window: usize) -> Option<(f64, f64)> {
        let last = &samples[samples.len().saturating_sub(window)..];
        let len = last.len() as f64;
        let n: f64 = last.iter().map(|s| s.2).sum();
        if last.len() < 2 || n <= 0.0 {
            return None;
        }
        let mean_y = last.iter().map(|s| s.1).sum::<f64>() / len;
        let syy: f64 = last.iter().map(|s| (s.1 - mean_y).powi(2)).sum();
        Some(((syy / (len - 1.0)).sqrt() * 60_f64.sqrt(), n / len * 60.0))
    }

    #[test]
    fn quiet_seconds_kept_implicitly_give_the_written_out_window() {
        // Seeded random trading with long quiet gaps, against the window written out.
        let mut random = auction_trader_types::SplitMix64::new(7);
        for window in [2_usize, 5, 30] {
            let mut market = RecentMarket::new(window, 2, ContractType::Linear, 1.0);
            let mut samples: Vec<(f64, f64, f64)> = Vec::new();
            let mut mid = 100.0_f64;
            let mut second = 0_i64;
            roll(&mut market, UnixNanos(0), Some(mid));
            for _ in 0..2_000 {
                let start = mid;
                let (mut flow, mut notional) = (0.0, 0.0);
                if random.next_u64().is_multiple_of(3) {
                    let size = (random.next_u64() % 5 + 1) as f64;
                    let buy = random.next_u64().is_multiple_of(2);
                    let price = format!("{mid:.0}");
                    let aggressor = if buy {
                        AggressorSide::Buy
                    } else {
                        AggressorSide::Sell
                    };
                    market.on_trade(&trade(
                        second * 1_000 + 10,
                        &price,
                        &size.to_string(),
                        aggressor,
                    ));
                    let value: f64 = price.parse::<f64>().unwrap() * size;
                    notional = value;
                    flow = if buy { value / 1e6 } else { -value / 1e6 };
                }
                if random.next_u64().is_multiple_of(4) {
                    mid += if random.next_u64().is_multiple_of(2) {
                        1.0
                    } else {
                        -1.0
                    };
                }
                let ret = 1e4 * (mid / start).ln();
                samples.push((flow, ret, notional));
                // Sometimes several quiet seconds follow.
                let quiet = if random.next_u64().is_multiple_of(5) {
                    random.next_u64() % 40
                } else {
                    0
                };
                samples.extend((0..quiet).map(|_| (0.0, 0.0, 0.0)));
                second += 1 + quiet as i64;
                roll(
                    &mut market,
                    UnixNanos(second * NANOS_PER_SECOND + 20),
                    Some(mid),
                );
                let expected = reference_estimate(&samples, window);
                let actual = market.estimate();
                match (expected, actual) {
                    (None, None) => {}
                    (Some((volatility, volume)), Some(estimate)) => {
                        assert!(
                            (estimate.volume_per_minute - volume).abs() < 1e-9 * volume.max(1.0)
                        );
                        assert!(
                            (estimate.volatility_bps_per_minute - volatility).abs()
                                < 1e-6 * volatility.max(1.0),
                            "{} vs {volatility}",
                            estimate.volatility_bps_per_minute
                        );
                    }
                    (expected, actual) => panic!("window {window}: {expected:?} vs {actual:?}"),
                }
            }
        }
    }
}
