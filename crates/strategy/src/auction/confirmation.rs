//! SPEC 2.4 confirmation as the setups read it: the feature engine already combined
//! initiative (order flow) and qimb alignment, including the dual rule when the ambiguous
//! share is high, into `confirmed_buy` / `confirmed_sell`; this module only picks the
//! direction and writes the evidence into the signal log.

use auction_trader_features::FeatureSnapshot;

use super::signal_log::Detail;
use crate::api::Direction;

/// SPEC 2.4: the setup's confirmation in `direction` at this bar close.
pub fn confirmed(snapshot: &FeatureSnapshot, direction: Direction) -> bool {
    match direction {
        Direction::Long => snapshot.signals.confirmed_buy,
        Direction::Short => snapshot.signals.confirmed_sell,
    }
}

/// Appends the confirmation evidence in `direction`: the verdict, both tests and whether the
/// dual rule applied.
pub fn describe(snapshot: &FeatureSnapshot, direction: Direction, detail: Detail) -> Detail {
    let signals = &snapshot.signals;
    let (initiative, qimb) = match direction {
        Direction::Long => (signals.initiative_buy, signals.qimb_aligned_buy),
        Direction::Short => (signals.initiative_sell, signals.qimb_aligned_sell),
    };
    detail
        .put("confirmed", confirmed(snapshot, direction))
        .put("initiative", initiative)
        .put("qimb_aligned", qimb)
        .put("dual", signals.dual_confirmation)
}
