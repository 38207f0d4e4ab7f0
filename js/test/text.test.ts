import { describe, expect, it } from "vitest";
import { formatNumber, labelStep, niceTicks, truncate } from "../src/lib/text";

describe("text helpers", () => {
  it("format numbers compactly", () => {
    expect(formatNumber(0.123456)).toBe("0.123");
    expect(formatNumber(1234567)).toBe("1.23e6");
    expect(formatNumber(-0.00001234)).toBe("-1.23e-5");
    expect(formatNumber(Number.NaN)).toBe("NaN");
    expect(formatNumber(-Infinity)).toBe("-inf");
  });

  it("make nice ticks inside the range, including zero for symmetric ranges", () => {
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    const t = niceTicks(0.13, 0.87, 5);
    expect(t[0]).toBeGreaterThanOrEqual(0.13);
    expect(t[t.length - 1]).toBeLessThanOrEqual(0.87);
  });

  it("thin labels in regular steps so they never overlap", () => {
    expect(labelStep(20, 14)).toBe(1);
    expect(labelStep(3, 14)).toBe(5);
    expect(labelStep(0.01, 14)).toBe(2000);
  });

  it("truncate with an ellipsis to fit", () => {
    const measure = (s: string) => s.length * 10;
    expect(truncate("short", 100, measure)).toBe("short");
    expect(truncate("a very long feature name", 60, measure)).toBe("a ver…");
  });
});
