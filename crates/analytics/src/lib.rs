//! Backtest analytics (SPEC 6) over the records a run produces ([`RunRecords`], defined in
//! the types crate: trades with exit legs, equity curve, orders, fills, funding, price bars):
//! the global metrics computed from them ([`compute_metrics`]: P&L decomposition, Sharpe/Sortino on daily returns, drawdown,
//! trade statistics, fill rate, spread and slippage distributions, ...), CSV exports, the
//! self-contained HTML report ([`render_html`]) and the terminal summary ([`summary_table`],
//! [`metrics_json`]), with money shown with thousands separators and its currency
//! ([`display`]), the fill-model comparison of one strategy under each queue model
//! ([`FillModelComparison`]), and the drain strategy's research reports ([`drain_research`]).
//!
//! This crate depends only on `types`: the engine fills the record types; analytics never
//! depends on strategy, risk, execution or the engine. Everything here is deterministic (no
//! wall clock, fixed float formats), so identical runs produce identical reports.

mod csv_export;
pub mod daily;
pub mod display;
pub mod drain_research;
pub mod drawdown;
mod error;
mod fill_models;
mod legs;
mod metrics;
pub mod periods;
mod report;
pub mod statistics;
mod summary;
#[cfg(test)]
mod test_support;

pub use csv_export::{write_equity_csv, write_trades_csv};
pub use daily::{DayEnd, daily_equity, daily_returns};
pub use drawdown::{Drawdown, MaxDrawdowns, max_drawdowns};
pub use error::AnalyticsError;
pub use fill_models::{FillModelComparison, FillModelRow};
pub use legs::leg_net_pnls;
pub use metrics::{
    ExitReasonStats, Metrics, SetupStats, compute_metrics, maker_filled_limit_orders,
};
// The record types are re-exported so report users need one import.
pub use auction_trader_types::{
    EquityPoint, ExitLeg, FillRecord, OrderRecord, PriceBar, RunRecords, TradeRecord,
};
pub use report::{DRAIN_SECTION_ID, drain_research_html, render_html, with_drain_section};
pub use statistics::{Distribution, ReturnStatistics};
pub use summary::{
    MIN_DAILY_RETURNS, metrics_json, small_sample_caveat, summary_rows, summary_table,
};
