//! Instrument metadata (SPEC 1.1).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ContractType, Price, Quantity, Rate, TypesError, Valuation};

/// Perpetual swap, spot market or dated future.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MarketKind {
    Perpetual,
    Spot,
    Future,
}

impl MarketKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Perpetual => "perp",
            Self::Spot => "spot",
            Self::Future => "future",
        }
    }

    pub fn parse(name: &str) -> Result<Self, TypesError> {
        match name {
            "perp" | "perpetual" | "swap" => Ok(Self::Perpetual),
            "spot" => Ok(Self::Spot),
            "future" | "futures" => Ok(Self::Future),
            other => Err(TypesError::UnknownName {
                what: "market kind",
                value: other.to_owned(),
            }),
        }
    }
}

/// What identifies a stream's instrument: venue, symbol and market, e.g.
/// `binance-usdm / BTCUSDT / perp`. Names are lower-case venue, upper-case symbol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InstrumentKey {
    pub venue: String,
    pub symbol: String,
    pub market: MarketKind,
}

impl InstrumentKey {
    pub fn new(venue: impl Into<String>, symbol: impl Into<String>, market: MarketKind) -> Self {
        Self {
            venue: venue.into().to_ascii_lowercase(),
            symbol: symbol.into().to_ascii_uppercase(),
            market,
        }
    }
}

impl fmt::Display for InstrumentKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}:{}:{}",
            self.venue,
            self.symbol,
            self.market.as_str()
        )
    }
}

/// Trading rules of an instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub key: InstrumentKey,
    pub tick_size: Price,
    /// Contract step: every order size is a whole number of lots.
    pub lot_size: Quantity,
    pub min_size: Quantity,
    /// Quote-currency value of one unit of size (1 for linear USDT perps; e.g. 100 USD per
    /// contract for Binance COIN-M BTCUSD_PERP).
    pub contract_multiplier: Quantity,
    pub maker_fee: Rate,
    pub taker_fee: Rate,
    /// Linear (quote-settled) or inverse (coin-settled, SPEC 5); linear when absent.
    #[serde(default)]
    pub contract_type: ContractType,
}

impl Instrument {
    /// How sizes of this instrument are valued (SPEC 5: linear in quote, inverse in coin).
    #[inline]
    pub fn valuation(&self) -> Valuation {
        Valuation {
            contract_type: self.contract_type,
            multiplier: self.contract_multiplier,
        }
    }

    /// Price in whole ticks, rounding toward negative infinity (book keys).
    #[inline]
    pub fn price_to_ticks(&self, price: Price) -> i64 {
        price.raw().div_euclid(self.tick_size.raw().max(1))
    }

    #[inline]
    pub fn ticks_to_price(&self, ticks: i64) -> Price {
        Price::from_raw(ticks.saturating_mul(self.tick_size.raw()))
    }

    /// Size rounded down to whole lots (SPEC 4: round the size down to the lot size).
    pub fn round_down_to_lot(&self, size: Quantity) -> Quantity {
        let lot = self.lot_size.raw().max(1);
        Quantity::from_raw(size.raw().div_euclid(lot) * lot)
    }
}
