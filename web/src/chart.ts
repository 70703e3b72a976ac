// The price chart (SPEC 8): candles from the run's market_bars, VAH/VAL/POC as line series
// (the value area in force at each bar's close; gaps where it was not valid yet), and the
// trades (entry, exit) and signals as markers, drawn with TradingView's lightweight-charts.
import {
  CandlestickSeries,
  LineSeries,
  LineStyle,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";

import type { Bar, EquityPoint, Signal, Trade } from "./api";

export const COLORS = { vah: "#42a5f5", val: "#42a5f5", poc: "#f5a623", up: "#26a69a", down: "#ef5350" };

/** What the chart drew, for the page's own checks and the browser tests. */
export interface DrawnChart {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  levels: Record<"vah" | "val" | "poc", ISeriesApi<"Line">>;
  markers: SeriesMarker<Time>[];
}

/** The time of the last bar at or before `time` (markers sit on bars), else the first bar. */
export function snapToBar(times: number[], time: number): number {
  let low = 0;
  let high = times.length - 1;
  if (high < 0) return time;
  if (time < times[0]) return times[0];
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (times[middle] <= time) low = middle;
    else high = middle - 1;
  }
  return times[low];
}

export function tradeMarkers(bars: Bar[], trades: Trade[], signals: Signal[]): SeriesMarker<Time>[] {
  const times = bars.map((bar) => bar.time);
  const markers: SeriesMarker<Time>[] = [];
  for (const trade of trades) {
    const long = trade.direction === "long";
    markers.push({
      time: snapToBar(times, trade.entry.time) as UTCTimestamp,
      position: long ? "belowBar" : "aboveBar",
      shape: long ? "arrowUp" : "arrowDown",
      color: long ? COLORS.up : COLORS.down,
      text: `#${trade.trade_id} ${long ? "L" : "S"} ${trade.entry_price}`,
      id: `entry-${trade.trade_id}`,
    });
    markers.push({
      time: snapToBar(times, trade.exit.time) as UTCTimestamp,
      position: long ? "aboveBar" : "belowBar",
      shape: "circle",
      color: Number(trade.net_pnl) >= 0 ? COLORS.up : COLORS.down,
      text: `#${trade.trade_id} ${trade.exit_reason}`,
      id: `exit-${trade.trade_id}`,
    });
  }
  for (const [index, signal] of signals.entries()) {
    markers.push({
      time: snapToBar(times, signal.time) as UTCTimestamp,
      position: signal.direction === "short" ? "aboveBar" : "belowBar",
      shape: "square",
      color: "#ab47bc",
      size: 0.6,
      id: `signal-${index}`,
    });
  }
  markers.sort((a, b) => (a.time as number) - (b.time as number));
  return markers;
}

export function drawChart(element: HTMLElement, bars: Bar[], trades: Trade[], signals: Signal[]): DrawnChart {
  const chart = createChart(element, {
    autoSize: true,
    layout: { background: { color: "#0f1720" }, textColor: "#c8d1dc" },
    grid: { vertLines: { color: "#1c2733" }, horzLines: { color: "#1c2733" } },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { borderColor: "#2a3745" },
  });
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: COLORS.up,
    downColor: COLORS.down,
    wickUpColor: COLORS.up,
    wickDownColor: COLORS.down,
    borderVisible: false,
  });
  candles.setData(
    bars.map((bar) => ({
      time: bar.time as UTCTimestamp,
      open: Number(bar.open),
      high: Number(bar.high),
      low: Number(bar.low),
      close: Number(bar.close),
    })),
  );
  const level = (key: "vah" | "val" | "poc", title: string, style: LineStyle) => {
    const series = chart.addSeries(LineSeries, {
      color: COLORS[key],
      lineWidth: 1,
      lineStyle: style,
      title,
      priceLineVisible: false,
      lastValueVisible: true,
      crosshairMarkerVisible: false,
    });
    // A bar without a valid value area is whitespace: a gap in the line.
    series.setData(
      bars.map((bar) =>
        bar[key] === null ? { time: bar.time as UTCTimestamp } : { time: bar.time as UTCTimestamp, value: Number(bar[key]) },
      ),
    );
    return series;
  };
  const levels = {
    vah: level("vah", "VAH", LineStyle.Solid),
    val: level("val", "VAL", LineStyle.Solid),
    poc: level("poc", "POC", LineStyle.Dashed),
  };
  const markers = tradeMarkers(bars, trades, signals);
  createSeriesMarkers(candles, markers);
  chart.timeScale().fitContent();
  return { chart, candles, levels, markers };
}

/**
 * The equity curve: one point per second at most (a run records a point at every minute close
 * and at every fill; points within one second keep the last).
 */
export function drawEquity(element: HTMLElement, points: EquityPoint[]): ISeriesApi<"Line"> {
  const chart = createChart(element, {
    autoSize: true,
    layout: { background: { color: "#0f1720" }, textColor: "#c8d1dc" },
    grid: { vertLines: { color: "#1c2733" }, horzLines: { color: "#1c2733" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const series = chart.addSeries(LineSeries, { color: "#f5a623", lineWidth: 2, priceLineVisible: false });
  const data: { time: UTCTimestamp; value: number }[] = [];
  for (const point of points) {
    const item = { time: point.time as UTCTimestamp, value: Number(point.equity) };
    if (data.length && data[data.length - 1].time === item.time) data[data.length - 1] = item;
    else data.push(item);
  }
  series.setData(data);
  chart.timeScale().fitContent();
  return series;
}
