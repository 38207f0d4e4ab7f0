import { describe, expect, it } from "vitest";
import { cellAt, gridLayout, matrixLayout, maxOf, paintBlock, rangeOf, shorten, thumbAt } from "../src/lib/attention_grid";
import { buildLut } from "../src/lib/colormap";

describe("attention geometry", () => {
  it("fits square cells and thins labels when cells are small", () => {
    const small = matrixLayout(6, 6, 400, 500, 40, 11);
    expect(small.cell).toBe(28);
    expect(small.labelStep).toBe(1);
    const big = matrixLayout(200, 200, 400, 500, 40, 11);
    expect(big.cell).toBe(2); // never below 2 px a cell
    expect(big.labelStep).toBe(Math.ceil(13 / big.cell));
    expect(cellAt(small, small.x + 28 * 2.5, small.y + 28 * 4.1)).toEqual([4, 2]);
    expect(cellAt(small, small.x - 1, small.y)).toBeNull();
  });

  it("finds the thumbnail under the pointer, not in the gaps", () => {
    const g = gridLayout(3, 4, 220, 26);
    const step = g.thumb + g.gap;
    expect(thumbAt(g, g.x + step * 2 + 1, g.y + step * 1 + 1)).toEqual([1, 2]);
    expect(thumbAt(g, g.x + step - 1, g.y + 1)).toBeNull();
    expect(thumbAt(g, g.x + step * 4 + 1, g.y)).toBeNull();
  });

  it("paints weights on a sequential map from 0 to the matrix maximum", () => {
    const out = new Uint8ClampedArray(8);
    paintBlock([0, 0.5], 0, 1, 2, 0, maxOf([0, 0.5]), "viridis", out);
    const lut = buildLut("viridis");
    expect(Array.from(out.slice(0, 3))).toEqual(Array.from(lut.slice(0, 3)));
    expect(Array.from(out.slice(4, 7))).toEqual(Array.from(lut.slice(255 * 3)));
    expect(rangeOf([0.2, NaN, 0.3])).toEqual([0.2, 0.3]);
    expect(shorten("a-very-long-token-name", 8)).toBe("a-very-\u2026");
  });
});
