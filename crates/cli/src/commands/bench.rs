//! `bench ingest` and `bench replay`: throughput figures printed as one final machine-readable
//! line, recorded in docs/benchmarks.md with the command that produced them.
//! Benchmarks are the one place that reads a clock: they measure, they never decide.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::output::outln;
use anyhow::Context;
use auction_trader_book::SequencedBook;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_bytes};
use auction_trader_data::replay::ReplayMerge;
use auction_trader_data::{CollectedEvents, EventSink, InstrumentSlot, QuarantinedRow, input};
use auction_trader_types::{InstrumentKey, MarketEvent, StreamKind};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Raw-capture ingest: parse a Binance capture into normalized events (messages/s).
    Ingest(IngestArgs),
    /// Replay + L2 book maintenance over a capture's events (events/s).
    Replay(ReplayArgs),
    /// Engine + simulated exchange throughput (events/s) on in-memory events.
    Backtest(super::bench_backtest::BacktestBenchArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Capture files (one continuous capture).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Parse the in-memory bytes this many times (a figure must rest on enough work).
    #[arg(long, default_value_t = 5)]
    pub repeat: u32,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Capture files (one continuous capture).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Replay the capture this many times back to back, timestamps shifted by the capture span.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest(&args),
        BenchCommand::Replay(args) => replay(&args),
        BenchCommand::Backtest(args) => super::bench_backtest::run(&args),
    }
}

/// Counts events without storing them, so the figure is the parser's, not a `Vec`'s.
#[derive(Debug, Default)]
struct CountingSink {
    instruments: Vec<InstrumentKey>,
    events: u64,
    checksum: i64,
    quarantined: u64,
}

impl EventSink for CountingSink {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        let position = self.instruments.iter().position(|known| known == key);
        let index = position.unwrap_or_else(|| {
            self.instruments.push(key.clone());
            self.instruments.len() - 1
        });
        InstrumentSlot(index as u32)
    }

    fn event(&mut self, _instrument: InstrumentSlot, event: MarketEvent) {
        self.events += 1;
        self.checksum = self.checksum.wrapping_add(event.ts_recv().0);
    }

    fn quarantine(&mut self, _row: QuarantinedRow) {
        self.quarantined += 1;
    }

    fn warn(&mut self, _message: String) {}
}

fn ingest(args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let options = CaptureOptions::default();
    let inflate_start = Instant::now();
    let mut contents = Vec::new();
    for path in &args.files {
        let bytes = input::read_all(path).with_context(|| format!("reading {}", path.display()))?;
        contents.push((path.display().to_string(), bytes));
    }
    let inflate_seconds = inflate_start.elapsed().as_secs_f64();
    let total_bytes: usize = contents.iter().map(|(_, bytes)| bytes.len()).sum();

    let repeat = args.repeat.max(1);
    let mut messages = 0_u64;
    let mut events = 0_u64;
    let mut quarantined = 0_u64;
    let parse_start = Instant::now();
    for _ in 0..repeat {
        let mut sink = CountingSink::default();
        for (name, bytes) in &contents {
            let summary = import_capture_bytes(bytes, name, &options, &mut sink)?;
            messages += summary.records_read;
        }
        events += sink.events;
        quarantined += sink.quarantined;
        std::hint::black_box(sink.checksum);
    }
    let seconds = parse_start.elapsed().as_secs_f64();
    let per_pass = messages / u64::from(repeat);
    outln!(
        "input: {} file(s), {:.1} MB decompressed in {inflate_seconds:.3} s ({:.0} MB/s inflate)",
        contents.len(),
        total_bytes as f64 / 1e6,
        total_bytes as f64 / 1e6 / inflate_seconds.max(1e-9)
    );
    outln!(
        "parse: {repeat} pass(es) x {per_pass} messages -> {} events/pass, {} quarantined/pass, {:.0} MB/s",
        events / u64::from(repeat),
        quarantined / u64::from(repeat),
        total_bytes as f64 * f64::from(repeat) / 1e6 / seconds.max(1e-9)
    );
    outln!(
        "inflate+parse (one pass): {:.0} messages/s",
        per_pass as f64 / (inflate_seconds + seconds / f64::from(repeat)).max(1e-9)
    );
    outln!(
        "messages={messages} seconds={seconds:.6} messages_per_sec={:.0}",
        messages as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// Splits a capture into the per-kind streams storage would hold, so the replay exercises the
/// real k-way merge rather than a pre-ordered vector.
fn split_streams(collected: &CollectedEvents) -> Vec<(InstrumentSlot, Vec<MarketEvent>)> {
    let mut streams: Vec<((InstrumentSlot, StreamKind), Vec<MarketEvent>)> = Vec::new();
    for tagged in &collected.events {
        let key = (tagged.instrument, tagged.event.kind());
        match streams.iter_mut().find(|(known, _)| *known == key) {
            Some((_, events)) => events.push(tagged.event),
            None => streams.push((key, vec![tagged.event])),
        }
    }
    streams.sort_by_key(|(key, _)| *key);
    streams
        .into_iter()
        .map(|((slot, _), events)| (slot, events))
        .collect()
}

/// Above the capture's highest venue update id: each repeated pass shifts its ids by a multiple
/// of it, so a pass is a fresh capture with ids the book has not seen. The sequencer sees the
/// seam between passes as one gap and resyncs from that pass's snapshot, doing the same work as
/// in the first pass (the report shows `repeat - 1` gaps).
fn update_id_span(collected: &CollectedEvents) -> u64 {
    let mut highest = 0_u64;
    for tagged in &collected.events {
        match &tagged.event {
            MarketEvent::Depth(row) => highest = highest.max(row.last_update_id),
            MarketEvent::Quote(quote) => highest = highest.max(quote.update_id),
            _ => {}
        }
    }
    highest + 1
}

fn shift_update_ids(mut event: MarketEvent, shift: u64) -> MarketEvent {
    let bump = |id: &mut u64| {
        if *id != 0 {
            *id += shift;
        }
    };
    match &mut event {
        MarketEvent::Depth(row) => {
            bump(&mut row.first_update_id);
            bump(&mut row.last_update_id);
            bump(&mut row.prev_update_id);
        }
        MarketEvent::Quote(quote) => bump(&mut quote.update_id),
        _ => {}
    }
    event
}

fn replay(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let mut collected = CollectedEvents::new();
    auction_trader_data::import::binance_capture::import_capture_files(
        &args.files,
        &CaptureOptions::default(),
        &mut collected,
    )?;
    let streams = split_streams(&collected);
    let first = collected
        .events
        .iter()
        .map(|tagged| tagged.event.ts_recv().0)
        .min();
    let last = collected
        .events
        .iter()
        .map(|tagged| tagged.event.ts_recv().0)
        .max();
    let span = match (first, last) {
        (Some(first), Some(last)) => last - first + 1,
        _ => anyhow::bail!("the capture holds no events"),
    };
    let repeat = args.repeat.max(1);
    let id_span = update_id_span(&collected);

    // Prepare every shifted copy before timing: the figure is replay + book, not copying.
    let mut merge = ReplayMerge::new();
    let mut stream_instruments = Vec::new();
    for (slot, events) in &streams {
        let mut shifted = Vec::with_capacity(events.len() * repeat as usize);
        for pass in 0..i64::from(repeat) {
            shifted.extend(
                events.iter().map(|event| {
                    shift_update_ids(event.shifted(span * pass), id_span * pass as u64)
                }),
            );
        }
        merge.add_events(shifted);
        stream_instruments.push(*slot);
    }

    let mut books: Vec<SequencedBook> = collected
        .instruments
        .iter()
        .map(|instrument| SequencedBook::for_venue(&instrument.venue))
        .collect();
    let start = Instant::now();
    let events = replay_into_books(&mut merge, &stream_instruments, &mut books)?;
    let seconds = start.elapsed().as_secs_f64();
    for (instrument, book) in collected.instruments.iter().zip(&books) {
        outln!("{instrument}: {:?} {:?}", book.state(), book.counters());
    }
    outln!(
        "streams={} repeat={repeat} (timestamps shifted by {:.1} s per pass)",
        streams.len(),
        span as f64 / 1e9
    );
    outln!(
        "events={events} seconds={seconds:.6} events_per_sec={:.0}",
        events as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// The timed loop of `bench replay`: merge every stream and apply each depth row to its book.
/// Kept out of line so a profiler can count exactly this work
/// (`valgrind --tool=callgrind --toggle-collect='*replay_into_books*'`).
#[inline(never)]
fn replay_into_books(
    merge: &mut ReplayMerge<'_>,
    stream_instruments: &[InstrumentSlot],
    books: &mut [SequencedBook],
) -> anyhow::Result<u64> {
    let mut events = 0_u64;
    let mut top_checksum = 0_i64;
    while let Some(item) = merge.next_ref() {
        let (stream, event) = item?;
        events += 1;
        if let MarketEvent::Depth(row) = event {
            let slot = stream_instruments[stream.0 as usize];
            let book = &mut books[slot.0 as usize];
            book.apply(row);
            if row.flags.is_last() {
                // Read the top of book once per message, as a strategy would.
                if let Some((price, _)) = book.book().best_bid() {
                    top_checksum = top_checksum.wrapping_add(price.raw());
                }
            }
        }
    }
    std::hint::black_box(top_checksum);
    Ok(events)
}
