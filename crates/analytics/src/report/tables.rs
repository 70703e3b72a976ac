//! The report's tables: key metrics, daily and monthly returns, trade list, exit reasons and
//! setups. Every cell is escaped; numbers use fixed formats with thousands separators; money
//! carries its currency (in the cell, or in the column header of a table of amounts).

use std::fmt::Write;

use auction_trader_types::{Money, UnixNanos};

use super::format::{Units, escape, fixed, optional, short_time};
use crate::{DayEnd, Distribution, Drawdown, Metrics, RunRecords, leg_net_pnls, summary_rows};

fn row(out: &mut String, cells: &[String], numeric_from: usize) {
    out.push_str("<tr>");
    for (index, cell) in cells.iter().enumerate() {
        let class = if index >= numeric_from {
            " class=\"number\""
        } else {
            ""
        };
        let _ = write!(out, "<td{class}>{}</td>", escape(cell));
    }
    out.push_str("</tr>");
}

fn header(out: &mut String, names: &[&str]) {
    out.push_str("<thead><tr>");
    for name in names {
        let _ = write!(out, "<th>{}</th>", escape(name));
    }
    out.push_str("</tr></thead><tbody>");
}

/// `amount (CUR)` for a column header.
fn in_currency(name: &str, units: &Units) -> String {
    if units.currency.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({})", units.currency)
    }
}

fn drawdown_text(drawdown: Option<Drawdown>, units: &Units) -> String {
    drawdown.map_or_else(
        || "—".to_owned(),
        |drawdown| {
            format!(
                "{}% ({}), {} → {}",
                fixed(drawdown.percent, 2),
                units.money(drawdown.amount),
                short_time(drawdown.peak_ts),
                short_time(drawdown.trough_ts)
            )
        },
    )
}

fn distribution_text(distribution: Option<Distribution>) -> String {
    distribution.map_or_else(
        || "—".to_owned(),
        |d| {
            format!(
                "p5 {} · p25 {} · p50 {} · p75 {} · p95 {} · mean {} (n = {})",
                fixed(d.p5, 2),
                fixed(d.p25, 2),
                fixed(d.p50, 2),
                fixed(d.p75, 2),
                fixed(d.p95, 2),
                fixed(d.mean, 2),
                d.count
            )
        },
    )
}

/// Two-column table of the key metrics: the terminal summary's rows in its order, then the
/// details only the report shows. A row appears once: the largest drawdown in money is
/// listed only when it is another episode than the largest in percent.
pub(crate) fn metrics_table(metrics: &Metrics, units: &Units) -> String {
    let mut rows: Vec<(String, String)> = summary_rows(metrics, &units.currency)
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    rows.push((
        "Max drawdown episode (percent of peak)".to_owned(),
        drawdown_text(metrics.max_drawdown, units),
    ));
    let same_episode = |a: Option<Drawdown>, b: Option<Drawdown>| match (a, b) {
        (Some(a), Some(b)) => a.peak_ts == b.peak_ts && a.trough_ts == b.trough_ts,
        (None, None) => true,
        _ => false,
    };
    if !same_episode(metrics.max_drawdown, metrics.max_drawdown_amount) {
        rows.push((
            "Largest drawdown in money".to_owned(),
            drawdown_text(metrics.max_drawdown_amount, units),
        ));
    }
    rows.extend([
        (
            "Max drawdown (daily closes)".to_owned(),
            drawdown_text(metrics.daily_max_drawdown, units),
        ),
        (
            "Annual volatility (daily, √365)".to_owned(),
            optional(metrics.daily.annual_volatility.map(|v| v * 100.0), 2, "%"),
        ),
        (
            "Average win / loss".to_owned(),
            format!(
                "{} / {}",
                units.optional_money(metrics.average_win),
                units.optional_money(metrics.average_loss)
            ),
        ),
        (
            "Traded notional".to_owned(),
            units.money(metrics.traded_notional),
        ),
        (
            "Spread at submit (bps)".to_owned(),
            distribution_text(metrics.spread_bps),
        ),
        (
            "Slippage per fill (bps, + = cost)".to_owned(),
            distribution_text(metrics.slippage_bps),
        ),
    ]);
    let mut out = String::from("<table class=\"metrics\"><tbody>");
    for (name, value) in rows {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&name),
            escape(&value)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The UTC date a day end closes (`2018-01-21 00:00` closes `2018-01-20`).
fn day_of(day_end: UnixNanos) -> String {
    day_end.saturating_add_nanos(-1).date_string()
}

/// `(label, return, P&L, equity at the end, days)` per UTC day and per UTC month.
type PeriodRow = (String, Option<f64>, Money, Money, usize);

/// Daily rows (one per day end) and monthly rows (compounded from the day ends).
pub(crate) fn period_returns(
    initial: Money,
    day_ends: &[DayEnd],
) -> (Vec<PeriodRow>, Vec<PeriodRow>) {
    let ratio = |from: Money, to: Money| {
        let from = from.as_f64();
        (from > 0.0).then(|| (to.as_f64() / from - 1.0) * 100.0)
    };
    let mut daily = Vec::with_capacity(day_ends.len());
    let mut monthly: Vec<PeriodRow> = Vec::new();
    let mut previous = initial;
    let mut month_start = initial;
    for day in day_ends {
        let label = day_of(day.ts);
        daily.push((
            label.clone(),
            ratio(previous, day.equity),
            day.equity.saturating_sub(previous),
            day.equity,
            1,
        ));
        let month = label.get(..7).unwrap_or(&label).to_owned();
        match monthly.last_mut() {
            Some(last) if last.0 == month => {
                last.1 = ratio(month_start, day.equity);
                last.2 = day.equity.saturating_sub(month_start);
                last.3 = day.equity;
                last.4 += 1;
            }
            _ => {
                month_start = previous;
                monthly.push((
                    month,
                    ratio(month_start, day.equity),
                    day.equity.saturating_sub(month_start),
                    day.equity,
                    1,
                ));
            }
        }
        previous = day.equity;
    }
    (daily, monthly)
}

/// Monthly returns, then every daily return (scrollable), from the UTC day ends of the curve.
pub(crate) fn returns_tables(metrics: &Metrics, day_ends: &[DayEnd], units: &Units) -> String {
    if day_ends.is_empty() {
        return "<p class=\"note\">No equity curve recorded.</p>".to_owned();
    }
    let (daily, monthly) = period_returns(metrics.initial_equity, day_ends);
    let mut out = String::new();
    let table = |out: &mut String, first: &str, rows: &[PeriodRow]| {
        out.push_str("<table class=\"returns\">");
        header(
            out,
            &[
                first,
                "return",
                &in_currency("P&L", units),
                &in_currency("equity at the end", units),
                "days",
            ],
        );
        for (label, change, pnl, equity, days) in rows {
            let class = if pnl.is_negative() { "loss" } else { "win" };
            let _ = write!(out, "<tr class=\"{class}\">");
            for (index, cell) in [
                label.clone(),
                optional(*change, 2, "%"),
                format_number_money(*pnl, units),
                format_number_money(*equity, units),
                days.to_string(),
            ]
            .iter()
            .enumerate()
            {
                let numeric = if index > 0 { " class=\"number\"" } else { "" };
                let _ = write!(out, "<td{numeric}>{}</td>", escape(cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    };
    out.push_str("<h3>Monthly</h3>");
    table(&mut out, "month (UTC)", &monthly);
    out.push_str("<h3>Daily</h3><div class=\"scroll short\">");
    table(&mut out, "day (UTC)", &daily);
    out.push_str("</div>");
    let _ = write!(
        out,
        "<p class=\"note\">{} daily returns: one per UTC day the run touched, the first from \
         the initial equity, a partial first or last day included (the Sharpe and Sortino \
         inputs).</p>",
        daily.len()
    );
    out
}

/// An amount without its unit (the column header names the currency).
fn format_number_money(value: Money, units: &Units) -> String {
    let text = units.money(value);
    match text.strip_suffix(&format!(" {}", units.currency)) {
        Some(number) if !units.currency.is_empty() => number.to_owned(),
        _ => text,
    }
}

/// Every trade with its reason, legs and cost decomposition.
pub(crate) fn trades_table(records: &RunRecords, units: &Units) -> String {
    if records.trades.is_empty() {
        return "<p class=\"note\">No trades.</p>".to_owned();
    }
    let mut out = String::from("<table class=\"trades\">");
    let money_headers =
        ["gross", "fees", "funding", "slippage", "net"].map(|name| in_currency(name, units));
    let mut names: Vec<&str> = vec![
        "#",
        "setup",
        "dir",
        "entry time",
        "entry",
        "qty",
        "liq",
        "exit time",
        "exit (avg)",
        "reason",
        "legs: reason qty @ price (net)",
    ];
    names.extend(money_headers.iter().map(String::as_str));
    header(&mut out, &names);
    for trade in &records.trades {
        let legs: Vec<String> = trade
            .legs
            .iter()
            .zip(leg_net_pnls(trade, records.valuation))
            .map(|(leg, net)| {
                format!(
                    "{} {} @ {} ({})",
                    leg.reason,
                    leg.quantity,
                    units.price(leg.price),
                    format_number_money(net, units)
                )
            })
            .collect();
        let cells = [
            trade.trade_id.to_string(),
            trade.setup.to_string(),
            trade.direction.to_string(),
            short_time(trade.entry_ts),
            units.price(trade.entry_price),
            trade.quantity.to_string(),
            trade.entry_liquidity.to_string(),
            short_time(trade.exit_ts),
            units.price(trade.exit_price),
            trade.exit_reason.to_string(),
            legs.join("; "),
            format_number_money(trade.gross_pnl, units),
            format_number_money(trade.fees, units),
            format_number_money(trade.funding, units),
            format_number_money(trade.slippage, units),
            format_number_money(trade.net_pnl, units),
        ];
        let class = if trade.net_pnl.is_negative() {
            "loss"
        } else {
            "win"
        };
        let _ = write!(out, "<tr class=\"{class}\">");
        for (index, cell) in cells.iter().enumerate() {
            let numeric = matches!(index, 0 | 4 | 5 | 8 | 11..=15);
            let class = if numeric { " class=\"number\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Exit reasons (by final leg, plus leg counts).
pub(crate) fn exit_reasons_table(metrics: &Metrics, units: &Units) -> String {
    let mut out = String::from("<table>");
    header(
        &mut out,
        &[
            "exit reason",
            "trades (final leg)",
            "legs",
            &in_currency("net P&L of its legs", units),
            &in_currency("net P&L of the trades it ended", units),
        ],
    );
    for stats in &metrics.exit_reasons {
        row(
            &mut out,
            &[
                stats.reason.clone(),
                stats.trades.to_string(),
                stats.legs.to_string(),
                format_number_money(stats.legs_net_pnl, units),
                format_number_money(stats.net_pnl, units),
            ],
            1,
        );
    }
    out.push_str("</tbody></table>");
    out.push_str(
        "<p class=\"note\">A leg's P&L is its price move from the entry times its quantity, \
         less its fees and its quantity's share of the entry fees and funding; a trade's legs \
         sum to its net P&L. A partial exit (take_profit_1) ends no trade, so its profit shows \
         only in the legs column.</p>",
    );
    out
}

/// Per-setup breakdown.
pub(crate) fn setups_table(metrics: &Metrics, units: &Units) -> String {
    let mut out = String::from("<table>");
    header(
        &mut out,
        &[
            "setup",
            "trades",
            "wins",
            "win rate",
            &in_currency("net P&L", units),
        ],
    );
    for stats in &metrics.setups {
        row(
            &mut out,
            &[
                stats.setup.clone(),
                stats.trades.to_string(),
                stats.wins.to_string(),
                format!("{}%", fixed(stats.win_rate_pct, 1)),
                format_number_money(stats.net_pnl, units),
            ],
            1,
        );
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{HOUR, money};

    #[test]
    fn monthly_returns_compound_the_day_ends() {
        // Initial 100; day ends 01-31 → 110, 02-01 → 99, 02-02 → 121 (UTC, 1970).
        let day = |days: i64, equity: &str| DayEnd {
            ts: UnixNanos(days * 24 * HOUR),
            equity: money(equity),
        };
        let (daily, monthly) = period_returns(
            money("100"),
            &[day(31, "110"), day(32, "99"), day(33, "121")],
        );
        assert_eq!(daily[0].0, "1970-01-31");
        assert_eq!(daily[1].0, "1970-02-01");
        // 110/100 − 1 = 10%, 99/110 − 1 = −10%, 121/99 − 1 = 22.22%.
        let changes: Vec<f64> = daily.iter().map(|row| row.1.unwrap()).collect();
        assert!((changes[0] - 10.0).abs() < 1e-9 && (changes[1] + 10.0).abs() < 1e-9);
        assert!((changes[2] - (121.0 / 99.0 - 1.0) * 100.0).abs() < 1e-9);
        // January: 100 → 110 (+10%, 1 day); February: 110 → 121 (+10%, +11, 2 days).
        assert_eq!(monthly.len(), 2);
        assert_eq!((monthly[0].0.as_str(), monthly[0].4), ("1970-01", 1));
        assert_eq!((monthly[1].0.as_str(), monthly[1].4), ("1970-02", 2));
        assert!((monthly[1].1.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(monthly[1].2, money("11"));
        assert_eq!(monthly[1].3, money("121"));
    }
}
