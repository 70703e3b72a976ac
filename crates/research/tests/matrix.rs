//! The research feature matrix on real data: every registered feature over a bitFlyer day,
//! checked for causality (a matrix built on a prefix of the tape equals the full matrix's
//! rows up to that prefix, bit for bit) and for the forward-return look-ahead. Skips (prints
//! a note, passes) when the shared data is absent.

use auction_trader_features::{FeatureConfig, FeatureEngine};
use auction_trader_research::diagnostics::DiagnosticsReport;
use auction_trader_research::matrix::{FeatureMatrix, build_matrix};
use auction_trader_research::registry::{all_column_names, all_features};
use auction_trader_testkit::load_bitflyer_executions;
use auction_trader_types::{MarketEvent, Price, UnixNanos};

fn events() -> Option<Vec<MarketEvent>> {
    let collected = load_bitflyer_executions(&["bitflyer.execution.20180122.BTC_JPY.csv.gz"])?;
    Some(
        collected
            .events
            .into_iter()
            .map(|tagged| tagged.event)
            .collect(),
    )
}

fn matrix_of(events: &[MarketEvent]) -> FeatureMatrix {
    let engine = FeatureEngine::new(
        &FeatureConfig::default(),
        Price::from_units(1).expect("tick"),
    )
    .expect("engine");
    build_matrix(
        engine,
        all_features(),
        &[1, 5, 15],
        events.iter().map(|event| (0, event)),
    )
    .expect("matrix")
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn matrix_is_causal_and_forward_returns_look_ahead() {
    let Some(events) = events() else {
        return;
    };
    let full = matrix_of(&events);
    assert!(
        full.rows() > 1000,
        "a day of one-minute rows, got {}",
        full.rows()
    );
    assert_eq!(
        full.columns.len(),
        1 + all_column_names().len() + 3,
        "close + features + 3 forward returns"
    );
    // Cut the tape in the middle: every feature value of the rows before the cut must be
    // identical (no feature may read events after its row's close).
    let cut = events.len() / 2;
    let prefix = matrix_of(&events[..cut]);
    assert!(prefix.rows() > 100 && prefix.rows() < full.rows());
    assert_eq!(prefix.ts, full.ts[..prefix.rows()].to_vec());
    for (mine, theirs) in prefix.columns.iter().zip(&full.columns) {
        assert_eq!(mine.name, theirs.name);
        if mine.name.starts_with("fwd_ret_") {
            continue;
        }
        for row in 0..prefix.rows() {
            assert!(
                same(mine.values[row], theirs.values[row]),
                "{} row {row}: prefix {} vs full {}",
                mine.name,
                mine.values[row],
                theirs.values[row]
            );
        }
    }
    // The forward returns ARE look-ahead: the prefix's last 5 rows have no 5-minute return,
    // the full matrix has them, equal to ln(close[t+5]/close[t]).
    let close = full.column("close").expect("close");
    let five = full.column("fwd_ret_5m").expect("fwd_ret_5m");
    let prefix_five = prefix.column("fwd_ret_5m").expect("fwd_ret_5m");
    let last = prefix.rows() - 1;
    assert!(prefix_five[last].is_nan());
    assert!((five[last] - (close[last + 5] / close[last]).ln()).abs() < 1e-12);
    assert_eq!(
        full.ts[last + 5],
        UnixNanos(full.ts[last].0 + 5 * 60_000_000_000)
    );
    assert!(five[full.rows() - 1].is_nan());

    let report = DiagnosticsReport::from_matrix(&full);
    let half_life = report.half_life.as_ref().expect("half-life column");
    assert!(half_life.defined > 0);
    println!(
        "bitFlyer day: {} rows x {} columns; OU half-life quantiles {:?}; top {:?}",
        full.rows(),
        full.columns.len() + 1,
        half_life.quantiles,
        report
            .top_correlations(3)
            .iter()
            .map(|ranked| format!(
                "{} {} {:+.3}",
                ranked.feature, ranked.target, ranked.spearman
            ))
            .collect::<Vec<_>>()
    );
}
