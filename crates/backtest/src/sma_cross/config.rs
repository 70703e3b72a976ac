//! `strategy.sma_cross` keys.

use serde::{Deserialize, Serialize};

/// Which side the crossover trades.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmaDirection {
    /// Long after a cross above, flat after a cross below.
    #[default]
    Long,
    /// Short after a cross below, flat after a cross above.
    Short,
    /// Always on the side of the last cross.
    Both,
}

/// The dual moving-average crossover's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmaCrossConfig {
    /// Fast window in bars.
    pub fast: u32,
    /// Slow window in bars (larger than `fast`).
    pub slow: u32,
    pub direction: SmaDirection,
}

impl Default for SmaCrossConfig {
    fn default() -> Self {
        Self {
            fast: 10,
            slow: 30,
            direction: SmaDirection::Long,
        }
    }
}

impl SmaCrossConfig {
    /// Windows of at least one bar, fast shorter than slow.
    pub fn validate(&self) -> Result<(), String> {
        if self.fast == 0 || self.slow == 0 {
            return Err(format!(
                "fast and slow must be at least 1 bar, got fast {} slow {}",
                self.fast, self.slow
            ));
        }
        if self.fast >= self.slow {
            return Err(format!(
                "fast ({}) must be shorter than slow ({})",
                self.fast, self.slow
            ));
        }
        Ok(())
    }
}
