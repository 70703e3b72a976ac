// Order flow per minute of a run (SPEC 8 "OF, qimb, ambiguous fraction color-coded"): three
// strips of cells, one column per minute, coloured against the run's SPEC 2.4 thresholds as
// the server's feature engine judged them — OF (green: the buy initiative test passed, red:
// the sell test, grey: neither), qimb (green/red: aligned with buyers/sellers, |qimb| ≥
// qimb_min), the ambiguous fraction (orange above the threshold: the dual rule applies). The
// last row marks confirmed minutes. Each cell carries its values in data- attributes.
import type { OrderFlow } from "./api";
import { COLORS } from "./chart";
import { h } from "./dom";

const SVG = "http://www.w3.org/2000/svg";
const CELL = 9;
const ROW = 18;
const LABEL = 96;

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

const GREY = "#2a3745";
const AMBER = "#f5a623";
const sideColor = (side: string | null) => (side === "buy" ? COLORS.up : side === "sell" ? COLORS.down : GREY);

export function drawOrderFlow(container: HTMLElement, flow: OrderFlow): void {
  const minutes = flow.minutes;
  const thresholds = flow.thresholds!;
  const count = minutes.time.length;
  const width = LABEL + count * CELL;
  const svg = element("svg", { class: "orderflow", width, height: ROW * 4 + 18, "data-minutes": count });
  const rows: [string, string][] = [
    ["of", "OF 1m"],
    ["qimb", "qimb"],
    ["ambiguous", "ambiguous"],
    ["confirmed", "confirmed"],
  ];
  rows.forEach(([, label], row) => {
    const text = element("text", { x: 4, y: row * ROW + 12, class: "label" });
    text.textContent = label;
    svg.append(text);
  });
  for (let index = 0; index < count; index += 1) {
    const x = LABEL + index * CELL;
    const time = new Date(minutes.time[index] * 1000).toISOString().slice(11, 16);
    const cells: [string, string, Record<string, string>, string][] = [
      [
        "of",
        sideColor(minutes.initiative[index]),
        { "data-of": minutes.of[index], "data-pass": minutes.initiative[index] ?? "" },
        `${time} OF ${minutes.of[index]} (threshold ${minutes.of_threshold[index]?.toPrecision(4) ?? "–"}, norm ${minutes.of_norm[index]?.toFixed(3) ?? "–"})`,
      ],
      [
        "qimb",
        sideColor(minutes.qimb_aligned[index]),
        { "data-qimb": String(minutes.qimb[index]), "data-pass": minutes.qimb_aligned[index] ?? "" },
        `${time} qimb ${minutes.qimb[index]?.toFixed(3) ?? "–"} (|qimb| ≥ ${thresholds.qimb_min} aligns)`,
      ],
      [
        "ambiguous",
        minutes.dual[index] ? AMBER : GREY,
        { "data-ambiguous": String(minutes.ambiguous[index]), "data-pass": String(minutes.dual[index]) },
        `${time} ambiguous ${(minutes.ambiguous[index] * 100).toFixed(1)} % (dual rule above ${thresholds.ambiguous_threshold * 100} %)`,
      ],
      [
        "confirmed",
        sideColor(minutes.confirmed[index]),
        { "data-pass": minutes.confirmed[index] ?? "" },
        `${time} confirmed: ${minutes.confirmed[index] ?? "none"}`,
      ],
    ];
    cells.forEach(([kind, fill, data, title], row) => {
      const rect = element("rect", {
        x,
        y: row * ROW + 2,
        width: CELL - 1,
        height: ROW - 4,
        fill,
        "data-kind": kind,
        "data-time": minutes.time[index],
        ...data,
      });
      const tip = element("title", {});
      tip.textContent = title;
      rect.append(tip);
      svg.append(rect);
    });
    if (index % 30 === 0) {
      const label = element("text", { x, y: ROW * 4 + 14, class: "time" });
      label.textContent = time;
      svg.append(label);
    }
  }
  container.replaceChildren(
    svg,
    h(
      "p",
      { class: "legend" },
      `Green buyers, red sellers, grey neither: OF passes at |OF| ≥ ${thresholds.of_abs_mult} × median |OF| or |OF/volume| ≥ ${thresholds.of_norm_min}; ` +
        `qimb at |qimb| ≥ ${thresholds.qimb_min}; ambiguous orange above ${thresholds.ambiguous_threshold * 100} % (both tests needed). Hover a cell for its values.`,
    ),
  );
}
