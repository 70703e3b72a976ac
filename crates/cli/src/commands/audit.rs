//! `audit lookahead -c config.yaml [--cuts N] [--seed S]`: the SPEC 6 look-ahead audit
//! (`auction_trader_backtest::lookahead`). Decodes the configured data once, runs the
//! strategy on all of it and on the data truncated at N seeded cut points, prints one line per
//! cut and exits 0 only when every decision before every cut is identical (1 otherwise).

use std::path::PathBuf;
use std::process::ExitCode;

use auction_trader_backtest::lookahead::audit_config;
use auction_trader_backtest::{decode_run_data, open_store};
use clap::{Args, Subcommand};

use super::backtest::{CliObserver, load_config};
use super::store_override::StoreOverride;
use crate::output::{Notes, outln};
use crate::time_arg::TimeRangeArgs;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-run the configured strategy on its data truncated at random points and check that
    /// every decision (signal, order, fill) before each cut is the full run's; exit 1 if not.
    Lookahead(LookaheadArgs),
}

#[derive(Debug, Args)]
pub struct LookaheadArgs {
    /// The run configuration (YAML, SPEC 9).
    #[arg(short, long)]
    pub config: PathBuf,
    /// Number of cut points.
    #[arg(long, default_value_t = 5)]
    pub cuts: usize,
    /// Seed of the cut points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub store: StoreOverride,
    #[command(flatten)]
    pub range: TimeRangeArgs,
}

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Lookahead(args) => lookahead(&args),
    }
}

fn lookahead(args: &LookaheadArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.cuts > 0, "--cuts: at least one cut point");
    let config = load_config(&args.config, None, &args.store, &args.range)?;
    let notes = Notes::for_json(false);
    let store = open_store(&config)?;
    let mut observer = CliObserver::new(notes);
    let (instrument, events) = decode_run_data(&config, &store, "audit lookahead", &mut observer)
        .map_err(|error| observer.error(error))?;
    let audit = audit_config(&config, &instrument, &events, args.cuts, args.seed)?;
    for (index, cut) in audit.cuts.iter().enumerate() {
        let verdict = match &cut.difference {
            None => format!("{} decisions identical", cut.decisions),
            Some(difference) => format!("DIFFERS: {difference}"),
        };
        outln!(
            "cut {}/{}: first {} of {} events (to {}): {verdict}",
            index + 1,
            audit.cuts.len(),
            cut.events,
            events.len(),
            cut.cut
        );
    }
    let compared: usize = audit.cuts.iter().map(|cut| cut.decisions).sum();
    if audit.passed() {
        outln!(
            "lookahead audit passed: {} cuts, {compared} decisions compared, {} in the full run",
            audit.cuts.len(),
            audit.full_decisions
        );
        Ok(ExitCode::SUCCESS)
    } else {
        outln!(
            "lookahead audit FAILED: {} of {} cuts differ",
            audit
                .cuts
                .iter()
                .filter(|cut| cut.difference.is_some())
                .count(),
            audit.cuts.len()
        );
        Ok(ExitCode::FAILURE)
    }
}
