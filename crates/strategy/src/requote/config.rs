//! Parameters of the requoting strategy and their checks.

use serde::{Deserialize, Serialize};

use crate::error::{StrategyError, invalid};

/// Which side the next entry takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequoteSides {
    /// Long first, then the other side after each closed position.
    #[default]
    Alternate,
    Long,
    Short,
}

/// Requoting parameters (all distances in ticks of the instrument).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequoteConfig {
    pub sides: RequoteSides,
    /// The entry rests this many ticks behind the touch (0: at the best bid for a long, the
    /// best ask for a short).
    pub offset_ticks: u32,
    /// An unfilled entry is cancelled after this many ms and posted again at the touch.
    pub requote_ms: u32,
    /// Target and stop, in ticks from the entry price.
    pub take_profit_ticks: u32,
    pub stop_ticks: u32,
    /// The position is closed (`strategy` exit) this many seconds after its entry.
    pub hold_seconds: u32,
    /// Flat pause after a closed position before the next entry, in ms.
    pub pause_ms: u32,
}

impl Default for RequoteConfig {
    fn default() -> Self {
        Self {
            sides: RequoteSides::Alternate,
            offset_ticks: 0,
            requote_ms: 2_000,
            take_profit_ticks: 5,
            stop_ticks: 20,
            hold_seconds: 20,
            pause_ms: 1_000,
        }
    }
}

impl RequoteConfig {
    pub fn validate(&self) -> Result<(), StrategyError> {
        if self.requote_ms == 0 {
            return Err(invalid("requote_ms", "must be at least 1"));
        }
        if self.take_profit_ticks == 0 {
            return Err(invalid("take_profit_ticks", "must be at least 1"));
        }
        if self.stop_ticks == 0 {
            return Err(invalid("stop_ticks", "must be at least 1"));
        }
        if self.hold_seconds == 0 {
            return Err(invalid("hold_seconds", "must be at least 1"));
        }
        Ok(())
    }
}
