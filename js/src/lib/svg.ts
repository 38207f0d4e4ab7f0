// Small SVG DOM helpers. Text always goes in as textContent, never markup.
const NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K, cls: string, parent: Element | null, attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  if (cls) node.setAttribute("class", cls);
  setAttrs(node, attrs);
  parent?.appendChild(node);
  return node;
}

export function setAttrs(node: Element, attrs: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(attrs)) {
    const text = typeof v === "number" ? (Number.isFinite(v) ? String(Math.round(v * 100) / 100) : "0") : v;
    if (node.getAttribute(k) !== text) node.setAttribute(k, text);
  }
}

/** Set an element's text only when it changed (keeps layout work down during animation). */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** A text measurer in the given CSS font, backed by one offscreen canvas. */
export function measurer(font: string): (s: string) => number {
  const ctx = (measurer.canvas ??= document.createElement("canvas")).getContext("2d")!;
  return (s: string) => {
    ctx.font = font;
    return ctx.measureText(s).width;
  };
}
measurer.canvas = null as HTMLCanvasElement | null;
