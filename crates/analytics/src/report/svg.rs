//! Hand-drawn inline SVG: a plotting frame with titled axes, polylines, min/max-bucket
//! downsampling (so a month of minutes stays light), "nice" axis ticks, and zoom levels
//! chosen with plain HTML radio buttons (no script: each level is the chart drawn again,
//! wider, with more points, in a sideways-scrolling pane). Coordinates are written with a
//! fixed one-decimal format, so identical data give identical bytes.

use std::fmt::Write;

use auction_trader_types::UnixNanos;

use super::format::{escape, short_time};

/// Most points drawn per series (brief: ≤ 4,000 points per chart line).
pub(crate) const MAX_POINTS: usize = 4000;

/// Maps time × value onto a `width × height` SVG with margins for the axes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub width: f64,
    pub height: f64,
    pub x_min: i64,
    pub x_max: i64,
    pub y_min: f64,
    pub y_max: f64,
}

const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 40.0;

/// Zoom levels of a chart: (width factor, label). Each level is drawn in full, so two keep
/// the page light.
pub(crate) const ZOOM_LEVELS: [(usize, &str); 2] = [(1, "fit"), (8, "8×")];

/// A chart at every zoom level: `render(width_factor)` draws one level; radio buttons pick
/// which one shows (`id` must be unique in the page).
pub(crate) fn zoomable(id: &str, render: impl Fn(usize) -> String) -> String {
    let mut out = String::from("<div class=\"zoom\"><span class=\"legend\">zoom</span>");
    for (index, (_, label)) in ZOOM_LEVELS.iter().enumerate() {
        let checked = if index == 0 { " checked" } else { "" };
        let _ = write!(
            out,
            "<input type=\"radio\" name=\"zoom-{id}\" id=\"zoom-{id}-{index}\"{checked}>\
             <label for=\"zoom-{id}-{index}\">{label}</label>"
        );
    }
    out.push_str("<span class=\"legend\"> (wider levels scroll sideways)</span>");
    for (factor, _) in ZOOM_LEVELS {
        let _ = write!(out, "<div class=\"pane\">{}</div>", render(factor));
    }
    out.push_str("</div>");
    out
}

/// Points per line for a chart `width` units wide: two per unit (a bucket's low and high per
/// pixel column), at most [`MAX_POINTS`].
pub(crate) fn points_at(width: f64) -> usize {
    MAX_POINTS.min((2.0 * width.max(1.0)) as usize)
}

impl Frame {
    /// A frame spanning `times` and `values` (5% padding; a flat range gets ±1).
    pub(crate) fn fit(
        width: f64,
        height: f64,
        times: impl Iterator<Item = i64> + Clone,
        values: impl Iterator<Item = f64> + Clone,
    ) -> Option<Self> {
        let x_min = times.clone().min()?;
        let x_max = times.max()?;
        let finite = values.filter(|value| value.is_finite());
        let y_min = finite.clone().fold(f64::INFINITY, f64::min);
        let y_max = finite.fold(f64::NEG_INFINITY, f64::max);
        if !(y_min.is_finite() && y_max.is_finite()) {
            return None;
        }
        let padding = if y_max > y_min {
            (y_max - y_min) * 0.05
        } else {
            1.0
        };
        Some(Self {
            width,
            height,
            x_min,
            x_max: x_max.max(x_min.saturating_add(1)),
            y_min: y_min - padding,
            y_max: y_max + padding,
        })
    }

    pub(crate) fn x(&self, ts: i64) -> f64 {
        let span = (self.x_max as f64 - self.x_min as f64).max(1.0);
        LEFT + (ts as f64 - self.x_min as f64) / span * (self.width - LEFT - RIGHT)
    }

    pub(crate) fn y(&self, value: f64) -> f64 {
        let span = (self.y_max - self.y_min).max(f64::MIN_POSITIVE);
        TOP + (self.y_max - value) / span * (self.height - TOP - BOTTOM)
    }

    /// Opens the `<svg>` (`factor` times the page width) and draws the plot box, the axis
    /// titles, horizontal grid lines with value labels (`label` formats a value with the
    /// given decimals, those of the tick step) and time labels about every 220 units.
    pub(crate) fn open(
        &self,
        out: &mut String,
        factor: usize,
        y_title: &str,
        label: impl Fn(f64, usize) -> String,
    ) {
        let _ = write!(
            out,
            "<svg class=\"chart\" viewBox=\"0 0 {:.0} {:.0}\" style=\"width:{}%\" role=\"img\" \
             aria-label=\"{}\">",
            self.width,
            self.height,
            factor * 100,
            escape(y_title)
        );
        let (left, right) = (LEFT, self.width - RIGHT);
        let (top, bottom) = (TOP, self.height - BOTTOM);
        let _ = write!(
            out,
            "<rect class=\"plot\" x=\"{left:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            right - left,
            bottom - top
        );
        let middle = (top + bottom) / 2.0;
        let _ = write!(
            out,
            "<text class=\"title\" x=\"14\" y=\"{middle:.1}\" text-anchor=\"middle\" \
             transform=\"rotate(-90 14 {middle:.1})\">{}</text>",
            escape(y_title)
        );
        let ticks = nice_ticks(self.y_min, self.y_max, 5);
        let decimals = match ticks.as_slice() {
            [first, second, ..] => step_decimals(second - first),
            _ => 2,
        };
        for tick in ticks {
            let y = self.y(tick);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                left - 4.0,
                y + 4.0,
                escape(&label(tick, decimals))
            );
        }
        let span = self.x_max - self.x_min;
        let labels = (((right - left) / 220.0).round() as i64).max(2);
        for step in 0..=labels {
            let ts = self.x_min + (span as f64 * step as f64 / labels as f64) as i64;
            let anchor = match step {
                0 => "start",
                last if last == labels => "end",
                _ => "middle",
            };
            let x = self.x(ts);
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{bottom:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                bottom + 4.0,
                bottom + 16.0,
                escape(&time_label(UnixNanos(ts), span))
            );
        }
        let _ = write!(
            out,
            "<text class=\"title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">time (UTC), \
             {} → {}</text>",
            (left + right) / 2.0,
            self.height - 4.0,
            escape(&short_time(UnixNanos(self.x_min))),
            escape(&short_time(UnixNanos(self.x_max)))
        );
    }

    /// A polyline through `points` (already downsampled).
    pub(crate) fn polyline(&self, out: &mut String, points: &[(i64, f64)], class: &str) {
        if points.is_empty() {
            return;
        }
        let _ = write!(out, "<polyline class=\"{class}\" points=\"");
        for (index, (ts, value)) in points.iter().enumerate() {
            let separator = if index == 0 { "" } else { " " };
            let _ = write!(out, "{separator}{:.1},{:.1}", self.x(*ts), self.y(*value));
        }
        out.push_str("\"/>");
    }

    /// A filled area between `points` and the value `base`.
    pub(crate) fn area(&self, out: &mut String, points: &[(i64, f64)], base: f64, class: &str) {
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return;
        };
        let _ = write!(
            out,
            "<polygon class=\"{class}\" points=\"{:.1},{:.1}",
            self.x(first.0),
            self.y(base)
        );
        for (ts, value) in points {
            let _ = write!(out, " {:.1},{:.1}", self.x(*ts), self.y(*value));
        }
        let _ = write!(out, " {:.1},{:.1}\"/>", self.x(last.0), self.y(base));
    }
}

/// Keeps at most `max_points` points of a time-ordered series: the series is cut into
/// `max_points / 2` buckets of equal point count and each bucket keeps its lowest and its
/// highest point, in time order (so spikes survive). Shorter series are returned as is.
pub(crate) fn downsample_min_max(points: &[(i64, f64)], max_points: usize) -> Vec<(i64, f64)> {
    if points.len() <= max_points || max_points < 2 {
        return points.to_vec();
    }
    let buckets = max_points / 2;
    let mut kept = Vec::with_capacity(buckets * 2);
    for bucket in 0..buckets {
        let start = bucket * points.len() / buckets;
        let end = (bucket + 1) * points.len() / buckets;
        let slice = &points[start..end];
        let mut low = 0;
        let mut high = 0;
        for (index, (_, value)) in slice.iter().enumerate() {
            if *value < slice[low].1 {
                low = index;
            }
            if *value > slice[high].1 {
                high = index;
            }
        }
        let (first, second) = if low <= high {
            (low, high)
        } else {
            (high, low)
        };
        kept.push(slice[first]);
        if second != first {
            kept.push(slice[second]);
        }
    }
    kept
}

/// Splits an optional series into runs of present values (a gap breaks the line), each
/// downsampled with a share of `max_points` proportional to its length.
pub(crate) fn segments(points: &[(i64, Option<f64>)], max_points: usize) -> Vec<Vec<(i64, f64)>> {
    let mut runs: Vec<Vec<(i64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (ts, value) in points {
        match value {
            Some(value) if value.is_finite() => current.push((*ts, *value)),
            _ => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    let total: usize = runs.iter().map(Vec::len).sum();
    runs.iter()
        .map(|run| {
            let budget = (max_points * run.len()).div_ceil(total.max(1)).max(2);
            downsample_min_max(run, budget)
        })
        .collect()
}

/// A time-axis label as precise as the span needs: `2018-01-21` over weeks, `01-21 15:00`
/// over days, `15:04` within a day, `15:04:05` within minutes.
pub(crate) fn time_label(ts: UnixNanos, span_nanos: i64) -> String {
    const DAY: i64 = 86_400_000_000_000;
    let full = short_time(ts); // YYYY-MM-DD HH:MM:SS
    let slice = |range: std::ops::Range<usize>| full.get(range).unwrap_or_default().to_owned();
    if span_nanos >= 20 * DAY {
        slice(0..10)
    } else if span_nanos >= DAY {
        slice(5..16)
    } else if span_nanos >= DAY / 48 {
        slice(11..16)
    } else {
        slice(11..19)
    }
}

/// Decimals that show a tick step exactly enough: 0 for steps ≥ 1, 1 for 0.5, 2 for 0.02...
pub(crate) fn step_decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) || step >= 1.0 {
        return 0;
    }
    ((-step.log10()).ceil().max(0.0) as usize).min(9)
}

/// About `count` round tick values (1, 2 or 5 × 10^k steps) inside `[min, max]`.
pub(crate) fn nice_ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite()) || max <= min || count == 0 {
        return Vec::new();
    }
    let raw_step = (max - min) / count as f64;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= raw_step)
        .unwrap_or(10.0 * magnitude);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|index| index as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_each_buckets_extremes_in_time_order() {
        // 8 points into 4 (2 buckets of 4): bucket 1 [5, 1, 9, 3] keeps 1 (t1) then 9 (t2);
        // bucket 2 [4, 8, 2, 6] keeps 8 (t5) then 2 (t6).
        let values = [5.0, 1.0, 9.0, 3.0, 4.0, 8.0, 2.0, 6.0];
        let points: Vec<(i64, f64)> = values
            .iter()
            .enumerate()
            .map(|(t, v)| (t as i64, *v))
            .collect();
        assert_eq!(
            downsample_min_max(&points, 4),
            vec![(1, 1.0), (2, 9.0), (5, 8.0), (6, 2.0)]
        );
        assert_eq!(downsample_min_max(&points, 8).len(), 8);
        let long: Vec<(i64, f64)> = (0..45_000).map(|t| (t, (t % 97) as f64)).collect();
        assert!(downsample_min_max(&long, MAX_POINTS).len() <= MAX_POINTS);
    }

    #[test]
    fn gaps_split_segments() {
        let points = [(0, Some(1.0)), (1, Some(2.0)), (2, None), (3, Some(3.0))];
        assert_eq!(
            segments(&points, 100),
            vec![vec![(0, 1.0), (1, 2.0)], vec![(3, 3.0)]]
        );
    }

    #[test]
    fn labels_fit_the_span_and_the_step() {
        let ts = UnixNanos(1_723_161_255_030_314_667); // 2024-08-08 23:54:15
        let day = 86_400_000_000_000;
        assert_eq!(time_label(ts, 30 * day), "2024-08-08");
        assert_eq!(time_label(ts, 3 * day), "08-08 23:54");
        assert_eq!(time_label(ts, day / 4), "23:54");
        assert_eq!(time_label(ts, 60_000_000_000), "23:54:15");
        assert_eq!(step_decimals(20_000.0), 0);
        assert_eq!(step_decimals(0.5), 1);
        assert_eq!(step_decimals(0.02), 2);
        // 1,100 units wide → 2,200 points; 8,800 wide → capped at 4,000.
        assert_eq!(points_at(1100.0), 2200);
        assert_eq!(points_at(8800.0), MAX_POINTS);
        let html = zoomable("x", |factor| format!("<svg>{factor}</svg>"));
        assert_eq!(html.matches("type=\"radio\" name=\"zoom-x\"").count(), 2);
        assert!(html.contains("<svg>1</svg>") && html.contains("<svg>8</svg>"));
    }

    #[test]
    fn ticks_are_round_numbers() {
        // Range 0..10 in ~5 steps: raw step 2 → step 2 → 0, 2, 4, 6, 8, 10.
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        // 37,000..48,000: raw 2,200 → 5,000 → 40,000, 45,000.
        assert_eq!(nice_ticks(37_000.0, 48_000.0, 5), vec![40_000.0, 45_000.0]);
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
    }

    #[test]
    fn frame_maps_corners_inside_the_margins() {
        let frame = Frame::fit(
            400.0,
            200.0,
            [0i64, 100].into_iter(),
            [0.0, 10.0].into_iter(),
        )
        .unwrap();
        assert!((frame.x(0) - LEFT).abs() < 1e-9);
        assert!((frame.x(100) - (400.0 - RIGHT)).abs() < 1e-9);
        // Padding 5% of 10 = 0.5 → y range −0.5..10.5; 10.5 maps to the top margin.
        assert!((frame.y(10.5) - TOP).abs() < 1e-9);
        assert!(Frame::fit(400.0, 200.0, std::iter::empty(), std::iter::empty()).is_none());
    }
}
