// The live view (`#/live`, SPEC 8 "updates live while the engine runs"): the state of the
// session `serve --session D` watches, pushed over the WebSocket `/api/live/ws` whenever it
// changes — mode, trading control (observe ↔ enabled, with a confirmation), position and
// P&L, heat, kill switches, alerts and drift warnings, execution quality, the last quote and
// bar, open orders and recent fills. Every figure is the server's; nothing is computed here
// but display formatting.
import { CandlestickSeries, LineSeries, createChart, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";

import { ApiFailure, api, type LiveAnswer, type LiveState } from "./api";
import { COLORS } from "./chart";
import { figure, h } from "./dom";

/** What the live view drew, read by the browser tests (`window.dashboard.live`). */
export interface LiveDrawn {
  /** Messages received over the WebSocket. */
  updates: number;
  last: LiveAnswer | null;
  /** Mid prices drawn (one per quote second). */
  mids: { time: number; value: number }[];
  bars: { time: number; close: number }[];
}

/** Warnings are alert kinds that say the live data or fills drift from the model. */
const DRIFT_KINDS = ["shadow_divergence", "replay_divergence", "position_mismatch", "book_mismatch"];

const nsToIso = (ns: string | number): string => {
  const ms = Math.floor(Number(ns) / 1e6);
  return ms > 0 ? new Date(ms).toISOString().replace("T", " ").slice(0, 23) : "–";
};

const percent = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined ? "–" : `${(value * 100).toFixed(digits)} %`;

function card(label: string, value: string, attributes: Record<string, string> = {}): HTMLElement {
  return h("div", { class: "card", "data-live": label, ...attributes }, h("span", {}, label), h("strong", {}, value));
}

function table(id: string, header: string[], rows: HTMLElement[], empty: string): HTMLElement {
  return rows.length
    ? h("table", { id }, h("thead", {}, h("tr", {}, ...header.map((t) => h("th", {}, t)))), h("tbody", {}, ...rows))
    : h("p", { class: "muted", id }, empty);
}

/** The confirmation before a control change (SPEC 7: trading is enabled explicitly). */
function confirmChange(enable: boolean, state: LiveState | null | undefined): Promise<boolean> {
  const dialog = h("dialog", { id: "confirm-dialog" });
  const what = state ? `${state.mode} session on ${state.symbol}` : "the session";
  dialog.append(
    h("h2", {}, enable ? "Enable trading?" : "Disable trading?"),
    h(
      "p",
      {},
      enable
        ? `The ${what} leaves observe mode and opens positions on its next signal.`
        : `The ${what} stops opening positions (exits still run).`,
    ),
    h(
      "form",
      { method: "dialog", class: "dialog-buttons" },
      h("button", { value: "yes", id: "confirm-yes", class: enable ? "danger" : "" }, enable ? "Enable trading" : "Disable trading"),
      h("button", { value: "no", id: "confirm-no" }, "Cancel"),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    dialog.showModal();
  });
}

/** Draws `answer` into the view's boxes. */
function render(answer: LiveAnswer, boxes: Record<string, HTMLElement>, onToggle: (enable: boolean) => void): void {
  const state = answer.state ?? null;
  const status = answer.error ? "error" : (answer.status ?? "none");
  boxes.status.replaceChildren(
    h(
      "span",
      { id: "live-status", class: `badge ${status}`, "data-status": status },
      answer.error ? answer.error : status === "none" ? "no session has run in this directory yet" : status,
    ),
  );
  const control = answer.control ?? null;
  const requested = control?.enabled ?? false;
  const toggle = h(
    "button",
    { id: "trading-toggle", type: "button", "data-enable": String(!requested), class: requested ? "" : "danger" },
    requested ? "Disable trading (observe)" : "Enable trading",
  );
  toggle.addEventListener("click", () => onToggle(!requested));
  boxes.control.replaceChildren(
    h(
      "div",
      { class: "control" },
      h("strong", { id: "control-state", "data-enabled": String(requested) }, requested ? "trading enabled" : "observe mode"),
      h("span", { class: "muted", id: "control-reason" }, control ? ` ${control.reason} (version ${control.version})` : " no control row yet"),
      state && state.trading_enabled !== requested && answer.running
        ? h("span", { class: "muted", id: "control-pending" }, ` · the engine ${state.trading_enabled ? "trades" : "observes"} (applied within a second, unless refused)`)
        : "",
      toggle,
    ),
  );
  if (!state) {
    for (const key of ["cards", "quality", "switches", "orders", "fills", "alerts"]) boxes[key].replaceChildren();
    return;
  }
  const pnlClass = (text: string | null) => (text === null ? "" : Number(text) >= 0 ? "up" : "down");
  boxes.cards.replaceChildren(
    card("mode", state.mode),
    card("engine", state.trading_enabled ? "trading" : "observing", { "data-value": String(state.trading_enabled) }),
    card("position", state.position, { "data-value": state.position }),
    card("realized P&L", state.realized_pnl, { "data-value": state.realized_pnl, class: `card ${pnlClass(state.realized_pnl)}` }),
    card("unrealized", state.unrealized_pnl ?? "–", { "data-value": state.unrealized_pnl ?? "" }),
    card("equity", state.equity ?? "–", { "data-value": state.equity ?? "" }),
    card("drawdown", percent(state.drawdown), { "data-value": String(state.drawdown) }),
    card("heat", percent(state.heat), { "data-value": String(state.heat) }),
    card("events", figure(state.events, 0), { "data-value": String(state.events) }),
    card("last event", nsToIso(state.last_event_ts)),
    card(
      "last quote",
      state.last_quote ? `${state.last_quote.bid} / ${state.last_quote.ask}` : "–",
      { "data-value": state.last_quote ? `${state.last_quote.bid}/${state.last_quote.ask}` : "" },
    ),
    card(
      "last bar",
      state.last_bar ? `${state.last_bar.open} ${state.last_bar.high} ${state.last_bar.low} ${state.last_bar.close}` : "–",
    ),
    card("halted", state.halted ?? "no", { class: state.halted ? "card down" : "card" }),
  );
  const fillRate = state.fill_rate;
  const expected = state.fill_rate_expected;
  const slip = state.slippage_bps;
  const estimate = state.slippage_estimate_bps;
  boxes.quality.replaceChildren(
    table(
      "execution-quality",
      ["measure", "live", "expected", ""],
      [
        h(
          "tr",
          { "data-measure": "fill_rate" },
          h("td", {}, `fill rate (${state.limit_orders_filled} of ${state.limit_orders} limit entries)`),
          h("td", { class: "num" }, percent(fillRate, 1)),
          h("td", { class: "num" }, expected === null ? "– (shadow mode only)" : percent(expected, 1)),
          h("td", { class: fillRate !== null && expected !== null && fillRate < expected ? "down" : "" }, fillRate !== null && expected !== null ? (fillRate < expected ? "below" : "at or above") : ""),
        ),
        h(
          "tr",
          { "data-measure": "slippage" },
          h("td", {}, "taker slippage from the mid at submit (bps)"),
          h("td", { class: "num" }, figure(slip, 2)),
          h("td", { class: "num" }, estimate === null ? "–" : `${figure(estimate, 2)} (half spread)`),
          h("td", { class: slip !== null && estimate !== null && slip > estimate ? "down" : "" }, slip !== null && estimate !== null ? (slip > estimate ? "worse" : "within") : ""),
        ),
        h(
          "tr",
          { "data-measure": "book" },
          h("td", {}, "book checks / mismatches / gaps"),
          h("td", { class: "num" }, `${state.book_checks} / ${state.book_mismatches} / ${state.feed_gaps}`),
          h("td", { class: "num" }, "– / 0 / 0"),
          h("td", { class: state.book_mismatches > 0 ? "down" : "" }, state.book_mismatches > 0 ? "mismatch" : ""),
        ),
      ],
      "",
    ),
  );
  const drift = DRIFT_KINDS.map((kind) => [kind, state.alerts_raised[kind] ?? 0] as const);
  boxes.switches.replaceChildren(
    h(
      "div",
      { id: "kill-switches", class: "chips" },
      ...Object.entries(state.kill_switches).map(([name, holding]) =>
        h(
          "span",
          { class: `chip ${holding ? "down" : "up"}`, "data-switch": name, "data-holding": String(holding) },
          `${name}: ${name === "feature_drift" ? "not measured" : holding ? "HOLDING" : "ok"}`,
        ),
      ),
    ),
    h(
      "div",
      { id: "drift-warnings", class: "chips" },
      ...drift.map(([kind, count]) =>
        h("span", { class: `chip ${count > 0 ? "down" : "up"}`, "data-kind": kind, "data-count": String(count) }, `${kind}: ${count}`),
      ),
    ),
  );
  boxes.orders.replaceChildren(
    table(
      "open-orders",
      ["client id", "submitted", "side", "kind", "purpose", "limit", "quantity", "status"],
      (answer.open_orders ?? []).map((order) =>
        h(
          "tr",
          { "data-client": order.client_id },
          h("td", {}, order.client_id),
          h("td", {}, nsToIso(order.ts_submit)),
          h("td", { class: order.side === "buy" ? "up" : "down" }, order.side),
          h("td", {}, order.kind),
          h("td", {}, order.purpose),
          h("td", { class: "num", "data-field": "limit" }, order.limit_price ?? "market"),
          h("td", { class: "num", "data-field": "quantity" }, order.quantity),
          h("td", {}, order.status),
        ),
      ),
      "No open orders.",
    ),
  );
  boxes.fills.replaceChildren(
    table(
      "live-fills",
      ["time", "client id", "#", "side", "price", "quantity", "liquidity", "fee", "mid at submit"],
      (answer.recent_fills ?? []).map((fill) =>
        h(
          "tr",
          { "data-client": fill.client_id, "data-seq": String(fill.seq) },
          h("td", {}, nsToIso(fill.ts)),
          h("td", {}, fill.client_id),
          h("td", {}, String(fill.seq)),
          h("td", { class: fill.side === "buy" ? "up" : "down" }, fill.side),
          h("td", { class: "num", "data-field": "price" }, fill.price),
          h("td", { class: "num", "data-field": "quantity" }, fill.quantity),
          h("td", {}, fill.liquidity),
          h("td", { class: "num", "data-field": "fee" }, fill.fee),
          h("td", { class: "num" }, fill.reference_mid ?? "–"),
        ),
      ),
      "No fills yet.",
    ),
  );
  boxes.alerts.replaceChildren(
    table(
      "live-alerts",
      ["wall time", "kind", "message"],
      (answer.alerts ?? []).map((alert) =>
        h(
          "tr",
          { "data-alert": String(alert.id), class: DRIFT_KINDS.includes(alert.kind) || alert.kind === "kill_switch" ? "warn" : "" },
          h("td", {}, nsToIso(alert.wall_ns)),
          h("td", {}, alert.kind),
          h("td", {}, alert.message),
        ),
      ),
      "No alerts.",
    ),
  );
}

/** The live price: the mid of each pushed quote (one point per second) and the closed bars. */
function liveChart(element: HTMLElement): { mid: ISeriesApi<"Line">; candles: ISeriesApi<"Candlestick"> } {
  const chart = createChart(element, {
    autoSize: true,
    layout: { background: { color: "#0f1720" }, textColor: "#c8d1dc" },
    grid: { vertLines: { color: "#1c2733" }, horzLines: { color: "#1c2733" } },
    timeScale: { timeVisible: true, secondsVisible: true },
  });
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: COLORS.up,
    downColor: COLORS.down,
    wickUpColor: COLORS.up,
    wickDownColor: COLORS.down,
    borderVisible: false,
  });
  const mid = chart.addSeries(LineSeries, { color: "#f5a623", lineWidth: 2, title: "mid" });
  return { mid, candles };
}

export async function liveView(app: HTMLElement, showError: (error: unknown) => void): Promise<void> {
  const first = await api.live();
  if (!first.configured) {
    app.replaceChildren(
      h("h1", {}, "Live session"),
      h("p", { class: "muted", id: "live-unconfigured" }, "No live session: start serve with --session <the session's --data-dir>."),
    );
    return;
  }
  const drawn: LiveDrawn = { updates: 0, last: first, mids: [], bars: [] };
  window.dashboard.live = drawn;
  const boxes: Record<string, HTMLElement> = {};
  for (const key of ["status", "control", "cards", "quality", "switches", "orders", "fills", "alerts"]) {
    boxes[key] = h("div", { id: `live-${key}-box`, class: key === "cards" ? "cards" : "" });
  }
  const chartBox = h("div", { id: "live-chart" });
  app.replaceChildren(
    h("h1", {}, "Live session ", h("small", {}, first.session ?? "")),
    boxes.status,
    boxes.control,
    boxes.cards,
    h("h2", {}, "Price (mid of the last quote each update; closed one-minute bars)"),
    chartBox,
    h("h2", {}, "Kill switches and drift warnings"),
    boxes.switches,
    h("h2", {}, "Execution quality"),
    boxes.quality,
    h("h2", {}, "Open orders"),
    boxes.orders,
    h("h2", {}, "Recent fills"),
    boxes.fills,
    h("h2", {}, "Alerts"),
    boxes.alerts,
  );
  const series = liveChart(chartBox);
  const draw = (answer: LiveAnswer) => {
    drawn.last = answer;
    const state = answer.state;
    if (state?.last_quote) {
      const time = Math.floor(Number(BigInt(state.last_quote.ts) / 1_000_000_000n));
      const value = (Number(state.last_quote.bid) + Number(state.last_quote.ask)) / 2;
      const last = drawn.mids.at(-1);
      if (!last || time >= last.time) {
        if (last && last.time === time) last.value = value;
        else drawn.mids.push({ time, value });
        series.mid.update({ time: time as UTCTimestamp, value });
      }
    }
    if (state?.last_bar) {
      const bar = state.last_bar;
      const last = drawn.bars.at(-1);
      if (!last || bar.time > last.time) {
        drawn.bars.push({ time: bar.time, close: Number(bar.close) });
        series.candles.update({
          time: bar.time as UTCTimestamp,
          open: Number(bar.open),
          high: Number(bar.high),
          low: Number(bar.low),
          close: Number(bar.close),
        });
      }
    }
    render(answer, boxes, (enable) => void change(enable));
  };
  const change = async (enable: boolean) => {
    if (!(await confirmChange(enable, drawn.last?.state))) return;
    try {
      await api.setTrading(enable);
      // Shown at once; the push follows with the session's own view of it.
      draw(await api.live());
    } catch (error) {
      const message = error instanceof ApiFailure ? `${error.status}: ${error.message}` : String(error);
      boxes.control.append(h("p", { class: "error", role: "alert", id: "control-error" }, message));
    }
  };
  draw(first);
  const hash = location.hash;
  const connect = () => {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live/ws`);
    socket.addEventListener("message", (event) => {
      try {
        drawn.updates += 1;
        draw(JSON.parse(String(event.data)) as LiveAnswer);
      } catch (error) {
        showError(error);
      }
    });
    socket.addEventListener("close", () => {
      // Reconnect while the page still shows this view (the server restarted, a network blip).
      if (location.hash === hash) window.setTimeout(connect, 1000);
    });
    window.addEventListener("hashchange", () => socket.close(), { once: true });
  };
  connect();
}
