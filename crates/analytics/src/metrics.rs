//! Global metrics of a run (SPEC 6): P&L decomposition, daily-return ratios, drawdown, trade
//! statistics, turnover, fill rate, spread and slippage distributions, exposure, exit reasons
//! and the per-setup breakdown. [`compute_metrics`] is a pure, deterministic function of the
//! records. Each field's definition is on the field.

use std::borrow::Cow;
use std::collections::BTreeMap;

use auction_trader_types::{Liquidity, Money, OrderStatus, OrderType, Price, Quantity, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::daily::{daily_equity, daily_returns};
use crate::drawdown::{Drawdown, max_drawdowns};
use crate::legs::leg_net_pnls;
use crate::statistics::{Distribution, ReturnStatistics};
use crate::{EquityPoint, RunRecords};

/// Basis points per unit (1 bp = 0.01%).
const BPS: f64 = 10_000.0;

/// Trades and net P&L of one exit reason (the reason of a trade's FINAL leg).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitReasonStats {
    pub reason: String,
    /// Trades whose final leg had this reason.
    pub trades: usize,
    /// Exit legs with this reason, over all trades (a TP1 leg counts here, not in `trades`).
    pub legs: usize,
    /// Net P&L of the trades whose final leg had this reason.
    pub net_pnl: Money,
    /// Net P&L of the legs with this reason, over all trades (see [`crate::leg_net_pnls`]):
    /// what partial exits such as `take_profit_1` earned.
    pub legs_net_pnl: Money,
}

/// Breakdown of one setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupStats {
    pub setup: String,
    pub trades: usize,
    /// Trades with `net_pnl > 0`.
    pub wins: usize,
    /// `wins / trades × 100`.
    pub win_rate_pct: f64,
    pub net_pnl: Money,
}

/// Every global metric of a run. Money in quote currency; percentages in percent (`12.5` =
/// 12.5%); `None` where a metric is undefined (e.g. no trades, fewer than two days).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The currency every money figure is in (SPEC 5: quote currency; coin for inverse
    /// contracts), empty when the symbol does not say.
    pub currency: String,
    pub initial_equity: Money,
    /// Equity of the last equity point (`initial_equity + Σ trade net P&L` without a curve).
    pub final_equity: Money,
    /// Net P&L after fees, funding and slippage: `final_equity − initial_equity` (includes an
    /// open position's unrealized P&L at the last point).
    pub net_pnl: Money,
    /// `net_pnl / initial_equity × 100`.
    pub return_pct: Option<f64>,
    /// P&L before fees and funding: `net_pnl + total_fees + total_funding` (slippage is inside
    /// it: fills happen at prices that include it).
    pub gross_pnl: Money,
    /// Σ fee of every fill (negative = net rebates).
    pub total_fees: Money,
    /// Σ amount of every funding payment (positive = paid).
    pub total_funding: Money,
    /// Σ over fills with a reference mid of `sign × (price − mid) × quantity` (buy sign +1,
    /// sell −1): the cost of trading away from mid, positive = cost. Already inside P&L.
    pub total_slippage: Money,
    /// Σ `net_pnl` of the closed trades (differs from `net_pnl` by an open position and by
    /// funding paid outside trades).
    pub trades_net_pnl: Money,
    /// Sharpe ratio of daily returns (copy of `daily.sharpe`).
    pub sharpe: Option<f64>,
    /// Sortino ratio of daily returns (copy of `daily.sortino`).
    pub sortino: Option<f64>,
    /// Daily returns (see [`crate::daily`]) and their statistics (see [`crate::statistics`]).
    pub daily: ReturnStatistics,
    /// Largest drawdown in percent of the running peak over every equity point.
    pub max_drawdown: Option<Drawdown>,
    /// Largest drawdown in money over every equity point.
    pub max_drawdown_amount: Option<Drawdown>,
    /// Largest drawdown in percent of the running peak of the daily equity (day ends only).
    pub daily_max_drawdown: Option<Drawdown>,
    pub trade_count: usize,
    /// Trades with `net_pnl > 0`.
    pub wins: usize,
    /// Trades with `net_pnl < 0`.
    pub losses: usize,
    /// `wins / trade_count × 100`.
    pub win_rate_pct: Option<f64>,
    /// Σ net P&L of winning trades / |Σ net P&L of losing trades|; `None` without losses.
    pub profit_factor: Option<f64>,
    /// Mean of `exit_ts − entry_ts` over trades, in seconds.
    pub average_hold_seconds: Option<f64>,
    /// Mean net P&L of winning trades (rounded to 1e-9, halves away from zero).
    pub average_win: Option<Money>,
    /// Mean net P&L of losing trades (negative).
    pub average_loss: Option<Money>,
    /// Mean net P&L per trade.
    pub expectancy: Option<Money>,
    /// Σ |price × quantity| over fills.
    pub traded_notional: Money,
    /// `traded_notional / initial_equity` (times the capital was traded).
    pub turnover: Option<f64>,
    /// Limit orders submitted (any final status, rejections included).
    pub limit_orders: usize,
    /// SPEC 5: limit orders filled as maker before their timeout — a maker fill, and not
    /// converted to market (a limit that converted counts as not filled, whatever it got).
    pub limit_orders_filled: usize,
    /// SPEC 5 fill rate: `limit_orders_filled / limit_orders × 100`.
    pub fill_rate_pct: Option<f64>,
    /// Limit orders converted to market at their timeout (their taker fills are counted here,
    /// not in the fill rate).
    pub limit_orders_converted: usize,
    /// Σ |price × quantity| of the taker fills of converted limit orders.
    pub converted_taker_notional: Money,
    /// Maker notional / traded notional × 100.
    pub maker_share_pct: Option<f64>,
    /// Spread at submit in bps of the mid at submit (`spread / mid × 10⁴`), over orders
    /// where both were known.
    pub spread_bps: Option<Distribution>,
    /// Per fill with a reference mid: `sign × (price − mid) / mid × 10⁴` bps, buy sign +1,
    /// sell −1 (positive = cost).
    pub slippage_bps: Option<Distribution>,
    /// Share of the curve's time span with a non-zero position: Σ `ts[i+1] − ts[i]` over
    /// points `i` whose position is non-zero, / (`ts_last − ts_first`) × 100.
    pub exposure_pct: Option<f64>,
    /// Per final-leg exit reason, sorted by reason.
    pub exit_reasons: Vec<ExitReasonStats>,
    /// Per setup, sorted by setup name.
    pub setups: Vec<SetupStats>,
}

/// SPEC 5 fill rate's numerator with each order's wait: the limit orders filled as maker
/// before their timeout (a maker fill, and not converted to market), by order id, with the
/// time from submission to their first maker fill (order-entry latency included).
pub fn maker_filled_limit_orders(records: &RunRecords) -> Vec<(u64, i64)> {
    let mut first_maker_fill: BTreeMap<u64, UnixNanos> = BTreeMap::new();
    for fill in records
        .fills
        .iter()
        .filter(|fill| fill.liquidity == Liquidity::Maker)
    {
        first_maker_fill
            .entry(fill.order_id)
            .and_modify(|first| *first = (*first).min(fill.ts))
            .or_insert(fill.ts);
    }
    records
        .orders
        .iter()
        .filter(|order| {
            order.kind == OrderType::Limit
                && order.status != OrderStatus::Converted
                && order.filled_quantity.is_positive()
        })
        .filter_map(|order| {
            let first = first_maker_fill.get(&order.order_id)?;
            Some((
                order.order_id,
                first.as_i64().saturating_sub(order.ts_submit.as_i64()),
            ))
        })
        .collect()
}

/// Computes every metric of `records` (equity points must be in time order, as the engine
/// records them).
pub fn compute_metrics(records: &RunRecords) -> Metrics {
    // The engine records equity in time order; a stable sort by time guards the daily
    // sampling and the drawdown against any out-of-order point.
    let equity: Cow<'_, [EquityPoint]> = if records.equity.is_sorted_by_key(|point| point.ts) {
        Cow::Borrowed(&records.equity)
    } else {
        let mut sorted = records.equity.clone();
        sorted.sort_by_key(|point| point.ts);
        Cow::Owned(sorted)
    };
    let initial = records.initial_equity;
    let trades_net_pnl = sum_money(records.trades.iter().map(|trade| trade.net_pnl));
    let final_equity = equity
        .last()
        .map_or(initial.saturating_add(trades_net_pnl), |point| point.equity);
    let net_pnl = final_equity.saturating_sub(initial);
    let total_fees = sum_money(records.fills.iter().map(|fill| fill.fee));
    let total_funding = sum_money(records.funding.iter().map(|payment| payment.amount));
    let costs = Costs::of(records);

    let day_ends = daily_equity(&equity);
    let daily = ReturnStatistics::of(&daily_returns(initial, &day_ends));
    let start_ts = equity.first().map_or(UnixNanos::ZERO, |point| point.ts);
    let intraday = max_drawdowns(initial, start_ts, equity_samples(&equity));
    let daily_drawdown = max_drawdowns(
        initial,
        start_ts.floor_day(),
        day_ends.iter().map(|day| (day.ts, day.equity)),
    );

    let trades = TradeStats::of(records);
    let limit_orders = records
        .orders
        .iter()
        .filter(|order| order.kind == OrderType::Limit)
        .count();
    let limit_orders_filled = maker_filled_limit_orders(records).len();
    let converted: std::collections::BTreeSet<u64> = records
        .orders
        .iter()
        .filter(|order| order.kind == OrderType::Limit && order.status == OrderStatus::Converted)
        .map(|order| order.order_id)
        .collect();
    let converted_taker_raw: i128 = records
        .fills
        .iter()
        .filter(|fill| fill.liquidity == Liquidity::Taker && converted.contains(&fill.order_id))
        .map(|fill| records.valuation.value_raw(fill.price, fill.quantity).abs())
        .sum();
    let spreads: Vec<f64> = records
        .orders
        .iter()
        .filter_map(
            |order| match (order.spread_at_submit, order.mid_at_submit) {
                (Some(spread), Some(mid)) if mid.is_positive() => {
                    Some(spread.as_f64() / mid.as_f64() * BPS)
                }
                _ => None,
            },
        )
        .collect();

    Metrics {
        currency: crate::display::settlement_currency(
            &records.symbol,
            records.valuation.contract_type,
        ),
        initial_equity: initial,
        final_equity,
        net_pnl,
        return_pct: ratio_pct(net_pnl.as_f64(), initial.as_f64()),
        gross_pnl: net_pnl
            .saturating_add(total_fees)
            .saturating_add(total_funding),
        total_fees,
        total_funding,
        total_slippage: costs.slippage,
        trades_net_pnl,
        sharpe: daily.sharpe,
        sortino: daily.sortino,
        daily,
        max_drawdown: intraday.map(|result| result.by_percent),
        max_drawdown_amount: intraday.map(|result| result.by_amount),
        daily_max_drawdown: daily_drawdown.map(|result| result.by_percent),
        trade_count: records.trades.len(),
        wins: trades.wins,
        losses: trades.losses,
        win_rate_pct: ratio_pct(trades.wins as f64, records.trades.len() as f64),
        profit_factor: (trades.loss_sum_raw < 0)
            .then(|| trades.win_sum_raw as f64 / (-trades.loss_sum_raw) as f64),
        average_hold_seconds: (!records.trades.is_empty())
            .then(|| trades.hold_nanos as f64 / records.trades.len() as f64 / 1e9),
        average_win: average_money(trades.win_sum_raw, trades.wins),
        average_loss: average_money(trades.loss_sum_raw, trades.losses),
        expectancy: average_money(trades_net_pnl.raw(), records.trades.len()),
        traded_notional: costs.notional,
        turnover: (initial.is_positive()).then(|| costs.notional.as_f64() / initial.as_f64()),
        limit_orders,
        limit_orders_filled,
        fill_rate_pct: ratio_pct(limit_orders_filled as f64, limit_orders as f64),
        limit_orders_converted: converted.len(),
        converted_taker_notional: Money::from_raw_i128(converted_taker_raw),
        maker_share_pct: ratio_pct(costs.maker_notional.as_f64(), costs.notional.as_f64()),
        spread_bps: Distribution::of(&spreads),
        slippage_bps: Distribution::of(&costs.slippage_bps),
        exposure_pct: exposure_pct(&equity),
        exit_reasons: exit_reason_stats(records),
        setups: setup_stats(records),
    }
}

fn equity_samples(points: &[EquityPoint]) -> impl Iterator<Item = (UnixNanos, Money)> + '_ {
    points.iter().map(|point| (point.ts, point.equity))
}

fn sum_money(values: impl Iterator<Item = Money>) -> Money {
    Money::from_raw_i128(values.map(|value| value.raw()).sum())
}

/// `numerator / denominator × 100`; `None` when the denominator is not positive.
fn ratio_pct(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator * 100.0)
}

/// `sum_raw / count` rounded to the nearest raw unit, halves away from zero.
fn average_money(sum_raw: i128, count: usize) -> Option<Money> {
    let count = i128::try_from(count).ok().filter(|count| *count > 0)?;
    let quotient = sum_raw / count;
    let remainder = sum_raw % count;
    let rounded = if remainder.abs() * 2 >= count {
        quotient + sum_raw.signum()
    } else {
        quotient
    };
    Some(Money::from_raw_i128(rounded))
}

/// Fill-level notional, maker notional and slippage.
struct Costs {
    notional: Money,
    maker_notional: Money,
    slippage: Money,
    slippage_bps: Vec<f64>,
}

impl Costs {
    fn of(records: &RunRecords) -> Self {
        let (mut notional, mut maker, mut slippage) = (0i128, 0i128, 0i128);
        let mut slippage_bps = Vec::new();
        for fill in &records.fills {
            // Settlement-currency value (SPEC 5: coin for inverse contracts).
            let fill_notional = records.valuation.value_raw(fill.price, fill.quantity).abs();
            notional += fill_notional;
            if fill.liquidity == Liquidity::Maker {
                maker += fill_notional;
            }
            let sign = fill.side.sign();
            if let Some(mid) = fill.reference_mid.filter(|mid| mid.is_positive()) {
                let distance = Price::from_raw(fill.price.raw().saturating_sub(mid.raw()));
                // Cost = minus the P&L of trading at the fill and marking at the mid.
                let signed =
                    Quantity::from_raw(fill.quantity.raw().saturating_mul(i128::from(sign)));
                slippage -= records.valuation.pnl_raw(fill.price, mid, signed);
                slippage_bps.push(sign as f64 * distance.as_f64() / mid.as_f64() * BPS);
            }
        }
        Self {
            notional: Money::from_raw_i128(notional),
            maker_notional: Money::from_raw_i128(maker),
            slippage: Money::from_raw_i128(slippage),
            slippage_bps,
        }
    }
}

/// Win/loss sums and holding time over trades.
struct TradeStats {
    wins: usize,
    losses: usize,
    win_sum_raw: i128,
    loss_sum_raw: i128,
    hold_nanos: i128,
}

impl TradeStats {
    fn of(records: &RunRecords) -> Self {
        let mut stats = Self {
            wins: 0,
            losses: 0,
            win_sum_raw: 0,
            loss_sum_raw: 0,
            hold_nanos: 0,
        };
        for trade in &records.trades {
            let net = trade.net_pnl.raw();
            if net > 0 {
                stats.wins += 1;
                stats.win_sum_raw += net;
            } else if net < 0 {
                stats.losses += 1;
                stats.loss_sum_raw += net;
            }
            stats.hold_nanos += i128::from(trade.exit_ts.0) - i128::from(trade.entry_ts.0);
        }
        stats
    }
}

fn exposure_pct(points: &[EquityPoint]) -> Option<f64> {
    let span = i128::from(points.last()?.ts.0) - i128::from(points.first()?.ts.0);
    let held: i128 = points
        .windows(2)
        .filter(|pair| !pair[0].position.is_zero())
        .map(|pair| i128::from(pair[1].ts.0) - i128::from(pair[0].ts.0))
        .sum();
    ratio_pct(held as f64, span as f64)
}

fn exit_reason_stats(records: &RunRecords) -> Vec<ExitReasonStats> {
    let mut table: BTreeMap<String, ExitReasonStats> = BTreeMap::new();
    for trade in &records.trades {
        let stats = table
            .entry(trade.exit_reason.to_string())
            .or_insert_with(|| empty_reason(trade.exit_reason.as_str()));
        stats.trades += 1;
        stats.net_pnl = stats.net_pnl.saturating_add(trade.net_pnl);
        for (leg, net) in trade
            .legs
            .iter()
            .zip(leg_net_pnls(trade, records.valuation))
        {
            let stats = table
                .entry(leg.reason.to_string())
                .or_insert_with(|| empty_reason(leg.reason.as_str()));
            stats.legs += 1;
            stats.legs_net_pnl = stats.legs_net_pnl.saturating_add(net);
        }
    }
    table.into_values().collect()
}

fn empty_reason(reason: &str) -> ExitReasonStats {
    ExitReasonStats {
        reason: reason.to_owned(),
        trades: 0,
        legs: 0,
        net_pnl: Money::ZERO,
        legs_net_pnl: Money::ZERO,
    }
}

fn setup_stats(records: &RunRecords) -> Vec<SetupStats> {
    let mut table: BTreeMap<&str, (usize, usize, Money)> = BTreeMap::new();
    for trade in &records.trades {
        let row = table
            .entry(trade.setup.as_str())
            .or_insert((0, 0, Money::ZERO));
        row.0 += 1;
        row.1 += usize::from(trade.net_pnl.is_positive());
        row.2 = row.2.saturating_add(trade.net_pnl);
    }
    table
        .into_iter()
        .map(|(setup, (trades, wins, net_pnl))| SetupStats {
            setup: setup.to_owned(),
            trades,
            wins,
            win_rate_pct: wins as f64 / trades as f64 * 100.0,
            net_pnl,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{HOUR, at, fill, money, order, sample_records};

    #[test]
    fn a_billion_yen_account_sums_notional_and_fees_exactly() {
        // 1e9 JPY equity; 20 fills of 100 BTC at 9,000,000 JPY = 9e8 JPY each: traded
        // notional 1.8e10 JPY (the former i64 money pinned at 9,223,372,036.85).
        let mut records = RunRecords::new("yen", "BTC_JPY", money("1000000000"));
        for index in 0..20_u64 {
            let side = if index % 2 == 0 { "buy" } else { "sell" };
            records.fills.push(fill(
                index,
                side,
                "9000000",
                "100",
                "taker",
                "450000",
                Some("8999999.5"),
            ));
        }
        let metrics = compute_metrics(&records);
        assert_eq!(metrics.traded_notional, money("18000000000"));
        assert_eq!(metrics.turnover, Some(18.0));
        assert_eq!(metrics.total_fees, money("9000000"));
        // Buys pay 0.5 × 100 = 50 above the mid, sells receive 50 more: net zero.
        assert_eq!(metrics.total_slippage, Money::ZERO);
    }

    fn near(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!(
            (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn pnl_decomposition_by_hand() {
        let metrics = compute_metrics(&sample_records());
        // Final equity 10,058 − initial 10,000 = 58 = Σ trade net (82 − 22.5 − 1.5).
        assert_eq!(metrics.final_equity, money("10058"));
        assert_eq!(metrics.net_pnl, money("58"));
        assert_eq!(metrics.trades_net_pnl, money("58"));
        near(metrics.return_pct, 0.58);
        // Fees 0.2 + 0.5 + 0 + 0.4 = 1.1; funding 1 − 0.5 = 0.5; gross = 58 + 1.1 + 0.5.
        assert_eq!(metrics.total_fees, money("1.1"));
        assert_eq!(metrics.total_funding, money("0.5"));
        assert_eq!(metrics.gross_pnl, money("59.6"));
        // Slippage: buy 10 @ 99.99 vs mid 100 → −0.1; sell 10 @ 109.89 vs 110 → +1.1;
        // no mid → 0; buy 5 @ 204.204 vs 204 → +1.02. Total 2.02.
        assert_eq!(metrics.total_slippage, money("2.02"));
    }

    #[test]
    fn daily_ratios_and_drawdowns_by_hand() {
        let metrics = compute_metrics(&sample_records());
        // Day ends: 1970-01-02 00:00 → last point at 3h = 10,082; 01-03 00:00 → 10,058.
        // r1 = 10082 / 10000 − 1 = 0.0082; r2 = 10058 / 10082 − 1 = −0.00238048006348.
        // mean = 0.00290975996826; std (ddof 1) = |r1 − r2| / √2 = 0.00748152920110.
        // Sharpe = mean / std × √365 = 7.4304175849; downside = sqrt(r2² / 2) = 0.00168325...
        // Sortino = mean / downside × √365 = 33.0258531994; annual vol = std × √365 = 0.14293441.
        let (r1, r2) = (0.0082, 10058.0 / 10082.0 - 1.0);
        assert_eq!(metrics.daily.days, 2);
        near(metrics.daily.mean, (r1 + r2) / 2.0);
        near(metrics.sharpe, 7.430_417_584_927_904);
        near(metrics.sortino, 33.025_853_199_436);
        near(metrics.daily.annual_volatility, 0.142_934_414_691_486);
        // Intraday: peak 10,000 (1h) → trough 9,900 (1.5h) = 100 = 1%; later 10,082 → 10,058
        // is only 24 (0.238%): the 1% dip is the maximum in both money and percent.
        let drawdown = metrics.max_drawdown.unwrap();
        assert_eq!(drawdown.amount, money("100"));
        near(Some(drawdown.percent), 1.0);
        assert_eq!((drawdown.peak_ts, drawdown.trough_ts), (at(1.0), at(1.5)));
        assert_eq!(metrics.max_drawdown_amount.unwrap().amount, money("100"));
        // Daily: day ends 10,082 then 10,058 → 24 / 10,082 = 0.238048%.
        let daily = metrics.daily_max_drawdown.unwrap();
        assert_eq!(daily.amount, money("24"));
        near(Some(daily.percent), 0.238_048_006_347_946_84);
        assert_eq!((daily.peak_ts.0, daily.trough_ts.0), (24 * HOUR, 48 * HOUR));
    }

    #[test]
    fn trade_statistics_by_hand() {
        let metrics = compute_metrics(&sample_records());
        assert_eq!(
            (metrics.trade_count, metrics.wins, metrics.losses),
            (3, 1, 2)
        );
        near(metrics.win_rate_pct, 100.0 / 3.0);
        // Profit factor 82 / (22.5 + 1.5) = 3.41667.
        near(metrics.profit_factor, 82.0 / 24.0);
        // Holds 2 h, 1 h, 0.5 h → mean 1.1667 h = 4,200 s.
        near(metrics.average_hold_seconds, 4200.0);
        assert_eq!(metrics.average_win, Some(money("82")));
        assert_eq!(metrics.average_loss, Some(money("-12")));
        // 58 / 3 = 19.333333333(3) → rounded to 1e-9.
        assert_eq!(metrics.expectancy, Some(money("19.333333333")));
        // Exposure: positions held 0.5 + 0.5 + 1 + 1 + 0.5 = 3.5 h of the 47 h span = 7.4468%.
        near(metrics.exposure_pct, 3.5 / 47.0 * 100.0);
    }

    #[test]
    fn execution_statistics_by_hand() {
        let metrics = compute_metrics(&sample_records());
        // Notional 999.9 + 1,098.9 + 1,000 + 1,021.02 = 4,119.82; maker 999.9 + 1,000.
        assert_eq!(metrics.traded_notional, money("4119.82"));
        near(metrics.turnover, 0.411_982);
        near(metrics.maker_share_pct, 1999.9 / 4119.82 * 100.0);
        // Limit orders 1, 3, 4; only 1 filled → 33.3%.
        assert_eq!((metrics.limit_orders, metrics.limit_orders_filled), (3, 1));
        near(metrics.fill_rate_pct, 100.0 / 3.0);
        // Spreads 0.1/100 = 10 bps, 0.22/110 = 20 bps, 0.204/204 = 10 bps → sorted [10, 10, 20]:
        // p75 at h = 1.5 → 15, p95 at h = 1.9 → 19, mean 13.33.
        let spread = metrics.spread_bps.unwrap();
        assert_eq!(spread.count, 3);
        near(Some(spread.p50), 10.0);
        near(Some(spread.p75), 15.0);
        near(Some(spread.p95), 19.0);
        near(Some(spread.mean), 40.0 / 3.0);
        // Slippage bps: −0.01/100 = −1, +0.11/110 = +10, +0.204/204 = +10 → p5 at h = 0.1:
        // −1 + 11 × 0.1 = 0.1; p25 at h = 0.5 → 4.5; mean 19/3.
        let slippage = metrics.slippage_bps.unwrap();
        assert_eq!(slippage.count, 3);
        near(Some(slippage.p5), 0.1);
        near(Some(slippage.p25), 4.5);
        near(Some(slippage.mean), 19.0 / 3.0);
    }

    #[test]
    fn fill_rate_counts_only_maker_fills_before_the_timeout() {
        // SPEC 5: limit 1 filled as maker; limit 5 converted to market at its timeout and
        // filled 2 @ 101 as taker; limit 6 got a maker fill of 1 then converted for the rest.
        // Filled as maker before the timeout: 1 of 5 limits (1, 3, 4, 5, 6) = 20 %, not the
        // 3 of 5 that "filled_quantity > 0" gives; converted taker notional 202 + 101.
        let mut records = sample_records();
        records
            .orders
            .push(order(5, "limit", "2", "converted", None));
        records
            .orders
            .push(order(6, "limit", "2", "converted", None));
        records
            .fills
            .push(fill(5, "buy", "101", "2", "taker", "0", None));
        records
            .fills
            .push(fill(6, "buy", "100", "1", "maker", "0", None));
        records
            .fills
            .push(fill(6, "buy", "101", "1", "taker", "0", None));
        let metrics = compute_metrics(&records);
        assert_eq!((metrics.limit_orders, metrics.limit_orders_filled), (5, 1));
        near(metrics.fill_rate_pct, 20.0);
        // Its wait: order 1 submitted at hour 1, its maker fill at hour 1 as well (the
        // helpers stamp both with the order id).
        assert_eq!(maker_filled_limit_orders(&records), [(1, 0)]);
        assert_eq!(metrics.limit_orders_converted, 2);
        assert_eq!(metrics.converted_taker_notional, money("303"));
    }

    #[test]
    fn exit_reasons_and_setups_by_hand() {
        let metrics = compute_metrics(&sample_records());
        let reasons: Vec<(&str, usize, usize, Money, Money)> = metrics
            .exit_reasons
            .iter()
            .map(|row| {
                let counts = (row.reason.as_str(), row.trades, row.legs);
                (counts.0, counts.1, counts.2, row.net_pnl, row.legs_net_pnl)
            })
            .collect();
        // Trade 1 (long 10 from 100, fees 2 + funding 1 shared by quantity): TP1 3 @ 105 →
        // 15 − 0.9 = 14.1, a partial exit that is no trade's final leg; TP2 7 @ 110 → 70 − 2.1
        // = 67.9; together the trade's 82.
        assert_eq!(
            reasons,
            vec![
                ("end_of_data", 1, 1, money("-1.5"), money("-1.5")),
                ("stop_loss", 1, 1, money("-22.5"), money("-22.5")),
                ("take_profit_1", 0, 1, Money::ZERO, money("14.1")),
                ("take_profit_2", 1, 1, money("82"), money("67.9")),
            ]
        );
        let setups: Vec<(&str, usize, usize, Money)> = metrics
            .setups
            .iter()
            .map(|row| (row.setup.as_str(), row.trades, row.wins, row.net_pnl))
            .collect();
        assert_eq!(
            setups,
            vec![
                ("break_in", 2, 1, money("80.5")),
                ("breakout", 1, 0, money("-22.5"))
            ]
        );
        near(Some(metrics.setups[0].win_rate_pct), 50.0);
    }

    #[test]
    fn empty_records_give_undefined_metrics_not_panics() {
        let records = RunRecords::new("empty", "X", money("1000"));
        let metrics = compute_metrics(&records);
        assert_eq!(metrics.net_pnl, Money::ZERO);
        assert_eq!(metrics.trade_count, 0);
        assert_eq!(
            (metrics.win_rate_pct, metrics.profit_factor, metrics.sharpe),
            (None, None, None)
        );
        assert_eq!(
            (
                metrics.max_drawdown,
                metrics.exposure_pct,
                metrics.fill_rate_pct
            ),
            (None, None, None)
        );
        assert_eq!((metrics.expectancy, metrics.spread_bps), (None, None));
        // Zero initial equity: no return, no turnover.
        let broke = compute_metrics(&RunRecords::new("broke", "X", Money::ZERO));
        assert_eq!((broke.return_pct, broke.turnover), (None, None));
    }

    #[test]
    fn averages_round_half_away_from_zero() {
        // 5 raw / 2 = 2.5 → 3; −5 / 2 → −3; 4 / 3 = 1.33 → 1.
        assert_eq!(average_money(5, 2), Some(Money::from_raw(3)));
        assert_eq!(average_money(-5, 2), Some(Money::from_raw(-3)));
        assert_eq!(average_money(4, 3), Some(Money::from_raw(1)));
        assert_eq!(average_money(4, 0), None);
    }

    #[test]
    fn metrics_serialize_deterministically() {
        let records = sample_records();
        let first = serde_json::to_string(&compute_metrics(&records)).unwrap();
        let second = serde_json::to_string(&compute_metrics(&records)).unwrap();
        assert_eq!(first, second);
        assert!(first.contains("\"sharpe\":7.43"));
    }

    #[test]
    fn out_of_order_equity_points_give_the_same_metrics() {
        let records = sample_records();
        let mut shuffled = records.clone();
        shuffled.equity.reverse();
        assert_eq!(compute_metrics(&shuffled), compute_metrics(&records));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_curves_never_panic_and_stay_in_range(
            steps in proptest::collection::vec((1i64..10_000_000_000_000, 1i64..1_000_000, -3i64..3), 0..200),
            initial in 1i64..1_000_000,
        ) {
            let mut records = RunRecords::new("p", "X", Money::from_units(initial).unwrap());
            let mut ts = 0i64;
            for (gap, equity, position) in steps {
                ts += gap;
                records.equity.push(EquityPoint {
                    ts: UnixNanos(ts),
                    equity: Money::from_units(equity).unwrap(),
                    cash: Money::ZERO,
                    unrealized: Money::ZERO,
                    position: auction_trader_types::Quantity::from_units(position).unwrap(),
                });
            }
            let metrics = compute_metrics(&records);
            if let Some(drawdown) = metrics.max_drawdown {
                proptest::prop_assert!((0.0..=100.0).contains(&drawdown.percent));
                proptest::prop_assert!(drawdown.peak_ts <= drawdown.trough_ts);
            }
            if let Some(exposure) = metrics.exposure_pct {
                proptest::prop_assert!((0.0..=100.0 + 1e-9).contains(&exposure));
            }
            proptest::prop_assert_eq!(metrics.daily.days, crate::daily_equity(&records.equity).len());
            let html = crate::render_html(&records, &metrics, "<x>");
            proptest::prop_assert!(!html.contains("<x>"));
        }
    }
}
