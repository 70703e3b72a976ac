//! The aligned research feature matrix (SPEC 2.6): one row per minute close
//! of the target instrument (instrument 0) with `close`, the chosen features' columns and the
//! forward log returns `fwd_ret_<h>m`.
//!
//! One pass: every event goes to the [`FeatureEngine`] (target only; reference instruments
//! just move its clock) and then to every feature's `on_event`; at each minute close the
//! engine's snapshot is handed to every feature's `on_minute` BEFORE the event that closed
//! the minute is seen, so feature values are causal (SPEC 2).
//!
//! LOOK-AHEAD: the forward returns are the only columns computed from the future. They are
//! filled after the pass in [`FeatureMatrixBuilder::finish`]:
//! `fwd_ret_<h>m[t] = ln(close[t + h minutes] / close[t])`, NaN when the row `h` minutes
//! later does not exist (the tail of the run). Never feed them back into a feature.

use auction_trader_types::{MarketEvent, NANOS_PER_MINUTE, UnixNanos};

use super::ResearchFeature;
use crate::ResearchError;
use auction_trader_features::FeatureSnapshot;
use auction_trader_features::{EngineCounters, FeatureEngine, FeatureSink};

/// Name of the close column.
pub const CLOSE_COLUMN: &str = "close";
/// Prefix of the forward-return columns.
pub const FORWARD_RETURN_PREFIX: &str = "fwd_ret_";

/// What a matrix column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    /// The minute close of the target (price units).
    Close,
    /// A causal feature.
    Feature,
    /// A forward log return (look-ahead: a target for research, never an input).
    ForwardReturn { minutes: u32 },
}

/// One named `f64` column (NaN = missing).
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixColumn {
    pub name: String,
    pub role: ColumnRole,
    pub values: Vec<f64>,
}

/// The feature matrix, column-major: `ts` (minute close) and the columns, all of one length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureMatrix {
    pub ts: Vec<UnixNanos>,
    pub columns: Vec<MatrixColumn>,
}

impl FeatureMatrix {
    pub fn rows(&self) -> usize {
        self.ts.len()
    }

    /// The values of the column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|column| column.name == name)
            .map(|column| column.values.as_slice())
    }

    /// Columns of one role.
    pub fn columns_with(
        &self,
        keep: impl Fn(ColumnRole) -> bool,
    ) -> impl Iterator<Item = &MatrixColumn> {
        self.columns.iter().filter(move |column| keep(column.role))
    }
}

/// Name of the forward-return column of `minutes`.
pub fn forward_return_name(minutes: u32) -> String {
    format!("{FORWARD_RETURN_PREFIX}{minutes}m")
}

/// Collects snapshots into rows while the engine runs.
struct RowSink<'a> {
    features: &'a mut [Box<dyn ResearchFeature>],
    ts: &'a mut Vec<UnixNanos>,
    close: &'a mut Vec<f64>,
    values: &'a mut [Vec<f64>],
    row: &'a mut Vec<f64>,
}

impl FeatureSink for RowSink<'_> {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.row.fill(f64::NAN);
        let mut offset = 0;
        for feature in self.features.iter_mut() {
            let width = feature.columns().len();
            if let Some(slice) = self.row.get_mut(offset..offset + width) {
                feature.on_minute(snapshot, slice);
            }
            offset += width;
        }
        self.ts.push(snapshot.ts);
        self.close.push(snapshot.bar.close.as_f64());
        for (column, value) in self.values.iter_mut().zip(self.row.iter()) {
            column.push(*value);
        }
    }
}

/// Runs a [`FeatureEngine`] and a set of research features over an event stream and collects
/// one row per minute close of instrument 0.
pub struct FeatureMatrixBuilder {
    engine: FeatureEngine,
    features: Vec<Box<dyn ResearchFeature>>,
    names: Vec<&'static str>,
    horizons: Vec<u32>,
    ts: Vec<UnixNanos>,
    close: Vec<f64>,
    values: Vec<Vec<f64>>,
    row: Vec<f64>,
    events: u64,
    /// `ts_recv` of the target's latest event.
    last_target: Option<UnixNanos>,
}

impl std::fmt::Debug for FeatureMatrixBuilder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FeatureMatrixBuilder")
            .field("columns", &self.names)
            .field("horizons", &self.horizons)
            .field("rows", &self.ts.len())
            .finish()
    }
}

impl FeatureMatrixBuilder {
    /// A builder for the target's `engine`, the `features` (column names must be unique and
    /// must not clash with `close` or the forward returns) and forward-return `horizons` in
    /// minutes (each >= 1, no duplicates).
    pub fn new(
        engine: FeatureEngine,
        features: Vec<Box<dyn ResearchFeature>>,
        horizons: &[u32],
    ) -> Result<Self, ResearchError> {
        let invalid = |reason: String| ResearchError::InvalidConfig {
            field: "research.matrix",
            reason,
        };
        let names: Vec<&'static str> = features
            .iter()
            .flat_map(|feature| feature.columns().iter().copied())
            .collect();
        for (index, name) in names.iter().enumerate() {
            if names[..index].contains(name) {
                return Err(invalid(format!("column {name:?} appears twice")));
            }
            if *name == CLOSE_COLUMN || name.starts_with(FORWARD_RETURN_PREFIX) || *name == "ts" {
                return Err(invalid(format!("column name {name:?} is reserved")));
            }
        }
        for (index, horizon) in horizons.iter().enumerate() {
            if *horizon == 0 || horizons[..index].contains(horizon) {
                return Err(invalid(format!(
                    "horizons must be distinct and >= 1 minute, got {horizons:?}"
                )));
            }
        }
        Ok(Self {
            engine,
            features,
            row: vec![f64::NAN; names.len()],
            values: vec![Vec::new(); names.len()],
            names,
            horizons: horizons.to_vec(),
            ts: Vec::new(),
            close: Vec::new(),
            events: 0,
            last_target: None,
        })
    }

    /// Feature column names in matrix order (after `close`).
    pub fn feature_columns(&self) -> &[&'static str] {
        &self.names
    }

    /// Rows collected so far.
    pub fn rows(&self) -> usize {
        self.ts.len()
    }

    /// Events fed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The engine's counters.
    pub fn engine_counters(&self) -> EngineCounters {
        self.engine.counters()
    }

    /// Feeds one event in `ts_recv` order; `instrument` 0 is the target, 1.. references.
    pub fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        self.events += 1;
        let mut sink = RowSink {
            features: &mut self.features,
            ts: &mut self.ts,
            close: &mut self.close,
            values: &mut self.values,
            row: &mut self.row,
        };
        // Close every minute that ended before this event first (any instrument's event
        // moves time), so no feature sees the event before the minute's row is written.
        if instrument == 0 {
            self.last_target = Some(event.ts_recv());
            self.engine.on_event(event, &mut sink);
        } else {
            self.engine.advance_to(event.ts_recv(), &mut sink);
        }
        for feature in &mut self.features {
            feature.on_event(instrument, event);
        }
    }

    /// Closes every minute that ended at or before `now` (e.g. the end of the data), so the
    /// last complete minute gets its row. The open minute is never closed early.
    pub fn advance_to(&mut self, now: UnixNanos) {
        let mut sink = RowSink {
            features: &mut self.features,
            ts: &mut self.ts,
            close: &mut self.close,
            values: &mut self.values,
            row: &mut self.row,
        };
        self.engine.advance_to(now, &mut sink);
    }

    /// The matrix: `close`, the feature columns, then the forward returns (the only
    /// look-ahead, computed here from later closes; NaN at the tail). Rows after the minute
    /// of the target's last event are dropped: there the target's data had ended and only
    /// reference events moved the clock (empty bars that are not market information).
    pub fn finish(mut self) -> FeatureMatrix {
        if let Some(last) = self.last_target {
            let end = last
                .floor_minute()
                .as_i64()
                .saturating_add(NANOS_PER_MINUTE);
            let keep = self.ts.partition_point(|stamp| stamp.as_i64() <= end);
            self.ts.truncate(keep);
            self.close.truncate(keep);
            for column in &mut self.values {
                column.truncate(keep);
            }
        }
        let mut columns = Vec::with_capacity(1 + self.names.len() + self.horizons.len());
        for &minutes in &self.horizons {
            let values = forward_returns(&self.ts, &self.close, minutes);
            columns.push(MatrixColumn {
                name: forward_return_name(minutes),
                role: ColumnRole::ForwardReturn { minutes },
                values,
            });
        }
        let forward = columns;
        let mut columns = vec![MatrixColumn {
            name: CLOSE_COLUMN.to_owned(),
            role: ColumnRole::Close,
            values: self.close,
        }];
        for (name, values) in self.names.iter().zip(self.values) {
            columns.push(MatrixColumn {
                name: (*name).to_owned(),
                role: ColumnRole::Feature,
                values,
            });
        }
        columns.extend(forward);
        FeatureMatrix {
            ts: self.ts,
            columns,
        }
    }
}

/// LOOK-AHEAD by design: `ln(close[row at ts + minutes] / close[row])`, found by timestamp
/// (rows are sorted by `ts`), NaN when that row does not exist or a close is not positive.
pub fn forward_returns(ts: &[UnixNanos], close: &[f64], minutes: u32) -> Vec<f64> {
    let step = i64::from(minutes) * NANOS_PER_MINUTE;
    let mut later = 0usize;
    ts.iter()
        .zip(close)
        .map(|(stamp, &now)| {
            let target = stamp.as_i64().saturating_add(step);
            while later < ts.len() && ts[later].as_i64() < target {
                later += 1;
            }
            match (ts.get(later), close.get(later)) {
                (Some(found), Some(&then))
                    if found.as_i64() == target && now > 0.0 && then > 0.0 =>
                {
                    (then / now).ln()
                }
                _ => f64::NAN,
            }
        })
        .collect()
}

/// Builds the matrix over `events` (`(instrument, event)` in `ts_recv` order) and closes the
/// minutes that ended by the last event.
pub fn build_matrix<'a>(
    engine: FeatureEngine,
    features: Vec<Box<dyn ResearchFeature>>,
    horizons: &[u32],
    events: impl IntoIterator<Item = (usize, &'a MarketEvent)>,
) -> Result<FeatureMatrix, ResearchError> {
    let mut builder = FeatureMatrixBuilder::new(engine, features, horizons)?;
    for (instrument, event) in events {
        builder.on_event(instrument, event);
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId};

    use super::*;
    use auction_trader_features::FeatureConfig;

    /// Counts events it saw before each minute close and writes the close and that count.
    #[derive(Debug, Default)]
    struct Probe {
        seen: f64,
    }

    impl ResearchFeature for Probe {
        fn columns(&self) -> &'static [&'static str] {
            &["probe_close", "probe_seen"]
        }

        fn on_event(&mut self, _instrument: usize, _event: &MarketEvent) {
            self.seen += 1.0;
        }

        fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
            values[0] = snapshot.bar.close.as_f64();
            values[1] = self.seen;
        }
    }

    fn trade(second: i64, price: i64) -> MarketEvent {
        let stamp = UnixNanos(second * 1_000_000_000);
        MarketEvent::Trade(Trade {
            ts_event: stamp,
            ts_recv: stamp,
            price: Price::from_units(price).unwrap(),
            size: Quantity::ONE,
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(second as u64),
        })
    }

    /// The matrix of a [`Probe`] over `(instrument, event)` pairs, tick 1.
    fn probe_matrix(horizons: &[u32], events: &[(usize, MarketEvent)]) -> FeatureMatrix {
        let engine =
            FeatureEngine::new(&FeatureConfig::default(), Price::from_units(1).unwrap()).unwrap();
        let pairs = events
            .iter()
            .map(|(instrument, event)| (*instrument, event));
        build_matrix(engine, vec![Box::new(Probe::default())], horizons, pairs).unwrap()
    }

    #[test]
    fn rows_are_causal_and_forward_returns_look_ahead() {
        // Trades at 10 s (100), 70 s (110), 130 s (121), 190 s (100): minute closes at
        // 60, 120, 180 s with closes 100, 110, 121 (the 190 s trade closes minute 3).
        // A reference event at 185 s is seen by features but does not reach the engine.
        // fwd_ret_1m: ln(110/100) = 0.0953102, ln(121/110) = 0.0953102, NaN (tail).
        // fwd_ret_2m: ln(121/100) = 0.1906204, NaN, NaN.
        let events = [
            (0, trade(10, 100)),
            (0, trade(70, 110)),
            (0, trade(130, 121)),
            (1, trade(185, 5)),
            (0, trade(190, 100)),
        ];
        let matrix = probe_matrix(&[1, 2], &events);
        assert_eq!(matrix.rows(), 3);
        let names: Vec<&str> = matrix.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "close",
                "probe_close",
                "probe_seen",
                "fwd_ret_1m",
                "fwd_ret_2m"
            ]
        );
        assert_eq!(matrix.column("close").unwrap(), [100.0, 110.0, 121.0]);
        // Seen before each close: 1 event by 60 s, 2 by 120 s, 3 by 180 s (never the one that
        // closes the minute).
        assert_eq!(matrix.column("probe_seen").unwrap(), [1.0, 2.0, 3.0]);
        let one = matrix.column("fwd_ret_1m").unwrap();
        assert!((one[0] - 1.1_f64.ln()).abs() < 1e-12 && (one[1] - 1.1_f64.ln()).abs() < 1e-12);
        assert!(one[2].is_nan());
        let two = matrix.column("fwd_ret_2m").unwrap();
        assert!((two[0] - 0.190_620_4).abs() < 1e-7);
        assert!(two[1].is_nan() && two[2].is_nan());
        assert_eq!(matrix.ts[0], UnixNanos(60_000_000_000));
    }

    #[test]
    fn reference_events_after_the_target_ends_add_no_rows() {
        // Target trades at 10 s and 70 s; reference events at 130 s and 250 s move the clock
        // through the closes at 60, 120, 180 and 240 s. The target's last event is in the
        // minute [60, 120): rows up to the 120 s close are kept, 180 and 240 s are dropped.
        let events = [
            (0, trade(10, 100)),
            (0, trade(70, 110)),
            (1, trade(130, 5)),
            (1, trade(250, 5)),
        ];
        let matrix = probe_matrix(&[1], &events);
        assert_eq!(
            matrix.ts,
            [UnixNanos(60_000_000_000), UnixNanos(120_000_000_000)]
        );
        assert!(matrix.column("fwd_ret_1m").unwrap()[1].is_nan());
    }

    #[test]
    fn forward_returns_match_by_timestamp_across_gaps() {
        // Rows at minutes 1, 2, 4: the 1-minute return of minute 2 has no row at 3 → NaN.
        let ts = [1, 2, 4].map(|minute| UnixNanos(minute * NANOS_PER_MINUTE));
        let returns = forward_returns(&ts, &[100.0, 200.0, 400.0], 1);
        assert!((returns[0] - 2.0_f64.ln()).abs() < 1e-12);
        assert!(returns[1].is_nan() && returns[2].is_nan());
        let two = forward_returns(&ts, &[100.0, 200.0, 400.0], 2);
        assert!(two[0].is_nan() && (two[1] - 2.0_f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn rejects_clashing_names_and_bad_horizons() {
        let engine = || {
            FeatureEngine::new(&FeatureConfig::default(), Price::from_units(1).unwrap()).unwrap()
        };
        let twice: Vec<Box<dyn ResearchFeature>> =
            vec![Box::new(Probe::default()), Box::new(Probe::default())];
        assert!(FeatureMatrixBuilder::new(engine(), twice, &[1]).is_err());
        assert!(FeatureMatrixBuilder::new(engine(), Vec::new(), &[0]).is_err());
        assert!(FeatureMatrixBuilder::new(engine(), Vec::new(), &[5, 5]).is_err());
        assert!(FeatureMatrixBuilder::new(engine(), Vec::new(), &[1, 5, 15]).is_ok());
    }
}
