// The Heatmap view: a canvas-drawn matrix with colour bar, hover, click-select and zoom.
// Python side: src/ipyexplain/views/heatmap.py (which documents the pooling policy).
import type { AnyModel, RenderProps } from "@anywidget/types";
import {
  drawColLabels, drawColorbar, drawRowLabels, fitColumnLabels, fontOf, labelOf, labelledIndices, legendWidth,
  type Rect,
} from "../lib/axes";
import { Redraws } from "../lib/frame";
import { bindPlotGestures } from "../lib/pointer";
import { ensureStyle } from "../lib/style";
import { formatExact } from "../lib/text";
import { readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { type Tile, tileFor, tileImage, valueIn } from "../lib/tiles";
import type { WireArray } from "../lib/wire";
import { boxWindow, fullWindow, isFull, type Window, zoomAbout } from "../lib/window";

interface HeatmapState {
  row_labels: string[];
  col_labels: string[];
  title: string;
  value_label: string;
  pooling: string;
  height: number;
  selected: [number, number] | null;
  _shape: number[];
  _overview: WireArray | null;
  _detail: WireArray | null;
  _detail_window: number[];
  _limits: number[];
  _cmap: string;
  _nonfinite: number;
  _frame: number;
  _sent_at: number;
  _display_px: number[];
  _view_request: number[];
}
type Model = AnyModel<HeatmapState>;

const REQUEST_DEBOUNCE_MS = 150;
// After this long without an answer, say that no kernel is sending detail (an exported HTML file, a
// stopped kernel) instead of "loading" forever.
const DETAIL_PATIENCE_MS = 3000;
const RESIZE_DEBOUNCE_MS = 300;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = cls;
  parent.appendChild(node);
  return node;
}

class HeatmapView {
  private root: HTMLDivElement;
  private titleEl: HTMLDivElement;
  private stage: HTMLDivElement;
  private canvas: HTMLCanvasElement;
  private zoombox: HTMLDivElement;
  private tooltip: Tooltip;
  private status: HTMLSpanElement;
  private reset: HTMLButtonElement;
  private error: HTMLDivElement;
  private overview: Tile | null = null;
  private detail: Tile | null = null;
  private win: Window = fullWindow(1, 1);
  private plot: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private requestTimer = 0;
  private patienceTimer = 0;
  private detailAskedAt = 0;
  private resizeTimer = 0;
  private reportedPx: number[] = [];
  private redraws: Redraws;

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    this.root = el("div", "ipx-view ipx-heatmap", host);
    this.titleEl = el("div", "ipx-title", this.root);
    this.stage = el("div", "ipx-stage", this.root);
    this.canvas = el("canvas", "ipx-canvas", this.stage);
    this.canvas.setAttribute("role", "img");
    this.zoombox = el("div", "ipx-zoombox", this.stage);
    this.tooltip = new Tooltip(this.stage);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.reset = el("button", "ipx-button ipx-reset", footer);
    this.reset.textContent = "Reset zoom";
    this.reset.hidden = true;
    this.error = el("div", "ipx-error", this.root);
    this.error.setAttribute("role", "alert");

    const shape = model.get("_shape");
    this.win = fullWindow(shape[0] ?? 1, shape[1] ?? 1);
    this.redraws = new Redraws(model, this.root, () => {
      this.draw();
      this.error.textContent = "";
    }, (err) => { this.error.textContent = `ipyexplain Heatmap could not draw: ${err.message}`; });
    this.redraws.on(["_overview", "_detail", "_limits", "_cmap", "row_labels", "col_labels", "title",
      "value_label", "height", "selected", "_nonfinite"]);
    this.redraws.on(["_shape"], () => this.onShape());
    this.bindPointer();
    this.reset.addEventListener("click", () => this.setWindow(fullWindow(...this.shape())));
  }

  destroy(): void {
    this.redraws.destroy();
    clearTimeout(this.patienceTimer);
    clearTimeout(this.requestTimer);
    clearTimeout(this.resizeTimer);
  }

  private shape(): [number, number] {
    const s = this.model.get("_shape");
    return [s[0] ?? 1, s[1] ?? 1];
  }

  private onShape(): void {
    this.win = fullWindow(...this.shape()); // a new shape: the old zoom means nothing
    this.schedule();
  }

  private schedule(): void {
    this.redraws.schedule();
  }

  // ------------------------------------------------------------------ data
  private tile(name: "_overview" | "_detail", previous: Tile | null): Tile | null {
    const wire = this.model.get(name);
    if (!wire) return null;
    const [rows, cols] = this.shape();
    const w = this.model.get("_detail_window");
    const win = name === "_detail" && w.length === 4 ? { r0: w[0], r1: w[1], c0: w[2], c1: w[3] }
      : fullWindow(rows, cols);
    return tileFor(wire, win, previous);
  }

  // ------------------------------------------------------------------ drawing
  private draw(): void {
    const model = this.model;
    this.titleEl.textContent = model.get("title");
    this.overview = this.tile("_overview", this.overview);
    this.detail = this.tile("_detail", this.detail);
    const height = model.get("height");
    const width = this.redraws.width || this.root.clientWidth || 400;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!this.overview) {
      this.status.textContent = "no data";
      return;
    }
    const theme = readTheme(this.root);
    const [vmin, vmax] = model.get("_limits");
    const cmap = model.get("_cmap");
    const [rows, cols] = this.shape();
    const w = this.win;
    this.plot = this.layout(ctx, width, height, vmin, vmax);
    const p = this.plot;

    ctx.imageSmoothingEnabled = false;
    const ov = this.overview;
    const [or, oc] = ov.array.shape;
    const sy = or / rows, sx = oc / cols;
    ctx.drawImage(tileImage(ov, cmap, vmin, vmax), w.c0 * sx, w.r0 * sy, (w.c1 - w.c0) * sx,
      (w.r1 - w.r0) * sy, p.x, p.y, p.w, p.h);
    const d = this.detail;
    if (d && !isFull(w, rows, cols)) this.drawDetail(ctx, d, cmap, vmin, vmax);
    this.drawSelection(ctx, theme.accent);

    const maxRowPx = Math.max(20, p.x - 8);
    drawRowLabels(ctx, theme, p, model.get("row_labels"), w.r0, w.r1, maxRowPx);
    const { rotated, maxPx } = fitColumnLabels(ctx, theme, model.get("col_labels"), w, p.w);
    drawColLabels(ctx, theme, p, model.get("col_labels"), w.c0, w.c1, maxPx, rotated);
    drawColorbar(ctx, theme, p, p.x + p.w, cmap, vmin, vmax, model.get("value_label"), model.get("_nonfinite"));

    this.reportDisplaySize(p, dpr);
    this.updateStatus(rows, cols, or, oc);
    this.canvas.setAttribute("aria-label", `${model.get("title") || "Heatmap"}: ${this.status.textContent}`);
    this.root.dataset.plot = [p.x, p.y, p.w, p.h].map((v) => v.toFixed(2)).join(",");
    this.root.dataset.window = [w.r0, w.r1, w.c0, w.c1].join(",");
    this.root.dataset.frame = String(model.get("_frame"));
    this.root.dispatchEvent(new CustomEvent("ipyexplain:drawn", {
      bubbles: true,
      detail: { frame: model.get("_frame"), sentAt: model.get("_sent_at"), drawnAt: performance.timeOrigin + performance.now() },
    }));
  }

  private drawDetail(ctx: CanvasRenderingContext2D, d: Tile, cmap: string, vmin: number, vmax: number): void {
    const w = this.win, p = this.plot;
    // Intersection of the visible window and the detail window, in cells.
    const r0 = Math.max(w.r0, d.win.r0), r1 = Math.min(w.r1, d.win.r1);
    const c0 = Math.max(w.c0, d.win.c0), c1 = Math.min(w.c1, d.win.c1);
    if (r1 <= r0 || c1 <= c0) return;
    const [dr, dc] = d.array.shape;
    const sy = dr / (d.win.r1 - d.win.r0), sx = dc / (d.win.c1 - d.win.c0);
    const ky = p.h / (w.r1 - w.r0), kx = p.w / (w.c1 - w.c0);
    ctx.drawImage(tileImage(d, cmap, vmin, vmax), (c0 - d.win.c0) * sx, (r0 - d.win.r0) * sy, (c1 - c0) * sx,
      (r1 - r0) * sy, p.x + (c0 - w.c0) * kx, p.y + (r0 - w.r0) * ky, (c1 - c0) * kx, (r1 - r0) * ky);
  }

  private drawSelection(ctx: CanvasRenderingContext2D, color: string): void {
    const sel = this.model.get("selected");
    if (!sel) return;
    const w = this.win, p = this.plot;
    const ky = p.h / (w.r1 - w.r0), kx = p.w / (w.c1 - w.c0);
    const x = p.x + (sel[1] - w.c0) * kx, y = p.y + (sel[0] - w.r0) * ky;
    if (x + kx < p.x || x > p.x + p.w || y + ky < p.y || y > p.y + p.h) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.strokeRect(x, y, Math.max(kx, 3), Math.max(ky, 3));
    ctx.restore();
  }

  /** Plot rectangle after room for row labels (left), column labels (below) and the colour bar (right). */
  private layout(ctx: CanvasRenderingContext2D, width: number, height: number, vmin: number, vmax: number): Rect {
    const theme = readTheme(this.root);
    ctx.font = fontOf(theme);
    const legend = legendWidth(ctx, theme, vmin, vmax, this.model.get("value_label"));
    const rowLabels = this.model.get("row_labels");
    const w = this.win;
    // Measure the labels that will be drawn (thinned), capped so the plot keeps most of the width.
    const approxH = height * 0.8;
    const rowIdx = labelledIndices(w.r0, w.r1, approxH, theme.fontSize + 3);
    const rowPx = Math.max(12, ...rowIdx.slice(0, 400).map((i) => ctx.measureText(labelOf(rowLabels, i)).width));
    let left = Math.min(rowPx, width * 0.3) + 10;
    const fit = fitColumnLabels(ctx, theme, this.model.get("col_labels"), this.win, width - left - legend);
    if (fit.rotated) {
      // The first column's label slants down-left: leave room for it, or it is cut at the edge.
      const first = labelledIndices(w.c0, w.c1, width - left - legend, theme.fontSize * 1.42 + 4)[0] ?? 0;
      const cell = (width - left - legend) / (w.c1 - w.c0);
      const firstPx = Math.min(ctx.measureText(labelOf(this.model.get("col_labels"), first)).width, fit.maxPx);
      const reach = firstPx * 0.71 + 6 - (first - w.c0 + 0.5) * cell;
      left = Math.max(left, Math.min(reach, width * 0.35));
    }
    const bottom = fit.rotated ? Math.min(fit.maxPx * 0.71 + 14, height * 0.35) : theme.fontSize + 10;
    return { x: left, y: 6, w: Math.max(10, width - left - legend), h: Math.max(10, height - 6 - bottom) };
  }

  /** Tell the kernel the plot's size in device pixels (it pools big matrices to it); debounced. */
  private reportDisplaySize(p: Rect, dpr: number): void {
    const px = [Math.round(p.w * dpr), Math.round(p.h * dpr)];
    const last = this.reportedPx;
    if (last.length === 2 && Math.abs(px[0] - last[0]) <= last[0] * 0.08 && Math.abs(px[1] - last[1]) <= last[1] * 0.08) {
      return;
    }
    this.reportedPx = px;
    clearTimeout(this.resizeTimer);
    this.resizeTimer = window.setTimeout(() => {
      this.model.set("_display_px", px);
      this.model.save_changes();
    }, last.length ? RESIZE_DEBOUNCE_MS : 0);
  }

  private updateStatus(rows: number, cols: number, or: number, oc: number): void {
    const w = this.win;
    const parts = [`${rows.toLocaleString()} × ${cols.toLocaleString()}`];
    if (or !== rows || oc !== cols) parts.push(`shown pooled to ${or} × ${oc} (${this.model.get("pooling")})`);
    if (!isFull(w, rows, cols)) {
      parts.push(`zoom: rows ${Math.floor(w.r0)}–${Math.ceil(w.r1) - 1}, cols ${Math.floor(w.c0)}–${Math.ceil(w.c1) - 1}`);
      const d = this.detail;
      if (d) {
        const [dr, dc] = d.array.shape;
        const exact = dr === d.win.r1 - d.win.r0 && dc === d.win.c1 - d.win.c0;
        parts.push(exact ? "detail: every cell" : `detail pooled to ${dr} × ${dc}`);
      } else if (or !== rows || oc !== cols) {
        const silent = this.detailAskedAt > 0 && performance.now() - this.detailAskedAt > DETAIL_PATIENCE_MS;
        parts.push(silent ? "no detail from the kernel: the pooled picture, enlarged" : "loading detail…");
      }
    }
    const missing = this.model.get("_nonfinite");
    if (missing > 0) parts.push(`${missing.toLocaleString()} missing (NaN/inf)`);
    this.status.textContent = parts.join(" · ");
    this.reset.hidden = isFull(w, rows, cols);
  }

  // ------------------------------------------------------------------ interaction
  /** Cell-space coordinates (fractional row, col) of a point in stage pixels. */
  private cellAt(x: number, y: number): [number, number] {
    const p = this.plot, w = this.win;
    return [w.r0 + ((y - p.y) / p.h) * (w.r1 - w.r0), w.c0 + ((x - p.x) / p.w) * (w.c1 - w.c0)];
  }

  /** Value under cell (r, c) from the finest tile covering it (the detail only while zoomed). */
  private valueAt(r: number, c: number) {
    const zoomed = !isFull(this.win, ...this.shape());
    return (zoomed && this.detail ? valueIn(this.detail, r, c) : null) ?? (this.overview ? valueIn(this.overview, r, c) : null);
  }

  private hover(x: number, y: number): void {
    const [rf, cf] = this.cellAt(x, y);
    const r = Math.floor(rf), c = Math.floor(cf);
    const hit = this.valueAt(r, c);
    if (!hit) return this.tooltip.hide();
    const m = this.model;
    const lines: Array<[string, string]> = [
      ["row", labelOf(m.get("row_labels"), r)],
      ["column", labelOf(m.get("col_labels"), c)],
      [m.get("value_label") || "value", formatExact(hit.value)],
    ];
    const cells = (hit.rows[1] - hit.rows[0]) * (hit.cols[1] - hit.cols[0]);
    if (cells > 1) {
      lines.push([m.get("pooling") === "mean" ? "mean of" : "max |x| of",
        `${cells.toLocaleString()} cells (rows ${hit.rows[0]}–${hit.rows[1] - 1}, cols ${hit.cols[0]}–${hit.cols[1] - 1})`]);
    }
    this.tooltip.show(lines, x, y, { width: this.redraws.width, height: m.get("height") });
  }

  private bindPointer(): void {
    bindPlotGestures(this.canvas, this.zoombox, {
      plot: () => this.plot,
      hover: (x, y) => this.hover(x, y),
      leave: () => this.tooltip.hide(),
      click: (x, y) => this.select(x, y),
      box: (x0, y0, x1, y1) => {
        const [ra, ca] = this.cellAt(x0, y0), [rb, cb] = this.cellAt(x1, y1);
        this.setWindow(boxWindow(ra, ca, rb, cb, ...this.shape()));
      },
      wheel: (x, y, factor) => {
        const [r, c] = this.cellAt(x, y);
        this.setWindow(zoomAbout(this.win, r, c, factor, ...this.shape()));
      },
      reset: () => this.setWindow(fullWindow(...this.shape())),
    });
  }

  private select(x: number, y: number): void {
    const [r, c] = this.cellAt(x, y);
    this.model.set("selected", [Math.floor(r), Math.floor(c)]);
    this.model.save_changes();
    this.schedule();
  }

  /** Zoom happens in the browser at once; a pooled matrix then asks the kernel for detail (debounced). */
  private setWindow(win: Window): void {
    this.win = win;
    this.schedule();
    const [rows, cols] = this.shape();
    const ov = this.overview;
    if (!ov || (ov.array.shape[0] === rows && ov.array.shape[1] === cols)) return;
    clearTimeout(this.requestTimer);
    this.requestTimer = window.setTimeout(() => {
      this.model.set("_view_request", isFull(win, rows, cols) ? [] : [win.r0, win.r1, win.c0, win.c1]);
      this.model.save_changes();
      this.detailAskedAt = performance.now();
      clearTimeout(this.patienceTimer);
      this.patienceTimer = window.setTimeout(() => this.schedule(), DETAIL_PATIENCE_MS + 50);
    }, REQUEST_DEBOUNCE_MS);
  }
}

function render({ model, el }: RenderProps<HeatmapState>): () => void {
  const view = new HeatmapView(model, el);
  return () => view.destroy();
}

export default { render };
