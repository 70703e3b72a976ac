//! `catalog`: what the data directory holds, from the SQLite catalog.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::outln;
use auction_trader_data::store::PartitionFilter;
use clap::Args;

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// The data directory.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// List a PostgreSQL store instead: postgres://USER@HOST:PORT/DB (the password from
    /// the PGPASSWORD environment variable); the data directory is then not used.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Also list every partition (one line per venue/symbol/kind/date).
    #[arg(long)]
    pub partitions: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    if args.store.is_none() && !args.data_dir.exists() {
        anyhow::bail!(
            "{} does not exist: import something first (auction-trader import <files>)",
            args.data_dir.display()
        );
    }
    let store = super::import::open_store(&args.data_dir, args.store.as_deref())?;
    let sources = store.sources()?;
    let partitions = store.list_partitions(&PartitionFilter::default())?;
    if args.json {
        let document = serde_json::json!({ "sources": sources, "partitions": partitions });
        outln!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", store.describe());
    outln!("{} source(s):", sources.len());
    for source in &sources {
        // The key names a source by content; its first characters tell same-named ones apart.
        let key: String = source
            .info
            .key
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        outln!(
            "  {:<60} {key:<12} {:>10} rows {:>4} partitions {:>6} quarantined",
            source.info.name,
            source.rows_written,
            source.partitions,
            source.summary.quarantined
        );
    }
    // One line per instrument and kind, summing its dates.
    outln!("streams:");
    let mut index = 0;
    while index < partitions.len() {
        let first = &partitions[index];
        let mut rows = 0;
        let mut days = 0;
        let mut last = first;
        while index < partitions.len()
            && partitions[index].instrument == first.instrument
            && partitions[index].kind == first.kind
        {
            rows += partitions[index].rows;
            days += 1;
            last = &partitions[index];
            index += 1;
        }
        outln!(
            "  {:<40} {:<12} {:>10} rows {:>3} day(s)  {} -> {}",
            first.instrument.to_string(),
            first.kind.as_str(),
            rows,
            days,
            first.first_ts_recv,
            last.last_ts_recv
        );
    }
    if args.partitions {
        outln!("partitions:");
        for partition in &partitions {
            outln!(
                "  {} {} {} rows={} files={}",
                partition.instrument,
                partition.kind.as_str(),
                partition.date,
                partition.rows,
                partition.files
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
