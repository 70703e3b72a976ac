//! The routing fields every Bybit v5 message has, and the cheap topic sniff of the fast path.

use std::borrow::Cow;

use serde::Deserialize;

/// Only the routing fields (unknown fields, `data` included, are skipped), to tell control
/// replies and other topics from malformed messages.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<'a> {
    #[serde(borrow, default)]
    pub topic: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub op: Option<Cow<'a, str>>,
    #[serde(default)]
    pub success: Option<bool>,
    /// Public streams spell it `ret_msg`, the private stream `retMsg`.
    #[serde(borrow, default)]
    pub ret_msg: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "retMsg")]
    pub ret_msg_camel: Option<Cow<'a, str>>,
}

/// The kind of a message we skip: its topic's first part (`publicTrade.BTCUSDT` ->
/// `publicTrade`), else its operation (`op subscribe`).
pub(crate) fn other_kind(topic: &str, op: Option<&str>) -> String {
    match (topic.split('.').next(), op) {
        (Some(kind), _) if !kind.is_empty() => kind.to_owned(),
        (_, Some(op)) => format!("op {op}"),
        _ => "message without topic".to_owned(),
    }
}

/// The value of the first `"topic"` key in the text, when it is a plain string (no escapes).
/// Only a hint: the typed parse that follows checks the real top-level topic.
pub(crate) fn sniff_topic(json: &[u8]) -> Option<&str> {
    let key = memchr::memmem::find(json, b"\"topic\"")?;
    let mut rest = json.get(key + 7..)?.trim_ascii_start();
    rest = rest.strip_prefix(b":")?.trim_ascii_start();
    rest = rest.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    if rest[end] != b'"' {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_finds_compact_and_pretty_topics() {
        assert_eq!(
            sniff_topic(br#"{"topic":"orderbook.50.BTCUSDT","type":"delta"}"#),
            Some("orderbook.50.BTCUSDT")
        );
        assert_eq!(
            sniff_topic(b"{\n  \"topic\" : \"tickers.BTCUSDT\",\n"),
            Some("tickers.BTCUSDT")
        );
        assert_eq!(sniff_topic(br#"{"op":"subscribe"}"#), None);
        assert_eq!(sniff_topic(br#"{"topic":"a\"b"}"#), None);
        assert_eq!(sniff_topic(br#"{"topic":5}"#), None);
        assert_eq!(sniff_topic(br#"{"topic":"unterminated"#), None);
    }

    #[test]
    fn other_kinds() {
        assert_eq!(other_kind("kline.5.BTCUSDT", None), "kline");
        assert_eq!(other_kind("", Some("subscribe")), "op subscribe");
        assert_eq!(other_kind("", None), "message without topic");
    }
}
