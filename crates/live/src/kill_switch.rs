//! The live kill switches of SPEC 7 (the SPEC 4 table's live column): a data gap longer than
//! 10 minutes flattens the position; a drawdown from peak equity above 20% stops trading for
//! 24 h, after which the session stays in observe mode until the operator enables it;
//! slippage above 3× the estimate halves the size. Each decision is a pure function of event
//! time and the ledger's figures, so a restart's replay trips the same switches at the same
//! events. Feature drift > 3σ is not evaluated (no training statistics are stored yet).

use auction_trader_types::UnixNanos;

use crate::config::LiveSettings;

const NANOS_PER_MINUTE: i64 = 60_000_000_000;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;

/// What a tripped switch asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum KillAction {
    /// Close the position (data gap).
    Flatten { reason: String },
    /// Flatten and disable trading until `until` (drawdown).
    Stop { until: UnixNanos, reason: String },
    /// Halve entry sizes (slippage).
    HalveSize { reason: String },
}

/// The switches' state.
#[derive(Debug, Clone, PartialEq)]
pub struct KillSwitches {
    gap_nanos: i64,
    drawdown_limit: f64,
    stop_nanos: i64,
    slippage_multiple: f64,
    slippage_min_fills: u64,
    last_event: Option<UnixNanos>,
    gap_tripped_at: Option<UnixNanos>,
    stopped_until: Option<UnixNanos>,
    size_halved: bool,
    pub trips: u64,
}

impl KillSwitches {
    pub fn new(settings: &LiveSettings) -> Self {
        Self {
            gap_nanos: i64::from(settings.data_gap_flatten_minutes) * NANOS_PER_MINUTE,
            drawdown_limit: settings.drawdown_stop_fraction,
            stop_nanos: i64::from(settings.drawdown_stop_hours) * NANOS_PER_HOUR,
            slippage_multiple: settings.slippage_halve_multiple,
            slippage_min_fills: u64::from(settings.slippage_min_fills),
            last_event: None,
            gap_tripped_at: None,
            stopped_until: None,
            size_halved: false,
            trips: 0,
        }
    }

    /// An event arrived at `ts`: a gap since the previous one longer than the limit trips.
    pub fn on_event(&mut self, ts: UnixNanos) -> Option<KillAction> {
        let previous = self.last_event.replace(ts)?;
        let gap = ts.0.saturating_sub(previous.0);
        if gap <= self.gap_nanos {
            return None;
        }
        self.trips += 1;
        self.gap_tripped_at = Some(ts);
        Some(KillAction::Flatten {
            reason: format!(
                "data gap of {} s (limit {} min) before {ts}: flatten",
                gap / 1_000_000_000,
                self.gap_nanos / NANOS_PER_MINUTE
            ),
        })
    }

    /// The equity's drawdown from its peak at `now`.
    pub fn on_drawdown(&mut self, now: UnixNanos, drawdown: f64) -> Option<KillAction> {
        if drawdown <= self.drawdown_limit || self.stopped(now) {
            return None;
        }
        self.trips += 1;
        let until = now.saturating_add_nanos(self.stop_nanos);
        self.stopped_until = Some(until);
        Some(KillAction::Stop {
            until,
            reason: format!(
                "drawdown {:.1}% from peak equity (limit {:.1}%): flatten, no trading until \
                 {until}, then observe mode",
                drawdown * 100.0,
                self.drawdown_limit * 100.0
            ),
        })
    }

    /// Mean slippage / mean estimate over `fills` taker fills.
    pub fn on_slippage(&mut self, ratio: Option<f64>, fills: u64) -> Option<KillAction> {
        let ratio = ratio?;
        if self.size_halved || fills < self.slippage_min_fills || ratio <= self.slippage_multiple {
            return None;
        }
        self.trips += 1;
        self.size_halved = true;
        Some(KillAction::HalveSize {
            reason: format!(
                "slippage {ratio:.2}x the estimate over {fills} taker fills (limit {}x): size halved",
                self.slippage_multiple
            ),
        })
    }

    /// Trading is stopped by the drawdown switch at `now`.
    pub fn stopped(&self, now: UnixNanos) -> bool {
        self.stopped_until.is_some_and(|until| now < until)
    }

    pub fn stopped_until(&self) -> Option<UnixNanos> {
        self.stopped_until
    }

    /// Gauge states in [`crate::metrics::KILL_SWITCHES`] order at `now` (the gap switch shows
    /// for one gap length after it tripped).
    pub fn states(&self, now: UnixNanos) -> [bool; 4] {
        let gap = self
            .gap_tripped_at
            .is_some_and(|at| now.0.saturating_sub(at.0) <= self.gap_nanos);
        [gap, self.stopped(now), false, self.size_halved]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(value: i64) -> UnixNanos {
        UnixNanos(value * NANOS_PER_MINUTE)
    }

    #[test]
    fn a_gap_over_ten_minutes_flattens() {
        let mut switches = KillSwitches::new(&LiveSettings::default());
        assert_eq!(switches.on_event(minutes(0)), None);
        // Exactly 10 minutes is not more than 10.
        assert_eq!(switches.on_event(minutes(10)), None);
        assert!(matches!(
            switches.on_event(minutes(21)),
            Some(KillAction::Flatten { .. })
        ));
        assert_eq!(switches.states(minutes(25)), [true, false, false, false]);
        assert_eq!(switches.states(minutes(32)), [false, false, false, false]);
    }

    #[test]
    fn drawdown_over_twenty_percent_stops_for_a_day() {
        let mut switches = KillSwitches::new(&LiveSettings::default());
        assert_eq!(switches.on_drawdown(minutes(0), 0.20), None);
        let action = switches.on_drawdown(minutes(1), 0.21);
        assert_eq!(
            action.map(|action| matches!(action, KillAction::Stop { until, .. } if until == minutes(1 + 24 * 60))),
            Some(true)
        );
        assert!(switches.stopped(minutes(60)));
        // No second trip while stopped; free again after 24 h.
        assert_eq!(switches.on_drawdown(minutes(61), 0.5), None);
        assert!(!switches.stopped(minutes(1 + 24 * 60)));
    }

    #[test]
    fn slippage_over_three_times_the_estimate_halves_once() {
        let mut switches = KillSwitches::new(&LiveSettings::default());
        assert_eq!(switches.on_slippage(Some(5.0), 9), None);
        assert_eq!(switches.on_slippage(Some(3.0), 10), None);
        assert!(matches!(
            switches.on_slippage(Some(3.1), 10),
            Some(KillAction::HalveSize { .. })
        ));
        assert_eq!(switches.on_slippage(Some(9.0), 20), None);
        assert_eq!(switches.trips, 1);
    }
}
