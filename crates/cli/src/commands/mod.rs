//! One file per subcommand. Each `run` returns the process exit code.

mod audit;
mod backtest;
mod bench;
mod bench_backtest;
mod book_verify;
mod catalog;
mod control;
mod demo;
mod download;
mod features;
mod features_matrix;
mod fills;
mod grid;
mod import;
mod inputs;
mod live_run;
mod mock_exchange;
mod model;
mod quarantine;
mod replay;
mod rerun;
mod research;
mod run_output;
mod serve;
mod store_override;
mod validate;
mod validate_strategy;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import market-data files into the data directory (Parquet partitions + SQLite catalog).
    Import(import::ImportArgs),
    /// Validate market-data files (SPEC 1.3) and print the report; non-zero exit only with --strict.
    Validate(validate::ValidateArgs),
    /// List what the data directory holds.
    Catalog(catalog::CatalogArgs),
    /// List the rows imports quarantined (file, line, reason).
    Quarantine(quarantine::QuarantineArgs),
    /// Replay stored streams in deterministic time order.
    Replay(replay::ReplayArgs),
    /// Order-book tools.
    #[command(subcommand)]
    Book(BookCommand),
    /// Download venue public-archive files (Binance public data, Bybit public dumps).
    Download(download::DownloadArgs),
    /// Throughput benchmarks that print their figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Feature research tools (volume profile, trade-side inference accuracy, export).
    #[command(subcommand)]
    Features(features::FeaturesCommand),
    /// Run a backtest from a YAML config (SPEC 6, 9); writes a run directory with the report.
    Backtest(backtest::BacktestArgs),
    /// Fill-model tools (SPEC 5): the same strategy under each queue model, side by side.
    #[command(subcommand)]
    Fills(fills::FillsCommand),
    /// Grid and random search over any config key (SPEC 6), results in grid.db.
    #[command(subcommand)]
    Grid(grid::GridCommand),
    /// Validate a strategy (SPEC 6): cost sensitivity, walk-forward, purged k-fold,
    /// cross-symbol, volatility regimes; text and HTML reports with the SPEC 6 gates.
    #[command(subcommand)]
    ValidateStrategy(validate_strategy::ValidateStrategyCommand),
    /// Audits of a strategy (SPEC 6): `audit lookahead` re-runs it on truncated data.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Re-make a backtest run from its manifest.json (same config, same input partitions,
    /// same program) and check every output file is byte-identical to the original's.
    Rerun(rerun::RerunArgs),
    /// Re-render a run's HTML report and metrics from its execution.db (or export its rows).
    Report(run_output::ReportArgs),
    /// Research reports of a finished run (SPEC 6).
    #[command(subcommand)]
    Research(research::ResearchCommand),
    /// Backtest the auction strategy (and, on the shared data set, the liquidity-drain
    /// strategy with its research summary) with the default configuration on real data (the
    /// shared data set, or else one day downloaded from Binance's public archive): imports the
    /// data, runs the backtests and prints each run's summary and HTML report path.
    Demo(demo::DemoArgs),
    /// The dashboard (SPEC 8): a local web page and JSON API over the stored runs and grid
    /// results, on 127.0.0.1 by default.
    Serve(serve::ServeArgs),
    /// A local exchange on 127.0.0.1 replaying Binance USD-M captures over the Binance USD-M or
    /// Bybit v5 protocol (REST + WebSocket on one port), filling orders with the backtest's fill
    /// model, with fault injection under /mock/...; exits when the replay ends.
    MockExchange(mock_exchange::MockExchangeArgs),
    /// A live session (SPEC 7): dry-run, paper, shadow or live mode on the one engine, fed by
    /// a venue or a replay of recorded files; starts in observe mode (see `control`).
    Run(live_run::RunArgs),
    /// Trading control of a session's data directory: enable, disable, status.
    Control(control::ControlArgs),
    /// Gradient-boosted trees on a feature matrix (SPEC 3.3): train, evaluate, explain.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

#[derive(Debug, Subcommand)]
pub enum BookCommand {
    /// Rebuild the book from one continuous capture (one or more files in order) and compare it
    /// with every verifiable best bid/ask of the same capture.
    Verify(book_verify::VerifyArgs),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Import(args) => import::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Catalog(args) => catalog::run(&args),
        Command::Quarantine(args) => quarantine::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Book(BookCommand::Verify(args)) => book_verify::run(&args),
        Command::Download(args) => download::run(&args),
        Command::Bench(command) => bench::run(command),
        Command::Backtest(args) => backtest::run(&args),
        Command::Fills(command) => fills::run(command),
        Command::Audit(command) => audit::run(command),
        Command::Report(args) => run_output::run_report(&args),
        Command::Rerun(args) => rerun::run(&args),
        Command::Grid(command) => grid::run(command),
        Command::ValidateStrategy(command) => validate_strategy::run(command),
        Command::Features(command) => features::run(command),
        Command::Research(command) => research::run(command),
        Command::Demo(args) => demo::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::MockExchange(args) => mock_exchange::run(&args),
        Command::Run(args) => live_run::run(&args),
        Command::Control(args) => control::run(&args),
        Command::Model(command) => model::run(command),
    }
}

/// The default data directory: `./data` (SPEC 1.4: one directory holds everything).
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
