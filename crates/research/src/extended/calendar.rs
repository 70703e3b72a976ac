//! Calendar features (SPEC 2.6), from the UTC open time of the minute's bar (the minute
//! 23:59–00:00 belongs to hour 23 of its day):
//! `hour_of_day` 0–23; `session` 0 = Asia (00–08 UTC), 1 = Europe (08–16), 2 = US (16–24);
//! `day_of_week` 0 = Monday … 6 = Sunday; `month_end` 1 on the last calendar day of the month.

use auction_trader_types::{NANOS_PER_SECOND, UnixNanos};

use crate::ResearchFeature;
use auction_trader_features::FeatureSnapshot;

const COLUMNS: [&str; 4] = ["hour_of_day", "session", "day_of_week", "month_end"];

const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// (hour, session, weekday with Monday = 0, last day of month) of a UTC timestamp.
pub fn calendar_of(stamp: UnixNanos) -> (u32, u32, u32, bool) {
    let hour = (stamp.as_i64().rem_euclid(NANOS_PER_DAY) / (3_600 * NANOS_PER_SECOND)) as u32;
    // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
    let weekday = (stamp.days_since_epoch() + 3).rem_euclid(7) as u32;
    let (_, _, next_day) = stamp.saturating_add_nanos(NANOS_PER_DAY).date();
    (hour, hour / 8, weekday, next_day == 1)
}

/// Hour of day, trading session, day of week and month-end flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarFeatures;

impl ResearchFeature for CalendarFeatures {
    fn columns(&self) -> &'static [&'static str] {
        &COLUMNS
    }

    fn on_minute(&mut self, snapshot: &FeatureSnapshot, values: &mut [f64]) {
        let (hour, session, weekday, month_end) = calendar_of(snapshot.bar.ts_open);
        values[0] = f64::from(hour);
        values[1] = f64::from(session);
        values[2] = f64::from(weekday);
        values[3] = if month_end { 1.0 } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // 2024-08-08 23:54 UTC was a Thursday (weekday 3), US session, not month end.
        assert_eq!(
            calendar_of(UnixNanos::from_civil(2024, 8, 8, 23 * 3600 + 54 * 60)),
            (23, 2, 3, false)
        );
        // 2024-02-29 (leap day) 07:59: Thursday, Asia session, month end.
        assert_eq!(
            calendar_of(UnixNanos::from_civil(2024, 2, 29, 7 * 3600 + 59 * 60)),
            (7, 0, 3, true)
        );
        // 2023-12-31 08:00 was a Sunday: Europe session, month end.
        assert_eq!(
            calendar_of(UnixNanos::from_civil(2023, 12, 31, 8 * 3600)),
            (8, 1, 6, true)
        );
        // 2024-09-02 was a Monday.
        assert_eq!(calendar_of(UnixNanos::from_civil(2024, 9, 2, 0)).2, 0);
    }
}
