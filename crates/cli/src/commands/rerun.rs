//! `rerun <run dir | manifest.json> [--out DIR] [--data-dir DIR]`: re-make a backtest run
//! from its manifest (SPEC 6) and check that every output file is byte-identical to the
//! original's, by the backtest crate's rerun module. Exit 0 when identical; an error (exit
//! 2) naming the partition, the edited manifest or the first differing file otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use auction_trader_backtest::RunObserver;
use auction_trader_backtest::rerun::{RerunRequest, rerun};
use clap::Args;

use super::backtest::CliObserver;
use crate::output::{Notes, outln};

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// A run directory written by `backtest`, or its manifest.json.
    pub source: PathBuf,
    /// The new run directory (default: `<run dir>-rerun` beside the original).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read the input partitions from this data directory instead of the config's
    /// `data.dir` (the re-made config keeps the original value).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

pub fn run(args: &RerunArgs) -> anyhow::Result<ExitCode> {
    let mut observer = CliObserver::new(Notes::Stdout);
    let outcome = rerun(
        &RerunRequest {
            source: args.source.clone(),
            data_dir: args.data_dir.clone(),
            out: args.out.clone(),
        },
        &mut observer,
    );
    observer.replay_finished();
    let outcome = outcome.map_err(|error| observer.error(error))?;
    outln!(
        "{} input partitions match the manifest; {} files byte-identical to {}: {}",
        outcome.inputs_checked,
        outcome.files_identical.len(),
        outcome.original.display(),
        outcome.files_identical.join(", ")
    );
    outln!("rerun: {}", outcome.rerun.display());
    Ok(ExitCode::SUCCESS)
}
