//! Meme-coin sizes (a PEPE trade of 12,000,000,000 units, and 10^13 units): beyond the former
//! `i64` raw range (9.2·10^9 units), they are imported by every text importer, stored in the
//! DECIMAL(38, 9) size column and read back exactly.

use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_bytes};
use auction_trader_data::import::generic_csv::{CsvMapping, import_trades};
use auction_trader_data::import::tardis::{TardisOptions, import_reader};
use auction_trader_storage::{ParquetStore, SourceInfo};
use auction_trader_types::{InstrumentKey, MarketEvent, MarketKind, Quantity, StreamKind};

use crate::common::read_all;

const PEPE_TRADE: i128 = 12_000_000_000;
const HUGE_TRADE: i128 = 10_000_000_000_000;

fn sizes(events: &[MarketEvent]) -> Vec<Quantity> {
    events
        .iter()
        .map(|event| match event {
            MarketEvent::Trade(trade) => trade.size,
            other => panic!("not a trade: {other:?}"),
        })
        .collect()
}

fn expected() -> Vec<Quantity> {
    vec![
        Quantity::from_raw(PEPE_TRADE * 1_000_000_000),
        Quantity::from_raw(HUGE_TRADE * 1_000_000_000 + 500_000_000),
    ]
}

#[test]
fn generic_csv_meme_coin_sizes_are_stored_and_replayed_exactly() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let key = InstrumentKey::new("binance-spot", "PEPEUSDT", MarketKind::Spot);
    let text = "time,price,size\n\
                2024-08-08T00:00:01Z,0.00000812,12000000000\n\
                2024-08-08T00:00:02Z,0.00000813,10000000000000.5\n";
    let mut writer = store
        .begin_source_import(SourceInfo::named("pepe.csv"))
        .unwrap();
    let summary = import_trades(
        &mut text.as_bytes(),
        "pepe.csv",
        &CsvMapping::new("time", "price", "size"),
        &key,
        &mut writer,
    )
    .unwrap();
    assert_eq!((summary.events, summary.quarantined), (2, 0));
    writer.commit_import(summary).unwrap();
    assert_eq!(
        sizes(&read_all(&store, &key, StreamKind::Trade)),
        expected()
    );
}

#[test]
fn tardis_and_binance_capture_meme_coin_sizes_round_trip() {
    let directory = tempfile::tempdir().unwrap();
    let store = ParquetStore::open(directory.path()).unwrap();
    let mut writer = store
        .begin_source_import(SourceInfo::named("captures"))
        .unwrap();
    let tardis = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
                  binance,PEPEUSDT,1723075201000000,1723075201000100,1,buy,0.00000812,12000000000\n\
                  binance,PEPEUSDT,1723075202000000,1723075202000100,2,sell,0.00000813,10000000000000.5\n";
    let summary = import_reader(
        &mut tardis.as_bytes(),
        "trades.csv",
        &TardisOptions::default(),
        &mut writer,
    )
    .unwrap();
    assert_eq!((summary.events, summary.quarantined), (2, 0));
    let capture = concat!(
        r#"1723075203000000000 {"stream":"1000pepeusdt@trade","data":{"e":"trade","E":1723075203000,"T":1723075203000,"s":"1000PEPEUSDT","t":7,"p":"0.008120","q":"12000000000","X":"MARKET","m":false}}"#,
        "\n",
        r#"1723075204000000000 {"stream":"1000pepeusdt@trade","data":{"e":"trade","E":1723075204000,"T":1723075204000,"s":"1000PEPEUSDT","t":8,"p":"0.008130","q":"10000000000000.5","X":"MARKET","m":true}}"#,
        "\n"
    );
    let captured = import_capture_bytes(
        capture.as_bytes(),
        "capture",
        &CaptureOptions::default(),
        &mut writer,
    )
    .unwrap();
    assert_eq!((captured.events, captured.quarantined), (2, 0));
    let mut total = summary;
    total.add(&captured);
    writer.commit_import(total).unwrap();
    let tardis_key = InstrumentKey::new("binance", "PEPEUSDT", MarketKind::Spot);
    let capture_key = InstrumentKey::new("binance-usdm", "1000PEPEUSDT", MarketKind::Perpetual);
    assert_eq!(
        sizes(&read_all(&store, &tardis_key, StreamKind::Trade)),
        expected()
    );
    assert_eq!(
        sizes(&read_all(&store, &capture_key, StreamKind::Trade)),
        expected()
    );
}
