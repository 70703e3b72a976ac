//! The allocation-free JSON scanner over one Binance message: structure checking enough to
//! reject malformed lines, values returned as raw byte spans, plain numbers and plain decimal
//! strings parsed in the same pass, depth levels parsed straight into fixed point.

use auction_trader_types::{
    NANOS_PER_MICRO, NANOS_PER_MILLI, Price, Quantity, Rate, UnixNanos,
    scan_plain_decimal as plain_decimal,
};

use super::decoder::{Fault, LevelBuffers, Scan};
use super::swar::{compact_level, digit_run, digits_value, find_quote_or_escape};

/// One JSON value as read: its raw span (strings with their quotes) and, for plain numbers
/// and plain decimal strings, the number already parsed in the same pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Value<'a> {
    pub(super) raw: &'a [u8],
    pub(super) parsed: Parsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Parsed {
    Nothing,
    /// A bare non-negative integer of at most 19 digits.
    Integer(u64),
    /// A quoted plain decimal, as a fixed-point raw value.
    Decimal(i64),
}

impl<'a> Value<'a> {
    pub(super) const fn raw(raw: &'a [u8]) -> Self {
        Self {
            raw,
            parsed: Parsed::Nothing,
        }
    }
}

/// Raw value spans of the keys this importer reads (JSON keys are case-sensitive, so `t`
/// and `T` are different fields). Unknown keys are skipped.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Fields<'a> {
    pub(super) stream: Option<Value<'a>>,
    pub(super) data: Option<Value<'a>>,
    pub(super) e: Option<Value<'a>>,
    pub(super) e_upper: Option<Value<'a>>,
    pub(super) t: Option<Value<'a>>,
    pub(super) t_upper: Option<Value<'a>>,
    pub(super) s: Option<Value<'a>>,
    pub(super) s_upper: Option<Value<'a>>,
    pub(super) p: Option<Value<'a>>,
    pub(super) q: Option<Value<'a>>,
    pub(super) m: Option<Value<'a>>,
    pub(super) m_upper: Option<Value<'a>>,
    pub(super) x: Option<Value<'a>>,
    pub(super) x_upper: Option<Value<'a>>,
    pub(super) u: Option<Value<'a>>,
    pub(super) u_upper: Option<Value<'a>>,
    pub(super) pu: Option<Value<'a>>,
    pub(super) a: Option<Value<'a>>,
    pub(super) a_upper: Option<Value<'a>>,
    pub(super) b: Option<Value<'a>>,
    pub(super) b_upper: Option<Value<'a>>,
    pub(super) r: Option<Value<'a>>,
    pub(super) i: Option<Value<'a>>,
    pub(super) k: Option<Value<'a>>,
    pub(super) o: Option<Value<'a>>,
    pub(super) h: Option<Value<'a>>,
    pub(super) l: Option<Value<'a>>,
    pub(super) c: Option<Value<'a>>,
    pub(super) v: Option<Value<'a>>,
    pub(super) v_upper: Option<Value<'a>>,
    pub(super) n: Option<Value<'a>>,
    pub(super) z: Option<Value<'a>>,
    pub(super) ap: Option<Value<'a>>,
    pub(super) last_update_id: Option<Value<'a>>,
    pub(super) bids: Option<Value<'a>>,
    pub(super) asks: Option<Value<'a>>,
    pub(super) symbol: Option<Value<'a>>,
}

impl<'a> Fields<'a> {
    /// Parses one object. Depth level arrays (`b`/`a`/`bids`/`asks` holding arrays) go
    /// straight into `levels` in the same pass; with `data`, an object under the key `data`
    /// (the combined-stream envelope) is parsed in place into it.
    /// Returns whether `data` was filled. Fills `self` in place (no copy of this struct).
    pub(super) fn parse_into(
        &mut self,
        scanner: &mut Scanner<'a>,
        levels: &mut LevelBuffers,
        mut data: Option<&mut Fields<'a>>,
    ) -> Scan<bool> {
        let fields = self;
        let mut has_data = false;
        scanner.skip_whitespace();
        scanner.expect(b'{', "expected a JSON object")?;
        let mut first = true;
        while let Some(key) = scanner.next_key(&mut first)? {
            let start = scanner.position;
            let value = match (scanner.peek(), key) {
                (Some(b'['), [b'b'] | [b'a'] | b"bids" | b"asks") => {
                    let buffer = if matches!(key, [b'b'] | b"bids") {
                        &mut levels.bids
                    } else {
                        &mut levels.asks
                    };
                    buffer.clear();
                    if let Err(fault) = scanner.levels(buffer) {
                        // Not levels after all: keep the span, report only if needed.
                        levels.fault.get_or_insert(fault);
                        scanner.position = start;
                        scanner.skip_nested()?;
                    }
                    Value::raw(&scanner.bytes[start..scanner.position])
                }
                (Some(b'{'), b"data") if data.is_some() => {
                    if let Some(out) = data.as_deref_mut() {
                        out.parse_into(scanner, levels, None)?;
                        has_data = true;
                    }
                    Value::raw(&scanner.bytes[start..scanner.position])
                }
                _ => scanner.typed_value()?,
            };
            // Slice patterns of bytes compile to a jump table (byte-string literals would be
            // compared one by one).
            let slot = match key {
                [b'e'] => &mut fields.e,
                [b'E'] => &mut fields.e_upper,
                [b't'] => &mut fields.t,
                [b'T'] => &mut fields.t_upper,
                [b's'] => &mut fields.s,
                [b'S'] => &mut fields.s_upper,
                [b'p'] => &mut fields.p,
                [b'q'] => &mut fields.q,
                [b'm'] => &mut fields.m,
                [b'M'] => &mut fields.m_upper,
                [b'x'] => &mut fields.x,
                [b'X'] => &mut fields.x_upper,
                [b'u'] => &mut fields.u,
                [b'U'] => &mut fields.u_upper,
                [b'p', b'u'] => &mut fields.pu,
                [b'a'] => &mut fields.a,
                [b'A'] => &mut fields.a_upper,
                [b'b'] => &mut fields.b,
                [b'B'] => &mut fields.b_upper,
                [b'r'] => &mut fields.r,
                [b'i'] => &mut fields.i,
                [b'k'] => &mut fields.k,
                [b'o'] => &mut fields.o,
                [b'h'] => &mut fields.h,
                [b'l'] => &mut fields.l,
                [b'c'] => &mut fields.c,
                [b'v'] => &mut fields.v,
                [b'V'] => &mut fields.v_upper,
                [b'n'] => &mut fields.n,
                [b'z'] => &mut fields.z,
                [b'a', b'p'] => &mut fields.ap,
                b"stream" => &mut fields.stream,
                b"data" => &mut fields.data,
                b"lastUpdateId" => &mut fields.last_update_id,
                b"bids" => &mut fields.bids,
                b"asks" => &mut fields.asks,
                b"symbol" => &mut fields.symbol,
                _ => continue,
            };
            *slot = Some(value);
        }
        Ok(has_data)
    }

    /// Parses a nested object (rare messages: `forceOrder.o`, `kline.k`).
    pub(super) fn parse(scanner: &mut Scanner<'a>) -> Scan<Self> {
        let mut fields = Self::default();
        fields.parse_into(scanner, &mut LevelBuffers::default(), None)?;
        Ok(fields)
    }
}

/// The message symbol: `s`, else the stream name's prefix (`btcusdt@trade` -> `btcusdt`).
pub(super) fn symbol_of<'a>(fields: &Fields<'a>, stream: Option<&'a [u8]>) -> Scan<&'a [u8]> {
    match fields.s {
        Some(value) => text(value),
        None => stream
            .and_then(|name| memchr::memchr(b'@', name).map(|at| &name[..at]))
            .ok_or(Fault("message without symbol s")),
    }
}

/// Content of a string value.
#[inline]
pub(super) fn text(value: Value<'_>) -> Scan<&[u8]> {
    string_content(value.raw)
}

/// Content of a JSON string value (escapes are not expected in Binance fields; a value with
/// one fails later where it matters, e.g. as a decimal).
pub(super) fn string_content(raw: &[u8]) -> Scan<&[u8]> {
    match raw {
        [b'"', content @ .., b'"'] => Ok(content),
        _ => Err(Fault("expected a string value")),
    }
}

pub(super) trait FixedPoint: Sized {
    fn parse(bytes: &[u8]) -> Option<Self>;
    fn from_raw(raw: i64) -> Self;
}

/// The three fixed-point types share one implementation (their inherent methods).
macro_rules! impl_fixed_point {
    ($($type:ty),*) => {$(
        impl FixedPoint for $type {
            #[inline]
            fn parse(bytes: &[u8]) -> Option<Self> {
                Self::from_decimal_bytes(bytes).ok()
            }

            #[inline]
            fn from_raw(raw: i64) -> Self {
                Self::from_raw(raw.into())
            }
        }
    )*};
}

impl_fixed_point!(Price, Quantity, Rate);

/// A decimal given as a JSON string (Binance) or a bare number.
#[inline]
pub(super) fn parse_decimal<T: FixedPoint>(raw: &[u8]) -> Scan<T> {
    let digits = match raw {
        [b'"', content @ .., b'"'] => content,
        other => other,
    };
    // The types crate's one parser: its plain fast path inline here (no error value to build
    // on the way), then the exact general path.
    match plain_decimal(digits) {
        Some((value, length)) if length == digits.len() => Ok(T::from_raw(value)),
        _ => T::parse(digits).ok_or(Fault("invalid decimal value")),
    }
}

/// A decimal value, already parsed in the scanning pass when it was a plain one.
#[inline]
pub(super) fn decimal_value<T: FixedPoint>(value: Value<'_>) -> Scan<T> {
    match value.parsed {
        Parsed::Decimal(raw) => Ok(T::from_raw(raw)),
        _ => parse_decimal(value.raw),
    }
}

#[inline]
pub(super) fn decimal<T: FixedPoint>(value: Option<Value<'_>>, missing: &'static str) -> Scan<T> {
    decimal_value(value.ok_or(Fault(missing))?)
}

#[inline]
pub(super) fn parse_integer(raw: &[u8]) -> Scan<u64> {
    if raw.is_empty() || raw.len() > 20 {
        return Err(Fault("invalid integer value"));
    }
    // Up to 19 digits cannot overflow a u64 (10^19 - 1 < 1.8 * 10^19).
    if raw.len() <= 19 && digit_run(raw) == raw.len() {
        return Ok(digits_value(raw));
    }
    let mut value: u64 = 0;
    for &byte in raw {
        if !byte.is_ascii_digit() {
            return Err(Fault("invalid integer value"));
        }
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(byte - b'0')))
            .ok_or(Fault("integer value overflows"))?;
    }
    Ok(value)
}

/// An integer value, already parsed in the scanning pass when it was a plain one.
#[inline]
pub(super) fn integer_value(value: Value<'_>) -> Scan<u64> {
    match value.parsed {
        Parsed::Integer(number) => Ok(number),
        _ => parse_integer(value.raw),
    }
}

#[inline]
pub(super) fn integer(value: Option<Value<'_>>, missing: &'static str) -> Scan<u64> {
    integer_value(value.ok_or(Fault(missing))?)
}

#[inline]
pub(super) fn boolean(value: Option<Value<'_>>, missing: &'static str) -> Scan<bool> {
    match value.map(|value| value.raw) {
        Some(b"true") => Ok(true),
        Some(b"false") => Ok(false),
        Some(_) => Err(Fault("invalid boolean value")),
        None => Err(Fault(missing)),
    }
}

/// An exchange timestamp: milliseconds (Binance default), or µs / ns when the stream was
/// opened with a finer `timeUnit` (judged by magnitude, as for the local time).
#[inline]
pub(super) fn exchange_time(value: Option<Value<'_>>, missing: &'static str) -> Scan<UnixNanos> {
    let value = integer(value, missing)?;
    let nanos = if value >= 100_000_000_000_000_000 {
        Some(value)
    } else if value >= 100_000_000_000_000 {
        value.checked_mul(NANOS_PER_MICRO as u64)
    } else {
        value.checked_mul(NANOS_PER_MILLI as u64)
    };
    nanos
        .and_then(|nanos| i64::try_from(nanos).ok())
        .map(UnixNanos)
        .ok_or(Fault("exchange timestamp overflows"))
}

/// A minimal JSON scanner over one message: enough structure checking to reject malformed
/// lines, no allocation, values returned as raw byte spans.
#[derive(Debug)]
pub(super) struct Scanner<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) position: usize,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    #[inline]
    pub(super) fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    #[inline]
    pub(super) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.position += 1;
        }
    }

    #[inline]
    pub(super) fn expect(&mut self, byte: u8, fault: &'static str) -> Scan<()> {
        if self.peek() == Some(byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(Fault(fault))
        }
    }

    /// Advances to the next key of an object whose `{` was consumed; `None` at `}`.
    #[inline]
    pub(super) fn next_key(&mut self, first: &mut bool) -> Scan<Option<&'a [u8]>> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'}') => {
                self.position += 1;
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.position += 1;
                self.skip_whitespace();
            }
            Some(b'"') if *first => {}
            None => return Err(Fault("unterminated JSON object")),
            _ => return Err(Fault("malformed JSON object")),
        }
        *first = false;
        // Binance keys are mostly one letter: `"e":`.
        let key = match self.bytes.get(self.position..self.position + 4) {
            Some([b'"', letter, b'"', b':']) if *letter != b'\\' => {
                let key = &self.bytes[self.position + 1..self.position + 2];
                self.position += 4;
                self.skip_whitespace();
                return Ok(Some(key));
            }
            _ => self.string()?,
        };
        self.skip_whitespace();
        self.expect(b':', "missing ':' after a key")?;
        self.skip_whitespace();
        Ok(Some(key))
    }

    /// Advances to the next element of an array whose `[` was consumed; false at `]`.
    #[inline]
    pub(super) fn next_element(&mut self, first: &mut bool) -> Scan<bool> {
        self.skip_whitespace();
        match self.peek() {
            Some(b']') => {
                self.position += 1;
                return Ok(false);
            }
            Some(b',') if !*first => {
                self.position += 1;
                self.skip_whitespace();
            }
            None => return Err(Fault("unterminated JSON array")),
            Some(_) if *first => {}
            _ => return Err(Fault("malformed JSON array")),
        }
        *first = false;
        Ok(true)
    }

    /// A string starting at the current `"`; returns its content (escapes left as they are).
    #[inline]
    pub(super) fn string(&mut self) -> Scan<&'a [u8]> {
        let start = self.position + 1;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut offset = 0;
        loop {
            let tail = rest.get(offset..).unwrap_or_default();
            let Some(found) = find_quote_or_escape(tail) else {
                return Err(Fault("unterminated string"));
            };
            let at = offset + found;
            if tail[found] == b'"' {
                self.position = start + at + 1;
                return Ok(&rest[..at]);
            }
            // A backslash escapes the next byte.
            offset = at + 2;
        }
    }

    /// Parses `[["price","size",...],...]` (extra elements of a level are ignored).
    pub(super) fn levels(&mut self, out: &mut Vec<(Price, Quantity)>) -> Scan<()> {
        self.expect(b'[', "depth levels are not an array")?;
        let mut first = true;
        while self.next_element(&mut first)? {
            // Fast path for the compact form `["61800.20","2.909"]`.
            if let Some((price, size, length)) = compact_level(&self.bytes[self.position..]) {
                self.position += length;
                out.push((Price::from_raw(price), Quantity::from_raw(i128::from(size))));
                continue;
            }
            self.expect(b'[', "depth level is not an array")?;
            self.skip_whitespace();
            let price: Price = self.decimal()?;
            self.skip_whitespace();
            self.expect(b',', "depth level without size")?;
            self.skip_whitespace();
            let size: Quantity = self.decimal()?;
            let mut more = false;
            while self.next_element(&mut more)? {
                self.value()?;
            }
            out.push((price, size));
        }
        Ok(())
    }

    /// A decimal string (or bare number) straight into a fixed-point raw value. The fast
    /// path covers plain `"123.456"` with at most nine digits on either side of the point;
    /// anything else (signs, more digits, escapes) takes the exact generic parser, so both
    /// agree on every input.
    #[inline]
    pub(super) fn decimal<T: FixedPoint>(&mut self) -> Scan<T> {
        if let [b'"', rest @ ..] = self.bytes.get(self.position..).unwrap_or_default()
            && let Some((value, length)) = plain_decimal(rest)
            && rest.get(length) == Some(&b'"')
        {
            self.position += length + 2;
            return Ok(T::from_raw(value));
        }
        parse_decimal::<T>(self.value()?)
    }

    /// Any value, with plain integers and plain decimal strings parsed on the way (the
    /// handlers then skip a second pass over them).
    #[inline]
    pub(super) fn typed_value(&mut self) -> Scan<Value<'a>> {
        let start = self.position;
        let rest = self.bytes.get(start..).unwrap_or_default();
        match rest.first() {
            Some(b'"') => {
                if let Some((raw, length)) = plain_decimal(&rest[1..])
                    && rest.get(length + 1) == Some(&b'"')
                {
                    self.position += length + 2;
                    return Ok(Value {
                        raw: &rest[..length + 2],
                        parsed: Parsed::Decimal(raw),
                    });
                }
                Ok(Value::raw(self.value()?))
            }
            Some(b'0'..=b'9') => {
                let length = digit_run(rest);
                if length <= 19
                    && !matches!(rest.get(length), Some(b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    self.position += length;
                    return Ok(Value {
                        raw: &rest[..length],
                        parsed: Parsed::Integer(digits_value(&rest[..length])),
                    });
                }
                Ok(Value::raw(self.value()?))
            }
            _ => Ok(Value::raw(self.value()?)),
        }
    }

    /// Any value; returns its raw span (strings with their quotes).
    pub(super) fn value(&mut self) -> Scan<&'a [u8]> {
        let start = self.position;
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{' | b'[') => self.skip_nested()?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'-' | b'0'..=b'9') => {
                let rest = self.bytes.get(self.position..).unwrap_or_default();
                let mut length = digit_run(rest);
                if let Some(b'-' | b'+' | b'.' | b'e' | b'E') = rest.get(length) {
                    length += rest[length..]
                        .iter()
                        .position(|byte| {
                            !matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                        })
                        .unwrap_or(rest.len() - length);
                }
                self.position += length;
            }
            _ => return Err(Fault("expected a JSON value")),
        }
        Ok(&self.bytes[start..self.position])
    }

    pub(super) fn literal(&mut self, word: &'static [u8]) -> Scan<()> {
        if self.bytes[self.position..].starts_with(word) {
            self.position += word.len();
            Ok(())
        } else {
            Err(Fault("invalid JSON literal"))
        }
    }

    /// Skips an object or array, checking that brackets pair up (a fixed-depth stack).
    pub(super) fn skip_nested(&mut self) -> Scan<()> {
        const MAX_DEPTH: usize = 64;
        let mut stack = [0_u8; MAX_DEPTH];
        let mut depth = 0;
        loop {
            let Some(&byte) = self.bytes.get(self.position) else {
                return Err(Fault("unterminated JSON value"));
            };
            match byte {
                b'{' | b'[' => {
                    if depth == MAX_DEPTH {
                        return Err(Fault("JSON nested too deeply"));
                    }
                    stack[depth] = if byte == b'{' { b'}' } else { b']' };
                    depth += 1;
                }
                b'}' | b']' => {
                    if depth == 0 || stack[depth - 1] != byte {
                        return Err(Fault("mismatched JSON brackets"));
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.position += 1;
                        return Ok(());
                    }
                }
                b'"' => {
                    self.string()?;
                    continue;
                }
                _ => {}
            }
            self.position += 1;
        }
    }
}
