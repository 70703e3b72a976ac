//! The entry rules of the two SPEC 3.3 variants as pure functions (the strategy feeds them;
//! exits, stop, target, holding cap and the regime filter are the statistical variant's):
//!
//! - **Imbalance overshoot, filtered by VPIN.** The close is stretched (|z| ≥ entry_z) in the
//!   direction the last `window_minutes` of order flow pushed it (imbalance
//!   Σ(buy − sell) / Σ volume ≥ `min_imbalance` with the stretch's sign), and VPIN is at most
//!   `max_vpin`: one-sided flow that is NOT informed overshoots and reverts, so it is faded;
//!   a high VPIN says the flow is informed (Easley, López de Prado, O'Hara 2012) and the move
//!   is left alone.
//! - **Funding extreme.** The latest funding print is extreme (|rate| ≥ `min_rate_bps`, or its
//!   z-score against the settled rates ≥ `min_rate_zscore`) and not older than
//!   `max_print_age_minutes`; a positive rate means longs are crowded (they pay), so the fade
//!   is a short when the close is stretched up (z ≥ entry_z), a long when the rate is
//!   negative and the close is stretched down.
//!
//! Neither variant uses the half-life/ADF evidence of the statistical rule (their reason to
//! revert is the flow or the positioning, not the series' autocorrelation); the half-life
//! only sets their lookback and holding cap, clamped to the configured 15–240 minutes.

use super::config::{FundingExtremeConfig, ImbalanceOvershootConfig};
use crate::api::Direction;

/// Filter names (signal log and counters).
pub const FILTER_IMBALANCE: &str = "imbalance";
pub const FILTER_VPIN: &str = "vpin";
pub const FILTER_FUNDING: &str = "funding";

/// One minute's classified order flow (base units).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MinuteFlow {
    pub buy: f64,
    pub sell: f64,
    pub volume: f64,
}

/// Σ(buy − sell) / Σ volume over the newest `window` minutes of `flows` (oldest first); None
/// with fewer minutes or no volume.
pub fn order_flow_imbalance(flows: &[MinuteFlow], window: usize) -> Option<f64> {
    if window == 0 || flows.len() < window {
        return None;
    }
    let (net, volume) = flows[flows.len() - window..]
        .iter()
        .fold((0.0, 0.0), |(net, volume), flow| {
            (net + flow.buy - flow.sell, volume + flow.volume)
        });
    (volume > 0.0).then(|| net / volume)
}

/// The imbalance-overshoot filter for a candidate in `direction` (a fade: a short after
/// buying pushed the close up, a long after selling pushed it down): the first blocking
/// filter's name, None when it may trade. Unknown inputs block (warm-up).
pub fn imbalance_blocks(
    config: &ImbalanceOvershootConfig,
    direction: Direction,
    imbalance: Option<f64>,
    vpin: Option<f64>,
) -> Option<&'static str> {
    let pushed = imbalance.is_some_and(|imbalance| match direction {
        Direction::Short => imbalance >= config.min_imbalance,
        Direction::Long => imbalance <= -config.min_imbalance,
    });
    if !pushed {
        return Some(FILTER_IMBALANCE);
    }
    if !vpin.is_some_and(|vpin| vpin <= config.max_vpin) {
        return Some(FILTER_VPIN);
    }
    None
}

/// The latest funding print as the funding variant reads it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FundingReading {
    /// The rate per funding interval (0.0001 = 1 bps).
    pub rate: f64,
    /// Its z-score against the settled rates of the previous periods (None: too few).
    pub zscore: Option<f64>,
    /// Minutes since the print was received.
    pub age_minutes: i64,
}

/// The side the funding print says to fade toward: Short when longs are crowded (an extreme
/// positive rate), Long when shorts are (extreme negative); None when not extreme or stale.
pub fn funding_fade_direction(
    config: &FundingExtremeConfig,
    reading: &FundingReading,
) -> Option<Direction> {
    if reading.age_minutes > config.max_print_age_minutes || reading.rate == 0.0 {
        return None;
    }
    let extreme_rate = reading.rate.abs() * 1e4 >= config.min_rate_bps;
    let extreme_z = reading
        .zscore
        .is_some_and(|z| z.abs() >= config.min_rate_zscore && z.signum() == reading.rate.signum());
    if !(extreme_rate || extreme_z) {
        return None;
    }
    Some(if reading.rate > 0.0 {
        Direction::Short
    } else {
        Direction::Long
    })
}

/// The funding-extreme filter for a candidate in `direction`: blocks unless a fresh extreme
/// print says to fade that way.
pub fn funding_blocks(
    config: &FundingExtremeConfig,
    direction: Direction,
    reading: Option<&FundingReading>,
) -> Option<&'static str> {
    let fade = reading.and_then(|reading| funding_fade_direction(config, reading));
    (fade != Some(direction)).then_some(FILTER_FUNDING)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(buy: f64, sell: f64) -> MinuteFlow {
        MinuteFlow {
            buy,
            sell,
            volume: buy + sell,
        }
    }

    #[test]
    fn imbalance_over_the_window() {
        // Window 3 of [ (9,1), (6,4), (2,8), (5,5) ]: the newest three net 2 − 6 + 0 = −4
        // over 30 → −0.1333; window 2: (−6 + 0) / 20 = −0.3.
        let flows = [
            flow(9.0, 1.0),
            flow(6.0, 4.0),
            flow(2.0, 8.0),
            flow(5.0, 5.0),
        ];
        let three = order_flow_imbalance(&flows, 3).unwrap();
        assert!((three + 4.0 / 30.0).abs() < 1e-12);
        assert!((order_flow_imbalance(&flows, 2).unwrap() + 0.3).abs() < 1e-12);
        // All four: (8 + 2 − 6 + 0) / 40 = 0.1.
        assert!((order_flow_imbalance(&flows, 4).unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(order_flow_imbalance(&flows, 5), None);
        assert_eq!(order_flow_imbalance(&[MinuteFlow::default(); 3], 3), None);
    }

    #[test]
    fn imbalance_filter_fades_pushed_moves_while_vpin_is_low() {
        let config = ImbalanceOvershootConfig::default();
        // A short (close stretched up) needs buying ≥ +0.3; a long needs selling ≤ −0.3.
        assert_eq!(
            imbalance_blocks(&config, Direction::Short, Some(0.3), Some(0.5)),
            None
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Short, Some(0.29), Some(0.2)),
            Some(FILTER_IMBALANCE)
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Short, Some(-0.6), Some(0.2)),
            Some(FILTER_IMBALANCE)
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Long, Some(-0.3), Some(0.1)),
            None
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Long, Some(0.4), Some(0.1)),
            Some(FILTER_IMBALANCE)
        );
        // VPIN 0.5 passes (at most max_vpin), 0.51 blocks, unknown blocks.
        assert_eq!(
            imbalance_blocks(&config, Direction::Long, Some(-0.5), Some(0.51)),
            Some(FILTER_VPIN)
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Long, Some(-0.5), None),
            Some(FILTER_VPIN)
        );
        assert_eq!(
            imbalance_blocks(&config, Direction::Long, None, Some(0.1)),
            Some(FILTER_IMBALANCE)
        );
    }

    #[test]
    fn funding_extremes_by_rate_or_zscore_and_age() {
        let config = FundingExtremeConfig::default();
        let reading = |rate: f64, zscore: Option<f64>, age_minutes: i64| FundingReading {
            rate,
            zscore,
            age_minutes,
        };
        // +5 bps (0.0005) is extreme: longs crowded → short; −5 bps → long.
        assert_eq!(
            funding_fade_direction(&config, &reading(0.0005, None, 0)),
            Some(Direction::Short)
        );
        assert_eq!(
            funding_fade_direction(&config, &reading(-0.0005, None, 10)),
            Some(Direction::Long)
        );
        // 4.9 bps is not, unless its z-score reaches 2 with the same sign.
        assert_eq!(
            funding_fade_direction(&config, &reading(0.00049, None, 0)),
            None
        );
        assert_eq!(
            funding_fade_direction(&config, &reading(0.00049, Some(2.0), 0)),
            Some(Direction::Short)
        );
        assert_eq!(
            funding_fade_direction(&config, &reading(0.00049, Some(-2.5), 0)),
            None
        );
        assert_eq!(
            funding_fade_direction(&config, &reading(-0.0001, Some(-3.0), 0)),
            Some(Direction::Long)
        );
        // A print older than 480 minutes no longer counts; 480 still does.
        assert_eq!(
            funding_fade_direction(&config, &reading(0.001, None, 480)),
            Some(Direction::Short)
        );
        assert_eq!(
            funding_fade_direction(&config, &reading(0.001, None, 481)),
            None
        );
        // The filter passes only the candidate on the fade side.
        let extreme = reading(0.0008, None, 5);
        assert_eq!(
            funding_blocks(&config, Direction::Short, Some(&extreme)),
            None
        );
        assert_eq!(
            funding_blocks(&config, Direction::Long, Some(&extreme)),
            Some(FILTER_FUNDING)
        );
        assert_eq!(
            funding_blocks(&config, Direction::Short, None),
            Some(FILTER_FUNDING)
        );
    }
}
