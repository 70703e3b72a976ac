//! Daily sampling of the equity curve (SPEC 6: Sharpe and Sortino on DAILY returns).
//!
//! Definition: the day ends are the UTC midnights `b` strictly after the first equity point,
//! up to and including the first midnight at or after the last point; the equity at a day end
//! is that of the last point with `ts <= b` (a day without points carries the previous
//! equity). The final, possibly partial, day therefore ends with the final equity. The first
//! day's return is measured from [`RunRecords::initial_equity`](crate::RunRecords), each
//! later one from the previous day end: `r_k = E_k / E_{k−1} − 1`.
//!
//! This is pandas' `equity.resample("1D", closed="right", label="right").last().ffill()`
//! with the initial equity prepended (what `tools/stats_crosscheck` computes).

use auction_trader_types::{Money, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::EquityPoint;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The equity at one UTC day end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEnd {
    /// The midnight that closes the day.
    pub ts: UnixNanos,
    pub equity: Money,
}

/// Equity at each UTC day end of `points` (sorted by time; see the module doc). Empty when
/// there are no points.
pub fn daily_equity(points: &[EquityPoint]) -> Vec<DayEnd> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let mut day_ends = Vec::new();
    let mut boundary = first.ts.floor_day().0.saturating_add(NANOS_PER_DAY);
    let mut index = 0;
    let mut equity = first.equity;
    loop {
        while index < points.len() && points[index].ts.0 <= boundary {
            equity = points[index].equity;
            index += 1;
        }
        day_ends.push(DayEnd {
            ts: UnixNanos(boundary),
            equity,
        });
        if boundary >= last.ts.0 || boundary == i64::MAX {
            return day_ends;
        }
        boundary = boundary.saturating_add(NANOS_PER_DAY);
    }
}

/// Simple daily returns: the first from `initial_equity`, then day end to day end. A day
/// that starts from zero or negative equity has no defined return and yields `NaN`.
pub fn daily_returns(initial_equity: Money, day_ends: &[DayEnd]) -> Vec<f64> {
    let mut previous = initial_equity.as_f64();
    day_ends
        .iter()
        .map(|day| {
            let equity = day.equity.as_f64();
            let result = if previous > 0.0 {
                equity / previous - 1.0
            } else {
                f64::NAN
            };
            previous = equity;
            result
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use auction_trader_types::Quantity;

    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    fn point(hours: i64, equity: i64) -> EquityPoint {
        EquityPoint {
            ts: UnixNanos(hours * HOUR),
            equity: Money::from_units(equity).unwrap(),
            cash: Money::ZERO,
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        }
    }

    #[test]
    fn day_ends_take_the_last_point_at_or_before_midnight() {
        // Points: day 0 23:00 → 100, day 1 00:00 → 110 (exactly at the boundary: counts for
        // day 0), day 1 12:00 → 99, day 3 06:00 → 120 (day 2 has no point: carries 99).
        let points = [
            point(23, 100),
            point(24, 110),
            point(36, 99),
            point(78, 120),
        ];
        let days = daily_equity(&points);
        let expected: Vec<(i64, i128)> = vec![(24, 110), (48, 99), (72, 99), (96, 120)];
        let actual: Vec<(i64, i128)> = days
            .iter()
            .map(|day| (day.ts.0 / HOUR, day.equity.0 / 1_000_000_000))
            .collect();
        assert_eq!(actual, expected);
        // Returns from an initial 100: 110/100 − 1 = 0.1, 99/110 − 1 = −0.1, 0, 120/99 − 1.
        let returns = daily_returns(Money::from_units(100).unwrap(), &days);
        let expected = [0.1, -0.1, 0.0, 120.0 / 99.0 - 1.0];
        for (actual, expected) in returns.iter().zip(expected) {
            assert!((actual - expected).abs() < 1e-15, "{actual} vs {expected}");
        }
    }

    #[test]
    fn a_curve_ending_on_midnight_ends_there_and_empty_curves_have_no_days() {
        let days = daily_equity(&[point(1, 100), point(24, 105)]);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].equity, Money::from_units(105).unwrap());
        assert!(daily_equity(&[]).is_empty());
        assert!(daily_returns(Money::ZERO, &days)[0].is_nan());
    }
}
