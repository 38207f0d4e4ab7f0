// The diagram as SVG: a frame per expanded container, a box per node, a path per edge. Elements are
// keyed by node id and reused; a new layout animates from the old one (containers grow out of the
// box they were, and shrink back into it). All user strings are set as text.
import type { GNode, NetGraph, VisibleGraph } from "./network_graph";
import { frameTitle, LINE_H, PAD_Y, type Label } from "./network_labels";
import type { Box, Layout } from "./network_layout";
import type { Paint } from "./network_overlay";
import type { Transform } from "./network_viewport";

const SVGNS = "http://www.w3.org/2000/svg";
export const ANIMATION_MS = 320;
const FRAME_HEAD = 22;
let instances = 0;

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, cls: string | null, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  if (cls) e.setAttribute("class", cls);
  parent?.appendChild(e);
  return e;
}

export interface Scene { graph: NetGraph; vis: VisibleGraph; layout: Layout; labels: Map<string, Label> }

/** Rounded polyline through `pts` (corner radius up to 8 px). */
export function edgePath(pts: Array<{ x: number; y: number }>): string {
  if (pts.length < 2) return "";
  const f = (v: number) => Math.round(v * 10) / 10;
  let d = `M${f(pts[0].x)},${f(pts[0].y)}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const a = pts[i - 1], b = pts[i], c = pts[i + 1];
    const r = Math.min(8, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const da = Math.hypot(b.x - a.x, b.y - a.y) || 1, dc = Math.hypot(c.x - b.x, c.y - b.y) || 1;
    const p = { x: b.x - ((b.x - a.x) / da) * r, y: b.y - ((b.y - a.y) / da) * r };
    const q = { x: b.x + ((c.x - b.x) / dc) * r, y: b.y + ((c.y - b.y) / dc) * r };
    d += ` L${f(p.x)},${f(p.y)} Q${f(b.x)},${f(b.y)} ${f(q.x)},${f(q.y)}`;
  }
  const z = pts[pts.length - 1];
  return `${d} L${f(z.x)},${f(z.y)}`;
}

const mix = (a: Box, b: Box, s: number): Box => ({
  x: a.x + (b.x - a.x) * s, y: a.y + (b.y - a.y) * s, w: a.w + (b.w - a.w) * s, h: a.h + (b.h - a.h) * s,
});
const ease = (t: number) => (t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2);

/** A drawn node; a frame's header (`head`) is drawn above the edges, its body below them. */
interface Item { el: SVGGElement; head?: SVGGElement; box: Box; kind: "node" | "frame" }

export class NetworkSvg {
  readonly svg: SVGSVGElement;
  readonly world: SVGGElement;
  private readonly framesG: SVGGElement;
  private readonly edgesG: SVGGElement;
  private readonly headsG: SVGGElement;
  private readonly nodesG: SVGGElement;
  private readonly marker: string;
  private items = new Map<string, Item>(); // "n:" + id for boxes, "f:" + id for frames
  private edgeEls = new Map<string, SVGGElement>();
  private frameRequest = 0;
  private selected: ReadonlySet<string> = new Set();
  scene: Scene | null = null;

  constructor(parent: HTMLElement) {
    this.svg = svgEl("svg", "ipx-net-svg", parent);
    this.svg.setAttribute("role", "img");
    this.marker = `ipx-net-arrow-${++instances}`;
    const defs = svgEl("defs", null, this.svg);
    const marker = svgEl("marker", null, defs);
    for (const [k, v] of Object.entries({ id: this.marker, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7",
      markerHeight: "7", orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" })) marker.setAttribute(k, v);
    svgEl("path", "ipx-net-arrow", marker).setAttribute("d", "M0,1 L10,5 L0,9 z");
    this.world = svgEl("g", "ipx-net-world", this.svg);
    this.framesG = svgEl("g", "ipx-net-frames", this.world);
    this.edgesG = svgEl("g", "ipx-net-edges", this.world);
    this.headsG = svgEl("g", "ipx-net-heads", this.world);
    this.nodesG = svgEl("g", "ipx-net-nodes", this.world);
  }

  setTransform(t: Transform): void {
    this.world.setAttribute("transform", `translate(${t.x.toFixed(2)},${t.y.toFixed(2)}) scale(${t.k.toFixed(5)})`);
  }

  /** Box of a drawn node or frame, in layout coordinates. */
  boxOf(id: string): Box | undefined {
    return this.scene?.layout.boxes.get(id);
  }

  /** Draw `scene`; with `animate`, items move from where they are now (or from their container). */
  draw(scene: Scene, animate: boolean, done?: () => void): void {
    cancelAnimationFrame(this.frameRequest);
    const prev = this.scene;
    this.scene = scene;
    const targets = new Map<string, { box: Box; v: GNode; kind: "node" | "frame" }>();
    for (const v of scene.vis.nodes) {
      const box = scene.layout.boxes.get(v.node.id);
      if (box) targets.set(`${v.expanded ? "f" : "n"}:${v.node.id}`, { box, v: v.node, kind: v.expanded ? "frame" : "node" });
    }
    const starts = new Map<string, Box>();
    const fresh = document.createDocumentFragment(), freshFrames = document.createDocumentFragment();
    const freshHeads = document.createDocumentFragment();
    for (const [key, t] of targets) {
      let item = this.items.get(key);
      if (!item) {
        if (t.kind === "frame") {
          const [el, head] = this.makeFrame(t.v);
          freshFrames.appendChild(el);
          freshHeads.appendChild(head);
          item = { el, head, box: t.box, kind: t.kind };
        } else {
          const el = this.makeNode(t.v, scene.labels.get(t.v.id)!);
          fresh.appendChild(el);
          item = { el, box: t.box, kind: t.kind };
        }
        const el = item.el;
        this.items.set(key, item);
        const from = prev && animate ? this.origin(t.v.id, prev) : undefined;
        if (from) {
          if (item.head) item.head.style.opacity = "0";
          starts.set(key, t.kind === "frame" ? from : { x: from.x + from.w / 2 - t.box.w / 2, y: from.y + from.h / 2 - t.box.h / 2, w: t.box.w, h: t.box.h });
          el.style.opacity = "0";
        }
      } else if (item.head) {
        this.setFrameText(item.head, t.v);
      }
      if (!starts.has(key)) starts.set(key, animate ? item.box : t.box);
    }
    this.framesG.appendChild(freshFrames);
    this.headsG.appendChild(freshHeads);
    this.nodesG.appendChild(fresh);
    const leaving = new Map<string, { from: Box; to: Box }>();
    for (const [key, item] of this.items) {
      if (targets.has(key)) continue;
      const to = animate ? this.origin(key.slice(2), scene) : undefined;
      if (to) leaving.set(key, { from: item.box, to: item.kind === "frame" ? to : { ...item.box, x: to.x + to.w / 2 - item.box.w / 2, y: to.y + to.h / 2 - item.box.h / 2 } });
      else this.remove(key);
    }
    this.drawEdges(scene, animate);
    this.select(this.selected);
    const step = (s: number) => {
      const e = ease(s);
      for (const [key, t] of targets) {
        const item = this.items.get(key)!;
        item.box = s >= 1 ? t.box : mix(starts.get(key)!, t.box, e);
        this.place(item);
        if (item.el.style.opacity !== "") this.fade(item, s >= 1 ? "" : String(e));
      }
      for (const [key, l] of leaving) {
        const item = this.items.get(key);
        if (!item) continue;
        if (s >= 1) { this.remove(key); continue; }
        item.box = mix(l.from, l.to, e);
        this.place(item);
        this.fade(item, String(1 - e));
      }
    };
    if (!animate) {
      step(1);
      done?.();
      return;
    }
    this.edgesG.style.opacity = "0";
    const t0 = performance.now();
    const tick = () => {
      const s = Math.min(1, (performance.now() - t0) / ANIMATION_MS);
      step(s);
      if (s < 1) this.frameRequest = requestAnimationFrame(tick);
      else {
        this.edgesG.style.opacity = "";
        done?.();
      }
    };
    this.frameRequest = requestAnimationFrame(tick);
  }

  /** Where a node appears from or goes to in `scene`: its own box there, else its nearest drawn container's. */
  private origin(id: string, scene: Scene): Box | undefined {
    const own = scene.layout.boxes.get(id);
    if (own) return own;
    for (const a of scene.graph.ancestors(id)) {
      const b = scene.layout.boxes.get(a);
      if (b) return b;
    }
    return undefined;
  }

  private fade(item: Item, opacity: string): void {
    item.el.style.opacity = opacity;
    if (item.head) item.head.style.opacity = opacity;
  }

  private remove(key: string): void {
    const item = this.items.get(key);
    item?.el.remove();
    item?.head?.remove();
    this.items.delete(key);
  }

  private place(item: Item): void {
    const b = item.box;
    const at = `translate(${b.x.toFixed(1)},${b.y.toFixed(1)})`;
    item.el.setAttribute("transform", at);
    if (item.head) {
      const rect = item.el.firstElementChild as SVGRectElement;
      rect.setAttribute("width", b.w.toFixed(1));
      rect.setAttribute("height", b.h.toFixed(1));
      item.head.setAttribute("transform", at);
      (item.head.firstElementChild as SVGRectElement).setAttribute("width", b.w.toFixed(1));
    }
  }

  private makeNode(node: GNode, label: Label): SVGGElement {
    const g = svgEl("g", `ipx-net-node ipx-net-k-${label.shape}`);
    g.dataset.id = node.id;
    g.dataset.kind = node.kind;
    const { w, h } = label.size;
    const inset = label.shape === "stack" ? 4 : 0;
    if (inset) {
      const back = svgEl("rect", "ipx-net-stackback", g);
      for (const [k, v] of Object.entries({ x: inset, y: inset, width: w - inset, height: h - inset, rx: 4 })) back.setAttribute(k, String(v));
    }
    const rect = svgEl("rect", "ipx-net-box", g);
    const bw = w - inset, bh = h - inset;
    for (const [k, v] of Object.entries({ width: bw, height: bh, rx: label.shape === "pill" ? bh / 2 : 4 })) rect.setAttribute(k, String(v));
    const top = label.shape === "pill" ? bh / 2 + 4 : PAD_Y + LINE_H - 3;
    label.lines.forEach((line, i) => {
      const text = svgEl("text", `ipx-net-${line.cls}`, g);
      text.setAttribute("x", String(bw / 2));
      text.setAttribute("y", String(top + i * LINE_H));
      text.textContent = line.text;
    });
    if (label.shape === "stack") {
      const plus = svgEl("text", "ipx-net-toggle", g);
      plus.setAttribute("x", String(bw - 8));
      plus.setAttribute("y", "13");
      plus.textContent = "+";
    }
    return g;
  }

  /** A frame's body (drawn below the edges) and header (above them: edges enter under the title). */
  private makeFrame(node: GNode): [SVGGElement, SVGGElement] {
    const g = svgEl("g", "ipx-net-frame");
    g.dataset.id = node.id;
    g.dataset.kind = node.kind;
    svgEl("rect", "ipx-net-frame-box", g).setAttribute("rx", "6");
    const head = svgEl("g", "ipx-net-frame-top");
    head.dataset.id = node.id;
    const bar = svgEl("rect", "ipx-net-frame-head", head);
    bar.setAttribute("height", String(FRAME_HEAD));
    bar.setAttribute("rx", "6");
    const title = svgEl("text", "ipx-net-frame-title", head);
    title.setAttribute("x", "10");
    title.setAttribute("y", "15");
    this.setFrameText(head, node);
    return [g, head];
  }

  private setFrameText(head: SVGGElement, node: GNode): void {
    const title = head.querySelector("text")!;
    const text = `− ${frameTitle(node)}`;
    if (title.textContent !== text) title.textContent = text;
  }

  private drawEdges(scene: Scene, animate: boolean): void {
    const keep = new Set<string>();
    const frag = document.createDocumentFragment();
    for (const e of scene.vis.edges) {
      const pts = scene.layout.edges.get(e.key);
      if (!pts) continue;
      keep.add(e.key);
      const d = edgePath(pts);
      let g = this.edgeEls.get(e.key);
      if (!g) {
        g = svgEl("g", "ipx-net-edge");
        g.dataset.source = e.source;
        g.dataset.target = e.target;
        svgEl("path", "ipx-net-edge-hit", g);
        svgEl("path", "ipx-net-edge-line", g).setAttribute("marker-end", `url(#${this.marker})`);
        frag.appendChild(g);
        this.edgeEls.set(e.key, g);
      }
      g.dataset.shapes = e.shapes.join(" | ");
      (g.firstChild as SVGPathElement).setAttribute("d", d);
      (g.lastChild as SVGPathElement).setAttribute("d", d);
    }
    for (const [key, g] of this.edgeEls) {
      if (!keep.has(key)) {
        g.remove();
        this.edgeEls.delete(key);
      }
    }
    this.edgesG.appendChild(frag);
    if (!animate) this.edgesG.style.opacity = "";
  }

  /** Overlay colours: `paint(node)` or null for the plain look. Positions are not touched. */
  recolor(paint: (node: GNode) => Paint | null): void {
    if (!this.scene) return;
    for (const [key, item] of this.items) {
      const v = this.scene.vis.byId.get(key.slice(2));
      if (!v) continue;
      const p = paint(v.node);
      const owner = item.head ?? item.el;
      const rect = owner.querySelector<SVGElement>(item.head ? ".ipx-net-frame-head" : ".ipx-net-box");
      if (!rect) continue;
      rect.style.fill = p ? p.fill : "";
      owner.classList.toggle("ipx-net-colored", p !== null);
      for (const t of Array.from(owner.querySelectorAll("text"))) (t as SVGElement).style.fill = p ? p.text : "";
    }
  }

  /** Mark the nodes `ids` (every call of a selected module) as selected. */
  select(ids: ReadonlySet<string>): void {
    this.selected = ids;
    for (const item of this.items.values()) item.el.classList.toggle("ipx-net-selected", ids.has(item.el.dataset.id ?? ""));
  }

  flash(id: string): void {
    const item = this.items.get(`n:${id}`) ?? this.items.get(`f:${id}`);
    if (!item) return;
    item.el.classList.remove("ipx-net-found");
    void item.el.getBoundingClientRect(); // restart the animation
    item.el.classList.add("ipx-net-found");
  }

  /** Elements of drawn nodes (boxes and frames), for reading the drawing in tests. */
  drawnIds(): string[] {
    return [...this.items.keys()].map((k) => k.slice(2));
  }

  destroy(): void {
    cancelAnimationFrame(this.frameRequest);
  }
}
