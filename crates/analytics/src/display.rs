//! Numbers for people: thousands separators, the currency on every money figure, prices
//! with the decimals of their tick. Used by the terminal summary and the HTML report.
//!
//! Money is formatted from its exact decimal text (never through `f64`), rounded half away
//! from zero, so `1234567.891 JPY` prints as `1,234,567.89 JPY` at any magnitude.

use auction_trader_types::{ContractType, Money, Price};

use crate::RunRecords;

/// Quote currencies recognised at the end of a venue symbol, longest first so `BTCUSDT`
/// ends in `USDT`, not `USD`.
const QUOTE_SUFFIXES: [&str; 15] = [
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "JPY", "EUR", "GBP", "KRW", "TRY", "BRL",
    "BTC", "ETH", "BNB",
];

/// Contract-type tails that follow the pair in a symbol (`BTCUSD_PERP`, `BTC-PERP`).
const CONTRACT_TAILS: [&str; 3] = ["PERP", "PERPETUAL", "SWAP"];

/// Base and quote currency of `symbol`: `BTC_JPY` → BTC / JPY, `BTCUSDT` → BTC / USDT,
/// `BTCUSD_PERP` → BTC / USD, `BTC-PERP` (a bare base with a perp tail, USD-margined by
/// convention) → BTC / USD. `None` when the symbol does not say.
fn currencies(symbol: &str) -> Option<(String, String)> {
    let upper = symbol.to_ascii_uppercase();
    let mut parts: Vec<&str> = upper
        .split(['_', '-', '/', ':'])
        .filter(|part| !part.is_empty())
        .collect();
    let mut had_contract_tail = false;
    while parts.len() > 1 {
        let last = parts[parts.len() - 1];
        let is_date = last.bytes().all(|byte| byte.is_ascii_digit());
        if CONTRACT_TAILS.contains(&last) || is_date {
            had_contract_tail |= CONTRACT_TAILS.contains(&last);
            parts.pop();
        } else {
            break;
        }
    }
    match parts.as_slice() {
        [pair] => match QUOTE_SUFFIXES
            .iter()
            .find(|suffix| pair.len() > suffix.len() && pair.ends_with(*suffix))
        {
            Some(suffix) => Some((
                pair[..pair.len() - suffix.len()].to_owned(),
                (*suffix).to_owned(),
            )),
            None if had_contract_tail => Some(((*pair).to_owned(), "USD".to_owned())),
            None => None,
        },
        [.., base, quote] if quote.bytes().all(|byte| byte.is_ascii_alphabetic()) => {
            Some(((*base).to_owned(), (*quote).to_owned()))
        }
        _ => None,
    }
}

/// The quote currency of `symbol` (see `currencies`); empty when the symbol does not say.
pub fn quote_currency(symbol: &str) -> String {
    currencies(symbol)
        .map(|(_, quote)| quote)
        .unwrap_or_default()
}

/// The currency a run's money is in (SPEC 5): the quote currency for linear contracts, the
/// base coin for inverse ones; empty when the symbol does not say.
pub fn settlement_currency(symbol: &str, contract_type: ContractType) -> String {
    currencies(symbol)
        .map(|(base, quote)| match contract_type {
            ContractType::Linear => quote,
            ContractType::Inverse => base,
        })
        .unwrap_or_default()
}

/// The currency of a run's money: [`settlement_currency`] of its symbol and valuation.
pub fn run_currency(records: &RunRecords) -> String {
    settlement_currency(&records.symbol, records.valuation.contract_type)
}

/// Decimals shown for amounts of `currency`: 8 for coins (inverse contracts are valued in
/// coin), 2 otherwise.
pub fn currency_decimals(currency: &str) -> usize {
    match currency {
        "BTC" | "XBT" | "ETH" | "BNB" => 8,
        _ => 2,
    }
}

/// `1,234,567.89 JPY` (or without a unit when the currency is unknown).
pub fn format_money(value: Money, currency: &str) -> String {
    let number = group_decimal(&value.to_string(), currency_decimals(currency));
    if currency.is_empty() {
        number
    } else {
        format!("{number} {currency}")
    }
}

/// A price with the decimals of `tick` (rounded to the nearest tick first) and separators:
/// `4,123,456` for a 1 JPY tick, `61,804.10` for a 0.1 USDT tick shown as `61,804.1`.
pub fn format_price(price: Price, tick: Option<Price>) -> String {
    match tick.filter(|tick| tick.is_positive()) {
        Some(tick) => {
            let rounded = price
                .round_steps(tick)
                .and_then(|steps| Price::from_steps(steps, tick))
                .unwrap_or(price);
            group_decimal(&rounded.to_string(), decimals_of(&tick.to_string()))
        }
        None => group_decimal(&price.to_string(), decimals_of(&price.to_string())),
    }
}

/// An `f64` with `decimals` decimals and thousands separators (`-0.00` prints as `0.00`).
pub fn format_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    group_decimal(&format!("{value:.decimals$}"), decimals)
}

/// Decimals written in a canonical decimal text (`0.01` → 2, `5` → 0).
fn decimals_of(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// Rounds a decimal text (`-1234567.891`) to `decimals` decimals, half away from zero, and
/// groups the integer digits by thousands (`-1,234,567.89`). A result of zero has no sign.
pub fn group_decimal(text: &str, decimals: usize) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    // Digits of integer + the kept fraction, then round on the first dropped digit.
    let mut kept: Vec<u8> = integer.bytes().map(|byte| byte - b'0').collect();
    let fraction_bytes: Vec<u8> = fraction.bytes().map(|byte| byte - b'0').collect();
    for index in 0..decimals {
        kept.push(fraction_bytes.get(index).copied().unwrap_or(0));
    }
    if fraction_bytes
        .get(decimals)
        .is_some_and(|digit| *digit >= 5)
    {
        let mut position = kept.len();
        loop {
            if position == 0 {
                kept.insert(0, 1);
                break;
            }
            position -= 1;
            if kept[position] == 9 {
                kept[position] = 0;
            } else {
                kept[position] += 1;
                break;
            }
        }
    }
    let split = kept.len() - decimals;
    let (whole, part) = kept.split_at(split);
    let whole: Vec<u8> = match whole.iter().position(|digit| *digit != 0) {
        Some(first) => whole[first..].to_vec(),
        None => vec![0],
    };
    let mut out = String::with_capacity(kept.len() + kept.len() / 3 + 2);
    let is_zero = whole == [0] && part.iter().all(|digit| *digit == 0);
    if negative && !is_zero {
        out.push('-');
    }
    for (index, digit) in whole.iter().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(char::from(b'0' + digit));
    }
    if decimals > 0 {
        out.push('.');
        out.extend(part.iter().map(|digit| char::from(b'0' + digit)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_currency_is_the_quote_or_the_coin() {
        use ContractType::{Inverse, Linear};
        assert_eq!(settlement_currency("BTCUSDT", Linear), "USDT");
        assert_eq!(settlement_currency("BTCUSD_PERP", Inverse), "BTC");
        assert_eq!(settlement_currency("ETHUSD_240927", Inverse), "ETH");
        assert_eq!(settlement_currency("BTCUSD", Inverse), "BTC");
        assert_eq!(settlement_currency("BTC_JPY", Linear), "JPY");
        assert_eq!(settlement_currency("BTC-PERP", Linear), "USD");
    }

    fn money(text: &str) -> Money {
        Money::from_decimal_str(text).unwrap()
    }

    #[test]
    fn money_has_separators_rounding_and_the_currency() {
        // 1,234,567.891 → .891 rounds to .89 (third decimal 1 < 5).
        assert_eq!(
            format_money(money("1234567.891"), "JPY"),
            "1,234,567.89 JPY"
        );
        // Half away from zero, with a carry through every digit: 999,999.995 → 1,000,000.00.
        assert_eq!(
            format_money(money("999999.995"), "USDT"),
            "1,000,000.00 USDT"
        );
        assert_eq!(format_money(money("-1234.5"), "USDT"), "-1,234.50 USDT");
        assert_eq!(format_money(money("-0.004"), "USDT"), "0.00 USDT");
        assert_eq!(format_money(money("12"), ""), "12.00");
        assert_eq!(format_money(money("0.123456789"), "BTC"), "0.12345679 BTC");
        assert_eq!(group_decimal("123", 0), "123");
        assert_eq!(group_decimal("1234", 0), "1,234");
        assert_eq!(group_decimal("-999.5", 0), "-1,000");
    }

    #[test]
    fn currencies_come_from_the_symbol() {
        for (symbol, currency) in [
            ("BTC_JPY", "JPY"),
            ("BTCUSDT", "USDT"),
            ("1INCHUSDT", "USDT"),
            ("BTCUSD_PERP", "USD"),
            ("BTC-PERP", "USD"),
            ("ETHBTC", "BTC"),
            ("BTC-USD", "USD"),
            ("BTCUSD_240927", "USD"),
            ("XYZ", ""),
        ] {
            assert_eq!(quote_currency(symbol), currency, "{symbol}");
        }
        // Inverse contracts settle in the coin.
        assert_eq!(
            settlement_currency("BTCUSD_PERP", ContractType::Inverse),
            "BTC"
        );
        assert_eq!(
            settlement_currency("BTCUSD_PERP", ContractType::Linear),
            "USD"
        );
        assert_eq!(settlement_currency("XYZ", ContractType::Inverse), "");
    }

    #[test]
    fn prices_are_rounded_to_the_tick() {
        let price = |text: &str| Price::from_decimal_str(text).unwrap();
        // An average exit of 4,123,456.6 JPY on a 1 JPY tick → 4,123,457.
        assert_eq!(
            format_price(price("4123456.6"), Some(price("1"))),
            "4,123,457"
        );
        // 61,804.1234 on a 0.1 tick → 61,804.1; on a 0.01 tick → 61,804.12.
        assert_eq!(
            format_price(price("61804.1234"), Some(price("0.1"))),
            "61,804.1"
        );
        assert_eq!(
            format_price(price("61804.1234"), Some(price("0.01"))),
            "61,804.12"
        );
        assert_eq!(format_price(price("61804.5"), None), "61,804.5");
        assert_eq!(format_number(-0.001, 2), "0.00");
        assert_eq!(format_number(4_080_000.0, 0), "4,080,000");
    }
}
