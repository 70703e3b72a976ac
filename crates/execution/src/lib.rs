//! The simulated exchange of auction-trader (SPEC 5: one fill model, identical in backtest and
//! paper): [`SimulatedExchange`] for one instrument — L2 walking for market orders (quote-size
//! limits without depth, our own taken liquidity remembered until the venue refills it), queue
//! models for resting limits ([`QueueModelKind`]: the 0.3 rule, risk-averse, probabilistic power
//! and log forms, seeded random position; our own orders queue behind each other), order-entry
//! and cancel latency (fixed, seeded uniform, or interpolated from recorded round trips),
//! post-only and reduce-only, timeouts (cancel or convert to market), maker/taker fees, funding
//! (fixed or recorded) — configured by [`FillModelConfig`], the [`Account`] ledger shared with
//! the engine (linear or inverse valuation), and the dynamic cost model
//! ([`cost_model::estimate_cost`], SPEC 5).
//!
//! Depends on `auction-trader-types` and `auction-trader-book` only: it knows nothing of
//! storage, features, strategies or risk (they sit above it or beside it).

mod account;
mod config;
pub mod cost_model;
mod error;
mod exchange;
mod market;
mod own_liquidity;
mod queue;
mod recent_market;
mod recorded_latency;
mod typical_spread;
mod unknown_depth;

pub use account::Account;
pub use config::{
    BeyondTouchPricing, FillModelConfig, FundingSource, LatencyConfig, LatencyModel, QueueModelKind,
};
pub use error::ExecutionError;
pub use exchange::{ExchangeCounters, SimulatedExchange};
