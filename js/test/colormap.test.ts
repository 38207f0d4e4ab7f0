import { describe, expect, it } from "vitest";
import spec from "../../src/ipyexplain/colormaps.json";
import { buildLut, colorOf, colormapNames, hexToRgb, lutIndex, MISSING_RGB, paint } from "../src/lib/colormap";

describe("colormaps", () => {
  it("run from the first to the last control point of every map", () => {
    for (const name of colormapNames()) {
      const lut = buildLut(name);
      const colors = (spec.maps as Record<string, { colors: string[] }>)[name].colors;
      expect(Array.from(lut.slice(0, 3))).toEqual(hexToRgb(colors[0]));
      expect(Array.from(lut.slice(255 * 3))).toEqual(hexToRgb(colors[colors.length - 1]));
    }
  });

  it("map 0 to near-white in the middle of a diverging map", () => {
    const [r, g, b] = colorOf(0, "rdbu", -1, 1);
    expect(Math.min(r, g, b)).toBeGreaterThan(230);
    expect(colorOf(-1, "rdbu", -1, 1)).toEqual(hexToRgb("#053061"));
    expect(colorOf(1, "rdbu", -1, 1)).toEqual(hexToRgb("#67001f"));
  });

  it("clamp out-of-range values and use the same bins as Python", () => {
    expect(lutIndex(-3, 0, 1)).toBe(0);
    expect(lutIndex(3, 0, 1)).toBe(255);
    expect(lutIndex(0.5, 0, 1)).toBe(128);
    expect(lutIndex(0.4999, 0, 1)).toBe(127);
  });

  it("paint NaN and inf in the missing colour and agree with colorOf", () => {
    const values = new Float32Array([Number.NaN, -Infinity, 0.25, 0.75]);
    const out = new Uint8ClampedArray(16);
    paint(values, out, "viridis", 0, 1);
    expect(Array.from(out.slice(0, 3))).toEqual(MISSING_RGB);
    expect(Array.from(out.slice(4, 7))).toEqual(MISSING_RGB);
    expect(Array.from(out.slice(8, 11))).toEqual(colorOf(values[2], "viridis", 0, 1));
    expect(Array.from(out.slice(12, 15))).toEqual(colorOf(values[3], "viridis", 0, 1));
    expect(out[15]).toBe(255);
  });

  it("reject an unknown name", () => {
    expect(() => buildLut("jet")).toThrow(/unknown colormap/);
  });
});
