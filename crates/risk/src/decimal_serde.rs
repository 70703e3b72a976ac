//! Serde for [`Rate`] config fields written as plain decimals (`risk_per_trade: 0.02`).
//!
//! `Rate` itself serializes as its raw 10^-9 integer; a config file must read like the SPEC, so
//! these fields go through this module. A number is converted through its shortest decimal
//! text (Rust's `Display` of `f64`, never exponent notation) and parsed exactly: more than nine
//! decimals is an error, never a silent rounding. Quoted strings (`"0.02"`) are accepted too.

use std::fmt;

use auction_trader_types::Rate;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

pub fn serialize<S: Serializer>(value: &Rate, serializer: S) -> Result<S::Ok, S::Error> {
    // Shortest round-trip text of a nine-decimal value reads back to the same decimal.
    serializer.serialize_f64(value.as_f64())
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Rate, D::Error> {
    deserializer.deserialize_any(RateVisitor)
}

struct RateVisitor;

impl RateVisitor {
    fn parse<E: de::Error>(text: &str) -> Result<Rate, E> {
        Rate::from_decimal_str(text.trim()).map_err(E::custom)
    }
}

impl Visitor<'_> for RateVisitor {
    type Value = Rate;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a decimal number with at most nine decimals")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Rate, E> {
        Rate::from_units(value).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Rate, E> {
        let units = i64::try_from(value).map_err(E::custom)?;
        Rate::from_units(units).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Rate, E> {
        if !value.is_finite() {
            return Err(E::custom("not a finite number"));
        }
        Self::parse(&value.to_string())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Rate, E> {
        Self::parse(value)
    }
}
