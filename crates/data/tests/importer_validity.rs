//! One value rule for every importer (SPEC 1.3): rows with non-positive, NaN, infinite, huge
//! or non-UTF-8 fields are quarantined, never stored, and every good row around them is kept.
//! The same generated rows go through each trade importer's own layout.

use std::io::Cursor;

use auction_trader_data::import::binance_archive::{self, ArchiveOptions};
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_bytes};
use auction_trader_data::import::generic_csv::{CsvMapping, import_trades};
use auction_trader_data::import::{bitflyer, tardis};
use auction_trader_data::{CollectedEvents, DataError, ImportSummary};
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind};
use proptest::prelude::*;

/// A field that must never become a stored value.
const BAD_NUMBERS: &[&[u8]] = &[
    b"0",
    b"0.000",
    b"-0",
    b"-5",
    b"-61804",
    b"-0.01",
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"Infinity",
    b"1e40",
    b"123456789012345678901234567890123456789012345",
    b"12\xff3",
    b"\xc3\x28",
];

/// One generated row: a good trade, or one with a bad price, size or text field.
#[derive(Debug, Clone)]
enum Row {
    Good {
        price: (u32, u8),
        size: (u32, u16),
    },
    BadPrice(usize),
    BadSize(usize),
    /// A non-UTF-8 byte in the side field.
    BadText,
}

impl Row {
    fn good(&self) -> Option<(String, String)> {
        match self {
            Row::Good { price, size } => Some((
                format!("{}.{:02}", price.0, price.1 % 100),
                format!("{}.{:03}", size.0, size.1 % 1000),
            )),
            _ => None,
        }
    }

    /// Price and size fields as bytes, plus whether the side field is corrupt.
    fn fields(&self) -> (Vec<u8>, Vec<u8>, bool) {
        match self {
            Row::Good { .. } => {
                let (price, size) = self.good().unwrap_or_default();
                (price.into_bytes(), size.into_bytes(), false)
            }
            Row::BadPrice(index) => (BAD_NUMBERS[*index].to_vec(), b"1.5".to_vec(), false),
            Row::BadSize(index) => (b"100.5".to_vec(), BAD_NUMBERS[*index].to_vec(), false),
            Row::BadText => (b"100.5".to_vec(), b"1.5".to_vec(), true),
        }
    }
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let good = ((1_u32..100_000, any::<u8>()), (0_u32..100, 1_u16..1000))
        .prop_map(|(price, size)| Row::Good { price, size });
    let bad = prop_oneof![
        (0..BAD_NUMBERS.len()).prop_map(Row::BadPrice),
        (0..BAD_NUMBERS.len()).prop_map(Row::BadSize),
        Just(Row::BadText),
    ];
    proptest::collection::vec(prop_oneof![3 => good, 1 => bad], 1..40)
}

fn side(corrupt: bool) -> &'static [u8] {
    if corrupt { b"bu\xffy" } else { b"buy" }
}

/// Asserts the rule on one importer's output: the good rows in order, nothing else, and one
/// quarantined line per bad row.
fn check(
    rows: &[Row],
    sink: &CollectedEvents,
    summary: &ImportSummary,
    what: &str,
) -> Result<(), TestCaseError> {
    let expected: Vec<(String, String)> = rows.iter().filter_map(Row::good).collect();
    let stored: Vec<(String, String)> = sink
        .events
        .iter()
        .map(|tagged| match tagged.event {
            MarketEvent::Trade(trade) => {
                prop_assert!(trade.price.is_positive() && trade.size.is_positive());
                Ok((trade.price.to_string(), trade.size.to_string()))
            }
            other => Err(TestCaseError::fail(format!(
                "{what}: not a trade: {other:?}"
            ))),
        })
        .collect::<Result<_, _>>()?;
    let normalize = |(price, size): &(String, String)| {
        let parse = |text: &str| text.parse::<f64>().unwrap_or(f64::NAN);
        (parse(price), parse(size))
    };
    let expected: Vec<(f64, f64)> = expected.iter().map(normalize).collect();
    let stored: Vec<(f64, f64)> = stored.iter().map(normalize).collect();
    prop_assert_eq!(&stored, &expected, "{}: stored trades", what);
    let bad = rows.iter().filter(|row| row.good().is_none()).count();
    prop_assert_eq!(
        sink.quarantined.len(),
        bad,
        "{}: {:?}",
        what,
        sink.quarantined
    );
    prop_assert_eq!(summary.quarantined, bad as u64, "{}", what);
    Ok(())
}

fn import(
    what: &str,
    run: impl FnOnce(&mut CollectedEvents) -> Result<ImportSummary, DataError>,
) -> Result<(CollectedEvents, ImportSummary), TestCaseError> {
    let mut sink = CollectedEvents::new();
    let summary =
        run(&mut sink).map_err(|error| TestCaseError::fail(format!("{what}: {error}")))?;
    Ok((sink, summary))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generic_csv_quarantines_every_bad_row(rows in rows()) {
        let mut file = b"time,price,qty,side\n".to_vec();
        for (index, row) in rows.iter().enumerate() {
            let (price, size, corrupt) = row.fields();
            file.extend(format!("{},", 1_700_000_000_000_u64 + index as u64 * 1000).bytes());
            file.extend(price);
            file.push(b',');
            file.extend(size);
            file.push(b',');
            file.extend(side(corrupt));
            file.push(b'\n');
        }
        let mapping = CsvMapping::new("time", "price", "qty").with_side("side");
        let instrument = InstrumentKey::new("csv", "TEST", MarketKind::Perpetual);
        let (sink, summary) = import("generic csv", |sink| {
            import_trades(&mut Cursor::new(file), "t.csv", &mapping, &instrument, sink)
        })?;
        check(&rows, &sink, &summary, "generic csv")?;
    }

    #[test]
    fn tardis_quarantines_every_bad_row(rows in rows()) {
        let mut file = b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n".to_vec();
        for (index, row) in rows.iter().enumerate() {
            let (price, size, corrupt) = row.fields();
            let micros = 1_582_329_600_000_000_u64 + index as u64 * 1_000;
            file.extend(format!("binance-futures,BTCUSDT,{micros},{micros},{},", index + 1).bytes());
            file.extend(side(corrupt));
            file.push(b',');
            file.extend(price);
            file.push(b',');
            file.extend(size);
            file.push(b'\n');
        }
        let (sink, summary) = import("tardis", |sink| {
            tardis::import_reader(&mut Cursor::new(file), "t.csv", &tardis::TardisOptions::default(), sink)
        })?;
        check(&rows, &sink, &summary, "tardis")?;
    }

    #[test]
    fn bitflyer_quarantines_every_bad_row(rows in rows()) {
        let mut file = b"domain,product_code,loaded,id,exec_date,side,price,size\n".to_vec();
        for (index, row) in rows.iter().enumerate() {
            let (price, size, corrupt) = row.fields();
            let side = if corrupt { b"BU\xffY".as_slice() } else { b"BUY".as_slice() };
            file.extend(format!(
                "bitflyer.jp,BTC_JPY,x,{},2018-01-21T00:{:02}:{:02}.000+09:00,",
                index + 1,
                index / 60,
                index % 60
            ).bytes());
            file.extend(side);
            file.push(b',');
            file.extend(price);
            file.push(b',');
            file.extend(size);
            file.push(b'\n');
        }
        let (sink, summary) = import("bitflyer", |sink| {
            bitflyer::import_execution_reader(&mut Cursor::new(file), "b.csv", sink)
        })?;
        check(&rows, &sink, &summary, "bitflyer")?;
    }

    #[test]
    fn binance_capture_quarantines_every_bad_row(rows in rows()) {
        let mut file = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let (price, size, corrupt) = row.fields();
            let millis = 1_723_161_255_000_u64 + index as u64;
            let symbol = if corrupt { b"BTC\xffUSDT".as_slice() } else { b"BTCUSDT".as_slice() };
            file.extend(format!(
                "{}000000 {{\"stream\":\"btcusdt@trade\",\"data\":{{\"e\":\"trade\",\"E\":{millis},\"s\":\"",
                millis
            ).bytes());
            file.extend(symbol);
            file.extend(format!("\",\"t\":{},\"p\":\"", index + 1).bytes());
            file.extend(price);
            file.extend(b"\",\"q\":\"");
            file.extend(size);
            file.extend(format!("\",\"T\":{millis},\"m\":true,\"M\":true}}}}\n").bytes());
        }
        let (sink, summary) = import("binance capture", |sink| {
            import_capture_bytes(&file, "cap", &CaptureOptions::default(), sink)
        })?;
        check(&rows, &sink, &summary, "binance capture")?;
    }

    #[test]
    fn binance_archive_quarantines_every_bad_row(rows in rows()) {
        let mut file = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let (price, size, corrupt) = row.fields();
            let millis = 1_723_161_255_000_u64 + index as u64;
            file.extend(format!("{},", index + 1).bytes());
            file.extend(price);
            file.push(b',');
            file.extend(size);
            file.extend(format!(",1.0,{millis},").bytes());
            file.extend(if corrupt { b"tr\xffue".as_slice() } else { b"true".as_slice() });
            file.extend(b",true\n");
        }
        let options = ArchiveOptions {
            venue: Some("binance-usdm".to_owned()),
            ..ArchiveOptions::default()
        };
        let (sink, summary) = import("binance archive", |sink| {
            binance_archive::import_reader(
                &mut Cursor::new(file),
                "BTCUSDT-trades-2024-08-08.csv",
                &options,
                sink,
            )
        })?;
        check(&rows, &sink, &summary, "binance archive")?;
    }
}
