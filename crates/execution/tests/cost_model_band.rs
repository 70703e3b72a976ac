//! SPEC 5 sanity band of the dynamic cost model on the shared Binance perp captures: a
//! $100k BTC order costs 10–30 bps aggressive and 2–10 bps passive, with the market state
//! measured from the capture itself — Kyle's lambda by the feature library
//! (`kyle_lambda_30m`), VPIN over volume buckets with the true aggressor labels, one-minute
//! volatility from one-second mid returns, volume per minute and the time-weighted spread.
//! Spot BTCUSDT is not in the band by construction (Binance spot charges 10 bps maker); COIN-M
//! trades a fifteenth of USD-M's volume and costs more to take (its own test says how).
//! Skips (prints a note, passes) when a capture is absent.

use auction_trader_data::instruments::known_instrument;
use auction_trader_execution::cost_model::{CostEstimate, CostModel, MarketState, Urgency};
use auction_trader_features::{FeatureConfig, FeatureEngine};
use auction_trader_research::extended::KyleLambda;
use auction_trader_research::matrix::build_matrix;
use auction_trader_research::{ResearchFeature, Vpin};
use auction_trader_testkit::{busiest_instrument, load_binance_capture, replay_order};
use auction_trader_types::{
    FIXED_SCALE, Instrument, MarketEvent, NANOS_PER_SECOND, Quantity, StreamKind, UnixNanos,
};

/// The market state of a whole capture (see the module doc for each measure).
fn measure(events: &[MarketEvent], instrument: &Instrument) -> MarketState {
    let valuation = instrument.valuation();
    let mut first_ts: Option<UnixNanos> = None;
    let mut last_ts = UnixNanos(0);
    let mut notional = 0.0;
    let mut volume = Quantity::ZERO;
    // Time-weighted spread and one-second mids.
    let mut last_quote: Option<(UnixNanos, f64, f64)> = None;
    let mut spread_time = 0.0;
    let mut spread_weight = 0.0;
    let mut second_mids: Vec<f64> = Vec::new();
    let mut current_second = i64::MIN;
    for event in events {
        let ts = event.ts_recv();
        first_ts.get_or_insert(ts);
        last_ts = ts;
        match event {
            MarketEvent::Trade(trade) => {
                volume = volume.saturating_add(trade.size);
                notional += valuation.quote_notional_raw(trade.price, trade.size) as f64 / 1e9;
            }
            MarketEvent::Quote(quote)
                if quote.bid_price.is_positive() && quote.ask_price > quote.bid_price =>
            {
                let (bid, ask) = (quote.bid_price.as_f64(), quote.ask_price.as_f64());
                if let Some((since, old_bid, old_ask)) = last_quote {
                    let held = (ts.as_i64() - since.as_i64()) as f64;
                    spread_time += (old_ask - old_bid) * held;
                    spread_weight += held;
                }
                last_quote = Some((ts, bid, ask));
                let second = ts.as_i64().div_euclid(NANOS_PER_SECOND);
                if second != current_second {
                    current_second = second;
                    second_mids.push((bid + ask) / 2.0);
                } else if let Some(last) = second_mids.last_mut() {
                    *last = (bid + ask) / 2.0;
                }
            }
            _ => {}
        }
    }
    let minutes = (last_ts.as_i64() - first_ts.unwrap_or(last_ts).as_i64()) as f64 / 60e9;
    let returns: Vec<f64> = second_mids
        .windows(2)
        .map(|pair| (pair[1] / pair[0]).ln() * 1e4)
        .collect();
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let variance =
        returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
    let (_, bid, ask) = last_quote.expect("quotes");
    // VPIN: 50 buckets of 1/50 of the capture's volume each (about 10 s of trading).
    let bucket = Quantity::from_raw((volume.raw() / 50).max(1));
    let mut vpin = Vpin::new(bucket, 50).expect("vpin");
    for event in events {
        if let MarketEvent::Trade(trade) = event {
            vpin.update(trade.size, trade.aggressor);
        }
    }
    // Kyle's lambda from the feature library, at the last minute close.
    let engine = FeatureEngine::new(&FeatureConfig::default(), instrument.tick_size)
        .expect("feature engine");
    let kyle: Vec<Box<dyn ResearchFeature>> = vec![Box::new(KyleLambda::default())];
    let matrix =
        build_matrix(engine, kyle, &[], events.iter().map(|event| (0, event))).expect("matrix");
    let lambda = matrix
        .column("kyle_lambda_30m")
        .and_then(|column| column.iter().rev().copied().find(|value| value.is_finite()));
    MarketState {
        mid: (bid + ask) / 2.0,
        spread: spread_time / spread_weight,
        volatility_bps_per_minute: variance.sqrt() * 60_f64.sqrt(),
        volume_per_minute: notional / minutes,
        kyle_lambda_bps_per_million: lambda,
        vpin: vpin.value(),
        passive_fill_probability: None,
        own_volume_30d: 0.0,
    }
}

/// The market state and the two estimates for a $100k order on one capture.
fn estimate(files: &[&str]) -> Option<(String, CostEstimate, CostEstimate)> {
    let collected = load_binance_capture(files)?;
    let slot = busiest_instrument(&collected, StreamKind::Trade).expect("trades");
    let key = collected.instruments[slot.0 as usize].clone();
    let instrument = known_instrument(&key).expect("known instrument");
    let events = replay_order(&collected, slot);
    let state = measure(&events, &instrument);
    assert!(
        state.kyle_lambda_bps_per_million.is_some(),
        "{key}: lambda estimated"
    );
    assert!(state.vpin.is_some(), "{key}: vpin estimated");
    // $100k: BTC at the mid (USD-M), 1,000 contracts of 100 USD (COIN-M).
    let quantity = if instrument.valuation().is_inverse() {
        let contracts = i128::from(100_000 * FIXED_SCALE) / instrument.contract_multiplier.raw();
        Quantity::from_raw(contracts * i128::from(FIXED_SCALE))
    } else {
        instrument
            .round_down_to_lot(Quantity::from_f64_rounded(100_000.0 / state.mid).expect("quantity"))
    };
    let model = CostModel::default();
    let aggressive = model
        .estimate_cost(&instrument, quantity, Urgency::Aggressive, &state)
        .expect("aggressive");
    let passive = model
        .estimate_cost(&instrument, quantity, Urgency::Passive, &state)
        .expect("passive");
    println!("{key}: {state:?}\n  aggressive {aggressive:?}\n  passive {passive:?}");
    assert!(
        (99_000.0..=100_000.0).contains(&aggressive.notional),
        "{key}: notional {}",
        aggressive.notional
    );
    Some((key.to_string(), aggressive, passive))
}

#[test]
fn a_100k_btc_order_is_in_the_spec_band_on_binance_usdm_captures() {
    // The most liquid BTC market of the shared data (USD-M BTCUSDT, $20-30 M a minute).
    for files in [
        &["usdm_btcusdt_20240808.gz"][..],
        &["usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz"][..],
    ] {
        let Some((key, aggressive, passive)) = estimate(files) else {
            continue;
        };
        assert!(
            (10.0..=30.0).contains(&aggressive.total_bps),
            "{key}: aggressive {} bps",
            aggressive.total_bps
        );
        assert!(
            (2.0..=10.0).contains(&passive.total_bps),
            "{key}: passive {} bps",
            passive.total_bps
        );
    }
}

#[test]
fn coinm_is_in_the_passive_band_and_costlier_to_take_than_usdm() {
    // COIN-M BTCUSD_PERP trades about $1.7 M a minute, a fifteenth of USD-M: a $100k market
    // order is several seconds of its volume, so Almgren–Chriss prices it above the band
    // (measured: see docs/backtesting.md). Passive stays in the band.
    let Some((key, aggressive, passive)) =
        estimate(&["cm_btcusd_perp_20240808.gz", "cm_btcusd_perp_20240809.gz"])
    else {
        return;
    };
    let Some((_, usdm, _)) = estimate(&["usdm_btcusdt_20240808.gz"]) else {
        return;
    };
    assert!(
        (2.0..=10.0).contains(&passive.total_bps),
        "{key}: passive {} bps",
        passive.total_bps
    );
    assert!(
        aggressive.total_bps > usdm.total_bps,
        "{key}: {} vs USD-M {}",
        aggressive.total_bps,
        usdm.total_bps
    );
}
