//! [`RecordedLatency`]: order latency interpolated from recorded round trips (SPEC 5: "or
//! interpolated from recorded order round trips"; the model hftbacktest calls
//! `IntpOrderLatency`).
//!
//! The file is a CSV with the header `request_ns,exchange_ns,response_ns` and one row per
//! recorded order: when the request left us, when the exchange stamped it (its acknowledgement)
//! and when the response reached us, in UTC nanoseconds, rows in request order. The latency of
//! an order (or cancel) sent at `t` is `exchange − request`, linearly interpolated between the
//! two rows whose request times surround `t`; before the first row the first row's, after the
//! last row the last row's. The response leg (`response − exchange`) is checked but not used:
//! the simulated exchange reports at exchange time. Every bad row is an error naming its line
//! (a rejected request, recorded with exchange time 0, is an error too: rejections are not
//! modelled).

use std::path::Path;
use std::sync::Arc;

use crate::ExecutionError;

/// One recorded round trip (UTC nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoundTrip {
    pub request: i64,
    pub exchange: i64,
    pub response: i64,
}

/// The recorded round trips, sorted by request time (shared by clones of the exchange).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedLatency {
    rows: Arc<[RoundTrip]>,
}

const HEADER: [&str; 3] = ["request_ns", "exchange_ns", "response_ns"];

impl RecordedLatency {
    /// Reads and checks the file.
    pub fn load(path: &Path) -> Result<Self, ExecutionError> {
        let text = std::fs::read_to_string(path).map_err(|error| ExecutionError::LatencyFile {
            path: path.display().to_string(),
            line: 0,
            reason: error.to_string(),
        })?;
        Self::parse(&text).map_err(|(line, reason)| ExecutionError::LatencyFile {
            path: path.display().to_string(),
            line,
            reason,
        })
    }

    /// Parses the CSV text; the error is (1-based line, reason).
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty());
        let Some((header_index, header)) = lines.next() else {
            return Err((
                1,
                "empty file: expected the header request_ns,exchange_ns,response_ns".into(),
            ));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        if names != HEADER {
            return Err((
                header_index + 1,
                format!("header {header:?}: expected request_ns,exchange_ns,response_ns"),
            ));
        }
        let mut rows: Vec<RoundTrip> = Vec::new();
        for (index, line) in lines {
            let number = index + 1;
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != 3 {
                return Err((number, format!("{} fields, expected 3", fields.len())));
            }
            let parse = |position: usize| {
                fields[position].parse::<i64>().map_err(|_| {
                    (
                        number,
                        format!(
                            "{} {:?} is not an integer",
                            HEADER[position], fields[position]
                        ),
                    )
                })
            };
            let row = RoundTrip {
                request: parse(0)?,
                exchange: parse(1)?,
                response: parse(2)?,
            };
            if row.exchange <= 0 {
                return Err((
                    number,
                    "exchange time 0 or negative (a rejected request): rejections are not \
                     modelled, remove the row"
                        .into(),
                ));
            }
            if row.exchange < row.request {
                return Err((number, "exchange time before request time".into()));
            }
            if row.response < row.exchange {
                return Err((number, "response time before exchange time".into()));
            }
            if rows.last().is_some_and(|last| row.request < last.request) {
                return Err((
                    number,
                    "request times go backwards (rows must be in request order)".into(),
                ));
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Err((header_index + 1, "no rows after the header".into()));
        }
        Ok(Self { rows: rows.into() })
    }

    /// Entry latency (exchange − request) of an order sent at `request`, in nanoseconds.
    pub fn at(&self, request: i64) -> i64 {
        let latency = |row: &RoundTrip| row.exchange - row.request;
        let after = self.rows.partition_point(|row| row.request <= request);
        match (
            after.checked_sub(1).map(|index| &self.rows[index]),
            self.rows.get(after),
        ) {
            (None, Some(first)) => latency(first),
            (Some(last), None) => latency(last),
            (Some(before), Some(next)) => {
                let span = i128::from(next.request - before.request);
                let (low, high) = (i128::from(latency(before)), i128::from(latency(next)));
                if span == 0 {
                    return latency(before);
                }
                let offset = i128::from(request - before.request);
                let value = low + (high - low) * offset / span;
                i64::try_from(value).unwrap_or(latency(before))
            }
            (None, None) => 0, // unreachable: parse refuses an empty file
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn interpolates_by_request_time() {
        // Latencies 100 ms at t = 1 s and 200 ms at t = 3 s.
        let text = "request_ns,exchange_ns,response_ns\n\
                    1000000000,1100000000,1150000000\n\
                    3000000000,3200000000,3260000000\n";
        let latency = RecordedLatency::parse(text).unwrap();
        // Halfway (2 s): 150 ms; a quarter (1.5 s): 125 ms; before / after: the end rows.
        assert_eq!(latency.at(2_000 * MS), 150 * MS);
        assert_eq!(latency.at(1_500 * MS), 125 * MS);
        assert_eq!(latency.at(0), 100 * MS);
        assert_eq!(latency.at(1_000 * MS), 100 * MS);
        assert_eq!(latency.at(3_000 * MS), 200 * MS);
        assert_eq!(latency.at(9_000 * MS), 200 * MS);
    }

    #[test]
    fn bad_files_name_the_line() {
        let error = |text: &str| RecordedLatency::parse(text).unwrap_err();
        assert_eq!(error("").0, 1);
        assert!(error("a,b,c\n1,2,3\n").1.contains("header"));
        let header = "request_ns,exchange_ns,response_ns\n";
        assert_eq!(error(header).1, "no rows after the header");
        let (line, reason) = error(&format!("{header}1,2,3\n5,x,7\n"));
        assert_eq!(line, 3);
        assert!(reason.contains("exchange_ns \"x\""), "{reason}");
        assert!(error(&format!("{header}1,2\n")).1.contains("2 fields"));
        assert!(error(&format!("{header}10,0,30\n")).1.contains("rejected"));
        assert!(
            error(&format!("{header}10,5,30\n"))
                .1
                .contains("before request")
        );
        assert!(
            error(&format!("{header}10,20,15\n"))
                .1
                .contains("response time")
        );
        let (line, reason) = error(&format!("{header}10,20,30\n5,20,30\n"));
        assert_eq!(line, 3);
        assert!(reason.contains("backwards"));
    }
}
