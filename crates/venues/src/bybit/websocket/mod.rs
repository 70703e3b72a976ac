//! Bybit v5 WebSocket streams: the connection helpers ([`connection`]), the public feed with
//! the order-book sequence procedure ([`public`], [`book_sequence`]) and the private stream
//! ([`private`], its messages in [`private_messages`]).

pub mod book_sequence;
pub mod connection;
pub mod private;
pub mod private_messages;
pub mod public;
