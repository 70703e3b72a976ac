// Browser test of the dashboard's live view (SPEC 8 "updates live while the engine runs") in
// headless Debian Chromium driven by playwright-core. A real PAPER session against the mock
// exchange, all on 127.0.0.1 ephemeral ports:
//   auction-trader mock-exchange --venue binance-usdm --replay usdm_btcusdt_20240808.gz --speed 10 --port 0
//   auction-trader run -c configs/paper-binance.yaml --mode paper --endpoint http://127.0.0.1:P --data-dir D
//   auction-trader serve --session D --bind 127.0.0.1:0
// The page must receive pushed updates (events growing), the trading control must go through
// the confirmation dialog (cancel changes nothing; confirm changes the control row, read back
// with `auction-trader control status`, and the engine follows), and once the replay ends the
// fills, position and P&L drawn must equal the session's execution.db (read with sqlite3).
// No console error, no request leaves 127.0.0.1; screenshots go to $SCREENSHOT_DIR.
//
// Environment as dashboard.test.mjs (AUCTION_TRADER_BIN, SHARED_DATA, CHROMIUM, SCREENSHOT_DIR).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
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
const screenshots = path.resolve(root, process.env.SCREENSHOT_DIR ?? path.join(targetDir, "dashboard-screenshots"));
const capture = path.join(shared, "binance/usdm_btcusdt_20240808.gz");
const skip = existsSync(capture) ? false : `no capture at ${capture}`;

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
let sessionDir;
const children = [];
let base;
let context;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

function cli(...args) {
  return execFileSync(binary, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
}

/** Starts `binary args` and resolves with the first match of `pattern` on its stdout. */
function spawnAnnounced(args, pattern, name) {
  const child = spawn(binary, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  child.log = "";
  child.stderr.on("data", (chunk) => {
    child.log += chunk;
  });
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${text}${child.log}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${text}${child.log}`));
    });
  });
}

/** Rows of a query on the session's execution.db (sqlite3 -json). */
function query(sql) {
  const text = execFileSync("sqlite3", ["-readonly", "-json", path.join(sessionDir, "execution.db"), sql], {
    encoding: "utf8",
  });
  return text.trim() ? JSON.parse(text) : [];
}

/** A decimal text as its raw fixed-point integer (10^-9 units), exactly. */
function raw(text) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace("-", "").split(".");
  const value = BigInt(whole) * 1_000_000_000n + BigInt((fraction + "000000000").slice(0, 9));
  return negative ? -value : value;
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
  work = mkdtempSync(path.join(tmpdir(), "dashboard-live-"));
  sessionDir = path.join(work, "session");
  const mock = await spawnAnnounced(
    ["mock-exchange", "--venue", "binance-usdm", "--replay", capture, "--speed", "10", "--port", "0"],
    /REST http:\/\/(127\.0\.0\.1:\d+)/,
    "mock-exchange",
  );
  const serve = await spawnAnnounced(
    ["serve", "--runs", path.join(work, "runs"), "--session", sessionDir, "--bind", "127.0.0.1:0"],
    /http:\/\/(127\.0\.0\.1:\d+)\//,
    "serve",
  );
  base = `http://${serve.match[1]}`;
  mkdirSync(screenshots, { recursive: true });
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "chromium-profile-")), {
    executablePath: executable,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1100 },
  });
  context.outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === serve.match[1]) return route.continue();
    context.outside.push(url.href);
    return route.abort();
  });
  // The session last: the mock's replay clock starts at its first subscription.
  const session = spawn(
    binary,
    [
      "run",
      "-c",
      "configs/paper-binance.yaml",
      "--mode",
      "paper",
      "--endpoint",
      `http://${mock.match[1]}`,
      "--data-dir",
      sessionDir,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(session);
  session.log = "";
  session.stdout.on("data", (chunk) => (session.log += chunk));
  session.stderr.on("data", (chunk) => (session.log += chunk));
  context.session = session;
  console.log(`# mock, serve, browser and session up at ${elapsed()}`);
});

after(async () => {
  await context?.close();
  for (const child of children) if (child.exitCode === null) child.kill("SIGINT");
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`# live browser test: ${elapsed()}`);
});

/** Opens the control dialog with the toggle and answers it. */
async function answerDialog(page, confirm) {
  await page.click("#trading-toggle");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click(confirm ? "#confirm-yes" : "#confirm-no");
  await page.waitForSelector("#confirm-dialog", { state: "detached" });
}

const controlStatus = () => cli("control", "status", "--data-dir", sessionDir).trim();

test("the live view follows a paper session, its controls change the session", { skip, timeout: 240_000 }, async () => {
  const { page, problems } = await newPage();
  await page.goto(`${base}/#/live`);
  // Pushed updates arrive while the engine runs: two updates with more events each.
  await page.waitForFunction(() => window.dashboard?.live?.last?.state?.events > 0, null, { timeout: 60_000 });
  const firstEvents = await page.evaluate(() => window.dashboard.live.last.state.events);
  const firstUpdates = await page.evaluate(() => window.dashboard.live.updates);
  await page.waitForFunction(
    (events) => window.dashboard.live.last.state.events > events,
    firstEvents,
    { timeout: 30_000 },
  );
  assert.ok((await page.evaluate(() => window.dashboard.live.updates)) > firstUpdates, "a pushed update");
  assert.equal(await page.getAttribute("#live-status", "data-status"), "running");
  // The shipped paper config starts a fresh directory trading.
  await page.waitForSelector('#control-state[data-enabled="true"]');
  console.log(`# live updates seen at ${elapsed()}`);

  // Cancel changes nothing.
  const before = controlStatus();
  await answerDialog(page, false);
  assert.equal(controlStatus(), before);
  // Disable, confirmed: the control row (read by the CLI) and then the engine follow.
  await answerDialog(page, true);
  await page.waitForSelector('#control-state[data-enabled="false"]');
  assert.match(controlStatus(), /^trading disabled \(version \d+, operator: dashboard disable\)$/);
  await page.waitForSelector('[data-live="engine"][data-value="false"]', { timeout: 15_000 });
  await page.screenshot({ path: path.join(screenshots, "live-observe.png") });
  // Enable again, confirmed.
  await answerDialog(page, true);
  await page.waitForSelector('#control-state[data-enabled="true"]');
  assert.match(controlStatus(), /^trading enabled \(version \d+, operator: dashboard enable\)$/);
  await page.waitForSelector('[data-live="engine"][data-value="true"]', { timeout: 15_000 });
  console.log(`# controls checked at ${elapsed()}`);

  // Bad control input is a 4xx JSON message.
  const answers = await page.evaluate(async () => {
    const post = async (body) => {
      const response = await fetch("/api/live/control", { method: "POST", body });
      return [response.status, await response.json()];
    };
    return [await post("nonsense"), await post('{"trading_enabled": true}')];
  });
  for (const [status, body] of answers) {
    assert.equal(status, 400);
    assert.equal(typeof body.error, "string");
  }

  // The replay ends (about 35 s at ten times speed), the session finishes; the last state
  // drawn is what execution.db holds.
  await page.waitForSelector('#live-status[data-status="ended"]', { timeout: 150_000 });
  await page.waitForFunction(() => window.dashboard.live.last.state.ended === true);
  console.log(`# session ended at ${elapsed()}`);
  await page.screenshot({ path: path.join(screenshots, "live.png") });
  const state = await page.evaluate(() => window.dashboard.live.last.state);
  const generation = state.generation;
  const fills = query(
    `SELECT client_id, seq, price_raw, quantity_raw, fee_raw, side FROM fills WHERE generation = ${generation}
     ORDER BY rowid DESC LIMIT 50`,
  );
  assert.ok(fills.length > 0, `the session filled nothing:\n${context.session.log}`);
  const drawnFills = await page.$$eval("#live-fills tbody tr", (rows) =>
    rows.map((row) => ({
      client_id: row.dataset.client,
      seq: Number(row.dataset.seq),
      price: row.querySelector('[data-field="price"]').textContent,
      quantity: row.querySelector('[data-field="quantity"]').textContent,
      fee: row.querySelector('[data-field="fee"]').textContent,
    })),
  );
  assert.equal(drawnFills.length, fills.length);
  fills.forEach((fill, index) => {
    const drawn = drawnFills[index];
    assert.equal(drawn.client_id, fill.client_id);
    assert.equal(drawn.seq, fill.seq);
    assert.equal(raw(drawn.price), BigInt(fill.price_raw), `price of ${fill.client_id}/${fill.seq}`);
    assert.equal(raw(drawn.quantity), BigInt(fill.quantity_raw));
    assert.equal(raw(drawn.fee), BigInt(fill.fee_raw));
  });
  const [lastPosition] = query(
    `SELECT position_raw FROM positions WHERE generation = ${generation} ORDER BY rowid DESC LIMIT 1`,
  );
  const drawnPosition = await page.getAttribute('[data-live="position"]', "data-value");
  assert.equal(raw(drawnPosition), BigInt(lastPosition.position_raw), "position");
  const [snapshot] = query(
    `SELECT state FROM snapshots WHERE generation = ${generation} ORDER BY ts DESC LIMIT 1`,
  );
  const stored = JSON.parse(snapshot.state);
  const drawnPnl = await page.getAttribute('[data-live="realized P&L"]', "data-value");
  assert.equal(raw(drawnPnl), BigInt(stored.realized_pnl_raw), "realized P&L");
  const [{ count }] = query(`SELECT count(*) AS count FROM fills WHERE generation = ${generation}`);
  assert.equal(state.fills, count, "fill count");
  const alerts = query("SELECT id, kind FROM alerts ORDER BY id DESC LIMIT 50");
  const drawnAlerts = await page.$$eval("#live-alerts tbody tr", (rows) => rows.map((row) => Number(row.dataset.alert)));
  assert.deepEqual(drawnAlerts, alerts.map((alert) => alert.id));
  // Kill switches and drift warnings are drawn from the state.
  assert.equal(await page.locator("#kill-switches [data-switch]").count(), 4);
  assert.equal(
    await page.getAttribute('#drift-warnings [data-kind="book_mismatch"]', "data-count"),
    String(state.alerts_raised.book_mismatch),
  );
  await page.locator("#live-quality-box").screenshot({ path: path.join(screenshots, "live-quality.png") });

  // Chromium logs each 4xx answer as "Failed to load resource"; those were asked for here.
  assert.deepEqual(
    problems.filter((problem) => !/status of 400/.test(problem)),
    [],
  );
  assert.deepEqual(context.outside, [], "requests that left 127.0.0.1");
  await page.close();
});
