// Numbers and labels as short, legible text.

/** Compact number: 3 significant digits, exponent for very large/small magnitudes. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** Full-precision value for tooltips (float32 data has ~7 significant digits). */
export function formatExact(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  return String(Number(v.toPrecision(7)));
}

/** "Nice" ticks (1, 2, 5 x 10^k) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo) || count < 1) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

/** Every how many-th label to draw so labels `size` px apart never overlap. */
export function labelStep(spacingPx: number, labelPx: number): number {
  if (spacingPx <= 0) return Infinity;
  const raw = Math.ceil(labelPx / spacingPx);
  // Steps of 1, 2, 5, 10, 20, 50... keep the drawn indices regular when zooming.
  const mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

/** Shorten `text` with an ellipsis to fit `maxPx` as measured by `measure`. */
export function truncate(text: string, maxPx: number, measure: (s: string) => number): string {
  if (measure(text) <= maxPx) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(text.slice(0, mid) + "…") <= maxPx) lo = mid; else hi = mid - 1;
  }
  return lo > 0 ? text.slice(0, lo) + "…" : "…";
}
