import { describe, expect, it } from "vitest";
import { imagePixels, linePath, valueRange } from "../src/lib/actmax_chart";

describe("actmax chart and image", () => {
  it("pads the value range and never leaves it empty", () => {
    expect(valueRange([1, 3])).toEqual([0.9, 3.1]);
    expect(valueRange([2, 2])).toEqual([1.9, 2.1]);
    expect(valueRange([])).toEqual([0, 1]);
  });

  it("maps step 1 to the left edge and the last step to the right, higher values up", () => {
    const box = { width: 110, height: 60, left: 10, right: 0, top: 0, bottom: 10 };
    expect(linePath([0, 1], 2, 0, 1, box)).toBe("M10.0,50.0L110.0,0.0");
    expect(linePath([0, NaN, 1], 3, 0, 1, box)).toBe("M10.0,50.0L110.0,0.0");
  });

  it("turns gray and RGB bytes into opaque RGBA", () => {
    expect(Array.from(imagePixels([7, 9], 1, 2, 1))).toEqual([7, 7, 7, 255, 9, 9, 9, 255]);
    expect(Array.from(imagePixels([1, 2, 3], 1, 1, 3))).toEqual([1, 2, 3, 255]);
  });
});
