//! Exponential reconnect backoff with jitter (SPEC 7: capped at 60 s). The jitter comes from a
//! seeded SplitMix64 generator: the same seed gives the same delays (no unseeded randomness).

use auction_trader_types::SplitMix64;

use super::super::config::BackoffOptions;

/// The hard cap of any reconnect delay (SPEC 7).
const CAP_MS: u64 = 60_000;

/// Delays of consecutive reconnect attempts: `initial × 2^attempt`, capped, then "equal
/// jitter" (half the delay fixed, the other half drawn uniformly), so that many clients
/// dropped together do not reconnect together.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    attempt: u32,
    jitter: SplitMix64,
}

impl Backoff {
    pub fn new(options: &BackoffOptions) -> Self {
        Self {
            initial_ms: options.initial_ms.max(1),
            max_ms: options.max_ms.clamp(1, CAP_MS),
            attempt: 0,
            jitter: SplitMix64::new(options.jitter_seed),
        }
    }

    /// After a connection that worked: the next delay starts from `initial` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The delay before the next attempt, ms (never above the cap).
    pub fn next_delay_ms(&mut self) -> u64 {
        let exponent = self.attempt.min(20);
        self.attempt = self.attempt.saturating_add(1);
        let full = self
            .initial_ms
            .saturating_mul(1_u64 << exponent)
            .min(self.max_ms);
        let half = full / 2;
        half + self.jitter.next_u64() % (full - half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seed: u64) -> BackoffOptions {
        BackoffOptions {
            initial_ms: 100,
            max_ms: 60_000,
            jitter_seed: seed,
        }
    }

    #[test]
    fn delays_double_within_their_jitter_band_and_stop_at_sixty_seconds() {
        let mut backoff = Backoff::new(&options(7));
        // Attempt k: full = min(100 * 2^k, 60000); delay in [full / 2, full].
        for attempt in 0..16_u32 {
            let full = (100_u64 << attempt).min(60_000);
            let delay = backoff.next_delay_ms();
            assert!(
                (full / 2..=full).contains(&delay),
                "attempt {attempt}: {delay} not in [{}, {full}]",
                full / 2
            );
        }
        backoff.reset();
        assert!(backoff.next_delay_ms() <= 100);
    }

    #[test]
    fn the_same_seed_gives_the_same_delays_and_another_seed_others() {
        let run = |seed| {
            let mut backoff = Backoff::new(&options(seed));
            (0..8).map(|_| backoff.next_delay_ms()).collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn a_configured_maximum_above_sixty_seconds_is_capped() {
        let mut backoff = Backoff::new(&BackoffOptions {
            initial_ms: 50_000,
            max_ms: 600_000,
            jitter_seed: 3,
        });
        for _ in 0..5 {
            assert!(backoff.next_delay_ms() <= 60_000);
        }
    }
}
