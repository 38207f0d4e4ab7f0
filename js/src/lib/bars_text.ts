// The words of the ImportanceBars view: status line, legend, tooltips and aria labels (pure).
import { formatSigned, nameValueParts } from "./bars_layout";
import type { BarSpec } from "./bars_svg";
import { formatExact, formatNumber } from "./text";
import type { Theme } from "./theme";

/** Everything one draw reads from the model, decoded. */
export interface BarsInput {
  bars: BarSpec[];
  local: boolean;
  base: number;
  output: number;
  pos: string;
  neg: string;
  missing: string;
  axisLabel: string;
  ciLabel: string;
  nFeatures: number;
  item: string; // what one bar stands for, singular ("feature", "layer")
  other: number; // features folded into the last bar
  fold: string; // "sum" | "mean" | "" (dropped)
  nonfinite: number;
  rows: number; // 2-D input: rows averaged over
  row: number; // local: the row drawn
  partial: boolean; // a result still being computed (or cut short): NaN means "not computed yet"
  score: number | null; // a surrogate's goodness of fit (LIME R²)
  theme: Theme;
}

const plural = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;

function hasInterval(b: BarSpec): boolean {
  return Number.isFinite(b.lo) && Number.isFinite(b.hi);
}

/** The footer: what is drawn of how much, and what is missing. */
export function statusText(input: BarsInput): string {
  if (!input.bars.length) return "no data yet";
  const parts: string[] = [];
  if (input.local) parts.push(`row ${input.row.toLocaleString()}`);
  const own = input.bars.length - (input.other > 0 ? 1 : 0);
  const total = input.nFeatures;
  if (own < total) {
    const rest = total - own;
    const how = input.local || input.fold === "sum" ? "summed" : input.fold === "mean" ? "averaged" : "not shown";
    parts.push(`top ${own} of ${plural(total, input.item)} (${plural(rest, "other")} ${how})`);
  } else {
    parts.push(plural(total, input.item));
  }
  if (!input.local && input.rows > 0) parts.push(`mean over ${plural(input.rows, "row")}`);
  if (input.score !== null) parts.push(`surrogate fit R\u00b2 = ${formatNumber(input.score)}`);
  if (input.partial && !input.local && input.bars.some((b) => b.missing)) {
    parts.push(`${plural(input.bars.filter((b) => b.missing).length, input.item)} not computed yet`);
  } else if (input.nonfinite > 0) {
    const where = !input.local && input.rows > 0 ? " left out of the means" : "";
    parts.push(`${plural(input.nonfinite, "missing value")} (NaN/inf)${where}`);
  }
  return parts.join(" \u00b7 ");
}

export type LegendItem = ["swatch" | "whisker", string, string];

export function legendItems(input: BarsInput): LegendItem[] {
  const items: LegendItem[] = [];
  if (!input.bars.length) return items;
  if (input.local) {
    items.push(["swatch", input.pos, "raises the output"], ["swatch", input.neg, "lowers the output"]);
  } else if (input.bars.some((b) => b.value < 0)) {
    items.push(["swatch", input.pos, "positive"], ["swatch", input.neg, "negative"]);
  }
  if (!input.local && input.bars.some(hasInterval)) items.push(["whisker", "", input.ciLabel || "interval"]);
  if (input.bars.some((b) => b.missing)) {
    items.push(["swatch", input.missing, input.partial && !input.local ? "not computed yet" : "missing (NaN)"]);
  }
  return items;
}

/** Hover/focus tooltip rows: full name, exact value, interval, and the waterfall's running total. */
export function tooltipLines(b: BarSpec, input: BarsInput): Array<[string, string]> {
  const lines: Array<[string, string]> = [[b.other ? "folded" : input.item, b.name]];
  if (b.feature) lines.push(["value", b.feature]);
  const what = input.local ? "contribution" : input.axisLabel || "importance";
  const exact = b.missing ? (input.partial && !input.local ? "not computed yet" : "missing (NaN)") : input.local ? formatSigned(Number(formatExact(b.value))) : formatExact(b.value);
  const folded = b.other ? ` (${input.local || input.fold === "sum" ? "sum" : "mean"} of ${input.other.toLocaleString()})` : "";
  lines.push([what, exact + folded]);
  if (hasInterval(b)) lines.push([input.ciLabel || "interval", `${formatExact(b.lo)} to ${formatExact(b.hi)}`]);
  if (input.local && !b.missing) {
    lines.push(["running total", `${formatNumber(b.start)} \u2192 ${formatNumber(b.start + b.value)}`]);
  }
  if (!b.other) lines.push(["rank", `${b.rank + 1} of ${input.nFeatures.toLocaleString()}`]);
  return lines;
}

/** The bar's accessible name: "age = 42: +0.12" or "income: 0.31, 95% CI 0.28 to 0.35". */
export function describeBar(b: BarSpec, input: BarsInput): string {
  const name = nameValueParts(b.name, b.feature).join("");
  const value = b.missing ? "missing" : input.local ? formatSigned(b.value) : formatNumber(b.value);
  const ci = hasInterval(b) ? `, ${input.ciLabel || "interval"} ${formatNumber(b.lo)} to ${formatNumber(b.hi)}` : "";
  return `${name}: ${value}${ci}`;
}
