//! Time windows of a validation: the expanding walk-forward folds with their embargo, and the
//! slice of decoded events a window replays (its warm-up before it, nothing after it).

use auction_trader_types::{MarketEvent, NANOS_PER_MINUTE, UnixNanos};

use crate::config::BacktestConfig;
use crate::error::BacktestError;

/// A half-open time range `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: UnixNanos,
    pub to: UnixNanos,
}

impl Window {
    pub fn nanos(&self) -> i64 {
        self.to.0 - self.from.0
    }
}

/// One walk-forward fold: parameters are chosen on `train`, then run on `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    /// 1-based number of the test segment.
    pub number: usize,
    pub train: Window,
    pub test: Window,
}

/// Expanding walk-forward folds over `range` (SPEC 6): the range is cut into `segments`
/// equal parts; each part after the first is a test window whose train window is everything
/// before it minus `embargo` nanoseconds (so no trade of the train run can be decided on data
/// the test window reuses). `segments - 1` folds; an error when a train window would be empty.
pub fn expanding_folds(
    range: Window,
    segments: usize,
    embargo: i64,
) -> Result<Vec<Fold>, BacktestError> {
    if segments < 2 {
        return Err(BacktestError::Config(format!(
            "walk-forward needs at least 2 segments (one train, one test), got {segments}"
        )));
    }
    if embargo < 0 {
        return Err(BacktestError::Config(format!(
            "walk-forward embargo must not be negative, got {embargo} ns"
        )));
    }
    let length = i128::from(range.nanos());
    let boundary = equal_boundaries(range, segments, "walk-forward")?;
    let mut folds = Vec::with_capacity(segments - 1);
    for index in 1..segments {
        let test = Window {
            from: boundary[index],
            to: boundary[index + 1],
        };
        let train = Window {
            from: range.from,
            to: UnixNanos(test.from.0 - embargo),
        };
        if train.to <= train.from {
            return Err(BacktestError::Config(format!(
                "walk-forward: the embargo ({} min) leaves no training data before test \
                 segment {index} (segments of {} min; use fewer segments or a shorter embargo)",
                embargo / NANOS_PER_MINUTE,
                length / segments as i128 / i128::from(NANOS_PER_MINUTE)
            )));
        }
        folds.push(Fold {
            number: index,
            train,
            test,
        });
    }
    Ok(folds)
}

/// The time range the decoded events cover: first event to just after the last one.
pub fn events_range(events: &[MarketEvent]) -> Option<Window> {
    let first = events.first()?.ts_recv();
    let last = events.last()?.ts_recv();
    Some(Window {
        from: first,
        to: UnixNanos(last.0.saturating_add(1)),
    })
}

/// The events a run of `window` replays: `warmup` nanoseconds before it (features and
/// averages warm up, no trading) up to the window's end. `events` are in time order.
pub fn window_events(events: &[MarketEvent], window: Window, warmup: i64) -> &[MarketEvent] {
    let from = UnixNanos(window.from.0.saturating_sub(warmup));
    let start = events.partition_point(|event| event.ts_recv() < from);
    let end = events.partition_point(|event| event.ts_recv() < window.to);
    &events[start..end.max(start)]
}

/// `config` restricted to `window`: trading starts at its start (`data.start`), the replay
/// ends before its end (`data.end`); both as epoch nanoseconds.
pub fn window_config(config: &BacktestConfig, window: Window) -> BacktestConfig {
    let mut config = config.clone();
    config.data.start = Some(window.from.0.to_string());
    config.data.end = Some(window.to.0.to_string());
    config
}

/// The configured warm-up in nanoseconds.
pub fn warmup_nanos(config: &BacktestConfig) -> i64 {
    i64::from(config.data.warmup_minutes) * NANOS_PER_MINUTE
}

/// The `parts + 1` boundaries cutting `range` into equal time parts: boundary k at
/// from + length × k / parts (exact integer arithmetic). `what` names the validation in the
/// error when the range is empty.
pub(super) fn equal_boundaries(
    range: Window,
    parts: usize,
    what: &str,
) -> Result<Vec<UnixNanos>, BacktestError> {
    let length = i128::from(range.nanos());
    if length <= 0 {
        return Err(BacktestError::NoData(format!(
            "{what}: the data's time range is empty"
        )));
    }
    Ok((0..=parts)
        .map(|index| UnixNanos(range.from.0 + (length * index as i128 / parts as i128) as i64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use auction_trader_types::{AggressorSide, Price, Quantity, Trade, TradeId};

    const MINUTE: i64 = NANOS_PER_MINUTE;

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: UnixNanos(from),
            to: UnixNanos(to),
        }
    }

    #[test]
    fn folds_expand_and_leave_the_embargo_out() {
        // 100 minutes in 4 segments of 25, embargo 5 minutes.
        let folds = expanding_folds(window(0, 100 * MINUTE), 4, 5 * MINUTE).unwrap();
        assert_eq!(folds.len(), 3);
        assert_eq!(folds[0].test, window(25 * MINUTE, 50 * MINUTE));
        assert_eq!(folds[0].train, window(0, 20 * MINUTE));
        assert_eq!(folds[1].test, window(50 * MINUTE, 75 * MINUTE));
        assert_eq!(folds[1].train, window(0, 45 * MINUTE));
        assert_eq!(folds[2].test, window(75 * MINUTE, 100 * MINUTE));
        assert_eq!(folds[2].train, window(0, 70 * MINUTE));
        assert_eq!(
            folds.iter().map(|fold| fold.number).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn uneven_ranges_cover_every_nanosecond_once() {
        let folds = expanding_folds(window(10, 20), 3, 0).unwrap();
        // Boundaries 10 + 10k/3: 10, 13, 16, 20.
        assert_eq!(folds[0].test, window(13, 16));
        assert_eq!(folds[1].test, window(16, 20));
        assert_eq!(folds[1].train, window(10, 16));
    }

    #[test]
    fn bad_fold_settings_are_refused() {
        assert!(expanding_folds(window(0, 100), 1, 0).is_err());
        assert!(expanding_folds(window(0, 100), 2, -1).is_err());
        assert!(expanding_folds(window(5, 5), 2, 0).is_err());
        // Segments of 25: an embargo of 25 leaves the first train window empty.
        let error = expanding_folds(window(0, 100), 4, 25).unwrap_err();
        assert!(error.to_string().contains("no training data"), "{error}");
        assert!(expanding_folds(window(0, 100), 4, 24).is_ok());
    }

    fn trade(ts: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            ts_event: UnixNanos(ts),
            ts_recv: UnixNanos(ts),
            price: Price::from_raw(1),
            size: Quantity::from_raw(1),
            aggressor: AggressorSide::Buy,
            trade_id: TradeId(0),
        })
    }

    #[test]
    fn window_events_include_the_warmup_and_stop_before_the_end() {
        let events: Vec<_> = (0..10).map(|ts| trade(ts * 10)).collect();
        let slice = window_events(&events, window(40, 70), 15);
        let times: Vec<i64> = slice.iter().map(|event| event.ts_recv().0).collect();
        assert_eq!(times, [30, 40, 50, 60]);
        assert!(window_events(&events, window(200, 300), 0).is_empty());
        assert_eq!(
            events_range(&events),
            Some(window(0, 91)),
            "the range ends just after the last event"
        );
    }
}
