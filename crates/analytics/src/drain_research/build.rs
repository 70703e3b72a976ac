//! Building the drain research tables (rules in the module doc of `drain_research`).

use std::collections::BTreeMap;

use auction_trader_types::{Money, Session, UnixNanos};
use serde::{Deserialize, Serialize};

use super::parse::{DrainRows, DrainSignal, SignalEntry, drain_rows};
use super::{
    EXPECTED_FILL_IMPROVE, EXPECTED_FILL_TOUCH, EXPECTED_SIGNAL_DELTA,
    EXPECTED_WIN_RATE_DELTA_POINTS, TOXIC_WIN_RATE,
};
use crate::TradeRecord;

/// SPEC 2.5: a book CTR above 4 is toxic; spread widening above this ratio is tagged.
const TOXIC_CTR: f64 = 4.0;
const WIDE_SPREAD_RATIO: f64 = 1.5;

/// Cost-adjusted P&L (SPEC 6). Fees and funding positive = paid; slippage is inside gross.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub trades: usize,
    pub gross: Money,
    pub fees: Money,
    pub funding: Money,
    pub slippage: Money,
    pub net: Money,
    /// Fees / gross when gross > 0 (the seeds' "fees ate 75% of the gross edge").
    pub fees_share_of_gross: Option<f64>,
    /// (fees + funding) / gross when gross > 0.
    pub costs_share_of_gross: Option<f64>,
}

/// How the run's drain verdicts ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VerdictCounts {
    pub verdicts: usize,
    pub real_pressure: usize,
    pub spoof_cleanup: usize,
    pub unstable: usize,
    pub low_confidence: usize,
    pub suppressed: usize,
    pub placed: usize,
}

/// The last half-life estimate of one session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HalfLifeRow {
    pub symbol: String,
    pub session: Session,
    /// Signal paths behind the estimate.
    pub signals: u32,
    pub peak_bps: Option<f64>,
    pub peak_seconds: Option<f64>,
    pub half_life_seconds: Option<f64>,
    pub adf_statistic: Option<f64>,
    pub adf_p_value: Option<f64>,
    /// ADF rejects a unit root at 10% (SPEC 2.6 default level).
    pub unit_root_rejected: Option<bool>,
    /// Entries of the session whose time exit used the measured half-life / the fallback.
    pub measured_exits: usize,
    pub fallback_exits: usize,
}

/// One bucket of the distribution tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub key: String,
    pub signals: usize,
    pub trades: usize,
    pub wins: usize,
    pub win_rate: Option<f64>,
    pub net: Money,
    pub toxic: bool,
}

/// One losing trade in the autopsy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutopsyRow {
    pub trade_id: u64,
    pub entry_ts: UnixNanos,
    pub direction: String,
    pub net: Money,
    pub exit_reason: String,
    pub book_ctr: Option<f64>,
    pub absorption: Option<f64>,
    pub obi_velocity: Option<f64>,
    pub regime: String,
    pub spread_ratio: Option<f64>,
    pub worst_decile: bool,
    pub tags: Vec<String>,
}

/// Losing trades sharing the same tags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailurePattern {
    pub tags: String,
    pub trades: usize,
    pub in_worst_decile: usize,
    pub net: Money,
}

/// Fill rate of one placement against its expected range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FillRate {
    pub placement: String,
    pub placed: usize,
    pub filled: usize,
    pub rate: Option<f64>,
    pub expected: (f64, f64),
    pub within: Option<bool>,
}

/// The drain research of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrainResearch {
    pub symbol: String,
    pub cost: CostReport,
    pub verdicts: VerdictCounts,
    pub half_life: Vec<HalfLifeRow>,
    pub by_hour: Vec<Bucket>,
    pub by_session: Vec<Bucket>,
    pub by_volatility: Vec<Bucket>,
    /// Cut points of the volatility terciles (bps of one-minute realized volatility).
    pub volatility_cuts: Option<(f64, f64)>,
    pub autopsy: Vec<AutopsyRow>,
    pub patterns: Vec<FailurePattern>,
    pub fill_rates: Vec<FillRate>,
    pub validation: Option<Validation>,
}

/// One side of the toxicity-filter validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSide {
    /// Drain verdicts (declines detected) and REAL_PRESSURE signals among them.
    pub verdicts: usize,
    pub signals: usize,
    pub trades: usize,
    pub win_rate: Option<f64>,
    /// Mean / sample std of the trades' net P&L (per trade, not annualized: the captures
    /// span minutes, daily Sharpe is undefined).
    pub trade_sharpe: Option<f64>,
    pub net: Money,
}

/// SPEC 6 toxicity-filter validation: filtered depth against raw depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    pub filtered: RunSide,
    pub raw: RunSide,
    /// filtered / raw − 1 of the signal count.
    pub signal_delta: Option<f64>,
    pub win_rate_delta_points: Option<f64>,
    pub sharpe_delta: Option<f64>,
    pub signal_delta_within: Option<bool>,
    pub win_rate_delta_within: Option<bool>,
}

/// The drain research of a run (`trades` from execution.db, `entries` from signals.db).
pub fn drain_research(
    symbol: &str,
    trades: &[TradeRecord],
    entries: &[SignalEntry],
) -> DrainResearch {
    let rows = drain_rows(entries);
    let signals: Vec<&DrainSignal> = rows.signals.iter().filter(|s| s.real_pressure).collect();
    let by_ts: BTreeMap<UnixNanos, &DrainSignal> = rows
        .signals
        .iter()
        .filter(|signal| signal.outcome == "signal")
        .map(|signal| (signal.ts, signal))
        .collect();
    let linked: Vec<(&TradeRecord, Option<&DrainSignal>)> = trades
        .iter()
        .map(|trade| (trade, by_ts.get(&trade.signal_ts).copied()))
        .collect();
    let rv: Vec<f64> = signals.iter().filter_map(|signal| signal.rv_1m).collect();
    let cuts = (rv.len() >= 3).then(|| {
        let sorted = sorted(rv);
        (quantile(&sorted, 1.0 / 3.0), quantile(&sorted, 2.0 / 3.0))
    });
    let tercile = |signal: &DrainSignal| -> String {
        match (signal.rv_1m, cuts) {
            (Some(value), Some((low, high))) => {
                if value <= low {
                    "1 low".to_owned()
                } else if value <= high {
                    "2 mid".to_owned()
                } else {
                    "3 high".to_owned()
                }
            }
            _ => "unknown".to_owned(),
        }
    };
    let absorption_median = {
        let values: Vec<f64> = signals.iter().filter_map(|s| s.absorption).collect();
        (!values.is_empty()).then(|| quantile(&sorted(values), 0.5))
    };
    DrainResearch {
        symbol: symbol.to_owned(),
        cost: cost_report(trades),
        verdicts: verdict_counts(&rows),
        half_life: half_life_rows(symbol, &rows),
        by_hour: buckets(&signals, &linked, |signal| format!("{:02}", signal.hour())),
        by_session: buckets(&signals, &linked, |signal| {
            format!("{} {}", signal.session().index(), signal.session().as_str())
        }),
        by_volatility: buckets(&signals, &linked, tercile),
        volatility_cuts: cuts,
        autopsy: autopsy(&linked, absorption_median),
        patterns: Vec::new(),
        fill_rates: fill_rates(&rows),
        validation: None,
    }
    .with_patterns()
}

impl DrainResearch {
    fn with_patterns(mut self) -> Self {
        let mut groups: BTreeMap<String, FailurePattern> = BTreeMap::new();
        for row in &self.autopsy {
            let tags = row.tags.join("+");
            let group = groups.entry(tags.clone()).or_insert(FailurePattern {
                tags,
                trades: 0,
                in_worst_decile: 0,
                net: Money::ZERO,
            });
            group.trades += 1;
            group.in_worst_decile += usize::from(row.worst_decile);
            group.net = group.net.saturating_add(row.net);
        }
        let mut patterns: Vec<FailurePattern> = groups.into_values().collect();
        // Most frequent first, then the largest loss, then the name (deterministic).
        patterns.sort_by(|a, b| {
            b.trades
                .cmp(&a.trades)
                .then(a.net.cmp(&b.net))
                .then(a.tags.cmp(&b.tags))
        });
        self.patterns = patterns;
        self
    }
}

fn cost_report(trades: &[TradeRecord]) -> CostReport {
    let sum = |field: fn(&TradeRecord) -> Money| {
        trades.iter().fold(Money::ZERO, |total, trade| {
            total.saturating_add(field(trade))
        })
    };
    let gross = sum(|trade| trade.gross_pnl);
    let fees = sum(|trade| trade.fees);
    let funding = sum(|trade| trade.funding);
    let share = |cost: Money| gross.is_positive().then(|| cost.as_f64() / gross.as_f64());
    CostReport {
        trades: trades.len(),
        gross,
        fees,
        funding,
        slippage: sum(|trade| trade.slippage),
        net: sum(|trade| trade.net_pnl),
        fees_share_of_gross: share(fees),
        costs_share_of_gross: share(fees.saturating_add(funding)),
    }
}

fn verdict_counts(rows: &DrainRows) -> VerdictCounts {
    let mut counts = VerdictCounts {
        verdicts: rows.signals.len(),
        ..VerdictCounts::default()
    };
    for signal in &rows.signals {
        counts.real_pressure += usize::from(signal.real_pressure);
        match signal.outcome.as_str() {
            "spoof_cleanup" => counts.spoof_cleanup += 1,
            "unstable" => counts.unstable += 1,
            "low_confidence" => counts.low_confidence += 1,
            "suppressed" => counts.suppressed += 1,
            "signal" => counts.placed += 1,
            _ => {}
        }
    }
    counts
}

fn half_life_rows(symbol: &str, rows: &DrainRows) -> Vec<HalfLifeRow> {
    Session::ALL
        .into_iter()
        .filter_map(|session| {
            let last = rows
                .half_lives
                .iter()
                .rev()
                .find(|row| row.session == session);
            let placed = rows
                .signals
                .iter()
                .filter(|signal| signal.outcome == "signal" && signal.session() == session);
            let (measured, fallback) =
                placed.fold((0, 0), |(m, f), signal| match signal.time_exit_measured {
                    Some(true) => (m + 1, f),
                    Some(false) => (m, f + 1),
                    None => (m, f),
                });
            if last.is_none() && measured + fallback == 0 {
                return None;
            }
            Some(HalfLifeRow {
                symbol: symbol.to_owned(),
                session,
                signals: last.map_or(0, |row| row.signals),
                peak_bps: last.and_then(|row| row.peak_bps),
                peak_seconds: last.and_then(|row| row.peak_seconds),
                half_life_seconds: last.and_then(|row| row.half_life_seconds),
                adf_statistic: last.and_then(|row| row.adf_statistic),
                adf_p_value: last.and_then(|row| row.adf_p_value),
                unit_root_rejected: last.and_then(|row| row.adf_p_value).map(|p| p < 0.10),
                measured_exits: measured,
                fallback_exits: fallback,
            })
        })
        .collect()
}

fn buckets(
    signals: &[&DrainSignal],
    linked: &[(&TradeRecord, Option<&DrainSignal>)],
    key: impl Fn(&DrainSignal) -> String,
) -> Vec<Bucket> {
    fn bucket(table: &mut BTreeMap<String, Bucket>, name: String) -> &mut Bucket {
        table.entry(name.clone()).or_insert(Bucket {
            key: name,
            signals: 0,
            trades: 0,
            wins: 0,
            win_rate: None,
            net: Money::ZERO,
            toxic: false,
        })
    }
    let mut table: BTreeMap<String, Bucket> = BTreeMap::new();
    for signal in signals {
        bucket(&mut table, key(signal)).signals += 1;
    }
    for (trade, signal) in linked {
        let name = signal.map_or_else(|| "unlinked".to_owned(), &key);
        let entry = bucket(&mut table, name);
        entry.trades += 1;
        entry.wins += usize::from(trade.net_pnl.is_positive());
        entry.net = entry.net.saturating_add(trade.net_pnl);
    }
    let mut rows: Vec<Bucket> = table.into_values().collect();
    let counts = sorted(rows.iter().map(|row| row.signals as f64).collect());
    let median = (!counts.is_empty()).then(|| quantile(&counts, 0.5));
    for row in &mut rows {
        row.win_rate = (row.trades > 0).then(|| row.wins as f64 / row.trades as f64);
        row.toxic = median.is_some_and(|median| row.signals as f64 > median)
            && row.win_rate.is_some_and(|rate| rate < TOXIC_WIN_RATE);
    }
    rows
}

fn autopsy(
    linked: &[(&TradeRecord, Option<&DrainSignal>)],
    absorption_median: Option<f64>,
) -> Vec<AutopsyRow> {
    let mut losing: Vec<&(&TradeRecord, Option<&DrainSignal>)> = linked
        .iter()
        .filter(|(trade, _)| !trade.net_pnl.is_positive())
        .collect();
    losing.sort_by(|(a, _), (b, _)| a.net_pnl.cmp(&b.net_pnl).then(a.trade_id.cmp(&b.trade_id)));
    let worst = losing.len().div_ceil(10);
    losing
        .iter()
        .enumerate()
        .map(|(rank, (trade, signal))| {
            let mut tags = Vec::new();
            if let Some(signal) = signal {
                if signal.book_ctr.is_some_and(|ctr| ctr > TOXIC_CTR) {
                    tags.push("toxic_book".to_owned());
                }
                if let (Some(value), Some(median)) = (signal.absorption, absorption_median)
                    && value < median
                {
                    tags.push("absorbed".to_owned());
                }
                if signal.high_churn == Some(true) {
                    tags.push("churn".to_owned());
                }
                if signal
                    .spread_ratio
                    .is_some_and(|ratio| ratio > WIDE_SPREAD_RATIO)
                {
                    tags.push("wide_spread".to_owned());
                }
                if signal.recent_ghost == Some(true) {
                    tags.push("ghost".to_owned());
                }
            } else {
                tags.push("unlinked".to_owned());
            }
            tags.push(trade.exit_reason.to_string());
            AutopsyRow {
                trade_id: trade.trade_id,
                entry_ts: trade.entry_ts,
                direction: trade.direction.to_string(),
                net: trade.net_pnl,
                exit_reason: trade.exit_reason.to_string(),
                book_ctr: signal.and_then(|s| s.book_ctr),
                absorption: signal.and_then(|s| s.absorption),
                obi_velocity: signal.and_then(|s| s.obi_velocity),
                regime: signal
                    .map_or("unknown", |s| {
                        if s.real_pressure {
                            "real_pressure"
                        } else {
                            "spoof_cleanup"
                        }
                    })
                    .to_owned(),
                spread_ratio: signal.and_then(|s| s.spread_ratio),
                worst_decile: rank < worst,
                tags,
            }
        })
        .collect()
}

fn fill_rates(rows: &DrainRows) -> Vec<FillRate> {
    [
        ("improve", EXPECTED_FILL_IMPROVE),
        ("touch", EXPECTED_FILL_TOUCH),
    ]
    .into_iter()
    .map(|(placement, expected)| {
        let outcomes = rows
            .outcomes
            .iter()
            .filter(|outcome| outcome.placement == placement);
        let (placed, filled) = outcomes.fold((0, 0), |(placed, filled), outcome| {
            (placed + 1, filled + usize::from(outcome.filled))
        });
        let rate = (placed > 0).then(|| filled as f64 / placed as f64);
        FillRate {
            placement: placement.to_owned(),
            placed,
            filled,
            rate,
            expected,
            within: rate.map(|rate| (expected.0..=expected.1).contains(&rate)),
        }
    })
    .collect()
}

/// One run's side of the validation.
pub fn run_side(trades: &[TradeRecord], entries: &[SignalEntry]) -> RunSide {
    let rows = drain_rows(entries);
    let nets: Vec<f64> = trades.iter().map(|trade| trade.net_pnl.as_f64()).collect();
    let wins = trades.iter().filter(|t| t.net_pnl.is_positive()).count();
    RunSide {
        verdicts: rows.signals.len(),
        signals: rows.signals.iter().filter(|s| s.real_pressure).count(),
        trades: trades.len(),
        win_rate: (!trades.is_empty()).then(|| wins as f64 / trades.len() as f64),
        trade_sharpe: trade_sharpe(&nets),
        net: trades.iter().fold(Money::ZERO, |total, trade| {
            total.saturating_add(trade.net_pnl)
        }),
    }
}

/// SPEC 6 validation of `filtered` (decay-weighted, ghost-filtered depth) against `raw`.
pub fn validation(filtered: RunSide, raw: RunSide) -> Validation {
    let signal_delta =
        (raw.signals > 0).then(|| filtered.signals as f64 / raw.signals as f64 - 1.0);
    let win_rate_delta_points = filtered
        .win_rate
        .zip(raw.win_rate)
        .map(|(f, r)| (f - r) * 100.0);
    let sharpe_delta = filtered
        .trade_sharpe
        .zip(raw.trade_sharpe)
        .map(|(f, r)| f - r);
    Validation {
        signal_delta_within: signal_delta
            .map(|delta| (EXPECTED_SIGNAL_DELTA.0..=EXPECTED_SIGNAL_DELTA.1).contains(&delta)),
        win_rate_delta_within: win_rate_delta_points.map(|delta| {
            (EXPECTED_WIN_RATE_DELTA_POINTS.0..=EXPECTED_WIN_RATE_DELTA_POINTS.1).contains(&delta)
        }),
        filtered,
        raw,
        signal_delta,
        win_rate_delta_points,
        sharpe_delta,
    }
}

/// Mean / sample standard deviation; `None` under two values or with no dispersion.
fn trade_sharpe(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let variance =
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    (variance > 0.0).then(|| mean / variance.sqrt())
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// Linear-interpolation quantile of sorted, non-empty values.
fn quantile(sorted: &[f64], fraction: f64) -> f64 {
    let position = fraction * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

#[cfg(test)]
mod tests;
