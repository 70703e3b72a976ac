//! `quarantine`: the rows imports set aside (SPEC 1.3: "bad rows are quarantined with the
//! reason and line number"), from the catalog: file, line, reason and the row's text.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use auction_trader_storage::ParquetStore;
use clap::Args;

use crate::output::outln;

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Only this source: a path or file name as imported, a source name as `catalog` lists
    /// it, or a source key (or its first 8+ characters).
    #[arg(long)]
    pub source: Option<String>,
    /// The data directory.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Print as JSON (one array of rows).
    #[arg(long)]
    pub json: bool,
}

/// Characters of a row's text shown in the table (the catalog keeps up to 256 bytes).
const CONTENT_CHARS: usize = 80;

pub fn run(args: &QuarantineArgs) -> anyhow::Result<ExitCode> {
    if !args.data_dir.exists() {
        anyhow::bail!(
            "{} does not exist: import something first (auction-trader import <files>)",
            args.data_dir.display()
        );
    }
    let store = ParquetStore::open(&args.data_dir)
        .with_context(|| format!("opening {}", args.data_dir.display()))?;
    let rows = store.quarantine_rows(args.source.as_deref())?;
    if let Some(selector) = &args.source
        && rows.is_empty()
    {
        let known = store.sources()?.into_iter().any(|source| {
            source.info.key.starts_with(selector.as_str())
                || source.info.name == *selector
                || source.info.files.iter().any(|file| file.path == *selector)
        });
        if !known {
            anyhow::bail!("no imported source matches {selector:?} (see `auction-trader catalog`)");
        }
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!("no quarantined rows");
        return Ok(ExitCode::SUCCESS);
    }
    let mut current: Option<&str> = None;
    for row in &rows {
        if current != Some(row.source_key.as_str()) {
            current = Some(row.source_key.as_str());
            let count = rows
                .iter()
                .filter(|other| other.source_key == row.source_key)
                .count();
            outln!("{} ({count} row(s)):", row.source_name);
        }
        let content: String = row.content.chars().take(CONTENT_CHARS).collect();
        let ellipsis = if row.content.chars().count() > CONTENT_CHARS {
            "…"
        } else {
            ""
        };
        outln!(
            "  {}:{}: {}\n      {content}{ellipsis}",
            row.file,
            row.line,
            row.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}
