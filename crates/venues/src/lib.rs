//! Venue adapters (SPEC 1.2, 5, 7): the connections of paper, shadow and live modes to Bybit v5
//! and Binance USD-M — public market data over WebSocket with the REST snapshot procedure,
//! the private streams and the signed REST order endpoints.
//!
//! Owns: one folder per venue (`common/`, `http/`, `websocket/`, `config.rs`; recorded
//! messages under `test_data/` with a sources note), the [`feed`] vocabulary every market-data
//! connection delivers ([`FeedMessage`]) and the [`gateway`] vocabulary of the trading side
//! ([`TradingGateway`]). Message *decoding* is the data crate's (one decoder per venue, shared
//! with the capture importer); this crate adds the network. It must not depend on the engine,
//! strategy, risk, storage or the CLI, and it never reads a wall clock itself: callers inject
//! a [`feed::Clock`].

pub mod binance_usdm;
pub mod bybit;
pub mod client_ids;
pub mod endpoint;
mod error;
pub mod feed;
pub mod gateway;

pub use client_ids::ClientIds;
pub use endpoint::Endpoints;
pub use error::VenueError;
pub use feed::{Clock, FeedMessage, ResyncReason};
pub use gateway::{TradingGateway, VenueOrder, VenueOrderStatus, VenuePosition};
