//! Re-making a run from its manifest over the real 1-minute month (read in place): run →
//! rerun → every file byte-identical; a changed partition, an edited manifest or an edited
//! output is refused with the partition or file named.
#![allow(clippy::unwrap_used)] // helpers of the test

use std::path::Path;

use auction_trader_backtest::rerun::{RerunRequest, rerun};
use auction_trader_backtest::{BacktestConfig, Silent, run_config};

fn config(dir: &Path) -> Option<BacktestConfig> {
    let file =
        auction_trader_testkit::shared_data(auction_trader_testkit::NAUTILUS_BTC_PERP_MONTH)?;
    let text = format!(
        "run:\n  name: original\n  output_dir: {}\ndata:\n  dir: {}\n  import: [{}]\n  \
         bar_label: close\n  venue: nautilus\n  symbol: BTC-PERP\n  start: 2022-01-03\n  \
         end: 2022-01-06\n  warmup_minutes: 60\ninstrument:\n  tick_size: 1\n  lot_size: \
         0.0001\n  taker_fee_bps: 5\naccount:\n  initial_equity: 10000\nstrategy:\n  kind: \
         sma_cross\n",
        dir.join("runs").display(),
        dir.join("data").display(),
        file.display()
    );
    Some(BacktestConfig::parse(&text).unwrap())
}

fn request(source: &Path, out: &Path) -> RerunRequest {
    RerunRequest {
        source: source.to_path_buf(),
        data_dir: None,
        out: Some(out.to_path_buf()),
    }
}

#[test]
fn a_rerun_is_byte_identical_and_tampering_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = config(dir.path()) else {
        return;
    };
    let run = run_config(&config, &mut Silent).unwrap();
    assert!(run.result.metrics.trade_count > 0);
    let again = dir.path().join("again");
    let outcome = rerun(&request(&run.run_dir, &again), &mut Silent).unwrap();
    for file in [
        "config.yaml",
        "execution.db",
        "signals.db",
        "trades.csv",
        "equity.csv",
    ] {
        assert!(
            outcome.files_identical.iter().any(|name| name == file),
            "{file}"
        );
    }
    for file in ["metrics.json", "report.html", "manifest.json"] {
        assert!(
            outcome.files_identical.iter().any(|name| name == file),
            "{file}"
        );
    }
    assert_eq!(outcome.inputs_checked, run.manifest.inputs.len());
    // From the manifest's path, into the default `<run>-rerun` directory.
    let outcome = rerun(
        &RerunRequest {
            source: run.run_dir.join("manifest.json"),
            data_dir: None,
            out: None,
        },
        &mut Silent,
    )
    .unwrap();
    assert_eq!(outcome.rerun, dir.path().join("runs/original-rerun"));

    // An output edited after the run: the first differing file is named.
    let metrics = run.run_dir.join("metrics.json");
    let original_metrics = std::fs::read(&metrics).unwrap();
    let mut edited = original_metrics.clone();
    edited.extend_from_slice(b" ");
    std::fs::write(&metrics, &edited).unwrap();
    let error = rerun(&request(&run.run_dir, &again), &mut Silent).unwrap_err();
    assert!(
        error.to_string().contains("metrics.json differs"),
        "{error}"
    );
    std::fs::write(&metrics, &original_metrics).unwrap();

    // An edited config in the manifest (identity no longer matches).
    let manifest_path = run.run_dir.join("manifest.json");
    let manifest_text = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(
        &manifest_path,
        manifest_text.replace("taker_fee_bps: 5", "taker_fee_bps: 6"),
    )
    .unwrap();
    let error = rerun(&request(&run.run_dir, &again), &mut Silent).unwrap_err();
    assert!(error.to_string().contains("edited"), "{error}");
    std::fs::write(&manifest_path, &manifest_text).unwrap();

    // A changed partition: refused before anything runs, the partition named.
    let part = &run.manifest.inputs[0];
    let path = config.data.dir.join(&part.path);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::write(&path, &bytes).unwrap();
    let error = rerun(&request(&run.run_dir, &again), &mut Silent).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&part.path) && message.contains("changed"),
        "{message}"
    );
    std::fs::remove_file(&path).unwrap();
    let error = rerun(&request(&run.run_dir, &again), &mut Silent).unwrap_err();
    assert!(error.to_string().contains("missing"), "{error}");
}
