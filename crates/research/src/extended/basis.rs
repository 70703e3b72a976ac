//! Spot-perp basis (SPEC 2.6): `10⁴ · (perp mid − spot mid) / spot mid` at the minute close,
//! with the target (instrument 0) as the perp and instrument 1 as the spot reference. A mid is
//! the latest uncrossed quote's, else the last trade price. NaN until both exist (always NaN
//! when no reference instrument is fed).

use auction_trader_types::{MarketEvent, UnixNanos};

use super::minute::{MinuteRoller, MinuteState, raw_to_f64};
use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 1] = ["spot_perp_basis_bps"];

/// Latest quote mid, else last trade price, of one instrument.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LatestPrice {
    quote_mid: Option<f64>,
    trade: Option<f64>,
}

impl LatestPrice {
    pub(crate) fn apply(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Quote(quote) => {
                let (bid, ask) = (
                    raw_to_f64(quote.bid_price.raw()),
                    raw_to_f64(quote.ask_price.raw()),
                );
                if bid > 0.0 && ask > bid {
                    self.quote_mid = Some((bid + ask) / 2.0);
                }
            }
            MarketEvent::Trade(trade) if trade.price.raw() > 0 => {
                self.trade = Some(raw_to_f64(trade.price.raw()));
            }
            _ => {}
        }
    }

    /// Quote mid, else last trade.
    pub(crate) fn mid(&self) -> Option<f64> {
        self.quote_mid.or(self.trade)
    }

    /// Last trade, else quote mid.
    pub(crate) fn last_trade(&self) -> Option<f64> {
        self.trade.or(self.quote_mid)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct BasisState {
    perp: LatestPrice,
    spot: LatestPrice,
}

impl MinuteState for BasisState {
    type Closed = Option<f64>;

    fn close_minute(&mut self, _end: UnixNanos) -> Option<f64> {
        let (perp, spot) = (self.perp.mid()?, self.spot.mid()?);
        Some(1e4 * (perp - spot) / spot)
    }
}

/// Perp versus spot reference basis.
#[derive(Debug, Clone)]
pub struct SpotPerpBasis {
    roller: MinuteRoller<BasisState>,
}

impl Default for SpotPerpBasis {
    fn default() -> Self {
        Self {
            roller: MinuteRoller::new(BasisState::default()),
        }
    }
}

impl ResearchFeature for SpotPerpBasis {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_event(&mut self, instrument: usize, event: &MarketEvent) {
        if instrument > 1 || !matches!(event, MarketEvent::Quote(_) | MarketEvent::Trade(_)) {
            return;
        }
        self.roller.advance(event.ts_recv());
        let state = &mut self.roller.state;
        if instrument == 0 {
            state.perp.apply(event);
        } else {
            state.spot.apply(event);
        }
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        values[0] = self.roller.take(snapshot.ts).flatten().unwrap_or(f64::NAN);
    }
}

#[cfg(test)]
mod tests {
    use auction_trader_types::{AggressorSide, Price, Quantity, Quote, QuoteFlags, Trade, TradeId};

    use super::*;
    use crate::extended::test_support::{quiet_snapshot, seconds};

    #[test]
    fn basis_from_perp_quote_and_spot_trade() {
        // Perp quote 100.9/101.1 → mid 101; spot has only a trade at 100 → basis 1e4·1/100 =
        // 100 bps. Without the spot, NaN.
        let perp = MarketEvent::Quote(Quote {
            ts_event: seconds(5),
            ts_recv: seconds(5),
            bid_price: Price::from_decimal_str("100.9").unwrap(),
            bid_size: Quantity::ONE,
            ask_price: Price::from_decimal_str("101.1").unwrap(),
            ask_size: Quantity::ONE,
            update_id: 0,
            flags: QuoteFlags::default(),
        });
        let spot = MarketEvent::Trade(Trade {
            ts_event: seconds(6),
            ts_recv: seconds(6),
            price: Price::from_units(100).unwrap(),
            size: Quantity::ONE,
            aggressor: AggressorSide::Sell,
            trade_id: TradeId(1),
        });
        let mut values = [0.0];
        let mut alone = SpotPerpBasis::default();
        alone.on_event(0, &perp);
        alone.on_minute(&quiet_snapshot(seconds(60)), &mut values);
        assert!(values[0].is_nan());
        let mut feature = SpotPerpBasis::default();
        feature.on_event(0, &perp);
        feature.on_event(1, &spot);
        feature.on_minute(&quiet_snapshot(seconds(60)), &mut values);
        assert!((values[0] - 100.0).abs() < 1e-9);
    }
}
