// The ImportanceBars view: sorted horizontal bars (global) or a waterfall (local), animated on
// every update, with hover, click/keyboard selection and a bound Job's progress and Cancel button.
// Python side: src/ipyexplain/views/bars.py (kernel-side reduction in views/_bars_data.py).
import type { AnyModel, RenderProps } from "@anywidget/types";
import { type Domain, extent, paddedDomain, stableDomain } from "../lib/bars_layout";
import { type BarsState, fitScale, frameFor, readInput } from "../lib/bars_model";
import { BarNode, drawAxis, type Frame, Markers } from "../lib/bars_svg";
import { ensureBarsStyle } from "../lib/bars_style";
import { type BarsInput, describeBar, legendItems, statusText, tooltipLines } from "../lib/bars_text";
import { Redraws } from "../lib/frame";
import { JobPanel } from "../lib/progress";
import { ensureStyle } from "../lib/style";
import { svg } from "../lib/svg";
import { readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { Tween, type Geom } from "../lib/tween";

type Model = AnyModel<BarsState>;

const AXIS = "\u0000axis", MARKERS = "\u0000markers";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = cls;
  parent.appendChild(node);
  return node;
}

class BarsView {
  private root: HTMLDivElement;
  private titleText: HTMLSpanElement;
  private badge: HTMLSpanElement;
  private legend: HTMLDivElement;
  private stage: HTMLDivElement;
  private empty: HTMLDivElement;
  private svgEl: SVGSVGElement;
  private axisG: SVGGElement;
  private barsG: SVGGElement;
  private markers: Markers;
  private tooltip: Tooltip;
  private status: HTMLSpanElement;
  private job: JobPanel;
  private error: HTMLDivElement;
  private nodes = new Map<string, BarNode>();
  private order: string[] = [];
  private input: BarsInput | null = null;
  private frame: Frame | null = null;
  private domain: Domain | null = null;
  private domainMode = "";
  private tween: Tween;
  private drawn = false;
  private redraws: Redraws;

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    ensureBarsStyle();
    this.root = el("div", "ipx-view ipx-bars", host);
    const title = el("div", "ipx-title", this.root);
    this.titleText = el("span", "ipx-title-text", title);
    this.badge = el("span", "ipx-partial-badge", title);
    this.legend = el("div", "ipx-legend", this.root);
    this.stage = el("div", "ipx-stage", this.root);
    this.svgEl = svg("svg", "ipx-svg", this.stage, { role: "listbox" });
    this.empty = el("div", "ipx-empty", this.stage);
    this.axisG = svg("g", "ipx-axis", this.svgEl);
    this.barsG = svg("g", "ipx-bars-g", this.svgEl);
    this.markers = new Markers(svg("g", "", this.svgEl));
    this.tooltip = new Tooltip(this.stage);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.job = new JobPanel(this.root, () => this.model.send({ event: "cancel" }));
    this.error = el("div", "ipx-error", this.root);
    this.error.setAttribute("role", "alert");
    const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    this.tween = new Tween({
      draw: (key, g) => this.place(key, g),
      remove: (key) => { this.nodes.get(key)?.g.remove(); this.nodes.delete(key); },
      after: (done) => { this.root.dataset.animating = done ? "0" : "1"; },
    }, reduced ? 0 : 380);

    this.redraws = new Redraws(model, this.root, () => {
      this.draw();
      this.error.textContent = this.model.get("_error") ? `The job failed: ${this.model.get("_error")}` : "";
    }, (err) => { this.error.textContent = `ipyexplain ImportanceBars could not draw: ${err.message}`; });
    this.redraws.on(["_frame", "title", "height", "cmap", "selected_feature", "_job_status", "_done", "_total",
      "_elapsed", "_eta", "_error", "_partial", "_unit"]);
    this.bindInteraction();
  }

  destroy(): void {
    this.redraws.destroy();
    this.tween.stop();
  }

  private schedule(): void {
    this.redraws.schedule();
  }

  // ------------------------------------------------------------------ drawing
  private draw(): void {
    const m = this.model;
    const theme = readTheme(this.root);
    const input = readInput((k) => m.get(k), theme);
    this.input = input;
    const width = this.redraws.width || this.root.clientWidth || 480;
    const frame = frameFor(input, width, m.get("height"));
    this.titleText.textContent = m.get("title");
    const status = m.get("_job_status");
    this.badge.textContent = m.get("_partial") && input.bars.length
      ? status === "cancelled" ? "partial \u2014 cancelled" : status === "error" ? "partial \u2014 failed" : "partial" : "";
    this.badge.hidden = !this.badge.textContent;

    // The axis extent: everything drawn, kept stable across live updates of the same kind.
    const mode = input.local ? "local" : "global";
    if (mode !== this.domainMode) this.domain = null;
    this.domainMode = mode;
    const ends = input.bars.flatMap((b) => [b.start, b.start + (Number.isFinite(b.value) ? b.value : 0), b.lo, b.hi]);
    const need = input.local ? extent(ends, input.base, input.output) : extent(ends, 0);
    // While a job streams, the axis only grows (or shrinks when the data fills under half of it);
    // a one-off update or a finished job fits the axis to the data (the axis animates either way).
    const live = status === "running" || status === "pending";
    if (input.bars.length) this.domain = live ? stableDomain(this.domain, need) : paddedDomain(need[0], need[1]);
    const domain = this.domain ?? [0, 1];
    fitScale(frame, input, domain);
    this.frame = frame;

    setSize(this.svgEl, width, frame.rows.height);
    const selected = m.get("selected_feature");
    const targets = new Map<string, Geom>();
    targets.set(AXIS, { d0: domain[0], d1: domain[1] });
    targets.set(MARKERS, { base: input.base, output: input.output, n: input.bars.length, op: input.local ? 1 : 0 });
    for (const b of input.bars) {
      let node = this.nodes.get(b.key);
      if (!node) {
        node = new BarNode(this.barsG);
        this.nodes.set(b.key, node);
      }
      node.setSpec(b, frame, describeBar(b, input), selected !== null && b.name === selected && !b.other);
      const end = b.start + (Number.isFinite(b.value) ? b.value : 0);
      targets.set(b.key, { slot: b.rank, a: b.start, b: end, lo: b.lo, hi: b.hi, op: 1 });
    }
    this.order = input.bars.map((b) => b.key);
    this.updateTabStops();
    this.tween.retarget(
      targets,
      (t) => ("slot" in t ? { ...t, b: t.a, lo: t.a, hi: t.a, op: 0 } : t),
      (g) => ({ ...g, op: 0 }),
      this.drawn,
    );
    this.drawn = this.drawn || input.bars.length > 0;

    this.svgEl.setAttribute("aria-label", `${m.get("title") || "Feature importance"}: ${input.axisLabel}`);
    this.status.textContent = statusText(input);
    const nothing = input.bars.length === 0;
    this.svgEl.style.display = nothing ? "none" : "";
    this.empty.hidden = !nothing;
    this.empty.textContent = status === "pending" || status === "running" ? "Waiting for the first result\u2026"
      : status === "error" ? "The job failed before its first result." : "No data to draw yet.";
    this.renderLegend(input);
    this.job.update({
      status: m.get("_job_status"), done: m.get("_done"), total: m.get("_total"), elapsed: m.get("_elapsed"),
      eta: m.get("_eta"), unit: m.get("_unit"),
    });
    const root = this.root.dataset;
    root.mode = mode;
    root.domain = domain.join(",");
    root.frame = String(m.get("_frame"));
    root.jobStatus = m.get("_job_status");
    this.root.dispatchEvent(new CustomEvent("ipyexplain:drawn", { bubbles: true, detail: { frame: m.get("_frame") } }));
  }

  private place(key: string, g: Geom): void {
    const f = this.frame, input = this.input;
    if (!f || !input) return;
    if (key === AXIS) {
      f.scale.d0 = g.d0;
      f.scale.d1 = g.d1;
      drawAxis(this.axisG, [g.d0, g.d1], f, input.axisLabel);
    } else if (key === MARKERS) {
      this.markers.place(g, f, input.base, input.output);
    } else {
      this.nodes.get(key)?.place(g, f);
    }
  }

  private renderLegend(input: BarsInput): void {
    const items = legendItems(input);
    this.legend.replaceChildren(...items.map(([kind, color, text]) => {
      const item = document.createElement("span");
      item.className = "ipx-legend-item";
      const glyph = document.createElement("span");
      glyph.className = kind === "whisker" ? "ipx-whisker-glyph" : "ipx-swatch";
      if (kind === "swatch") glyph.style.background = color;
      const label = document.createElement("span");
      label.textContent = text;
      item.append(glyph, label);
      return item;
    }));
  }

  // ------------------------------------------------------------------ interaction
  private barAt(target: EventTarget | null): BarNode | null {
    const g = (target as Element | null)?.closest?.(".ipx-bar");
    const key = g?.getAttribute("data-key");
    return key !== null && key !== undefined ? this.nodes.get(key) ?? null : null;
  }

  private showTip(node: BarNode, x: number, y: number): void {
    if (!node.spec || !this.input) return;
    this.tooltip.show(tooltipLines(node.spec, this.input), x, y, { width: this.redraws.width, height: this.frame?.rows.height ?? 200 });
  }

  private bindInteraction(): void {
    const local = (e: MouseEvent): [number, number] => {
      const b = this.svgEl.getBoundingClientRect();
      return [e.clientX - b.left, e.clientY - b.top];
    };
    this.svgEl.addEventListener("pointermove", (e) => {
      const node = this.barAt(e.target);
      if (node) this.showTip(node, ...local(e));
      else this.tooltip.hide();
    });
    this.svgEl.addEventListener("pointerleave", () => this.tooltip.hide());
    this.svgEl.addEventListener("click", (e) => {
      const node = this.barAt(e.target);
      if (node) this.toggle(node);
    });
    this.svgEl.addEventListener("focusin", (e) => {
      const node = this.barAt(e.target);
      if (!node?.spec || !this.frame) return;
      const y = this.frame.rows.top + (node.spec.rank + 1) * this.frame.rows.rowH;
      this.showTip(node, this.frame.scale.r0, y);
    });
    this.svgEl.addEventListener("focusout", () => this.tooltip.hide());
    this.svgEl.addEventListener("keydown", (e) => {
      const node = this.barAt(e.target);
      if (!node?.spec) return;
      const i = node.spec.rank, n = this.order.length;
      const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: n - 1 }[e.key];
      if (to !== undefined) {
        e.preventDefault();
        this.nodes.get(this.order[Math.max(0, Math.min(n - 1, to))])?.g.focus();
      } else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.toggle(node);
      } else if (e.key === "Escape") {
        this.select(null);
      }
    });
  }

  private toggle(node: BarNode): void {
    if (!node.spec || node.spec.other) return;
    this.select(this.model.get("selected_feature") === node.spec.name ? null : node.spec.name);
  }

  private select(name: string | null): void {
    this.model.set("selected_feature", name);
    this.model.save_changes();
    this.schedule();
  }

  /** One bar is in the tab order (the focused, else selected, else first); arrows move between bars. */
  private updateTabStops(): void {
    const focused = this.barAt(document.activeElement)?.spec?.key;
    const selected = this.model.get("selected_feature");
    const stop = focused ?? this.order.find((k) => this.nodes.get(k)?.spec?.name === selected) ?? this.order[0];
    for (const [key, node] of this.nodes) node.g.setAttribute("tabindex", key === stop ? "0" : "-1");
  }
}

function setSize(node: SVGSVGElement, width: number, height: number): void {
  if (node.getAttribute("width") !== String(width)) node.setAttribute("width", String(width));
  if (node.getAttribute("height") !== String(height)) node.setAttribute("height", String(height));
}

function render({ model, el: host }: RenderProps<BarsState>): () => void {
  const view = new BarsView(model, host);
  return () => view.destroy();
}

export default { render };
