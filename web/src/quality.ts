// Execution quality of a stored run (SPEC 8): the SPEC 5 fill rate and the slippage from the
// run's metrics.json, against what was expected — the slippage estimate (half the spread at
// submit) and, when `auction-trader fills compare` was run for the run, the fill rate and net
// P&L under each queue model (its fill_models.json).
import { h, figure } from "./dom";

interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
}

interface FillModelRow {
  model: string;
  limit_orders: number;
  maker_filled: number;
  fill_rate_pct: number | null;
  fills: number;
  maker_fills: number;
  maker_share_pct: number | null;
  trades: number;
  net_pnl: string;
}

export function executionQuality(
  metrics: Record<string, unknown> | null,
  comparison: { rows: FillModelRow[] } | null,
): HTMLElement {
  const m = metrics ?? {};
  const slippage = (m["slippage_bps"] ?? null) as Distribution | null;
  const spread = (m["spread_bps"] ?? null) as Distribution | null;
  const estimate = spread ? spread.mean / 2 : null;
  const fillRate = (m["fill_rate_pct"] ?? null) as number | null;
  const rows = [
    h(
      "tr",
      { "data-measure": "fill_rate" },
      h("td", {}, `fill rate (${figure(m["limit_orders_filled"], 0)} of ${figure(m["limit_orders"], 0)} limit orders)`),
      h("td", { class: "num", "data-value": String(fillRate) }, fillRate === null ? "–" : `${figure(fillRate, 1)} %`),
      h("td", { class: "num" }, comparison ? "see the fill models below" : "– (run fills compare)"),
    ),
    h(
      "tr",
      { "data-measure": "slippage" },
      h("td", {}, `slippage vs the mid at submit, bps (${slippage?.count ?? 0} fills; mean, p50, p95)`),
      h(
        "td",
        { class: `num ${slippage && estimate !== null && slippage.mean > estimate ? "down" : ""}`, "data-value": String(slippage?.mean ?? null) },
        slippage ? `${figure(slippage.mean)} / ${figure(slippage.p50)} / ${figure(slippage.p95)}` : "–",
      ),
      h("td", { class: "num", "data-value": String(estimate) }, estimate === null ? "–" : `${figure(estimate)} (half the mean spread)`),
    ),
  ];
  const box = h(
    "div",
    { id: "run-quality" },
    h(
      "table",
      { id: "quality-table" },
      h("thead", {}, h("tr", {}, ...["measure", "run", "expected"].map((t) => h("th", {}, t)))),
      h("tbody", {}, ...rows),
    ),
  );
  if (comparison) {
    box.append(
      h("h2", {}, "Fill-model comparison (fills compare)"),
      h(
        "table",
        { id: "fill-models" },
        h("thead", {}, h("tr", {}, ...["model", "limits", "maker-filled", "fill rate", "fills", "maker share", "trades", "net P&L"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          ...comparison.rows.map((row) =>
            h(
              "tr",
              { "data-model": row.model },
              h("td", {}, row.model),
              h("td", { class: "num" }, String(row.limit_orders)),
              h("td", { class: "num" }, String(row.maker_filled)),
              h("td", { class: "num" }, row.fill_rate_pct === null ? "–" : `${figure(row.fill_rate_pct, 1)} %`),
              h("td", { class: "num" }, String(row.fills)),
              h("td", { class: "num" }, row.maker_share_pct === null ? "–" : `${figure(row.maker_share_pct, 1)} %`),
              h("td", { class: "num" }, String(row.trades)),
              h("td", { class: "num" }, row.net_pnl),
            ),
          ),
        ),
      ),
    );
  }
  return box;
}
