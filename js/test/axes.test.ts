import { describe, expect, it } from "vitest";
import { fitColumnLabels, labelledIndices, labelOf } from "../src/lib/axes";

describe("axis labels", () => {
  it("label every cell when there is room", () => {
    expect(labelledIndices(0, 5, 500, 14)).toEqual([0, 1, 2, 3, 4]);
  });

  it("thin out in regular steps when dense, never closer than a label's size", () => {
    const idx = labelledIndices(0, 10_000, 500, 14);
    const step = idx[1] - idx[0];
    expect(step * (500 / 10_000)).toBeGreaterThanOrEqual(14);
    expect(idx.every((i) => i % step === 0)).toBe(true);
    expect(idx.length).toBeLessThanOrEqual(Math.ceil(500 / 14));
  });

  it("follow the zoom window", () => {
    const idx = labelledIndices(5000.4, 5020.2, 400, 14);
    expect(idx[0]).toBe(5000);
    expect(idx[idx.length - 1]).toBeLessThan(5021);
  });

  it("fall back to indices without labels", () => {
    expect(labelOf([], 7)).toBe("7");
    expect(labelOf(["a", "b"], 1)).toBe("b");
  });
});

describe("column label fit", () => {
  const theme = { font: "sans", fontSize: 11, text: "", mutedText: "", background: "", border: "", accent: "" };
  const ctx = { font: "", measureText: (s: string) => ({ width: s.length * 6 }) } as unknown as CanvasRenderingContext2D;

  it("keeps short labels level", () => {
    expect(fitColumnLabels(ctx, theme, ["a", "b"], { c0: 0, c1: 2 }, 400)).toEqual({ rotated: false, maxPx: 8 });
  });

  it("truncates long labels in wide cells instead of slanting them", () => {
    const fit = fitColumnLabels(ctx, theme, ["a very long feature name indeed", "b"], { c0: 0, c1: 2 }, 200);
    expect(fit).toEqual({ rotated: false, maxPx: 92 });
  });

  it("slants long labels in narrow cells, capped in length", () => {
    const labels = Array.from({ length: 40 }, (_, i) => `a rather long feature number ${i}`);
    expect(fitColumnLabels(ctx, theme, labels, { c0: 0, c1: 40 }, 400)).toEqual({ rotated: true, maxPx: 140 });
  });

  it("keeps index labels level, thinned", () => {
    expect(fitColumnLabels(ctx, theme, [], { c0: 0, c1: 3000 }, 400).rotated).toBe(false);
  });
});
