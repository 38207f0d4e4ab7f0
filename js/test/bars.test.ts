import { describe, expect, it } from "vitest";
import {
  axisTicks, barKeys, extent, fitNameValue, fitRange, nameValueParts, formatSigned, niceDomain, niceStep, paddedDomain, rowLayout, stableDomain,
  toPx,
  waterfall,
} from "../src/lib/bars_layout";
import { type BarsState, readInput } from "../src/lib/bars_model";
import type { BarSpec } from "../src/lib/bars_svg";
import { type BarsInput, describeBar, legendItems, statusText, tooltipLines } from "../src/lib/bars_text";
import { durationText, etaText, jobFraction, jobText, type JobState } from "../src/lib/progress";
import { type Clock, ease, mix, Tween } from "../src/lib/tween";
import { encode } from "../src/lib/wire";

describe("axis extent", () => {
  it("nice steps are 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(1, 5)).toBeCloseTo(0.2);
    expect(niceStep(2.37, 5)).toBeCloseTo(0.5);
    expect(niceStep(730, 4)).toBe(200);
  });

  it("widens to whole steps and always shows something", () => {
    expect(niceDomain(0, 2.02)).toEqual([0, 2.5]);
    expect(niceDomain(-0.0324, 1.69)).toEqual([-0.5, 2]);
    expect(niceDomain(-3, -1)).toEqual([-3, -1]);
    expect(niceDomain(0, 0)).toEqual([0, 1]);
    expect(niceDomain(2, 2)).toEqual([0, 2.5]);
    expect(niceDomain(NaN, 1)).toEqual([0, 1]);
  });

  it("pads the data a little, but not below a zero start", () => {
    expect(paddedDomain(0, 2)).toEqual([0, 2.08]);
    expect(paddedDomain(-1, 1)).toEqual([-1.08, 1.08]);
    expect(paddedDomain(-0.005, 0.32)[0]).toBeCloseTo(-0.018); // a CI just under 0 costs little room
    expect(paddedDomain(-2, 0)).toEqual([-2.08, 0]);
    expect(paddedDomain(2, 2)).toEqual([0, 2.5]);
  });

  it("stays put while the data fits and fills half of it; grows with headroom or refits otherwise", () => {
    const first = stableDomain(null, [0, 2]);
    expect(first).toEqual([0, 2.2]);
    expect(stableDomain(first, [0, 2.1])).toBe(first); // small change: no jitter
    expect(stableDomain(first, [0, 1.2])).toBe(first); // still over half
    expect(stableDomain(first, [0, 3])[1]).toBeCloseTo(3.3); // grows, with room to spare
    expect(stableDomain(first, [0, 0.4])[1]).toBeCloseTo(0.44); // much smaller: refit
    expect(stableDomain(first, [-0.3, 2])[0]).toBeCloseTo(-0.53); // a negative end appears
  });

  it("extent skips NaN and includes extra values", () => {
    expect(extent([1, NaN, -2, Infinity], 0)).toEqual([-2, 1]);
    expect(extent([3, 4], 0)).toEqual([0, 4]);
    expect(extent([NaN])).toEqual([0, 0]);
  });

  it("ticks lie inside the domain, about one per 60 px", () => {
    expect(axisTicks([0, 2.5], 700)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(axisTicks([0, 2.5], 1000)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4]);
    expect(axisTicks([0, 2.5], 200)).toEqual([0, 1, 2]);
    expect(axisTicks([-0.1, 0.4], 500)).toEqual([-0.1, 0, 0.1, 0.2, 0.3, 0.4]);
    expect(axisTicks([-0.1, 0.4], 1000)).toEqual([-0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]);
  });

  it("maps data to pixels", () => {
    const s = { d0: -1, d1: 1, r0: 100, r1: 300 };
    expect(toPx(s, 0)).toBe(200);
    expect(toPx(s, 1)).toBe(300);
  });
});

describe("fitting the plot range to the value labels", () => {
  it("labels right of bars: the range stops where the longest bar's label still fits", () => {
    const [r0, r1] = fitRange([{ t: 0.95, px: 60, right: true }, { t: 0.5, px: 60, right: true }], 100, 600);
    expect(r0).toBe(100);
    expect(r0 + 0.95 * (r1 - r0) + 60).toBeCloseTo(600, 0); // exactly room for the label
  });

  it("no room is reserved where no bar reaches", () => {
    expect(fitRange([{ t: 0.5, px: 40, right: true }], 100, 600)).toEqual([100, 600]);
  });

  it("labels on both sides (a waterfall) share the width", () => {
    const needs = [{ t: 0, px: 50, right: false }, { t: 1, px: 30, right: true }];
    const [r0, r1] = fitRange(needs, 100, 600);
    expect(r0).toBeCloseTo(150, 0);
    expect(r1).toBeCloseTo(570, 0);
  });

  it("best effort when nothing fits", () => {
    expect(fitRange([{ t: 1, px: 500, right: true }], 100, 200)).toEqual([100, 140]);
  });
});

describe("waterfall", () => {
  it("starts at the base at the bottom and ends at the output at the top", () => {
    const spans = waterfall([-1.5, 1, 0.5, 0.25], 0.25);
    expect(spans[3]).toEqual([0.25, 0.5]);
    expect(spans[2]).toEqual([0.5, 1]);
    expect(spans[1]).toEqual([1, 2]);
    expect(spans[0]).toEqual([2, 0.5]); // the top bar ends at base + sum
  });

  it("missing contributions add nothing", () => {
    expect(waterfall([1, NaN, 2], 0)).toEqual([[2, 3], [2, 2], [0, 2]]);
  });
});

describe("bar keys and labels", () => {
  it("keys are names, repeated names counted, the folded bar apart", () => {
    expect(barKeys(["a", "b", "a", "3 other features"], true)).toEqual(["a", "b", "a#2", "\u0000other"]);
    expect(barKeys(["a", "b"], false)).toEqual(["a", "b"]);
  });

  it("signed labels use a true minus", () => {
    expect(formatSigned(0.1234)).toBe("+0.123");
    expect(formatSigned(-1.63)).toBe("\u22121.63");
    expect(formatSigned(0)).toBe("0");
    expect(formatSigned(NaN)).toBe("NaN");
  });

  const measure = (s: string) => s.length * 6;
  it("name = value fits whole when there is room", () => {
    expect(fitNameValue("age", "42", 200, measure)).toEqual(["age", " = 42"]);
    expect(fitNameValue("age", "", 200, measure)).toEqual(["age", ""]);
  });

  it("long names are cut with an ellipsis, the value keeps its room", () => {
    const [name, value] = fitNameValue("number of products held with the bank", "3", 120, measure);
    expect(value).toBe(" = 3");
    expect(name.endsWith("\u2026")).toBe(true);
    expect(measure(name + value)).toBeLessThanOrEqual(120);
    const [n2, v2] = fitNameValue("x", "a very very long categorical value", 120, measure);
    expect(v2.endsWith("\u2026")).toBe(true);
    expect(measure(n2 + v2)).toBeLessThanOrEqual(120);
  });

  it("an HTML name stays the same characters (it is set as text)", () => {
    expect(fitNameValue("<img src=x onerror=alert(1)>", "", 1000, measure)[0]).toBe("<img src=x onerror=alert(1)>");
  });
});

describe("row layout", () => {
  it("gives each bar a row and room for the axis", () => {
    const g = rowLayout(6, false, null, 11);
    expect(g.rowH).toBe(26);
    expect(g.axisY).toBe(g.top + 6 * 26 + 4);
    expect(g.height).toBeGreaterThan(g.axisY + 2 * 11);
  });

  it("local mode leaves room for f(x) above and E[f(X)] below", () => {
    const global = rowLayout(4, false, null, 11), local = rowLayout(4, true, null, 11);
    expect(local.top).toBeGreaterThan(global.top);
    expect(local.axisY - local.top).toBeGreaterThan(global.axisY - global.top);
  });

  it("a fixed height is shared by the rows, within limits", () => {
    expect(rowLayout(10, false, 400, 11).height).toBe(400);
    expect(rowLayout(100, false, 200, 11).rowH).toBe(12);
  });
});

describe("tween", () => {
  it("eases from 0 to 1 and mixes numbers; NaN jumps", () => {
    expect(ease(0)).toBe(0);
    expect(ease(1)).toBe(1);
    expect(ease(0.5)).toBeCloseTo(0.5);
    expect(mix({ a: 0, b: NaN }, { a: 10, b: 3 }, 0.25)).toEqual({ a: 2.5, b: 3 });
  });

  function manualClock() {
    let t = 0;
    const queue: Array<() => void> = [];
    const clock: Clock = { now: () => t, frame: (cb) => queue.push(cb), cancel: () => queue.splice(0) };
    const advance = (ms: number) => {
      t += ms;
      const due = queue.splice(0);
      due.forEach((cb) => cb());
    };
    return { clock, advance };
  }

  it("animates keyed items, retargets mid-flight from where they are, and removes leavers", () => {
    const { clock, advance } = manualClock();
    const drawn = new Map<string, number>(), removed: string[] = [];
    const tw = new Tween({ draw: (k, g) => drawn.set(k, g.y), remove: (k) => removed.push(k) }, 100, clock);
    tw.retarget(new Map([["a", { y: 0 }], ["b", { y: 1 }]]), (g) => g, (g) => g, false);
    expect(drawn.get("a")).toBe(0);
    tw.retarget(new Map([["a", { y: 1 }], ["b", { y: 0 }]]), (g) => g, (g) => g); // swap places
    advance(50);
    expect(drawn.get("a")).toBeCloseTo(0.5);
    tw.retarget(new Map([["a", { y: 2 }]]), (g) => g, (g) => ({ ...g, y: -1 })); // b leaves
    expect(tw.current.get("a")!.y).toBeCloseTo(0.5); // continues from where it was
    advance(100);
    expect(drawn.get("a")).toBe(2);
    expect(removed).toEqual(["b"]);
    expect(tw.running).toBe(false);
  });
});

describe("job progress text", () => {
  const st = (over: Partial<JobState>): JobState => ({
    status: "running", done: 12, total: 30, elapsed: 4.1, eta: 6.15, unit: "repeats", ...over,
  });

  it("reads like the issue asks", () => {
    expect(jobText(st({}))).toBe("12 / 30 repeats \u00b7 4.1 s \u00b7 about 7 s left");
    expect(jobText(st({ total: 0, eta: null }))).toBe("12 repeats \u00b7 4.1 s");
    expect(jobText(st({ status: "cancelled" }))).toBe("partial \u2014 cancelled after 12 of 30 repeats");
    expect(jobText(st({ status: "error" }))).toBe("failed after 12 of 30 repeats");
    expect(jobText(st({ status: "done", done: 30, elapsed: 7.64 }))).toBe("done: 30 repeats in 7.6 s");
    expect(jobText(st({ status: "pending" }))).toBe("waiting for the job to start");
    expect(jobText(st({ status: "" }))).toBe("");
  });

  it("durations and ETAs are rounded so they do not flicker", () => {
    expect(durationText(42.4)).toBe("42 s");
    expect(durationText(125)).toBe("2 min 05 s");
    expect(durationText(3720)).toBe("1 h 02 min");
    expect(etaText(0.4)).toBe("almost done");
    expect(etaText(23)).toBe("about 25 s left");
    expect(etaText(150)).toBe("about 3 min left");
    expect(etaText(null)).toBe("");
  });

  it("progress fraction", () => {
    expect(jobFraction(st({}))).toBeCloseTo(0.4);
    expect(jobFraction(st({ total: 0 }))).toBeNull();
    expect(jobFraction(st({ status: "done", total: 0 }))).toBe(1);
  });
});

describe("bars text", () => {
  const bar = (over: Partial<BarSpec>): BarSpec => ({
    key: "age", name: "age", feature: "", value: 0.5, lo: 0.4, hi: 0.6, start: 0, rank: 0, other: false,
    missing: false, color: "red", label: "0.5", ...over,
  });
  const input = (bars: BarSpec[], over: Partial<BarsInput> = {}): BarsInput => ({
    bars, local: false, base: 0, output: 0, pos: "red", neg: "blue", missing: "grey", axisLabel: "mean |SHAP value|",
    ciLabel: "95% CI of the mean over 60 rows", nFeatures: 8, item: "feature", other: 0, fold: "sum", nonfinite: 0, rows: 60, row: 0,
    partial: false, score: null,
    theme: { font: "", fontSize: 11, text: "", mutedText: "", background: "", border: "", accent: "" }, ...over,
  });

  it("status says what is shown of how much", () => {
    const bars = [bar({}), bar({ key: "\u0000other", name: "3 other features", other: true, rank: 1 })];
    expect(statusText(input(bars, { nFeatures: 4, other: 3 }))).toBe(
      "top 1 of 4 features (3 others summed) \u00b7 mean over 60 rows");
    expect(statusText(input([bar({})], { nFeatures: 1, rows: 0, nonfinite: 2 }))).toBe(
      "1 feature \u00b7 2 missing values (NaN/inf)");
    expect(statusText(input([bar({})], { local: true, row: 3, nFeatures: 1 }))).toBe("row 3 \u00b7 1 feature");
    expect(statusText(input([]))).toBe("no data yet");
    // Bars that are layers or sub-networks say so.
    expect(statusText(input(bars, { nFeatures: 4, other: 3, item: "layer" }))).toBe(
      "top 1 of 4 layers (3 others summed) \u00b7 mean over 60 rows");
    expect(statusText(input([bar({}), bar({})], { nFeatures: 2, rows: 4, item: "sub-network" }))).toBe(
      "2 sub-networks \u00b7 mean over 4 rows");
    expect(tooltipLines(bar({}), input([], { item: "layer" }))[0]).toEqual(["layer", "age"]);
  });

  it("a partial result's NaN is 'not computed yet', and a surrogate's fit is reported", () => {
    const pending = bar({ key: "b", name: "b", value: NaN, missing: true, lo: NaN, hi: NaN, rank: 1 });
    const inp = input([bar({}), pending], { partial: true, nFeatures: 2, rows: 0, nonfinite: 1, score: 0.8312 });
    expect(statusText(inp)).toBe("2 features \u00b7 surrogate fit R\u00b2 = 0.831 \u00b7 1 feature not computed yet");
    expect(legendItems(inp).map((i) => i[2])).toContain("not computed yet");
    expect(tooltipLines(pending, inp)).toContainEqual(["mean |SHAP value|", "not computed yet"]);
  });

  it("legend: signs only when both occur, whiskers only when drawn", () => {
    expect(legendItems(input([bar({})]))).toEqual([["whisker", "", "95% CI of the mean over 60 rows"]]);
    const signed = legendItems(input([bar({ lo: NaN, hi: NaN }), bar({ value: -1, lo: NaN, hi: NaN })]));
    expect(signed.map((i) => i[2])).toEqual(["positive", "negative"]);
    expect(legendItems(input([bar({})], { local: true })).map((i) => i[2])).toEqual(
      ["raises the output", "lowers the output"]);
    expect(legendItems(input([bar({ missing: true, value: NaN })])).map((i) => i[2])).toContain("missing (NaN)");
  });

  it("tooltip and aria label carry the exact value and interval", () => {
    const lines = tooltipLines(bar({ value: 0.123456789 }), input([]));
    expect(lines).toContainEqual(["mean |SHAP value|", "0.1234568"]);
    expect(lines).toContainEqual(["95% CI of the mean over 60 rows", "0.4 to 0.6"]);
    expect(lines).toContainEqual(["rank", "1 of 8"]);
    const local = tooltipLines(bar({ feature: "42", value: -0.5, start: 1, lo: NaN, hi: NaN }), input([], { local: true }));
    expect(local).toContainEqual(["value", "42"]);
    expect(local).toContainEqual(["contribution", "\u22120.5"]);
    expect(local).toContainEqual(["running total", "1 \u2192 0.5"]);
    expect(describeBar(bar({ feature: "42", lo: NaN, hi: NaN }), input([], { local: true }))).toBe("age = 42: +0.5");
    expect(describeBar(bar({}), input([]))).toBe("age: 0.5, 95% CI of the mean over 60 rows 0.4 to 0.6");
    const other = tooltipLines(bar({ other: true, name: "3 other features" }), input([], { other: 3 }));
    expect(other[0]).toEqual(["folded", "3 other features"]);
    expect(other[1][1]).toContain("(sum of 3)");
  });
});

describe("model decoding", () => {
  const theme = { font: "", fontSize: 11, text: "", mutedText: "", background: "", border: "", accent: "" };
  const state = (over: Partial<BarsState>): BarsState => ({
    mode: "local", title: "", cmap: "rdbu", height: null, selected_feature: null, _names: ["age", "income", "2 other features"],
    _values: encode(new Float32Array([-1.5, 0.5, 0.25]), [3]), _lower: null, _upper: null, _features: ["57", "23", ""],
    _other: 2, _fold: "sum", _n_features: 4, _nonfinite: 0, _rows: 0, _row: 2, _base: 0.25, _output: -0.5,
    _axis_label: "SHAP value", _ci_label: "", item_label: "feature", _partial: false, _score: null, _unit: "steps", _frame: 1,
    _job_status: "", _done: 0, _total: 0, _elapsed: 0, _eta: null, _error: "", ...over,
  });

  it("a local explanation becomes a waterfall with signed colours and labels", () => {
    const s = state({});
    const input = readInput((k) => s[k], theme);
    expect(input.local).toBe(true);
    expect(input.bars.map((b) => b.start)).toEqual([1, 0.5, 0.25]);
    expect(input.bars.map((b) => b.key)).toEqual(["age", "income", "\u0000other"]);
    expect(input.bars.map((b) => b.label)).toEqual(["\u22121.5", "+0.5", "+0.25"]);
    expect(input.bars[0].color).toBe(input.neg);
    expect(input.bars[1].color).toBe(input.pos);
    expect(input.pos).not.toBe(input.neg);
    expect(input.bars[2].other && input.bars[0].feature === "57").toBe(true);
  });

  it("global mode: bars from zero, intervals decoded, a stream's NaN is 'not yet'", () => {
    const s = state({
      mode: "global", _names: ["a", "b"], _values: encode(new Float32Array([2, NaN]), [2]), _other: 0,
      _lower: encode(new Float32Array([1.5, NaN]), [2]), _upper: encode(new Float32Array([2.5, NaN]), [2]),
      _partial: true, _base: null,
    });
    const input = readInput((k) => s[k], theme);
    expect(input.local).toBe(false);
    expect(input.bars.map((b) => [b.start, b.lo, b.hi])).toEqual([[0, 1.5, 2.5], [0, NaN, NaN]]);
    expect(input.bars[1].missing && input.bars[1].label === "not yet").toBe(true);
    expect(input.bars[1].feature).toBe("");
  });
});

describe("nameValueParts", () => {
  it("joins a name and its value with ' = '", () => {
    expect(nameValueParts("age", "42")).toEqual(["age", " = 42"]);
    expect(nameValueParts("age", "")).toEqual(["age", ""]);
  });
  it("shows a condition that already names the feature on its own (LIME)", () => {
    expect(nameValueParts("age", "30.00 < age <= 42.00")).toEqual(["30.00 < age <= 42.00", ""]);
  });
});
