//! The trading side of a venue as live mode sees it: commands in, execution reports out, and
//! the venue's own view of the position for reconciliation (SPEC 7).

use auction_trader_types::{ExecutionReport, Fill, OrderCommand, OrderId, Quantity, UnixNanos};

use crate::VenueError;

/// The venue's record of our position in one instrument (signed: long > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenuePosition {
    pub quantity: Quantity,
}

/// Where one of our orders stands at the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueOrderStatus {
    /// Resting (possibly partly filled) or about to execute.
    Open,
    Filled,
    /// Left the book without filling completely (cancelled, expired).
    Canceled,
    Rejected,
}

/// The venue's record of one of our orders, as a restart asks for it (SPEC 7: state is
/// recovered from the venue, never guessed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueOrder {
    pub status: VenueOrderStatus,
    /// The venue's time of its last change.
    pub updated: UnixNanos,
    /// Its trades in execution order, as fills of our order id (`leaves_quantity` = what
    /// was still open after each; no `reference_mid`).
    pub fills: Vec<Fill>,
}

/// A venue's order entry: non-blocking sends, reports collected from the private stream
/// (with REST as fallback), and blocking queries (the position, one order's record) for
/// reconciliation.
pub trait TradingGateway: Send {
    /// Queue a submit or cancel; the answer arrives later as reports.
    fn send(&mut self, now: UnixNanos, command: OrderCommand) -> Result<(), VenueError>;
    /// Move every report received since the last call into `out`, in arrival order.
    fn drain_reports(&mut self, out: &mut Vec<ExecutionReport>);
    /// The venue's current position (REST), for reconciliation after a restart.
    fn position(&mut self) -> Result<VenuePosition, VenueError>;
    /// The venue's record of one of our orders (REST): its status and every trade it made.
    /// `Ok(None)` when the venue has no such order (the request never arrived).
    fn order_record(&mut self, order_id: OrderId) -> Result<Option<VenueOrder>, VenueError>;
}
