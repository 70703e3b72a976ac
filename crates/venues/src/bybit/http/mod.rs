//! Bybit v5 REST: the signed client ([`client`]), request bodies and queries ([`query`]),
//! response models in fixed point ([`models`]) and one typed call per endpoint
//! ([`endpoints`]).

pub mod client;
pub mod endpoints;
pub mod models;
pub mod query;

pub use client::HttpClient;
