//! Core types shared by every other crate of auction-trader: fixed-point [`Price`] and
//! [`Quantity`] (SPEC 1.1: prices and sizes are never `f64`; `i64` raw prices and rates,
//! `i128` raw sizes and money, with checked arithmetic whose overflow is a
//! [`TypesError::ArithmeticOverflow`] naming the value), UTC nanosecond time
//! ([`UnixNanos`]), sides, the normalized market events ([`Trade`], [`Quote`], [`BookDelta`],
//! [`Funding`], [`Liquidation`], [`Bar`]), [`Instrument`] metadata and its [`Valuation`]
//! (linear in quote currency, inverse in coin, SPEC 5), the UTC trading [`Session`]s, and the order and
//! execution-report vocabulary shared by strategies, risk, the simulated exchange and live
//! venues ([`OrderRequest`], [`ExecutionReport`], [`Money`]), the trading vocabulary
//! ([`Direction`], [`SetupKind`], [`TradeIntent`], [`ExitReason`]) and the records a run
//! produces ([`RunRecords`], whose categorical fields are typed enums with one lower-case
//! name each, [`Named`]), and the one seeded random generator ([`SplitMix64`]).
//!
//! This crate is the bottom of the crate graph: it must not depend on any other crate of the
//! workspace, nor on I/O, storage or venue formats.

mod decimal;
mod error;
mod events;
mod fixed_point;
mod instrument;
mod names;
mod order;
mod random;
mod records;
mod session;
mod side;
mod time;
mod trading;
mod valuation;

pub use decimal::{DecimalError, parse_decimal_lenient, scan_plain_decimal};
pub use error::TypesError;
pub use events::{
    Bar, BookDelta, DeltaFlags, Fnv1a64, Funding, Liquidation, MarketEvent, Quote, QuoteFlags,
    StreamKind, Trade, TradeId, fnv1a_64,
};
pub use fixed_point::{
    FIXED_PRECISION, FIXED_SCALE, Money, Price, Quantity, Rate, parse_fixed, parse_fixed_wide,
};
pub use instrument::{Instrument, InstrumentKey, MarketKind};
pub use names::{Named, UnknownName};
pub use order::{
    CancelReason, Crossing, ExecutionReport, Fill, FundingPayment, Liquidity, OrderCommand,
    OrderId, OrderKind, OrderRequest, OrderSide, RejectReason, TimeoutAction, Trigger,
};
pub use random::SplitMix64;
pub use records::{
    EntryLiquidity, EquityPoint, ExitLeg, FillRecord, OrderPurpose, OrderRecord, OrderStatus,
    OrderType, PriceBar, RunRecords, TradeRecord,
};
pub use session::{SESSION_NANOS, Session};
pub use side::{AggressorSide, BookSide};
pub use time::{NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_MINUTE, NANOS_PER_SECOND, UnixNanos};
pub use trading::{Direction, EntryOrder, ExitReason, SetupKind, TradeIntent};
pub use valuation::{ContractType, Valuation};
