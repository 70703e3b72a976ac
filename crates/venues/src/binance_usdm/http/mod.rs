//! The REST side of Binance USD-M: HMAC-SHA256 query signing, the request weight budget, the
//! public depth snapshot, and the signed order, account and listen-key endpoints.

mod client;
mod models;
mod signing;

pub use client::{Method, RestClient, order_query};
pub use models::{ApiError, Balance, ListenKey, OrderResponse, PositionRisk, UserTrade};
pub use signing::sign;
