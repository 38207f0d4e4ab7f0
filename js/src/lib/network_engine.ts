// ELK in a Web Worker, off the main thread. The worker's code is bundled as a string (esbuild's
// inline-worker plugin in js/build.mjs) and started from a Blob URL: the bundle stays one
// self-contained module that works offline and in exported HTML. One worker serves every diagram
// on the page; it starts when the first diagram renders and parses ELK while the page builds.
import type { ElkNode } from "elkjs/lib/elk-api";
import ELK from "elkjs/lib/elk-api.js";
import workerSource from "inline-worker:elkjs/lib/elk-worker.min.js";
import type { LayoutEngine } from "./network_layout";

let shared: LayoutEngine | null = null;

export function elkEngine(): LayoutEngine {
  if (shared) return shared;
  const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const elk = new ELK({ workerFactory: () => new Worker(url, { name: "ipyexplain-elk" }) });
  shared = elk;
  // A first small layout warms ELK up (class set-up, JIT) while the page still builds the diagram.
  void elk.layout(warmUp()).catch(() => undefined);
  return elk;
}

function warmUp(): ElkNode {
  const children = Array.from({ length: 24 }, (_, i) => ({ id: `n${i}`, width: 80, height: 40 }));
  const edges = children.slice(1).map((c, i) => ({ id: `e${i}`, sources: [`n${i >> 1}`], targets: [c.id] }));
  return {
    id: "warm-up", children: [{ id: "g", children, edges }],
    layoutOptions: { "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.hierarchyHandling": "INCLUDE_CHILDREN" },
  };
}
