// The visible window of a matrix, in full-matrix cell coordinates, and how zoom changes it.

export interface Window {
  r0: number; r1: number; c0: number; c1: number;
}

export function fullWindow(rows: number, cols: number): Window {
  return { r0: 0, r1: rows, c0: 0, c1: cols };
}

export function isFull(w: Window, rows: number, cols: number): boolean {
  return w.r0 <= 0 && w.c0 <= 0 && w.r1 >= rows && w.c1 >= cols;
}

function clampSpan(lo: number, hi: number, n: number, minSpan: number): [number, number] {
  let span = Math.min(n, Math.max(minSpan, hi - lo));
  lo = Math.max(0, Math.min(lo, n - span));
  return [lo, lo + span];
}

/** Zoom by `factor` (<1 zooms in) about the cell-space point (r, c); never smaller than one cell. */
export function zoomAbout(w: Window, r: number, c: number, factor: number, rows: number, cols: number): Window {
  const [r0, r1] = clampSpan(r - (r - w.r0) * factor, r + (w.r1 - r) * factor, rows, Math.min(1, rows));
  const [c0, c1] = clampSpan(c - (c - w.c0) * factor, c + (w.c1 - c) * factor, cols, Math.min(1, cols));
  return { r0, r1, c0, c1 };
}

/** The window spanned by two cell-space corners (a box drag), snapped outwards to whole cells. */
export function boxWindow(ra: number, ca: number, rb: number, cb: number, rows: number, cols: number): Window {
  const [r0, r1] = clampSpan(Math.floor(Math.min(ra, rb)), Math.ceil(Math.max(ra, rb)), rows, 1);
  const [c0, c1] = clampSpan(Math.floor(Math.min(ca, cb)), Math.ceil(Math.max(ca, cb)), cols, 1);
  return { r0, r1, c0, c1 };
}

/** Index of the pooled block holding cell `i` of `n` cells cut into `blocks` (see _pooling.py). */
export function blockOf(i: number, n: number, blocks: number): number {
  const edge = (j: number) => Math.floor((j * n) / blocks);
  let b = Math.min(blocks - 1, Math.floor((i * blocks) / n));
  while (b + 1 < blocks && edge(b + 1) <= i) b++;
  while (b > 0 && edge(b) > i) b--;
  return b;
}

/** First and one-past-last cell of block `b`. */
export function blockSpan(b: number, n: number, blocks: number): [number, number] {
  return [Math.floor((b * n) / blocks), Math.floor(((b + 1) * n) / blocks)];
}
