//! A parser of PostgreSQL's binary COPY format as `COPY ... TO STDOUT (FORMAT binary)` sends
//! it: the 11-byte signature `PGCOPY\n\377\r\n\0`, an `i32` flags word and an `i32` header
//! extension length (then that many bytes), then tuples, then a trailer. A tuple is an `i16`
//! field count (-1: the trailer) and per field an `i32` byte length (-1: NULL) followed by
//! the value in its column type's binary form. Integers are big-endian throughout.
//!
//! The data arrives in pieces (one CopyData message each); the server sends one message per
//! tuple, so tuples are read in place and only a tuple split across pieces is copied.

use auction_trader_storage::schema::MAX_COLUMNS;

use crate::PgStoreError;

/// The first bytes of every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Signature, flags and extension length.
const HEADER_LEN: usize = 19;
/// Flag bits 16-31 announce format changes a reader must understand (bit 16: OIDs).
const CRITICAL_FLAGS: u32 = 0xFFFF_0000;
/// Most fields a tuple may carry: the widest tick table's columns and `source_id`.
pub(crate) const MAX_FIELDS: usize = MAX_COLUMNS + 1;
/// Tick columns take a few bytes; a longer field or header extension means the stream is
/// not what this crate reads (and must not make the parser buffer whatever it says).
const MAX_FIELD_BYTES: usize = 1 << 16;

/// A field's place in its tuple's bytes (start, end); `None` for NULL.
type Span = Option<(usize, usize)>;

/// What the front of the unparsed bytes holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// A whole tuple of `len` bytes with `count` fields.
    Tuple { len: usize, count: usize },
    /// The end-of-data marker (two bytes).
    Trailer,
    /// Only part of a tuple: more input is needed.
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Tuples,
    Done,
}

/// A binary COPY stream parsed piece by piece.
#[derive(Debug)]
pub(crate) struct BinaryCopyParser {
    /// Names the table in errors.
    table: &'static str,
    state: State,
    /// The unparsed end of the pieces so far: part of the header or of a tuple.
    carry: Vec<u8>,
}

impl BinaryCopyParser {
    pub(crate) fn new(table: &'static str) -> Self {
        Self {
            table,
            state: State::Header,
            carry: Vec::new(),
        }
    }

    /// Parses the next piece of the stream, calling `visit` with the fields of each whole
    /// tuple (`None` for NULL); the first error (the parser's or `visit`'s) is returned.
    pub(crate) fn push(
        &mut self,
        piece: &[u8],
        mut visit: impl FnMut(&[Option<&[u8]>]) -> Result<(), PgStoreError>,
    ) -> Result<(), PgStoreError> {
        if self.carry.is_empty() {
            let used = self.parse(piece, &mut visit)?;
            self.carry.extend_from_slice(&piece[used..]);
        } else {
            let mut pending = std::mem::take(&mut self.carry);
            pending.extend_from_slice(piece);
            let used = self.parse(&pending, &mut visit)?;
            pending.drain(..used);
            self.carry = pending;
        }
        Ok(())
    }

    /// The stream has ended: an error unless that was right after the trailer.
    pub(crate) fn finish(&self) -> Result<(), PgStoreError> {
        if self.state == State::Done {
            Ok(())
        } else {
            Err(corrupt(
                self.table,
                "binary COPY data ends before its trailer",
            ))
        }
    }

    /// Parses the whole frames at the front of `bytes`; returns the bytes they took.
    fn parse(
        &mut self,
        bytes: &[u8],
        visit: &mut impl FnMut(&[Option<&[u8]>]) -> Result<(), PgStoreError>,
    ) -> Result<usize, PgStoreError> {
        let table = self.table;
        let mut at = 0;
        if self.state == State::Header {
            match header_len(bytes).map_err(|message| corrupt(table, message))? {
                Some(len) => at = len,
                None => return Ok(0),
            }
            self.state = State::Tuples;
        }
        let mut spans: [Span; MAX_FIELDS] = [None; MAX_FIELDS];
        while self.state == State::Tuples {
            match frame(&bytes[at..], &mut spans).map_err(|message| corrupt(table, message))? {
                Frame::Tuple { len, count } => {
                    visit(&fields(&bytes[at..at + len], &spans[..count])[..count])?;
                    at += len;
                }
                Frame::Trailer => {
                    at += 2;
                    self.state = State::Done;
                }
                Frame::Partial => return Ok(at),
            }
        }
        if at < bytes.len() {
            return Err(corrupt(table, "data after the binary COPY trailer"));
        }
        Ok(at)
    }
}

/// The length of the header at the front of `bytes`; `None` while it is incomplete.
fn header_len(bytes: &[u8]) -> Result<Option<usize>, String> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Ok(None);
    };
    if header[..SIGNATURE.len()] != SIGNATURE[..] {
        return Err("no binary COPY signature".to_owned());
    }
    let flags = u32::from_be_bytes([header[11], header[12], header[13], header[14]]);
    if flags & CRITICAL_FLAGS != 0 {
        return Err(format!("binary COPY flags {flags:#010x} are not supported"));
    }
    let extension = i32::from_be_bytes([header[15], header[16], header[17], header[18]]);
    let extension = usize::try_from(extension)
        .ok()
        .filter(|&len| len <= MAX_FIELD_BYTES)
        .ok_or_else(|| format!("a header extension of {extension} bytes"))?;
    let len = HEADER_LEN + extension;
    Ok((bytes.len() >= len).then_some(len))
}

/// Finds the frame at the front of `bytes`; for a tuple, `spans` receives its fields.
fn frame(bytes: &[u8], spans: &mut [Span; MAX_FIELDS]) -> Result<Frame, String> {
    let Some(count) = bytes.get(..2) else {
        return Ok(Frame::Partial);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    let count = match count {
        -1 => return Ok(Frame::Trailer),
        0.. if count as usize <= MAX_FIELDS => count as usize,
        _ => return Err(format!("a tuple of {count} fields")),
    };
    let mut at = 2;
    for span in &mut spans[..count] {
        let Some(len) = bytes.get(at..at + 4) else {
            return Ok(Frame::Partial);
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        at += 4;
        *span = match len {
            -1 => None,
            0.. if len as usize <= MAX_FIELD_BYTES => {
                let end = at + len as usize;
                if end > bytes.len() {
                    return Ok(Frame::Partial);
                }
                let span = (at, end);
                at = end;
                Some(span)
            }
            _ => return Err(format!("a field of {len} bytes")),
        };
    }
    Ok(Frame::Tuple { len: at, count })
}

/// The fields of a whole tuple held in `bytes` at `spans`.
fn fields<'a>(bytes: &'a [u8], spans: &[Span]) -> [Option<&'a [u8]>; MAX_FIELDS] {
    let mut fields = [None; MAX_FIELDS];
    for (field, span) in fields.iter_mut().zip(spans) {
        *field = span.map(|(start, end)| &bytes[start..end]);
    }
    fields
}

fn corrupt(table: &str, message: impl Into<String>) -> PgStoreError {
    PgStoreError::Corrupt {
        table: table.to_owned(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tuple's fields as owned bytes.
    type Tuple = Vec<Option<Vec<u8>>>;

    fn header(flags: u32, extension: &[u8]) -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend(flags.to_be_bytes());
        bytes.extend((extension.len() as i32).to_be_bytes());
        bytes.extend(extension);
        bytes
    }

    fn tuple(fields: &[Option<&[u8]>]) -> Vec<u8> {
        let mut bytes = (fields.len() as i16).to_be_bytes().to_vec();
        for field in fields {
            match field {
                Some(value) => {
                    bytes.extend((value.len() as i32).to_be_bytes());
                    bytes.extend(*value);
                }
                None => bytes.extend((-1_i32).to_be_bytes()),
            }
        }
        bytes
    }

    const TRAILER: [u8; 2] = [0xFF, 0xFF];

    /// Every tuple of the stream made of `pieces`, then its end.
    fn read_pieces(pieces: &[&[u8]]) -> Result<Vec<Tuple>, PgStoreError> {
        let mut parser = BinaryCopyParser::new("trades");
        let mut tuples = Vec::new();
        for piece in pieces {
            parser.push(piece, |fields| {
                tuples.push(
                    fields
                        .iter()
                        .map(|field| field.map(<[u8]>::to_vec))
                        .collect(),
                );
                Ok(())
            })?;
        }
        parser.finish()?;
        Ok(tuples)
    }

    fn corrupt_message(pieces: &[&[u8]]) -> String {
        match read_pieces(pieces) {
            Err(PgStoreError::Corrupt { table, message }) => {
                assert_eq!(table, "trades");
                message
            }
            other => panic!("expected a corrupt-row error, got {other:?}"),
        }
    }

    /// Header, a tuple of a bigint, a NULL and a smallint, a tuple of a numeric, trailer.
    fn sample() -> (Vec<u8>, Vec<Tuple>) {
        let bigint = 1_723_075_200_000_000_000_i64.to_be_bytes();
        let smallint = (-1_i16).to_be_bytes();
        // numeric 2: one digit, weight 0, positive, display scale 9.
        let numeric = [0, 1, 0, 0, 0, 0, 0, 9, 0, 2];
        let mut bytes = header(0, &[]);
        bytes.extend(tuple(&[Some(&bigint), None, Some(&smallint)]));
        bytes.extend(tuple(&[Some(&numeric)]));
        bytes.extend(TRAILER);
        let expected = vec![
            vec![Some(bigint.to_vec()), None, Some(smallint.to_vec())],
            vec![Some(numeric.to_vec())],
        ];
        (bytes, expected)
    }

    #[test]
    fn tuples_and_nulls_are_read_until_the_trailer() {
        let (bytes, expected) = sample();
        // Header 19, tuple 2 + (4 + 8) + 4 + (4 + 2), tuple 2 + (4 + 10), trailer 2.
        assert_eq!(bytes.len(), 19 + 24 + 16 + 2);
        assert_eq!(read_pieces(&[&bytes]).unwrap(), expected);
    }

    #[test]
    fn pieces_split_anywhere_read_the_same() {
        let (bytes, expected) = sample();
        for split in 0..=bytes.len() {
            let (left, right) = bytes.split_at(split);
            assert_eq!(read_pieces(&[left, right]).unwrap(), expected, "{split}");
        }
        let single_bytes: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(read_pieces(&single_bytes).unwrap(), expected);
    }

    #[test]
    fn the_header_extension_is_skipped_and_a_bare_stream_is_empty() {
        // Bit 0 is a backwards-compatible flag: ignored.
        let mut bytes = header(0x0000_0001, b"future");
        bytes.extend(TRAILER);
        assert!(read_pieces(&[&bytes]).unwrap().is_empty());
    }

    #[test]
    fn truncated_input_is_corrupt_wherever_it_stops() {
        let (bytes, _) = sample();
        for end in 0..bytes.len() {
            assert_eq!(
                corrupt_message(&[&bytes[..end]]),
                "binary COPY data ends before its trailer",
                "cut at {end}"
            );
        }
    }

    #[test]
    fn a_wrong_signature_or_critical_flag_is_refused() {
        let (mut bytes, _) = sample();
        bytes[1] = b'X';
        assert_eq!(corrupt_message(&[&bytes]), "no binary COPY signature");
        // Bit 16: OIDs included, which this parser does not expect.
        let mut bytes = header(0x0001_0000, &[]);
        bytes.extend(TRAILER);
        assert_eq!(
            corrupt_message(&[&bytes]),
            "binary COPY flags 0x00010000 are not supported"
        );
    }

    #[test]
    fn impossible_counts_and_lengths_are_refused() {
        let mut bytes = header(0, &[]);
        bytes.extend(40_i16.to_be_bytes());
        assert_eq!(corrupt_message(&[&bytes]), "a tuple of 40 fields");
        let mut bytes = header(0, &[]);
        bytes.extend(1_i16.to_be_bytes());
        bytes.extend((-2_i32).to_be_bytes());
        assert_eq!(corrupt_message(&[&bytes]), "a field of -2 bytes");
        let (bytes, _) = sample();
        assert_eq!(
            corrupt_message(&[&bytes, &[0]]),
            "data after the binary COPY trailer"
        );
    }

    #[test]
    fn a_visitor_error_stops_the_parse() {
        let (bytes, _) = sample();
        let mut parser = BinaryCopyParser::new("trades");
        let mut visits = 0;
        let error = parser
            .push(&bytes, |_| {
                visits += 1;
                Err(corrupt("trades", "refused"))
            })
            .unwrap_err();
        assert_eq!(visits, 1);
        assert!(error.to_string().contains("refused"), "{error}");
    }
}
