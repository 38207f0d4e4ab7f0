// ELK in a Web Worker, off the main thread. The worker's code is bundled as a string (esbuild's
// inline-worker plugin in js/build.mjs) and started from a Blob URL: the bundle stays one
// self-contained module that works offline and in exported HTML. One worker serves every diagram
// on the page; it starts when the first diagram renders and parses ELK while the page builds.
import ELK from "elkjs/lib/elk-api.js";
import workerSource from "inline-worker:elkjs/lib/elk-worker.min.js";
import { type LayoutEngine, warmUpGraph } from "./network_layout";

let shared: LayoutEngine | null = null;

export function elkEngine(): LayoutEngine {
  if (shared) return shared;
  const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const elk = new ELK({ workerFactory: () => new Worker(url, { name: "ipyexplain-elk" }) });
  shared = elk;
  // A first small layout warms ELK up (class set-up, JIT) while the page still builds the diagram.
  void elk.layout(warmUpGraph()).catch(() => undefined);
  return elk;
}
