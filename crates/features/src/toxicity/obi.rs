//! Order-book imbalance churn, SPEC 2.5: OBI over the top 20 levels sampled once a second,
//! `ΔOBI = OBI[t] − OBI[t − 2 s]` (signed), high churn when `|ΔOBI|` exceeds 2 × the std of the
//! signed changes over the last 300 samples (about 5% of seconds under a Gaussian null; the
//! std of `|ΔOBI|` would flag about 23%); with fewer than 100 samples the symbol's historical
//! baseline std is reported and no churn signal is emitted.

use std::collections::VecDeque;

use super::stats::sample_std;

/// One second's OBI reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObiReading {
    pub obi: Option<f64>,
    /// Signed `ΔOBI` over the lag.
    pub velocity: Option<f64>,
    /// The std of the signed changes it was judged against (the baseline during warm-up).
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
        let velocity = obi.zip(lagged).map(|(now, then)| now - then);
        // The std comes from the previous samples: a baseline never contains the value tested.
        let warm = self.velocities.len() >= self.min_samples.max(2);
        let velocity_std = if warm {
            sample_std(self.velocities.iter().copied()).unwrap_or(self.baseline_std)
        } else {
            self.baseline_std
        };
        let churn = velocity
            .filter(|_| warm)
            .map(|value| value.abs() > self.multiple * velocity_std);
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
        // Signed: −0.2 − 0.1 = −0.3
        let reading = tracker.push(Some(-0.2));
        assert!((reading.velocity.unwrap() + 0.3).abs() < 1e-12);
        // Warm-up: baseline std, no churn signal.
        assert_eq!((reading.velocity_std, reading.churn), (0.05, None));
        // A missing sample two seconds back gives no velocity.
        tracker.push(None);
        tracker.push(Some(0.0));
        assert_eq!(tracker.push(Some(0.0)).velocity, None);
    }

    #[test]
    fn churn_after_warm_up_against_the_std_of_signed_changes() {
        // min 4 samples; OBI 0, 0, 0.1, 0.1, 0, 0 gives signed changes 0.1, 0.1, −0.1, −0.1:
        // std (n − 1) = sqrt(0.04 / 3) = 0.11547. (The std of the absolute values would be 0.)
        let mut tracker = ObiTracker::new(2, 300, 4, 2.0, 0.05);
        for obi in [0.0, 0.0, 0.1, 0.1, 0.0, 0.0] {
            let reading = tracker.push(Some(obi));
            assert_eq!(reading.churn, None);
        }
        // Next change −0.25: |−0.25| > 2 × 0.11547 = 0.23094 -> churn.
        let reading = tracker.push(Some(-0.25));
        assert!((reading.velocity.unwrap() + 0.25).abs() < 1e-12);
        assert!((reading.velocity_std - (0.04f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(reading.churn, Some(true));
        // Then 0.0 − 0.0 = 0 against the std of [0.1, 0.1, −0.1, −0.1, −0.25] -> no churn.
        let reading = tracker.push(Some(0.0));
        assert_eq!(reading.churn, Some(false));
    }

    #[test]
    fn gaussian_changes_flag_about_five_percent() {
        // Independent N(0, 0.1) OBI changes from a seeded generator (Box–Muller on an LCG):
        // the share of |ΔOBI| > 2σ must sit near 4.6%, far from the 23% of the absolute rule.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut tracker = ObiTracker::new(1, 300, 100, 2.0, 0.05);
        let mut obi = 0.0;
        let (mut judged, mut churn) = (0u32, 0u32);
        for _ in 0..20_000 {
            let normal = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
            obi += 0.1 * normal;
            if let Some(flag) = tracker.push(Some(obi)).churn {
                judged += 1;
                churn += u32::from(flag);
            }
        }
        let share = f64::from(churn) / f64::from(judged);
        assert!((0.035..0.06).contains(&share), "{share}");
    }
}
