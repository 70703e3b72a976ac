//! The trading side of a venue as live mode sees it: commands in, execution reports out, and
//! the venue's own view of the position for reconciliation (SPEC 7).

use auction_trader_types::{ExecutionReport, OrderCommand, Quantity, UnixNanos};

use crate::VenueError;

/// The venue's record of our position in one instrument (signed: long > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenuePosition {
    pub quantity: Quantity,
}

/// A venue's order entry: non-blocking sends, reports collected from the private stream
/// (with REST as fallback), and a blocking position query for reconciliation.
pub trait TradingGateway: Send {
    /// Queue a submit or cancel; the answer arrives later as reports.
    fn send(&mut self, now: UnixNanos, command: OrderCommand) -> Result<(), VenueError>;
    /// Move every report received since the last call into `out`, in arrival order.
    fn drain_reports(&mut self, out: &mut Vec<ExecutionReport>);
    /// The venue's current position (REST), for reconciliation after a restart.
    fn position(&mut self) -> Result<VenuePosition, VenueError>;
}
