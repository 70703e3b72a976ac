//! The model's features computed online, identically to the research feature matrix: the
//! registry's estimators (default parameters, as `features matrix --features ...` builds
//! them), each minute's snapshot handed to every feature before the event that closed the
//! minute, and every event of the instrument after it (the engine calls `on_bar` before
//! `on_market_event`, as the matrix builder calls `on_minute` before `on_event`).
//!
//! This module is the only place the strategy reaches into the research library.

use auction_trader_features::FeatureSnapshot;
use auction_trader_research::{ResearchFeature, registry};
use auction_trader_types::MarketEvent;

use crate::error::StrategyError;

/// The research features a model needs, and where each model column sits among them.
pub struct OnlineFeatures {
    features: Vec<Box<dyn ResearchFeature>>,
    /// All columns the selected features write, in registry order.
    scratch: Vec<f64>,
    /// `scratch` index of each model column, in model order.
    model_columns: Vec<usize>,
    row: Vec<f64>,
}

impl std::fmt::Debug for OnlineFeatures {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OnlineFeatures")
            .field("columns", &self.model_columns.len())
            .finish()
    }
}

impl OnlineFeatures {
    /// The estimators behind `names` (model order); an error names an unknown column.
    pub fn new(names: &[String]) -> Result<Self, StrategyError> {
        let features = registry::select(names).map_err(|error| StrategyError::InvalidConfig {
            field: "model_score.model",
            reason: format!("the model's features: {error}"),
        })?;
        let columns: Vec<&'static str> = features
            .iter()
            .flat_map(|feature| feature.columns().iter().copied())
            .collect();
        let model_columns = names
            .iter()
            .map(|name| {
                columns
                    .iter()
                    .position(|column| column == name)
                    .ok_or_else(|| StrategyError::InvalidConfig {
                        field: "model_score.model",
                        reason: format!("no research feature writes the column {name:?}"),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            scratch: vec![f64::NAN; columns.len()],
            row: vec![f64::NAN; names.len()],
            features,
            model_columns,
        })
    }

    /// Every event of the instrument, after the minute it may have closed was handed over.
    pub fn on_event(&mut self, event: &MarketEvent) {
        for feature in &mut self.features {
            feature.on_event(0, event);
        }
    }

    /// A closed minute: every feature's values, then the model's row (NaN = missing).
    pub fn on_minute(&mut self, snapshot: &FeatureSnapshot) -> &[f64] {
        self.scratch.fill(f64::NAN);
        let mut offset = 0;
        for feature in &mut self.features {
            let width = feature.columns().len();
            if let Some(slice) = self.scratch.get_mut(offset..offset + width) {
                feature.on_minute(snapshot, slice);
            }
            offset += width;
        }
        for (value, &index) in self.row.iter_mut().zip(&self.model_columns) {
            *value = self.scratch[index];
        }
        &self.row
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_data::instruments::instrument_or_default;
    use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSink};
    use auction_trader_research::matrix::build_matrix;
    use auction_trader_testkit::load_bitflyer_days;
    use auction_trader_types::StreamKind;

    use super::*;

    struct Rows<'a> {
        online: &'a mut OnlineFeatures,
        rows: Vec<Vec<f64>>,
    }

    impl FeatureSink for Rows<'_> {
        fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
            self.rows.push(self.online.on_minute(snapshot).to_vec());
        }
    }

    #[test]
    fn online_rows_equal_the_matrix_on_a_real_day() {
        // bitFlyer BTC_JPY, one day of executions and tickers; every research column the
        // registry has, in a shuffled model order.
        let Some(collected) = load_bitflyer_days(&["20180122"]) else {
            return;
        };
        let (slot, key) = collected
            .instruments_with_slots()
            .find(|(slot, _)| collected.of_kind(*slot, StreamKind::Trade).next().is_some())
            .unwrap();
        let mut events: Vec<&MarketEvent> = collected
            .events
            .iter()
            .filter(|tagged| tagged.instrument == slot)
            .map(|tagged| &tagged.event)
            .collect();
        events.sort_by_key(|event| event.ts_recv());
        let instrument = instrument_or_default(key);
        let engine = || FeatureEngine::for_instrument(&FeatureConfig::default(), &instrument);
        let matrix = build_matrix(
            engine().unwrap(),
            registry::all_features(),
            &[1],
            events.iter().map(|event| (0, *event)),
        )
        .unwrap();
        let mut names: Vec<String> = registry::all_column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.reverse();
        let mut online = OnlineFeatures::new(&names).unwrap();
        let mut feature_engine = engine().unwrap();
        let mut sink = Rows {
            online: &mut online,
            rows: Vec::new(),
        };
        // The engine's order: minutes closed by the event first (on_bar), then the event.
        for event in &events {
            feature_engine.on_event(event, &mut sink);
            sink.online.on_event(event);
        }
        let rows = sink.rows;
        assert!(rows.len() >= matrix.rows() && matrix.rows() > 1_000);
        let mut compared = 0;
        for (column, name) in names.iter().enumerate() {
            let expected = matrix.column(name).unwrap();
            for (row, value) in expected.iter().enumerate() {
                let online = rows[row][column];
                assert!(
                    online.to_bits() == value.to_bits() || (online.is_nan() && value.is_nan()),
                    "{name} at row {row}: online {online} vs matrix {value}"
                );
                compared += usize::from(value.is_finite());
            }
        }
        assert!(compared > 50_000, "{compared}");
    }

    #[test]
    fn unknown_columns_are_errors() {
        assert!(OnlineFeatures::new(&["no_such_feature".to_owned()]).is_err());
    }
}
