//! The report's tables: key metrics, trade list, exit reasons and setups. Every cell is
//! escaped; numbers use fixed formats.

use std::fmt::Write;

use super::format::{duration, escape, fixed, money, optional, short_time};
use crate::{Distribution, Drawdown, Metrics, RunRecords};

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

fn drawdown_text(drawdown: Option<Drawdown>) -> String {
    drawdown.map_or_else(
        || "—".to_owned(),
        |drawdown| {
            format!(
                "{}% ({}), {} → {}",
                fixed(drawdown.percent, 2),
                money(drawdown.amount),
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

/// Two-column table of the key metrics.
pub(crate) fn metrics_table(metrics: &Metrics) -> String {
    let optional_money =
        |value: Option<auction_trader_types::Money>| value.map_or_else(|| "—".to_owned(), money);
    let rows: Vec<(&str, String)> = vec![
        (
            "Net P&L (after fees, funding, slippage)",
            money(metrics.net_pnl),
        ),
        ("Return", optional(metrics.return_pct, 2, "%")),
        (
            "Initial → final equity",
            format!(
                "{} → {}",
                money(metrics.initial_equity),
                money(metrics.final_equity)
            ),
        ),
        ("Gross P&L", money(metrics.gross_pnl)),
        ("Fees", money(metrics.total_fees)),
        ("Funding", money(metrics.total_funding)),
        (
            "Slippage vs mid (inside gross)",
            money(metrics.total_slippage),
        ),
        ("Sharpe (daily, √365)", optional(metrics.sharpe, 3, "")),
        ("Sortino (daily, √365)", optional(metrics.sortino, 3, "")),
        (
            "Annual volatility",
            optional(metrics.daily.annual_volatility.map(|v| v * 100.0), 2, "%"),
        ),
        ("Days", metrics.daily.days.to_string()),
        ("Max drawdown", drawdown_text(metrics.max_drawdown)),
        (
            "Max drawdown (money)",
            drawdown_text(metrics.max_drawdown_amount),
        ),
        (
            "Max drawdown (daily closes)",
            drawdown_text(metrics.daily_max_drawdown),
        ),
        (
            "Trades (wins / losses)",
            format!(
                "{} ({} / {})",
                metrics.trade_count, metrics.wins, metrics.losses
            ),
        ),
        ("Win rate", optional(metrics.win_rate_pct, 1, "%")),
        ("Profit factor", optional(metrics.profit_factor, 3, "")),
        (
            "Average hold",
            metrics
                .average_hold_seconds
                .map_or_else(|| "—".to_owned(), duration),
        ),
        (
            "Average win / loss",
            format!(
                "{} / {}",
                optional_money(metrics.average_win),
                optional_money(metrics.average_loss)
            ),
        ),
        ("Expectancy per trade", optional_money(metrics.expectancy)),
        (
            "Turnover (notional / initial equity)",
            optional(metrics.turnover, 2, "×"),
        ),
        (
            "Fill rate (limit orders)",
            format!(
                "{} ({} of {})",
                optional(metrics.fill_rate_pct, 1, "%"),
                metrics.limit_orders_filled,
                metrics.limit_orders
            ),
        ),
        (
            "Maker share (notional)",
            optional(metrics.maker_share_pct, 1, "%"),
        ),
        (
            "Exposure (time in a position)",
            optional(metrics.exposure_pct, 1, "%"),
        ),
        (
            "Spread at submit (bps)",
            distribution_text(metrics.spread_bps),
        ),
        (
            "Slippage per fill (bps, + = cost)",
            distribution_text(metrics.slippage_bps),
        ),
    ];
    let mut out = String::from("<table class=\"metrics\"><tbody>");
    for (name, value) in rows {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Every trade with its reason and cost decomposition.
pub(crate) fn trades_table(records: &RunRecords) -> String {
    if records.trades.is_empty() {
        return "<p class=\"note\">No trades.</p>".to_owned();
    }
    let mut out = String::from("<table class=\"trades\">");
    header(
        &mut out,
        &[
            "#",
            "setup",
            "dir",
            "entry time",
            "entry",
            "qty",
            "liq",
            "exit time",
            "exit",
            "reason",
            "legs",
            "gross",
            "fees",
            "funding",
            "slippage",
            "net",
        ],
    );
    for trade in &records.trades {
        let legs: Vec<String> = trade
            .legs
            .iter()
            .map(|leg| format!("{} {}@{}", leg.reason, leg.quantity, leg.price))
            .collect();
        let cells = [
            trade.trade_id.to_string(),
            trade.setup.clone(),
            trade.direction.clone(),
            short_time(trade.entry_ts),
            trade.entry_price.to_string(),
            trade.quantity.to_string(),
            trade.entry_liquidity.clone(),
            short_time(trade.exit_ts),
            trade.exit_price.to_string(),
            trade.exit_reason.clone(),
            legs.join("; "),
            money(trade.gross_pnl),
            money(trade.fees),
            money(trade.funding),
            money(trade.slippage),
            money(trade.net_pnl),
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
pub(crate) fn exit_reasons_table(metrics: &Metrics) -> String {
    let mut out = String::from("<table>");
    header(
        &mut out,
        &["exit reason", "trades (final leg)", "legs", "net P&L"],
    );
    for stats in &metrics.exit_reasons {
        row(
            &mut out,
            &[
                stats.reason.clone(),
                stats.trades.to_string(),
                stats.legs.to_string(),
                money(stats.net_pnl),
            ],
            1,
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Per-setup breakdown.
pub(crate) fn setups_table(metrics: &Metrics) -> String {
    let mut out = String::from("<table>");
    header(
        &mut out,
        &["setup", "trades", "wins", "win rate", "net P&L"],
    );
    for stats in &metrics.setups {
        row(
            &mut out,
            &[
                stats.setup.clone(),
                stats.trades.to_string(),
                stats.wins.to_string(),
                format!("{}%", fixed(stats.win_rate_pct, 1)),
                money(stats.net_pnl),
            ],
            1,
        );
    }
    out.push_str("</tbody></table>");
    out
}
