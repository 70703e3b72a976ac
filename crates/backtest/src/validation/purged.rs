//! Purged k-fold windows (SPEC 6; López de Prado, *Advances in Financial Machine Learning*,
//! ch. 7): the trading range cut into `k` contiguous time folds. Each fold is tested once;
//! its train set is every other fold, with the observations whose label horizon reaches into
//! the test fold purged (the `purge` before the test fold: a decision at `t` is judged on
//! prices up to `t + purge`) and an embargo after the test fold (serial correlation: the
//! first `embargo` after it is never trained on).

use auction_trader_types::{NANOS_PER_MINUTE, UnixNanos};

use super::window::{Window, equal_boundaries};
use crate::error::BacktestError;

/// One fold of a purged k-fold: parameters are chosen on `train` (one or two windows), then
/// run on `test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedFold {
    /// 1-based number of the test fold.
    pub number: usize,
    pub test: Window,
    /// The train windows in time order: before the test fold (ending `purge` before it)
    /// and after it (starting `embargo` after it); empty windows are left out.
    pub train: Vec<Window>,
}

impl PurgedFold {
    /// Nanoseconds of training data.
    pub fn train_nanos(&self) -> i64 {
        self.train.iter().map(Window::nanos).sum()
    }
}

/// The `folds` purged folds of `range` (boundaries at `from + length × k / folds`, exact
/// integer arithmetic, so every nanosecond is in exactly one test fold). An error when a
/// fold would have no training data.
pub fn purged_folds(
    range: Window,
    folds: usize,
    purge: i64,
    embargo: i64,
) -> Result<Vec<PurgedFold>, BacktestError> {
    if folds < 2 {
        return Err(BacktestError::Config(format!(
            "k-fold needs at least 2 folds (one to test, one to train), got {folds}"
        )));
    }
    if purge < 0 || embargo < 0 {
        return Err(BacktestError::Config(format!(
            "k-fold purge and embargo must not be negative, got {purge} and {embargo} ns"
        )));
    }
    let boundary = equal_boundaries(range, folds, "k-fold")?;
    let mut result = Vec::with_capacity(folds);
    for index in 0..folds {
        let test = Window {
            from: boundary[index],
            to: boundary[index + 1],
        };
        let before = Window {
            from: range.from,
            to: UnixNanos(test.from.0.saturating_sub(purge)),
        };
        let after = Window {
            from: UnixNanos(test.to.0.saturating_add(embargo)),
            to: range.to,
        };
        let train: Vec<Window> = [before, after]
            .into_iter()
            .filter(|window| window.to > window.from)
            .collect();
        if train.is_empty() {
            return Err(BacktestError::Config(format!(
                "k-fold: the purge ({} min) and embargo ({} min) leave no training data for \
                 fold {} (folds of {} min; use more folds or a shorter purge or embargo)",
                purge / NANOS_PER_MINUTE,
                embargo / NANOS_PER_MINUTE,
                index + 1,
                (test.to.0 - test.from.0) / NANOS_PER_MINUTE
            )));
        }
        result.push(PurgedFold {
            number: index + 1,
            test,
            train,
        });
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = NANOS_PER_MINUTE;

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: UnixNanos(from),
            to: UnixNanos(to),
        }
    }

    fn minutes(from: i64, to: i64) -> Window {
        window(from * MINUTE, to * MINUTE)
    }

    #[test]
    fn folds_purge_before_and_embargo_after_the_test_fold() {
        // 100 minutes in 4 folds of 25; purge 5 minutes, embargo 10 minutes.
        let folds = purged_folds(minutes(0, 100), 4, 5 * MINUTE, 10 * MINUTE).unwrap();
        assert_eq!(folds.len(), 4);
        // Fold 1 [0, 25): nothing before it; trains from 25 + 10 = 35.
        assert_eq!(folds[0].test, minutes(0, 25));
        assert_eq!(folds[0].train, [minutes(35, 100)]);
        // Fold 2 [25, 50): trains on [0, 25 - 5) and [50 + 10, 100).
        assert_eq!(folds[1].test, minutes(25, 50));
        assert_eq!(folds[1].train, [minutes(0, 20), minutes(60, 100)]);
        assert_eq!(folds[1].train_nanos(), 60 * MINUTE);
        // Fold 3 [50, 75): [0, 45) and [85, 100).
        assert_eq!(folds[2].test, minutes(50, 75));
        assert_eq!(folds[2].train, [minutes(0, 45), minutes(85, 100)]);
        // Fold 4 [75, 100): only before it, up to 70.
        assert_eq!(folds[3].test, minutes(75, 100));
        assert_eq!(folds[3].train, [minutes(0, 70)]);
        assert_eq!(
            folds.iter().map(|fold| fold.number).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn real_timestamps_and_uneven_ranges() {
        // 2022-01-01 00:00 UTC .. 2022-01-04 00:00 UTC in 3 folds of one day, purge 60 min,
        // embargo one day: the middle fold trains on 01-01 00:00 .. 01-01 23:00 only (its
        // embargo reaches the end of the range).
        let day = 1_440 * MINUTE;
        let start = 1_640_995_200_000_000_000;
        let folds = purged_folds(window(start, start + 3 * day), 3, 60 * MINUTE, day).unwrap();
        assert_eq!(folds[1].test, window(start + day, start + 2 * day));
        assert_eq!(folds[1].train, [window(start, start + day - 60 * MINUTE)]);
        assert_eq!(folds[0].train, [window(start + 2 * day, start + 3 * day)]);
        assert_eq!(
            folds[2].train,
            [window(start, start + 2 * day - 60 * MINUTE)]
        );
        // Boundaries 10 + 10k/3: 10, 13, 16, 20; no purge, no embargo: the complement.
        let folds = purged_folds(window(10, 20), 3, 0, 0).unwrap();
        assert_eq!(folds[1].test, window(13, 16));
        assert_eq!(folds[1].train, [window(10, 13), window(16, 20)]);
        assert_eq!(folds[2].test, window(16, 20));
    }

    #[test]
    fn bad_settings_and_empty_training_are_refused() {
        assert!(purged_folds(window(0, 100), 1, 0, 0).is_err());
        assert!(purged_folds(window(0, 100), 2, -1, 0).is_err());
        assert!(purged_folds(window(0, 100), 2, 0, -1).is_err());
        assert!(purged_folds(window(5, 5), 2, 0, 0).is_err());
        // Two folds of 50: fold 1 trains from 50 + embargo, fold 2 up to 50 - purge.
        assert!(purged_folds(window(0, 100), 2, 49, 49).is_ok());
        let error = purged_folds(window(0, 100), 2, 0, 50).unwrap_err();
        assert!(error.to_string().contains("fold 1"), "{error}");
        let error = purged_folds(window(0, 100), 2, 50, 0).unwrap_err();
        assert!(error.to_string().contains("fold 2"), "{error}");
    }
}
