//! The measured signal half-life of SPEC 3.2: "the time for the average post-signal mid move
//! in the signal's direction to decay to half its peak, measured per symbol × session from
//! past signals".
//!
//! Exact form used here:
//! - Every REAL_PRESSURE drain signal (traded or not) starts a path: at each of the next `H`
//!   one-second closes (`H` = `half_life_horizon_seconds`, default 120) the signed move
//!   `m(t) = sign × (mid_t − mid_0) / mid_0 × 10⁴` bps, `sign` +1 for a long (bid drain), −1
//!   for a short; `mid_0` is the mid at the signal second. A second without a mid repeats the
//!   last one. A path counts only once complete (no look-ahead), in the session of its signal.
//! - The session's average path `A(t) = mean over its paths of m(t)`, t = 1..H. Peak
//!   `A(t_p) = max A(t)`; no half-life when the peak is ≤ 0 (the mid never moved the signal's
//!   way on average). The half-life is the first `t > t_p` with `A(t) ≤ A(t_p) / 2`, linearly
//!   interpolated between `t − 1` and `t`, counted from the signal; none when the average has
//!   not halved within the horizon.
//! - The time exit uses the session's half-life once it rests on at least
//!   `half_life_min_signals` paths, else the configured `time_exit_seconds` (the fallback).

use auction_trader_types::Session;

/// A path being measured.
#[derive(Debug, Clone)]
struct OpenPath {
    signal_ts: i64,
    session: Session,
    sign: f64,
    start_mid: f64,
    moves: Vec<f64>,
}

impl OpenPath {
    fn step(&mut self, mid: Option<f64>) {
        let value = match mid {
            Some(mid) if mid > 0.0 && mid.is_finite() => {
                self.sign * (mid - self.start_mid) / self.start_mid * 10_000.0
            }
            _ => self.moves.last().copied().unwrap_or(0.0),
        };
        self.moves.push(value);
    }
}

/// A finished path: what the signals.db row reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletedPath {
    /// The signal's second (ns).
    pub signal_ts: i64,
    pub session: Session,
    /// +1 long, −1 short.
    pub sign: f64,
    /// `m(1..=H)` in bps.
    pub moves: Vec<f64>,
    /// The session's estimate after adding this path.
    pub estimate: HalfLifeEstimate,
}

/// A session's half-life estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfLifeEstimate {
    /// Paths behind it.
    pub signals: u32,
    /// Peak of the average move (bps) and its time (s).
    pub peak_bps: f64,
    pub peak_seconds: u32,
    /// `None`: no positive peak, or not halved within the horizon.
    pub half_life_seconds: Option<f64>,
}

/// Average-path accumulators per session and the paths in progress.
#[derive(Debug, Clone)]
pub struct SignalHalfLife {
    horizon: usize,
    sums: [Vec<f64>; 3],
    counts: [u32; 3],
    open: Vec<OpenPath>,
}

impl SignalHalfLife {
    /// Paths of `horizon_seconds` one-second steps (at least 2).
    pub fn new(horizon_seconds: u32) -> Self {
        let horizon = (horizon_seconds as usize).max(2);
        Self {
            horizon,
            sums: [vec![0.0; horizon], vec![0.0; horizon], vec![0.0; horizon]],
            counts: [0; 3],
            open: Vec::new(),
        }
    }

    /// A signal at `signal_ts` in `session` with the mid `mid` (raw or any consistent unit)
    /// at its second; `long` for a bid drain. `since` holds the mids of the seconds already
    /// closed after the signal (the verdict is known 2 s after it), oldest first.
    pub fn start(
        &mut self,
        signal_ts: i64,
        session: Session,
        long: bool,
        mid: f64,
        since: &[Option<f64>],
    ) {
        if !(mid > 0.0 && mid.is_finite()) {
            return;
        }
        let mut path = OpenPath {
            signal_ts,
            session,
            sign: if long { 1.0 } else { -1.0 },
            start_mid: mid,
            moves: Vec::with_capacity(self.horizon),
        };
        for &later in since.iter().take(self.horizon - 1) {
            path.step(later);
        }
        self.open.push(path);
    }

    /// Paths in progress.
    pub fn open_paths(&self) -> usize {
        self.open.len()
    }

    /// Drops the paths in progress (the data broke: their seconds are not consecutive).
    pub fn abandon_open(&mut self) {
        self.open.clear();
    }

    /// A one-second close with mid `mid` (`None`: no mid this second, the last move repeats).
    /// Paths that complete are folded into their session and returned in `completed`.
    pub fn on_second(&mut self, mid: Option<f64>, completed: &mut Vec<CompletedPath>) {
        let horizon = self.horizon;
        for path in &mut self.open {
            path.step(mid);
        }
        let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|path| path.moves.len() >= horizon);
        self.open = open;
        for path in done {
            let slot = path.session.index();
            for (sum, value) in self.sums[slot].iter_mut().zip(&path.moves) {
                *sum += value;
            }
            self.counts[slot] += 1;
            completed.push(CompletedPath {
                signal_ts: path.signal_ts,
                session: path.session,
                sign: path.sign,
                estimate: self.estimate(path.session),
                moves: path.moves,
            });
        }
    }

    /// The session's estimate from the completed paths so far.
    pub fn estimate(&self, session: Session) -> HalfLifeEstimate {
        let slot = session.index();
        let count = self.counts[slot];
        let average: Vec<f64> = self.sums[slot]
            .iter()
            .map(|sum| {
                if count == 0 {
                    0.0
                } else {
                    sum / f64::from(count)
                }
            })
            .collect();
        let (peak_seconds, peak_bps, half_life_seconds) = half_life_of(&average);
        HalfLifeEstimate {
            signals: count,
            peak_bps,
            peak_seconds,
            half_life_seconds,
        }
    }

    /// Seconds for the time exit in `session`: the measured half-life (rounded up to whole
    /// seconds, at least 1) once `min_signals` paths back it, else `fallback`. The flag says
    /// whether the value was measured.
    pub fn time_exit_seconds(
        &self,
        session: Session,
        min_signals: u32,
        fallback: u32,
    ) -> (u32, bool) {
        let estimate = self.estimate(session);
        match estimate.half_life_seconds {
            Some(seconds) if estimate.signals >= min_signals.max(1) => {
                ((seconds.ceil() as u32).max(1), true)
            }
            _ => (fallback, false),
        }
    }
}

/// `(t_p, peak, half-life)` of an average path `A(1..=H)` (index 0 is t = 1 s); the
/// half-life as in the module doc.
pub fn half_life_of(average: &[f64]) -> (u32, f64, Option<f64>) {
    let Some((peak_index, &peak)) =
        average
            .iter()
            .enumerate()
            .fold(
                None,
                |best: Option<(usize, &f64)>, (index, value)| match best {
                    Some((_, top)) if *top >= *value => best,
                    _ => Some((index, value)),
                },
            )
    else {
        return (0, 0.0, None);
    };
    let peak_seconds = peak_index as u32 + 1;
    if peak.is_nan() || peak <= 0.0 {
        return (peak_seconds, peak, None);
    }
    let half = peak / 2.0;
    let half_life = (peak_index + 1..average.len())
        .find(|&index| average[index] <= half)
        .map(|index| {
            let (before, after) = (average[index - 1], average[index]);
            // t of `before` is index (1-based index − 1 + 1); interpolate toward index + 1.
            let fraction = if before > after {
                (before - half) / (before - after)
            } else {
                1.0
            };
            index as f64 + fraction
        });
    (peak_seconds, peak, half_life)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_life_hand_example() {
        // A(1..6) = 2, 6, 8, 6, 3, 1 bps: peak 8 at t = 3; half = 4; first t > 3 with A ≤ 4 is
        // t = 5 (3); between t = 4 (6) and t = 5 (3): 4 + (6 − 4) / (6 − 3) = 4.6667 s.
        let (peak_at, peak, half_life) = half_life_of(&[2.0, 6.0, 8.0, 6.0, 3.0, 1.0]);
        assert_eq!((peak_at, peak), (3, 8.0));
        assert!((half_life.unwrap() - 14.0 / 3.0).abs() < 1e-12);
        // Never halves within the horizon, or never positive: no half-life.
        assert_eq!(half_life_of(&[1.0, 2.0, 3.0]).2, None);
        assert_eq!(half_life_of(&[-1.0, -2.0, 0.0]).2, None);
        assert_eq!(half_life_of(&[]).2, None);
        // A first tie keeps the earliest peak: 5, 5, 2 → peak t = 1, halves at t = 3:
        // 2 + (5 − 2.5) / (5 − 2) = 2.8333 s.
        let (peak_at, _, half_life) = half_life_of(&[5.0, 5.0, 2.0]);
        assert_eq!(peak_at, 1);
        assert!((half_life.unwrap() - (2.0 + 2.5 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn paths_average_per_session_and_feed_the_time_exit() {
        let mut measure = SignalHalfLife::new(4);
        let mut completed = Vec::new();
        // A long at mid 10,000 in Asia and a short at 10,000 in Asia one second later.
        measure.start(1, Session::Asia, true, 10_000.0, &[]);
        measure.on_second(Some(10_010.0), &mut completed); // long: +10 bps
        measure.on_second(Some(10_008.0), &mut completed); // long +8
        // The short's verdict is known a second late: its first second is passed in.
        measure.start(2, Session::Asia, false, 10_010.0, &[Some(10_008.0)]); // short +1.998
        measure.on_second(None, &mut completed); // both repeat
        measure.on_second(Some(10_002.0), &mut completed); // long +2 (4th step: done)
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].signal_ts, 1);
        assert_eq!(completed[0].moves, vec![10.0, 8.0, 8.0, 2.0]);
        // One path: peak 10 at 1 s, halves between t = 3 (8) and t = 4 (2): 3 + 3/6 = 3.5 s.
        let estimate = completed[0].estimate;
        assert_eq!((estimate.signals, estimate.peak_seconds), (1, 1));
        assert_eq!(estimate.half_life_seconds, Some(3.5));
        assert_eq!(measure.open_paths(), 1);
        // The time exit needs min_signals paths; rounded up to whole seconds.
        assert_eq!(measure.time_exit_seconds(Session::Asia, 2, 30), (30, false));
        assert_eq!(measure.time_exit_seconds(Session::Asia, 1, 30), (4, true));
        assert_eq!(measure.time_exit_seconds(Session::Us, 1, 30), (30, false));
        // The short: moves 1.998, 1.998, 7.992, then mid 10,012 → −1.998.
        measure.on_second(Some(10_012.0), &mut completed);
        assert_eq!(completed.len(), 2);
        let short = &completed[1];
        assert_eq!(short.sign, -1.0);
        assert!((short.moves[2] - 7.992_007).abs() < 1e-5);
        // Average of both: (10 + 1.998)/2, (8 + 1.998)/2, (8 + 7.992)/2, (2 − 1.998)/2.
        let estimate = short.estimate;
        assert_eq!((estimate.signals, estimate.peak_seconds), (2, 3));
        assert!((estimate.peak_bps - 7.996_004).abs() < 1e-5);
        // Half 3.998: A(4) = 0.001 → 3 + (7.996 − 3.998) / (7.996 − 0.001) = 3.5 s.
        assert!((estimate.half_life_seconds.unwrap() - 3.5).abs() < 1e-3);
    }
}
