// ActMaxView's objective chart (SVG) and image painting; pure helpers are unit-tested.
import { svg } from "./svg";
import { formatNumber, niceTicks } from "./text";

export interface ChartBox { width: number; height: number; left: number; bottom: number; top: number; right: number }

/** SVG path of `values` (one per step, step = index + 1) in the box, over [1, steps] x [lo, hi]. */
export function linePath(values: ArrayLike<number>, steps: number, lo: number, hi: number, box: ChartBox): string {
  const w = box.width - box.left - box.right, h = box.height - box.top - box.bottom;
  const sx = (s: number) => box.left + ((s - 1) / Math.max(1, steps - 1)) * w;
  const sy = (v: number) => box.top + (1 - (v - lo) / (hi - lo || 1)) * h;
  let d = "";
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    d += `${d ? "L" : "M"}${sx(i + 1).toFixed(1)},${sy(values[i]).toFixed(1)}`;
  }
  return d;
}

/** The value range drawn: the data's, padded by 5%, never empty. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!(hi >= lo)) return [0, 1];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 0.5;
  return [lo - pad, hi + pad];
}

/** Draw the chart into `root` (an <svg>), replacing what was there. */
export function drawChart(root: SVGSVGElement, values: ArrayLike<number>, steps: number, box: ChartBox,
  colors: { line: string; text: string; grid: string }): void {
  root.replaceChildren();
  root.setAttribute("width", String(box.width));
  root.setAttribute("height", String(box.height));
  const [lo, hi] = valueRange(values);
  const w = box.width - box.left - box.right, h = box.height - box.top - box.bottom;
  for (const v of niceTicks(lo, hi, 4)) {
    const y = box.top + (1 - (v - lo) / (hi - lo)) * h;
    svg("line", "", root, { x1: box.left, x2: box.left + w, y1: y, y2: y, stroke: colors.grid, "stroke-width": 1 });
    const t = svg("text", "ipx-actmax-tick", root, { x: box.left - 4, y: y + 3, "text-anchor": "end", fill: colors.text });
    t.textContent = formatNumber(v);
  }
  for (const s of niceTicks(1, Math.max(2, steps), 4)) {
    const x = box.left + ((s - 1) / Math.max(1, steps - 1)) * w;
    const t = svg("text", "ipx-actmax-tick", root, { x, y: box.top + h + 13, "text-anchor": "middle", fill: colors.text });
    t.textContent = String(s);
  }
  const label = svg("text", "ipx-actmax-tick", root, { x: box.left + w / 2, y: box.height - 2, "text-anchor": "middle", fill: colors.text });
  label.textContent = "step";
  svg("path", "ipx-actmax-line", root, { d: linePath(values, steps, lo, hi, box), fill: "none", stroke: colors.line, "stroke-width": 1.8 });
}

/** RGBA pixels of an (h, w, c) uint8 image (c = 1 gray, 3 RGB). */
export function imagePixels(data: ArrayLike<number>, h: number, w: number, c: number, offset = 0): Uint8ClampedArray {
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const r = data[offset + i * c], g = c >= 3 ? data[offset + i * c + 1] : r, b = c >= 3 ? data[offset + i * c + 2] : r;
    out[i * 4] = r; out[i * 4 + 1] = g; out[i * 4 + 2] = b; out[i * 4 + 3] = 255;
  }
  return out;
}
