// Pan and zoom of the diagram: a transform from layout coordinates to stage pixels, and the moves
// the view makes with it (fit, centre on a box, keep a box still while the layout changes).
import type { Box } from "./network_layout";

export interface Transform { x: number; y: number; k: number }
export interface Extent { w: number; h: number }

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;
/** Below this scale a whole-graph fit makes labels unreadable: the first view shows the top at a readable size. */
export const READABLE_SCALE = 0.55;

const clampK = (k: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));

/** The whole `bounds` in `stage`, centred, never magnified beyond `maxScale`. */
export function fit(bounds: Box, stage: Extent, pad = 16, maxScale = 1.25): Transform {
  const k = clampK(Math.min((stage.w - 2 * pad) / Math.max(1, bounds.w), (stage.h - 2 * pad) / Math.max(1, bounds.h), maxScale));
  return { k, x: (stage.w - bounds.w * k) / 2 - bounds.x * k, y: (stage.h - bounds.h * k) / 2 - bounds.y * k };
}

/**
 * The first view of a graph: all of it when that is readable, else its top part at the width that
 * fits (at most 1:1), centred horizontally; the minimap and search reach the rest.
 */
export function initialView(bounds: Box, stage: Extent, pad = 16): Transform {
  const whole = fit(bounds, stage, pad, 1);
  if (whole.k >= READABLE_SCALE) return whole;
  const k = clampK(Math.max(READABLE_SCALE, Math.min(1, (stage.w - 2 * pad) / Math.max(1, bounds.w))));
  return { k, x: (stage.w - bounds.w * k) / 2 - bounds.x * k, y: pad - bounds.y * k };
}

/** Zoom by `factor` (> 1 zooms in) keeping the stage point (px, py) fixed. */
export function zoomAbout(t: Transform, px: number, py: number, factor: number): Transform {
  const k = clampK(t.k * factor);
  const f = k / t.k;
  return { k, x: px - (px - t.x) * f, y: py - (py - t.y) * f };
}

/** Centre `box` in the stage, at scale `k` (default: the current one, raised to a readable one). */
export function centreOn(t: Transform, box: Box, stage: Extent, k = Math.max(t.k, 0.8)): Transform {
  const kk = clampK(k);
  return { k: kk, x: stage.w / 2 - (box.x + box.w / 2) * kk, y: stage.h / 2 - (box.y + box.h / 2) * kk };
}

/** After a relayout, the transform that keeps `anchor` where it was on screen (old box -> new box). */
export function keepInPlace(t: Transform, before: Box, after: Box): Transform {
  return { k: t.k, x: t.x + (before.x - after.x) * t.k, y: t.y + (before.y - after.y) * t.k };
}

/** Stage pixels -> layout coordinates. */
export function toLayout(t: Transform, px: number, py: number): [number, number] {
  return [(px - t.x) / t.k, (py - t.y) / t.k];
}

/** The part of the layout the stage shows. */
export function visibleRect(t: Transform, stage: Extent): Box {
  return { x: -t.x / t.k, y: -t.y / t.k, w: stage.w / t.k, h: stage.h / t.k };
}

export function lerpTransform(a: Transform, b: Transform, s: number): Transform {
  // Interpolate the scale geometrically so a zoom feels even.
  const k = a.k * Math.pow(b.k / a.k, s);
  return { k, x: a.x + (b.x - a.x) * s, y: a.y + (b.y - a.y) * s };
}

export function bounds(boxes: Iterable<Box>): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.w); y1 = Math.max(y1, b.y + b.h);
  }
  return Number.isFinite(x0) ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : { x: 0, y: 0, w: 1, h: 1 };
}
