//! `validate-strategy costs|walk-forward|kfold|cross-symbol|regimes|gates`: does a strategy hold up
//! (SPEC 6)? Cost sensitivity, expanding walk-forward with an embargo, purged k-fold, the same
//! parameters on other symbols' data and volatility regimes, run by the backtest crate's
//! validation module over data decoded once; each prints its text report with the SPEC 6 gate
//! and writes `report.txt` and `report.html` into the output directory. (`validate` is the
//! market-data file check; this is the strategy's.) The exit code is 0 whatever the gates
//! say: they judge the strategy, not the run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_backtest::grid::{Sweep, default_workers};
use auction_trader_backtest::validation::{
    CrossSymbolOptions, GateOptions, KFoldOptions, ValidationData, WalkForwardOptions, cost_html,
    cost_sensitivity, cost_text, cross_symbol, cross_symbol_html, cross_symbol_text,
    decode_validation_data, evaluate_gates, gates_html, gates_json, gates_text, kfold_html,
    kfold_text, purged_kfold, regime_html, regime_split, regime_text, walk_forward,
    walk_forward_html, walk_forward_text, write_report,
};
use auction_trader_backtest::{BacktestConfig, BacktestError, RunObserver};
use clap::{Args, Subcommand};

use super::store_override::StoreOverride;
use crate::output::{Notes, out, outln};

#[derive(Debug, Subcommand)]
pub enum ValidateStrategyCommand {
    /// Re-run the config with its costs (fees, slippage, fallback half spread) at 0.5, 1, 1.5,
    /// 2 and 3 times; gate: Sharpe > 1.0 at 2x costs.
    Costs(CommonArgs),
    /// Expanding walk-forward with an embargo: choose the sweep's best combination on all
    /// earlier data, run it on the next segment; gate: out-of-sample Sharpe > 1.5.
    WalkForward(WalkForwardArgs),
    /// Purged k-fold: for each contiguous time fold, choose the sweep's best combination on
    /// the other folds (purged before the fold, embargoed after it) and run it on the fold;
    /// gate: out-of-sample Sharpe > 1.5.
    Kfold(KFoldArgs),
    /// The same parameters on other symbols' or venues' data (each --on config's data,
    /// instrument and account), side by side; gate: second-symbol Sharpe > 70% of the first.
    CrossSymbol(CrossSymbolArgs),
    /// Run the config once and split its days into low/medium/high volatility thirds; gate:
    /// Sharpe > 0.5 in every regime.
    Regimes(CommonArgs),
    /// Every SPEC 6 gate of each config (cost sensitivity 0.5-3x, volatility regimes, the
    /// second symbol against each --on data set) with GO / NO-GO per gate and per strategy;
    /// writes report.txt, report.html and report.json.
    Gates(GatesArgs),
}

#[derive(Debug, Args)]
pub struct GatesArgs {
    /// The strategies' run configurations (YAML, SPEC 9); repeatable.
    #[arg(short, long = "config", value_name = "CONFIG", required = true)]
    pub configs: Vec<PathBuf>,
    /// Other data sets (configs lending data, instrument, account) for the second-symbol
    /// gate; a config is not compared with its own instrument. Repeatable.
    #[arg(long = "on", value_name = "CONFIG")]
    pub others: Vec<PathBuf>,
    /// `--data-dir` / `--store`: overrides of every config.
    #[command(flatten)]
    pub store: StoreOverride,
    /// Where the reports go (default: `<run.output_dir of the first config>/gates`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: half the CPU cores).
    #[arg(long)]
    pub workers: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The run configuration (YAML, SPEC 9).
    #[arg(short, long)]
    pub config: PathBuf,
    #[command(flatten)]
    pub store: StoreOverride,
    /// Where report.txt and report.html go (default: `<run.output_dir>/<run.name>-<kind>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: half the CPU cores).
    #[arg(long)]
    pub workers: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WalkForwardArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The sweep file whose grid is the train step (see docs/grid.md).
    #[arg(long)]
    pub sweep: PathBuf,
    /// Equal time segments (the first only trains): segments - 1 folds.
    #[arg(long, default_value_t = 5)]
    pub segments: usize,
    /// Minutes left out between each train window and its test segment (SPEC 6 example: 1 day).
    #[arg(long, default_value_t = 1440)]
    pub embargo_minutes: u32,
    /// The metric the train step maximizes: sharpe, sortino, net_pnl, return_pct,
    /// profit_factor or win_rate_pct.
    #[arg(long, default_value = "sharpe")]
    pub objective: String,
    /// Allow sweeping the toxicity priors (SPEC 2.5 fixes them); the report is labelled so.
    #[arg(long)]
    pub force_priors: bool,
}

#[derive(Debug, Args)]
pub struct KFoldArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The sweep file whose grid is the train step (see docs/grid.md).
    #[arg(long)]
    pub sweep: PathBuf,
    /// Contiguous time folds, each tested once (trained on the others).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Minutes of training data purged before each test fold, the label horizon (default:
    /// the config's risk.max_hold_minutes).
    #[arg(long)]
    pub purge_minutes: Option<u32>,
    /// Minutes of training data left out after each test fold (SPEC 6 example: 1 day).
    #[arg(long, default_value_t = 1440)]
    pub embargo_minutes: u32,
    /// The metric the train step maximizes: sharpe, sortino, net_pnl, return_pct,
    /// profit_factor or win_rate_pct.
    #[arg(long, default_value = "sharpe")]
    pub objective: String,
    /// Allow sweeping the toxicity priors (SPEC 2.5 fixes them); the report is labelled so.
    #[arg(long)]
    pub force_priors: bool,
}

#[derive(Debug, Args)]
pub struct CrossSymbolArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// A config whose data, instrument and account sections (another symbol or venue) the
    /// parameters also run on; repeatable.
    #[arg(long = "on", value_name = "CONFIG", required = true)]
    pub others: Vec<PathBuf>,
    /// Choose the parameters first: the sweep's best combination on the base config's data.
    #[arg(long)]
    pub sweep: Option<PathBuf>,
    /// The metric the sweep's choice maximizes (with --sweep).
    #[arg(long, default_value = "sharpe")]
    pub objective: String,
    /// Allow sweeping the toxicity priors (SPEC 2.5 fixes them); the report is labelled so.
    #[arg(long)]
    pub force_priors: bool,
}

pub fn run(command: ValidateStrategyCommand) -> anyhow::Result<ExitCode> {
    match command {
        ValidateStrategyCommand::Costs(args) => costs(&args),
        ValidateStrategyCommand::WalkForward(args) => walk(&args),
        ValidateStrategyCommand::Kfold(args) => kfold(&args),
        ValidateStrategyCommand::CrossSymbol(args) => cross(&args),
        ValidateStrategyCommand::Regimes(args) => regimes(&args),
        ValidateStrategyCommand::Gates(args) => gates(&args),
    }
}

/// Notes to stdout, warnings to stderr; keeps the error of a closed stdout so the command
/// ends quietly.
#[derive(Default)]
struct Printer {
    closed: Option<anyhow::Error>,
}

impl Printer {
    /// The closed-stdout error when that stopped the work, else `error`.
    fn reason(&mut self, error: BacktestError) -> anyhow::Error {
        self.closed.take().unwrap_or_else(|| error.into())
    }
}

impl RunObserver for Printer {
    fn note(&mut self, line: &str) -> Result<(), BacktestError> {
        Notes::Stdout.line(line).map_err(|error| {
            let message = error.to_string();
            self.closed = Some(error);
            BacktestError::Stopped(message)
        })
    }

    fn warning(&mut self, line: &str) {
        eprintln!("warning: {line}");
    }
}

fn load(args: &CommonArgs) -> anyhow::Result<BacktestConfig> {
    let mut config = BacktestConfig::load(&args.config)?;
    args.store.apply(&mut config);
    config.validate()?;
    Ok(config)
}

fn output_dir(args: &CommonArgs, config: &BacktestConfig, kind: &str) -> PathBuf {
    args.out.clone().unwrap_or_else(|| {
        config
            .run
            .output_dir
            .join(format!("{}-{kind}", config.run.name))
    })
}

fn finish(dir: &Path, text: &str, html: &str) -> anyhow::Result<ExitCode> {
    out!("{text}");
    let page = write_report(dir, text, html)?;
    outln!("report: {}", page.display());
    Ok(ExitCode::SUCCESS)
}

fn costs(args: &CommonArgs) -> anyhow::Result<ExitCode> {
    let config = load(args)?;
    let data = decode(&config, "costs")?;
    let workers = args.workers.unwrap_or_else(default_workers).max(1);
    let report = cost_sensitivity(&config, &data, workers)?;
    finish(
        &output_dir(args, &config, "costs"),
        &cost_text(&report),
        &cost_html(&report),
    )
}

/// Decodes the config's data once for a validation, printing progress; a failure carries the
/// printer's reason.
fn decode(config: &BacktestConfig, what: &str) -> anyhow::Result<ValidationData> {
    let mut printer = Printer::default();
    decode_validation_data(config, what, &mut printer).map_err(|error| printer.reason(error))
}

fn read_sweep(path: &Path) -> anyhow::Result<Sweep> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sweep::parse(&text)?)
}

fn walk(args: &WalkForwardArgs) -> anyhow::Result<ExitCode> {
    let config = load(&args.common)?;
    let sweep = read_sweep(&args.sweep)?;
    let options = WalkForwardOptions {
        segments: args.segments,
        embargo_minutes: args.embargo_minutes,
        objective: args.objective.clone(),
        workers: args.common.workers.unwrap_or_else(default_workers).max(1),
        force_priors: args.force_priors,
    };
    let data = decode(&config, "walk-forward")?;
    let report = walk_forward(&config, &sweep, &data, &options, &mut |fold| {
        eprintln!(
            "fold {}: chosen {}",
            fold.fold.number,
            fold.chosen.as_deref().unwrap_or("(none)")
        );
    })?;
    finish(
        &output_dir(&args.common, &config, "walk-forward"),
        &walk_forward_text(&report),
        &walk_forward_html(&report),
    )
}

fn regimes(args: &CommonArgs) -> anyhow::Result<ExitCode> {
    let config = load(args)?;
    let data = decode(&config, "regimes")?;
    let report = regime_split(&config, &data)?;
    finish(
        &output_dir(args, &config, "regimes"),
        &regime_text(&report),
        &regime_html(&report),
    )
}

fn kfold(args: &KFoldArgs) -> anyhow::Result<ExitCode> {
    let config = load(&args.common)?;
    let sweep = read_sweep(&args.sweep)?;
    let options = KFoldOptions {
        folds: args.folds,
        purge_minutes: args.purge_minutes.unwrap_or(config.risk.max_hold_minutes),
        embargo_minutes: args.embargo_minutes,
        objective: args.objective.clone(),
        workers: args.common.workers.unwrap_or_else(default_workers).max(1),
        force_priors: args.force_priors,
    };
    let data = decode(&config, "kfold")?;
    let report = purged_kfold(&config, &sweep, &data, &options, &mut |fold| {
        eprintln!(
            "fold {}: chosen {}",
            fold.fold.number,
            fold.chosen.as_deref().unwrap_or("(none)")
        );
    })?;
    finish(
        &output_dir(&args.common, &config, "kfold"),
        &kfold_text(&report),
        &kfold_html(&report),
    )
}

fn cross(args: &CrossSymbolArgs) -> anyhow::Result<ExitCode> {
    let config = load(&args.common)?;
    let others = args
        .others
        .iter()
        .map(|path| {
            let other = BacktestConfig::load(path)?;
            other.validate()?;
            Ok(other)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let sweep = args.sweep.as_deref().map(read_sweep).transpose()?;
    let options = CrossSymbolOptions {
        objective: args.objective.clone(),
        workers: args.common.workers.unwrap_or_else(default_workers).max(1),
        force_priors: args.force_priors,
    };
    let mut printer = Printer::default();
    let report = cross_symbol(&config, &others, sweep.as_ref(), &options, &mut printer)
        .map_err(|error| printer.reason(error))?;
    finish(
        &output_dir(&args.common, &config, "cross-symbol"),
        &cross_symbol_text(&report),
        &cross_symbol_html(&report),
    )
}

fn gates(args: &GatesArgs) -> anyhow::Result<ExitCode> {
    let read = |path: &PathBuf| -> anyhow::Result<BacktestConfig> {
        let mut config = BacktestConfig::load(path)?;
        args.store.apply(&mut config);
        config.validate()?;
        Ok(config)
    };
    let configs = args
        .configs
        .iter()
        .map(read)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let second = args
        .others
        .iter()
        .map(read)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = GateOptions {
        second,
        workers: args.workers.unwrap_or_else(default_workers).max(1),
    };
    let mut printer = Printer::default();
    let report =
        evaluate_gates(&configs, &options, &mut printer).map_err(|error| printer.reason(error))?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| configs[0].run.output_dir.join("gates"));
    let text = gates_text(&report);
    out!("{text}");
    let page = write_report(&dir, &text, &gates_html(&report))?;
    let json = serde_json::to_string_pretty(&gates_json(&report))?;
    std::fs::write(dir.join("report.json"), json + "\n")
        .with_context(|| format!("writing {}", dir.join("report.json").display()))?;
    outln!("report: {}", page.display());
    Ok(ExitCode::SUCCESS)
}
