//! The research feature registry (SPEC 2.6): adapters that turn each
//! first-slice estimator into a [`ResearchFeature`] sampled at one-minute closes of the target
//! instrument (instrument 0), plus every feature of the second slice
//! ([`extended_features`]), and selection by column name.
//!
//! Inputs of the adapters: the minute bar of the [`FeatureSnapshot`] (close, high, low; a
//! minute without trades has OHLC = previous close and return 0, SPEC 2.1) and, for VPIN, the
//! target's trades. Every adapter is causal: it reads the snapshot of the minute that just
//! closed and events already received.

use auction_trader_types::{AggressorSide, MarketEvent, Quantity};

use super::adf::adfuller;
use super::benchmark::ADF_WINDOW;
use super::extended::extended_features;
use super::{
    Adx, BollingerPosition, Ema, HurstExponent, OuHalfLife, RealizedVolatility, ResearchFeature,
    RollingZScore, Rsi, Vpin,
};
use crate::ResearchError;
use auction_trader_features::FeatureSnapshot;
use auction_trader_features::side::bvc;

/// Writes an optional value (NaN when missing).
fn put(values: &mut [f64], index: usize, value: Option<f64>) {
    if let Some(slot) = values.get_mut(index) {
        *slot = value.unwrap_or(f64::NAN);
    }
}

fn close_of(snapshot: &FeatureSnapshot) -> f64 {
    snapshot.bar.close.as_f64()
}

/// Price z-score of the minute close over the last N closes (`zscore_N`).
#[derive(Debug)]
struct PriceZScore {
    columns: &'static [&'static str],
    estimator: RollingZScore,
}

impl ResearchFeature for PriceZScore {
    fn columns(&self) -> &'static [&'static str] {
        self.columns
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        self.estimator.update(close_of(snapshot));
        put(values, 0, self.estimator.value());
    }
}

/// Relative deviation of the close from its EMA of span N: `(close − ema) / ema`
/// (`ema_dev_N`, a fraction; the first-slice `Ema::deviation` is in price units, divided here
/// so the column is comparable across price levels).
#[derive(Debug)]
struct EmaDeviation {
    columns: &'static [&'static str],
    estimator: Ema,
}

impl ResearchFeature for EmaDeviation {
    fn columns(&self) -> &'static [&'static str] {
        self.columns
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        self.estimator.update(close_of(snapshot));
        let relative = match (self.estimator.deviation(), self.estimator.value()) {
            (Some(deviation), Some(average)) if average != 0.0 => Some(deviation / average),
            _ => None,
        };
        put(values, 0, relative);
    }
}

/// Wilder RSI of the minute closes (`rsi_14`).
#[derive(Debug)]
struct RsiFeature {
    estimator: Rsi,
}

impl ResearchFeature for RsiFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["rsi_14"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        self.estimator.update(close_of(snapshot));
        put(values, 0, self.estimator.value());
    }
}

/// Bollinger position of the close over 20 minutes, k = 2 (`bollinger_20`).
#[derive(Debug)]
struct BollingerFeature {
    estimator: BollingerPosition,
}

impl ResearchFeature for BollingerFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["bollinger_20"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        self.estimator.update(close_of(snapshot));
        put(values, 0, self.estimator.value());
    }
}

/// Realized volatility of 1-minute log returns over N minutes (`rv_N`, sqrt Σ r², not
/// annualized) and, when the columns say so, the bipower jump flag (`jump_N`: 1 when
/// RV > 1.5·BV, i.e. threshold 0.5, else 0).
#[derive(Debug)]
struct RealizedVolatilityFeature {
    columns: &'static [&'static str],
    estimator: RealizedVolatility,
}

impl ResearchFeature for RealizedVolatilityFeature {
    fn columns(&self) -> &'static [&'static str] {
        self.columns
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        self.estimator.update(close_of(snapshot));
        put(values, 0, self.estimator.value());
        if self.columns.len() > 1 {
            let flag = self
                .estimator
                .jump()
                .map(|jump| if jump { 1.0 } else { 0.0 });
            put(values, 1, flag);
        }
    }
}

/// OU half-life in minutes of ln(close) over the last 240 one-minute pairs
/// (`ou_half_life_240`; NaN when the window does not mean-revert, see `OuHalfLife`). A state
/// estimator: the value at each close is the current rolling-window estimate.
#[derive(Debug)]
struct HalfLifeFeature {
    estimator: OuHalfLife,
}

impl ResearchFeature for HalfLifeFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["ou_half_life_240"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let close = close_of(snapshot);
        if close > 0.0 {
            self.estimator.update(close.ln());
        }
        put(values, 0, self.estimator.value());
    }
}

/// Hurst exponent of the last 240 one-minute log returns, chunk sizes 240, 120, 60, 30, 15:
/// classical R/S (`hurst_240`) and Anis–Lloyd–Peters corrected (`hurst_al_240`, SPEC 2.6).
#[derive(Debug)]
struct HurstFeature {
    estimator: HurstExponent,
}

impl ResearchFeature for HurstFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["hurst_240", "hurst_al_240"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        // SPEC 2.1: log_return is 0 for a minute without trades.
        self.estimator.update(snapshot.log_return);
        put(values, 0, self.estimator.value());
        put(values, 1, self.estimator.corrected_value());
    }
}

/// ADF test of the last 240 one-minute ln closes with statsmodels' `adfuller` defaults
/// (`adf_stat_240`, `adf_pvalue_240`; SPEC 2.6: the evidence beside `ou_half_life_240`).
#[derive(Debug)]
struct AdfFeature {
    logs: std::collections::VecDeque<f64>,
}

impl ResearchFeature for AdfFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["adf_stat_240", "adf_pvalue_240"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let close = close_of(snapshot);
        if close > 0.0 {
            if self.logs.len() == ADF_WINDOW {
                self.logs.pop_front();
            }
            self.logs.push_back(close.ln());
        }
        let result = (self.logs.len() == ADF_WINDOW)
            .then(|| adfuller(self.logs.make_contiguous()))
            .flatten();
        put(values, 0, result.map(|result| result.statistic));
        put(values, 1, result.map(|result| result.p_value));
    }
}

/// ADX and the directional indicators over 14 one-minute bars (`adx_14`, `plus_di_14`,
/// `minus_di_14`).
#[derive(Debug)]
struct AdxFeature {
    estimator: Adx,
}

impl ResearchFeature for AdxFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["adx_14", "plus_di_14", "minus_di_14"]
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let bar = &snapshot.bar;
        self.estimator
            .update(bar.high.as_f64(), bar.low.as_f64(), bar.close.as_f64());
        put(values, 0, self.estimator.value());
        put(values, 1, self.estimator.plus_indicator());
        put(values, 2, self.estimator.minus_indicator());
    }
}

/// Minutes of volume used to size the VPIN buckets.
pub const VPIN_CALIBRATION_MINUTES: u32 = 60;
/// Buckets per day and buckets in the VPIN window (Easley, López de Prado and O'Hara 2012:
/// V = average daily volume / 50, n = 50).
pub const VPIN_BUCKETS_PER_DAY: i64 = 50;
pub const VPIN_WINDOW_BUCKETS: usize = 50;
/// BVC volume is fed in pieces of at most 1/20 of a bucket, so a bucket boundary inside a
/// minute splits that minute's buy/sell shares proportionally (within 5% of a bucket).
const BVC_PIECES_PER_BUCKET: i64 = 20;

/// VPIN of the target's trades (`vpin`), a state estimator: the value at each close is VPIN
/// over the last 50 completed volume buckets.
///
/// Bucket size, causally: the target's total volume over the first 60 closed minutes,
/// scaled to a day (× 1440/60) and divided by 50. Trades before the size is known are not
/// bucketed, so the first value needs about one day of data after the calibration hour.
/// Sides: the venue's aggressor label when present (each trade immediately); unlabelled
/// volume is held for the minute and split at its close by bulk volume classification,
/// buy share Φ(r/σ) with the minute's log return and sigma_240 (SPEC 2.3 BVC).
#[derive(Debug)]
struct VpinFeature {
    calibration_volume: i128,
    calibration_minutes: u32,
    vpin: Option<Vpin>,
    bucket_size: i128,
    unlabelled_volume: i128,
}

impl VpinFeature {
    fn new() -> Self {
        Self {
            calibration_volume: 0,
            calibration_minutes: 0,
            vpin: None,
            bucket_size: 0,
            unlabelled_volume: 0,
        }
    }

    fn bucket_size_from(volume: i128, minutes: u32) -> i128 {
        let per_day = volume.saturating_mul(1440) / i128::from(minutes.max(1));
        per_day / i128::from(VPIN_BUCKETS_PER_DAY)
    }
}

impl ResearchFeature for VpinFeature {
    fn columns(&self) -> &'static [&'static str] {
        &["vpin"]
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        let MarketEvent::Trade(trade) = event else {
            return;
        };
        if instrument != 0 || !trade.size.is_positive() {
            return;
        }
        let Some(vpin) = self.vpin.as_mut() else {
            self.calibration_volume = self.calibration_volume.saturating_add(trade.size.raw());
            return;
        };
        match trade.aggressor {
            AggressorSide::Unknown => {
                self.unlabelled_volume = self.unlabelled_volume.saturating_add(trade.size.raw());
            }
            side => vpin.update(trade.size, side),
        }
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        if self.vpin.is_none() {
            self.calibration_minutes += 1;
            if self.calibration_minutes >= VPIN_CALIBRATION_MINUTES {
                let size =
                    Self::bucket_size_from(self.calibration_volume, self.calibration_minutes);
                if size > 0 {
                    self.bucket_size = size;
                    self.vpin = Vpin::new(Quantity::from_raw(size), VPIN_WINDOW_BUCKETS).ok();
                }
            }
            put(values, 0, None);
            return;
        }
        if let Some(vpin) = self.vpin.as_mut()
            && self.unlabelled_volume > 0
        {
            let fraction = bvc::buy_fraction(snapshot.log_return, snapshot.sigma_240);
            let piece = (self.bucket_size / i128::from(BVC_PIECES_PER_BUCKET)).max(1);
            let mut remaining = std::mem::take(&mut self.unlabelled_volume);
            while remaining > 0 {
                let chunk = remaining.min(piece);
                remaining -= chunk;
                let (buy, sell) = bvc::split_volume(chunk, fraction);
                vpin.update(Quantity::from_raw(buy), AggressorSide::Buy);
                vpin.update(Quantity::from_raw(sell), AggressorSide::Sell);
            }
        }
        put(values, 0, self.vpin.as_ref().and_then(Vpin::value));
    }
}

fn boxed(feature: impl ResearchFeature + 'static) -> Box<dyn ResearchFeature> {
    Box::new(feature)
}

/// The first-slice estimators as minute-close features, default parameters, fixed order.
fn first_slice_features() -> Result<Vec<Box<dyn ResearchFeature>>, ResearchError> {
    Ok(vec![
        boxed(PriceZScore {
            columns: &["zscore_30"],
            estimator: RollingZScore::new(30)?,
        }),
        boxed(PriceZScore {
            columns: &["zscore_60"],
            estimator: RollingZScore::new(60)?,
        }),
        boxed(PriceZScore {
            columns: &["zscore_240"],
            estimator: RollingZScore::new(240)?,
        }),
        boxed(EmaDeviation {
            columns: &["ema_dev_20"],
            estimator: Ema::new(20)?,
        }),
        boxed(EmaDeviation {
            columns: &["ema_dev_60"],
            estimator: Ema::new(60)?,
        }),
        boxed(RsiFeature {
            estimator: Rsi::new(super::rsi::DEFAULT_RSI_PERIOD)?,
        }),
        boxed(BollingerFeature {
            estimator: BollingerPosition::new(20, super::bollinger::DEFAULT_BAND_WIDTH)?,
        }),
        boxed(RealizedVolatilityFeature {
            columns: &["rv_30", "jump_30"],
            estimator: RealizedVolatility::new(30, 0.5)?,
        }),
        boxed(RealizedVolatilityFeature {
            columns: &["rv_240"],
            estimator: RealizedVolatility::new(240, 0.5)?,
        }),
        boxed(HalfLifeFeature {
            estimator: OuHalfLife::new(240)?,
        }),
        boxed(AdfFeature {
            logs: std::collections::VecDeque::with_capacity(ADF_WINDOW + 1),
        }),
        boxed(VpinFeature::new()),
        boxed(HurstFeature {
            estimator: HurstExponent::new(240, 15)?,
        }),
        boxed(AdxFeature {
            estimator: Adx::new(super::adx::DEFAULT_ADX_PERIOD)?,
        }),
    ])
}

/// Every research feature (first slice, then the second slice), default parameters.
pub fn all_features() -> Vec<Box<dyn ResearchFeature>> {
    // The first-slice parameters are constants that satisfy every constructor's check
    // (tested below), so the error arm is unreachable in practice.
    let mut features = first_slice_features().unwrap_or_default();
    features.extend(extended_features());
    features
}

/// Every column name of [`all_features`], in order.
pub fn all_column_names() -> Vec<&'static str> {
    all_features()
        .iter()
        .flat_map(|feature| feature.columns().iter().copied())
        .collect()
}

/// The features whose columns include any of `names` (a feature is selected whole, with all
/// of its columns); `"all"` selects everything. Order follows [`all_features`]. Unknown names
/// are an error naming them and listing the valid column names.
pub fn select(names: &[String]) -> Result<Vec<Box<dyn ResearchFeature>>, ResearchError> {
    let features = all_features();
    if names.iter().any(|name| name == "all") {
        return Ok(features);
    }
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| {
            !features
                .iter()
                .any(|feature| feature.columns().contains(name))
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ResearchError::InvalidConfig {
            field: "research.features",
            reason: format!(
                "unknown feature(s) {}; valid: all, {}",
                unknown.join(", "),
                all_column_names().join(", ")
            ),
        });
    }
    if names.is_empty() {
        return Err(ResearchError::InvalidConfig {
            field: "research.features",
            reason: "no feature selected (name columns or `all`)".to_owned(),
        });
    }
    Ok(features
        .into_iter()
        .filter(|feature| {
            feature
                .columns()
                .iter()
                .any(|column| names.iter().any(|name| name == column))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{Price, UnixNanos};

    use super::*;
    use auction_trader_features::FeatureSnapshot;

    fn snapshot_at(close: f64, minute: i64) -> FeatureSnapshot {
        let mut snapshot = FeatureSnapshot::sample_minute();
        let price = Price::from_f64_rounded(close).unwrap();
        snapshot.ts = UnixNanos(minute * 60_000_000_000);
        snapshot.bar.open = price;
        snapshot.bar.high = price;
        snapshot.bar.low = price;
        snapshot.bar.close = price;
        snapshot
    }

    #[test]
    fn first_slice_constructs_and_names_are_unique() {
        let features = first_slice_features().unwrap();
        assert_eq!(features.len(), 14);
        let mut names = all_column_names();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "duplicate column names");
        assert!(total >= 16);
    }

    #[test]
    fn select_by_column_and_unknown_names() {
        let chosen = select(&["rsi_14".to_owned(), "jump_30".to_owned()]).unwrap();
        let columns: Vec<&str> = chosen.iter().flat_map(|f| f.columns().to_vec()).collect();
        assert_eq!(columns, ["rsi_14", "rv_30", "jump_30"]);
        let error = select(&["rsi_14".to_owned(), "nope".to_owned()])
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("nope") && error.contains("zscore_240"),
            "{error}"
        );
        assert!(select(&[]).is_err());
        assert_eq!(
            select(&["all".to_owned()]).unwrap().len(),
            all_features().len()
        );
    }

    #[test]
    fn adapters_feed_minute_closes() {
        // z-score over 30 closes 1..=30: mean 15.5, sample var = 30·31/12 = 77.5,
        // s = 8.8034084; z = (30 − 15.5)/8.8034084 = 1.6470893.
        // EMA span 20 (alpha 2/21) seeded at 1: after closes 1..=30 the deviation ratio is
        // (30 − ema)/ema; checked against a direct recursion.
        let mut zscore = PriceZScore {
            columns: &["zscore_30"],
            estimator: RollingZScore::new(30).unwrap(),
        };
        let mut ema = EmaDeviation {
            columns: &["ema_dev_20"],
            estimator: Ema::new(20).unwrap(),
        };
        let mut value = [0.0];
        let mut expected_ema = 1.0;
        for minute in 1..=30 {
            let snapshot = snapshot_at(minute as f64, minute);
            zscore.on_minute(&snapshot, &mut value);
            if minute < 30 {
                assert!(value[0].is_nan());
            }
            if minute > 1 {
                expected_ema += 2.0 / 21.0 * (minute as f64 - expected_ema);
            }
        }
        assert!((value[0] - 14.5 / 77.5_f64.sqrt()).abs() < 1e-9);
        assert!((value[0] - 1.647_089_3).abs() < 1e-6);
        for minute in 1..=30 {
            ema.on_minute(&snapshot_at(minute as f64, minute), &mut value);
        }
        assert!((value[0] - (30.0 - expected_ema) / expected_ema).abs() < 1e-12);
    }

    #[test]
    fn adf_columns_are_adfuller_of_the_last_240_log_closes() {
        // 239 closes: nothing yet; the 240th close gives adfuller(ln closes) exactly; the
        // 241st drops the oldest. Closes: a seeded AR(1) around 100 (φ = 0.8).
        let mut feature = AdfFeature {
            logs: std::collections::VecDeque::new(),
        };
        let mut state = 0.0f64;
        let mut closes = Vec::new();
        for minute in 0..241u32 {
            state = 0.8 * state + ((f64::from(minute) * 1.618_034).fract() - 0.5);
            // The close as the snapshot carries it (fixed-point, 1e-9).
            closes.push(snapshot_at(100.0 + state, 0).bar.close.as_f64());
        }
        let mut values = [0.0, 0.0];
        for (minute, close) in closes.iter().enumerate() {
            feature.on_minute(&snapshot_at(*close, minute as i64), &mut values);
            if minute < 239 {
                assert!(values[0].is_nan() && values[1].is_nan());
            }
            if minute == 239 || minute == 240 {
                let start = minute + 1 - ADF_WINDOW;
                let logs: Vec<f64> = closes[start..=minute].iter().map(|c| c.ln()).collect();
                let want = adfuller(&logs).unwrap();
                assert_eq!((values[0], values[1]), (want.statistic, want.p_value));
            }
        }
        // A strongly mean-reverting series: the unit root is rejected.
        assert!(values[1] < 0.01, "{values:?}");
    }

    #[test]
    fn hurst_feature_writes_classical_and_corrected() {
        let mut feature = HurstFeature {
            estimator: HurstExponent::new(240, 15).unwrap(),
        };
        let mut reference = HurstExponent::new(240, 15).unwrap();
        let mut values = [0.0, 0.0];
        for minute in 0..240 {
            let mut snapshot = snapshot_at(100.0, minute);
            snapshot.log_return = ((minute as f64) * 0.754_877_7).fract() - 0.5;
            reference.update(snapshot.log_return);
            feature.on_minute(&snapshot, &mut values);
        }
        assert_eq!(values[0], reference.value().unwrap());
        assert_eq!(values[1], reference.corrected_value().unwrap());
        assert!(values[0] != values[1]);
    }

    #[test]
    fn vpin_calibrates_then_uses_labels_and_bvc() {
        // 60 calibration minutes with 1 unit each → 60 units/h → 1440/day → bucket 1440/50
        // = 28.8 units (raw 28.8e9). Then 50 buckets of pure buys → VPIN = 1.
        let mut feature = VpinFeature::new();
        let mut value = [0.0];
        let unit = Quantity::ONE;
        let trade = |side: AggressorSide, size: Quantity| {
            MarketEvent::Trade(auction_trader_types::Trade {
                ts_event: UnixNanos(0),
                ts_recv: UnixNanos(0),
                price: Price::from_units(100).unwrap(),
                size,
                aggressor: side,
                trade_id: auction_trader_types::TradeId::default(),
            })
        };
        for minute in 1..=60 {
            feature.on_event(0, &trade(AggressorSide::Buy, unit));
            feature.on_minute(&snapshot_at(100.0, minute), &mut value);
            assert!(value[0].is_nan());
        }
        assert_eq!(feature.bucket_size, 28_800_000_000);
        // Reference-instrument trades are ignored.
        feature.on_event(1, &trade(AggressorSide::Sell, unit));
        let fifty_buckets = Quantity::from_raw(50 * 28_800_000_000);
        feature.on_event(0, &trade(AggressorSide::Buy, fifty_buckets));
        feature.on_minute(&snapshot_at(100.0, 61), &mut value);
        assert_eq!(value[0], 1.0);
        // 25 buckets of unlabelled volume in a flat minute (r = 0 → BVC buy share 1/2):
        // those buckets are balanced → VPIN = (25·V + 25·0)/(50·V) = 0.5.
        feature.on_event(
            0,
            &trade(
                AggressorSide::Unknown,
                Quantity::from_raw(25 * 28_800_000_000),
            ),
        );
        feature.on_minute(&snapshot_at(100.0, 62), &mut value);
        assert!((value[0] - 0.5).abs() < 1e-9, "{}", value[0]);
    }
}
