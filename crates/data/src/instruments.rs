//! Venue names and default instrument rules for the markets we import.
//!
//! Venue names are fixed strings used in storage paths and configs:
//! `binance-usdm`, `binance-coinm`, `binance-spot`, `bybit-linear`, `bybit-spot`,
//! `bybit-inverse`, `bitflyer`, `hyperliquid`, and Tardis exchange ids as Tardis spells them
//! (`binance-futures`, `deribit`, `bitmex`, ...). Tick sizes of unknown instruments are inferred
//! from the data by the order book; these defaults serve sizing and fees.

use auction_trader_types::{
    ContractType, Instrument, InstrumentKey, MarketKind, Price, Quantity, Rate,
};

use crate::DataError;

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
        BYBIT_INVERSE,
        "BTCUSD",
        500_000_000,
        1_000_000_000,
        1_000_000_000,
        1_000_000_000,
        200_000,
        550_000,
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
                contract_type: contract_type_of_venue(&key.venue).unwrap_or_default(),
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
        contract_type: contract_type_of_venue(&key.venue).unwrap_or_default(),
    })
}

/// Tardis exchange ids whose perpetuals and futures are coin-margined (inverse) or quanto:
/// their size has no linear quote value, and which one a symbol is cannot be told from the
/// name alone.
const COIN_MARGINED_TARDIS_VENUES: &[&str] = &[
    "binance-delivery",
    "bitmex",
    "bybit",
    "deribit",
    "huobi-dm",
    "huobi-dm-swap",
    "okex-futures",
    "okex-swap",
];

/// How a venue's contracts are valued (SPEC 5): `Inverse` for Binance COIN-M and Bybit
/// inverse, `Linear` for the rest, `None` for venues whose contracts are coin-margined or
/// quanto (BitMEX, Deribit, ...) — those cannot be valued unless the config says which
/// (`instrument.contract_type`), never silently as linear.
pub fn contract_type_of_venue(venue: &str) -> Option<ContractType> {
    match venue {
        BINANCE_COINM | BYBIT_INVERSE => Some(ContractType::Inverse),
        _ if COIN_MARGINED_TARDIS_VENUES.contains(&venue) => None,
        _ => Some(ContractType::Linear),
    }
}

/// The rules of `key` with their valuation settled (SPEC 5): `contract_type` when given
/// (config), else the venue's; a venue whose contracts may be inverse or quanto without a
/// configured type is refused ([`DataError::UnvaluedContract`]).
pub fn valued_instrument(
    key: &InstrumentKey,
    contract_type: Option<ContractType>,
) -> Result<Instrument, DataError> {
    let mut instrument = instrument_or_default(key);
    instrument.contract_type = match contract_type.or_else(|| contract_type_of_venue(&key.venue)) {
        Some(contract_type) => contract_type,
        None => {
            return Err(DataError::UnvaluedContract {
                instrument: key.to_string(),
                venue: key.venue.clone(),
            });
        }
    };
    Ok(instrument)
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

    #[test]
    fn coin_margined_venues_are_inverse_or_unknown_never_silently_linear() {
        let coinm = InstrumentKey::new(BINANCE_COINM, "BTCUSD_PERP", MarketKind::Perpetual);
        let instrument = known_instrument(&coinm).unwrap();
        assert_eq!(instrument.contract_type, ContractType::Inverse);
        assert_eq!(instrument.contract_multiplier.to_string(), "100");
        let bybit = InstrumentKey::new(BYBIT_INVERSE, "BTCUSD", MarketKind::Perpetual);
        assert_eq!(
            known_instrument(&bybit).unwrap().contract_type,
            ContractType::Inverse
        );
        assert_eq!(contract_type_of_venue("deribit"), None);
        let deribit = InstrumentKey::new("deribit", "BTC-PERPETUAL", MarketKind::Perpetual);
        let error = valued_instrument(&deribit, None).unwrap_err().to_string();
        assert!(error.contains("instrument.contract_type"), "{error}");
        assert_eq!(
            valued_instrument(&deribit, Some(ContractType::Inverse))
                .unwrap()
                .contract_type,
            ContractType::Inverse
        );
        assert_eq!(contract_type_of_venue("bitmex"), None);
        assert_eq!(
            contract_type_of_venue(BINANCE_USDM),
            Some(ContractType::Linear)
        );
    }
}
