//! Text formatting for the report: HTML escaping and fixed number formats (deterministic:
//! Rust's float formatting with a fixed number of decimals is exact and platform-independent).

use auction_trader_types::{Money, Price, UnixNanos};

use crate::RunRecords;
use crate::display::{format_money, format_price, settlement_currency};

/// How one run's money and prices are written: its currency on every amount, its prices
/// with the decimals of the venue's tick (averages rounded to the tick).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Units {
    pub(crate) currency: String,
    pub(crate) tick: Option<Price>,
}

impl Units {
    pub(crate) fn of(records: &RunRecords) -> Self {
        Self {
            currency: settlement_currency(&records.symbol, records.valuation.contract_type),
            tick: price_step(records),
        }
    }

    /// `1,234.56 JPY`.
    pub(crate) fn money(&self, value: Money) -> String {
        format_money(value, &self.currency)
    }

    /// [`Self::money`] or an em dash.
    pub(crate) fn optional_money(&self, value: Option<Money>) -> String {
        value.map_or_else(|| "—".to_owned(), |value| self.money(value))
    }

    /// `4,123,457` (rounded to the tick, no currency: a price is per unit).
    pub(crate) fn price(&self, value: Price) -> String {
        format_price(value, self.tick)
    }
}

/// The run's price step: the greatest common divisor of every fill, limit and bar price
/// (each on the venue's tick). `None` without prices, or when the divisor is finer than
/// 10^-8 (prices off any tick: showing them as recorded is more honest).
fn price_step(records: &RunRecords) -> Option<Price> {
    let fills = records.fills.iter().map(|fill| fill.price);
    let limits = records.orders.iter().filter_map(|order| order.limit_price);
    let bars = records
        .bars
        .iter()
        .flat_map(|bar| [bar.open, bar.high, bar.low, bar.close]);
    let divisor = fills
        .chain(limits)
        .chain(bars)
        .fold(0_u64, |divisor, price| {
            gcd(divisor, price.raw().unsigned_abs())
        });
    let step = Price::from_raw(i64::try_from(divisor).ok()?);
    let finest = Price::from_decimal_str("0.00000001").ok()?;
    (divisor > 0 && step >= finest).then_some(step)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Escapes `& < > " '` for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `YYYY-MM-DD HH:MM:SS` (UTC).
pub(crate) fn short_time(ts: UnixNanos) -> String {
    let text = ts.to_string();
    text.get(..19)
        .map_or(text.clone(), |head| head.replacen('T', " ", 1))
}

/// `value` with `decimals` decimals; negative zero prints as zero.
pub(crate) fn fixed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_owned()
    } else {
        text
    }
}

/// An optional number with `decimals` decimals and a unit suffix, or an em dash.
pub(crate) fn optional(value: Option<f64>, decimals: usize, suffix: &str) -> String {
    value.map_or_else(
        || "—".to_owned(),
        |value| format!("{}{suffix}", fixed(value, decimals)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_records;

    #[test]
    fn units_come_from_the_symbol_and_the_recorded_prices() {
        let mut records = sample_records();
        records.symbol = "BTC_JPY".to_owned();
        let units = Units::of(&records);
        assert_eq!(units.currency, "JPY");
        // sample_records: fills at 99.99, 109.89, 200, 204.204, limits at 100, bars on whole
        // units: gcd(9,999, 10,989) = 99 hundredths, with 200 → 0.01, with 204.204 (in
        // thousandths: gcd(10, 204,204) = 2) → 0.002; whole units keep 0.002.
        assert_eq!(units.tick, Some(Price::from_decimal_str("0.002").unwrap()));
        assert_eq!(
            units.money(Money::from_decimal_str("-12345.678").unwrap()),
            "-12,345.68 JPY"
        );
        assert_eq!(
            units.price(Price::from_decimal_str("1234.56789").unwrap()),
            "1,234.568"
        );
        assert_eq!(gcd(12, 18), 6);
        records.fills.clear();
        records.orders.clear();
        records.bars.clear();
        assert_eq!(Units::of(&records).tick, None);
    }

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_have_fixed_formats() {
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(2.345_678, 3), "2.346");
        assert_eq!(optional(None, 2, "%"), "—");
        assert_eq!(optional(Some(1.5), 1, "%"), "1.5%");
        assert_eq!(
            short_time(UnixNanos(1_723_161_255_030_314_667)),
            "2024-08-08 23:54:15"
        );
    }
}
