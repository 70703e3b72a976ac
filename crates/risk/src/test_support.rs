//! Test helpers of the risk rules: decimal literals, the BTCUSDT perpetual of the SPEC 11
//! examples, and times on 2024-08-01 UTC.

use auction_trader_types::{
    Instrument, InstrumentKey, MarketKind, Money, Price, Quantity, Rate, UnixNanos,
};

pub(crate) fn money(text: &str) -> Money {
    Money::from_decimal_str(text).unwrap()
}

pub(crate) fn price(text: &str) -> Price {
    Price::from_decimal_str(text).unwrap()
}

pub(crate) fn quantity(text: &str) -> Quantity {
    Quantity::from_decimal_str(text).unwrap()
}

/// 2024-08-01 00:00 UTC plus `seconds`.
pub(crate) fn at(seconds: i64) -> UnixNanos {
    UnixNanos::from_seconds(1_722_470_400 + seconds)
}

/// Binance USD-M BTCUSDT: tick 0.1, lot and minimum 0.001, maker 2 bps, taker 5 bps.
pub(crate) fn btc_perp() -> Instrument {
    Instrument {
        key: InstrumentKey::new("binance-usdm", "BTCUSDT", MarketKind::Perpetual),
        tick_size: price("0.1"),
        lot_size: quantity("0.001"),
        min_size: quantity("0.001"),
        contract_multiplier: Quantity::ONE,
        maker_fee: Rate::from_decimal_str("0.0002").unwrap(),
        taker_fee: Rate::from_decimal_str("0.0005").unwrap(),
        contract_type: auction_trader_types::ContractType::Linear,
    }
}
