//! [`ToxicityTable`]: the distribution of one instrument's [`ToxicitySecond`] records (CTR
//! percentiles, churn share, ghosts, drain regimes), rendered as text for
//! `features toxicity <capture files>`; [`toxicity_table`] runs the engines over events.

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
    /// Share of seconds whose book CTR (bid, ask) was toxic (> 4.0).
    pub toxic_book_share: [f64; 2],
    /// Mean toxic levels per second (bid, ask).
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
        let toxic_book = |pick: fn(&ToxicitySecond) -> Option<f64>| {
            share(
                records
                    .iter()
                    .filter(|record| pick(record).is_some_and(|ctr| ctr > 4.0))
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
                toxic_book(|record| record.book_ctr_bid),
                toxic_book(|record| record.book_ctr_ask),
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
            absorption: series(|record| record.absorption),
            real_pressure,
            spoof_cleanup,
        }
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
            "  toxic book share       bid {:.1}%  ask {:.1}%; toxic levels/s bid {:.2} ask {:.2}",
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
            "  ghosts                 bid {} ask {}; decay/displayed depth p50 bid {} ask {}",
            self.ghosts[0],
            self.ghosts[1],
            number(self.decay_ratio[0]),
            number(self.decay_ratio[1])
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
        tables.push(builder.build(instrument.clone(), *engine.counters()));
    }
    Ok(tables)
}
