//! Unit tests of the capture importer and the shared decoder (hand-worked messages).

use std::io::BufReader;

use proptest::prelude::*;

use auction_trader_types::scan_plain_decimal as plain_decimal;
use auction_trader_types::*;

use super::framing::split_local_timestamp;
use super::scanner::parse_decimal;
use super::swar::{digit_run, find_quote_or_escape};
use super::venue::is_coin_margined;
use super::*;
use crate::instruments::*;
use crate::{CollectedEvents, ImportSummary};

fn import(text: &str) -> (ImportSummary, CollectedEvents) {
    import_with(text, &CaptureOptions::default())
}

fn import_with(text: &str, options: &CaptureOptions) -> (ImportSummary, CollectedEvents) {
    let mut sink = CollectedEvents::new();
    let summary = import_capture_bytes(text.as_bytes(), "test", options, &mut sink).unwrap();
    (summary, sink)
}

fn depth_rows(sink: &CollectedEvents) -> Vec<BookDelta> {
    sink.events
        .iter()
        .filter_map(|tagged| match tagged.event {
            MarketEvent::Depth(row) => Some(row),
            _ => None,
        })
        .collect()
}

const USDM_TRADE: &str = r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#;

#[test]
fn futures_trade_with_nanosecond_local_time() {
    let (summary, sink) = import(USDM_TRADE);
    assert_eq!(summary.records_read, 1);
    assert_eq!(summary.events, 1);
    assert_eq!(
        sink.instruments,
        [InstrumentKey::new(
            "binance-usdm",
            "BTCUSDT",
            MarketKind::Perpetual
        )]
    );
    let MarketEvent::Trade(trade) = sink.events[0].event else {
        panic!("not a trade")
    };
    assert_eq!(trade.ts_recv, UnixNanos(1_723_161_255_088_176_367));
    // ts_event = T = 1723161256321 ms = 1723161256321 * 10^6 ns.
    assert_eq!(trade.ts_event, UnixNanos(1_723_161_256_321_000_000));
    // 61800.30 * 10^9 and 0.006 * 10^9.
    assert_eq!(trade.price.raw(), 61_800_300_000_000);
    assert_eq!(trade.size.raw(), 6_000_000);
    // m = false: the buyer was the taker.
    assert_eq!(trade.aggressor, AggressorSide::Buy);
    assert_eq!(trade.trade_id, TradeId(5_266_583_935));
}

#[test]
fn spot_trade_with_microsecond_local_time_sold_when_buyer_is_maker() {
    let line = r#"1680652800004107 {"stream":"btcusdt@trade","data":{"e":"trade","E":1680652800000,"s":"BTCUSDT","t":3071245454,"p":"28165.47000000","q":"0.00056000","b":20720542158,"a":20720542592,"T":1680652799999,"m":true,"M":true}}"#;
    let (_, sink) = import(line);
    assert_eq!(sink.instruments[0].venue, "binance-spot");
    assert_eq!(sink.instruments[0].market, MarketKind::Spot);
    let MarketEvent::Trade(trade) = sink.events[0].event else {
        panic!("not a trade")
    };
    // 1680652800004107 µs * 1000 = 1680652800004107000 ns.
    assert_eq!(trade.ts_recv, UnixNanos(1_680_652_800_004_107_000));
    assert_eq!(trade.ts_event, UnixNanos(1_680_652_799_999_000_000));
    assert_eq!(trade.price.raw(), 28_165_470_000_000);
    // 0.00056 * 10^9 = 560000.
    assert_eq!(trade.size.raw(), 560_000);
    assert_eq!(trade.aggressor, AggressorSide::Sell);
}

#[test]
fn cryptofeed_agg_trade_with_fractional_seconds() {
    let text = "wss://fstream.binance.com/stream?streams=ctkusdt@aggTrade <-> 1626992740.179554\n\
        1626992742.289739: {\"stream\":\"ctkusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":1626992741575,\"a\":16599292,\"s\":\"CTKUSDT\",\"p\":\"1.01100\",\"q\":\"10\",\"f\":23961322,\"l\":23961322,\"T\":1626992741421,\"m\":false}}\n";
    let mut sink = CollectedEvents::new();
    let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
    importer.read_bytes(text.as_bytes(), "cf", &mut sink);
    assert_eq!(importer.summary().records_read, 2);
    assert_eq!(importer.stats().metadata_lines, 1);
    assert_eq!(importer.stats().agg_trades, 1);
    assert!(sink.quarantined.is_empty());
    let MarketEvent::Trade(trade) = sink.events[0].event else {
        panic!("not a trade")
    };
    // 1626992742 s + 0.289739 s = 1626992742289739000 ns.
    assert_eq!(trade.ts_recv, UnixNanos(1_626_992_742_289_739_000));
    assert_eq!(trade.ts_event, UnixNanos(1_626_992_741_421_000_000));
    // The aggregate id `a`, not the first trade id `f`.
    assert_eq!(trade.trade_id, TradeId(16_599_292));
    assert_eq!(trade.price.raw(), 1_011_000_000);
    assert_eq!(trade.size.raw(), 10_000_000_000);
    assert_eq!(sink.instruments[0].venue, "binance-usdm");
}

#[test]
fn spot_book_ticker_has_no_exchange_time() {
    let line = r#"1723161254087891268 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
    let (_, sink) = import(line);
    assert_eq!(sink.instruments[0].venue, "binance-spot");
    let MarketEvent::Quote(quote) = sink.events[0].event else {
        panic!("not a quote")
    };
    assert_eq!(quote.ts_event, quote.ts_recv);
    assert_eq!(quote.ts_recv, UnixNanos(1_723_161_254_087_891_268));
    assert!(!quote.flags.has_exchange_time());
    assert_eq!(quote.update_id, 50_093_239_212);
    assert_eq!(quote.bid_price.raw(), 61_837_630_000_000);
    assert_eq!(quote.bid_size.raw(), 3_788_260_000);
    assert_eq!(quote.ask_price.raw(), 61_837_640_000_000);
    assert_eq!(quote.ask_size.raw(), 1_546_980_000);
}

#[test]
fn futures_book_ticker_uses_transaction_time() {
    let line = r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256314}}"#;
    let (_, sink) = import(line);
    assert_eq!(sink.instruments[0].venue, "binance-usdm");
    let MarketEvent::Quote(quote) = sink.events[0].event else {
        panic!("not a quote")
    };
    assert_eq!(quote.ts_event, UnixNanos(1_723_161_256_313_000_000));
    assert!(quote.flags.has_exchange_time());
    assert_eq!(quote.bid_size.raw(), 2_507_000_000);
    assert_eq!(quote.ask_size.raw(), 2_510_000_000);
}

#[test]
fn futures_depth_rows_bids_then_asks_with_last_flag() {
    let line = r#"1721347200334944611 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1721347201855,"T":1721347201804,"s":"BTCUSDT","U":4984034950969,"u":4984034950972,"pu":4984034747463,"b":[["63335.10","1.136"],["63462.60","0.000"]],"a":[["64020.40","0.005"]]}}"#;
    let (summary, sink) = import(line);
    assert_eq!(summary.events, 3);
    let rows = depth_rows(&sink);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().map(|row| row.side).collect::<Vec<_>>(),
        [BookSide::Bid, BookSide::Bid, BookSide::Ask]
    );
    assert_eq!(rows[0].price.raw(), 63_335_100_000_000);
    assert_eq!(rows[0].size.raw(), 1_136_000_000);
    // A zero size removes the level.
    assert_eq!(rows[1].size, Quantity::ZERO);
    assert_eq!(rows[2].price.raw(), 64_020_400_000_000);
    for row in &rows {
        assert_eq!(row.first_update_id, 4_984_034_950_969);
        assert_eq!(row.last_update_id, 4_984_034_950_972);
        assert_eq!(row.prev_update_id, 4_984_034_747_463);
        // Depth ts_event = E.
        assert_eq!(row.ts_event, UnixNanos(1_721_347_201_855_000_000));
        assert!(!row.flags.is_snapshot() && !row.flags.is_empty_message());
    }
    assert!(!rows[0].flags.is_last() && !rows[1].flags.is_last() && rows[2].flags.is_last());
}

#[test]
fn empty_depth_message_is_one_empty_last_row() {
    let line = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[],"a":[]}}"#;
    let (_, sink) = import(line);
    let rows = depth_rows(&sink);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].flags,
        DeltaFlags(DeltaFlags::EMPTY | DeltaFlags::LAST)
    );
    assert_eq!(rows[0].price, Price::ZERO);
    // Spot depth has no `pu`.
    assert_eq!(rows[0].prev_update_id, 0);
    assert_eq!(sink.instruments[0].venue, "binance-spot");
}

const SPOT_DEPTH: &str = r#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;
const SPOT_SNAPSHOT: &str = r#"1723161254206652067 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"],["61837.62000000","0.61700000"]],"asks":[["61837.64000000","1.60520000"]]}"#;

#[test]
fn snapshot_rows_after_depth_belong_to_the_depth_symbol() {
    let (summary, sink) = import(&format!("{SPOT_DEPTH}\n{SPOT_SNAPSHOT}\n"));
    assert_eq!(summary.records_read, 2);
    assert_eq!(sink.instruments.len(), 1);
    let rows = depth_rows(&sink);
    let snapshot = &rows[2..];
    assert_eq!(snapshot.len(), 3);
    let flags: Vec<u8> = snapshot.iter().map(|row| row.flags.0).collect();
    assert_eq!(
        flags,
        [
            DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
            DeltaFlags::SNAPSHOT,
            DeltaFlags::SNAPSHOT | DeltaFlags::LAST
        ]
    );
    for row in snapshot {
        assert_eq!(row.first_update_id, 50_093_239_218);
        assert_eq!(row.last_update_id, 50_093_239_218);
        assert_eq!(row.prev_update_id, 0);
        // No E/T in a spot snapshot: ts_event = ts_recv.
        assert_eq!(row.ts_event, UnixNanos(1_723_161_254_206_652_067));
    }
    assert_eq!(snapshot[2].side, BookSide::Ask);
    assert_eq!(snapshot[2].size.raw(), 1_605_200_000);
}

#[test]
fn snapshot_before_any_depth_is_emitted_before_the_first_depth_message() {
    let (summary, sink) = import(&format!("{SPOT_SNAPSHOT}\n{SPOT_DEPTH}\n"));
    assert_eq!(summary.quarantined, 0);
    assert_eq!(summary.events, 5);
    let rows = depth_rows(&sink);
    assert!(rows[0].flags.is_clear() && rows[0].flags.is_snapshot());
    assert_eq!(rows[0].ts_recv, UnixNanos(1_723_161_254_206_652_067));
    assert!(!rows[3].flags.is_snapshot());
}

#[test]
fn lone_snapshot_without_symbol_is_quarantined_unless_named() {
    let (summary, sink) = import(SPOT_SNAPSHOT);
    assert_eq!(summary.quarantined, 1);
    assert_eq!(sink.quarantined[0].line, 1);
    let options = CaptureOptions {
        snapshot_symbol: Some("btcusdt".to_owned()),
        ..CaptureOptions::default()
    };
    let (summary, sink) = import_with(SPOT_SNAPSHOT, &options);
    assert_eq!(summary.quarantined, 0);
    assert_eq!(summary.events, 3);
    assert_eq!(sink.instruments[0].symbol, "BTCUSDT");
}

#[test]
fn futures_snapshot_with_times_and_empty_snapshot() {
    let line = r#"1721347021281597601 {"lastUpdateId":4984028384061,"E":1721347022759,"T":1721347022750,"symbol":"BTCUSDT","bids":[],"asks":[]}"#;
    let (_, sink) = import(line);
    assert_eq!(sink.instruments[0].venue, "binance-usdm");
    let rows = depth_rows(&sink);
    assert_eq!(rows.len(), 1);
    let expected = DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR | DeltaFlags::LAST | DeltaFlags::EMPTY;
    assert_eq!(rows[0].flags, DeltaFlags(expected));
    assert_eq!(rows[0].ts_event, UnixNanos(1_721_347_022_759_000_000));
}

#[test]
fn coin_margined_symbols_go_to_binance_coinm() {
    let line = r#"1723161256419684465 {"stream":"btcusd_perp@trade","data":{"e":"trade","E":1723161257687,"T":1723161257679,"s":"BTCUSD_PERP","t":849714402,"p":"61804.8","q":"4","X":"MARKET","m":false}}"#;
    let (_, sink) = import(line);
    assert_eq!(
        sink.instruments,
        [InstrumentKey::new(
            "binance-coinm",
            "BTCUSD_PERP",
            MarketKind::Perpetual
        )]
    );
    assert!(is_coin_margined(b"DOTUSD_PERP"));
    assert!(is_coin_margined(b"btcusd_240927"));
    assert!(!is_coin_margined(b"BTCUSDT_240927"));
    assert!(!is_coin_margined(b"BTCUSDT"));
}

#[test]
fn venue_override_wins_and_bad_override_is_an_error() {
    let options = CaptureOptions {
        venue: Some("binance-coinm".to_owned()),
        ..CaptureOptions::default()
    };
    let (_, sink) = import_with(USDM_TRADE, &options);
    assert_eq!(sink.instruments[0].venue, "binance-coinm");
    let bad = CaptureOptions {
        venue: Some("bybit-linear".to_owned()),
        ..CaptureOptions::default()
    };
    assert!(matches!(
        CaptureImporter::new(&bad),
        Err(DataError::InvalidOption(_))
    ));
}

#[test]
fn mark_price_update_becomes_funding() {
    let line = r#"1562305380000000000 {"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#;
    let (_, sink) = import(line);
    let MarketEvent::Funding(funding) = sink.events[0].event else {
        panic!("not funding")
    };
    // 0.00038167 * 10^9 = 381670.
    assert_eq!(funding.rate.raw(), 381_670);
    assert_eq!(
        funding.next_funding_time,
        UnixNanos(1_562_306_400_000_000_000)
    );
    assert_eq!(funding.mark_price.raw(), 11_794_150_000_000);
    assert_eq!(funding.index_price.raw(), 11_784_626_590_910);
    assert_eq!(funding.ts_event, UnixNanos(1_562_305_380_000_000_000));
    assert_eq!(sink.instruments[0].venue, "binance-usdm");
}

#[test]
fn mark_price_array_stream_emits_every_element() {
    let line = r#"1562305380000000000 {"stream":"!markPrice@arr","data":[{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15","i":"11784.6","r":"0.0001","T":1562306400000},{"e":"markPriceUpdate","E":1562305380000,"s":"ETHUSDT","p":"300.5","i":"300.4","r":"-0.0002","T":1562306400000}]}"#;
    let (summary, sink) = import(line);
    assert_eq!(summary.events, 2);
    assert_eq!(sink.instruments.len(), 2);
    let MarketEvent::Funding(second) = sink.events[1].event else {
        panic!("not funding")
    };
    assert_eq!(second.rate.raw(), -200_000);
}

#[test]
fn force_order_becomes_a_liquidation() {
    // The documented USD-M shape (protocol_examples/binance_usdm_liquidation_stream.json).
    let line = r#"1568014460900000000 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00000000","ap":"9910.12345678","X":"FILLED","l":"0.014","z":"0.014","T":1568014460891}}"#;
    let (_, sink) = import(line);
    let MarketEvent::Liquidation(liquidation) = sink.events[0].event else {
        panic!("not a liquidation")
    };
    assert_eq!(liquidation.side, AggressorSide::Sell);
    // Average fill price ap = 9910.12345678 -> 9910123456780 raw.
    assert_eq!(liquidation.price.raw(), 9_910_123_456_780);
    assert_eq!(liquidation.size.raw(), 14_000_000);
    assert_eq!(liquidation.ts_event, UnixNanos(1_568_014_460_891_000_000));
    assert_eq!(liquidation.ts_recv, UnixNanos(1_568_014_460_900_000_000));
    assert_eq!(sink.instruments[0].venue, "binance-usdm");
}

const KLINE_OPEN: &str = r#"1626992742.2895691: {"stream":"ctkusdt@kline_1m","data":{"e":"kline","E":1626992741424,"s":"CTKUSDT","k":{"t":1626992700000,"T":1626992759999,"s":"CTKUSDT","i":"1m","f":23961275,"L":23961322,"o":"1.01000","c":"1.01100","h":"1.01100","l":"1.01000","v":"3917","n":48,"x":false,"q":"3957.89900","V":"1729","Q":"1748.01900","B":"0"}}}"#;

#[test]
fn closed_kline_becomes_a_bar_and_open_ones_are_counted() {
    let closed = KLINE_OPEN.replace("\"x\":false", "\"x\":true");
    let text = format!("{KLINE_OPEN}\n{KLINE_OPEN}\n{closed}\n");
    let mut sink = CollectedEvents::new();
    let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
    importer.read_bytes(text.as_bytes(), "kline", &mut sink);
    assert_eq!(importer.stats().skipped_of("kline (open bar)"), 2);
    assert_eq!(importer.stats().klines, 1);
    assert!(sink.quarantined.is_empty());
    // One warning for the open klines (once per kind) and one for the assumed venue.
    assert_eq!(
        sink.warnings
            .iter()
            .filter(|text| text.contains("open bar"))
            .count(),
        1
    );
    let MarketEvent::Bar(bar) = sink.events[0].event else {
        panic!("not a bar")
    };
    assert_eq!(bar.ts_open, UnixNanos(1_626_992_700_000_000_000));
    // Close time T = ...759999 ms is the last millisecond: the bar is known at +1 ms.
    assert_eq!(bar.ts_event, UnixNanos(1_626_992_760_000_000_000));
    assert_eq!(bar.open.raw(), 1_010_000_000);
    assert_eq!(bar.high.raw(), 1_011_000_000);
    assert_eq!(bar.low.raw(), 1_010_000_000);
    assert_eq!(bar.close.raw(), 1_011_000_000);
    assert_eq!(bar.volume.raw(), 3_917_000_000_000);
    // VWAP = 3957.899 / 3917 = 1.010441409... -> 1010441409 raw (truncated).
    assert_eq!(bar.vwap.raw(), 1_010_441_409);
    assert_eq!(bar.buy_volume.raw(), 1_729_000_000_000);
    // Sell volume = 3917 - 1729 = 2188.
    assert_eq!(bar.sell_volume.raw(), 2_188_000_000_000);
    assert_eq!(bar.trade_count, 48);
}

#[test]
fn unsupported_messages_are_counted_and_warned_once() {
    let ticker = r#"1723161255088176367 {"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1,"s":"BTCUSDT"}}"#;
    let partial = r#"1723161255088176367 {"stream":"btcusdt@depth20@100ms","data":{"e":"depthUpdate","E":1723161256299,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}}"#;
    let response = r#"1723161255088176367 {"result":null,"id":1}"#;
    let text = format!("{ticker}\n{ticker}\n{partial}\n{response}\n{USDM_TRADE}\n");
    let mut sink = CollectedEvents::new();
    let mut importer = CaptureImporter::new(&CaptureOptions::default()).unwrap();
    importer.read_bytes(text.as_bytes(), "mixed", &mut sink);
    let stats = importer.stats();
    assert_eq!(stats.skipped_of("24hrTicker"), 2);
    assert_eq!(stats.skipped_of("partial depth (depth<N>)"), 1);
    assert_eq!(stats.skipped_of("unrecognized message"), 1);
    assert_eq!(sink.warnings.len(), 3);
    assert!(sink.quarantined.is_empty());
    assert_eq!(sink.events.len(), 1);
}

#[test]
fn malformed_lines_are_quarantined_with_line_and_reason() {
    let text = [
        USDM_TRADE,
        "",
        "not a capture line",
        r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"61800.30","q":"0.006","m":false"#,
        r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"6e4","q":"0.006","m":false}}"#,
        r#"1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"q":"0.006","m":false}}"#,
        r#"1723161255088176 {"stream":"btcusdt@trade","data":{"e":"trade","T":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","m":false}}"#,
        r#"1723161255088176367 {"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}}"#,
        r#"1723161255088176367 {"stream":"btcusdt@trade"} trailing"#,
        USDM_TRADE,
    ]
    .join("\n");
    let (summary, sink) = import(&text);
    assert_eq!(summary.records_read, 10);
    assert_eq!(summary.events, 2);
    let lines: Vec<u64> = sink.quarantined.iter().map(|row| row.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8, 9]);
    let reasons: Vec<&str> = sink
        .quarantined
        .iter()
        .map(|row| row.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "line does not start with a local timestamp",
            "unterminated JSON object",
            "invalid decimal value",
            "trade without price p",
            "local timestamp magnitude differs from the file's unit",
            "depth level without size",
            "trailing bytes after the JSON message",
        ]
    );
    assert_eq!(summary.quarantined, 7);
    assert_eq!(sink.quarantined[0].source, "test");
}

#[test]
fn reader_with_tiny_buffers_matches_the_in_memory_parse() {
    let text = format!(
        "{USDM_TRADE}\r\n{SPOT_DEPTH}\n\n{}\n{USDM_TRADE}",
        r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5,"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4","T":1723161256313,"E":1723161256314}}"#
    );
    let options = CaptureOptions {
        venue: Some(BINANCE_USDM.to_owned()),
        ..CaptureOptions::default()
    };
    let (expected_summary, expected) = import_with(&text, &options);
    for capacity in [1, 2, 7, 64, 4096] {
        let mut reader = BufReader::with_capacity(capacity, text.as_bytes());
        let mut sink = CollectedEvents::new();
        let summary = import_capture(&mut reader, "reader", &options, &mut sink).unwrap();
        assert_eq!(summary, expected_summary, "capacity {capacity}");
        assert_eq!(sink.events, expected.events, "capacity {capacity}");
    }
    assert_eq!(expected_summary.records_read, 5);
    assert_eq!(expected_summary.events, 5);
}

#[test]
fn local_time_units_follow_the_magnitude() {
    assert_eq!(
        LocalTimeUnit::from_magnitude(1_626_992_742),
        Some(LocalTimeUnit::Seconds)
    );
    assert_eq!(
        LocalTimeUnit::from_magnitude(1_626_992_742_289),
        Some(LocalTimeUnit::Millis)
    );
    assert_eq!(
        LocalTimeUnit::from_magnitude(1_680_652_800_004_107),
        Some(LocalTimeUnit::Micros)
    );
    assert_eq!(
        LocalTimeUnit::from_magnitude(1_723_161_255_030_314_667),
        Some(LocalTimeUnit::Nanos)
    );
    assert_eq!(LocalTimeUnit::from_magnitude(42), None);
    let (stamp, json) = split_local_timestamp(b"1626992741.0621701234567: {}").unwrap();
    assert_eq!(json, b"{}");
    // Nine fractional digits are kept, the rest truncated: .062170123 s.
    assert_eq!(
        stamp.to_nanos(LocalTimeUnit::Seconds),
        Some(UnixNanos(1_626_992_741_062_170_123))
    );
}

#[test]
fn a_far_off_local_clock_is_warned_about() {
    // The local stamp claims 2023 while the exchange says 2024.
    let line = USDM_TRADE.replace("1723161255088176367", "1680652800004107000");
    let (_, sink) = import(&line);
    assert_eq!(sink.events.len(), 1);
    assert!(
        sink.warnings
            .iter()
            .any(|text| text.contains("differs from exchange time"))
    );
}

#[test]
fn word_scanners_find_the_first_match() {
    assert_eq!(find_quote_or_escape(b"0123456789abcdef\"x"), Some(16));
    assert_eq!(find_quote_or_escape(b"ab\\\"cd"), Some(2));
    assert_eq!(find_quote_or_escape(b"abc"), None);
    // A byte just above '"' (0x23) must not match: no false positives below the match.
    assert_eq!(find_quote_or_escape(b"##!!##!!##\""), Some(10));
    assert_eq!(digit_run(b"1723161255030314667 {"), 19);
    assert_eq!(digit_run(b"12345678"), 8);
    assert_eq!(digit_run(b"9/:0"), 1);
    assert_eq!(digit_run(b""), 0);
    // 61800.20 -> 61800 * 10^9 + 20 * 10^7; length 8.
    assert_eq!(plain_decimal(b"61800.20\""), Some((61_800_200_000_000, 8)));
    assert_eq!(plain_decimal(b"0.00056000"), Some((560_000, 10)));
    assert_eq!(plain_decimal(b"."), None);
    assert_eq!(plain_decimal(b"1234567890.5"), None);
    assert_eq!(plain_decimal(b"1.0000000001"), None);
}

proptest! {
    #[test]
    fn fast_decimal_agrees_with_the_exact_parser(text in "[0-9.]{0,22}") {
        if let Some((raw, length)) = plain_decimal(text.as_bytes()) {
            let parsed = auction_trader_types::parse_fixed(&text[..length]);
            prop_assert_eq!(parsed, Ok(raw));
        }
        let fast = parse_decimal::<Price>(text.as_bytes()).ok().map(Price::raw);
        prop_assert_eq!(fast, auction_trader_types::parse_fixed(&text).ok());
    }

    #[test]
    fn word_scanners_agree_with_plain_loops(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        prop_assert_eq!(
            find_quote_or_escape(&bytes),
            bytes.iter().position(|&byte| byte == b'"' || byte == b'\\')
        );
        prop_assert_eq!(
            digit_run(&bytes),
            bytes.iter().position(|byte| !byte.is_ascii_digit()).unwrap_or(bytes.len())
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut sink = CollectedEvents::new();
        let summary = import_capture_bytes(&bytes, "fuzz", &CaptureOptions::default(), &mut sink).unwrap();
        prop_assert_eq!(summary.quarantined, sink.quarantined.len() as u64);
        prop_assert_eq!(summary.events, sink.events.len() as u64);
    }

    #[test]
    fn mutated_real_lines_never_panic(
        index in 0_usize..6,
        position in 0_usize..400,
        cut in any::<bool>(),
        byte in any::<u8>(),
    ) {
        let closed = KLINE_OPEN.replace("\"x\":false", "\"x\":true");
        let lines = [USDM_TRADE, SPOT_DEPTH, SPOT_SNAPSHOT, KLINE_OPEN, closed.as_str(),
            r#"1568014460900000000 {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","q":"0.014","p":"9910.00000000","ap":"9910.12345678","z":"0.014","T":1568014460891}}"#];
        let mut line = lines[index].as_bytes().to_vec();
        let position = position % line.len();
        if cut {
            line.truncate(position);
        } else {
            // A newline would split the line in two: covered by the arbitrary-bytes test.
            line[position] = if byte == b'\n' { b' ' } else { byte };
        }
        let mut text = SPOT_DEPTH.as_bytes().to_vec();
        text.push(b'\n');
        text.extend_from_slice(&line);
        let mut sink = CollectedEvents::new();
        let summary = import_capture_bytes(&text, "fuzz", &CaptureOptions::default(), &mut sink).unwrap();
        // A cut at 0 leaves an empty last line, which is no record.
        prop_assert_eq!(summary.records_read, if line.is_empty() { 1 } else { 2 });
        prop_assert!(summary.events >= 2);
        prop_assert_eq!(summary.quarantined, sink.quarantined.len() as u64);
    }
}

/// The live feed's decoder and the importer are one code path: for every line of a futures
/// capture, the stream decoder given the line's JSON and receive time appends exactly the
/// events the importer emits for the line (snapshot rows flagged SNAPSHOT/CLEAR/LAST).
#[test]
fn the_stream_decoder_appends_the_importer_events_of_each_message() {
    let futures_depth = r#"1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256313,"T":1723161256311,"s":"BTCUSDT","U":5014870560131,"u":5014870567236,"pu":5014870559973,"b":[["61800.20","2.909"],["61799.00","0"]],"a":[["61800.30","0.500"]]}}"#;
    let futures_snapshot = r#"1723161255131314667 {"lastUpdateId":5014870567000,"E":1723161256400,"T":1723161256390,"bids":[["61800.20","3"]],"asks":[["61800.30","1"],["61801.00","2"]]}"#;
    let book_ticker = r#"1723161255088169167 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5,"s":"BTCUSDT","b":"1","B":"2","a":"3","A":"4","T":1723161256313,"E":1723161256314}}"#;
    let options = CaptureOptions {
        venue: Some(BINANCE_USDM.to_owned()),
        snapshot_symbol: Some("BTCUSDT".to_owned()),
        ..CaptureOptions::default()
    };
    let mut decoder = StreamDecoder::new(BINANCE_USDM, "BTCUSDT").unwrap();
    for line in [USDM_TRADE, futures_depth, futures_snapshot, book_ticker] {
        let (_, imported) = import_with(line, &options);
        let (stamp, json) = split_local_timestamp(line.as_bytes()).unwrap();
        let ts_recv = stamp.to_nanos(LocalTimeUnit::Nanos).unwrap();
        let expected: Vec<MarketEvent> =
            imported.events.iter().map(|tagged| tagged.event).collect();
        assert!(!expected.is_empty());
        // Appended after what was there.
        let mut decoded = vec![expected[0]];
        decoder.decode(json, ts_recv, &mut decoded).unwrap();
        assert_eq!(decoded.remove(0), expected[0]);
        assert_eq!(decoded, expected, "{line}");
    }
    let snapshot_flags: Vec<u8> = {
        let (stamp, json) = split_local_timestamp(futures_snapshot.as_bytes()).unwrap();
        let mut rows = Vec::new();
        decoder
            .decode(
                json,
                stamp.to_nanos(LocalTimeUnit::Nanos).unwrap(),
                &mut rows,
            )
            .unwrap();
        rows.iter()
            .map(|event| match event {
                MarketEvent::Depth(row) => row.flags.0,
                _ => 0,
            })
            .collect()
    };
    assert_eq!(
        snapshot_flags,
        [
            DeltaFlags::SNAPSHOT | DeltaFlags::CLEAR,
            DeltaFlags::SNAPSHOT,
            DeltaFlags::SNAPSHOT | DeltaFlags::LAST
        ]
    );
    // A malformed message appends nothing and says why; another symbol's is dropped.
    let mut out = Vec::new();
    let error = decoder
        .decode(br#"{"e":"trade","s":"BTCUSDT"}"#, UnixNanos(1), &mut out)
        .unwrap_err();
    assert_eq!(error.0, "trade without price p");
    let ethereum = USDM_TRADE.replace("BTCUSDT", "ETHUSDT");
    let (_, json) = split_local_timestamp(ethereum.as_bytes()).unwrap();
    decoder.decode(json, UnixNanos(1), &mut out).unwrap();
    assert!(out.is_empty());
    assert_eq!(decoder.other_symbol_events(), 1);
}
