//! The four session modes of SPEC 7 (backtest is the backtest crate's).

use std::fmt;
use std::str::FromStr;

/// How a session executes. The strategy never knows which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Data, features and signals; no order ever reaches a venue.
    DryRun,
    /// The backtest fill model (the simulated exchange) against the live book.
    Paper,
    /// Paper, continuously compared with a backtest replay of the same recorded data.
    Shadow,
    /// Real orders through a venue gateway.
    Live,
}

impl Mode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DryRun => "dry-run",
            Self::Paper => "paper",
            Self::Shadow => "shadow",
            Self::Live => "live",
        }
    }

    /// Whether orders may be sent at all (everything but dry-run).
    pub const fn executes(self) -> bool {
        !matches!(self, Self::DryRun)
    }

    /// Whether fills come from the simulated exchange.
    pub const fn simulated(self) -> bool {
        matches!(self, Self::DryRun | Self::Paper | Self::Shadow)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "dry-run" => Ok(Self::DryRun),
            "paper" => Ok(Self::Paper),
            "shadow" => Ok(Self::Shadow),
            "live" => Ok(Self::Live),
            other => Err(format!(
                "unknown mode {other:?} (dry-run, paper, shadow, live)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_names() {
        for mode in [Mode::DryRun, Mode::Paper, Mode::Shadow, Mode::Live] {
            assert_eq!(mode.as_str().parse::<Mode>(), Ok(mode));
        }
        assert!("backtest".parse::<Mode>().is_err());
        assert!(!Mode::DryRun.executes());
        assert!(Mode::Shadow.simulated());
        assert!(!Mode::Live.simulated());
    }
}
