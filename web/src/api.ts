// Typed access to the JSON API of `auction-trader serve` (crates/api). Prices and money come
// as exact decimal strings; `time` is whole UTC seconds; `ts` is UTC nanoseconds as a string.

export interface Time {
  ts: string;
  time: number;
}

export interface RunListing {
  name: string;
  net_pnl: string | number | null;
  return_pct: number | null;
  sharpe: number | null;
  trade_count: number | null;
  currency: string | null;
}

export interface RunSummary {
  name: string;
  title: string;
  symbol: string;
  currency: string;
  contract_type: string;
  initial_equity: string;
  first_bar: Time | null;
  last_bar: Time | null;
  counts: Record<string, number>;
  metrics: Record<string, unknown> | null;
  config: string;
}

export interface Bar {
  ts: string;
  time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  vah: string | null;
  val: string | null;
  poc: string | null;
}

/**
 * The bars as columns (`?layout=columns`): one array per field, `time` in whole seconds, prices
 * as JSON numbers (the stored decimal's text; read here as the nearest double).
 */
export interface BarColumns {
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  vah: (number | null)[];
  val: (number | null)[];
  poc: (number | null)[];
}

/** The trades as columns: what the markers and the trades table show. */
export interface TradeColumns {
  trade_id: number[];
  setup: string[];
  direction: string[];
  entry_time: number[];
  entry_price: string[];
  exit_time: number[];
  exit_price: string[];
  exit_reason: string[];
  net_pnl: string[];
}

/** The equity curve as columns, one point per second at most. */
export interface EquityColumns {
  time: number[];
  equity: number[];
  position: number[];
}

/** Volume per price bin of one one-minute bar, split by aggressor (exact decimal strings). */
export interface FootprintBar {
  time: number;
  cells: { low: string; buy: string; sell: string; unknown: string }[];
}

/** `/footprint`: the run's last bars by default, or why there is none. */
export interface Footprint {
  from: Time | null;
  to: Time | null;
  bin_width: string | null;
  bars: FootprintBar[];
  unavailable: string | null;
}

/** P&L of one calendar period (exact decimal strings). */
export interface PeriodRow {
  start: string;
  pnl: string;
  end_equity: string;
  trades: number;
}

/** `/performance`: P&L by period, the drawdown curve (fraction ≤ 0), the rolling Sharpe. */
export interface RunPerformance {
  periods: { day: PeriodRow[]; week: PeriodRow[]; month: PeriodRow[] };
  drawdown: { time: number[]; drawdown: number[] };
  rolling_sharpe: { window_days: number; series: { time: number[]; sharpe: (number | null)[] } };
}

/** `/heat`: open risk to the stops / equity after each entry and exit (a fraction). */
export interface HeatSeries {
  time: number[];
  heat: (number | null)[];
}

export interface Leg {
  time: number;
  price: string;
  quantity: string;
  reason: string;
}

export interface Trade {
  trade_id: number;
  setup: string;
  direction: string;
  signal: Time;
  entry: Time;
  entry_price: string;
  quantity: string;
  stop: string;
  take_profit_2: string;
  exit: Time;
  exit_price: string;
  exit_reason: string;
  net_pnl: string;
  fees: string;
  legs: Leg[];
}

export interface EquityPoint {
  ts: string;
  time: number;
  equity: string;
  position: string;
}

export interface Signal {
  time: number;
  kind: string;
  setup: string | null;
  direction: string | null;
  machine: string;
  detail: string;
}

export interface Profile {
  from: Time;
  to: Time;
  trades: number;
  bin_width: string;
  total_volume: string;
  poc: string;
  val: string;
  vah: string;
  bins: { low: string; volume: string }[];
}

export interface GridListing {
  grid_id: string;
  label: string;
  combinations: number;
  finished: number;
}

export interface GridRow {
  run_id: string;
  seq: number;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  has_run: boolean;
}

export interface GridRows {
  grid: GridListing;
  params: string[];
  metrics: string[];
  rows: GridRow[];
}

/** `/orderflow`: per minute OF, qimb, ambiguous fraction and the SPEC 2.4 tests. */
export interface OrderFlow {
  from: Time | null;
  to: Time | null;
  thresholds: { of_abs_mult: number; of_norm_min: number; qimb_min: number; ambiguous_threshold: number } | null;
  minutes: {
    time: number[];
    of: string[];
    of_norm: (number | null)[];
    of_threshold: (number | null)[];
    qimb: (number | null)[];
    ambiguous: number[];
    initiative: ("buy" | "sell" | null)[];
    qimb_aligned: ("buy" | "sell" | null)[];
    dual: boolean[];
    confirmed: ("buy" | "sell" | null)[];
  };
  unavailable: string | null;
}

/** The session's published state (crates/live `PublishedState`): exact decimal strings. */
export interface LiveState {
  pid: number;
  wall_ns: number;
  ended: boolean;
  mode: string;
  symbol: string;
  generation: number;
  start: number;
  events: number;
  last_event_ts: string;
  position: string;
  realized_pnl: string;
  unrealized_pnl: string | null;
  equity: string | null;
  peak_equity: string | null;
  drawdown: number;
  heat: number;
  trading_enabled: boolean;
  halted: string | null;
  kill_switches: Record<string, boolean>;
  signals: number;
  orders: number;
  fills: number;
  limit_orders: number;
  limit_orders_filled: number;
  fill_rate: number | null;
  fill_rate_expected: number | null;
  slippage_bps: number | null;
  slippage_estimate_bps: number | null;
  book_checks: number;
  book_mismatches: number;
  feed_gaps: number;
  feed_latency_seconds: number;
  alerts_raised: Record<string, number>;
  last_quote: { ts: string; bid: string; bid_size: string; ask: string; ask_size: string } | null;
  last_bar: {
    ts_open: string;
    time: number;
    open: string;
    high: string;
    low: string;
    close: string;
    volume: string;
  } | null;
}

export interface ControlRow {
  enabled: boolean;
  reason: string;
  updated_ns: number;
  version: number;
}

export interface LiveOrder {
  client_id: string;
  order_id: number;
  ts_submit: string;
  side: string;
  kind: string;
  purpose: string;
  limit_price: string | null;
  quantity: string;
  status: string;
}

export interface LiveFill {
  client_id: string;
  seq: number;
  ts: string;
  side: string;
  price: string;
  quantity: string;
  liquidity: string;
  fee: string;
  reference_mid: string | null;
}

export interface LiveAlert {
  id: number;
  wall_ns: string;
  ts: string;
  kind: string;
  message: string;
}

/** `GET /api/live` and every WebSocket message. */
export interface LiveAnswer {
  configured: boolean;
  session: string | null;
  status?: "none" | "running" | "ended" | "stopped";
  running?: boolean;
  age_ns?: number | null;
  state?: LiveState | null;
  control?: ControlRow | null;
  open_orders?: LiveOrder[];
  recent_fills?: LiveFill[];
  alerts?: LiveAlert[];
  error?: string;
}

/** An answer of the API that was not 2xx: its status and the server's JSON message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      body && typeof body === "object" && "error" in body ? String((body as { error: unknown }).error) : response.statusText;
    throw new ApiFailure(response.status, message);
  }
  return body as T;
}

export async function postJson<T>(path: string, payload: unknown): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      body && typeof body === "object" && "error" in body ? String((body as { error: unknown }).error) : response.statusText;
    throw new ApiFailure(response.status, message);
  }
  return body as T;
}

const enc = encodeURIComponent;

export const api = {
  runs: () => getJson<{ runs: RunListing[] }>("/api/runs").then((r) => r.runs),
  run: (name: string) => getJson<RunSummary>(`/api/runs/${enc(name)}`),
  bars: (name: string) => getJson<{ bars: Bar[] }>(`/api/runs/${enc(name)}/bars`).then((r) => r.bars),
  trades: (name: string) => getJson<{ trades: Trade[] }>(`/api/runs/${enc(name)}/trades`).then((r) => r.trades),
  equity: (name: string) =>
    getJson<{ equity: EquityPoint[] }>(`/api/runs/${enc(name)}/equity`).then((r) => r.equity),
  barColumns: (name: string) =>
    getJson<{ bars: BarColumns }>(`/api/runs/${enc(name)}/bars?layout=columns`).then((r) => r.bars),
  tradeColumns: (name: string) =>
    getJson<{ trades: TradeColumns }>(`/api/runs/${enc(name)}/trades?layout=columns`).then((r) => r.trades),
  equityColumns: (name: string) =>
    getJson<{ equity: EquityColumns }>(`/api/runs/${enc(name)}/equity?layout=columns`).then((r) => r.equity),
  footprint: (name: string) => getJson<Footprint>(`/api/runs/${enc(name)}/footprint`),
  heat: (name: string) => getJson<{ heat: HeatSeries }>(`/api/runs/${enc(name)}/heat`).then((r) => r.heat),
  orderFlow: (name: string) => getJson<OrderFlow>(`/api/runs/${enc(name)}/orderflow`),
  fillModels: (name: string) =>
    getJson<{ comparison: { rows: never[] } | null }>(`/api/runs/${enc(name)}/fill-models`).then((r) => r.comparison),
  performance: (name: string) => getJson<RunPerformance>(`/api/runs/${enc(name)}/performance`),
  signals: (name: string) =>
    getJson<{ signals: Signal[] }>(`/api/runs/${enc(name)}/signals?kind=signal`).then((r) => r.signals),
  profile: (name: string, bins: number) =>
    getJson<{ profile: Profile | null; unavailable: string | null }>(`/api/runs/${enc(name)}/profile?bins=${bins}`),
  live: () => getJson<LiveAnswer>("/api/live"),
  setTrading: (enabled: boolean) =>
    postJson<{ control: ControlRow }>("/api/live/control", { trading_enabled: enabled, confirm: true }).then((r) => r.control),
  grids: () => getJson<{ grids: GridListing[] }>("/api/grids").then((r) => r.grids),
  grid: (id: string, sort: string | null, order: "asc" | "desc", conditions: string[] = []) => {
    const query = [
      ...(sort ? [`sort=${enc(sort)}`, `order=${order}`] : []),
      ...conditions.map((condition) => `where=${enc(condition)}`),
    ];
    return getJson<GridRows>(`/api/grids/${enc(id)}` + (query.length ? `?${query.join("&")}` : ""));
  },
};
