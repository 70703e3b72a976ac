// Small DOM helpers shared by the views.

/** An element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/** A number for display (grouped, at most `digits` decimals); "–" when absent. */
export function figure(value: unknown, digits = 2): string {
  if (value === null || value === undefined) return "–";
  const number = Number(value);
  return Number.isFinite(number) ? number.toLocaleString("en-US", { maximumFractionDigits: digits }) : String(value);
}
