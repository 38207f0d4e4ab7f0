// The model graph in the browser: decoded from the kernel's string lists, with nesting, the set of
// visible nodes for a set of expanded containers (edges lifted to what is visible), and search.

export type Kind = "input" | "output" | "module" | "function" | "container";

export interface GNode {
  index: number; // position in the kernel's node list (overlay values are aligned with it)
  id: string;
  parent: string | null;
  kind: Kind;
  name: string;
  type: string;
  key: string; // module path, or the id for functions, inputs and outputs
  out: string; // output shapes
  in: string; // input shapes
  params: string; // compact ("9.5k"), "" when none
  paramsExact: string; // "9,472"
  dtype: string;
  children: string[];
  depth: number;
}

export interface GEdge { source: string; target: string; shape: string }

/** A node drawn now: a box, or an expanded container drawn as a frame around its contents. */
export interface VisibleNode { node: GNode; parent: string | null; expanded: boolean }
/** An edge between drawn boxes; `shapes` are the distinct tensor shapes it stands for. */
export interface VisibleEdge { key: string; source: string; target: string; shapes: string[] }
export interface VisibleGraph { nodes: VisibleNode[]; edges: VisibleEdge[]; byId: Map<string, VisibleNode> }

const KINDS: ReadonlySet<string> = new Set(["input", "output", "module", "function", "container"]);

export class NetGraph {
  readonly nodes = new Map<string, GNode>();
  readonly order: GNode[] = [];
  readonly edges: GEdge[] = [];
  readonly roots: string[] = [];

  /** From the kernel's `_nodes` and `_edges` (see views/_network_data.py for the columns). */
  constructor(nodes: string[][], edges: string[][]) {
    nodes.forEach((row, index) => {
      const [id, parent, kind, name, type, key, out, inp, params, paramsExact, dtype] = row;
      if (!KINDS.has(kind)) throw new Error(`node ${JSON.stringify(id)} has an unknown kind ${JSON.stringify(kind)}`);
      const node: GNode = {
        index, id, parent: parent || null, kind: kind as Kind, name, type, key, out: out ?? "", in: inp ?? "",
        params: params ?? "", paramsExact: paramsExact ?? "", dtype: dtype ?? "", children: [], depth: 0,
      };
      this.nodes.set(id, node);
      this.order.push(node);
    });
    for (const node of this.order) {
      const parent = node.parent === null ? undefined : this.nodes.get(node.parent);
      if (parent) {
        parent.children.push(node.id);
        node.depth = parent.depth + 1; // containers come before their contents
      } else {
        node.parent = null;
        this.roots.push(node.id);
      }
    }
    for (const [source, target, shape] of edges) {
      if (this.nodes.has(source) && this.nodes.has(target)) this.edges.push({ source, target, shape: shape ?? "" });
    }
  }

  get size(): number {
    return this.order.length;
  }

  isContainer(id: string): boolean {
    return (this.nodes.get(id)?.children.length ?? 0) > 0;
  }

  /** Enclosing containers, innermost first. */
  ancestors(id: string): string[] {
    const out: string[] = [];
    let p = this.nodes.get(id)?.parent ?? null;
    while (p !== null) {
      out.push(p);
      p = this.nodes.get(p)?.parent ?? null;
    }
    return out;
  }

  /** The box that stands for `id` when `expanded` containers are open: itself or a collapsed ancestor. */
  representative(id: string, expanded: ReadonlySet<string>): string {
    let rep = id;
    for (const a of this.ancestors(id)) if (!expanded.has(a)) rep = a;
    return rep;
  }

  /** Node and edge sets drawn for `expanded` (ids of open containers; others are closed boxes). */
  visible(expanded: ReadonlySet<string>): VisibleGraph {
    const nodes: VisibleNode[] = [];
    const byId = new Map<string, VisibleNode>();
    const walk = (ids: string[], parent: string | null) => {
      for (const id of ids) {
        const node = this.nodes.get(id)!;
        const open = node.children.length > 0 && expanded.has(id);
        const v = { node, parent, expanded: open };
        nodes.push(v);
        byId.set(id, v);
        if (open) walk(node.children, id);
      }
    };
    walk(this.roots, null);
    const reps = new Map<string, string>();
    const rep = (id: string) => {
      let r = reps.get(id);
      if (r === undefined) {
        r = this.representative(id, expanded);
        reps.set(id, r);
      }
      return r;
    };
    const merged = new Map<string, VisibleEdge>();
    for (const e of this.edges) {
      const s = rep(e.source), t = rep(e.target);
      if (s === t) continue; // inside one closed container
      const key = `${s}\u0000${t}`;
      const hit = merged.get(key);
      if (hit) {
        if (e.shape && !hit.shapes.includes(e.shape)) hit.shapes.push(e.shape);
      } else {
        merged.set(key, { key, source: s, target: t, shapes: e.shape ? [e.shape] : [] });
      }
    }
    return { nodes, edges: [...merged.values()], byId };
  }

  /** How many boxes and frames `expanded` draws. */
  visibleCount(expanded: ReadonlySet<string>): number {
    let count = 0;
    const walk = (ids: string[]) => {
      for (const id of ids) {
        count++;
        const n = this.nodes.get(id)!;
        if (n.children.length && expanded.has(id)) walk(n.children);
      }
    };
    walk(this.roots);
    return count;
  }

  /** Containers to open, breadth first, while the drawing stays within `maxNodes`. */
  expandAll(expanded: ReadonlySet<string>, maxNodes: number): { expanded: Set<string>; complete: boolean } {
    const out = new Set(expanded);
    let count = this.visibleCount(out);
    const queue = [...this.roots];
    while (queue.length) {
      const id = queue.shift()!;
      const n = this.nodes.get(id)!;
      if (!n.children.length) continue;
      if (!out.has(id)) {
        if (count + n.children.length > maxNodes) return { expanded: out, complete: false };
        out.add(id);
        count += n.children.length;
      }
      queue.push(...n.children);
    }
    return { expanded: out, complete: true };
  }

  /**
   * Nodes matching `query` (case-insensitive), best first: exact key or id, then a name or key that
   * starts with it, then one that contains it (key, name or type).
   */
  search(query: string): GNode[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const scored: Array<[number, GNode]> = [];
    for (const n of this.order) {
      const key = n.key.toLowerCase(), name = n.name.toLowerCase(), type = n.type.toLowerCase();
      const score = key === q || n.id.toLowerCase() === q ? 0
        : name === q ? 1
          : name.startsWith(q) || key.startsWith(q) || key.endsWith(`.${q}`) ? 2
            : key.includes(q) || name.includes(q) ? 3
              : type.includes(q) ? 4 : -1;
      if (score >= 0) scored.push([score, n]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].index - b[1].index);
    return scored.map(([, n]) => n);
  }
}
