//! `import`: read files into the data directory's Parquet partitions and catalog, validating on
//! the way (SPEC 1.3: a report, never silent repair; bad rows quarantined with line and reason).
//! Sources are recorded by content (see `auction_trader_storage::sources`): the same bytes
//! again are skipped, a file already stored as part of another job is left out, and a
//! different file under a known name is a new source. A job that fails writes nothing; the
//! other jobs still run, and the exit status says that one failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_data::store::ImportReport;
use auction_trader_data::validate::{ValidatingSink, ValidationReport, ValidationSettings};
use auction_trader_data::{EventSink, InstrumentSlot, QuarantinedRow};
use auction_trader_storage::{ParquetStore, SourceFile, SourceInfo};
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
    /// The source's display name (the paths as given).
    pub source: String,
    pub report: ImportReport,
    /// `None` when the job was skipped.
    pub validation: Option<ValidationReport>,
    /// The importer's warnings (inferred venue, unsupported messages skipped, ...).
    pub warnings: Vec<String>,
    /// What the catalog already held: files left out, sources replaced.
    pub notes: Vec<String>,
    /// Nothing new to import: the job's content is already stored.
    pub skipped: bool,
}

/// Forwards everything to the storage writer, keeps the importer's warnings to show them,
/// and names each quarantined line's file by the path the user gave.
struct WarningTap<'a> {
    inner: &'a mut dyn EventSink,
    warnings: Vec<String>,
    files: &'a [PathBuf],
}

impl EventSink for WarningTap<'_> {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        self.inner.instrument(key)
    }

    fn event(&mut self, instrument: InstrumentSlot, event: MarketEvent) {
        self.inner.event(instrument, event);
    }

    fn quarantine(&mut self, mut row: QuarantinedRow) {
        row.source = path_of_input(&row.source, self.files);
        self.inner.quarantine(row);
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(message.clone());
        self.inner.warn(message);
    }
}

/// Importers name an input by its file name (`trades.csv`, `x.zip/member.csv`); the catalog
/// keeps the path as given when exactly one file of the job has that name.
fn path_of_input(input: &str, files: &[PathBuf]) -> String {
    let (name, member) = match input.split_once('/') {
        Some((name, member)) => (name, Some(member)),
        None => (input, None),
    };
    let mut matches = files
        .iter()
        .filter(|path| path.file_name().is_some_and(|file| file == name));
    match (matches.next(), matches.next()) {
        (Some(path), None) => match member {
            Some(member) => format!("{}/{member}", path.display()),
            None => path.display().to_string(),
        },
        _ => input.to_owned(),
    }
}

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let options = args.input.options()?;
    let jobs = args.input.jobs()?;
    let store = ParquetStore::open(&args.data_dir)
        .with_context(|| format!("opening data directory {}", args.data_dir.display()))?;
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

/// Imports one job atomically: everything commits, or nothing is visible.
pub fn import_job(
    store: &ParquetStore,
    job: &ImportJob,
    options: &auction_trader_data::import::format::ImportOptions,
) -> anyhow::Result<JobOutcome> {
    let files = job
        .files
        .iter()
        .map(|path| SourceFile::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = store.plan_import(&files)?;
    let mut notes: Vec<String> = plan
        .already_stored
        .iter()
        .map(|(file, source)| {
            format!(
                "{} is already stored as part of {source}: left out",
                file.path
            )
        })
        .collect();
    notes.extend(
        plan.supersedes
            .iter()
            .map(|source| format!("replaces {source} (all its files are in this job)")),
    );
    let info = SourceInfo::of_files(plan.files.clone());
    if let Some(same) = &plan.same_content {
        notes.push(format!("same content as the stored source {same}: skipped"));
    }
    if plan.files.is_empty() || plan.same_content.is_some() {
        return Ok(JobOutcome {
            source: SourceInfo::of_files(files).name,
            report: ImportReport::default(),
            validation: None,
            warnings: Vec::new(),
            notes,
            skipped: true,
        });
    }
    let job = ImportJob {
        format: job.format,
        files: plan
            .files
            .iter()
            .map(|file| PathBuf::from(&file.path))
            .collect(),
    };
    let source = info.name.clone();
    let mut writer = store.begin_source_import(info)?;
    let mut tap = WarningTap {
        inner: &mut writer,
        warnings: Vec::new(),
        files: &job.files,
    };
    let mut validating = ValidatingSink::new(&mut tap, ValidationSettings::default());
    let result = import_job_into(&job, options, &mut validating);
    let validation = validating.finish();
    let warnings = tap.warnings;
    match result {
        Ok(summary) => {
            let report = writer.commit_import(summary)?;
            Ok(JobOutcome {
                source,
                report,
                validation: Some(validation),
                warnings,
                notes,
                skipped: false,
            })
        }
        Err(error) => {
            writer.discard();
            Err(error.context(format!("importing {source} (nothing was written)")))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantined_lines_name_the_path_given() {
        let files = [PathBuf::from("a/trades.csv"), PathBuf::from("b/x.zip")];
        assert_eq!(path_of_input("trades.csv", &files), "a/trades.csv");
        assert_eq!(path_of_input("x.zip/in.csv", &files), "b/x.zip/in.csv");
        assert_eq!(path_of_input("other.csv", &files), "other.csv");
        let twins = [PathBuf::from("a/t.csv"), PathBuf::from("b/t.csv")];
        assert_eq!(path_of_input("t.csv", &twins), "t.csv");
    }
}
