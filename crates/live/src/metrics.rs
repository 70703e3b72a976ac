//! The session's Prometheus metrics (SPEC 7 monitoring). The trading loop keeps a plain
//! [`MetricValues`] and publishes a copy every second of wall time (and at the end); the
//! `/metrics` handler renders the latest copy in the Prometheus text exposition format.

use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::alerts::AlertKind;

/// The kill switches of SPEC 7, in metric label order.
pub const KILL_SWITCHES: [&str; 4] = ["data_gap", "drawdown", "feature_drift", "slippage"];

/// Every value the session exposes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricValues {
    pub mode: String,
    pub symbol: String,
    pub events: u64,
    pub book_checks: u64,
    pub book_mismatches: u64,
    pub book_resyncs: u64,
    pub feed_gaps: u64,
    pub feed_disconnects: u64,
    /// Latest receive − exchange time, seconds.
    pub feed_latency_seconds: f64,
    pub feed_latency_max_seconds: f64,
    pub feed_latency_alerts: u64,
    pub signals: u64,
    pub orders: u64,
    pub fills: u64,
    pub limit_orders: u64,
    pub limit_orders_filled: u64,
    /// Filled limit entries / limit entries (SPEC 5 definition).
    pub fill_rate: f64,
    /// The fill rate the backtest of the same data reached (shadow mode), NaN otherwise.
    pub fill_rate_expected: f64,
    /// Mean taker slippage from the mid at submit, bps.
    pub slippage_bps: f64,
    /// Mean estimate (half the spread at submit), bps.
    pub slippage_estimate_bps: f64,
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub equity: f64,
    pub position: f64,
    /// Open risk to the stop / equity.
    pub heat: f64,
    pub drawdown: f64,
    pub trading_enabled: bool,
    pub halted: bool,
    /// 1 = tripped, per [`KILL_SWITCHES`].
    pub kill_switches: [bool; 4],
    pub alerts: [u64; AlertKind::ALL.len()],
    pub shadow_signal_divergences: u64,
    pub shadow_fill_divergences: u64,
    pub replayed_orders: u64,
    pub last_event_ts_seconds: f64,
}

/// The published values, shared with the metrics server.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    shared: Arc<Mutex<MetricValues>>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn publish(&self, values: &MetricValues) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared.clone_from(values);
    }

    pub fn values(&self) -> MetricValues {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The Prometheus text exposition of the latest values.
    pub fn render(&self) -> String {
        render(&self.values())
    }
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, labels: &str, value: f64) {
    let _ = writeln!(out, "# HELP auction_trader_{name} {help}");
    let _ = writeln!(out, "# TYPE auction_trader_{name} {kind}");
    if value.is_nan() {
        let _ = writeln!(out, "auction_trader_{name}{labels} NaN");
    } else {
        let _ = writeln!(out, "auction_trader_{name}{labels} {value}");
    }
}

/// Renders `values` (one family per metric, `mode` and `symbol` labels).
#[allow(clippy::cast_precision_loss)] // Counters far below 2^53.
pub fn render(values: &MetricValues) -> String {
    let mut out = String::with_capacity(4096);
    let labels = format!(
        "{{mode=\"{}\",symbol=\"{}\"}}",
        escape(&values.mode),
        escape(&values.symbol)
    );
    let counters: [(&str, &str, u64); 13] = [
        ("events_total", "Market events processed.", values.events),
        (
            "book_checks_total",
            "Local book top compared with a venue quote (settled states).",
            values.book_checks,
        ),
        (
            "book_mismatches_total",
            "Book checks where price or size differed.",
            values.book_mismatches,
        ),
        (
            "book_resyncs_total",
            "Book rebuilds from a snapshot.",
            values.book_resyncs,
        ),
        ("feed_gaps_total", "Depth sequence gaps.", values.feed_gaps),
        (
            "feed_disconnects_total",
            "Feed connection drops.",
            values.feed_disconnects,
        ),
        (
            "feed_latency_alerts_total",
            "Events with feed latency above the alert threshold.",
            values.feed_latency_alerts,
        ),
        ("signals_total", "Strategy signal records.", values.signals),
        (
            "orders_total",
            "Orders sent (written to execution.db first).",
            values.orders,
        ),
        ("fills_total", "Fills received.", values.fills),
        (
            "limit_orders_total",
            "Limit entry orders.",
            values.limit_orders,
        ),
        (
            "limit_orders_filled_total",
            "Limit entry orders filled as maker.",
            values.limit_orders_filled,
        ),
        (
            "replayed_orders_total",
            "Orders a restart regenerated and found in execution.db (not sent again).",
            values.replayed_orders,
        ),
    ];
    for (name, help, value) in counters {
        metric(&mut out, name, "counter", help, &labels, value as f64);
    }
    let gauges: [(&str, &str, f64); 14] = [
        (
            "feed_latency_seconds",
            "Latest receive minus exchange time.",
            values.feed_latency_seconds,
        ),
        (
            "feed_latency_max_seconds",
            "Largest receive minus exchange time.",
            values.feed_latency_max_seconds,
        ),
        (
            "fill_rate",
            "Limit entries filled / submitted.",
            values.fill_rate,
        ),
        (
            "fill_rate_expected",
            "Fill rate of the backtest replay (shadow mode).",
            values.fill_rate_expected,
        ),
        (
            "slippage_bps",
            "Mean taker slippage from the mid at submit.",
            values.slippage_bps,
        ),
        (
            "slippage_estimate_bps",
            "Mean slippage estimate (half the spread at submit).",
            values.slippage_estimate_bps,
        ),
        (
            "realized_pnl",
            "Realized P&L after fees and funding.",
            values.realized_pnl,
        ),
        (
            "unrealized_pnl",
            "Unrealized P&L at the mark.",
            values.unrealized_pnl,
        ),
        ("equity", "Account equity at the mark.", values.equity),
        ("position", "Signed position (base units).", values.position),
        ("heat", "Open risk to the stop / equity.", values.heat),
        (
            "drawdown",
            "Drawdown from peak equity (fraction).",
            values.drawdown,
        ),
        (
            "trading_enabled",
            "1 when trading is enabled (observe mode: 0).",
            f64::from(u8::from(values.trading_enabled)),
        ),
        (
            "halted",
            "1 when the session halted (reconciliation mismatch, kill switch).",
            f64::from(u8::from(values.halted)),
        ),
    ];
    for (name, help, value) in gauges {
        metric(&mut out, name, "gauge", help, &labels, value);
    }
    let _ = writeln!(
        out,
        "# HELP auction_trader_kill_switch SPEC 7 kill switch state (1 = tripped)."
    );
    let _ = writeln!(out, "# TYPE auction_trader_kill_switch gauge");
    for (name, tripped) in KILL_SWITCHES.iter().zip(values.kill_switches) {
        let _ = writeln!(
            out,
            "auction_trader_kill_switch{{mode=\"{}\",symbol=\"{}\",switch=\"{name}\"}} {}",
            escape(&values.mode),
            escape(&values.symbol),
            u8::from(tripped)
        );
    }
    let _ = writeln!(
        out,
        "# HELP auction_trader_alerts_total Alerts raised per kind."
    );
    let _ = writeln!(out, "# TYPE auction_trader_alerts_total counter");
    for (kind, count) in AlertKind::ALL.iter().zip(values.alerts) {
        let _ = writeln!(
            out,
            "auction_trader_alerts_total{{mode=\"{}\",symbol=\"{}\",kind=\"{}\"}} {count}",
            escape(&values.mode),
            escape(&values.symbol),
            kind.as_str()
        );
    }
    metric(
        &mut out,
        "shadow_signal_divergences_total",
        "counter",
        "Shadow mode: signals that differ from the backtest replay.",
        &labels,
        values.shadow_signal_divergences as f64,
    );
    metric(
        &mut out,
        "shadow_fill_divergences_total",
        "counter",
        "Shadow mode: fills that differ from the backtest replay (1 tick, 1 s).",
        &labels,
        values.shadow_fill_divergences as f64,
    );
    metric(
        &mut out,
        "last_event_timestamp_seconds",
        "gauge",
        "Receive time of the latest event.",
        &labels,
        values.last_event_ts_seconds,
    );
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_required_families_are_rendered_with_their_values() {
        let metrics = Metrics::new();
        let values = MetricValues {
            mode: "paper".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            book_checks: 12,
            book_mismatches: 0,
            fills: 3,
            kill_switches: [false, true, false, false],
            fill_rate_expected: f64::NAN,
            ..MetricValues::default()
        };
        metrics.publish(&values);
        let text = metrics.render();
        assert!(
            text.contains(
                "auction_trader_book_checks_total{mode=\"paper\",symbol=\"BTCUSDT\"} 12\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "auction_trader_book_mismatches_total{mode=\"paper\",symbol=\"BTCUSDT\"} 0\n"
        ));
        assert!(text.contains("auction_trader_fills_total{mode=\"paper\",symbol=\"BTCUSDT\"} 3\n"));
        assert!(text.contains("switch=\"drawdown\"} 1\n"));
        assert!(text.contains("switch=\"data_gap\"} 0\n"));
        assert!(text.contains(
            "auction_trader_fill_rate_expected{mode=\"paper\",symbol=\"BTCUSDT\"} NaN\n"
        ));
        // Every sample line belongs to a declared family.
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            assert!(text.contains(&format!("# TYPE {name} ")), "{line}");
        }
    }
}
