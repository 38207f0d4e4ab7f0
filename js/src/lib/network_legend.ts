// The overlay's colour scale: label, gradient, ticks (linear or log), and which colour means "missing".
import { buildLut, LUT_SIZE, MISSING_RGB } from "./colormap";
import { formatNumber, niceTicks } from "./text";

export type Scale = "linear" | "log";
const BAR_W = 160;

/** Position in [0, 1] of `v` on the scale from lo to hi (clamped). */
export function scalePosition(v: number, lo: number, hi: number, scale: Scale): number {
  const t = scale === "log" ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
  return Math.min(1, Math.max(0, t));
}

/** Tick values for the legend: powers of ten on a log scale (with 2 and 5 when there are few). */
export function legendTicks(lo: number, hi: number, scale: Scale): number[] {
  if (scale === "linear") return niceTicks(lo, hi, 4);
  const out: number[] = [];
  const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  const mults = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / 6));
  for (let e = e0; e <= e1; e += every) {
    for (const m of mults) {
      const v = m * Math.pow(10, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

export class Legend {
  readonly el: HTMLDivElement;
  private readonly title: HTMLDivElement;
  private readonly bar: HTMLCanvasElement;
  private readonly ticks: HTMLDivElement;
  private readonly note: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.el = document.createElement("div");
    this.el.className = "ipx-net-legend";
    this.title = document.createElement("div");
    this.title.className = "ipx-net-legend-title";
    this.bar = document.createElement("canvas");
    this.bar.width = BAR_W;
    this.bar.height = 10;
    this.ticks = document.createElement("div");
    this.ticks.className = "ipx-net-legend-ticks";
    this.note = document.createElement("div");
    this.note.className = "ipx-net-legend-note";
    this.el.append(this.title, this.bar, this.ticks, this.note);
    parent.appendChild(this.el);
    this.el.hidden = true;
  }

  show(label: string, cmap: string, lo: number, hi: number, scale: Scale, note: string, missing: boolean): void {
    this.el.hidden = false;
    this.title.textContent = `${label || "overlay"}${scale === "log" ? " (log scale)" : ""}`;
    const ctx = this.bar.getContext("2d")!;
    const lut = buildLut(cmap);
    for (let x = 0; x < BAR_W; x++) {
      const i = Math.min(LUT_SIZE - 1, Math.floor((x / BAR_W) * LUT_SIZE)) * 3;
      ctx.fillStyle = `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
      ctx.fillRect(x, 0, 1, 10);
    }
    const spans = legendTicks(lo, hi, scale).map((v) => {
      const s = document.createElement("span");
      s.textContent = formatNumber(v);
      const at = scalePosition(v, lo, hi, scale);
      s.style.left = `${(at * 100).toFixed(1)}%`;
      // Labels at the ends stay inside the legend.
      s.style.transform = at < 0.1 ? "none" : at > 0.9 ? "translateX(-100%)" : "translateX(-50%)";
      return s;
    });
    this.ticks.replaceChildren(...spans);
    const parts = [note];
    this.note.replaceChildren();
    if (missing) {
      const swatch = document.createElement("span");
      swatch.className = "ipx-net-legend-swatch";
      swatch.style.background = `rgb(${MISSING_RGB.join(",")})`;
      this.note.append(swatch);
    }
    this.note.append(document.createTextNode(parts.filter(Boolean).join(" · ")));
    this.note.hidden = !note && !missing;
  }

  hide(): void {
    this.el.hidden = true;
  }
}
