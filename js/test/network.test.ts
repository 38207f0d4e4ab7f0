import { describe, expect, it } from "vitest";
import { NetGraph } from "../src/lib/network_graph";
import { legendTicks, scalePosition } from "../src/lib/network_legend";
import { approxMeasure, labelOf } from "../src/lib/network_labels";
import { paintOf, textOn, valueText } from "../src/lib/network_overlay";
import { centreOn, fit, initialView, keepInPlace, toLayout, zoomAbout } from "../src/lib/network_viewport";
import fixture from "./network_fixture.json";

const resnet = () => new NetGraph(fixture.resnet.nodes, fixture.resnet.edges);

describe("NetGraph", () => {
  it("decodes nodes, nesting and depth from the kernel's rows", () => {
    const g = resnet();
    expect(g.size).toBe(fixture.resnet.nodes.length);
    expect(g.roots).toEqual(["input:x", "stem", "layer1", "layer2", "pool", "flatten", "fc", "output"]);
    const conv = g.nodes.get("layer2.0.down.0")!;
    expect([conv.parent, conv.depth, conv.kind, conv.type, conv.out]).toEqual(["layer2.0.down", 3, "module", "Conv2d", "1×32×8×8"]);
    expect(g.nodes.get("layer2")!.children).toEqual(["layer2.0", "layer2.1"]);
    expect(g.ancestors("layer2.0.down.0")).toEqual(["layer2.0.down", "layer2.0", "layer2"]);
    expect(() => new NetGraph([["a", "", "widget", "a", "T", "a", "", "", "", "", ""]], [])).toThrow(/unknown kind "widget"/);
  });

  it("draws a closed container as one box and lifts the edges that cross it", () => {
    const g = resnet();
    const v = g.visible(new Set());
    expect(v.nodes.map((n) => n.node.id)).toEqual(g.roots);
    expect(v.edges.map((e) => [e.source, e.target])).toEqual([
      ["input:x", "stem"], ["stem", "layer1"], ["layer1", "layer2"], ["layer2", "pool"], ["pool", "flatten"],
      ["flatten", "fc"], ["fc", "output"],
    ]);
    // stem -> layer1 stands for two edges (into conv1 and the skip into add), both 1×16×16×16.
    expect(v.edges[1].shapes).toEqual(["1×16×16×16"]);
    expect(g.representative("layer2.0.down.1", new Set(["layer2"]))).toBe("layer2.0");
  });

  it("opens containers: their contents appear and edges reach inside", () => {
    const g = resnet();
    const v = g.visible(new Set(["layer1", "layer1.0"]));
    const ids = v.nodes.map((n) => n.node.id);
    expect(ids).toContain("layer1.0.conv1");
    expect(ids).toContain("layer1.1");
    expect(ids).not.toContain("layer1.1.conv1");
    expect(v.byId.get("layer1.0")!.expanded).toBe(true);
    expect(v.byId.get("layer1.0.conv1")!.parent).toBe("layer1.0");
    const pairs = v.edges.map((e) => `${e.source}>${e.target}`);
    expect(pairs).toEqual(expect.arrayContaining(["stem>layer1.0.conv1", "stem>layer1.0/add", "layer1.0.relu#2>layer1.1"]));
    expect(g.visibleCount(new Set(["layer1", "layer1.0"]))).toBe(v.nodes.length);
  });

  it("expands everything breadth first, within a node budget", () => {
    const g = resnet();
    const all = g.expandAll(new Set(), 10_000);
    expect(all.complete).toBe(true);
    expect(g.visibleCount(all.expanded)).toBe(g.size);
    const some = g.expandAll(new Set(), 15);
    expect(some.complete).toBe(false);
    expect([...some.expanded]).toEqual(["stem", "layer1", "layer2"]);
    expect(g.visibleCount(some.expanded)).toBeLessThanOrEqual(15);
  });

  it("searches by exact path first, then names, then paths and types", () => {
    const g = resnet();
    expect(g.search("layer2.0.conv1")[0].id).toBe("layer2.0.conv1");
    expect(g.search("CONV1").map((n) => n.id)).toEqual(["layer1.0.conv1", "layer1.1.conv1", "layer2.0.conv1", "layer2.1.conv1"]);
    expect(g.search("down")[0].id).toBe("layer2.0.down");
    expect(g.search("batchnorm").length).toBe(10);
    expect(g.search("  ")).toEqual([]);
  });
});

describe("labels, overlay colours, legend", () => {
  it("sizes boxes from their text and truncates long names", () => {
    const g = resnet();
    const v = g.visible(new Set());
    const conv = labelOf({ node: g.nodes.get("fc")!, parent: null, expanded: false }, approxMeasure);
    expect(conv.lines.map((l) => l.text)).toEqual(["Linear", "fc · 330 params", "1×10"]);
    expect(conv.shape).toBe("box");
    const stack = labelOf(v.byId.get("layer1")!, approxMeasure);
    expect(stack.shape).toBe("stack");
    expect(stack.lines[0].text).toBe("Sequential");
    const add = labelOf({ node: g.nodes.get("layer1.0/add")!, parent: "layer1.0", expanded: false }, approxMeasure);
    expect([add.shape, add.size.h, add.lines[0].text]).toEqual(["pill", 22, "add"]);
    const long = { ...g.nodes.get("fc")!, type: "VeryLongModuleName".repeat(6) };
    const cut = labelOf({ node: long, parent: null, expanded: false }, approxMeasure);
    expect(cut.lines[0].text.endsWith("…")).toBe(true);
    expect(cut.size.w).toBeLessThanOrEqual(230);
  });

  it("colours nodes by value, marks missing ones, leaves the rest plain", () => {
    const o = { values: [NaN, 1, 100, NaN], state: [0, 1, 1, 2], lo: 1, hi: 100, cmap: "viridis", scale: "log" as const };
    expect(paintOf(o, 0)).toBeNull();
    expect(paintOf(o, 1)!.fill).toBe("rgb(68,1,84)"); // viridis' first colour at the low end
    expect(paintOf(o, 2)!.fill).toBe("rgb(253,231,37)");
    expect(paintOf(o, 1)!.text).toBe("#ffffff");
    expect(paintOf(o, 2)!.text).toBe("#111111");
    expect(valueText(o, 3)).toBe("missing");
    expect(valueText(o, 2)).toBe("100");
    expect(textOn([255, 255, 255])).toBe("#111111");
  });

  it("places log ticks at powers of ten and linear ticks at nice numbers", () => {
    expect(legendTicks(20, 80_000, "log")).toEqual([100, 1000, 10_000]);
    expect(legendTicks(1, 50, "log")).toEqual([1, 2, 5, 10, 20, 50]);
    expect(legendTicks(-3, 3, "linear")).toEqual([-2, 0, 2]);
    expect(scalePosition(100, 10, 1000, "log")).toBeCloseTo(0.5);
    expect(scalePosition(5, 0, 10, "linear")).toBeCloseTo(0.5);
  });
});

describe("viewport", () => {
  const stage = { w: 800, h: 600 };
  it("fits, zooms about a point and centres a box", () => {
    const t = fit({ x: 0, y: 0, w: 400, h: 1200 }, stage, 16);
    expect(t.k).toBeCloseTo((600 - 32) / 1200);
    const z = zoomAbout(t, 300, 200, 2);
    const [ax, ay] = toLayout(t, 300, 200), [bx, by] = toLayout(z, 300, 200);
    expect([bx, by].map((v) => v.toFixed(6))).toEqual([ax, ay].map((v) => v.toFixed(6)));
    const c = centreOn(z, { x: 100, y: 900, w: 50, h: 20 }, stage);
    expect(c.x + 125 * c.k).toBeCloseTo(400);
    expect(c.y + 910 * c.k).toBeCloseTo(300);
  });

  it("shows the top of a tall graph at a readable size instead of fitting it", () => {
    const tall = initialView({ x: 0, y: 0, w: 300, h: 20_000 }, stage);
    expect(tall.k).toBeGreaterThanOrEqual(0.55);
    expect(tall.y).toBeCloseTo(16);
    const small = initialView({ x: 0, y: 0, w: 300, h: 400 }, stage);
    expect(small.k).toBe(1);
  });

  it("keeps a box still on screen when the layout moves it", () => {
    const t = { x: 10, y: 20, k: 0.5 };
    const before = { x: 100, y: 300, w: 80, h: 40 }, after = { x: 40, y: 500, w: 200, h: 300 };
    const k = keepInPlace(t, before, after);
    expect(after.x * k.k + k.x).toBeCloseTo(before.x * t.k + t.x);
    expect(after.y * k.k + k.y).toBeCloseTo(before.y * t.k + t.y);
  });
});
