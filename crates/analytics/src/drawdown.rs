//! Maximum drawdown of an equity curve (SPEC 6).
//!
//! Definition: the running peak starts at the initial equity and is the highest equity seen
//! so far; the drawdown at a point is `peak − equity` in money and `(peak − equity) / peak ×
//! 100` in percent of the running peak (only while the peak is positive). Both maxima are
//! reported as positive numbers with the time of their peak and trough (empyrical's
//! `max_drawdown` returns the same percentage as a negative fraction).

use auction_trader_types::{Money, UnixNanos};
use serde::{Deserialize, Serialize};

/// One peak-to-trough fall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drawdown {
    /// `peak_equity − trough_equity` (≥ 0).
    pub amount: Money,
    /// `amount / peak_equity × 100` (≥ 0).
    pub percent: f64,
    pub peak_ts: UnixNanos,
    pub peak_equity: Money,
    pub trough_ts: UnixNanos,
    pub trough_equity: Money,
}

/// The largest drawdowns of a curve: by percent of the running peak and by money amount
/// (they can be different episodes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MaxDrawdowns {
    pub by_percent: Drawdown,
    pub by_amount: Drawdown,
}

/// Maximum drawdowns of `(ts, equity)` samples in time order, starting from a peak of
/// `initial_equity` at `start_ts`. `None` for an empty curve.
pub fn max_drawdowns(
    initial_equity: Money,
    start_ts: UnixNanos,
    samples: impl IntoIterator<Item = (UnixNanos, Money)>,
) -> Option<MaxDrawdowns> {
    let mut peak = (start_ts, initial_equity);
    let mut best: Option<MaxDrawdowns> = None;
    for (ts, equity) in samples {
        if equity > peak.1 {
            peak = (ts, equity);
        }
        // Equity values come from checked account sums; their difference fits unless the
        // two are of opposite extreme signs, then the drawdown is the whole range.
        let amount = peak.1.checked_sub(equity).unwrap_or(Money::MAX);
        let percent = if peak.1.is_positive() {
            amount.as_f64() / peak.1.as_f64() * 100.0
        } else {
            0.0
        };
        let current = Drawdown {
            amount,
            percent,
            peak_ts: peak.0,
            peak_equity: peak.1,
            trough_ts: ts,
            trough_equity: equity,
        };
        best = Some(match best {
            None => MaxDrawdowns {
                by_percent: current,
                by_amount: current,
            },
            Some(mut best) => {
                if current.percent > best.by_percent.percent {
                    best.by_percent = current;
                }
                if current.amount > best.by_amount.amount {
                    best.by_amount = current;
                }
                best
            }
        });
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(units: i64) -> Money {
        Money::from_units(units).unwrap()
    }

    #[test]
    fn percent_and_amount_maxima_can_differ() {
        // Initial 100 at t0. Curve: 1→80 (−20, −20%), 2→200 (new peak), 3→170 (−30, −15%),
        // 4→210 (peak). Max by percent: 20% (100 → 80, t0 → t1); by amount: 30 (200 → 170).
        let samples = [(1, 80), (2, 200), (3, 170), (4, 210)]
            .map(|(ts, equity)| (UnixNanos(ts), money(equity)));
        let result = max_drawdowns(money(100), UnixNanos(0), samples).unwrap();
        assert_eq!(result.by_percent.amount, money(20));
        assert!((result.by_percent.percent - 20.0).abs() < 1e-12);
        assert_eq!(
            (result.by_percent.peak_ts, result.by_percent.trough_ts),
            (UnixNanos(0), UnixNanos(1))
        );
        assert_eq!(result.by_amount.amount, money(30));
        assert!((result.by_amount.percent - 15.0).abs() < 1e-12);
        assert_eq!(
            (result.by_amount.peak_ts, result.by_amount.trough_ts),
            (UnixNanos(2), UnixNanos(3))
        );
    }

    #[test]
    fn a_rising_curve_has_a_zero_drawdown_and_an_empty_one_none() {
        let samples = [(1, 101), (2, 102)].map(|(ts, equity)| (UnixNanos(ts), money(equity)));
        let result = max_drawdowns(money(100), UnixNanos(0), samples).unwrap();
        assert_eq!(result.by_percent.amount, Money::ZERO);
        assert_eq!(result.by_percent.percent, 0.0);
        assert_eq!(max_drawdowns(money(100), UnixNanos(0), []), None);
    }
}
