//! The run manifest over the real 1-minute month (read in place): two runs of one config
//! over the same stored bytes have the same manifest, written as manifest.json; another
//! config is told apart.
#![allow(clippy::unwrap_used)] // helpers of the test

use auction_trader_backtest::{BacktestConfig, Silent, run_config};

fn config(dir: &std::path::Path, name: &str, fee: u32) -> Option<BacktestConfig> {
    let file =
        auction_trader_testkit::shared_data(auction_trader_testkit::NAUTILUS_BTC_PERP_MONTH)?;
    let text = format!(
        "run:\n  name: {name}\n  output_dir: {}\ndata:\n  dir: {}\n  import: [{}]\n  \
         bar_label: close\n  venue: nautilus\n  symbol: BTC-PERP\n  start: 2022-01-03\n  \
         end: 2022-01-05\n  warmup_minutes: 60\ninstrument:\n  tick_size: 1\n  lot_size: \
         0.0001\n  taker_fee_bps: {fee}\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: \
         sma_cross\n",
        dir.join("runs").display(),
        dir.join("data").display(),
        file.display()
    );
    Some(BacktestConfig::parse(&text).unwrap())
}

#[test]
fn same_config_same_bytes_same_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let Some(first) = config(dir.path(), "first", 5) else {
        return;
    };
    let one = run_config(&first, &mut Silent).unwrap();
    let two = run_config(&first, &mut Silent).unwrap();
    assert_eq!(one.manifest, two.manifest);
    assert!(!one.manifest.inputs.is_empty());
    assert!(
        one.manifest
            .inputs
            .iter()
            .all(|input| input.content_hash.starts_with("sha256:") && input.kind == "bars")
    );
    let written = std::fs::read_to_string(one.run_dir.join("manifest.json")).unwrap();
    assert_eq!(written, one.manifest.to_json().unwrap());
    let other = run_config(&config(dir.path(), "other", 6).unwrap(), &mut Silent).unwrap();
    assert_eq!(other.manifest.inputs, one.manifest.inputs);
    assert_ne!(other.manifest.identity, one.manifest.identity);
}
