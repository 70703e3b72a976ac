//! Toxicity engine (SPEC 2.5): scenario tests on small hand-built books, publishing-rate
//! independence, and replays of the real Binance captures (SKIP when the files are absent).

use auction_trader_book::{OrderBook, SequenceRule, SequencedBook};
use auction_trader_features::toxicity::{
    BookSample, DrainDepth, DrainRegime, SecondFilters, ToxicityConfig, ToxicityEngine,
    ToxicitySecond, read_sample, toxicity_table,
};
use auction_trader_testkit::{
    busiest_instrument, load_binance_capture, replay_order, sort_replay_order,
};
use auction_trader_types::{
    AggressorSide, BookDelta, BookSide, DeltaFlags, InstrumentKey, MarketEvent, MarketKind,
    NANOS_PER_MILLI, NANOS_PER_SECOND, Price, Quantity, StreamKind, Trade, TradeId, UnixNanos,
};

const START: i64 = 1_700_000_000 * NANOS_PER_SECOND;

fn at(millis: i64) -> UnixNanos {
    UnixNanos(START + millis * NANOS_PER_MILLI)
}

fn level(millis: i64, side: BookSide, price: i64, size: i64) -> MarketEvent {
    MarketEvent::Depth(BookDelta {
        ts_event: at(millis),
        ts_recv: at(millis),
        side,
        price: Price::from_raw(price * 1_000_000_000),
        size: Quantity::from_raw(i128::from(size) * 1_000_000_000),
        first_update_id: 0,
        last_update_id: 0,
        prev_update_id: 0,
        flags: DeltaFlags(DeltaFlags::LAST),
    })
}

fn trade(millis: i64, price: i64, size: i64, aggressor: AggressorSide) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts_event: at(millis),
        ts_recv: at(millis),
        price: Price::from_raw(price * 1_000_000_000),
        size: Quantity::from_raw(i128::from(size) * 1_000_000_000),
        aggressor,
        trade_id: TradeId(millis as u64),
    })
}

/// Bids 100..81 and asks 101..120, size 1 each, then one heartbeat row per second (the far
/// bid 81 re-set to 1) up to `seconds`, merged with `extra` events.
fn scenario(seconds: i64, extra: Vec<MarketEvent>) -> Vec<ToxicitySecond> {
    scenario_with(&ToxicityConfig::default(), seconds, extra)
}

fn scenario_with(
    config: &ToxicityConfig,
    seconds: i64,
    extra: Vec<MarketEvent>,
) -> Vec<ToxicitySecond> {
    let mut events = Vec::new();
    for index in 0..20 {
        events.push(level(0, BookSide::Bid, 100 - index, 1));
        events.push(level(0, BookSide::Ask, 101 + index, 1));
    }
    for second in 1..=seconds {
        events.push(level(second * 1_000, BookSide::Bid, 81, 1));
    }
    events.extend(extra);
    sort_replay_order(&mut events);
    let instrument = InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual);
    let mut engine = ToxicityEngine::new(config, &instrument, None).expect("engine");
    let mut records = Vec::new();
    for event in &events {
        engine.on_event(event, &mut records);
    }
    records
}

fn ghosts(records: &[ToxicitySecond]) -> u32 {
    records
        .iter()
        .map(|record| record.ghosts_bid + record.ghosts_ask)
        .sum()
}

#[test]
fn big_level_that_vanishes_untraded_is_a_ghost_and_discounted_forward() {
    // Median top size 1 -> threshold 5; 95 rises to 10 (sampled at 36 s) and is back to 1 at
    // the 38 s sample, untraded.
    let records = scenario(
        50,
        vec![
            level(35_000, BookSide::Bid, 95, 10),
            level(37_000, BookSide::Bid, 95, 1),
        ],
    );
    assert_eq!(ghosts(&records), 1);
    let ghost_second = records
        .iter()
        .find(|record| record.ghosts_bid == 1)
        .unwrap();
    // Went at the 38 s sample, confirmed at the next one (trades awaited 1 s after it went).
    assert_eq!(ghost_second.ts, at(39_000));
    // Forward-only discount: the same book whose big order was traded (no ghost) has more
    // decay-weighted depth after the confirmation, identical depth before it.
    let traded = scenario(
        50,
        vec![
            level(35_000, BookSide::Bid, 95, 10),
            trade(36_900, 81, 1, AggressorSide::Sell),
            trade(36_950, 95, 1, AggressorSide::Sell),
            level(37_000, BookSide::Bid, 95, 1),
        ],
    );
    assert_eq!(ghosts(&traded), 0);
    let record_at = |records: &[ToxicitySecond], millis: i64| {
        *records
            .iter()
            .find(|record| record.ts == at(millis))
            .unwrap()
    };
    assert_eq!(
        record_at(&records, 38_000).decay_depth_bid,
        record_at(&traded, 38_000).decay_depth_bid
    );
    // From the confirmation on, 95's displayed 1 lot is discounted to 0.15 in new samples.
    let ghosted = record_at(&records, 45_000);
    assert!(ghosted.decay_depth_bid < record_at(&traded, 45_000).decay_depth_bid);
    assert!((ghosted.discounted_depth_bid - 1.0).abs() < 1e-12);
    assert_eq!(record_at(&traded, 45_000).discounted_depth_bid, 0.0);
    // Steady book before: decay-weighted depth equals the displayed 20 lots.
    assert!((record_at(&records, 34_000).decay_depth_bid - 20.0).abs() < 1e-9);
}

#[test]
fn raw_drain_depth_is_the_displayed_depth_without_decay_or_ghost_discount() {
    // The ghost of the test above, and the 100 bid pulled from 5 lots to 1 at 40 s.
    let extra = || {
        vec![
            level(35_000, BookSide::Bid, 95, 10),
            level(37_000, BookSide::Bid, 95, 1),
            level(39_500, BookSide::Bid, 100, 5),
            level(40_500, BookSide::Bid, 100, 1),
        ]
    };
    let raw = ToxicityConfig {
        drain_depth: DrainDepth::Raw,
        ..ToxicityConfig::default()
    };
    let raw_records = scenario_with(&raw, 50, extra());
    let filtered = scenario(50, extra());
    assert_eq!(raw_records.len(), filtered.len());
    for (raw_second, filtered_second) in raw_records.iter().zip(&filtered) {
        // Raw: exactly the displayed 20 levels (20 lots, 29 at 36 s, 24 at 40 s).
        assert_eq!(raw_second.decay_depth_bid, raw_second.depth_bid);
        // Everything else is the same filter output.
        assert_eq!(raw_second.ghosts_bid, filtered_second.ghosts_bid);
        assert_eq!(raw_second.depth_bid, filtered_second.depth_bid);
    }
    let at_second = |records: &[ToxicitySecond], millis: i64| {
        records
            .iter()
            .find(|record| record.ts == at(millis))
            .unwrap()
            .decay_depth_bid
    };
    assert_eq!(at_second(&raw_records, 36_000), 29.0);
    assert_eq!(at_second(&raw_records, 40_000), 24.0);
    // Filtered depth still averages the spikes over the lookback and discounts the ghost.
    assert!(at_second(&filtered, 36_000) < 29.0);
    assert_eq!(at_second(&raw_records, 45_000), 20.0);
    assert_ne!(at_second(&filtered, 45_000), 20.0);
}

#[test]
fn big_level_eaten_by_trades_is_not_a_ghost() {
    let records = scenario(
        50,
        vec![
            level(35_000, BookSide::Bid, 95, 10),
            trade(36_900, 95, 9, AggressorSide::Sell),
            level(37_000, BookSide::Bid, 95, 1),
        ],
    );
    assert_eq!(ghosts(&records), 0);
    // Decrease 9 fully explained by 9 executed: no cancellation at 95.
    let record = records
        .iter()
        .find(|record| record.ts == at(40_000))
        .unwrap();
    assert_eq!(record.toxic_levels_bid, 0);
    assert_eq!(record.book_ctr_bid, Some(0.0));
}

#[test]
fn spec_11_4_ctr_through_the_engine() {
    // Level 99 sampled 100 -> 40 -> 70 -> 10 (samples at 32, 34, 36, 38 s); 20 sold into 99
    // at 34 s. ε = 0.01 × median trade size 20 = 0.2; level CTR = (120 − 20) / (20 + 0.2)
    // = 4.95 -> toxic. Active bid levels at the 40 s close: 99 (executed) and the best 100
    // (cancelled 0, executed 0): book CTR = 100 / (20.2 + 0.2) = 4.902 (SPEC 11.4b form).
    let records = scenario(
        50,
        vec![
            level(31_000, BookSide::Bid, 99, 100),
            level(33_000, BookSide::Bid, 99, 40),
            trade(34_000, 99, 20, AggressorSide::Sell),
            level(35_000, BookSide::Bid, 99, 70),
            level(37_000, BookSide::Bid, 99, 10),
        ],
    );
    let record = records
        .iter()
        .find(|record| record.ts == at(40_000))
        .unwrap();
    assert!((record.epsilon - 0.2).abs() < 1e-12);
    assert_eq!(record.toxic_levels_bid, 1);
    let expected = 100.0 / 20.4;
    assert!((record.book_ctr_bid.unwrap() - expected).abs() < 1e-9);
    // Nothing executed on the ask side: undefined, not infinite.
    assert_eq!(record.book_ctr_ask, None);
    // At the 48 s close the window [38 s, 48 s) holds neither the changes nor the trade.
    let later = records
        .iter()
        .find(|record| record.ts == at(48_000))
        .unwrap();
    assert_eq!(later.book_ctr_bid, None);
    // Level 99 was traded at: not a ghost despite its size.
    assert_eq!(ghosts(&records), 0);
}

/// A seeded book and tape: 60 levels a side around a mid that drifts, level updates every
/// 10 ms at 5 ms past each 10 ms step, trades every 50 ms; returns (update rows as
/// `(ts ms, side, price, size)`, trade events).
/// One level update: `(ts ms, side, price, size)`.
type LevelUpdate = (i64, BookSide, i64, i64);

fn synthetic_updates(seconds: i64) -> (Vec<LevelUpdate>, Vec<MarketEvent>) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |range: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % range
    };
    let mut rows = Vec::new();
    let mut trades = Vec::new();
    let mut mid = 1_000i64;
    for index in 0..60 {
        rows.push((0, BookSide::Bid, mid - 1 - index, 5));
        rows.push((0, BookSide::Ask, mid + 1 + index, 5));
    }
    for step in 1..seconds * 100 {
        let millis = step * 10 + 5;
        if step % 500 == 0 {
            // The mid steps by one tick: the touched side's best is pulled, a new level
            // enters on the other side.
            if next(2) == 0 {
                rows.push((millis, BookSide::Bid, mid - 1, 0));
                rows.push((millis, BookSide::Ask, mid, 5));
                mid -= 1;
            } else {
                rows.push((millis, BookSide::Ask, mid + 1, 0));
                rows.push((millis, BookSide::Bid, mid, 5));
                mid += 1;
            }
            continue;
        }
        let side = if next(2) == 0 {
            BookSide::Bid
        } else {
            BookSide::Ask
        };
        let distance = 1 + next(25) as i64;
        let price = match side {
            BookSide::Bid => mid - distance,
            BookSide::Ask => mid + distance,
        };
        // Mostly small resting sizes, now and then a large order (a ghost candidate).
        let size = if next(400) == 0 {
            200
        } else {
            1 + next(9) as i64
        };
        rows.push((millis, side, price, size));
        if step % 5 == 0 {
            let (price, aggressor) = if next(2) == 0 {
                (mid - 1, AggressorSide::Sell)
            } else {
                (mid + 1, AggressorSide::Buy)
            };
            trades.push(trade(millis, price, 1 + next(3) as i64, aggressor));
        }
    }
    (rows, trades)
}

fn run_engine(mut events: Vec<MarketEvent>) -> Vec<ToxicitySecond> {
    sort_replay_order(&mut events);
    let instrument = InstrumentKey::new("test", "BTCUSDT", MarketKind::Perpetual);
    let mut engine =
        ToxicityEngine::new(&ToxicityConfig::default(), &instrument, None).expect("engine");
    let mut records = Vec::new();
    for event in &events {
        engine.on_event(event, &mut records);
    }
    engine.finish(&mut records);
    records
}

#[test]
fn ten_ms_and_hundred_ms_publishing_give_the_same_answer() {
    // SPEC 2.5: the same book published as 10 ms diffs and as 100 ms diffs (each 100 ms
    // message carries the net change of its levels, sent 99 ms into its window, so both
    // venues show the same book at every second close).
    let (rows, trades) = synthetic_updates(400);
    let fast: Vec<MarketEvent> = rows
        .iter()
        .map(|&(millis, side, price, size)| level(millis, side, price, size))
        .chain(trades.iter().copied())
        .collect();
    let mut slow: Vec<MarketEvent> = trades.clone();
    let mut window: std::collections::BTreeMap<(u8, i64), (i64, i64)> = Default::default();
    let mut current = 0;
    let flush = |window: &mut std::collections::BTreeMap<(u8, i64), (i64, i64)>,
                 slot: i64,
                 out: &mut Vec<MarketEvent>| {
        for (&(side, price), &(_, size)) in window.iter() {
            let side = if side == 0 {
                BookSide::Bid
            } else {
                BookSide::Ask
            };
            out.push(level(slot * 100 + 99, side, price, size));
        }
        window.clear();
    };
    for &(millis, side, price, size) in &rows {
        let slot = millis / 100;
        if slot != current {
            flush(&mut window, current, &mut slow);
            current = slot;
        }
        let code = u8::from(side == BookSide::Ask);
        window.insert((code, price), (millis, size));
    }
    flush(&mut window, current, &mut slow);
    assert!(slow.len() < fast.len(), "{} vs {}", slow.len(), fast.len());
    let fast_records = run_engine(fast);
    let slow_records = run_engine(slow);
    assert!(fast_records.len() > 390);
    assert_eq!(fast_records, slow_records);
    // The run exercised every filter.
    assert!(ghosts(&fast_records) > 0);
    assert!(
        fast_records
            .iter()
            .any(|record| record.book_ctr_bid.is_some())
    );
    assert!(fast_records.iter().any(|record| record.churn == Some(true)));
}

#[test]
fn mid_moving_away_is_not_a_drain_of_the_side_it_left() {
    // 60 levels a side of 5 lots; every 3 s the whole book moves 2 ticks up (two bid levels
    // appear above the old best, two asks are lifted). The bid side never loses depth at any
    // price it had: no bid drain. Zero-filling the new prices' earlier samples would show a
    // decline on every move.
    let mut events = Vec::new();
    let mut mid = 1_000i64;
    for index in 0..60 {
        events.push(level(0, BookSide::Bid, mid - 1 - index, 5));
        events.push(level(0, BookSide::Ask, mid + 1 + index, 5));
    }
    for second in 1..200 {
        events.push(level(second * 1_000 + 500, BookSide::Bid, mid - 60, 5));
        if second % 3 == 0 {
            for _ in 0..2 {
                events.push(level(second * 1_000, BookSide::Ask, mid + 1, 0));
                events.push(level(second * 1_000, BookSide::Ask, mid + 61, 5));
                events.push(level(second * 1_000, BookSide::Bid, mid, 5));
                mid += 1;
            }
            events.push(trade(second * 1_000, mid, 1, AggressorSide::Buy));
        }
    }
    let records = run_engine(events);
    assert!(records.len() > 190);
    assert!(records.iter().all(|record| record.drain_bid.is_none()));
    // The top-20 bid decay depth stays at the displayed 100 lots: every price was observed
    // at 5 lots whenever it was inside the bid book.
    let last = records.last().unwrap();
    assert!(
        (last.decay_depth_bid - 100.0).abs() < 1e-6,
        "{}",
        last.decay_depth_bid
    );
}

#[test]
fn bid_drain_with_selling_is_real_pressure_after_one_and_a_half_seconds() {
    // Every bid level is pulled to 0.2 at 40 s; the ask side stays. Sellers dominate the
    // 30 s window (10 sold vs 1 bought) and keep selling at 41.2 s.
    let mut extra = vec![
        trade(20_000, 100, 10, AggressorSide::Sell),
        trade(21_000, 101, 1, AggressorSide::Buy),
        trade(41_200, 81, 1, AggressorSide::Sell),
    ];
    for index in 0..20 {
        extra.push(level(40_000, BookSide::Bid, 100 - index, 0));
        extra.push(level(40_000, BookSide::Bid, 90 - index, 1));
    }
    let records = scenario(60, extra);
    let verdicts: Vec<_> = records
        .iter()
        .filter_map(|record| record.drain_bid)
        .collect();
    assert!(!verdicts.is_empty(), "a drain was expected");
    let verdict = verdicts[0];
    assert_eq!(verdict.regime, DrainRegime::RealPressure);
    // The verdict arrives with the first close after signal + 1.5 s.
    let record = records
        .iter()
        .find(|record| record.drain_bid.is_some())
        .unwrap();
    assert!(record.ts.as_i64() - verdict.signal_ts.as_i64() >= 1_500 * NANOS_PER_MILLI);
    assert!(verdict.pressure_volume > 1.8 * verdict.opposing_volume);
}

/// Every usable second of a real capture as `(second end, book sample, trades received in
/// the second)`, read the way the engine reads them.
struct RealSeconds {
    symbol: String,
    seconds: Vec<(i64, Option<BookSample>, Vec<Trade>)>,
    tick: i64,
}

fn real_seconds(files: &[&str]) -> Option<RealSeconds> {
    let collected = load_binance_capture(files)?;
    let slot = busiest_instrument(&collected, StreamKind::Depth)?;
    let instrument = collected.instruments[slot.0 as usize].clone();
    let events = replay_order(&collected, slot);
    let mut book = SequencedBook::new(
        SequenceRule::for_venue(&instrument.venue),
        OrderBook::with_inferred_tick(),
    );
    let levels = ToxicityConfig::default().sample_levels;
    let mut seconds = Vec::new();
    let mut open = events
        .first()?
        .ts_recv()
        .as_i64()
        .div_euclid(NANOS_PER_SECOND)
        * NANOS_PER_SECOND;
    let mut trades = Vec::new();
    let mut close = |end: i64, book: &SequencedBook, trades: &mut Vec<Trade>| {
        let inner = book.book();
        let usable = book.is_synced()
            && !inner.is_crossed()
            && inner.best_bid().is_some()
            && inner.best_ask().is_some();
        let sample = usable.then(|| {
            let mut sample = BookSample {
                ts: end,
                ..BookSample::default()
            };
            read_sample(inner, levels, &mut sample);
            sample
        });
        seconds.push((end, sample, std::mem::take(trades)));
    };
    for event in &events {
        let ts = event.ts_recv().as_i64();
        while ts >= open + NANOS_PER_SECOND {
            open += NANOS_PER_SECOND;
            close(open, &book, &mut trades);
        }
        match event {
            MarketEvent::Depth(row) => book.apply(row),
            MarketEvent::Trade(trade) => trades.push(*trade),
            _ => {}
        }
    }
    close(open + NANOS_PER_SECOND, &book, &mut trades);
    let tick = book.book().tick_size()?.raw();
    Some(RealSeconds {
        symbol: instrument.symbol,
        seconds,
        tick,
    })
}

/// Runs the filters over real seconds, letting `edit` change each sample first; returns the
/// records and the bid prices of the ghosts confirmed.
fn run_filters(
    real: &RealSeconds,
    mut edit: impl FnMut(&mut BookSample),
) -> (Vec<ToxicitySecond>, Vec<i64>) {
    let mut filters = SecondFilters::new(&ToxicityConfig::default(), &real.symbol);
    let mut records = Vec::new();
    let mut bid_ghosts = Vec::new();
    if let Some((first, _, _)) = real.seconds.first() {
        filters.open_second(first - NANOS_PER_SECOND);
    }
    for (end, sample, trades) in &real.seconds {
        for trade in trades {
            filters.on_trade(trade);
        }
        let sample = sample.clone().map(|mut sample| {
            edit(&mut sample);
            sample
        });
        filters.close_second(*end, sample, real.tick, &mut records);
        bid_ghosts.extend(
            filters
                .last_ghosts()
                .iter()
                .filter(|ghost| ghost.side == BookSide::Bid)
                .map(|ghost| ghost.price),
        );
    }
    (records, bid_ghosts)
}

/// Adds `size` at bid `price` to a sample when the price lies inside its sampled bid window.
fn add_bid(sample: &mut BookSample, price: i64, size: i64) {
    let bids = &mut sample.levels[0];
    let deepest = bids.last().map_or(i64::MIN, |&(deep, _)| deep);
    let best = bids.first().map_or(i64::MIN, |&(top, _)| top);
    if price < deepest || price > best {
        return;
    }
    match bids.iter().position(|&(level, _)| level <= price) {
        Some(index) if bids[index].0 == price => bids[index].1 += size,
        Some(index) => bids.insert(index, (price, size)),
        None => bids.push((price, size)),
    }
    if sample.full[0] && bids.len() > ToxicityConfig::default().sample_levels {
        bids.pop();
    }
}

#[test]
fn real_book_wall_resting_for_minutes_then_pulled_is_not_a_ghost() {
    // The 2024-07-18 capture: the one USD-M capture whose price comes back to where it was
    // two minutes earlier without trading below it in between.
    let Some(real) = real_seconds(&["usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"]) else {
        return;
    };
    // The wall: 100 × the median top-20 bid size placed at a bid level's price (2nd to 50th)
    // of a usable second (after the 60 s ghost warm-up) where nothing trades at that price for
    // the next 5 s, whose price is inside the sampled bid window again at least 2 minutes
    // later, the best bid staying above it all along. A 3-second life (control) is a ghost;
    // resting with a size update every 5 s until that later sample, then pulled, it is not.
    let usable: Vec<&(i64, Option<BookSample>, Vec<Trade>)> = real
        .seconds
        .iter()
        .filter(|(_, sample, _)| sample.is_some())
        .collect();
    // In view: inside the sampled bid window (the 50 best bids), below the best.
    let in_view = |sample: &BookSample, price: i64| {
        let bids = &sample.levels[0];
        bids.last().is_some_and(|&(deepest, _)| deepest <= price) && bids[0].0 > price
    };
    let untraded = |born: i64, price: i64| {
        !real.seconds.iter().any(|(end, _, trades)| {
            *end > born - NANOS_PER_SECOND
                && *end <= born + 5 * NANOS_PER_SECOND
                && trades.iter().any(|trade| trade.price.raw() == price)
        })
    };
    let (born, price, wall, pulled) = usable
        .iter()
        .skip(60)
        .flat_map(|entry| (1..50).rev().map(move |rank| (entry, rank)))
        .find_map(|((born, sample, _), rank)| {
            let sample = sample.as_ref()?;
            let price = sample.levels[0].get(rank)?.0;
            // The market never trades down to the wall while it rests (it would be hit).
            let stays_above = |until: i64| {
                usable.iter().all(|(end, later, _)| {
                    *end < *born
                        || *end >= until
                        || later
                            .as_ref()
                            .is_some_and(|later| later.levels[0][0].0 > price)
                })
            };
            let pulled = usable
                .iter()
                .filter(|(end, later, _)| {
                    *end >= born + 120 * NANOS_PER_SECOND
                        && later.as_ref().is_some_and(|later| in_view(later, price))
                })
                .map(|(end, _, _)| *end)
                .find(|&end| stays_above(end + NANOS_PER_SECOND))?;
            let mut sizes: Vec<i64> = sample.levels[0]
                .iter()
                .take(20)
                .map(|&(_, size)| size)
                .collect();
            sizes.sort_unstable();
            untraded(*born, price).then(|| (*born, price, 100 * sizes[sizes.len() / 2], pulled))
        })
        .expect("a wall price that is back near the top two minutes later");
    // The control's birth: a second of the wall's life where its price is among the top 20
    // bids (a ghost candidate must be) and nothing trades there for 5 s.
    let short_born = usable
        .iter()
        .filter(|(end, sample, _)| {
            *end >= born
                && *end + 5 * NANOS_PER_SECOND < pulled
                && sample.as_ref().is_some_and(|sample| {
                    sample.levels[0].len() >= 20 && sample.levels[0][19].0 <= price
                })
                && untraded(*end, price)
        })
        .map(|(end, _, _)| *end)
        .next()
        .expect("the wall price among the top 20 bids at some point");
    let at_price = |ghosts: &[i64]| ghosts.iter().filter(|&&ghost| ghost == price).count();
    let (_, baseline) = run_filters(&real, |_| {});
    let (_, short) = run_filters(&real, |sample| {
        if sample.ts >= short_born && sample.ts < short_born + 3 * NANOS_PER_SECOND {
            add_bid(sample, price, wall);
        }
    });
    assert_eq!(
        at_price(&short),
        at_price(&baseline) + 1,
        "a 3 s untraded wall is a ghost"
    );
    let (_, resting) = run_filters(&real, |sample| {
        if sample.ts >= born && sample.ts < pulled {
            // Updated now and then: +1% for a second every 5 s.
            let bump = if (sample.ts - born) / NANOS_PER_SECOND % 5 == 0 {
                wall / 100
            } else {
                0
            };
            add_bid(sample, price, wall + bump);
        }
    });
    assert_eq!(
        at_price(&resting),
        at_price(&baseline),
        "a wall resting for minutes and then pulled is no ghost ({} s)",
        (pulled - born) / NANOS_PER_SECOND
    );
    assert!(pulled - born >= 120 * NANOS_PER_SECOND);
}

/// The SPEC 2.5 ranges on the shared Binance captures (book CTR medians of order 1–10,
/// about a ghost a second or less, churn near 5% of the judged seconds).
#[test]
fn real_binance_captures_land_in_the_spec_ranges() {
    for files in [
        &["usdm_btcusdt_20240808.gz"][..],
        &["usdm_ethusdt_20240808.gz"],
        &["usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"],
        &["spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz"],
        &["cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"],
    ] {
        let Some(collected) = load_binance_capture(files) else {
            continue;
        };
        let tables = toxicity_table(
            &ToxicityConfig::default(),
            &collected.instruments,
            collected
                .events
                .iter()
                .map(|tagged| (tagged.instrument.0 as usize, &tagged.event)),
        )
        .expect("table");
        let table = tables
            .iter()
            .max_by_key(|table| table.counters.depth_rows)
            .expect("one instrument");
        let summary = table.summary();
        println!("{files:?}: {summary}");
        assert!(table.seconds > 250, "{files:?}: {}", table.seconds);
        for ctr in [summary.book_ctr_p50_bid, summary.book_ctr_p50_ask] {
            let ctr = ctr.expect("book CTR");
            assert!((0.3..=15.0).contains(&ctr), "{files:?}: {summary}");
        }
        // About one a second, not ten. COIN-M (sizes in 100 USD contracts) has market makers
        // moving 400-2,000-contract orders by more than the ±5-tick re-quote reach every
        // second: 3.1 a second there, by the SPEC rule as written.
        let ghosts = summary.ghosts_per_sec.expect("ghost rate");
        let most = if files[0].starts_with("cm_") {
            4.0
        } else {
            1.5
        };
        assert!(ghosts <= most, "{files:?}: {summary}");
        // About 5% under a Gaussian null; real ΔOBI is heavier-tailed and clusters (the
        // 2024-07-18 capture spans the 00:00 UTC funding: 11.6% of its 378 judged seconds).
        let churn = summary.churn_share.expect("churn judged");
        assert!((0.01..=0.15).contains(&churn), "{files:?}: {summary}");
        let discounted = summary.discounted_depth_share.expect("depth");
        assert!(discounted < 0.2, "{files:?}: {summary}");
        for ratio in table.decay_ratio {
            let ratio = ratio.expect("decay ratio");
            assert!(ratio > 0.2 && ratio <= 1.5, "{ratio}");
        }
    }
}

#[test]
fn ctr_percentile_option_flags_about_the_top_tenth_on_a_real_capture() {
    let Some(collected) = load_binance_capture(&["usdm_btcusdt_20240808.gz"]) else {
        return;
    };
    let run = |config: &ToxicityConfig| {
        let tables = toxicity_table(
            config,
            &collected.instruments,
            collected
                .events
                .iter()
                .map(|tagged| (tagged.instrument.0 as usize, &tagged.event)),
        )
        .expect("table");
        tables
            .into_iter()
            .max_by_key(|table| table.counters.depth_rows)
            .expect("one instrument")
    };
    let fixed = run(&ToxicityConfig::default()).summary();
    let percentile = ToxicityConfig {
        ctr_toxic_percentile: Some(0.9),
        ctr_percentile_min_samples: 30,
        ..ToxicityConfig::default()
    };
    let relative = run(&percentile).summary();
    println!("fixed: {fixed}\npercentile 0.9: {relative}");
    // The 90th percentile of the earlier readings flags roughly a tenth of them (the first 30
    // readings per side use the fixed 4.0), unlike the fixed threshold's 8%: a different
    // verdict that must not coincide by construction.
    let share = relative.toxic_share.expect("toxic share");
    assert!((0.05..=0.2).contains(&share), "{relative}");
    assert_ne!(relative.toxic_share, fixed.toxic_share);
    // Same CTRs, only the verdicts move.
    assert_eq!(relative.book_ctr_p50_bid, fixed.book_ctr_p50_bid);
    let bad = ToxicityConfig {
        ctr_toxic_percentile: Some(1.0),
        ..ToxicityConfig::default()
    };
    assert!(bad.validate().is_err());
}
