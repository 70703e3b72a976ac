//! Reconnect delays (SPEC 7: "WebSocket reconnect with exponential backoff capped at 60 s"):
//! `base · 2^attempt`, capped, then jittered into `[d/2, d]` by a seeded generator so two
//! clients do not reconnect in lockstep and tests see the same delays every run.

use std::time::Duration;

use auction_trader_types::SplitMix64;

/// Exponential backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The un-jittered delay before reconnect attempt `attempt` (0 = the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1_u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// Seeded jitter of reconnect delays.
#[derive(Debug, Clone)]
pub struct Jitter {
    random: SplitMix64,
}

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Self {
            random: SplitMix64::new(seed),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.random.next_u64()
    }

    /// `delay` scaled into `[delay/2, delay]`.
    pub fn apply(&mut self, delay: Duration) -> Duration {
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        let half = nanos / 2;
        let spread = nanos - half;
        let extra = if spread == 0 {
            0
        } else {
            self.next_u64() % (spread + 1)
        };
        Duration::from_nanos(half + extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff.delay(400), Duration::from_secs(60));
    }

    #[test]
    fn jitter_is_seeded_and_bounded() {
        // SplitMix64 from seed 0: first output 0xe220a8397b1dcdaf (the reference sequence).
        assert_eq!(Jitter::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
        let mut first = Jitter::new(7);
        let mut second = Jitter::new(7);
        for attempt in 0..20 {
            let delay = Backoff::default().delay(attempt);
            let jittered = first.apply(delay);
            assert_eq!(jittered, second.apply(delay));
            assert!(jittered >= delay / 2 && jittered <= delay);
        }
    }
}
