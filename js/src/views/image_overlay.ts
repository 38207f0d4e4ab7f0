// ImageOverlay: attribution maps blended over their images, samples x methods as small multiples,
// with an opacity slider, a signed/absolute toggle, hover (pixel value + attribution) and a Job's progress.
// Python side: src/ipyexplain/views/image_overlay.py (kernel-side reduction in views/_overlay_data.py).
import type { AnyModel, RenderProps } from "@anywidget/types";
import { buildLut } from "../lib/colormap";
import { Redraws } from "../lib/frame";
import { colorbar, el, ensureDeepStyle, JOB_TRAITS, jobStateOf, type LiveJobTraits, segmented } from "../lib/live_job";
import { type OverlayInput, paintOverlay, pixelLabel, pixelText } from "../lib/overlay_paint";
import { JobPanel } from "../lib/progress";
import { ensureStyle } from "../lib/style";
import { formatExact, formatNumber } from "../lib/text";
import { readTheme } from "../lib/theme";
import { Tooltip } from "../lib/tooltip";
import { decode, type NdArray, type WireArray } from "../lib/wire";

interface OverlayState extends LiveJobTraits {
  title: string;
  value_label: string;
  opacity: number;
  mode: string;
  cmap: string;
  cmap_absolute: string;
  cell_size: number;
  _panel_labels: string[];
  _column_noun: string;
  _row_labels: string[];
  _sample_index: number[];
  _signed: WireArray | null;
  _absolute: WireArray | null;
  _images: WireArray | null;
  _image_range: WireArray | null;
  _limits_signed: WireArray | null;
  _limits_absolute: WireArray | null;
  _computed: WireArray | null;
  _pooled: number;
  _source_shape: number[];
  _partial_flag: boolean;
  _frame: number;
}
type Model = AnyModel<OverlayState>;

function rgbOf(color: string): [number, number, number] {
  const m = color.match(/\d+(\.\d+)?/g);
  if (color.startsWith("#") && color.length >= 7) {
    return [parseInt(color.slice(1, 3), 16), parseInt(color.slice(3, 5), 16), parseInt(color.slice(5, 7), 16)];
  }
  return m && m.length >= 3 ? [Number(m[0]), Number(m[1]), Number(m[2])] : [255, 255, 255];
}

class OverlayView {
  private root: HTMLDivElement;
  private titleText: HTMLSpanElement;
  private badge: HTMLSpanElement;
  private slider: HTMLInputElement;
  private modeToggle: ReturnType<typeof segmented>;
  private grid: HTMLDivElement;
  private tooltip: Tooltip;
  private status: HTMLSpanElement;
  private job: JobPanel;
  private error: HTMLDivElement;
  private redraws: Redraws;
  private decoded = new Map<string, { wire: WireArray; array: NdArray }>();
  private layoutKey = "";
  private cells: HTMLCanvasElement[] = [];

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    ensureDeepStyle();
    this.root = el("div", "ipx-view ipx-overlay", host);
    const title = el("div", "ipx-title", this.root);
    this.titleText = el("span", "", title);
    this.badge = el("span", "ipx-badge", title);
    const controls = el("div", "ipx-deep-controls", this.root);
    const opacity = el("label", "", controls);
    el("span", "", opacity).textContent = "Opacity";
    this.slider = el("input", "ipx-opacity", opacity);
    Object.assign(this.slider, { type: "range", min: "0", max: "1", step: "0.05" });
    this.slider.setAttribute("aria-label", "overlay opacity");
    this.slider.addEventListener("input", () => {
      this.model.set("opacity", Number(this.slider.value));
      this.model.save_changes();
      this.redraws.schedule();
    });
    this.modeToggle = segmented(controls, "attribution shown", [["signed", "Signed"], ["absolute", "|Absolute|"]], (v) => {
      this.model.set("mode", v);
      this.model.save_changes();
      this.redraws.schedule();
    });
    this.grid = el("div", "ipx-overlay-grid", this.root);
    this.tooltip = new Tooltip(this.root);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.job = new JobPanel(this.root, () => this.model.send({ event: "cancel" }));
    this.error = el("div", "ipx-error", this.root);
    this.error.setAttribute("role", "alert");
    this.root.style.position = "relative";
    this.redraws = new Redraws(model, this.root, () => this.draw(),
      (err) => { this.error.textContent = `ipyexplain ImageOverlay could not draw: ${err.message}`; });
    this.redraws.on(["_frame", "title", "value_label", "opacity", "mode", "cmap", "cmap_absolute", "cell_size",
      "_partial_flag", ...JOB_TRAITS]);
  }

  destroy(): void {
    this.redraws.destroy();
  }

  private arr(name: keyof OverlayState): NdArray | null {
    const wire = this.model.get(name) as WireArray | null;
    if (!wire) return null;
    const hit = this.decoded.get(name);
    if (hit && hit.wire === wire) return hit.array;
    const array = decode(wire);
    this.decoded.set(name, { wire, array });
    return array;
  }

  private draw(): void {
    const m = this.model;
    this.titleText.textContent = m.get("title");
    this.slider.value = String(m.get("opacity"));
    this.modeToggle.set(m.get("mode"));
    const st = jobStateOf((k) => m.get(k));
    this.job.update(st);
    const status = st.status;
    this.badge.textContent = m.get("_partial_flag") || status === "running"
      ? status === "cancelled" ? "partial \u2014 cancelled" : "partial" : "";
    this.error.textContent = m.get("_error") ? `The job failed: ${m.get("_error")}` : "";
    const signed = m.get("mode") === "signed";
    const maps = this.arr(signed ? "_signed" : "_absolute");
    const limits = this.arr(signed ? "_limits_signed" : "_limits_absolute");
    if (!maps || !limits) {
      this.grid.replaceChildren();
      this.cells = [];
      this.status.textContent = status === "running" || status === "pending" ? "computing\u2026" : "no attributions";
      return;
    }
    const [panels, samples, h, w] = maps.shape;
    const cmap = signed ? m.get("cmap") : m.get("cmap_absolute");
    const width = this.redraws.width || this.root.clientWidth || 600;
    const labels = m.get("_panel_labels"), rows = m.get("_row_labels");
    const rowHead = Math.min(120, Math.max(48, ...rows.map((r) => r.length * 6.2 + 10)));
    const fit = Math.floor((width - rowHead - 8 - panels * 8) / Math.max(1, panels));
    const side = Math.max(48, Math.min(m.get("cell_size"), fit));
    const cw = w >= h ? side : Math.round((side * w) / h), ch = h >= w ? side : Math.round((side * h) / w);
    const key = [panels, samples, cw, ch, labels.join("\u0000"), rows.join("\u0000"), cmap, signed,
      Array.from(limits.data).map((v) => v.toPrecision(3)).join(",")].join("|");
    if (key !== this.layoutKey) this.layout(panels, samples, cw, ch, rowHead, labels, rows, cmap, signed, limits);
    this.layoutKey = key;
    const pending = this.paint(maps, limits, signed, cmap);
    const computed = this.arr("_computed");
    const done = computed ? Array.from(computed.data).filter((v) => v > 0).length : panels * samples;
    const src = m.get("_source_shape");
    const noun = m.get("_column_noun") || "method";
    const parts = [`${samples} of ${src[0] ?? samples} images × ${panels} ${noun}${panels === 1 ? "" : "s"}`,
      `${src[1]}×${src[2]} px`];
    if (m.get("_pooled") > 1) parts.push(`drawn at ${h}×${w} (means of ${m.get("_pooled")}×${m.get("_pooled")} px)`);
    if (done < panels * samples) parts.push(`${done} of ${panels * samples} maps computed so far`);
    if (pending) parts.push(`${((100 * pending) / (panels * samples * h * w)).toFixed(0)}% of pixels not computed yet (veiled)`);
    this.status.textContent = parts.join(" · ");
    this.root.dataset.frame = String(m.get("_frame"));
    this.root.dataset.mode = m.get("mode");
    this.root.dispatchEvent(new CustomEvent("ipyexplain:drawn", { bubbles: true, detail: { frame: m.get("_frame") } }));
  }

  private layout(panels: number, samples: number, cw: number, ch: number, rowHead: number, labels: string[],
    rows: string[], cmap: string, signed: boolean, limits: NdArray): void {
    const grid = this.grid;
    grid.replaceChildren();
    Object.assign(grid.style, {
      display: "grid", gridTemplateColumns: `${rowHead}px repeat(${panels}, ${cw}px)`, gap: "6px 8px",
      alignItems: "center", margin: "0 4px",
    });
    el("div", "", grid);
    const lut = buildLut(cmap);
    const label = this.model.get("value_label") || "attribution";
    for (let p = 0; p < panels; p++) {
      const head = el("div", "ipx-overlay-head", grid);
      Object.assign(head.style, { display: "flex", flexDirection: "column", gap: "2px", minWidth: "0" });
      const name = el("div", "ipx-overlay-label", head);
      name.textContent = labels[p] ?? `panel ${p}`;
      Object.assign(name.style, { fontWeight: "600", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" });
      const lim = limits.data[p * samples] ?? 1;
      const ticks = signed ? [`\u2212${formatNumber(lim)}`, "0", `+${formatNumber(lim)}`] : ["0", formatNumber(lim)];
      colorbar(head, lut, ticks, Math.min(cw, 140)).title = signed ? `${label} (summed over channels)` : `|${label}|`;
    }
    this.cells = [];
    for (let s = 0; s < samples; s++) {
      const head = el("div", "ipx-overlay-rowlabel", grid);
      head.textContent = rows[s] ?? `#${s}`;
      Object.assign(head.style, { fontSize: "11px", overflow: "hidden", textOverflow: "ellipsis" });
      for (let p = 0; p < panels; p++) {
        const canvas = el("canvas", "ipx-overlay-cell", grid);
        canvas.dataset.panel = String(p);
        canvas.dataset.sample = String(s);
        canvas.style.width = `${cw}px`;
        canvas.style.height = `${ch}px`;
        canvas.style.imageRendering = "pixelated";
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", `${labels[p] ?? ""} over ${rows[s] ?? ""}`);
        canvas.addEventListener("pointermove", (e) => this.hover(e, canvas));
        canvas.addEventListener("pointerleave", () => this.tooltip.hide());
        this.cells.push(canvas);
      }
    }
  }

  private input(map: ArrayLike<number>, s: number, limit: number, signed: boolean, cmap: string, w: number, h: number): OverlayInput {
    const images = this.arr("_images");
    const ranges = this.arr("_image_range");
    const channels = images ? images.shape[3] : 0;
    const size = w * h * channels;
    const theme = readTheme(this.root);
    return {
      map, width: w, height: h, channels, signed, cmap, limit, opacity: this.model.get("opacity"),
      image: images ? images.data.subarray(s * size, (s + 1) * size) : null,
      range: ranges ? [ranges.data[s * 2], ranges.data[s * 2 + 1]] : [0, 1],
      background: rgbOf(theme.background),
    };
  }

  /** Paint every cell; returns the number of pixels not computed yet. */
  private paint(maps: NdArray, limits: NdArray, signed: boolean, cmap: string): number {
    const [, samples, h, w] = maps.shape;
    let pending = 0;
    for (const canvas of this.cells) {
      const p = Number(canvas.dataset.panel), s = Number(canvas.dataset.sample);
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const ctx = canvas.getContext("2d")!;
      const img = ctx.createImageData(w, h);
      const map = maps.data.subarray(((p * samples) + s) * w * h, ((p * samples) + s + 1) * w * h);
      pending += paintOverlay(this.input(map, s, limits.data[p * samples + s], signed, cmap, w, h), img.data);
      ctx.putImageData(img, 0, 0);
    }
    return pending;
  }

  private hover(e: PointerEvent, canvas: HTMLCanvasElement): void {
    const p = Number(canvas.dataset.panel), s = Number(canvas.dataset.sample);
    const signedMaps = this.arr("_signed"), absMaps = this.arr("_absolute");
    if (!signedMaps || !absMaps) return;
    const [, samples, h, w] = signedMaps.shape;
    const box = canvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - box.left) / box.width) * w), y = Math.floor(((e.clientY - box.top) / box.height) * h);
    if (x < 0 || y < 0 || x >= w || y >= h) return this.tooltip.hide();
    const i = y * w + x, k = (p * samples + s) * w * h + i;
    const images = this.arr("_images");
    const channels = images ? images.shape[3] : 0;
    const pooled = this.model.get("_pooled");
    const m = this.model;
    const lines: Array<[string, string]> = [
      [m.get("_column_noun") || "method", m.get("_panel_labels")[p] ?? ""],
      ["image", m.get("_row_labels")[s] ?? ""],
      ["pixel", pooled > 1 ? `x ${x * pooled}–${(x + 1) * pooled - 1}, y ${y * pooled}–${(y + 1) * pooled - 1}` : `x ${x}, y ${y}`],
    ];
    if (images) lines.push([pixelLabel(channels), pixelText(images.data.subarray(s * w * h * channels), channels, i)]);
    const sv = signedMaps.data[k], av = absMaps.data[k];
    const label = m.get("value_label") || "attribution";
    lines.push([label, Number.isFinite(sv) ? formatExact(sv) : "not computed yet"]);
    if (Number.isFinite(av)) lines.push([`|${label}|`, formatExact(av)]);
    if (pooled > 1) lines.push(["mean of", `${pooled}×${pooled} pixels`]);
    this.tooltip.showAt(lines, e);
  }
}

function render({ model, el: host }: RenderProps<OverlayState>): () => void {
  const view = new OverlayView(model, host);
  return () => view.destroy();
}

export default { render };
