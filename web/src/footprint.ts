// The footprint chart (SPEC 8), drawn by us as SVG: one column per one-minute bar, one row per
// price bin; each cell shows `sell × buy` (aggressor sells hit the bid, buys lift the ask) and
// is shaded by its imbalance (green: buyers, red: sellers). Each cell carries its values in
// data- attributes so the browser tests can check them against the stored trades.
import type { Footprint } from "./api";
import { COLORS } from "./chart";

const SVG = "http://www.w3.org/2000/svg";
const CELL_WIDTH = 78;
const CELL_HEIGHT = 16;
const LABEL = 78;
const HEADER = 18;

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Compact volume text: at most 4 significant characters. */
function short(value: number): string {
  if (value === 0) return "0";
  if (value >= 1000) return `${(value / 1000).toPrecision(3)}k`;
  return value >= 10 ? value.toFixed(0) : value.toPrecision(2);
}

export function drawFootprint(container: HTMLElement, footprint: Footprint): void {
  const lows = [...new Set(footprint.bars.flatMap((bar) => bar.cells.map((cell) => cell.low)))].sort(
    (a, b) => Number(b) - Number(a),
  );
  const row = new Map(lows.map((low, index) => [low, index]));
  const width = LABEL + footprint.bars.length * CELL_WIDTH;
  const height = HEADER + lows.length * CELL_HEIGHT;
  const svg = element("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "footprint" });
  for (const [low, index] of row) {
    const label = element("text", { x: LABEL - 6, y: HEADER + index * CELL_HEIGHT + 12, "text-anchor": "end", class: "price" });
    label.textContent = low;
    svg.append(label);
  }
  footprint.bars.forEach((bar, column) => {
    const x = LABEL + column * CELL_WIDTH;
    const time = element("text", { x: x + CELL_WIDTH / 2, y: 12, "text-anchor": "middle", class: "time" });
    time.textContent = new Date(bar.time * 1000).toISOString().slice(11, 16);
    svg.append(time);
    for (const cell of bar.cells) {
      const buy = Number(cell.buy);
      const sell = Number(cell.sell);
      const total = buy + sell + Number(cell.unknown);
      const imbalance = buy + sell > 0 ? (buy - sell) / (buy + sell) : 0;
      const y = HEADER + (row.get(cell.low) ?? 0) * CELL_HEIGHT;
      const group = element("g", {
        class: "cell",
        "data-time": bar.time,
        "data-low": cell.low,
        "data-buy": cell.buy,
        "data-sell": cell.sell,
        "data-unknown": cell.unknown,
      });
      group.append(
        element("rect", {
          x: x + 1,
          y: y + 1,
          width: CELL_WIDTH - 2,
          height: CELL_HEIGHT - 2,
          fill: imbalance >= 0 ? COLORS.up : COLORS.down,
          "fill-opacity": (0.12 + 0.6 * Math.abs(imbalance)).toFixed(2),
        }),
      );
      const text = element("text", { x: x + CELL_WIDTH / 2, y: y + 12, "text-anchor": "middle" });
      text.textContent = total === buy + sell ? `${short(sell)} × ${short(buy)}` : `${short(total)}?`;
      group.append(text);
      svg.append(group);
    }
  });
  container.replaceChildren(svg);
}
