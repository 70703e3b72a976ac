// The dashboard page: a hash router over three views (runs list, one run, one grid) on the
// JSON API of `auction-trader serve`. Every failure is shown on the page with the API's
// message; nothing is written to the console.
import "./style.css";

import {
  ApiFailure,
  api,
  type BarColumns,
  type Footprint,
  type GridRows,
  type HeatSeries,
  type OrderFlow,
  type RunPerformance,
  type PeriodRow,
  type Profile,
  type RunSummary,
  type TradeColumns,
} from "./api";
import { drawChart, drawEquity, drawHeat, drawRisk, type DrawnChart } from "./chart";
import { h, figure } from "./dom";
import { drawFootprint } from "./footprint";
import { liveView, type LiveDrawn } from "./live";
import { drawOrderFlow } from "./orderflow";
import { executionQuality } from "./quality";
import { drawProfile, type ProfileView } from "./profile";

/** What the page drew, read by the browser tests (`window.dashboard`). */
export interface DashboardState {
  view: string;
  run?: {
    name: string;
    bars: BarColumns;
    trades: TradeColumns;
    drawn: DrawnChart;
    profile: Profile | null;
    footprint: Footprint | null;
    orderFlow: OrderFlow | null;
    heat: HeatSeries | null;
    performance: RunPerformance;
  };
  grid?: GridRows;
  live?: LiveDrawn;
  ready: boolean;
  /** The run's order flow and execution quality are drawn. */
  extrasReady?: boolean;
}

declare global {
  interface Window {
    dashboard: DashboardState;
  }
}

window.dashboard = { view: "", ready: false };
const app = document.querySelector<HTMLElement>("#app")!;

function showError(error: unknown): void {
  const message = error instanceof ApiFailure ? `${error.status}: ${error.message}` : String(error);
  app.replaceChildren(h("p", { class: "error", role: "alert" }, message));
  window.dashboard.ready = true;
}

async function runsView(): Promise<void> {
  const [runs, grids] = await Promise.all([api.runs(), api.grids()]);
  const rows = runs.map((run) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(run.name)}` }, run.name)),
      h("td", { class: "num" }, figure(run.net_pnl)),
      h("td", {}, run.currency ?? ""),
      h("td", { class: "num" }, figure(run.return_pct)),
      h("td", { class: "num" }, figure(run.sharpe)),
      h("td", { class: "num" }, figure(run.trade_count, 0)),
    ),
  );
  const gridRows = grids.map((grid) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/grids/${encodeURIComponent(grid.grid_id)}` }, grid.grid_id)),
      h("td", { class: "num" }, `${grid.finished} / ${grid.combinations}`),
      h("td", {}, grid.label),
    ),
  );
  app.replaceChildren(
    h("h1", {}, "Runs"),
    runs.length
      ? h(
          "table",
          { id: "runs" },
          h("thead", {}, h("tr", {}, ...["run", "net P&L", "", "return %", "Sharpe", "trades"].map((t) => h("th", {}, t)))),
          h("tbody", {}, ...rows),
        )
      : h("p", {}, "No runs in the runs directory."),
    h("h1", {}, "Grids"),
    grids.length
      ? h(
          "table",
          { id: "grids" },
          h("thead", {}, h("tr", {}, ...["grid", "finished", "label"].map((t) => h("th", {}, t)))),
          h("tbody", {}, ...gridRows),
        )
      : h("p", {}, "No grid databases."),
  );
}

function metricCards(summary: RunSummary): HTMLElement {
  const metrics = summary.metrics ?? {};
  const cards: [string, unknown, number][] = [
    ["net P&L", metrics["net_pnl"], 2],
    ["return %", metrics["return_pct"], 2],
    ["Sharpe", metrics["sharpe"], 2],
    ["trades", metrics["trade_count"], 0],
    ["win rate %", metrics["win_rate_pct"], 1],
    ["profit factor", metrics["profit_factor"], 2],
    ["fees", metrics["total_fees"], 2],
  ];
  return h(
    "div",
    { class: "cards" },
    ...cards.map(([label, value, digits]) =>
      h("div", { class: "card", "data-metric": label }, h("span", {}, label), h("strong", {}, figure(value, digits))),
    ),
  );
}

/** Rows of the trades table (the chart marks every trade; the table lists the first ones). */
const TABLE_ROWS = 1000;

function minute(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

function tradesTable(trades: TradeColumns): HTMLElement {
  const header = ["#", "setup", "dir", "entry", "entry price", "exit", "exit price", "reason", "net P&L"];
  const rows: HTMLElement[] = [];
  for (let index = 0; index < Math.min(trades.trade_id.length, TABLE_ROWS); index += 1) {
    const id = String(trades.trade_id[index]);
    const pnl = trades.net_pnl[index];
    rows.push(
      h(
        "tr",
        { "data-trade": id },
        h("td", {}, id),
        h("td", {}, trades.setup[index]),
        h("td", {}, trades.direction[index]),
        h("td", {}, minute(trades.entry_time[index])),
        h("td", { class: "num" }, trades.entry_price[index]),
        h("td", {}, minute(trades.exit_time[index])),
        h("td", { class: "num" }, trades.exit_price[index]),
        h("td", {}, trades.exit_reason[index]),
        h("td", { class: `num ${Number(pnl) >= 0 ? "up" : "down"}` }, pnl),
      ),
    );
  }
  return h(
    "table",
    { id: "trades" },
    h("thead", {}, h("tr", {}, ...header.map((t) => h("th", {}, t)))),
    h("tbody", {}, ...rows),
  );
}

type PeriodName = "day" | "week" | "month";

/** P&L by period: the rows of one period kind, with buttons to switch. */
function periodTable(performance: RunPerformance, currency: string): HTMLElement {
  const box = h("div", { id: "periods" });
  const render = (period: PeriodName) => {
    const rows: PeriodRow[] = performance.periods[period];
    const buttons = (["day", "week", "month"] as PeriodName[]).map((name) => {
      const button = h(
        "button",
        { type: "button", "data-period": name, "aria-pressed": String(name === period) },
        name === "day" ? "Daily" : name === "week" ? "Weekly" : "Monthly",
      );
      button.addEventListener("click", () => render(name));
      return button;
    });
    box.replaceChildren(
      h("div", { class: "aside-head" }, h("h2", {}, `P&L by ${period} (${currency})`), h("span", {}, ...buttons)),
      rows.length
        ? h(
            "table",
            { id: "period-table", "data-period": period },
            h("thead", {}, h("tr", {}, ...["from", "P&L", "equity", "trades"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              ...rows.map((row) =>
                h(
                  "tr",
                  {},
                  h("td", {}, row.start),
                  h("td", { class: `num ${Number(row.pnl) >= 0 ? "up" : "down"}` }, row.pnl),
                  h("td", { class: "num" }, row.end_equity),
                  h("td", { class: "num" }, String(row.trades)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No equity points."),
    );
  };
  render("day");
  return box;
}

async function runView(name: string): Promise<void> {
  // Asked for at once with the rest; drawn when the chart is.
  const profileAnswer = api.profile(name, 60);
  profileAnswer.catch(() => undefined);
  const footprintAnswer = api.footprint(name);
  footprintAnswer.catch(() => undefined);
  const orderFlowAnswer = api.orderFlow(name);
  orderFlowAnswer.catch(() => undefined);
  const fillModelsAnswer = api.fillModels(name);
  fillModelsAnswer.catch(() => undefined);
  const heatAnswer = api.heat(name);
  heatAnswer.catch(() => undefined);
  const [summary, bars, trades, signals, equity, risk] = await Promise.all([
    api.run(name),
    api.barColumns(name),
    api.tradeColumns(name),
    api.signals(name),
    api.equityColumns(name),
    api.performance(name),
  ]);
  performance.mark("run-data");
  const chartBox = h("div", { id: "chart", "data-bars": String(bars.time.length) });
  const equityBox = h("div", { id: "equity", "data-points": String(equity.time.length) });
  const riskBox = h("div", { id: "risk", "data-points": String(risk.drawdown.time.length) });
  const footprintBox = h("div", { id: "footprint", class: "scroll" }, h("p", { class: "muted" }, "loading the footprint…"));
  const orderFlowBox = h("div", { id: "orderflow", class: "scroll" }, h("p", { class: "muted" }, "loading the order flow…"));
  const qualityBox = h("div", { id: "quality" }, h("p", { class: "muted" }, "loading…"));
  const profileBox = h("div", { id: "profile" }, h("p", { class: "muted" }, "loading the volume profile…"));
  let view: ProfileView = "histogram";
  const toggle = h("button", { id: "profile-toggle", type: "button", "aria-pressed": "false" }, "Lines view");
  app.replaceChildren(
    h("h1", {}, `${summary.name} `, h("small", {}, `${summary.symbol} · ${summary.currency} · ${summary.title}`)),
    metricCards(summary),
    h(
      "section",
      { class: "trading" },
      chartBox,
      h("aside", {}, h("div", { class: "aside-head" }, h("h2", {}, "Volume profile"), toggle), profileBox),
    ),
    h("p", { class: "legend" }, "VAH/VAL blue, POC orange dashed; ▲▼ entries, ● exits, ■ signals."),
    h("h2", {}, "Footprint (sell × buy volume per price, last bars)"),
    footprintBox,
    h("h2", {}, "Order flow per minute (OF, qimb, ambiguous fraction against the SPEC 2.4 thresholds; last 120 minutes)"),
    orderFlowBox,
    h("h2", {}, `Equity (${summary.currency})`),
    equityBox,
    h("h2", {}, `Drawdown %, rolling Sharpe (${risk.rolling_sharpe.window_days} days of daily returns) and heat % (open risk to the stops / equity)`),
    riskBox,
    periodTable(risk, summary.currency),
    h("h2", {}, "Execution quality"),
    qualityBox,
    h(
      "h2",
      {},
      trades.trade_id.length > TABLE_ROWS
        ? `Trades (${trades.trade_id.length}; the first ${TABLE_ROWS} listed)`
        : `Trades (${trades.trade_id.length})`,
    ),
    tradesTable(trades),
  );
  performance.mark("run-dom");
  const drawn = drawChart(chartBox, bars, trades, signals);
  drawEquity(equityBox, equity);
  const riskChart = drawRisk(riskBox, risk);
  performance.mark("run-charts");
  window.dashboard.run = { name, bars, trades, drawn, profile: null, footprint: null, orderFlow: null, heat: null, performance: risk };
  let profile: Profile | null = null;
  try {
    const answer = await profileAnswer;
    profile = answer.profile;
    window.dashboard.run.profile = profile;
    if (profile) {
      drawProfile(profileBox, profile, view);
      profileBox.append(
        h("p", { class: "muted" }, `${profile.trades.toLocaleString("en-US")} trades, bin ${profile.bin_width}`),
      );
    } else {
      profileBox.replaceChildren(h("p", { class: "muted", id: "profile-missing" }, answer.unavailable ?? "no profile"));
      toggle.setAttribute("disabled", "");
    }
  } catch (error) {
    const message = error instanceof ApiFailure ? error.message : String(error);
    profileBox.replaceChildren(h("p", { class: "error", id: "profile-missing" }, message));
    toggle.setAttribute("disabled", "");
  }
  try {
    const footprint = await footprintAnswer;
    window.dashboard.run.footprint = footprint;
    if (footprint.unavailable) {
      footprintBox.replaceChildren(h("p", { class: "muted", id: "footprint-missing" }, footprint.unavailable));
    } else {
      drawFootprint(footprintBox, footprint);
    }
  } catch (error) {
    const message = error instanceof ApiFailure ? error.message : String(error);
    footprintBox.replaceChildren(h("p", { class: "error", id: "footprint-missing" }, message));
  }
  toggle.addEventListener("click", () => {
    if (!profile) return;
    view = view === "histogram" ? "lines" : "histogram";
    toggle.textContent = view === "histogram" ? "Lines view" : "Histogram view";
    toggle.setAttribute("aria-pressed", String(view === "lines"));
    drawProfile(profileBox, profile, view);
  });
  // Heat, execution quality and the order flow (the server replays hours of stored market data
  // for it): drawn when they arrive, without holding the page back
  // (`window.dashboard.extrasReady`).
  void (async () => {
    try {
      const heat = await heatAnswer;
      if (window.dashboard.run?.name === name) window.dashboard.run.heat = heat;
      drawHeat(riskChart, heat);
    } catch (error) {
      const message = error instanceof ApiFailure ? error.message : String(error);
      riskBox.after(h("p", { class: "error", id: "heat-missing" }, message));
    }
    try {
      qualityBox.replaceChildren(executionQuality(summary.metrics, await fillModelsAnswer));
    } catch (error) {
      const message = error instanceof ApiFailure ? error.message : String(error);
      qualityBox.replaceChildren(h("p", { class: "error" }, message));
    }
    try {
      const flow = await orderFlowAnswer;
      if (window.dashboard.run?.name === name) window.dashboard.run.orderFlow = flow;
      if (flow.unavailable) {
        orderFlowBox.replaceChildren(h("p", { class: "muted", id: "orderflow-missing" }, flow.unavailable));
      } else {
        drawOrderFlow(orderFlowBox, flow);
      }
    } catch (error) {
      const message = error instanceof ApiFailure ? error.message : String(error);
      orderFlowBox.replaceChildren(h("p", { class: "error", id: "orderflow-missing" }, message));
    }
    if (window.dashboard.run?.name === name) window.dashboard.extrasReady = true;
  })();
}

/** One combination's parameters and metrics, with a link to its run when it was kept. */
function gridDetail(grid: GridRows, runId: string): HTMLElement {
  const row = grid.rows.find((candidate) => candidate.run_id === runId);
  if (!row) return h("aside", { id: "grid-detail" });
  const table = (title: string, values: Record<string, unknown>) =>
    h(
      "table",
      { class: "detail", "data-kind": title },
      h("thead", {}, h("tr", {}, h("th", { colspan: "2" }, title))),
      h(
        "tbody",
        {},
        ...Object.entries(values).map(([key, value]) =>
          h("tr", { "data-key": key }, h("td", {}, key), h("td", { class: "num" }, value === null ? "–" : String(value))),
        ),
      ),
    );
  return h(
    "aside",
    { id: "grid-detail", "data-run": row.run_id },
    h("h2", {}, `#${row.seq} `, row.has_run ? h("a", { href: `#/runs/${encodeURIComponent(row.run_id)}` }, row.run_id) : row.run_id),
    table("parameters", row.params),
    table("metrics", row.metrics),
  );
}

async function gridView(id: string): Promise<void> {
  let sort: string | null = null;
  let order: "asc" | "desc" = "desc";
  let conditions: string[] = [];
  let selected: string | null = null;
  let filterError = "";
  const render = async () => {
    let grid: GridRows;
    try {
      grid = await api.grid(id, sort, order, conditions);
      filterError = "";
    } catch (error) {
      // A filter the server cannot read: keep the last good table and say why.
      if (!(error instanceof ApiFailure) || error.status !== 400 || !conditions.length) throw error;
      filterError = error.message;
      conditions = [];
      grid = await api.grid(id, sort, order, conditions);
    }
    window.dashboard.grid = grid;
    const columns: [string, "param" | "metric"][] = [
      ...grid.params.map((name): [string, "param"] => [name, "param"]),
      ...grid.metrics.map((name): [string, "metric"] => [name, "metric"]),
    ];
    const head = h(
      "tr",
      {},
      h("th", {}, "seq"),
      h("th", {}, "run"),
      ...columns.map(([name, kind]) => {
        const sorted = sort === name;
        const th = h(
          "th",
          {
            class: `sortable ${kind}`,
            "data-column": name,
            "aria-sort": sorted ? (order === "asc" ? "ascending" : "descending") : "none",
            title: "sort",
          },
          name + (sorted ? (order === "asc" ? " ▲" : " ▼") : ""),
        );
        th.addEventListener("click", () => {
          order = sort === name && order === "desc" ? "asc" : "desc";
          sort = name;
          render().catch(showError);
        });
        return th;
      }),
    );
    const body = grid.rows.map((row) => {
      const tr = h(
        "tr",
        { "data-run": row.run_id, class: row.run_id === selected ? "selected" : "" },
        h("td", {}, String(row.seq)),
        h("td", {}, row.has_run ? h("a", { href: `#/runs/${encodeURIComponent(row.run_id)}` }, row.run_id) : row.run_id),
        ...columns.map(([name, kind]) =>
          h("td", { class: "num", "data-column": name }, figure(kind === "param" ? row.params[name] : row.metrics[name], 4)),
        ),
      );
      tr.addEventListener("click", (event) => {
        if ((event.target as HTMLElement).closest("a")) return;
        selected = row.run_id;
        render().catch(showError);
      });
      return tr;
    });
    const filter = h("input", {
      id: "grid-filter",
      type: "text",
      placeholder: "filter, e.g. net_pnl > 0 and trades >= 10",
      value: conditions.join(" and "),
      "aria-label": "filter rows",
    });
    const form = h("form", { id: "grid-filter-form" }, filter, h("button", { type: "submit" }, "Filter"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      conditions = filter.value
        .split(/\s+and\s+/i)
        .map((part) => part.trim())
        .filter((part) => part.length > 0);
      render().catch(showError);
    });
    app.replaceChildren(
      h("h1", {}, `Grid ${grid.grid.grid_id} `, h("small", {}, `${grid.grid.finished} / ${grid.grid.combinations} ${grid.grid.label}`)),
      h("p", { class: "muted" }, "Click a column to sort (largest first, again for smallest first), a row for its detail."),
      form,
      filterError ? h("p", { class: "error", role: "alert", id: "grid-filter-error" }, filterError) : "",
      h("p", { class: "muted", id: "grid-count" }, `${grid.rows.length} rows`),
      h(
        "section",
        { class: "grid-layout" },
        h(
          "div",
          { class: "scroll" },
          h(
            "table",
            { id: "grid-table", "data-sort": sort ?? "", "data-order": order, "data-where": conditions.join(" and ") },
            h("thead", {}, head),
            h("tbody", {}, ...body),
          ),
        ),
        selected ? gridDetail(grid, selected) : "",
      ),
    );
    window.dashboard.ready = true;
  };
  await render();
}

async function route(): Promise<void> {
  window.dashboard = { view: location.hash, ready: false };
  const path = location.hash.replace(/^#/, "") || "/";
  const run = /^\/runs\/(.+)$/.exec(path);
  const live = path === "/live";
  const grid = /^\/grids\/(.+)$/.exec(path);
  try {
    if (live) await liveView(app, showError);
    else if (run) await runView(decodeURIComponent(run[1]));
    else if (grid) await gridView(decodeURIComponent(grid[1]));
    else await runsView();
    window.dashboard.ready = true;
  } catch (error) {
    showError(error);
  }
}

window.addEventListener("hashchange", () => void route());
void route();
