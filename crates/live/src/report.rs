//! The daily report (SPEC 7): at each UTC day end (event time) and at the end of a session,
//! `reports/daily-<YYYY-MM-DD>.json` and `.txt` in the data directory with the day's data
//! quality, signals, orders, fills, fill rate, slippage against the estimate, P&L, position
//! and alerts.

use std::path::{Path, PathBuf};

use auction_trader_types::Quantity;
use serde::Serialize;

use crate::LiveError;

/// Folder of the reports in the data directory.
pub const REPORTS_DIR: &str = "reports";

/// Running totals the report takes differences of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DailyCounters {
    pub events: u64,
    pub book_checks: u64,
    pub book_mismatches: u64,
    pub feed_gaps: u64,
    pub signals: u64,
    pub orders: u64,
    pub fills: u64,
    pub limit_entries: u64,
    pub limit_entries_filled: u64,
    pub realized_pnl: f64,
    pub alerts: u64,
    pub kill_switch_trips: u64,
}

impl DailyCounters {
    fn since(&self, start: &Self) -> Self {
        Self {
            events: self.events - start.events,
            book_checks: self.book_checks - start.book_checks,
            book_mismatches: self.book_mismatches - start.book_mismatches,
            feed_gaps: self.feed_gaps - start.feed_gaps,
            signals: self.signals - start.signals,
            orders: self.orders - start.orders,
            fills: self.fills - start.fills,
            limit_entries: self.limit_entries - start.limit_entries,
            limit_entries_filled: self.limit_entries_filled - start.limit_entries_filled,
            realized_pnl: self.realized_pnl - start.realized_pnl,
            alerts: self.alerts - start.alerts,
            kill_switch_trips: self.kill_switch_trips - start.kill_switch_trips,
        }
    }
}

#[derive(Debug, Serialize)]
struct DailyReport<'a> {
    date: String,
    mode: &'a str,
    symbol: &'a str,
    day: DailyCounters,
    fill_rate: Option<f64>,
    slippage_bps: Option<f64>,
    slippage_estimate_bps: Option<f64>,
    position: String,
    equity: Option<f64>,
}

/// The UTC date of a day number (days since the epoch).
pub fn date_of_day(day: i64) -> String {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::days(day)))
        .map_or_else(
            || format!("day-{day}"),
            |date| date.format("%Y-%m-%d").to_string(),
        )
}

/// Writes the report of `day` (counters at its start and now); returns the text file.
#[allow(clippy::too_many_arguments)]
pub fn write_daily_report(
    data_dir: &Path,
    day: i64,
    mode: &str,
    symbol: &str,
    at_start: &DailyCounters,
    now: &DailyCounters,
    position: Quantity,
    equity: Option<f64>,
    slippage: Option<(f64, f64)>,
) -> Result<PathBuf, LiveError> {
    let counters = now.since(at_start);
    #[allow(clippy::cast_precision_loss)]
    let fill_rate = (counters.limit_entries > 0)
        .then(|| counters.limit_entries_filled as f64 / counters.limit_entries as f64);
    let report = DailyReport {
        date: date_of_day(day),
        mode,
        symbol,
        day: counters,
        fill_rate,
        slippage_bps: slippage.map(|pair| pair.0),
        slippage_estimate_bps: slippage.map(|pair| pair.1),
        position: position.to_string(),
        equity,
    };
    let folder = data_dir.join(REPORTS_DIR);
    std::fs::create_dir_all(&folder).map_err(|cause| LiveError::io(&folder, cause))?;
    let json = serde_json::to_string_pretty(&report)
        .map_err(|error| LiveError::Data(error.to_string()))?;
    let json_path = folder.join(format!("daily-{}.json", report.date));
    std::fs::write(&json_path, json).map_err(|cause| LiveError::io(&json_path, cause))?;
    let optional = |value: Option<f64>, digits: usize| {
        value.map_or_else(|| "n/a".to_owned(), |value| format!("{value:.digits$}"))
    };
    let text = format!(
        "daily report {date} ({mode}, {symbol})\n\
         data:      {events} events, {checks} book checks, {mismatches} mismatches, {gaps} gaps\n\
         strategy:  {signals} signals, {orders} orders, {fills} fills, fill rate {rate}\n\
         execution: slippage {slip} bps vs estimate {estimate} bps\n\
         P&L:       realized {pnl:.2} today, equity {equity}, position {position}\n\
         alerts:    {alerts} ({trips} kill-switch trips)\n",
        date = report.date,
        events = counters.events,
        checks = counters.book_checks,
        mismatches = counters.book_mismatches,
        gaps = counters.feed_gaps,
        signals = counters.signals,
        orders = counters.orders,
        fills = counters.fills,
        rate = optional(fill_rate, 3),
        slip = optional(report.slippage_bps, 2),
        estimate = optional(report.slippage_estimate_bps, 2),
        pnl = counters.realized_pnl,
        equity = optional(equity, 2),
        position = report.position,
        alerts = counters.alerts,
        trips = counters.kill_switch_trips,
    );
    let text_path = folder.join(format!("daily-{}.txt", report.date));
    std::fs::write(&text_path, text).map_err(|cause| LiveError::io(&text_path, cause))?;
    Ok(text_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_shows_the_day_differences() {
        let dir = tempfile::tempdir().unwrap();
        let start = DailyCounters {
            events: 100,
            fills: 2,
            limit_entries: 4,
            limit_entries_filled: 1,
            realized_pnl: 10.0,
            ..DailyCounters::default()
        };
        let now = DailyCounters {
            events: 350,
            fills: 5,
            limit_entries: 8,
            limit_entries_filled: 4,
            realized_pnl: 2.5,
            ..DailyCounters::default()
        };
        // Day 19,943 = 2024-08-08.
        let path = write_daily_report(
            dir.path(),
            19_943,
            "paper",
            "BTCUSDT",
            &start,
            &now,
            Quantity::ZERO,
            None,
            None,
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(path.ends_with("reports/daily-2024-08-08.txt"));
        assert!(text.contains("250 events"), "{text}");
        assert!(text.contains("3 fills, fill rate 0.750"), "{text}");
        assert!(text.contains("realized -7.50 today"), "{text}");
        let json =
            std::fs::read_to_string(dir.path().join("reports/daily-2024-08-08.json")).unwrap();
        assert!(json.contains("\"fill_rate\": 0.75"), "{json}");
    }
}
