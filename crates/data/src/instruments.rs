//! Venue names and default instrument rules for the markets we import.
//!
//! Venue names are fixed strings used in storage paths and configs:
//! `binance-usdm`, `binance-coinm`, `binance-spot`, `bybit-linear`, `bybit-spot`,
//! `bybit-inverse`, `bitflyer`, `hyperliquid`, and Tardis exchange ids as Tardis spells them
//! (`binance-futures`, `deribit`, `bitmex`, ...). Tick sizes of unknown instruments are inferred
//! from the data by the order book; these defaults serve sizing and fees.

use auction_trader_types::{Instrument, InstrumentKey, MarketKind, Price, Quantity, Rate};

pub const BINANCE_USDM: &str = "binance-usdm";
pub const BINANCE_COINM: &str = "binance-coinm";
pub const BINANCE_SPOT: &str = "binance-spot";
pub const BYBIT_LINEAR: &str = "bybit-linear";
pub const BYBIT_SPOT: &str = "bybit-spot";
pub const BYBIT_INVERSE: &str = "bybit-inverse";
pub const BITFLYER: &str = "bitflyer";
pub const HYPERLIQUID: &str = "hyperliquid";

/// `(venue, symbol, tick, lot, min size, multiplier, maker fee, taker fee)`; fees are the
/// venues' base-tier published rates.
type Row = (&'static str, &'static str, i64, i64, i64, i64, i64, i64);

/// Raw fixed-point values (10^-9 units).
const KNOWN: &[Row] = &[
    (
        BINANCE_USDM,
        "BTCUSDT",
        100_000_000,
        1_000_000,
        1_000_000,
        1_000_000_000,
        200_000,
        500_000,
    ),
    (
        BINANCE_USDM,
        "ETHUSDT",
        10_000_000,
        1_000_000,
        1_000_000,
        1_000_000_000,
        200_000,
        500_000,
    ),
    (
        BINANCE_USDM,
        "SOLUSDT",
        10_000_000,
        1_000_000_000,
        1_000_000_000,
        1_000_000_000,
        200_000,
        500_000,
    ),
    (
        BINANCE_COINM,
        "BTCUSD_PERP",
        100_000_000,
        1_000_000_000,
        1_000_000_000,
        100_000_000_000,
        200_000,
        500_000,
    ),
    (
        BINANCE_SPOT,
        "BTCUSDT",
        10_000_000,
        10_000,
        10_000,
        1_000_000_000,
        1_000_000,
        1_000_000,
    ),
    (
        BYBIT_LINEAR,
        "BTCUSDT",
        100_000_000,
        1_000_000,
        1_000_000,
        1_000_000_000,
        200_000,
        550_000,
    ),
    (
        BYBIT_LINEAR,
        "ETHUSDT",
        10_000_000,
        10_000_000,
        10_000_000,
        1_000_000_000,
        200_000,
        550_000,
    ),
    (
        BYBIT_LINEAR,
        "SOLUSDT",
        10_000_000,
        100_000_000,
        100_000_000,
        1_000_000_000,
        200_000,
        550_000,
    ),
    (
        BYBIT_LINEAR,
        "XRPUSDT",
        100_000,
        1_000_000_000,
        1_000_000_000,
        1_000_000_000,
        200_000,
        550_000,
    ),
    (
        BITFLYER,
        "BTC_JPY",
        1_000_000_000,
        1_000_000,
        1_000_000,
        1_000_000_000,
        0,
        0,
    ),
];

/// The default rules of a known instrument, if we have them.
pub fn known_instrument(key: &InstrumentKey) -> Option<Instrument> {
    KNOWN
        .iter()
        .find(|row| row.0 == key.venue && row.1 == key.symbol)
        .map(
            |&(_, _, tick, lot, min, multiplier, maker, taker)| Instrument {
                key: key.clone(),
                tick_size: Price::from_raw(tick),
                lot_size: Quantity::from_raw(i128::from(lot)),
                min_size: Quantity::from_raw(i128::from(min)),
                contract_multiplier: Quantity::from_raw(i128::from(multiplier)),
                maker_fee: Rate::from_raw(maker),
                taker_fee: Rate::from_raw(taker),
            },
        )
}

/// Known rules, or conservative generic ones: tick and lot of 10^-9 (the book and loaders
/// refine the tick from the data), maker 2 bps / taker 5 bps (SPEC 5 example fees).
pub fn instrument_or_default(key: &InstrumentKey) -> Instrument {
    known_instrument(key).unwrap_or_else(|| Instrument {
        key: key.clone(),
        tick_size: Price::from_raw(1),
        lot_size: Quantity::from_raw(1),
        min_size: Quantity::from_raw(1),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::from_raw(200_000),
        taker_fee: Rate::from_raw(500_000),
    })
}

/// The market kind a venue name implies.
pub fn market_of_venue(venue: &str) -> MarketKind {
    if venue.ends_with("spot") || venue == BITFLYER {
        MarketKind::Spot
    } else {
        MarketKind::Perpetual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_usdm_btcusdt_has_a_tenth_dollar_tick() {
        let key = InstrumentKey::new(BINANCE_USDM, "btcusdt", MarketKind::Perpetual);
        let instrument = known_instrument(&key).unwrap();
        assert_eq!(instrument.tick_size.to_string(), "0.1");
        assert_eq!(instrument.lot_size.to_string(), "0.001");
        assert_eq!(instrument.taker_fee.to_string(), "0.0005");
        assert_eq!(
            instrument.price_to_ticks(Price::from_decimal_str("61800.2").unwrap()),
            618_002
        );
    }

    #[test]
    fn unknown_instruments_get_generic_rules() {
        let key = InstrumentKey::new("somewhere", "ABCUSDT", MarketKind::Perpetual);
        assert!(known_instrument(&key).is_none());
        assert_eq!(instrument_or_default(&key).maker_fee.to_string(), "0.0002");
        assert_eq!(market_of_venue(BINANCE_SPOT), MarketKind::Spot);
    }
}
