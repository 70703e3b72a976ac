// Browser tests of the dashboard (SPEC 8) in headless Debian Chromium driven by playwright-core
// (no browser download). Against a real backtest made here (one day of bitFlyer BTC/JPY
// executions and tickers from ../shared/data) and a real 4-combination grid (sma_cross on three
// days of BTC-PERP 1-minute bars), served by `auction-trader serve` on a loopback port:
// - what the chart draws equals the run's execution.db (`auction-trader report --export-rows`);
// - the volume profile equals `auction-trader features profile` over the same trades, and the
//   histogram/lines toggle redraws it;
// - sorting the grid table orders its rows as grid.db does (`grid export --csv`);
// - no console error, no request leaves 127.0.0.1; screenshots go to $SCREENSHOT_DIR.
//
// Environment: AUCTION_TRADER_BIN (default $CARGO_TARGET_DIR/debug/auction-trader),
// SHARED_DATA (default ../shared/data), CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR
// (default $CARGO_TARGET_DIR/dashboard-screenshots; docs/dashboard refreshes the docs).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
const binary = process.env.AUCTION_TRADER_BIN ?? path.join(targetDir, "debug/auction-trader");
const shared = process.env.SHARED_DATA ?? path.resolve(root, "../shared/data");
const executable = process.env.CHROMIUM ?? "/usr/bin/chromium";
// docs/dashboard/ when refreshing the documentation's pictures; elsewhere by default so a test
// run leaves the checkout as it was.
const screenshots = path.resolve(root, process.env.SCREENSHOT_DIR ?? path.join(targetDir, "dashboard-screenshots"));
const executions = path.join(shared, "bitflyer/bitflyer.execution.20180121.BTC_JPY.csv.gz");
const tickers = path.join(shared, "bitflyer/bitflyer.ticker.20180121.BTC_JPY.csv.gz");
const minuteBars = path.join(shared, "nautilus/btc-perp_1m_20211231-20220201.csv");
const haveData = [executions, tickers, minuteBars].every((file) => existsSync(file));
const skip = haveData ? false : `no shared data at ${shared}`;

// The flags Chromium needs on a closed network (no background connections, no updates).
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let work;
let server;
let base;
let context;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

function cli(...args) {
  return execFileSync(binary, args, { cwd: work, encoding: "utf8", maxBuffer: 256 << 20, timeout: 300_000 });
}

/** `report --export-rows` of execution.db: table name -> rows of column texts. */
function exportedRows(runDir) {
  const tables = new Map();
  for (const line of cli("report", runDir, "--export-rows").split("\n")) {
    if (!line) continue;
    const [table, ...columns] = line.split("\t");
    if (!tables.has(table)) tables.set(table, []);
    tables.get(table).push(columns);
  }
  return tables;
}

/** Whole UTC seconds of a nanosecond timestamp text. */
const seconds = (ts) => Number(BigInt(ts) / 1_000_000_000n);
const number = (text) => (text === "NULL" ? null : Number(text));

async function startServer() {
  const child = spawn(
    binary,
    ["serve", "--runs", "runs", "--data-dir", "data", "--grid-db", "grid.db", "--bind", "127.0.0.1:0"],
    { cwd: work, stdio: ["ignore", "pipe", "inherit"] },
  );
  const address = await new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${text}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /http:\/\/(127\.0\.0\.1:\d+)\//.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
  });
  return { child, address };
}

async function newPage() {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  return { page, problems };
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), "dashboard-test-"));
  writeFileSync(
    path.join(work, "bf.yaml"),
    [
      "run: {name: bf, output_dir: runs}",
      "data:",
      "  dir: data",
      `  import: [${executions}, ${tickers}]`,
      "  venue: bitflyer",
      "  symbol: BTC_JPY",
      "  market: spot",
      "instrument: {maker_fee_bps: 2, taker_fee_bps: 5}",
      "account: {initial_equity: 1000000}",
      "",
    ].join("\n"),
  );
  cli("backtest", "-c", "bf.yaml");
  console.log(`# backtest bf: done at ${elapsed()}`);
  // The fill-model comparison the execution-quality view shows (runs/bf-fill-models/).
  cli("fills", "compare", "-c", "bf.yaml");
  console.log(`# fills compare bf: done at ${elapsed()}`);
  writeFileSync(
    path.join(work, "sma.yaml"),
    [
      "run: {name: sma, output_dir: runs}",
      "data:",
      "  dir: data",
      `  import: [${minuteBars}]`,
      "  bar_label: close",
      "  venue: nautilus",
      "  symbol: BTC-PERP",
      "  start: 2022-01-03",
      "  end: 2022-01-06",
      "  warmup_minutes: 60",
      "instrument: {tick_size: 1, lot_size: 0.0001, taker_fee_bps: 5}",
      "account: {initial_equity: 10000}",
      "strategy: {kind: sma_cross}",
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(work, "sweep.yaml"),
    "parameters:\n  strategy.sma_cross.fast: {values: [5, 10]}\n  strategy.sma_cross.slow: {values: [20, 40]}\n",
  );
  cli("grid", "run", "-c", "sma.yaml", "--sweep", "sweep.yaml", "--db", "grid.db", "--workers", "1");
  console.log(`# grid: done at ${elapsed()}`);
  server = await startServer();
  base = `http://${server.address}`;
  mkdirSync(screenshots, { recursive: true });
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "chromium-profile-")), {
    executablePath: executable,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  // The page must work with no internet: any request that leaves the server is refused and
  // fails the test.
  context.outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === server.address) return route.continue();
    context.outside.push(url.href);
    return route.abort();
  });
  console.log(`# server and browser up at ${elapsed()}`);
});

after(async () => {
  await context?.close();
  server?.child.kill("SIGINT");
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`# browser tests: ${elapsed()}`);
});

test("the run page draws the run's execution.db", { skip, timeout: 120_000 }, async () => {
  const rows = exportedRows("runs/bf");
  const bars = rows.get("market_bars") ?? [];
  const trades = rows.get("trades") ?? [];
  assert.ok(bars.length > 100, `bars: ${bars.length}`);
  assert.ok(trades.length > 0, "the day has trades");
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/runs/bf`);
  await page.waitForFunction(() => window.dashboard?.ready === true, null, { timeout: 60_000 });
  const drawn = await page.evaluate(() => {
    const run = window.dashboard.run;
    return {
      candles: run.drawn.candles.data(),
      vah: run.drawn.levels.vah.data(),
      val: run.drawn.levels.val.data(),
      poc: run.drawn.levels.poc.data(),
      markers: run.drawn.markers.map((marker) => marker.id),
      canvases: [...document.querySelectorAll("#chart canvas")].map((canvas) => canvas.width * canvas.height),
    };
  });
  // market_bars columns: ts, open, high, low, close, vah, val, poc.
  assert.deepEqual(
    drawn.candles,
    bars.map(([ts, open, high, low, close]) => ({
      time: seconds(ts),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
    })),
  );
  // A bar without a valid value area is a gap (whitespace, which the chart does not return).
  for (const [index, key] of [[5, "vah"], [6, "val"], [7, "poc"]]) {
    const valued = bars.filter((row) => row[index] !== "NULL");
    assert.ok(valued.length > 0, `${key}: some bars have a value area`);
    assert.deepEqual(
      drawn[key].filter((point) => "value" in point),
      valued.map((row) => ({ time: seconds(row[0]), value: number(row[index]) })),
      key,
    );
  }
  assert.ok(drawn.canvases.some((area) => area > 0), "the chart drew on a canvas");
  // trades columns: trade_id, setup, direction, signal_ts, entry_ts, entry_price, ...
  const ids = trades.map((row) => row[0]);
  for (const id of ids) {
    assert.ok(drawn.markers.includes(`entry-${id}`), `entry marker of trade ${id}`);
    assert.ok(drawn.markers.includes(`exit-${id}`), `exit marker of trade ${id}`);
  }
  const tableRows = await page.$$eval("#trades tbody tr", (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent)),
  );
  assert.deepEqual(
    tableRows.map((cells) => [cells[0], cells[4], cells[6], cells[8]]),
    trades.map((row) => [row[0], row[5], row[12], row[18]]),
  );
  await page.screenshot({ path: path.join(screenshots, "run.png"), fullPage: false });
  assert.deepEqual(problems, []);
  await page.close();
});

test("P&L by period adds up to the equity change of execution.db and the toggle switches periods", { skip, timeout: 120_000 }, async () => {
  const rows = exportedRows("runs/bf");
  const equity = rows.get("equity") ?? [];
  assert.ok(equity.length > 0, "the run has equity points");
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/runs/bf`);
  await page.waitForFunction(() => window.dashboard?.ready === true, null, { timeout: 60_000 });
  const { performance, initial } = await page.evaluate(async () => ({
    performance: window.dashboard.run.performance,
    initial: (await (await fetch("/api/runs/bf")).json()).initial_equity,
  }));
  // equity columns: point_id, ts, equity, cash, unrealized, position (in point order).
  const change = Number(equity[equity.length - 1][2]) - Number(initial);
  for (const period of ["day", "week", "month"]) {
    const total = performance.periods[period].reduce((sum, row) => sum + Number(row.pnl), 0);
    assert.ok(Math.abs(total - change) < 1e-6 * Math.max(1, Math.abs(change)), `${period}: ${total} vs ${change}`);
  }
  const shown = async () =>
    page.$$eval("#period-table tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
  assert.deepEqual(
    await shown(),
    performance.periods.day.map((row) => [row.start, row.pnl, row.end_equity, String(row.trades)]),
  );
  await page.click('#periods button[data-period="month"]');
  await page.waitForSelector('#period-table[data-period="month"]');
  assert.deepEqual(
    await shown(),
    performance.periods.month.map((row) => [row.start, row.pnl, row.end_equity, String(row.trades)]),
  );
  const trades = rows.get("trades") ?? [];
  assert.equal(
    performance.periods.month.reduce((sum, row) => sum + row.trades, 0),
    trades.length,
    "every trade is counted in its exit month",
  );
  // Drawdown: a fraction at or below zero at every point, zero at the running peak.
  assert.ok(performance.drawdown.drawdown.length > 0);
  assert.ok(performance.drawdown.drawdown.every((value) => value <= 0));
  assert.ok(await page.locator("#risk canvas").count() > 0, "the risk chart drew");
  await page.locator("#periods").screenshot({ path: path.join(screenshots, "periods.png") });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the volume profile equals `features profile` and toggles to the lines view", { skip, timeout: 120_000 }, async () => {
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/runs/bf`);
  await page.waitForFunction(() => window.dashboard?.ready === true, null, { timeout: 60_000 });
  const profile = await page.evaluate(() => window.dashboard.run.profile);
  assert.ok(profile && profile.bins.length > 5, "a profile was drawn");
  // The same trades through the CLI's profile: the executions file, the same closed range.
  const printed = cli(
    "features",
    "profile",
    executions,
    "--bin",
    profile.bin_width,
    "--from",
    profile.from.ts,
    "--to",
    String(BigInt(profile.to.ts) + 1n),
  );
  const levels = Object.fromEntries([...printed.matchAll(/(\w+)=(\S+)/g)].map((match) => [match[1], match[2]]));
  assert.equal(Number(levels.trades), profile.trades, printed);
  assert.equal(Number(levels.total_volume), Number(profile.total_volume), printed);
  assert.equal(Number(levels.poc), Number(profile.poc), printed);
  assert.equal(Number(levels.val), Number(profile.val), printed);
  assert.equal(Number(levels.vah), Number(profile.vah), printed);
  const histogram = await page.$$eval("#profile rect.bin", (rects) =>
    rects.map((rect) => [rect.dataset.low, rect.dataset.volume]),
  );
  assert.deepEqual(histogram, profile.bins.map((bin) => [bin.low, bin.volume]));
  await page.locator("#profile").screenshot({ path: path.join(screenshots, "profile-histogram.png") });
  await page.click("#profile-toggle");
  await page.waitForSelector('#profile svg[data-view="lines"]');
  assert.equal(await page.locator("#profile rect.bin").count(), 0);
  assert.equal(await page.locator("#profile polyline.outline").count(), 1);
  const lines = await page.$$eval("#profile line.level", (nodes) =>
    Object.fromEntries(nodes.map((node) => [node.dataset.level, node.dataset.price])),
  );
  assert.deepEqual(lines, { vah: profile.vah, poc: profile.poc, val: profile.val });
  await page.locator("#profile").screenshot({ path: path.join(screenshots, "profile-lines.png") });
  await page.click("#profile-toggle");
  await page.waitForSelector('#profile svg[data-view="histogram"]');
  assert.equal(await page.locator("#profile rect.bin").count(), profile.bins.length);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the footprint's cells add up to the stored trades of its range", { skip, timeout: 120_000 }, async () => {
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/runs/bf`);
  await page.waitForFunction(() => window.dashboard?.ready === true, null, { timeout: 60_000 });
  const footprint = await page.evaluate(() => window.dashboard.run.footprint);
  assert.ok(footprint && !footprint.unavailable, "a footprint was drawn");
  assert.ok(footprint.bars.length > 0 && footprint.bars.length <= 30, `bars: ${footprint.bars.length}`);
  // The same stored trades through the CLI's profile over the same closed range.
  const printed = cli(
    "features",
    "profile",
    executions,
    "--bin",
    footprint.bin_width,
    "--from",
    footprint.from.ts,
    "--to",
    String(BigInt(footprint.to.ts) + 1n),
  );
  const levels = Object.fromEntries([...printed.matchAll(/(\w+)=(\S+)/g)].map((match) => [match[1], match[2]]));
  const cells = await page.$$eval("#footprint g.cell", (nodes) =>
    nodes.map((node) => [node.dataset.buy, node.dataset.sell, node.dataset.unknown].map(Number)),
  );
  assert.equal(cells.length, footprint.bars.reduce((sum, bar) => sum + bar.cells.length, 0));
  const total = cells.reduce((sum, [buy, sell, unknown]) => sum + buy + sell + unknown, 0);
  assert.ok(Math.abs(total - Number(levels.total_volume)) < 1e-6, `${total} vs ${levels.total_volume}`);
  // bitFlyer executions name their aggressor: nothing is unknown, both sides traded.
  assert.ok(cells.every(([, , unknown]) => unknown === 0));
  assert.ok(cells.some(([buy]) => buy > 0) && cells.some(([, sell]) => sell > 0));
  await page.locator("#footprint").screenshot({ path: path.join(screenshots, "footprint.png") });
  assert.deepEqual(problems, []);
  await page.close();
});

/** A decimal text as its raw fixed-point integer (10^-9 units), exactly. */
function raw(text) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace("-", "").split(".");
  const value = BigInt(whole) * 1_000_000_000n + BigInt((fraction + "000000000").slice(0, 9));
  return negative ? -value : value;
}

test("heat, order flow (coloured by the SPEC 2.4 tests, adding up to the footprint) and execution quality", { skip, timeout: 180_000 }, async () => {
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/runs/bf`);
  await page.waitForFunction(() => window.dashboard?.extrasReady === true, null, { timeout: 150_000 });
  const { flow, footprint, heat, initial } = await page.evaluate(async () => ({
    flow: window.dashboard.run.orderFlow,
    footprint: window.dashboard.run.footprint,
    heat: window.dashboard.run.heat,
    initial: (await (await fetch("/api/runs/bf")).json()).initial_equity,
  }));
  const rows = exportedRows("runs/bf");
  const trades = rows.get("trades") ?? [];
  const equity = rows.get("equity") ?? [];
  // Heat: at the first entry, |entry − stop| × quantity / the equity then (a spot run: one
  // unit of size per unit of price). trades columns: trade_id, setup, direction, signal_ts,
  // entry_ts, entry_price, quantity, entry_liquidity, stop, ...
  const [first] = trades;
  const entryTs = BigInt(first[4]);
  const before = equity.filter((row) => BigInt(row[1]) <= entryTs);
  const equityThen = before.length ? Number(before[before.length - 1][2]) : Number(initial);
  const risk = Math.abs(Number(first[5]) - Number(first[8])) * Number(first[6]);
  assert.equal(heat.time[0], seconds(first[4]));
  assert.ok(Math.abs(heat.heat[0] - risk / equityThen) < 1e-12, `${heat.heat[0]} vs ${risk / equityThen}`);
  // After the last exit nothing is open.
  assert.equal(heat.heat[heat.heat.length - 1], 0);
  assert.ok(heat.heat.every((value) => value === null || value >= 0));
  await page.locator("#risk").screenshot({ path: path.join(screenshots, "risk.png") });

  assert.ok(flow && !flow.unavailable, `order flow: ${flow?.unavailable}`);
  const minutes = flow.minutes;
  const count = minutes.time.length;
  assert.ok(count > 60 && count <= 120, `minutes: ${count}`);
  // OF_1m of a minute = buy − sell volume of its trades: the footprint's cells of that minute
  // (the same stored trades; bitFlyer labels every aggressor).
  const byTime = new Map(minutes.time.map((time, index) => [time, raw(minutes.of[index])]));
  let compared = 0;
  for (const bar of footprint.bars) {
    const of = bar.cells.reduce((sum, cell) => sum + raw(cell.buy) - raw(cell.sell), 0n);
    assert.equal(byTime.get(bar.time), of, `OF of the minute at ${bar.time}`);
    compared += 1;
  }
  assert.ok(compared > 0, "minutes compared with the footprint");
  // Each colour is the test's outcome, and the outcome follows from the values and thresholds.
  const { of_abs_mult, of_norm_min, qimb_min, ambiguous_threshold } = flow.thresholds;
  for (let index = 0; index < count; index += 1) {
    const of = Number(minutes.of[index]);
    const norm = minutes.of_norm[index];
    const median = minutes.of_threshold[index];
    const strong = (median !== null && Math.abs(of) >= median) || (norm !== null && Math.abs(norm) >= of_norm_min);
    const initiative = strong && of > 0 ? "buy" : strong && of < 0 ? "sell" : null;
    assert.equal(minutes.initiative[index], initiative, `initiative at ${minutes.time[index]}`);
    const qimb = minutes.qimb[index];
    const aligned = qimb === null || Math.abs(qimb) < qimb_min ? null : qimb > 0 ? "buy" : "sell";
    assert.equal(minutes.qimb_aligned[index], aligned, `qimb at ${minutes.time[index]}`);
    assert.equal(minutes.dual[index], minutes.ambiguous[index] > ambiguous_threshold);
  }
  assert.ok(of_abs_mult > 0);
  const colours = await page.$$eval("#orderflow rect", (rects) =>
    rects.map((rect) => [rect.dataset.kind, rect.dataset.pass, rect.getAttribute("fill")]),
  );
  assert.equal(colours.length, count * 4);
  const expected = { buy: "#26a69a", sell: "#ef5350", "": "#2a3745", true: "#f5a623", false: "#2a3745" };
  for (const [kind, pass, fill] of colours) assert.equal(fill, expected[pass], `${kind} ${pass}`);
  assert.ok(colours.some(([kind, pass]) => kind === "of" && pass !== ""), "some minute passes the OF test");
  await page.locator("#orderflow").screenshot({ path: path.join(screenshots, "orderflow.png") });
  // Execution quality: the run's metrics.json, and the fills compare report beside the run.
  const metrics = JSON.parse(readFileSync(path.join(work, "runs/bf/metrics.json"), "utf8"));
  assert.equal(
    await page.getAttribute('#quality-table [data-measure="fill_rate"] td[data-value]', "data-value"),
    String(metrics.fill_rate_pct ?? null),
  );
  if (metrics.slippage_bps) {
    assert.equal(
      Number(await page.getAttribute('#quality-table [data-measure="slippage"] td[data-value]', "data-value")),
      metrics.slippage_bps.mean,
    );
  }
  const models = JSON.parse(readFileSync(path.join(work, "runs/bf-fill-models/fill_models.json"), "utf8"));
  const drawnModels = await page.$$eval("#fill-models tbody tr", (rows) => rows.map((row) => row.dataset.model));
  assert.deepEqual(drawnModels, models.rows.map((row) => row.model));
  await page.locator("#quality").screenshot({ path: path.join(screenshots, "quality.png") });
  assert.deepEqual(problems, []);
  await page.close();
});

test("sorting the grid table orders the rows as grid.db does", { skip, timeout: 120_000 }, async () => {
  const csv = path.join(work, "grid.csv");
  cli("grid", "export", "--db", "grid.db", "--csv", csv);
  const [header, ...lines] = execFileSync("cat", [csv], { encoding: "utf8" }).trim().split("\n");
  const columns = header.split(",");
  const records = lines.map((line) => Object.fromEntries(line.split(",").map((value, index) => [columns[index], value])));
  assert.equal(records.length, 4);
  const expected = (metric, order) =>
    [...records]
      .sort((a, b) => {
        const [x, y] = [Number(a[metric]), Number(b[metric])];
        return (order === "desc" ? y - x : x - y) || Number(a.seq) - Number(b.seq);
      })
      .map((record) => record.run_id);
  const { page, problems } = await newPage();
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.dashboard?.ready === true);
  await page.screenshot({ path: path.join(screenshots, "runs.png") });
  await page.click("#grids tbody a");
  await page.waitForSelector("#grid-table");
  for (const order of ["desc", "asc"]) {
    await page.click('th[data-column="net_pnl"]');
    await page.waitForSelector(`#grid-table[data-sort="net_pnl"][data-order="${order}"]`);
    const shown = await page.$$eval("#grid-table tbody tr", (rows) => rows.map((row) => row.dataset.run));
    assert.deepEqual(shown, expected("net_pnl", order), order);
    const sorted = await page.getAttribute('th[data-column="net_pnl"]', "aria-sort");
    assert.equal(sorted, order === "desc" ? "descending" : "ascending");
  }
  // A filter is the server's `where` (grid list --where): the rows are the CSV's rows that
  // pass it, in the same order; a filter it cannot read is said on the page.
  const threshold = [...records].map((record) => Number(record.net_pnl)).sort((a, b) => a - b)[1];
  await page.fill("#grid-filter", `net_pnl > ${threshold}`);
  await page.click('#grid-filter-form button[type="submit"]');
  await page.waitForSelector(`#grid-table[data-where="net_pnl > ${threshold}"]`);
  const filtered = await page.$$eval("#grid-table tbody tr", (rows) => rows.map((row) => row.dataset.run));
  assert.deepEqual(
    filtered,
    expected("net_pnl", "asc").filter((runId) => Number(records.find((r) => r.run_id === runId).net_pnl) > threshold),
  );
  assert.ok(filtered.length > 0 && filtered.length < records.length, `filtered ${filtered.length}`);
  // A row opens its detail: every parameter and metric of that combination.
  await page.click(`#grid-table tbody tr[data-run="${filtered[0]}"] td:first-child`);
  await page.waitForSelector(`#grid-detail[data-run="${filtered[0]}"]`);
  const detail = await page.$$eval('#grid-detail table[data-kind="parameters"] tbody tr', (rows) =>
    rows.map((row) => [row.dataset.key, row.querySelector("td.num").textContent]),
  );
  const record = records.find((r) => r.run_id === filtered[0]);
  assert.ok(detail.length > 0);
  for (const [key, value] of detail) assert.equal(Number(value), Number(record[key]), key);
  await page.screenshot({ path: path.join(screenshots, "grid.png") });
  await page.fill("#grid-filter", "net_pnl");
  await page.click('#grid-filter-form button[type="submit"]');
  await page.waitForSelector("#grid-filter-error");
  assert.match(await page.textContent("#grid-filter-error"), /name op value/);
  // Chromium logs the bad filter's 400 answer as "Failed to load resource" (asked for here).
  assert.deepEqual(
    problems.filter((problem) => !/status of 400/.test(problem)),
    [],
  );
  await page.close();
});

test("the API answers bad input with 4xx JSON and the page shows it", { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await newPage();
  await page.goto(`${base}/`);
  const answers = await page.evaluate(async () => {
    const paths = [
      "/api/runs/no-such-run",
      "/api/runs/..%2Fetc",
      "/api/runs/bf/profile?bins=0",
      "/api/runs/bf/signals?kind=everything",
      "/api/grids/nope",
      "/api/nothing",
    ];
    return Promise.all(
      paths.map(async (url) => {
        const response = await fetch(url);
        return [url, response.status, await response.json()];
      }),
    );
  });
  const statuses = Object.fromEntries(answers.map(([url, status]) => [url, status]));
  assert.deepEqual(statuses, {
    "/api/runs/no-such-run": 404,
    "/api/runs/..%2Fetc": 400,
    "/api/runs/bf/profile?bins=0": 400,
    "/api/runs/bf/signals?kind=everything": 400,
    "/api/grids/nope": 404,
    "/api/nothing": 404,
  });
  for (const [url, , body] of answers) assert.equal(typeof body.error, "string", url);
  await page.goto(`${base}/#/runs/no-such-run`);
  await page.waitForSelector(".error");
  assert.match(await page.textContent(".error"), /^404: no run named "no-such-run"/);
  // Chromium logs each 4xx answer as "Failed to load resource"; those were asked for here.
  assert.deepEqual(
    problems.filter((problem) => !/status of 40[04]/.test(problem)),
    [],
  );
  assert.deepEqual(context.outside, [], "requests that left 127.0.0.1");
  await page.close();
});
