//! Request parameters as the venues send them: `application/x-www-form-urlencoded` query
//! strings and bodies (Binance) and JSON bodies (Bybit). Kept raw as well, because the
//! signature covers the exact bytes.

/// Decoded `key=value` pairs of a query string or form body, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `a=1&b=x%20y` (`+` is a space, `%XX` a byte; malformed escapes stay literal).
    pub fn parse(text: &str) -> Self {
        Self(
            text.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((key, value)) => (decode(key), decode(value)),
                    None => (decode(pair), String::new()),
                })
                .collect(),
        )
    }

    /// Adds the pairs of another source (a form body after the query string).
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                match (hex_value(bytes[index + 1]), hex_value(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        index += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The signed part of a Binance request and its `signature` value: Binance signs
/// "the query string concatenated with the request body" with the `signature` parameter
/// left out (USD-M futures "Endpoint security type: SIGNED").
pub fn split_binance_signature(query: &str, body: &str) -> (String, Option<String>) {
    let (query, in_query) = strip_signature(query);
    let (body, in_body) = strip_signature(body);
    (format!("{query}{body}"), in_query.or(in_body))
}

/// Removes the `signature=` pair from a form string; returns the rest and its value.
fn strip_signature(text: &str) -> (String, Option<String>) {
    let mut kept: Vec<&str> = Vec::new();
    let mut signature = None;
    for pair in text.split('&') {
        match pair.strip_prefix("signature=") {
            Some(value) => signature = Some(value.to_owned()),
            None if pair.is_empty() => {}
            None => kept.push(pair),
        }
    }
    (kept.join("&"), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        let params = Params::parse("symbol=BTCUSDT&newClientOrderId=a%2Fb+c&empty=&bad=%zz");
        assert_eq!(params.get("symbol"), Some("BTCUSDT"));
        assert_eq!(params.get("newClientOrderId"), Some("a/b c"));
        assert_eq!(params.get("empty"), Some(""));
        assert_eq!(params.get("bad"), Some("%zz"));
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn signature_is_cut_out_of_query_or_body() {
        let (payload, signature) =
            split_binance_signature("symbol=BTCUSDT&timestamp=1&signature=ab12", "");
        assert_eq!(payload, "symbol=BTCUSDT&timestamp=1");
        assert_eq!(signature.as_deref(), Some("ab12"));
        // Binance's mixed example: query then body, concatenated as they are.
        let (payload, signature) =
            split_binance_signature("symbol=LTCBTC&side=BUY", "quantity=1&signature=ff");
        assert_eq!(payload, "symbol=LTCBTC&side=BUYquantity=1");
        assert_eq!(signature.as_deref(), Some("ff"));
    }
}
