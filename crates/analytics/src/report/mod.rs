//! The self-contained HTML report (SPEC 6: "an HTML report with plots"): one file with inline
//! CSS and hand-drawn inline SVG, no scripts and no external resources (tooltips are SVG
//! `<title>` elements). Every text is escaped and every number has a fixed format, and the
//! report holds no wall-clock time, so the same run gives byte-identical reports.

mod charts;
mod format;
mod svg;
mod tables;

use std::fmt::Write;

use format::{escape, short_time};

use crate::{Metrics, RunRecords};

const STYLE: &str = "\
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
pre{background:#f4f6f9;padding:12px;overflow:auto;font-size:12px}";

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
    let period = match (records.equity.first(), records.equity.last()) {
        (Some(first), Some(last)) => {
            format!("{} → {} UTC", short_time(first.ts), short_time(last.ts))
        }
        _ => "no equity curve".to_owned(),
    };
    let _ = writeln!(
        out,
        "<p class=\"sub\">{} · {} · {} trades</p>",
        escape(&records.symbol),
        escape(&period),
        records.trades.len()
    );
    let sections: [(&str, String); 8] = [
        ("Key metrics", tables::metrics_table(metrics)),
        ("Price, value area and trades", charts::price_chart(records)),
        ("Equity and drawdown", charts::equity_chart(records)),
        ("Costs", charts::cost_chart(metrics)),
        (
            "Trades",
            format!(
                "<div class=\"scroll\">{}</div>",
                tables::trades_table(records)
            ),
        ),
        ("Exit reasons", tables::exit_reasons_table(metrics)),
        ("Setups", tables::setups_table(metrics)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_metrics;
    use crate::test_support::sample_records;

    #[test]
    fn report_is_self_contained_escaped_and_deterministic() {
        let records = sample_records();
        let metrics = compute_metrics(&records).unwrap();
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
            "Equity and drawdown",
            "Costs",
            "Exit reasons",
            "Setups",
        ] {
            assert!(html.contains(needed), "{needed}");
        }
        assert_eq!(html.matches("class=\"marker entry").count(), 3);
        assert_eq!(html.matches("class=\"marker exit").count(), 4);
        assert_eq!(html.matches("<tr class=\"").count(), 3);
        assert!(html.contains("class=\"vah\"") && html.contains("class=\"poc\""));
        assert!(html.contains("7.430")); // Sharpe with three decimals.
    }

    #[test]
    fn empty_run_renders_notes_instead_of_charts() {
        let records = RunRecords::new("empty", "X", auction_trader_types::Money::ZERO);
        let html = render_html(&records, &compute_metrics(&records).unwrap(), "");
        assert!(html.contains("No price bars recorded."));
        assert!(html.contains("No equity curve recorded."));
        assert!(html.contains("No trades."));
    }
}
