//! Real-data checks of the research estimators on a month of BTC-PERP one-minute bars
//! (shared/data/nautilus/btc-perp_1m_20211231-20220201.csv, see shared/data/README.md):
//! range invariants, incremental versus naive recomputation, and the half-life distribution.
//! Skips (prints a note, passes) when the file is absent.

use auction_trader_testkit::{NAUTILUS_BTC_PERP_MONTH, shared_data};

use super::*;

/// (high, low, close) per bar; None when the file is absent.
fn load_bars() -> Option<Vec<(f64, f64, f64)>> {
    let path = shared_data(NAUTILUS_BTC_PERP_MONTH)?;
    let text = std::fs::read_to_string(path).expect("bars readable");
    let bars = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let high = fields.get(2)?.parse().ok()?;
            let low = fields.get(3)?.parse().ok()?;
            let close = fields.get(4)?.parse().ok()?;
            Some((high, low, close))
        })
        .collect();
    Some(bars)
}

fn naive_z_score(window: &[f64]) -> f64 {
    let count = window.len() as f64;
    let mean = window.iter().sum::<f64>() / count;
    let variance = window.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (count - 1.0);
    (window[window.len() - 1] - mean) / variance.sqrt()
}

#[test]
fn estimators_on_a_month_of_btc_bars() {
    let Some(bars) = load_bars() else {
        return;
    };
    assert!(
        bars.len() > 40_000,
        "expected ~45k bars, got {}",
        bars.len()
    );
    let window = 240;
    let mut zscore = RollingZScore::new(window).unwrap();
    let mut bollinger = BollingerPosition::new(20, 2.0).unwrap();
    let mut ema = Ema::new(20).unwrap();
    let mut rsi = Rsi::new(rsi::DEFAULT_RSI_PERIOD).unwrap();
    let mut volatility = RealizedVolatility::new(60, 0.5).unwrap();
    let mut half_life = OuHalfLife::new(window).unwrap();
    let mut hurst = HurstExponent::new(256, 8).unwrap();
    let mut adx = Adx::new(adx::DEFAULT_ADX_PERIOD).unwrap();
    let closes: Vec<f64> = bars.iter().map(|bar| bar.2).collect();
    let (mut jumps, mut half_lives, mut hursts, mut max_z_error) = (0, Vec::new(), Vec::new(), 0.0);
    let mut previous_close: Option<f64> = None;
    for (index, &(high, low, close)) in bars.iter().enumerate() {
        zscore.update(close);
        bollinger.update(close);
        ema.update(close);
        rsi.update(close);
        volatility.update(close);
        half_life.update(close.ln());
        adx.update(high, low, close);
        if let Some(previous) = previous_close {
            hurst.update((close / previous).ln());
        }
        previous_close = Some(close);
        if let Some(value) = zscore.value()
            && index % 97 == 0
        {
            let naive = naive_z_score(&closes[index + 1 - window..=index]);
            max_z_error = f64::max(max_z_error, (value - naive).abs());
        }
        if let Some(value) = rsi.value() {
            assert!((0.0..=100.0).contains(&value));
        }
        if let Some(value) = adx.value() {
            assert!((0.0..=100.0).contains(&value));
        }
        if let Some(value) = bollinger.value() {
            // |x − mean| <= sqrt(N − 1)·σ_pop for the newest point, so |position| <= sqrt(19)/2.
            assert!(value.abs() <= 19.0_f64.sqrt() / 2.0 + 1e-9);
        }
        assert!(ema.deviation().is_some_and(f64::is_finite));
        if volatility.jump() == Some(true) {
            jumps += 1;
        }
        if let Some(value) = half_life.value() {
            assert!(value.is_finite() && value > 0.0);
            half_lives.push(value);
        }
        if index % 60 == 0
            && let Some(value) = hurst.value()
        {
            hursts.push(value);
        }
    }
    assert!(
        max_z_error < 1e-8,
        "incremental z-score drifted: {max_z_error}"
    );
    half_lives.sort_by(f64::total_cmp);
    hursts.sort_by(f64::total_cmp);
    let median = |values: &[f64]| values.get(values.len() / 2).copied();
    println!(
        "bars {}, jump minutes (RV > 1.5·BV, 60 returns) {jumps}, half-life defined {} \
         median {:?} min, Hurst median {:?}, max z error {max_z_error:e}",
        bars.len(),
        half_lives.len(),
        median(&half_lives),
        median(&hursts)
    );
    assert!(!half_lives.is_empty());
    let hurst_median = median(&hursts).unwrap();
    assert!(
        (0.2..0.9).contains(&hurst_median),
        "Hurst median {hurst_median}"
    );
}
