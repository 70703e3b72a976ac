//! Break-in (mean reversion into value, SPEC 3.1), stateless per bar: "the bar's low < VAL
//! strictly (touching does not count) and the close is back inside the value area, with
//! initiative confirmation → long; TP1 = POC, TP2 = VAH; stop = the trigger bar's low minus a
//! buffer (default 1 × typical spread). Mirror for shorts at VAH."
//!
//! Written for an excursion side: a pierce below VAL (down) is a long, above VAH (up) a short.

use auction_trader_features::FeatureSnapshot;
use auction_trader_types::Price;

use super::candidate::{Candidate, Origin};
use super::confirmation::{confirmed, describe};
use super::levels::{Levels, bar_extreme, beyond, offset};
use super::signal_log::{BREAK_IN, Detail};
use crate::api::{Direction, SetupKind};

/// The stateless machine's only state.
pub const IDLE: &str = "idle";

/// The break-in after an excursion toward `excursion`, if the bar pierced that edge and
/// closed back inside; `confirmed` tells a signal from a near-miss.
pub fn evaluate(
    snapshot: &FeatureSnapshot,
    levels: &Levels,
    excursion: Direction,
    buffer: Price,
) -> Option<Candidate> {
    let bar = &snapshot.bar;
    let edge = levels.edge(excursion);
    let pierce = bar_extreme(excursion, bar);
    // SPEC 3.1: low < VAL strictly, and the close back inside [VAL, VAH].
    if !(beyond(excursion, pierce, edge) && levels.is_inside(bar.close)) {
        return None;
    }
    let direction = excursion.opposite();
    let detail = Detail::new()
        .put("pierce", pierce)
        .put("edge", edge)
        .put("close", bar.close)
        .put("val", levels.val)
        .put("vah", levels.vah)
        .put("poc", levels.poc);
    Some(Candidate {
        setup: SetupKind::BreakIn,
        direction,
        origin: Origin::BreakIn,
        machine: BREAK_IN,
        from_state: IDLE,
        confirmed: confirmed(snapshot, direction),
        // Stop beyond the trigger bar's extreme by the buffer.
        stop: offset(excursion, pierce, buffer),
        take_profit_1: levels.poc,
        take_profit_2: levels.edge(direction),
        detail: describe(snapshot, direction, detail),
    })
}
