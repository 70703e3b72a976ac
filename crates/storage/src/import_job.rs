//! Import jobs: files grouped by format (consecutive files of one format are one job: a
//! multi-file capture of the same instruments is one continuous capture; several bitFlyer
//! days are de-duplicated across files), run into any [`EventSink`] or committed atomically
//! into the store. Sources are recorded by content (see [`crate::sources`]): the same bytes
//! again are skipped, a file already stored as part of another job is left out, and a
//! different file under a known name is a new source.

use std::path::PathBuf;

use auction_trader_data::import::format::{self, ImportFormat, ImportOptions, import_paths};
use auction_trader_data::store::ImportReport;
use auction_trader_data::validate::{ValidatingSink, ValidationReport, ValidationSettings};
use auction_trader_data::{DataError, EventSink, ImportSummary, InstrumentSlot, QuarantinedRow};
use auction_trader_types::{InstrumentKey, MarketEvent};

use crate::foreign::import_parquet_file;
use crate::{ImportPlan, ParquetImport, ParquetStore, SourceFile, SourceInfo, StorageError};

/// One import job: files of one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub format: ImportFormat,
    pub files: Vec<PathBuf>,
}

impl ImportJob {
    /// Stable display name of the job's files: the same files in the same order give the
    /// same name.
    pub fn source_name(&self) -> String {
        let names: Vec<String> = self
            .files
            .iter()
            .map(|path| {
                path.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string())
            })
            .collect();
        match names.as_slice() {
            [] => String::new(),
            [only] => only.clone(),
            [first, .., last] => format!("{first}..{last} ({} files)", names.len()),
        }
    }

    /// Runs the job's importer into `sink` (Parquet inputs go through the foreign readers).
    pub fn import_into(
        &self,
        options: &ImportOptions,
        sink: &mut dyn EventSink,
    ) -> Result<ImportSummary, DataError> {
        match self.format {
            ImportFormat::Parquet => {
                let mut total = ImportSummary::default();
                for path in &self.files {
                    total.add(&import_parquet_file(path, options, sink)?);
                }
                Ok(total)
            }
            format => import_paths(format, &self.files, options, sink),
        }
    }
}

/// Groups `files` into jobs: each file's format is `forced` or detected, and consecutive
/// files of one format form one job (captures only when they record the same instruments).
pub fn plan_jobs(
    files: &[PathBuf],
    forced: Option<ImportFormat>,
    options: &ImportOptions,
) -> Result<Vec<ImportJob>, DataError> {
    let mut jobs: Vec<ImportJob> = Vec::new();
    for path in files {
        if !path.exists() {
            return Err(DataError::InvalidInput {
                path: path.clone(),
                message: "no such file".to_owned(),
            });
        }
        let detected = match forced {
            Some(format) => format,
            None => format::detect(path)?,
        };
        let continues = match jobs.last() {
            Some(job) if job.format == detected => match job.files.last() {
                Some(previous) => format::continues_job(detected, previous, path, options)?,
                None => true,
            },
            _ => false,
        };
        match jobs.last_mut() {
            Some(job) if continues => job.files.push(path.clone()),
            _ => jobs.push(ImportJob {
                format: detected,
                files: vec![path.clone()],
            }),
        }
    }
    Ok(jobs)
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

/// A store that records imports by source content (both backends: the embedded store and
/// the PostgreSQL one), so one job flow serves both.
pub trait SourceStore {
    /// Which of a job's files to import given the sources already stored.
    fn plan_import(&self, files: &[SourceFile]) -> Result<ImportPlan, StorageError>;
    /// Starts an atomic import recorded under `source`.
    fn begin_source(&self, source: SourceInfo) -> Result<Box<dyn SourceImport + '_>, StorageError>;
}

/// One import in progress: everything commits, or nothing is visible.
pub trait SourceImport: EventSink {
    fn commit_source(self: Box<Self>, summary: ImportSummary)
    -> Result<ImportReport, StorageError>;
    fn discard_source(self: Box<Self>);
}

impl SourceStore for ParquetStore {
    fn plan_import(&self, files: &[SourceFile]) -> Result<ImportPlan, StorageError> {
        ParquetStore::plan_import(self, files)
    }

    fn begin_source(&self, source: SourceInfo) -> Result<Box<dyn SourceImport + '_>, StorageError> {
        Ok(Box::new(self.begin_source_import(source)?))
    }
}

impl SourceImport for ParquetImport<'_> {
    fn commit_source(
        self: Box<Self>,
        summary: ImportSummary,
    ) -> Result<ImportReport, StorageError> {
        self.commit_import(summary)
    }

    fn discard_source(mut self: Box<Self>) {
        self.discard();
    }
}

impl ParquetStore {
    /// Imports one job atomically, validating on the way (see [`import_job`]).
    pub fn import_job(
        &self,
        job: &ImportJob,
        options: &ImportOptions,
    ) -> Result<JobOutcome, StorageError> {
        import_job(self, job, options)
    }
}

/// Imports one job into `store` atomically, validating on the way (SPEC 1.3): everything
/// commits, or nothing is visible.
pub fn import_job(
    store: &dyn SourceStore,
    job: &ImportJob,
    options: &ImportOptions,
) -> Result<JobOutcome, StorageError> {
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
    let mut writer = store.begin_source(info)?;
    let mut tap = WarningTap {
        inner: &mut *writer,
        warnings: Vec::new(),
        files: &job.files,
    };
    let mut validating = ValidatingSink::new(&mut tap, ValidationSettings::default());
    let result = job.import_into(options, &mut validating);
    let validation = validating.finish();
    let warnings = tap.warnings;
    match result {
        Ok(summary) => {
            let report = writer.commit_source(summary)?;
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
            writer.discard_source();
            Err(StorageError::ImportFailed {
                source_name: source,
                message: format!("{error} (nothing was written)"),
            })
        }
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

    #[test]
    fn source_names_are_compact_and_stable() {
        let job = |files: &[&str]| ImportJob {
            format: ImportFormat::Parquet,
            files: files.iter().map(PathBuf::from).collect(),
        };
        assert_eq!(job(&["d/a.csv"]).source_name(), "a.csv");
        assert_eq!(
            job(&["d/a.csv", "d/b.csv", "e/c.csv"]).source_name(),
            "a.csv..c.csv (3 files)"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = plan_jobs(
            &[PathBuf::from("/no/such/file.csv")],
            None,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("/no/such/file.csv: no such file")
        );
    }
}
