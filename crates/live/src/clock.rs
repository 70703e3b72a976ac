//! The wall clock of live code, injected as the venues crate's [`Clock`].

use auction_trader_types::UnixNanos;
use auction_trader_venues::Clock;

/// The system clock (UTC nanoseconds since the epoch).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place live code reads the wall clock.
    fn now(&self) -> UnixNanos {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        UnixNanos(i64::try_from(nanos).unwrap_or(i64::MAX))
    }
}
