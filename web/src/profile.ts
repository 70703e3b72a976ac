// The volume profile (SPEC 2.2, 8) as an SVG drawn by us: a horizontal histogram (one bar per
// price bin, the POC bin and the value area coloured) or the lines view (the volume outline
// with the VAH, VAL and POC levels as lines). Each drawn element carries its value in data-
// attributes so what is drawn can be checked against the API.
import type { Profile } from "./api";
import { COLORS } from "./chart";

export type ProfileView = "histogram" | "lines";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 240;
const HEIGHT = 480;
const LABEL = 70;

function element<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

export function drawProfile(container: HTMLElement, profile: Profile, view: ProfileView): void {
  container.replaceChildren();
  const width = Number(profile.bin_width);
  const lows = profile.bins.map((bin) => Number(bin.low));
  const volumes = profile.bins.map((bin) => Number(bin.volume));
  const bottom = lows[0];
  const top = lows[lows.length - 1] + width;
  const peak = Math.max(...volumes, Number.MIN_VALUE);
  const y = (price: number) => HEIGHT - ((price - bottom) / (top - bottom)) * HEIGHT;
  const x = (volume: number) => (volume / peak) * (WIDTH - LABEL);
  const svg = element("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: "100%",
    height: HEIGHT,
    "data-view": view,
    role: "img",
    "aria-label": `volume profile, ${view} view`,
  });
  const val = Number(profile.val);
  const vah = Number(profile.vah);
  const poc = Number(profile.poc);
  if (view === "histogram") {
    profile.bins.forEach((bin, index) => {
      const low = lows[index];
      const inValue = low >= val && low < vah;
      const rect = element("rect", {
        class: "bin",
        x: 0,
        y: y(low + width),
        width: Math.max(x(volumes[index]), 0.5),
        height: Math.max(y(low) - y(low + width) - 0.5, 0.5),
        fill: low === poc ? COLORS.poc : inValue ? "#2f6ea3" : "#4a5866",
        "data-low": bin.low,
        "data-volume": bin.volume,
      });
      rect.append(element("title", {}));
      rect.lastElementChild!.textContent = `${bin.low}: ${bin.volume}`;
      svg.append(rect);
    });
  } else {
    const points = profile.bins
      .map((_, index) => `${x(volumes[index]).toFixed(2)},${y(lows[index] + width / 2).toFixed(2)}`)
      .join(" ");
    svg.append(element("polyline", { class: "outline", points, fill: "none", stroke: "#8796a5", "stroke-width": 1 }));
  }
  for (const [name, price, color] of [
    ["VAH", profile.vah, COLORS.vah],
    ["POC", profile.poc, COLORS.poc],
    ["VAL", profile.val, COLORS.val],
  ] as const) {
    const at = y(Number(price));
    svg.append(
      element("line", {
        class: "level",
        x1: 0,
        x2: WIDTH - LABEL,
        y1: at,
        y2: at,
        stroke: color,
        "stroke-width": view === "lines" ? 2 : 1,
        "stroke-dasharray": name === "POC" ? "4 3" : "",
        "data-level": name.toLowerCase(),
        "data-price": price,
      }),
    );
    const label = element("text", { x: WIDTH - LABEL + 4, y: at + 4, fill: color, "font-size": 11 });
    label.textContent = `${name} ${price}`;
    svg.append(label);
  }
  container.append(svg);
}
