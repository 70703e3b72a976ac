//! `book verify`: rebuild the L2 book of one continuous capture and compare it with every
//! verifiable best bid/ask of the same capture. Final line: `checks=<N> mismatches=<M> gaps=<G>`.
//! Success needs at least one check and no mismatch or gap: a capture where nothing could be
//! checked (no depth, every line quarantined) verifies nothing and fails.
//!
//! The capture comes from files (read in the given order), or from a store (`--store URL` or
//! `--data-dir DIR` with `--venue`/`--symbol`): the stored depth and quote streams in replay
//! order (SPEC 1.5), streamed, one verifier per instrument.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::outln;
use auction_trader_book::{BookVerifier, SequenceRule, VerifyReport, verify_events};
use auction_trader_data::CollectedEvents;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::store_replay::{ReplaySelection, StoreReplay};
use auction_trader_types::{InstrumentKey, StreamKind};
use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Capture files, read in the given order as one continuous capture.
    #[arg(required_unless_present_any = ["store", "data_dir"], conflicts_with_all = ["store", "data_dir"])]
    pub files: Vec<PathBuf>,
    /// Verify stored data instead: postgres://USER@HOST:PORT/DB (password from PGPASSWORD)
    /// or a data directory.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Verify the data directory's stored data instead of files.
    #[arg(long, conflicts_with = "store")]
    pub data_dir: Option<PathBuf>,
    /// With a store: only this venue.
    #[arg(long)]
    pub venue: Option<String>,
    /// With a store: only this symbol.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Print up to this many mismatch details.
    #[arg(long, default_value_t = 5)]
    pub show_mismatches: usize,
}

/// Totals over instruments.
#[derive(Debug, Default)]
struct Totals {
    checks: u64,
    mismatches: u64,
    gaps: u64,
}

impl Totals {
    fn add(
        &mut self,
        instrument: &InstrumentKey,
        rule: SequenceRule,
        report: &VerifyReport,
        show: usize,
    ) -> anyhow::Result<()> {
        outln!("{instrument} ({rule:?}): {report}");
        for detail in report.first_mismatches.iter().take(show) {
            outln!("  {detail}");
        }
        self.checks += report.checks;
        self.mismatches += report.mismatches;
        self.gaps += report.gaps;
        Ok(())
    }

    fn exit(&self) -> anyhow::Result<ExitCode> {
        outln!(
            "checks={} mismatches={} gaps={}",
            self.checks,
            self.mismatches,
            self.gaps
        );
        if self.checks == 0 {
            eprintln!(
                "error: nothing was verified: the capture needs depth messages and best bid/ask \
                 (bookTicker) messages of the same instrument"
            );
            return Ok(ExitCode::FAILURE);
        }
        Ok(if self.mismatches == 0 && self.gaps == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Verifies the stored depth and quote streams `venue`/`symbol` select, instrument by
/// instrument in catalog order.
fn run_on_store(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(super::default_data_dir);
    let store = super::import::open_store(&data_dir, args.store.as_deref())?;
    let selection = ReplaySelection {
        venue: args.venue.clone(),
        symbol: args.symbol.clone(),
        ..ReplaySelection::default()
    }
    .with_kinds(vec![StreamKind::Depth, StreamKind::Quote]);
    let StoreReplay { merge, streams } = ReplayMerge::from_store(&store, &selection)?;
    let mut instruments: Vec<InstrumentKey> = Vec::new();
    for stream in &streams {
        if !instruments.contains(&stream.instrument) {
            instruments.push(stream.instrument.clone());
        }
    }
    if instruments.is_empty() {
        anyhow::bail!(
            "no stored depth or quote stream matches in {} (see `auction-trader catalog`)",
            store.describe()
        );
    }
    // Stream id -> the verifier of its instrument.
    let owner: Vec<usize> = streams
        .iter()
        .map(|stream| {
            instruments
                .iter()
                .position(|key| key == &stream.instrument)
                .unwrap_or_default()
        })
        .collect();
    let rules: Vec<SequenceRule> = instruments
        .iter()
        .map(|key| SequenceRule::for_venue(&key.venue))
        .collect();
    let mut verifiers: Vec<BookVerifier> = rules
        .iter()
        .map(|rule| BookVerifier::for_rule(*rule))
        .collect();
    for item in merge {
        let replayed = item?;
        verifiers[owner[replayed.stream.0 as usize]].on_event(&replayed.event);
    }
    let mut totals = Totals::default();
    for ((instrument, rule), verifier) in instruments.iter().zip(rules).zip(verifiers) {
        totals.add(instrument, rule, &verifier.finish(), args.show_mismatches)?;
    }
    totals.exit()
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.store.is_some() || args.data_dir.is_some() {
        return run_on_store(args);
    }
    if args.venue.is_some() || args.symbol.is_some() {
        anyhow::bail!("--venue and --symbol select stored data: add --store URL or --data-dir DIR");
    }
    let mut collected = CollectedEvents::new();
    let summary = import_capture_files(&args.files, &CaptureOptions::default(), &mut collected)?;
    if !collected.quarantined.is_empty() {
        eprintln!(
            "{} malformed line(s) quarantined:",
            collected.quarantined.len()
        );
        for row in collected.quarantined.iter().take(5) {
            eprintln!("  {row}");
        }
    }
    let mut totals = Totals::default();
    for (slot, instrument) in collected.instruments_with_slots() {
        let rule = SequenceRule::for_venue(&instrument.venue);
        let report = verify_events(rule, collected.events_of(slot));
        totals.add(instrument, rule, &report, args.show_mismatches)?;
    }
    if summary.events == 0 {
        outln!("checks=0 mismatches=0 gaps=0");
        eprintln!(
            "error: no line of the capture could be imported ({} quarantined)",
            summary.quarantined
        );
        return Ok(ExitCode::FAILURE);
    }
    totals.exit()
}
