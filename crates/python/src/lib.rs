//! Python bindings of auction-trader (module `auction_trader._native`, wrapped by the pure
//! Python package in `python/auction_trader`): open a store and load its events, bars and
//! book snapshots, read feature matrices, run a backtest or a grid, and run a grid in parts
//! (the Ray runner's workers). Glue only: every computation is a library crate's; this crate
//! converts arguments, turns results into Arrow IPC streams or plain Python values, releases
//! the GIL while Rust works, and maps every error to `AuctionTraderError`. Must not hold
//! logic of its own, and nothing in the main workspace may depend on it.

mod errors;
mod research_paths;
mod runs;
mod store;
mod tables;

use pyo3::prelude::*;

/// The native half of the `auction_trader` package.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add(
        "AuctionTraderError",
        module.py().get_type::<errors::AuctionTraderError>(),
    )?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<store::Store>()?;
    module.add_function(wrap_pyfunction!(tables::read_feature_matrix, module)?)?;
    module.add_function(wrap_pyfunction!(runs::run_backtest, module)?)?;
    module.add_function(wrap_pyfunction!(runs::read_run, module)?)?;
    module.add_function(wrap_pyfunction!(runs::run_grid, module)?)?;
    module.add_function(wrap_pyfunction!(runs::start_grid, module)?)?;
    module.add_function(wrap_pyfunction!(runs::run_grid_part, module)?)?;
    module.add_function(wrap_pyfunction!(runs::insert_grid_rows, module)?)?;
    module.add_function(wrap_pyfunction!(runs::grid_rows, module)?)?;
    Ok(())
}
