// The NetworkDiagram view: a model's graph laid out by ELK (in a worker) and drawn as SVG, with
// expand/collapse, pan/zoom, search, minimap, tooltips and overlay colours.
// Python side: src/ipyexplain/views/network.py.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { Redraws } from "../lib/frame";
import { elkEngine } from "../lib/network_engine";
import { type GNode, NetGraph } from "../lib/network_graph";
import { canvasMeasure, edgeTooltip, labelOf, type Label, type Measure, nodeTooltip } from "../lib/network_labels";
import { computeLayout, LayoutCache, type LayoutEngine } from "../lib/network_layout";
import { Legend, type Scale } from "../lib/network_legend";
import { Minimap } from "../lib/network_minimap";
import { decodeOverlay, type Overlay, paintOf, valueText } from "../lib/network_overlay";
import { bindStage, type Hit } from "../lib/network_pointer";
import { SearchBox } from "../lib/network_search";
import { ensureNetworkStyle } from "../lib/network_style";
import { NetworkSvg, type Scene } from "../lib/network_svg";
import {
  bounds, centreOn, fit, initialView, keepInPlace, lerpTransform, type Transform, visibleRect, zoomAbout,
} from "../lib/network_viewport";
import { ensureStyle } from "../lib/style";
import { readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import type { WireArray } from "../lib/wire";

interface NetworkState {
  depth: number; max_nodes: number; expanded: string[]; selected_node: string | null; overlay_label: string;
  overlay_scale: string; title: string; height: number; _nodes: string[][]; _edges: string[][]; _info: string;
  _notice: string; _overlay: WireArray | null; _overlay_state: WireArray | null; _overlay_limits: number[];
  _overlay_cmap: string; _overlay_note: string; _focus: Array<string | number>; _frame: number;
  _overlay_frame: number; _sent_at: number;
}
type Model = AnyModel<NetworkState>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = cls;
  parent.appendChild(node);
  return node;
}
const sameSet = (a: ReadonlySet<string>, b: readonly string[]) => a.size === b.length && b.every((x) => a.has(x));

class NetworkView {
  private root: HTMLDivElement; private stage: HTMLDivElement; private status: HTMLSpanElement;
  private notice: HTMLDivElement; private error: HTMLDivElement; private titleEl: HTMLDivElement;
  private svg: NetworkSvg; private legend: Legend; private minimap: Minimap; private tooltip: Tooltip;
  private graph: NetGraph | null = null;
  private expanded = new Set<string>();
  private overlay: Overlay | null = null;
  private t: Transform = { x: 0, y: 0, k: 1 };
  private needsInitialView = true;
  private seq = 0;
  private lastElkCalls = 0;
  private idle: Promise<void> = Promise.resolve();
  private readonly renderedAt = performance.timeOrigin + performance.now();
  private motion = 0;
  private measure: Measure;
  private labels = new Map<string, Label>();
  private layoutCache = new LayoutCache(); // containers already laid out, by shape: expand/collapse reuses them
  private off: Array<() => void> = [];
  private redraws: Redraws;

  constructor(private model: Model, host: HTMLElement, private engine: LayoutEngine) {
    ensureStyle();
    ensureNetworkStyle();
    this.root = el("div", "ipx-view ipx-network", host);
    this.measure = canvasMeasure(readTheme(this.root).font);
    this.titleEl = el("div", "ipx-title", this.root);
    const bar = el("div", "ipx-net-toolbar", this.root);
    new SearchBox(bar, () => this.graph, (node) => {
      this.selectNode(node);
      this.guard(() => this.focusOn(node.id));
    });
    const button = (text: string, cls: string, action: () => void) => {
      const b = el("button", `ipx-button ${cls}`, bar);
      b.textContent = text;
      b.addEventListener("click", action);
    };
    button("Fit", "ipx-net-fit", () => this.moveTo(this.fitTransform(), true));
    button("Expand all", "ipx-net-expand-all", () => this.expandAll());
    button("Collapse all", "ipx-net-collapse-all", () => this.setExpanded(new Set(), null));
    this.notice = el("div", "ipx-net-notice", this.root);
    this.stage = el("div", "ipx-net-stage", this.root);
    this.svg = new NetworkSvg(this.stage);
    this.legend = new Legend(this.stage);
    this.minimap = new Minimap(this.stage, (x, y) => this.moveTo({ ...this.t, x: this.width() / 2 - x * this.t.k, y: this.height() / 2 - y * this.t.k }, false));
    this.tooltip = new Tooltip(this.stage);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.error = el("div", "ipx-error", this.root);
    this.error.setAttribute("role", "alert");
    this.off.push(bindStage(this.stage, {
      pan: (dx, dy) => this.moveTo({ ...this.t, x: this.t.x + dx, y: this.t.y + dy }, false),
      zoom: (x, y, f) => this.moveTo(zoomAbout(this.t, x, y, f), false),
      click: (hit) => this.onClick(hit),
      hover: (hit, x, y) => this.onHover(hit, x, y),
      leave: () => this.tooltip.hide(),
      fit: () => this.moveTo(this.fitTransform(), true),
    }));
    // Model changes each run their own step (a layout is asynchronous); what `Redraws` schedules is
    // the cheap part: the first view once the stage has a width, and the minimap's canvas after a
    // resize or a theme switch (the SVG follows the theme through CSS variables by itself).
    this.redraws = new Redraws(model, this.stage, () => this.onResize(), (err) => this.showError(err));
    const on = (names: string[], cb: () => void) => this.redraws.on(names, cb);
    on(["_frame"], () => this.guard(() => this.onGraph()));
    on(["expanded"], () => this.guard(() => this.onExpandedFromKernel()));
    on(["_overlay_frame", "overlay_label"], () => this.guard(() => this.onOverlay()));
    on(["selected_node"], () => this.onSelected());
    on(["_focus"], () => this.guard(() => this.onFocus()));
    on(["title", "_info", "_notice", "height"], () => this.onText());
    this.onText();
    this.guard(() => this.onGraph());
  }

  destroy(): void {
    this.redraws.destroy();
    this.svg.destroy();
    cancelAnimationFrame(this.motion);
    for (const off of this.off) off();
  }

  private guard(fn: () => void | Promise<void>): void {
    Promise.resolve().then(fn).then(() => { this.error.textContent = ""; }).catch((err: Error) => {
      this.showError(err);
      console.error(err);
    });
  }

  private showError(err: Error): void {
    this.error.textContent = `ipyexplain NetworkDiagram could not draw: ${err.message}`;
  }

  private width(): number { return this.stage.clientWidth || 600; }
  private height(): number { return this.stage.clientHeight || this.model.get("height"); }

  private onText(): void {
    this.titleEl.textContent = this.model.get("title");
    this.notice.textContent = this.model.get("_notice");
    this.stage.style.height = `${this.model.get("height")}px`;
    this.updateStatus();
  }

  // ------------------------------------------------------------------ graph and layout
  private async onGraph(): Promise<void> {
    this.graph = new NetGraph(this.model.get("_nodes"), this.model.get("_edges"));
    this.expanded = new Set(this.model.get("expanded"));
    this.labels.clear();
    this.needsInitialView = true;
    this.decodeOverlay();
    await this.relayout(null, false);
    this.onOverlay();
  }

  private async onExpandedFromKernel(): Promise<void> {
    const ids = this.model.get("expanded");
    if (!this.graph || sameSet(this.expanded, ids)) return;
    this.expanded = new Set(ids);
    await this.relayout(null, true);
  }

  /** Expand or collapse, tell the kernel, and lay out again keeping `anchor` where it is on screen. */
  private setExpanded(next: Set<string>, anchor: string | null): Promise<void> {
    this.expanded = next;
    this.model.set("expanded", [...next].sort());
    this.model.save_changes();
    return this.relayout(anchor, true);
  }

  private expandAll(): void {
    if (!this.graph) return;
    const { expanded, complete } = this.graph.expandAll(this.expanded, this.model.get("max_nodes"));
    this.notice.textContent = complete ? this.model.get("_notice")
      : `Expanded as far as max_nodes=${this.model.get("max_nodes").toLocaleString()} allows; open the rest one by one.`;
    this.guard(() => this.setExpanded(expanded, null));
  }

  private labelFor = (v: { node: GNode; expanded: boolean; parent: string | null }): Label => {
    const key = `${v.expanded ? "f" : "n"}:${v.node.id}`;
    let label = this.labels.get(key);
    if (!label) {
      label = labelOf(v, this.measure);
      this.labels.set(key, label);
    }
    return label;
  };

  /** Lay out again; `idle` resolves when this and every earlier relayout have been drawn. */
  private relayout(anchor: string | null, animate: boolean): Promise<void> {
    const run = this.doRelayout(anchor, animate);
    this.idle = this.idle.then(() => run, () => run);
    return run;
  }

  private async doRelayout(anchor: string | null, animate: boolean): Promise<void> {
    const graph = this.graph;
    if (!graph) return;
    const seq = ++this.seq;
    const started = performance.now();
    const vis = graph.visible(this.expanded);
    const layout = await computeLayout(vis, (v) => this.labelFor(v).size, this.engine, this.layoutCache);
    if (seq !== this.seq) return; // a newer request superseded this one
    this.lastElkCalls = layout.elkCalls;
    const laidOut = performance.now();
    const before = anchor ? this.svg.boxOf(anchor) : undefined;
    const labels = new Map<string, Label>();
    for (const v of vis.nodes) if (!v.expanded) labels.set(v.node.id, this.labelFor(v));
    const scene: Scene = { graph, vis, layout, labels };
    const after = anchor ? layout.boxes.get(anchor) : undefined;
    if (this.needsInitialView && this.stage.clientWidth > 0) {
      this.t = initialView(bounds(layout.boxes.values()), { w: this.width(), h: this.height() });
      this.needsInitialView = false;
    } else if (before && after) {
      this.t = keepInPlace(this.t, before, after);
    }
    this.svg.setTransform(this.t);
    this.svg.draw(scene, animate && !!this.svg.scene, () => this.afterDraw(started, laidOut, performance.now()));
    this.svg.recolor((n) => paintOf(this.overlay, n.index));
    this.onSelected();
    this.updateMinimap();
    this.updateStatus();
  }

  private afterDraw(started: number, laidOut: number, drawn: number): void {
    const root = this.root;
    root.dataset.frame = String(this.model.get("_frame"));
    root.dataset.visible = String(this.svg.scene?.vis.nodes.length ?? 0);
    root.dataset.layoutMs = (laidOut - started).toFixed(1);
    root.dataset.drawMs = (drawn - laidOut).toFixed(1);
    root.dataset.elkCalls = String(this.lastElkCalls);
    this.publishTransform();
    // After the next rendering update: the new drawing is on screen.
    requestAnimationFrame(() => setTimeout(() => {
      root.dispatchEvent(new CustomEvent("ipyexplain:drawn", {
        bubbles: true,
        detail: {
          frame: this.model.get("_frame"), sentAt: this.model.get("_sent_at"), renderedAt: this.renderedAt,
          nodes: this.svg.scene?.vis.nodes.length ?? 0, elkCalls: this.lastElkCalls,
          layoutMs: laidOut - started, drawMs: drawn - laidOut, paintedAt: performance.timeOrigin + performance.now(),
        },
      }));
    }, 0));
  }

  // ------------------------------------------------------------------ view transform
  private fitTransform(): Transform {
    const scene = this.svg.scene;
    return scene ? fit(bounds(scene.layout.boxes.values()), { w: this.width(), h: this.height() }) : this.t;
  }

  private moveTo(target: Transform, animate: boolean): void {
    cancelAnimationFrame(this.motion);
    if (!animate) {
      this.t = target;
      this.svg.setTransform(target);
      this.onViewChanged();
      return;
    }
    const from = this.t, t0 = performance.now();
    const tick = () => {
      const s = Math.min(1, (performance.now() - t0) / 280);
      this.t = lerpTransform(from, target, 1 - Math.pow(1 - s, 3));
      this.svg.setTransform(this.t);
      this.onViewChanged();
      if (s < 1) this.motion = requestAnimationFrame(tick);
    };
    this.motion = requestAnimationFrame(tick);
  }

  private onViewChanged(): void {
    this.tooltip.hide();
    this.publishTransform();
    this.showMinimapView();
  }

  private publishTransform(): void {
    this.root.dataset.transform = [this.t.x, this.t.y, this.t.k].map((v) => v.toFixed(3)).join(",");
  }

  private onResize(): void {
    this.updateMinimap();
    if (this.needsInitialView && this.svg.scene && this.stage.clientWidth > 0) {
      this.t = initialView(bounds(this.svg.scene.layout.boxes.values()), { w: this.width(), h: this.height() });
      this.needsInitialView = false;
      this.svg.setTransform(this.t);
    }
    this.showMinimapView();
  }

  private updateMinimap(): void {
    const scene = this.svg.scene;
    if (!scene) return;
    const frames = new Set(scene.vis.nodes.filter((v) => v.expanded).map((v) => v.node.id));
    const theme = readTheme(this.root);
    this.minimap.setLayout(scene.layout, frames, theme.mutedText, (id) => {
      const n = scene.graph.nodes.get(id);
      return n ? paintOf(this.overlay, n.index)?.fill ?? null : null;
    });
    this.showMinimapView();
  }

  private showMinimapView(): void {
    const scene = this.svg.scene;
    if (!scene) return;
    const view = visibleRect(this.t, { w: this.width(), h: this.height() });
    const all = bounds(scene.layout.boxes.values());
    const inside = view.x <= all.x && view.y <= all.y && view.x + view.w >= all.x + all.w && view.y + view.h >= all.y + all.h;
    this.minimap.hidden = inside;
    if (!inside) this.minimap.show(view, readTheme(this.root).accent);
  }

  // ------------------------------------------------------------------ interaction
  private onClick(hit: Hit): void {
    const graph = this.graph;
    if (!graph) return;
    this.tooltip.hide(); // what it said (e.g. "click to expand") is about to change
    if (hit.kind === "background") return this.selectNode(null);
    if (hit.kind === "edge" || hit.kind === "frame") return;
    const node = graph.nodes.get(hit.id);
    if (!node) return;
    this.selectNode(node);
    if (hit.kind === "frame-head") {
      const next = new Set(this.expanded);
      next.delete(hit.id);
      for (const d of [...next]) if (graph.ancestors(d).includes(hit.id)) next.delete(d);
      this.guard(() => this.setExpanded(next, hit.id));
    } else if (graph.isContainer(hit.id)) {
      this.guard(() => this.setExpanded(new Set([...this.expanded, hit.id]), hit.id));
    }
  }

  private selectNode(node: GNode | null): void {
    this.model.set("selected_node", node ? node.key : null);
    this.model.save_changes();
    this.onSelected();
  }

  private onSelected(): void {
    const key = this.model.get("selected_node");
    const ids = new Set<string>();
    if (key && this.graph) for (const n of this.graph.order) if (n.key === key) ids.add(n.id);
    this.svg.select(ids);
    this.root.dataset.selected = key ?? "";
  }

  private onHover(hit: Hit, x: number, y: number): void {
    const bounds = { width: this.width(), height: this.height() };
    const graph = this.graph;
    if (!graph || hit.kind === "background") return this.tooltip.hide();
    if (hit.kind === "edge") return this.tooltip.show(edgeTooltip(graph, hit.el.dataset), x, y, bounds);
    const n = graph.nodes.get(hit.id);
    if (!n) return this.tooltip.hide();
    const value = valueText(this.overlay, n.index);
    const overlay: [string, string] | null = value === null ? null : [this.model.get("overlay_label") || "overlay", value];
    this.tooltip.show(nodeTooltip(n, this.expanded.has(n.id), overlay), x, y, bounds);
  }

  // ------------------------------------------------------------------ focus
  private async onFocus(): Promise<void> {
    const [id] = this.model.get("_focus");
    if (typeof id === "string" && this.graph?.nodes.has(id)) await this.focusOn(id);
  }

  /** Open the containers around `id`, then centre it and make it flash. */
  private async focusOn(id: string): Promise<void> {
    const graph = this.graph;
    if (!graph) return;
    const missing = graph.ancestors(id).filter((a) => !this.expanded.has(a));
    if (missing.length) await this.setExpanded(new Set([...this.expanded, ...missing]), null);
    await this.idle; // the kernel may have opened the containers a moment ago: wait for that layout
    const box = this.svg.boxOf(id);
    if (!box) return;
    this.moveTo(centreOn(this.t, box, { w: this.width(), h: this.height() }), true);
    this.root.dataset.focused = id;
    window.setTimeout(() => this.svg.flash(id), 250);
  }

  // ------------------------------------------------------------------ overlay and status
  private decodeOverlay(): void {
    const m = this.model;
    this.overlay = decodeOverlay(m.get("_overlay"), m.get("_overlay_state"), m.get("_overlay_limits"), m.get("_overlay_cmap"),
      m.get("overlay_scale") as Scale);
  }

  private onOverlay(): void {
    this.decodeOverlay();
    const o = this.overlay, m = this.model;
    this.svg.recolor((n) => paintOf(o, n.index));
    if (o) {
      let missing = false;
      for (let i = 0; i < o.state.length; i++) if (o.state[i] === 2) { missing = true; break; }
      this.legend.show(m.get("overlay_label"), o.cmap, o.lo, o.hi, o.scale, m.get("_overlay_note"), missing);
    } else {
      this.legend.hide();
    }
    this.updateMinimap();
    this.root.dataset.overlayFrame = String(m.get("_overlay_frame"));
  }

  private updateStatus(): void {
    const scene = this.svg.scene;
    const parts = [this.model.get("_info")];
    if (scene && this.graph) parts.push(`${scene.vis.nodes.length.toLocaleString()} of ${this.graph.size.toLocaleString()} shown`);
    this.status.textContent = parts.filter(Boolean).join(" · ");
    this.status.title = this.status.textContent;
    this.svg.svg.setAttribute("aria-label", `${this.model.get("title") || "Network diagram"}: ${this.status.textContent}`);
  }
}

// Start the layout worker when the module loads: ELK parses and warms up while the page builds.
elkEngine();

function render({ model, el }: RenderProps<NetworkState>): () => void {
  const view = new NetworkView(model, el, elkEngine());
  return () => view.destroy();
}

export default { render };
