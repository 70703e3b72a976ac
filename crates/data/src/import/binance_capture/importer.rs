//! The capture importer: files and readers, line by line, into the shared decoder.

use std::io::BufRead;
use std::path::Path;

use auction_trader_types::UnixNanos;

use super::CaptureOptions;
use super::CaptureStats;
use super::decoder::{BinanceDecoder, Fault, Scan};
use super::framing::{LocalStamp, LocalTimeUnit, split_local_timestamp, trim_end};
use super::venue::Family;
use crate::input::for_each_input;
use crate::{DataError, EventSink, ImportSummary, QuarantinedRow};

/// A stateful capture reader: keeps instruments, counts and per-file detection across the
/// files of one continuous capture. Use the free functions for the common cases.
#[derive(Debug)]
pub struct CaptureImporter {
    decoder: BinanceDecoder,
    unit_override: Option<LocalTimeUnit>,
    carry: Vec<u8>,
}

impl CaptureImporter {
    pub fn new(options: &CaptureOptions) -> Result<Self, DataError> {
        Ok(Self {
            decoder: BinanceDecoder::new(options)?,
            unit_override: options.local_time_unit,
            carry: Vec::new(),
        })
    }

    /// Counts so far (over every file read by this importer).
    pub fn summary(&self) -> ImportSummary {
        self.decoder.summary()
    }

    pub fn stats(&self) -> &CaptureStats {
        self.decoder.stats()
    }

    /// Reads one file (plain or `.gz`) of the capture.
    pub fn read_path(&mut self, path: &Path, sink: &mut dyn EventSink) -> Result<(), DataError> {
        for_each_input(path, |name, reader| self.read(reader, name, sink))
    }

    /// Reads one file of the capture from a reader; `source` names it in quarantined rows.
    pub fn read(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
    ) -> Result<(), DataError> {
        self.begin_file(source);
        let mut carry = std::mem::take(&mut self.carry);
        carry.clear();
        let result = self.read_lines(reader, source, sink, &mut carry);
        self.carry = carry;
        result?;
        self.end_file(sink);
        Ok(())
    }

    fn read_lines(
        &mut self,
        reader: &mut dyn BufRead,
        source: &str,
        sink: &mut dyn EventSink,
        carry: &mut Vec<u8>,
    ) -> Result<(), DataError> {
        loop {
            let available = match reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(DataError::io(source, error)),
            };
            if available.is_empty() {
                if !carry.is_empty() {
                    self.process_line(carry, sink);
                    carry.clear();
                }
                return Ok(());
            }
            let length = available.len();
            let mut start = 0;
            if !carry.is_empty() {
                match memchr::memchr(b'\n', available) {
                    Some(newline) => {
                        carry.extend_from_slice(&available[..newline]);
                        self.process_line(carry, sink);
                        carry.clear();
                        start = newline + 1;
                    }
                    None => {
                        carry.extend_from_slice(available);
                        reader.consume(length);
                        continue;
                    }
                }
            }
            while let Some(offset) = memchr::memchr(b'\n', &available[start..]) {
                self.process_line(&available[start..start + offset], sink);
                start += offset + 1;
            }
            carry.extend_from_slice(&available[start..]);
            reader.consume(length);
        }
    }

    /// Parses one whole file held in memory.
    pub fn read_bytes(&mut self, bytes: &[u8], source: &str, sink: &mut dyn EventSink) {
        self.begin_file(source);
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            self.process_line(&rest[..end], sink);
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        self.end_file(sink);
    }

    fn begin_file(&mut self, source: &str) {
        self.decoder.begin_source(source);
        self.decoder.file.unit = self.unit_override;
    }

    fn end_file(&mut self, sink: &mut dyn EventSink) {
        self.decoder.finish_source(sink);
    }

    fn process_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        self.decoder.file.line_number += 1;
        self.decoder.summary.records_read += 1;
        let line = trim_end(line);
        if line.is_empty() {
            self.decoder.stats.blank_lines += 1;
            return;
        }
        let number = self.decoder.file.line_number;
        if let Err(fault) = self.decode_line(line, number, sink) {
            self.decoder.summary.quarantined += 1;
            sink.quarantine(QuarantinedRow::new(
                &self.decoder.file.source,
                number,
                fault.0,
                line,
            ));
        }
    }

    fn decode_line(&mut self, line: &[u8], number: u64, sink: &mut dyn EventSink) -> Scan<()> {
        // JSON is UTF-8 (RFC 8259): a line with other bytes is corrupt, whatever field they hit.
        if !line.is_ascii() && std::str::from_utf8(line).is_err() {
            return Err(Fault("line is not valid UTF-8"));
        }
        if line.starts_with(b"wss://") || line.starts_with(b"ws://") {
            self.metadata_line(line, sink);
            return Ok(());
        }
        let (stamp, json) = split_local_timestamp(line)?;
        let ts_recv = self.local_nanos(stamp)?;
        self.decoder.decode_json(json, ts_recv, number, sink)
    }

    /// The cryptofeed connection header: `wss://fstream.binance.com/stream?streams=... <-> ts`.
    fn metadata_line(&mut self, line: &[u8], sink: &mut dyn EventSink) {
        self.decoder.stats.metadata_lines += 1;
        // Binance hosts: fstream = USD-M, dstream = COIN-M, stream.binance.com = spot.
        let hint = if memchr::memmem::find(line, b"fstream").is_some()
            || memchr::memmem::find(line, b"dstream").is_some()
        {
            Some(Family::Futures)
        } else if memchr::memmem::find(line, b"stream.binance.com").is_some() {
            Some(Family::Spot)
        } else {
            None
        };
        if let Some(hint) = hint {
            self.decoder.note_family(hint, sink);
        }
        if self.decoder.stats.metadata_lines == 1 {
            sink.warn(format!(
                "{}:{}: recorder metadata line skipped",
                self.decoder.file.source, self.decoder.file.line_number
            ));
        }
    }

    fn local_nanos(&mut self, stamp: LocalStamp) -> Scan<UnixNanos> {
        let magnitude = LocalTimeUnit::from_magnitude(stamp.integer)
            .ok_or(Fault("local timestamp outside 1973..5138 in every unit"))?;
        let unit = match self.decoder.file.unit {
            Some(unit) => {
                if self.unit_override.is_none() && unit != magnitude {
                    return Err(Fault(
                        "local timestamp magnitude differs from the file's unit",
                    ));
                }
                unit
            }
            None => {
                self.decoder.file.unit = Some(magnitude);
                magnitude
            }
        };
        stamp
            .to_nanos(unit)
            .ok_or(Fault("local timestamp overflows"))
    }
}
