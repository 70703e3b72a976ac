//! Readable text form of a [`ValidationReport`]: one section per instrument and stream, gaps
//! listed, quarantined rows by reason, and a summary line.

use std::fmt::{self, Write as _};

use auction_trader_types::{NANOS_PER_MILLI, NANOS_PER_SECOND, StreamKind};

use super::report::{StreamReport, ValidationReport};

/// Column where values start.
const LABEL_WIDTH: usize = 26;
/// Gaps listed per stream in the text form (the JSON form lists all).
const MAX_GAPS_IN_TEXT: usize = 100;

/// `1234567` -> `1,234,567`.
pub(crate) fn with_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration as `2d 03h 04m 05.678s`, `1h 02m 03.000s`, `12m 00.500s`, `3.250s`
/// (milliseconds truncated), or below a second `12.500ms`, `1.250µs`, `500ns`.
pub fn format_duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    if magnitude < 1_000 {
        return format!("{sign}{magnitude}ns");
    }
    if magnitude < 1_000_000 {
        return format!("{sign}{}.{:03}µs", magnitude / 1_000, magnitude % 1_000);
    }
    if magnitude < 1_000_000_000 {
        return format!(
            "{sign}{}.{:03}ms",
            magnitude / 1_000_000,
            (magnitude / 1_000) % 1_000
        );
    }
    let millis_total = magnitude / NANOS_PER_MILLI.unsigned_abs();
    let millis = millis_total % 1_000;
    let seconds_total = magnitude / NANOS_PER_SECOND.unsigned_abs();
    let seconds = seconds_total % 60;
    let minutes = (seconds_total / 60) % 60;
    let hours = (seconds_total / 3_600) % 24;
    let days = seconds_total / 86_400;
    if days > 0 {
        format!("{sign}{days}d {hours:02}h {minutes:02}m {seconds:02}.{millis:03}s")
    } else if hours > 0 {
        format!("{sign}{hours}h {minutes:02}m {seconds:02}.{millis:03}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m {seconds:02}.{millis:03}s")
    } else {
        format!("{sign}{seconds}.{millis:03}s")
    }
}

/// A threshold as its non-zero parts: `10m`, `1m 30s`, `1h`, `1.500s`, `0s`.
pub fn format_duration_compact(nanos: i64) -> String {
    let magnitude = nanos.unsigned_abs();
    let second = NANOS_PER_SECOND.unsigned_abs();
    let seconds_total = magnitude / second;
    let millis = (magnitude % second) / NANOS_PER_MILLI.unsigned_abs();
    let mut parts = Vec::new();
    let units = [
        ("d", seconds_total / 86_400),
        ("h", (seconds_total / 3_600) % 24),
        ("m", (seconds_total / 60) % 60),
    ];
    for (unit, count) in units {
        if count > 0 {
            parts.push(format!("{count}{unit}"));
        }
    }
    let seconds = seconds_total % 60;
    if millis > 0 {
        parts.push(format!("{seconds}.{millis:03}s"));
    } else if seconds > 0 || parts.is_empty() {
        parts.push(format!("{seconds}s"));
    }
    let sign = if nanos < 0 { "-" } else { "" };
    format!("{sign}{}", parts.join(" "))
}

/// `label` padded to `width`, always followed by at least two spaces.
fn padded(label: &str, width: usize) -> String {
    let fill = width.saturating_sub(label.chars().count()).max(2);
    format!("{label}{}", " ".repeat(fill))
}

fn line(out: &mut String, label: &str, value: impl fmt::Display) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "  {}{value}", padded(label, LABEL_WIDTH));
}

fn render_stream(out: &mut String, stream: &StreamReport, threshold: &str) {
    let _ = writeln!(out, "{}  {}", stream.instrument, stream.kind.as_str());
    line(out, "events", with_thousands(stream.events));
    if let (Some(first), Some(last)) = (stream.first_ts_recv, stream.last_ts_recv) {
        let span = format_duration(last.as_i64().saturating_sub(first.as_i64()));
        line(out, "ts_recv span", format!("{first} .. {last} ({span})"));
    }
    line(
        out,
        "negative prices / sizes",
        format!(
            "{} / {}",
            with_thousands(stream.negative_prices),
            with_thousands(stream.negative_sizes)
        ),
    );
    line(
        out,
        "zero prices / sizes",
        format!(
            "{} / {}",
            with_thousands(stream.zero_prices),
            with_thousands(stream.zero_sizes)
        ),
    );
    let step_back = if stream.out_of_order_ts_recv > 0 {
        format!(
            " (largest step back {})",
            format_duration(stream.largest_ts_recv_step_back_nanos)
        )
    } else {
        String::new()
    };
    line(
        out,
        "out of order ts_recv",
        format!("{}{step_back}", with_thousands(stream.out_of_order_ts_recv)),
    );
    line(
        out,
        "out of order ts_event",
        with_thousands(stream.out_of_order_ts_event),
    );
    match stream.kind {
        StreamKind::Quote => {
            line(out, "crossed quotes", with_thousands(stream.crossed_quotes));
            if stream.without_exchange_time > 0 {
                line(
                    out,
                    "without exchange time",
                    with_thousands(stream.without_exchange_time),
                );
            }
        }
        StreamKind::Depth => {
            line(out, "crossed books", with_thousands(stream.crossed_books));
            if let Some(sequence) = &stream.sequence {
                line(
                    out,
                    &format!("sequence ({})", sequence.rule.as_str()),
                    format!(
                        "{} messages, {} checked, {} breaks",
                        with_thousands(sequence.messages),
                        with_thousands(sequence.checked),
                        with_thousands(sequence.breaks)
                    ),
                );
                for sequence_break in &sequence.first_breaks {
                    let _ = writeln!(
                        out,
                        "    {}  expected {} found {}",
                        sequence_break.ts_recv, sequence_break.expected, sequence_break.found
                    );
                }
            }
        }
        _ => {}
    }
    if let Some(ids) = &stream.trade_ids {
        let mut value = with_thousands(ids.duplicates);
        if ids.without_id > 0 {
            let _ = write!(
                value,
                " ({} trades without id)",
                with_thousands(ids.without_id)
            );
        }
        if ids.evicted_ranges > 0 {
            let _ = write!(
                value,
                " (inexact: {} id ranges evicted)",
                ids.evicted_ranges
            );
        }
        line(out, "duplicate trade ids", value);
    }
    if let Some(coverage) = &stream.aggressor {
        let share = coverage.given_volume_share.map_or_else(
            || "n/a".to_owned(),
            |share| format!("{:.3}%", share * 100.0),
        );
        line(
            out,
            "aggressor given",
            format!(
                "{share} of volume (buy {} / sell {} / unknown {})",
                coverage.buy_volume, coverage.sell_volume, coverage.unknown_volume
            ),
        );
    }
    let gap_summary = if stream.gaps.is_empty() {
        "none".to_owned()
    } else {
        format!(
            "{} ({} in total)",
            stream.gaps.len(),
            format_duration(stream.gap_time_nanos())
        )
    };
    line(out, &format!("gaps > {threshold}"), gap_summary);
    for gap in stream.gaps.iter().take(MAX_GAPS_IN_TEXT) {
        let _ = writeln!(
            out,
            "    {} .. {}  {}",
            gap.start,
            gap.end,
            format_duration(gap.duration_nanos)
        );
    }
    if stream.gaps.len() > MAX_GAPS_IN_TEXT {
        let _ = writeln!(
            out,
            "    ... and {} more (see the JSON report)",
            stream.gaps.len() - MAX_GAPS_IN_TEXT
        );
    }
    line(out, "issues", with_thousands(stream.issues_count()));
    out.push('\n');
}

/// `(label, count)` of every issue category with a non-zero count, over all streams.
fn issue_breakdown(report: &ValidationReport) -> Vec<(&'static str, u64)> {
    let sum = |measure: fn(&StreamReport) -> u64| report.streams.iter().map(measure).sum::<u64>();
    let categories = [
        (
            "bad values",
            sum(|stream| {
                stream.negative_prices
                    + stream.negative_sizes
                    + stream.zero_prices
                    + stream.zero_sizes
            }),
        ),
        (
            "crossed",
            sum(|stream| stream.crossed_quotes + stream.crossed_books),
        ),
        (
            "out of order",
            sum(|stream| stream.out_of_order_ts_recv + stream.out_of_order_ts_event),
        ),
        (
            "duplicate ids",
            sum(|stream| stream.trade_ids.as_ref().map_or(0, |ids| ids.duplicates)),
        ),
        (
            "sequence breaks",
            sum(|stream| {
                stream
                    .sequence
                    .as_ref()
                    .map_or(0, |sequence| sequence.breaks)
            }),
        ),
        ("gaps", sum(|stream| stream.gaps.len() as u64)),
        ("quarantined rows", report.quarantine.total),
    ];
    categories
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .collect()
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let threshold = format_duration_compact(self.gap_threshold_nanos);
        let mut out = String::new();
        let _ = writeln!(out, "Validation report (gap threshold {threshold})\n");
        for stream in &self.streams {
            render_stream(&mut out, stream, &threshold);
        }
        let quarantine = &self.quarantine;
        let _ = writeln!(
            out,
            "{}{}",
            padded("quarantined rows", LABEL_WIDTH + 2),
            with_thousands(quarantine.total)
        );
        for (title, counts) in [
            ("by reason", &quarantine.by_reason),
            ("by source", &quarantine.by_source),
        ] {
            if counts.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title}");
            for (key, count) in counts {
                let _ = writeln!(
                    out,
                    "    {}{}",
                    padded(key, LABEL_WIDTH - 2),
                    with_thousands(*count)
                );
            }
        }
        if !quarantine.examples.is_empty() {
            let _ = writeln!(out, "  first rows");
            for row in &quarantine.examples {
                let _ = writeln!(out, "    {row}");
            }
        }
        if self.warnings.total > 0 {
            let _ = writeln!(
                out,
                "{}{}",
                padded("warnings", LABEL_WIDTH + 2),
                with_thousands(self.warnings.total)
            );
            for message in &self.warnings.messages {
                let _ = writeln!(out, "    {message}");
            }
        }
        let issues = self.issues_count();
        let verdict = if issues == 0 { "CLEAN" } else { "NOT CLEAN" };
        let breakdown = issue_breakdown(self)
            .iter()
            .map(|(label, count)| format!("{} {label}", with_thousands(*count)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "\nSummary: {verdict}: {} issues in {} streams, {} events",
            with_thousands(issues),
            self.streams.len(),
            with_thousands(self.events())
        );
        if !breakdown.is_empty() {
            let _ = write!(out, " ({breakdown})");
        }
        out.push('\n');
        formatter.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        // 12 min 3.5 s = 723.5 s = 723_500_000_000 ns.
        assert_eq!(format_duration(723_500_000_000), "12m 03.500s");
        // 1 h 2 min 3 s = 3723 s.
        assert_eq!(format_duration(3_723 * NANOS_PER_SECOND), "1h 02m 03.000s");
        // 1 day + 1 ns: milliseconds truncate to zero.
        assert_eq!(
            format_duration(86_400 * NANOS_PER_SECOND + 1),
            "1d 00h 00m 00.000s"
        );
        assert_eq!(format_duration(3_250_000_000), "3.250s");
        assert_eq!(format_duration(-1_500_000_000), "-1.500s");
        // Below a second: 500 ns, 1,250 ns = 1.250 µs, 12,500,000 ns = 12.500 ms.
        assert_eq!(format_duration(500), "500ns");
        assert_eq!(format_duration(1_250), "1.250µs");
        assert_eq!(format_duration(12_500_000), "12.500ms");
    }

    #[test]
    fn thresholds_print_compactly() {
        assert_eq!(format_duration_compact(600 * NANOS_PER_SECOND), "10m");
        assert_eq!(format_duration_compact(90 * NANOS_PER_SECOND), "1m 30s");
        // 1 day 1 hour = 90,000 s.
        assert_eq!(format_duration_compact(90_000 * NANOS_PER_SECOND), "1d 1h");
        assert_eq!(format_duration_compact(1_500_000_000), "1.500s");
        assert_eq!(format_duration_compact(0), "0s");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(with_thousands(0), "0");
        assert_eq!(with_thousands(999), "999");
        assert_eq!(with_thousands(1_000), "1,000");
        assert_eq!(with_thousands(1_234_567), "1,234,567");
    }
}
