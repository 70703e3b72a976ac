//! The research reports of the liquidity-drain strategy (SPEC 6), built from a run's trades
//! (execution.db) and the strategy's signals.db rows:
//! - **cost-adjusted P&L**: gross, fees, funding, slippage (inside gross), net, and fees as a
//!   share of the gross edge;
//! - **signal half-life** per symbol × session: the last estimate the strategy recorded (the
//!   one its time exit used) with the ADF test of the recent mids beside it (SPEC 2.6);
//! - **signal distribution vs profitability** by UTC hour, session and volatility tercile, with
//!   toxic periods identified;
//! - **losing-trade autopsy**: every losing trade tagged with the book CTR, absorption, OBI
//!   velocity, regime and spread widening at entry, the worst decile marked, grouped into
//!   failure patterns;
//! - **fill rates** per placement against SPEC 3.2's expected ranges;
//! - **toxicity-filter validation**: the same strategy on raw depth vs filtered depth, against
//!   the seeds' expectations.
//!
//! Exact rules (documented in docs/drain.md):
//! - A *signal* is a REAL_PRESSURE drain verdict (what the strategy acts on); trades are linked
//!   to their signal by `signal_ts` (the verdict's row time); a trade is won when its net P&L
//!   is positive.
//! - Volatility terciles cut the signals' one-minute realized volatility at its 1/3 and 2/3
//!   quantiles (linear interpolation); signals without a reading are `unknown`.
//! - A bucket is a *toxic period* when its signal count is above the median count of the
//!   table's buckets and its trades' win rate is below 45% (the circuit breaker's threshold),
//!   with at least one trade.
//! - Autopsy tags: `toxic_book` book CTR > 4; `absorbed` absorption below the median of the
//!   run's signals (low = liquidity absorbing the flow); `churn` OBI churn high; `wide_spread`
//!   spread / typical spread > 1.5; `ghost` a ghost on that side in the last 60 s; then the
//!   exit reason. The worst decile = the ⌈10%⌉ losing trades with the lowest net P&L.

mod build;
mod parse;
mod text;

pub use build::{
    AutopsyRow, Bucket, CostReport, DrainResearch, FailurePattern, FillRate, HalfLifeRow, RunSide,
    Validation, VerdictCounts, drain_research, run_side, validation,
};
pub use parse::{
    DrainRows, DrainSignal, EntryOutcome, HalfLifeEntry, SignalEntry, detail_value, drain_rows,
};
pub use text::research_text;

/// SPEC 3.2 expected fill rates: one tick inside the spread, and at the touch (fractions).
pub const EXPECTED_FILL_IMPROVE: (f64, f64) = (0.50, 0.65);
pub const EXPECTED_FILL_TOUCH: (f64, f64) = (0.25, 0.40);
/// SPEC 6 toxicity-filter expectations: signal count change (fraction) and win-rate change
/// (percentage points) of filtered vs raw depth.
pub const EXPECTED_SIGNAL_DELTA: (f64, f64) = (-0.35, -0.20);
pub const EXPECTED_WIN_RATE_DELTA_POINTS: (f64, f64) = (4.0, 8.0);
/// Win rate under which a busy bucket is a toxic period (the SPEC 4 breaker's 45%).
pub const TOXIC_WIN_RATE: f64 = 0.45;
