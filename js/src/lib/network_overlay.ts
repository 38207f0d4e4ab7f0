// Overlay values -> node colours: one float32 per node (aligned with the kernel's node list), a
// state per node (0 none, 1 value, 2 missing), limits, colormap and scale.
import { colorOf, MISSING_RGB } from "./colormap";
import type { Scale } from "./network_legend";
import { formatExact } from "./text";
import { decode, type WireArray } from "./wire";

export interface Overlay {
  values: ArrayLike<number>;
  state: ArrayLike<number>;
  lo: number;
  hi: number;
  cmap: string;
  scale: Scale;
}
export interface Paint { fill: string; text: string }

export function decodeOverlay(values: WireArray | null, state: WireArray | null, limits: number[], cmap: string,
  scale: Scale): Overlay | null {
  if (!values || !state || limits.length !== 2) return null;
  const v = decode(values), s = decode(state);
  if (v.data.length !== s.data.length) throw new Error(`overlay has ${v.data.length} values for ${s.data.length} states`);
  return { values: v.data, state: s.data, lo: limits[0], hi: limits[1], cmap, scale };
}

/** Dark text on light fills, light text on dark ones (relative luminance, sRGB). */
export function textOn(rgb: readonly number[]): string {
  const lin = rgb.map((c) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
  });
  const l = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return l > 0.22 ? "#111111" : "#ffffff";
}

export function rgbOf(o: Overlay, index: number): [number, number, number] | null {
  if (index >= o.state.length) return null;
  const st = o.state[index];
  if (st === 0) return null;
  if (st === 2) return MISSING_RGB;
  const v = o.values[index];
  return o.scale === "log"
    ? colorOf(Math.log10(v), o.cmap, Math.log10(o.lo), Math.log10(o.hi))
    : colorOf(v, o.cmap, o.lo, o.hi);
}

export function paintOf(o: Overlay | null, index: number): Paint | null {
  const rgb = o ? rgbOf(o, index) : null;
  return rgb ? { fill: `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`, text: textOn(rgb) } : null;
}

/** The value as the tooltip says it, or null when the node has none. */
export function valueText(o: Overlay | null, index: number): string | null {
  if (!o || index >= o.state.length || o.state[index] === 0) return null;
  return o.state[index] === 2 ? "missing" : formatExact(o.values[index]);
}
