//! Reading the drain strategy's signals.db rows: `key=value` details into typed records.
//! Unknown keys are ignored and a missing or `none` value is `None`, so rows written by an
//! older strategy still read.

use auction_trader_types::{Session, UnixNanos};

/// One signals.db row, as plain values (what the CLI reads from the run directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalEntry {
    pub ts: UnixNanos,
    pub kind: String,
    pub direction: Option<String>,
    pub machine: String,
    pub from_state: String,
    pub to_state: String,
    pub detail: String,
}

/// The value of `key` in a `key=value key=value` detail (`None` when absent or `none`).
pub fn detail_value<'a>(detail: &'a str, key: &str) -> Option<&'a str> {
    detail
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == key)
        .map(|(_, value)| value)
        .filter(|value| *value != "none")
}

fn number(detail: &str, key: &str) -> Option<f64> {
    detail_value(detail, key)
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|value| value.is_finite())
}

/// A drain verdict row (`drain_long` / `drain_short`, from `verdict`).
#[derive(Debug, Clone, PartialEq)]
pub struct DrainSignal {
    /// When the verdict was acted on (the intent's and the trade's `signal_ts`).
    pub ts: UnixNanos,
    /// The second the decline was seen.
    pub signal_ts: UnixNanos,
    pub long: bool,
    /// REAL_PRESSURE (else SPOOF_CLEANUP).
    pub real_pressure: bool,
    /// `signal`, `spoof_cleanup`, `unstable`, `low_confidence` or `suppressed`.
    pub outcome: String,
    pub decline: Option<f64>,
    pub book_ctr: Option<f64>,
    pub absorption: Option<f64>,
    pub obi_velocity: Option<f64>,
    pub high_churn: Option<bool>,
    pub recent_ghost: Option<bool>,
    pub spread_ratio: Option<f64>,
    /// One-minute realized volatility of one-second mid returns, bps.
    pub rv_1m: Option<f64>,
    pub confidence: Option<f64>,
    /// `improve`, `touch` or `skip`.
    pub placement: Option<String>,
    pub time_exit_measured: Option<bool>,
}

impl DrainSignal {
    pub fn session(&self) -> Session {
        Session::of(self.signal_ts)
    }

    /// UTC hour of the signal second.
    pub fn hour(&self) -> u32 {
        (self.signal_ts.as_i64().rem_euclid(86_400_000_000_000) / 3_600_000_000_000) as u32
    }
}

/// A `drain_half_life` row: one finished path and its session's estimate after it.
#[derive(Debug, Clone, PartialEq)]
pub struct HalfLifeEntry {
    pub ts: UnixNanos,
    pub session: Session,
    pub signals: u32,
    pub peak_bps: Option<f64>,
    pub peak_seconds: Option<f64>,
    pub half_life_seconds: Option<f64>,
    pub adf_statistic: Option<f64>,
    pub adf_p_value: Option<f64>,
    pub adf_observations: Option<f64>,
}

/// An entry's outcome row (`working` → `filled` / `cancelled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOutcome {
    pub placement: String,
    pub filled: bool,
}

/// The drain rows of a run, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrainRows {
    pub signals: Vec<DrainSignal>,
    pub half_lives: Vec<HalfLifeEntry>,
    pub outcomes: Vec<EntryOutcome>,
}

/// Types every drain row of `entries` (other machines are skipped).
pub fn drain_rows(entries: &[SignalEntry]) -> DrainRows {
    let mut rows = DrainRows::default();
    for entry in entries {
        let detail = entry.detail.as_str();
        match (entry.machine.as_str(), entry.from_state.as_str()) {
            ("drain_long" | "drain_short", "verdict") => {
                rows.signals.push(DrainSignal {
                    ts: entry.ts,
                    signal_ts: detail_value(detail, "signal_ts")
                        .and_then(|value| value.parse().ok())
                        .map_or(entry.ts, UnixNanos),
                    long: entry.machine == "drain_long",
                    real_pressure: detail_value(detail, "regime") == Some("real_pressure"),
                    outcome: entry.to_state.clone(),
                    decline: number(detail, "decline"),
                    book_ctr: number(detail, "book_ctr"),
                    absorption: number(detail, "absorption"),
                    obi_velocity: number(detail, "obi_velocity"),
                    high_churn: detail_value(detail, "churn")
                        .filter(|value| *value != "warm_up")
                        .map(|value| value == "high"),
                    recent_ghost: detail_value(detail, "recent_ghost").map(|value| value == "true"),
                    spread_ratio: number(detail, "spread_ratio"),
                    rv_1m: number(detail, "rv_1m"),
                    confidence: number(detail, "confidence"),
                    placement: detail_value(detail, "placement").map(str::to_owned),
                    time_exit_measured: detail_value(detail, "time_exit_source")
                        .map(|value| value == "measured"),
                });
            }
            ("drain_long" | "drain_short", "working") => {
                if let Some(placement) = detail_value(detail, "placement") {
                    rows.outcomes.push(EntryOutcome {
                        placement: placement.to_owned(),
                        filled: entry.to_state == "filled",
                    });
                }
            }
            ("drain_half_life", _) => {
                let Some(session) = detail_value(detail, "session").and_then(Session::parse) else {
                    continue;
                };
                rows.half_lives.push(HalfLifeEntry {
                    ts: entry.ts,
                    session,
                    signals: number(detail, "signals").map_or(0, |count| count as u32),
                    peak_bps: number(detail, "peak_bps"),
                    peak_seconds: number(detail, "peak_s"),
                    half_life_seconds: number(detail, "half_life_s"),
                    adf_statistic: number(detail, "adf_stat"),
                    adf_p_value: number(detail, "adf_p"),
                    adf_observations: number(detail, "adf_n"),
                });
            }
            _ => {}
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(machine: &str, from: &str, to: &str, detail: &str) -> SignalEntry {
        SignalEntry {
            ts: UnixNanos(5),
            kind: "signal".to_owned(),
            direction: None,
            machine: machine.to_owned(),
            from_state: from.to_owned(),
            to_state: to.to_owned(),
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn detail_rows_are_typed() {
        let rows = drain_rows(&[
            entry(
                "drain_short",
                "verdict",
                "signal",
                "signal_ts=3600000000000 regime=real_pressure decline=0.6527 book_ctr=1.2387 \
                 churn=warm_up recent_ghost=true rv_1m=none placement=touch \
                 time_exit_source=fallback",
            ),
            entry("drain_long", "working", "filled", "placement=improve"),
            entry("drain_long", "working", "cancelled", ""),
            entry(
                "drain_half_life",
                "measuring",
                "measured",
                "session=us signals=2 peak_bps=3.2 half_life_s=none adf_p=0.73",
            ),
            entry("engine", "x", "y", "session=us"),
        ]);
        let signal = &rows.signals[0];
        assert!(!signal.long && signal.real_pressure);
        assert_eq!(signal.signal_ts, UnixNanos(3_600_000_000_000));
        assert_eq!((signal.hour(), signal.session()), (1, Session::Asia));
        assert_eq!(
            (signal.decline, signal.book_ctr, signal.rv_1m),
            (Some(0.6527), Some(1.2387), None)
        );
        assert_eq!((signal.high_churn, signal.recent_ghost), (None, Some(true)));
        assert_eq!(signal.time_exit_measured, Some(false));
        // The outcome without a placement (an old row) is skipped.
        assert_eq!(
            rows.outcomes,
            vec![EntryOutcome {
                placement: "improve".to_owned(),
                filled: true
            }]
        );
        let half_life = &rows.half_lives[0];
        assert_eq!((half_life.session, half_life.signals), (Session::Us, 2));
        assert_eq!(
            (half_life.half_life_seconds, half_life.adf_p_value),
            (None, Some(0.73))
        );
        assert_eq!(detail_value("a=1 b=2", "b"), Some("2"));
        assert_eq!(detail_value("a=1 b=none", "b"), None);
    }
}
