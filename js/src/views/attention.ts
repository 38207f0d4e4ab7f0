// AttentionView: token x token attention of the selected layer and head, layer/head selectors, a head
// overview (every layer x head as a thumbnail; click to select) and a token strip that lights up the
// tokens a hovered query attends to. Python side: src/ipyexplain/views/attention.py.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { cellAt, gridLayout, type GridLayout, matrixLayout, type MatrixLayout, maxOf, paintBlock, rangeOf, shorten,
  thumbAt } from "../lib/attention_grid";
import { buildLut } from "../lib/colormap";
import { Redraws } from "../lib/frame";
import { colorbar, el, ensureDeepStyle } from "../lib/live_job";
import { ensureStyle, injectStyle } from "../lib/style";
import { formatExact, formatNumber } from "../lib/text";
import { readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { decode, type NdArray, type WireArray } from "../lib/wire";

interface AttentionState {
  layer: number;
  head: number;
  sample: number;
  title: string;
  cmap: string;
  scale: string;
  _matrix: WireArray | null;
  _thumbs: WireArray | null;
  _tokens: string[];
  _key_tokens: string[];
  _layer_names: string[];
  _n_heads: number;
  _n_samples: number;
  _source: string;
  _frame: number;
}
type Model = AnyModel<AttentionState>;

const CSS = `
.ipx-attn-main { display: flex; flex-wrap: wrap; gap: 12px; margin: 0 4px; align-items: flex-start; }
.ipx-attn-main canvas { display: block; }
.ipx-attn-side { display: flex; flex-direction: column; gap: 4px; font-size: 11px; color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-attn-strip { margin: 8px 4px 0 4px; font-size: 13px; line-height: 1.9; }
.ipx-attn-token { padding: 1px 3px; border-radius: 3px; margin-right: 3px; white-space: pre; }
.ipx-attn-token.ipx-query { outline: 2px solid var(--jp-brand-color1, #1976d2); }
`;

class AttentionView {
  private root: HTMLDivElement;
  private titleEl: HTMLDivElement;
  private sampleSel: HTMLSelectElement;
  private layerSel: HTMLSelectElement;
  private headSel: HTMLSelectElement;
  private canvas: HTMLCanvasElement;
  private grid: HTMLCanvasElement;
  private legend: HTMLDivElement;
  private strip: HTMLDivElement;
  private tooltip: Tooltip;
  private status: HTMLSpanElement;
  private error: HTMLDivElement;
  private redraws: Redraws;
  private matrix: NdArray | null = null;
  private thumbs: NdArray | null = null;
  private wires: Array<WireArray | null> = [null, null];
  private mLayout: MatrixLayout | null = null;
  private gLayout: GridLayout | null = null;
  private hoverRow: number | null = null;

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    ensureDeepStyle();
    injectStyle("ipyexplain-style-attn", CSS);
    this.root = el("div", "ipx-view ipx-attention", host);
    this.root.style.position = "relative";
    this.titleEl = el("div", "ipx-title", this.root);
    const controls = el("div", "ipx-deep-controls", this.root);
    this.sampleSel = this.select(controls, "Sample", "sample");
    this.layerSel = this.select(controls, "Layer", "layer");
    this.headSel = this.select(controls, "Head", "head");
    const main = el("div", "ipx-attn-main", this.root);
    this.canvas = el("canvas", "ipx-attn-matrix", main);
    this.canvas.setAttribute("role", "img");
    const side = el("div", "ipx-attn-side", main);
    el("div", "", side).textContent = "All heads (click to select)";
    this.grid = el("canvas", "ipx-attn-grid", side);
    this.legend = el("div", "", side);
    this.strip = el("div", "ipx-attn-strip", this.root);
    this.tooltip = new Tooltip(this.root);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.error = el("div", "ipx-error", this.root);
    this.redraws = new Redraws(model, this.root, () => this.draw(),
      (err) => { this.error.textContent = `ipyexplain AttentionView could not draw: ${err.message}`; });
    this.redraws.on(["_frame", "_thumbs", "title", "cmap", "scale", "layer", "head", "sample", "_tokens"]);
    this.canvas.addEventListener("pointermove", (e) => this.hoverMatrix(e));
    this.canvas.addEventListener("pointerleave", () => { this.tooltip.hide(); this.hoverRow = null; this.paintStrip(); });
    this.grid.addEventListener("click", (e) => this.pickThumb(e));
    this.grid.addEventListener("pointermove", (e) => this.hoverThumb(e));
    this.grid.addEventListener("pointerleave", () => this.tooltip.hide());
  }

  destroy(): void {
    this.redraws.destroy();
  }

  private select(parent: HTMLElement, label: string, trait: "sample" | "layer" | "head"): HTMLSelectElement {
    const wrap = el("label", "", parent);
    el("span", "", wrap).textContent = label;
    const sel = el("select", `ipx-attn-${trait}`, wrap);
    sel.setAttribute("aria-label", label);
    sel.addEventListener("change", () => {
      this.model.set(trait, Number(sel.value));
      this.model.save_changes();
    });
    return sel;
  }

  private options(sel: HTMLSelectElement, items: Array<[number, string]>, value: number): void {
    const key = items.map(([v, t]) => `${v}:${t}`).join("|");
    if (sel.dataset.key !== key) {
      sel.replaceChildren(...items.map(([v, t]) => {
        const o = document.createElement("option");
        o.value = String(v);
        o.textContent = t; // names are text
        return o;
      }));
      sel.dataset.key = key;
    }
    sel.value = String(value);
  }

  private data(): void {
    const mw = this.model.get("_matrix"), tw = this.model.get("_thumbs");
    if (mw !== this.wires[0]) { this.matrix = mw ? decode(mw) : null; this.wires[0] = mw; }
    if (tw !== this.wires[1]) { this.thumbs = tw ? decode(tw) : null; this.wires[1] = tw; }
  }

  private draw(): void {
    const m = this.model;
    this.data();
    this.titleEl.textContent = m.get("title");
    const names = m.get("_layer_names"), heads = m.get("_n_heads"), samples = m.get("_n_samples");
    this.options(this.sampleSel, Array.from({ length: samples }, (_, i) => [i, `#${i}`]), m.get("sample"));
    (this.sampleSel.parentElement as HTMLElement).style.display = samples <= 1 ? "none" : "";
    this.options(this.layerSel, names.map((n, i) => [i, n === `layer ${i}` ? n : `${i}: ${n}`]), m.get("layer"));
    this.options(this.headSel, [[-1, "mean of heads"], ...Array.from({ length: heads }, (_, i): [number, string] => [i, `head ${i}`])],
      m.get("head"));
    if (!this.matrix || !this.thumbs) return;
    this.drawMatrix();
    this.drawGrid();
    this.paintStrip();
    const [q, k] = this.matrix.shape;
    const head = m.get("head");
    this.status.textContent = [`${names[m.get("layer")] ?? ""}`, head < 0 ? "mean of heads" : `head ${head}`,
      `${q} × ${k} tokens`, `${names.length} layers × ${heads} heads`, m.get("_source")].filter(Boolean).join(" · ");
    this.root.dataset.frame = String(m.get("_frame"));
    this.root.dataset.layer = String(m.get("layer"));
    this.root.dataset.head = String(head);
  }

  /** Colour range: the matrix's own [min, max] (contrast stretched), or [0, 1] in "fixed" scale. */
  private range(values: ArrayLike<number>, offset = 0, count = values.length): [number, number] {
    return this.model.get("scale") === "fixed" ? [0, 1] : rangeOf(values, offset, count);
  }

  private drawMatrix(): void {
    const mat = this.matrix!;
    const [rows, cols] = mat.shape;
    const theme = readTheme(this.root);
    const width = Math.min(640, (this.redraws.width || 700) - 240);
    const ctx0 = this.canvas.getContext("2d")!;
    ctx0.font = `${theme.fontSize}px ${theme.font}`;
    const toks = this.model.get("_tokens"), keys = this.model.get("_key_tokens");
    const labelPx = Math.min(110, Math.max(24, ...[...toks, ...keys].slice(0, 300).map((t) => ctx0.measureText(shorten(t)).width))) + 4;
    const l = matrixLayout(rows, cols, width, 520, labelPx, theme.fontSize);
    this.mLayout = l;
    const w = Math.ceil(l.x + cols * l.cell + 2), h = Math.ceil(l.y + rows * l.cell + 2);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const img = new ImageData(cols, rows);
    const [vmin, vmax] = this.range(mat.data);
    paintBlock(mat.data, 0, rows, cols, vmin, vmax, this.model.get("cmap"), img.data);
    const tmp = document.createElement("canvas");
    tmp.width = cols;
    tmp.height = rows;
    tmp.getContext("2d")!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, l.x, l.y, cols * l.cell, rows * l.cell);
    ctx.font = `${theme.fontSize}px ${theme.font}`;
    ctx.fillStyle = theme.text;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let r = 0; r < rows; r += l.labelStep) ctx.fillText(shorten(toks[r] ?? String(r)), l.x - 4, l.y + (r + 0.5) * l.cell);
    ctx.textAlign = "left";
    for (let c = 0; c < cols; c += l.labelStep) {
      ctx.save();
      ctx.translate(l.x + (c + 0.5) * l.cell, l.y - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(shorten(keys[c] ?? String(c)), 0, 0);
      ctx.restore();
    }
    if (this.hoverRow !== null) {
      ctx.strokeStyle = theme.accent;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(l.x, l.y + this.hoverRow * l.cell, cols * l.cell, l.cell);
    }
    this.canvas.dataset.layout = [l.x, l.y, l.cell, rows, cols].join(",");
    this.canvas.setAttribute("aria-label", `attention of ${rows} query tokens over ${cols} key tokens`);
    this.legend.replaceChildren();
    colorbar(this.legend, buildLut(this.model.get("cmap")), [formatNumber(vmin), formatNumber(vmax)], 140).title =
      "attention weight";
    el("div", "", this.legend).textContent = "attention weight (rows: queries, columns: keys)";
  }

  private drawGrid(): void {
    const th = this.thumbs!;
    const [layers, heads, tq, tk] = th.shape;
    const theme = readTheme(this.root);
    const g = gridLayout(layers, heads, 220, 26);
    this.gLayout = g;
    const step = g.thumb + g.gap;
    const w = g.x + heads * step, h = g.y + layers * step;
    const dpr = window.devicePixelRatio || 1;
    this.grid.width = Math.round(w * dpr);
    this.grid.height = Math.round(h * dpr);
    this.grid.style.width = `${w}px`;
    this.grid.style.height = `${h}px`;
    const ctx = this.grid.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.font = `10px ${theme.font}`;
    ctx.fillStyle = theme.mutedText;
    ctx.textBaseline = "middle";
    const tmp = document.createElement("canvas");
    tmp.width = tk;
    tmp.height = tq;
    const tctx = tmp.getContext("2d")!;
    const img = new ImageData(tk, tq);
    for (let hd = 0; hd < heads; hd++) { ctx.textAlign = "center"; ctx.fillText(`H${hd}`, g.x + hd * step + g.thumb / 2, 7); }
    for (let ly = 0; ly < layers; ly++) {
      ctx.textAlign = "right";
      ctx.fillText(`L${ly}`, g.x - 4, g.y + ly * step + g.thumb / 2);
      for (let hd = 0; hd < heads; hd++) {
        const off = (ly * heads + hd) * tq * tk;
        const [lo, hi] = this.range(th.data, off, tq * tk);
        paintBlock(th.data, off, tq, tk, lo, hi, this.model.get("cmap"), img.data);
        tctx.putImageData(img, 0, 0);
        ctx.drawImage(tmp, g.x + hd * step, g.y + ly * step, g.thumb, g.thumb);
      }
    }
    const layer = this.model.get("layer"), head = this.model.get("head");
    ctx.strokeStyle = theme.accent;
    ctx.lineWidth = 2;
    if (head < 0) ctx.strokeRect(g.x - 1, g.y + layer * step - 1, heads * step - g.gap + 2, g.thumb + 2);
    else ctx.strokeRect(g.x + head * step - 1, g.y + layer * step - 1, g.thumb + 2, g.thumb + 2);
  }

  private local(e: PointerEvent, c: HTMLCanvasElement): [number, number] {
    const b = c.getBoundingClientRect();
    return [e.clientX - b.left, e.clientY - b.top];
  }

  private hoverMatrix(e: PointerEvent): void {
    if (!this.mLayout || !this.matrix) return;
    const hit = cellAt(this.mLayout, ...this.local(e, this.canvas));
    if (!hit) { this.tooltip.hide(); return; }
    const [r, c] = hit;
    const cols = this.matrix.shape[1];
    this.tooltip.showAt([["query", this.model.get("_tokens")[r] ?? String(r)],
      ["key", this.model.get("_key_tokens")[c] ?? String(c)], ["attention", formatExact(this.matrix.data[r * cols + c])]], e);
    if (this.hoverRow !== r) {
      this.hoverRow = r;
      this.drawMatrix();
      this.paintStrip();
    }
  }

  /** The tokens as text; while a query row is hovered, each key's background is its attention weight. */
  private paintStrip(): void {
    const keys = this.model.get("_key_tokens");
    const mat = this.matrix;
    const r = this.hoverRow;
    const frag = document.createDocumentFragment();
    const label = document.createElement("span");
    label.className = "ipx-tooltip-key";
    label.textContent = r === null ? "hover a row: the tokens it attends to light up" : `attends from “${this.model.get("_tokens")[r]}”:`;
    frag.append(label, document.createTextNode(" "));
    const cols = mat ? mat.shape[1] : 0;
    const rowMax = mat && r !== null ? maxOf(mat.data, r * cols, cols) || 1 : 1;
    keys.forEach((k, c) => {
      const span = document.createElement("span");
      span.className = "ipx-attn-token";
      span.textContent = k; // text, never HTML
      const w = mat && r !== null ? mat.data[r * cols + c] : 0;
      span.dataset.weight = mat && r !== null ? String(w) : "";
      span.style.background = r === null ? "transparent" : `rgba(25, 118, 210, ${(0.85 * w / rowMax).toFixed(3)})`;
      if (r !== null && this.model.get("_tokens")[r] === k && r === c) span.classList.add("ipx-query");
      frag.appendChild(span);
    });
    this.strip.replaceChildren(frag);
  }

  private pickThumb(e: MouseEvent): void {
    if (!this.gLayout) return;
    const hit = thumbAt(this.gLayout, ...this.local(e as PointerEvent, this.grid));
    if (!hit) return;
    this.model.set("layer", hit[0]);
    this.model.set("head", hit[1]);
    this.model.save_changes();
  }

  private hoverThumb(e: PointerEvent): void {
    if (!this.gLayout) return;
    const hit = thumbAt(this.gLayout, ...this.local(e, this.grid));
    if (!hit) { this.tooltip.hide(); return; }
    this.tooltip.showAt([["layer", `${hit[0]}: ${this.model.get("_layer_names")[hit[0]] ?? ""}`], ["head", String(hit[1])]], e);
  }
}

function render({ model, el: host }: RenderProps<AttentionState>): () => void {
  const view = new AttentionView(model, host);
  return () => view.destroy();
}

export default { render };
