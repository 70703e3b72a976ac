//! Importers, one small module per source format (SPEC 1.2). Each pushes events into an
//! [`crate::EventSink`] in source order and quarantines bad rows with file, line and reason.

pub mod bars_csv;
pub mod binance_archive;
pub mod binance_capture;
pub mod bitflyer;
pub mod bybit;
pub mod bybit_orderbook;
pub mod bybit_ws;
pub mod format;
pub mod generic_csv;
pub mod tardis;
pub mod timestamp;
