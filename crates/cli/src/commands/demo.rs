//! `demo`: the main job on the embedded default storage: real backtests of the auction
//! strategy with the default configuration, written as run directories with HTML reports.
//!
//! With `../shared/data` present it runs the committed configs (`configs/*.yaml`, compiled
//! in): eight days of bitFlyer executions and tickers tick by tick, a month of BTC-PERP
//! 1-minute bars in bar-only mode, and the liquidity-drain strategy (SPEC 3.2) on the Binance
//! USD-M BTCUSDT and ETHUSDT depth captures, each followed by its research summary (SPEC 6).
//! Elsewhere it downloads one day of Binance USD-M BTCUSDT trades from the public archive and
//! backtests the auction strategy on it; the archive has no L2 depth, so for the drain it
//! fetches the 2024-08-08 BTCUSDT depth capture from the repository that published it (pinned
//! commit, SHA-256 checked) and backtests `configs/binance-drain.yaml` on that file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auction_trader_analytics::display::{format_money, run_currency};
use auction_trader_backtest::config::StrategyKind;
use auction_trader_backtest::{BacktestConfig, RunOutcome};
use auction_trader_data::download::{
    BINANCE_USDM_BTCUSDT_20240808_DEPTH, DayOutcome, DownloadSettings, fetch_pinned,
};
use clap::Args;

use super::backtest::{execute, print_summary};
use super::download::{DownloadArgs, download};
use super::research::research_of;
use crate::output::{Notes, outln};
use auction_trader_analytics::drain_research::research_text;

/// The committed example configurations; their `../shared/data` paths are rebased on
/// `--shared-data`.
const BITFLYER_CONFIG: &str = include_str!("../../../../configs/bitflyer-auction.yaml");
const BARS_CONFIG: &str = include_str!("../../../../configs/nautilus-bars.yaml");
const DRAIN_BTC_CONFIG: &str = include_str!("../../../../configs/binance-drain.yaml");
const DRAIN_ETH_CONFIG: &str = include_str!("../../../../configs/binance-drain-eth.yaml");

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory of real recorded data (the project's shared data set); without it, one day
    /// is downloaded from Binance's public archive into ./downloads.
    #[arg(long, default_value = "../shared/data")]
    pub shared_data: PathBuf,
    /// The data directory to import into.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Where run directories go.
    #[arg(long, default_value = "runs")]
    pub runs_dir: PathBuf,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let configs = if args.shared_data.is_dir() {
        outln!("== real data from {}", args.shared_data.display());
        shared_configs(args)?
    } else {
        outln!(
            "== {} not found: downloading one day of BTCUSDT trades from Binance's public archive",
            args.shared_data.display()
        );
        let mut configs = vec![downloaded_config(args)?];
        match downloaded_drain_config(args) {
            Ok(config) => configs.push(config),
            // The auction demo still runs; the message says why the drain one does not.
            Err(error) => outln!("== no drain demo: {error:#}"),
        }
        configs
    };
    let mut outcomes: Vec<RunOutcome> = Vec::new();
    for config in &configs {
        let drain = config.strategy.kind == StrategyKind::Drain;
        outln!(
            "\n== backtest {} ({}, default parameters)",
            config.run.name,
            if drain {
                "SPEC 3.2 liquidity-drain strategy"
            } else {
                "SPEC 3.1 auction strategy"
            }
        );
        let outcome = execute(config, Notes::Stdout)?;
        print_summary(&outcome.result)?;
        if drain {
            // SPEC 6 research reports of the drain run (also in its report.html).
            let (research, currency) = research_of(&outcome.run_dir, None)?;
            outln!("\n{}", research_text(&research, &currency));
        }
        outcomes.push(outcome);
    }
    outln!("\n== reports (open in a browser)");
    for outcome in &outcomes {
        outln!(
            "{:<28} {} trades, net {} -> {}",
            outcome
                .run_dir
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            outcome.result.metrics.trade_count,
            format_money(
                outcome.result.metrics.net_pnl,
                &run_currency(&outcome.result.records)
            ),
            outcome.report.display()
        );
    }
    outln!("\nNext: edit configs/*.yaml and run `auction-trader backtest -c <config>`;");
    outln!("      `auction-trader report <run dir>` re-renders a report from its execution.db.");
    Ok(ExitCode::SUCCESS)
}

/// The committed configs, with their data paths rebased on `--shared-data` and the storage
/// and run directories from the command line.
fn shared_configs(args: &DemoArgs) -> anyhow::Result<Vec<BacktestConfig>> {
    let mut configs = Vec::new();
    for text in [
        BITFLYER_CONFIG,
        BARS_CONFIG,
        DRAIN_BTC_CONFIG,
        DRAIN_ETH_CONFIG,
    ] {
        let mut config = BacktestConfig::parse(text)?;
        config.data.import = config
            .data
            .import
            .iter()
            .map(|path| rebase(path, &args.shared_data))
            .filter(|path| path.exists())
            .collect();
        if config.data.import.is_empty() {
            continue;
        }
        config.data.dir = args.data_dir.clone();
        config.run.output_dir = args.runs_dir.clone();
        configs.push(config);
    }
    anyhow::ensure!(
        !configs.is_empty(),
        "{} holds none of the demo's files (bitflyer/, nautilus/)",
        args.shared_data.display()
    );
    Ok(configs)
}

/// `../shared/data/x/y` → `<shared>/x/y`.
fn rebase(path: &Path, shared: &Path) -> PathBuf {
    match path.strip_prefix("../shared/data") {
        Ok(relative) => shared.join(relative),
        Err(_) => path.to_path_buf(),
    }
}

/// Without the shared data: the drain config on the BTCUSDT depth capture of 2024-08-08,
/// fetched from its published copy into `downloads/captures/`.
fn downloaded_drain_config(args: &DemoArgs) -> anyhow::Result<BacktestConfig> {
    let capture = BINANCE_USDM_BTCUSDT_20240808_DEPTH;
    outln!(
        "== fetching the depth capture {} for the drain strategy",
        capture.url(&DownloadSettings::default())
    );
    let outcome = fetch_pinned(
        &capture,
        Path::new("downloads/captures"),
        &DownloadSettings::default(),
        &mut std::thread::sleep,
    )?;
    let mut config = BacktestConfig::parse(DRAIN_BTC_CONFIG)?;
    config.data.import = vec![outcome.path().to_path_buf()];
    config.data.dir = args.data_dir.clone();
    config.run.output_dir = args.runs_dir.clone();
    Ok(config)
}

/// Without the shared data: one day of Binance USD-M BTCUSDT trades from the public archive.
fn downloaded_config(args: &DemoArgs) -> anyhow::Result<BacktestConfig> {
    let download_args = DownloadArgs {
        venue: "binance-usdm".to_owned(),
        symbol: "BTCUSDT".to_owned(),
        kind: "trades".to_owned(),
        from: "2024-08-08".to_owned(),
        to: None,
        out: PathBuf::from("downloads"),
        base_url: None,
    };
    let report = download(&download_args)?;
    let files: Vec<PathBuf> = report
        .days
        .iter()
        .filter_map(|day| match &day.outcome {
            DayOutcome::Downloaded { path, .. } | DayOutcome::AlreadyPresent { path, .. } => {
                Some(path.clone())
            }
            _ => None,
        })
        .collect();
    anyhow::ensure!(
        !files.is_empty(),
        "the download produced no file:\n{report}"
    );
    let mut config = BacktestConfig::parse(
        "run:\n  name: binance-btcusdt-auction\ndata:\n  venue: binance-usdm\n  symbol: BTCUSDT\n  market: perp\n",
    )?;
    config.data.import = files;
    config.data.dir = args.data_dir.clone();
    config.run.output_dir = args.runs_dir.clone();
    Ok(config)
}
