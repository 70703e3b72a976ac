//! Venue logic without I/O: the reconnect backoff and the depth-sequence procedure.

mod backoff;
mod sequencer;

pub use backoff::Backoff;
pub use sequencer::{DepthSequencer, DepthVerdict};
