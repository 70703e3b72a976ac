//! [`ToxicityTable`]: the distribution of one instrument's [`ToxicitySecond`] records (CTR
//! percentiles, churn share, ghosts, discounted depth, drain regimes), rendered as text for
//! `features toxicity <capture files>` and closed by the one-line [`ToxicitySummary`];
//! [`toxicity_table`] runs the engines over events.

use std::fmt;

use auction_trader_types::{InstrumentKey, MarketEvent};
use serde::Serialize;

use super::ToxicityConfig;
use super::drain::DrainRegime;
use super::engine::{ToxicityCounters, ToxicityEngine, ToxicitySecond, ToxicitySink};
use super::stats::percentile_sorted;
use crate::FeaturesError;

/// p50 / p90 / p99 / max of a series (`None` when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Percentiles {
    pub fn of(mut values: Vec<f64>) -> Self {
        values.retain(|value| value.is_finite());
        values.sort_by(f64::total_cmp);
        Self {
            count: values.len(),
            p50: percentile_sorted(&values, 0.5),
            p90: percentile_sorted(&values, 0.9),
            p99: percentile_sorted(&values, 0.99),
            max: values.last().copied(),
        }
    }
}

/// Summary of one instrument's toxicity seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToxicityTable {
    pub instrument: InstrumentKey,
    pub counters: ToxicityCounters,
    /// Records emitted (usable seconds).
    pub seconds: usize,
    pub book_ctr_bid: Percentiles,
    pub book_ctr_ask: Percentiles,
    /// Share of all seconds whose book CTR (bid, ask) was toxic (above the threshold: 4.0, or
    /// the percentile option's).
    pub toxic_book_share: [f64; 2],
    /// Mean toxic levels (with executed volume) per second (bid, ask).
    pub toxic_levels_mean: [f64; 2],
    pub obi: Percentiles,
    pub obi_velocity: Percentiles,
    /// Seconds with a churn signal (after warm-up) and the share of them flagged high churn.
    pub churn_seconds: usize,
    pub churn_share: Option<f64>,
    /// Ghosts confirmed (bid, ask).
    pub ghosts: [u64; 2],
    /// Decay-weighted over displayed top depth (bid, ask), median.
    pub decay_ratio: [Option<f64>; 2],
    /// Mean over seconds of the share of displayed top depth (both sides) under a ghost
    /// discount.
    pub discounted_depth_share: Option<f64>,
    /// Share of the defined book-CTR readings (per second and side) above their threshold.
    pub toxic_share: Option<f64>,
    pub absorption: Percentiles,
    /// Drain verdicts: [bid, ask] × [real pressure, spoof cleanup].
    pub real_pressure: [u64; 2],
    pub spoof_cleanup: [u64; 2],
}

/// Collects records into a [`ToxicityTable`].
#[derive(Debug, Clone, Default)]
pub struct ToxicityTableBuilder {
    records: Vec<ToxicitySecond>,
}

impl ToxicitySink for ToxicityTableBuilder {
    fn on_second(&mut self, record: &ToxicitySecond) {
        self.records.push(*record);
    }
}

impl ToxicityTableBuilder {
    pub fn build(self, instrument: InstrumentKey, counters: ToxicityCounters) -> ToxicityTable {
        let records = &self.records;
        let seconds = records.len();
        let share = |count: usize| {
            if seconds == 0 {
                0.0
            } else {
                count as f64 / seconds as f64
            }
        };
        let series = |pick: fn(&ToxicitySecond) -> Option<f64>| {
            Percentiles::of(records.iter().filter_map(pick).collect())
        };
        let toxic_book = |pick: fn(&ToxicitySecond) -> (Option<f64>, f64)| {
            share(
                records
                    .iter()
                    .filter(|record| {
                        let (ctr, threshold) = pick(record);
                        ctr.is_some_and(|ctr| ctr > threshold)
                    })
                    .count(),
            )
        };
        let churn: Vec<bool> = records.iter().filter_map(|record| record.churn).collect();
        let churn_share = (!churn.is_empty())
            .then(|| churn.iter().filter(|&&flag| flag).count() as f64 / churn.len() as f64);
        let decay_ratio = |decay: fn(&ToxicitySecond) -> (f64, f64)| {
            Percentiles::of(
                records
                    .iter()
                    .map(decay)
                    .filter(|&(_, shown)| shown > 0.0)
                    .map(|(weighted, shown)| weighted / shown)
                    .collect(),
            )
            .p50
        };
        let discount_shares: Vec<f64> = records
            .iter()
            .filter(|record| record.depth_bid + record.depth_ask > 0.0)
            .map(|record| {
                (record.discounted_depth_bid + record.discounted_depth_ask)
                    / (record.depth_bid + record.depth_ask)
            })
            .collect();
        let discounted_depth_share = (!discount_shares.is_empty())
            .then(|| discount_shares.iter().sum::<f64>() / discount_shares.len() as f64);
        // Toxic share over the defined (second, side) readings of the book CTR.
        let readings: Vec<(f64, f64)> = records
            .iter()
            .flat_map(|record| {
                [
                    record
                        .book_ctr_bid
                        .map(|ctr| (ctr, record.ctr_threshold_bid)),
                    record
                        .book_ctr_ask
                        .map(|ctr| (ctr, record.ctr_threshold_ask)),
                ]
            })
            .flatten()
            .collect();
        let toxic_share = (!readings.is_empty()).then(|| {
            readings
                .iter()
                .filter(|&&(ctr, threshold)| ctr > threshold)
                .count() as f64
                / readings.len() as f64
        });
        let mut real_pressure = [0u64; 2];
        let mut spoof_cleanup = [0u64; 2];
        for record in records {
            for (index, verdict) in [record.drain_bid, record.drain_ask].into_iter().enumerate() {
                match verdict.map(|verdict| verdict.regime) {
                    Some(DrainRegime::RealPressure) => real_pressure[index] += 1,
                    Some(DrainRegime::SpoofCleanup) => spoof_cleanup[index] += 1,
                    None => {}
                }
            }
        }
        ToxicityTable {
            instrument,
            counters,
            seconds,
            book_ctr_bid: series(|record| record.book_ctr_bid),
            book_ctr_ask: series(|record| record.book_ctr_ask),
            toxic_book_share: [
                toxic_book(|record| (record.book_ctr_bid, record.ctr_threshold_bid)),
                toxic_book(|record| (record.book_ctr_ask, record.ctr_threshold_ask)),
            ],
            toxic_levels_mean: [
                records
                    .iter()
                    .map(|record| f64::from(record.toxic_levels_bid))
                    .sum::<f64>()
                    / seconds.max(1) as f64,
                records
                    .iter()
                    .map(|record| f64::from(record.toxic_levels_ask))
                    .sum::<f64>()
                    / seconds.max(1) as f64,
            ],
            obi: series(|record| record.obi),
            obi_velocity: series(|record| record.obi_velocity),
            churn_seconds: churn.len(),
            churn_share,
            ghosts: [
                records
                    .iter()
                    .map(|record| u64::from(record.ghosts_bid))
                    .sum(),
                records
                    .iter()
                    .map(|record| u64::from(record.ghosts_ask))
                    .sum(),
            ],
            decay_ratio: [
                decay_ratio(|record| (record.decay_depth_bid, record.depth_bid)),
                decay_ratio(|record| (record.decay_depth_ask, record.depth_ask)),
            ],
            discounted_depth_share,
            toxic_share,
            absorption: series(|record| record.absorption),
            real_pressure,
            spoof_cleanup,
        }
    }
}

/// The one-line summary of `features toxicity` (SPEC 2.5 figures to compare with the ranges
/// the SPEC states).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToxicitySummary {
    pub seconds: usize,
    pub book_ctr_p50_bid: Option<f64>,
    pub book_ctr_p50_ask: Option<f64>,
    pub toxic_share: Option<f64>,
    pub ghosts_per_sec: Option<f64>,
    pub discounted_depth_share: Option<f64>,
    pub churn_share: Option<f64>,
    /// Drain detections (decline ≥ 30%), both regimes and both sides.
    pub drain_signals: u64,
}

impl ToxicityTable {
    /// `true` when the input had no usable book second (e.g. trades only).
    pub fn is_empty(&self) -> bool {
        self.seconds == 0
    }

    pub fn summary(&self) -> ToxicitySummary {
        ToxicitySummary {
            seconds: self.seconds,
            book_ctr_p50_bid: self.book_ctr_bid.p50,
            book_ctr_p50_ask: self.book_ctr_ask.p50,
            toxic_share: self.toxic_share,
            ghosts_per_sec: (self.seconds > 0)
                .then(|| (self.ghosts[0] + self.ghosts[1]) as f64 / self.seconds as f64),
            discounted_depth_share: self.discounted_depth_share,
            churn_share: self.churn_share,
            drain_signals: self.real_pressure.iter().sum::<u64>()
                + self.spoof_cleanup.iter().sum::<u64>(),
        }
    }

    /// What the input lacked, when no second could be judged.
    pub fn missing_data(&self) -> Option<String> {
        if !self.is_empty() {
            return None;
        }
        let counters = &self.counters;
        Some(if counters.depth_rows == 0 {
            format!(
                "toxicity {} {}: no order-book depth in the input ({} trades, 0 depth rows); the \
                 filters need L2 depth (diffs with a snapshot, or snapshots) and trades of the same \
                 instrument, e.g. a Binance capture with @depth and @trade streams",
                self.instrument.venue, self.instrument.symbol, counters.trades
            )
        } else {
            format!(
                "toxicity {} {}: the book never became usable ({} depth rows, {} seconds without a \
                 synced two-sided book); the depth stream needs a snapshot to start from",
                self.instrument.venue,
                self.instrument.symbol,
                counters.depth_rows,
                counters.unusable_seconds
            )
        })
    }
}

/// A summary value with three decimals ("na" when undefined; never "-0.000").
fn figure(value: Option<f64>) -> String {
    match value {
        Some(value) if value.is_finite() => {
            format!("{:.3}", value + 0.0).replace("-0.000", "0.000")
        }
        _ => "na".to_owned(),
    }
}

impl fmt::Display for ToxicitySummary {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "seconds={} book_ctr_p50_bid={} book_ctr_p50_ask={} toxic_share={} ghosts_per_sec={} \
             discounted_depth_share={} churn_share={} drain_signals={}",
            self.seconds,
            figure(self.book_ctr_p50_bid),
            figure(self.book_ctr_p50_ask),
            figure(self.toxic_share),
            figure(self.ghosts_per_sec),
            figure(self.discounted_depth_share),
            figure(self.churn_share),
            self.drain_signals
        )
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| format!("{value:.3}"))
}

fn row(label: &str, values: &Percentiles) -> String {
    format!(
        "  {label:<22} n={:<6} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
        values.count,
        number(values.p50),
        number(values.p90),
        number(values.p99),
        number(values.max)
    )
}

impl fmt::Display for ToxicityTable {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(missing) = self.missing_data() {
            return write!(formatter, "{missing}");
        }
        let key = &self.instrument;
        writeln!(
            formatter,
            "toxicity {} {} ({:?}): {} seconds ({} unusable), {} events, {} depth rows, {} trades",
            key.venue,
            key.symbol,
            key.market,
            self.seconds,
            self.counters.unusable_seconds,
            self.counters.events,
            self.counters.depth_rows,
            self.counters.trades
        )?;
        writeln!(formatter, "{}", row("book CTR bid", &self.book_ctr_bid))?;
        writeln!(formatter, "{}", row("book CTR ask", &self.book_ctr_ask))?;
        writeln!(
            formatter,
            "  toxic book share       bid {:.1}%  ask {:.1}% (of all seconds); toxic levels/s bid {:.2} ask {:.2}",
            self.toxic_book_share[0] * 100.0,
            self.toxic_book_share[1] * 100.0,
            self.toxic_levels_mean[0],
            self.toxic_levels_mean[1]
        )?;
        writeln!(formatter, "{}", row("OBI", &self.obi))?;
        writeln!(formatter, "{}", row("OBI velocity", &self.obi_velocity))?;
        writeln!(
            formatter,
            "  churn                  {} seconds judged, high churn {}",
            self.churn_seconds,
            self.churn_share.map_or_else(
                || "- (warm-up)".to_owned(),
                |share| format!("{:.1}%", share * 100.0)
            )
        )?;
        writeln!(
            formatter,
            "  ghosts                 bid {} ask {}; decay/displayed depth p50 bid {} ask {}; \
             depth under discount {}",
            self.ghosts[0],
            self.ghosts[1],
            number(self.decay_ratio[0]),
            number(self.decay_ratio[1]),
            number(self.discounted_depth_share)
        )?;
        writeln!(
            formatter,
            "{}",
            row("absorption ticks/unit", &self.absorption)
        )?;
        write!(
            formatter,
            "  drain regimes          bid: REAL_PRESSURE {} SPOOF_CLEANUP {}; ask: REAL_PRESSURE {} SPOOF_CLEANUP {}",
            self.real_pressure[0],
            self.spoof_cleanup[0],
            self.real_pressure[1],
            self.spoof_cleanup[1]
        )
    }
}

/// Runs one [`ToxicityEngine`] per instrument over `events` (`(instrument index, event)`; any
/// order: each instrument's events are stably sorted by `ts_recv`, then stream priority) and
/// returns one table per instrument that had events. Ticks are inferred from the book data.
/// Events whose index is outside `instruments` are ignored.
pub fn toxicity_table<'a>(
    config: &ToxicityConfig,
    instruments: &[InstrumentKey],
    events: impl IntoIterator<Item = (usize, &'a MarketEvent)>,
) -> Result<Vec<ToxicityTable>, FeaturesError> {
    config.validate()?;
    let mut per_instrument: Vec<Vec<MarketEvent>> = vec![Vec::new(); instruments.len()];
    for (index, event) in events {
        if let Some(list) = per_instrument.get_mut(index) {
            list.push(*event);
        }
    }
    let mut tables = Vec::new();
    for (instrument, mut list) in instruments.iter().zip(per_instrument) {
        if list.is_empty() {
            continue;
        }
        list.sort_by_key(|event| (event.ts_recv(), event.kind().priority()));
        let mut engine = ToxicityEngine::new(config, instrument, None)?;
        let mut builder = ToxicityTableBuilder::default();
        for event in &list {
            engine.on_event(event, &mut builder);
        }
        engine.finish(&mut builder);
        tables.push(builder.build(instrument.clone(), engine.counters()));
    }
    Ok(tables)
}
