// Page-load benchmark of the dashboard (docs/benchmarks.md): a month of 1-minute bars (44,640)
// and 10,000 trades (the synthetic run of `cargo run -p auction-trader-api --example
// synthetic_run`), served by `auction-trader serve` on loopback, loaded in headless Chromium.
// Time from navigation start to the page saying it is ready (every API answer in, the chart,
// markers, equity curve and trades table drawn), 1 warm-up + 5 measured loads.
//
// node bench/page-load.mjs <auction-trader binary> <runs dir> [run name]
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

const [binary, runs, name = "synthetic-month"] = process.argv.slice(2);
if (!binary || !runs) {
  console.error("usage: node bench/page-load.mjs <auction-trader binary> <runs dir> [run name]");
  process.exit(2);
}
const server = spawn(binary, ["serve", "--runs", runs, "--bind", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
const address = await new Promise((resolve, reject) => {
  let text = "";
  server.stdout.on("data", (chunk) => {
    text += chunk;
    const match = /http:\/\/(127\.0\.0\.1:\d+)\//.exec(text);
    if (match) resolve(match[1]);
  });
  server.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
});
const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "chromium-bench-")), {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1400, height: 1000 },
});
const page = await context.newPage();
const times = [];
let drawn = null;
for (let round = 0; round < 6; round += 1) {
  await page.goto("about:blank");
  const start = Date.now();
  await page.goto(`http://${address}/#/runs/${name}`);
  await page.waitForFunction(() => window.dashboard?.ready === true, null, { timeout: 60_000 });
  const elapsed = Date.now() - start;
  if (round > 0) times.push(elapsed);
  drawn = await page.evaluate(() => ({
    bars: window.dashboard.run.drawn.candles.data().length,
    trades: window.dashboard.run.trades.trade_id.length,
    rows: document.querySelectorAll("#trades tbody tr").length,
  }));
}
times.sort((a, b) => a - b);
console.log(
  `bars=${drawn.bars} trades=${drawn.trades} table_rows=${drawn.rows} ` +
    `load_ms_median=${times[2]} load_ms_min=${times[0]} load_ms_max=${times[4]}`,
);
await context.close();
server.kill("SIGINT");
