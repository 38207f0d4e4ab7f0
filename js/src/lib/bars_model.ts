// The ImportanceBars model state as the browser reads it, decoded into bars, and laid out.
import {
  barKeys, type Domain, fitRange, formatSigned, type LabelNeed, nameValueParts, rowLayout, waterfall,
} from "./bars_layout";
import type { BarSpec, Frame } from "./bars_svg";
import type { BarsInput } from "./bars_text";
import { colorOf, MISSING_RGB } from "./colormap";
import type { JobStatus } from "./progress";
import { measurer } from "./svg";
import { formatNumber } from "./text";
import type { Theme } from "./theme";
import { decode, type WireArray } from "./wire";

export interface BarsState {
  mode: "global" | "local";
  title: string;
  cmap: string;
  height: number | null;
  selected_feature: string | null;
  _names: string[];
  _values: WireArray | null;
  _lower: WireArray | null;
  _upper: WireArray | null;
  _features: string[];
  _other: number;
  _fold: string;
  _n_features: number;
  item_label: string;
  _nonfinite: number;
  _rows: number;
  _row: number;
  _base: number | null;
  _output: number | null;
  _axis_label: string;
  _ci_label: string;
  _partial: boolean;
  _score: number | null;
  _unit: string;
  _frame: number;
  _job_status: JobStatus;
  _done: number;
  _total: number;
  _elapsed: number;
  _eta: number | null;
  _error: string;
}

function floats(wire: WireArray | null, n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  if (wire) out.set(Array.from(decode(wire).data).slice(0, n));
  return out;
}

function rgb(c: [number, number, number]): string {
  return `rgb(${c.join(",")})`;
}

/** Decode what the kernel sent into the bars to draw (waterfall spans, colours, labels). */
export function readInput(get: <K extends keyof BarsState>(key: K) => BarsState[K], theme: Theme): BarsInput {
  const names = get("_names");
  const n = names.length;
  const local = get("mode") === "local" && get("_base") !== null;
  const values = floats(get("_values"), n);
  const lower = floats(get("_lower"), n), upper = floats(get("_upper"), n);
  const base = get("_base") ?? 0;
  const spans = local ? waterfall(values, base) : null;
  const cmap = get("cmap");
  const pos = rgb(colorOf(0.7, cmap, -1, 1)), neg = rgb(colorOf(-0.7, cmap, -1, 1));
  const other = get("_other") > 0;
  const keys = barKeys(names, other);
  const features = get("_features");
  const partial = get("_partial") && !local;
  const bars: BarSpec[] = names.map((name, i) => {
    const v = values[i];
    const missing = !Number.isFinite(v);
    return {
      key: keys[i], name, feature: local ? features[i] ?? "" : "", value: v, lo: lower[i], hi: upper[i],
      start: spans ? spans[i][0] : 0, rank: i, other: other && i === n - 1, missing,
      color: missing ? rgb(MISSING_RGB) : v < 0 ? neg : pos,
      label: missing ? (partial ? "not yet" : "NaN") : local ? formatSigned(v) : formatNumber(v),
    };
  });
  return {
    bars, local, base, output: get("_output") ?? base, pos, neg, missing: rgb(MISSING_RGB),
    axisLabel: get("_axis_label"), ciLabel: get("_ci_label"), nFeatures: get("_n_features"),
    item: get("item_label") || "feature",
    other: get("_other"), fold: get("_fold"), nonfinite: get("_nonfinite"), rows: get("_rows"),
    row: get("_row"), partial: get("_partial"), score: get("_score"), theme,
  };
}

/** Where things go at this width: the name column, room for value labels, rows and the axis. */
export function frameFor(input: BarsInput, width: number, height: number | null): Frame {
  const theme = input.theme;
  const nameFont = `${theme.fontSize + 1}px ${theme.font}`;
  const measure = measurer(nameFont);
  const labelOf = (b: BarSpec) => nameValueParts(b.name, b.feature).join("");
  const widest = Math.max(40, ...input.bars.map((b) => measure(labelOf(b))));
  // Names get at most a third of the width (less when narrow), so the bars keep most of it.
  const labelMaxPx = Math.min(widest, Math.max(60, width * (width < 600 ? 0.28 : 0.35)));
  const labelRight = labelMaxPx + 10;
  const rows = rowLayout(input.bars.length, input.local, height, theme.fontSize);
  const scale = { d0: 0, d1: 1, r0: labelRight + 12, r1: width - 6 };
  return { width, scale, rows, labelRight, labelMaxPx, local: input.local, measure, theme };
}

/** Set the frame's domain and fit its pixel range so every value label fits beside its bar. */
export function fitScale(frame: Frame, input: BarsInput, domain: Domain): void {
  const [d0, d1] = domain;
  const t = (v: number) => (v - d0) / (d1 - d0 || 1);
  const needs: LabelNeed[] = input.bars.map((b) => {
    const end = b.start + (Number.isFinite(b.value) ? b.value : 0);
    const right = b.missing || end >= b.start;
    const ci = Number.isFinite(b.lo) && Number.isFinite(b.hi) ? [b.lo, b.hi] : [];
    const reach = right ? Math.max(b.start, end, ...ci) : Math.min(b.start, end, ...ci);
    return { t: t(reach), px: frame.measure(b.label) + 8 + (b.missing ? 6 : 0), right };
  });
  const [r0, r1] = fitRange(needs, frame.labelRight + 12, frame.width - 6);
  frame.scale = { d0, d1, r0, r1 };
}

