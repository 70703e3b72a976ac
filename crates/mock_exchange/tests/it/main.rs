//! Integration tests of the mock exchange over loopback: real WebSocket and HTTP clients
//! against a server replaying the shared Binance USD-M capture (each test bounded well under
//! 10 s by `--speed max` or a high speed).

mod binance_market;
mod binance_trading;
mod bybit_market;
mod bybit_trading;
mod faults;
mod support;
