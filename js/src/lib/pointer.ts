// Pointer gestures on a plot canvas: hover, click, box drag (with a rubber band), wheel, double-click.
// Shared by views so every plot zooms and selects the same way.
import type { Rect } from "./axes";

export interface PlotGestures {
  /** The plot area in canvas CSS pixels; gestures start only inside it. */
  plot(): Rect;
  hover(x: number, y: number): void;
  leave(): void;
  click(x: number, y: number): void;
  box(x0: number, y0: number, x1: number, y1: number): void;
  /** `factor` < 1 zooms in. */
  wheel(x: number, y: number, factor: number): void;
  reset(): void;
}

const CLICK_SLOP_PX = 4;

function inside(p: Rect, x: number, y: number): boolean {
  return x >= p.x && x < p.x + p.w && y >= p.y && y < p.y + p.h;
}

/** Wire `g` to `canvas`; the rubber band is drawn in `band` (absolutely positioned over the canvas). */
export function bindPlotGestures(canvas: HTMLCanvasElement, band: HTMLElement, g: PlotGestures): void {
  let start: { x: number; y: number } | null = null;
  const local = (e: MouseEvent): [number, number] => {
    const b = canvas.getBoundingClientRect();
    return [e.clientX - b.left, e.clientY - b.top];
  };
  const showBand = (x0: number, y0: number, x1: number, y1: number) => {
    const p = g.plot();
    const cx = (v: number) => Math.min(p.x + p.w, Math.max(p.x, v));
    const cy = (v: number) => Math.min(p.y + p.h, Math.max(p.y, v));
    Object.assign(band.style, {
      display: "block",
      left: `${Math.min(cx(x0), cx(x1))}px`,
      top: `${Math.min(cy(y0), cy(y1))}px`,
      width: `${Math.abs(cx(x1) - cx(x0))}px`,
      height: `${Math.abs(cy(y1) - cy(y0))}px`,
    });
  };
  canvas.addEventListener("pointerdown", (e) => {
    const [x, y] = local(e);
    if (e.button !== 0 || !inside(g.plot(), x, y)) return;
    start = { x, y };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    const [x, y] = local(e);
    if (start && Math.hypot(x - start.x, y - start.y) > CLICK_SLOP_PX) {
      g.leave();
      showBand(start.x, start.y, x, y);
    } else if (inside(g.plot(), x, y)) {
      g.hover(x, y);
    } else {
      g.leave();
    }
  });
  canvas.addEventListener("pointerup", (e) => {
    const from = start;
    start = null;
    band.style.display = "none";
    if (!from) return;
    const [x, y] = local(e);
    if (Math.hypot(x - from.x, y - from.y) <= CLICK_SLOP_PX) g.click(x, y);
    else g.box(from.x, from.y, x, y);
  });
  canvas.addEventListener("pointerleave", () => g.leave());
  canvas.addEventListener("dblclick", () => g.reset());
  canvas.addEventListener("wheel", (e) => {
    const [x, y] = local(e);
    if (!inside(g.plot(), x, y)) return;
    e.preventDefault(); // zoom the plot, not the page
    g.wheel(x, y, Math.pow(1.0015, e.deltaY));
  }, { passive: false });
}
