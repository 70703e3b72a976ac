//! Grid and random search over any config key (SPEC 6): a sweep file expands into
//! combinations of the base config, run in parallel over data decoded once per grid, with
//! each finished combination's parameters, metrics and effective config in grid.db.
//! sma_cross combinations share the bars and their prefix sums; each then costs only its
//! crossing loop. Engine combinations (auction, drain) share one recorded feature stream per
//! feature configuration; each then costs its strategy, risk and simulated exchange.

mod apply;
pub mod export;
pub mod query;
mod runner;
pub mod sweep;

pub use apply::is_toxicity_prior;
pub use runner::{
    GridObserver, GridOptions, GridPlan, GridStart, GridSummary, default_workers, metrics_row,
    plan_grid, run_grid, run_grid_part, start_grid,
};
pub use sweep::{Combination, ParameterSpec, Sweep};
