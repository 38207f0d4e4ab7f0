// ActMaxView: the image being optimised (redrawn at every update), its objective plotted beside it, and a
// film strip of snapshots; progress and Cancel from the bound Job. Python side: src/ipyexplain/views/actmax.py.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { drawChart, imagePixels } from "../lib/actmax_chart";
import { Redraws } from "../lib/frame";
import { el, ensureDeepStyle, JOB_TRAITS, jobStateOf, type LiveJobTraits } from "../lib/live_job";
import { JobPanel } from "../lib/progress";
import { ensureStyle, injectStyle } from "../lib/style";
import { svg } from "../lib/svg";
import { formatExact } from "../lib/text";
import { readTheme } from "../lib/theme";
import { decode, type WireArray } from "../lib/wire";

interface ActMaxState extends LiveJobTraits {
  title: string;
  image_size: number;
  _image: WireArray | null;
  _objective: WireArray | null;
  _snapshots: WireArray | null;
  _snapshot_steps: number[];
  _step: number;
  _steps: number;
  _description: string;
  _frame: number;
}
type Model = AnyModel<ActMaxState>;

const CSS = `
.ipx-actmax-main { display: flex; flex-wrap: wrap; gap: 16px; margin: 0 4px; align-items: flex-start; }
.ipx-actmax-figure { display: flex; flex-direction: column; gap: 4px; font-size: 11px; color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-actmax-figure canvas { display: block; border: 1px solid var(--jp-border-color2, #e0e0e0); }
.ipx-actmax-chart text { font-size: 10px; font-family: var(--jp-ui-font-family, system-ui, sans-serif); }
.ipx-actmax-strip { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 4px 0 4px; }
.ipx-actmax-strip figure { margin: 0; display: flex; flex-direction: column; align-items: center; font-size: 10px;
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-actmax-strip canvas { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid var(--jp-border-color2, #e0e0e0); }
`;

function paintInto(canvas: HTMLCanvasElement, data: ArrayLike<number>, h: number, w: number, c: number, offset = 0): void {
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(w, h);
  img.data.set(imagePixels(data, h, w, c, offset));
  ctx.putImageData(img, 0, 0);
}

class ActMaxView {
  private root: HTMLDivElement;
  private titleEl: HTMLDivElement;
  private image: HTMLCanvasElement;
  private caption: HTMLDivElement;
  private chart: SVGSVGElement;
  private chartCaption: HTMLDivElement;
  private strip: HTMLDivElement;
  private job: JobPanel;
  private error: HTMLDivElement;
  private redraws: Redraws;

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    ensureDeepStyle();
    injectStyle("ipyexplain-style-actmax", CSS);
    this.root = el("div", "ipx-view ipx-actmax", host);
    this.titleEl = el("div", "ipx-title", this.root);
    const main = el("div", "ipx-actmax-main", this.root);
    const left = el("div", "ipx-actmax-figure", main);
    this.image = el("canvas", "ipx-actmax-image", left);
    this.image.setAttribute("role", "img");
    this.caption = el("div", "", left);
    const right = el("div", "ipx-actmax-figure", main);
    this.chart = svg("svg", "ipx-actmax-chart", right, { role: "img" });
    this.chartCaption = el("div", "", right);
    this.strip = el("div", "ipx-actmax-strip", this.root);
    this.job = new JobPanel(this.root, () => this.model.send({ event: "cancel" }));
    this.error = el("div", "ipx-error", this.root);
    this.redraws = new Redraws(model, this.root, () => this.draw(),
      (err) => { this.error.textContent = `ipyexplain ActMaxView could not draw: ${err.message}`; });
    this.redraws.on(["_frame", "title", "image_size", ...JOB_TRAITS]);
  }

  destroy(): void {
    this.redraws.destroy();
  }

  private draw(): void {
    const m = this.model;
    this.titleEl.textContent = m.get("title");
    this.job.update(jobStateOf((k) => m.get(k)));
    this.error.textContent = m.get("_error") ? `The job failed: ${m.get("_error")}` : "";
    const wire = m.get("_image");
    if (!wire) return;
    const img = decode(wire);
    const [h, w, c] = img.shape;
    paintInto(this.image, img.data, h, w, c);
    const size = m.get("image_size");
    const scale = size / Math.max(h, w);
    this.image.style.width = `${Math.round(w * scale)}px`;
    this.image.style.height = `${Math.round(h * scale)}px`;
    this.image.style.imageRendering = scale >= 2 ? "pixelated" : "auto";
    this.image.setAttribute("aria-label", `image maximising ${m.get("_description")} after ${m.get("_step")} steps`);
    this.caption.textContent = `${m.get("_description")} · step ${m.get("_step")} of ${m.get("_steps")}`;
    const obj = m.get("_objective");
    const values = obj ? decode(obj).data : new Float32Array(0);
    const theme = readTheme(this.root);
    const width = Math.max(220, Math.min(420, (this.redraws.width || 700) - size - 40));
    drawChart(this.chart, values, Math.max(2, m.get("_steps")), { width, height: size, left: 44, right: 18, top: 8, bottom: 28 },
      { line: theme.accent, text: theme.mutedText, grid: theme.border });
    const last = values.length ? values[values.length - 1] : NaN;
    this.chartCaption.textContent = `objective: ${Number.isFinite(last) ? formatExact(last) : "—"}` +
      (values.length > 1 ? ` (from ${formatExact(values[0])} at step 1)` : "");
    this.drawStrip();
    this.root.dataset.frame = String(m.get("_frame"));
    this.root.dataset.step = String(m.get("_step"));
  }

  private drawStrip(): void {
    const wire = this.model.get("_snapshots");
    const steps = this.model.get("_snapshot_steps");
    if (!wire) { this.strip.replaceChildren(); return; }
    const snaps = decode(wire);
    const [k, h, w, c] = snaps.shape;
    while (this.strip.children.length > k) this.strip.lastElementChild!.remove();
    for (let i = 0; i < k; i++) {
      let fig = this.strip.children[i] as HTMLElement | undefined;
      if (!fig) {
        fig = el("figure", "", this.strip);
        el("canvas", "", fig);
        el("figcaption", "", fig);
      }
      paintInto(fig.querySelector("canvas")!, snaps.data, h, w, c, i * h * w * c);
      fig.querySelector("figcaption")!.textContent = `step ${steps[i] ?? ""}`;
    }
  }
}

function render({ model, el: host }: RenderProps<ActMaxState>): () => void {
  const view = new ActMaxView(model, host);
  return () => view.destroy();
}

export default { render };
