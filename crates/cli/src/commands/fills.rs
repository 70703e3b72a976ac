//! `fills compare -c config.yaml [--models a,b,...]`: the fill-model report (SPEC 5). Decodes
//! the configured data once, runs the strategy under each queue model
//! (`auction_trader_backtest::fills_compare`), prints the table and writes
//! `<output_dir>/<run name>-fill-models/` with `fill_models.html`, `fill_models.json` and the
//! effective `config.yaml`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_backtest::fills_compare::{compare_fill_models, models_to_compare};
use auction_trader_backtest::{decode_run_data, open_store, write_file};
use auction_trader_execution::QueueModelKind;
use clap::{Args, Subcommand};

use super::backtest::{CliObserver, load_config};
use super::store_override::StoreOverride;
use crate::output::{Notes, out, outln};
use crate::time_arg::TimeRangeArgs;

#[derive(Debug, Subcommand)]
pub enum FillsCommand {
    /// Run one strategy under each queue model on the same data and compare fill rate, fills,
    /// maker share, net P&L and time to fill (table + HTML in the run output directory).
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run configuration (YAML, SPEC 9).
    #[arg(short, long)]
    pub config: PathBuf,
    /// Queue models, comma-separated (default: every model); `queue_fraction`, the baseline,
    /// always runs first.
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<QueueModelKind>,
    /// Override `run.name` (the output directory is `<output_dir>/<name>-fill-models`).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub store: StoreOverride,
    #[command(flatten)]
    pub range: TimeRangeArgs,
}

pub fn run(command: FillsCommand) -> anyhow::Result<ExitCode> {
    match command {
        FillsCommand::Compare(args) => compare(&args),
    }
}

fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args.config, args.name.as_ref(), &args.store, &args.range)?;
    let notes = Notes::for_json(false);
    let store = open_store(&config)?;
    let mut observer = CliObserver::new(notes);
    let (instrument, events) = decode_run_data(&config, &store, "fills compare", &mut observer)
        .map_err(|error| observer.error(error))?;
    let models = models_to_compare(&args.models);
    notes.line(format_args!(
        "{} events decoded once; {} runs: {}",
        events.len(),
        models.len(),
        models
            .iter()
            .map(|model| model.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let comparison = compare_fill_models(&config, &instrument, &events, &args.models, &mut |_| {})?;
    let dir = config
        .run
        .output_dir
        .join(format!("{}-fill-models", config.run.name));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_file(&dir.join("config.yaml"), config.to_yaml()?.as_bytes())?;
    write_file(
        &dir.join("fill_models.json"),
        serde_json::to_string_pretty(&comparison)?.as_bytes(),
    )?;
    let page = dir.join("fill_models.html");
    write_file(&page, comparison.html_page().as_bytes())?;
    out!("{}", comparison.text_table());
    outln!("report: {}", page.display());
    Ok(ExitCode::SUCCESS)
}
