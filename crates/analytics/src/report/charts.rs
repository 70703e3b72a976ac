//! The report's charts: price with value area and trade markers, equity against a
//! buy-and-hold benchmark with the drawdown below, and the cost breakdown bars. Price and
//! equity charts are zoomable (see [`zoomable`]); every axis is titled with its unit.

use std::fmt::Write;

use auction_trader_types::{Direction, Money};

use super::format::{Units, escape, fixed, short_time};
use super::svg::{Frame, downsample_min_max, points_at, segments, zoomable};
use crate::display::format_number;
use crate::{Metrics, RunRecords};

const WIDTH: f64 = 1100.0;

/// `title (CUR)`, or the bare title when the currency is unknown.
fn titled(title: &str, units: &Units) -> String {
    if units.currency.is_empty() {
        title.to_owned()
    } else {
        format!("{title} ({})", units.currency)
    }
}

/// Close line, VAH/VAL/POC lines, entries (▲ long, ▼ short) and exits (✕) with tooltips.
pub(crate) fn price_chart(records: &RunRecords, units: &Units) -> String {
    if records.bars.is_empty() {
        return "<p class=\"note\">No price bars recorded.</p>".to_owned();
    }
    let mut out = zoomable("price", |factor| price_svg(records, units, factor));
    out.push_str(
        "<p class=\"legend\"><span class=\"key close\">close</span> <span class=\"key vah\">VAH</span> \
         <span class=\"key val\">VAL</span> <span class=\"key poc\">POC</span> \
         ▲ long entry, ▼ short entry, ✕ exit leg (green: net win, red: net loss; hover for details)</p>",
    );
    out
}

fn price_svg(records: &RunRecords, units: &Units, factor: usize) -> String {
    let bars = &records.bars;
    let series = |select: fn(&crate::PriceBar) -> Option<f64>| -> Vec<(i64, Option<f64>)> {
        bars.iter().map(|bar| (bar.ts.0, select(bar))).collect()
    };
    let close: Vec<(i64, f64)> = bars
        .iter()
        .map(|bar| (bar.ts.0, bar.close.as_f64()))
        .collect();
    let value_area = [
        ("vah", series(|bar| bar.vah.map(|price| price.as_f64()))),
        ("val", series(|bar| bar.val.map(|price| price.as_f64()))),
        ("poc", series(|bar| bar.poc.map(|price| price.as_f64()))),
    ];
    let marker_prices = records.trades.iter().flat_map(|trade| {
        std::iter::once(trade.entry_price.as_f64())
            .chain(trade.legs.iter().map(|leg| leg.price.as_f64()))
    });
    let values = close
        .iter()
        .map(|point| point.1)
        .chain(
            value_area
                .iter()
                .flat_map(|(_, line)| line.iter().filter_map(|point| point.1)),
        )
        .chain(marker_prices);
    // The time axis spans the bars and every marker (an exit may come after the last bar).
    let marker_times = records.trades.iter().flat_map(|trade| {
        std::iter::once(trade.entry_ts.0).chain(trade.legs.iter().map(|leg| leg.ts.0))
    });
    let times: Vec<i64> = close
        .iter()
        .map(|point| point.0)
        .chain(marker_times)
        .collect();
    let values: Vec<f64> = values.collect();
    let width = WIDTH * factor as f64;
    let Some(frame) = Frame::fit(width, 400.0, times.into_iter(), values.into_iter()) else {
        return "<p class=\"note\">No price bars recorded.</p>".to_owned();
    };
    let points = points_at(width);
    let mut out = String::new();
    frame.open(&mut out, factor, &titled("price", units), format_number);
    for (class, line) in &value_area {
        for segment in segments(line, points) {
            frame.polyline(&mut out, &segment, class);
        }
    }
    frame.polyline(&mut out, &downsample_min_max(&close, points), "close");
    let in_view = |ts: i64| ts >= frame.x_min && ts <= frame.x_max;
    for trade in &records.trades {
        let outcome = if trade.net_pnl.is_negative() {
            "loss"
        } else {
            "win"
        };
        if in_view(trade.entry_ts.0) {
            let (x, y) = (
                frame.x(trade.entry_ts.0),
                frame.y(trade.entry_price.as_f64()),
            );
            let (symbol, dy) = if trade.direction == Direction::Short {
                ("▼", -3.0)
            } else {
                ("▲", 9.0)
            };
            let _ = write!(
                out,
                "<text class=\"marker entry {outcome}\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{symbol}<title>{}</title></text>",
                y + dy,
                escape(&format!(
                    "#{} {} {} entry {} × {} at {} (net {})",
                    trade.trade_id,
                    trade.setup,
                    trade.direction,
                    trade.quantity,
                    units.price(trade.entry_price),
                    short_time(trade.entry_ts),
                    units.money(trade.net_pnl)
                ))
            );
        }
        for leg in trade.legs.iter().filter(|leg| in_view(leg.ts.0)) {
            let _ = write!(
                out,
                "<text class=\"marker exit {outcome}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">✕<title>{}</title></text>",
                frame.x(leg.ts.0),
                frame.y(leg.price.as_f64()) + 4.0,
                escape(&format!(
                    "#{} exit {} × {} at {} ({})",
                    trade.trade_id,
                    leg.quantity,
                    units.price(leg.price),
                    short_time(leg.ts),
                    leg.reason
                ))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Buy and hold: the initial equity put into the instrument at the first bar's close and
/// marked at every later close (no costs), the benchmark a trading strategy must beat.
fn buy_and_hold(records: &RunRecords) -> Vec<(i64, f64)> {
    let Some(first) = records.bars.first().map(|bar| bar.close.as_f64()) else {
        return Vec::new();
    };
    if first <= 0.0 {
        return Vec::new();
    }
    let initial = records.initial_equity.as_f64();
    records
        .bars
        .iter()
        .map(|bar| (bar.ts.0, initial * bar.close.as_f64() / first))
        .collect()
}

/// Equity line with the buy-and-hold benchmark, then the drawdown in percent of the running
/// peak below it.
pub(crate) fn equity_chart(records: &RunRecords, units: &Units) -> String {
    if records.equity.is_empty() {
        return "<p class=\"note\">No equity curve recorded.</p>".to_owned();
    }
    let mut out = zoomable("equity", |factor| equity_svgs(records, units, factor));
    out.push_str(
        "<p class=\"legend\"><span class=\"key equity\">strategy equity</span> \
         <span class=\"key benchmark\">buy and hold</span> (the initial equity in the \
         instrument from the first bar's close, no costs); below: drawdown from the running \
         peak of the strategy's equity</p>",
    );
    out
}

fn equity_svgs(records: &RunRecords, units: &Units, factor: usize) -> String {
    let equity: Vec<(i64, f64)> = records
        .equity
        .iter()
        .map(|point| (point.ts.0, point.equity.as_f64()))
        .collect();
    let benchmark = buy_and_hold(records);
    let mut peak = records.initial_equity.as_f64();
    let drawdown: Vec<(i64, f64)> = equity
        .iter()
        .map(|(ts, value)| {
            peak = peak.max(*value);
            (
                *ts,
                if peak > 0.0 {
                    (value / peak - 1.0) * 100.0
                } else {
                    0.0
                },
            )
        })
        .collect();
    let times = equity.iter().map(|point| point.0);
    let (x_min, x_max) = (
        times.clone().min().unwrap_or_default(),
        times.clone().max().unwrap_or_default(),
    );
    // The benchmark is drawn over the equity curve's time span only.
    let benchmark: Vec<(i64, f64)> = benchmark
        .into_iter()
        .filter(|(ts, _)| *ts >= x_min && *ts <= x_max)
        .collect();
    let width = WIDTH * factor as f64;
    let points = points_at(width);
    let Some(equity_frame) = Frame::fit(
        width,
        320.0,
        times.clone(),
        equity
            .iter()
            .chain(&benchmark)
            .map(|point| point.1)
            .collect::<Vec<_>>()
            .into_iter(),
    ) else {
        return "<p class=\"note\">No equity curve recorded.</p>".to_owned();
    };
    let mut out = String::new();
    equity_frame.open(&mut out, factor, &titled("equity", units), format_number);
    equity_frame.polyline(
        &mut out,
        &downsample_min_max(&benchmark, points),
        "benchmark",
    );
    equity_frame.polyline(&mut out, &downsample_min_max(&equity, points), "equity");
    out.push_str("</svg>");
    let values = drawdown
        .iter()
        .map(|point| point.1)
        .chain(std::iter::once(0.0));
    if let Some(mut frame) = Frame::fit(width, 180.0, times, values) {
        frame.y_max = frame.y_max.min(0.5);
        frame.open(&mut out, factor, "drawdown %", |value, decimals| {
            format!("{}%", fixed(value, decimals.max(1)))
        });
        frame.area(
            &mut out,
            &downsample_min_max(&drawdown, points),
            0.0,
            "drawdown",
        );
        out.push_str("</svg>");
    }
    out
}

/// Horizontal bars: gross P&L, fees, funding, slippage (inside gross), net P&L.
pub(crate) fn cost_chart(metrics: &Metrics, units: &Units) -> String {
    let rows: [(&str, Money, &str); 5] = [
        ("gross P&L", metrics.gross_pnl, "pnl"),
        ("fees", metrics.total_fees, "cost"),
        ("funding", metrics.total_funding, "cost"),
        ("slippage (inside gross)", metrics.total_slippage, "cost"),
        ("net P&L", metrics.net_pnl, "pnl"),
    ];
    let largest = rows
        .iter()
        .map(|row| row.1.as_f64().abs())
        .fold(0.0, f64::max)
        .max(1e-9);
    let (label_width, bar_width, row_height) = (190.0, 620.0, 26.0);
    let zero = label_width + bar_width / 2.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart costs\" viewBox=\"0 0 {:.0} {:.0}\" role=\"img\" aria-label=\"Costs\">",
        label_width + bar_width + 200.0,
        row_height * rows.len() as f64 + 8.0
    );
    for (index, (label, amount, class)) in rows.iter().enumerate() {
        let y = 4.0 + row_height * index as f64;
        let length = amount.as_f64() / largest * bar_width / 2.0;
        let (x, width) = if length < 0.0 {
            (zero + length, -length)
        } else {
            (zero, length)
        };
        let sign = if class == &"pnl" && amount.is_negative() {
            "loss"
        } else {
            *class
        };
        let _ = write!(
            out,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar {sign}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_width - 8.0,
            y + 16.0,
            escape(label),
            y + 3.0,
            row_height - 8.0,
            label_width + bar_width + 8.0,
            y + 16.0,
            escape(&units.money(*amount))
        );
    }
    let _ = write!(
        out,
        "<line class=\"zero\" x1=\"{zero:.1}\" y1=\"0\" x2=\"{zero:.1}\" y2=\"{:.1}\"/></svg>",
        row_height * rows.len() as f64 + 8.0
    );
    out.push_str(
        "<p class=\"legend\">Costs are positive when paid; net P&L = gross P&L − fees − \
         funding (slippage is already inside gross: fills happen at the prices that include \
         it).</p>",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_records;

    #[test]
    fn buy_and_hold_scales_the_initial_equity_by_the_close() {
        let records = sample_records();
        let benchmark = buy_and_hold(&records);
        assert_eq!(benchmark.len(), records.bars.len());
        // Initial 10,000 at the first close; each later point is 10,000 × close / first.
        let first = records.bars[0].close.as_f64();
        for ((_, value), bar) in benchmark.iter().zip(&records.bars) {
            assert!((value - 10_000.0 * bar.close.as_f64() / first).abs() < 1e-6);
        }
        assert!((benchmark[0].1 - 10_000.0).abs() < 1e-9);
    }
}
