//! Order flow per minute of a run (SPEC 8: "OF, qimb, ambiguous fraction color-coded"): the
//! stored trades, quotes and bars of the run's instrument replayed through the features
//! crate's engine with the run's feature settings, so every value and every pass/fail is
//! the one the strategy saw (SPEC 2.4): OF_1m against `of_abs_mult × median(|OF_1m|)` and
//! `of_norm_min`, the minute's time-weighted qimb against `qimb_min`, the ambiguous-trade
//! fraction against `ambiguous_threshold` (above it, confirmation needs both tests).
//!
//! The engine starts `of_median_minutes` (the |OF_1m| baseline window) before the first
//! minute shown, so the first rows have their baseline.

use auction_trader_backtest::BacktestConfig;
use auction_trader_backtest::run_config::{Silent, configured_instrument, instrument_key};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::ReplaySelection;
use auction_trader_features::snapshot::FeatureSnapshot;
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSink};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{StreamKind, UnixNanos};
use serde::Serialize;

use crate::error::ApiError;
use crate::library::Library;
use crate::profile::data_dir;
use crate::runs::{RunCache, Time, seconds};

/// Minutes shown by default (the run's last ones).
pub const DEFAULT_MINUTES: i64 = 120;
/// Most minutes one request may cover.
pub const MAX_MINUTES: i64 = 240;
/// Most events one request replays (a bound on its work).
pub const MAX_EVENTS: u64 = 20_000_000;

const NANOS_PER_MINUTE: i64 = 60_000_000_000;

/// The SPEC 2.4 thresholds the minutes are judged against (the run's feature settings).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Thresholds {
    pub of_abs_mult: f64,
    pub of_norm_min: f64,
    pub qimb_min: f64,
    pub ambiguous_threshold: f64,
}

impl From<&FeatureConfig> for Thresholds {
    fn from(config: &FeatureConfig) -> Self {
        Self {
            of_abs_mult: config.of_abs_mult,
            of_norm_min: config.of_norm_min,
            qimb_min: config.qimb_min,
            ambiguous_threshold: config.ambiguous_threshold,
        }
    }
}

/// One minute, as columns (`time` = the minute's start, whole UTC seconds).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OrderFlowColumns {
    pub time: Vec<i64>,
    /// OF_1m = buy − sell volume (exact decimal text).
    pub of: Vec<String>,
    /// OF_1m / volume.
    pub of_norm: Vec<Option<f64>>,
    /// `of_abs_mult × median(|OF_1m|)` of the minutes before, in size units.
    pub of_threshold: Vec<Option<f64>>,
    /// The minute's time-weighted qimb.
    pub qimb: Vec<Option<f64>>,
    pub ambiguous: Vec<f64>,
    /// `buy`, `sell` or null: the direction whose test passed.
    pub initiative: Vec<Option<&'static str>>,
    pub qimb_aligned: Vec<Option<&'static str>>,
    /// Ambiguous fraction above the threshold: confirmation needs both tests.
    pub dual: Vec<bool>,
    pub confirmed: Vec<Option<&'static str>>,
}

impl OrderFlowColumns {
    fn push(&mut self, snapshot: &FeatureSnapshot, config: &FeatureConfig) {
        let side = |buy: bool, sell: bool| match (buy, sell) {
            (true, false) => Some("buy"),
            (false, true) => Some("sell"),
            _ => None,
        };
        let signals = &snapshot.signals;
        self.time.push(seconds(snapshot.bar.ts_open));
        self.of.push(snapshot.of_1m.to_string());
        self.of_norm.push(snapshot.of_norm);
        self.of_threshold.push(
            snapshot
                .of_abs_median
                .map(|median| config.of_abs_mult * median),
        );
        self.qimb.push(snapshot.qimb_mean_1m);
        self.ambiguous.push(snapshot.ambiguous_trade_frac_1m);
        self.initiative
            .push(side(signals.initiative_buy, signals.initiative_sell));
        self.qimb_aligned
            .push(side(signals.qimb_aligned_buy, signals.qimb_aligned_sell));
        self.dual.push(signals.dual_confirmation);
        self.confirmed
            .push(side(signals.confirmed_buy, signals.confirmed_sell));
    }
}

/// `/api/runs/{name}/orderflow`: the minutes, or why there are none.
#[derive(Debug, Serialize)]
pub struct OrderFlowAnswer {
    pub from: Option<Time>,
    pub to: Option<Time>,
    pub thresholds: Option<Thresholds>,
    pub minutes: OrderFlowColumns,
    pub unavailable: Option<String>,
}

impl OrderFlowAnswer {
    fn unavailable(reason: &str) -> Self {
        Self {
            from: None,
            to: None,
            thresholds: None,
            minutes: OrderFlowColumns::default(),
            unavailable: Some(reason.to_owned()),
        }
    }
}

/// What an order-flow request asks for (inclusive; default the run's last
/// [`DEFAULT_MINUTES`] bars).
#[derive(Debug, Clone, Default)]
pub struct OrderFlowRequest {
    pub from: Option<UnixNanos>,
    pub to: Option<UnixNanos>,
}

/// The order flow of run `name` over the request's range.
pub fn run_order_flow(
    library: &Library,
    cache: &RunCache,
    name: &str,
    request: &OrderFlowRequest,
) -> Result<OrderFlowAnswer, ApiError> {
    let dir = library.run_dir(name)?;
    let Ok(config_text) = std::fs::read_to_string(dir.join("config.yaml")) else {
        return Ok(OrderFlowAnswer::unavailable("the run has no config.yaml"));
    };
    let config = BacktestConfig::parse(&config_text).map_err(ApiError::internal)?;
    let records = cache.load(library, name)?;
    let Some(last) = records.bars.last().map(|bar| bar.ts) else {
        return Ok(OrderFlowAnswer::unavailable("the run has no bars"));
    };
    let from = request.from.unwrap_or(
        last.floor_to(NANOS_PER_MINUTE)
            .saturating_sub_nanos((DEFAULT_MINUTES - 1) * NANOS_PER_MINUTE),
    );
    let to = request
        .to
        .unwrap_or(last.saturating_add_nanos(NANOS_PER_MINUTE - 1));
    if to < from {
        return Err(ApiError::BadRequest("from must not be after to".to_owned()));
    }
    if (to.0 - from.0) / NANOS_PER_MINUTE >= MAX_MINUTES {
        return Err(ApiError::BadRequest(format!(
            "order flow covers at most {MAX_MINUTES} minutes: choose a shorter range"
        )));
    }
    let Some(data_dir) = data_dir(library, &config) else {
        return Ok(OrderFlowAnswer::unavailable(
            "no data directory with the run's market data (start serve with --data-dir)",
        ));
    };
    let features = &config.features;
    let warm_up = i64::from(features.of_median_minutes).saturating_add(1) * NANOS_PER_MINUTE;
    let start = from
        .floor_to(NANOS_PER_MINUTE)
        .saturating_sub_nanos(warm_up);
    let instrument = configured_instrument(&config, &mut Silent).map_err(ApiError::internal)?;
    let mut engine =
        FeatureEngine::for_instrument(features, &instrument).map_err(ApiError::internal)?;
    let store = ParquetStore::open(&data_dir).map_err(ApiError::internal)?;
    let key = instrument_key(&config).map_err(ApiError::internal)?;
    let selection = ReplaySelection::instrument(key)
        .with_kinds(vec![StreamKind::Quote, StreamKind::Trade, StreamKind::Bar])
        // One minute past `to`: the event that closes the last minute shown.
        .with_range(Some(start), Some(to.saturating_add_nanos(NANOS_PER_MINUTE)));
    let replay = ReplayMerge::from_store(&store, &selection).map_err(ApiError::internal)?;
    let mut window = Window {
        from,
        to,
        config: features,
        minutes: OrderFlowColumns::default(),
    };
    let mut events = 0_u64;
    for item in replay.merge {
        let event = item.map_err(ApiError::internal)?.event;
        events += 1;
        if events > MAX_EVENTS {
            return Err(ApiError::BadRequest(format!(
                "more than {MAX_EVENTS} events in the range: choose a shorter one"
            )));
        }
        engine.on_event(&event, &mut window);
    }
    engine.advance_to(to.saturating_add_nanos(NANOS_PER_MINUTE), &mut window);
    if window.minutes.time.is_empty() {
        return Ok(OrderFlowAnswer::unavailable(
            "no stored market data in the range",
        ));
    }
    Ok(OrderFlowAnswer {
        from: Some(from.into()),
        to: Some(to.into()),
        thresholds: Some(features.into()),
        minutes: window.minutes,
        unavailable: None,
    })
}

/// Keeps the snapshots of the minutes shown (the warm-up's are dropped).
struct Window<'a> {
    from: UnixNanos,
    to: UnixNanos,
    config: &'a FeatureConfig,
    minutes: OrderFlowColumns,
}

impl FeatureSink for Window<'_> {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        let open = snapshot.bar.ts_open;
        if open >= self.from && open <= self.to {
            self.minutes.push(snapshot, self.config);
        }
    }
}
