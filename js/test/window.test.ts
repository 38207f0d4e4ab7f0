import { describe, expect, it } from "vitest";
import { blockOf, blockSpan, boxWindow, fullWindow, isFull, zoomAbout } from "../src/lib/window";

describe("zoom window", () => {
  it("zooms about the pointer and stays inside the matrix", () => {
    const w = zoomAbout(fullWindow(100, 50), 50, 25, 0.5, 100, 50);
    expect(w).toEqual({ r0: 25, r1: 75, c0: 12.5, c1: 37.5 });
    const out = zoomAbout(w, 0, 0, 10, 100, 50);
    expect(isFull(out, 100, 50)).toBe(true);
  });

  it("never zooms below one cell", () => {
    let w = fullWindow(10, 10);
    for (let i = 0; i < 50; i++) w = zoomAbout(w, 3.3, 7.7, 0.5, 10, 10);
    expect(w.r1 - w.r0).toBeCloseTo(1);
    expect(w.c1 - w.c0).toBeCloseTo(1);
  });

  it("box zoom snaps outwards to whole cells whatever the drag direction", () => {
    expect(boxWindow(7.6, 9.2, 2.3, 3.9, 10, 10)).toEqual({ r0: 2, r1: 8, c0: 3, c1: 10 });
  });
});

describe("pooled blocks", () => {
  it("match the kernel's integer block edges (i * n) // blocks", () => {
    for (const [n, blocks] of [[10, 3], [10_000, 700], [2048, 900], [7, 7]]) {
      for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 997))) {
        const b = blockOf(i, n, blocks);
        const [lo, hi] = blockSpan(b, n, blocks);
        expect(lo).toBe(Math.floor((b * n) / blocks));
        expect(i >= lo && i < hi).toBe(true);
      }
    }
  });
});
