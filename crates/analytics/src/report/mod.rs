//! The self-contained HTML report (SPEC 6: "an HTML report with plots"): one file with inline
//! CSS and hand-drawn inline SVG, no scripts and no external resources (tooltips are SVG
//! `<title>` elements, zoom levels are radio buttons). Money carries the run's currency,
//! prices the decimals of its tick; charts have titled axes; the equity chart has a
//! buy-and-hold benchmark; daily and monthly returns are tabled; a small sample is flagged.
//! Every text is escaped and every number has a fixed format, and the report holds no
//! wall-clock time, so the same run gives byte-identical reports. Drain runs get a research
//! section ([`drain_research_html`]) put in by the research command.

mod charts;
mod drain;
mod format;
mod svg;
mod tables;

use std::fmt::Write;

pub use drain::{DRAIN_SECTION_ID, drain_research_html, with_drain_section};

pub(crate) use format::escape;
use format::{Units, short_time};

use crate::{EquityPoint, MIN_DAILY_RETURNS, Metrics, RunRecords, daily_equity};

/// Fewer closed trades than this and win rate and profit factor are noise.
const MIN_TRADES: usize = 30;

pub(crate) const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1140px;color:#1d2430;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee8;padding-bottom:4px}\
.sub{color:#5a6578;margin:0 0 16px}.note{color:#5a6578}\
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eef1f5;text-align:left;vertical-align:top}\
thead th{background:#f4f6f9;position:sticky;top:0}td.number{text-align:right;font-variant-numeric:tabular-nums}\
table.metrics th{font-weight:500;color:#3b4556;width:300px}table.trades{width:100%}\
tr.loss td:last-child{color:#b3261e}tr.win td:last-child{color:#1b7f3b}\
.scroll{max-height:520px;overflow:auto;border:1px solid #e3e8ef}\
svg.chart{width:100%;height:auto;display:block;margin:6px 0}\
.plot{fill:#fbfcfd;stroke:#c9d1dc}.grid{stroke:#e6eaf0}.axis{font-size:11px;fill:#5a6578}\
.close{fill:none;stroke:#1d2430;stroke-width:1}.vah,.val{fill:none;stroke:#2f6fdf;stroke-width:1;stroke-dasharray:4 3}\
.poc{fill:none;stroke:#e08a00;stroke-width:1;stroke-dasharray:2 2}.equity{fill:none;stroke:#2f6fdf;stroke-width:1.2}\
.drawdown{fill:#f3c4c0;stroke:#b3261e;stroke-width:.8}.marker{font-size:11px;cursor:default}\
.marker.win{fill:#1b7f3b}.marker.loss{fill:#b3261e}.bar.pnl{fill:#2f6fdf}.bar.loss{fill:#b3261e}.bar.cost{fill:#e08a00}.zero{stroke:#5a6578}\
.legend{font-size:12px;color:#5a6578}.key{padding:0 6px;border-bottom:2px solid}.key.close{border-color:#1d2430}\
.key.vah,.key.val{border-color:#2f6fdf;border-bottom-style:dashed}.key.poc{border-color:#e08a00;border-bottom-style:dotted}\
pre{background:#f4f6f9;padding:12px;overflow:auto;font-size:12px}\
h3{font-size:14px;margin:14px 0 6px}.scroll.short{max-height:300px}\
.warn{background:#fff4e0;border-left:4px solid #e08a00;padding:8px 12px;margin:8px 0 16px}\
.title{font-size:12px;fill:#3b4556}.benchmark{fill:none;stroke:#8a94a6;stroke-width:1;stroke-dasharray:6 3}\
.key.equity{border-color:#2f6fdf}.key.benchmark{border-color:#8a94a6;border-bottom-style:dashed}\
.zoom>input{margin:0 3px 0 12px}.zoom>.pane{display:none;overflow-x:auto}\
.zoom>input:nth-of-type(1):checked~div.pane:nth-of-type(1),\
.zoom>input:nth-of-type(2):checked~div.pane:nth-of-type(2){display:block}\
.pane svg.chart{max-width:none}";

/// Renders the whole report: header with the key metrics, price chart with value area and
/// trade markers, equity and drawdown charts, cost breakdown, trade list, exit-reason and
/// setup tables, and `config_text` (the effective configuration) verbatim in a `<pre>`.
pub fn render_html(records: &RunRecords, metrics: &Metrics, config_text: &str) -> String {
    let mut out = String::with_capacity(64 * 1024 + records.trades.len() * 512);
    let title = escape(&records.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>"
    );
    let units = Units::of(records);
    let equity = sorted_equity(records);
    let day_ends = daily_equity(&equity);
    let period = match (equity.first(), equity.last()) {
        (Some(first), Some(last)) => {
            let days = (last.ts.0 as f64 - first.ts.0 as f64) / 86_400e9;
            format!(
                "{} → {} UTC ({} days of data, {} UTC days)",
                short_time(first.ts),
                short_time(last.ts),
                format::fixed(days, 1),
                day_ends.len()
            )
        }
        _ => "no equity curve".to_owned(),
    };
    let currency = if units.currency.is_empty() {
        String::new()
    } else {
        format!(" · money in {}", units.currency)
    };
    let _ = writeln!(
        out,
        "<p class=\"sub\">{} · {} · {} trades{}</p>",
        escape(&records.symbol),
        escape(&period),
        records.trades.len(),
        escape(&currency)
    );
    if let Some(warning) = small_sample_warning(metrics) {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", escape(&warning));
    }
    let sections: [(&str, String); 9] = [
        ("Key metrics", tables::metrics_table(metrics, &units)),
        (
            "Price, value area and trades",
            charts::price_chart(records, &units),
        ),
        (
            "Equity against buy and hold, and drawdown",
            charts::equity_chart(records, &units),
        ),
        (
            "Daily and monthly returns",
            tables::returns_tables(metrics, &day_ends, &units),
        ),
        ("Costs", charts::cost_chart(metrics, &units)),
        (
            "Trades",
            format!(
                "<div class=\"scroll\">{}</div>",
                tables::trades_table(records, &units)
            ),
        ),
        ("Exit reasons", tables::exit_reasons_table(metrics, &units)),
        ("Setups", tables::setups_table(metrics, &units)),
        (
            "Configuration",
            format!("<pre>{}</pre>", escape(config_text)),
        ),
    ];
    for (heading, body) in sections {
        let _ = writeln!(out, "<section><h2>{heading}</h2>{body}</section>");
    }
    out.push_str("</body></html>\n");
    out
}

/// The equity points in time order (the engine records them so; a stable sort guards).
fn sorted_equity(records: &RunRecords) -> Vec<EquityPoint> {
    let mut equity = records.equity.clone();
    equity.sort_by_key(|point| point.ts);
    equity
}

/// The banner over a run too small to judge: fewer than 30 daily returns or 30 trades.
fn small_sample_warning(metrics: &Metrics) -> Option<String> {
    let days = metrics.daily.days;
    let trades = metrics.trade_count;
    if days >= MIN_DAILY_RETURNS && trades >= MIN_TRADES {
        return None;
    }
    Some(format!(
        "Small sample: {days} daily return{} and {trades} trade{}. With fewer than \
         {MIN_DAILY_RETURNS} daily returns a Sharpe or Sortino ratio, and with fewer than \
         {MIN_TRADES} trades a win rate or profit factor, is mostly noise: read these figures \
         as a description of this run, not as evidence about the strategy.",
        if days == 1 { "" } else { "s" },
        if trades == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_metrics;
    use crate::test_support::sample_records;

    #[test]
    fn report_is_self_contained_escaped_and_deterministic() {
        let records = sample_records();
        let metrics = compute_metrics(&records);
        let config = "risk:\n  per_trade: 0.02 # <b>not bold</b>\n";
        let html = render_html(&records, &metrics, config);
        assert_eq!(html, render_html(&records, &metrics, config));
        assert!(html.starts_with("<!DOCTYPE html>"));
        // The title "sample <run>" and the config are escaped.
        assert!(html.contains("<h1>sample &lt;run&gt;</h1>"));
        assert!(html.contains("&lt;b&gt;not bold&lt;/b&gt;"));
        assert!(!html.contains("<b>"));
        // No external resources or scripts.
        for forbidden in ["<script", "http://", "https://", "<link", "src="] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        // Every section, the markers and the trade rows are present.
        for needed in [
            "Key metrics",
            "Equity against buy and hold",
            "Costs",
            "Exit reasons",
            "Setups",
        ] {
            assert!(html.contains(needed), "{needed}");
        }
        // Two zoom levels draw the 3 entries and 4 exit legs twice each.
        assert_eq!(html.matches("class=\"marker entry").count(), 6);
        assert_eq!(html.matches("class=\"marker exit").count(), 8);
        // 3 trades + 2 daily rows + 1 monthly row.
        assert_eq!(html.matches("<tr class=\"").count(), 6);
        assert!(html.contains("class=\"vah\"") && html.contains("class=\"poc\""));
        assert!(html.contains("7.43")); // Sharpe with two decimals.
        // Money carries the currency of the symbol (BTCUSDT → USDT).
        assert!(html.contains("58.00 USDT") && html.contains("net (USDT)"));
        assert!(html.contains("Small sample: 2 daily returns and 3 trades."));
        assert!(html.contains("time (UTC)") && html.contains("buy and hold"));
        assert!(html.contains("Monthly") && html.contains("1970-01"));
        // Each zoomable chart is drawn at two widths.
        assert_eq!(html.matches("name=\"zoom-price\"").count(), 2);
    }

    #[test]
    fn empty_run_renders_notes_instead_of_charts() {
        let records = RunRecords::new("empty", "X", auction_trader_types::Money::ZERO);
        let html = render_html(&records, &compute_metrics(&records), "");
        assert!(html.contains("No price bars recorded."));
        assert!(html.contains("No equity curve recorded."));
        assert!(html.contains("No trades."));
    }
}
