//! The Bybit v5 public-stream decoder (SPEC 1.2 "Live: exchange WebSocket streams ... Bybit v5:
//! publicTrade, orderbook.1/50/200, tickers, allLiquidation"; "REST for snapshots"): ONE venue
//! message plus our receive time in, normalized [`MarketEvent`]s out. The order-book dump
//! importer ([`super::bybit_orderbook`]) and the live adapter (`auction_trader_venues::bybit`)
//! both call it, so a recorded message and a live one decode identically (STYLE 14).
//!
//! * `orderbook.{1,50,200,500}.SYM` snapshot and delta →
//!   [`BookDelta`](auction_trader_types::BookDelta) rows ([`orderbook`]);
//! * `publicTrade.SYM` → [`Trade`](auction_trader_types::Trade)s ([`trade`]);
//! * `tickers.SYM` → [`Quote`](auction_trader_types::Quote) (best bid/ask) and
//!   [`Funding`](auction_trader_types::Funding) (rate, next funding time, mark and index
//!   price) ([`ticker`]; linear tickers send a snapshot then partial deltas, so the decoder
//!   keeps the last value of every field per symbol);
//! * `allLiquidation.SYM` → [`Liquidation`](auction_trader_types::Liquidation)s
//!   ([`liquidation`]);
//! * REST `GET /v5/market/orderbook` → snapshot rows ([`rest`]).
//!
//! Operation replies (subscribe / auth acknowledgements, pongs) are recognised and returned as
//! [`Decoded::Control`]; valid messages of other topics are [`Decoded::Skipped`] and counted
//! per kind; malformed messages are [`MessageError`]s (never panics). A message either yields
//! all its events or none (`out` is left as it was on error).
//!
//! Times: Bybit sends Unix milliseconds. `ts_recv` is the caller's receive time; a recording
//! without one (Bybit's order-book history dump) passes `None` and gets the message's `ts`
//! (Bybit's send time) instead.

pub mod envelope;
pub mod liquidation;
pub mod orderbook;
pub mod rest;
pub mod ticker;
pub mod trade;

use std::borrow::Cow;

use auction_trader_types::{MarketEvent, UnixNanos};
use thiserror::Error;

use self::envelope::{Envelope, other_kind, sniff_topic};
use self::ticker::TickerBook;

/// Why a message could not be decoded (the quarantine reason of an importer, a counted fault
/// of the live adapter).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct MessageError(pub String);

impl From<String> for MessageError {
    fn from(reason: String) -> Self {
        Self(reason)
    }
}

impl From<&str> for MessageError {
    fn from(reason: &str) -> Self {
        Self(reason.to_owned())
    }
}

/// Which topics a decoder turns into events; the others are skipped and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicSet {
    /// Every public topic above (the live adapter).
    All,
    /// Order books only (the order-book dump importer, which skips everything else).
    OrderbookOnly,
}

/// The stream a decoded market message belonged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `orderbook.<depth>.SYM`; `snapshot` is the message `type` (a delta with `u = 1` is a
    /// reset too: its rows carry SNAPSHOT/CLEAR, see [`orderbook`]). `update_id` is `u`,
    /// `sequence` is `seq` (the cross sequence).
    Orderbook {
        depth: u32,
        snapshot: bool,
        update_id: u64,
        sequence: u64,
    },
    Trade,
    Ticker,
    Liquidation,
}

/// What one message was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A market message of `symbol`; its events (possibly none: a ticker delta that changed
    /// neither the quote nor funding) were appended to `out`.
    Market {
        channel: Channel,
        symbol: Cow<'a, str>,
    },
    /// A reply to one of our operations (`subscribe`, `unsubscribe`, `auth`, `ping`/`pong`).
    Control {
        op: String,
        /// `success` as sent (absent in some pongs).
        success: Option<bool>,
        /// `ret_msg` / `retMsg` (e.g. "pong", or why a subscription failed).
        message: String,
    },
    /// A valid message of a topic this decoder does not turn into events, by kind (the
    /// topic's first part, e.g. `kline`).
    Skipped { kind: String },
}

/// The decoder: stateless for order books, trades and liquidations; keeps the last ticker
/// fields per symbol; counts skipped kinds.
#[derive(Debug, Clone)]
pub struct BybitDecoder {
    topics: TopicSet,
    tickers: TickerBook,
    skipped: Vec<(String, u64)>,
}

impl Default for BybitDecoder {
    fn default() -> Self {
        Self::new(TopicSet::All)
    }
}

impl BybitDecoder {
    pub fn new(topics: TopicSet) -> Self {
        Self {
            topics,
            tickers: TickerBook::default(),
            skipped: Vec::new(),
        }
    }

    /// Valid messages skipped so far, per kind, in order of first appearance.
    pub fn skipped(&self) -> &[(String, u64)] {
        &self.skipped
    }

    /// Decodes one message (one WebSocket text frame or one dump line). `ts_recv` is our
    /// receive time (`None` for recordings without one: `ts` is used). On error `out` is
    /// unchanged.
    pub fn decode<'a>(
        &mut self,
        json: &'a [u8],
        ts_recv: Option<UnixNanos>,
        out: &mut Vec<MarketEvent>,
    ) -> Result<Decoded<'a>, MessageError> {
        let start = out.len();
        let result = self.route(json, ts_recv, out);
        match &result {
            Err(_) => out.truncate(start),
            Ok(Decoded::Skipped { kind }) => self.count_skip(kind),
            Ok(_) => {}
        }
        result
    }

    fn route<'a>(
        &mut self,
        json: &'a [u8],
        ts_recv: Option<UnixNanos>,
        out: &mut Vec<MarketEvent>,
    ) -> Result<Decoded<'a>, MessageError> {
        // Fast path: the topic named in the text picks the typed parse (one pass over an
        // order-book message, the bulk of a dump); the typed parse re-checks the topic. When
        // the text names no known topic plainly (escapes, odd spacing), the parsed envelope's
        // topic decides.
        let mut typed = self.typed(sniff_topic(json).unwrap_or_default(), json, ts_recv, out);
        if typed.is_none()
            && let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(json)
        {
            let topic = envelope.topic.as_deref().unwrap_or_default();
            typed = self.typed(topic, json, ts_recv, out);
        }
        match typed {
            Some(Ok(Some(decoded))) => Ok(decoded),
            // Parsed, but the top-level topic is not what the text suggested: classify below.
            Some(Ok(None)) => classify(json, None),
            Some(Err(TypedError::Invalid(reason))) => Err(MessageError(reason)),
            Some(Err(TypedError::Json(error))) => classify(json, Some(error)),
            None => classify(json, None),
        }
    }

    /// The typed parse of `topic`'s kind, if this decoder decodes it.
    fn typed<'a>(
        &mut self,
        topic: &str,
        json: &'a [u8],
        ts_recv: Option<UnixNanos>,
        out: &mut Vec<MarketEvent>,
    ) -> Option<Typed<'a>> {
        if topic.starts_with("orderbook.") {
            Some(orderbook::decode(json, ts_recv, out))
        } else if self.topics == TopicSet::OrderbookOnly {
            None
        } else if topic.starts_with(trade::TOPIC) || topic.starts_with(trade::LEGACY_TOPIC) {
            Some(trade::decode(json, ts_recv, out))
        } else if topic.starts_with(ticker::TOPIC) {
            Some(self.tickers.decode(json, ts_recv, out))
        } else if topic.starts_with(liquidation::TOPIC) {
            Some(liquidation::decode(json, ts_recv, out))
        } else {
            None
        }
    }

    fn count_skip(&mut self, kind: &str) {
        match self.skipped.iter_mut().find(|(name, _)| name == kind) {
            Some(entry) => entry.1 += 1,
            None => self.skipped.push((kind.to_owned(), 1)),
        }
    }
}

/// A typed parse's failure: the JSON did not fit the topic's shape (`Json`, classified by
/// the envelope), or it fitted but a value is unusable (`Invalid`).
#[derive(Debug)]
pub(crate) enum TypedError {
    Json(serde_json::Error),
    Invalid(String),
}

impl From<String> for TypedError {
    fn from(reason: String) -> Self {
        Self::Invalid(reason)
    }
}

impl From<&str> for TypedError {
    fn from(reason: &str) -> Self {
        Self::Invalid(reason.to_owned())
    }
}

/// What a typed decoder returns: `Ok(None)` when the top-level topic is not its own.
pub(crate) type Typed<'a> = Result<Option<Decoded<'a>>, TypedError>;

/// A message that is not one of the decoded topics (or did not fit its topic's shape): a
/// control reply, a skipped kind, or malformed.
fn classify<'a>(
    json: &'a [u8],
    typed_error: Option<serde_json::Error>,
) -> Result<Decoded<'a>, MessageError> {
    let envelope: Envelope<'_> = match serde_json::from_slice(json) {
        Ok(envelope) => envelope,
        Err(error) => {
            let error = typed_error.unwrap_or(error);
            return Err(MessageError(format!("not a JSON message: {error}")));
        }
    };
    let topic = envelope.topic.as_deref().unwrap_or_default();
    if let Some(error) = typed_error {
        if topic.starts_with("orderbook.") {
            return Err(MessageError(format!(
                "malformed order-book message: {error}"
            )));
        }
        if is_decoded_topic(topic) {
            return Err(MessageError(format!("malformed {topic} message: {error}")));
        }
    }
    match (topic.is_empty(), envelope.op) {
        (true, Some(op)) => Ok(Decoded::Control {
            op: op.into_owned(),
            success: envelope.success,
            message: envelope
                .ret_msg
                .or(envelope.ret_msg_camel)
                .map(Cow::into_owned)
                .unwrap_or_default(),
        }),
        (_, op) => Ok(Decoded::Skipped {
            kind: other_kind(topic, op.as_deref()),
        }),
    }
}

fn is_decoded_topic(topic: &str) -> bool {
    [
        trade::TOPIC,
        trade::LEGACY_TOPIC,
        ticker::TOPIC,
        liquidation::TOPIC,
    ]
    .iter()
    .any(|prefix| topic.starts_with(prefix))
}

/// Bybit times are Unix milliseconds.
pub(crate) fn millis(value: i64) -> Result<UnixNanos, String> {
    value
        .checked_mul(1_000_000)
        .filter(|nanos| *nanos >= 0)
        .map(UnixNanos)
        .ok_or_else(|| format!("timestamp {value} out of range"))
}

/// Every item of a message as an event, or none: an invalid item drops the message's
/// events already pushed and is the message's error.
pub(crate) fn push_all<T>(
    items: &[T],
    out: &mut Vec<MarketEvent>,
    event: impl Fn(&T) -> Result<MarketEvent, String>,
) -> Result<(), TypedError> {
    let start = out.len();
    for item in items {
        match event(item) {
            Ok(decoded) => out.push(decoded),
            Err(reason) => {
                out.truncate(start);
                return Err(TypedError::Invalid(reason));
            }
        }
    }
    Ok(())
}

/// The symbol: the one in the data when given, else the topic's last part; `missing` is
/// the error when neither has one.
pub(crate) fn symbol_of<'a>(
    given: Option<Cow<'a, str>>,
    topic: &str,
    missing: &str,
) -> Result<Cow<'a, str>, String> {
    if let Some(symbol) = given.filter(|symbol| !symbol.is_empty()) {
        return Ok(symbol);
    }
    topic
        .rsplit('.')
        .next()
        .filter(|symbol| !symbol.is_empty())
        .map(|symbol| Cow::Owned(symbol.to_owned()))
        .ok_or_else(|| missing.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_replies_are_recognised() {
        let mut decoder = BybitDecoder::default();
        let mut out = Vec::new();
        let ack = br#"{"success":true,"ret_msg":"","conn_id":"c","req_id":"1","op":"subscribe"}"#;
        let pong = br#"{"success":true,"ret_msg":"pong","conn_id":"c","req_id":"","op":"ping"}"#;
        let private_pong = br#"{"req_id":"","op":"pong","args":["1675418560633"],"conn_id":"c"}"#;
        let failure =
            br#"{"success":false,"ret_msg":"Invalid topic: x","conn_id":"c","op":"subscribe"}"#;
        let auth = br#"{"op":"auth","success":true,"retCode":0,"retMsg":"","connId":"c"}"#;
        let messages: [&[u8]; 5] = [ack, pong, private_pong, failure, auth];
        let decoded: Vec<_> = messages
            .into_iter()
            .map(|json| decoder.decode(json, None, &mut out).unwrap())
            .collect();
        assert_eq!(
            decoded[1],
            Decoded::Control {
                op: "ping".to_owned(),
                success: Some(true),
                message: "pong".to_owned()
            }
        );
        assert!(matches!(&decoded[2], Decoded::Control { op, success: None, .. } if op == "pong"));
        assert!(
            matches!(&decoded[3], Decoded::Control { success: Some(false), message, .. } if message == "Invalid topic: x")
        );
        assert!(
            matches!(&decoded[4], Decoded::Control { op, success: Some(true), .. } if op == "auth")
        );
        assert!(out.is_empty());
        assert!(decoder.skipped().is_empty());
    }

    #[test]
    fn unknown_topics_are_counted_and_garbage_is_an_error() {
        let mut decoder = BybitDecoder::default();
        let mut out = Vec::new();
        let kline = br#"{"topic":"kline.5.BTCUSDT","type":"snapshot","ts":1,"data":[]}"#;
        for _ in 0..2 {
            assert_eq!(
                decoder.decode(kline, None, &mut out).unwrap(),
                Decoded::Skipped {
                    kind: "kline".to_owned()
                }
            );
        }
        assert_eq!(decoder.skipped(), [("kline".to_owned(), 2)]);
        let error = decoder.decode(b"{\"topic\":", None, &mut out).unwrap_err();
        assert!(error.0.starts_with("not a JSON message"), "{error}");
        let error = decoder
            .decode(
                br#"{"topic":"publicTrade.BTCUSDT","data":5}"#,
                None,
                &mut out,
            )
            .unwrap_err();
        assert!(
            error.0.starts_with("malformed publicTrade.BTCUSDT message"),
            "{error}"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn an_escaped_topic_is_still_decoded() {
        // "BTCUSDT" with its "U" escaped: the plain-text sniff cannot read it.
        let json = br#"{"topic":"orderbook.1.BTC\u0055SDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["100","1"]],"a":[],"u":4,"seq":5}}"#;
        let mut out = Vec::new();
        let decoded = BybitDecoder::default()
            .decode(json, None, &mut out)
            .unwrap();
        assert!(
            matches!(decoded, Decoded::Market { channel: Channel::Orderbook { update_id: 4, .. }, ref symbol } if symbol == "BTCUSDT"),
            "{decoded:?}"
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn orderbook_only_skips_other_topics() {
        let mut decoder = BybitDecoder::new(TopicSet::OrderbookOnly);
        let mut out = Vec::new();
        let trade = br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"2","i":"x"}]}"#;
        assert_eq!(
            decoder.decode(trade, None, &mut out).unwrap(),
            Decoded::Skipped {
                kind: "publicTrade".to_owned()
            }
        );
        assert!(out.is_empty());
    }

    const MESSAGES: [&str; 4] = [
        r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["100","1"]],"a":[["101","2"]],"u":5,"seq":9},"cts":1}"#,
        r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"2","i":"x"}]}"#,
        r#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","bid1Price":"1","bid1Size":"1","ask1Price":"2","ask1Size":"1","fundingRate":"0.0001","nextFundingTime":"1"},"cs":1,"ts":1}"#,
        r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Sell","v":"1","p":"2"}]}"#,
    ];

    proptest::proptest! {
        #[test]
        fn mutated_messages_never_panic_and_fail_whole(
            which in 0_usize..4,
            position in 0_usize..400,
            byte in proptest::prelude::any::<u8>(),
        ) {
            let mut message = MESSAGES[which].as_bytes().to_vec();
            let position = position % message.len();
            message[position] = byte;
            let mut decoder = BybitDecoder::default();
            let mut out = vec![MarketEvent::Trade(auction_trader_types::Trade {
                ts_event: UnixNanos(0),
                ts_recv: UnixNanos(0),
                price: auction_trader_types::Price::ONE,
                size: auction_trader_types::Quantity::ONE,
                aggressor: auction_trader_types::AggressorSide::Buy,
                trade_id: auction_trader_types::TradeId(0),
            })];
            if decoder.decode(&message, Some(UnixNanos(1)), &mut out).is_err() {
                proptest::prop_assert_eq!(out.len(), 1);
            }
        }
    }

    #[test]
    fn millis_scale_and_range() {
        assert_eq!(
            millis(1_709_891_679_000),
            Ok(UnixNanos(1_709_891_679_000_000_000))
        );
        assert!(millis(-1).is_err());
        assert!(millis(i64::MAX).is_err());
    }
}
