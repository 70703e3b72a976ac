//! `import`: read files into the data directory's Parquet partitions and catalog, validating on
//! the way (SPEC 1.3: a report, never silent repair; bad rows quarantined with line and reason).
//! Sources are recorded by content (see `auction_trader_storage::sources`): the same bytes
//! again are skipped, a file already stored as part of another job is left out, and a
//! different file under a known name is a new source. A job that fails writes nothing; the
//! other jobs still run, and the exit status says that one failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::validate::ValidationReport;
use auction_trader_storage::{ImportJob, JobOutcome, import_job};
use auction_trader_store_postgres::StoreBackend;
use clap::Args;

use super::inputs::InputArgs;
use crate::output::{out, outln};
use crate::progress;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The data directory (created when missing).
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Store the data in PostgreSQL instead: postgres://USER@HOST:PORT/DB (the password from
    /// the PGPASSWORD environment variable); the data directory is then not used.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Print each job's full validation report (a one-line summary otherwise).
    #[arg(long)]
    pub report: bool,
}

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let options = args.input.options()?;
    let jobs = args.input.jobs()?;
    let store = open_store(&args.data_dir, args.store.as_deref())?;
    let bar = progress::items_bar(jobs.len() as u64, "importing");
    let mut failed = 0;
    for job in &jobs {
        bar.set_prefix(job.source_name());
        match import_job(&store, job, &options) {
            Ok(outcome) => bar.suspend(|| print_outcome(job, &outcome, args.report))?,
            // One bad job does not stop the others (each is atomic on its own).
            Err(error) => {
                failed += 1;
                bar.suspend(|| eprintln!("error: {error:#}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} import job(s) failed (nothing of those was written)",
            jobs.len()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// The store of `--store` (a PostgreSQL URL or a directory), else the data directory.
pub(crate) fn open_store(data_dir: &Path, store: Option<&str>) -> anyhow::Result<StoreBackend> {
    // The store's own errors name a URL without its password; never echo the raw value.
    StoreBackend::open(data_dir, store).with_context(|| match store {
        Some(_) => "opening the store".to_owned(),
        None => format!("opening data directory {}", data_dir.display()),
    })
}

fn print_outcome(job: &ImportJob, outcome: &JobOutcome, full_report: bool) -> anyhow::Result<()> {
    if outcome.skipped {
        outln!("{} [{}]: nothing new", outcome.source, job.format.name());
        for note in &outcome.notes {
            outln!("  note: {note}");
        }
        return Ok(());
    }
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
        outcome
            .validation
            .as_ref()
            .map_or(0, ValidationReport::issues_count)
    );
    for note in &outcome.notes {
        outln!("  note: {note}");
    }
    for warning in outcome.warnings.iter().take(5) {
        outln!("  warning: {warning}");
    }
    if outcome.warnings.len() > 5 {
        outln!("  ... and {} more warning(s)", outcome.warnings.len() - 5);
    }
    if summary.quarantined > 0 {
        outln!(
            "  {} quarantined row(s): auction-trader quarantine --source {}",
            summary.quarantined,
            shell_word(&outcome.source, job.files.first().map(PathBuf::as_path))
        );
    }
    if summary.events == 0 {
        outln!(
            "  warning: nothing was imported from {} (see the warnings above)",
            outcome.source
        );
    }
    if full_report && let Some(validation) = &outcome.validation {
        out!("{validation}");
    }
    Ok(())
}

/// A selector for `quarantine --source` that a shell passes through unchanged: the first
/// file's path when it needs no quoting, else the source name in single quotes.
fn shell_word(source: &str, first: Option<&Path>) -> String {
    let plain = |text: &str| {
        text.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-/+:=@%".contains(&byte))
    };
    match first.map(|path| path.display().to_string()) {
        Some(path) if plain(&path) && !source.contains("..") => path,
        _ if plain(source) => source.to_owned(),
        _ => format!("'{}'", source.replace('\'', "'\\''")),
    }
}
