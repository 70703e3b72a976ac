//! The fill-model report over two days of real bitFlyer data (the golden run's tape): each
//! model's row is exactly the summary of a plain backtest with that model configured, the
//! baseline comes first, and the seeded model is reproducible. Skipped when
//! /work/shared/data/bitflyer is absent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod support;

use auction_trader_analytics::FillModelRow;
use auction_trader_backtest::fills_compare::compare_fill_models;
use auction_trader_execution::QueueModelKind;

#[test]
fn each_row_is_the_plain_run_under_that_model() {
    let Some(events) = support::bitflyer_events(&["20180121", "20180122"]) else {
        return;
    };
    let config = support::config();
    let instrument = support::instrument(&config);
    let mut announced = Vec::new();
    let comparison = compare_fill_models(
        &config,
        &instrument,
        &events,
        &[QueueModelKind::RandomPosition],
        &mut |model| announced.push(model),
    )
    .unwrap();
    // The baseline is always run, first.
    assert_eq!(
        announced,
        [
            QueueModelKind::QueueFraction,
            QueueModelKind::RandomPosition
        ]
    );
    assert_eq!(comparison.currency, "JPY");
    assert_eq!(comparison.rows.len(), 2);
    for (row, model) in comparison.rows.iter().zip(&announced) {
        let mut plain = config.clone();
        plain.execution.queue_model = *model;
        let result = support::run(&plain, &events);
        assert_eq!(
            *row,
            FillModelRow::of(model.as_str(), &result.records, &result.metrics)
        );
    }
    let baseline = &comparison.rows[0];
    assert!(baseline.limit_orders > 0, "{baseline:?}");
    assert!(baseline.maker_filled <= baseline.limit_orders);
    assert!(
        baseline
            .wait_p50_seconds
            .zip(baseline.wait_p90_seconds)
            .is_none_or(|(p50, p90)| 0.0 <= p50 && p50 <= p90)
    );
    eprintln!("{}", comparison.text_table());
}
