//! Regime split by volatility tercile (SPEC 6: "regime-aware (low/med/high volatility)"): the
//! config runs once; each UTC day of its trading window is ranked by the realized volatility
//! of its one-minute log returns and put in the low, medium or high third; the run's daily
//! returns and trades (by entry time) are then summarized per third, with the gate
//! "Sharpe > 0.5 in every volatility regime".

use std::collections::BTreeMap;

use auction_trader_analytics::{ReturnStatistics, daily_equity, daily_returns};
use auction_trader_types::{MarketEvent, NANOS_PER_MINUTE, UnixNanos};

use super::costs::trading_window;
use super::data::ValidationData;
use super::gates::{Gate, SHARPE_IN_EVERY_REGIME};
use super::window::Window;
use crate::config::BacktestConfig;
use crate::error::BacktestError;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The three volatility regimes.
pub const REGIMES: [&str; 3] = ["low", "medium", "high"];

/// The last traded (or bar-close, or quote-mid) price of each minute, in time order.
fn minute_prices(events: &[MarketEvent]) -> Vec<(i64, f64)> {
    let mut prices: Vec<(i64, f64)> = Vec::new();
    for event in events {
        let (ts, price) = match event {
            MarketEvent::Bar(bar) => (bar.ts_recv, bar.close.as_f64()),
            MarketEvent::Trade(trade) => (trade.ts_recv, trade.price.as_f64()),
            MarketEvent::Quote(quote) => (
                quote.ts_recv,
                (quote.bid_price.as_f64() + quote.ask_price.as_f64()) / 2.0,
            ),
            _ => continue,
        };
        if !(price.is_finite() && price > 0.0) {
            continue;
        }
        let minute = ts.0.div_euclid(NANOS_PER_MINUTE);
        match prices.last_mut() {
            Some(last) if last.0 == minute => last.1 = price,
            _ => prices.push((minute, price)),
        }
    }
    prices
}

/// Realized volatility (sample std of one-minute log returns between consecutive minutes of
/// the same day) per UTC day start; days with fewer than two returns are left out.
pub fn daily_volatility(events: &[MarketEvent]) -> BTreeMap<i64, f64> {
    let mut returns: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    let minutes_per_day = NANOS_PER_DAY / NANOS_PER_MINUTE;
    for pair in minute_prices(events).windows(2) {
        let ((first_minute, first), (minute, price)) = (pair[0], pair[1]);
        let day = minute.div_euclid(minutes_per_day);
        if first_minute.div_euclid(minutes_per_day) == day && minute == first_minute + 1 {
            returns
                .entry(day * NANOS_PER_DAY)
                .or_default()
                .push((price / first).ln());
        }
    }
    returns
        .into_iter()
        .filter_map(|(day, values)| {
            auction_trader_analytics::statistics::sample_std(&values).map(|std| (day, std))
        })
        .collect()
}

/// Regime index (0 low, 1 medium, 2 high) of each day: rank by volatility (ties by date),
/// rank × 3 / days.
pub fn terciles(volatility: &BTreeMap<i64, f64>) -> BTreeMap<i64, usize> {
    let mut ranked: Vec<(i64, f64)> = volatility.iter().map(|(d, v)| (*d, *v)).collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let days = ranked.len();
    ranked
        .into_iter()
        .enumerate()
        .map(|(rank, (day, _))| (day, rank * 3 / days))
        .collect()
}

/// One regime's summary.
#[derive(Debug, Clone)]
pub struct RegimeRow {
    pub regime: &'static str,
    pub days: usize,
    /// Mean daily volatility of its days (one-minute log returns, std).
    pub mean_volatility: Option<f64>,
    pub returns: ReturnStatistics,
    pub trades: usize,
    pub trades_net_pnl: f64,
    pub gate: Gate,
}

/// The regime report.
#[derive(Debug, Clone)]
pub struct RegimeReport {
    pub run_name: String,
    pub window: Window,
    pub rows: Vec<RegimeRow>,
    /// Daily returns of days without a volatility (no prices) are left out.
    pub unclassified_days: usize,
}

/// Runs the config once and splits its days by volatility tercile.
pub fn regime_split(
    config: &BacktestConfig,
    data: &ValidationData,
) -> Result<RegimeReport, BacktestError> {
    let window = trading_window(config, data)?;
    let window_data = data.window(config, window);
    let result = data.run(config, &window_data)?;
    let traded: Vec<MarketEvent> = data
        .events
        .iter()
        .filter(|event| event.ts_recv() >= window.from && event.ts_recv() < window.to)
        .copied()
        .collect();
    let volatility = daily_volatility(&traded);
    let regime_of = terciles(&volatility);
    let day_of = |ts: UnixNanos| ts.0.div_euclid(NANOS_PER_DAY) * NANOS_PER_DAY;
    let records = &result.records;
    let day_ends = daily_equity(&records.equity);
    let returns = daily_returns(records.initial_equity, &day_ends);
    let mut per_regime: [Vec<f64>; 3] = Default::default();
    let mut unclassified_days = 0;
    for (day_end, value) in day_ends.iter().zip(returns) {
        // A day end is the midnight that closes its day.
        match regime_of.get(&(day_end.ts.0 - NANOS_PER_DAY)) {
            Some(&regime) if value.is_finite() => per_regime[regime].push(value),
            _ => unclassified_days += 1,
        }
    }
    let mut trades = [(0usize, 0.0f64); 3];
    for trade in &records.trades {
        if let Some(&regime) = regime_of.get(&day_of(trade.entry_ts)) {
            trades[regime].0 += 1;
            trades[regime].1 += trade.net_pnl.as_f64();
        }
    }
    let rows = REGIMES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let vols: Vec<f64> = regime_of
                .iter()
                .filter(|(_, regime)| **regime == index)
                .filter_map(|(day, _)| volatility.get(day).copied())
                .collect();
            let returns = ReturnStatistics::of(&per_regime[index]);
            RegimeRow {
                regime: name,
                days: vols.len(),
                mean_volatility: auction_trader_analytics::statistics::mean(&vols),
                gate: Gate::new(
                    format!("Sharpe in the {name}-volatility days"),
                    SHARPE_IN_EVERY_REGIME,
                    returns.sharpe,
                ),
                returns,
                trades: trades[index].0,
                trades_net_pnl: trades[index].1,
            }
        })
        .collect();
    Ok(RegimeReport {
        run_name: config.run.name.clone(),
        window,
        rows,
        unclassified_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(minute: i64, price: &str) -> MarketEvent {
        use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId};
        let ts = UnixNanos(minute * NANOS_PER_MINUTE + 5);
        MarketEvent::Trade(Trade {
            ts_event: ts,
            ts_recv: ts,
            price: Price::from_decimal_str(price).unwrap(),
            size: Quantity::from_raw(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(0),
        })
    }

    #[test]
    fn volatility_uses_consecutive_minutes_of_one_day() {
        // Minute 0: 50 then 100 (the last counts), 1: 110, 2: 99, 4: 500 (a gap: no return).
        let events = [
            trade(0, "50"),
            trade(0, "100"),
            trade(1, "110"),
            trade(2, "99"),
            trade(4, "500"),
        ];
        // ln 1.1 = 0.0953102, ln 0.9 = −0.1053605; sample std = 0.1418958.
        let volatility = daily_volatility(&events);
        assert_eq!(volatility.len(), 1);
        assert!(
            (volatility[&0] - 0.141_895_8).abs() < 1e-6,
            "{volatility:?}"
        );
    }

    #[test]
    fn terciles_rank_days_by_volatility() {
        // Six days: volatilities 6, 1, 5, 2, 4, 3 → ranks 5, 0, 4, 1, 3, 2 → thirds 2, 0, 2, 0,
        // 1, 1.
        let volatility: BTreeMap<i64, f64> = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0]
            .into_iter()
            .enumerate()
            .map(|(day, vol)| (day as i64, vol))
            .collect();
        let thirds: Vec<usize> = terciles(&volatility).into_values().collect();
        assert_eq!(thirds, [2, 0, 2, 0, 1, 1]);
        // Four days: ranks 0..3 → 0, 0, 1, 2 (rank × 3 / 4).
        let four: BTreeMap<i64, f64> = [(0, 1.0), (1, 1.0), (2, 3.0), (3, 4.0)].into();
        assert_eq!(
            terciles(&four).into_values().collect::<Vec<_>>(),
            [0, 0, 1, 2]
        );
    }
}
