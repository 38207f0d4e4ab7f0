// Axis labels and the colour bar, drawn on a 2-D canvas context in CSS pixels.
import { buildLut, LUT_SIZE, MISSING_RGB } from "./colormap";
import { formatNumber, labelStep, niceTicks, truncate } from "./text";
import type { Theme } from "./theme";

export interface Rect { x: number; y: number; w: number; h: number }

const TICK = 4;
const BAR_W = 12;

export function fontOf(theme: Theme, size = theme.fontSize): string {
  return `${size}px ${theme.font}`;
}

/** Label of row/column `i`: the user's label or the index. */
export function labelOf(labels: string[], i: number): string {
  return labels.length > i ? labels[i] : String(i);
}

/** Visible indices to label along an axis, thinned so labels never overlap. */
export function labelledIndices(lo: number, hi: number, lengthPx: number, labelPx: number): number[] {
  const first = Math.max(0, Math.floor(lo)), last = Math.ceil(hi);
  const step = labelStep(lengthPx / (hi - lo), labelPx);
  const out: number[] = [];
  for (let i = Math.ceil(first / step) * step; i < last; i += step) out.push(i);
  return out;
}

/** Level column labels (truncated to their cell) when cells are wide or labels are indices, else 45°. */
export function fitColumnLabels(
  ctx: CanvasRenderingContext2D, theme: Theme, labels: string[], win: { c0: number; c1: number }, plotW: number,
): { rotated: boolean; maxPx: number } {
  const cell = plotW / (win.c1 - win.c0);
  const idx = labelledIndices(win.c0, win.c1, plotW, theme.fontSize * 1.42 + 4);
  ctx.font = fontOf(theme);
  const longest = Math.max(8, ...idx.slice(0, 400).map((i) => ctx.measureText(labelOf(labels, i)).width));
  if (labels.length === 0 || longest + 8 <= cell) return { rotated: false, maxPx: longest };
  if (cell >= 56) return { rotated: false, maxPx: cell - 8 };
  return { rotated: true, maxPx: Math.min(longest, 140) };
}

export function drawRowLabels(
  ctx: CanvasRenderingContext2D, theme: Theme, plot: Rect, labels: string[], r0: number, r1: number,
  maxPx: number,
): void {
  ctx.font = fontOf(theme);
  ctx.fillStyle = theme.text;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const cell = plot.h / (r1 - r0);
  for (const i of labelledIndices(r0, r1, plot.h, theme.fontSize + 3)) {
    const y = plot.y + (i + 0.5 - r0) * cell;
    if (y < plot.y || y > plot.y + plot.h) continue;
    ctx.fillText(truncate(labelOf(labels, i), maxPx, (s) => ctx.measureText(s).width), plot.x - TICK - 2, y);
  }
}

/** Column labels below the plot: level when they fit, at 45 degrees when they don't. */
export function drawColLabels(
  ctx: CanvasRenderingContext2D, theme: Theme, plot: Rect, labels: string[], c0: number, c1: number,
  maxPx: number, rotated: boolean,
): void {
  ctx.font = fontOf(theme);
  ctx.fillStyle = theme.text;
  const cell = plot.w / (c1 - c0);
  const spacing = rotated ? (theme.fontSize + 3) * 1.42 : maxPx + 8;
  for (const i of labelledIndices(c0, c1, plot.w, spacing)) {
    const x = plot.x + (i + 0.5 - c0) * cell;
    if (x < plot.x || x > plot.x + plot.w) continue;
    const text = truncate(labelOf(labels, i), maxPx, (s) => ctx.measureText(s).width);
    const y = plot.y + plot.h + TICK + 2;
    if (rotated) {
      ctx.save();
      ctx.translate(x, y);
      ctx.rotate(-Math.PI / 4);
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(text, 0, 0);
      ctx.restore();
    } else {
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillText(text, x, y);
    }
  }
}

/** Width the colour bar needs: bar, tick labels and the rotated value label. */
export function legendWidth(ctx: CanvasRenderingContext2D, theme: Theme, vmin: number, vmax: number,
  valueLabel: string): number {
  ctx.font = fontOf(theme);
  const ticks = niceTicks(vmin, vmax, 5);
  const tickW = Math.max(...ticks.map((v) => ctx.measureText(formatNumber(v)).width), 20);
  return 12 + BAR_W + TICK + 3 + tickW + (valueLabel ? theme.fontSize + 8 : 0) + 4;
}

const ramps = new Map<string, HTMLCanvasElement>();

/** The colormap as a 1 x 256 image, vmax at the top. */
function rampImage(cmap: string): HTMLCanvasElement {
  const hit = ramps.get(cmap);
  if (hit) return hit;
  const lut = buildLut(cmap);
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = LUT_SIZE;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(1, LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) {
    const row = LUT_SIZE - 1 - i;
    img.data.set([lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2], 255], row * 4);
  }
  ctx.putImageData(img, 0, 0);
  ramps.set(cmap, canvas);
  return canvas;
}

export function drawColorbar(
  ctx: CanvasRenderingContext2D, theme: Theme, plot: Rect, x: number, cmap: string, vmin: number,
  vmax: number, valueLabel: string, missing: number,
): void {
  const swatch = missing > 0 ? theme.fontSize + 10 : 0;
  const bar: Rect = { x: x + 12, y: plot.y, w: BAR_W, h: Math.max(20, plot.h - swatch) };
  ctx.imageSmoothingEnabled = true; // a smooth ramp, not 256 visible bands
  ctx.drawImage(rampImage(cmap), 0, 0, 1, LUT_SIZE, bar.x, bar.y, bar.w, bar.h);
  ctx.strokeStyle = theme.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(bar.x + 0.5, bar.y + 0.5, bar.w - 1, bar.h - 1);
  ctx.font = fontOf(theme);
  ctx.fillStyle = theme.text;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  let labelRight = bar.x + bar.w;
  for (const v of niceTicks(vmin, vmax, Math.max(2, Math.floor(bar.h / 40)))) {
    const y = bar.y + bar.h - ((v - vmin) / (vmax - vmin)) * bar.h;
    ctx.fillRect(bar.x + bar.w, Math.round(y) - 0.5, TICK, 1);
    const text = formatNumber(v);
    ctx.fillText(text, bar.x + bar.w + TICK + 3, y);
    labelRight = Math.max(labelRight, bar.x + bar.w + TICK + 3 + ctx.measureText(text).width);
  }
  if (valueLabel) {
    ctx.save();
    ctx.translate(labelRight + 6 + theme.fontSize / 2, bar.y + bar.h / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = "center";
    ctx.fillText(truncate(valueLabel, bar.h, (s) => ctx.measureText(s).width), 0, 0);
    ctx.restore();
  }
  if (missing > 0) {
    const y = bar.y + bar.h + 8;
    ctx.fillStyle = `rgb(${MISSING_RGB.join(",")})`;
    ctx.fillRect(bar.x, y, bar.w, theme.fontSize);
    ctx.fillStyle = theme.text;
    ctx.fillText("NaN", bar.x + bar.w + TICK + 3, y + theme.fontSize / 2);
  }
}
