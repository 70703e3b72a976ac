//! A local mock exchange for tests and paper sessions (SPEC 7: the venues' protocols proven
//! on loopback): it replays real Binance USD-M captures (SPEC 1.2 capture format) over the
//! production protocol of **Binance USD-M** or, converted, of **Bybit v5 linear** — WebSocket
//! and REST on one port of 127.0.0.1, the same paths as production — keeps accounts whose
//! orders are matched by the backtest's own simulated exchange (SPEC 5: queue, latency, fees;
//! a mock fill is what the backtest gives on the same events), and injects faults on command.
//!
//! # Replay
//! - The capture files are read with the data crate's input reader and decoded with its
//!   capture importer, one line at a time: each frame keeps its recorded JSON, sent byte for
//!   byte on Binance, and the events the importer makes of it (fed to the book and to every
//!   account's simulated exchange).
//! - The replay starts with the first depth frame that bridges the capture's REST snapshot
//!   (earlier frames are skipped, see [`capture`]); the snapshot is the book at the start.
//! - Pace: recorded local time / `speed` ([`Speed::Factor`]), or [`Speed::AsFastAsRead`]
//!   (`--speed max`: the slowest subscriber sets the pace; for tests).
//! - Clock start: by default at the first market-data subscription
//!   ([`MockConfig::wait_for_client`]), so a client sees the capture from its first frame;
//!   off, at once.
//! - End: after the last frame every WebSocket gets a normal close frame (1000), the server
//!   stops and [`MockServer::wait`] returns the [`MockSummary`] (the CLI prints it as one
//!   line and exits).
//!
//! # Control API (`/mock/...`; JSON answers)
//! | request | effect |
//! |---|---|
//! | `GET /mock/status` | phase, counters (frames, depth frames, messages, orders, fills, duplicate client ids, signature failures, slow disconnects), faults pending and injected, accounts (position, reported position, cash, fees, realized P&L, open orders) |
//! | `POST /mock/drop` | drops every WebSocket at once, without a close frame (clients reconnect) |
//! | `POST /mock/delay?ms=M` | stalls the replay M ms before the next frame (later frames keep their spacing: a feed delay) |
//! | `POST /mock/reorder?n=N` | swaps the next N pairs of depth messages on the wire (Binance: `pu` of the first sent no longer matches; Bybit: `u` goes back) |
//! | `POST /mock/gap?n=N` | skips the next N depth messages on the wire (default 1): a `pu`/`u` break |
//! | `POST /mock/reject?n=N` | rejects the next N orders (Binance `-2010`, Bybit `110007`) |
//! | `POST /mock/position?qty=Q[&account=I]` | the venue reports position Q (signed) from now on: the difference to the simulated position is kept as an offset (a reconciliation mismatch) |
//!
//! Faults on the wire never change the venue's own state: the book behind the REST snapshot
//! and the simulated exchanges still see every frame, so a client that resyncs is right again.
//!
//! # Accounts and signing
//! One account per key pair ([`Credentials`]; default [`DEFAULT_API_KEY`] /
//! [`DEFAULT_API_SECRET`]); requests are verified as the venues do (HMAC-SHA256, see
//! [`signing`]); a wrong signature gets the venue's error (Binance `-1022`, Bybit `10004`).
//!
//! Depends on types, data (capture import), book and execution (the simulated exchange); it
//! knows nothing of the engine, strategies, the live runner or the venue clients.

pub mod account;
pub mod capture;
mod config;
mod connections;
mod control;
mod error;
mod faults;
pub mod format;
mod params;
mod server;
pub mod signing;
mod state;
mod wall_clock;

mod binance;
mod bybit;

pub use capture::Replay;
pub use config::{
    Credentials, DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_BALANCE_UNITS, MockConfig, Speed,
    Venue,
};
pub use error::MockError;
pub use server::{MockServer, MockSummary, run_blocking};
