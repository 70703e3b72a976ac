//! Strategies of auction-trader and the [`Strategy`] trait the engine drives in every mode
//! (backtest, paper, shadow, dry-run, live): a strategy sees market events, per-minute
//! [`FeatureSnapshot`](auction_trader_features::FeatureSnapshot)s and its own position, and
//! answers with trade intents, exit requests, direct order commands and signal-log records.
//! It never knows which mode it runs in and never performs I/O: the runner writes the signal
//! log (signals.db) and risk sizes the intents.
//!
//! Strategies: [`AuctionStrategy`] (SPEC 3.1 auction setups, module [`auction`]),
//! [`DrainStrategy`] (SPEC 3.2 liquidity-drain reversal on the toxicity filters, module
//! [`drain`]) and [`MeanReversionStrategy`] (SPEC 3.3 statistical mean reversion, module
//! [`mean_reversion`]), [`ModelScoreStrategy`] (SPEC 3.3 model-scored variant: a
//! gradient-boosted model over the research features computed online, module
//! [`model_score`]), and [`RequoteStrategy`] (module [`requote`]: an operating check that
//! quotes at the touch and trades within seconds, not a SPEC family).
//!
//! Depends on `types`, `features`, `research` and `model` (the tree ensemble it scores with,
//! handed in already loaded) only; it must not depend on risk, execution, the engine, storage
//! or any I/O.

pub mod api;
pub mod auction;
pub mod drain;
mod error;
pub mod mean_reversion;
pub mod model_score;
pub mod requote;

pub use api::{
    Actions, Direction, EntryOrder, ExitReason, ExitRequest, PositionView, SetupKind, SignalRecord,
    SignalRecordKind, Strategy, StrategyContext, TradeIntent,
};
pub use auction::{
    AuctionConfig, AuctionCounters, AuctionStrategy, BreakoutEntry, EntryOrderMode, PriceDistance,
};
pub use drain::{DrainConfig, DrainCounters, DrainStrategy};
pub use error::StrategyError;
pub use mean_reversion::{MeanReversionConfig, MeanReversionCounters, MeanReversionStrategy};
pub use model_score::{ModelScoreConfig, ModelScoreCounters, ModelScoreStrategy, ScoringWindow};
pub use requote::{RequoteConfig, RequoteCounters, RequoteSides, RequoteStrategy};
