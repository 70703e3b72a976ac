//! `demo`: the main job on the embedded default storage: real backtests of the auction
//! strategy with the default configuration, written as run directories with HTML reports.
//!
//! With `../shared/data` present it runs the two committed configs (`configs/*.yaml`, compiled
//! in): eight days of bitFlyer executions and tickers tick by tick, and a month of BTC-PERP
//! 1-minute bars in bar-only mode. Elsewhere it downloads one day of Binance USD-M BTCUSDT
//! trades from the public archive and backtests that.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auction_trader_analytics::display::{format_money, run_currency};
use auction_trader_backtest::{BacktestConfig, RunOutcome};
use auction_trader_data::download::DayOutcome;
use clap::Args;

use super::backtest::{execute, print_summary};
use super::download::{DownloadArgs, download};
use crate::output::{Notes, outln};

/// The committed example configurations; their `../shared/data` paths are rebased on
/// `--shared-data`.
const BITFLYER_CONFIG: &str = include_str!("../../../../configs/bitflyer-auction.yaml");
const BARS_CONFIG: &str = include_str!("../../../../configs/nautilus-bars.yaml");

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
        vec![downloaded_config(args)?]
    };
    let mut outcomes: Vec<RunOutcome> = Vec::new();
    for config in &configs {
        outln!(
            "\n== backtest {} (SPEC 3.1 auction strategy, default parameters)",
            config.run.name
        );
        let outcome = execute(config, Notes::Stdout)?;
        print_summary(&outcome.result)?;
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
    for text in [BITFLYER_CONFIG, BARS_CONFIG] {
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
