//! The dashboard server of auction-trader (SPEC 8): a JSON API over the stored backtest runs
//! (`runs/<name>/execution.db`, `signals.db`, `metrics.json`, `config.yaml`), the grid results
//! (`grid.db`) and the stored trades (volume profiles), and the front end built from `web/`,
//! embedded in the binary so the page works with no internet.
//!
//! Routes (every answer JSON; errors are `{"error": "..."}` with a 4xx/5xx status and never
//! carry internals, see [`ApiError`]):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/runs` | every run with its headline metrics |
//! | `GET /api/runs/{name}` | summary, row counts, `metrics.json`, `config.yaml` (404 when missing) |
//! | `GET /api/runs/{name}/bars[?layout=columns]` | `market_bars`: OHLC with VAH/VAL/POC at each close |
//! | `GET /api/runs/{name}/trades[?layout=columns]` | the closed trades with their exit legs |
//! | `GET /api/runs/{name}/equity[?layout=columns]` | the equity curve |
//! | `GET /api/runs/{name}/footprint?from=&to=&bin=` | buy/sell volume per price bin per minute (default: the last 30 bars) |
//! | `GET /api/runs/{name}/performance` | P&L by day/week/month, drawdown, rolling Sharpe |
//! | `GET /api/runs/{name}/heat` | open risk to the stops / equity after each entry and exit |
//! | `GET /api/runs/{name}/signals?kind=signal,near_miss` | signals.db rows |
//! | `GET /api/runs/{name}/profile?from=&to=&bins=&bin=` | volume profile from the stored trades |
//! | `GET /api/runs/{name}/orderflow?from=&to=` | OF, qimb, ambiguous fraction per minute with the SPEC 2.4 tests (default: the last 120 minutes) |
//! | `GET /api/runs/{name}/fill-models` | the `fills compare` report beside the run, or null |
//! | `GET /api/grids` | every grid of the grid databases |
//! | `GET /api/grids/{id}?sort=&order=asc\|desc&where=&limit=` | one grid's rows |
//! | `GET /api/live` | the live session's state (`serve --session D`) |
//! | `GET /api/live/ws` | the same state pushed over a WebSocket whenever it changes |
//! | `POST /api/live/control` | trading on (`"confirm": true` needed) or off |
//!
//! It reads, never writes — except the session's control row through the live crate's
//! `operator_set`, the write of `auction-trader control`. It depends on the live crate (the
//! session's published state and control) and nothing above it (only the CLI sits above).

mod assets;
mod error;
mod footprint;
mod grids;
mod heat;
mod library;
mod live;
mod orderflow;
mod performance;
mod profile;
mod routes;
mod runs;
mod server;

pub use assets::{ASSETS, Asset, asset};
pub use error::ApiError;
pub use library::{Library, check_name};
pub use live::{ControlRequest, LiveAnswer};
pub use routes::router;
pub use server::{RunningServer, ServeOptions, check_bind, serve_until_interrupted};
