//! Loading the replay: Binance USD-M capture files (`<local ns ts> <json>` lines of
//! combined-stream frames plus one REST depth snapshot line, SPEC 1.2) read with the data
//! crate's input reader (plain or `.gz`) and decoded line by line with its capture importer,
//! so every frame keeps its raw JSON text (sent byte for byte) next to the events it means.
//!
//! Where the replay starts: the capture's snapshot line arrives after the first diffs
//! (README of the shared data), so the book is only known from the first depth frame that
//! bridges the snapshot (`U <= lastUpdateId <= u`, Binance's procedure). Frames before that
//! one are not replayed (counted in [`Replay::skipped_before_bridge`]); the snapshot line is
//! never streamed, it is the exchange's book at the start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use auction_trader_data::import::binance_capture::{CaptureImporter, CaptureOptions};
use auction_trader_data::input::for_each_input;
use auction_trader_data::instruments::{BINANCE_USDM, instrument_or_default};
use auction_trader_data::{EventSink, InstrumentSlot, QuarantinedRow};
use auction_trader_types::{BookDelta, Instrument, InstrumentKey, MarketEvent, UnixNanos};

use crate::MockError;

/// Binance depth ids of a `depthUpdate` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthIds {
    /// `U`
    pub first: u64,
    /// `u`
    pub last: u64,
    /// `pu`
    pub prev: u64,
}

/// What a frame is, for routing and conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Depth(DepthIds),
    BookTicker,
    Trade,
    /// Any other stream (mark price, liquidations, ...): passed through as recorded.
    Other,
}

/// One recorded WebSocket frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Recorder's local receive time (the replay's clock).
    pub ts_local: UnixNanos,
    /// Combined-stream name (`btcusdt@depth@0ms`).
    pub stream: Arc<str>,
    /// The JSON exactly as recorded (what a client receives).
    pub text: Arc<str>,
    /// The importer's events of this frame (depth rows, a quote, a trade, ...).
    pub events: Vec<MarketEvent>,
    pub kind: FrameKind,
}

/// A capture ready to replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The instrument (venue `binance-usdm`; tick, lot and fees from the data crate's table).
    pub instrument: Instrument,
    /// Rows of the recorded REST snapshot (SNAPSHOT flags as the importer emits them).
    pub snapshot_rows: Vec<BookDelta>,
    pub snapshot_update_id: u64,
    /// Frames replayed, from the bridging depth frame on, in file order.
    pub frames: Vec<Frame>,
    /// Frames before the bridge (not replayed).
    pub skipped_before_bridge: usize,
    /// Lines the importer quarantined (not replayed).
    pub quarantined: usize,
}

impl Replay {
    /// Loads capture files (one continuous capture, in order).
    pub fn load(paths: &[PathBuf]) -> Result<Self, MockError> {
        if paths.is_empty() {
            return Err(MockError::Replay("no capture file given".to_owned()));
        }
        let mut lines: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        for path in paths {
            lines.push((path.clone(), read_all(path)?));
        }
        let symbol = lines
            .iter()
            .find_map(|(_, bytes)| first_symbol(bytes))
            .ok_or_else(|| MockError::Replay("no combined-stream frame in the capture".into()))?;
        let options = CaptureOptions {
            venue: Some(BINANCE_USDM.to_owned()),
            local_time_unit: None,
            snapshot_symbol: Some(symbol.clone()),
        };
        let mut importer = CaptureImporter::new(&options).map_err(|error| MockError::Capture {
            path: paths[0].clone(),
            message: error.to_string(),
        })?;
        let mut sink = LineSink::default();
        let mut all: Vec<Frame> = Vec::new();
        let mut snapshot: Option<(usize, Vec<BookDelta>)> = None;
        let mut quarantined = 0;
        let mut last_ts = UnixNanos(0);
        for (path, bytes) in &lines {
            let source = path.display().to_string();
            for line in bytes.split(|byte| *byte == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    continue;
                }
                sink.events.clear();
                sink.quarantined = 0;
                importer.read_bytes(line, &source, &mut sink);
                if sink.quarantined > 0 {
                    quarantined += 1;
                    continue;
                }
                if let Some(key) = &sink.other_instrument {
                    return Err(MockError::Replay(format!(
                        "{source}: a second instrument {}/{} (the mock replays one symbol)",
                        key.venue, key.symbol
                    )));
                }
                if let Some(ts) = sink.events.first().map(MarketEvent::ts_recv) {
                    last_ts = ts;
                }
                let is_snapshot = matches!(
                    sink.events.first(),
                    Some(MarketEvent::Depth(row)) if row.flags.is_snapshot()
                );
                if is_snapshot {
                    if snapshot.is_none() {
                        let rows = sink
                            .events
                            .iter()
                            .filter_map(|event| match event {
                                MarketEvent::Depth(row) => Some(*row),
                                _ => None,
                            })
                            .collect();
                        snapshot = Some((all.len(), rows));
                    }
                    continue;
                }
                let Some((stream, _)) = envelope_stream(line) else {
                    continue;
                };
                let Some(text) = json_part(line) else {
                    continue;
                };
                let kind = kind_of(&sink.events);
                all.push(Frame {
                    ts_local: last_ts,
                    stream: Arc::from(stream),
                    text: Arc::from(text),
                    events: std::mem::take(&mut sink.events),
                    kind,
                });
            }
        }
        let Some((_, snapshot_rows)) = snapshot else {
            return Err(MockError::Replay(
                "the capture holds no REST depth snapshot line (the mock needs the book)".into(),
            ));
        };
        let snapshot_update_id = snapshot_rows.first().map_or(0, |row| row.last_update_id);
        // Binance futures procedure: the first applied diff has U <= lastUpdateId <= u.
        let bridge = all
            .iter()
            .position(|frame| {
                matches!(frame.kind, FrameKind::Depth(ids) if ids.last >= snapshot_update_id)
            })
            .ok_or_else(|| MockError::Replay("no depth frame after the snapshot".into()))?;
        if let FrameKind::Depth(ids) = all[bridge].kind
            && ids.first > snapshot_update_id
        {
            return Err(MockError::Replay(format!(
                "the snapshot (lastUpdateId {snapshot_update_id}) is older than the first \
                 depth frame after it (U {}): it cannot start the book",
                ids.first
            )));
        }
        let frames = all.split_off(bridge);
        let key = InstrumentKey::new(
            BINANCE_USDM,
            symbol,
            auction_trader_data::instruments::market_of_venue(BINANCE_USDM),
        );
        Ok(Self {
            instrument: instrument_or_default(&key),
            snapshot_rows,
            snapshot_update_id,
            frames,
            skipped_before_bridge: bridge,
            quarantined,
        })
    }

    /// Replay time of the first frame (the start of the replay clock).
    pub fn start_time(&self) -> UnixNanos {
        self.frames
            .first()
            .map_or(UnixNanos(0), |frame| frame.ts_local)
    }

    /// The snapshot's events as every simulated exchange gets them before the first frame:
    /// the recorded rows received at the replay's start (the line itself was recorded after
    /// the bridging diffs, so its own receive time is later than theirs).
    pub fn start_events(&self) -> Vec<MarketEvent> {
        let start = self.start_time();
        self.snapshot_rows
            .iter()
            .map(|row| {
                MarketEvent::Depth(BookDelta {
                    ts_recv: start,
                    ..*row
                })
            })
            .collect()
    }

    /// Upper-case symbol (`BTCUSDT`).
    pub fn symbol(&self) -> &str {
        &self.instrument.key.symbol
    }

    /// Number of depth frames replayed.
    pub fn depth_frames(&self) -> usize {
        self.frames
            .iter()
            .filter(|frame| matches!(frame.kind, FrameKind::Depth(_)))
            .count()
    }
}

fn read_all(path: &Path) -> Result<Vec<u8>, MockError> {
    let mut bytes = Vec::new();
    for_each_input(path, |_, reader| {
        std::io::Read::read_to_end(reader, &mut bytes)
            .map(|_| ())
            .map_err(|error| auction_trader_data::DataError::io(path, error))
    })
    .map_err(|error| MockError::Capture {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    Ok(bytes)
}

/// The JSON after the local timestamp (`<ts> <json>`).
fn json_part(line: &[u8]) -> Option<&str> {
    let space = line.iter().position(|byte| *byte == b' ')?;
    std::str::from_utf8(&line[space + 1..]).ok()
}

/// `(stream, symbol)` of a combined-stream line: `{"stream":"btcusdt@trade",...`.
fn envelope_stream(line: &[u8]) -> Option<(&str, &str)> {
    const KEY: &str = "{\"stream\":\"";
    let json = json_part(line)?;
    let rest = json.strip_prefix(KEY)?;
    let stream = &rest[..rest.find('"')?];
    let symbol = &stream[..stream.find('@')?];
    Some((stream, symbol))
}

fn first_symbol(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|byte| *byte == b'\n')
        .find_map(envelope_stream)
        .map(|(_, symbol)| symbol.to_ascii_uppercase())
}

fn kind_of(events: &[MarketEvent]) -> FrameKind {
    match events.first() {
        Some(MarketEvent::Depth(row)) => FrameKind::Depth(DepthIds {
            first: row.first_update_id,
            last: row.last_update_id,
            prev: row.prev_update_id,
        }),
        Some(MarketEvent::Quote(_)) => FrameKind::BookTicker,
        Some(MarketEvent::Trade(_)) => FrameKind::Trade,
        _ => FrameKind::Other,
    }
}

/// Collects the events of one line (the importer is fed one line at a time).
#[derive(Debug, Default)]
struct LineSink {
    instrument: Option<InstrumentKey>,
    other_instrument: Option<InstrumentKey>,
    events: Vec<MarketEvent>,
    quarantined: usize,
}

impl EventSink for LineSink {
    fn instrument(&mut self, key: &InstrumentKey) -> InstrumentSlot {
        match &self.instrument {
            None => self.instrument = Some(key.clone()),
            Some(known) if known != key => self.other_instrument = Some(key.clone()),
            Some(_) => {}
        }
        InstrumentSlot(0)
    }

    fn event(&mut self, _instrument: InstrumentSlot, event: MarketEvent) {
        self.events.push(event);
    }

    fn quarantine(&mut self, _row: QuarantinedRow) {
        self.quarantined += 1;
    }

    fn warn(&mut self, _message: String) {}
}
