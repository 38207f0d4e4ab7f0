import { describe, expect, it } from "vitest";
import { buildLut, hexToRgb } from "../src/lib/colormap";
import { imageRgb, type OverlayInput, overlayOf, paintOverlay, pixelLabel, pixelText } from "../src/lib/overlay_paint";

function input(over: Partial<OverlayInput>): OverlayInput {
  return {
    map: [0], width: 1, height: 1, image: null, channels: 0, range: [0, 1], limit: 1, signed: true, cmap: "rdbu",
    opacity: 1, background: [255, 255, 255], ...over,
  };
}

describe("overlay pixels", () => {
  it("show the image where the attribution is zero, veiled where it is not computed yet", () => {
    const out = new Uint8ClampedArray(8);
    const pending = paintOverlay(input({ map: [0, NaN], width: 2, image: [0.5, 0], channels: 1 }), out);
    expect(pending).toBe(1);
    expect(Array.from(out)).toEqual([128, 128, 128, 255, 153, 153, 153, 255]); // 0 + (255 - 0) * 0.6
  });

  it("blend the colormap's end at full strength for |value| >= limit, scaled by opacity", () => {
    const out = new Uint8ClampedArray(8);
    paintOverlay(input({ map: [5, -1], width: 2, image: [0, 0, 0, 0, 0, 0], channels: 3 }), out);
    expect(Array.from(out.slice(0, 3))).toEqual(hexToRgb("#67001f")); // red: raises the output
    expect(Array.from(out.slice(4, 7))).toEqual(hexToRgb("#053061")); // blue: lowers it
    const half = new Uint8ClampedArray(4);
    paintOverlay(input({ map: [2], opacity: 0.5, image: [0, 0, 0], channels: 3, limit: 2 }), half);
    expect(half[0]).toBe(Math.round(0x67 * 0.5));
  });

  it("use a sequential map from 0 in absolute mode, opacity growing with the value", () => {
    expect(overlayOf(0.5, { limit: 1, signed: false, opacity: 0.8 })).toEqual({ index: 128, alpha: 0.4 });
    expect(overlayOf(2, { limit: 1, signed: false, opacity: 1 })).toEqual({ index: 255, alpha: 1 });
    const lut = buildLut("magma");
    const out = new Uint8ClampedArray(4);
    paintOverlay(input({ map: [1], signed: false, cmap: "magma", image: [0], channels: 1 }), out);
    expect(Array.from(out.slice(0, 3))).toEqual(Array.from(lut.slice(255 * 3, 256 * 3)));
  });

  it("scale images by their display range, gray or RGB, and print pixel values", () => {
    expect(imageRgb(input({ image: [127.5], channels: 1, range: [0, 255] }), 0)).toEqual([127.5, 127.5, 127.5]);
    expect(imageRgb(input({ image: [-1, 0, 1], channels: 3, range: [-1, 1] }), 0)).toEqual([0, 127.5, 255]);
    expect(pixelText([0.25, 0.5, 1], 3, 0)).toBe("0.25, 0.5, 1");
    expect(pixelText(null, 0, 0)).toBe("");
  });

  it("draw a 2-channel image in gray from its first channel, and hover gives both values", () => {
    const two = input({ image: [0.2, 0.9, 0.6, 0.1], width: 2, channels: 2 });
    expect(imageRgb(two, 0)).toEqual([51, 51, 51]);
    expect(imageRgb(two, 1)).toEqual([153, 153, 153]);
    expect(pixelText([0.2, 0.9, 0.6, 0.1], 2, 1)).toBe("0.6, 0.1");
    expect(pixelLabel(2)).toBe("value (2 channels; gray: the first)");
    expect(pixelLabel(3)).toBe("value (R, G, B)");
    expect(pixelLabel(1)).toBe("value");
  });
});
