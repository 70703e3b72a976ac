//! The drain research as plain text tables for the terminal.

use std::fmt::Write;

use super::build::{Bucket, DrainResearch};
use crate::display::{format_money, format_number};

/// `12.3%` or an em dash.
pub(crate) fn percent(value: Option<f64>) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |v| format!("{}%", format_number(v * 100.0, 1)),
    )
}

/// A number with `decimals` decimals or an em dash.
pub(crate) fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format_number(v, decimals))
}

/// `yes` / `no` / em dash.
pub(crate) fn verdict(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

/// Every section of `research` as text; money in `currency`.
pub fn research_text(research: &DrainResearch, currency: &str) -> String {
    let money = |value| format_money(value, currency);
    let mut out = String::new();
    let cost = &research.cost;
    let _ = writeln!(out, "drain research: {}", research.symbol);
    let _ = writeln!(out, "\ncost-adjusted P&L ({} trades)", cost.trades);
    for (label, value) in [
        ("gross", cost.gross),
        ("fees", cost.fees),
        ("funding", cost.funding),
        ("slippage (inside gross)", cost.slippage),
        ("net", cost.net),
    ] {
        let _ = writeln!(out, "  {label:<26}{:>20}", money(value));
    }
    let _ = writeln!(
        out,
        "  {:<26}{:>20}\n  {:<26}{:>20}",
        "fees / gross edge",
        percent(cost.fees_share_of_gross),
        "fees + funding / gross",
        percent(cost.costs_share_of_gross)
    );
    let v = &research.verdicts;
    let _ = writeln!(
        out,
        "\nverdicts {}: real_pressure {} spoof_cleanup {} unstable {} low_confidence {} \
         suppressed {} placed {}",
        v.verdicts,
        v.real_pressure,
        v.spoof_cleanup,
        v.unstable,
        v.low_confidence,
        v.suppressed,
        v.placed
    );
    let _ = writeln!(
        out,
        "\nsignal half-life (symbol × session; time exit = measured once enough signals)\n  \
         {:<10}{:<8}{:>8}{:>10}{:>8}{:>11}{:>9}{:>9}{:>10}{:>10}",
        "symbol",
        "session",
        "signals",
        "peak bps",
        "peak s",
        "half-life",
        "ADF",
        "ADF p",
        "rejects",
        "exits m/f"
    );
    for row in &research.half_life {
        let _ = writeln!(
            out,
            "  {:<10}{:<8}{:>8}{:>10}{:>8}{:>11}{:>9}{:>9}{:>10}{:>10}",
            row.symbol,
            row.session.as_str(),
            row.signals,
            optional(row.peak_bps, 2),
            optional(row.peak_seconds, 0),
            optional(row.half_life_seconds, 1),
            optional(row.adf_statistic, 2),
            optional(row.adf_p_value, 3),
            verdict(row.unit_root_rejected),
            format!("{}/{}", row.measured_exits, row.fallback_exits)
        );
    }
    for (title, rows) in [
        ("by UTC hour", &research.by_hour),
        ("by session", &research.by_session),
        (
            "by volatility tercile (1-minute realized volatility)",
            &research.by_volatility,
        ),
    ] {
        bucket_table(&mut out, title, rows, &money);
    }
    if let Some((low, high)) = research.volatility_cuts {
        let _ = writeln!(
            out,
            "  tercile cuts: {} and {} bps per second",
            format_number(low, 3),
            format_number(high, 3)
        );
    }
    let _ = writeln!(
        out,
        "\nlosing-trade autopsy ({} losing trades, * = worst decile)\n  {:<7}{:<7}{:>16}{:>8}{:>11}{:>9}{:>8}  {:<14}tags",
        research.autopsy.len(),
        "trade",
        "dir",
        "net",
        "CTR",
        "absorb",
        "OBI vel",
        "spread×",
        "regime"
    );
    for row in &research.autopsy {
        let _ = writeln!(
            out,
            "  {:<7}{:<7}{:>16}{:>8}{:>11}{:>9}{:>8}  {:<14}{}",
            format!(
                "{}{}",
                row.trade_id,
                if row.worst_decile { "*" } else { "" }
            ),
            row.direction,
            money(row.net),
            optional(row.book_ctr, 2),
            optional(row.absorption, 4),
            optional(row.obi_velocity, 3),
            optional(row.spread_ratio, 2),
            row.regime,
            row.tags.join("+")
        );
    }
    let _ = writeln!(out, "  failure patterns:");
    for pattern in &research.patterns {
        let _ = writeln!(
            out,
            "    {:<48}{:>4} trades ({} worst decile){:>18}",
            pattern.tags,
            pattern.trades,
            pattern.in_worst_decile,
            money(pattern.net)
        );
    }
    let _ = writeln!(out, "\nfill rates (SPEC 3.2 expected ranges)");
    for fill in &research.fill_rates {
        let _ = writeln!(
            out,
            "  {:<8} {:>4} of {:<4} {:>7}   expected {}–{}%   within: {}",
            fill.placement,
            fill.filled,
            fill.placed,
            percent(fill.rate),
            fill.expected.0 * 100.0,
            fill.expected.1 * 100.0,
            verdict(fill.within)
        );
    }
    match &research.validation {
        Some(validation) => {
            let _ = writeln!(
                out,
                "\ntoxicity-filter validation (filtered vs raw depth)\n  {:<10}{:>9}{:>9}{:>8}{:>10}{:>14}{:>18}",
                "depth", "verdicts", "signals", "trades", "win rate", "trade Sharpe", "net"
            );
            for (name, side) in [("raw", &validation.raw), ("filtered", &validation.filtered)] {
                let _ = writeln!(
                    out,
                    "  {:<10}{:>9}{:>9}{:>8}{:>10}{:>14}{:>18}",
                    name,
                    side.verdicts,
                    side.signals,
                    side.trades,
                    percent(side.win_rate),
                    optional(side.trade_sharpe, 3),
                    money(side.net)
                );
            }
            let _ = writeln!(
                out,
                "  signals {} (expected −35% to −20%: {}), win rate {} points (expected +4 to \
                 +8: {}), trade Sharpe {}",
                percent(validation.signal_delta),
                verdict(validation.signal_delta_within),
                optional(validation.win_rate_delta_points, 1),
                verdict(validation.win_rate_delta_within),
                optional(validation.sharpe_delta, 3)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "\ntoxicity-filter validation: no raw-depth run given (--raw <run dir>)"
            );
        }
    }
    out
}

fn bucket_table(
    out: &mut String,
    title: &str,
    rows: &[Bucket],
    money: &dyn Fn(auction_trader_types::Money) -> String,
) {
    let _ = writeln!(
        out,
        "\nsignals vs profitability {title} (! = toxic period)\n  {:<12}{:>8}{:>8}{:>6}{:>10}{:>18}",
        "bucket", "signals", "trades", "wins", "win rate", "net"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "  {:<12}{:>8}{:>8}{:>6}{:>10}{:>18}{}",
            row.key,
            row.signals,
            row.trades,
            row.wins,
            percent(row.win_rate),
            money(row.net),
            if row.toxic { " !" } else { "" }
        );
    }
}
