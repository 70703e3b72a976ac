//! Bybit public trade dumps (public.bybit.com; SPEC 1.2 "Bybit public trade dumps"): presets
//! over [`super::generic_csv`] for the two layouts Bybit publishes, `.gz` read transparently.
//!
//! * Spot (`spot/{SYMBOL}/{SYMBOL}_{YYYY-MM-DD}.csv.gz`): `id,timestamp,price,volume,side,rpi`,
//!   timestamp in ms (the unit is still detected and span-checked), side = taker side. The
//!   symbol comes from the file name. Venue `bybit-spot`. `rpi` (the trade hit a Retail Price
//!   Improvement order) has no field in [`auction_trader_types::Trade`] and is dropped.
//! * Derivatives (`trading/{SYMBOL}/{SYMBOL}{YYYY-MM-DD}.csv.gz`): `timestamp,symbol,side,size,
//!   price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional`, timestamp in
//!   seconds with a fraction (`1585180700.0647`), `trdMatchID` a UUID (hashed by
//!   [`auction_trader_types::TradeId::from_venue_str`]). Venue `bybit-linear`, or
//!   `bybit-inverse` for coin-margined symbols (`BTCUSD`, `BTCUSDZ24`): their size is in USD
//!   contracts, so they must not share a venue with the linear book.
//!
//! Both layouts carry no receive time: `ts_recv = ts_event`. Rows are sorted by (time, id) when
//! a file is not in time order, and duplicate ids are quarantined (see `generic_csv`).

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::{InstrumentKey, MarketKind};

use super::generic_csv::{CsvMapping, SideVocabulary, SortMode, import_trades};
use super::timestamp::TimestampFormat;
use crate::input::for_each_input;
use crate::instruments::{BYBIT_INVERSE, BYBIT_LINEAR, BYBIT_SPOT};
use crate::{DataError, EventSink, ImportSummary};

/// The two dump layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BybitLayout {
    Spot,
    Derivatives,
}

/// Options of a Bybit dump import; `None` fields are inferred.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BybitOptions {
    pub symbol: Option<String>,
    pub venue: Option<String>,
}

/// The layout a header row names.
pub fn layout_of_header(header: &str) -> Option<BybitLayout> {
    let columns: Vec<String> = header
        .trim()
        .split(',')
        .map(|column| column.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |name: &str| columns.iter().any(|column| column == name);
    if has("trdmatchid") || (has("symbol") && has("tickdirection")) {
        Some(BybitLayout::Derivatives)
    } else if has("id") && has("timestamp") && has("volume") && has("side") {
        Some(BybitLayout::Spot)
    } else {
        None
    }
}

/// The symbol in a dump's file name: `1INCHUSDT_2025-05-19.csv` (spot) or
/// `BTCUSDT2024-08-08.csv.gz` (derivatives).
pub fn symbol_from_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.split('.').next().unwrap_or(base);
    let symbol = match stem.split_once('_') {
        Some((symbol, date)) if looks_like_date(date) => symbol,
        _ => {
            let split = stem.len().checked_sub(10)?;
            if !stem.is_char_boundary(split) || !looks_like_date(&stem[split..]) {
                return None;
            }
            &stem[..split]
        }
    };
    (!symbol.is_empty()).then(|| symbol.to_ascii_uppercase())
}

fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

/// The venue and market of a derivatives symbol: coin-margined (`BTCUSD`, `BTCUSDZ24`) is
/// `bybit-inverse`, anything else (`BTCUSDT`, `BTCPERP`, `BTC-27DEC24`) `bybit-linear`; dated
/// symbols are futures.
pub fn derivatives_instrument(symbol: &str) -> (&'static str, MarketKind) {
    let symbol = symbol.to_ascii_uppercase();
    let bytes = symbol.as_bytes();
    let inverse_future = bytes.len() > 6
        && bytes[..bytes.len() - 3].ends_with(b"USD")
        && b"FGHJKMNQUVXZ".contains(&bytes[bytes.len() - 3])
        && bytes[bytes.len() - 2..].iter().all(u8::is_ascii_digit);
    if inverse_future {
        (BYBIT_INVERSE, MarketKind::Future)
    } else if symbol.ends_with("USD") {
        (BYBIT_INVERSE, MarketKind::Perpetual)
    } else if symbol.contains('-') && bytes.last().is_some_and(u8::is_ascii_digit) {
        (BYBIT_LINEAR, MarketKind::Future)
    } else {
        (BYBIT_LINEAR, MarketKind::Perpetual)
    }
}

/// The mapping of a layout.
pub fn mapping(layout: BybitLayout) -> CsvMapping {
    match layout {
        BybitLayout::Spot => CsvMapping::new("timestamp", "price", "volume")
            .with_side("side")
            .with_id("id"),
        BybitLayout::Derivatives => {
            let mut mapping = CsvMapping::new("timestamp", "price", "size")
                .with_side("side")
                .with_id("trdMatchID")
                .with_format(TimestampFormat::EpochSeconds);
            mapping.side_vocabulary = SideVocabulary::new(&["buy"], &["sell"], &[""]);
            mapping
        }
    }
    .with_sort(SortMode::Auto)
}

/// Imports one dump file (plain, `.gz` or `.zip`).
pub fn import_file(
    path: &Path,
    options: &BybitOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for_each_input(path, |name, reader| {
        let part = import_reader(reader, name, options, sink)?;
        total.add(&part);
        Ok(())
    })?;
    Ok(total)
}

/// Imports several dump files, one after the other.
pub fn import_files<P: AsRef<Path>>(
    paths: &[P],
    options: &BybitOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    let mut total = ImportSummary::default();
    for path in paths {
        let part = import_file(path.as_ref(), options, sink)?;
        total.add(&part);
    }
    Ok(total)
}

/// Imports one decompressed dump; `source` is its file name (for the symbol).
pub fn import_reader(
    reader: &mut dyn BufRead,
    source: &str,
    options: &BybitOptions,
    sink: &mut dyn EventSink,
) -> Result<ImportSummary, DataError> {
    // Peek at the header and first row without consuming them: the generic importer reads
    // the stream from its start.
    let peeked = reader
        .fill_buf()
        .map_err(|error| DataError::io(source, error))?;
    let text = String::from_utf8_lossy(&peeked[..peeked.len().min(4096)]).into_owned();
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Ok(ImportSummary::default());
    };
    let layout = layout_of_header(header).ok_or_else(|| DataError::UnknownFormat {
        path: source.into(),
        hint: format!("not a Bybit spot or derivatives trade dump header: {header:?}"),
    })?;
    let row_symbol = || {
        let position = header
            .split(',')
            .position(|column| column.trim() == "symbol")?;
        let value = lines
            .next()?
            .split(',')
            .nth(position)?
            .trim()
            .to_ascii_uppercase();
        (!value.is_empty()).then_some(value)
    };
    let symbol = match layout {
        BybitLayout::Spot => options
            .symbol
            .clone()
            .or_else(|| symbol_from_file_name(source)),
        BybitLayout::Derivatives => options
            .symbol
            .clone()
            .or_else(row_symbol)
            .or_else(|| symbol_from_file_name(source)),
    }
    .ok_or_else(|| {
        DataError::InvalidOption(format!(
            "{source}: symbol unknown: set BybitOptions::symbol"
        ))
    })?;
    let (venue, market) = match layout {
        BybitLayout::Spot => (BYBIT_SPOT, MarketKind::Spot),
        BybitLayout::Derivatives => derivatives_instrument(&symbol),
    };
    let venue = options.venue.clone().unwrap_or_else(|| venue.to_owned());
    let key = InstrumentKey::new(venue, symbol, market);
    import_trades(reader, source, &mapping(layout), &key, sink)
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{
        AggressorSide, MarketEvent, Price, Quantity, Trade, TradeId, UnixNanos,
    };
    use proptest::prelude::*;

    use super::*;
    use crate::CollectedEvents;

    fn trades(sink: &CollectedEvents) -> Vec<Trade> {
        sink.events
            .iter()
            .filter_map(|tagged| match tagged.event {
                MarketEvent::Trade(trade) => Some(trade),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn spot_dump_rows() {
        let text = "id,timestamp,price,volume,side,rpi\n1,1747612836878,0.2271,220.16,buy,0\n2,1747612899754,0.2259,150.99,sell,1\n";
        let mut sink = CollectedEvents::new();
        let summary = import_reader(
            &mut text.as_bytes(),
            "1INCHUSDT_2025-05-19.csv",
            &BybitOptions::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(summary.events, 2);
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BYBIT_SPOT, "1INCHUSDT", MarketKind::Spot)
        );
        let trades = trades(&sink);
        // 1747612836878 ms = 1_747_612_836_878_000_000 ns; 0.2271 = 227_100_000 raw.
        assert_eq!(trades[0].ts_event, UnixNanos(1_747_612_836_878_000_000));
        assert_eq!(trades[0].price, Price::from_raw(227_100_000));
        assert_eq!(trades[0].size, Quantity::from_raw(220_160_000_000));
        assert_eq!(trades[0].aggressor, AggressorSide::Buy);
        assert_eq!(trades[1].aggressor, AggressorSide::Sell);
        assert_eq!(trades[1].trade_id, TradeId(2));
    }

    #[test]
    fn derivatives_dump_rows_in_descending_order() {
        let text = "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional\n\
                    1585180700.0647,BTCUSD,Buy,100,6643.5,ZeroPlusTick,6d0e2e4b-0f5e-5b25-8ab1-3c8d3b5c6c1a,1505230.0,100,0.01505230\n\
                    1585180699.5,BTCUSD,Sell,250,6643,MinusTick,9f0b9d0e-1a2b-5c3d-9e4f-5a6b7c8d9e0f,3763360.0,250,0.0376336\n";
        let mut sink = CollectedEvents::new();
        let summary = import_reader(
            &mut text.as_bytes(),
            "BTCUSD2020-03-26.csv.gz",
            &BybitOptions::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(summary.events, 2);
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BYBIT_INVERSE, "BTCUSD", MarketKind::Perpetual)
        );
        let trades = trades(&sink);
        // Sorted ascending: 1585180699.5 s first = 1_585_180_699_500_000_000 ns.
        assert_eq!(trades[0].ts_event, UnixNanos(1_585_180_699_500_000_000));
        assert_eq!(trades[0].aggressor, AggressorSide::Sell);
        assert_eq!(trades[1].ts_event, UnixNanos(1_585_180_700_064_700_000));
        assert_eq!(
            trades[1].trade_id,
            TradeId::from_venue_str("6d0e2e4b-0f5e-5b25-8ab1-3c8d3b5c6c1a")
        );
        assert_eq!(trades[1].size, Quantity::from_units(100).unwrap());
    }

    #[test]
    fn linear_symbols_and_names() {
        let text = "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional\n\
                    1723161255.123,BTCUSDT,Sell,0.005,61800.2,MinusTick,c3d1a3b4-aaaa-bbbb-cccc-123456789abc,3.09e+10,0.005,309.001\n";
        let mut sink = CollectedEvents::new();
        import_reader(
            &mut text.as_bytes(),
            "whatever.csv",
            &BybitOptions::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BYBIT_LINEAR, "BTCUSDT", MarketKind::Perpetual)
        );
        assert_eq!(
            symbol_from_file_name("BTCUSDT2024-08-08.csv.gz").as_deref(),
            Some("BTCUSDT")
        );
        assert_eq!(
            symbol_from_file_name("/a/1INCHUSDT_2025-05-19.csv").as_deref(),
            Some("1INCHUSDT")
        );
        assert_eq!(symbol_from_file_name("trades.csv"), None);
        assert_eq!(
            derivatives_instrument("BTCUSDZ24"),
            (BYBIT_INVERSE, MarketKind::Future)
        );
        assert_eq!(
            derivatives_instrument("BTC-27DEC24"),
            (BYBIT_LINEAR, MarketKind::Future)
        );
        assert_eq!(
            derivatives_instrument("BTCPERP"),
            (BYBIT_LINEAR, MarketKind::Perpetual)
        );
    }

    #[test]
    fn gzip_dumps_are_read_transparently() {
        use std::io::Write;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("ETHUSDT2024-08-08.csv.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(
                b"timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional\n\
                  1723075200.5123,ETHUSDT,Buy,1.25,2500.5,PlusTick,0b4a4d7e-3c2f-5a1e-9f8d-7c6b5a4d3e2f,3.12e+11,1.25,3125.625\n",
            )
            .unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let mut sink = CollectedEvents::new();
        let summary = import_file(&path, &BybitOptions::default(), &mut sink).unwrap();
        assert_eq!(summary.events, 1);
        assert_eq!(
            sink.instruments[0],
            InstrumentKey::new(BYBIT_LINEAR, "ETHUSDT", MarketKind::Perpetual)
        );
        let trades = trades(&sink);
        // 1723075200.5123 s = 1_723_075_200_512_300_000 ns; 1.25 ETH = 1_250_000_000 raw.
        assert_eq!(trades[0].ts_event, UnixNanos(1_723_075_200_512_300_000));
        assert_eq!(trades[0].size, Quantity::from_raw(1_250_000_000));
        assert_eq!(trades[0].aggressor, AggressorSide::Buy);
    }

    #[test]
    fn unknown_layouts_are_refused() {
        let mut sink = CollectedEvents::new();
        let error = import_reader(
            &mut "a,b\n1,2\n".as_bytes(),
            "x.csv",
            &BybitOptions::default(),
            &mut sink,
        )
        .unwrap_err();
        assert!(error.to_string().contains("Bybit"), "{error}");
        let error = import_reader(
            &mut "id,timestamp,price,volume,side\n".as_bytes(),
            "x.csv",
            &BybitOptions::default(),
            &mut sink,
        )
        .unwrap_err();
        assert!(error.to_string().contains("symbol unknown"), "{error}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), derivatives: bool) {
            let header: &[u8] = if derivatives {
                b"timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,foreignNotional\n"
            } else {
                b"id,timestamp,price,volume,side,rpi\n"
            };
            let mut text = header.to_vec();
            text.extend_from_slice(&bytes);
            let mut sink = CollectedEvents::new();
            let _ = import_reader(&mut text.as_slice(), "BTCUSDT2024-08-08.csv", &BybitOptions::default(), &mut sink);
            let _ = import_reader(&mut bytes.as_slice(), "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}.csv", &BybitOptions::default(), &mut sink);
            let _ = symbol_from_file_name(&String::from_utf8_lossy(&bytes));
            let _ = derivatives_instrument(&String::from_utf8_lossy(&bytes));
        }
    }
}
