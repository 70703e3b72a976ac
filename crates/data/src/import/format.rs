//! Input-format detection and dispatch: `auction-trader import <files...>` works without the
//! user naming the format for every file we know (SPEC 1.2). Detection reads the first line of
//! the decompressed content and the file name; it never guesses silently: an unknown layout is
//! an error that says which options to pass.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use auction_trader_types::{InstrumentKey, MarketKind};

use crate::import::bars_csv::{self, OhlcvOptions};
use crate::import::binance_archive::{self, ArchiveOptions};
use crate::import::binance_capture::{self, CaptureOptions};
use crate::import::bybit::{self, BybitOptions};
use crate::import::bybit_orderbook::{self, BybitOrderbookOptions};
use crate::import::generic_csv::{self, CsvMapping};
use crate::import::{bitflyer, tardis};
use crate::input::for_each_input;
use crate::{DataError, EventSink, ImportSummary};

/// The formats `import` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImportFormat {
    /// Binance raw WebSocket capture (`<local ts> <combined-stream json>`), also cryptofeed's.
    BinanceCapture,
    /// Binance public-data archive CSV (data.binance.vision) or T_DEPTH files.
    BinanceArchive,
    /// Bybit public trade dump (spot or derivatives layout).
    BybitTrades,
    /// Bybit order-book history dump (v5 JSON lines).
    BybitOrderbook,
    /// bitFlyer execution files.
    BitflyerExecutions,
    /// bitFlyer ticker files.
    BitflyerTicker,
    /// Tardis CSV (trades, quotes, incremental L2, snapshots, derivative ticker, liquidations).
    Tardis,
    /// LEAN minute zips.
    Lean,
    /// Plain OHLCV bars CSV (`timestamp,open,high,low,close,volume`).
    OhlcvBars,
    /// Parquet: handled by the storage crate (Crypto-Lake-like schemas and known files).
    Parquet,
    /// Generic trades CSV with a user column mapping.
    GenericCsv,
}

impl ImportFormat {
    pub const NAMES: &[(&str, Self)] = &[
        ("binance-capture", Self::BinanceCapture),
        ("binance-archive", Self::BinanceArchive),
        ("bybit-trades", Self::BybitTrades),
        ("bybit-orderbook", Self::BybitOrderbook),
        ("bitflyer", Self::BitflyerExecutions),
        ("bitflyer-ticker", Self::BitflyerTicker),
        ("tardis", Self::Tardis),
        ("lean", Self::Lean),
        ("ohlcv", Self::OhlcvBars),
        ("parquet", Self::Parquet),
        ("csv", Self::GenericCsv),
    ];

    pub fn parse(name: &str) -> Result<Self, DataError> {
        Self::NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(known, _)| *known).collect();
                DataError::InvalidOption(format!(
                    "unknown format {name:?}; expected one of: auto, {}",
                    names.join(", ")
                ))
            })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, format)| *format == self)
            .map_or("unknown", |(name, _)| name)
    }
}

/// Options shared by every format; each importer uses the ones that apply to it.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Venue override (e.g. `binance-spot`); required for formats whose files do not say.
    pub venue: Option<String>,
    /// Symbol override.
    pub symbol: Option<String>,
    /// Market override.
    pub market: Option<MarketKind>,
    /// Column mapping for [`ImportFormat::GenericCsv`].
    pub csv_mapping: Option<CsvMapping>,
    /// Whether an OHLCV CSV's timestamps name the bar's open (default) or its close.
    pub bar_label: bars_csv::BarLabel,
}

/// Detects the format of one file from its first line and name.
pub fn detect(path: &Path) -> Result<ImportFormat, DataError> {
    let magic = leading_bytes(path)?;
    if magic.starts_with(b"PAR1") {
        return Ok(ImportFormat::Parquet);
    }
    if magic.starts_with(b"ARROW1") {
        // Arrow IPC / feather (freqtrade's data files): not imported yet; say so plainly
        // rather than mis-reading the bytes as CSV.
        return Err(DataError::UnknownFormat {
            path: path.to_path_buf(),
            hint: "Arrow IPC (feather) files are not supported yet: export them to CSV or \
                   Parquet first"
                .to_owned(),
        });
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if bars_csv::lean_file_info(&path.to_string_lossy()).is_some() {
        return Ok(ImportFormat::Lean);
    }
    let first_lines = first_lines(path, 3)?;
    let first_line = first_lines.first().cloned().unwrap_or_default();
    let line = first_line.trim_start_matches('\u{feff}').trim();
    let lower = line.to_ascii_lowercase();
    // A recorder may open with a metadata line (cryptofeed writes the stream URL first).
    let format = if first_lines
        .iter()
        .any(|candidate| looks_like_capture_line(candidate.trim()))
    {
        ImportFormat::BinanceCapture
    } else if line.starts_with('{') && lower.contains("\"topic\"") && lower.contains("orderbook") {
        ImportFormat::BybitOrderbook
    } else if lower.contains("exec_date") {
        ImportFormat::BitflyerExecutions
    } else if lower.contains("tick_id") && lower.contains("best_bid") {
        ImportFormat::BitflyerTicker
    } else if lower.starts_with("exchange,symbol,timestamp,local_timestamp") {
        ImportFormat::Tardis
    } else if binance_archive::parse_file_name(&name).is_some()
        || lower.starts_with("symbol,timestamp,first_update_id")
    {
        ImportFormat::BinanceArchive
    } else if bybit::layout_of_header(line).is_some() {
        ImportFormat::BybitTrades
    } else if is_ohlcv_header(&lower) {
        ImportFormat::OhlcvBars
    } else if mapping_from_header(line).is_some() {
        ImportFormat::GenericCsv
    } else {
        return Err(DataError::UnknownFormat {
            path: path.to_path_buf(),
            hint: "pass --format csv with --timestamp-column/--price-column/--size-column \
                   (see `auction-trader import --help`)"
                .to_owned(),
        });
    };
    Ok(format)
}

/// The first bytes of the file as stored (compressed or not).
fn leading_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| DataError::io(path, error))?;
    let mut magic = Vec::with_capacity(8);
    file.take(8)
        .read_to_end(&mut magic)
        .map_err(|error| DataError::io(path, error))?;
    Ok(magic)
}

/// The first `count` lines of the decompressed content (of the first zip member), each cut
/// at 64 KiB.
fn first_lines(path: &Path, count: usize) -> Result<Vec<String>, DataError> {
    let mut lines = Vec::new();
    let mut done = false;
    for_each_input(path, |_, reader| {
        if !done {
            for _ in 0..count {
                let mut line = Vec::new();
                match read_line_limited(reader, &mut line, 64 * 1024) {
                    Ok(()) => {}
                    // Detection needs only the start: a corrupt tail is the importer's to
                    // report (with the job it belongs to).
                    Err(_) if !lines.is_empty() => break,
                    Err(error) => return Err(DataError::io(path, error)),
                }
                if line.is_empty() && reader.fill_buf().map_or(true, <[u8]>::is_empty) {
                    break;
                }
                lines.push(String::from_utf8_lossy(&line).into_owned());
            }
            done = true;
        }
        Ok(())
    })?;
    Ok(lines)
}

/// Reads up to `limit` bytes of the first line (a capture line can be megabytes long).
fn read_line_limited(
    reader: &mut dyn BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<()> {
    while line.len() < limit {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let take = available.len().min(limit - line.len());
        match memchr::memchr(b'\n', &available[..take]) {
            Some(end) => {
                line.extend_from_slice(&available[..end]);
                reader.consume(end + 1);
                break;
            }
            None => {
                line.extend_from_slice(&available[..take]);
                reader.consume(take);
            }
        }
    }
    Ok(())
}

/// `<digits>[.<digits>][:] {` : a recorder timestamp followed by a JSON message.
fn looks_like_capture_line(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 9 {
        return false;
    }
    let rest = line[digits..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    rest.trim_start().starts_with('{')
}

/// Header names the generic CSV importer recognizes without a mapping (any case).
const TIME_NAMES: &[&str] = &["time", "timestamp", "ts", "datetime", "date", "trade_time"];
const PRICE_NAMES: &[&str] = &["price", "px"];
const SIZE_NAMES: &[&str] = &["qty", "quantity", "size", "amount", "volume"];
const SIDE_NAMES: &[&str] = &["side", "taker_side", "aggressor"];
const ID_NAMES: &[&str] = &["id", "trade_id", "tid"];

/// The column mapping a header such as `time,price,qty,side` names by itself: a time, a
/// price and a size column (and a side and id column when present). `None` when one of the
/// three is missing: then the user passes the mapping.
pub fn mapping_from_header(line: &str) -> Option<CsvMapping> {
    let columns: Vec<String> = line
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|column| column.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| {
        columns
            .iter()
            .position(|column| names.contains(&column.as_str()))
    };
    let mut mapping = CsvMapping::new(find(TIME_NAMES)?, find(PRICE_NAMES)?, find(SIZE_NAMES)?);
    if let Some(side) = find(SIDE_NAMES) {
        mapping = mapping.with_side(side);
    }
    if let Some(id) = find(ID_NAMES) {
        mapping = mapping.with_id(id);
    }
    Some(mapping)
}

/// The header line of the first file of a job (for [`mapping_from_header`]).
fn header_of(path: &Path) -> Result<String, DataError> {
    Ok(first_lines(path, 1)?.into_iter().next().unwrap_or_default())
}

fn is_ohlcv_header(lower: &str) -> bool {
    let columns: Vec<&str> = lower
        .split(',')
        .map(|column| column.trim().trim_matches('"'))
        .collect();
    ["open", "high", "low", "close", "volume"]
        .iter()
        .all(|needed| columns.contains(needed))
}

/// Whether `next` continues the job whose last file is `previous` (both of `format`, given
/// one after the other). Capture files continue a capture only when they record the same
/// instruments (two captures of different symbols are two jobs); the other formats group
/// consecutive files (several bitFlyer days are de-duplicated across files).
pub fn continues_job(
    format: ImportFormat,
    previous: &Path,
    next: &Path,
    options: &ImportOptions,
) -> Result<bool, DataError> {
    match format {
        ImportFormat::BinanceCapture => {
            let capture = CaptureOptions {
                venue: options.venue.clone(),
                ..CaptureOptions::default()
            };
            Ok(binance_capture::capture_instruments(previous, &capture)?
                == binance_capture::capture_instruments(next, &capture)?)
        }
        _ => Ok(true),
    }
}

/// Imports `paths` of one format as one job (several capture files are one continuous capture;
/// several bitFlyer days are de-duplicated across files) into `sink`.
pub fn import_paths(
    format: ImportFormat,
    paths: &[PathBuf],
    options: &ImportOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    match format {
        ImportFormat::BinanceCapture => {
            let capture = CaptureOptions {
                venue: options.venue.clone(),
                ..CaptureOptions::default()
            };
            binance_capture::import_capture_files(paths, &capture, sink)
        }
        ImportFormat::BinanceArchive => {
            let archive = ArchiveOptions {
                venue: options.venue.clone(),
                symbol: options.symbol.clone(),
                ..ArchiveOptions::default()
            };
            binance_archive::import_files(paths, &archive, sink)
        }
        ImportFormat::BybitTrades => {
            let bybit_options = BybitOptions {
                symbol: options.symbol.clone(),
                venue: options.venue.clone(),
            };
            bybit::import_files(paths, &bybit_options, sink)
        }
        ImportFormat::BybitOrderbook => {
            let orderbook_options = BybitOrderbookOptions {
                venue: options.venue.clone(),
            };
            let mut total = ImportSummary::default();
            for path in paths {
                let summary =
                    bybit_orderbook::import_orderbook_file(path, &orderbook_options, sink)?;
                total.add(&summary);
            }
            Ok(total)
        }
        ImportFormat::BitflyerExecutions => bitflyer::import_executions(paths, sink),
        ImportFormat::BitflyerTicker => bitflyer::import_tickers(paths, sink),
        ImportFormat::Tardis => {
            let tardis_options = tardis::TardisOptions {
                market: options.market,
                ..tardis::TardisOptions::default()
            };
            tardis::import_files(paths, &tardis_options, sink)
        }
        ImportFormat::Lean => {
            let mut total = ImportSummary::default();
            for path in paths {
                total.add(&bars_csv::import_lean_file(path, sink)?);
            }
            Ok(total)
        }
        ImportFormat::OhlcvBars => {
            let mut total = ImportSummary::default();
            for path in paths {
                let instrument = instrument_from_options(options, path)?;
                let summary = bars_csv::import_ohlcv_file(
                    path,
                    &instrument,
                    &OhlcvOptions {
                        label: options.bar_label,
                        ..OhlcvOptions::default()
                    },
                    sink,
                )?;
                total.add(&summary);
            }
            Ok(total)
        }
        ImportFormat::GenericCsv => {
            let first = paths
                .first()
                .map(PathBuf::as_path)
                .unwrap_or(Path::new("input"));
            let detected = match &options.csv_mapping {
                Some(_) => None,
                None => mapping_from_header(&header_of(first)?),
            };
            let mapping = options
                .csv_mapping
                .as_ref()
                .or(detected.as_ref())
                .ok_or_else(|| {
                    DataError::InvalidOption(
                        "--format csv needs a column mapping (--timestamp-column, \
                         --price-column, --size-column) unless the header names a time, a \
                         price and a size column (e.g. time,price,qty,side)"
                            .to_owned(),
                    )
                })?;
            let instrument = instrument_from_options(options, first)?;
            generic_csv::import_trade_files(paths, mapping, &instrument, sink)
        }
        ImportFormat::Parquet => Err(DataError::InvalidOption(
            "Parquet inputs are imported by the storage backend (the CLI routes them there)"
                .to_owned(),
        )),
    }
}

/// The instrument of formats whose files do not name one: from `--venue`/`--symbol`, else
/// venue `csv` and the file stem as symbol (recorded, and shown in the catalog).
fn instrument_from_options(
    options: &ImportOptions,
    path: &Path,
) -> Result<InstrumentKey, DataError> {
    let symbol = match &options.symbol {
        Some(symbol) => symbol.clone(),
        None => path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.split(['.', '_']).next())
            .filter(|stem| !stem.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                DataError::InvalidOption(format!("{}: pass --symbol", path.display()))
            })?,
    };
    let venue = options.venue.clone().unwrap_or_else(|| "csv".to_owned());
    let market = options.market.unwrap_or(MarketKind::Perpetual);
    Ok(InstrumentKey::new(venue, symbol, market))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_text(name: &str, content: &str) -> Result<ImportFormat, DataError> {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join(name);
        std::fs::write(&path, content).unwrap();
        detect(&path)
    }

    #[test]
    fn detects_each_known_layout_from_its_first_line() {
        let cases = [
            (
                "cap.txt",
                "1723161255030314667 {\"stream\":\"btcusdt@trade\"}\n",
                ImportFormat::BinanceCapture,
            ),
            (
                "cf.txt",
                "1609459200.123: {\"e\":\"x\"}\n",
                ImportFormat::BinanceCapture,
            ),
            (
                "ob.data",
                "{\"topic\":\"orderbook.500.XRPUSDT\",\"type\":\"snapshot\"}\n",
                ImportFormat::BybitOrderbook,
            ),
            (
                "b.csv",
                "\"domain\",\"product_code\",\"loaded\",\"id\",\"exec_date\"\n",
                ImportFormat::BitflyerExecutions,
            ),
            (
                "t.csv",
                "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n",
                ImportFormat::Tardis,
            ),
            (
                "BTCUSDT-trades-2024-08-08.csv",
                "1,2,3\n",
                ImportFormat::BinanceArchive,
            ),
            (
                "x.csv",
                "id,timestamp,price,volume,side,rpi\n",
                ImportFormat::BybitTrades,
            ),
            (
                "bars.csv",
                "timestamp,open,high,low,close,volume\n",
                ImportFormat::OhlcvBars,
            ),
        ];
        for (name, content, expected) in cases {
            assert_eq!(detect_text(name, content).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn a_time_price_qty_side_header_is_read_without_a_mapping() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("trades.csv");
        std::fs::write(
            &path,
            "time,price,qty,side\n2024-01-01T00:00:00Z,100.5,2,buy\n2024-01-01T00:00:01Z,101,1,sell\n",
        )
        .unwrap();
        assert_eq!(detect(&path).unwrap(), ImportFormat::GenericCsv);
        let mut sink = crate::CollectedEvents::new();
        let summary = import_paths(
            ImportFormat::GenericCsv,
            &[path],
            &ImportOptions::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(summary.events, 2);
        assert_eq!(sink.instruments[0].symbol, "TRADES");
        let mapping = mapping_from_header("Time,Price,Qty,Side").unwrap();
        assert_eq!(mapping.side, Some(generic_csv::Column::Index(3)));
        assert!(mapping_from_header("time,price,side").is_none());
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        let error = detect_text("empty.csv", "").unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");
    }

    #[test]
    fn feather_files_are_refused_with_a_reason() {
        let error = detect_text("x.feather", "ARROW1\0\0rest").unwrap_err();
        assert!(error.to_string().contains("feather"), "{error}");
    }

    #[test]
    fn an_unknown_layout_says_which_options_to_pass() {
        let error = detect_text("mystery.csv", "a,b,c\n1,2,3\n").unwrap_err();
        assert!(error.to_string().contains("--format csv"), "{error}");
    }

    #[test]
    fn format_names_round_trip() {
        for (name, format) in ImportFormat::NAMES {
            assert_eq!(ImportFormat::parse(name).unwrap(), *format);
            assert_eq!(format.name(), *name);
        }
        assert!(ImportFormat::parse("nope").is_err());
    }
}
