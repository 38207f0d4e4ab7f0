// Layered layout of the visible graph with ELK, one container at a time, bottom-up.
//
// Every expanded container is laid out on its own as a flat graph: its children (boxes, and the
// frames of expanded sub-containers at the size their own layout gave them), one small node on top
// per tensor coming in and one below per tensor going out. Those become the frame's ports in its
// parent's layout. Three things keep a 1,000-node network fast:
// - a chain of single-in/single-out boxes goes to ELK as one tall node (networks are mostly chains);
// - identical containers (the 20 blocks of a stage, the layers of an encoder) are laid out once:
//   results are cached by the container's canonical ELK graph, across relayouts too;
// - each ELK graph is small, so no step of ELK's gets to work on hundreds of nodes at once.
import type { ElkExtendedEdge, ElkNode, ElkPoint } from "elkjs/lib/elk-api";
import { NetGraph, type VisibleGraph, type VisibleNode } from "./network_graph";

export interface Size { w: number; h: number }
export interface Box { x: number; y: number; w: number; h: number }
export interface Layout {
  boxes: Map<string, Box>; // absolute position of every visible node (frames for expanded containers)
  edges: Map<string, ElkPoint[]>; // by VisibleEdge.key: a polyline from source to target
  width: number;
  height: number;
}
export interface LayoutEngine { layout(graph: ElkNode): Promise<ElkNode> }

export const FRAME = { top: 22, side: 12, bottom: 4 };
export const CHAIN_GAP = 22; // vertical gap between the boxes of a chain (room for the arrow)
const PAD = 12; // around the whole drawing

const LEVEL_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.edgeRouting": "POLYLINE",
  "elk.spacing.nodeNode": "22",
  "elk.layered.spacing.nodeNodeBetweenLayers": "28",
  "elk.layered.spacing.edgeNodeBetweenLayers": "12",
  "elk.spacing.edgeNode": "14",
  "elk.spacing.edgeEdge": "8",
  "elk.layered.thoroughness": "4",
  "elk.layered.mergeEdges": "true",
  "elk.separateConnectedComponents": "false",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.nodePlacement.bk.fixedAlignment": "BALANCED",
};
const FIXED = { "elk.portConstraints": "FIXED_POS" };

type End = { kind: "node"; id: string; port: string } | { kind: "in" | "out"; key: string };
interface LevelEdge { id: string; from: End; to: End }
interface Level {
  id: string | null; // container id, null for the top level
  children: VisibleNode[];
  edges: Map<string, LevelEdge>; // deduplicated, by from/to
  ins: string[]; // keys (source ids) of tensors coming in, in order of appearance
  outs: string[]; // keys (source ids inside) of tensors going out
}
/** A laid-out container: its frame size, its ports' x, and ELK's result (contents shifted by dx to centre them). */
interface Placed { w: number; h: number; dx: number; inX: Map<string, number>; outX: Map<string, number>; result: Canon }
/** ELK's answer for a level, in the level's own coordinates, keyed by canonical ids. */
interface Canon { nodes: Map<string, Box>; edges: Map<string, ElkPoint[]>; w: number; h: number }

const endKey = (e: End) => (e.kind === "node" ? `n:${e.id}:${e.port}` : `${e.kind}:${e.key}`);

/** Containers around `id` that are drawn as frames, innermost first, up to the top level (null). */
function chainOfLevels(vis: VisibleGraph, id: string): Array<string | null> {
  const out: Array<string | null> = [];
  let p = vis.byId.get(id)?.parent ?? null;
  while (p !== null) {
    out.push(p);
    p = vis.byId.get(p)?.parent ?? null;
  }
  out.push(null);
  return out;
}

/** Split every edge into one edge per level it crosses; returns the levels and each edge's pieces. */
export function levelsOf(vis: VisibleGraph): { levels: Map<string | null, Level>; pieces: Map<string, Array<[string | null, string]>> } {
  const levels = new Map<string | null, Level>();
  const level = (id: string | null) => {
    let l = levels.get(id);
    if (!l) {
      l = { id, children: [], edges: new Map(), ins: [], outs: [] };
      levels.set(id, l);
    }
    return l;
  };
  level(null);
  for (const v of vis.nodes) {
    level(v.parent).children.push(v);
    if (v.expanded) level(v.node.id);
  }
  const pieces = new Map<string, Array<[string | null, string]>>();
  const add = (at: string | null, from: End, to: End, edgeKey: string) => {
    const l = level(at);
    if (from.kind === "in" && !l.ins.includes(from.key)) l.ins.push(from.key);
    if (to.kind === "out" && !l.outs.includes(to.key)) l.outs.push(to.key);
    const id = `${endKey(from)}>${endKey(to)}`;
    if (!l.edges.has(id)) l.edges.set(id, { id, from, to });
    pieces.get(edgeKey)!.push([at, id]);
  };
  for (const e of vis.edges) {
    pieces.set(e.key, []);
    const up = chainOfLevels(vis, e.source), down = chainOfLevels(vis, e.target);
    const lca = up.find((c) => down.includes(c)) ?? null;
    // The child of `at` that holds `id` (the node itself, or a frame around it).
    const childIn = (at: string | null, id: string, levels: Array<string | null>) => {
      const i = levels.indexOf(at);
      return i <= 0 ? id : (levels[i - 1] as string);
    };
    const src = (at: string | null): End => {
      const c = childIn(at, e.source, up);
      return { kind: "node", id: c, port: c === e.source ? "out" : `out:${e.source}` };
    };
    const dst = (at: string | null): End => {
      const c = childIn(at, e.target, down);
      return { kind: "node", id: c, port: c === e.target ? "in" : `in:${e.source}` };
    };
    // A tensor leaves a container once (one port per source inside), and fans out outside it.
    for (const c of up.slice(0, up.indexOf(lca))) add(c, src(c), { kind: "out", key: e.source }, e.key);
    add(lca, src(lca), dst(lca), e.key);
    for (const c of down.slice(0, down.indexOf(lca)).reverse()) add(c, { kind: "in", key: e.source }, dst(c), e.key);
  }
  return { levels, pieces };
}

/** Maximal runs a -> b -> ... of boxes in one level where each link is b's only input and a's only output. */
export function findChains(level: Pick<Level, "children" | "edges">): string[][] {
  const boxes = new Set(level.children.filter((v) => !v.expanded).map((v) => v.node.id));
  const indeg = new Map<string, number>(), outdeg = new Map<string, number>(), next = new Map<string, string>();
  for (const e of level.edges.values()) {
    if (e.to.kind === "node") indeg.set(e.to.id, (indeg.get(e.to.id) ?? 0) + 1);
    if (e.from.kind === "node") outdeg.set(e.from.id, (outdeg.get(e.from.id) ?? 0) + 1);
    if (e.from.kind === "node" && e.to.kind === "node") next.set(e.from.id, e.to.id);
  }
  const link = (a: string) => {
    const b = next.get(a);
    return b !== undefined && boxes.has(a) && boxes.has(b) && outdeg.get(a) === 1 && indeg.get(b) === 1 ? b : undefined;
  };
  const hasPrev = new Set<string>();
  for (const id of boxes) {
    const b = link(id);
    if (b !== undefined) hasPrev.add(b);
  }
  const chains: string[][] = [];
  for (const v of level.children) {
    if (v.expanded || hasPrev.has(v.node.id)) continue;
    const chain = [v.node.id];
    for (let b = link(v.node.id); b !== undefined && chain.length <= boxes.size; b = link(b)) chain.push(b);
    chains.push(chain);
  }
  return chains;
}

/** The level as an ELK graph with canonical ids (n0, n1, ... in order), so equal containers give equal graphs. */
function canonical(level: Level, sizeOf: (v: VisibleNode) => Size, placed: Map<string, Placed>, top: boolean) {
  const local = new Map<string, string>(); // our id -> canonical id
  const children: ElkNode[] = [];
  const chains = findChains(level);
  const chainOf = new Map<string, string[]>();
  for (const c of chains) for (const m of c) chainOf.set(m, c);
  const dummy = (kind: "in" | "out", key: string) => {
    const id = `${kind[0]}${children.length}`;
    local.set(`${kind}:${key}`, id);
    children.push({ id, width: 2, height: 2, layoutOptions: { "elk.layered.layering.layerConstraint": kind === "in" ? "FIRST" : "LAST" } });
  };
  for (const key of level.ins) dummy("in", key);
  for (const v of level.children) {
    const id = `n${children.length}`;
    if (v.expanded) {
      const p = placed.get(v.node.id)!;
      local.set(v.node.id, id);
      const ports = [
        ...[...p.inX].map(([k, x]) => ({ id: `${id}.i${[...p.inX.keys()].indexOf(k)}`, x, y: 0, key: `in:${k}` })),
        ...[...p.outX].map(([k, x]) => ({ id: `${id}.o${[...p.outX.keys()].indexOf(k)}`, x, y: p.h, key: `out:${k}` })),
      ];
      for (const port of ports) local.set(`${v.node.id}:${port.key}`, port.id);
      children.push({ id, width: p.w, height: p.h, layoutOptions: FIXED, ports: ports.map(({ id: pid, x, y }) => ({ id: pid, x, y, width: 0, height: 0 })) });
      continue;
    }
    const chain = chainOf.get(v.node.id)!;
    if (chain[0] !== v.node.id) continue;
    const sizes = chain.map((m) => sizeOf(level.children.find((c) => c.node.id === m)!));
    const w = Math.max(...sizes.map((s) => s.w));
    const h = sizes.reduce((a, s) => a + s.h, 0) + CHAIN_GAP * (sizes.length - 1);
    for (const m of chain) {
      local.set(`${m}:in`, `${id}.in`);
      local.set(`${m}:out`, `${id}.out`);
    }
    local.set(`chain:${v.node.id}`, id);
    children.push({
      id, width: w, height: h, layoutOptions: FIXED,
      ports: [{ id: `${id}.in`, x: w / 2, y: 0, width: 0, height: 0 }, { id: `${id}.out`, x: w / 2, y: h, width: 0, height: 0 }],
    });
  }
  for (const key of level.outs) dummy("out", key);
  const ref = (e: End) => (e.kind === "node" ? local.get(`${e.id}:${e.port}`) : local.get(`${e.kind}:${e.key}`));
  const edges: ElkExtendedEdge[] = [];
  const edgeIds = new Map<string, string>();
  for (const e of level.edges.values()) {
    const s = ref(e.from), t = ref(e.to);
    if (s === undefined || t === undefined) throw new Error(`layout: no port for ${e.id}`);
    if (s.endsWith(".out") && t.endsWith(".in") && s.slice(0, -4) === t.slice(0, -3)) continue; // inside a chain
    const id = `e${edges.length}`;
    edgeIds.set(e.id, id);
    edges.push({ id, sources: [s], targets: [t] });
  }
  const pad = top ? `[top=${PAD},left=${PAD},bottom=${PAD},right=${PAD}]`
    : `[top=${FRAME.top},left=${FRAME.side},bottom=${FRAME.bottom},right=${FRAME.side}]`;
  const graph: ElkNode = { id: "level", layoutOptions: { ...LEVEL_OPTIONS, "elk.padding": pad }, children, edges };
  return { graph, local, chains, edgeIds };
}

function readCanon(result: ElkNode): Canon {
  const nodes = new Map<string, Box>();
  for (const c of result.children ?? []) nodes.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 });
  const edges = new Map<string, ElkPoint[]>();
  for (const e of (result.edges ?? []) as ElkExtendedEdge[]) {
    const s = e.sections?.[0];
    if (s) edges.set(e.id, [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
  }
  return { nodes, edges, w: result.width ?? 0, h: result.height ?? 0 };
}

/** Layouts of containers seen before, by their canonical ELK graph (bounded). */
export class LayoutCache {
  private map = new Map<string, Canon>();
  constructor(private limit = 4000) {}
  get(key: string): Canon | undefined { return this.map.get(key); }
  set(key: string, value: Canon): void {
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
  }
  get size(): number { return this.map.size; }
}

/** Lay out `vis` with `engine` (ELK in a worker in the browser, in-process in tests). */
export async function computeLayout(vis: VisibleGraph, sizeOf: (v: VisibleNode) => Size, engine: LayoutEngine,
  cache = new LayoutCache()): Promise<Layout & { elkCalls: number }> {
  const { levels, pieces } = levelsOf(vis);
  const depth = (id: string | null) => (id === null ? -1 : chainOfLevels(vis, id).length - 1);
  const order = [...levels.keys()].sort((a, b) => depth(b) - depth(a)); // deepest first
  const placed = new Map<string, Placed>();
  const built = new Map<string | null, Built>();
  let elkCalls = 0;
  for (let i = 0; i < order.length;) {
    const d = depth(order[i]);
    const batch: Array<string | null> = [];
    while (i < order.length && depth(order[i]) === d) batch.push(order[i++]);
    const pending = new Map<string, Promise<Canon>>();
    for (const id of batch) {
      const c = canonical(levels.get(id)!, sizeOf, placed, id === null);
      const key = JSON.stringify(c.graph); // before ELK, which may write its answer into the graph
      built.set(id, { ...c, key });
      if (!cache.get(key) && !pending.has(key)) {
        elkCalls++;
        pending.set(key, engine.layout(c.graph).then(readCanon));
      }
    }
    for (const [key, p] of pending) cache.set(key, await p);
    for (const id of batch) {
      if (id === null) continue;
      const c = built.get(id)!;
      const result = cache.get(c.key)!;
      const lvl = levels.get(id)!;
      const w = Math.max(result.w, sizeOf(vis.byId.get(id)!).w); // room for the frame's title
      const dx = (w - result.w) / 2;
      const x = (kind: "in" | "out", key: string) => {
        const b = result.nodes.get(c.local.get(`${kind}:${key}`)!)!;
        return dx + b.x + b.w / 2;
      };
      placed.set(id, {
        w, h: result.h, dx, result,
        inX: new Map(lvl.ins.map((k) => [k, x("in", k)])), outX: new Map(lvl.outs.map((k) => [k, x("out", k)])),
      });
    }
  }
  return { ...assemble(vis, levels, built, placed, cache, pieces, sizeOf), elkCalls };
}

type Built = ReturnType<typeof canonical> & { key: string };

function assemble(vis: VisibleGraph, levels: Map<string | null, Level>, built: Map<string | null, Built>,
  placed: Map<string, Placed>, cache: LayoutCache, pieces: Map<string, Array<[string | null, string]>>,
  sizeOf: (v: VisibleNode) => Size): Layout {
  const boxes = new Map<string, Box>();
  const segments = new Map<string, ElkPoint[]>(); // `${level}|${level edge id}` -> absolute points
  const chainLinks = new Map<string, ElkPoint[]>(); // "a\0b" inside a chain
  const origin = new Map<string | null, { x: number; y: number }>([[null, { x: 0, y: 0 }]]);
  const top = cache.get(built.get(null)!.key)!;
  const visit = (id: string | null) => {
    const c = built.get(id)!, lvl = levels.get(id)!;
    const result = id === null ? top : placed.get(id)!.result;
    const frameOrigin = origin.get(id)!;
    const o = { x: frameOrigin.x + (id === null ? 0 : placed.get(id)!.dx), y: frameOrigin.y };
    const frame = id === null ? null : boxes.get(id)!;
    for (const chain of c.chains) {
      const b = result.nodes.get(c.local.get(`chain:${chain[0]}`)!)!;
      let y = o.y + b.y;
      chain.forEach((m, k) => {
        const s = sizeOf(vis.byId.get(m)!);
        const box = { x: o.x + b.x + (b.w - s.w) / 2, y, w: s.w, h: s.h };
        if (k > 0) chainLinks.set(`${chain[k - 1]}\u0000${m}`, [{ x: o.x + b.x + b.w / 2, y: y - CHAIN_GAP }, { x: o.x + b.x + b.w / 2, y }]);
        boxes.set(m, box);
        y += s.h + CHAIN_GAP;
      });
    }
    for (const v of lvl.children) {
      if (!v.expanded) continue;
      const b = result.nodes.get(c.local.get(v.node.id)!)!;
      boxes.set(v.node.id, { x: o.x + b.x, y: o.y + b.y, w: b.w, h: b.h });
      origin.set(v.node.id, { x: o.x + b.x, y: o.y + b.y });
    }
    for (const e of lvl.edges.values()) {
      const pts = result.edges.get(c.edgeIds.get(e.id) ?? "");
      if (!pts) continue;
      const abs = pts.map((p) => ({ x: o.x + p.x, y: o.y + p.y }));
      // Pieces that start or end at this frame's border: reach the border itself.
      if (frame && e.from.kind === "in") abs.unshift({ x: abs[0].x, y: frame.y });
      if (frame && e.to.kind === "out") abs.push({ x: abs[abs.length - 1].x, y: frame.y + frame.h });
      segments.set(`${id}|${e.id}`, abs);
    }
    for (const v of lvl.children) if (v.expanded) visit(v.node.id);
  };
  visit(null);
  const edges = new Map<string, ElkPoint[]>();
  for (const e of vis.edges) {
    const link = chainLinks.get(`${e.source}\u0000${e.target}`);
    if (link) {
      edges.set(e.key, link);
      continue;
    }
    const pts: ElkPoint[] = [];
    for (const [at, id] of pieces.get(e.key) ?? []) {
      for (const p of segments.get(`${at}|${id}`) ?? []) {
        const last = pts[pts.length - 1];
        if (!last || Math.abs(last.x - p.x) > 0.01 || Math.abs(last.y - p.y) > 0.01) pts.push(p);
      }
    }
    if (pts.length >= 2) edges.set(e.key, pts);
  }
  return { boxes, edges, width: top.w, height: top.h };
}

/** One block's contents (a chain, a skip edge, a join, ports in and out): laying it out warms ELK up. */
export function warmUpGraph(): ElkNode {
  const nodes: string[][] = [["in", "", "input", "x", "Tensor", "in", "1", "", "", "", ""],
    ["b", "", "container", "b", "Block", "b", "", "", "", "", ""]];
  const edges: string[][] = [];
  let last = "in";
  for (let i = 0; i < 4; i++) {
    nodes.push([`b.${i}`, "b", "module", `m${i}`, "Linear", `b.${i}`, "1", "1", "", "", ""]);
    edges.push([last, `b.${i}`, ""]);
    last = `b.${i}`;
  }
  nodes.push(["b/add", "b", "function", "add", "add", "b/add", "1", "1", "", "", ""], ["out", "", "output", "y", "Tensor", "out", "1", "", "", "", ""]);
  edges.push([last, "b/add", ""], ["in", "b/add", ""], ["b/add", "out", ""], ["b.1", "out", ""]);
  const vis = new NetGraph(nodes, edges).visible(new Set(["b"]));
  return canonical(levelsOf(vis).levels.get("b")!, () => ({ w: 90, h: 40 }), new Map(), false).graph;
}
