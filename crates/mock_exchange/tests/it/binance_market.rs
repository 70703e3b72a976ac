//! Binance USD-M market data: the recorded frames in order and filtered, the REST snapshot
//! equal to the importer's book at the same update id, an injected gap seen as a `pu` break,
//! and the end of the replay.

use std::time::Duration;

use auction_trader_book::{AppliedMessage, OrderBook, SequenceRule, SequencedBook};
use auction_trader_mock_exchange::capture::FrameKind;
use auction_trader_mock_exchange::{Speed, Venue};
use auction_trader_types::{BookSide, MarketEvent, Price, Quantity};
use serde_json::Value;

use crate::support::{capture, connect, http, next_text, read_all, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_receives_the_recorded_frames_of_its_streams_in_order_then_a_normal_close() {
    let Some(path) = capture() else { return };
    let (server, replay) = start(Venue::BinanceUsdm, &path, Speed::AsFastAsRead).await;
    let url = format!(
        "ws://{}/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker",
        server.address()
    );
    let mut socket = connect(&url).await;
    let received = read_all(&mut socket, Duration::from_secs(8)).await;
    let expected: Vec<&str> = replay
        .frames
        .iter()
        .filter(|frame| &*frame.stream != "btcusdt@trade")
        .map(|frame| &*frame.text)
        .collect();
    assert_eq!(received.texts.len(), expected.len());
    // Byte for byte, in the recorded order; no trade frame (not subscribed).
    for (index, (got, want)) in received.texts.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "frame {index}");
    }
    assert!(received.texts.iter().all(|text| !text.contains("@trade")));
    assert_eq!(received.close_code, Some(1000));
    let summary = tokio::time::timeout(Duration::from_secs(5), server.wait())
        .await
        .expect("the server stops after the replay")
        .expect("summary");
    println!("{summary}");
    assert_eq!(summary.counters.frames_replayed, replay.frames.len() as u64);
    assert_eq!(summary.messages_sent, expected.len() as u64);
    // The 2024-07-18 capture: 11,414 lines = 1 snapshot + 11,413 frames; the snapshot bridges
    // with a depth frame recorded before it.
    assert_eq!(replay.frames.len() + replay.skipped_before_bridge, 11_413);
    assert_eq!(
        replay.depth_frames() as u64,
        summary.counters.depth_frames_replayed
    );
}

/// Levels of one side of a REST depth answer.
fn rest_levels(value: &Value) -> Vec<(Price, Quantity)> {
    value
        .as_array()
        .expect("levels")
        .iter()
        .map(|level| {
            let price = Price::from_decimal_str(level[0].as_str().expect("price")).expect("p");
            let size = Quantity::from_decimal_str(level[1].as_str().expect("size")).expect("q");
            (price, size)
        })
        .collect()
}

/// The book the data crate's importer builds from the capture, up to and including the depth
/// message whose `u` is `update_id`.
fn importer_book_at(path: &std::path::Path, update_id: u64, tick: Price) -> OrderBook {
    let collected = auction_trader_testkit::import_binance_capture(&[path]).expect("import");
    let mut book = SequencedBook::new(
        SequenceRule::BinanceFutures,
        OrderBook::new(tick).expect("book"),
    );
    let mut found: Option<OrderBook> = None;
    let mut observer = |message: &AppliedMessage, book: &OrderBook| {
        if found.is_none() && !message.reset && message.last_update_id == update_id {
            found = Some(book.clone());
        }
    };
    for tagged in &collected.events {
        if let MarketEvent::Depth(row) = &tagged.event {
            book.apply_with(row, &mut observer);
        }
    }
    found.expect("the importer applied that depth message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_snapshot_is_the_importer_book_after_the_last_streamed_depth_frame_and_bridges() {
    let Some(path) = capture() else { return };
    // 178 s of capture at 60x: 3 s of replay.
    let (server, replay) = start(Venue::BinanceUsdm, &path, Speed::Factor(60.0)).await;
    let address = server.address();
    let mut socket = connect(&format!("ws://{address}/stream?streams=btcusdt@depth@0ms")).await;
    // Let some depth frames go by.
    let mut last_u = 0;
    for _ in 0..40 {
        let text = next_text(&mut socket).await.expect("a depth frame");
        let frame: Value = serde_json::from_str(&text).expect("json");
        last_u = frame["data"]["u"].as_u64().expect("u");
    }
    assert!(last_u > replay.snapshot_update_id);
    let (status, snapshot) = http(
        "GET",
        format!("http://{address}/fapi/v1/depth?symbol=BTCUSDT&limit=1000"),
        Vec::new(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let snapshot_id = snapshot["lastUpdateId"].as_u64().expect("lastUpdateId");
    // The book is the one after a replayed depth frame, its id that frame's `u` (exact), and
    // the answer waited for a frame the client had not seen yet.
    let update_id = snapshot_id;
    assert!(
        replay
            .frames
            .iter()
            .any(|frame| matches!(frame.kind, FrameKind::Depth(ids) if ids.last == snapshot_id)),
        "the snapshot id is the u of a replayed depth frame"
    );
    assert!(
        update_id > last_u,
        "the snapshot is newer than what was streamed"
    );
    // That frame reaches the client and straddles the id: Binance's procedure bridges.
    loop {
        let text = next_text(&mut socket)
            .await
            .expect("the bridging frame arrives");
        let frame: Value = serde_json::from_str(&text).expect("json");
        let (first, last) = (frame["data"]["U"].as_u64(), frame["data"]["u"].as_u64());
        if last.is_some_and(|last| last >= snapshot_id) {
            assert!(first.is_some_and(|first| first <= snapshot_id));
            assert_eq!(last, Some(snapshot_id));
            break;
        }
    }
    let expected = importer_book_at(&path, update_id, replay.instrument.tick_size);
    let bids = rest_levels(&snapshot["bids"]);
    let asks = rest_levels(&snapshot["asks"]);
    assert_eq!(bids.len(), 1000);
    assert_eq!(asks.len(), 1000);
    let expected_bids: Vec<_> = expected.top_levels(BookSide::Bid, 1000).collect();
    let expected_asks: Vec<_> = expected.top_levels(BookSide::Ask, 1000).collect();
    assert_eq!(bids, expected_bids);
    assert_eq!(asks, expected_asks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_gap_breaks_the_pu_chain_once() {
    let Some(path) = capture() else { return };
    let (server, _replay) = start(Venue::BinanceUsdm, &path, Speed::Factor(60.0)).await;
    let address = server.address();
    let mut socket = connect(&format!("ws://{address}/stream?streams=btcusdt@depth@0ms")).await;
    let mut previous_u: Option<u64> = None;
    let mut breaks = Vec::new();
    let mut frames = 0;
    let mut check = |text: &str, frames: usize, breaks: &mut Vec<usize>| {
        let frame: Value = serde_json::from_str(text).expect("json");
        let pu = frame["data"]["pu"].as_u64().expect("pu");
        if previous_u.is_some_and(|u| u != pu) {
            breaks.push(frames);
        }
        previous_u = frame["data"]["u"].as_u64();
    };
    for _ in 0..30 {
        let text = next_text(&mut socket).await.expect("frame");
        frames += 1;
        check(&text, frames, &mut breaks);
    }
    assert!(breaks.is_empty(), "the recorded stream chains");
    let (status, body) = http(
        "POST",
        format!("http://{address}/mock/gap"),
        Vec::new(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["pending_gaps"], 1);
    let rest = read_all(&mut socket, Duration::from_secs(8)).await;
    for text in &rest.texts {
        frames += 1;
        check(text, frames, &mut breaks);
    }
    assert_eq!(breaks.len(), 1, "exactly one pu break");
    assert!(breaks[0] > 30);
    let summary = server.wait().await.expect("summary");
    assert_eq!(summary.gaps_injected, 1);
    // Every replayed depth frame but the skipped one reached the client.
    assert_eq!(frames as u64, summary.counters.depth_frames_replayed - 1);
}
