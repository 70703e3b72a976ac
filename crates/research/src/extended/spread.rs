//! Spread metrics of the target (SPEC 2.6 "spread metrics"), from its quotes and trades:
//! - `spread_bps_close`: quoted spread of the latest quote at the close, `10⁴·(ask − bid)/mid`;
//! - `spread_bps_mean`: the same, time-weighted over the minute;
//! - `effective_spread_bps`: volume-weighted mean over the minute's trades of
//!   `10⁴ · 2·|price − mid| / mid`, mid of the latest quote received before the trade;
//! - `spread_relative_typical`: the snapshot's close spread / typical spread (SPEC 2.1).
//!
//! Crossed or one-sided quotes leave the spread undefined until the next valid quote.

use auction_trader_types::{MarketEvent, UnixNanos};

use super::minute::{
    MinuteRoller, MinuteState, TimeWeightedMean, is_target_quote_or_trade, or_nan, raw_to_f64,
};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 4] = [
    "spread_bps_close",
    "spread_bps_mean",
    "effective_spread_bps",
    "spread_relative_typical",
];

#[derive(Debug, Clone, Default)]
struct SpreadState {
    mid: Option<f64>,
    spread_bps: TimeWeightedMean,
    /// Σ size·effective spread and Σ size of the minute's trades.
    weighted_effective: f64,
    traded: f64,
}

impl SpreadState {
    fn apply(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Quote(quote) => {
                let (bid, ask) = (
                    raw_to_f64(quote.bid_price.raw()),
                    raw_to_f64(quote.ask_price.raw()),
                );
                let valid = bid > 0.0 && ask > bid;
                self.mid = valid.then_some((bid + ask) / 2.0);
                let spread = self.mid.map(|mid| 1e4 * (ask - bid) / mid);
                self.spread_bps.set(quote.ts_recv, spread);
            }
            MarketEvent::Trade(trade) => {
                let (price, size) = (raw_to_f64(trade.price.raw()), raw_to_f64(trade.size.raw()));
                if let Some(mid) = self.mid
                    && price > 0.0
                    && size > 0.0
                {
                    self.weighted_effective += size * 1e4 * 2.0 * (price - mid).abs() / mid;
                    self.traded += size;
                }
            }
            _ => {}
        }
    }
}

impl MinuteState for SpreadState {
    /// (close spread, mean spread, effective spread).
    type Closed = [Option<f64>; 3];

    fn close_minute(&mut self, end: UnixNanos) -> [Option<f64>; 3] {
        let close = self.spread_bps.current();
        let (mean, _) = self.spread_bps.close(end);
        let effective = (self.traded > 0.0).then(|| self.weighted_effective / self.traded);
        self.weighted_effective = 0.0;
        self.traded = 0.0;
        [close, mean, effective]
    }
}

/// Quoted, time-weighted, effective and relative spreads of instrument 0.
#[derive(Debug, Clone)]
pub struct SpreadFeatures {
    roller: MinuteRoller<SpreadState>,
}

impl Default for SpreadFeatures {
    fn default() -> Self {
        Self {
            roller: MinuteRoller::new(SpreadState::default()),
        }
    }
}

impl ResearchFeature for SpreadFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if !is_target_quote_or_trade(instrument, event) {
            return;
        }
        self.roller.advance(event.ts_recv());
        self.roller.state.apply(event);
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let closed = self.roller.take(snapshot.ts).unwrap_or([None; 3]);
        for (slot, value) in closed.into_iter().enumerate() {
            values[slot] = or_nan(value);
        }
        values[3] = match (snapshot.spread, snapshot.typical_spread) {
            (Some(spread), Some(typical)) if typical.raw() > 0 => {
                spread.raw() as f64 / typical.raw() as f64
            }
            _ => f64::NAN,
        };
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price};

    use super::*;
    use crate::extended::test_support::{self, quiet_snapshot, seconds};

    fn quote(at: i64, bid: f64, ask: f64) -> MarketEvent {
        test_support::quote(seconds(at), bid, ask)
    }

    fn trade(at: i64, price: f64, size: f64) -> MarketEvent {
        test_support::trade(seconds(at), price, size, AggressorSide::Buy)
    }

    #[test]
    fn quoted_effective_and_relative_spreads() {
        // t=0: 99.99/100.01 → mid 100, spread 0.02/100 = 2 bps.
        // t=10: trade 1 @ 100.01 → effective 2·0.01/100 = 2 bps.
        // t=30: 99.98/100.02 → mid 100, 4 bps. t=40: trade 3 @ 99.99 → 2·0.01/100 = 2 bps.
        // t=50: trade 1 @ 100.02 → 2·0.02/100 = 4 bps.
        // Mean quoted: (2·30 + 4·30)/60 = 3 bps; close 4 bps.
        // Effective (volume-weighted): (1·2 + 3·2 + 1·4)/5 = 12/5 = 2.4 bps.
        // Relative: snapshot spread 0.04 / typical 0.02 = 2.
        let mut feature = SpreadFeatures::default();
        for event in [
            quote(0, 99.99, 100.01),
            trade(10, 100.01, 1.0),
            quote(30, 99.98, 100.02),
            trade(40, 99.99, 3.0),
            trade(50, 100.02, 1.0),
        ] {
            feature.on_event(0, &event);
        }
        let mut snapshot = quiet_snapshot(seconds(60));
        snapshot.spread = Price::from_decimal_str("0.04").ok();
        snapshot.typical_spread = Price::from_decimal_str("0.02").ok();
        let mut values = [0.0; 4];
        feature.on_minute(&snapshot, &mut values);
        assert!((values[0] - 4.0).abs() < 1e-9, "{values:?}");
        assert!((values[1] - 3.0).abs() < 1e-9, "{values:?}");
        assert!((values[2] - 2.4).abs() < 1e-9, "{values:?}");
        assert!((values[3] - 2.0).abs() < 1e-12, "{values:?}");
        // A minute without trades: no effective spread.
        feature.on_minute(&quiet_snapshot(seconds(120)), &mut values);
        assert!(values[2].is_nan());
        assert!((values[1] - 4.0).abs() < 1e-9);
    }
}
