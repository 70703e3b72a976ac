//! Risk rules of SPEC 4 for every strategy family: position sizing with the leverage cap,
//! the TP1/TP2 split and breakeven stop, max hold with trailing while profitable net of fees,
//! cooldown after a full exit, flip on an opposite signal, the daily kill switch and heat.
//! [`RiskManager`] ties them together for the engine.
//!
//! Pure and deterministic: no clock (time is passed in), no I/O, exact fixed-point maths
//! (`i128` products; `f64` only in the heat ratio shown to people). Depends on `types` only
//! (`TradeIntent`, `Direction` and `ExitReason` live there); never on strategy, execution or
//! the engine.
//! [`CircuitBreaker`]: the drain strategy's 2-of-3 breaker (session signal count, rolling win
//! rate, day drawdown → half size until the session ends), applied by [`RiskManager`] when
//! `RiskConfig::circuit_breaker` is set.

mod circuit_breaker;
mod config;
mod cooldown;
mod daily_loss;
mod decimal_serde;
mod error;
mod flip;
mod heat;
mod manager;
mod margin;
mod max_hold;
mod sizing;
mod targets;
#[cfg(test)]
mod test_support;
mod value;

pub use circuit_breaker::{
    Breaches, CircuitBreaker, CircuitBreakerConfig, Session, SessionBaselines, SignalTest,
    scale_quantity, signal_z_score,
};
pub use config::{MAX_LEVERAGE_LIMIT, RiskConfig};
pub use cooldown::Cooldown;
pub use daily_loss::DailyLossGuard;
pub use error::RiskError;
pub use flip::{SignalDecision, decide_on_signal};
pub use heat::{Heat, OpenRisk};
pub use manager::{EntryPlan, EntryRejection, RiskManager};
pub use margin::{available_margin, initial_margin};
pub use max_hold::{HoldDecision, MaxHoldTimer, profitable_net_of_fees};
pub use sizing::{Sizing, SizingRejection, size_position};
pub use targets::{TargetSplit, split_targets, stop_after_take_profit_1, stop_exit_reason};
pub use value::position_value;
