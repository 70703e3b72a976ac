// The price chart (SPEC 8): candles from the run's market_bars, VAH/VAL/POC as line series
// (the value area in force at each bar's close; gaps where it was not valid yet), and the
// trades (entry, exit) and signals as markers, drawn with TradingView's lightweight-charts.
import {
  CandlestickSeries,
  LineSeries,
  LineStyle,
  LineType,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";

import type { BarColumns, EquityColumns, HeatSeries, RunPerformance, Signal, TradeColumns } from "./api";

export const COLORS = { vah: "#42a5f5", val: "#42a5f5", poc: "#f5a623", up: "#26a69a", down: "#ef5350" };

/** Bars in view when a run opens (two days of 1-minute bars). */
export const RECENT_BARS = 2880;

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

export function tradeMarkers(times: number[], trades: TradeColumns, signals: Signal[]): SeriesMarker<Time>[] {
  const markers: SeriesMarker<Time>[] = [];
  for (let index = 0; index < trades.trade_id.length; index += 1) {
    const id = trades.trade_id[index];
    const long = trades.direction[index] === "long";
    markers.push({
      time: snapToBar(times, trades.entry_time[index]) as UTCTimestamp,
      position: long ? "belowBar" : "aboveBar",
      shape: long ? "arrowUp" : "arrowDown",
      color: long ? COLORS.up : COLORS.down,
      text: `#${id} ${long ? "L" : "S"} ${trades.entry_price[index]}`,
      id: `entry-${id}`,
    });
    markers.push({
      time: snapToBar(times, trades.exit_time[index]) as UTCTimestamp,
      position: long ? "aboveBar" : "belowBar",
      shape: "circle",
      color: Number(trades.net_pnl[index]) >= 0 ? COLORS.up : COLORS.down,
      text: `#${id} ${trades.exit_reason[index]}`,
      id: `exit-${id}`,
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

export function drawChart(element: HTMLElement, bars: BarColumns, trades: TradeColumns, signals: Signal[]): DrawnChart {
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
  const times = bars.time as UTCTimestamp[];
  candles.setData(
    times.map((time, index) => ({
      time,
      open: bars.open[index],
      high: bars.high[index],
      low: bars.low[index],
      close: bars.close[index],
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
    const values = bars[key];
    series.setData(
      times.map((time, index) => {
        const value = values[index];
        return value === null ? { time } : { time, value };
      }),
    );
    return series;
  };
  const levels = {
    vah: level("vah", "VAH", LineStyle.Solid),
    val: level("val", "VAL", LineStyle.Solid),
    poc: level("poc", "POC", LineStyle.Dashed),
  };
  const markers = tradeMarkers(bars.time, trades, signals);
  createSeriesMarkers(candles, markers);
  // Open on the most recent bars (as trading views do): drawing a month of candles and every
  // marker in one screen costs more than the rest of the page; scroll or zoom out for more.
  if (times.length > RECENT_BARS) {
    chart.timeScale().setVisibleLogicalRange({ from: times.length - RECENT_BARS, to: times.length - 1 });
  } else {
    chart.timeScale().fitContent();
  }
  return { chart, candles, levels, markers };
}

/** The equity curve (the API sends one point per second at most). */
export function drawEquity(element: HTMLElement, points: EquityColumns): ISeriesApi<"Line"> {
  const chart = createChart(element, {
    autoSize: true,
    layout: { background: { color: "#0f1720" }, textColor: "#c8d1dc" },
    grid: { vertLines: { color: "#1c2733" }, horzLines: { color: "#1c2733" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const series = chart.addSeries(LineSeries, { color: "#f5a623", lineWidth: 2, priceLineVisible: false });
  series.setData(points.time.map((time, index) => ({ time: time as UTCTimestamp, value: points.equity[index] })));
  chart.timeScale().fitContent();
  return series;
}

/** Drawdown (percent below the running peak) and the rolling Sharpe ratio, two panes; the heat
 * joins as a third with `drawHeat` when it arrives. */
export function drawRisk(element: HTMLElement, performance: RunPerformance): IChartApi {
  const chart = createChart(element, {
    autoSize: true,
    layout: { background: { color: "#0f1720" }, textColor: "#c8d1dc" },
    grid: { vertLines: { color: "#1c2733" }, horzLines: { color: "#1c2733" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const drawdown = chart.addSeries(LineSeries, { color: COLORS.down, lineWidth: 1, priceLineVisible: false, title: "drawdown %" });
  drawdown.setData(
    performance.drawdown.time.map((time, index) => ({
      time: time as UTCTimestamp,
      value: performance.drawdown.drawdown[index] * 100,
    })),
  );
  const sharpe = chart.addSeries(
    LineSeries,
    { color: "#42a5f5", lineWidth: 2, priceLineVisible: false, title: `Sharpe ${performance.rolling_sharpe.window_days}d` },
    1,
  );
  const series = performance.rolling_sharpe.series;
  sharpe.setData(
    series.time.map((time, index) => {
      const value = series.sharpe[index];
      return value === null ? { time: time as UTCTimestamp } : { time: time as UTCTimestamp, value };
    }),
  );
  chart.timeScale().fitContent();
  return chart;
}

/** The heat (open risk to the stops, percent of equity; a step at each entry and exit) as the
 * risk chart's third pane. */
export function drawHeat(chart: IChartApi, heat: HeatSeries): ISeriesApi<"Line"> {
  const series = chart.addSeries(
    LineSeries,
    { color: "#f5a623", lineWidth: 1, lineType: LineType.WithSteps, priceLineVisible: false, title: "heat %" },
    2,
  );
  series.setData(
    heat.time.map((time, index) => {
      const value = heat.heat[index];
      return value === null ? { time: time as UTCTimestamp } : { time: time as UTCTimestamp, value: value * 100 };
    }),
  );
  return series;
}
