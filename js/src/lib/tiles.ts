// Tiles: decoded matrix data covering a window of the full matrix, coloured once and cached.
import { paint } from "./colormap";
import { decode, type NdArray, type WireArray } from "./wire";
import { blockOf, blockSpan, type Window } from "./window";

/** `array` covers the full-matrix window `win`, pooled when its shape is smaller than the window. */
export interface Tile { wire: WireArray; array: NdArray; win: Window; image: HTMLCanvasElement | null; key: string }

/** The tile for `wire`, reusing `previous`'s decoded and coloured data when the wire is unchanged. */
export function tileFor(wire: WireArray, win: Window, previous: Tile | null): Tile {
  if (previous && previous.wire === wire) return { ...previous, win };
  return { wire, array: decode(wire), win, image: null, key: "" };
}

/** The tile's pixels, one per cell, coloured with `cmap` over [vmin, vmax] (cached by those). */
export function tileImage(tile: Tile, cmap: string, vmin: number, vmax: number): HTMLCanvasElement {
  const key = `${cmap}|${vmin}|${vmax}`;
  if (tile.image && tile.key === key) return tile.image;
  const [rows, cols] = tile.array.shape;
  const canvas = tile.image ?? document.createElement("canvas");
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(cols, rows);
  paint(tile.array.data, img.data, cmap, vmin, vmax);
  ctx.putImageData(img, 0, 0);
  tile.image = canvas;
  tile.key = key;
  return canvas;
}

export interface CellValue { value: number; rows: [number, number]; cols: [number, number] }

/** The value the tile holds for cell (r, c), and the span of cells it stands for; null outside. */
export function valueIn(tile: Tile, r: number, c: number): CellValue | null {
  const t = tile.win;
  if (r < t.r0 || r >= t.r1 || c < t.c0 || c >= t.c1) return null;
  const [tr, tc] = tile.array.shape;
  const nr = t.r1 - t.r0, nc = t.c1 - t.c0;
  const br = blockOf(r - t.r0, nr, tr), bc = blockOf(c - t.c0, nc, tc);
  const rs = blockSpan(br, nr, tr), cs = blockSpan(bc, nc, tc);
  return { value: tile.array.data[br * tc + bc], rows: [rs[0] + t.r0, rs[1] + t.r0], cols: [cs[0] + t.c0, cs[1] + t.c0] };
}
