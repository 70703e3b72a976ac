//! The drain research section of the HTML report (SPEC 6 research reports) and how it is put
//! into an existing report: before the configuration, replacing an earlier copy, so
//! re-running the research on a run leaves one section.

use std::fmt::Write;

use super::format::escape;
use crate::display::{format_money, format_number};
use crate::drain_research::{Bucket, DrainResearch};

/// Id of the section (and of its end marker).
pub const DRAIN_SECTION_ID: &str = "drain-research";

fn percent(value: Option<f64>) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |v| format!("{}%", format_number(v * 100.0, 1)),
    )
}

fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format_number(v, decimals))
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for header in headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn buckets(out: &mut String, title: &str, rows: &[Bucket], currency: &str) {
    let _ = write!(out, "<h3>{}</h3>", escape(title));
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|b| {
            vec![
                b.key.clone(),
                b.signals.to_string(),
                b.trades.to_string(),
                b.wins.to_string(),
                percent(b.win_rate),
                format_money(b.net, currency),
                if b.toxic {
                    "toxic".to_owned()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    table(
        out,
        &[
            "bucket", "signals", "trades", "wins", "win rate", "net", "period",
        ],
        &rows,
    );
}

/// The whole drain research as one `<section>` (money in `currency`).
pub fn drain_research_html(research: &DrainResearch, currency: &str) -> String {
    let money = |value| format_money(value, currency);
    let mut out = format!(
        "<section id=\"{DRAIN_SECTION_ID}\"><h2>Drain research: {}</h2>",
        escape(&research.symbol)
    );
    let cost = &research.cost;
    let _ = write!(
        out,
        "<h3>Cost-adjusted P&amp;L ({} trades)</h3>",
        cost.trades
    );
    table(
        &mut out,
        &[
            "gross",
            "fees",
            "funding",
            "slippage (inside gross)",
            "net",
            "fees / gross edge",
            "fees + funding / gross",
        ],
        &[vec![
            money(cost.gross),
            money(cost.fees),
            money(cost.funding),
            money(cost.slippage),
            money(cost.net),
            percent(cost.fees_share_of_gross),
            percent(cost.costs_share_of_gross),
        ]],
    );
    let v = &research.verdicts;
    let _ = write!(
        out,
        "<p class=\"note\">{} drain verdicts: {} REAL_PRESSURE, {} spoof cleanup; of the \
         REAL_PRESSURE ones {} unstable during the delay, {} below the confidence threshold, \
         {} suppressed, {} placed.</p>",
        v.verdicts,
        v.real_pressure,
        v.spoof_cleanup,
        v.unstable,
        v.low_confidence,
        v.suppressed,
        v.placed
    );
    out.push_str("<h3>Signal half-life per symbol × session</h3>");
    let rows: Vec<Vec<String>> = research
        .half_life
        .iter()
        .map(|row| {
            vec![
                row.symbol.clone(),
                row.session.as_str().to_owned(),
                row.signals.to_string(),
                optional(row.peak_bps, 2),
                optional(row.peak_seconds, 0),
                optional(row.half_life_seconds, 1),
                optional(row.adf_statistic, 2),
                optional(row.adf_p_value, 3),
                yes_no(row.unit_root_rejected).to_owned(),
                format!("{} / {}", row.measured_exits, row.fallback_exits),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "symbol",
            "session",
            "signals",
            "peak bps",
            "peak s",
            "half-life s",
            "ADF τ",
            "ADF p",
            "unit root rejected (10%)",
            "time exits measured / fallback",
        ],
        &rows,
    );
    buckets(
        &mut out,
        "Signals vs profitability by UTC hour",
        &research.by_hour,
        currency,
    );
    buckets(&mut out, "… by session", &research.by_session, currency);
    buckets(
        &mut out,
        "… by volatility tercile (one-minute realized volatility)",
        &research.by_volatility,
        currency,
    );
    let _ = write!(
        out,
        "<h3>Losing-trade autopsy ({} losing trades)</h3>",
        research.autopsy.len()
    );
    let rows: Vec<Vec<String>> = research
        .autopsy
        .iter()
        .map(|row| {
            vec![
                row.trade_id.to_string(),
                if row.worst_decile {
                    "worst decile".to_owned()
                } else {
                    String::new()
                },
                row.direction.clone(),
                money(row.net),
                optional(row.book_ctr, 2),
                optional(row.absorption, 4),
                optional(row.obi_velocity, 3),
                row.regime.clone(),
                optional(row.spread_ratio, 2),
                row.tags.join(" + "),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "trade",
            "",
            "direction",
            "net",
            "book CTR",
            "absorption",
            "OBI velocity",
            "regime",
            "spread / typical",
            "tags",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = research
        .patterns
        .iter()
        .map(|p| {
            vec![
                p.tags.clone(),
                p.trades.to_string(),
                p.in_worst_decile.to_string(),
                money(p.net),
            ]
        })
        .collect();
    out.push_str("<h3>Failure patterns</h3>");
    table(
        &mut out,
        &["pattern", "trades", "in worst decile", "net"],
        &rows,
    );
    out.push_str("<h3>Fill rates</h3>");
    let rows: Vec<Vec<String>> = research
        .fill_rates
        .iter()
        .map(|f| {
            vec![
                f.placement.clone(),
                f.placed.to_string(),
                f.filled.to_string(),
                percent(f.rate),
                format!("{}–{}%", f.expected.0 * 100.0, f.expected.1 * 100.0),
                yes_no(f.within).to_owned(),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "placement",
            "placed",
            "filled",
            "rate",
            "expected",
            "within",
        ],
        &rows,
    );
    out.push_str("<h3>Toxicity-filter validation (raw vs filtered depth)</h3>");
    match &research.validation {
        Some(validation) => {
            let rows: Vec<Vec<String>> =
                [("raw", &validation.raw), ("filtered", &validation.filtered)]
                    .into_iter()
                    .map(|(name, side)| {
                        vec![
                            name.to_owned(),
                            side.verdicts.to_string(),
                            side.signals.to_string(),
                            side.trades.to_string(),
                            percent(side.win_rate),
                            optional(side.trade_sharpe, 3),
                            money(side.net),
                        ]
                    })
                    .collect();
            table(
                &mut out,
                &[
                    "depth",
                    "verdicts",
                    "signals",
                    "trades",
                    "win rate",
                    "per-trade Sharpe",
                    "net",
                ],
                &rows,
            );
            let _ = write!(
                out,
                "<p>Signals {} (expected −35% to −20%: {}); win rate {} points (expected +4 to \
                 +8: {}); per-trade Sharpe {}.</p>",
                percent(validation.signal_delta),
                yes_no(validation.signal_delta_within),
                optional(validation.win_rate_delta_points, 1),
                yes_no(validation.win_rate_delta_within),
                optional(validation.sharpe_delta, 3)
            );
        }
        None => out.push_str("<p class=\"note\">No raw-depth run was given.</p>"),
    }
    let _ = write!(out, "</section><!--/{DRAIN_SECTION_ID}-->");
    out
}

/// `html` with `section` (from [`drain_research_html`]) replacing an earlier drain section,
/// or inserted before the configuration section, or before `</body>`.
pub fn with_drain_section(html: &str, section: &str) -> String {
    let start_tag = format!("<section id=\"{DRAIN_SECTION_ID}\">");
    let end_tag = format!("<!--/{DRAIN_SECTION_ID}-->");
    if let (Some(start), Some(end)) = (html.find(&start_tag), html.find(&end_tag))
        && start < end
    {
        return format!(
            "{}{section}{}",
            &html[..start],
            &html[end + end_tag.len()..]
        );
    }
    let at = html
        .find("<section><h2>Configuration</h2>")
        .or_else(|| html.rfind("</body>"))
        .unwrap_or(html.len());
    format!("{}{section}\n{}", &html[..at], &html[at..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drain_research::drain_research;

    #[test]
    fn section_is_inserted_once_before_the_configuration() {
        let research = drain_research("BTC<USDT", &[], &[]);
        let section = drain_research_html(&research, "USDT");
        assert!(section.contains("Drain research: BTC&lt;USDT"));
        assert!(section.contains("No raw-depth run was given."));
        let html = "<body><section><h2>Trades</h2></section>\
                    <section><h2>Configuration</h2><pre></pre></section></body>";
        let once = with_drain_section(html, &section);
        assert!(once.find("drain-research").unwrap() < once.find("Configuration").unwrap());
        let twice = with_drain_section(&once, &section);
        assert_eq!(twice, once, "re-running replaces the section");
        assert_eq!(twice.matches("<section id=\"drain-research\">").count(), 1);
        // Without a configuration section: before </body>.
        let bare = with_drain_section("<body></body>", "<x/>");
        assert_eq!(bare, "<body><x/>\n</body>");
    }
}
