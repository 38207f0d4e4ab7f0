// ImageOverlay's pixels: an attribution map blended over its image (pure functions, unit-tested).
import { buildLut, LUT_SIZE } from "./colormap";

export interface OverlayInput {
  /** Attribution map, h*w row-major; NaN = not computed (no overlay). */
  map: ArrayLike<number>;
  width: number;
  height: number;
  /** Image under it, h*w*channels row-major (channels 1: gray, 3: RGB), or null (theme background). */
  image: ArrayLike<number> | null;
  channels: number;
  /** Display range of the image: [lo, hi] maps to [0, 255]. */
  range: [number, number];
  /** Colour limit: |value| >= limit is the colormap's end and full opacity. */
  limit: number;
  signed: boolean;
  cmap: string;
  opacity: number;
  background: [number, number, number];
}

/** The image's RGB (0-255) at pixel i. */
export function imageRgb(inp: OverlayInput, i: number): [number, number, number] {
  const img = inp.image;
  if (!img) return inp.background;
  const [lo, hi] = inp.range;
  const k = 255 / (hi - lo || 1);
  const scale = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.min(255, (v - lo) * k)) : 0);
  if (inp.channels >= 3) return [scale(img[i * inp.channels]), scale(img[i * inp.channels + 1]), scale(img[i * inp.channels + 2])];
  const g = scale(img[i * inp.channels]);
  return [g, g, g];
}

/** Colormap index and opacity of one attribution value. */
export function overlayOf(value: number, inp: Pick<OverlayInput, "limit" | "signed" | "opacity">): { index: number; alpha: number } {
  if (!Number.isFinite(value)) return { index: 0, alpha: 0 };
  const limit = inp.limit > 0 ? inp.limit : 1;
  const t = inp.signed ? (value + limit) / (2 * limit) : value / limit;
  const index = Math.max(0, Math.min(LUT_SIZE - 1, Math.floor(t * LUT_SIZE)));
  const strength = Math.min(1, Math.abs(value) / limit);
  return { index, alpha: inp.opacity * strength };
}

/** How much of the background veils a pixel whose attribution is not computed yet (a stream part-way). */
export const PENDING_VEIL = 0.6;

/** Paint the blend into RGBA `out` (width*height*4); returns how many pixels are not computed yet. */
export function paintOverlay(inp: OverlayInput, out: Uint8ClampedArray): number {
  const lut = buildLut(inp.cmap);
  const n = inp.width * inp.height;
  const [br, bg, bb] = inp.background;
  let pending = 0;
  for (let i = 0; i < n; i++) {
    let [r, g, b] = imageRgb(inp, i);
    if (inp.map[i] !== inp.map[i]) { // NaN: not computed yet, the image is veiled so it reads as "pending"
      pending++;
      r += (br - r) * PENDING_VEIL; g += (bg - g) * PENDING_VEIL; b += (bb - b) * PENDING_VEIL;
    }
    const { index, alpha } = overlayOf(inp.map[i], inp);
    const o = i * 4;
    out[o] = r + (lut[index * 3] - r) * alpha;
    out[o + 1] = g + (lut[index * 3 + 1] - g) * alpha;
    out[o + 2] = b + (lut[index * 3 + 2] - b) * alpha;
    out[o + 3] = 255;
  }
  return pending;
}

/** "0.123, 0.456, 0.789" for a pixel's channel values (full precision, as the data). */
export function pixelText(image: ArrayLike<number> | null, channels: number, i: number): string {
  if (!image) return "";
  const values: string[] = [];
  for (let c = 0; c < channels; c++) values.push(Number(image[i * channels + c]).toPrecision(4).replace(/\.?0+$/, ""));
  return values.join(", ");
}

/** The hover's name for a pixel's values: RGB, gray, or a 2-channel image (drawn in gray from its first). */
export function pixelLabel(channels: number): string {
  if (channels >= 3) return "value (R, G, B)";
  return channels === 2 ? "value (2 channels; gray: the first)" : "value";
}
