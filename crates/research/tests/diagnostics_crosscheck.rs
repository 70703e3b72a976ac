//! Cross-checks of the mean-reversion diagnostics (SPEC 2.6) against independent, widely used
//! implementations on real data: the ADF test against statsmodels' `adfuller` with its
//! defaults (lag order by AIC, MacKinnon p-values) and the classical and Anis–Lloyd corrected
//! Hurst exponents against `nolds.hurst_rs`. The expected numbers in
//! `expected_diagnostics_crosscheck.json` come from tools/diagnostics_crosscheck/run.sh (see
//! its README for the estimator settings). Fails on any mismatch beyond the recorded
//! tolerances; skips (prints a note, passes) when the shared data is absent.

use auction_trader_research::{HurstExponent, adfuller, mackinnon_p_value};
use auction_trader_testkit::shared_data;
use serde_json::Value;

const EXPECTED: &str = include_str!("expected_diagnostics_crosscheck.json");

fn expected() -> Value {
    serde_json::from_str(EXPECTED).expect("expected_diagnostics_crosscheck.json parses")
}

fn number(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

/// ln closes of the one-minute bars (column 4 of the Nautilus CSV).
fn log_closes(relative: &str) -> Option<Vec<f64>> {
    let text = std::fs::read_to_string(shared_data(relative)?).expect("bars readable");
    Some(
        text.lines()
            .skip(1)
            .map(|line| {
                line.split(',')
                    .nth(4)
                    .and_then(|field| field.parse::<f64>().ok())
                    .expect("close parses")
                    .ln()
            })
            .collect(),
    )
}

/// Checks one ADF result; returns (relative statistic error, absolute p-value error).
fn check_adf(series: &[f64], want: &Value, tolerance: &Value, label: &str) -> (f64, f64) {
    let got = adfuller(series).unwrap_or_else(|| panic!("{label}: no ADF result"));
    assert_eq!(
        (got.lags as u64, got.observations as u64),
        (
            want["lags"].as_u64().expect("lags"),
            want["observations"].as_u64().expect("observations")
        ),
        "{label}: lag order chosen by AIC and rows"
    );
    let statistic = number(want, "statistic");
    let relative = (got.statistic - statistic).abs() / statistic.abs();
    assert!(
        relative < number(tolerance, "adf_statistic_relative"),
        "{label}: statistic {} vs statsmodels {statistic}",
        got.statistic
    );
    let p_value = number(want, "p_value");
    assert!(
        (got.p_value - p_value).abs() < number(tolerance, "adf_p_value_absolute"),
        "{label}: p-value {} vs statsmodels {p_value}",
        got.p_value
    );
    (relative, (got.p_value - p_value).abs())
}

fn hurst_of(returns: &[f64], min_chunk: usize) -> (f64, f64) {
    let mut hurst = HurstExponent::new(returns.len(), min_chunk).expect("window");
    for value in returns {
        hurst.update(*value);
    }
    (
        hurst.value().expect("classical H"),
        hurst.corrected_value().expect("corrected H"),
    )
}

#[test]
fn adf_and_hurst_match_statsmodels_and_nolds() {
    let expected = expected();
    let Some(logs) = log_closes(expected["source"].as_str().expect("source")) else {
        eprintln!("shared data absent: skipping the diagnostics cross-check");
        return;
    };
    assert_eq!(logs.len() as u64, expected["bars"].as_u64().expect("bars"));
    let tolerance = &expected["tolerance"];
    let window = expected["window"].as_u64().expect("window") as usize;
    let hurst_tolerance = number(tolerance, "hurst_absolute");
    let returns: Vec<f64> = logs.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let mut hurst_checked = 0;
    let (mut worst_statistic, mut worst_p, mut worst_hurst) = (0.0f64, 0.0f64, 0.0f64);
    let windows = expected["windows"].as_array().expect("windows");
    for point in windows {
        let end = point["index"].as_u64().expect("index") as usize;
        let (statistic, p) = check_adf(
            &logs[end + 1 - window..=end],
            &point["adf"],
            tolerance,
            &format!("window ending at bar {end}"),
        );
        worst_statistic = worst_statistic.max(statistic);
        worst_p = worst_p.max(p);
        if let Some(hurst) = point.get("hurst") {
            let (classical, corrected) = hurst_of(&returns[end - window..end], 15);
            assert!(
                (classical - number(hurst, "classical")).abs() < hurst_tolerance,
                "bar {end}: classical H {classical} vs nolds {}",
                hurst["classical"]
            );
            assert!(
                (corrected - number(hurst, "corrected")).abs() < hurst_tolerance,
                "bar {end}: corrected H {corrected} vs nolds {}",
                hurst["corrected"]
            );
            worst_hurst = worst_hurst
                .max((classical - number(hurst, "classical")).abs())
                .max((corrected - number(hurst, "corrected")).abs());
            hurst_checked += 1;
        }
    }
    assert!(windows.len() >= 80 && hurst_checked >= 80);
    let (month_statistic, month_p) = check_adf(
        &logs,
        &expected["whole_month_adf"],
        tolerance,
        "whole month",
    );
    eprintln!(
        "ADF, {} windows of {window}: worst statistic relative error {worst_statistic:.2e}, \
         worst p-value error {worst_p:.2e}; whole month {month_statistic:.2e} / {month_p:.2e}; \
         Hurst, {hurst_checked} windows: worst error {worst_hurst:.2e}",
        windows.len()
    );
    let long = &expected["long_hurst"];
    let count = long["returns"].as_u64().expect("returns") as usize;
    let (classical, corrected) = hurst_of(&returns[returns.len() - count..], 16);
    eprintln!(
        "Hurst over {count} returns: classical {classical:.6} (nolds {}), corrected \
         {corrected:.6} (nolds {})",
        long["classical"], long["corrected"]
    );
    assert!((classical - number(long, "classical")).abs() < hurst_tolerance);
    assert!((corrected - number(long, "corrected")).abs() < hurst_tolerance);
}

#[test]
fn mackinnon_p_values_match_statsmodels() {
    let expected = expected();
    for pair in expected["mackinnon"].as_array().expect("mackinnon") {
        let (tau, want) = (pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap());
        let got = mackinnon_p_value(tau);
        assert!(
            (got - want).abs() < 1e-14,
            "tau {tau}: {got} vs statsmodels {want}"
        );
    }
}

/// The SPEC 2.6 diagnostics on the month: the half-life and ADF of every 240-minute window
/// beside the same estimators on a seeded random walk with the month's volatility. Prints the
/// report (docs/mean-reversion.md quotes it) and checks what must hold whatever the market
/// did: the walk's ADF rejects at 10% in roughly 10% of its windows (the test is calibrated),
/// while its half-life is finite in most windows (the small-sample bias the ADF guards against).
#[test]
fn random_walk_benchmark_on_the_month() {
    use auction_trader_research::benchmark::{BENCHMARK_SEED, RandomWalkBenchmark, rolling_tests};
    let expected = expected();
    let Some(logs) = log_closes(expected["source"].as_str().expect("source")) else {
        return;
    };
    let closes: Vec<f64> = logs.iter().map(|value| value.exp()).collect();
    let (half_lives, p_values) = rolling_tests(&logs);
    let benchmark =
        RandomWalkBenchmark::new(&closes, &half_lives, &p_values, BENCHMARK_SEED).expect("bench");
    eprint!("{}", benchmark.to_text());
    let walk = &benchmark.random_walk;
    let rejects = walk.adf_reject_10.expect("walk windows");
    assert!((0.04..=0.20).contains(&rejects), "{rejects}");
    assert!(walk.half_life_defined as f64 > 0.5 * walk.windows as f64);
    assert_eq!(benchmark.data.windows, logs.len() - 239);
}
