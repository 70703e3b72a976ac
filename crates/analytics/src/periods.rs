//! P&L by calendar period and the rolling risk series of the dashboard (SPEC 6, 8): the equity
//! change per UTC day, ISO week (Monday 00:00 UTC) and calendar month, exact in the run's
//! money; the drawdown curve; the rolling Sharpe ratio of daily returns.
//!
//! A period's P&L is the equity at its last day end minus the equity at the day end before it
//! (the run's initial equity for the first), so the periods of a run add up to its total P&L
//! and include open-position marks, funding and fees as the equity curve does.

use auction_trader_types::{Money, UnixNanos};

use crate::daily::{DayEnd, daily_returns};
use crate::statistics::{mean, sample_std};
use crate::{EquityPoint, TradeRecord};

/// Calendar periods P&L is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    /// ISO week: Monday 00:00 UTC to the next Monday.
    Week,
    Month,
}

/// The P&L of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodPnl {
    /// First UTC date of the period, `YYYY-MM-DD`.
    pub start: String,
    /// Equity at the period's last day end minus the equity before it.
    pub pnl: Money,
    /// Equity at the period's last day end.
    pub end_equity: Money,
    /// Trades whose exit falls in the period.
    pub trades: usize,
}

/// The first day (days since the epoch) of the period containing `day`.
fn period_start(period: Period, day: i64) -> i64 {
    match period {
        Period::Day => day,
        // 1970-01-01 was a Thursday: Monday is three days before it.
        Period::Week => (day + 3).div_euclid(7) * 7 - 3,
        Period::Month => {
            let (year, month, _) = UnixNanos(day * NANOS_PER_DAY).date();
            UnixNanos::from_civil(year, month, 1, 0).days_since_epoch()
        }
    }
}

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// P&L per `period` from the run's day ends ([`crate::daily_equity`]) and its trades.
pub fn period_pnl(
    initial_equity: Money,
    day_ends: &[DayEnd],
    trades: &[TradeRecord],
    period: Period,
) -> Vec<PeriodPnl> {
    let mut periods: Vec<(i64, PeriodPnl)> = Vec::new();
    let mut before = initial_equity;
    for day_end in day_ends {
        // A day end is the midnight closing its day.
        let day = day_end.ts.days_since_epoch() - 1;
        let start = period_start(period, day);
        match periods.last_mut() {
            Some((last_start, row)) if *last_start == start => {
                row.pnl = row
                    .pnl
                    .saturating_add(day_end.equity.saturating_sub(before));
                row.end_equity = day_end.equity;
            }
            _ => periods.push((
                start,
                PeriodPnl {
                    start: UnixNanos(start * NANOS_PER_DAY).date_string(),
                    pnl: day_end.equity.saturating_sub(before),
                    end_equity: day_end.equity,
                    trades: 0,
                },
            )),
        }
        before = day_end.equity;
    }
    for trade in trades {
        let start = period_start(period, trade.exit_ts.days_since_epoch());
        if let Ok(index) = periods.binary_search_by_key(&start, |(first, _)| *first) {
            periods[index].1.trades += 1;
        }
    }
    periods.into_iter().map(|(_, row)| row).collect()
}

/// The drawdown at each point: `equity / running peak − 1` (0 at a new peak; the peak starts
/// at the initial equity). A statistic for the chart, in `f64`.
pub fn drawdown_curve(initial_equity: Money, points: &[EquityPoint]) -> Vec<(UnixNanos, f64)> {
    let mut peak = initial_equity.as_f64();
    points
        .iter()
        .map(|point| {
            let equity = point.equity.as_f64();
            peak = peak.max(equity);
            let drawdown = if peak > 0.0 { equity / peak - 1.0 } else { 0.0 };
            (point.ts, drawdown)
        })
        .collect()
}

/// Rolling Sharpe ratio of daily returns over `window` days, annualized with √365 (crypto
/// trades every day), at each day end from the `window`-th on; `None` where the window's
/// returns have no spread.
pub fn rolling_sharpe(
    initial_equity: Money,
    day_ends: &[DayEnd],
    window: usize,
) -> Vec<(UnixNanos, Option<f64>)> {
    let returns = daily_returns(initial_equity, day_ends);
    if window < 2 {
        return Vec::new();
    }
    (window..=returns.len())
        .map(|end| {
            let slice = &returns[end - window..end];
            let sharpe = match (mean(slice), sample_std(slice)) {
                (Some(mean), Some(std)) if std > 0.0 && mean.is_finite() => {
                    Some(mean / std * 365f64.sqrt())
                }
                _ => None,
            };
            (day_ends[end - 1].ts, sharpe)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use auction_trader_types::Quantity;

    use super::*;
    use crate::daily_equity;

    const HOUR: i64 = 3_600_000_000_000;

    fn money(units: i64) -> Money {
        Money::from_units(units).unwrap_or(Money::ZERO)
    }

    fn point(hours: i64, equity: i64) -> EquityPoint {
        EquityPoint {
            ts: UnixNanos(hours * HOUR),
            equity: money(equity),
            cash: Money::ZERO,
            unrealized: Money::ZERO,
            position: Quantity::ZERO,
        }
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 1970-01-05 was a Monday (day 4); 2024-08-08 (day 19943) a Thursday → Monday 08-05.
        assert_eq!(period_start(Period::Week, 4), 4);
        assert_eq!(period_start(Period::Week, 10), 4);
        assert_eq!(period_start(Period::Week, 11), 11);
        assert_eq!(period_start(Period::Week, 0), -3);
        let monday = period_start(Period::Week, 19_943);
        assert_eq!(
            UnixNanos(monday * NANOS_PER_DAY).date_string(),
            "2024-08-05"
        );
        let first = period_start(Period::Month, 19_943);
        assert_eq!(UnixNanos(first * NANOS_PER_DAY).date_string(), "2024-08-01");
    }

    #[test]
    fn period_pnl_adds_up_to_the_equity_change() {
        // 1970-01-04 (Sunday, day 3) to 1970-01-06 (Tuesday, day 5). Initial 1000; day ends:
        // day 3 → 1010, day 4 → 1005, day 5 → 1030.
        let points = [
            point(3 * 24 + 1, 1010),
            point(4 * 24 + 1, 1005),
            point(5 * 24 + 1, 1030),
        ];
        let days = daily_equity(&points);
        assert_eq!(days.len(), 3);
        let daily = period_pnl(money(1000), &days, &[], Period::Day);
        let pnl: Vec<(String, Money)> = daily
            .iter()
            .map(|row| (row.start.clone(), row.pnl))
            .collect();
        assert_eq!(
            pnl,
            [
                ("1970-01-04".to_owned(), money(10)),
                ("1970-01-05".to_owned(), money(-5)),
                ("1970-01-06".to_owned(), money(25)),
            ]
        );
        // Weeks: Sunday belongs to the week of Monday 1969-12-29; Monday and Tuesday to the
        // week of 1970-01-05: +10, then −5 + 25 = +20.
        let weekly = period_pnl(money(1000), &days, &[], Period::Week);
        let pnl: Vec<(String, Money, Money)> = weekly
            .iter()
            .map(|row| (row.start.clone(), row.pnl, row.end_equity))
            .collect();
        assert_eq!(
            pnl,
            [
                ("1969-12-29".to_owned(), money(10), money(1010)),
                ("1970-01-05".to_owned(), money(20), money(1030)),
            ]
        );
        let monthly = period_pnl(money(1000), &days, &[], Period::Month);
        assert_eq!(monthly.len(), 1);
        assert_eq!(monthly[0].start, "1970-01-01");
        assert_eq!(monthly[0].pnl, money(30));
    }

    #[test]
    fn drawdown_is_measured_from_the_running_peak() {
        let curve = drawdown_curve(money(100), &[point(1, 110), point(2, 99), point(3, 121)]);
        let values: Vec<f64> = curve.iter().map(|(_, value)| *value).collect();
        assert_eq!(values[0], 0.0);
        assert!((values[1] - (99.0 / 110.0 - 1.0)).abs() < 1e-15);
        assert_eq!(values[2], 0.0);
    }

    #[test]
    fn rolling_sharpe_uses_the_last_window_of_daily_returns() {
        // Returns 0.1, −0.1, 0.0 (equity 100 → 110 → 99 → 99): window 2 gives two values.
        let points = [point(1, 110), point(25, 99), point(49, 99)];
        let days = daily_equity(&points);
        let sharpe = rolling_sharpe(money(100), &days, 2);
        assert_eq!(sharpe.len(), 2);
        // Window [0.1, −0.1]: mean 0 (to rounding) → Sharpe 0. Window [−0.1, 0]: mean −0.05, sample std
        // 0.0707107 → −0.7071068 × √365 = −13.509256.
        assert!(sharpe[0].1.is_some_and(|value| value.abs() < 1e-12));
        let second = sharpe[1].1.unwrap_or(f64::NAN);
        assert!((second - (-0.05 / (0.005f64).sqrt() * 365f64.sqrt())).abs() < 1e-9);
        assert!(rolling_sharpe(money(100), &days, 5).is_empty());
    }
}
