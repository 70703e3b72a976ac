//! The one place the mock exchange reads the wall clock: signed requests are checked against
//! it (`timestamp` within `recvWindow`, Binance; `X-BAPI-TIMESTAMP`, Bybit) and server times
//! are reported in it. The replayed market data keeps its recorded times.

/// Milliseconds since the Unix epoch, now.
#[allow(clippy::disallowed_methods)] // a network server's request-window check needs real time
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}
