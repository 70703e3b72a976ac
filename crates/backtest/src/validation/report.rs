//! The validation reports as text (the terminal, `report.txt`) and as an HTML page
//! (`report.html`): the same tables and gates in both.

use std::fmt::Write as _;

use super::costs::CostReport;
use super::cross_symbol::CrossSymbolReport;
use super::gate_report::{GateReport, NOT_EVALUATED, verdict};
use super::gates::Gate;
use super::kfold::KFoldReport;
use super::regimes::RegimeReport;
use super::walk_forward::WalkForwardReport;
use super::window::Window;
use auction_trader_analytics::ReturnStatistics;

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

/// The out-of-sample row of a walk-forward or k-fold report.
fn out_of_sample_table(
    oos: &ReturnStatistics,
    net_pnl: f64,
    trades: usize,
    mean_train: Option<f64>,
    mean_test: Option<f64>,
) -> Table {
    let ratio = match (mean_test, mean_train) {
        (Some(test), Some(train)) if train != 0.0 => Some(test / train),
        _ => None,
    };
    Table {
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
            format!("{net_pnl:.2}"),
            trades.to_string(),
            number(mean_train, 3),
            number(mean_test, 3),
            number(ratio, 3),
        ]],
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
    let aggregate = out_of_sample_table(
        &report.out_of_sample,
        report.out_of_sample_net_pnl,
        report.out_of_sample_trades,
        report.mean_train_objective,
        report.mean_test_objective,
    );
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

fn kfold_document(report: &KFoldReport) -> Document {
    let options = &report.options;
    let mut lines = vec![
        format!(
            "run {:?}: {} combinations, {} folds, purge {} min before each test fold, \
             embargo {} min after it, objective {}",
            report.run_name,
            report.combinations,
            options.folds,
            options.purge_minutes,
            options.embargo_minutes,
            options.objective
        ),
        "train = every combination on every other fold (each train window run on its own, \
         the objective over them together); the best (ties: first in sweep order) runs on \
         the test fold"
            .to_owned(),
    ];
    if options.embargo_minutes < report.warmup_minutes {
        lines.push(format!(
            "note: the embargo is shorter than the {}-minute warm-up: a train run after a \
             test fold warms its features on the end of that fold",
            report.warmup_minutes
        ));
    }
    if !report.label.is_empty() {
        lines.push(format!("LABELLED: {}", report.label));
    }
    let objective = &options.objective;
    let folds = Table {
        header: vec![
            "fold".to_owned(),
            "test".to_owned(),
            "train".to_owned(),
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
                    window_text(&fold.fold.test),
                    fold.fold
                        .train
                        .iter()
                        .map(window_text)
                        .collect::<Vec<_>>()
                        .join(" + "),
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
    // The chosen parameters are long: they go last in the text table.
    let folds = last_column(folds, 3);
    let aggregate = out_of_sample_table(
        &report.out_of_sample,
        report.out_of_sample_net_pnl,
        report.out_of_sample_trades,
        report.mean_train_objective,
        report.mean_test_objective,
    );
    Document {
        title: format!("Purged k-fold: {}", report.run_name),
        lines,
        tables: vec![
            ("Folds".to_owned(), folds),
            (
                "Out of sample (every test fold's daily returns together)".to_owned(),
                aggregate,
            ),
        ],
        gates: vec![report.gate.clone()],
    }
}

/// `table` with column `index` moved to the end.
fn last_column(mut table: Table, index: usize) -> Table {
    let header = table.header.remove(index);
    table.header.push(header);
    for row in &mut table.rows {
        let cell = row.remove(index);
        row.push(cell);
    }
    table
}

fn cross_symbol_document(report: &CrossSymbolReport) -> Document {
    let mut lines = vec![format!(
        "run {:?}: the same parameters on each data set (its data, instrument and account \
         sections; features, strategy, risk and execution from the base config)",
        report.run_name
    )];
    if let Some(chosen) = &report.chosen {
        lines.push(format!(
            "parameters chosen on the first data set: the best of {} combinations by {} \
             ({}): {chosen}",
            report.combinations,
            report.objective,
            number(report.train_objective, 3)
        ));
    }
    if !report.label.is_empty() {
        lines.push(format!("LABELLED: {}", report.label));
    }
    let table = Table {
        header: [
            "instrument",
            "daily_returns",
            "net_pnl",
            "currency",
            "return_pct",
            "trades",
            "sharpe",
            "sortino",
            "win_rate_pct",
            "max_drawdown_pct",
            "window",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: report
            .rows
            .iter()
            .map(|row| {
                let metrics = &row.metrics;
                vec![
                    row.instrument.clone(),
                    metrics.daily.days.to_string(),
                    format!("{:.2}", metrics.net_pnl.as_f64()),
                    metrics.currency.clone(),
                    number(metrics.return_pct, 3),
                    metrics.trade_count.to_string(),
                    number(metrics.sharpe, 3),
                    number(metrics.sortino, 3),
                    number(metrics.win_rate_pct, 1),
                    number(metrics.max_drawdown.map(|drawdown| drawdown.percent), 2),
                    window_text(&row.window),
                ]
            })
            .collect(),
    };
    Document {
        title: format!("Cross-symbol: {}", report.run_name),
        lines,
        tables: vec![("Side by side (first row: the base data)".to_owned(), table)],
        gates: report.gates.clone(),
    }
}

/// The purged k-fold report as text.
pub fn kfold_text(report: &KFoldReport) -> String {
    kfold_document(report).text()
}

/// The purged k-fold report as an HTML page.
pub fn kfold_html(report: &KFoldReport) -> String {
    kfold_document(report).html()
}

/// The cross-symbol report as text.
pub fn cross_symbol_text(report: &CrossSymbolReport) -> String {
    cross_symbol_document(report).text()
}

/// The cross-symbol report as an HTML page.
pub fn cross_symbol_html(report: &CrossSymbolReport) -> String {
    cross_symbol_document(report).html()
}

/// The gate report as one document per strategy (one section each), then the summary.
fn gate_documents(report: &GateReport) -> Vec<Document> {
    report
        .strategies
        .iter()
        .map(|strategy| {
            let mut document = cost_document(&strategy.costs);
            document.title = format!(
                "{} ({}, {}): {}",
                strategy.run_name,
                strategy.strategy,
                strategy.instrument,
                verdict(strategy.go())
            );
            let regimes = regime_document(&strategy.regimes);
            document.tables.extend(regimes.tables);
            if !strategy.second.is_empty() {
                document.tables.push((
                    "The same parameters on the other data sets (1x costs)".to_owned(),
                    Table {
                        header: ["instrument", "sharpe", "trades", "net_pnl", "note"]
                            .map(str::to_owned)
                            .to_vec(),
                        rows: strategy
                            .second
                            .iter()
                            .map(|second| {
                                vec![
                                    second.instrument.clone(),
                                    number(second.sharpe, 3),
                                    second.trades.to_string(),
                                    format!("{:.2}", second.net_pnl),
                                    second.note.clone().unwrap_or_default(),
                                ]
                            })
                            .collect(),
                    },
                ));
            }
            document.gates = strategy.gates.clone();
            document
        })
        .collect()
}

fn gate_summary(report: &GateReport) -> Table {
    Table {
        header: ["run", "strategy", "instrument", "gates passed", "verdict"]
            .map(str::to_owned)
            .to_vec(),
        rows: report
            .strategies
            .iter()
            .map(|strategy| {
                let passed = strategy.gates.iter().filter(|gate| gate.passed()).count();
                vec![
                    strategy.run_name.clone(),
                    strategy.strategy.clone(),
                    strategy.instrument.clone(),
                    format!("{passed} of {}", strategy.gates.len()),
                    verdict(strategy.go()).to_owned(),
                ]
            })
            .collect(),
    }
}

/// `GO     out-of-sample Sharpe 1.620 > 1.5` (the gate line with GO / NO-GO).
fn go_line(gate: &Gate) -> String {
    let line = gate.line();
    let rest = line
        .split_once("  ")
        .map_or(line.as_str(), |(_, rest)| rest);
    format!("{:<6} {rest}", verdict(gate.passed()))
}

/// The gate report as text.
pub fn gates_text(report: &GateReport) -> String {
    let mut out =
        String::from("SPEC 6 gates per strategy (of the strategy, not of the software)\n\n");
    out.push_str(&gate_summary(report).text());
    for document in gate_documents(report) {
        let _ = write!(out, "\n== {}\n", document.title);
        for line in &document.lines {
            let _ = writeln!(out, "{line}");
        }
        for (caption, table) in &document.tables {
            let _ = write!(out, "\n{caption}\n{}", table.text());
        }
        out.push_str("\nGates:\n");
        for gate in &document.gates {
            let _ = writeln!(out, "  {}", go_line(gate));
        }
    }
    out.push_str("\nNot evaluated by a backtest:\n");
    for (gate, reason) in NOT_EVALUATED {
        let _ = writeln!(out, "  {gate}: {reason}");
    }
    out
}

/// The gate report as an HTML page.
pub fn gates_html(report: &GateReport) -> String {
    let title = "SPEC 6 gates per strategy";
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
         .pass{{color:#070}}.fail{{color:#b00}}</style></head><body>\n<h1>{title}</h1>\n\
         <p>The gates judge the strategy, not the software; NO-GO is an expected outcome.</p>\n"
    );
    out.push_str(&gate_summary(report).html());
    for document in gate_documents(report) {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&document.title));
        for line in &document.lines {
            let _ = writeln!(out, "<p>{}</p>", escape(line));
        }
        for (caption, table) in &document.tables {
            let _ = write!(out, "<h3>{}</h3>\n{}", escape(caption), table.html());
        }
        out.push_str("<ul>\n");
        for gate in &document.gates {
            let class = if gate.passed() { "pass" } else { "fail" };
            let _ = writeln!(out, "<li class=\"{class}\">{}</li>", escape(&go_line(gate)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Not evaluated by a backtest</h2>\n<ul>\n");
    for (gate, reason) in NOT_EVALUATED {
        let _ = writeln!(out, "<li>{}: {}</li>", escape(gate), escape(reason));
    }
    out.push_str("</ul>\n</body></html>\n");
    out
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
