//! One Python exception for every library error: its message is the library's.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    auction_trader,
    AuctionTraderError,
    PyException,
    "An error of auction-trader (bad config, missing data, storage failure, ...)."
);

/// Maps any library error to [`AuctionTraderError`].
pub(crate) fn to_py(error: impl std::fmt::Display) -> PyErr {
    AuctionTraderError::new_err(error.to_string())
}
