//! Live sessions of auction-trader (SPEC 7): dry-run, paper, shadow and live modes on the one
//! engine of the engine crate. A session consumes [`FeedMessage`]s from a [`FeedSource`] (a
//! replay of capture files now; a venue adapter of the venues crate), keeps the L2 book with
//! the book crate exactly as `book verify` does and checks it against every quote, runs the
//! engine with the simulated exchange (paper, shadow) or a [`TradingGateway`] (live), and
//! keeps its state in one data directory: the raw journal of everything received (48 h
//! retention), `execution.db` (orders written before they are sent, fills, positions,
//! round-trip latencies, 5-minute state snapshots, alerts) and `control.db` (trading
//! enabled or not, flipped by `auction-trader control`).
//!
//! Every session starts in observe mode; a restart replays the journal through the engine
//! (the warm-up from recorded data), checks every regenerated order and fill against
//! execution.db (no order is sent twice: client order ids are derived from the engine's
//! deterministic ids), asks a live venue for the record of every order still open (the fills
//! it made while the process was down), and reconciles the position with the venue
//! (mismatch → alert and halt).
//!
//! Owns: [`Session`], [`FeedSource`], [`Mode`], [`ExecutionLog`], [`Control`], [`Metrics`]
//! (Prometheus text), the published live state the dashboard reads ([`read_live_view`]), [`Alerts`] (webhook), the kill switches, the daily report and the
//! paper-vs-backtest comparison. Depends on the engine and backtest crates (the one way to
//! build an engine from a config) and the venues crate's vocabulary; the CLI is thin glue
//! over it. Wall-clock time enters only through the injected [`Clock`].
//!
//! [`FeedMessage`]: auction_trader_venues::FeedMessage
//! [`TradingGateway`]: auction_trader_venues::TradingGateway
//! [`Clock`]: auction_trader_venues::Clock

pub mod alerts;
pub mod book_check;
pub mod clock;
pub mod config;
pub mod control;
mod error;
pub mod execution_log;
pub mod feed_source;
pub mod gate;
pub mod gateway_venue;
pub mod kill_switch;
pub mod live_state;
pub mod metrics;
pub mod metrics_server;
pub mod mode;
pub mod paper_vs_backtest;
pub mod raw_journal;
pub mod recorder;
pub mod report;
pub mod session;
pub mod shadow;
pub mod venue_orders;

pub use alerts::{Alert, AlertKind, Alerts};
pub use auction_trader_venues::Clock;
pub use clock::SystemClock;
pub use config::{LiveSettings, SessionConfig};
pub use control::{Control, ControlState, operator_set, read_control};
pub use error::LiveError;
pub use execution_log::ExecutionLog;
pub use feed_source::FeedSource;
pub use live_state::{LiveView, PublishedState, read_live_view};
pub use metrics::Metrics;
pub use mode::Mode;
pub use session::{Session, SessionOptions, SessionSummary};
