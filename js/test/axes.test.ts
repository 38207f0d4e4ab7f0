import { describe, expect, it } from "vitest";
import { labelledIndices, labelOf } from "../src/lib/axes";

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
