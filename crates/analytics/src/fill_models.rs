//! The fill-model report (SPEC 5): one strategy on the same data under each queue model, side
//! by side: limit orders, those filled as maker before their timeout and the fill rate, all
//! fills and the maker ones, the maker share of traded notional, closed trades, net P&L in
//! the run's currency, the wait from submission to the first maker fill (median and 90th
//! percentile) and each model's difference to the baseline (the first row, the default
//! model). [`FillModelComparison::text_table`] is the terminal form,
//! [`FillModelComparison::html_section`] the report section and
//! [`FillModelComparison::html_page`] a self-contained page holding it.

use std::fmt::Write;

use auction_trader_types::{Liquidity, Money, NANOS_PER_SECOND};
use serde::Serialize;

use crate::display::format_money;
use crate::metrics::maker_filled_limit_orders;
use crate::report::{STYLE, escape};
use crate::statistics::percentile_sorted;
use crate::{Metrics, RunRecords};

/// One model's run, summarized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillModelRow {
    /// The queue model's configuration name.
    pub model: String,
    pub limit_orders: usize,
    /// Limit orders filled as maker before their timeout (SPEC 5 fill rate's numerator).
    pub maker_filled: usize,
    pub fill_rate_pct: Option<f64>,
    /// Every fill (maker and taker; a walk over several levels is several fills).
    pub fills: usize,
    pub maker_fills: usize,
    /// Maker notional / traded notional × 100.
    pub maker_share_pct: Option<f64>,
    pub trades: usize,
    pub net_pnl: Money,
    /// Wait from submission to the first maker fill of the maker-filled limit orders.
    pub wait_p50_seconds: Option<f64>,
    pub wait_p90_seconds: Option<f64>,
}

impl FillModelRow {
    /// The row of one run (`metrics` computed from `records`).
    pub fn of(model: &str, records: &RunRecords, metrics: &Metrics) -> Self {
        let mut waits: Vec<f64> = maker_filled_limit_orders(records)
            .into_iter()
            .map(|(_, wait)| wait as f64 / NANOS_PER_SECOND as f64)
            .collect();
        waits.sort_by(f64::total_cmp);
        Self {
            model: model.to_owned(),
            limit_orders: metrics.limit_orders,
            maker_filled: metrics.limit_orders_filled,
            fill_rate_pct: metrics.fill_rate_pct,
            fills: records.fills.len(),
            maker_fills: records
                .fills
                .iter()
                .filter(|fill| fill.liquidity == Liquidity::Maker)
                .count(),
            maker_share_pct: metrics.maker_share_pct,
            trades: metrics.trade_count,
            net_pnl: metrics.net_pnl,
            wait_p50_seconds: percentile_sorted(&waits, 0.5),
            wait_p90_seconds: percentile_sorted(&waits, 0.9),
        }
    }
}

/// Every model's row; the first is the baseline the differences are taken to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillModelComparison {
    pub title: String,
    pub symbol: String,
    /// The currency of the P&L (quote currency; the coin for inverse contracts).
    pub currency: String,
    pub rows: Vec<FillModelRow>,
}

const HEADERS: [&str; 11] = [
    "model",
    "limits",
    "maker-filled",
    "fill rate",
    "fills",
    "maker fills",
    "maker share",
    "trades",
    "net P&L",
    "wait p50 / p90",
    "vs baseline: fill rate, net P&L",
];

impl FillModelComparison {
    fn money(&self, value: Money) -> String {
        format_money(value, &self.currency)
    }

    /// The cells of each row, in [`HEADERS`] order.
    fn cells(&self) -> Vec<[String; 11]> {
        let percent = |value: Option<f64>| {
            value.map_or_else(|| "—".to_owned(), |value| format!("{value:.1}%"))
        };
        let seconds = |value: Option<f64>| {
            value.map_or_else(|| "—".to_owned(), |value| format!("{value:.2} s"))
        };
        let baseline = self.rows.first();
        self.rows
            .iter()
            .enumerate()
            .map(|(index, row)| {
                let difference = match baseline {
                    Some(_) if index == 0 => "baseline".to_owned(),
                    Some(base) => {
                        let rate = match (row.fill_rate_pct, base.fill_rate_pct) {
                            (Some(rate), Some(base)) => {
                                format!("{:+.1} pts", rate - base)
                            }
                            _ => "—".to_owned(),
                        };
                        let pnl = row.net_pnl.saturating_sub(base.net_pnl);
                        let sign = if pnl.is_positive() { "+" } else { "" };
                        format!("{rate}, {sign}{}", self.money(pnl))
                    }
                    None => String::new(),
                };
                [
                    row.model.clone(),
                    row.limit_orders.to_string(),
                    row.maker_filled.to_string(),
                    percent(row.fill_rate_pct),
                    row.fills.to_string(),
                    row.maker_fills.to_string(),
                    percent(row.maker_share_pct),
                    row.trades.to_string(),
                    self.money(row.net_pnl),
                    format!(
                        "{} / {}",
                        seconds(row.wait_p50_seconds),
                        seconds(row.wait_p90_seconds)
                    ),
                    difference,
                ]
            })
            .collect()
    }

    /// The terminal table: a header line, one aligned line per model (numbers right-aligned).
    pub fn text_table(&self) -> String {
        let cells = self.cells();
        let mut widths = HEADERS.map(|header| header.chars().count());
        for row in &cells {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |row: &[String]| {
            let mut text = String::from(" ");
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                let pad = " ".repeat(width - cell.chars().count());
                if column == 0 || column == HEADERS.len() - 1 {
                    let _ = write!(text, " {cell}{pad}");
                } else {
                    let _ = write!(text, " {pad}{cell}");
                }
            }
            text.trim_end().to_owned()
        };
        let mut out = String::new();
        let _ = writeln!(out, "{}", line(&HEADERS.map(str::to_owned)));
        for row in &cells {
            let _ = writeln!(out, "{}", line(row));
        }
        out
    }

    /// The report section: a heading, what the columns mean, and the table.
    pub fn html_section(&self) -> String {
        let mut out = String::from("<section class=\"fill-models\">\n<h2>Fill models</h2>\n");
        let _ = writeln!(
            out,
            "<p class=\"note\">{} · the same strategy and data under each queue model (SPEC 5). \
             Fill rate = limit orders filled as maker before their timeout / limit orders; \
             maker share = maker notional / traded notional; wait = submission to first maker \
             fill; net P&amp;L in {}; differences to the first row.</p>",
            escape(&self.symbol),
            escape(if self.currency.is_empty() {
                "the quote currency"
            } else {
                &self.currency
            })
        );
        out.push_str("<table class=\"fill-models\"><thead><tr>");
        for header in HEADERS {
            let _ = write!(out, "<th>{}</th>", escape(header));
        }
        out.push_str("</tr></thead><tbody>\n");
        for row in self.cells() {
            out.push_str("<tr>");
            for (column, cell) in row.iter().enumerate() {
                let class = if column == 0 || column == HEADERS.len() - 1 {
                    ""
                } else {
                    " class=\"number\""
                };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n</section>\n");
        out
    }

    /// A self-contained page with the section (inline CSS, no scripts).
    pub fn html_page(&self) -> String {
        let title = escape(&self.title);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n{}\
             </body></html>\n",
            self.html_section()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_metrics;
    use crate::test_support::{fill, money, order, sample_records};

    /// The sample run (limit orders 1, 3, 4; order 1 maker-filled) plus limit 7 submitted at
    /// hour 7 and maker-filled at hour 7 + 90 s, then 7 + 120 s.
    fn records() -> RunRecords {
        let mut records = sample_records();
        records.orders.push(order(7, "limit", "2", "filled", None));
        for (seconds, size) in [(90, "1"), (120, "1")] {
            let mut maker = fill(7, "buy", "100", size, "maker", "0", None);
            maker.ts = maker.ts.saturating_add_nanos(seconds * NANOS_PER_SECOND);
            records.fills.push(maker);
        }
        records
    }

    #[test]
    fn a_row_by_hand() {
        let records = records();
        let metrics = compute_metrics(&records);
        let row = FillModelRow::of("queue_fraction", &records, &metrics);
        // Limits 1, 3, 4, 7; maker-filled 1 (wait 0) and 7 (wait 90 s: its first maker fill).
        assert_eq!((row.limit_orders, row.maker_filled), (4, 2));
        assert_eq!(row.fill_rate_pct, Some(50.0));
        // Waits [0, 90]: median 45; p90 = 0 + (90 − 0) × 0.9 = 81.
        assert_eq!(row.wait_p50_seconds, Some(45.0));
        assert_eq!(row.wait_p90_seconds, Some(81.0));
        assert_eq!(row.fills, records.fills.len());
        // Maker fills: the sample's of orders 1 and 3, and order 7's two.
        assert_eq!(row.maker_fills, 4);
        assert_eq!(row.trades, 3);
    }

    #[test]
    fn differences_to_the_baseline_in_the_table_and_the_section() {
        let records = records();
        let metrics = compute_metrics(&records);
        let base = FillModelRow::of("queue_fraction", &records, &metrics);
        let mut other = base.clone();
        other.model = "risk_averse".to_owned();
        other.fill_rate_pct = Some(25.0);
        other.net_pnl = base.net_pnl.saturating_sub(money("12.5"));
        let comparison = FillModelComparison {
            title: "fill models <x>".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            currency: "USDT".to_owned(),
            rows: vec![base, other],
        };
        let text = comparison.text_table();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("fill rate") && lines[0].contains("net P&L"));
        assert!(lines[1].ends_with("baseline"), "{}", lines[1]);
        assert!(lines[2].ends_with("-25.0 pts, -12.50 USDT"), "{}", lines[2]);
        assert!(lines[1].contains("50.0%") && lines[1].contains("45.00 s / 81.00 s"));
        let page = comparison.html_page();
        assert!(page.contains("<title>fill models &lt;x&gt;</title>"));
        assert!(page.contains("<td class=\"number\">25.0%</td>"));
        assert!(page.contains("net P&amp;L in USDT"));
    }
}
