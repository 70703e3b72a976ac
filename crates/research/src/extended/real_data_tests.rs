//! Real-data scenario: the Binance USD-M BTCUSDT capture of 2024-08-08 (trades, bookTicker,
//! depth with its REST snapshot; shared/data/binance, see shared/data/README.md) as the
//! target and the spot BTCUSDT capture of the same evening as reference instrument 1, through
//! the [`FeatureEngine`] and every feature of this slice. Skips (prints a note, passes) when
//! a file is absent. The capture spans ~6 minutes, so long-window columns stay NaN (warm-up);
//! the test asserts that the short-warm-up columns are finite and prints the rest.

use auction_trader_testkit::{
    busiest_instrument, import_binance_capture, replay_order, shared_files,
};
use auction_trader_types::{MarketEvent, Price, StreamKind};

use super::extended_features;
use auction_trader_features::FeatureSnapshot;
use auction_trader_features::{FeatureConfig, FeatureEngine, FeatureSink};

/// Events of the instrument with a depth stream, in replay order; None when absent.
fn load(files: &[&str]) -> Option<Vec<MarketEvent>> {
    let paths = shared_files("binance", files)?;
    let collected = import_binance_capture(&paths).ok()?;
    let slot = busiest_instrument(&collected, StreamKind::Depth)?;
    Some(replay_order(&collected, slot))
}

#[derive(Default)]
struct Snapshots(Vec<FeatureSnapshot>);

impl FeatureSink for Snapshots {
    fn on_snapshot(&mut self, snapshot: &FeatureSnapshot) {
        self.0.push(snapshot.clone());
    }
}

/// Columns that must be finite at every minute after the first complete one: every depth
/// column ([`super::depth::COLUMNS`]) and these.
const SHORT_WARM_UP: &[&str] = &[
    "spread_bps_close",
    "spread_bps_mean",
    "effective_spread_bps",
    "vwap_dev_60_bps",
    "minutes_to_funding",
    "pre_funding_window",
    "spot_perp_basis_bps",
    "hour_of_day",
    "session",
    "day_of_week",
    "month_end",
];

#[test]
fn binance_perp_with_spot_reference() {
    let Some(target) = load(&["usdm_btcusdt_20240808.gz"]) else {
        return;
    };
    let Some(reference) = load(&["spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"]) else {
        return;
    };
    // Merge by (ts_recv, stream priority, instrument): target first at ties.
    let mut merged: Vec<(usize, MarketEvent)> = target
        .into_iter()
        .map(|event| (0, event))
        .chain(reference.into_iter().map(|event| (1, event)))
        .collect();
    merged
        .sort_by_key(|(instrument, event)| (event.ts_recv(), event.kind().priority(), *instrument));
    let end = merged
        .iter()
        .filter(|(instrument, _)| *instrument == 0)
        .map(|(_, event)| event.ts_recv())
        .max()
        .unwrap();

    let mut engine = FeatureEngine::new(
        &FeatureConfig::default(),
        Price::from_decimal_str("0.1").unwrap(),
    )
    .unwrap();
    let mut features = extended_features();
    let columns: Vec<&str> = features
        .iter()
        .flat_map(|feature| feature.columns().to_vec())
        .collect();
    let mut rows: Vec<(FeatureSnapshot, Vec<f64>)> = Vec::new();
    let mut run_minutes =
        |sink: &mut Snapshots, features: &mut Vec<Box<dyn crate::ResearchFeature>>| {
            for snapshot in sink.0.drain(..) {
                let mut row = Vec::with_capacity(columns.len());
                for feature in features.iter_mut() {
                    let mut values = vec![f64::NAN; feature.columns().len()];
                    feature.on_minute(&snapshot, &mut values);
                    row.extend(values);
                }
                rows.push((snapshot, row));
            }
        };
    let mut sink = Snapshots::default();
    for (instrument, event) in &merged {
        // Events past the target's last one would only close minutes of the reference.
        if event.ts_recv() > end {
            break;
        }
        if *instrument == 0 {
            engine.on_event(event, &mut sink);
        } else {
            engine.advance_to(event.ts_recv(), &mut sink);
        }
        run_minutes(&mut sink, &mut features);
        for feature in &mut features {
            feature.on_event(*instrument, event);
        }
    }
    engine.advance_to(end, &mut sink);
    run_minutes(&mut sink, &mut features);

    assert!(rows.len() >= 4, "minutes: {}", rows.len());
    println!(
        "{} minutes × {} extended columns; events {}",
        rows.len(),
        columns.len(),
        merged.len()
    );
    for (column_index, column) in columns.iter().enumerate() {
        let series: Vec<String> = rows
            .iter()
            .map(|(_, row)| format!("{:.4}", row[column_index]))
            .collect();
        println!("  {column:<26} {}", series.join(" "));
    }
    // The first minute is partial (the capture starts mid-minute, the book syncs after the
    // REST snapshot): check from the second row on.
    for (snapshot, row) in rows.iter().skip(1) {
        for name in super::depth::COLUMNS.iter().chain(SHORT_WARM_UP) {
            let index = columns.iter().position(|column| column == name).unwrap();
            assert!(
                row[index].is_finite(),
                "{name} at {} = {}",
                snapshot.ts,
                row[index]
            );
        }
        let value = |name: &str| row[columns.iter().position(|column| *column == name).unwrap()];
        for levels in ["5", "10", "20"] {
            let close = value(&format!("depth_imbalance_{levels}_close"));
            assert!((-1.0..=1.0).contains(&close));
        }
        // BTCUSDT perp at a 0.1 tick around 61,000: quoted spread ~0.016 bps, under 1 bps.
        assert!(value("spread_bps_mean") > 0.0 && value("spread_bps_mean") < 1.0);
        // Perp versus spot of the same evening: within ±50 bps.
        assert!(value("spot_perp_basis_bps").abs() < 50.0);
        // 23:5x UTC on a Thursday: US session, minutes to the 00:00 funding below 10.
        assert_eq!(value("session"), 2.0);
        assert_eq!(value("day_of_week"), 3.0);
        assert!(value("minutes_to_funding") <= 10.0);
        assert_eq!(value("pre_funding_window"), 1.0);
    }
    // Kyle's lambda and the realized kernel need 120 one-second samples: defined by the end.
    let (_, last) = rows.last().unwrap();
    for name in ["kyle_lambda_30m", "realized_kernel_vol_60m"] {
        let index = columns.iter().position(|column| *column == name).unwrap();
        assert!(last[index].is_finite(), "{name} = {}", last[index]);
    }
}
