//! Regressions of the one-rule-for-every-importer fixes (SPEC 1.3): what one importer
//! quarantines, every importer quarantines.

use std::io::Cursor;

use auction_trader_data::CollectedEvents;
use auction_trader_data::import::binance_capture::{CaptureOptions, import_capture_bytes};
use auction_trader_data::import::format::{ImportFormat, ImportOptions, continues_job};
use auction_trader_data::import::tardis::{self, TardisOptions};
use auction_trader_types::MarketEvent;

fn capture_trade(symbol: &str, id: u64, price: &str) -> String {
    format!(
        "1723161255030314667 {{\"stream\":\"{lower}@trade\",\"data\":{{\"e\":\"trade\",\
         \"E\":1723161253754,\"T\":1723161253753,\"s\":\"{symbol}\",\"t\":{id},\"p\":\"{price}\",\
         \"q\":\"0.002\",\"X\":\"MARKET\",\"m\":true}}}}\n",
        lower = symbol.to_ascii_lowercase()
    )
}

#[test]
fn a_negative_capture_price_is_quarantined_not_stored() {
    let capture = [
        capture_trade("BTCUSDT", 1, "61804.10"),
        capture_trade("BTCUSDT", 2, "-61804"),
        capture_trade("BTCUSDT", 3, "61804.20"),
    ]
    .concat();
    let mut sink = CollectedEvents::new();
    let summary = import_capture_bytes(
        capture.as_bytes(),
        "cap",
        &CaptureOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(summary.events, 2);
    assert_eq!(sink.quarantined.len(), 1);
    assert_eq!(
        (
            sink.quarantined[0].line,
            sink.quarantined[0].reason.as_str()
        ),
        (2, "negative price")
    );
    for tagged in &sink.events {
        let MarketEvent::Trade(trade) = tagged.event else {
            panic!("not a trade");
        };
        assert!(trade.price.is_positive(), "{trade:?}");
    }
}

const TARDIS_HEADER: &[u8] = b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

#[test]
fn a_non_utf8_tardis_exchange_is_quarantined_not_a_new_instrument() {
    let mut file = TARDIS_HEADER.to_vec();
    file.extend_from_slice(
        b"binance-futures,BTCUSDT,1582329600000000,1582329600000001,1,buy,9700,1\n",
    );
    file.extend_from_slice(
        b"binance-\xff\xfeutures,BTCUSDT,1582329600000002,1582329600000003,2,buy,9700,1\n",
    );
    file.extend_from_slice(
        b"binance-futures,BTCUSDT,1582329600000004,1582329600000005,3,sell,9701,1\n",
    );
    let mut sink = CollectedEvents::new();
    let summary = tardis::import_reader(
        &mut Cursor::new(file),
        "trades.csv",
        &TardisOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.instruments.len(), 1, "{:?}", sink.instruments);
    assert_eq!(sink.instruments[0].venue, "binance-futures");
    assert_eq!((summary.events, summary.quarantined), (2, 1));
    assert_eq!(sink.quarantined[0].line, 3);
    assert!(sink.quarantined[0].reason.contains("UTF-8"));
}

#[test]
fn duplicate_tardis_trade_ids_are_quarantined_like_bitflyer_ones() {
    let mut file = TARDIS_HEADER.to_vec();
    for (id, micros) in [(10, 0), (11, 1), (10, 2), (12, 3), (11, 4)] {
        file.extend(
            format!(
                "binance-futures,BTCUSDT,{0},{0},{id},buy,9700,1\n",
                1_582_329_600_000_000_u64 + micros
            )
            .bytes(),
        );
    }
    let mut sink = CollectedEvents::new();
    let summary = tardis::import_reader(
        &mut Cursor::new(file),
        "trades.csv",
        &TardisOptions::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!((summary.events, summary.quarantined), (3, 2));
    let reasons: Vec<&str> = sink
        .quarantined
        .iter()
        .map(|row| row.reason.as_str())
        .collect();
    assert_eq!(reasons, ["duplicate trade id 10", "duplicate trade id 11"]);
}

#[test]
fn captures_of_different_instruments_are_not_one_continuous_capture() {
    let directory = tempfile::tempdir().unwrap();
    let write = |name: &str, symbol: &str, id: u64| {
        let path = directory.path().join(name);
        std::fs::write(&path, capture_trade(symbol, id, "100.5")).unwrap();
        path
    };
    let btc_1 = write("usdm_btcusdt_1.txt", "BTCUSDT", 1);
    let btc_2 = write("usdm_btcusdt_2.txt", "BTCUSDT", 2);
    let eth = write("usdm_ethusdt_1.txt", "ETHUSDT", 1);
    let options = ImportOptions::default();
    let format = ImportFormat::BinanceCapture;
    assert!(continues_job(format, &btc_1, &btc_2, &options).unwrap());
    assert!(!continues_job(format, &btc_2, &eth, &options).unwrap());
}
