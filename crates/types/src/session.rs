//! The three trading sessions of SPEC 4 (UTC, 8 hours each): Asia 00–08, Europe 08–16,
//! US 16–24. Used by the drain circuit breaker's baselines, the drain half-life and sizing,
//! and the research reports.

use serde::{Deserialize, Serialize};

use crate::UnixNanos;

const NANOS_PER_HOUR: i64 = 3_600_000_000_000;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
/// Length of one session.
pub const SESSION_NANOS: i64 = 8 * NANOS_PER_HOUR;

/// The three trading sessions of SPEC 4 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    Asia,
    Europe,
    Us,
}

impl Session {
    /// Every session in the day's order.
    pub const ALL: [Session; 3] = [Session::Asia, Session::Europe, Session::Us];

    /// The session `ts` falls in.
    pub fn of(ts: UnixNanos) -> Self {
        match ts.as_i64().rem_euclid(NANOS_PER_DAY) / SESSION_NANOS {
            0 => Self::Asia,
            1 => Self::Europe,
            _ => Self::Us,
        }
    }

    /// Start of the session `ts` falls in.
    pub fn start_of(ts: UnixNanos) -> UnixNanos {
        UnixNanos(ts.as_i64().div_euclid(SESSION_NANOS) * SESSION_NANOS)
    }

    /// Position in [`Session::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Self::Asia => 0,
            Self::Europe => 1,
            Self::Us => 2,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asia => "asia",
            Self::Europe => "europe",
            Self::Us => "us",
        }
    }

    /// The session named by [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|session| session.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_by_utc_hour() {
        let hour = |h: i64| UnixNanos(19_000 * NANOS_PER_DAY + h * NANOS_PER_HOUR);
        assert_eq!(Session::of(hour(0)), Session::Asia);
        assert_eq!(Session::of(UnixNanos(hour(8).as_i64() - 1)), Session::Asia);
        assert_eq!(Session::of(hour(8)), Session::Europe);
        assert_eq!(Session::of(hour(23)), Session::Us);
        assert_eq!(Session::start_of(hour(23)), hour(16));
        // Before 1970 too (Euclidean division).
        assert_eq!(Session::of(UnixNanos(-1)), Session::Us);
        assert_eq!(Session::parse("europe"), Some(Session::Europe));
        assert_eq!(Session::parse("EU"), None);
        assert_eq!(Session::Us.index(), 2);
    }
}
