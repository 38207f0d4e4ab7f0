// The SVG pieces of the ImportanceBars view: one group per bar, the axis, the waterfall markers.
// Each is placed from a tweened state (data units + row slot) through the frame's scale.
import { axisTicks, fitNameValue, type RowLayout, type Scale, toPx } from "./bars_layout";
import { setAttrs, setText, svg } from "./svg";
import { formatNumber, truncate } from "./text";
import type { Theme } from "./theme";
import type { Geom } from "./tween";

/** What is fixed about a bar between animation frames. */
export interface BarSpec {
  key: string;
  name: string;
  feature: string; // local mode: the feature's value as text
  value: number;
  lo: number; // interval, NaN when unknown
  hi: number;
  start: number; // waterfall start (global: 0)
  rank: number;
  other: boolean;
  missing: boolean;
  color: string;
  label: string; // value text at the bar end
}

/** Per-draw constants shared by every bar. */
export interface Frame {
  width: number;
  scale: Scale;
  rows: RowLayout;
  labelRight: number; // names end here (right-aligned)
  labelMaxPx: number;
  local: boolean;
  measure: (s: string) => number;
  theme: Theme;
}

const MISSING_PX = 6;

export class BarNode {
  readonly g: SVGGElement;
  private band: SVGRectElement;
  private name: SVGTextElement;
  private nameSpan: SVGTSpanElement;
  private featureSpan: SVGTSpanElement;
  private rect: SVGRectElement;
  private whisker: SVGPathElement;
  private link: SVGLineElement;
  private valueText: SVGTextElement;
  spec: BarSpec | null = null;

  constructor(parent: SVGGElement) {
    this.g = svg("g", "ipx-bar", parent, { role: "option", tabindex: -1 });
    this.band = svg("rect", "ipx-bar-band", this.g, { x: 0, rx: 2 });
    this.link = svg("line", "ipx-bar-link", this.g, { "stroke-dasharray": "2 2", "stroke-width": 1 });
    this.rect = svg("rect", "ipx-bar-rect", this.g, { rx: 1.5 });
    this.whisker = svg("path", "ipx-bar-whisker", this.g, { fill: "none", "stroke-width": 1.5 });
    this.name = svg("text", "ipx-bar-name", this.g, { "text-anchor": "end", "dominant-baseline": "central" });
    this.nameSpan = svg("tspan", "ipx-bar-label", this.name);
    this.featureSpan = svg("tspan", "ipx-bar-feature", this.name);
    this.valueText = svg("text", "ipx-bar-value", this.g, { "dominant-baseline": "central" });
  }

  /** Texts, colours and data attributes (tests and assistive tech read them). */
  setSpec(spec: BarSpec, f: Frame, aria: string, selected: boolean): void {
    this.spec = spec;
    const g = this.g;
    g.classList.toggle("ipx-other", spec.other);
    g.classList.toggle("ipx-selected", selected);
    setAttrs(g, {
      "data-key": spec.key, "data-rank": spec.rank, "data-value": String(spec.value),
      "data-lo": String(spec.lo), "data-hi": String(spec.hi), "data-start": String(spec.start),
      "data-sign": spec.missing ? "missing" : spec.value < 0 ? "neg" : "pos",
      "aria-label": aria, "aria-selected": selected ? "true" : "false", "aria-disabled": spec.other ? "true" : "false",
    });
    const [name, feature] = fitNameValue(spec.name, spec.feature, f.labelMaxPx, f.measure);
    setText(this.nameSpan, name);
    setText(this.featureSpan, feature);
    setAttrs(this.name, { fill: f.theme.text, x: f.labelRight, opacity: spec.other ? 0.8 : 1 });
    setAttrs(this.rect, { fill: spec.color, "fill-opacity": spec.other ? 0.55 : 1 });
    setAttrs(this.whisker, { stroke: f.theme.text, "stroke-opacity": 0.8 });
    setAttrs(this.link, { stroke: f.theme.mutedText });
    setAttrs(this.valueText, { fill: f.theme.text });
    setText(this.valueText, spec.label);
  }

  /** Position from the tweened state: slot (row), a -> b (bar ends), lo/hi (whisker), op (opacity). */
  place(s: Geom, f: Frame): void {
    const { rows, scale } = f;
    const y = rows.top + s.slot * rows.rowH;
    const mid = rows.rowH / 2, half = rows.barH / 2;
    setAttrs(this.g, { transform: `translate(0,${y})`, opacity: s.op });
    setAttrs(this.band, { y: 1, width: scale.r1 + 4, height: rows.rowH - 2 });
    setAttrs(this.name, { y: mid });
    let x0 = toPx(scale, s.a), x1 = toPx(scale, s.b);
    const missing = this.spec?.missing ?? false;
    if (missing) x1 = x0 + MISSING_PX;
    const left = Math.min(x0, x1), width = Math.max(Math.abs(x1 - x0), s.b !== s.a ? 1 : 0);
    setAttrs(this.rect, { x: left, y: mid - half, width, height: rows.barH });
    if (missing) setAttrs(this.rect, { fill: "#a0a0a0", "fill-opacity": 1 });
    const hasCi = Number.isFinite(s.lo) && Number.isFinite(s.hi) && !missing;
    const lo = hasCi ? toPx(scale, s.lo) : x1, hi = hasCi ? toPx(scale, s.hi) : x1;
    const cap = Math.min(4, half);
    setAttrs(this.whisker, {
      d: hasCi ? `M${lo},${mid}H${hi}M${lo},${mid - cap}V${mid + cap}M${hi},${mid - cap}V${mid + cap}` : "",
    });
    const up = missing || s.b >= s.a;
    const end = up ? Math.max(x0, x1, hasCi ? hi : -Infinity) : Math.min(x0, x1, hasCi ? lo : Infinity);
    setAttrs(this.valueText, { x: up ? end + 5 : end - 5, y: mid, "text-anchor": up ? "start" : "end" });
    // Waterfall: a dashed link from where this bar starts down to the bar below (or the base marker).
    setAttrs(this.link, f.local ? { x1: x0, x2: x0, y1: mid + half, y2: rows.rowH + mid - half, opacity: 1 } : { opacity: 0 });
  }
}

/** The value axis: gridlines, ticks with labels, the axis label, and a zero line. */
export function drawAxis(group: SVGGElement, d: [number, number], f: Frame, label: string): void {
  const { scale, rows, theme } = f;
  const ticks = axisTicks(d, scale.r1 - scale.r0);
  group.replaceChildren();
  const y0 = rows.top - 2, y1 = rows.axisY;
  for (const v of ticks) {
    const x = Math.round(toPx(scale, v)) + 0.5;
    if (x < scale.r0 - 1 || x > scale.r1 + 1) continue;
    const zero = v === 0 && !f.local;
    svg("line", zero ? "ipx-zero" : "ipx-grid", group, {
      x1: x, x2: x, y1: y0, y2: y1, stroke: zero ? theme.mutedText : theme.border,
      "stroke-opacity": zero ? 0.9 : 0.45, "stroke-width": 1,
    });
    svg("line", "ipx-tick", group, { x1: x, x2: x, y1: y1, y2: y1 + 4, stroke: theme.mutedText });
    const text = svg("text", "ipx-tick-label", group, {
      x, y: y1 + 6 + theme.fontSize / 2 + 1, "text-anchor": "middle", "dominant-baseline": "central",
      fill: theme.mutedText, "font-size": theme.fontSize,
    });
    text.textContent = formatNumber(v);
  }
  svg("line", "ipx-axis-line", group, {
    x1: scale.r0, x2: scale.r1, y1: y1 + 0.5, y2: y1 + 0.5, stroke: theme.mutedText, "stroke-width": 1,
  });
  // Centred under the plot; a label wider than the plot may use the whole width rather than be cut.
  const text = truncate(label, f.width - 8, f.measure);
  const w = f.measure(text);
  const x = Math.min(Math.max((scale.r0 + scale.r1) / 2, w / 2 + 4), f.width - w / 2 - 4);
  const axisLabel = svg("text", "ipx-axis-label", group, {
    x, y: y1 + 12 + theme.fontSize * 1.6, "text-anchor": "middle",
    "dominant-baseline": "central", fill: theme.text, "font-size": theme.fontSize + 1,
  });
  axisLabel.textContent = text;
}

/** Local mode: f(x) above the top bar, E[f(X)] below the bottom bar, each with a dashed guide. */
export class Markers {
  readonly g: SVGGElement;
  private outLine: SVGLineElement;
  private outText: SVGTextElement;
  private baseLine: SVGLineElement;
  private baseText: SVGTextElement;

  constructor(parent: SVGGElement) {
    this.g = svg("g", "ipx-markers", parent);
    this.outLine = svg("line", "ipx-marker-output", this.g, { "stroke-dasharray": "3 3" });
    this.outText = svg("text", "ipx-marker-output-label", this.g, { "dominant-baseline": "central" });
    this.baseLine = svg("line", "ipx-marker-base", this.g, { "stroke-dasharray": "3 3" });
    this.baseText = svg("text", "ipx-marker-base-label", this.g, { "dominant-baseline": "central" });
  }

  place(s: Geom, f: Frame, base: number, output: number): void {
    const { scale, rows, theme } = f;
    const xo = toPx(scale, s.output), xb = toPx(scale, s.base);
    const barTop = rows.top + (rows.rowH - rows.barH) / 2;
    const bottom = rows.top + s.n * rows.rowH;
    setAttrs(this.g, { opacity: s.op });
    setAttrs(this.outLine, { x1: xo, x2: xo, y1: rows.top - 4, y2: barTop, stroke: theme.text, "stroke-opacity": 0.6 });
    setAttrs(this.baseLine, { x1: xb, x2: xb, y1: bottom - (rows.rowH - rows.barH) / 2, y2: rows.axisY, stroke: theme.mutedText });
    const label = (node: SVGTextElement, x: number, y: number, text: string, beside: boolean) => {
      const w = f.measure(text);
      let anchor = "middle";
      if (beside) {
        anchor = x + 5 + w <= scale.r1 + 8 ? "start" : "end";
        x += anchor === "start" ? 5 : -5;
      } else if (x + w / 2 > scale.r1 + 8) {
        anchor = "end";
      } else if (x - w / 2 < scale.r0 - 8) {
        anchor = "start";
      }
      setAttrs(node, { x, y, "text-anchor": anchor, fill: theme.text, "font-size": theme.fontSize + 1 });
      setText(node, text);
    };
    label(this.outText, xo, rows.top - 4 - theme.fontSize / 2 - 3, `f(x) = ${formatNumber(output)}`, false);
    label(this.baseText, xb, bottom + (rows.axisY - bottom) / 2, `E[f(X)] = ${formatNumber(base)}`, true);
  }
}
