// AttentionView geometry (pure, unit-tested): the matrix's cells and labels, the head overview's grid.
import { buildLut, LUT_SIZE } from "./colormap";

export interface MatrixLayout { x: number; y: number; cell: number; rows: number; cols: number; labelStep: number }

/** Square cells fitting `width` x `maxHeight` after room for labels; every `labelStep`-th label drawn. */
export function matrixLayout(rows: number, cols: number, width: number, maxHeight: number, labelPx: number,
  fontPx: number): MatrixLayout {
  const cell = Math.max(2, Math.min(28, (width - labelPx - 8) / Math.max(1, cols), (maxHeight - labelPx - 8) / Math.max(1, rows)));
  const labelStep = Math.max(1, Math.ceil((fontPx + 2) / cell));
  return { x: labelPx + 4, y: labelPx + 4, cell, rows, cols, labelStep };
}

/** The (row, col) under (px, py), or null outside the matrix. */
export function cellAt(l: MatrixLayout, px: number, py: number): [number, number] | null {
  const c = Math.floor((px - l.x) / l.cell), r = Math.floor((py - l.y) / l.cell);
  return r >= 0 && c >= 0 && r < l.rows && c < l.cols ? [r, c] : null;
}

export interface GridLayout { x: number; y: number; thumb: number; gap: number; layers: number; heads: number }

export function gridLayout(layers: number, heads: number, width: number, labelPx: number): GridLayout {
  const gap = 3;
  const thumb = Math.max(12, Math.min(44, Math.floor((width - labelPx - gap * heads) / Math.max(1, heads))));
  return { x: labelPx, y: 16, thumb, gap, layers, heads };
}

/** The (layer, head) of the thumbnail under (px, py), or null. */
export function thumbAt(g: GridLayout, px: number, py: number): [number, number] | null {
  const step = g.thumb + g.gap;
  const h = Math.floor((px - g.x) / step), l = Math.floor((py - g.y) / step);
  if (h < 0 || l < 0 || h >= g.heads || l >= g.layers) return null;
  if (px - g.x - h * step > g.thumb || py - g.y - l * step > g.thumb) return null; // in a gap
  return [l, h];
}

/** Paint a rows x cols block of `values` (offset `offset`) into RGBA, [vmin, vmax] on a sequential map. */
export function paintBlock(values: ArrayLike<number>, offset: number, rows: number, cols: number, vmin: number,
  vmax: number, cmap: string, out: Uint8ClampedArray): void {
  const lut = buildLut(cmap);
  const span = vmax > vmin ? vmax - vmin : 1;
  for (let i = 0; i < rows * cols; i++) {
    const v = values[offset + i];
    const k = Number.isFinite(v) ? Math.max(0, Math.min(LUT_SIZE - 1, Math.floor(((v - vmin) / span) * LUT_SIZE))) * 3 : 0;
    out.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
  }
}

/** Largest finite value. */
export function maxOf(values: ArrayLike<number>, offset = 0, count = values.length): number {
  let m = 0;
  for (let i = offset; i < offset + count; i++) if (values[i] > m) m = values[i];
  return m;
}

/** [min, max] of the finite values: the colour range in "matrix" scale (contrast stretched to the data). */
export function rangeOf(values: ArrayLike<number>, offset = 0, count = values.length): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = offset; i < offset + count; i++) {
    const v = values[i];
    if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return lo <= hi ? [lo, hi > lo ? hi : lo + 1e-6] : [0, 1];
}

export function shorten(text: string, max = 12): string {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}
