//! [`TickDivisor`]: exact division of raw prices by the book's tick with one multiplication
//! instead of a hardware divide. Every depth row of a replay turns its price into a tick index
//! (SPEC 1.5 book reconstruction), and a 64-bit divide costs more than the rest of a level
//! update.

/// Divides unsigned 64-bit integers by a fixed divisor `d`.
///
/// `magic = floor((2^64 - 1) / d)`, so `2^64 - d <= magic * d < 2^64`. For any `n < 2^64` the
/// estimate `floor(n * magic / 2^64)` then lies in `(n/d - 1, n/d]`: it is the quotient or one
/// less, and one comparison of the remainder with `d` corrects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TickDivisor {
    divisor: u64,
    magic: u64,
}

impl TickDivisor {
    /// A divisor of `divisor`; 0 stands for "no tick yet": every division then reports the
    /// dividend as its remainder (and a meaningless quotient), so no positive price is taken
    /// as on the grid.
    pub(crate) fn new(divisor: u64) -> Self {
        Self {
            divisor,
            magic: u64::MAX.checked_div(divisor).unwrap_or(0),
        }
    }

    /// `(n / d, n % d)` (for `d = 0`, see [`Self::new`]).
    #[inline]
    pub(crate) fn div_rem(self, n: u64) -> (u64, u64) {
        let estimate = ((u128::from(n) * u128::from(self.magic)) >> 64) as u64;
        // estimate * d <= n: no overflow, no underflow.
        let remainder = n - estimate * self.divisor;
        if remainder >= self.divisor {
            (estimate + 1, remainder - self.divisor)
        } else {
            (estimate, remainder)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hand_worked_quotients_and_remainders() {
        // 61,800.2 USDT at a 0.1 tick: 618,002 ticks, on the grid.
        let tick = TickDivisor::new(100_000_000);
        assert_eq!(tick.div_rem(61_800_200_000_000), (618_002, 0));
        // 61,800.25 is half a tick off the grid.
        assert_eq!(tick.div_rem(61_800_250_000_000), (618_002, 50_000_000));
        assert_eq!(TickDivisor::new(1).div_rem(u64::MAX), (u64::MAX, 0));
        assert_eq!(TickDivisor::new(u64::MAX).div_rem(u64::MAX), (1, 0));
        assert_eq!(
            TickDivisor::new(u64::MAX).div_rem(u64::MAX - 1),
            (0, u64::MAX - 1)
        );
        assert_eq!(TickDivisor::new(3).div_rem(0), (0, 0));
        // No tick yet: nothing divides.
        assert_eq!(TickDivisor::new(0).div_rem(42).1, 42);
    }

    /// Divisors across the whole range: small, powers of two and their neighbours, large.
    fn divisor() -> impl Strategy<Value = u64> {
        prop_oneof![
            1_u64..1_000,
            (0_u32..64).prop_map(|shift| 1_u64 << shift),
            (1_u32..64).prop_map(|shift| (1_u64 << shift) - 1),
            (0_u32..63).prop_map(|shift| (1_u64 << shift) + 1),
            1_u64..=u64::MAX,
        ]
    }

    fn dividend() -> impl Strategy<Value = u64> {
        prop_oneof![
            0_u64..1_000_000,
            (0_u64..1_000_000).prop_map(|low| u64::MAX - low),
            any::<u64>(),
        ]
    }

    proptest! {
        #[test]
        fn equals_hardware_division(n in dividend(), d in divisor()) {
            prop_assert_eq!(TickDivisor::new(d).div_rem(n), (n / d, n % d));
        }

        #[test]
        fn exact_multiples_have_no_remainder(q in any::<u32>(), d in divisor()) {
            if let Some(n) = u64::from(q).checked_mul(d) {
                prop_assert_eq!(TickDivisor::new(d).div_rem(n), (u64::from(q), 0));
            }
        }
    }
}
