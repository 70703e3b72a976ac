//! The validation reports as text (the terminal, `report.txt`) and as an HTML page
//! (`report.html`): the same tables and gates in both.

use std::fmt::Write as _;

use super::costs::CostReport;
use super::gates::Gate;
use super::regimes::RegimeReport;
use super::walk_forward::WalkForwardReport;
use super::window::Window;

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.decimals$}"))
}

fn window_text(window: &Window) -> String {
    format!("{} .. {}", window.from, window.to)
}

/// A table: a header row and data rows of cells.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn text(&self) -> String {
        let columns = self.header.len();
        let width = |column: usize| {
            std::iter::once(&self.header)
                .chain(&self.rows)
                .map(|row| row.get(column).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(column, (cell, width))| {
                    // The last column holds the long free text (settings, parameters).
                    if column + 1 == columns {
                        cell.clone()
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }

    fn html(&self) -> String {
        let mut out = String::from("<table>\n<tr>");
        for cell in &self.header {
            let _ = write!(out, "<th>{}</th>", escape(cell));
        }
        out.push_str("</tr>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        out
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A report: a title, lines of context, tables, and the gates.
struct Document {
    title: String,
    lines: Vec<String>,
    tables: Vec<(String, Table)>,
    gates: Vec<Gate>,
}

impl Document {
    fn text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for line in &self.lines {
            let _ = writeln!(out, "{line}");
        }
        for (caption, table) in &self.tables {
            let _ = write!(out, "\n{caption}\n{}", table.text());
        }
        out.push_str("\nSPEC 6 gates (of the strategy, not of the software):\n");
        for gate in &self.gates {
            let _ = writeln!(out, "  {}", gate.line());
        }
        out
    }

    fn html(&self) -> String {
        let mut out = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
             <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
             td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
             .pass{{color:#070}}.fail{{color:#b00}}</style></head><body>\n<h1>{title}</h1>\n",
            title = escape(&self.title)
        );
        for line in &self.lines {
            let _ = writeln!(out, "<p>{}</p>", escape(line));
        }
        for (caption, table) in &self.tables {
            let _ = write!(out, "<h2>{}</h2>\n{}", escape(caption), table.html());
        }
        out.push_str("<h2>SPEC 6 gates</h2>\n<ul>\n");
        for gate in &self.gates {
            let class = if gate.passed() { "pass" } else { "fail" };
            let _ = writeln!(out, "<li class=\"{class}\">{}</li>", escape(&gate.line()));
        }
        out.push_str("</ul>\n</body></html>\n");
        out
    }
}

fn cost_document(report: &CostReport) -> Document {
    let lines = vec![format!(
        "run {:?}, trading window {}",
        report.run_name,
        window_text(&report.window)
    )];
    let table = Table {
        header: [
            "multiplier",
            "net_pnl",
            "fees",
            "slippage",
            "trades",
            "sharpe",
            "win_rate_pct",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: report
            .rows
            .iter()
            .map(|row| {
                let metrics = &row.metrics;
                vec![
                    format!("{}x", row.multiplier),
                    format!("{:.2}", metrics.net_pnl.as_f64()),
                    format!("{:.2}", metrics.total_fees.as_f64()),
                    format!("{:.2}", metrics.total_slippage.as_f64()),
                    metrics.trade_count.to_string(),
                    number(metrics.sharpe, 3),
                    number(metrics.win_rate_pct, 1),
                ]
            })
            .collect(),
    };
    let scaled = Table {
        header: vec![
            "multiplier".to_owned(),
            "what is scaled (base -> scaled)".to_owned(),
        ],
        rows: report
            .rows
            .iter()
            .map(|row| vec![format!("{}x", row.multiplier), row.changes.join("; ")])
            .collect(),
    };
    Document {
        title: format!("Cost sensitivity: {}", report.run_name),
        lines,
        tables: vec![
            ("Net results per cost multiplier".to_owned(), table),
            ("Cost settings of each run".to_owned(), scaled),
        ],
        gates: vec![report.gate.clone()],
    }
}

fn walk_forward_document(report: &WalkForwardReport) -> Document {
    let options = &report.options;
    let mut lines = vec![
        format!(
            "run {:?}: {} combinations, {} segments ({} folds), embargo {} min, objective {}",
            report.run_name,
            report.combinations,
            options.segments,
            report.folds.len(),
            options.embargo_minutes,
            options.objective
        ),
        "train = every combination on all data before the test segment minus the embargo; \
         the best by the objective (ties: first in sweep order) runs on the test segment"
            .to_owned(),
    ];
    if !report.label.is_empty() {
        lines.push(format!("LABELLED: {}", report.label));
    }
    let objective = &options.objective;
    let folds = Table {
        header: vec![
            "fold".to_owned(),
            "train".to_owned(),
            "test".to_owned(),
            "chosen".to_owned(),
            format!("train_{objective}"),
            format!("test_{objective}"),
            "test_net_pnl".to_owned(),
            "test_trades".to_owned(),
        ],
        rows: report
            .folds
            .iter()
            .map(|fold| {
                vec![
                    fold.fold.number.to_string(),
                    window_text(&fold.fold.train),
                    window_text(&fold.fold.test),
                    fold.chosen
                        .clone()
                        .unwrap_or_else(|| "(none defined)".to_owned()),
                    number(fold.train_objective, 3),
                    number(fold.test_objective, 3),
                    number(fold.test.as_ref().map(|m| m.net_pnl.as_f64()), 2),
                    fold.test
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |m| m.trade_count.to_string()),
                ]
            })
            .collect(),
    };
    let oos = &report.out_of_sample;
    let ratio = match (report.mean_test_objective, report.mean_train_objective) {
        (Some(test), Some(train)) if train != 0.0 => Some(test / train),
        _ => None,
    };
    let aggregate = Table {
        header: [
            "oos_days",
            "oos_sharpe",
            "oos_sortino",
            "oos_net_pnl",
            "oos_trades",
            "mean_train_objective",
            "mean_test_objective",
            "test/train",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: vec![vec![
            oos.days.to_string(),
            number(oos.sharpe, 3),
            number(oos.sortino, 3),
            format!("{:.2}", report.out_of_sample_net_pnl),
            report.out_of_sample_trades.to_string(),
            number(report.mean_train_objective, 3),
            number(report.mean_test_objective, 3),
            number(ratio, 3),
        ]],
    };
    Document {
        title: format!("Walk-forward: {}", report.run_name),
        lines,
        tables: vec![
            ("Folds".to_owned(), folds),
            (
                "Out of sample (every test segment's daily returns together)".to_owned(),
                aggregate,
            ),
        ],
        gates: vec![report.gate.clone()],
    }
}

fn regime_document(report: &RegimeReport) -> Document {
    let lines = vec![
        format!(
            "run {:?}, trading window {}; UTC days ranked by the std of their one-minute log \
             returns and cut in thirds",
            report.run_name,
            window_text(&report.window)
        ),
        format!(
            "daily returns of days without prices (not classified): {}",
            report.unclassified_days
        ),
    ];
    let table = Table {
        header: [
            "regime",
            "days",
            "mean_minute_vol",
            "daily_returns",
            "sharpe",
            "mean_daily_return_pct",
            "trades",
            "trades_net_pnl",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: report
            .rows
            .iter()
            .map(|row| {
                vec![
                    row.regime.to_owned(),
                    row.days.to_string(),
                    number(row.mean_volatility, 6),
                    row.returns.days.to_string(),
                    number(row.returns.sharpe, 3),
                    number(row.returns.mean.map(|mean| mean * 100.0), 4),
                    row.trades.to_string(),
                    format!("{:.2}", row.trades_net_pnl),
                ]
            })
            .collect(),
    };
    Document {
        title: format!("Volatility regimes: {}", report.run_name),
        lines,
        tables: vec![("Per volatility tercile".to_owned(), table)],
        gates: report.rows.iter().map(|row| row.gate.clone()).collect(),
    }
}

/// The regime report as text.
pub fn regime_text(report: &RegimeReport) -> String {
    regime_document(report).text()
}

/// The regime report as an HTML page.
pub fn regime_html(report: &RegimeReport) -> String {
    regime_document(report).html()
}

/// The cost-sensitivity report as text.
pub fn cost_text(report: &CostReport) -> String {
    cost_document(report).text()
}

/// The cost-sensitivity report as an HTML page.
pub fn cost_html(report: &CostReport) -> String {
    cost_document(report).html()
}

/// The walk-forward report as text.
pub fn walk_forward_text(report: &WalkForwardReport) -> String {
    walk_forward_document(report).text()
}

/// The walk-forward report as an HTML page.
pub fn walk_forward_html(report: &WalkForwardReport) -> String {
    walk_forward_document(report).html()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_escape() {
        let table = Table {
            header: vec!["a".to_owned(), "bb".to_owned()],
            rows: vec![vec!["100".to_owned(), "<x>".to_owned()]],
        };
        assert_eq!(table.text(), "  a  bb\n100  <x>\n");
        assert!(table.html().contains("<td>&lt;x&gt;</td>"));
    }
}
