//! Which Binance market a message belongs to (spot, USD-M or COIN-M futures), inferred per
//! source from the message shapes unless the caller names the venue, and the registration of
//! its instruments with the sink.

use auction_trader_types::{InstrumentKey, NANOS_PER_SECOND, UnixNanos};

use super::decoder::{BinanceDecoder, Fault, Scan};
use super::framing::LocalTimeUnit;
use crate::instruments::{BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, market_of_venue};
use crate::{EventSink, InstrumentSlot};

/// Spot or futures: decided per file from the message shapes (futures depth has `pu`,
/// futures trades have `X`, spot trades have `M`, spot bookTicker has no times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Spot,
    Futures,
}

/// COIN-M symbols are `<coin>USD_PERP` or `<coin>USD_<yymmdd>`; USD-M dated futures are
/// `<coin>USDT_<yymmdd>` (Binance symbol conventions).
pub(super) fn is_coin_margined(symbol: &[u8]) -> bool {
    match memchr::memchr(b'_', symbol) {
        Some(underscore) => {
            let pair = &symbol[..underscore];
            pair.len() > 3 && pair[pair.len() - 3..].eq_ignore_ascii_case(b"USD")
        }
        None => false,
    }
}

#[derive(Debug)]
pub(super) struct KnownInstrument {
    pub(super) venue: &'static str,
    pub(super) symbol: Vec<u8>,
    pub(super) slot: InstrumentSlot,
}

impl BinanceDecoder {
    /// Records a venue hint; the first decisive hint of a file fixes its family.
    pub(super) fn note_family(&mut self, hint: Family, sink: &mut dyn EventSink) {
        match self.file.family {
            None => self.file.family = Some(hint),
            Some(family) if family != hint && !self.file.family_conflict_warned => {
                self.file.family_conflict_warned = true;
                sink.warn(format!(
                    "{}:{}: message shape suggests {hint:?} but the file was identified as \
                     {family:?}; keeping {family:?}",
                    self.file.source, self.file.line_number
                ));
            }
            Some(_) => {}
        }
    }

    /// The instrument slot of `symbol` on this file's venue (registered on first sight).
    pub(super) fn slot(
        &mut self,
        symbol: &[u8],
        hint: Option<Family>,
        sink: &mut dyn EventSink,
    ) -> Scan<InstrumentSlot> {
        if symbol.is_empty() {
            return Err(Fault("empty symbol"));
        }
        let coin_margined = is_coin_margined(symbol);
        let hint = if coin_margined {
            Some(Family::Futures)
        } else {
            hint
        };
        if let Some(hint) = hint {
            self.note_family(hint, sink);
        }
        let venue = match self.venue_override {
            Some(venue) => venue,
            None => {
                let family = match self.file.family {
                    Some(family) => family,
                    None => {
                        sink.warn(format!(
                            "{}:{}: no decisive message shape yet; assuming futures",
                            self.file.source, self.file.line_number
                        ));
                        self.file.family = Some(Family::Futures);
                        Family::Futures
                    }
                };
                match family {
                    Family::Spot => BINANCE_SPOT,
                    Family::Futures if coin_margined => BINANCE_COINM,
                    Family::Futures => BINANCE_USDM,
                }
            }
        };
        // Fast path: the same instrument as the previous message of this file.
        if let Some(known) = self
            .file
            .last_instrument
            .and_then(|index| self.instruments.get(index))
            && std::ptr::eq(known.venue, venue)
            && self.file.last_symbol == symbol
        {
            return Ok(known.slot);
        }
        if !self
            .file
            .symbols
            .iter()
            .any(|known| known.eq_ignore_ascii_case(symbol))
        {
            self.file.symbols.push(symbol.to_ascii_uppercase());
        }
        self.file.last_symbol.clear();
        self.file.last_symbol.extend_from_slice(symbol);
        if let Some(index) = self
            .instruments
            .iter()
            .position(|known| known.venue == venue && known.symbol.eq_ignore_ascii_case(symbol))
        {
            self.file.last_instrument = Some(index);
            return Ok(self.instruments[index].slot);
        }
        let text = std::str::from_utf8(symbol).map_err(|_| Fault("symbol is not UTF-8"))?;
        let key = InstrumentKey::new(venue, text, market_of_venue(venue));
        let slot = sink.instrument(&key);
        self.file.last_instrument = Some(self.instruments.len());
        self.instruments.push(KnownInstrument {
            venue,
            symbol: symbol.to_ascii_uppercase(),
            slot,
        });
        Ok(slot)
    }

    /// Exchange time of a message, cross-checked once per file against the local clock.
    pub(super) fn check_clock(
        &mut self,
        ts_recv: UnixNanos,
        ts_exchange: UnixNanos,
        sink: &mut dyn EventSink,
    ) {
        if self.file.clock_checked {
            return;
        }
        self.file.clock_checked = true;
        let skew = ts_recv.as_i64().saturating_sub(ts_exchange.as_i64());
        // SPEC 1.2: never silently guess a wrong unit; a skew above 10 minutes means the
        // detected local unit or the recorder clock is suspect.
        if skew.unsigned_abs() > 600 * NANOS_PER_SECOND as u64 {
            sink.warn(format!(
                "{}:{}: local time (unit {}) differs from exchange time by {:.3} s",
                self.file.source,
                self.file.line_number,
                self.file.unit.map_or("?", LocalTimeUnit::as_str),
                skew as f64 / NANOS_PER_SECOND as f64
            ));
        }
    }
}
