//! `book verify`: rebuild the L2 book of one continuous capture and compare it with every
//! verifiable best bid/ask of the same capture. Final line: `checks=<N> mismatches=<M> gaps=<G>`.
//! Success needs at least one check and no mismatch or gap: a capture where nothing could be
//! checked (no depth, every line quarantined) verifies nothing and fails.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::output::outln;
use auction_trader_book::{SequenceRule, verify_events};
use auction_trader_data::CollectedEvents;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_files};
use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Capture files, read in the given order as one continuous capture.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print up to this many mismatch details.
    #[arg(long, default_value_t = 5)]
    pub show_mismatches: usize,
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
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
    let mut total_checks = 0;
    let mut total_mismatches = 0;
    let mut total_gaps = 0;
    for (slot, instrument) in collected.instruments_with_slots() {
        let events = collected.events_of(slot);
        let rule = SequenceRule::for_venue(&instrument.venue);
        let report = verify_events(rule, events);
        outln!("{instrument} ({rule:?}): {report}");
        for detail in report.first_mismatches.iter().take(args.show_mismatches) {
            outln!("  {detail}");
        }
        total_checks += report.checks;
        total_mismatches += report.mismatches;
        total_gaps += report.gaps;
    }
    outln!("checks={total_checks} mismatches={total_mismatches} gaps={total_gaps}");
    if summary.events == 0 {
        eprintln!(
            "error: no line of the capture could be imported ({} quarantined)",
            summary.quarantined
        );
        return Ok(ExitCode::FAILURE);
    }
    if total_checks == 0 {
        eprintln!(
            "error: nothing was verified: the capture needs depth messages and best bid/ask \
             (bookTicker) messages of the same instrument"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(if total_mismatches == 0 && total_gaps == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
