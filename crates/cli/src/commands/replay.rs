//! `replay --stats`: deterministic time-ordered merge of stored streams (SPEC 1.5), with
//! per-stream counts, throughput and a digest of the replayed sequence (two replays of the
//! same data print the same digest; `--dump` writes the sequence itself).
#![allow(clippy::disallowed_methods)] // throughput figure only: the replay itself never reads a clock

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::{ReplaySelection, StoreReplay};
use auction_trader_types::{StreamKind, UnixNanos, fnv1a_64};
use clap::Args;

use crate::output::outln;
use crate::time_arg::TimeRangeArgs;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The data directory.
    #[arg(long, default_value_os_t = super::default_data_dir())]
    pub data_dir: PathBuf,
    /// Read from PostgreSQL instead: postgres://USER@HOST:PORT/DB (the password from
    /// the PGPASSWORD environment variable); the data directory is then not used.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Print per-stream statistics (the default output).
    #[arg(long)]
    pub stats: bool,
    /// Only this venue.
    #[arg(long)]
    pub venue: Option<String>,
    /// Only this symbol.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Only this stream kind (depth, quotes, trades, liquidations, funding, bars).
    #[arg(long)]
    pub kind: Option<String>,
    #[command(flatten)]
    pub range: TimeRangeArgs,
    /// Write every replayed event, one line each, to this file.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

#[derive(Debug, Default)]
struct StreamStats {
    events: u64,
    first: Option<UnixNanos>,
    last: Option<UnixNanos>,
}

pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let store = super::import::open_store(&args.data_dir, args.store.as_deref())?;
    let kind = match &args.kind {
        Some(name) => Some(
            StreamKind::parse(name)
                .ok_or_else(|| anyhow::anyhow!("unknown stream kind {name:?}"))?,
        ),
        None => None,
    };
    let (from, to) = args.range.bounds()?;
    let selection = ReplaySelection {
        venue: args.venue.clone(),
        symbol: args.symbol.clone(),
        kinds: kind.into_iter().collect(),
        ..ReplaySelection::default()
    }
    .with_range(from, to);
    let StoreReplay { mut merge, streams } = ReplayMerge::from_store(&store, &selection)?;
    if streams.is_empty() {
        anyhow::bail!("no stored stream matches (see `auction-trader catalog`)");
    }
    let mut dump = match &args.dump {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };
    let mut stats: Vec<StreamStats> = streams.iter().map(|_| StreamStats::default()).collect();
    let mut digest_input = Vec::with_capacity(128);
    let mut digest: u64 = 0;
    let start = Instant::now();
    for item in &mut merge {
        let replayed = item?;
        let entry = &mut stats[replayed.stream.0 as usize];
        let ts = replayed.event.ts_recv();
        entry.events += 1;
        entry.first.get_or_insert(ts);
        entry.last = Some(ts);
        digest_input.clear();
        write!(digest_input, "{} {:?}", replayed.stream.0, replayed.event)?;
        digest = digest.rotate_left(5) ^ fnv1a_64(&digest_input);
        if let Some(writer) = dump.as_mut() {
            writer.write_all(&digest_input)?;
            writer.write_all(b"\n")?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(writer) = dump.as_mut() {
        writer.flush()?;
    }
    let counters = merge.counters().clone();
    outln!(
        "{:<40} {:<12} {:>10}  first -> last (ts_recv)",
        "instrument",
        "stream",
        "events"
    );
    for (stream, entry) in streams.iter().zip(&stats) {
        outln!(
            "{:<40} {:<12} {:>10}  {} -> {}",
            stream.instrument.to_string(),
            stream.kind.as_str(),
            entry.events,
            entry.first.map(|ts| ts.to_string()).unwrap_or_default(),
            entry.last.map(|ts| ts.to_string()).unwrap_or_default()
        );
    }
    outln!(
        "streams={} events={} out_of_order={} digest={digest:016x} seconds={seconds:.3} events_per_sec={:.0}",
        streams.len(),
        counters.events,
        counters.out_of_order,
        counters.events as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
