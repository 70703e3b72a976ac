//! `import`: read files into the data directory's Parquet partitions and catalog, validating on
//! the way (SPEC 1.3: a report, never silent repair; bad rows quarantined with line and reason).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::store::{ImportReport, TickStore};
use auction_trader_data::validate::{ValidatingSink, ValidationReport, ValidationSettings};
use auction_trader_data::{EventSink, InstrumentSlot, QuarantinedRow};
use auction_trader_storage::ParquetStore;
use auction_trader_types::{InstrumentKey, MarketEvent};
use clap::Args;

use super::inputs::{ImportJob, InputArgs};
use super::validate::import_job_into;
use crate::output::{out, outln};
use crate::progress;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The data directory (created when missing).
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Print each job's full validation report (a one-line summary otherwise).
    #[arg(long)]
    pub report: bool,
}

/// What one import job did.
#[derive(Debug)]
pub struct JobOutcome {
    pub source: String,
    pub report: ImportReport,
    pub validation: ValidationReport,
    /// The importer's warnings (inferred venue, unsupported messages skipped, ...).
    pub warnings: Vec<String>,
}

/// Forwards everything to the storage writer and keeps the importer's warnings to show them.
struct WarningTap<'a> {
    inner: &'a mut dyn EventSink,
    warnings: Vec<String>,
}

impl EventSink for WarningTap<'_> {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        self.inner.instrument(key)
    }

    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        self.inner.event(instrument, event);
    }

    fn quarantine(&mut self, row: QuarantinedRow) {
        self.inner.quarantine(row);
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message.clone());
        self.inner.warn(message);
    }
}

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let options = args.input.options()?;
    let jobs = args.input.jobs()?;
    let store = ParquetStore::open(&args.data_dir)
        .with_context(|| format!("opening data directory {}", args.data_dir.display()))?;
    let bar = progress::items_bar(jobs.len() as u64, "importing");
    for job in &jobs {
        bar.set_prefix(job.source_name());
        let outcome = import_job(&store, job, &options)?;
        bar.suspend(|| print_outcome(job, &outcome, args.report))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(ExitCode::SUCCESS)
}

/// Imports one job atomically: everything commits, or nothing is visible.
pub fn import_job(
    store: &ParquetStore,
    job: &ImportJob,
    options: &auction_trader_data::import::format::ImportOptions,
) -> anyhow::Result<JobOutcome> {
    let source = job.source_name();
    let mut writer = store.begin_import(&source)?;
    let mut tap = WarningTap {
        inner: &mut *writer,
        warnings: Vec::new(),
    };
    let mut validating = ValidatingSink::new(&mut tap, ValidationSettings::default());
    let result = import_job_into(job, options, &mut validating);
    let validation = validating.finish();
    let warnings = tap.warnings;
    match result {
        Ok(summary) => {
            let report = writer.commit(summary)?;
            Ok(JobOutcome {
                source,
                report,
                validation,
                warnings,
            })
        }
        Err(error) => {
            writer.abort();
            Err(error.context(format!("importing {source} (nothing was written)")))
        }
    }
}

fn print_outcome(job: &ImportJob, outcome: &JobOutcome, full_report: bool) -> anyhow::Result<()> {
    let summary = &outcome.report.summary;
    outln!(
        "{} [{}]: {} records, {} events, {} quarantined -> {} rows in {} partition(s); {} validation issue(s)",
        outcome.source,
        job.format.name(),
        summary.records_read,
        summary.events,
        summary.quarantined,
        outcome.report.rows_written,
        outcome.report.partitions_written,
        outcome.validation.issues_count()
    );
    for warning in outcome.warnings.iter().take(5) {
        outln!("  warning: {warning}");
    }
    if outcome.warnings.len() > 5 {
        outln!("  ... and {} more warning(s)", outcome.warnings.len() - 5);
    }
    if summary.events == 0 {
        outln!(
            "  warning: nothing was imported from {} (see the warnings above)",
            outcome.source
        );
    }
    if full_report {
        out!("{}", outcome.validation);
    }
    Ok(())
}
