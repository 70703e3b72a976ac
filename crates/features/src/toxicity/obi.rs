//! Order-book imbalance churn, SPEC 2.5: OBI over the top 20 levels sampled once a second,
//! velocity `|OBI[t] − OBI[t − 2 s]|`, high churn when the velocity exceeds 2 × the std of the
//! velocity over the last 300 samples; with fewer than 100 samples the symbol's historical
//! baseline std is reported and no churn signal is emitted.

use std::collections::VecDeque;

use super::stats::sample_std;

/// One second's OBI reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObiReading {
    pub obi: Option<f64>,
    pub velocity: Option<f64>,
    /// The std the velocity was judged against (the baseline during warm-up).
    pub velocity_std: f64,
    /// `None` during warm-up (fewer than the minimum samples) or without a velocity.
    pub churn: Option<bool>,
}

/// Rolling OBI velocity and its churn test.
#[derive(Debug, Clone)]
pub struct ObiTracker {
    lag: usize,
    recent: VecDeque<Option<f64>>,
    velocities: VecDeque<f64>,
    window: usize,
    min_samples: usize,
    multiple: f64,
    baseline_std: f64,
}

impl ObiTracker {
    pub fn new(
        lag_seconds: u32,
        window: u32,
        min_samples: u32,
        multiple: f64,
        baseline_std: f64,
    ) -> Self {
        Self {
            lag: lag_seconds as usize,
            recent: VecDeque::new(),
            velocities: VecDeque::new(),
            window: window as usize,
            min_samples: min_samples as usize,
            multiple,
            baseline_std,
        }
    }

    /// Adds the OBI of the second just closed (`None` when the book was not usable).
    pub fn push(&mut self, obi: Option<f64>) -> ObiReading {
        self.recent.push_back(obi);
        while self.recent.len() > self.lag + 1 {
            self.recent.pop_front();
        }
        let lagged = (self.recent.len() == self.lag + 1)
            .then(|| self.recent.front().copied().flatten())
            .flatten();
        let velocity = obi.zip(lagged).map(|(now, then)| (now - then).abs());
        // The std comes from the previous samples: a baseline never contains the value tested.
        let warm = self.velocities.len() >= self.min_samples.max(2);
        let velocity_std = if warm {
            sample_std(self.velocities.iter().copied()).unwrap_or(self.baseline_std)
        } else {
            self.baseline_std
        };
        let churn = velocity
            .filter(|_| warm)
            .map(|value| value > self.multiple * velocity_std);
        if let Some(value) = velocity {
            self.velocities.push_back(value);
            while self.velocities.len() > self.window {
                self.velocities.pop_front();
            }
        }
        ObiReading {
            obi,
            velocity,
            velocity_std,
            churn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_uses_the_value_two_seconds_back() {
        let mut tracker = ObiTracker::new(2, 300, 100, 2.0, 0.05);
        assert_eq!(tracker.push(Some(0.1)).velocity, None);
        assert_eq!(tracker.push(Some(0.3)).velocity, None);
        // |−0.2 − 0.1| = 0.3
        let reading = tracker.push(Some(-0.2));
        assert!((reading.velocity.unwrap() - 0.3).abs() < 1e-12);
        // Warm-up: baseline std, no churn signal.
        assert_eq!((reading.velocity_std, reading.churn), (0.05, None));
        // A missing sample two seconds back gives no velocity.
        tracker.push(None);
        tracker.push(Some(0.0));
        assert_eq!(tracker.push(Some(0.0)).velocity, None);
    }

    #[test]
    fn churn_after_warm_up_against_previous_std() {
        // min 4 samples; OBI alternates so velocities are 0.1, 0.1, 0.3, 0.3 (std of
        // [0.1, 0.1, 0.3, 0.3] = sqrt(0.04 / 3) = 0.11547), then a velocity of 0.5:
        // 0.5 > 2 × 0.11547 = 0.23094 -> churn; 0.2 is not.
        let mut tracker = ObiTracker::new(2, 300, 4, 2.0, 0.05);
        for obi in [0.0, 0.0, 0.1, 0.1, 0.4, 0.4] {
            let reading = tracker.push(Some(obi));
            assert_eq!(reading.churn, None);
        }
        let reading = tracker.push(Some(0.9));
        assert!((reading.velocity.unwrap() - 0.5).abs() < 1e-12);
        assert!((reading.velocity_std - (0.04f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(reading.churn, Some(true));
        // Next: |0.6 − 0.4| = 0.2 against std of [0.1, 0.1, 0.3, 0.3, 0.5] = sqrt(0.112 / 4)
        // = 0.1673 -> 0.2 < 0.335.
        let reading = tracker.push(Some(0.6));
        assert_eq!(reading.churn, Some(false));
    }
}
