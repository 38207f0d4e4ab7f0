// Colormaps from src/ipyexplain/colormaps.json (shared with Python), as 256-entry lookup tables.
import spec from "../../../src/ipyexplain/colormaps.json";

export const LUT_SIZE = 256;
type MapSpec = { kind: string; colors: string[] };
const MAPS = spec.maps as Record<string, MapSpec>;

export function hexToRgb(color: string): [number, number, number] {
  return [parseInt(color.slice(1, 3), 16), parseInt(color.slice(3, 5), 16), parseInt(color.slice(5, 7), 16)];
}

export const MISSING_RGB = hexToRgb(spec.missing);

export function colormapNames(): string[] {
  return Object.keys(MAPS).sort();
}

const cache = new Map<string, Uint8Array>();

/** RGB triplets, 256 x 3; the same arithmetic as `lut()` in colormaps.py. */
export function buildLut(name: string): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const map = MAPS[name];
  if (map === undefined) throw new Error(`unknown colormap ${JSON.stringify(name)}`);
  const stops = map.colors.map(hexToRgb);
  const lut = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const pos = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const lo = Math.min(Math.floor(pos), stops.length - 2);
    const frac = pos - lo;
    for (let ch = 0; ch < 3; ch++) {
      lut[i * 3 + ch] = Math.floor(stops[lo][ch] + (stops[lo + 1][ch] - stops[lo][ch]) * frac + 0.5);
    }
  }
  cache.set(name, lut);
  return lut;
}

/** LUT entry for a value; the same arithmetic as `lut_index()` in colormaps.py. */
export function lutIndex(value: number, vmin: number, vmax: number): number {
  const idx = Math.floor(((value - vmin) / (vmax - vmin)) * LUT_SIZE);
  return idx < 0 ? 0 : idx > LUT_SIZE - 1 ? LUT_SIZE - 1 : idx;
}

export function colorOf(value: number, name: string, vmin: number, vmax: number): [number, number, number] {
  if (!Number.isFinite(value)) return MISSING_RGB;
  const lut = buildLut(name);
  const i = lutIndex(value, vmin, vmax) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** The LUT as packed RGBA words for a little-endian Uint32Array view of ImageData (every browser we run on). */
const cache32 = new Map<string, Uint32Array>();
function packedLut(name: string): Uint32Array {
  const hit = cache32.get(name);
  if (hit) return hit;
  const lut = buildLut(name);
  const out = new Uint32Array(LUT_SIZE);
  for (let i = 0; i < LUT_SIZE; i++) out[i] = pack(lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]);
  cache32.set(name, out);
  return out;
}

function pack(r: number, g: number, b: number): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** Paint values (row-major) into RGBA pixels: one pixel per cell, the hot loop of every redraw. */
export function paint(
  values: ArrayLike<number>, out: Uint8ClampedArray, name: string, vmin: number, vmax: number,
): void {
  const lut = packedLut(name);
  const range = vmax - vmin;
  const missing = pack(...MISSING_RGB);
  // One 32-bit write per pixel instead of four byte writes.
  const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >> 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) { // NaN or +-inf, without a function call
      words[i] = missing;
    } else {
      // Same arithmetic as lutIndex (divide, then scale) so a cell is exactly the colour tests expect.
      const k = Math.floor(((v - vmin) / range) * LUT_SIZE);
      words[i] = lut[k < 0 ? 0 : k > LUT_SIZE - 1 ? LUT_SIZE - 1 : k];
    }
  }
}
