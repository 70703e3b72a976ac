//! The terminal summary of a run: one table in the order a quant reads it (net P&L, return,
//! drawdown, the daily ratios, trade statistics, costs, execution), money with thousands
//! separators and the currency, and a caveat when the ratios rest on too few daily returns.
//! [`metrics_json`] is the same for machines: every number a JSON number.

use std::fmt::Write;

use auction_trader_types::Money;

use crate::Metrics;
use crate::display::{format_money, format_number};

/// Fewer daily returns than this and a Sharpe or Sortino is noise: the summary says so.
pub const MIN_DAILY_RETURNS: usize = 30;

/// The caveat printed under ratios that rest on fewer than [`MIN_DAILY_RETURNS`] daily
/// returns (`None` when there are enough, or no ratio at all).
pub fn small_sample_caveat(metrics: &Metrics) -> Option<String> {
    let days = metrics.daily.days;
    (days < MIN_DAILY_RETURNS && (metrics.sharpe.is_some() || metrics.sortino.is_some())).then(
        || {
            format!(
                "Sharpe and Sortino rest on {days} daily return{} (fewer than \
                 {MIN_DAILY_RETURNS}): too few to mean much",
                if days == 1 { "" } else { "s" }
            )
        },
    )
}

/// `(label, value)` rows of the summary, in reading order.
pub fn summary_rows(metrics: &Metrics, currency: &str) -> Vec<(&'static str, String)> {
    let money = |value: Money| format_money(value, currency);
    let optional_money = |value: Option<Money>| value.map_or_else(|| "—".to_owned(), money);
    let percent = |value: Option<f64>, decimals: usize| {
        value.map_or_else(
            || "—".to_owned(),
            |value| format!("{}%", format_number(value, decimals)),
        )
    };
    let ratio = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), |v| format_number(v, 2));
    let drawdown = metrics.max_drawdown.map_or_else(
        || "—".to_owned(),
        |drawdown| {
            let amount = metrics
                .max_drawdown_amount
                .map_or(drawdown.amount, |largest| largest.amount);
            format!(
                "{}% ({})",
                format_number(-drawdown.percent, 2),
                money(Money::ZERO.saturating_sub(amount))
            )
        },
    );
    vec![
        ("Net P&L", money(metrics.net_pnl)),
        ("Return", percent(metrics.return_pct, 2)),
        ("Max drawdown", drawdown),
        ("Sharpe (daily, √365)", ratio(metrics.sharpe)),
        ("Sortino (daily, √365)", ratio(metrics.sortino)),
        (
            "Win rate",
            match metrics.win_rate_pct {
                Some(rate) => format!(
                    "{}% ({} of {})",
                    format_number(rate, 1),
                    metrics.wins,
                    metrics.trade_count
                ),
                None => "—".to_owned(),
            },
        ),
        ("Profit factor", ratio(metrics.profit_factor)),
        (
            "Trades (wins / losses)",
            format!(
                "{} ({} / {})",
                metrics.trade_count, metrics.wins, metrics.losses
            ),
        ),
        ("Expectancy per trade", optional_money(metrics.expectancy)),
        (
            "Average hold",
            metrics
                .average_hold_seconds
                .map_or_else(|| "—".to_owned(), hold_text),
        ),
        ("Gross P&L", money(metrics.gross_pnl)),
        ("Fees", money(metrics.total_fees)),
        ("Funding", money(metrics.total_funding)),
        (
            "Slippage vs mid (inside gross)",
            money(metrics.total_slippage),
        ),
        (
            "Fill rate (limit orders)",
            match metrics.fill_rate_pct {
                Some(rate) => format!(
                    "{}% ({} of {})",
                    format_number(rate, 1),
                    metrics.limit_orders_filled,
                    metrics.limit_orders
                ),
                None => "—".to_owned(),
            },
        ),
        (
            "Maker share (notional)",
            percent(metrics.maker_share_pct, 1),
        ),
        (
            "Turnover",
            metrics.turnover.map_or_else(
                || "—".to_owned(),
                |value| format!("{}×", format_number(value, 2)),
            ),
        ),
        (
            "Exposure (time in a position)",
            percent(metrics.exposure_pct, 1),
        ),
        (
            "Equity (initial → final)",
            format!(
                "{} → {}",
                money(metrics.initial_equity),
                money(metrics.final_equity)
            ),
        ),
        ("Daily returns", metrics.daily.days.to_string()),
    ]
}

/// The summary as an aligned two-column table, then the small-sample caveat if any.
pub fn summary_table(metrics: &Metrics, currency: &str) -> String {
    let rows = summary_rows(metrics, currency);
    let label_width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|(_, value)| value.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value) in &rows {
        let label_pad = label_width - label.chars().count();
        let value_pad = value_width - value.chars().count();
        let _ = writeln!(
            out,
            "  {label}{}  {}{value}",
            " ".repeat(label_pad),
            " ".repeat(value_pad)
        );
    }
    if let Some(caveat) = small_sample_caveat(metrics) {
        let _ = writeln!(out, "  note: {caveat}");
    }
    out
}

/// `1h 02m`, `2m 05s`, `7s`, `2d 03h` (a hold time for the table).
fn hold_text(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        (total / 3600) % 24,
        (total / 60) % 60,
        total % 60,
    );
    if days > 0 {
        format!("{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// The metrics as JSON for machines: the fields of `metrics.json` with every money amount a
/// JSON number (not a decimal string), plus `currency` and the small-sample `caveat` (null
/// when there is none). Times stay epoch nanoseconds.
pub fn metrics_json(metrics: &Metrics, currency: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(metrics).unwrap_or(serde_json::Value::Null);
    numbers_from_decimal_strings(&mut value);
    if let serde_json::Value::Object(fields) = &mut value {
        fields.insert("currency".to_owned(), currency.into());
        fields.insert("caveat".to_owned(), small_sample_caveat(metrics).into());
    }
    value
}

/// Replaces every string that is a plain decimal number (Money's JSON form) by that number.
fn numbers_from_decimal_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if is_decimal(text) => {
            if let Some(number) = text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                *value = serde_json::Value::Number(number);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(numbers_from_decimal_strings),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(numbers_from_decimal_strings)
        }
        _ => {}
    }
}

/// `-12`, `3.5`, `0.000000001`: an optional minus, digits, optionally a point and digits.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|byte| byte.is_ascii_digit())
        && fraction.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_metrics;
    use crate::test_support::sample_records;

    #[test]
    fn the_table_leads_with_pnl_and_formats_money_with_the_currency() {
        let metrics = compute_metrics(&sample_records());
        let table = summary_table(&metrics, "USDT");
        let lines: Vec<&str> = table.lines().collect();
        // Net 10,058 − 10,000 = 58; return 0.58%; drawdown 1% of 10,000 = 100 (sample_records).
        assert!(lines[0].starts_with("  Net P&L") && lines[0].ends_with("58.00 USDT"));
        assert!(lines[1].ends_with("0.58%"), "{}", lines[1]);
        assert!(lines[2].ends_with("-1.00% (-100.00 USDT)"), "{}", lines[2]);
        assert!(lines[3].contains("Sharpe") && lines[3].ends_with("7.43"));
        assert!(table.contains("10,000.00 USDT → 10,058.00 USDT"), "{table}");
        // Two daily returns: the ratios come with the caveat.
        assert!(
            lines
                .last()
                .unwrap()
                .contains("rest on 2 daily returns (fewer than 30)"),
            "{table}"
        );
        // Every value ends in the same column.
        let width = lines[0].chars().count();
        assert!(
            lines[..lines.len() - 1]
                .iter()
                .all(|line| line.chars().count() == width),
            "{table}"
        );
    }

    #[test]
    fn json_money_is_numeric() {
        let metrics = compute_metrics(&sample_records());
        let json = metrics_json(&metrics, "USDT");
        assert_eq!(json["net_pnl"], serde_json::json!(58.0));
        assert_eq!(json["total_fees"], serde_json::json!(1.1));
        assert_eq!(json["currency"], "USDT");
        assert_eq!(json["exit_reasons"][0]["reason"], "end_of_data");
        assert!(json["caveat"].as_str().unwrap().contains("2 daily returns"));
        assert!(is_decimal("-12.5") && is_decimal("3") && !is_decimal("1e5"));
        assert!(!is_decimal("stop_loss") && !is_decimal("-") && !is_decimal("1."));
    }

    #[test]
    fn hold_times_read_at_a_glance() {
        assert_eq!(hold_text(3723.0), "1h 02m");
        assert_eq!(hold_text(125.0), "2m 05s");
        assert_eq!(hold_text(7.0), "7s");
        assert_eq!(hold_text(2.0 * 86_400.0 + 3.0 * 3600.0), "2d 03h");
    }
}
