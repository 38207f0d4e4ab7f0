// Pure geometry and text of the ImportanceBars view: axis extent, waterfall spans, rows, labels.
import { formatNumber, truncate } from "./text";

export type Domain = [number, number];

/** A "nice" step (1, 2, 5 x 10^k) that cuts `span` into about `count` pieces. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
}

/** [lo, hi] widened outwards to multiples of a nice step, so the axis ends on ticks. */
export function niceDomain(lo: number, hi: number, count = 5): Domain {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = Math.abs(lo) * 0.1 || 1;
    [lo, hi] = lo === 0 ? [0, 1] : lo > 0 ? [0, lo + pad] : [lo - pad, 0];
  }
  const step = niceStep(hi - lo, count);
  const clean = (v: number) => (Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return [clean(Math.floor(lo / step + 1e-9) * step), clean(Math.ceil(hi / step - 1e-9) * step)];
}

/**
 * [lo, hi] with a margin of `pad` x the span on each side, except at 0 (bars grow from there), so
 * the data fills the axis; ticks are nice numbers inside it (see `axisTicks`).
 */
export function paddedDomain(lo: number, hi: number, pad = 0.04): Domain {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return niceDomain(lo, hi);
  const margin = (hi - lo) * pad;
  return [lo === 0 ? 0 : lo - margin, hi === 0 ? 0 : hi + margin];
}

/**
 * The axis extent for data spanning `need` while it streams in: `prev` is kept while the data
 * fits and fills at least half of it, so a live chart never jitters; when the data outgrows it,
 * the axis grows with `headroom` to spare, and it shrinks only when the data has become much smaller.
 */
export function stableDomain(prev: Domain | null, need: Domain, headroom = 0.1): Domain {
  if (!prev) return paddedDomain(need[0], need[1], headroom);
  const covers = prev[0] <= need[0] && need[1] <= prev[1];
  const filled = (need[1] - need[0]) / (prev[1] - prev[0]);
  return covers && filled >= 0.5 ? prev : paddedDomain(need[0], need[1], headroom);
}

/** Finite extent of the given numbers together with `include` (e.g. 0); [0, 0] when none. */
export function extent(values: ArrayLike<number>, ...include: number[]): Domain {
  let lo = Infinity, hi = -Infinity;
  const see = (v: number) => {
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  };
  for (let i = 0; i < values.length; i++) see(values[i]);
  include.forEach(see);
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * Waterfall spans for bars drawn top to bottom: the bottom bar starts at `base`, each bar starts
 * where the one below it ends, and the top bar ends at base + sum(values). Missing values add 0.
 */
export function waterfall(values: ArrayLike<number>, base: number): Array<[number, number]> {
  const spans: Array<[number, number]> = new Array(values.length);
  let at = base;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = Number.isFinite(values[i]) ? values[i] : 0;
    spans[i] = [at, at + v];
    at += v;
  }
  return spans;
}

/** Stable keys for bars: the name, with a counter for repeated names ("x", "x#2"). */
export function barKeys(names: string[], other: boolean): string[] {
  const seen = new Map<string, number>();
  return names.map((name, i) => {
    if (other && i === names.length - 1) return "\u0000other";
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  });
}

/** Signed value label: "+0.12", "−0.05" (a true minus sign), "0". */
export function formatSigned(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  const text = formatNumber(Math.abs(v));
  return v > 0 ? `+${text}` : v < 0 ? `\u2212${text}` : text;
}

/**
 * The label's two parts: "age" and " = 42"; or, when the shown value already names the feature
 * (LIME's condition "age <= 42.00"), the condition alone, drawn as the name.
 */
export function nameValueParts(name: string, value: string): [string, string] {
  if (!value) return [name, ""];
  return value.includes(name) ? [value, ""] : [name, ` = ${value}`];
}

/**
 * Fit "name = value" into `maxPx`: the value keeps up to 45% of the room, the name takes the rest;
 * either is cut with an ellipsis. Returns the two parts as drawn (value part with its " = ").
 */
export function fitNameValue(name: string, value: string, maxPx: number,
  measure: (s: string) => number): [string, string] {
  const [head, tail] = nameValueParts(name, value);
  if (!tail) return [truncate(head, maxPx, measure), ""];
  if (measure(name + tail) <= maxPx) return [name, tail];
  const tailPx = Math.min(measure(tail), maxPx * 0.45);
  const fittedTail = measure(tail) <= tailPx ? tail : truncate(tail, tailPx, measure);
  return [truncate(name, maxPx - measure(fittedTail), measure), fittedTail];
}

export interface RowLayout {
  top: number; // y of the first row
  rowH: number;
  barH: number;
  height: number; // of the whole plot
  axisY: number; // y of the axis line
}

/**
 * Rows from top to bottom: room above for the f(x) marker (local), below for the base marker
 * (local) and the axis with its label. With `height` given the rows share it, within limits.
 */
export function rowLayout(rows: number, local: boolean, height: number | null, fontSize: number): RowLayout {
  const top = local ? fontSize + 14 : 6;
  const below = (local ? fontSize + 12 : 4) + 4 + fontSize + 6 + fontSize + 10;
  const n = Math.max(rows, 1);
  let rowH = 26;
  if (height !== null) rowH = Math.max(12, Math.min(44, (height - top - below) / n));
  const plotH = rowH * n;
  const total = height ?? top + plotH + below;
  return { top, rowH, barH: Math.max(6, Math.round(rowH * 0.62)), height: total, axisY: top + plotH + (local ? fontSize + 12 : 4) };
}

export interface Scale { d0: number; d1: number; r0: number; r1: number }

export function toPx(s: Scale, v: number): number {
  return s.r0 + ((v - s.d0) / (s.d1 - s.d0 || 1)) * (s.r1 - s.r0);
}

/** Ticks inside the domain, about one per `spacingPx` of axis length (at least three). */
export function axisTicks(d: Domain, lengthPx: number, spacingPx = 60): number[] {
  const count = Math.max(3, Math.floor(lengthPx / spacingPx));
  const step = niceStep(d[1] - d[0], count);
  const out: number[] = [];
  for (let v = Math.ceil(d[0] / step - 1e-9) * step; v <= d[1] + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/** A value label's claim on the axis: at domain fraction `t`, `px` wide, to the right or left of it. */
export interface LabelNeed { t: number; px: number; right: boolean }

/**
 * The widest pixel range [r0, r1] inside [left, right] such that every value label still fits
 * beside its bar end: labels only take room where bars actually reach, not a margin on both sides.
 */
export function fitRange(needs: LabelNeed[], left: number, right: number, minSpan = 40): [number, number] {
  const startFor = (span: number): number | null => {
    let lo = left, hi = right - span;
    for (const n of needs) {
      if (n.right) hi = Math.min(hi, right - n.px - n.t * span);
      else lo = Math.max(lo, left + n.px - n.t * span);
    }
    return lo <= hi + 1e-9 ? lo : null;
  };
  let good = Math.min(minSpan, right - left), bad = right - left;
  const full = startFor(bad);
  if (full !== null) return [full, full + bad];
  if (startFor(good) === null) return [left, left + good]; // labels cannot all fit: best effort
  for (let i = 0; i < 40 && bad - good > 0.25; i++) {
    const mid = (good + bad) / 2;
    if (startFor(mid) !== null) good = mid; else bad = mid;
  }
  const r0 = startFor(good) ?? left;
  return [r0, r0 + good];
}
