//! Per-day results of a download and the coverage summary (SPEC 1.2: a download with more
//! than 1% missing time is flagged).

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

/// SPEC 1.2: more than 1% missing time flags a download.
pub const MAX_MISSING_SHARE: f64 = 0.01;

/// Dates serialize as `YYYY-MM-DD` (chrono's serde feature is not enabled).
pub(crate) fn serialize_date<S: Serializer>(
    date: &NaiveDate,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

/// What happened to one day's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DayOutcome {
    /// Fetched and renamed into place. `verified` is true when a published SHA-256 matched.
    Downloaded {
        path: PathBuf,
        bytes: u64,
        verified: bool,
    },
    /// Already on disk with a matching checksum (or, without one, a matching size).
    AlreadyPresent {
        path: PathBuf,
        bytes: u64,
        verified: bool,
    },
    /// The archive has no file for that day (HTTP 404).
    Missing,
    /// Could not be fetched or verified; nothing was left at the final path.
    Failed { message: String, attempts: u32 },
}

impl DayOutcome {
    /// The file is on disk after the run.
    pub const fn is_present(&self) -> bool {
        matches!(self, Self::Downloaded { .. } | Self::AlreadyPresent { .. })
    }
}

/// One requested day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayResult {
    #[serde(serialize_with = "serialize_date")]
    pub date: NaiveDate,
    pub url: String,
    pub outcome: DayOutcome,
}

/// Missing days over requested days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub requested_days: u32,
    pub present_days: u32,
    /// Days the archive does not have (404).
    pub missing_days: u32,
    /// Days that could not be fetched or verified.
    pub failed_days: u32,
    /// (missing + failed) / requested: a day without its file is a day of missing time.
    pub missing_share: f64,
    /// `missing_share` > 1% (SPEC 1.2).
    pub flagged: bool,
}

impl Coverage {
    pub fn of(days: &[DayResult]) -> Self {
        let count = |wanted: fn(&DayOutcome) -> bool| {
            days.iter().filter(|day| wanted(&day.outcome)).count() as u32
        };
        let requested_days = days.len() as u32;
        let missing_days = count(|outcome| matches!(outcome, DayOutcome::Missing));
        let failed_days = count(|outcome| matches!(outcome, DayOutcome::Failed { .. }));
        let missing_share = if requested_days == 0 {
            0.0
        } else {
            f64::from(missing_days + failed_days) / f64::from(requested_days)
        };
        Self {
            requested_days,
            present_days: count(DayOutcome::is_present),
            missing_days,
            failed_days,
            missing_share,
            flagged: missing_share > MAX_MISSING_SHARE,
        }
    }
}

/// The result of a whole download.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownloadReport {
    pub days: Vec<DayResult>,
    pub coverage: Coverage,
}

impl DownloadReport {
    pub fn new(days: Vec<DayResult>) -> Self {
        let coverage = Coverage::of(&days);
        Self { days, coverage }
    }
}

impl fmt::Display for DownloadReport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for day in &self.days {
            let status = match &day.outcome {
                DayOutcome::Downloaded {
                    bytes, verified, ..
                } => {
                    format!("downloaded {bytes} bytes{}", verified_note(*verified))
                }
                DayOutcome::AlreadyPresent {
                    bytes, verified, ..
                } => {
                    format!("already present, {bytes} bytes{}", verified_note(*verified))
                }
                DayOutcome::Missing => "missing (404)".to_owned(),
                DayOutcome::Failed { message, attempts } => {
                    format!("FAILED after {attempts} attempt(s): {message}")
                }
            };
            writeln!(formatter, "{}  {status}", day.date)?;
        }
        let coverage = &self.coverage;
        write!(
            formatter,
            "coverage: {} of {} days present, {} missing, {} failed ({:.2}% missing){}",
            coverage.present_days,
            coverage.requested_days,
            coverage.missing_days,
            coverage.failed_days,
            coverage.missing_share * 100.0,
            if coverage.flagged {
                " -- FLAGGED: more than 1% of the requested time is missing"
            } else {
                ""
            }
        )
    }
}

fn verified_note(verified: bool) -> &'static str {
    if verified { ", sha256 verified" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(outcome: DayOutcome) -> DayResult {
        DayResult {
            date: NaiveDate::from_ymd_opt(2024, 8, 8).unwrap(),
            url: String::new(),
            outcome,
        }
    }

    #[test]
    fn one_missing_day_in_a_hundred_is_not_flagged_but_two_are() {
        // 1/100 = 1% is not "more than 1%"; 2/100 = 2% is.
        let present = || {
            result(DayOutcome::AlreadyPresent {
                path: PathBuf::new(),
                bytes: 1,
                verified: false,
            })
        };
        let mut days: Vec<DayResult> = (0..99).map(|_| present()).collect();
        days.push(result(DayOutcome::Missing));
        let coverage = Coverage::of(&days);
        assert_eq!((coverage.present_days, coverage.missing_days), (99, 1));
        assert!(!coverage.flagged);
        days[0] = result(DayOutcome::Failed {
            message: "HTTP 500".to_owned(),
            attempts: 4,
        });
        let coverage = Coverage::of(&days);
        assert_eq!((coverage.missing_days, coverage.failed_days), (1, 1));
        assert!((coverage.missing_share - 0.02).abs() < 1e-12);
        assert!(coverage.flagged);
    }
}
