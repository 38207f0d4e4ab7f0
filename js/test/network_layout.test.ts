// The layout with the real ELK (in-process here; in a Web Worker in the browser).
import ELK from "elkjs/lib/elk.bundled.js";
import { describe, expect, it } from "vitest";
import { NetGraph, type VisibleGraph } from "../src/lib/network_graph";
import { approxMeasure, labelOf } from "../src/lib/network_labels";
import { type Box, computeLayout, findChains, FRAME, type Layout, LayoutCache, levelsOf, warmUpGraph } from "../src/lib/network_layout";
import { edgePath } from "../src/lib/network_svg";
import fixture from "./network_fixture.json";

const elk = new ELK();
const size = (v: Parameters<typeof labelOf>[0]) => labelOf(v, approxMeasure).size;
const overlaps = (a: Box, b: Box) => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;
const inside = (a: Box, b: Box) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.w <= b.x + b.w + 0.5 && a.y + a.h <= b.y + b.h + 0.5;

function checkLayout(vis: VisibleGraph, layout: Layout): void {
  for (const v of vis.nodes) expect(layout.boxes.has(v.node.id), v.node.id).toBe(true);
  // Siblings never overlap; everything sits inside its container's frame, below the title.
  for (const a of vis.nodes) {
    for (const b of vis.nodes) {
      if (a !== b && a.parent === b.parent) expect(overlaps(layout.boxes.get(a.node.id)!, layout.boxes.get(b.node.id)!), `${a.node.id} / ${b.node.id}`).toBe(false);
    }
    if (a.parent) {
      const frame = layout.boxes.get(a.parent)!, box = layout.boxes.get(a.node.id)!;
      expect(inside(box, frame), `${a.node.id} in ${a.parent}`).toBe(true);
      expect(box.y).toBeGreaterThanOrEqual(frame.y + FRAME.top - 0.5);
    }
  }
  // Every edge runs from the bottom centre of its source to the top centre of its target, downwards.
  for (const e of vis.edges) {
    const pts = layout.edges.get(e.key)!;
    expect(pts, `${e.source} -> ${e.target}`).toBeDefined();
    const s = layout.boxes.get(e.source)!, t = layout.boxes.get(e.target)!;
    const [p0, p1] = [pts[0], pts[pts.length - 1]];
    expect(p0.y).toBeCloseTo(s.y + s.h, 0);
    expect(p1.y).toBeCloseTo(t.y, 0);
    expect(Math.abs(p1.x - (t.x + t.w / 2))).toBeLessThan(t.w / 2 + 0.5);
    expect(p1.y).toBeGreaterThan(p0.y);
  }
}

describe("layout", () => {
  const g = new NetGraph(fixture.resnet.nodes, fixture.resnet.edges);

  it("splits edges at container borders and hands ELK each chain of boxes as one node", () => {
    const vis = g.visible(new Set(["stem", "layer1", "layer2", "layer2.0"]));
    const { levels, pieces } = levelsOf(vis);
    expect([...levels.keys()]).toEqual([null, "stem", "layer1", "layer2", "layer2.0"]);
    expect(findChains(levels.get("stem")!)).toEqual([["stem.0", "stem.1", "stem.2"]]);
    const block = levels.get("layer2.0")!;
    expect(findChains(block)).toEqual([
      ["layer2.0.conv1", "layer2.0.bn1", "layer2.0.relu", "layer2.0.conv2", "layer2.0.bn2"], ["layer2.0.down"],
      ["layer2.0/add", "layer2.0.relu#2"],
    ]);
    // The block's input comes in once (one port) and feeds the main path and the projection shortcut.
    expect(block.ins).toEqual(["layer1.1"]);
    expect(block.outs).toEqual(["layer2.0.relu#2"]);
    // layer1.1 -> layer2.0.conv1 crosses three borders: four pieces, from the source's level down.
    const key = vis.edges.find((e) => e.source === "layer1.1" && e.target === "layer2.0.conv1")!.key;
    expect(pieces.get(key)!.map(([at]) => at)).toEqual(["layer1", null, "layer2", "layer2.0"]);
    expect(findChains(levels.get(null)!)).toContainEqual(["pool", "flatten", "fc", "output"]);
    expect(warmUpGraph().children!.length).toBe(6); // in, two chains (b.1 feeds the output too), add, two outs
  });

  it("lays out a residual net with nested frames, no overlaps, edges from bottom to top", async () => {
    for (const open of [[], ["layer1"], ["stem", "layer1", "layer1.0", "layer2", "layer2.0", "layer2.0.down"]]) {
      const vis = g.visible(new Set(open));
      const layout = await computeLayout(vis, size, elk);
      checkLayout(vis, layout);
    }
  });

  it("puts the two branches of a multimodal model side by side and joins them below", async () => {
    const mm = new NetGraph(fixture.multimodal.nodes, fixture.multimodal.edges);
    const vis = mm.visible(new Set(["image", "tabular", "head"]));
    const layout = await computeLayout(vis, size, elk);
    checkLayout(vis, layout);
    const image = layout.boxes.get("image")!, tabular = layout.boxes.get("tabular")!, cat = layout.boxes.get("cat")!;
    expect(overlaps({ ...image, y: 0, h: 1 }, { ...tabular, y: 0, h: 1 })).toBe(false); // side by side
    expect(cat.y).toBeGreaterThan(Math.max(image.y + image.h, tabular.y + tabular.h));
  });

  it("gives a frame room for its title", async () => {
    const vis = g.visible(new Set(["layer2", "layer2.0", "layer2.0.down"]));
    const layout = await computeLayout(vis, size, elk);
    const down = layout.boxes.get("layer2.0.down")!;
    expect(down.w).toBeGreaterThanOrEqual(size(vis.byId.get("layer2.0.down")!).w - 0.5);
  });

  it("lays out a 1,000-node graph", async () => {
    // 40 residual blocks of 5 modules + an add, in 8 stages: like the benchmark's model.
    const nodes: string[][] = [["input:x", "", "input", "x", "Tensor", "input:x", "1×8", "", "", "", "float32"]];
    const edges: string[][] = [];
    let prev = "input:x";
    for (let s = 0; s < 8; s++) {
      nodes.push([`s${s}`, "", "container", `s${s}`, "Sequential", `s${s}`, "1×8", "1×8", "", "", ""]);
      for (let b = 0; b < 20; b++) {
        const p = `s${s}.${b}`;
        nodes.push([p, `s${s}`, "container", String(b), "Block", p, "1×8", "1×8", "", "", ""]);
        let last = prev;
        for (const m of ["fc1", "bn", "act", "fc2", "drop"]) {
          nodes.push([`${p}.${m}`, p, "module", m, "Linear", `${p}.${m}`, "1×8", "1×8", "72", "72", "float32"]);
          edges.push([last, `${p}.${m}`, "1×8"]);
          last = `${p}.${m}`;
        }
        nodes.push([`${p}/add`, p, "function", "add", "operator.add", `${p}/add`, "1×8", "1×8", "", "", "float32"]);
        edges.push([last, `${p}/add`, "1×8"], [prev, `${p}/add`, "1×8"]);
        prev = `${p}/add`;
      }
    }
    const big = new NetGraph(nodes, edges);
    expect(big.size).toBeGreaterThan(1000);
    const all = big.expandAll(new Set(), 100_000).expanded;
    const vis = big.visible(all);
    const cache = new LayoutCache();
    const layout = await computeLayout(vis, size, elk, cache);
    checkLayout(vis, layout);
    // 160 identical blocks are laid out once; the stages differ only in where their input comes from.
    expect(layout.elkCalls).toBeLessThanOrEqual(5); // a block, first/middle/last stage, the top level
    // Collapsing one block reuses every other container's layout.
    const fewer = new Set(all);
    fewer.delete("s3.7");
    const again = await computeLayout(big.visible(fewer), size, elk, cache);
    expect(again.elkCalls).toBeLessThanOrEqual(3);
    checkLayout(big.visible(fewer), again);
  });
});

describe("edges", () => {
  it("round the corners of a polyline", () => {
    expect(edgePath([{ x: 0, y: 0 }, { x: 0, y: 50 }])).toBe("M0,0 L0,50");
    const d = edgePath([{ x: 0, y: 0 }, { x: 0, y: 40 }, { x: 30, y: 40 }, { x: 30, y: 80 }]);
    expect(d).toBe("M0,0 L0,32 Q0,40 8,40 L22,40 Q30,40 30,48 L30,80");
  });
});
